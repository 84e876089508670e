"""Thread pools, and the one rule of when a call does without them.

A call on a few records is over before threads would pay for their start
(about 1 ms each on a loaded machine, several per call): below
:data:`SMALL_ROWS` records the work runs on the calling thread, through an
executor with the same interface.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Any

__all__ = ["SMALL_ROWS", "Inline", "pool"]

#: Below this many records a call starts no thread.
SMALL_ROWS = 65_536


class Inline(Executor):
    """Runs each submitted call at once on the calling thread."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # delivered by result(), as a pool would
            future.set_exception(exc)
        return future


def pool(workers: int, *, rows: int | None) -> Executor:
    """A pool of ``workers`` threads, or :class:`Inline` for fewer than :data:`SMALL_ROWS` rows.

    Parameters
    ----------
    workers : int
        Threads of the pool.
    rows : int or None
        Records the call works on; None when not known (a pool then).
    """
    if rows is not None and rows < SMALL_ROWS:
        return Inline()
    return ThreadPoolExecutor(max_workers=workers)
