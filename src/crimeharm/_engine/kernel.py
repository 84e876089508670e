"""The inner loops of the aggregator: add each record's crimes and harm to its cell.

The loops are compiled from Cython (``_ckernel.pyx``) when the package is
installed; they run in one pass over the records with the GIL released.
Without the compiled module (a platform where it could not be built), the
same sums are made with :func:`numpy.bincount`, and records are scored
column by column before they are added: the results agree to rounding (the
test suite runs both). Set ``CRIMEHARM_COMPILED=0`` to use the
numpy path.

The sums live in one float64 array per status (a *slab*) of shape (groups,
slots, 2): ``slab[g, s, 0]`` is crimes and ``slab[g, s, 1]`` harm (days), so
both sums of a cell share a cache line (see :mod:`crimeharm._engine.accumulate`).
"""

from __future__ import annotations

import os
from types import ModuleType
from typing import Any

import numpy as np

__all__ = ["accumulate", "compiled", "kernel_name"]


def compiled() -> ModuleType | None:
    """The compiled module, or None when it is missing or switched off."""
    if os.environ.get("CRIMEHARM_COMPILED", "1") == "0":
        return None
    try:
        from crimeharm._engine import _ckernel
    except ImportError:
        return None
    return _ckernel


def kernel_name() -> str:
    """``compiled`` or ``numpy``: which implementation the aggregator uses."""
    return "compiled" if compiled() is not None else "numpy"


def accumulate(
    acc: Any,
    gid: np.ndarray,
    pid: np.ndarray,
    status: np.ndarray,
    harm: np.ndarray,
    crimes: np.ndarray | None,
    *,
    p_lo: int,
    undated: int,
    any_undated: bool,
) -> None:
    """Add a batch to the slabs of ``acc`` (an :class:`.accumulate.Accumulator`)."""
    slots = acc.n_slots
    width = slots - 1
    ck = compiled()
    if ck is not None:
        ck.accumulate(acc.ptrs, acc.cap_g, slots, acc.row_of, gid.astype(np.int64, copy=False),
                      pid, status, harm, crimes if crimes is not None else harm,
                      crimes is not None, p_lo, width, undated)  # fmt: skip
        return
    cell = gid * slots + (pid - p_lo)
    if any_undated:
        late = pid == undated
        cell[late] = gid[late] * slots + width
    harm = np.nan_to_num(harm)
    size = acc.cap_g * slots
    for st in np.unique(status):
        flat = acc.slabs[acc.row_of[st]].reshape(-1, 2)
        mask = status == st
        if mask.all():
            k, w, h = cell, crimes, harm
        else:
            k, h = cell[mask], harm[mask]
            w = crimes[mask] if crimes is not None else None
        flat[:, 0] += np.bincount(k, weights=w, minlength=size)
        flat[:, 1] += np.bincount(k, weights=h, minlength=size)
