"""The shipped weights editions (CSV) and their manifest (``manifest.json``).

Data only: nothing here is read at import time. Use
:func:`crimeharm.load_weights` and :func:`crimeharm.available_weights`.
The CSV files are written by ``scripts/build_weights.py`` from public sources;
see ``NOTICE.md`` in this folder for attribution.
"""
