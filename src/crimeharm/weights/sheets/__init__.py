"""The official CCHI spreadsheets.

Reading a sheet (:mod:`.read`), importing it to the weights schema
(:mod:`.importer`), and deriving days from a guideline's starting point
(:mod:`.derivation`).
"""
