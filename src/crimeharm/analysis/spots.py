"""Harm spots and hot spots: the top units by harm and by count, and how long they stay on top.

A *harm spot* is one of the top ``k`` units by harm, a *hot spot* one of the
top ``k`` by crime count (Weinborn et al. 2017 compare the two). The rules:

* ``top=k`` takes ``k`` units; ``top_share=p`` takes ``ceil(p·N)`` of the
  ``N`` units (the top 5% of 150 units is 8 units).
* Units are taken in order of value, largest first, ties by unit id
  ascending (:mod:`crimeharm.analysis.units`), so exactly ``k`` are taken;
  ``ties_at_cut`` says how many units left out had the same value as the
  last one taken. A unit whose value is 0 is never a spot, so fewer than
  ``k`` may be taken.
* Ranks are competition ranks: 1 + the number of units with a strictly
  larger value (equal values share a rank).
* Overlap: ``shared`` units are both; ``jaccard`` is shared over the units
  that are either.
* Persistence: for each period after the first, the share of the previous
  period's top units that are in this period's top (units are those of the
  whole table, so a unit with no row in a period has 0 there).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from crimeharm.analysis.concentration import competition_rank, totals_for
from crimeharm.analysis.units import as_units, columns_of, numbers
from crimeharm.errors import EmptyDataError, OptionError
from crimeharm.scoring.columns import dictionary_encoded

__all__ = ["persistence", "spot_overlap", "spots"]

KINDS = ("both", "harm only", "hot only", "neither")


def _k(n: int, top: int | None, top_share: float | None) -> int:
    if (top is None) == (top_share is None):
        raise OptionError("give one of top= (a number of units) or top_share= (a share of units)")
    if top is not None:
        if isinstance(top, bool) or not isinstance(top, int | np.integer) or top < 1:
            raise OptionError(f"top={top!r}; expected a whole number of units >= 1", values=[top])
        return min(int(top), n)
    if (
        isinstance(top_share, bool)
        or not isinstance(top_share, int | float)
        or not 0 < top_share <= 1
    ):
        raise OptionError(
            f"top_share={top_share!r}; expected a share of units in (0, 1]", values=[top_share]
        )
    return min(n, max(1, math.ceil(top_share * n - 1e-9)))


def _ranks(x: np.ndarray, order: np.ndarray) -> np.ndarray:
    rank = np.empty(len(x), dtype=np.int64)
    rank[order] = competition_rank(x[order])
    return rank


def _top(x: np.ndarray, order: np.ndarray, k: int) -> tuple[np.ndarray, int]:
    """Which units are in the top ``k`` (value above 0), and the ties left out at the cut."""
    chosen = np.zeros(len(x), dtype=bool)
    take = order[:k]
    take = take[x[take] > 0]
    chosen[take] = True
    ties = 0
    if len(take):
        last = x[take[-1]]
        ties = int(((x == last) & ~chosen).sum())
    return chosen, ties


def spots(
    table: Any,
    *,
    unit: str | Sequence[str],
    top: int | None = None,
    top_share: float | None = None,
    harm: str = "harm_days",
    count: str = "crimes",
    units: Any = None,
    complete: bool = False,
) -> pd.DataFrame:
    """Each unit's rank by harm and by count, and whether it is a harm spot, a hot spot, or both.

    Parameters
    ----------
    table : pandas.DataFrame, pyarrow.Table or path
        A result table or scored records; rows are summed per unit.
    unit : str or list of str
        The unit column(s).
    top : int, optional
        The number of units in each top list.
    top_share : float, optional
        Or the share of units in each top list, 0-1 (``0.05`` for the top 5%).
    harm, count : str
        The harm column (days) and the count column (crimes).
    units, complete
        As for :func:`crimeharm.concentration`.

    Returns
    -------
    pandas.DataFrame
        One row per unit, in order of harm (ties by unit id): the unit
        column(s), ``harm`` (days), ``count`` (crimes), ``harm_rank``, ``count_rank``,
        ``harm_spot``, ``hot_spot`` and ``kind`` (``both``, ``harm only``,
        ``hot only``, ``neither``). ``attrs["crimeharm"]`` has ``k``, the
        ties left out at each cut and the rows without a unit id.

    Examples
    --------
    >>> import pandas as pd, crimeharm
    >>> t = pd.DataFrame({"area": list("ABCD"), "crimes": [1, 9, 4, 2],
    ...                   "harm_days": [5475.0, 90.0, 400.0, 20.0]})
    >>> crimeharm.spots(t, unit="area", top=2)[["area", "harm_rank", "count_rank", "kind"]]
      area  harm_rank  count_rank       kind
    0    A          1           4  harm only
    1    C          2           2       both
    2    B          3           1   hot only
    3    D          4           3    neither
    """
    totals = totals_for(table, unit=unit, values=[harm, count], units=units, complete=complete)
    h, c = totals.sums[harm], totals.sums[count]
    k = _k(len(h), top, top_share)
    h_order, c_order = totals.order(harm), totals.order(count)
    harm_spot, h_ties = _top(h, h_order, k)
    hot_spot, c_ties = _top(c, c_order, k)
    kind = np.where(
        harm_spot & hot_spot, 0, np.where(harm_spot, 1, np.where(hot_spot, 2, 3))
    ).astype(np.int8)
    out = totals.keys.copy()
    out[harm] = h
    out[count] = c
    out["harm_rank"] = _ranks(h, h_order)
    out["count_rank"] = _ranks(c, c_order)
    out["harm_spot"] = harm_spot
    out["hot_spot"] = hot_spot
    out["kind"] = pd.Categorical.from_codes(kind, categories=pd.Index(KINDS))
    out = out.iloc[h_order].reset_index(drop=True)
    out.attrs["crimeharm"] = {
        "unit": totals.unit,
        "k": k,
        "rule": "top k by value, ties by unit id; units with value 0 are never spots",
        "ties_at_cut_harm": h_ties,
        "ties_at_cut_count": c_ties,
        "no_id_rows": totals.no_id_rows,
        "no_id_harm": totals.no_id_sums[harm],
        "no_id_count": totals.no_id_sums[count],
        "rows_excluded": totals.left_out_rows,
    }
    return out


def spot_overlap(
    table: Any,
    *,
    unit: str | Sequence[str],
    top: int | None = None,
    top_share: float | None = None,
    harm: str = "harm_days",
    count: str = "crimes",
    units: Any = None,
    complete: bool = False,
) -> pd.Series:
    """How far the harm spots and the hot spots are the same units.

    Parameters
    ----------
    table, unit, top, top_share, harm, count, units, complete
        As for :func:`spots`.

    Returns
    -------
    pandas.Series
        ``k``, ``units``, ``harm_spots``, ``hot_spots`` (units taken),
        ``shared``, ``jaccard`` (shared / either), ``harm_only``,
        ``hot_only``, and the shares of all harm and of all crimes in the
        harm spots and in the hot spots (``harm_in_harm_spots``,
        ``harm_in_hot_spots``, ``crimes_in_harm_spots``,
        ``crimes_in_hot_spots``).

    Examples
    --------
    >>> import pandas as pd, crimeharm
    >>> t = pd.DataFrame({"area": list("ABCD"), "crimes": [1, 9, 4, 2],
    ...                   "harm_days": [5475.0, 90.0, 400.0, 20.0]})
    >>> o = crimeharm.spot_overlap(t, unit="area", top=2)
    >>> o[["shared", "jaccard", "harm_only"]].round(3).tolist()
    [1.0, 0.333, 1.0]
    """
    frame = spots(
        table,
        unit=unit,
        top=top,
        top_share=top_share,
        harm=harm,
        count=count,
        units=units,
        complete=complete,
    )
    hs, ts = frame["harm_spot"].to_numpy(), frame["hot_spot"].to_numpy()
    h, c = frame[harm].to_numpy(), frame[count].to_numpy()
    either = int((hs | ts).sum())
    shared = int((hs & ts).sum())
    h_total, c_total = float(h.sum()), float(c.sum())

    def share(x: np.ndarray, total: float, mask: np.ndarray) -> float:
        return float(x[mask].sum() / total) if total > 0 else np.nan

    return pd.Series(
        {
            "k": float(frame.attrs["crimeharm"]["k"]),
            "units": float(len(frame)),
            "harm_spots": float(hs.sum()),
            "hot_spots": float(ts.sum()),
            "shared": float(shared),
            "jaccard": shared / either if either else np.nan,
            "harm_only": float((hs & ~ts).sum()),
            "hot_only": float((ts & ~hs).sum()),
            "harm_in_harm_spots": share(h, h_total, hs),
            "harm_in_hot_spots": share(h, h_total, ts),
            "crimes_in_harm_spots": share(c, c_total, hs),
            "crimes_in_hot_spots": share(c, c_total, ts),
        },
        name="spot_overlap",
    )


def _in_text_order(codes: np.ndarray, values: list[Any]) -> tuple[np.ndarray, list[Any]]:
    """Codes into ``values`` renumbered so that the values sort as text (-1 stays -1)."""
    order = np.argsort(np.asarray([str(v) for v in values], dtype=object), kind="stable")
    pos = np.empty(len(values), dtype=np.int64)
    pos[order] = np.arange(len(values))
    codes = np.asarray(codes, dtype=np.int64)
    return np.where(codes >= 0, pos[np.maximum(codes, 0)], -1), [values[i] for i in order]


def _period_order(col: Any) -> tuple[np.ndarray, list[Any]]:
    """Each row's period position in time order (-1 for none), and the periods in that order.

    An ordered categorical keeps its order; other periods sort as text.
    """
    if isinstance(col, pd.Series) and isinstance(col.dtype, pd.CategoricalDtype):
        codes = col.cat.codes.to_numpy().astype(np.int64)
        cats = list(col.cat.categories)
        if col.cat.ordered:
            return codes, cats
        return _in_text_order(codes, cats)
    idx, dictionary = dictionary_encoded(col)
    return _in_text_order(idx, dictionary.to_pylist())


def persistence(
    table: Any,
    *,
    unit: str | Sequence[str],
    period: str = "period",
    value: str = "harm_days",
    top: int | None = None,
    top_share: float | None = None,
    units: Any = None,
    complete: bool = False,
) -> pd.DataFrame:
    """Period by period, the share of the last period's top units that stay on top.

    Parameters
    ----------
    table : pandas.DataFrame, pyarrow.Table or path
        A result table by unit and period (e.g. :func:`crimeharm.harm_index`
        with ``by=`` and ``period=``) or scored records with a period column.
    unit : str or list of str
        The unit column(s).
    period : str
        The period column; an ordered categorical (as ``harm_index``
        returns) is taken in its order, other values in ascending order.
        Rows without a period are left out and counted in
        ``attrs["crimeharm"]["rows_without_period"]``.
    value : str
        The column ranked (``harm_days``, or ``crimes`` for hot spots).
    top, top_share
        The size of each top list, as for :func:`spots` (``top_share`` of
        all the table's units).
    units, complete
        As for :func:`crimeharm.concentration`.

    Returns
    -------
    pandas.DataFrame
        One row per period in time order: ``period``, ``previous``,
        ``top_units`` (units taken), ``stayed`` (of the previous period's
        top units, how many are in this one's) and ``stayed_share``
        (``stayed`` over the previous period's top units; NaN for the first
        period).

    Examples
    --------
    >>> import pandas as pd, crimeharm
    >>> t = pd.DataFrame({"area": list("ABCABC"), "period": ["2023"] * 3 + ["2024"] * 3,
    ...                   "harm_days": [9.0, 5.0, 1.0, 2.0, 8.0, 7.0]})
    >>> crimeharm.persistence(t, unit="area", top=2)
      period previous  top_units  stayed  stayed_share
    0   2023      NaN          2     NaN           NaN
    1   2024     2023          2     1.0           0.5
    """
    names = as_units(unit)
    base = totals_for(table, unit=names, values=[value], units=units, complete=complete)
    cols = columns_of(table, [period, value])
    v = numbers(cols[value], name=value)
    pcode, periods = _period_order(cols[period])
    n_units, n_periods = len(base), len(periods)
    if n_periods == 0:
        raise EmptyDataError(f"column {period!r} has no period: nothing to compare")
    uid = base.unit_of_row
    ok = (uid >= 0) & (pcode >= 0)
    grid = np.bincount(
        uid[ok] * n_periods + pcode[ok], weights=v[ok], minlength=n_units * n_periods
    ).reshape(n_units, n_periods)
    k = _k(n_units, top, top_share)
    rows = []
    prev: np.ndarray | None = None
    for j in range(n_periods):
        xj = grid[:, j]
        order = base.order_of(xj)
        chosen, _ = _top(xj, order, k)
        stayed = np.nan if prev is None else float((prev & chosen).sum())
        share = np.nan
        if prev is not None and prev.sum():
            share = stayed / float(prev.sum())
        rows.append(
            {
                "period": periods[j],
                "previous": periods[j - 1] if j else np.nan,
                "top_units": int(chosen.sum()),
                "stayed": stayed,
                "stayed_share": share,
            }
        )
        prev = chosen
    out = pd.DataFrame(rows)
    out.attrs["crimeharm"] = {
        "unit": base.unit,
        "value": value,
        "k": k,
        "units": n_units,
        "rows_without_period": int(((uid >= 0) & (pcode < 0)).sum()),
        "no_id_rows": base.no_id_rows,
    }
    return out
