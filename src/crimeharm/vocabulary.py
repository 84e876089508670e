"""The words crimeharm reads as yes and no, wherever it reads a yes/no value.

The ``police_generated``, ``notifiable`` and ``not_crime`` columns of a weights
table (:func:`crimeharm.weights.table.validate_table`) and the flag columns of
records (``police_initiated``, ``company_detected``; see
:func:`crimeharm.scoring.columns.read_flag`) accept the same words. A value is
compared after stripping surrounding spaces and upper-casing it, so ``yes``,
``Yes`` and ``YES`` are one word. Real booleans are read as they are.

=========  =================================================================
word       why it is accepted
=========  =================================================================
``TRUE``   how pandas, Python and spreadsheets write a true boolean
``T``      the one-letter form of R and some database exports
``YES``    how people write it
``Y``      the one-letter form force systems use (``Y``/``N`` flags)
``1``      a 0/1 indicator column
``1.0``    a 0/1 indicator read as a float (a column with a missing value)
``FALSE``  how pandas, Python and spreadsheets write a false boolean
``F``      the one-letter form of R and some database exports
``NO``     how people write it
``N``      the one-letter form force systems use
``0``      a 0/1 indicator column
``0.0``    a 0/1 indicator read as a float
(empty)    blank: no in a weights table; in records, see ``flag_blank``
=========  =================================================================

Any other value is an error that names the column and the value in a weights table;
in records it is what ``flag_unknown`` says (excluded as ``bad_flag`` by default).
"""

from __future__ import annotations

__all__ = ["FALSE_WORDS", "FLAG_WORDS", "TRUE_WORDS"]

#: Words read as yes (compared stripped and upper-cased).
TRUE_WORDS: frozenset[str] = frozenset({"TRUE", "T", "YES", "Y", "1", "1.0"})
#: Words read as no (compared stripped and upper-cased); the empty string is a missing value.
FALSE_WORDS: frozenset[str] = frozenset({"FALSE", "F", "NO", "N", "0", "0.0", ""})
#: What an error message says was expected.
FLAG_WORDS = "true/false, yes/no, y/n or 1/0"
