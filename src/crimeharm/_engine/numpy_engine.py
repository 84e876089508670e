"""The numpy engine: the sums made with :func:`numpy.bincount`, for any platform.

Records are scored column by column (:meth:`crimeharm.scoring.rules.Scorer.score_batch`)
and added a batch at a time. It gives the compiled engine's results
exactly: the sums are integers (see :mod:`crimeharm._engine.base`), which
``bincount`` adds exactly in float64 a chunk of :data:`CHUNK` records at a
time (each limb of a record's harm is below 2**32, so a chunk's sum of them
is below 2**52); the test suite runs both.
"""

from __future__ import annotations

from concurrent.futures import Executor

import numpy as np

from crimeharm._engine.base import (
    N_STATUS,
    Cells,
    Chain,
    Engine,
    Gathered,
    Rows,
    Selection,
    days_of,
    units,
)

__all__ = ["CHUNK", "NumpyEngine"]

#: Records summed by one ``bincount``: sums of values below 2**32 stay exact in float64.
CHUNK = 1 << 20
#: Counts (crimes) at most this large sum exactly in float64 a chunk at a time.
_EXACT_COUNT = 2.0**53 / CHUNK


class NumpyEngine(Engine):
    """The sums by :func:`numpy.bincount` (see :class:`crimeharm._engine.base.Engine`)."""

    name = "numpy"

    def _accumulate(self, rows: Rows, slot: np.ndarray) -> None:
        gid, _, status, crimes, harm = rows
        # only the slots this batch touches: records sorted by date bring one or two months a
        # batch, so the bincounts are areas x those slots long, not areas x every slot
        lo = int(slot.min()) if len(slot) else 0
        span = int(slot.max()) - lo + 1 if len(slot) else 1
        cell = (slot - lo) + gid * span
        u = units(harm)
        limbs = [u & 0xFFFFFFFF, u >> 32]
        size = self._cap_g * span
        for st in np.unique(status):
            flat = self._slabs[self._row_of[st]][:, lo : lo + span, :]
            mask = None if len(status) and (status == st).all() else status == st
            parts = [crimes, *limbs]
            k = cell if mask is None else cell[mask]
            vals = [v if mask is None or v is None else v[mask] for v in parts]
            for j in range(0, len(k), CHUNK):
                kc = k[j : j + CHUNK]
                for col, v in enumerate(vals):
                    vc = None if v is None else v[j : j + CHUNK]
                    flat[:, :, col] += _exact_bincount(kc, vc, size).reshape(-1, span)

    def _occupied(self, pool: Executor, slabs: list[np.ndarray], want: Selection) -> Cells:
        order, slots = want.order[:, None], want.slots[None, :]
        occ = np.zeros((len(want.order), len(want.slots)), dtype=bool)
        if want.complete:
            occ[:, want.codes >= 0] = True
        for slab in slabs:
            occ |= slab[order, slots, 0] != 0
        if want.has_included:
            occ |= (slabs[0][order, slots, 1] != 0) | (slabs[0][order, slots, 2] != 0)
        j, k = np.nonzero(occ)
        group = want.order[j].astype(np.int32)
        return Cells(group, want.slots[k], want.rank[group], want.codes[k])

    def _gather(self, chain: Chain, cells: Cells, bounds: list[np.ndarray]) -> Gathered:
        g, s = cells.group, cells.slot
        out = {st: (slab[g, s, 0], days_of(slab[g, s, 1], slab[g, s, 2])) for st, slab in chain}
        total = np.zeros(len(g), dtype=np.int64)
        for st, (crimes, _) in out.items():
            if 0 < st < N_STATUS:  # an exclusion reason's (not a split class's)
                total += crimes
        periods: list[np.ndarray | None] = [None, None]
        for k, table in enumerate(bounds):
            periods[k] = np.take(table, cells.period)
        return out, total, periods

    def _zeros(self, shape: tuple[int, ...]) -> np.ndarray:
        return np.zeros(shape, dtype=np.int64)

    def _placed(self, added: list[np.ndarray]) -> None:
        """Nothing to do: numpy maps the memory when it is first written."""


def _exact_bincount(k: np.ndarray, v: np.ndarray | None, size: int) -> np.ndarray:
    """``bincount`` of ``v`` (whole numbers; None: ones) by ``k``, as exact int64 sums.

    At most :data:`CHUNK` values: a limb (below 2**32) or a count at most
    :data:`_EXACT_COUNT` sums exactly in float64; larger counts are added
    with :func:`numpy.add.at` in int64.
    """
    if v is None:
        return np.bincount(k, minlength=size)
    if v.dtype.kind == "f" and len(v) and np.abs(v).max() > _EXACT_COUNT:
        out = np.zeros(size, dtype=np.int64)
        np.add.at(out, k, v.astype(np.int64))
        return out
    return np.bincount(k, weights=v.astype(np.float64, copy=False), minlength=size).astype(np.int64)
