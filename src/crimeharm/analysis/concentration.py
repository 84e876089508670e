"""How concentrated harm (or crime) is over units: the Lorenz curve, Gini and top shares.

Units are ordered by value, largest first (ties by unit id, see
:mod:`crimeharm.analysis.units`), and the **Lorenz curve** joins the points
``(k / N, S_k / S)`` for ``k = 0 .. N``: the share of units, from the top, and
the share of the total value they hold (``S_k`` is the sum of the ``k``
largest values, ``S`` the total, ``N`` the number of units). Between points
the curve is a straight line, which gives the fractional-unit rule below.

Measures, each read off that curve:

``gini``
    Twice the area between the curve and the diagonal:
    ``G = 2 Σ_i i·x_(i) / (N S) − (N + 1) / N`` with ``x_(1) <= ... <= x_(N)``
    in ascending order. 0 when every unit holds the same, ``1 − 1/N`` when
    one unit holds everything.
``gini_generalised``
    Bernasco & Steenbeek (2017), for sparse data: with ``C`` events over
    ``N`` units and ``C < N``, even the most equal spread leaves ``N − C``
    units empty, so the curve is compared with the line of *maximal equality
    given the data*, from ``(0, 0)`` to ``(C/N, 1)``, instead of the
    diagonal. The ratio of areas gives
    ``G' = max(1, N / C) · (G − 1) + 1``, which is ``G`` when ``C >= N``
    (the formula of the authors' R package ``lorenzgini``,
    ``R/gini.R``, biased form). For harm, ``C`` is the number of crimes, so
    the line is that of the crimes spread one per unit; the correction is the
    paper's, applied to harm by that analogy.
``top_1pct``, ``top_5pct``, ``top_10pct``, ``top_20pct``
    ``L(p)``, the share of the value held by the top ``p`` of units. When
    ``p·N`` is not a whole number the share is interpolated on the curve:
    with ``k = floor(p·N)`` and ``f = p·N − k``, ``L(p) = (S_k + f·x_(k+1)) / S``
    (the top 1% of 150 units is the top unit and half of the second).
``units_50pct``, ``units_80pct``
    The smallest share of units that holds 50% (80%) of the value, by the
    same interpolation: with ``k`` the first unit at which ``S_k >= q·S``,
    ``(k − 1 + (q·S − S_{k−1}) / x_(k)) / N``. ``units_50pct_count`` and
    ``units_80pct_count`` are the whole numbers of units ``k``.

References
----------
Bernasco, W. & Steenbeek, W. (2017). More places than crimes: implications
for evaluating the law of crime concentration at place. *Journal of
Quantitative Criminology* 33(3), 451-467. doi:10.1007/s10940-016-9324-7.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from crimeharm.analysis.units import (
    NO_ID,
    UnitTotals,
    as_units,
    columns_of,
    included_rows,
    numbers,
    unit_totals,
)
from crimeharm.errors import EmptyDataError, OptionError

__all__ = ["concentration", "gini", "gini_generalised", "lorenz", "totals_for"]

TOP_SHARES = (0.01, 0.05, 0.10, 0.20)
HOLDING = (0.5, 0.8)


def gini(values: Any) -> float:
    """The Gini coefficient of non-negative values (see the module docstring).

    Parameters
    ----------
    values : array-like of float
        One value per unit, ``>= 0``, not all zero.

    Returns
    -------
    float

    Examples
    --------
    >>> round(gini([3, 1, 1, 0, 0, 0, 0, 0, 0, 0]), 2)  # Bernasco & Steenbeek's Figure 2
    0.78
    """
    x = np.sort(np.asarray(values, dtype=float))
    n, total = len(x), float(x.sum())
    if n == 0 or total <= 0:
        raise EmptyDataError("the Gini coefficient needs at least one unit and a total above 0")
    i = np.arange(1, n + 1, dtype=float)
    return float(2.0 * np.dot(i, x) / (n * total) - (n + 1) / n)


def _generalise(g: float, n: int, events: float) -> float:
    """``max(1, N / C)·(G − 1) + 1``; exactly ``G`` when ``C >= N``."""
    if events >= n:
        return g
    return (n / events) * (g - 1.0) + 1.0


def gini_generalised(values: Any, *, events: float) -> float:
    """Bernasco & Steenbeek's generalised Gini: ``max(1, N / C)·(G − 1) + 1``.

    Parameters
    ----------
    values : array-like of float
        One value per unit.
    events : float
        ``C``, the number of events (crimes) behind the values.

    Returns
    -------
    float
        The ordinary Gini when ``events >= len(values)``.

    Examples
    --------
    >>> round(gini_generalised([5, 2, 1, 0, 0, 0, 0, 0, 0, 0], events=8), 2)
    0.75
    """
    g = gini(values)
    n = len(np.asarray(values))
    if events <= 0:
        raise EmptyDataError(f"the generalised Gini needs events > 0, got {events!r}")
    return _generalise(g, n, events)


def totals_for(
    table: Any,
    *,
    unit: str | Sequence[str],
    values: Sequence[str],
    units: Any = None,
    complete: bool = False,
    mask: np.ndarray | None = None,
) -> UnitTotals:
    """Read ``values`` from ``table`` and sum them per unit (the shared rules).

    Rows that :func:`crimeharm.score` excluded are left out (``mask`` by
    default is :func:`~crimeharm.analysis.units.included_rows`).

    Raises
    ------
    EmptyDataError
        When the table has no rows or no unit.
    """
    names = as_units(unit)
    cols = columns_of(table, [*names, *values])
    n = len(cols[names[0]])
    if n == 0 and units is None:
        raise EmptyDataError("the table has no rows: there is nothing to measure")
    arrays = {v: numbers(cols[v], name=v) for v in dict.fromkeys(values)}
    if mask is None:
        mask = included_rows(table)
    totals = unit_totals(cols, unit=names, values=arrays, units=units, complete=complete, mask=mask)
    if len(totals) == 0:
        raise EmptyDataError(
            f"no unit to measure: all {totals.no_id_rows:,} row(s) have no {names} id"
        )
    return totals


def _curve(x_desc: np.ndarray) -> tuple[np.ndarray, float]:
    cum = np.concatenate([[0.0], np.cumsum(x_desc)])
    return cum, float(cum[-1])


def _descending(
    totals: UnitTotals, value: str, *, then: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """The units in order of ``value`` (most first), with their values, curve and total.

    The curve is the cumulative sum from 0. Values that sum to 0 are refused (``then`` says
    what cannot follow).
    """
    x = totals.sums[value]
    order = totals.order(value)
    x_desc = x[order]
    cum, total = _curve(x_desc)
    if total <= 0:
        raise EmptyDataError(
            f"column {value!r} sums to 0 over {len(x):,} unit(s): {then}", column=value
        )
    return order, x_desc, cum, total


def _share_at(cum: np.ndarray, x_desc: np.ndarray, p: float) -> float:
    n = len(x_desc)
    pos = p * n
    k = min(int(np.floor(pos)), n)
    frac = pos - k
    extra = frac * x_desc[k] if k < n else 0.0
    return float((cum[k] + extra) / cum[-1])


def _units_holding(cum: np.ndarray, x_desc: np.ndarray, q: float) -> tuple[float, int]:
    n = len(x_desc)
    target = q * cum[-1]
    k = int(np.searchsorted(cum, target, side="left"))  # first k with S_k >= q S
    k = max(k, 1)
    within = (target - cum[k - 1]) / x_desc[k - 1] if x_desc[k - 1] > 0 else 0.0
    return float((k - 1 + within) / n), k


def _events(table: Any, events: str | None) -> str | None:
    """The column counting events: ``events``, else ``crimes`` when present, else None (rows)."""
    if events is not None:
        return events
    names = table.schema.names if hasattr(table, "schema") else list(getattr(table, "columns", []))
    return "crimes" if "crimes" in names else None


def concentration(
    table: Any,
    *,
    unit: str | Sequence[str],
    value: str = "harm_days",
    events: str | None = None,
    units: Any = None,
    complete: bool = False,
) -> pd.Series:
    """How concentrated ``value`` is over units: Gini, generalised Gini, top shares.

    Parameters
    ----------
    table : pandas.DataFrame, pyarrow.Table or path
        A result table (e.g. :func:`crimeharm.harm_index` by area) or scored
        records (:func:`crimeharm.score`); rows are summed per unit.
    unit : str or list of str
        The unit column(s): area, street segment, offender or victim id.
    value : str
        The column to measure (days of harm by default; ``"crimes"`` for
        counts). Values must be numbers ``>= 0``.
    events : str, optional
        Column counting the events behind each row, for the generalised Gini;
        by default ``crimes`` when the table has it, else one event per row.
    units : sequence or pandas.DataFrame, optional
        Every unit to count; listed units without rows count as 0.
    complete : bool
        Also count, as 0, every category of a categorical unit column that has
        no row (see :mod:`crimeharm.analysis.units`).

    Returns
    -------
    pandas.Series
        ``gini``, ``gini_generalised``, ``top_1pct``, ``top_5pct``,
        ``top_10pct``, ``top_20pct`` (shares, 0-1), ``units_50pct``,
        ``units_80pct`` (shares of units), ``units_50pct_count``,
        ``units_80pct_count``, ``units`` (``N``), ``units_with_value``,
        ``total`` (of ``value``, in its unit), ``events`` (``C``), ``no_id_rows`` and
        ``no_id_value``
        (rows without a unit id: left out of the measures, counted here) and
        ``rows_excluded`` (rows of scored records that
        :func:`crimeharm.score` excluded: not crimes of the index).

    Raises
    ------
    ColumnValueError
        Values that are missing, not numbers or negative (naming the column
        and how many).
    EmptyDataError
        No rows, no unit, or a total of 0.

    Examples
    --------
    >>> import pandas as pd, crimeharm
    >>> t = pd.DataFrame({"area": list("ABCD"), "harm_days": [6.0, 2.0, 2.0, 0.0]})
    >>> c = crimeharm.concentration(t, unit="area")
    >>> c[["gini", "top_20pct", "units_50pct"]].round(4).tolist()
    [0.45, 0.48, 0.2083]
    """
    ev_col = _events(table, events)
    needed = [value] + ([ev_col] if ev_col is not None else [])
    totals = totals_for(table, unit=unit, values=needed, units=units, complete=complete)
    _, x_desc, cum, total = _descending(totals, value, then="no concentration to measure")
    x = totals.sums[value]
    n = len(x)
    c = float(totals.sums[ev_col].sum()) if ev_col is not None else float(totals.rows.sum())
    g = gini(x)
    out: dict[str, float] = {"gini": g, "gini_generalised": np.nan}
    if c > 0:
        out["gini_generalised"] = _generalise(g, n, c)
    for p in TOP_SHARES:
        out[f"top_{round(p * 100)}pct"] = _share_at(cum, x_desc, p)
    counts = {}
    for q in HOLDING:
        share, k = _units_holding(cum, x_desc, q)
        out[f"units_{round(q * 100)}pct"] = share
        counts[f"units_{round(q * 100)}pct_count"] = float(k)
    out.update(counts)
    out.update(
        {
            "units": float(n),
            "units_with_value": float((x > 0).sum()),
            "total": total,
            "events": c,
            "no_id_rows": float(totals.no_id_rows),
            "no_id_value": totals.no_id_sums[value],
            "rows_excluded": float(totals.left_out_rows),
        }
    )
    series = pd.Series(out, name=value)
    series.attrs["crimeharm"] = {
        "unit": totals.unit,
        "value": value,
        "events": ev_col or "rows",
        "ties": "units of equal value ordered by unit id, ascending",
        "no_id": NO_ID,
    }
    return series


def lorenz(
    table: Any,
    *,
    unit: str | Sequence[str],
    value: str = "harm_days",
    units: Any = None,
    complete: bool = False,
) -> pd.DataFrame:
    """The Lorenz curve of ``value`` over units, largest first.

    Parameters
    ----------
    table, unit, value, units, complete
        As for :func:`concentration`.

    Returns
    -------
    pandas.DataFrame
        One row per unit in curve order (value descending, ties by unit id):
        the unit column(s), ``value`` (its sum), ``rank`` (1 = largest; equal
        values share the smallest rank), ``units_share`` (``k / N``) and
        ``value_share`` (``S_k / S``, cumulative). The curve starts at
        ``(0, 0)``, which is not a row. ``attrs["crimeharm"]`` has the rows
        without a unit id (``no_id_rows``, ``no_id_value``).

    Examples
    --------
    >>> import pandas as pd, crimeharm
    >>> t = pd.DataFrame({"area": list("ABCD"), "harm_days": [2.0, 6.0, 0.0, 2.0]})
    >>> crimeharm.lorenz(t, unit="area")
      area  harm_days  rank  units_share  value_share
    0    B        6.0     1         0.25          0.6
    1    A        2.0     2         0.50          0.8
    2    D        2.0     2         0.75          1.0
    3    C        0.0     4         1.00          1.0
    """
    totals = totals_for(table, unit=unit, values=[value], units=units, complete=complete)
    order, x_desc, cum, total = _descending(totals, value, then="no curve to draw")
    n = len(x_desc)
    out = totals.keys_at(order)
    out[value] = x_desc
    out["rank"] = competition_rank(x_desc)
    out["units_share"] = np.arange(1, n + 1, dtype=float) / n
    out["value_share"] = cum[1:] / total
    out.attrs["crimeharm"] = {
        "unit": totals.unit,
        "value": value,
        "no_id_rows": totals.no_id_rows,
        "no_id_value": totals.no_id_sums[value],
        "rows_excluded": totals.left_out_rows,
    }
    return out


def competition_rank(x_desc: np.ndarray) -> np.ndarray:
    """Ranks of values sorted largest first: 1 + the number of strictly larger values."""
    n = len(x_desc)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    new = np.empty(n, dtype=bool)
    new[0] = True
    new[1:] = x_desc[1:] != x_desc[:-1]
    start = np.where(new, np.arange(n), 0)
    return np.maximum.accumulate(start) + 1


def check_share(name: str, share: float) -> None:
    """A share option must be a number in (0, 1]."""
    if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share <= 1:
        raise OptionError(
            f"{name}={share!r}; expected a share between 0 (excluded) and 1", values=[share]
        )
