"""The fast path of :func:`crimeharm.harm_index`: score and add a batch in one compiled pass.

For the common options (one offence code column, at most one ``by`` column,
one date column, yes/no flags; no counts, date ranges, reported dates or
historic rule) a batch needs no per-row arrays of its own: the compiled loop
(:func:`crimeharm._engine._ckernel.add_fused`) reads Arrow's or pandas' buffers as
they are (dictionary indices of codes and areas, day numbers or timestamps,
flags) with small tables per distinct value: each code's status and days,
each area's group id, and each day's period slot and window status. It
follows the same rules as :meth:`crimeharm.scoring.rules.Scorer.score_batch`
followed by :meth:`crimeharm._engine.accumulate.Accumulator.add`, and the test suite
checks that both give identical results.

:func:`prepare` runs in the reading thread (Python objects: the code and
area dictionaries, the tallies); :meth:`Prepared.add` runs in the worker
thread that owns the sums.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from crimeharm._engine.accumulate import Accumulator
from crimeharm._engine.kernel import compiled
from crimeharm.reasons import STATUS
from crimeharm.scoring.columns import _single, values_view
from crimeharm.scoring.dates import DAY_BAD, DAY_MISSING
from crimeharm.scoring.options import ScoreOptions
from crimeharm.scoring.periods import Period
from crimeharm.scoring.rules import CodeLookup, Scorer

__all__ = ["Prepared", "eligible", "prepare"]

#: Largest span of days (about 270 years) a batch's period table may cover;
#: a batch whose dates spread wider takes the column-by-column path.
MAX_DAYS = 100_000
_NONE_U8 = np.zeros(0, dtype=np.uint8)
_NONE_I32 = np.zeros(0, dtype=np.int32)
_NONE_I64 = np.zeros(0, dtype=np.int64)
_PER_DAY = {"s": 86_400, "ms": 86_400_000, "us": 86_400_000_000, "ns": 86_400_000_000_000}


def eligible(opts: ScoreOptions, by: Sequence[str]) -> ModuleType | None:
    """The compiled module when these options can take the fast path, else None."""
    if os.environ.get("CRIMEHARM_FUSED", "1") == "0":
        return None
    simple = (
        opts.count is None
        and opts.date_to is None
        and opts.reported is None
        and opts.historic_lag_days is None
        and len(by) <= 1
    )
    return compiled() if simple else None


@dataclass
class Prepared:
    """One batch, ready for the compiled loop."""

    ck: ModuleType
    n: int
    lookup: CodeLookup
    code: np.ndarray
    gidx: np.ndarray
    gmap: np.ndarray
    day: np.ndarray
    div: int
    day_lo: int
    day_hi: int
    dated: int
    flags: list[tuple[np.ndarray, int]]
    has_null_code: bool
    #: first and last plausible day of the rows (None: no row has one)
    span: tuple[int, int] | None = None
    hits: np.ndarray | None = None

    def add(self, acc: Accumulator, opts: ScoreOptions, period: Period | None) -> None:
        """Build the day table, make room in the sums and run the loop (worker thread)."""
        lk = self.lookup
        # the last entry is the null code's: its status only when a code is null
        used = lk.u_status if self.has_null_code else lk.u_status[:-1]
        statuses = {0, *np.unique(used).tolist()}
        statuses.update(code for flag, code in self.flags if flag.any())
        has_day = len(self.day) > 0
        table = np.zeros(0, dtype=np.int32)
        status_table = np.zeros(0, dtype=np.uint8)
        lo = hi = None
        if has_day:
            if self.dated < self.n:  # some rows have no usable date
                statuses.update((STATUS["missing_date"], STATUS["bad_date"]))
            if self.dated:
                days = np.arange(self.day_lo, self.day_hi + 1, dtype=np.int64)
                status_table = np.zeros(len(days), dtype=np.uint8)
                if opts.start is not None:
                    status_table[days < opts.start] = STATUS["outside_window"]
                if opts.end is not None:
                    status_table[days > opts.end] = STATUS["outside_window"]
                if status_table.any():
                    statuses.add(STATUS["outside_window"])
                # dates outside date_range: implausible_date, placed in no period
                implausible = (days < opts.date_range[0]) | (days > opts.date_range[1])
                if implausible.any():
                    status_table[implausible] = STATUS["implausible_date"]
                    statuses.add(STATUS["implausible_date"])
                if period is not None:
                    ids = np.zeros(len(days), dtype=np.int64)
                    if not implausible.all():
                        ids[~implausible] = period.ids_from_days(days[~implausible])
                    if self.span is not None:  # the periods of the rows' plausible days
                        lo, hi = (int(i) for i in period.ids_from_days(np.array(self.span)))
        if not acc.excluded_cells:  # excluded records are only counted
            statuses = {0}
        acc._ensure(len(acc.groups), lo, hi, sorted(statuses))
        undated = acc.width if period is not None else 0
        if has_day and self.dated:
            if period is not None:
                table = np.where(implausible, undated, ids - (acc.p_lo or 0)).astype(np.int32)
            else:
                table = np.zeros(len(status_table), dtype=np.int32)
        f1, c1 = self.flags[0] if self.flags else (_NONE_U8, 0)
        f2, c2 = self.flags[1] if len(self.flags) > 1 else (_NONE_U8, 0)
        self.hits = np.zeros(len(lk.u_status), dtype=np.int64)
        skipped = self.ck.add_fused(
            acc.ptrs, acc.cap_g, acc.n_slots, acc.row_of, acc.rows, self.hits, acc.spill,
            self.code, lk.u_status, lk.u_days,
            self.gidx, self.gmap,
            self.day, self.div, self.day_lo, table, status_table, undated,
            STATUS["missing_date"], STATUS["bad_date"],
            f1, c1, f2, c2,
        )  # fmt: skip
        if skipped:  # the table is made from this batch's days: cannot happen
            raise RuntimeError(f"internal error: {skipped} row(s) dated outside the day table")
        if acc.excluded_cells and acc.spill.any():  # a status without its sums by cell
            raise RuntimeError("internal error: records of a status with no sums by cell")


def _day_array(col: Any, scorer: Scorer, name: str) -> tuple[np.ndarray, int]:
    """Day numbers (or timestamps and their units per day) without a pass over the rows."""
    if isinstance(col, pd.Series) and isinstance(col.dtype, np.dtype) and col.dtype.kind == "M":
        unit = np.datetime_data(col.dtype)[0]
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


def _plausible_span(day: np.ndarray, div: int, window: tuple[int, int]) -> tuple[int, int] | None:
    """First and last day of the rows inside the plausibility window (None: no row's is)."""
    valid = (day != DAY_MISSING) & (day != DAY_BAD)
    d = np.floor_divide(day[valid].astype(np.int64), div)
    d = d[(d >= window[0]) & (d <= window[1])]
    return (int(d.min()), int(d.max())) if len(d) else None


def prepare(
    ck: ModuleType,
    scorer: Scorer,
    acc: Accumulator,
    cols: Mapping[str, Any],
    n: int,
    by: Sequence[str],
    *,
    helper: Executor | None = None,
) -> Prepared | None:
    """Read one batch's columns for the compiled loop (reading thread).

    The area column is matched in the ``helper`` thread, if given, while the
    offence codes, dates and flags are read here (Arrow hashes text without
    the GIL). Returns None when the batch's dates span more than
    :data:`MAX_DAYS` days; it then takes the column-by-column path.
    """
    o = scorer.opts
    day, div, lo, hi, dated = _NONE_I32, 1, 0, -1, 0
    span: tuple[int, int] | None = None
    if o.date is not None:
        day, div = _day_array(cols[o.date], scorer, o.date)
        lo, hi, dated = ck.day_range(day, div)
        if dated and hi - lo >= MAX_DAYS:
            return None
        span = (lo, hi) if dated else None
        if dated and scorer.implausible(np.array([lo, hi], dtype=np.int64)).any():
            span = _plausible_span(day, div, o.date_range)  # lo and hi were examples
    read = scorer.read_flags(cols)
    if scorer.flag_exclusions(read):  # a reason per value of a flag: the column-by-column path
        return None
    scorer.tally_flags(read)
    groups = None
    if by:
        match, col = acc.groups.columns[0].lookup, cols[by[0]]
        groups = match(col) if helper is None else helper.submit(match, col)
    lookup = scorer.codes(cols[o.code])
    gidx, gmap = _NONE_I32, _NONE_I64
    if groups is not None:
        idx, gmap = groups if isinstance(groups, tuple) else groups.result()
        gidx = idx.astype(np.int32, copy=False)
        if len(gmap) == 0:  # no values and no nulls: an empty batch
            gidx = _NONE_I32
    flags = [(f.yes.view(np.uint8), STATUS[reason]) for _, reason, f in read]
    return Prepared(
        ck=ck,
        n=n,
        lookup=lookup,
        code=np.ascontiguousarray(lookup.codes, dtype=np.int32),
        gidx=np.ascontiguousarray(gidx),
        gmap=np.ascontiguousarray(gmap, dtype=np.int64),
        day=day,
        div=div,
        day_lo=lo,
        day_hi=hi,
        dated=dated,
        flags=flags,
        has_null_code=bool(len(lookup.codes)) and int(lookup.codes.min()) < 0,
        span=span,
    )
