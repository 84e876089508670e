"""The compiled engine: the loops of ``_ckernel.pyx``, run without the GIL.

The loops are compiled from Cython when the package is installed (a failed
compile installs the package without them; :func:`load` then returns None
and ``engine="auto"`` takes the numpy engine). Batches whose options allow it
(:func:`crimeharm._engine.fused.eligible`) are scored and added in one pass
over the records; the others are scored column by column, as the numpy
engine does, and added by a compiled loop.

Large arrays of sums and output are allocated in ordinary pages: numpy asks
the system for transparent huge pages for every large array, and mapping a
fresh huge page can stall while the kernel compacts memory, while the sums
(written at random, all at once) and output columns (written once) gain
little from them. New sums are mapped on two threads before the first batch
is added (the figures measured are in docs/benchmarks.md).
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from functools import partial
from types import ModuleType
from typing import Any

import numpy as np

from crimeharm._engine import fused
from crimeharm._engine.base import (
    N_STATUS,
    UNDATED_SLOT,
    Cells,
    Chain,
    Engine,
    Gathered,
    Rows,
    Selection,
    Split,
    Tally,
    check_harm,
    is_included,
    units,
)
from crimeharm.errors import OptionError
from crimeharm.reasons import STATUS
from crimeharm.scoring.periods import Period
from crimeharm.scoring.rules import Scorer

__all__ = ["CompiledEngine", "load"]

_NONE_F64 = np.zeros(0)
#: Arrays at least this large (bytes) are kept off transparent huge pages.
_SMALL_PAGES_FROM = 1 << 21
#: Slabs at least this large (elements) are mapped up front, on two threads.
_TOUCH_FROM = 1 << 20

HOW_TO_BUILD = (
    "the compiled loops (crimeharm._engine._ckernel) are not built in this installation. "
    "They are compiled from Cython when crimeharm is installed from source with a C "
    "compiler present (e.g. gcc; on Debian or Ubuntu: apt-get install build-essential): "
    "reinstall it with `pip install --force-reinstall --no-cache-dir <crimeharm source or "
    "sdist>` and check that `python -c 'import crimeharm._engine._ckernel'` succeeds. "
    "engine='numpy' gives the same results without them."
)


def load() -> ModuleType | None:
    """The compiled module, or None where it was not built."""
    try:
        return importlib.import_module("crimeharm._engine._ckernel")
    except ImportError:
        return None


class CompiledEngine(Engine):
    """The sums by the compiled loops (see :class:`crimeharm._engine.base.Engine`).

    Raises
    ------
    OptionError
        When the compiled module is not built (the message says how to build it).
    """

    name = "compiled"

    def __init__(
        self,
        by: Any,
        period: Period | None,
        *,
        excluded_cells: bool = True,
        split: Split | None = None,
    ) -> None:
        ck = load()
        if ck is None:
            raise OptionError(
                f"engine='compiled': {HOW_TO_BUILD}", values=["compiled"], allowed=["numpy"]
            )
        super().__init__(by, period, excluded_cells=excluded_cells, split=split)
        self._ck = ck
        # the slabs' addresses, for the loops; rebuilt whenever the slabs change (_placed)
        self._ptrs = np.zeros(0, dtype=np.int64)

    def prepare(
        self, scorer: Scorer, cols: Mapping[str, Any], n: int, *, helper: Executor | None = None
    ) -> Callable[[], Tally]:
        """Read one batch for the one-pass loop when it can take it, else as the base does.

        ``helper``, if given, is a thread in which the area columns are matched.
        """
        if n and fused.eligible(scorer.opts):
            prepared = fused.prepare(
                self._ck,
                scorer,
                cols,
                n,
                period=self._period,
                match=self._groups.lookup if self._groups.by else None,
                split=self._split_lookup if self._split is not None else None,
                helper=helper,
            )
            if prepared is not None:
                return partial(self._add_prepared, prepared)
        return super().prepare(scorer, cols, n, helper=helper)

    def _add_prepared(self, p: fused.Prepared) -> Tally:
        """Make room in the sums and run the one-pass loop (the thread that adds batches)."""
        statuses = p.statuses
        if not self._excluded_cells:  # excluded: only counted
            statuses = [s for s in statuses if is_included(s)]
        self._ensure(len(self._groups), p.periods, statuses)
        days = p.days
        if len(days.period):  # days of no row, and implausible days, take the undated slot
            day_slot = self._slots_of(days.period).astype(np.int32)
            if len(days.unplaced):
                day_slot[days.unplaced] = UNDATED_SLOT
        else:  # no period: every record in the undated slot
            day_slot = np.full(len(days.status), UNDATED_SLOT, dtype=np.int32)
        (f1, c1), (f2, c2) = p.flag(0), p.flag(1)
        u_units = units(p.lookup.u_days)  # each code's harm, in units (NaN: 0)
        p.hits = np.zeros(len(p.lookup.u_status), dtype=np.int64)
        skipped = self._ck.add_fused(
            self._ptrs, self._n_slots, self._row_of, self._rows, p.hits, self._spill,
            self._slab_sums,
            p.code, p.lookup.u_status, u_units,
            p.gidx, p.gmap,
            days.value, days.div, days.lo, day_slot, days.status,
            STATUS["missing_date"], STATUS["bad_date"],
            f1, c1, f2, c2,
            p.sidx, p.smap,
        )  # fmt: skip
        if skipped:  # the table is made from this batch's days: cannot happen
            raise RuntimeError(f"internal error: {skipped} row(s) dated outside the day table")
        if self._excluded_cells and self._spill.any():  # a status without its sums by cell
            raise RuntimeError("internal error: records of a status with no sums by cell")
        return p.tally()

    # ---------------------------------------------------------------- the loops
    def _accumulate(self, rows: Rows, slot: np.ndarray) -> None:
        gid, _, status, crimes, harm = rows
        check_harm(harm)
        self._ck.accumulate(
            self._ptrs, self._n_slots, self._row_of, gid.astype(np.int64, copy=False), slot,
            status, harm, _NONE_F64 if crimes is None else crimes,
        )  # fmt: skip

    def _occupied(self, pool: Executor, slabs: list[np.ndarray], want: Selection) -> Cells:
        # the groups are split in two halves, one per thread; each half writes into room
        # for all its cells (memory not written is never mapped), then the second half is
        # moved to follow the first
        order, n_slots = want.order, len(want.slots)
        ptrs = np.array([a.ctypes.data for a in slabs], dtype=np.int64)
        half = len(order) // 2
        room = len(order) * n_slots
        out = [self._fresh(room, np.int32) for _ in range(4)]
        at = half * n_slots

        def cells(start: int, stop: int, into: int) -> int:
            """The cells of the groups ``order[start:stop]``, written from ``into``."""
            return self._ck.occupied(
                ptrs, self._n_slots_of(slabs), want.has_included, order, start, stop,
                want.slots, want.codes, want.complete, want.rank, into, *out,
            )  # fmt: skip

        done = [pool.submit(cells, 0, half, 0), pool.submit(cells, half, len(order), at)]
        m1, m2 = (f.result() for f in done)
        for arr in out:
            arr[m1 : m1 + m2] = arr[at : at + m2]
        return Cells(*(arr[: m1 + m2] for arr in out))

    @staticmethod
    def _n_slots_of(slabs: list[np.ndarray]) -> int:
        """Slots per group of the slabs read (all of one shape)."""
        return slabs[0].shape[1] if slabs else 1

    def _gather(self, chain: Chain, cells: Cells, bounds: list[np.ndarray]) -> Gathered:
        # the first slab's columns take new memory; each later slab's are written into the
        # memory of the slab before it, which is already mapped (a slab holds three values
        # per cell, so it has room for two columns of any subset of its cells); the last
        # slab's memory takes the period bounds
        n = len(cells.group)
        out: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        total = self._fresh(n, np.int64, zero=True)
        spare: list[np.ndarray] = []
        for st, slab in chain:
            out_n, out_h = spare if spare else (self._fresh(n, np.int64), self._fresh(n))
            excluded = 0 < st < N_STATUS  # an exclusion reason's slab (not a split class's)
            self._ck.gather(
                slab, cells.group, cells.slot, out_n, out_h, total if excluded else total[:0]
            )
            out[st] = (out_n, out_h)
            flat = slab.reshape(-1)
            spare = [flat[:n], flat[n : 2 * n].view(np.float64)]
        periods: list[np.ndarray | None] = [None, None]
        for k, table in enumerate(bounds):
            into = spare.pop() if spare else self._fresh(n)
            self._ck.take(table.view(np.int64), cells.period, into.view(np.int64))
            periods[k] = into.view(table.dtype)
        return out, total, periods

    # ------------------------------------------------------------------ memory
    def _fresh(
        self, shape: int | tuple[int, ...], dtype: Any = np.float64, *, zero: bool = False
    ) -> np.ndarray:
        """A new array (zeros if ``zero``) whose memory is mapped in ordinary pages."""
        arr = np.zeros(shape, dtype) if zero else np.empty(shape, dtype)
        if arr.nbytes >= _SMALL_PAGES_FROM:
            self._ck.small_pages(arr.reshape(-1).view(np.uint8))
        return arr

    def _zeros(self, shape: tuple[int, ...]) -> np.ndarray:
        return self._fresh(shape, np.int64, zero=True)

    def _placed(self, added: list[np.ndarray]) -> None:
        """Map the new slabs' memory now, on two threads, and take the slabs' addresses.

        Otherwise the pages of a large grid are mapped one at a time inside the
        accumulation loop of the first batch, on one thread.
        """
        self._ptrs = np.array([a.ctypes.data for a in self._slabs], dtype=np.int64)
        flat = [a.reshape(-1) for a in added if a.size >= _TOUCH_FROM]
        if not flat:
            return

        def second_halves() -> None:
            for a in flat:
                self._ck.touch(a, a.size // 2, a.size)

        helper = threading.Thread(target=second_halves)
        helper.start()
        for a in flat:
            self._ck.touch(a, 0, a.size // 2)
        helper.join()
