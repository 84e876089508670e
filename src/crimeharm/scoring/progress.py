"""Progress of a long run, on stderr: a tqdm bar where tqdm is installed, else a line of text.

``progress=`` of :func:`crimeharm.harm_index`, :func:`crimeharm.series` (and the
command line's ``--progress``) is read here, in one place:

* ``None`` (the default): shown when stderr is a terminal, and only for a run
  that lasts longer than :data:`DELAY` seconds; never in a notebook, a pipe or a
  log file.
* ``True``: shown at once, wherever stderr goes. ``False``: never.
* a callable: called with the number of rows done after each batch; nothing is shown.

The bar is `tqdm <https://tqdm.github.io>`_'s (the ``progress`` extra:
``pip install 'crimeharm[progress]'``); without it the same facts are printed as
one line rewritten in place (``rows scored: 3,145,728 / 10,000,000 (31%)``).
"""

from __future__ import annotations

import contextlib
import importlib
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any, TextIO

from crimeharm.errors import OptionError

__all__ = ["DELAY", "Progress", "check_progress", "progress_reporter"]

#: What ``progress=`` takes.
Progress = bool | Callable[[int], object] | None
#: Seconds a run lasts before its progress is shown, when it was not asked for.
DELAY = 1.0
_EVERY = 0.2  # seconds between two redraws of the line of text


def check_progress(progress: object) -> None:
    """Refuse a ``progress`` that is neither None, True, False nor callable.

    Raises
    ------
    OptionError
        Naming the value and what is allowed.
    """
    if progress is None or isinstance(progress, bool) or callable(progress):
        return
    raise OptionError(
        f"progress={progress!r}; expected True (show it on stderr), False (never), None (on a "
        "terminal) or a function called with the number of rows done",
        values=[progress],
        allowed=[True, False, None, "callable"],
    )


class _Line:
    """The progress as one line of text, rewritten in place (when tqdm is not installed)."""

    def __init__(self, total: int | None, what: str, file: TextIO, delay: float) -> None:
        self.total, self.what, self.file = total, what, file
        self.start = time.monotonic()
        self.delay = delay
        self.last = -_EVERY
        self.shown = False
        self.done = 0

    def _draw(self) -> None:
        text = f"\r{self.what}: {self.done:,}"
        if self.total:
            text += f" / {self.total:,} ({100 * self.done / self.total:.0f}%)"
        elapsed = time.monotonic() - self.start
        if elapsed > 0:
            text += f", {self.done / elapsed:,.0f}/s"
        self.file.write(text)
        self.file.flush()
        self.shown = True

    def update(self, done: int) -> None:
        self.done = done
        now = time.monotonic()
        if now - self.start >= self.delay and now - self.last >= _EVERY:
            self.last = now
            self._draw()

    def close(self) -> None:
        if self.shown:
            self._draw()
            self.file.write("\n")
            self.file.flush()


class _Bar:
    """tqdm's bar, fed the number of rows done."""

    def __init__(self, tqdm: Any, total: int | None, what: str, file: TextIO, delay: float):
        self.bar = tqdm(
            total=total,
            desc=what,
            unit=" rows",
            unit_scale=total is not None,  # a count of unknown end: its digits
            file=file,
            delay=delay,
            dynamic_ncols=True,
            leave=True,
        )

    def update(self, done: int) -> None:
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        self.bar.close()


def _tqdm() -> Any:
    try:
        return importlib.import_module("tqdm").tqdm
    except ImportError:
        return None


def _is_terminal(file: TextIO) -> bool:
    try:
        return file.isatty()
    except (AttributeError, ValueError):  # closed, or not a file
        return False


@contextlib.contextmanager
def progress_reporter(
    progress: Progress, *, total: int | None, what: str = "rows scored"
) -> Iterator[Callable[[int], object] | None]:
    """What to call with the number of rows done while the block runs; None for nothing.

    Parameters
    ----------
    progress : bool, callable or None
        As the functions take it (see the module docstring).
    total : int, optional
        Rows to do, when known (in-memory data, Parquet); None shows a count.
    what : str
        What is counted, for the display.
    """
    check_progress(progress)
    if callable(progress):
        yield progress
        return
    file = sys.stderr
    if progress is False or (progress is None and not _is_terminal(file)):
        yield None
        return
    delay = 0.0 if progress is True else DELAY
    tqdm = _tqdm()
    shown: _Bar | _Line = (
        _Line(total, what, file, delay) if tqdm is None else _Bar(tqdm, total, what, file, delay)
    )
    try:
        yield shown.update
    finally:
        shown.close()
