"""Bundled example data (synthetic): see scripts/make_example.py."""
