"""The official CCHI spreadsheets: reading a sheet, importing it to the weights schema,
and deriving days from a guideline's starting point.
"""
