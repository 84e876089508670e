"""Count against harm between two periods: the changes, the composition, and how far they part.

The 2016 paper's example: from 2002/03 to 2011/12 the count of the crimes
of its Table 1 fell 37% and their harm 21%, so "the crime count
over-estimated the drop in crime impact ... by 76% relative to the
proportional drop in CHI". :func:`change` computes the same figures for any
table with a period column, overall and per group.

``count_overstates_by`` (on the overall row) is ``crimes_change /
harm_change - 1``: 0.76 means the count's change is 1.76 times the harm's.
It is negative when the count understates the change in harm, and below -1
when the two move in opposite directions; NaN when harm did not change.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

import numpy as np
import pandas as pd

from crimeharm.errors import MissingColumnError, PeriodError

__all__ = ["OVERALL", "change"]

#: The label of the overall row in each ``by`` column.
OVERALL = "All"


def _pct(new: np.ndarray, old: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(old != 0, (new - old) / old * 100.0, np.nan)


def change(
    table: pd.DataFrame,
    *,
    base: object,
    to: object,
    by: str | Sequence[str] | None = None,
    period: str = "period",
    crimes: str = "crimes",
    harm: str | None = None,
) -> pd.DataFrame:
    """Crimes and harm in two periods, their percent changes and each group's share.

    Parameters
    ----------
    table : pandas.DataFrame
        A table with a period column, the ``by`` columns and crimes and harm
        (:func:`crimeharm.series` or :func:`crimeharm.harm_index` output, or a
        published table).
    base, to : period label
        The periods to compare (e.g. ``"2002/03"``, ``"2011/12"``), as they
        are written in the period column.
    by : str or list of str, optional
        Group columns (crime types); rows of the same group are summed.
    period : str
        The period column.
    crimes : str
        The crimes column.
    harm : str, optional
        The harm column: ``chi_days`` if the table has it, else ``harm_days``.

    Returns
    -------
    pandas.DataFrame
        One row per group and a last, overall row (``All`` in the ``by``
        columns; the only row without ``by``): ``crimes_base``, ``crimes_to``,
        ``crimes_change_pct``, ``harm_base``, ``harm_to``,
        ``harm_change_pct``, ``crimes_share_base``, ``crimes_share_to``,
        ``harm_share_base``, ``harm_share_to`` (percent of the period's
        total), and ``count_overstates_by`` on the overall row (see the
        module docstring; NaN on group rows).

    Raises
    ------
    PeriodError
        When ``base`` or ``to`` is not in the table, listing the periods present.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"period": ["2002/03", "2011/12"],
    ...                   "crimes": [5_151_767, 3_229_586],
    ...                   "chi_days": [147_835_399, 117_835_466]})
    >>> c = change(t, base="2002/03", to="2011/12")
    >>> c[["crimes_change_pct", "harm_change_pct", "count_overstates_by"]].round(3)
       crimes_change_pct  harm_change_pct  count_overstates_by
    0            -37.311          -20.293                0.839
    """
    by_list = [by] if isinstance(by, str) else list(by or [])
    if harm is None:
        harm = "chi_days" if "chi_days" in table.columns else "harm_days"
    MissingColumnError.check(list(table.columns), [period, crimes, harm, *by_list], source="table")
    labels = table[period].astype(object)
    present = list(pd.unique(labels.dropna()))
    absent = [p for p in (base, to) if p not in set(present)]
    if absent:
        raise PeriodError(
            f"period(s) {absent} not in column {period!r}; periods present: {present}",
            column=period,
            values=absent,
            allowed=present,
        )
    parts = []
    for which, label in (("base", base), ("to", to)):
        rows = table[(labels == label).to_numpy()]
        cols = [crimes, harm]
        if by_list:
            sums = rows.groupby([rows[c].astype(object) for c in by_list], dropna=False)[cols].sum()
        else:
            sums = rows[cols].sum().to_frame().T
        parts.append(sums.rename(columns={crimes: f"crimes_{which}", harm: f"harm_{which}"}))
    out = pd.concat(parts, axis=1).fillna(0.0)  # a group absent in one period had nothing
    if by_list:
        with contextlib.suppress(TypeError):  # groups of mixed types stay as they came
            out = out.sort_index(na_position="last")
    total = out.sum().to_frame().T
    if by_list:
        total.index = pd.MultiIndex.from_tuples([(OVERALL,) * len(by_list)], names=by_list)
        if len(by_list) == 1:
            total.index = pd.Index([OVERALL], name=by_list[0])
    out = pd.concat([out, total]) if by_list else total
    for what in ("crimes", "harm"):
        b, t = out[f"{what}_base"].to_numpy(float), out[f"{what}_to"].to_numpy(float)
        out[f"{what}_change_pct"] = _pct(t, b)
    for what in ("crimes", "harm"):
        for which in ("base", "to"):
            col = out[f"{what}_{which}"].to_numpy(float)
            whole = col[-1]
            with np.errstate(invalid="ignore", divide="ignore"):
                out[f"{what}_share_{which}"] = col / whole * 100.0 if whole else np.nan
    order = ["crimes_base", "crimes_to", "crimes_change_pct", "harm_base", "harm_to"]
    order += ["harm_change_pct", "crimes_share_base", "crimes_share_to"]
    order += ["harm_share_base", "harm_share_to"]
    out = out[order]
    over = np.full(len(out), np.nan)
    c, h = out["crimes_change_pct"].iloc[-1], out["harm_change_pct"].iloc[-1]
    if h != 0 and np.isfinite(h):
        over[-1] = c / h - 1.0
    out["count_overstates_by"] = over
    return out.reset_index() if by_list else out.reset_index(drop=True)
