"""Compare two weights editions: offences added, removed and re-scored."""

from __future__ import annotations

import os
from typing import Literal

import pandas as pd

from crimeharm.errors import OptionError
from crimeharm.weights.editions import load_weights
from crimeharm.weights.table import AMBIGUITY_RULES, DEFAULT_AMBIGUITY, WeightTable

__all__ = ["DIFF_BY", "diff_editions"]

DiffBy = Literal["key", "ho_class", "open_data"]
#: What :func:`diff_editions` can compare by.
DIFF_BY: tuple[str, ...] = ("key", "ho_class", "open_data")

Weights = str | os.PathLike[str] | WeightTable


def _by_code(table: WeightTable, by: str, rule: str | None) -> pd.DataFrame:
    """Days and a description per key (with the title) or per code (with its rows)."""
    if by == "key":
        t = table.table
        title = t["title"] if "title" in t else pd.Series("", index=t.index)
        frame = {"days": t["days"].to_numpy(), "title": title.to_numpy()}
        return pd.DataFrame(frame, index=pd.Index(t["key"], name="key"))
    index = table.index(by, rule)
    detail = [
        f"{n}, ambiguous ({rule or DEFAULT_AMBIGUITY[by]})" if amb else str(n)
        for n, amb in zip(index["n_rows"], index["ambiguous"], strict=True)
    ]
    return pd.DataFrame({"days": index["days"].to_numpy(), "title": detail}, index=index.index)


def diff_editions(
    old: Weights, new: Weights, *, by: DiffBy = "key", rule: str | None = None
) -> dict[str, pd.DataFrame]:
    """Compare two weights editions offence by offence, or code by code.

    Parameters
    ----------
    old, new : str, os.PathLike or WeightTable
        The editions to compare: shipped edition ids, paths to weights CSVs
        or loaded tables (anything :func:`crimeharm.load_weights` accepts).
    by : {'key', 'ho_class', 'open_data'}
        Compare rows by ``key``, or the codes of a code system, each scored by
        the ambiguity rule (:meth:`crimeharm.WeightTable.index`).
    rule : {'base', 'median', 'min', 'max'}, optional
        The ambiguity rule when ``by`` is a code system; the system's default
        (:data:`crimeharm.weights.table.DEFAULT_AMBIGUITY`) if None. Ignored
        for ``by="key"``, where every key is one row.

    Returns
    -------
    dict of str to pandas.DataFrame
        Indexed by key or code:

        ``added``, ``removed``
            ``days`` (days of imprisonment) and ``title`` (the offence's
            title; for a code, its number of rows and whether it is ambiguous)
            of the keys or codes only ``new`` or only ``old`` has.
        ``rescored``, ``unchanged``
            ``old_days``, ``new_days`` (days) and ``title`` (from ``new``) of
            the keys or codes both have, whose days differ or not.

    Raises
    ------
    OptionError
        ``by`` or ``rule`` is not one of the allowed values.
    CodeError
        An edition has no codes of the system ``by`` names.

    Examples
    --------
    >>> parts = diff_editions("cchi-2020", "cchi-2020", by="ho_class")
    >>> {name: len(frame) for name, frame in parts.items()}
    {'added': 0, 'removed': 0, 'rescored': 0, 'unchanged': 516}
    """
    OptionError.check_choice("by", by, DIFF_BY)
    if rule is not None:
        OptionError.check_choice("rule", rule, AMBIGUITY_RULES)
    a, b = _by_code(load_weights(old), by, rule), _by_code(load_weights(new), by, rule)
    both = a.index.intersection(b.index, sort=False)
    merged = pd.DataFrame(
        {
            "old_days": a.loc[both, "days"].to_numpy(),
            "new_days": b.loc[both, "days"].to_numpy(),
            "title": b.loc[both, "title"].to_numpy(),
        },
        index=both,
    )
    changed = merged["old_days"] != merged["new_days"]
    return {
        "added": b.loc[b.index.difference(a.index, sort=False)],
        "removed": a.loc[a.index.difference(b.index, sort=False)],
        "rescored": merged[changed],
        "unchanged": merged[~changed],
    }
