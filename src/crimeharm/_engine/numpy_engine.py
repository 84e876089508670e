"""The numpy engine: the sums made with :func:`numpy.bincount`, for any platform.

Records are scored column by column (:meth:`crimeharm.scoring.rules.Scorer.score_batch`)
and added a batch at a time. It gives the compiled engine's results: the
counts exactly, the harm to rounding (``bincount`` adds a batch's harm to a
cell at once, the compiled loops a record at a time); the test suite runs
both.
"""

from __future__ import annotations

from concurrent.futures import Executor

import numpy as np

from crimeharm._engine.base import Cells, Chain, Engine, Gathered, Rows, Selection

__all__ = ["NumpyEngine"]


class NumpyEngine(Engine):
    """The sums by :func:`numpy.bincount` (see :class:`crimeharm._engine.base.Engine`)."""

    name = "numpy"

    def _accumulate(self, rows: Rows, slot: np.ndarray) -> None:
        gid, _, status, crimes, harm = rows
        slots = self._n_slots
        cell = slot + gid * slots
        harm = np.nan_to_num(harm)
        size = self._cap_g * slots
        for st in np.unique(status):
            flat = self._slabs[self._row_of[st]].reshape(-1, 2)
            mask = status == st
            if mask.all():
                k, w, h = cell, crimes, harm
            else:
                k, h = cell[mask], harm[mask]
                w = crimes[mask] if crimes is not None else None
            flat[:, 0] += np.bincount(k, weights=w, minlength=size)
            flat[:, 1] += np.bincount(k, weights=h, minlength=size)

    def _occupied(self, pool: Executor, slabs: list[np.ndarray], want: Selection) -> Cells:
        order, slots = want.order[:, None], want.slots[None, :]
        occ = np.zeros((len(want.order), len(want.slots)), dtype=bool)
        if want.complete:
            occ[:, want.codes >= 0] = True
        for slab in slabs:
            occ |= slab[order, slots, 0] != 0
        if want.has_included:
            occ |= slabs[0][order, slots, 1] != 0
        j, k = np.nonzero(occ)
        group = want.order[j].astype(np.int32)
        return Cells(group, want.slots[k], want.rank[group], want.codes[k])

    def _gather(self, chain: Chain, cells: Cells, bounds: list[np.ndarray]) -> Gathered:
        g, s = cells.group, cells.slot
        out = {st: (slab[g, s, 0], slab[g, s, 1]) for st, slab in chain}
        total = np.zeros(len(g))
        for st, (crimes, _) in out.items():
            if st:
                total += crimes
        periods: list[np.ndarray | None] = [None, None]
        for k, table in enumerate(bounds):
            periods[k] = np.take(table, cells.period)
        return out, total, periods

    def _zeros(self, shape: tuple[int, ...]) -> np.ndarray:
        return np.zeros(shape)

    def _placed(self, added: list[np.ndarray]) -> None:
        """Nothing to do: numpy maps the memory when it is first written."""
