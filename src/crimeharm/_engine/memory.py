"""Memory for large arrays of sums and output: ordinary pages, mapped up front.

numpy asks the system for transparent huge pages for every large array;
mapping a fresh huge page can stall while the kernel compacts memory, and the
sums (written at random, all at once) and output columns (written once) gain
little from them. :func:`fresh` allocates in ordinary pages; :func:`touch`
maps new sums on two threads before the first batch is added.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from crimeharm._engine.kernel import compiled

__all__ = ["fresh", "touch"]


def fresh(shape: int | tuple[int, ...], dtype: Any = np.float64, *, zero: bool = False) -> Any:
    """A new array (zeros if ``zero``) whose memory is mapped in ordinary pages.

    numpy asks the system for transparent huge pages for large arrays;
    mapping one can stall while the kernel compacts memory (the figures
    measured on the benchmark machine are in docs/benchmarks.md). The sums
    and output columns are written once or in random order, and gain little
    from huge pages.
    """
    arr = np.zeros(shape, dtype) if zero else np.empty(shape, dtype)
    ck = compiled()
    if ck is not None and arr.nbytes >= 1 << 21:
        ck.small_pages(arr.reshape(-1).view(np.uint8))
    return arr


def touch(slabs: list[np.ndarray]) -> None:
    """Map fresh slabs' memory now, on two threads.

    Otherwise the pages of a large grid are mapped one at a time inside the
    accumulation loop of the first batch, on one thread.
    """
    ck = compiled()
    flat = [a.reshape(-1) for a in slabs if a.size >= 1 << 20]
    if ck is None or not flat:
        return

    def second_halves() -> None:
        for a in flat:
            ck.touch(a, a.size // 2, a.size)

    helper = threading.Thread(target=second_halves)
    helper.start()
    for a in flat:
        ck.touch(a, 0, a.size // 2)
    helper.join()
