"""The command line's outputs: checked before the work, written whole or not at all.

An output named with ``-o`` is one of three kinds, told apart by ``os.stat``:

* **a regular file, or a name that does not exist yet**: written to a temporary file
  ``.<name>.crimeharm-<pid>.tmp`` beside it, flushed to disk, then renamed onto the name, so
  that a reader never sees half a file and a failed run leaves the previous file as it was.
  A new file gets the mode ``0666 & ~umask``, as any other tool's; a replaced file keeps its
  permission bits. A symbolic link is followed: the file it points to is replaced.
* **a character or block device, or a FIFO** (``/dev/null``, a named pipe), and any name in
  ``/dev/`` or ``/proc/self/fd/``: opened and written directly, never replaced.
* **``-``**: standard output, as CSV; so is a link in ``/dev/`` or ``/proc/self/fd/`` to the
  process's standard output (``/dev/stdout``, ``/dev/fd/1``).

A folder, a socket, a name in a folder that does not exist, or an extension that cannot be
written (anything but ``.csv``, ``.csv.gz``, ``.parquet``, ``.pq``) is refused by
:func:`check_output` before the work starts. A device or FIFO may have any name; it is
written as CSV unless its name ends in one of those extensions.

The temporary file is removed when the run fails, on Ctrl-C, and on SIGTERM or SIGHUP
(:func:`stop_on_signals`). SIGKILL cannot be caught: the temporary file it leaves names the
process that wrote it, and the next run writing the same output removes it when that
process is no longer alive (:func:`remove_stale`).

CSV outputs are made safe to open in a spreadsheet (:func:`neutralise_formulas`).

A table that carries crimeharm's provenance (:func:`crimeharm.provenance`) keeps it: a
Parquet output in its key-value metadata (key ``crimeharm``, and pandas' ``PANDAS_ATTRS``),
a CSV file in a sidecar ``<name>.provenance.json`` beside it that names the CSV's size and
sha256. The sidecar is written (atomically, as the CSV) once the CSV's temporary file is
complete and before that file is renamed onto the output: a run that fails leaves the
previous pair as it was, and a run stopped between the two renames leaves a sidecar that
:func:`crimeharm.provenance` refuses, since it does not describe the CSV beside it. A CSV
on standard output or a device has no sidecar, nor does one whose name is too long to have
one (over 239 bytes).
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import os
import signal
import stat
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Literal

from crimeharm.errors import OutputFileError, Terminated, UnsupportedFormatError

__all__ = [
    "FORMULA_PREFIX",
    "FORMULA_STARTS",
    "OUTPUT_FORMATS",
    "STDOUT",
    "Output",
    "add_output_options",
    "check_output",
    "neutralise_formulas",
    "open_output",
    "output_format",
    "remove_stale",
    "stop_on_signals",
    "temp_name",
    "write_atomic",
    "write_table",
]

#: Output extensions the command line writes, and the format of each.
OUTPUT_FORMATS: dict[str, str] = {
    ".csv": "csv",
    ".csv.gz": "csv.gz",
    ".parquet": "parquet",
    ".pq": "parquet",
}
#: The output name for standard output.
STDOUT = "-"
#: A text cell of a CSV output beginning with one of these is one a spreadsheet would run
#: as a formula (OWASP, "CSV Injection"): ``=``, ``+``, ``-``, ``@``, tab, carriage return.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: What is put before such a cell: a single quote, which makes a spreadsheet show it as text.
FORMULA_PREFIX = "'"

_FORMULA = "[=+\\-@\t\r]"  # a regular expression matching FORMULA_STARTS
_NUMBER = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"  # "-5", "+1.5e3"
_TEMP_TAG = ".crimeharm-"
_NAME_MAX = 255  # bytes in a file name on every common file system
_PID_DIGITS = 10
_SIGNALS = ("SIGTERM", "SIGHUP")
_DIRECT = ("/dev/", "/proc/self/fd/")  # names that stand for an open file: written in place

Kind = Literal["file", "stream", "stdout"]


@dataclass(frozen=True)
class Output:
    """An output the command line will write, as checked by :func:`check_output`.

    Attributes
    ----------
    name : str
        The name as given (``-`` for standard output), for messages.
    kind : {'file', 'stream', 'stdout'}
        A regular file written atomically, a device or FIFO written directly, or
        standard output.
    format : {'csv', 'csv.gz', 'parquet'}
        What is written.
    path : pathlib.Path or None
        The file written: for a regular file, the real path (symbolic links followed);
        None for standard output.
    """

    name: str
    kind: Kind
    format: str
    path: Path | None

    @property
    def to_stdout(self) -> bool:
        """True when the output is standard output (messages then go to stderr)."""
        return self.kind == "stdout"


def _extension(name: str) -> str:
    """The output extension ``name`` ends with (``.csv.gz`` before ``.csv``), or its suffix."""
    lower = name.lower()
    for ext in sorted(OUTPUT_FORMATS, key=len, reverse=True):
        if lower.endswith(ext):
            return ext
    return Path(name).suffix


def output_format(name: str | os.PathLike[str]) -> str | None:
    """The format an output name's extension asks for (``csv``, ``csv.gz``, ``parquet``).

    Parameters
    ----------
    name : str or path-like
        An output name.

    Returns
    -------
    str or None
        The format, or None when the extension is not one of :data:`OUTPUT_FORMATS`.
    """
    return OUTPUT_FORMATS.get(_extension(os.fspath(name)).lower())


def _is_stdout(info: os.stat_result) -> bool:
    try:
        return os.path.samestat(info, os.fstat(sys.stdout.fileno()))
    except (AttributeError, OSError, ValueError):  # no file descriptor (captured output)
        return False


def check_output(name: str | os.PathLike[str], *, formats: tuple[str, ...] | None = None) -> Output:
    """Check that ``name`` can be written as an output, before any work is done.

    Parameters
    ----------
    name : str or path-like
        The output given with ``-o``: a file name, a device or FIFO, or ``-``.
    formats : tuple of str, optional
        The formats the command writes (default: every one of :data:`OUTPUT_FORMATS`);
        ``'csv'`` is always among them.

    Returns
    -------
    Output
        What will be written, and how.

    Raises
    ------
    UnsupportedFormatError
        If a file's extension is not one of ``formats``' extensions.
    OutputFileError
        If ``name`` is a folder or a socket, its folder does not exist or cannot be
        written in, or it cannot be examined.
    """
    allowed = formats or tuple(dict.fromkeys(OUTPUT_FORMATS.values()))
    text = os.fspath(name)
    if text == STDOUT:
        return Output(name=text, kind="stdout", format="csv", path=None)
    try:
        info = os.stat(text)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise OutputFileError(
            f"cannot use {text!r} as the output: {exc.strerror or exc}", path=text
        ) from None
    mode = info.st_mode if info is not None else 0
    if info is not None and stat.S_ISDIR(mode):
        raise OutputFileError(
            f"output {text!r} is a folder; give a file name in it, e.g. "
            f"{os.path.join(text, 'harm.csv')!r}",
            path=text,
        )
    suffix = _extension(text)
    fmt = output_format(text) or ""
    special = stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISFIFO(mode)
    direct = os.path.abspath(text).startswith(_DIRECT)
    if info is not None and direct and os.path.islink(text) and _is_stdout(info):
        return Output(name=text, kind="stdout", format="csv", path=None)
    if info is not None and (special or direct):
        fmt = fmt if fmt in allowed else "csv"
        return Output(name=text, kind="stream", format=fmt, path=Path(text))
    if info is not None and not stat.S_ISREG(mode):
        raise OutputFileError(f"output {text!r} is neither a file, a device nor a FIFO", path=text)
    if fmt not in allowed:
        accepted = [ext for ext, f in OUTPUT_FORMATS.items() if f in allowed]
        what = f"a {suffix!r} file" if suffix else "a file without an extension"
        raise UnsupportedFormatError(
            f"output {text!r}: cannot write {what}; accepted: {', '.join(accepted)}, "
            f"or '-' for CSV on standard output",
            path=text,
            values=[suffix],
            allowed=[*accepted, STDOUT],
        )
    path = Path(os.path.realpath(text))
    folder = path.parent
    if not folder.is_dir():
        shown = os.path.dirname(text) or "."
        how = "is not a folder" if folder.exists() else "does not exist"
        raise OutputFileError(f"cannot write {text!r}: output folder {shown!r} {how}", path=text)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputFileError(
            f"cannot write {text!r}: no permission to create files in {str(folder)!r}", path=text
        )
    return Output(name=text, kind="file", format=fmt, path=path)


def add_output_options(p: argparse.ArgumentParser, *, what: str) -> None:
    """Add ``-o`` and ``--csv-safe`` to a sub-command that writes a table.

    Parameters
    ----------
    p : argparse.ArgumentParser
        The sub-command's parser.
    what : str
        What ``-o`` writes, for the help text.
    """
    p.add_argument(
        "-o",
        "--output",
        default=None,
        metavar="OUT",
        help=f"write {what}: .csv, .csv.gz, .parquet or .pq; '-' for CSV on standard "
        "output (the summary then goes to stderr); a device or FIFO is written directly",
    )
    p.add_argument(
        "--csv-safe",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="in a CSV output, put a ' before text cells beginning with = + - @ tab or "
        "carriage return, which a spreadsheet would run as formulas (default: on)",
    )


# ---------------------------------------------------------------------- temporary files
def _temp_stem(name: str) -> str:
    """``.<name>`` cut so that the whole temporary name fits in a file name."""
    stem = f".{name}"
    room = _NAME_MAX - len(_TEMP_TAG) - _PID_DIGITS - len(".tmp")
    encoded = stem.encode("utf-8", "surrogateescape")
    if len(encoded) > room:
        stem = encoded[:room].decode("utf-8", "ignore")
    return stem


def temp_name(name: str, pid: int) -> str:
    """The temporary file's name for an output called ``name``, written by process ``pid``.

    Parameters
    ----------
    name : str
        The output file's name (no folder).
    pid : int
        The writing process's id.

    Returns
    -------
    str
        ``.<name>.crimeharm-<pid>.tmp`` (``.<name>`` cut when the whole would be longer
        than a file name may be).
    """
    return f"{_temp_stem(name)}{_TEMP_TAG}{pid}.tmp"


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # this process has not created it yet: left by an earlier one
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    except OSError:
        return True
    return True


def remove_stale(path: Path) -> list[Path]:
    """Remove the temporary files of ``path`` left by processes that are no longer alive.

    A run killed by SIGKILL (or by a power cut) cannot remove its temporary file; the file's
    name carries the writer's process id (:func:`temp_name`), so a later run writing the same
    output removes those whose process has gone. Those of a live process, which may still be
    writing, are left alone.

    Parameters
    ----------
    path : pathlib.Path
        The output file.

    Returns
    -------
    list of pathlib.Path
        The files removed.
    """
    stem = _temp_stem(path.name) + _TEMP_TAG
    removed: list[Path] = []
    try:
        names = os.listdir(path.parent)
    except OSError:
        return removed
    for entry in names:
        if not (entry.startswith(stem) and entry.endswith(".tmp")):
            continue
        pid = entry[len(stem) : -len(".tmp")]
        if not pid.isdigit() or _alive(int(pid)):
            continue
        stale = path.parent / entry
        with contextlib.suppress(FileNotFoundError):
            if stat.S_ISREG(os.lstat(stale).st_mode):
                stale.unlink()
                removed.append(stale)
    return removed


@contextlib.contextmanager
def _atomic_file(
    path: Path, *, before_replace: Callable[[Path], object] | None = None
) -> Iterator[BinaryIO]:
    """A new file beside ``path``, renamed onto it when the block ends without an error.

    ``before_replace(tmp)`` is called with the complete temporary file just before the rename;
    if it raises, the file is not renamed.
    """
    remove_stale(path)
    tmp = path.parent / temp_name(path.name, os.getpid())
    try:
        keep = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        keep = None
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    created = True  # from here on, a file of this name is this run's (stale ones are gone)
    try:
        fd = os.open(tmp, flags, 0o666)  # the kernel applies the umask
        with os.fdopen(fd, "wb") as fh:
            if keep is not None:
                os.chmod(tmp, keep)
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        if before_replace is not None:
            before_replace(tmp)
        os.replace(tmp, path)
        created = False
    finally:
        if created:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()


def write_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file renamed onto it (never half a file).

    Raises
    ------
    OutputFileError
        If the file cannot be written, naming it.
    """
    target = Path(os.path.realpath(path))
    try:
        with _atomic_file(target) as fh:
            fh.write(data)
    except OSError as exc:
        raise OutputFileError(
            f"cannot write {os.fspath(path)!r}: {exc.strerror or exc}", path=os.fspath(path)
        ) from exc


@contextlib.contextmanager
def open_output(
    output: Output, *, before_replace: Callable[[Path], object] | None = None
) -> Iterator[BinaryIO]:
    """A binary handle on ``output``: a temporary file, a device or FIFO, or standard output.

    For a regular file the data go to a temporary file that is renamed onto the output
    when the block ends without an error and removed otherwise; a device, FIFO or standard
    output is written as the block writes (what was written before an error stays there).

    Parameters
    ----------
    output : Output
        As returned by :func:`check_output`.
    before_replace : callable, optional
        For a regular file, called with the complete temporary file before it is renamed
        onto the output (an error it raises leaves the output as it was).

    Yields
    ------
    binary file
        Where to write the bytes.

    Raises
    ------
    OutputFileError
        If the output cannot be opened or written (permission, full disk), naming it.
    """
    try:
        if output.kind == "stdout":
            sys.stdout.flush()
            yield sys.stdout.buffer
            sys.stdout.buffer.flush()
        elif output.kind == "stream":
            assert output.path is not None
            with open(output.path, "wb") as fh:
                yield fh
        else:
            assert output.path is not None
            with _atomic_file(output.path, before_replace=before_replace) as fh:
                yield fh
    except BrokenPipeError:
        raise
    except OSError as exc:
        if isinstance(exc, OutputFileError):
            raise
        raise OutputFileError(
            f"cannot write {output.name!r}: {exc.strerror or exc}", path=output.name
        ) from exc


# ---------------------------------------------------------------------- writing
def _unsafe(values: Any) -> Any:
    """Boolean mask of the text cells of a column (or an Index) a spreadsheet would run."""
    import numpy as np
    import pandas as pd

    if values.dtype != object and pd.api.types.is_string_dtype(values.dtype):
        matched = pd.Series(values.str.match(_FORMULA), dtype=object)  # Index: an ndarray
        starts = np.array(matched.fillna(value=False), dtype=bool)
    elif values.dtype == object:
        starts = np.fromiter(
            (isinstance(v, str) and v[:1] in FORMULA_STARTS for v in values),
            dtype=bool,
            count=len(values),
        )
    else:
        return np.zeros(len(values), dtype=bool)
    if starts.any():  # a number written as text ("-5") is read as a number, not run
        where = np.flatnonzero(starts)
        number = pd.Series(np.asarray(values, dtype=object)[where], dtype=object)
        starts[where[number.str.fullmatch(_NUMBER).to_numpy(dtype=bool)]] = False
    return starts


def _quoted(values: Any, mask: Any) -> Any:
    import numpy as np

    out = np.asarray(values, dtype=object).copy()
    out[mask] = [FORMULA_PREFIX + v for v in out[mask]]
    return out


def neutralise_formulas(frame: Any) -> Any:
    """``frame`` with every text cell a spreadsheet would run as a formula made inert.

    The rule (OWASP, "CSV Injection"): a text cell, or a column name, that begins with
    ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a single quote ``'`` put
    before it, so that Excel, LibreOffice and Google Sheets show it as text instead of
    running it. Numbers are not touched, nor is text that is a number and nothing else
    (``-5``, ``+1.5``, ``-2e3``: a spreadsheet reads it as that number); ``-2+3`` or
    ``- none`` is quoted. Dates, booleans and missing values are not text.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table about to be written as CSV.

    Returns
    -------
    pandas.DataFrame
        ``frame`` itself when no cell needs it, else a copy with those cells changed.

    Examples
    --------
    >>> import pandas as pd
    >>> neutralise_formulas(pd.DataFrame({"area": ["=1+1", "-5"], "n": [-5, 2]}))
        area  n
    0  '=1+1 -5
    1     -5  2
    """
    import pandas as pd

    out = None
    for i in range(frame.shape[1]):
        column = frame.iloc[:, i]
        dtype = column.dtype
        if isinstance(dtype, pd.CategoricalDtype):
            categories = dtype.categories
            mask = _unsafe(categories)
            if not mask.any():
                continue
            renamed = pd.Index(_quoted(categories, mask), dtype=object)
            if renamed.is_unique:
                fixed = column.cat.rename_categories(renamed)
            else:  # "'=x" is already a category: the quoted cells join it
                values = column.astype(object)
                fixed = pd.Series(_quoted(values, _unsafe(values)), index=column.index)
        else:
            mask = _unsafe(column)
            if not mask.any():
                continue
            fixed = pd.Series(_quoted(column, mask), index=column.index)
        if out is None:
            out = frame.copy(deep=False)
        out.isetitem(i, fixed)
    names = pd.Index(frame.columns)
    header = _unsafe(names)
    if header.any():
        out = frame.copy(deep=False) if out is None else out
        out.columns = pd.Index(_quoted(names, header), dtype=object)
    return frame if out is None else out


def _record(frame: Any) -> dict[str, Any] | None:
    """The provenance a table carries (:mod:`crimeharm.scoring.provenance`), or None."""
    from crimeharm.scoring.provenance import record_of

    found = record_of(frame)
    return None if found is None else found[0]


def _write_parquet(frame: Any, fh: BinaryIO) -> None:
    """Parquet with the provenance in the key-value metadata, as pandas' ``to_parquet`` writes."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from crimeharm.scoring.provenance import to_json, with_record

    record = _record(frame)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    if frame.attrs:  # read back by pandas.read_parquet as attrs
        meta = dict(table.schema.metadata or {})
        meta[b"PANDAS_ATTRS"] = to_json(frame.attrs).encode("utf-8")
        table = table.replace_schema_metadata(meta)
    if record is not None:
        table = with_record(table, record)
    pq.write_table(table, fh)


def _sidecar_writer(output: Output, record: dict[str, Any]) -> Callable[[Path], object] | None:
    """What writes a CSV output's sidecar, given the CSV's complete temporary file.

    None when the sidecar's name would be longer than a file name may be (a CSV name over
    239 bytes): the CSV is written without one.
    """
    from crimeharm.scoring.provenance import sidecar_path, sidecar_record

    assert output.path is not None
    path = output.path
    if len(os.fsencode(sidecar_path(path).name)) > _NAME_MAX:
        return None

    def write(tmp: Path) -> None:
        text = sidecar_record(record, tmp, name=path.name)
        write_atomic(sidecar_path(path), text.encode("utf-8"))

    return write


def _write_frame(frame: Any, fh: BinaryIO, fmt: str, *, csv_safe: bool) -> None:
    if fmt == "parquet":
        _write_parquet(frame, fh)
        return
    if csv_safe:
        frame = neutralise_formulas(frame)
    if fmt == "csv.gz":
        with gzip.GzipFile(filename="", mode="wb", fileobj=fh, mtime=0) as gz:
            frame.to_csv(gz, index=False, mode="wb", encoding="utf-8")
    else:
        frame.to_csv(fh, index=False, mode="wb", encoding="utf-8")


def write_table(
    frame: Any,
    output: Output | str | os.PathLike[str],
    *,
    csv_safe: bool = True,
    writer: Callable[[BinaryIO], object] | None = None,
) -> Output:
    """Write a table to an output: CSV, gzipped CSV or Parquet, by its name.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table to write (ignored when ``writer`` is given).
    output : Output or path-like
        As returned by :func:`check_output`, or a name to check first.
    csv_safe : bool
        For CSV, neutralise the cells a spreadsheet would run (:func:`neutralise_formulas`);
        False writes every cell as it is. Parquet is never changed.
    writer : callable, optional
        ``writer(fh)`` writes the bytes itself to the binary handle ``fh``.

    Returns
    -------
    Output
        The output written. A table with crimeharm's provenance keeps it: in a Parquet
        file's metadata, or in a sidecar ``<name>.provenance.json`` beside a CSV file
        (see the module docstring).

    Raises
    ------
    OutputFileError, UnsupportedFormatError
        If the output cannot be written; a regular file (and its sidecar) is then left as
        it was.
    """
    target = output if isinstance(output, Output) else check_output(output)
    record = _record(frame) if writer is None else None
    side = None
    if record is not None and target.kind == "file" and target.format != "parquet":
        side = _sidecar_writer(target, record)  # None when its name would be too long
    with open_output(target, before_replace=side) as fh:
        if writer is not None:
            writer(fh)
        else:
            _write_frame(frame, fh, target.format, csv_safe=csv_safe)
    return target


# ---------------------------------------------------------------------- signals
@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """Turn SIGTERM and SIGHUP into :class:`~crimeharm.errors.Terminated` while the block runs.

    The exception unwinds the stack as Ctrl-C's ``KeyboardInterrupt`` does, so a temporary
    output file is removed on the way out; a second signal while that happens is ignored.
    The previous handlers are put back when the block ends. Outside the main thread (where
    Python allows no signal handler) nothing is changed.
    """
    wanted = [getattr(signal, name) for name in _SIGNALS if hasattr(signal, name)]
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous: dict[int, Any] = {}

    def handler(signum: int, frame: object) -> None:
        for s in previous:
            signal.signal(s, signal.SIG_IGN)  # let the clean-up finish
        raise Terminated(signum)

    try:
        for s in wanted:
            previous[s] = signal.signal(s, handler)
        yield
    finally:
        for s, before in previous.items():
            signal.signal(s, signal.SIG_DFL if before is None else before)
