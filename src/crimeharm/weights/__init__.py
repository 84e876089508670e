"""The weights: offence codes, weights tables, the shipped editions and official sheets.

Everything about turning an offence code into days of imprisonment lives
here: reading the written forms of codes (:mod:`.codes`), a loaded table and
its lookups (:mod:`.table`), the shipped editions and their manifest
(:mod:`.editions`, the files in ``data/``), the police-generated flag
(:mod:`.police_generated`), data.police.uk category proxies
(:mod:`.police_uk`), comparing editions (:mod:`.diff`) and the official
spreadsheets (:mod:`.sheets`). Nothing is read at import time.
"""

from __future__ import annotations

from crimeharm.weights.diff import diff_editions
from crimeharm.weights.editions import available_weights, edition_info, load_weights
from crimeharm.weights.table import WeightTable

__all__ = ["WeightTable", "available_weights", "diff_editions", "edition_info", "load_weights"]
