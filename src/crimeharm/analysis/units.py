"""Totals per unit (area, street segment, offender, victim): the rules every measure shares.

Concentration, harm spots, persistence and the person measures all start by
summing a table or records per unit. The rules live here, once:

* **Which units.** The units that have a row in the table; with
  ``complete=True`` also every category of a categorical (or Arrow
  dictionary) unit column that has no row, and for several unit columns every
  combination of their values; with ``units=`` exactly the units listed (a
  row whose unit is not listed is an error, not dropped). Units with no row
  count with a value of zero.
* **No id.** A unit value that is null, NaN, blank text (``""``, spaces) or
  the blank-area label of :func:`crimeharm.harm_index` (``"(blank)"``) is
  *no id*: those rows are not one unit (they may be many people or places),
  so they are left out of the distribution and counted apart (rows and value
  sums, reported as ``no id``); never dropped silently. With several unit
  columns, a row is *no id* when any of them is.
* **Scored records.** In the output of :func:`crimeharm.score`, rows with
  an exclusion reason (its ``excluded`` column) are not crimes of the index:
  they are left out of every measure and counted (``rows_excluded``).
* **Values.** Every value must be a number ``>= 0``; missing values, text
  that is not a number, infinities and negatives raise
  :class:`~crimeharm.ColumnValueError` naming the column and how many rows
  are at fault.
* **Order.** Units are ordered by value, largest first; ties are ordered by
  the unit's id, ascending (by the first unit column, then the next), so the
  order never depends on the order of the rows.

All of it is vectorised: unit columns are dictionary-encoded once in Arrow's
C++ (:func:`crimeharm.scoring.columns.dictionary_encoded`), sums are
``numpy.bincount`` over integer unit ids.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from crimeharm._engine.groups import blank_values
from crimeharm._engine.textkeys import byte_bounds
from crimeharm.errors import ColumnValueError, EmptyDataError, MissingColumnError
from crimeharm.scoring.columns import dictionary_encoded

__all__ = [
    "NO_ID",
    "UnitTotals",
    "as_units",
    "columns_of",
    "included_rows",
    "numbers",
    "unit_totals",
]

#: How rows without a unit id are labelled in outputs.
NO_ID = "no id"

_DENSE_LIMIT = 1 << 26  # packed unit codes up to this many are counted densely
_LEFT_OUT = -2  # unit_of_row of a row that ``mask`` leaves out


def as_units(unit: str | Sequence[str]) -> list[str]:
    """The unit column(s) as a list, checked to be column names."""
    names = [unit] if isinstance(unit, str) else list(unit)
    if not names or not all(isinstance(n, str) for n in names):
        raise ColumnValueError(f"unit= takes a column name or a list of them, not {unit!r}")
    return names


def columns_of(data: Any, names: Sequence[str], *, source: str = "table") -> dict[str, Any]:
    """The named columns of a DataFrame, an Arrow table or a file, without copying.

    Raises
    ------
    MissingColumnError
        When a column is not there (the message lists those present).
    """
    names = list(dict.fromkeys(names))
    if isinstance(data, pa.Table):
        MissingColumnError.check(data.schema.names, names, source=source)
        return {n: data.column(n) for n in names}
    if isinstance(data, pd.DataFrame):
        MissingColumnError.check(list(data.columns), names, source=source)
        return {n: data[n] for n in names}
    if isinstance(data, str | os.PathLike):
        from crimeharm.scoring.inputs import read_table

        frame = read_table(data, columns=names)
        return {n: frame[n] for n in names}
    raise ColumnValueError(
        f"{source}: expected a pandas DataFrame, a pyarrow Table or a path, "
        f"not {type(data).__name__}"
    )


def included_rows(data: Any) -> np.ndarray | None:
    """The rows :func:`crimeharm.score` included, when ``data`` is its output; else None.

    Scored records carry ``excluded``, the reason a row is left out (null when
    it counts). A result table of :func:`crimeharm.harm_index` also has an
    ``excluded`` column, but of numbers (crimes excluded per cell): it gives None.
    """
    if isinstance(data, pa.Table):
        if "excluded" not in data.schema.names:
            return None
        reasons = data.column("excluded")
        if pa.types.is_integer(reasons.type) or pa.types.is_floating(reasons.type):
            return None
        return np.asarray(reasons.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    if isinstance(data, pd.DataFrame) and "excluded" in data.columns:
        column = data["excluded"]
        if pd.api.types.is_numeric_dtype(column.dtype):
            return None
        return np.asarray(column.isna(), dtype=bool)
    return None


def _single(col: Any) -> Any:
    if isinstance(col, pa.ChunkedArray):
        return col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    return col


def numbers(col: Any, *, name: str, negative: bool = False) -> np.ndarray:
    """A column as float64, every value a finite number (and ``>= 0`` unless ``negative``).

    Raises
    ------
    ColumnValueError
        Naming the column, how many values are missing or not numbers and how
        many are negative, with examples.
    """
    col = _single(col)
    if isinstance(col, pa.Array):
        if pa.types.is_integer(col.type) or pa.types.is_floating(col.type):
            raw = pc.cast(col, pa.float64())
            values = raw.to_numpy(zero_copy_only=False)
            if raw.null_count:
                values = np.where(raw.is_valid().to_numpy(zero_copy_only=False), values, np.nan)
            original: Any = None
        else:
            original = col.to_pandas()
            values = pd.to_numeric(original, errors="coerce").to_numpy(float, na_value=np.nan)
    else:
        series = col if isinstance(col, pd.Series) else pd.Series(col)
        original = series
        if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(
            series.dtype
        ):
            values = series.to_numpy(dtype=float, na_value=np.nan)
        else:
            values = pd.to_numeric(series, errors="coerce").to_numpy(float, na_value=np.nan)
    bad = ~np.isfinite(values)
    neg = (values < 0) if not negative else np.zeros(len(values), dtype=bool)
    if bad.any() or neg.any():
        at = np.flatnonzero(bad | neg)[:5]
        if original is not None:
            examples = list(pd.Series(original).iloc[at])
        else:
            examples = [None if np.isnan(v) else float(v) for v in values[at]]
        parts = []
        if bad.any():
            parts.append(f"{int(bad.sum()):,} missing or not a finite number")
        if neg.any():
            parts.append(f"{int(neg.sum()):,} negative")
        expected = "finite numbers" if negative else "numbers >= 0"
        raise ColumnValueError(
            f"column {name!r}: {' and '.join(parts)} of {len(values):,} value(s), e.g. "
            f"{examples}; expected {expected}",
            column=name,
            values=examples,
        )
    return np.asarray(values, dtype=float)


def _blank(dictionary: pa.Array) -> np.ndarray:
    """Which distinct values are no id: a blank area, or harm_index's label of one."""
    return blank_values(dictionary, labelled=True)


def _string_array(col: Any) -> pa.Array | None:
    """The column as one Arrow string array, when it is text (not categorical)."""
    if isinstance(col, pd.Series):
        if isinstance(col.dtype, pd.CategoricalDtype) or not (
            pd.api.types.is_string_dtype(col.dtype)
        ):
            return None
        try:
            col = pa.array(col, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            return None
    col = _single(col)
    if isinstance(col, pa.Array) and (
        pa.types.is_string(col.type) or pa.types.is_large_string(col.type)
    ):
        return col
    return None


_CHUNK = 1 << 19  # rows per block when building keys (a block's arrays stay in cache)
_THREADS = 2  # blocks are done on this many threads (numpy releases the GIL in the loops)


def _offsets(arr: pa.Array) -> np.ndarray:
    large = pa.types.is_large_string(arr.type)
    return np.frombuffer(
        cast(Any, arr.buffers()[1]),
        dtype=np.int64 if large else np.int32,
        count=len(arr) + 1 + arr.offset,
    )[arr.offset :]


def _pair_columns(
    arr: pa.Array, matrix_out: list[np.ndarray] | None = None, *, lazy: bool = False
) -> tuple[list[np.ndarray] | None, int] | None:
    """The text as columns of two bytes (big-endian, zero-padded), and its width in bytes.

    Column ``j`` holds bytes ``2j`` and ``2j + 1`` of every value as one
    16-bit number (0 past the end of a value), so columns compare as the text
    does; an odd last byte is a column of its own. None when a value is longer
    than 32 bytes or the text holds a NUL byte (which would read as padding).
    When every value has the same width (and none is null), the ``(rows,
    width)`` matrix of bytes is appended to ``matrix_out``. Otherwise, with
    ``lazy``, the columns are None (only the checks are made).
    """
    n = len(arr)
    offsets = _offsets(arr)
    lengths = np.diff(offsets)
    if arr.null_count:  # a null's slot may hold bytes: read it as empty text
        lengths = np.where(arr.is_valid().to_numpy(zero_copy_only=False), lengths, 0)
    width = int(lengths.max())
    if width > 32:
        return None
    buffer = arr.buffers()[2]
    data = (
        np.frombuffer(cast(Any, buffer), dtype=np.uint8)
        if buffer is not None
        else np.zeros(0, np.uint8)
    )
    first = int(offsets[0])
    data = data[first : int(offsets[-1])]
    if data.size and not data.all():
        return None
    pairs, odd = divmod(width, 2)
    if width and int(lengths.min()) == width:  # one width: the bytes are a matrix already
        matrix = data.reshape(n, width)
        if matrix_out is not None:
            matrix_out.append(matrix)
        columns = [matrix[:, : 2 * pairs].view(">u2")[:, j] for j in range(pairs)]
        if odd:
            columns.append(matrix[:, width - 1])
        return columns, width
    if data.size == 0:
        return [np.zeros(n, dtype=np.uint16)], width
    if lazy:  # the caller reads the columns from the array itself (compiled)
        return None, width
    starts = offsets[:-1].astype(np.int64) - first
    top = data.size - 1
    out = np.empty((pairs + odd, n), dtype=np.uint16)

    def fill(a: int, b: int) -> None:
        st, ln = starts[a:b], lengths[a:b]
        for j in range(pairs + odd):
            at = st + 2 * j
            hi = np.where(ln > 2 * j, data[np.minimum(at, top)], 0).astype(np.uint16)
            if j < pairs:
                lo = np.where(ln > 2 * j + 1, data[np.minimum(at + 1, top)], 0)
                hi <<= 8
                hi |= lo
            out[j, a:b] = hi

    _blocks(n, fill)
    return list(out), width


def _blocks(n: int, work: Any) -> None:
    """Run ``work(start, stop)`` over blocks of rows, on ``_THREADS`` threads."""
    starts = range(0, n, _CHUNK)
    if len(starts) < 2:
        for a in starts:
            work(a, min(a + _CHUNK, n))
        return
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=_THREADS) as pool:
        for f in [pool.submit(work, a, min(a + _CHUNK, n)) for a in starts]:
            f.result()


def _native(col: np.ndarray) -> np.ndarray:
    """A block of a byte-pair column as contiguous native integers (faster to index with)."""
    if col.dtype.isnative and col.flags.c_contiguous:
        return col
    return np.ascontiguousarray(col, dtype=np.uint16 if col.dtype.itemsize == 2 else col.dtype)


def _short_string_codes(arr: pa.Array) -> tuple[np.ndarray, pa.Array, np.ndarray] | None:
    """Codes, distinct values and their ranks for short text, without hashing text.

    Text of up to 32 bytes without NUL bytes is read as columns of two bytes
    (:func:`_pair_columns`). Each column's distinct values are mapped, in
    order, to small codes, and columns with one value only are dropped. When
    the product of the remaining columns' alphabet sizes is small enough (ids
    and area codes are made of a few characters in a fixed pattern:
    ``E01000001``, ``P1234567``), each row becomes one integer in a dense
    space that sorts as the text does; the distinct values are the integers
    that occur, their codes come in ascending order, and their text is read
    back from the integers. None when the text does not fit (the caller falls
    back to Arrow's dictionary encoding, a hash table of text). Text of one
    width whose every byte runs over a small range (``E01000001``) is coded
    first by plain arithmetic on its bytes (:func:`_byte_range_codes`).
    """
    if len(arr) == 0:
        return None
    kernel = _kernel()
    matrix: list[np.ndarray] = []
    read = _pair_columns(arr, matrix, lazy=kernel is not None)
    if read is None:
        return None
    if matrix:
        fast = _byte_range_codes(matrix[0], arr.type)
        if fast is not None:
            return fast
    columns, width = read
    reader = _Columns(columns) if columns is not None else _Buffers(arr, width, kernel)
    return _pair_codes(arr, reader, width)


class _Columns:
    """Byte-pair columns in memory (:func:`_pair_columns`), read by numpy."""

    def __init__(self, columns: list[np.ndarray]) -> None:
        self.columns = columns
        self.n_cols = len(columns)
        self.key_type: Any = None  # the smallest that holds the keys

    def look(self, a: int, b: int, seen: np.ndarray) -> None:
        for j, col in enumerate(self.columns):
            seen[j, _native(col[a:b])] = True

    def prepare(self, keep: list[int], sizes: np.ndarray, luts: np.ndarray) -> None:
        self.keep, self.sizes, self.luts = keep, sizes, luts

    def keys(self, a: int, b: int, key: np.ndarray, hit: np.ndarray) -> None:
        k = key[a:b]
        for j in self.keep:
            k *= key.dtype.type(self.sizes[j])
            k += self.luts[j][_native(self.columns[j][a:b])]
        hit[k] = True

    def number(self, key: np.ndarray, id_of: np.ndarray, arr: pa.Array) -> np.ndarray:
        codes = np.empty(len(key), dtype=np.int64)

        def work(a: int, b: int) -> None:
            codes[a:b] = id_of[key[a:b]]

        _blocks(len(key), work)
        if arr.null_count:
            codes[~arr.is_valid().to_numpy(zero_copy_only=False)] = -1
        return codes


class _Buffers:
    """Byte-pair columns read by the compiled loops from the array's offsets and data.

    ``pair_seen``, ``pair_keys`` and ``renumber`` in ``_ckernel.pyx``: the
    columns of :func:`_pair_columns`, never held in memory; the keys are made
    in the codes' own array and numbered in place.
    """

    def __init__(self, arr: pa.Array, width: int, kernel: Any) -> None:
        self.kernel = kernel
        self.pairs, odd = divmod(width, 2)
        self.n_cols = self.pairs + odd
        self.key_type = np.int64
        self.offsets = _offsets(arr)
        self.data = np.frombuffer(cast(Any, arr.buffers()[2]), dtype=np.uint8)
        self.valid = (
            arr.is_valid().to_numpy(zero_copy_only=False).view(np.uint8)
            if arr.null_count
            else np.zeros(0, dtype=np.uint8)
        )

    def look(self, a: int, b: int, seen: np.ndarray) -> None:
        self.kernel.pair_seen(
            self.offsets, self.data, self.valid, a, b, self.pairs, seen.view(np.uint8)
        )

    def prepare(self, keep: list[int], sizes: np.ndarray, luts: np.ndarray) -> None:
        self.keep = np.asarray(keep, dtype=np.int64)
        self.sizes = sizes[keep].astype(np.int64)
        self.luts = np.ascontiguousarray(luts[keep], dtype=np.int64).reshape(len(keep), 1 << 16)

    def keys(self, a: int, b: int, key: np.ndarray, hit: np.ndarray) -> None:
        self.kernel.pair_keys(
            self.offsets, self.data, self.valid, a, b, self.pairs, self.keep, self.sizes,
            self.luts, key, hit.view(np.uint8),
        )  # fmt: skip

    def number(self, key: np.ndarray, id_of: np.ndarray, arr: pa.Array) -> np.ndarray:
        _blocks(len(key), lambda a, b: self.kernel.renumber(key, id_of, self.valid, a, b))
        return key


def _pair_codes(
    arr: pa.Array, reader: _Columns | _Buffers, width: int
) -> tuple[np.ndarray, pa.Array, np.ndarray] | None:
    """:func:`_short_string_codes` from the byte-pair columns (see there), read by ``reader``."""
    n = len(arr)
    seen: dict[int, np.ndarray] = {}  # per thread: which values each column has

    def look(a: int, b: int) -> None:
        ident = threading.get_ident()
        if ident not in seen:
            seen[ident] = np.zeros((reader.n_cols, 1 << 16), dtype=bool)
        reader.look(a, b, seen[ident])

    _blocks(n, look)
    seen_all = np.logical_or.reduce(list(seen.values()))
    sizes = seen_all.sum(axis=1)
    keep = [j for j in range(reader.n_cols) if sizes[j] > 1]
    space = 1
    for j in keep:
        space *= int(sizes[j])
    if space > max(1 << 24, 4 * n):
        return None
    small = reader.key_type or (np.int32 if space < 2**31 else np.int64)  # fewer bytes to move
    luts = (np.cumsum(seen_all, axis=1, dtype=np.int32) - 1).astype(small)
    key = np.zeros(n, dtype=small)
    hit: dict[int, np.ndarray] = {}  # per thread: which keys occur
    reader.prepare(keep, sizes, luts)

    def build(a: int, b: int) -> None:
        ident = threading.get_ident()
        if ident not in hit:
            hit[ident] = np.zeros(space, dtype=bool)
        reader.keys(a, b, key, hit[ident])

    _blocks(n, build)
    present = np.logical_or.reduce(list(hit.values()))
    if arr.null_count:  # nulls read as empty text: not a value unless some text is empty
        empty = 0
        for j in keep:
            empty = empty * int(sizes[j]) + int(luts[j][0])
        if np.count_nonzero(key == empty) == arr.null_count:
            present[empty] = False
    id_of = np.cumsum(present, dtype=np.int32 if space < 2**31 else np.int64) - 1
    codes = reader.number(key, id_of, arr)
    dictionary = _decode(np.flatnonzero(present), seen_all, keep, sizes, width, arr.type)
    rank = np.arange(len(dictionary), dtype=np.int64)  # codes follow the text's order
    return codes, dictionary, rank


def _byte_range_codes(
    matrix: np.ndarray, kind: pa.DataType
) -> tuple[np.ndarray, pa.Array, np.ndarray] | None:
    """Codes, distinct values and ranks of text of one width, from each byte's range.

    Codes of a fixed pattern (``E01000001``: a few constant letters, then
    digits) are numbers in disguise: byte ``j`` runs over ``lo_j .. hi_j``,
    and ``Σ (byte_j − lo_j) · stride_j`` (constant bytes left out) is a dense
    integer that sorts as the text does. When the product of the ranges is
    small enough, each row's integer is plain arithmetic on its bytes (no
    table look-up, no hashing); None otherwise (the caller reads byte pairs).
    """
    n, width = matrix.shape
    lo = np.full(width, 255, dtype=np.uint8)
    hi = np.zeros(width, dtype=np.uint8)
    bounds: list[tuple[np.ndarray, np.ndarray]] = []
    lock = threading.Lock()

    def extent(a: int, b: int) -> None:
        found = byte_bounds(matrix[a:b])
        with lock:
            bounds.append(found)

    _blocks(n, extent)
    for b_lo, b_hi in bounds:
        np.minimum(lo, b_lo, out=lo)
        np.maximum(hi, b_hi, out=hi)
    sizes = hi.astype(np.int64) - lo + 1
    keep = [j for j in range(width) if sizes[j] > 1]
    space = int(np.prod(sizes[keep], dtype=np.float64)) if keep else 1
    if space > max(1 << 24, 4 * n):
        return None
    small = np.int32 if space < 2**31 - 256 else np.int64  # room for a byte before ``- lo``
    key = np.zeros(n, dtype=small)
    hit: dict[int, np.ndarray] = {}  # per thread: which keys occur

    def build(a: int, b: int) -> None:
        k = key[a:b]
        for j in keep:
            k *= k.dtype.type(sizes[j])
            np.add(k, matrix[a:b, j], out=k, casting="unsafe")
            k -= k.dtype.type(lo[j])
        hit.setdefault(threading.get_ident(), np.zeros(space, dtype=bool))[k] = True

    _blocks(n, build)
    present = np.logical_or.reduce(list(hit.values()))
    id_of = np.cumsum(present, dtype=small) - 1
    codes = np.empty(n, dtype=np.int64)

    def number(a: int, b: int) -> None:
        codes[a:b] = id_of[key[a:b]]

    _blocks(n, number)
    keys = np.flatnonzero(present)
    m = len(keys)
    out = np.empty((m, width), dtype=np.uint8)
    out[:] = lo
    rest = keys.astype(np.int64)
    for j in reversed(keep):
        rest, digit = np.divmod(rest, int(sizes[j]))
        out[:, j] += digit.astype(np.uint8)
    offset_type = np.int64 if pa.types.is_large_string(kind) else np.int32
    offsets = np.arange(0, (m + 1) * width, width, dtype=offset_type)
    buffers = [None, pa.py_buffer(cast(Any, offsets)), pa.py_buffer(cast(Any, out.reshape(-1)))]
    dictionary = pa.Array.from_buffers(kind, m, buffers)
    return codes, dictionary, np.arange(m, dtype=np.int64)


def _decode(
    keys: np.ndarray,
    seen: np.ndarray,
    keep: list[int],
    sizes: np.ndarray,
    width: int,
    kind: pa.DataType,
) -> pa.Array:
    """The text of dense keys: each kept column's value read back, constant columns as they are.

    By the compiled loop ``pair_text`` where it is built (the same text).
    """
    m = len(keys)
    n_cols = seen.shape[0]
    values = [np.flatnonzero(seen[j]) for j in range(n_cols)]  # each column's values, in order
    offset_type = np.int64 if pa.types.is_large_string(kind) else np.int32
    kernel = _kernel()
    if kernel is not None and hasattr(kernel, "pair_text"):
        table = np.zeros((n_cols, 1 << 16), dtype=np.uint16)
        radix = np.ones(n_cols, dtype=np.int64)  # a constant column: size 1, its one value
        for j in range(n_cols):
            if j in keep:
                table[j, : len(values[j])] = values[j]
                radix[j] = int(sizes[j])
            elif len(values[j]):
                table[j, 0] = values[j][0]
        keys = np.ascontiguousarray(keys, dtype=np.int64)
        offsets = np.empty(m + 1, dtype=offset_type)
        kernel.pair_text(keys, radix, table, width // 2, offsets, np.zeros(0, dtype=np.uint8))
        text = np.empty(int(offsets[-1]), dtype=np.uint8)
        if text.size:
            kernel.pair_text(keys, radix, table, width // 2, offsets, text)
        buffers = [None, pa.py_buffer(cast(Any, offsets)), pa.py_buffer(cast(Any, text))]
        return pa.Array.from_buffers(kind, m, buffers)
    col_vals = np.empty((m, n_cols), dtype=np.uint16)
    rest = keys.astype(np.int64)
    for j in reversed(range(n_cols)):
        if j in keep:
            rest, code = np.divmod(rest, int(sizes[j]))
            col_vals[:, j] = values[j][code]
        else:
            col_vals[:, j] = values[j][0] if len(values[j]) else 0
    pairs, odd = divmod(width, 2)
    matrix = np.zeros((m, max(width, 1)), dtype=np.uint8)
    if pairs:
        both = col_vals[:, :pairs]
        matrix[:, 0 : 2 * pairs : 2] = (both >> 8).astype(np.uint8)
        matrix[:, 1 : 2 * pairs : 2] = (both & 0xFF).astype(np.uint8)
    if odd:
        matrix[:, width - 1] = col_vals[:, pairs].astype(np.uint8)
    filled = matrix != 0  # text has no NUL: zeros are the padding, after the text
    lengths = filled.sum(axis=1)
    offsets = np.zeros(m + 1, dtype=offset_type)
    np.cumsum(lengths, out=offsets[1:])
    data = matrix[filled]
    buffers = [None, pa.py_buffer(cast(Any, offsets)), pa.py_buffer(cast(Any, data))]
    return pa.Array.from_buffers(kind, m, buffers)


def _encode(col: Any) -> tuple[np.ndarray, pa.Array, np.ndarray | None]:
    """Codes into the distinct values (-1 for no id), the distinct values, and their ranks.

    The ranks (each value's position in ascending order) are None when they
    are left to :func:`_rank`.
    """
    text = _string_array(col)
    fast = _short_string_codes(text) if text is not None else None
    if fast is not None:
        idx, dictionary, rank = fast
    else:
        idx, dictionary = dictionary_encoded(col)
        rank = None
    blank = _blank(dictionary)
    idx = np.asarray(idx)
    if blank.any():
        drop = np.append(blank, True)  # code -1 (null) reads the last entry
        idx = np.where(drop[idx], -1, idx)
    return idx, dictionary, rank


def _merge_dictionary(dictionary: pa.Array, listed: pa.Array) -> tuple[pa.Array, pa.Array]:
    """One dictionary holding both arrays' values (types made to agree)."""
    if listed.type != dictionary.type:
        try:
            listed = listed.cast(dictionary.type)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            dictionary, listed = dictionary.cast(pa.string()), listed.cast(pa.string())
    merged = pa.concat_arrays([dictionary, listed]).unique()
    return merged, listed


def _index_in(values: pa.Array, dictionary: pa.Array) -> np.ndarray:
    pos = pc.index_in(values, value_set=dictionary)
    filled = cast(pa.Array, pc.fill_null(pos, pa.scalar(-1, pos.type)))
    return filled.to_numpy(zero_copy_only=False).astype(np.int64)


def _rank(dictionary: pa.Array) -> np.ndarray:
    """Position of each distinct value in ascending order (nulls last)."""
    try:
        order = pc.array_sort_indices(dictionary, null_placement="at_end").to_numpy()
    except (pa.ArrowNotImplementedError, pa.ArrowTypeError):
        order = np.argsort(np.asarray([str(v) for v in dictionary.to_pylist()]), kind="stable")
    rank = np.empty(len(dictionary), dtype=np.int64)
    rank[order] = np.arange(len(dictionary), dtype=np.int64)
    return rank


def _pack(codes: Sequence[np.ndarray], radix: Sequence[int]) -> np.ndarray:
    """One int64 code per row for several columns' codes (-1 where any is -1)."""
    packed = np.asarray(codes[0], dtype=np.int64)
    if len(codes) == 1:
        return packed  # codes are -1 where there is no id
    bad = packed < 0
    for c, r in zip(codes[1:], radix[1:], strict=True):
        c = np.asarray(c, dtype=np.int64)
        bad = bad | (c < 0)
        packed = packed * int(r) + c
    return np.where(bad, -1, packed)


@dataclass(frozen=True)
class UnitTotals:
    """Sums per unit: the units' ids, their value sums, and the rows without an id.

    Attributes
    ----------
    unit : list of str
        The unit columns.
    key_arrays : list of pyarrow.Array
        Each unit column's value for each unit (in no particular order).
    sums : dict of str to numpy.ndarray
        The sum of each value column per unit (aligned with ``keys``).
    rows : numpy.ndarray
        Rows per unit (0 for listed units without rows).
    key_rank : numpy.ndarray
        Each unit's position in id order (the tie-break).
    no_id_rows : int
        Rows without a unit id.
    no_id_sums : dict of str to float
        The value sums of those rows.
    slots : numpy.ndarray
        Each row's slot: 0 when ``mask`` leaves it out, 1 for no id, else 2
        + its unit (see :attr:`unit_of_row`).
    left_out_rows : int
        Rows left out by ``mask``.
    """

    unit: list[str]
    key_arrays: list[pa.Array]
    sums: dict[str, np.ndarray]
    rows: np.ndarray
    key_rank: np.ndarray
    no_id_rows: int
    no_id_sums: dict[str, float]
    slots: np.ndarray
    left_out_rows: int = 0

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def unit_of_row(self) -> np.ndarray:
        """The unit of each row of the table: -1 for no id, -2 for a row left out by ``mask``."""
        return self.slots - 2

    @property
    def keys(self) -> pd.DataFrame:
        """One row per unit: the unit columns."""
        return self.keys_at(np.arange(len(self.rows)))

    def keys_at(self, positions: np.ndarray) -> pd.DataFrame:
        """The unit columns of the units at ``positions``, in that order."""
        at = pa.array(positions, type=pa.int64())
        return pd.DataFrame(
            {n: a.take(at).to_pandas() for n, a in zip(self.unit, self.key_arrays, strict=True)}
        )

    def by_key(self) -> np.ndarray:
        """Unit positions in id order."""
        out = np.empty(len(self.key_rank), dtype=np.int64)
        out[self.key_rank] = np.arange(len(self.key_rank), dtype=np.int64)
        return out

    def order(self, value: str) -> np.ndarray:
        """Unit positions by ``value``, largest first, ties by unit id ascending."""
        return self.order_of(self.sums[value])

    def order_of(self, values: np.ndarray) -> np.ndarray:
        """Unit positions by ``values`` (one per unit), largest first, ties by id ascending."""
        by_key = self.by_key()
        return by_key[_descending(values[by_key])]


def _descending(values: np.ndarray) -> np.ndarray:
    """``numpy.argsort(-values, kind="stable")``: largest first, ties in order of position.

    By the compiled radix sort (``order_descending`` in ``_ckernel.pyx``) for
    float64 values without NaN where it is built; the same order.
    """
    kernel = _kernel()
    if kernel is not None and hasattr(kernel, "order_descending") and values.dtype == np.float64:
        out = np.empty(len(values), dtype=np.int64)
        if kernel.order_descending(np.ascontiguousarray(values), out):
            return out
    return np.argsort(-values, kind="stable")


def unit_totals(
    cols: Mapping[str, Any],
    *,
    unit: Sequence[str],
    values: Mapping[str, np.ndarray],
    units: Any = None,
    complete: bool = False,
    mask: np.ndarray | None = None,
) -> UnitTotals:
    """Sum value arrays per unit (see the module docstring for the rules).

    Parameters
    ----------
    cols : mapping
        The unit columns (pandas Series or Arrow arrays), by name.
    unit : sequence of str
        The unit column names.
    values : mapping of str to numpy.ndarray
        Value arrays (one entry per row), already checked by :func:`numbers`.
    units : sequence, pandas.Index, pandas.Series or pandas.DataFrame, optional
        Every unit to count (one value each for one unit column; a DataFrame
        with the unit columns for several).
    complete : bool
        Also count every category (or combination) that has no row.
    mask : numpy.ndarray of bool, optional
        Rows to count; the others are neither units nor no id.

    Raises
    ------
    ColumnValueError
        When a row's unit is not in ``units``, or ``units`` holds a blank id.
    """
    unit = list(unit)
    encoded = [_encode(cols[u]) for u in unit]
    codes = [c for c, _, _ in encoded]
    dicts = [d for _, d, _ in encoded]
    ranks: list[np.ndarray | None] = [r for _, _, r in encoded]
    listed_codes: list[np.ndarray] | None = None
    if units is not None:
        listed_codes = _listed(units, unit, codes, dicts, ranks)
    elif complete:
        keep = [np.flatnonzero(~_blank(d)) for d in dicts]
        grids = np.meshgrid(*keep, indexing="ij")
        listed_codes = [g.reshape(-1).astype(np.int64) for g in grids]
    radix = [len(d) for d in dicts]
    packed = _pack(codes, radix)  # -1: no id
    if mask is not None:
        packed = np.where(mask, packed, _LEFT_OUT)
    # each row's slot: 0 left out by mask, 1 no id, 2 + its unit's id
    if listed_codes is not None:
        slot, unit_codes = _listed_slots(packed, listed_codes, radix, unit, codes, dicts)
        slot, counts, by_slot = _tally(slot, 0, values, len(unit_codes[0]) + 2)
    else:
        slot, unit_codes, counts, by_slot = _observed_slots(packed, radix, codes, values)
    n_units = len(unit_codes[0])
    sums = {name: s[2:] for name, s in by_slot.items()}
    no_id_sums = {name: float(s[1]) for name, s in by_slot.items()}
    key_parts = [
        (_rank(d) if r is None else r)[c] for d, r, c in zip(dicts, ranks, unit_codes, strict=True)
    ]
    if len(key_parts) == 1:
        key_rank = _dense_rank(key_parts[0])
    else:
        by_key = np.lexsort(key_parts[::-1]) if n_units else np.zeros(0, dtype=np.int64)
        key_rank = np.empty(n_units, dtype=np.int64)
        key_rank[by_key] = np.arange(n_units, dtype=np.int64)
    key_arrays = [_take(d, c) for d, c in zip(dicts, unit_codes, strict=True)]
    return UnitTotals(
        unit=unit,
        key_arrays=key_arrays,
        sums=sums,
        rows=counts[2:],
        key_rank=key_rank,
        no_id_rows=int(counts[1]),
        no_id_sums=no_id_sums,
        slots=slot,
        left_out_rows=int(counts[0]),
    )


def _listed(
    units: Any,
    unit: list[str],
    codes: list[np.ndarray],
    dicts: list[pa.Array],
    ranks: list[np.ndarray | None],
) -> list[np.ndarray]:
    """The listed units' codes; each column's dictionary grows to hold the listed values."""
    listed_codes = []
    frame = _units_frame(units, unit)
    for i, name in enumerate(unit):
        listed = pa.array(frame[name], from_pandas=True)
        blank = _blank(listed)
        if blank.any():
            raise ColumnValueError(
                f"units=: {int(blank.sum())} blank or missing {name!r} value(s); "
                "every listed unit needs an id",
                column=name,
            )
        merged, listed = _merge_dictionary(dicts[i], listed)
        remap = np.append(_index_in(dicts[i].cast(merged.type), merged), -1)
        codes[i] = remap[codes[i]]
        dicts[i] = merged
        ranks[i] = None
        listed_codes.append(_index_in(listed, merged))
    return listed_codes


def _listed_slots(
    packed: np.ndarray,
    listed_codes: list[np.ndarray],
    radix: list[int],
    unit: list[str],
    codes: list[np.ndarray],
    dicts: list[pa.Array],
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Slots of the rows when the units are listed (a row of another unit is an error)."""
    listed_packed = _pack(listed_codes, radix)
    _uniq, first = np.unique(listed_packed, return_index=True)
    first = np.sort(first)
    listed_packed = listed_packed[first]
    counted = packed >= 0
    found = pd.Index(listed_packed).get_indexer(packed[counted])
    if (found < 0).any():
        at = np.flatnonzero(counted)[found < 0][:5]
        examples = [tuple(dicts[i][int(codes[i][a])].as_py() for i in range(len(unit))) for a in at]
        raise ColumnValueError(
            f"{int((found < 0).sum()):,} row(s) have a unit not in units=, e.g. "
            f"{examples}; list every unit, or leave units= out",
            column=unit[0],
            values=examples,
        )
    slot = packed + 2
    slot[counted] = found + 2
    return slot, [c[first] for c in listed_codes]


def _observed_slots(
    packed: np.ndarray,
    radix: list[int],
    codes: list[np.ndarray],
    values: Mapping[str, np.ndarray],
) -> tuple[np.ndarray, list[np.ndarray], np.ndarray, dict[str, np.ndarray]]:
    """Slots of the rows when the units are those the rows have, and their totals.

    The totals are those of :func:`_tally`: rows per slot and each value's sum.
    """
    total = int(np.prod([max(r, 1) for r in radix], dtype=np.float64))
    if total > max(_DENSE_LIMIT, 4 * len(packed)):
        slot = packed + 2  # -1 (no id) reads 1, _LEFT_OUT reads 0
        counted = packed >= 0
        inv, _ = pd.factorize(packed[counted])
        slot[counted] = inv + 2
        n_units = int(inv.max(initial=-1)) + 1
        some = _some_row(slot - 2, n_units)
        return slot, [c[some] for c in codes], *_tally(slot, 0, values, n_units + 2)[1:]
    slot, counts, by_slot = _tally(packed, 2, values, total + 2)
    present = np.flatnonzero(counts[2:])
    if len(present) < total:  # codes without rows: number the units densely
        id_of_slot = np.empty(total + 2, dtype=np.int64)
        id_of_slot[:2] = (0, 1)
        id_of_slot[2 + present] = np.arange(2, len(present) + 2, dtype=np.int64)
        slot = id_of_slot[slot]
        kept = np.concatenate([[0, 1], 2 + present])
        counts = counts[kept]
        by_slot = {name: s[kept] for name, s in by_slot.items()}
    return slot, _unpack(present, radix), counts, by_slot


def _kernel() -> Any:
    """The compiled loops (:mod:`crimeharm._engine._ckernel`), or None where they are not built."""
    from crimeharm._engine.compiled import load

    module = load()
    return module if module is not None and hasattr(module, "tally") else None


def _tally(
    code: np.ndarray, shift: int, values: Mapping[str, np.ndarray], n_slots: int
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Each row's slot (``code + shift``), the rows per slot and each value's sum per slot.

    The sums are those of ``numpy.bincount(slot, weights=v)`` (float64, the
    rows added in order), bit for bit: by the compiled loop in one pass over
    the rows when it is built (``tally`` in ``_ckernel.pyx``), else by
    ``numpy.bincount``. The compiled loop runs on two threads for many rows,
    each adding the rows of half the slots.
    """
    kernel = _kernel()
    if kernel is None:
        slot = code + shift if shift else code
        counts = np.bincount(slot, minlength=n_slots)
        sums = {name: np.bincount(slot, weights=v, minlength=n_slots) for name, v in values.items()}
        return slot, counts, sums
    code = np.ascontiguousarray(code, dtype=np.int64)
    held = [np.ascontiguousarray(v, dtype=np.float64) for v in values.values()]
    addresses = np.array([v.ctypes.data for v in held], dtype=np.int64)
    for v in held:
        if len(v) != len(code):
            raise ValueError("a value array is not one entry per row")
    slot = np.empty(len(code), dtype=np.int64) if shift else code
    acc = np.zeros((n_slots, 1 + len(held)), dtype=np.float64)
    write = slot if shift else slot[:0]
    if len(code) < 2 * _CHUNK or _THREADS < 2:
        bad = kernel.tally(code, shift, write, addresses, acc)
    else:  # two threads, each adding the rows of half the slots (in row order)
        from concurrent.futures import ThreadPoolExecutor

        half = n_slots // 2
        with ThreadPoolExecutor(max_workers=2) as pool:
            parts = [
                pool.submit(kernel.tally, code, shift, write, addresses, acc, a, b)
                for a, b in ((0, half), (half, n_slots))
            ]
            found = [f.result() for f in parts]
        bad = max(found)  # both threads stop at the first row out of range, or give -1
    if bad >= 0:
        raise ValueError(f"row {bad}: slot {int(code[bad]) + shift} is not in 0 .. {n_slots - 1}")
    counts = acc[:, 0].astype(np.int64)
    sums = {name: np.ascontiguousarray(acc[:, 1 + j]) for j, name in enumerate(values)}
    return slot, counts, sums


def _dense_rank(values: np.ndarray) -> np.ndarray:
    """Ranks 0 .. n-1 of distinct integers (no sort when they already are 0 .. n-1 in order)."""
    n = len(values)
    if n == 0 or (values[0] == 0 and values[-1] == n - 1 and (np.diff(values) == 1).all()):
        return np.arange(n, dtype=np.int64)
    out = np.empty(n, dtype=np.int64)
    out[np.argsort(values, kind="stable")] = np.arange(n, dtype=np.int64)
    return out


def _take(dictionary: pa.Array, codes: np.ndarray) -> pa.Array:
    """``dictionary[codes]``, without a copy when the codes are all of it in order."""
    n = len(codes)
    if n == len(dictionary) and (n == 0 or (codes[0] == 0 and (np.diff(codes) == 1).all())):
        return dictionary
    return dictionary.take(pa.array(codes, type=pa.int64()))


def _some_row(ids: np.ndarray, n: int) -> np.ndarray:
    """One row (any) of each unit id, to read the unit's codes from."""
    some = np.full(n, -1, dtype=np.int64)
    at = np.flatnonzero(ids >= 0)
    some[ids[at]] = at
    return some


def _unpack(packed: np.ndarray, radix: Sequence[int]) -> list[np.ndarray]:
    """Each column's codes from packed codes (the inverse of :func:`_pack`)."""
    parts = []
    rest = np.asarray(packed, dtype=np.int64)
    for r in radix[:0:-1]:
        rest, part = np.divmod(rest, int(r))
        parts.append(part)
    parts.append(rest)
    return parts[::-1]


def _units_frame(units: Any, unit: list[str]) -> pd.DataFrame:
    if isinstance(units, pd.DataFrame):
        MissingColumnError.check(list(units.columns), unit, source="units")
        return units[unit].drop_duplicates()
    if len(unit) != 1:
        raise ColumnValueError(
            f"units= for several unit columns {unit} must be a DataFrame with those columns"
        )
    values = pd.Series(units.to_numpy() if isinstance(units, pd.Index) else units)
    if values.empty:
        raise EmptyDataError("units= is empty: list at least one unit")
    return pd.DataFrame({unit[0]: values.drop_duplicates().reset_index(drop=True)})
