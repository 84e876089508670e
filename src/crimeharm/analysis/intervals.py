"""Intervals for harm by area and period, for each area's rank, and a flag for one-crime cells.

Harm is a sum of few large and many small weights, so a cell's harm can owe
much to one record. :func:`harm_intervals` scores the records once
(:func:`crimeharm.score`), sums them by area and period as
:func:`crimeharm.harm_index` does (same rows, same ``crimes`` and
``harm_days``, same reconciliation summary in ``attrs``), and adds, per cell:

``harm_low``, ``harm_high``
    An interval for the cell's expected harm, by one of three named methods:

    ``poisson`` (default)
        Compound Poisson: the crimes of a cell arrive as a Poisson process,
        each with its weight in days, so the harm ``S = Σ w`` has variance
        ``V = Σ w²`` (each crime's weight squared; a row of ``count`` c
        gives ``c·w²``). The interval is the gamma interval of Fay & Feuer
        (1997) for a weighted sum of Poisson counts: lower limit the
        ``α/2`` quantile of a gamma with mean ``S`` and variance ``V``
        (shape ``S²/V``, scale ``V/S``), upper limit the ``1 − α/2``
        quantile of a gamma with mean ``S + w_M`` and variance
        ``V + w_M²``, where ``w_M`` is a maximum weight (``max_weight``).
        A gamma follows the skew of a sum dominated by a few heavy weights
        where a normal interval does not, and never goes below 0; with all
        weights 1 it is close to the exact (Garwood) interval for a Poisson
        count. Gamma quantiles are computed by the Wilson-Hilferty
        approximation ``k·θ·(1 − 1/(9k) + z·√(1/(9k)))³`` (Wilson &
        Hilferty 1931), whose error is largest for shape ``k`` near 1 (a
        cell of one crime): there the upper limit is about 0.6% below the
        exact gamma quantile at 95%, and the lower limit about half of it
        (lower, so wider).

        ``max_weight="cell"`` (default) takes ``w_M`` as the largest weight
        among the cell's crimes: the interval is then for the harm of
        crimes of the kinds the cell had. ``max_weight="table"`` takes the
        largest weight among all the table's crimes, Fay & Feuer's own
        rule: every upper limit then allows one more crime of the heaviest
        kind, which keeps coverage at or above the level whatever the mix
        of offences, at the price of wide intervals for small cells.
        Cells without crimes have ``harm_low`` 0 and ``harm_high`` the
        upper limit for no crimes (``−w_M·ln(α/2)``, 3.69·w_M at 95%), with
        ``w_M`` the mean weight of all the table's crimes (``cell``) or the
        largest (``table``).

        Coverage, measured by simulation (``tests/test_intervals.py``, 20,000
        cells each): with Poisson counts of five kinds of offence of 2 to
        1,460 days, each expected at least 5 times in a cell, the 95%
        ``poisson`` interval covers 97% of cells and the ``normal`` one 91%;
        for a count of 3 crimes of equal weight, 99% and 80%. When a cell's
        heaviest kind of crime is rare (5 crimes of 10 days and 1 of 365
        expected), the ``cell`` interval covers 61% (normal: 63%) and only
        ``max_weight="table"`` keeps its level (98%).

    ``normal``
        ``S ± z·√V``, the lower limit cut at 0: the large-sample
        approximation; symmetric, so too narrow above for skewed sums.
        Cells without crimes get ``[0, 0]``.

    ``bootstrap``
        The records that count are resampled with replacement
        ``resamples`` times (seeded by ``seed``: the same call gives the
        same intervals), each replicate summed by cell like the data, and
        the interval is the ``α/2`` and ``1 − α/2`` percentiles of the
        replicates' sums. Cells without crimes get ``[0, 0]``. Memory:
        ``resamples x cells x 8`` bytes.

``rank``, ``rank_low``, ``rank_high``
    The cell's rank by harm among the rows of its period (1 = most harm;
    equal harm shares the smallest rank; with ``complete=True`` every area
    is a row), and an interval for it. With ``bootstrap`` the ranks are
    taken in each replicate and the interval is their percentiles. With
    ``poisson`` and ``normal`` the rank interval is read off the harm
    intervals: ``rank_low`` is 1 + the number of cells whose ``harm_low``
    is above this cell's ``harm_high`` (cells surely ahead), ``rank_high``
    1 + the number of other cells whose ``harm_high`` is above this cell's
    ``harm_low`` (cells that may be ahead). The ranks are nullable integers
    (``Int64``): the blank area (:data:`crimeharm.BLANK_AREA`, the records
    with no area) is not a place, so its rows have harm intervals but no
    rank, and are not counted in the ranks of the others.

``records``, ``max_record_harm``, ``max_record_share``, ``dominant``
    The number of records counted in the cell, the harm of the largest
    one, its share of the cell's harm, and whether that share is above
    ``dominant_share`` (a cell whose harm is mostly one crime).

The method, level and rules are in ``attrs["crimeharm"]["intervals"]``.

References
----------
Fay, M. P. & Feuer, E. J. (1997). Confidence intervals for directly
standardized rates: a method based on the gamma distribution. *Statistics
in Medicine* 16, 791-801.

Wilson, E. B. & Hilferty, M. M. (1931). The distribution of chi-square.
*Proceedings of the National Academy of Sciences* 17, 684-688.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from statistics import NormalDist
from typing import Any, Literal

import numpy as np
import pandas as pd

from crimeharm._engine.groups import BLANK_AREA, label_blank
from crimeharm.errors import OptionError
from crimeharm.scoring.options import (
    DEFAULT_DATE_RANGE,
    SCORE_ARGUMENTS,
    CodeSystem,
    DateFormat,
    DateLike,
    DateRange,
    DateRule,
    FlagBlank,
    FlagUnknown,
    Lag,
    NegativeCounts,
    PeriodBy,
    ScoreOptions,
    UnknownPolicy,
    with_score_parameters,
)
from crimeharm.scoring.periods import Period, parse_period
from crimeharm.scoring.rows import score
from crimeharm.scoring.sums import Excluded, aggregate
from crimeharm.weights.table import WeightTable

__all__ = [
    "IntervalMethod",
    "MaxWeight",
    "compound_poisson_interval",
    "gamma_quantile",
    "harm_intervals",
    "normal_interval",
]

#: The interval methods of :func:`harm_intervals`.
IntervalMethod = Literal["poisson", "normal", "bootstrap"]
#: Which maximum weight the upper limit of the ``poisson`` interval adds.
MaxWeight = Literal["cell", "table"]

_UNDATED = -(1 << 40)


def gamma_quantile(p_z: float, shape: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Quantiles of gamma distributions by the Wilson-Hilferty approximation.

    Parameters
    ----------
    p_z : float
        The standard normal quantile of the probability wanted (``1.96`` for
        0.975).
    shape, scale : numpy.ndarray
        The gammas' shapes ``k`` and scales ``θ`` (mean ``k·θ``).

    Returns
    -------
    numpy.ndarray
        ``k·θ·max(0, 1 − 1/(9k) + z·√(1/(9k)))³``.

    Examples
    --------
    >>> import numpy as np
    >>> float(gamma_quantile(1.959964, np.array([5.0]), np.array([2.0]))[0])  # χ²(10) 97.5%
    20.4...
    """
    shape = np.asarray(shape, dtype=float)
    c = 1.0 / (9.0 * shape)
    t = np.maximum(1.0 - c + p_z * np.sqrt(c), 0.0)
    return shape * np.asarray(scale, dtype=float) * t**3


def compound_poisson_interval(
    harm: np.ndarray,
    sum_sq: np.ndarray,
    max_weight: np.ndarray,
    *,
    level: float = 0.95,
) -> tuple[np.ndarray, np.ndarray]:
    """The gamma (Fay-Feuer) interval for sums of Poisson-weighted crimes.

    Parameters
    ----------
    harm : numpy.ndarray
        ``S``, the harm of each cell (days).
    sum_sq : numpy.ndarray
        ``V``, the sum of each cell's squared crime weights (days²).
    max_weight : numpy.ndarray
        ``w_M`` per cell (days), added to the upper limit.
    level : float
        The confidence level.

    Returns
    -------
    low, high : numpy.ndarray
        The limits (days); ``low`` is 0 where ``harm`` is 0.

    Examples
    --------
    >>> import numpy as np
    >>> lo, hi = compound_poisson_interval(np.array([10.0]), np.array([10.0]), np.array([1.0]))
    >>> round(float(lo[0]), 2), round(float(hi[0]), 2)  # exact Poisson: 4.80, 18.39
    (4.79, 18.39)
    """
    s = np.asarray(harm, dtype=float)
    v = np.asarray(sum_sq, dtype=float)
    wm = np.asarray(max_weight, dtype=float)
    z = NormalDist().inv_cdf(1.0 - (1.0 - level) / 2.0)
    low = np.zeros_like(s)
    pos = (s > 0) & (v > 0)
    low[pos] = gamma_quantile(-z, s[pos] ** 2 / v[pos], v[pos] / s[pos])
    hi_mean, hi_var = s + wm, v + wm**2
    high = np.zeros_like(s)
    ok = hi_var > 0
    high[ok] = gamma_quantile(z, hi_mean[ok] ** 2 / hi_var[ok], hi_var[ok] / hi_mean[ok])
    return low, high


def normal_interval(
    harm: np.ndarray, sum_sq: np.ndarray, *, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """``S ± z·√V``, the lower limit cut at 0 (days)."""
    z = NormalDist().inv_cdf(1.0 - (1.0 - level) / 2.0)
    half = z * np.sqrt(np.asarray(sum_sq, dtype=float))
    s = np.asarray(harm, dtype=float)
    return np.maximum(s - half, 0.0), s + half


def _check(
    method: str, level: float, resamples: int, dominant_share: float, max_weight: str
) -> None:
    OptionError.check_choice("method", method, IntervalMethod)
    OptionError.check_choice("max_weight", max_weight, MaxWeight)
    if isinstance(level, bool) or not isinstance(level, int | float) or not 0 < level < 1:
        raise OptionError(f"level={level!r}; expected a probability between 0 and 1 (e.g. 0.95)")
    if isinstance(resamples, bool) or not isinstance(resamples, int | np.integer) or resamples < 2:
        raise OptionError(f"resamples={resamples!r}; expected a whole number >= 2")
    if (
        isinstance(dominant_share, bool)
        or not isinstance(dominant_share, int | float)
        or not 0 < dominant_share <= 1
    ):
        raise OptionError(f"dominant_share={dominant_share!r}; expected a share in (0, 1]")


def _period_ids(frame: pd.DataFrame, column: str, per: Period) -> np.ndarray:
    """Period ids (of the period's base unit) of a datetime column; undated gets ``_UNDATED``."""
    dates = frame[column].to_numpy(dtype="datetime64[D]")
    out = np.full(len(dates), _UNDATED, dtype=np.int64)
    ok = ~np.isnat(dates)
    if ok.any():
        out[ok] = per.ids_from_days(dates[ok].astype(np.int64))
    return out


def _group_codes(
    table: pd.DataFrame, records: pd.DataFrame, by: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Joint integer codes of the ``by`` values of the table's rows and of the records."""
    n_t = len(table)
    if not by:
        return np.zeros(n_t, dtype=np.int64), np.zeros(len(records), dtype=np.int64)
    packed_t = np.zeros(n_t, dtype=np.int64)
    packed_r = np.zeros(len(records), dtype=np.int64)
    for name in by:
        # the table labels a blank area BLANK_AREA; the records get the same label
        both = pd.concat(
            [table[name].astype(object), label_blank(records[name])], ignore_index=True
        )
        codes, uniques = pd.factorize(both, use_na_sentinel=True)
        codes = codes.astype(np.int64) + 1  # nulls are a value of their own (0)
        radix = len(uniques) + 1
        packed_t = packed_t * radix + codes[:n_t]
        packed_r = packed_r * radix + codes[n_t:]
        both_packed, _ = pd.factorize(np.concatenate([packed_t, packed_r]))
        packed_t, packed_r = both_packed[:n_t].astype(np.int64), both_packed[n_t:].astype(np.int64)
    return packed_t, packed_r


class _Cells:
    """Sums of per-record weights into the table's rows (areas x periods, rolling or not)."""

    def __init__(
        self,
        table: pd.DataFrame,
        records: pd.DataFrame,
        by: list[str],
        per: Period | None,
    ) -> None:
        g_t, g_r = _group_codes(table, records, by)
        self.n_rows = len(table)
        self.rolling = per is not None and per.kind == "rolling"
        if per is None:
            p_t = np.zeros(len(table), dtype=np.int64)
            p_r = np.zeros(len(records), dtype=np.int64)
        else:
            p_r = _period_ids(records, "period_date", per)
            p_t = _period_ids(table, "period_end" if self.rolling else "period_start", per)
        self.period_of_row = p_t
        if not self.rolling:
            index = pd.MultiIndex.from_arrays([g_t, p_t])
            self.row_of = index.get_indexer(pd.MultiIndex.from_arrays([g_r, p_r]))
            if (self.row_of < 0).any():  # pragma: no cover - aggregate makes a row for every cell
                raise RuntimeError("a record's cell has no row in the table")
            return
        window = per.window if per is not None else 1
        dated_r = p_r != _UNDATED
        months = np.concatenate([p_r[dated_r], p_t[p_t != _UNDATED]])
        self.lo = int(months.min()) - window + 1 if months.size else 0
        hi = int(months.max()) if months.size else 0
        self.width = hi - self.lo + 1
        self.n_groups = int(max(g_t.max(initial=-1), g_r.max(initial=-1))) + 1
        self.window = window
        # records: (group, month) slot, undated records in a slot of their own per group
        slot = np.where(dated_r, p_r - self.lo, self.width)
        self.rec_slot = g_r * (self.width + 1) + slot
        dated_t = p_t != _UNDATED
        tslot = np.where(dated_t, p_t - self.lo, self.width)
        self.row_slot = g_t * (self.width + 1) + tslot
        self.row_dated = dated_t

    def sum(self, weights: np.ndarray) -> np.ndarray:
        """Each table row's sum of ``weights`` (one per record)."""
        if not self.rolling:
            return np.bincount(self.row_of, weights=weights, minlength=self.n_rows)
        grid = self._grid(
            np.bincount(self.rec_slot, weights=weights, minlength=self.n_groups * (self.width + 1))
        )
        cs = np.zeros((grid.shape[0], self.width + 1))
        np.cumsum(grid[:, : self.width], axis=1, out=cs[:, 1:])
        rolled = np.zeros_like(grid)
        e = np.arange(self.width)
        start = np.maximum(e - self.window + 1, 0)
        rolled[:, : self.width] = cs[:, e + 1] - cs[:, start]
        rolled[:, self.width] = grid[:, self.width]
        return rolled.reshape(-1)[self.row_slot]

    def max(self, weights: np.ndarray) -> np.ndarray:
        """Each table row's largest ``weights`` value (0 when it has no record)."""
        if not self.rolling:
            out = np.zeros(self.n_rows)
            np.maximum.at(out, self.row_of, weights)
            return out
        flat = np.zeros(self.n_groups * (self.width + 1))
        np.maximum.at(flat, self.rec_slot, weights)
        grid = self._grid(flat)
        dated = grid[:, : self.width]
        padded = np.concatenate([np.zeros((grid.shape[0], self.window - 1)), dated], axis=1)
        windows = np.lib.stride_tricks.sliding_window_view(padded, self.window, axis=1)
        rolled = np.concatenate([windows.max(axis=2), grid[:, self.width :]], axis=1)
        return rolled.reshape(-1)[self.row_slot]

    def _grid(self, flat: np.ndarray) -> np.ndarray:
        return flat.reshape(self.n_groups, self.width + 1)


def _ranks_desc(values: np.ndarray) -> np.ndarray:
    """Competition ranks (1 = largest) along the last axis."""
    order = np.argsort(-values, axis=-1, kind="stable")
    srt = np.take_along_axis(values, order, axis=-1)
    n = values.shape[-1]
    new = np.ones(srt.shape, dtype=bool)
    new[..., 1:] = srt[..., 1:] != srt[..., :-1]
    start = np.where(new, np.arange(n), 0)
    ranks_sorted = np.maximum.accumulate(start, axis=-1) + 1
    ranks = np.empty_like(ranks_sorted)
    np.put_along_axis(ranks, order, ranks_sorted, axis=-1)
    return ranks


def _overlap_ranks(low: np.ndarray, high: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rank bounds from intervals: cells surely ahead, and cells that may be ahead."""
    n = len(low)
    slow, shigh = np.sort(low), np.sort(high)
    ahead_surely = n - np.searchsorted(slow, high, side="right")
    may_be_ahead = n - np.searchsorted(shigh, low, side="right") - (high > low)
    return 1 + ahead_surely, 1 + may_be_ahead


@with_score_parameters
def harm_intervals(
    data: Any,
    *,
    method: IntervalMethod = "poisson",
    level: float = 0.95,
    by: str | Sequence[str] | None = None,
    period: str | Period | None = None,
    complete: bool = False,
    excluded: Excluded = "columns",
    max_weight: MaxWeight = "cell",
    resamples: int = 1000,
    seed: int | None = 0,
    dominant_share: float = 0.5,
    weights: str | WeightTable | None = None,
    code: str = "offence_code",
    code_system: CodeSystem = "auto",
    ambiguity: str | Mapping[str, str] | None = None,
    crosswalk: bool = True,
    date: str | None = None,
    date_to: str | None = None,
    date_rule: DateRule = "start",
    date_format: DateFormat = None,
    date_range: DateRange = DEFAULT_DATE_RANGE,
    reported: str | None = None,
    period_by: PeriodBy = "committed",
    count: str | None = None,
    exclude_police_generated: bool = True,
    police_initiated: str | None = None,
    company_detected: str | None = None,
    flag_blank: FlagBlank = "no",
    flag_unknown: FlagUnknown = "exclude",
    historic_lag: Lag = None,
    start: DateLike = None,
    end: DateLike = None,
    unknown: UnknownPolicy = "exclude",
    negative_counts: NegativeCounts = "exclude",
) -> pd.DataFrame:
    """Harm by area and period with an interval for each cell and its rank.

    See :mod:`crimeharm.analysis.intervals` for the methods and their coverage.

    Parameters
    ----------
    data : pandas.DataFrame, pyarrow.Table, or path
        Records, one per crime (or per area x offence with ``count``).
    method : {'poisson', 'normal', 'bootstrap'}
        The interval: compound-Poisson gamma (Fay-Feuer, Wilson-Hilferty
        quantiles), normal, or percentile bootstrap over records.
    level : float
        Confidence level of the intervals, a share 0-1 (0.95).
    by, period, complete, excluded
        As for :func:`crimeharm.harm_index`.
    max_weight : {'cell', 'table'}
        ``poisson`` only: the weight the upper limit adds, the cell's largest
        or the whole table's largest (Fay & Feuer's rule, conservative).
    resamples : int
        ``bootstrap`` only: the number of replicates.
    seed : int, optional
        ``bootstrap`` only: the seed of the random generator
        (``numpy.random.default_rng``); the same seed gives the same result.
    dominant_share : float
        Flag cells where one record gives more than this share of the harm
        (0-1; 0.5).
    {score_parameters}
    {window_parameters}

    Returns
    -------
    pandas.DataFrame
        The rows and columns of :func:`crimeharm.harm_index` for the same
        call, plus ``records``, ``harm_low``, ``harm_high`` (days), ``rank``,
        ``rank_low``, ``rank_high``, ``max_record_harm`` (days),
        ``max_record_share`` and ``dominant``. ``attrs["crimeharm"]`` is
        harm_index's (edition, options, the reconciliation summary) plus
        ``intervals``: the method, level and rules.

    Examples
    --------
    >>> import pandas as pd, crimeharm
    >>> df = pd.DataFrame({"offence_code": ["001/01", "008/06", "008/06", "034/02"],
    ...                    "area": ["A", "A", "B", "B"]})
    >>> out = crimeharm.harm_intervals(df, by="area")
    >>> out[["area", "harm_days", "harm_low", "harm_high", "rank", "rank_high"]].round(1)
      area  harm_days  harm_low  harm_high  rank  rank_high
    0    A     5485.0      73.2    30468.6     1          2
    1    B      375.0       6.5     2038.1     2          2
    """
    score_args = {k: v for k, v in locals().items() if k in SCORE_ARGUMENTS}
    ScoreOptions.from_arguments(score_args)  # checked before any reading
    _check(method, level, resamples, dominant_share, max_weight)

    by_list = [by] if isinstance(by, str) else list(by or [])
    per = parse_period(period)
    scored = score(data, **score_args)
    table = aggregate(scored, by=by_list, period=per, complete=complete, excluded=excluded)
    meta = dict(table.attrs["crimeharm"])
    # the scoring summary (options, codes) with the table's count of blank areas
    meta["summary"] = {
        **scored.attrs["crimeharm"]["summary"],
        "blank_areas": table.attrs["crimeharm"]["summary"]["blank_areas"],
    }
    included = scored["excluded"].isna().to_numpy()
    records = scored.loc[included]
    days = records["days"].to_numpy(dtype=float)
    crimes = records["crimes"].to_numpy(dtype=float)
    harm = records["harm_days"].to_numpy(dtype=float)
    cells = _Cells(table, records, by_list, per)
    s = cells.sum(harm)
    v = cells.sum(np.abs(crimes) * days**2)
    n_rec = cells.sum(np.ones(len(records)))
    max_w = cells.max(np.where(crimes != 0, days, 0.0))
    max_h = cells.max(np.abs(harm))
    alpha = 1.0 - level
    # the blank area (records with no area) is not a place: it gets intervals but no rank
    unranked = np.zeros(len(table), dtype=bool)
    for name in by_list:
        unranked |= table[name].astype(object).to_numpy() == BLANK_AREA
    groups = [idx[~unranked[idx]] for idx in _period_groups(cells.period_of_row)]
    info: dict[str, Any] = {"method": method, "level": level}
    if method == "bootstrap":
        low, high, r_low, r_high = _bootstrap(
            cells.sum, harm, groups, n_rows=len(s), resamples=resamples, seed=seed, alpha=alpha
        )
        info.update(
            resamples=int(resamples),
            seed=seed,
            interval="percentile bootstrap over the records counted",
            rank_interval="percentiles of each replicate's ranks",
        )
    else:
        if method == "poisson":
            total_crimes = float(np.abs(crimes).sum())
            mean_w = float(np.abs(harm).sum() / total_crimes) if total_crimes else 0.0
            top_w = float(days[crimes != 0].max(initial=0.0))
            if max_weight == "cell":
                wm = np.where(n_rec > 0, max_w, mean_w)
            else:
                wm = np.full(len(s), top_w)
            low, high = compound_poisson_interval(s, v, wm, level=level)
            info.update(
                interval="compound Poisson, gamma (Fay & Feuer 1997), Wilson-Hilferty quantiles",
                max_weight=max_weight,
            )
        else:
            low, high = normal_interval(s, v, level=level)
            info.update(interval="normal: S ± z·√(Σ w²), cut at 0")
        r_low = np.zeros(len(s), dtype=np.int64)
        r_high = np.zeros(len(s), dtype=np.int64)
        for idx in groups:
            r_low[idx], r_high[idx] = _overlap_ranks(low[idx], high[idx])
        info.update(rank_interval="from the harm intervals: cells surely ahead, cells maybe ahead")
    rank = np.zeros(len(s), dtype=np.int64)
    for idx in groups:
        rank[idx] = _ranks_desc(s[idx])
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(s > 0, max_h / s, np.nan)
    table["records"] = n_rec.round().astype(np.int64)
    table["harm_low"] = low
    table["harm_high"] = high
    for col, values in (("rank", rank), ("rank_low", r_low), ("rank_high", r_high)):
        table[col] = pd.array(np.where(unranked, 0, values), dtype="Int64")
        table.loc[unranked, col] = pd.NA
    table["max_record_harm"] = max_h
    table["max_record_share"] = share
    table["dominant"] = np.nan_to_num(share, nan=0.0) > dominant_share
    info.update(
        dominant_share=dominant_share,
        ranks=(
            "within each period; 1 = most harm; equal harm shares the smallest rank; "
            f"the blank area ({BLANK_AREA}) is not ranked"
        ),
    )
    meta["intervals"] = info
    table.attrs["crimeharm"] = meta
    return table


def _period_groups(period_of_row: np.ndarray) -> list[np.ndarray]:
    """The table's row positions, one array per period (undated rows form their own)."""
    if len(period_of_row) == 0:
        return []
    codes, _ = pd.factorize(period_of_row)
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    return np.split(order, bounds)


def _bootstrap(
    cell_sum: Callable[[np.ndarray], np.ndarray],
    harm: np.ndarray,
    groups: list[np.ndarray],
    *,
    n_rows: int,
    resamples: int,
    seed: int | None,
    alpha: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = len(harm)
    reps = np.empty((resamples, n_rows))
    for b in range(resamples):
        times = np.bincount(rng.integers(0, n, n), minlength=n) if n else np.zeros(0)
        reps[b] = cell_sum(harm * times)
    low = np.quantile(reps, alpha / 2, axis=0)
    high = np.quantile(reps, 1 - alpha / 2, axis=0)
    r_low = np.zeros(reps.shape[1], dtype=np.int64)
    r_high = np.zeros(reps.shape[1], dtype=np.int64)
    for idx in groups:
        ranks = _ranks_desc(reps[:, idx])
        r_low[idx] = np.quantile(ranks, alpha / 2, axis=0, method="lower")
        r_high[idx] = np.quantile(ranks, 1 - alpha / 2, axis=0, method="higher")
    return low, high, r_low, r_high
