"""Read records: pandas, Arrow, polars, DuckDB, CSV, Parquet (files, folders, globs), in batches.

In-memory data is a pandas DataFrame, a pyarrow Table or RecordBatch, or any
object that exports the Arrow C stream interface (``__arrow_c_stream__``: a
``pyarrow.RecordBatchReader``, a DuckDB relation, ...); a polars DataFrame or
LazyFrame is read as the Arrow table it holds (:func:`as_arrow`). Only pandas
frames are read as pandas: everything else is read as Arrow batches, never
converted to pandas on the way, and polars and DuckDB are never imported.

CSV is read with Arrow's reader, every column as text (an offence code such
as ``801`` or ``00801`` must not become a number) and dictionary-encoded;
Parquet keeps its own types, with text columns read as dictionaries. Batches
are a row group (Parquet) or a block (CSV) at a time, so memory stays bounded
whatever the size of the input.

Several files (a folder, read recursively, a glob or a list) are one input:
their columns are matched by name and their types unified where no value can
change (see :func:`unify_types`); every error names the file at fault. What a
file is depends on its content as well as its name (see :func:`sniff`).
"""

from __future__ import annotations

import codecs
import contextlib
import csv as pycsv
import glob
import io
import os
import weakref
from collections.abc import Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from crimeharm.errors import (
    ColumnNameError,
    ColumnTypeError,
    EmptyDataError,
    InputFileError,
    InputTypeError,
    MissingColumnError,
    OptionError,
    UnsupportedFormatError,
)
from crimeharm.reasons import REASONS

__all__ = [
    "INDEX_OUTPUT_COLUMNS",
    "READ_PARAMETERS",
    "CsvOptions",
    "Source",
    "as_arrow",
    "check_by_names",
    "check_new_columns",
    "open_source",
    "read_table",
    "sniff",
    "unify_types",
]

_PARQUET = {".parquet", ".pq", ".parq"}
_CSV = {".csv", ".tsv", ".txt"}
#: Compressed text, told by its first bytes (whatever the file's name).
_COMPRESSION_MAGIC = {b"\x1f\x8b": "gzip", b"BZh": "bz2", b"\x28\xb5\x2f\xfd": "zstd"}
_COMPRESSION_SUFFIXES = {".gz", ".gzip", ".bz2", ".zst"}
#: Binary content that is not CSV, by its first bytes: what it is, for the message.
_BINARY_MAGIC = {
    b"PAR1": "Parquet data (name the file .parquet)",
    b"PK\x03\x04": "a ZIP archive (an Excel .xlsx workbook, or a download still zipped: unzip it)",
    b"\xd0\xcf\x11\xe0": "an Excel 97-2003 workbook (save it as CSV)",
    b"\xfd7zXZ\x00": "xz-compressed (decompress it, or recompress it with gzip)",
    b"%PDF": "a PDF document",
}
_SNIFF_BYTES = 1 << 16
_CSV_BLOCK = 1 << 24
DEFAULT_BATCH_ROWS = 1 << 20

#: Columns :func:`crimeharm.harm_index` writes (besides the ``by`` columns), which a ``by``
#: column may not be named: the period's, the sums', one pair per exclusion reason, the
#: population's. Rate columns are ``harm_days_per_<per>`` and ``crimes_per_<per>``
#: (:data:`INDEX_OUTPUT_PREFIXES`).
INDEX_OUTPUT_COLUMNS = frozenset(
    {
        "period",
        "period_start",
        "period_end",
        "crimes",
        "harm_days",
        "excluded",
        "population",
        *(f"excluded_{r}" for r in REASONS),
        *(f"excluded_harm_{r}" for r in REASONS),
    }
)
INDEX_OUTPUT_PREFIXES = ("harm_days_per_", "crimes_per_")


#: The documentation of the reading options, put into the docstrings of the functions
#: that take them (:func:`crimeharm.scoring.options.with_score_parameters`).
READ_PARAMETERS = """\
encoding : str
        Text encoding of CSV files: ``utf-8`` by default (a byte order mark
        is skipped), or any codec Python knows (``cp1252``, ``latin-1``,
        ``utf-16``). Text that does not decode raises
        :class:`~crimeharm.InputFileError` naming the file, line and byte.
    sep : str, optional
        Field separator of CSV files, one character: ``,`` by default (a tab
        for ``.tsv`` files)."""

# --- options -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CsvOptions:
    """How to read CSV files: their text encoding and field separator, checked once.

    ``sep`` None means ``,`` (a tab for ``.tsv`` files).
    """

    encoding: str = "utf-8"
    sep: str | None = None

    @classmethod
    def make(cls, *, encoding: object = "utf-8", sep: object = None) -> CsvOptions:
        """Check ``encoding`` (a codec Python knows) and ``sep`` (one character).

        Raises
        ------
        OptionError
            Naming the option, the value and what is allowed.
        """
        if not isinstance(encoding, str):
            raise OptionError(f"encoding={encoding!r}; expected a codec name such as 'cp1252'")
        try:
            info = codecs.lookup(encoding)
            if not getattr(info, "_is_text_encoding", True):  # base64, zlib: bytes to bytes
                raise LookupError(encoding)
            name = info.name
        except LookupError:
            raise OptionError(
                f"encoding={encoding!r} is not a text encoding Python knows "
                "(e.g. 'utf-8', 'cp1252', 'latin-1', 'utf-16')",
                values=[encoding],
            ) from None
        if name == "utf-8-sig":  # Arrow's UTF-8 reading skips a byte order mark itself
            name = "utf-8"
        if sep is not None and (
            not isinstance(sep, str) or len(sep) != 1 or sep in '\r\n"' or ord(sep) > 127
        ):
            raise OptionError(
                f"sep={sep!r}; expected one ASCII character other than a quote or a line end "
                "(',', ';', '\\t', '|')",
                values=[sep],
            )
        return cls(encoding=name, sep=sep)

    @property
    def ascii_compatible(self) -> bool:
        """Whether the encoding writes ASCII as ASCII (not UTF-16 or UTF-32)."""
        return "\n,".encode(self.encoding) == b"\n,"


def check_batch_rows(batch_rows: object) -> int:
    """``batch_rows`` as an int, or an :class:`OptionError` when it is not a count of at least 1."""
    if isinstance(batch_rows, bool) or not isinstance(batch_rows, int | np.integer):
        raise OptionError(
            f"batch_rows={batch_rows!r}; expected a whole number of rows >= 1", values=[batch_rows]
        )
    if batch_rows < 1:
        raise OptionError(f"batch_rows={batch_rows!r}; expected a number of rows >= 1")
    return int(batch_rows)


# --- column names --------------------------------------------------------------------------------


def _check_unique(names: Sequence[object], *, source: str) -> None:
    seen: dict[object, int] = {}
    for name in names:
        seen[name] = seen.get(name, 0) + 1
    dups = [name for name, k in seen.items() if k > 1]
    if dups:
        raise ColumnNameError(
            f"{source}: duplicate column name(s) {dups}: each column needs its own name "
            "(a reader would take one of them and drop the other)",
            path=source,
            column=str(dups[0]),
            values=dups,
        )


def check_new_columns(
    present: Sequence[object],
    new: Sequence[str],
    *,
    source: str,
    what: str,
    replaced: str | None = None,
) -> None:
    """Refuse input columns that an output column would overwrite.

    Parameters
    ----------
    present : sequence
        The input's columns.
    new : sequence of str
        The columns the output adds.
    source : str
        The input, for the message.
    what : str
        The function writing the output, for the message.
    replaced : str, optional
        An input column that may be replaced (``score``'s ``count`` column named ``crimes``).

    Raises
    ------
    ColumnNameError
        Listing the clashing names.
    """
    have = {str(c) for c in present}
    clash = [c for c in new if c in have and c != replaced]
    if clash:
        raise ColumnNameError(
            f"{source}: column(s) {clash} would be overwritten by {what}'s output column(s) of "
            "the same name: rename them in the input",
            path=source,
            column=clash[0],
            values=clash,
            allowed=list(new),
        )


def check_by_names(by: Sequence[object]) -> None:
    """Refuse ``by`` columns named as an output column of :func:`crimeharm.harm_index`.

    Raises
    ------
    ColumnNameError
        Listing the clashing names (see :data:`INDEX_OUTPUT_COLUMNS`).
    """
    clash = [
        c
        for c in by
        if isinstance(c, str) and (c in INDEX_OUTPUT_COLUMNS or c.startswith(INDEX_OUTPUT_PREFIXES))
    ]
    if clash:
        raise ColumnNameError(
            f"by column(s) {clash} have the name of an output column (period, period_start, "
            "period_end, crimes, harm_days, excluded, excluded_<reason>, excluded_harm_<reason>, "
            "population, harm_days_per_<n>, crimes_per_<n>): rename them in the input",
            column=clash[0],
            values=clash,
        )


def _require(
    names: Sequence[object], needed: Sequence[str], *, source: str, hint: str = ""
) -> None:
    try:
        MissingColumnError.check(names, needed, source=source)
    except MissingColumnError as exc:
        if not hint:
            raise
        raise MissingColumnError(
            f"{exc}{hint}", path=exc.path, column=exc.column, values=exc.values, allowed=exc.allowed
        ) from None


def _separator_hint(names: Sequence[object]) -> str:
    if len(names) == 1:
        for sep in (";", "\t", "|"):
            if sep in str(names[0]):
                return (
                    f" (the header has one column: is the file separated by {sep!r}? "
                    f"pass sep={sep!r})"
                )
    return ""


# --- column types --------------------------------------------------------------------------------


def _is_text(t: pa.DataType) -> bool:
    if pa.types.is_dictionary(t):
        t = t.value_type
    return pa.types.is_string(t) or pa.types.is_large_string(t)


def _family(t: pa.DataType) -> str | None:
    if _is_text(t):
        return "text"
    if pa.types.is_integer(t):
        return "integer"
    if pa.types.is_floating(t):
        return "float"
    if pa.types.is_date(t):
        return "date"
    if pa.types.is_timestamp(t):
        return "timestamp"
    return None


_UNITS = ["s", "ms", "us", "ns"]


def _merge(a: pa.DataType, b: pa.DataType) -> pa.DataType | None:
    """The one type that holds every value of ``a`` and ``b`` unchanged, or None."""
    if a == b:
        return a
    if pa.types.is_null(a):
        return b
    if pa.types.is_null(b):
        return a
    fa, fb = _family(a), _family(b)
    if fa == fb == "text":
        return pa.string()
    if {fa, fb} <= {"integer", "float"}:
        if "float" in (fa, fb):
            return pa.float64()
        if pa.uint64() in (a, b):
            return None
        return pa.int64()
    if fa == fb == "date":
        return pa.date32()
    if isinstance(a, pa.TimestampType) and isinstance(b, pa.TimestampType) and a.tz == b.tz:
        unit = max(a.unit, b.unit, key=_UNITS.index)
        return pa.timestamp(unit, tz=a.tz)
    return None


def unify_types(schemas: Sequence[tuple[str, pa.Schema]], columns: Sequence[str]) -> dict[str, Any]:
    """One type per column over several files, where no value changes; else an error.

    Unified: null-typed columns with any type; ``string``, ``large_string`` and text
    dictionaries (as text); integers of any width (``int64``; ``uint64`` only with
    itself); integers with floats (``float64``, exact up to 2**53); ``date32`` with
    ``date64``; timestamps of one time zone (the finest unit). Anything else (text in
    one file and numbers in another, two time zones) is refused.

    Parameters
    ----------
    schemas : sequence of (str, pyarrow.Schema)
        Each file's name and schema.
    columns : sequence of str
        The columns to unify (every file has them).

    Raises
    ------
    ColumnTypeError
        Naming the column, the two files and their types.
    """
    out: dict[str, Any] = {}
    first: dict[str, tuple[str, pa.DataType]] = {}
    for name, schema in schemas:
        for col in columns:
            t = schema.field(col).type
            if col not in out:
                out[col], first[col] = t, (name, t)
                continue
            merged = _merge(out[col], t)
            if merged is None:
                where, was = first[col]
                raise ColumnTypeError(
                    f"column {col!r} is {was} in {where!r} but {t} in {name!r}: the files cannot "
                    "be read as one input without changing values (write them with one type, "
                    "or read them in separate calls)",
                    path=name,
                    column=col,
                    values=[str(t)],
                    allowed=[str(was)],
                )
            out[col] = merged
            if not pa.types.is_null(t) and pa.types.is_null(first[col][1]):
                first[col] = (name, t)
    return out


def _check_flat(types: Mapping[Hashable, Any], columns: Sequence[str], *, source: str) -> None:
    """Refuse nested (list, struct, map, union) columns among those read as values."""
    for col in columns:
        t = types.get(col)
        if isinstance(t, pd.ArrowDtype):
            t = t.pyarrow_dtype
        if isinstance(t, pa.DataType) and pa.types.is_dictionary(t):
            t = t.value_type
        if isinstance(t, pa.DataType) and pa.types.is_nested(t):
            raise ColumnTypeError(
                f"{source}: column {col!r} is of type {t}: a code, date, flag, count or area "
                "column must hold one value per row (text, numbers or dates), not lists or records",
                path=source,
                column=col,
                values=[str(t)],
            )


_CONTAINERS = (list, tuple, dict, set, frozenset, np.ndarray)


def _check_object_values(frame: pd.DataFrame, columns: Sequence[str], *, source: str) -> None:
    """Refuse pandas object columns (among ``columns``) that hold lists, dicts or arrays."""
    for col in columns:
        s = frame[col]
        if s.dtype != object or "mixed" not in pd.api.types.infer_dtype(s, skipna=True):
            continue
        nested = s.map(lambda v: isinstance(v, _CONTAINERS)).to_numpy(dtype=bool)
        if nested.any():
            i = int(np.flatnonzero(nested)[0])
            value = s.iloc[i]
            raise ColumnTypeError(
                f"{source}: column {col!r} holds {type(value).__name__} values (e.g. {value!r} "
                f"in row {i}): a code, date, flag, count or area column must hold one value per "
                "row",
                path=source,
                column=col,
                values=[type(value).__name__],
            )


# --- finding the files ---------------------------------------------------------------------------


def _hidden(name: str) -> bool:
    return name.startswith((".", "_"))


def _suffixes(path: Path) -> list[str]:
    s = [x.lower() for x in path.suffixes]
    if s and s[-1] in _COMPRESSION_SUFFIXES:
        s = s[:-1]
    return s


def _named_kind(path: Path) -> str | None:
    s = _suffixes(path)
    if s and s[-1] in _PARQUET:
        return "parquet"
    if s and s[-1] in _CSV:
        return "csv"
    return None


def _walk(folder: Path) -> list[Path]:
    """Every data file under ``folder`` (recursively; hidden and ``_`` names skipped), sorted."""
    found: list[Path] = []
    others: list[Path] = []
    seen_dirs: set[str] = set()
    for root, dirs, files in os.walk(folder, followlinks=True):
        real = os.path.realpath(root)
        if real in seen_dirs:  # a link to a folder already read (or back into the tree)
            raise InputFileError(
                f"folder {root!r} is {real!r} again (by a link): its records would be "
                "counted twice",
                path=root,
            )
        seen_dirs.add(real)
        dirs[:] = sorted(d for d in dirs if not _hidden(d))
        for name in sorted(files):
            if _hidden(name):
                continue
            path = Path(root) / name
            (found if _named_kind(path) is not None else others).append(path)
    if others:
        names = [str(p) for p in others[:5]]
        raise UnsupportedFormatError(
            f"folder {str(folder)!r} holds {len(others):,} file(s) that are neither CSV nor "
            f"Parquet by their names (e.g. {names}); pass a glob (e.g. "
            f"{str(folder / '**' / '*.csv')!r}) or a list of files to choose",
            path=str(others[0]),
            values=names,
            allowed=sorted(_CSV | _PARQUET),
        )
    return sorted(found)


_GLOB_CHARS = frozenset("*?[")


def _expand(item: str | os.PathLike[str]) -> list[Path]:
    """A path (file or folder) or a glob as the files it stands for."""
    path = Path(item)
    if path.is_dir():
        files = _walk(path)
        if not files:
            raise InputFileError(
                f"folder {str(path)!r} holds no CSV or Parquet file", path=str(path)
            )
        return files
    if path.exists():
        if not path.is_file():
            raise InputFileError(
                f"input {str(path)!r} is not a regular file or a folder", path=str(path)
            )
        return [path]
    text = os.fspath(item)
    if _GLOB_CHARS & set(text):
        matches = sorted(glob.glob(text, recursive=True))
        files = [f for m in matches for f in (_walk(Path(m)) if Path(m).is_dir() else [Path(m)])]
        if not files:
            raise InputFileError(f"no file matches {text!r}", path=text)
        return files
    raise InputFileError(f"input {text!r} does not exist", path=text)


def _paths(data: Any) -> tuple[list[Path], bool]:
    """The files of a path, glob or list of them; and whether ``data`` was one file."""
    if isinstance(data, str | os.PathLike):
        files = _expand(data)
        single = len(files) == 1 and Path(data).is_file()
    else:
        items = list(data)
        if not items:
            raise InputFileError("data is an empty list of files")
        for item in items:
            if not isinstance(item, str | os.PathLike):
                raise _unreadable(data)
        files = [f for item in items for f in _expand(item)]
        single = False
    seen: dict[str, Path] = {}
    for f in files:
        key = os.path.realpath(f)
        if key in seen:
            also = f" (also as {str(seen[key])!r})" if str(seen[key]) != str(f) else ""
            raise InputFileError(
                f"file {str(f)!r} is given twice{also}: its records would be counted twice",
                path=str(f),
            )
        seen[key] = f
    return files, single


#: What ``data`` may be, for messages.
_READABLE = [
    "pandas.DataFrame",
    "pyarrow.Table",
    "polars.DataFrame",
    "polars.LazyFrame",
    "an object with __arrow_c_stream__ (pyarrow.RecordBatchReader, DuckDB relation)",
    "path",
    "glob",
    "list of paths",
]


def _unreadable(data: object) -> InputTypeError:
    return InputTypeError(
        "data must be a pandas DataFrame, a pyarrow Table, a polars DataFrame or LazyFrame, an "
        "object exporting Arrow's C stream interface (__arrow_c_stream__: a DuckDB relation, a "
        "pyarrow.RecordBatchReader), a path (file or folder), a glob or a list of paths, not "
        f"{type(data).__module__}.{type(data).__name__}",
        allowed=_READABLE,
    )


# --- Arrow from other libraries ------------------------------------------------------------------

#: Arrow streams crimeharm has read to their end: read again, they would give no rows.
_READ_STREAMS: weakref.WeakSet[pa.RecordBatchReader] = weakref.WeakSet()


def _library(data: object) -> str:
    return type(data).__module__.split(".", 1)[0]


def as_arrow(data: Any) -> Any:
    """In-memory data of another library as Arrow; anything else as it is.

    * A polars ``DataFrame`` becomes the ``pyarrow.Table`` that holds its columns
      (``DataFrame.to_arrow``: the same buffers, not copied); a ``LazyFrame`` is
      collected first.
    * Any other object exporting the Arrow C stream interface
      (``__arrow_c_stream__``; a DuckDB relation, an ADBC or arro3 result) becomes a
      ``pyarrow.RecordBatchReader`` (``pyarrow.RecordBatchReader.from_stream``; on
      pyarrow 14, which has no ``from_stream``, the stream's capsule is imported): its
      batches are produced as they are read. A DuckDB relation runs its query then.
    * A pandas DataFrame, a pyarrow Table or RecordBatchReader, a path or a list is
      returned as it is.

    polars and DuckDB are never imported: an object is told by its type's module and
    by the protocol.

    Raises
    ------
    InputTypeError
        If an object's ``__arrow_c_stream__`` does not give a stream of record batches
        (a polars Series, an Arrow array).
    """
    if isinstance(data, pd.DataFrame | pa.Table | pa.RecordBatchReader | str | os.PathLike):
        return data
    if _library(data) == "polars":
        kind = type(data).__name__
        if kind == "LazyFrame" and callable(getattr(data, "collect", None)):
            data = data.collect()
        if type(data).__name__ == "DataFrame" and callable(getattr(data, "to_arrow", None)):
            return data.to_arrow()
    if hasattr(data, "__arrow_c_stream__"):
        try:
            return _read_stream(data)
        except (TypeError, ValueError, pa.ArrowException) as exc:
            raise InputTypeError(
                f"data of type {type(data).__module__}.{type(data).__name__} exports an Arrow "
                f"stream that is not a stream of record batches (columns): {exc}",
                allowed=_READABLE,
            ) from None
    return data


#: Whether a type is Arrow's ``string_view`` (pyarrow 16 on; none exists before).
_is_string_view = getattr(pa.types, "is_string_view", lambda t: False)


def _read_stream(data: Any) -> pa.RecordBatchReader:
    """An ``__arrow_c_stream__`` exporter as a reader (``from_stream`` is in pyarrow 15 on)."""
    from_stream = getattr(pa.RecordBatchReader, "from_stream", None)
    if from_stream is not None:
        return from_stream(data)
    return pa.RecordBatchReader._import_from_c_capsule(data.__arrow_c_stream__())


def _plain_text(col: Any) -> Any:
    """``string_view`` text (as polars and some producers export it) as ``string``."""
    t = col.type
    if _is_string_view(t):
        return col.cast(pa.string())
    if pa.types.is_dictionary(t) and _is_string_view(t.value_type):
        return col.cast(pa.dictionary(pa.int32(), pa.string()))
    return col


def _stream_batches(
    reader: pa.RecordBatchReader, cols: list[str] | None, rows: int
) -> Iterator[Any]:
    """A stream's batches, ``rows`` at a time: long ones cut, short ones put together."""
    if reader in _READ_STREAMS:
        raise InputTypeError(
            "this pyarrow.RecordBatchReader has been read to its end already: a stream is read "
            "once; pass a new one, or read it into a pyarrow Table first (reader.read_all())",
            allowed=_READABLE,
        )
    _READ_STREAMS.add(reader)
    held: list[pa.RecordBatch] = []
    count = 0
    for batch in reader:
        if cols is not None:
            batch = batch.select(cols)
        for i in range(0, batch.num_rows, rows):
            part = batch.slice(i, rows)
            held.append(part)
            count += part.num_rows
            if count >= rows:
                yield held[0] if len(held) == 1 else pa.Table.from_batches(held)
                held, count = [], 0
    if count:
        yield held[0] if len(held) == 1 else pa.Table.from_batches(held)


# --- what a file is ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _File:
    """One file of the input, inspected: its kind, its columns and their types."""

    path: Path
    kind: str  # "csv" or "parquet"
    schema: pa.Schema
    rows: int | None = None
    compression: str | None = None
    delimiter: str = ","
    empty: bool = False  # a CSV with no header at all: no rows, no columns
    no_rows: bool = False  # a CSV header with no line end and nothing after it

    @property
    def name(self) -> str:
        return str(self.path)


def _head(path: Path, n: int, compression: str | None = None) -> bytes:
    with pa.input_stream(str(path), compression=compression) as stream:  # type: ignore[arg-type]  # stub: compression=None is valid
        return stream.read(n)


def sniff(path: Path, *, encoding: str = "utf-8") -> tuple[str, str | None]:
    """What a file holds, from its first bytes and its name: (kind, compression).

    * A name ending ``.parquet``, ``.pq`` or ``.parq`` must hold Parquet (``PAR1``).
    * gzip, bzip2 and zstd content (told by its magic bytes, whatever the name) is
      decompressed and read as CSV; so a gzip file saved as ``x.csv`` is read as the
      CSV it holds, and a ``.csv.gz`` that is plain text is read as plain text.
    * CSV content must be text: ZIP archives (an ``.xlsx`` workbook), Excel 97-2003
      files, Parquet, PDF, xz, or bytes with NULs (binary, or UTF-16 read as UTF-8)
      are refused.
    * Any other name is read as Parquet when it starts with ``PAR1`` and refused
      otherwise.

    Raises
    ------
    UnsupportedFormatError
        For content that is neither CSV nor Parquet (the message says what it looks like).
    InputFileError
        For a file that cannot be opened, or a ``.parquet`` name on other content.
    """
    named = _named_kind(path)
    try:
        head = _head(path, _SNIFF_BYTES)
    except OSError as exc:
        raise InputFileError(f"cannot read {str(path)!r}: {exc}", path=str(path)) from None
    if named == "parquet" or (named is None and head[:4] == b"PAR1"):
        if head[:4] != b"PAR1":
            raise InputFileError(
                f"{str(path)!r} is not a Parquet file (it does not start with the bytes PAR1)",
                path=str(path),
            )
        return "parquet", None
    if named is None:
        raise UnsupportedFormatError(
            f"{str(path)!r} is neither CSV nor Parquet (expected a .csv, .csv.gz, .tsv or "
            ".parquet file, or a folder of them)",
            path=str(path),
            allowed=sorted(_CSV | _PARQUET),
        )
    compression = next((c for m, c in _COMPRESSION_MAGIC.items() if head.startswith(m)), None)
    if compression is not None:
        try:
            head = _head(path, _SNIFF_BYTES, compression)
        except (OSError, pa.ArrowException) as exc:
            raise InputFileError(
                f"{str(path)!r} starts as {compression} data but cannot be decompressed: {exc}",
                path=str(path),
            ) from None
    for magic, what in _BINARY_MAGIC.items():
        if head.startswith(magic):
            raise UnsupportedFormatError(
                f"{str(path)!r} is named as CSV but holds {what}", path=str(path)
            )
    wide = encoding.startswith(("utf-16", "utf-32"))
    if b"\x00" in head and not wide:
        hint = (
            ": it looks like UTF-16 text, pass encoding='utf-16'"
            if head[:2] in (b"\xff\xfe", b"\xfe\xff")
            else ""
        )
        raise UnsupportedFormatError(
            f"{str(path)!r} is named as CSV but holds binary data (NUL bytes){hint}",
            path=str(path),
        )
    return "csv", compression


def _inspect(path: Path, csv: CsvOptions) -> _File:
    kind, compression = sniff(path, encoding=csv.encoding)
    if kind == "parquet":
        try:
            pf = pq.ParquetFile(path)
            schema, rows = pf.schema_arrow, pf.metadata.num_rows
            pf.close()
        except (pa.ArrowException, OSError) as exc:
            raise InputFileError(
                f"{str(path)!r} is not a readable Parquet file (truncated or corrupt?): {exc}",
                path=str(path),
            ) from None
        _check_unique(schema.names, source=str(path))
        return _File(path, "parquet", schema, rows=rows)
    delimiter = csv.sep or ("\t" if _suffixes(path)[-1:] == [".tsv"] else ",")
    file = _File(path, "csv", pa.schema([]), compression=compression, delimiter=delimiter)
    names, no_rows = _csv_header(file, csv)
    if names is None:
        return _File(path, "csv", pa.schema([]), compression=compression, empty=True)
    _check_unique(names, source=str(path))
    schema = pa.schema([(n, pa.string()) for n in names])
    return _File(path, "csv", schema, compression=compression, delimiter=delimiter, no_rows=no_rows)


# --- reading CSV ---------------------------------------------------------------------------------


def _first_record(text: str, delimiter: str) -> tuple[list[str] | None, bool]:
    """The first CSV record of ``text`` (None if there is none) and whether a line end closes it."""
    lines: list[str] = []

    def read() -> Iterator[str]:
        for line in io.StringIO(text, newline=""):
            lines.append(line)
            yield line

    try:
        row = next(pycsv.reader(read(), delimiter=delimiter))
    except StopIteration:
        return None, False
    except pycsv.Error:  # Arrow's reading reports it, naming the file
        return None, True
    return row, bool(lines) and lines[-1].endswith(("\n", "\r"))


def _csv_header(file: _File, csv: CsvOptions) -> tuple[list[str] | None, bool]:
    """The header's column names (None for a file with no header at all); whether no rows follow.

    The first record is found in a sample first, so that Arrow's first block, from which it
    reads the names, holds the whole header (a longer one would be cut at the block's end).
    """
    block = 0
    for sample, size in ((1 << 16, 1 << 18), (1 << 22, _CSV_BLOCK)):  # room for 4x transcoding
        with pa.input_stream(file.name, compression=file.compression) as stream:  # type: ignore[arg-type]  # stub: compression=None is valid
            raw = stream.read(sample)
        text = raw.decode(csv.encoding, errors="replace").lstrip("\ufeff")
        row, closed = _first_record(text, file.delimiter)
        if len(raw) < sample and not closed:  # the whole file: empty, or a header alone
            return (row if text.strip() else None), True
        if closed:
            block = size
            break
    else:
        raise InputFileError(
            f"{file.name!r}: the first line (the header) is longer than {sample >> 20} MiB: "
            "is it a CSV file?",
            path=file.name,
        )
    read = pacsv.ReadOptions(block_size=block, encoding=csv.encoding)
    parse = pacsv.ParseOptions(delimiter=file.delimiter)
    try:
        with pa.input_stream(file.name, compression=file.compression) as stream:  # type: ignore[arg-type]  # stub: compression=None is valid
            reader = pacsv.open_csv(stream, read_options=read, parse_options=parse)  # type: ignore[arg-type]  # stub: takes a NativeFile
            return list(reader.schema.names), False
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise _csv_error(file, csv, exc) from None


def _open_csv(
    file: _File, csv: CsvOptions, columns: Sequence[str] | None, *, threads: bool = True
) -> Any:
    names = file.schema.names
    read = pacsv.ReadOptions(block_size=_CSV_BLOCK, encoding=csv.encoding, use_threads=threads)
    parse = pacsv.ParseOptions(delimiter=file.delimiter)
    convert = pacsv.ConvertOptions(
        column_types={c: pa.string() for c in names},
        include_columns=list(columns) if columns is not None else names,
        strings_can_be_null=True,
        null_values=[""],
        auto_dict_encode=True,
        auto_dict_max_cardinality=1 << 20,
    )
    stream = pa.input_stream(file.name, compression=file.compression)  # type: ignore[arg-type]  # stub: compression=None is valid
    return pacsv.open_csv(stream, read_options=read, parse_options=parse, convert_options=convert)  # type: ignore[arg-type]  # stub: takes a NativeFile


def _csv_batches(file: _File, csv: CsvOptions, columns: Sequence[str] | None) -> Iterator[Any]:
    if file.empty or file.no_rows:
        return
    try:
        reader = _open_csv(file, csv, columns)
        for batch in reader:
            if batch.num_rows:
                yield batch
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise _csv_error(file, csv, exc, columns=columns) from None


def _decode_error(file: _File, csv: CsvOptions) -> tuple[int, int | None, bytes] | None:
    """Where the content first fails to decode: (byte offset, line or None, bad bytes)."""
    decoder = codecs.getincrementaldecoder(csv.encoding)(errors="strict")
    offset = newlines = 0
    with pa.input_stream(file.name, compression=file.compression) as stream:  # type: ignore[arg-type]  # stub: compression=None is valid
        while True:
            chunk = stream.read(1 << 20)
            pending = decoder.getstate()[0]
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                data = pending + chunk
                at = offset - len(pending) + exc.start
                line = newlines + data[: exc.start].count(b"\n") - pending.count(b"\n") + 1
                return at, line if csv.ascii_compatible else None, data[exc.start : exc.end]
            if not chunk:
                return None
            newlines += chunk.count(b"\n")
            offset += len(chunk)


def _parse_error_row(file: _File, csv: CsvOptions, columns: Sequence[str] | None) -> str | None:
    """The message of Arrow's single-threaded reader, which numbers the row at fault."""
    try:
        for _ in _open_csv(file, csv, columns, threads=False):
            pass
    except pa.ArrowInvalid as exc:
        return str(exc)
    return None


def _csv_error(
    file: _File, csv: CsvOptions, exc: Exception, *, columns: Sequence[str] | None = None
) -> InputFileError:
    message = str(exc)
    if isinstance(exc, UnicodeDecodeError) or "UTF8" in message or "UTF-8" in message:
        where = _decode_error(file, csv)
        if where is not None:
            at, line, bad = where
            place = f"line {line:,} (byte {at:,})" if line is not None else f"byte {at:,}"
            hint = (
                "; pass encoding= the file's encoding (files saved by Excel on Windows are "
                "often 'cp1252')"
                if csv.encoding == "utf-8"
                else "; pass encoding= the file's encoding"
            )
            return InputFileError(
                f"{file.name!r}: the bytes {bad!r} at {place} are not valid {csv.encoding} "
                f"text{hint}",
                path=file.name,
                values=[bad],
                allowed=[csv.encoding],
            )
    if "CSV parse error" in message and "Row #" not in message:
        message = _parse_error_row(file, csv, columns) or message
    if len(message) > 300:
        message = message[:300] + "..."
    return InputFileError(
        f"{file.name!r} is not a readable CSV (separator {file.delimiter!r}, encoding "
        f"{csv.encoding}): {message}",
        path=file.name,
    )


# --- reading Parquet -----------------------------------------------------------------------------


#: Consecutive row groups are read together while their rows add up to at most this many.
MIN_BATCH_ROWS = 1 << 20


def _plain_pages(pf: pq.ParquetFile, table: pa.Table, group: int) -> list[str]:
    """The dictionary-read columns of a first batch whose column chunk has plain pages.

    A Parquet writer falls back from dictionary to plain pages when a chunk's
    dictionary outgrows its page (pyarrow's 1 MiB: about 80,000 area codes).
    Arrow then hashes every plain value to give a dictionary, on the reading
    thread. Such a chunk is seen by its size: its pages hold a quarter more
    bytes than the whole dictionary and one index per row (of as many bits as
    the dictionary needs) would take.
    """
    meta = pf.metadata.row_group(group)
    where = {meta.column(i).path_in_schema: i for i in range(meta.num_columns)}
    out = []
    for name, col in zip(table.schema.names, table.columns, strict=True):
        if not pa.types.is_dictionary(col.type) or name not in where or not col.num_chunks:
            continue
        dictionary = cast(pa.DictionaryArray, col.chunk(0)).dictionary
        text_bytes = dictionary.buffers()[2]  # the values' bytes, one after another
        plain_bytes = 4 * len(dictionary) + (text_bytes.size if text_bytes is not None else 0)
        bits = max(1, (len(dictionary) - 1).bit_length())
        expected = plain_bytes + meta.num_rows * bits // 8
        if meta.column(where[name]).total_uncompressed_size > 1.25 * expected + (1 << 16):
            out.append(name)
    return out


def _row_groups(
    path: Path,
    columns: list[str] | None,
    *,
    threads: bool,
    dictionaries: Sequence[str] | None = None,
    plain_fallback: bool = False,
) -> Iterator[pa.Table]:
    """Whole Parquet row groups per batch, text columns read as dictionaries.

    Reading whole row groups keeps Parquet's dictionary pages as Arrow
    dictionaries; batches that straddle row groups would re-slice them.
    Consecutive row groups are read together while their rows add up to at
    most :data:`MIN_BATCH_ROWS` (a file written with DuckDB's 122,880-row
    groups is read in batches of eight, 983,040 rows; 1M-row groups one at a
    time), so that each batch's fixed costs are paid less often.
    ``dictionaries`` limits the dictionary reading to those columns (the
    others' text is read plain: hashing a column of mostly distinct values,
    such as a crime reference, costs more than it saves). ``plain_fallback``:
    a column whose first row group has plain pages (:func:`_plain_pages`) is
    read plain, its first batch's dictionary decoded back to plain values
    (the caller keys or hashes it itself).
    """
    try:
        schema = pq.read_schema(path)
        names = columns or schema.names
        if dictionaries is not None:
            names = [c for c in names if c in set(dictionaries)]
        text = [
            c
            for c in names
            if c in schema.names
            and (
                pa.types.is_string(schema.field(c).type)
                or pa.types.is_large_string(schema.field(c).type)
            )
        ]
        pf = pq.ParquetFile(path, read_dictionary=text)
    except (pa.ArrowException, OSError) as exc:
        raise InputFileError(
            f"{str(path)!r} is not a readable Parquet file (truncated or corrupt?): {exc}",
            path=str(path),
        ) from None
    with contextlib.ExitStack() as opened:
        opened.enter_context(pf)
        n = pf.num_row_groups
        sizes = [pf.metadata.row_group(i).num_rows for i in range(n)]
        i = 0
        while i < n:
            j, rows = i, 0
            # small row groups read together, up to MIN_BATCH_ROWS (a larger one alone)
            while j < n and (j == i or rows + sizes[j] <= MIN_BATCH_ROWS):
                rows += sizes[j]
                j += 1
            try:
                groups = list(range(i, j))
                use = threads or i == 0
                table = (
                    pf.read_row_group(i, columns=columns, use_threads=use)
                    if j == i + 1
                    else pf.read_row_groups(groups, columns=columns, use_threads=use)
                )
            except (pa.ArrowException, OSError) as exc:
                bad, error = _bad_row_group(pf, groups, columns, exc)
                raise InputFileError(
                    f"{str(path)!r}: row group {bad + 1} of {n} cannot be read (corrupt file?): "
                    f"{error}",
                    path=str(path),
                ) from None
            if plain_fallback and i == 0 and text:
                plain = _plain_pages(pf, table, 0)
                if plain:  # read plain from now on, and this batch's values given plain too
                    keep = [c for c in text if c not in plain]
                    pf = opened.enter_context(pq.ParquetFile(path, read_dictionary=keep))
                    for name in plain:
                        at = table.schema.get_field_index(name)
                        col = table.column(at)
                        table = table.set_column(at, name, col.cast(col.type.value_type))
            i = j
            if table.num_rows:
                yield table


def _bad_row_group(
    pf: pq.ParquetFile, groups: list[int], columns: list[str] | None, exc: Exception
) -> tuple[int, Exception]:
    """The first of ``groups`` that cannot be read alone, and its error (the read's otherwise)."""
    for g in groups if len(groups) > 1 else []:
        try:
            pf.read_row_group(g, columns=columns)
        except (pa.ArrowException, OSError) as alone:
            return g, alone
    return groups[0], exc


# --- one batch in the input's types --------------------------------------------------------------


def _nan_to_null(col: Any) -> Any:
    """Float NaN as null: a NaN area, code or flag is a blank one (as pandas reads it)."""
    if pa.types.is_floating(col.type) and len(col) and pc.any(pc.is_nan(col)).as_py():
        return pc.if_else(pc.is_nan(col), pa.scalar(None, col.type), col)
    return col


def _conform(batch: Any, types: Mapping[str, Any] | None, *, source: str) -> Any:
    """A batch with NaN read as null and, for several files, each column in its unified type."""
    names = batch.schema.names
    out = []
    changed = False
    for i, name in enumerate(names):
        col = batch.column(i)
        target = None if types is None else types.get(name)
        new = _plain_text(col)
        if target is not None and col.type != target:
            if pa.types.is_string(target) and _is_text(col.type):
                if pa.types.is_large_string(col.type):
                    new = col.cast(pa.string())
                elif pa.types.is_large_string(col.type.value_type):
                    new = col.cast(pa.dictionary(pa.int32(), pa.string()))
            else:
                try:
                    new = col.cast(target, safe=True)
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                    raise ColumnTypeError(
                        f"{source}: column {name!r} ({col.type}) cannot be read as {target}, "
                        f"the type it has in the other files: {exc}",
                        path=source,
                        column=name,
                        values=[str(col.type)],
                        allowed=[str(target)],
                    ) from None
        new = _nan_to_null(new)
        changed |= new is not col
        out.append(new)
    if not changed:
        return batch
    if isinstance(batch, pa.RecordBatch):
        return pa.RecordBatch.from_arrays(out, names=names)
    return pa.Table.from_arrays(out, names=names)


def _as_dictionaries(table: pa.Table, only: Sequence[str] | None = None) -> pa.Table:
    """Text columns as ``dictionary<int32, string>``, so that parts of any file concatenate.

    With ``only``, just those columns; the other text columns become ``string``.
    """
    target = pa.dictionary(pa.int32(), pa.string())
    keep = None if only is None else set(only)
    cols = []
    for name, col in zip(table.schema.names, table.columns, strict=True):
        if keep is not None and name not in keep:
            if _is_text(col.type) and col.type != pa.string():
                col = col.cast(pa.string())
        elif _is_text(col.type) and col.type != target:
            col = pc.dictionary_encode(col) if not pa.types.is_dictionary(col.type) else col
            col = col.cast(target)
        cols.append(col)
    return pa.Table.from_arrays(cols, names=table.schema.names)


# --- the source ----------------------------------------------------------------------------------


@dataclass
class Source:
    """Records to read in batches: a DataFrame, an Arrow table or stream, or files.

    ``kind`` is ``pandas``, ``arrow`` (a table), ``stream`` (a
    ``pyarrow.RecordBatchReader``, read once), ``parquet`` or ``csv`` (one file),
    ``dataset`` (a folder, glob or list of files). ``columns`` are the input's
    columns, ``wanted`` those read (None: all), ``types`` the unified Arrow type
    of each column read from files.
    """

    data: Any
    kind: str
    columns: list[str]
    rows: int | None
    path: Path | None = None
    wanted: list[str] | None = None
    batch_rows: int = DEFAULT_BATCH_ROWS
    files: list[_File] = field(default_factory=list)
    types: dict[str, Any] | None = None
    csv: CsvOptions = field(default_factory=CsvOptions)

    def batches(
        self,
        *,
        decode_threads: bool = True,
        dictionaries: Sequence[str] | None = None,
        select: bool = True,
        plain_fallback: bool = False,
    ) -> Iterator[Any]:
        """Yield record batches (Arrow ``RecordBatch`` or ``Table``) or DataFrame slices.

        ``select=False`` leaves a DataFrame's slices every column (the caller
        reads the ``wanted`` ones, :func:`batch_columns`): no copy of the
        column selection, and a frame of one batch is yielded as it is.

        ``decode_threads=False`` decodes each Parquet row group after the first
        on the calling thread, for a caller that works on several batches at
        once (the first, read while nothing else runs, still uses Arrow's
        threads). ``dictionaries``: the only text columns of Parquet files
        read as dictionaries (default: every one). ``plain_fallback``: after
        the first row group, text columns whose dictionary outgrew its page in
        the file are read plain (see :func:`_row_groups`).
        """
        cols = self.wanted
        if self.kind == "pandas":
            frame = self.data if cols is None or not select else self.data[cols]
            if not select and 0 < len(frame) <= self.batch_rows:
                yield frame
                return
            for i in range(0, len(frame), self.batch_rows):
                yield frame.iloc[i : i + self.batch_rows]
        elif self.kind == "arrow":
            table = self.data if cols is None else self.data.select(cols)
            for batch in table.to_batches(max_chunksize=self.batch_rows):
                yield _conform(batch, None, source="data")
        elif self.kind == "stream":
            for batch in _stream_batches(self.data, cols, self.batch_rows):
                yield _conform(batch, None, source="data")
        else:
            several = len(self.files) > 1
            for file in self.files:
                types = self.types if several else None
                if file.kind == "parquet":
                    parts: Iterator[Any] = _row_groups(
                        file.path,
                        cols,
                        threads=decode_threads,
                        dictionaries=dictionaries,
                        plain_fallback=plain_fallback,
                    )
                else:
                    parts = _csv_batches(file, self.csv, cols)
                for part in parts:
                    yield _conform(part, types, source=file.name)

    def read(self, *, categoricals: Sequence[str] | None = None) -> pd.DataFrame:
        """Every batch in one DataFrame.

        Text read from files comes as categoricals: every text column, or only
        the ``categoricals`` given (the others as pandas ``str``).
        """
        if self.kind == "pandas":
            return self.data if self.wanted is None else self.data[self.wanted]
        table = self.read_arrow(categoricals=categoricals)
        if table is None:
            names = self.wanted if self.wanted is not None else self.columns
            return pd.DataFrame({c: pd.Series(dtype=object) for c in names})
        return to_pandas(table)

    def read_arrow(self, *, categoricals: Sequence[str] | None = None) -> pa.Table | None:
        """Every batch in one Arrow table; None for files with no rows and no types.

        Text read from files comes as dictionaries: every text column, or only
        the ``categoricals`` given (the others as ``string``). Not for a
        ``pandas`` source (whose data is a DataFrame already).
        """
        names = self.wanted if self.wanted is not None else self.columns
        parts = [
            b if isinstance(b, pa.Table) else pa.Table.from_batches([b])
            for b in self.batches(dictionaries=categoricals)
        ]
        if self.kind not in ("arrow", "stream"):
            parts = [_as_dictionaries(p.select(names), categoricals) for p in parts]
        if not parts:
            if self.kind == "arrow":
                return _conform(self.data.select(names), None, source="data")
            if self.kind == "stream":
                schema = pa.schema([self.data.schema.field(c) for c in names])
                return _conform(schema.empty_table(), None, source="data")
            return None
        table = pa.concat_tables(parts)
        del parts
        return table


def to_pandas(table: pa.Table) -> pd.DataFrame:
    """A table read for scoring as a DataFrame, releasing each column's Arrow memory as it goes.

    The peak holds about one column twice, not the whole table; ``table`` must
    not be used afterwards.
    """
    return table.to_pandas(split_blocks=True, self_destruct=True)


def _files_source(
    data: Any, wanted: list[str] | None, require: list[str], csv: CsvOptions, batch_rows: int
) -> Source:
    paths, single = _paths(data)
    files = [_inspect(p, csv) for p in paths]
    full = [f for f in files if not f.empty]
    several = len(files) > 1
    if not full:  # no header anywhere: a failed export or download, not "no crimes"
        shown = ", ".join(repr(str(p)) for p in paths[:3]) + (", ..." if len(paths) > 3 else "")
        raise EmptyDataError(
            f"{shown}: {'the file is' if single else f'all {len(paths)} files are'} empty (no "
            "header line); a CSV with no records still has its header",
            path=str(paths[0]),
        )
    hint = (
        "; to read only some of the files, pass a glob (such as 'folder/**/*-street.csv' for "
        "data.police.uk street files) or a "
        "list of files"
        if several
        else ""
    )
    needed = list(dict.fromkeys([*(wanted or []), *require]))
    for f in full:
        names = f.schema.names
        _require(names, needed, source=f.name, hint=hint or _separator_hint(names))
    columns = list(full[0].schema.names)
    if wanted is None and several:  # every column is read: every file must have the same
        for f in full[1:]:
            extra = [c for c in f.schema.names if c not in columns]
            if extra:
                raise MissingColumnError(
                    f"{f.name}: column(s) {extra} are not in {full[0].name!r}; every file of one "
                    f"input needs the same columns{hint}",
                    path=f.name,
                    column=extra[0],
                    values=extra,
                    allowed=columns,
                )
            _require(f.schema.names, columns, source=f.name, hint=hint)
    for f in full:
        _check_flat({fld.name: fld.type for fld in f.schema}, require, source=f.name)
    read = wanted if wanted is not None else columns
    types = unify_types([(f.name, f.schema) for f in full], read)
    rows = sum(f.rows or 0 for f in files) if all(f.kind == "parquet" for f in files) else None
    kind = files[0].kind if single else "dataset"
    return Source(
        None,
        kind,
        columns,
        rows,
        path=paths[0] if single else None,
        wanted=wanted,
        batch_rows=batch_rows,
        files=files,
        types=types,
        csv=csv,
    )


def open_source(
    data: Any,
    *,
    columns: Sequence[str] | None = None,
    require: Sequence[str] | None = None,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    encoding: str = "utf-8",
    sep: str | None = None,
) -> Source:
    """Open records for reading in batches, checking the columns the caller reads.

    Parameters
    ----------
    data : DataFrame, Arrow table or stream, path, glob or list of paths
        Records: a pandas or polars DataFrame, a polars LazyFrame (collected),
        a pyarrow Table or RecordBatch, or any object exporting the Arrow C
        stream interface (a ``pyarrow.RecordBatchReader``, a DuckDB relation;
        a stream is read once, when the batches are read; see :func:`as_arrow`).
        A path is a CSV or Parquet file or a folder of them (read
        recursively; names starting ``.`` or ``_`` skipped); a glob (``*``,
        ``?``, ``[``; ``**`` for any depth) or a list names several files,
        read as one input.
    columns : sequence of str, optional
        Columns to read (all by default).
    require : sequence of str, optional
        Columns read as values (codes, dates, flags, counts, areas): each must
        be present in every file and hold one plain value per row. Default
        ``columns``.
    batch_rows : int
        Rows per batch of in-memory data (files keep their row groups and blocks).
    encoding : str
        Text encoding of CSV files (``utf-8`` by default; a byte order mark is skipped).
    sep : str, optional
        Field separator of CSV files: one character (``,`` by default, a tab for ``.tsv``).

    Raises
    ------
    InputFileError
        If a path does not exist or a file cannot be read (the file, and the
        line or row group, named).
    InputTypeError
        If ``data`` is none of these, or is a ``pyarrow.RecordBatchReader``
        read to its end already.
    UnsupportedFormatError
        If a file is neither CSV nor Parquet.
    MissingColumnError
        If a needed column is absent (the message names the file and lists the
        columns present).
    ColumnNameError
        If column names repeat.
    ColumnTypeError
        If a column read as values holds lists or records, or its types
        differ between files in a way that would change values.
    OptionError
        For ``batch_rows``, ``encoding`` or ``sep`` that are not valid.
    """
    batch_rows = check_batch_rows(batch_rows)
    csv = CsvOptions.make(encoding=encoding, sep=sep)
    wanted = list(columns) if columns is not None else None
    needed = list(require) if require is not None else list(wanted or [])
    if isinstance(data, pa.RecordBatch):
        data = pa.Table.from_batches([data])
    data = as_arrow(data)
    if isinstance(data, pd.DataFrame):
        _check_unique(list(data.columns), source="data")
        MissingColumnError.check(list(data.columns), [*(wanted or []), *needed], source="data")
        _check_flat(dict(data.dtypes.items()), needed, source="data")
        _check_object_values(data, needed, source="data")
        return Source(
            data, "pandas", list(data.columns), len(data), wanted=wanted, batch_rows=batch_rows
        )
    if isinstance(data, pa.Table):
        _check_unique(data.schema.names, source="data")
        MissingColumnError.check(data.schema.names, [*(wanted or []), *needed], source="data")
        _check_flat({f.name: f.type for f in data.schema}, needed, source="data")
        return Source(
            data, "arrow", data.schema.names, data.num_rows, wanted=wanted, batch_rows=batch_rows
        )
    if isinstance(data, pa.RecordBatchReader):  # the schema only: the batches are read later
        names = data.schema.names
        _check_unique(names, source="data")
        MissingColumnError.check(names, [*(wanted or []), *needed], source="data")
        _check_flat({f.name: f.type for f in data.schema}, needed, source="data")
        return Source(data, "stream", names, None, wanted=wanted, batch_rows=batch_rows)
    if isinstance(data, str | os.PathLike | list | tuple):
        return _files_source(data, wanted, needed, csv, batch_rows)
    raise _unreadable(data)


def read_table(
    data: Any,
    *,
    columns: Sequence[str] | None = None,
    require: Sequence[str] | None = None,
    encoding: str = "utf-8",
    sep: str | None = None,
    categoricals: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Read records into one pandas DataFrame.

    Parameters
    ----------
    data : DataFrame, Arrow table or stream, path, glob or list of paths
        As for :func:`open_source`; several files are read as one table.
    columns : sequence of str, optional
        Columns to read (all by default); a missing one raises
        :class:`MissingColumnError` listing the columns present.
    require, encoding, sep
        As for :func:`open_source`.
    categoricals : sequence of str, optional
        The text columns read from files as categoricals (all by default);
        the others come as pandas ``str``.

    Returns
    -------
    pandas.DataFrame
        For a DataFrame, the same object (not copied). Text read from files
        comes as categoricals (see ``categoricals``). A CSV file with no header
        raises :class:`~crimeharm.EmptyDataError`.
    """
    source = open_source(data, columns=columns, require=require, encoding=encoding, sep=sep)
    return source.read(categoricals=categoricals)


def batch_columns(batch: Any, names: Sequence[str] | None = None) -> Mapping[str, Any]:
    """A batch (DataFrame slice, Arrow table or record batch) as column name -> column.

    ``names``: only these columns of a DataFrame (default: every one).
    """
    if isinstance(batch, pd.DataFrame):
        return {c: batch[c] for c in (batch.columns if names is None else names)}
    return {name: batch.column(i) for i, name in enumerate(batch.schema.names)}
