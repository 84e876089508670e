"""Analyses on the harm index: consensus series, detection, trends, change, schemes, plots."""
