"""Retired Home Office open-data codes and the codes that replaced them.

In April 2017 the Home Office replaced the burglary offences "in a dwelling"
and "in a building other than a dwelling" by *residential* and *business and
community* burglary, with new open-data codes (``28A`` -> ``28E``, ``30A`` ->
``30C``, ...). The old codes stayed in the Home Office tables for outcomes of
crimes recorded before the change, and fill every table of earlier years; an
edition built on the new codes (``cchi-2020``) does not carry them.

The shipped crosswalk (``home-office-code-crosswalk``, written by
``scripts/build_weights.py`` with the source and date of every row) lists, per
retired code, each code it went to:

``replaced``
    One successor: ``28A`` burglary in a dwelling -> ``28E`` burglary
    residential.
``split``
    Several successors. ``30A`` burglary in a building other than a dwelling
    went to ``30C`` business and community burglary, except for sheds, garages
    and outbuildings within a home's boundary, which the 2017 rules count as
    residential (``28E``). One successor is *primary*, the one scoring uses:
    the successor in the old code's own ONS offence subgroup ("Non-domestic
    burglary"), which is also the code whose weight the ONS Crime Severity
    Score gives the old code. The others are listed for a sensitivity check.
``alias``
    The same offence written differently by an edition: the CCHI sheet writes
    ``30E`` (its Athena URN prefix) for the Home Office's ``31A``, aggravated
    burglary business and community.

The rule (:func:`follow`): a code is looked up as written first; the crosswalk
is used only for a code the edition does *not* carry as written (so it never
overrides an edition's own score, as ``ons-css`` has for ``28A``), following
primary rows until a code the edition carries (``31`` -> ``31A`` -> ``30E`` in
``cchi-2020``). The code is then scored as that code would be, by the same
ambiguity rule. Scoring counts the records read through the crosswalk
(``Summary.crosswalked_codes``); ``crosswalk=False`` turns it off.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from crimeharm.vocabulary import TRUE_WORDS
from crimeharm.weights.shipped import load_mapping

__all__ = ["CROSSWALK_ID", "crosswalk_table", "follow"]

#: The id of the shipped crosswalk in the manifest.
CROSSWALK_ID = "home-office-code-crosswalk"
#: Columns of the shipped crosswalk, in order.
COLUMNS = (
    "system",
    "old_code",
    "old_title",
    "new_code",
    "new_title",
    "relation",
    "primary",
    "retired",
    "source",
    "note",
)


def crosswalk_table() -> pd.DataFrame:
    """The shipped crosswalk: one row per (retired or aliased code, successor).

    Returns
    -------
    pandas.DataFrame
        Columns ``system`` (``open_data``), ``old_code``, ``old_title``,
        ``new_code``, ``new_title``, ``relation`` (``replaced``, ``split``,
        ``alias``), ``primary`` (bool: the successor scoring uses), ``retired``
        (the date the old code stopped being used for new records, ISO; blank
        for an alias), ``source`` and ``note``.

    Examples
    --------
    >>> t = crosswalk_table()
    >>> t.loc[t["old_code"] == "30A", ["new_code", "relation", "primary"]].values.tolist()
    [['30C', 'split', True], ['28E', 'split', False]]
    """
    table = load_mapping(CROSSWALK_ID)
    table["primary"] = table["primary"].str.strip().str.upper().isin(sorted(TRUE_WORDS))
    return table[list(COLUMNS)].fillna({"retired": "", "note": ""})


@functools.lru_cache(maxsize=4)
def _successor(system: str) -> dict[str, str]:
    t = crosswalk_table()
    t = t[(t["system"] == system) & t["primary"]]
    return dict(zip(t["old_code"], t["new_code"], strict=True))


def follow(codes: np.ndarray, *, system: str, carried: pd.Index) -> np.ndarray:
    """The crosswalk path of each code to a code the table carries.

    Parameters
    ----------
    codes : numpy.ndarray of object
        Canonical codes of ``system`` (distinct values) that the table does not
        carry as written.
    system : str
        Their code system (``open_data``).
    carried : pandas.Index
        The canonical codes the table carries in that system.

    Returns
    -------
    numpy.ndarray of object
        Per code, the path followed (``'28A->28E'``, ``'31->31A->30E'``), or
        ``None`` when the crosswalk has no row for the code or its successors
        lead to no code the table carries.

    Examples
    --------
    >>> follow(np.array(["28A", "31", "8N"], dtype=object), system="open_data",
    ...        carried=pd.Index(["28E", "30E"])).tolist()
    ['28A->28E', '31->31A->30E', None]
    """
    step = _successor(system)
    out = np.full(len(codes), None, dtype=object)
    for i, code in enumerate(codes):
        path = [code]
        while path[-1] in step and len(path) <= len(step):  # a cycle ends it
            path.append(step[path[-1]])
            if path[-1] in carried:
                out[i] = "->".join(path)
                break
    return out
