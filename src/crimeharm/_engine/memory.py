"""How much memory the sums take, and whether the system has it (checked before allocating).

The sums of a call are one array per status kept by cell (included, and
each exclusion reason a record had), of ``groups x (periods + 1)`` cells
(the extra slot holds the undated records) of :data:`CELL_BYTES` each.
Only the periods that records fall in take a slot (see
:class:`crimeharm._engine.base.Engine`), so the memory follows the data,
not the span of its dates; two things need every period between the first
and the last: ``complete=True`` (an output row for every area x period) and
rolling windows with ``complete=True``.

Before an allocation of at least :data:`CHECKED_FROM` bytes, the bytes
needed are compared with the memory available: ``MemAvailable`` of
``/proc/meminfo`` (Linux), else ``os.sysconf("SC_AVPHYS_PAGES")`` times the
page size, and the lower of that and the cgroup's limit
(``/sys/fs/cgroup/memory.max``) less its usage, where there is one. When
neither can be read nothing is checked. Asking for more than is available
raises :class:`crimeharm.SumsMemoryError` before anything is allocated.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

from crimeharm.errors import SumsMemoryError

__all__ = [
    "CELL_BYTES",
    "CHECKED_FROM",
    "MemoryEstimate",
    "available_bytes",
    "check_bytes",
    "estimate_sums_memory",
    "format_bytes",
]

#: Bytes per cell and status: crimes and harm's two limbs (int64 each).
CELL_BYTES = 24
#: Allocations at least this large (bytes) are checked against the memory available.
CHECKED_FROM = 64 << 20


class MemoryEstimate(NamedTuple):
    """The memory the sums of a call take, what is available and a line.

    Attributes
    ----------
    bytes : int
        The memory the sums take, in bytes.
    available : int or None
        The memory available, in bytes (None: unknown).
    line : str
        A one-line account (``sums: 37,000 area(s) x 61 period slot(s) x 4
        status(es) x 24 bytes = 206.6 MB (available: 22.0 GB)``).
    """

    bytes: int
    available: int | None
    line: str


def format_bytes(n: float) -> str:
    """``n`` bytes as ``12.3 MB`` (powers of 1024: KB, MB, GB, TB)."""
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"


def _meminfo_available(path: Path = Path("/proc/meminfo")) -> int | None:
    try:
        for line in path.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _cgroup_available(root: Path = Path("/sys/fs/cgroup")) -> int | None:
    try:
        limit = (root / "memory.max").read_text().strip()
        if limit == "max":
            return None
        return max(int(limit) - int((root / "memory.current").read_text().strip()), 0)
    except (OSError, ValueError):
        return None


def available_bytes() -> int | None:
    """The memory the system can give this process now (bytes), or None where unknown."""
    free = _meminfo_available()
    if free is None:
        try:
            free = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            free = None
    limit = _cgroup_available()
    if free is None or limit is None:
        return free if limit is None else limit
    return min(free, limit)


def estimate_sums_memory(
    *, groups: int, periods: int, statuses: int = 1, undated: bool = True
) -> MemoryEstimate:
    """The memory of the sums of ``groups`` areas x ``periods`` periods, per status kept.

    Parameters
    ----------
    groups : int
        Distinct areas (combinations of the ``by`` columns; 1 without ``by``).
    periods : int
        Distinct periods the records fall in (all between the first and the
        last with ``complete=True``; 1 without a period).
    statuses : int
        The number of statuses kept per cell: 1 (the included records) plus one per
        exclusion reason the records have (``excluded="summary"``: 1).
    undated : bool
        Whether a slot is kept for records without a usable date (a period is given).

    Returns
    -------
    MemoryEstimate
        Bytes, the bytes available (None where unknown) and a one-line account.

    Examples
    --------
    >>> from crimeharm import estimate_sums_memory
    >>> estimate_sums_memory(groups=37_000, periods=60, statuses=4).bytes
    216672000
    """
    slots = periods + (1 if undated else 0)
    nbytes = int(groups) * int(slots) * CELL_BYTES * int(statuses)
    free = available_bytes()
    have = "unknown" if free is None else format_bytes(free)
    line = (
        f"sums: {groups:,} area(s) x {slots:,} period slot(s) x {statuses} status(es) "
        f"x {CELL_BYTES} bytes = {format_bytes(nbytes)} (available: {have})"
    )
    return MemoryEstimate(nbytes, free, line)


def check_bytes(nbytes: int, what: str, *, values: list[str] | None = None) -> None:
    """Raise :class:`crimeharm.SumsMemoryError` when ``nbytes`` exceed the memory available.

    ``what`` says what the memory is for (and why it is that large), ``values``
    the dates or periods behind it. Allocations below :data:`CHECKED_FROM`
    bytes are not checked.
    """
    if nbytes < CHECKED_FROM:
        return
    free = available_bytes()
    if free is None or nbytes <= free:
        return
    raise SumsMemoryError(
        f"{what} would take {format_bytes(nbytes)}, more than the {format_bytes(free)} of "
        "memory available; nothing was allocated",
        values=values,
    )
