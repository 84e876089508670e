"""Trends: rates per resident, an index with a base period of 100, rolling means.

These work on any table with a period column (:func:`crimeharm.series`,
:func:`crimeharm.harm_index`). Periods are ordered by ``period_start`` when
the table has it, else as the period column's categories (or values) sort.
A cell absent from the table had no crimes: :func:`crimeharm.series` and
:func:`crimeharm.harm_index` leave out empty cells unless ``complete=True``,
so rolling means count missing periods of a group as 0.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from crimeharm.errors import MissingColumnError, OptionError, PeriodError, ShortDataWarning
from crimeharm.scoring.rates import MissingPolicy, add_rates

__all__ = ["index_to_base", "rates", "rolling_mean"]

_DEFAULT = ("chi_days", "crimes")


def _columns(table: pd.DataFrame, columns: Sequence[str] | None) -> list[str]:
    if columns is None:
        columns = [c for c in _DEFAULT if c in table.columns] or ["harm_days", "crimes"]
    cols = [columns] if isinstance(columns, str) else list(columns)
    MissingColumnError.check(list(table.columns), cols, source="table")
    return cols


def _by(table: pd.DataFrame, by: str | Sequence[str] | None) -> list[str]:
    """The ``by`` columns as a list, each checked to be in the table."""
    by_list = [by] if isinstance(by, str) else list(by or [])
    MissingColumnError.check(list(table.columns), by_list, source="table", what="by ")
    return by_list


def _periods(table: pd.DataFrame, period: str) -> list[object]:
    """The table's periods, in time order."""
    MissingColumnError.check(list(table.columns), [period], source="table")
    col = table[period]
    if "period_start" in table.columns:
        firsts = table.groupby(col.astype(object), dropna=True)["period_start"].min()
        return list(firsts.sort_values(kind="stable").index)
    if isinstance(col.dtype, pd.CategoricalDtype):
        return [c for c in col.cat.categories if (col == c).any()]
    return sorted(pd.unique(col.dropna()))


def rates(
    table: pd.DataFrame,
    population: pd.DataFrame | pd.Series,
    *,
    by: str | Sequence[str],
    per: float = 100_000,
    columns: Sequence[str] | None = None,
    missing: MissingPolicy = "raise",
) -> pd.DataFrame:
    """Rates per ``per`` residents of each area (and period or year).

    Parameters
    ----------
    table : pandas.DataFrame
        Harm and crimes by area (and period).
    population : pandas.DataFrame or pandas.Series
        The ``by`` column(s) and ``population``, optionally by ``period``
        (labels as in ``table``) or ``year`` (a period takes the population
        of the calendar year it starts in).
    by : str or list of str
        The area columns.
    per : float
        Rate base in residents: 1,000 or 100,000.
    columns : sequence of str, optional
        Columns to make rates of: ``chi_days`` and ``crimes`` when present,
        else ``harm_days`` and ``crimes``.
    missing : {'raise', 'nan'}
        An area or period without a population: an error naming them, or NaN
        rates with a :class:`~crimeharm.MissingPopulationWarning`.

    Returns
    -------
    pandas.DataFrame
        A copy with ``population`` (residents) and ``<column>_per_<per>``
        (the column's unit, days or crimes, per ``per`` residents).

    Examples
    --------
    >>> t = pd.DataFrame({"area": ["A", "B"], "chi_days": [500.0, 90.0], "crimes": [40, 9]})
    >>> pop = pd.DataFrame({"area": ["A", "B"], "population": [10_000, 3_000]})
    >>> rates(t, pop, by="area", per=1_000)[["area", "chi_days_per_1000", "crimes_per_1000"]]
      area  chi_days_per_1000  crimes_per_1000
    0    A               50.0              4.0
    1    B               30.0              3.0
    """
    out = table.copy()
    add_rates(
        out, _by(table, by), population, per=per, values=_columns(table, columns), missing=missing
    )
    return out


def index_to_base(
    table: pd.DataFrame,
    *,
    base: object,
    by: str | Sequence[str] | None = None,
    period: str = "period",
    columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Each value as an index, the base period = 100, within each group.

    Parameters
    ----------
    table : pandas.DataFrame
        Values by period (and group).
    base : period label
        The base period, as written in the period column.
    by : str or list of str, optional
        Groups indexed apart (areas).
    period : str
        The period column.
    columns : sequence of str, optional
        Columns to index (``chi_days`` and ``crimes`` by default).

    Returns
    -------
    pandas.DataFrame
        A copy with ``<column>_index``: 100 x value / the group's value in the
        base period; NaN where that is 0 or the group has no base row.

    Raises
    ------
    PeriodError
        When ``base`` is not in the table, listing the periods present.

    Examples
    --------
    >>> t = pd.DataFrame({"period": ["2022", "2023", "2024"],
    ...                   "crimes": [200, 180, 150], "chi_days": [4000.0, 4400.0, 3000.0]})
    >>> index_to_base(t, base="2022")[["period", "crimes_index", "chi_days_index"]]
      period  crimes_index  chi_days_index
    0   2022         100.0           100.0
    1   2023          90.0           110.0
    2   2024          75.0            75.0
    """
    cols = _columns(table, columns)
    present = _periods(table, period)
    if base not in present:
        raise PeriodError(
            f"base period {base!r} not in column {period!r}; periods present: {present}",
            column=period,
            values=[base],
            allowed=present,
        )
    by_list = _by(table, by)
    out = table.copy()
    is_base = (table[period].astype(object) == base).to_numpy()
    if by_list:
        keys = [table[c].astype(object) for c in by_list]
        base_rows = table[is_base].groupby([k[is_base] for k in keys], dropna=False)[cols].sum()
        idx = pd.MultiIndex.from_arrays(keys) if len(keys) > 1 else pd.Index(keys[0])
        base_values = base_rows.reindex(idx).to_numpy(dtype=float)
    else:
        base_values = np.broadcast_to(
            table.loc[is_base, cols].sum().to_numpy(dtype=float), (len(table), len(cols))
        )
    with np.errstate(invalid="ignore", divide="ignore"):
        for j, c in enumerate(cols):
            b = base_values[:, j]
            out[f"{c}_index"] = np.where(b != 0, table[c].to_numpy(dtype=float) / b * 100.0, np.nan)
    return out


def rolling_mean(
    table: pd.DataFrame,
    *,
    window: int,
    by: str | Sequence[str] | None = None,
    period: str = "period",
    columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Means over the last ``window`` periods, within each group (the paper: five years).

    Parameters
    ----------
    table : pandas.DataFrame
        Values by period (and group), e.g. ``series(..., period="financial-year")``.
    window : int
        Periods per mean (5 for five years of a yearly table).
    by : str or list of str, optional
        Groups averaged apart (areas).
    period : str
        The period column.
    columns : sequence of str, optional
        Columns to average (``chi_days`` and ``crimes`` by default).

    Returns
    -------
    pandas.DataFrame
        One row per group and period that ends a complete window: the ``by``
        columns, ``period`` (the window's last), ``first_period`` and
        ``<column>_mean_<window>``. A period missing for a group counts as 0.

    Examples
    --------
    >>> t = pd.DataFrame({"period": ["2020", "2021", "2022", "2023"],
    ...                   "chi_days": [10.0, 20.0, 60.0, 40.0], "crimes": [1, 2, 3, 4]})
    >>> rolling_mean(t, window=3)[["first_period", "period", "chi_days_mean_3"]]
      first_period period  chi_days_mean_3
    0         2020   2022             30.0
    1         2021   2023             40.0
    """
    if isinstance(window, bool) or not isinstance(window, int | np.integer) or window < 1:
        raise OptionError(f"window={window!r}; expected a whole number of periods >= 1")
    cols = _columns(table, columns)
    by_list = _by(table, by)
    periods = _periods(table, period)
    if len(periods) < window:
        warnings.warn(
            f"the table has {len(periods)} period(s), fewer than the window of {window}: "
            "no complete window",
            ShortDataWarning,
            stacklevel=2,
        )
    pos = pd.Index(periods).get_indexer(table[period].astype(object))
    keys = [table[c].astype(object) for c in by_list]
    rows = table.assign(_pos=pos)[pos >= 0]
    if by_list:
        groups = rows.groupby([*[k[pos >= 0] for k in keys], "_pos"], dropna=False)[cols].sum()
        wide = (
            groups.unstack("_pos")
            .reindex(
                columns=pd.MultiIndex.from_product([cols, range(len(periods))]), fill_value=0.0
            )
            .fillna(0.0)
        )
    else:
        sums = rows.groupby("_pos")[cols].sum().reindex(range(len(periods)), fill_value=0.0)
        wide = pd.DataFrame(
            [sums.to_numpy(dtype=float).T.reshape(-1)],
            columns=pd.MultiIndex.from_product([cols, range(len(periods))]),
        )
    ends = np.arange(window - 1, len(periods))
    frames = []
    for end in ends:
        part = {}
        for c in cols:
            block = wide[c].to_numpy(dtype=float)[:, end - window + 1 : end + 1]
            part[f"{c}_mean_{window}"] = block.mean(axis=1)
        piece = pd.DataFrame(part, index=wide.index)
        piece.insert(0, "period", periods[end])
        piece.insert(0, "first_period", periods[end - window + 1])
        frames.append(piece)
    if not frames:
        empty = {c: pd.Series(dtype=object) for c in [*by_list, "first_period", "period"]}
        return pd.DataFrame({**empty, **{f"{c}_mean_{window}": [] for c in cols}})
    out = pd.concat(frames)
    if by_list:
        out = out.reset_index().rename(columns={f"level_{i}": c for i, c in enumerate(by_list)})
        out = out.sort_values(by_list, kind="stable")
        out = out[[*by_list, "first_period", "period", *[f"{c}_mean_{window}" for c in cols]]]
    return out.reset_index(drop=True)
