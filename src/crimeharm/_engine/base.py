"""The one interface of the engines: dense sums by group x period x status for one call.

:func:`crimeharm._engine.new_engine` makes one :class:`Engine` per call of
:func:`crimeharm.harm_index` or :func:`crimeharm.aggregate`, which use only
its public methods: :meth:`Engine.prepare` (a batch of records to score and
add), :meth:`Engine.add_scored` (records already scored), :meth:`Engine.totals`,
:attr:`Engine.periods_spanned` and :meth:`Engine.result`. Its state is its own.

The sums are one dense float64 array per status seen (a *slab*: included, or
an exclusion reason), of shape groups x (periods + 1) x 2: ``slab[g, s, 0]``
is crimes and ``slab[g, s, 1]`` harm (days), so both sums of a cell share a
cache line; the last slot holds records without a usable date. Memory is
bounded by the number of cells, never by the number of records.

What is the same for both engines is here, once; each implementation
(:class:`crimeharm._engine.numpy_engine.NumpyEngine`,
:class:`crimeharm._engine.compiled.CompiledEngine`) supplies the loops that
touch the slabs: :meth:`Engine._accumulate` (add scored rows),
:meth:`Engine._occupied` (the output cells), :meth:`Engine._gather` (their
sums), :meth:`Engine._zeros` and :meth:`Engine._placed` (new slabs' memory),
and may score and add a batch in one pass (by overriding
:meth:`Engine.prepare`).
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

from crimeharm._engine.groups import Groups
from crimeharm._threads import pool as threads
from crimeharm.reasons import REASONS, SERIES_REASONS, STATUS
from crimeharm.scoring.dates import DAY_BAD
from crimeharm.scoring.periods import Period
from crimeharm.scoring.rules import CodeLookup, Scorer

__all__ = [
    "UNDATED",
    "Cells",
    "Chain",
    "Engine",
    "Gathered",
    "Partial",
    "Rows",
    "Selection",
    "Tally",
]

#: The period id of a record without a usable date (it goes to the last slot);
#: the compiled loops read the same value from ``_markers.pxd``.
UNDATED = np.int64(-(1 << 40))
#: Status codes: 0 (included) and one per exclusion reason.
N_STATUS = len(REASONS) + 1

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
    crimes: np.ndarray | None  # None: one crime per record
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
    differ add up. ``periods`` is the lowest and highest period id of the
    dated records (None without any), ``rows`` the records per status and
    ``spill`` the crimes and harm per status not kept by cell.
    """

    keys: dict[str, pa.Array]
    n_groups: int
    periods: tuple[int, int] | None
    status: np.ndarray  # uint8, per cell
    group: np.ndarray  # int64, per cell
    period: np.ndarray  # int64, per cell
    crimes: np.ndarray  # per cell
    harm: np.ndarray  # days, per cell
    rows: np.ndarray  # int64, per status
    spill: np.ndarray  # crimes, harm per status


@dataclass(frozen=True)
class Selection:
    """Which cells the output has.

    The groups in ``order``, each group's slots in order: a cell is in the
    output when any slab has crimes there or the included records (the
    first slab, with ``has_included``) have harm there, and with
    ``complete`` every dated slot (the first ``n_dated``) of every group.
    """

    order: np.ndarray  # group ids, in output order
    rank: np.ndarray  # each group's category code (int32; -1 when read apart)
    n_dated: int
    has_included: bool
    complete: bool


class Cells(NamedTuple):
    """The output cells (int32 each)."""

    group: np.ndarray
    slot: np.ndarray
    code: np.ndarray  # the group's category code
    period: np.ndarray  # the period's code: the slot, -1 when undated


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
    """

    #: ``compiled`` or ``numpy``: recorded in the result's ``attrs``.
    name: ClassVar[str]

    def __init__(
        self, by: Sequence[str], period: Period | None, *, excluded_cells: bool = True
    ) -> None:
        self._groups = Groups(by)
        self._period = period
        self._excluded_cells = excluded_cells
        self._spill = np.zeros(2 * N_STATUS)  # crimes, harm of statuses without a slab
        self._slabs: list[np.ndarray] = []
        self._row_of = np.full(N_STATUS, -1, dtype=np.int64)  # each status's slab, or -1
        self._rows = np.zeros(N_STATUS, dtype=np.int64)  # records added, per status
        self._cap_g = 0
        self._p_lo: int | None = None
        self._width = 0

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
        return partial(self._add_rows, Rows(gid, pid, scored.status, scored.crimes, scored.harm))

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
        gid, pid = self._locate(cols, n, period_day, window)
        self._add_rows(Rows(gid, pid, status, crimes, harm))

    @property
    def by(self) -> list[str]:
        """The area columns."""
        return self._groups.by

    @property
    def period(self) -> Period | None:
        """How dates are cut into periods."""
        return self._period

    @property
    def periods_spanned(self) -> int:
        """Period slots from the first dated record's to the last's (0 without any)."""
        return self._width

    def totals(self) -> dict[int, tuple[int, float, float]]:
        """Rows, crimes and harm per status, read off the sums."""
        g = len(self._groups)
        out = {}
        for s in np.flatnonzero(self._rows > 0).tolist():
            crimes, harm = float(self._spill[2 * s]), float(self._spill[2 * s + 1])
            if self._row_of[s] >= 0:
                cells = self._slabs[self._row_of[s]][:g]
                crimes += float(cells[..., 0].sum())
                harm += float(cells[..., 1].sum())
            out[s] = (int(self._rows[s]), crimes, harm)
        return out

    def partial(self) -> Partial:
        """The sums as a :class:`Partial`: every cell with crimes or harm, by status."""
        g, lo, slots = len(self._groups), self._p_lo or 0, self._n_slots
        spill = self._spill.copy()
        found: list[tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        for s in np.flatnonzero((self._rows > 0) & (self._row_of >= 0)).tolist():
            flat = self._slabs[self._row_of[s]][:g].reshape(-1, 2)
            if s and not self._excluded_cells:  # counted in totals only
                spill[2 * s : 2 * s + 2] += flat.sum(axis=0)
                continue
            at = np.flatnonzero(flat.any(axis=1))
            gi, si = np.divmod(at, slots)
            pid = np.where(si < self._width, si + lo, UNDATED)
            found.append((s, gi, pid, flat[at, 0], flat[at, 1]))

        def joined(k: int, dtype: Any) -> np.ndarray:
            return np.concatenate([f[k] for f in found]) if found else np.zeros(0, dtype)

        status = [np.full(len(f[1]), f[0], dtype=np.uint8) for f in found]
        periods = (lo, lo + self._width - 1) if self._p_lo is not None and self._width else None
        return Partial(
            keys=self._groups.keys(),
            n_groups=g if self._groups.by else int(self._rows.any()),
            periods=periods,
            status=np.concatenate(status) if status else np.zeros(0, np.uint8),
            group=joined(1, np.int64),
            period=joined(2, np.int64),
            crimes=joined(3, np.float64),
            harm=joined(4, np.float64),
            rows=self._rows.copy(),
            spill=spill,
        )

    def add_partial(self, part: Partial) -> None:
        """Add the sums of a :class:`Partial` (of an engine with the same ``by`` and period).

        A status with records gets its sums by cell as if its records had
        been added here (zeros where its cells have none).
        """
        if part.n_groups == 0 and not part.rows.any():
            return
        gid = self._groups.ids(part.keys, part.n_groups)[part.group]
        lo, hi = part.periods if part.periods is not None else (None, None)
        has_rows = np.flatnonzero(part.rows)
        kept = [s for s in has_rows.tolist() if s == 0 or self._excluded_cells]
        statuses = np.union1d(kept, np.unique(part.status)).astype(np.int64)
        self._ensure(len(self._groups), lo, hi, statuses)
        self._rows += part.rows
        self._spill += part.spill
        if len(gid):
            self._accumulate(Rows(gid, part.period, part.status, part.crimes, part.harm))

    def result(self, *, complete: bool) -> pd.DataFrame:
        """The output table; frees the sums as it reads them.

        The output cells are found and the slabs read on two threads (the
        compiled loops release the GIL) while the area and period columns are
        built.
        """
        pa.default_memory_pool().release_unused()  # the read buffers are done with
        groups, period, width = self._groups, self._period, self._width
        n_groups, p_lo = len(groups), self._p_lo or 0
        statuses = self._statuses
        slabs = {st: self._slabs[self._row_of[st]] for st in statuses}
        self._slabs = []
        self._placed([])
        ids = np.arange(p_lo, p_lo + width, dtype=np.int64)
        if period is not None and period.kind == "rolling":
            window = period.window
            ends = ids[window - 1 :] if width >= window else ids[:0]
            for st in statuses:
                slabs[st] = _rolled(slabs[st][:n_groups], width, window)
            ids = ends
        n_dated = len(ids)
        order = groups.order()
        categories, rank = groups.categories(order)
        if rank is None:
            rank = np.full(max(len(order), int(order.max(initial=-1)) + 1), -1, dtype=np.int32)
        wanted = Selection(
            order, rank, n_dated=n_dated, has_included=statuses[:1] == [0], complete=complete
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
                values = groups.values()
                for name in groups.by:
                    codes, uniques = pd.factorize(values[name], use_na_sentinel=True)
                    frame[name] = pd.Categorical.from_codes(
                        codes[cells.group], categories=pd.Index(uniques)
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
                    frame[crimes], frame[harm] = np.zeros(n_out), np.zeros(n_out)
        if self._excluded_cells:
            frame["excluded"] = total
        if not groups.by and period is None and n_out == 0:
            return pd.DataFrame({k: np.zeros(1) for k in frame})  # one row of zero totals
        return pd.DataFrame(frame, copy=False)

    # ------------------------------------------------------------- shared internals
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
        return kept if self._excluded_cells else [s for s in kept if s == 0]

    @property
    def _n_slots(self) -> int:
        """Slots per group: the periods, then one for undated records."""
        return self._width + 1

    def _locate(
        self,
        cols: Mapping[str, Any],
        n: int,
        period_day: np.ndarray | None,
        window: tuple[int | None, int | None],
    ) -> tuple[np.ndarray, np.ndarray]:
        """Each record's group id and period id.

        The period id is :data:`UNDATED` without a usable date and outside ``window`` (the
        first and last day of ``start``/``end``, None for open): the output has only the
        window's periods.
        """
        gid = self._groups.ids(cols, n)
        if self._period is None:
            return gid, np.zeros(n, dtype=np.int64)
        assert period_day is not None  # a period needs a date column (the callers check)
        valid = period_day > DAY_BAD
        pid = np.full(n, UNDATED, dtype=np.int64)
        if valid.any():
            pid[valid] = self._period.ids_from_days(period_day[valid])
        first, last = window
        if first is not None:
            pid[valid & (period_day < first)] = UNDATED
        if last is not None:
            pid[valid & (period_day > last)] = UNDATED
        return gid, pid

    def _ensure(self, n_groups: int, lo: int | None, hi: int | None, statuses: Any) -> None:
        """Make room for ``n_groups`` groups, periods ``lo..hi`` and a slab per status.

        A slab outgrown is replaced by a larger copy (its old memory freed).
        """
        old_lo = self._p_lo
        new_lo, width = old_lo, self._width
        if lo is not None and hi is not None:
            new_lo = lo if old_lo is None else min(old_lo, lo)
            new_hi = hi if old_lo is None else max(old_lo + self._width - 1, hi)
            width = new_hi - new_lo + 1
        cap = self._cap_g
        if n_groups > cap:  # headroom without doubling a large grid
            cap = max(n_groups + n_groups // 16, cap + cap // 16, 64)
        added = [s for s in statuses if self._row_of[s] < 0]
        if not added and cap == self._cap_g and width == self._width:
            return
        if cap != self._cap_g or width != self._width:
            off = 0 if old_lo is None or new_lo is None else old_lo - new_lo
            used = set(self._row_of[(self._row_of >= 0) & (self._rows > 0)].tolist())
            for r, old in enumerate(self._slabs):
                new = self._zeros((cap, width + 1, 2))
                if r in used:  # a slab without records is zeros: left untouched, it takes no memory
                    g = old.shape[0]
                    new[:g, off : off + self._width] = old[:, :-1]
                    new[:g, -1] = old[:, -1]
                self._slabs[r] = new
                del old
            self._cap_g, self._p_lo, self._width = cap, new_lo, width
        for s in added:
            self._row_of[s] = len(self._slabs)
            self._slabs.append(self._zeros((self._cap_g, self._width + 1, 2)))
        self._placed(self._slabs[-len(added) :] if added else [])

    def _add_rows(self, rows: Rows) -> None:
        """Make room for a batch of rows and add them."""
        if len(rows.status) == 0:
            self._ensure(len(self._groups), None, None, ())
            return
        counts = np.bincount(rows.status, minlength=N_STATUS)
        undated = rows.pid == UNDATED
        dated = rows.pid[~undated] if undated.any() else rows.pid
        lo = int(dated.min()) if dated.size else None
        hi = int(dated.max()) if dated.size else None
        self._ensure(len(self._groups), lo, hi, np.flatnonzero(counts))
        self._rows += counts[:N_STATUS]
        self._accumulate(rows)

    # ---------------------------------------------------- what each engine supplies
    @abstractmethod
    def _accumulate(self, rows: Rows) -> None:
        """Add each row's crimes and harm to its cell (the slabs have room for them all)."""

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
        """A new slab of zeros."""

    @abstractmethod
    def _placed(self, added: list[np.ndarray]) -> None:
        """Called whenever the slabs change; ``added`` are the new ones (zeros)."""


def _rolled(slab: np.ndarray, width: int, window: int) -> np.ndarray:
    """Sums over each complete window of ``window`` slots, by its last slot; undated kept last."""
    g = slab.shape[0]
    e = np.arange(window, width + 1, dtype=np.int64)
    cs = np.zeros((g, width + 1, 2))
    np.cumsum(slab[:, :width], axis=1, out=cs[:, 1:])
    rolled = np.empty((g, len(e) + 1, 2))
    rolled[:, :-1] = cs[:, e] - cs[:, e - window]
    rolled[:, -1] = slab[:, width]
    return rolled
