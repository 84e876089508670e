"""Area codes of one width as integers, from their bytes: ids without hashing text.

Output area and LSOA codes (``E00000001``, ``E01000001``) are numbers in
disguise: a few constant letters, then digits. When every value of a plain
text column has the same width, byte ``j`` of a value runs over a small range
``lo_j .. lo_j + size_j - 1`` and ``key = Σ (byte_j − lo_j) · stride_j`` (the
constant bytes left out) is a dense integer that sorts as the text does
(bytewise, as Arrow sorts text). :class:`KeySpace` fixes the ranges from the
first batch (a position that varies takes every digit, or every capital or
small letter, so that later batches' values fit) and keys every later batch
in the same space, so one table from key to group id serves every batch; a
batch that does not fit returns None (the caller hashes its text instead).

Only ASCII text is keyed, and never a column with a blank value (empty or
spaces), which the caller gives the blank area's id.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import pyarrow as pa

__all__ = ["MAX_KEYS", "MIN_ROWS", "KeySpace", "byte_bounds", "fixed_width"]

#: Largest key space: the table from key to group id is one int64 per key (16 MiB).
MAX_KEYS = 1 << 21
#: Fewer rows than this are hashed as text (the table costs more than it saves).
MIN_ROWS = 1 << 16
#: Byte classes a varying position is widened to, as (low, high) inclusive.
_CLASSES = ((ord("0"), ord("9")), (ord("A"), ord("Z")), (ord("a"), ord("z")))
#: Text of up to this many bytes is keyed.
MAX_WIDTH = 16


def fixed_width(arr: pa.Array) -> tuple[np.ndarray, np.ndarray | None] | None:
    """Each valid value's bytes as one row of a matrix, when every valid value has one width.

    Parameters
    ----------
    arr : pyarrow.Array
        ``string`` or ``large_string`` (not a dictionary).

    Returns
    -------
    (matrix, valid) or None
        ``matrix``: ``(valid rows, width)`` uint8 (a view of the data buffer
        when no value is null); ``valid``: which rows are not null (None when
        none is). None when the values' widths differ, the width is 0 or
        above :data:`MAX_WIDTH`, or every value is null.
    """
    n = len(arr)
    if n == 0 or arr.null_count == n:
        return None
    buffers = arr.buffers()
    off_type = np.int64 if pa.types.is_large_string(arr.type) else np.int32
    at = arr.offset * np.dtype(off_type).itemsize
    offsets = np.frombuffer(cast(Any, buffers[1]), dtype=off_type, count=n + 1, offset=at)
    data = np.frombuffer(cast(Any, buffers[2]), dtype=np.uint8) if buffers[2] is not None else None
    if data is None:
        return None
    valid = None
    if arr.null_count:
        valid = np.asarray(arr.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    lengths = np.diff(offsets)
    if valid is None:
        width = int(lengths[0])
        if width == 0 or width > MAX_WIDTH or (lengths != width).any():
            return None
        start = int(offsets[0])
        return data[start : start + n * width].reshape(n, width), None
    first = int(np.argmax(valid))
    width = int(lengths[first])
    if width == 0 or width > MAX_WIDTH or (lengths[valid] != width).any():
        return None
    starts = offsets[:-1][valid].astype(np.int64)
    matrix = data[starts[:, None] + np.arange(width, dtype=np.int64)]
    return matrix, valid


def byte_bounds(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each position's smallest and largest byte (64 rows side by side: long rows reduce fast)."""
    n, width = matrix.shape
    whole = n // 64 * 64
    parts = [matrix[:whole].reshape(-1, 64 * width)] if whole else []
    if whole < n:
        parts.append(matrix[whole:])
    lo = np.min([p.min(axis=0).reshape(-1, width).min(axis=0) for p in parts], axis=0)
    hi = np.max([p.max(axis=0).reshape(-1, width).max(axis=0) for p in parts], axis=0)
    return lo.astype(np.uint8), hi.astype(np.uint8)


def _may_be_blank(lo: np.ndarray) -> bool:
    """Whether a value could be spaces only: every position can hold a byte <= 0x20."""
    return bool((lo <= 0x20).all())


class KeySpace:
    """The key ranges of one column, fixed by its first batch (see the module docstring)."""

    def __init__(self, width: int, lo: np.ndarray, size: np.ndarray, kind: pa.DataType) -> None:
        self.width = width
        self.lo = lo
        self.size = size
        self.kind = kind
        #: the positions that vary, most significant first
        self.keep = [j for j in range(width) if size[j] > 1]
        self.space = int(np.prod(size[self.keep], dtype=np.float64)) if self.keep else 1

    @classmethod
    def of(cls, matrix: np.ndarray, kind: pa.DataType) -> KeySpace | None:
        """The space of a first batch's values, or None when they cannot be keyed."""
        lo, hi = byte_bounds(matrix)
        if (hi >= 0x80).any() or _may_be_blank(lo):
            return None
        lo = lo.copy()
        size = hi.astype(np.int64) - lo + 1
        for j in np.flatnonzero(size > 1):
            for a, b in _CLASSES:
                if a <= lo[j] and hi[j] <= b:
                    lo[j], size[j] = a, b - a + 1
                    break
        space = cls(matrix.shape[1], lo, size, kind)
        return space if space.space <= MAX_KEYS else None

    def keys(self, matrix: np.ndarray) -> np.ndarray | None:
        """Each row's key (int32), or None when a value falls outside the space or may be blank."""
        if matrix.shape[1] != self.width:
            return None
        lo, hi = byte_bounds(matrix)
        top = self.lo.astype(np.int64) + self.size - 1
        if (lo < self.lo).any() or (hi > top).any() or _may_be_blank(lo):
            return None
        key = np.zeros(len(matrix), dtype=np.int32)
        for j in self.keep:
            key *= np.int32(self.size[j])
            np.add(key, matrix[:, j], out=key, casting="unsafe")
            key -= np.int32(self.lo[j])
        return key

    def text(self, keys: np.ndarray) -> pa.Array:
        """The values of ``keys``, as Arrow text of the column's type."""
        m = len(keys)
        out = np.empty((m, self.width), dtype=np.uint8)
        out[:] = self.lo
        rest = keys.astype(np.int64)
        for j in reversed(self.keep):
            rest, digit = np.divmod(rest, int(self.size[j]))
            out[:, j] += digit.astype(np.uint8)
        off_type = np.int64 if pa.types.is_large_string(self.kind) else np.int32
        offsets = np.arange(0, (m + 1) * self.width, self.width, dtype=off_type)
        buffers = [None, pa.py_buffer(cast(Any, offsets)), pa.py_buffer(cast(Any, out.reshape(-1)))]
        return pa.Array.from_buffers(self.kind, m, buffers)
