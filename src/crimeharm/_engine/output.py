"""Reading the sums into the output: which cells, and their columns.

See :meth:`crimeharm._engine.accumulate.Accumulator.result`, which calls these.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from crimeharm._engine.kernel import compiled
from crimeharm._engine.memory import fresh

__all__ = ["gather_chain", "occupied", "rolled"]


def rolled(slab: np.ndarray, width: int, window: int) -> np.ndarray:
    """Sums over each complete window of ``window`` slots, by its last slot; undated kept last."""
    g = slab.shape[0]
    e = np.arange(window, width + 1, dtype=np.int64)
    cs = np.zeros((g, width + 1, 2))
    np.cumsum(slab[:, :width], axis=1, out=cs[:, 1:])
    rolled = np.empty((g, len(e) + 1, 2))
    rolled[:, :-1] = cs[:, e] - cs[:, e - window]
    rolled[:, -1] = slab[:, width]
    return rolled


def occupied(
    pool: ThreadPoolExecutor,
    slabs: list[np.ndarray],
    order: np.ndarray,
    rank: np.ndarray | None,
    *,
    has_included: bool,
    n_dated: int,
    complete: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each output cell's group, slot, group category code (``rank``) and period code.

    See :func:`crimeharm._engine._ckernel.occupied`; the groups are split in two halves,
    one per thread. The category codes are -1 without ``rank``.
    """
    n_slots = n_dated + 1
    if rank is None:
        rank = np.full(max(len(order), int(order.max(initial=-1)) + 1), -1, dtype=np.int32)
    ck = compiled()
    if ck is not None and slabs and len(slabs) <= 64:
        ptrs = np.array([a.ctypes.data for a in slabs], dtype=np.int64)
        common = (ptrs, n_slots, has_included, order)
        tail = (n_dated, complete, rank)
        # one pass: each half writes into room for all its cells (memory not written is
        # never mapped), then the second half is moved to follow the first
        half = len(order) // 2
        room = len(order) * n_slots
        out = [fresh(room, np.int32) for _ in range(4)]
        at = half * n_slots
        done = [
            pool.submit(ck.occupied, *common, a, b, *tail, start, *out)
            for a, b, start in ((0, half, 0), (half, len(order), at))
        ]
        m1, m2 = (f.result() for f in done)
        for arr in out:
            arr[m1 : m1 + m2] = arr[at : at + m2]
        return out[0][: m1 + m2], out[1][: m1 + m2], out[2][: m1 + m2], out[3][: m1 + m2]
    occ = np.zeros((len(order), n_slots), dtype=bool)
    if complete:
        occ[:, :n_dated] = True
    for slab in slabs:
        occ |= slab[order, :, 0] != 0
    if has_included:
        occ |= slabs[0][order, :, 1] != 0
    j, slot = np.nonzero(occ)
    g_out = order[j].astype(np.int32)
    slot = slot.astype(np.int32)
    period = np.where(slot < n_dated, slot, -1).astype(np.int32)
    return g_out, slot, rank[g_out], period


def gather_chain(
    chain: list[tuple[int, np.ndarray]],
    g_out: np.ndarray,
    slot: np.ndarray,
    period_code: np.ndarray,
    bounds: list[np.ndarray],
) -> tuple[dict[int, tuple[np.ndarray, np.ndarray]], np.ndarray, list[np.ndarray | None]]:
    """Each slab's crimes and harm at the output cells, by status; excluded crimes; bounds.

    The first slab's columns take new memory; each later slab's are written
    into the memory of the slab before it, which is already mapped (a slab
    holds two values per cell, so it has room for two columns of any subset
    of its cells). The last slab's memory takes the period bounds
    (``bounds[k][period_code]``, -1 taking the last entry).
    """
    ck = compiled()
    n = len(g_out)
    out: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    total = fresh(n, zero=True)
    spare: list[np.ndarray] = []
    for st, slab in chain:
        if ck is None:
            out[st] = (slab[g_out, slot, 0], slab[g_out, slot, 1])
            if st:
                total += out[st][0]
            continue
        out_n, out_h = spare if spare else (fresh(n), fresh(n))
        ck.gather(slab, g_out, slot, out_n, out_h, total if st else total[:0])
        out[st] = (out_n, out_h)
        flat = slab.reshape(-1)
        spare = [flat[:n], flat[n : 2 * n]]
    periods: list[np.ndarray | None] = [None, None]
    for k, table in enumerate(bounds):
        into = spare.pop() if spare else fresh(n)
        if ck is None:
            periods[k] = np.take(table, period_code)
            continue
        ck.take(table.view(np.int64), period_code, into.view(np.int64))
        periods[k] = into.view(table.dtype)
    return out, total, periods
