"""Write output files atomically: to a temporary file beside the target, then rename."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

__all__ = ["atomic_path", "write_table"]


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; rename it onto ``path`` on success.

    On any exception the temporary file is removed and ``path`` is left as it was,
    so a failed run never leaves a half-written output.
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_table(frame, path: str | os.PathLike[str], *, writer: Callable | None = None) -> Path:
    """Write a DataFrame to CSV or Parquet, chosen by the extension, atomically.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table to write.
    path : path-like
        Target file; ``.parquet``/``.pq`` is written as Parquet, anything else as CSV.
    writer : callable, optional
        ``writer(frame, tmp_path)`` to use instead of the default for the extension.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    from crimeharm.errors import InputFileError

    target = Path(path)
    if not target.parent.exists():
        raise InputFileError(f"output folder {str(target.parent)!r} does not exist")
    with atomic_path(target) as tmp:
        if writer is not None:
            writer(frame, tmp)
        elif target.suffix.lower() in {".parquet", ".pq"}:
            frame.to_parquet(tmp, index=False)
        else:
            frame.to_csv(tmp, index=False)
    return target
