"""The inner loop of the aggregator: add each record's crimes and harm to its cell.

With numba installed (``pip install 'crimeharm[fast]'``) the loop is compiled
once (cached on disk beside this module) and runs in one pass over the records
with the GIL released; without it, the same sums are made with
:func:`numpy.bincount` and :func:`numpy.add.at`. Both give identical results
(the test suite runs both). Set ``CRIMEHARM_NUMBA=0`` to use the numpy path.

The sums live in one float64 array ``A`` of shape (statuses, groups, slots, 2):
``A[r, g, s, 0]`` is crimes and ``A[r, g, s, 1]`` harm (days), so both sums of a
cell share a cache line.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

__all__ = ["accumulate", "kernel_name"]

_KERNEL: Any = None
_TRIED = False


def _compiled() -> Any:
    """The numba kernel, compiled on first use; None without numba or when switched off."""
    global _KERNEL, _TRIED
    if _TRIED:
        return _KERNEL
    _TRIED = True
    if os.environ.get("CRIMEHARM_NUMBA", "1") == "0":
        return None
    try:
        import numba
    except ImportError:
        return None

    @numba.njit(cache=True, nogil=True)
    def kernel(acc, row_of, gid, pid, status, harm, crimes, use_crimes, p_lo, width, undated):
        for i in range(gid.shape[0]):
            p = pid[i]
            s = width if p == undated else p - p_lo
            r = row_of[status[i]]
            g = gid[i]
            if use_crimes:
                acc[r, g, s, 0] += crimes[i]
            else:
                acc[r, g, s, 0] += 1.0
            h = harm[i]
            if h == h:  # NaN (unknown offence) adds no harm
                acc[r, g, s, 1] += h

    # load (or compile and cache) the machine code now, not inside the first batch
    acc = np.zeros((1, 1, 2, 2))
    one = np.zeros(1, dtype=np.int64)
    for ints in (np.int32, np.int64):
        kernel(acc, one, one.astype(ints), one, np.zeros(1, np.uint8), np.zeros(1), np.zeros(1),
               False, 0, 1, -1)  # fmt: skip  # noqa: FBT003
    _KERNEL = kernel
    return _KERNEL


def kernel_name() -> str:
    """``numba`` or ``numpy``: which implementation :func:`accumulate` uses."""
    return "numba" if _compiled() is not None else "numpy"


def accumulate(
    acc: np.ndarray,
    row_of: np.ndarray,
    gid: np.ndarray,
    pid: np.ndarray,
    status: np.ndarray,
    harm: np.ndarray,
    crimes: np.ndarray | None,
    *,
    p_lo: int,
    width: int,
    undated: int,
    any_undated: bool,
) -> None:
    """Add a batch to ``acc`` (see the module docstring); ``row_of[status]`` is its row."""
    kernel = _compiled()
    if kernel is not None:
        kernel(acc, row_of, gid, pid, status, harm,
               crimes if crimes is not None else harm, crimes is not None,
               p_lo, width, undated)  # fmt: skip
        return
    _, cap, slots, _ = acc.shape
    cell = gid * slots + (pid - p_lo)
    if any_undated:
        late = pid == undated
        cell[late] = gid[late] * slots + width
    harm = np.nan_to_num(harm)
    rows = row_of[status]
    size = cap * slots
    flat = acc.reshape(-1)
    included = status == 0
    n_in = int(np.count_nonzero(included))
    if n_in:
        k0 = cell if n_in == len(status) else np.where(included, cell, size)
        r0 = int(row_of[0])
        ones = crimes if crimes is not None else None
        acc[r0, :, :, 0] += np.bincount(k0, weights=ones, minlength=size + 1)[:size].reshape(
            cap, slots
        )
        acc[r0, :, :, 1] += np.bincount(k0, weights=harm, minlength=size + 1)[:size].reshape(
            cap, slots
        )
    if n_in < len(status):
        ex = np.flatnonzero(~included)
        base = (rows[ex] * size + cell[ex]) * 2
        np.add.at(flat, base, 1.0 if crimes is None else crimes[ex])
        np.add.at(flat, base + 1, harm[ex])
