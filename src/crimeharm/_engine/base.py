"""The one interface of the engines: sums by group x period x status for one call.

:func:`crimeharm._engine.new_engine` makes one :class:`Engine` per call of
:func:`crimeharm.harm_index` or :func:`crimeharm.aggregate`, which use only
its public methods: :meth:`Engine.prepare` (a batch of records to score and
add), :meth:`Engine.add_scored` (records already scored), :meth:`Engine.totals`,
:attr:`Engine.periods_spanned`, :meth:`Engine.memory` and :meth:`Engine.result`.
Its state is its own.

The sums are one dense int64 array per status seen (a *slab*: included,
or an exclusion reason), of shape groups x slots x 3: ``slab[g, s, 0]`` is
crimes and ``slab[g, s, 1:3]`` harm, so the sums of a cell share a cache
line.

Harm is summed exactly, in integers, so that the sums do not depend on the
order of the records, on how they are cut into batches or partitions, or
on the engine. Each record's harm is rounded to the nearest whole number of
units of ``1 / SCALE`` day (:data:`SCALE` is 1e9: every value with at most
nine decimal places, which includes every day value of every shipped
edition, is exact; a finer value moves by at most 5e-10 day). A record's
units ``u`` are added as two limbs, ``u & 0xFFFFFFFF`` to ``slab[..., 1]``
and ``u >> 32`` to ``slab[..., 2]``, so that neither overflows before 2**31
records in one cell (the limbs are carried, :func:`carry`, before the
records added since the last carry, plus the cells, reach 2**30: so that
neither a cell nor a sum over cells, e.g. a rolling window's, overflows);
a record's harm may be up to :data:`MAX_RECORD_DAYS` days. The output's ``harm_days`` is
:func:`days_of` of a cell's limbs: the same integers always give the same
float. Crime counts are int64 sums of whole counts.

Partial sums: the sums of one engine can be added to another's with
:meth:`Engine.merge` (engines of the same ``by``, period and options, fed
different records, e.g. one per partition of a dataset, in any thread or
process); being integers, the merged sums, and so the output, are those of
one engine fed every record. Slot 0 (:data:`UNDATED_SLOT`) holds records without a usable date (and
every record when there is no period); the periods take the slots from 1
on in the order in which the records first reach them, so memory is
bounded by the groups and the periods that occur, never by the number of
records nor by the span of their dates (one record dated 2100 adds one
slot, not a slot per month until then). Room grows geometrically (half as
many groups or period slots again), so a new month seldom re-allocates the
slabs; when the input says which periods its dates span (Parquet
statistics: :meth:`Engine.reserve`), room for them is made at once, so that
records sorted by date do not copy every slab into larger ones as their
months arrive. :meth:`Engine.result` puts the periods in order; what needs every
period between the first and the last (``complete=True``, and rolling
windows, which are summed from the occupied periods after the fact) is
built there, after its size is checked against the memory available
(:mod:`crimeharm._engine.memory`).

What is the same for both engines is here, once; each implementation
(:class:`crimeharm._engine.numpy_engine.NumpyEngine`,
:class:`crimeharm._engine.compiled.CompiledEngine`) supplies the loops that
touch the slabs: :meth:`Engine._accumulate` (add scored rows),
:meth:`Engine._occupied` (the output cells), :meth:`Engine._gather` (their
sums), :meth:`Engine._zeros` and :meth:`Engine._placed` (new slabs' memory),
and may score and add a batch in one pass (by overriding
:meth:`Engine.prepare`).

A split (:class:`Split`, for :func:`crimeharm.series`) keeps the included
records' sums apart by the class of the value of one more column, without
making it a ``by`` column: an included record's status is ``N_STATUS`` plus
the id of its value (at most :data:`MAX_SPLIT` values), each value is given
its class when it is first seen (:meth:`Split.classes`), and the values of
one class share a slab of the same cells, so that memory grows with the
classes, not the values; the values of the class :data:`PLAIN` share the
included records' own slab (status 0). Each value's totals are kept (the statuses' totals,
:meth:`Engine.totals` counting them as included). The output has the
included sums (the classes' slabs added: exact, as without a split) and each
class's (``crimes@<class>``, ``harm_days@<class>``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa

from crimeharm._engine.groups import Groups, Ids
from crimeharm._engine.memory import (
    CELL_BYTES,
    MemoryEstimate,
    available_bytes,
    check_bytes,
    estimate_sums_memory,
)
from crimeharm._threads import pool as threads
from crimeharm.errors import ColumnValueError, OptionError
from crimeharm.reasons import REASONS, SERIES_REASONS, STATUS
from crimeharm.scoring.dates import DAY_BAD
from crimeharm.scoring.periods import Period
from crimeharm.scoring.rules import CodeLookup, Scorer

__all__ = [
    "MAX_RECORD_DAYS",
    "MAX_SPLIT",
    "N_STATUS",
    "PLAIN",
    "SCALE",
    "UNDATED",
    "UNDATED_SLOT",
    "WIDTH",
    "Cells",
    "Chain",
    "Engine",
    "Gathered",
    "Partial",
    "Rows",
    "Selection",
    "Split",
    "Tally",
    "carry",
    "check_harm",
    "days_of",
    "exact_days",
    "is_included",
    "units",
]

#: The period id of a record without a usable date (it goes to :data:`UNDATED_SLOT`);
#: the compiled loops read the same value from ``_markers.pxd``.
UNDATED = np.int64(-(1 << 40))
#: The slot of each group's records without a usable date; periods take the slots after it.
UNDATED_SLOT = 0
#: Status codes: 0 (included) and one per exclusion reason.
N_STATUS = len(REASONS) + 1
#: Values of a split column at most (:class:`Split`): their statuses follow the reasons'
#: (uint8 statuses).
MAX_SPLIT = 200
#: Status codes of every kind: the reasons', then a split's values.
_N_ALL = N_STATUS + MAX_SPLIT
#: The class of a split's values whose sums are not needed apart: kept with the included
#: records' own (:meth:`Split.classes`).
PLAIN = -1
#: The class of a status that is no split value's (each has a slab of its own).
_NO_CLASS = -2
#: Values per cell of a slab: crimes, harm's low limb, harm's high limb (int64 each).
WIDTH = 3
#: Harm units per day: each record's harm is summed as a whole number of 1e-9 day.
SCALE = 1e9
#: The largest harm of one record (days): its units stay well inside int64.
MAX_RECORD_DAYS = 2.0**62 / SCALE
#: The low limb's mask: a record's low 32 bits of units.
_LOW = np.int64(0xFFFFFFFF)
#: Records added since the last carry, plus cells, at which the limbs are carried
#: (each record adds below 2**32 to a low limb, each carried cell holds below 2**32).
_CARRY_EVERY = 1 << 30


def units(harm: np.ndarray) -> np.ndarray:
    """Harm (days, float) as int64 units of ``1 / SCALE`` day, to the nearest; NaN counts 0.

    Raises
    ------
    ColumnValueError
        When a record's harm exceeds :data:`MAX_RECORD_DAYS` days.
    """
    h = check_harm(np.nan_to_num(np.asarray(harm, dtype=np.float64), nan=0.0))
    return np.rint(h * SCALE).astype(np.int64)


def check_harm(harm: np.ndarray) -> np.ndarray:
    """``harm`` (days per record; NaN: none), checked to be at most :data:`MAX_RECORD_DAYS`.

    Raises
    ------
    ColumnValueError
        Naming the first few records' harm beyond it.
    """
    beyond = np.abs(harm) > MAX_RECORD_DAYS  # NaN is not beyond
    if beyond.any():
        bad = harm[beyond][:3].tolist()
        raise ColumnValueError(
            f"harm of a record beyond {MAX_RECORD_DAYS:.3g} days (days x crimes): {bad}; "
            "harm is summed exactly in units of 1e-9 day",
            values=bad,
        )
    return harm


def carry(cells: np.ndarray) -> None:
    """Carry the low limbs of ``cells`` (``[..., 1:3]`` harm limbs) into the high: exact, in place.

    Afterwards each low limb is below 2**32 and the limbs of equal sums are equal.
    """
    lo, hi = cells[..., 1], cells[..., 2]
    hi += lo >> 32
    lo &= _LOW


def days_of(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Days (float64) of harm limbs: carried, then ``(hi * 2**32 + lo) / SCALE``.

    A function of the integers alone, so equal sums give identical floats
    (the compiled loops compute it step by step alike).
    """
    lo, hi = np.asarray(lo, dtype=np.int64), np.asarray(hi, dtype=np.int64)
    hi = hi + (lo >> 32)
    lo = lo & _LOW
    return (hi.astype(np.float64) * 4294967296.0 + lo.astype(np.float64)) / SCALE


def exact_days(lo: int, hi: int) -> float:
    """Days of harm limbs, correctly rounded (Python integers: no overflow)."""
    return ((int(hi) << 32) + int(lo)) / 10**9


#: A batch's offence codes and rows per distinct code, to tally after the batch was
#: added (the one-pass path counts them as it adds); None when they were tallied.
Tally = tuple[CodeLookup, np.ndarray] | None
#: The slabs to read, by status, in the order of the output columns.
Chain = list[tuple[int, np.ndarray]]
#: Crimes and harm at the output cells by status; excluded crimes; period bounds.
Gathered = tuple[dict[int, tuple[np.ndarray, np.ndarray]], np.ndarray, list[np.ndarray | None]]


class Rows(NamedTuple):
    """Scored records, located in the sums."""

    gid: np.ndarray  # group id
    pid: np.ndarray  # period id; UNDATED without a usable date
    status: np.ndarray  # uint8: 0 included, else a reason's code
    crimes: np.ndarray | None  # whole numbers (float64); None: one crime per record
    harm: np.ndarray  # days; NaN adds none


@dataclass(frozen=True)
class Partial:
    """An engine's sums as a list of cells, to add to another engine's (:meth:`Engine.add_partial`).

    What one partition of a distributed run sends back: small (its cells
    with any crimes or harm), picklable, and keyed by values, not by the
    ids of the engine that made it: ``keys`` holds the ``by`` values of
    each of its groups (``group`` indexes them) and ``period`` the period
    id (counted from 1970, in the period's base unit; :data:`UNDATED` for
    records without a usable date), so that partials whose areas and dates
    differ add up. The sums are the engine's integers (crimes; harm as its
    two limbs of units of ``1 / SCALE`` day), so that partials add up
    exactly, in any order. ``rows`` holds the records per status and
    ``spill`` the crimes and harm limbs per status not kept by cell.
    """

    keys: dict[str, pa.Array]
    n_groups: int
    status: np.ndarray  # uint8, per cell
    group: np.ndarray  # int64, per cell
    period: np.ndarray  # int64, per cell
    crimes: np.ndarray  # int64, per cell
    harm_lo: np.ndarray  # int64, per cell: harm's low limb
    harm_hi: np.ndarray  # int64, per cell: harm's high limb
    rows: np.ndarray  # int64, per status
    spill: np.ndarray  # int64, WIDTH per status


@dataclass(frozen=True)
class Selection:
    """Which cells the output has.

    The groups in ``order``, each group's slots in the order of ``slots``
    (int32 slot numbers; ``codes`` the period code of each, -1 for the
    undated slot): a cell is in the output when any slab has crimes there
    or the included records (the first slab, with ``has_included``) have
    harm there, and with ``complete`` every dated slot (code >= 0) of
    every group.
    """

    order: np.ndarray  # group ids, in output order
    rank: np.ndarray  # each group's category code (int32; -1 when read apart)
    slots: np.ndarray  # int32 slot numbers, in output order
    codes: np.ndarray  # int32 period code of each, -1 undated
    has_included: bool
    complete: bool


class Cells(NamedTuple):
    """The output cells (int32 each)."""

    group: np.ndarray
    slot: np.ndarray
    code: np.ndarray  # the group's category code
    period: np.ndarray  # the period's code (its place among the output periods), -1 undated


class Split(ABC):
    """Keep the included records' sums apart by the class of each value of :attr:`column`.

    The engine asks :meth:`classes` for the class of each value when it is
    first seen, and gives :meth:`totals` each value's included crimes and harm
    when its output is made; :attr:`names` names the classes (in the
    output's ``crimes@<name>`` and ``harm_days@<name>``).
    """

    def __init__(self, column: str) -> None:
        self.column = column

    @property
    @abstractmethod
    def names(self) -> list[str]:
        """The classes' names, by class id."""

    @abstractmethod
    def classes(self, values: np.ndarray) -> np.ndarray:
        """The class ids of new values (object array; None: null or blank).

        Ids from 0 (dense), or :data:`PLAIN` for values whose sums are only
        needed in the included records' (the output has no columns for them).
        """

    @abstractmethod
    def totals(self, values: np.ndarray, crimes: np.ndarray, harm: np.ndarray) -> None:
        """Each value's included crimes and harm (days), every record counted once."""


def is_included(status: Any) -> Any:
    """Whether status codes count as included: 0, or a split value's."""
    return (status == 0) | (status >= N_STATUS)


class Engine(ABC):
    """Sums of crimes and harm per status x group x period slot, for one call.

    Parameters
    ----------
    by : sequence of str
        The area columns (none: one group).
    period : Period, optional
        How dates are cut into periods (none: one slot for every record).
    excluded_cells : bool
        Keep the sums of excluded records by cell (the ``excluded_*``
        columns); without them, excluded records are counted in totals only.
    split : Split, optional
        Keep the included records' sums apart by the values of one more
        column (see the module docstring).
    """

    #: ``compiled`` or ``numpy``: recorded in the result's ``attrs``.
    name: ClassVar[str]

    def __init__(
        self,
        by: Sequence[str],
        period: Period | None,
        *,
        excluded_cells: bool = True,
        split: Split | None = None,
    ) -> None:
        self._groups = Groups(by)
        self._period = period
        self._excluded_cells = excluded_cells
        self._split = split
        self._split_ids = Ids()  # the split column's values
        self._overflowed = False  # the split column has more than MAX_SPLIT values
        # each status's split class (status 0: PLAIN, with a split), and each class's slab
        self._class_of = np.full(_N_ALL, _NO_CLASS, dtype=np.int64)
        if split is not None:
            self._class_of[0] = PLAIN
        self._class_row: dict[int, int] = {}
        # crimes and harm limbs of statuses without a slab (WIDTH per status, as a cell)
        self._spill = np.zeros(WIDTH * _N_ALL, dtype=np.int64)
        # crimes and harm limbs added to the slabs, per status (WIDTH per status), while
        # every addition went through a loop that counts them (_sums_known): the totals
        # are then read here rather than by summing every slab
        self._slab_sums = np.zeros(WIDTH * _N_ALL, dtype=np.int64)
        self._sums_known = True
        self._carried = 0  # records added when the limbs were last carried
        self._slabs: list[np.ndarray] = []
        self._row_of = np.full(_N_ALL, -1, dtype=np.int64)  # each status's slab, or -1
        self._rows = np.zeros(_N_ALL, dtype=np.int64)  # records added, per status
        self._cap_g = 0  # groups the slabs have room for
        self._cap_s = 0  # period slots the slabs have room for (after the undated slot)
        self._slot_pid = np.zeros(0, dtype=np.int64)  # the period id of slot k + 1
        self._known = np.zeros(0, dtype=np.int64)  # the period ids with a slot, sorted
        self._known_slot = np.zeros(0, dtype=np.int64)  # and their slots
        self._reserved = 0  # period slots to make room for when the slots first grow (reserve)

    # ------------------------------------------------------------------ the interface
    def prepare(
        self, scorer: Scorer, cols: Mapping[str, Any], n: int, *, helper: Executor | None = None
    ) -> Callable[[], Tally]:
        """Read one batch of ``n`` records and return the call that adds it to the sums.

        Runs in the reading thread; the returned call runs in the one thread
        that adds batches, in order, and returns the codes left to tally. Here
        the batch is scored column by column (:meth:`Scorer.score_batch`);
        ``helper``, a thread the one-pass path may use, is not needed.
        """
        scored = scorer.score_batch(cols, n, tally=False)
        window = (scorer.opts.start, scorer.opts.end)
        gid, pid = self._locate(cols, n, scored.period_day, window)
        status = self._split_status(cols, scored.status)
        if status is None:  # overflowed: nothing more is added
            return _nothing
        return partial(self._add_rows, Rows(gid, pid, status, scored.crimes, scored.harm))

    def add_scored(
        self,
        cols: Mapping[str, Any],
        n: int,
        *,
        status: np.ndarray,
        crimes: np.ndarray | None,
        harm: np.ndarray,
        period_day: np.ndarray | None,
        window: tuple[int | None, int | None] = (None, None),
    ) -> None:
        """Add ``n`` scored records: ``cols`` holds their ``by`` columns.

        ``status`` is uint8 (0 included, else a reason's code); ``crimes`` None
        means one crime per record; ``harm`` NaN counts as 0; ``period_day``
        are day numbers, ``DAY_MISSING``/``DAY_BAD`` where undated.
        """
        if self._split is not None:
            raise OptionError("add_scored: records already scored cannot be split")
        gid, pid = self._locate(cols, n, period_day, window)
        self._add_rows(Rows(gid, pid, status, crimes, harm))

    def reserve(self, periods: int) -> None:
        """Make room for ``periods`` period slots as soon as the slabs need any (a hint).

        For inputs that say up front which periods their dates span (the
        statistics of a Parquet file's date column): records sorted by date
        would otherwise bring a new period every few batches, and the slabs
        would be copied into larger ones several times over. The room is
        taken only while the slabs it makes take at most half the memory
        available; the periods that do occur still get their slots in the
        order the records reach them.
        """
        self._reserved = max(int(periods), 0)

    @property
    def by(self) -> list[str]:
        """The area columns."""
        return self._groups.by

    @property
    def overflowed(self) -> bool:
        """Whether the split column has more than :data:`MAX_SPLIT` values: the sums are unusable.

        The batches read after it are not added; the caller sums the records otherwise.
        """
        return self._overflowed

    @property
    def split_column(self) -> str | None:
        """The column whose values the included sums are kept apart by (:class:`Split`)."""
        return None if self._split is None else self._split.column

    @property
    def period(self) -> Period | None:
        """How dates are cut into periods."""
        return self._period

    @property
    def periods_spanned(self) -> int:
        """Periods from the first dated record's to the last's, inclusive (0 without any)."""
        if not len(self._known):
            return 0
        return int(self._known[-1] - self._known[0]) + 1

    def memory(self) -> MemoryEstimate:
        """The memory the sums take now, with a one-line account (see :mod:`.memory`)."""
        return estimate_sums_memory(
            groups=self._cap_g,
            periods=self._cap_s,
            statuses=len(self._slabs),
            undated=True,
        )

    def totals(self) -> dict[int, tuple[int, float, float]]:
        """Rows, crimes and harm (days, correctly rounded from the exact sum) per status.

        A split's values count as included (status 0).
        """
        sums: dict[int, tuple[int, int, int, int]] = {}
        for s, (rows, crimes, lo, hi) in self._status_sums().items():
            key = 0 if s >= N_STATUS else s
            r0, c0, lo0, hi0 = sums.get(key, (0, 0, 0, 0))
            sums[key] = (r0 + rows, c0 + crimes, lo0 + lo, hi0 + hi)
        return {
            s: (rows, float(crimes), exact_days(lo, hi))
            for s, (rows, crimes, lo, hi) in sorted(sums.items())
        }

    def _status_sums(self) -> dict[int, tuple[int, int, int, int]]:
        """Rows, crimes and harm limbs (Python integers) of each status with records."""
        g = len(self._groups)
        self._carry_if_needed()
        out = {}
        for s in np.flatnonzero(self._rows > 0).tolist():
            crimes, lo, hi = (int(v) for v in self._spill[WIDTH * s : WIDTH * (s + 1)])
            if self._sums_known or s >= N_STATUS:  # a split value's: its slab is its class's
                c, a, b = (int(v) for v in self._slab_sums[WIDTH * s : WIDTH * (s + 1)])
                crimes, lo, hi = crimes + c, lo + a, hi + b
            elif self._row_of[s] >= 0:
                cells = self._slabs[self._row_of[s]][:g]
                crimes += int(cells[..., 0].sum())
                lo += int(cells[..., 1].sum())
                hi += int(cells[..., 2].sum())
            out[s] = (int(self._rows[s]), crimes, lo, hi)
        return out

    def merge(self, other: Engine) -> None:
        """Add the sums of ``other`` into these (see the module docstring: partial sums).

        ``other`` must have the same ``by`` columns, period and
        ``excluded_cells``; its sums are unchanged. They are added as its
        :meth:`partial`, by :meth:`add_partial` (one way of adding sums); the
        sums being integers, the result is that of one engine fed the records
        of both.

        Raises
        ------
        OptionError
            When the two engines do not sum alike.
        """
        if self._split is not None or other._split is not None:
            raise OptionError("merge: split sums are not merged")
        if (other._groups.by, other._period, other._excluded_cells) != (
            self._groups.by,
            self._period,
            self._excluded_cells,
        ):
            raise OptionError(
                "merge: the engines differ in by, period or excluded; partial sums "
                "add up only between engines of one call's options"
            )
        self.add_partial(other.partial())

    def partial(self) -> Partial:
        """The sums as a :class:`Partial`: every cell with crimes or harm, by status."""
        if self._split is not None:
            raise OptionError("partial: split sums are not sent as partials")
        g, slots = len(self._groups), self._n_slots
        self._carry_if_needed()
        spill = self._spill.copy()
        slot_ids = np.concatenate([[UNDATED], self._slot_pid]).astype(np.int64)  # UNDATED_SLOT 0
        found: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]] = []
        for s in np.flatnonzero((self._rows > 0) & (self._row_of >= 0)).tolist():
            flat = self._slabs[self._row_of[s]][:g].reshape(-1, WIDTH)
            if s and not self._excluded_cells:  # counted in totals only
                spill[WIDTH * s : WIDTH * (s + 1)] += flat.sum(axis=0)
                continue
            at = np.flatnonzero(flat.any(axis=1))
            gi, si = np.divmod(at, slots)
            pid = slot_ids[si]
            found.append((s, gi, pid, flat[at]))

        def joined(k: int) -> np.ndarray:
            return np.concatenate([f[k] for f in found]) if found else np.zeros(0, np.int64)

        sums = np.concatenate([f[3] for f in found]) if found else np.zeros((0, WIDTH), np.int64)
        status = [np.full(len(f[1]), f[0], dtype=np.uint8) for f in found]
        return Partial(
            keys=self._groups.keys(),
            n_groups=g if self._groups.by else int(self._rows.any()),
            status=np.concatenate(status) if status else np.zeros(0, np.uint8),
            group=joined(1),
            period=joined(2),
            crimes=sums[:, 0].copy(),
            harm_lo=sums[:, 1].copy(),
            harm_hi=sums[:, 2].copy(),
            rows=self._rows.copy(),
            spill=spill,
        )

    def add_partial(self, part: Partial) -> None:
        """Add the sums of a :class:`Partial` (of an engine with the same ``by`` and period).

        Exact: integers added to integers. A status with records gets its
        sums by cell as if its records had been added here (zeros where its
        cells have none).
        """
        if part.n_groups == 0 and not part.rows.any():
            return
        gid = self._groups.ids(part.keys, part.n_groups)[part.group]
        has_rows = np.flatnonzero(part.rows)
        kept = [s for s in has_rows.tolist() if s == 0 or self._excluded_cells]
        statuses = np.union1d(kept, np.unique(part.status)).astype(np.int64)
        if self._since_carry() + len(part.status) + int(part.rows.sum()) >= _CARRY_EVERY:
            self._carry()
        self._ensure(len(self._groups), _distinct_periods(part.period), statuses)
        self._rows += part.rows
        self._spill += part.spill
        self._sums_known = False
        if not len(gid):
            return
        slot = self._slots_of(part.period)
        for st in np.unique(part.status).tolist():
            m = part.status == st
            cells = self._slabs[self._row_of[st]]
            at = (gid[m], slot[m])
            np.add.at(cells[..., 0], at, part.crimes[m])
            np.add.at(cells[..., 1], at, part.harm_lo[m])
            np.add.at(cells[..., 2], at, part.harm_hi[m])

    def result(
        self, *, complete: bool, window: tuple[int | None, int | None] = (None, None)
    ) -> pd.DataFrame:
        """The output table; frees the sums as it reads them.

        The periods are put in order here: with ``complete`` (every period
        between the first and the last for every group; from the period of
        ``window``'s first day to that of its last, the days of ``start``
        and ``end``, where they are given) or rolling windows,
        new slabs in period order are built first, their size checked
        against the memory available. The output cells are found and the
        slabs read on two threads (the compiled loops release the GIL) while
        the area and period columns are built.
        """
        pa.default_memory_pool().release_unused()  # the read buffers are done with
        self._carry_if_needed()  # the running sums of rolling windows cannot overflow
        groups, period = self._groups, self._period
        statuses = self._statuses
        slabs = {st: self._slabs[self._row_of[st]] for st in statuses}
        classes: list[str] = []
        if self._split is not None:
            statuses, slabs, classes = self._split_classes(statuses, slabs)
        self._slabs = []
        self._placed([])
        ids, slots, slabs = self._in_order(slabs, complete=complete, bounds=window)
        n_dated = len(ids)
        order = groups.order()
        categories, rank = groups.categories(order)
        if rank is None:
            rank = np.full(max(len(order), int(order.max(initial=-1)) + 1), -1, dtype=np.int32)
        wanted = Selection(
            order,
            rank,
            slots=np.append(slots, UNDATED_SLOT).astype(np.int32),
            codes=np.append(np.arange(n_dated), -1).astype(np.int32),
            has_included=statuses[:1] == [0],
            complete=complete,
        )
        with threads(2, rows=int(self._rows.sum())) as pool:
            cells = self._occupied(pool, [slabs[st] for st in statuses], wanted)
            n_out = len(cells.group)
            # the slabs are read one after another in a worker thread (the compiled engine
            # writes each slab's two columns into the memory of the slab read before it)
            reasons = [r for r in REASONS if STATUS[r] in slabs or r in SERIES_REASONS]
            if not self._excluded_cells:
                reasons = []
            names = [(0, "crimes", "harm_days")] + [
                (STATUS[r], f"excluded_{r}", f"excluded_harm_{r}") for r in reasons
            ]
            names += [
                (N_STATUS + c, f"crimes@{name}", f"harm_days@{name}")
                for c, name in enumerate(classes)
            ]
            chain = [(st, slabs.pop(st)) for st, _, _ in names if st in slabs]
            bounds = []
            if period is not None:
                nat = np.datetime64("NaT", "s")
                bounds = [np.append(b.astype("datetime64[s]"), nat) for b in period.bounds(ids)]
            gathered = pool.submit(self._gather, chain, cells, bounds)
            del chain
            frame: dict[str, Any] = {}
            if categories is not None:
                frame[groups.by[0]] = pd.Categorical.from_codes(cells.code, categories=categories)
            else:
                # each column's categories in the order of the output's rows, so that they
                # do not depend on the order in which the groups were first seen
                values = groups.values()
                for name in groups.by:
                    ordered = values[name].to_numpy(dtype=object)[order]
                    codes, uniques = pd.factorize(ordered, use_na_sentinel=True)
                    of_group = np.empty(len(values), dtype=codes.dtype)
                    of_group[order] = codes
                    frame[name] = pd.Categorical.from_codes(
                        of_group[cells.group], categories=pd.Index(uniques)
                    )
            columns, total, (period_start, period_end) = gathered.result()
            if period is not None:
                labels = period.labels(ids) if n_dated else np.zeros(0, dtype=object)
                frame["period"] = pd.Categorical.from_codes(
                    cells.period, categories=pd.Index(labels, dtype=object), ordered=True
                )
                frame["period_start"], frame["period_end"] = period_start, period_end
            for st, crimes, harm in names:
                if st in columns:
                    frame[crimes], frame[harm] = columns.pop(st)
                else:  # no records: zeros, which take no memory until written
                    frame[crimes] = np.zeros(n_out, dtype=np.int64)
                    frame[harm] = np.zeros(n_out)
        if self._excluded_cells:
            frame["excluded"] = total
        if not groups.by and period is None and n_out == 0:
            return pd.DataFrame({k: np.zeros(1) for k in frame})  # one row of zero totals
        return pd.DataFrame(frame, copy=False)

    # ------------------------------------------------------------- shared internals
    def _split_status(self, cols: Mapping[str, Any], status: np.ndarray) -> np.ndarray | None:
        """``status`` with each included record's split value's status (a copy), as it is without.

        None when the split column overflowed (:attr:`overflowed`).
        """
        if self._split is None:
            return status
        found = self._split_lookup(cols)
        if found is None:
            return None
        idx, mapping = found
        out = np.array(status, dtype=np.uint8)
        inc = out == 0
        if len(mapping) and inc.any():
            out[inc] = mapping[idx[inc]]  # -1, a null, takes the last entry: the null's
        return out

    def _split_lookup(self, cols: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray] | None:
        """Each row's entry in a table of its split value's status (uint8), and the table.

        None, and :attr:`overflowed` set, once the column has had more than
        :data:`MAX_SPLIT` distinct values.
        """
        assert self._split is not None
        if not self._overflowed:
            before = len(self._split_ids)
            idx, mapping = self._split_ids.lookup(cols[self._split.column], keyed=False)
            self._overflowed = len(self._split_ids) > MAX_SPLIT
            if not self._overflowed and len(self._split_ids) > before:  # new values: classes
                new = self._split_ids.values()[before:]
                classes = np.asarray(self._split.classes(new), dtype=np.int64)
                classes[classes < 0] = PLAIN
                self._class_of[N_STATUS + before : N_STATUS + len(self._split_ids)] = classes
        if self._overflowed:
            return None
        return idx, (N_STATUS + mapping).astype(np.uint8)

    def _split_classes(
        self, statuses: list[int], slabs: dict[int, np.ndarray]
    ) -> tuple[list[int], dict[int, np.ndarray], list[str]]:
        """The slabs of a split's classes, and all of them added into status 0's.

        Gives the split each value's totals. Returns the statuses to find the
        output cells in (0 and the reasons'), the slabs (the classes' keyed
        ``N_STATUS + class``; :data:`PLAIN`'s is status 0's) and the classes' names.
        """
        assert self._split is not None
        values = self._split_ids.values()
        crimes, harm = np.zeros(len(values)), np.zeros(len(values))
        self._carry_if_needed()
        for k in range(len(values)):  # a value's totals: its status's (never read off a slab)
            at = WIDTH * (N_STATUS + k)
            c, lo, hi = (int(a) + int(b) for a, b in zip(
                self._spill[at : at + WIDTH], self._slab_sums[at : at + WIDTH], strict=True
            ))  # fmt: skip
            crimes[k], harm[k] = c, exact_days(lo, hi)
        self._split.totals(values, crimes, harm)
        kept = [s for s in statuses if s < N_STATUS]
        out = {s: slabs[s] for s in kept}
        of_class = {int(self._class_of[s]): slabs[s] for s in statuses if s >= N_STATUS}
        if not of_class:
            return kept, out, []
        included = of_class.pop(PLAIN, None)
        if included is None:  # the included records' slab, if one was made (zeros), or a new one
            made = self._row_of[0] >= 0
            shape = next(iter(of_class.values())).shape
            included = self._slabs[self._row_of[0]] if made else self._zeros(shape)
        out[0] = included
        kept = [0, *(s for s in kept if s != 0)]
        for c in sorted(of_class):
            included += of_class[c]
            out[N_STATUS + c] = of_class[c]
        return kept, out, list(self._split.names)

    @property
    def _statuses(self) -> list[int]:
        """Status codes of the records added whose sums are kept by cell, in slab order.

        A slab may be allocated for a status no record had (the one-pass path
        allocates one for each status a batch could have); its sums are zero,
        it takes no memory until written, and it is not listed. Without
        ``excluded_cells`` only the included records' (0) are listed.
        """
        order = np.argsort(self._row_of)
        kept = [int(s) for s in order if self._row_of[s] >= 0 and self._rows[s] > 0]
        return kept if self._excluded_cells else [s for s in kept if is_included(s)]

    def _since_carry(self) -> int:
        """Records added since the limbs were last carried, plus the cells of a slab."""
        return int(self._rows.sum()) - self._carried + self._cap_g * (self._cap_s + 1)

    def _carry_if_needed(self) -> None:
        """Carry the limbs when :meth:`_since_carry` reaches ``2**30``."""
        if self._since_carry() >= _CARRY_EVERY:
            self._carry()

    def _carry(self) -> None:
        """Carry every slab's limbs (and the spill's); exact, so any time will do."""
        for slab in self._slabs:
            carry(slab)
        carry(self._spill.reshape(-1, WIDTH))
        carry(self._slab_sums.reshape(-1, WIDTH))
        self._carried = int(self._rows.sum())

    @property
    def _n_slots(self) -> int:
        """Slots per group in the slabs: the undated slot, then room for the periods."""
        return self._cap_s + 1

    def _labels(self, ids: Sequence[int]) -> list[str]:
        """The labels of period ids (for messages)."""
        if self._period is None:
            return []
        return [str(x) for x in self._period.labels(np.asarray(ids, dtype=np.int64))]

    def _in_order(
        self,
        slabs: dict[int, np.ndarray],
        *,
        complete: bool,
        bounds: tuple[int | None, int | None] = (None, None),
    ) -> tuple[np.ndarray, np.ndarray, dict[int, np.ndarray]]:
        """The output periods (ids, ascending), their slots, and the slabs that hold them.

        Without ``complete`` or rolling windows the slabs are read as they
        are, slot by slot in period order. With ``complete``, every period
        from the first to the last, widened to the periods of ``bounds`` (the
        first and last day of ``start``/``end``, None for open); with rolling windows, the complete
        windows (by their last month) that hold any record, or with
        ``complete`` every one: both are new slabs, in period order, whose
        size is checked first (:class:`crimeharm.SumsMemoryError` names the
        first and last period).
        """
        period, n_groups = self._period, len(self._groups)
        pids = self._slot_pid[: len(self._known)]
        by_period = np.argsort(pids, kind="stable")
        ids = pids[by_period]
        rolling = period is not None and period.kind == "rolling"
        if period is None or not len(ids) or not (rolling or complete):
            return ids, by_period + 1, slabs
        lo, hi = int(ids[0]), int(ids[-1])
        if complete and not rolling:  # every period of the window, where it is given
            for day in (d for d in bounds if d is not None):
                pid = int(period.ids_from_days(np.array([day], dtype=np.int64))[0])
                lo, hi = min(lo, pid), max(hi, pid)
        if rolling:
            window = period.window
            if complete:
                out = np.arange(lo + window - 1, hi + 1, dtype=np.int64)
            else:  # the windows that hold a record: each period's and the window - 1 after it
                ends = (ids[:, None] + np.arange(window, dtype=np.int64)).reshape(-1)
                out = np.unique(ends[(ends >= lo + window - 1) & (ends <= hi)])
        else:
            out = np.arange(lo, hi + 1, dtype=np.int64)
            if len(out) == len(ids):  # no period missing: the slabs as they are
                return ids, by_period + 1, slabs
        need = (len(out) + 1) * n_groups * CELL_BYTES * len(slabs)
        if rolling:  # the running sums, one slab at a time
            need += (len(ids) + 1) * n_groups * CELL_BYTES
        first, last = self._labels([lo, hi])
        check_bytes(
            need,
            f"{'rolling windows' if rolling else 'complete=True'} over the {len(out):,} "
            f"period(s) from {first} to {last} for {n_groups:,} area(s)",
            values=[first, last],
        )
        new = {}
        for st in list(slabs):
            slab = slabs.pop(st)[:n_groups]
            if rolling:
                new[st] = self._rolled(slab, by_period, ids, out, period.window)
            else:
                dense = self._zeros((n_groups, len(out) + 1, WIDTH))
                dense[:, UNDATED_SLOT] = slab[:, UNDATED_SLOT]
                dense[:, 1 + (ids - lo)] = slab[:, 1 + by_period]
                new[st] = dense
            del slab
        return out, np.arange(1, len(out) + 1), new

    def _rolled(
        self,
        slab: np.ndarray,
        by_period: np.ndarray,
        ids: np.ndarray,
        ends: np.ndarray,
        window: int,
    ) -> np.ndarray:
        """Sums over the windows of ``window`` periods ending at ``ends``; the undated slot kept.

        ``ids`` are the occupied periods in order, ``by_period`` their slots
        less one; a window's sums are the difference of two running sums
        over the occupied periods.
        """
        g = slab.shape[0]
        running = self._zeros((g, len(ids) + 1, WIDTH))
        np.cumsum(slab[:, 1 + by_period], axis=1, out=running[:, 1:])
        upto = np.searchsorted(ids, ends, side="right")
        before = np.searchsorted(ids, ends - window, side="right")
        rolled = self._zeros((g, len(ends) + 1, WIDTH))
        np.subtract(running[:, upto], running[:, before], out=rolled[:, 1:])
        rolled[:, UNDATED_SLOT] = slab[:, UNDATED_SLOT]
        return rolled

    def _locate(
        self,
        cols: Mapping[str, Any],
        n: int,
        period_day: np.ndarray | None,
        window: tuple[int | None, int | None],
    ) -> tuple[np.ndarray, np.ndarray]:
        """Each record's group id and period id.

        The period id is :data:`UNDATED` without a usable date, without a period, and outside
        ``window`` (the first and last day of ``start``/``end``, None for open): the output has
        only the window's periods.
        """
        gid = self._groups.ids(cols, n)
        pid = np.full(n, UNDATED, dtype=np.int64)
        if self._period is None:
            return gid, pid
        assert period_day is not None  # a period needs a date column (the callers check)
        valid = period_day > DAY_BAD
        if valid.any():
            pid[valid] = self._period.ids_from_days(period_day[valid])
        first, last = window
        if first is not None:
            pid[valid & (period_day < first)] = UNDATED
        if last is not None:
            pid[valid & (period_day > last)] = UNDATED
        return gid, pid

    def _slots_of(self, pid: np.ndarray) -> np.ndarray:
        """The slot of each period id (int64): :data:`UNDATED_SLOT` for ids without a slot."""
        slot = np.full(len(pid), UNDATED_SLOT, dtype=np.int64)
        known = self._known
        if not len(known) or not len(pid):
            return slot
        at = np.searchsorted(known, pid)
        np.minimum(at, len(known) - 1, out=at)
        hit = known[at] == pid
        slot[hit] = self._known_slot[at[hit]]
        return slot

    def _ensure(self, n_groups: int, periods: np.ndarray, statuses: Any) -> None:
        """Make room for ``n_groups`` groups, the period ids ``periods`` and a slab per status.

        Periods without a slot take the next ones. A slab outgrown is
        replaced by a larger copy (its old memory freed), with room for half
        as many groups or period slots again as it needs; the size is
        checked against the memory available first.
        """
        periods = np.asarray(periods, dtype=np.int64)
        fresh = periods[self._slots_of(periods) == UNDATED_SLOT] if len(periods) else periods
        fresh = np.unique(fresh)
        used = len(self._known)
        cap_g, cap_s = self._cap_g, self._cap_s
        if n_groups > cap_g:  # headroom without doubling a large grid
            cap_g = max(n_groups + n_groups // 16, cap_g + cap_g // 16, 64)
        added = [s for s in statuses if self._row_of[s] < 0]
        n_new = self._new_slabs(added)
        if used + len(fresh) > cap_s:
            cap_s = max(used + len(fresh), cap_s + cap_s // 2, 4)
            n_slabs = len(self._slabs) + n_new
            if self._reserved > cap_s and _fits(n_slabs * cap_g * (self._reserved + 1)):
                cap_s = self._reserved
        self._carry_if_needed()
        if len(fresh):
            self._add_periods(fresh, used, cap_s)
        if not added and cap_g == self._cap_g and cap_s == self._cap_s:
            return
        grown = cap_g != self._cap_g or cap_s != self._cap_s
        n_slabs = (len(self._slabs) if grown else 0) + n_new
        span = self._labels([self._known[0], self._known[-1]]) if len(self._known) else []
        check_bytes(
            n_slabs * cap_g * (cap_s + 1) * CELL_BYTES,
            f"the sums of {n_groups:,} area(s) x {len(self._known):,} period(s)"
            + (f" (from {span[0]} to {span[1]})" if span else "")
            + f" x {len(self._slabs) + n_new} status(es)",
            values=span,
        )
        if grown:
            busy = set(self._row_of[(self._row_of >= 0) & (self._rows > 0)].tolist())
            for r, old in enumerate(self._slabs):
                new = self._zeros((cap_g, cap_s + 1, WIDTH))
                if r in busy:  # a slab without records is zeros: left untouched, it takes no memory
                    g, s = old.shape[:2]
                    new[:g, :s] = old
                self._slabs[r] = new
                del old
            self._cap_g, self._cap_s = cap_g, cap_s
        made = []
        for s in added:
            c = int(self._class_of[s])
            if c != _NO_CLASS and c in self._class_row:  # a split value: its class's slab
                self._row_of[s] = self._class_row[c]
                continue
            self._row_of[s] = len(self._slabs)
            if c != _NO_CLASS:
                self._class_row[c] = len(self._slabs)
            self._slabs.append(self._zeros((self._cap_g, self._cap_s + 1, WIDTH)))
            made.append(self._slabs[-1])
        self._placed(made)

    def _new_slabs(self, added: list[int]) -> int:
        """How many slabs the statuses ``added`` need: a split's values share their class's."""
        need = set()
        for s in added:
            c = int(self._class_of[s])
            if c == _NO_CLASS:
                need.add(("status", s))
            elif c not in self._class_row:
                need.add(("class", c))
        return len(need)

    def _add_periods(self, fresh: np.ndarray, used: int, cap_s: int) -> None:
        """Give the new period ids ``fresh`` (sorted) the slots after the ``used`` ones."""
        if cap_s > len(self._slot_pid):
            grown = np.zeros(cap_s, dtype=np.int64)
            grown[:used] = self._slot_pid[:used]
            self._slot_pid = grown
        self._slot_pid[used : used + len(fresh)] = fresh
        known = np.concatenate([self._known, fresh])
        slot = np.concatenate([self._known_slot, np.arange(used + 1, used + 1 + len(fresh))])
        order = np.argsort(known, kind="stable")
        self._known, self._known_slot = known[order], slot[order]

    def _add_rows(self, rows: Rows) -> None:
        """Make room for a batch of rows and add them."""
        if len(rows.status) == 0:
            self._ensure(len(self._groups), np.zeros(0, dtype=np.int64), ())
            return
        counts = np.bincount(rows.status, minlength=_N_ALL)
        periods, statuses = _distinct_periods(rows.pid), np.flatnonzero(counts)
        if not self._excluded_cells and not is_included(statuses).all():
            rows = self._spill_excluded(rows, counts)  # excluded: their totals only
            statuses = statuses[is_included(statuses)]
        self._ensure(len(self._groups), periods, statuses)
        self._rows += counts[:_N_ALL]
        self._sums_known = False  # the slabs are summed when the totals are read
        if self._split is not None:  # except a split's values': their slabs are shared
            split = rows.status >= N_STATUS
            self._add_totals(self._slab_sums, counts, rows, split, range(N_STATUS, _N_ALL))
        if len(rows.status):
            self._accumulate(rows, self._slots_of(rows.pid))

    def _spill_excluded(self, rows: Rows, counts: np.ndarray) -> Rows:
        """Add the excluded rows' crimes and harm to their status totals; the included rows.

        Without excluded cells (``excluded="summary"``) an excluded status
        needs no sums by cell, only its totals (as the one-pass loop keeps
        them): the exact limbs of its harm units, summed here, carried.
        """
        gid, pid, status, crimes, harm = rows
        kept = is_included(status)
        self._add_totals(self._spill, counts, rows, ~kept, range(1, N_STATUS))
        pick = np.flatnonzero(kept)
        return Rows(
            gid[pick], pid[pick], status[pick], None if crimes is None else crimes[pick], harm[pick]
        )

    @staticmethod
    def _add_totals(
        into: np.ndarray, counts: np.ndarray, rows: Rows, among: np.ndarray, statuses: range
    ) -> None:
        """Add the crimes and exact harm limbs of the rows ``among`` to their statuses' in ``into``.

        ``into`` holds three values per status, as a cell; ``statuses`` are those
        the rows ``among`` may have; the limbs are carried.
        """
        if not among.any():
            return
        st, u = rows.status[among], units(rows.harm[among])
        cr = None if rows.crimes is None else np.asarray(rows.crimes)[among]
        for s in np.flatnonzero(counts[statuses.start : statuses.stop]) + statuses.start:
            mine = st == s
            mu = u[mine]
            n = int(counts[s]) if cr is None else int(np.sum(cr[mine], dtype=np.float64))
            at = WIDTH * int(s)
            lo = int(into[at + 1]) + int((mu & _LOW).sum())
            hi = int(into[at + 2]) + int((mu >> 32).sum()) + (lo >> 32)
            into[at : at + WIDTH] = (int(into[at]) + n, lo & 0xFFFFFFFF, hi)

    # ---------------------------------------------------- what each engine supplies
    @abstractmethod
    def _accumulate(self, rows: Rows, slot: np.ndarray) -> None:
        """Add each row's crimes and harm to its cell (group ``rows.gid``, ``slot``; int64).

        The slabs have room for them all.
        """

    @abstractmethod
    def _occupied(self, pool: Executor, slabs: list[np.ndarray], want: Selection) -> Cells:
        """The output cells of the slabs (see :class:`Selection`); ``pool`` has two threads."""

    @abstractmethod
    def _gather(self, chain: Chain, cells: Cells, bounds: list[np.ndarray]) -> Gathered:
        """Each slab's crimes and harm at the output cells, by status; excluded crimes; bounds.

        The excluded crimes are the sum over the statuses other than 0; the
        period bounds are ``bounds[k][cells.period]``, -1 taking the last
        entry. The slabs are not used afterwards.
        """

    @abstractmethod
    def _zeros(self, shape: tuple[int, ...]) -> np.ndarray:
        """A new slab of zeros (int64)."""

    @abstractmethod
    def _placed(self, added: list[np.ndarray]) -> None:
        """Called whenever the slabs change; ``added`` are the new ones (zeros)."""


def _nothing() -> Tally:
    """The addition of a batch that is not added."""
    return None


def _fits(n_cells: int) -> bool:
    """Whether ``n_cells`` cells of sums take at most half the memory available (or unknown)."""
    free = available_bytes()
    return free is None or n_cells * CELL_BYTES <= free // 2


#: Period ids spread over at most this many are found with a table, not by sorting.
_TABLE_SPAN = 1 << 22


def _distinct_periods(pid: np.ndarray) -> np.ndarray:
    """The distinct period ids of a batch, ascending (:data:`UNDATED` left out)."""
    dated = pid[pid != UNDATED]
    if not len(dated):
        return dated
    lo, hi = int(dated.min()), int(dated.max())
    if hi - lo >= _TABLE_SPAN:
        return np.unique(dated)
    seen = np.zeros(hi - lo + 1, dtype=bool)
    seen[dated - lo] = True
    return np.flatnonzero(seen) + lo
