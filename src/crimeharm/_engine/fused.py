"""The compiled engine's one pass: a batch read as it is, for the loop that scores and adds it.

For the common options (one offence code column, ``by`` columns whose
values combine in one table per batch, one date column, yes/no flags; no
counts, date ranges, reported dates or historic rule) a batch needs no
per-row arrays of its own: the compiled loop
(:func:`crimeharm._engine._ckernel.add_fused`) reads Arrow's or pandas' buffers as
they are (dictionary indices of codes and areas, day numbers or timestamps,
flags) with small tables per distinct value: each code's status and days,
each area's group id, and each day's period and window status. It follows
the same rules as :meth:`crimeharm.scoring.rules.Scorer.score_batch`, and the
test suite checks that both give identical results.

:func:`prepare` runs in the reading thread (Python objects: the code and area
dictionaries, the tables); the compiled engine adds the :class:`Prepared`
batch in the thread that owns the sums.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from crimeharm.reasons import INCLUDED, STATUS
from crimeharm.scoring.columns import _single, values_view
from crimeharm.scoring.options import ScoreOptions
from crimeharm.scoring.periods import Period
from crimeharm.scoring.rules import CodeLookup, Scorer

__all__ = ["Prepared", "eligible", "prepare"]

#: Largest span of days (about 270 years) a batch's day table may cover;
#: a batch whose dates spread wider takes the column-by-column path.
MAX_DAYS = 100_000
_NONE_U8 = np.zeros(0, dtype=np.uint8)
_NONE_I32 = np.zeros(0, dtype=np.int32)
_NONE_I64 = np.zeros(0, dtype=np.int64)
_PER_DAY = {"s": 86_400, "ms": 86_400_000, "us": 86_400_000_000, "ns": 86_400_000_000_000}


def eligible(opts: ScoreOptions) -> bool:
    """Whether batches scored with these options can take one pass."""
    return (
        opts.count is None
        and opts.date_to is None
        and opts.reported is None
        and opts.historic_lag_days is None
    )


@dataclass
class Days:
    """A batch's dates, for the loop: each row's day value and a table of its days.

    ``value`` holds each row's day number, or timestamp with ``div`` units
    per day (empty without a date column). The table covers the days from
    ``lo`` on, one entry per day: its period id (``period``; empty without a
    period or without dates) and window status (``status``). Days outside
    ``date_range`` are ``implausible_date``; they and the days outside
    ``start``/``end`` are placed in no period (``unplaced``; empty when none
    is); ``periods`` holds the distinct period ids of the rows' placed days,
    ascending (the periods of days in the table that no row has are left out).
    """

    value: np.ndarray = field(default_factory=lambda: _NONE_I32)
    div: int = 1
    lo: int = 0
    period: np.ndarray = field(default_factory=lambda: _NONE_I64)
    status: np.ndarray = field(default_factory=lambda: _NONE_U8)
    unplaced: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    periods: np.ndarray = field(default_factory=lambda: _NONE_I64)


@dataclass
class Prepared:
    """One batch, ready for the compiled loop.

    ``code`` are the rows' entries in ``lookup`` (-1 for null); ``gidx`` the
    rows' entries in ``gmap``, their group ids (both empty without a ``by``
    column); ``flags`` the flag columns (0 or 1) and their reasons' codes;
    ``statuses`` those the batch's records may have. ``hits`` is filled by
    the loop (rows per distinct code). With a split, ``sidx`` are the rows'
    entries in ``smap``, the statuses an included record of each value takes
    (-1, a null, takes the last entry; both empty without a split).
    """

    lookup: CodeLookup
    code: np.ndarray
    gidx: np.ndarray
    gmap: np.ndarray
    days: Days
    flags: list[tuple[np.ndarray, int]]
    statuses: list[int]
    hits: np.ndarray = field(default_factory=lambda: _NONE_I64)
    sidx: np.ndarray = field(default_factory=lambda: _NONE_I32)
    smap: np.ndarray = field(default_factory=lambda: _NONE_U8)

    @property
    def periods(self) -> np.ndarray:
        """The distinct period ids of the batch's plausible dates (none without a period)."""
        return self.days.periods

    def flag(self, k: int) -> tuple[np.ndarray, int]:
        """The ``k``-th flag column and its reason's code; empty when absent."""
        return self.flags[k] if k < len(self.flags) else (_NONE_U8, INCLUDED)

    def tally(self) -> tuple[CodeLookup, np.ndarray]:
        """The codes and their rows, for :meth:`Scorer.tally_codes` once the loop ran."""
        return self.lookup, self.hits


def _day_array(col: Any, scorer: Scorer, name: str) -> tuple[np.ndarray, int]:
    """Day numbers (or timestamps and their units per day) without a pass over the rows."""
    if isinstance(col, pd.Series) and isinstance(col.dtype, np.dtype) and col.dtype.kind == "M":
        unit = np.datetime_data(col.dtype)[0]  # type: ignore[arg-type]  # kind "M": datetime64
        if unit in _PER_DAY or unit == "D":
            values = col.to_numpy().view(np.int64)
            return np.ascontiguousarray(values), _PER_DAY.get(unit, 1)
    arr = _single(col) if isinstance(col, pa.ChunkedArray | pa.Array) else None
    if arr is not None and arr.null_count == 0:
        if pa.types.is_date32(arr.type):
            return values_view(arr, np.int32), 1
        if pa.types.is_timestamp(arr.type) and arr.type.tz is None and arr.type.unit in _PER_DAY:
            return values_view(arr, np.int64), _PER_DAY[arr.type.unit]
    return scorer.days(col, name), 1


def _days(
    ck: ModuleType, scorer: Scorer, col: Any, n: int, period: Period | None, statuses: set[int]
) -> Days | None:
    """The date column read for the loop; adds the date reasons its rows may have to ``statuses``.

    None when the dates span more than :data:`MAX_DAYS` days.
    """
    o = scorer.opts
    value, div = _day_array(col, scorer, o.date or "")
    lo, hi, dated = ck.day_range(value, div)
    if dated and hi - lo >= MAX_DAYS:
        return None
    days = Days(value, div, lo)
    if dated < n:  # some rows have no usable date
        statuses.update((STATUS["missing_date"], STATUS["bad_date"]))
    if dated:
        each = np.arange(lo, hi + 1, dtype=np.int64)
        days.status = np.zeros(len(each), dtype=np.uint8)
        if o.start is not None:
            days.status[each < o.start] = STATUS["outside_window"]
        if o.end is not None:
            days.status[each > o.end] = STATUS["outside_window"]
        outside = days.status.astype(bool)
        if outside.any():
            statuses.add(STATUS["outside_window"])
        # dates outside date_range: implausible_date, placed in no period; dates outside
        # start/end neither (the output has only the window's periods)
        implausible = (each < o.date_range[0]) | (each > o.date_range[1])
        if implausible.any():
            scorer.implausible(np.array([lo, hi], dtype=np.int64))  # the examples in the summary
            days.status[implausible] = STATUS["implausible_date"]
            statuses.add(STATUS["implausible_date"])
        unplaced = implausible | outside
        if unplaced.any():
            days.unplaced = unplaced
        if period is not None:
            days.period = np.zeros(len(each), dtype=np.int64)
            placed = ~unplaced
            if placed.any():
                days.period[placed] = period.ids_from_days(each[placed])
            # the periods of the days the rows have (a day table spans the days between)
            seen = np.zeros(len(each), dtype=np.uint8)
            ck.day_presence(value, div, lo, seen)
            days.periods = np.unique(days.period[seen.view(bool) & placed])
    return days


def prepare(
    ck: ModuleType,
    scorer: Scorer,
    cols: Mapping[str, Any],
    n: int,
    *,
    period: Period | None,
    match: Callable[[Mapping[str, Any]], tuple[np.ndarray, np.ndarray] | None] | None,
    split: Callable[[Mapping[str, Any]], tuple[np.ndarray, np.ndarray] | None] | None = None,
    helper: Executor | None = None,
) -> Prepared | None:
    """Read one batch's columns for the compiled loop (reading thread).

    ``match`` gives each row's entry in a table of group ids and the table
    (see :meth:`crimeharm._engine.groups.Groups.lookup`; None without ``by``
    columns); it runs in the ``helper`` thread, if given, while the offence
    codes are read here (Arrow hashes text without the GIL). Returns None
    when the batch's dates span more than :data:`MAX_DAYS` days, when a
    yes/no value excludes records (``missing_flag``, ``bad_flag``), or when
    the ``by`` columns' combinations are too many for one table; such a
    batch takes the column-by-column path. ``split`` gives each row's entry
    in a table of the statuses its value's included records take, and the
    table (:meth:`crimeharm._engine.base.Engine._split_lookup`; None, so
    None here, when the split overflowed).
    """
    o = scorer.opts
    statuses = {INCLUDED}
    days = Days()
    if o.date is not None:
        read = _days(ck, scorer, cols[o.date], n, period, statuses)
        if read is None:
            return None
        days = read
    read_flags = scorer.read_flags(cols)
    if scorer.flag_exclusions(
        read_flags
    ):  # a reason per value of a flag: the column-by-column path
        return None
    pending = None
    if match is not None:
        pending = helper.submit(match, cols) if helper is not None else None
    lookup = scorer.codes(cols[o.code])
    groups = None
    if match is not None:
        groups = match(cols) if pending is None else pending.result()
        if groups is None:  # too many combinations of the by values for one table
            return None
    scorer.tally_flags(read_flags)
    flags = []
    for _, reason, values in read_flags:
        flag = values.yes.view(np.uint8)
        flags.append((flag, STATUS[reason]))
        if flag.any():
            statuses.add(STATUS[reason])
    has_null_code = bool(len(lookup.codes)) and int(lookup.codes.min()) < 0
    # the last entry is the null code's: its status only when a code is null
    statuses.update(np.unique(lookup.u_status if has_null_code else lookup.u_status[:-1]).tolist())
    gidx, gmap = _NONE_I32, _NONE_I64
    if groups is not None:
        idx, gmap = groups
        gidx = idx.astype(np.int32, copy=False)
        if len(gmap) == 0:  # no values and no nulls: an empty batch
            gidx = _NONE_I32
    code = np.ascontiguousarray(lookup.codes, dtype=np.int32)
    gidx, gmap = np.ascontiguousarray(gidx), np.ascontiguousarray(gmap, dtype=np.int64)
    entries = _split_entries(split, cols, statuses)
    if entries is None:  # the split overflowed
        return None
    sidx, smap = entries
    return Prepared(lookup, code, gidx, gmap, days, flags, sorted(statuses), sidx=sidx, smap=smap)


def _split_entries(
    split: Callable[[Mapping[str, Any]], tuple[np.ndarray, np.ndarray] | None] | None,
    cols: Mapping[str, Any],
    statuses: set[int],
) -> tuple[np.ndarray, np.ndarray] | None:
    """A batch's split entries and table for the loop (empty without a split; None: overflowed).

    Adds the table's statuses to ``statuses``.
    """
    if split is None:
        return _NONE_I32, _NONE_U8
    found = split(cols)
    if found is None:
        return None
    idx, table = found
    if not len(table):
        return _NONE_I32, _NONE_U8
    statuses.update(np.unique(table).tolist())
    return np.ascontiguousarray(idx, dtype=np.int32), np.ascontiguousarray(table, dtype=np.uint8)
