"""Turn one batch's columns (pandas or Arrow) into numpy arrays without a Python loop per row.

Every column is first reduced to *integer codes into its distinct values*:
pandas categoricals and Arrow dictionary arrays already are; anything else is
factorised once. Work that needs Python (reading an offence code or a yes/no
value) is then done on the distinct values only and taken back to the rows.
Dates are read by :mod:`crimeharm.scoring.dates`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from crimeharm.errors import ColumnValueError
from crimeharm.vocabulary import FALSE_WORDS, FLAG_WORDS, TRUE_WORDS

__all__ = ["FlagValues", "dictionary_encoded", "factorize", "read_flag", "to_count", "to_flag"]


def _single(col: Any) -> Any:
    """One Arrow array from a chunked one (dictionaries unified first)."""
    if isinstance(col, pa.ChunkedArray):
        if col.num_chunks == 1:
            return col.chunk(0)
        if col.num_chunks == 0:
            return pa.array([], type=col.type)
        if pa.types.is_dictionary(col.type):
            col = col.unify_dictionaries()
        return col.combine_chunks()
    return col


def _arrow_or_none(col: Any) -> pa.Array | None:
    """The column as an Arrow array, or None when Arrow cannot hold it (mixed objects)."""
    if isinstance(col, pa.Array | pa.ChunkedArray):
        return _single(col)
    try:
        if isinstance(col, pd.Series):
            return _single(pa.array(col, from_pandas=True))
        return _single(pa.array(np.asarray(col), from_pandas=True))
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError):
        return None


def dictionary_encoded(col: Any) -> tuple[np.ndarray, pa.Array]:
    """Row indices (-1 for null) into the distinct values of a column, as an Arrow array.

    Arrow dictionary columns and pandas categoricals are used as they are; other
    columns are dictionary-encoded once in Arrow's C++ (no Python per row).
    Columns Arrow cannot hold (objects of mixed types) are factorised by pandas
    and their values kept as text.
    """
    if isinstance(col, pd.Series) and isinstance(col.dtype, pd.CategoricalDtype):
        cats = col.cat.categories
        try:
            dictionary = pa.array(cats.to_numpy(), from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            dictionary = pa.array([str(c) for c in cats], type=pa.string())
        return col.cat.codes.to_numpy(), dictionary
    arr = _arrow_or_none(col)
    if arr is None:
        codes, uniques = pd.factorize(pd.Series(col, dtype=object), use_na_sentinel=True)
        dictionary = pa.array([str(u) for u in uniques], type=pa.string())
        return codes.astype(np.int64, copy=False), dictionary
    if pa.types.is_null(arr.type):
        return np.full(len(arr), -1, dtype=np.int64), pa.array([], type=pa.string())
    encoded = arr if isinstance(arr, pa.DictionaryArray) else arr.dictionary_encode()
    idx = encoded.indices
    if idx.null_count:
        idx = idx.fill_null(-1)
    return idx.to_numpy(zero_copy_only=False), encoded.dictionary  # int32 indices, no copy


def unhashable(name: str | None, values: Any) -> ColumnValueError:
    """The error for a column of lists, dicts or arrays, naming it and a value's type."""
    first = next((v for v in values if isinstance(v, list | dict | np.ndarray | set)), None)
    kind = type(first).__name__ if first is not None else "unhashable objects"
    column = f"column {name!r}" if name else "a column"
    return ColumnValueError(
        f"{column} holds values of type {kind} (e.g. {first!r}); expected one text, number or "
        "date per row",
        column=name,
        values=[repr(first)],
    )


def factorize(col: Any, *, name: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes (-1 for null) and the distinct values of a column.

    Parameters
    ----------
    col : pandas.Series, pyarrow.Array or pyarrow.ChunkedArray
        Any column; categorical and dictionary columns are used as they are.

    name : str, optional
        The column's name, for the error.

    Returns
    -------
    codes : numpy.ndarray of int
        Position of each row's value in ``uniques``; -1 where null.
    uniques : numpy.ndarray of object
        The distinct values (may include values no row uses).

    Raises
    ------
    ColumnValueError
        For a column of lists, dicts or arrays, naming it.
    """
    if isinstance(col, pd.Series) and col.dtype == object:
        # Python objects keep their own types (ints, floats, text in one column)
        try:
            codes, uniques = pd.factorize(col, use_na_sentinel=True)
        except TypeError:
            raise unhashable(name, col) from None
        if any(isinstance(u, bool | np.bool_ | int | float) and u in (0, 1) for u in uniques):
            # True == 1 and False == 0 share a key: booleans are read by their text instead
            values = col.to_numpy(dtype=object)
            is_bool = np.fromiter((isinstance(v, bool | np.bool_) for v in values), bool, len(col))
            if is_bool.any():
                values = values.copy()
                values[is_bool] = [str(bool(v)) for v in values[is_bool]]
                codes, uniques = pd.factorize(values, use_na_sentinel=True)
        return codes.astype(np.int64, copy=False), np.asarray(uniques, dtype=object)
    arr = _single(col) if isinstance(col, pa.Array | pa.ChunkedArray) else None
    if arr is not None and pa.types.is_nested(arr.type):
        raise unhashable(name, arr.to_pylist()[:100])
    codes, dictionary = dictionary_encoded(col)
    return codes, np.asarray(dictionary.to_pylist(), dtype=object)


def values_view(arr: pa.Array, dtype: Any) -> np.ndarray:
    """The values buffer of a fixed-width Arrow array (``date32``, ``timestamp``) as numpy.

    No copy; entries under nulls are whatever the buffer holds.
    """
    values = arr.buffers()[1]
    if values is None:
        raise TypeError(f"an Arrow array of type {arr.type} has no values buffer")
    data = np.frombuffer(memoryview(values), dtype=dtype, count=len(arr) + arr.offset)
    return data[arr.offset :]


def _is_blank(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float | np.floating):
        return bool(np.isnan(value))
    return isinstance(value, str) and not value.strip()


@dataclass
class FlagValues:
    """A yes/no column, read: per row, whether it says yes, is blank, or says neither.

    ``unknown_values`` counts the rows of each value outside the vocabulary
    (the value as text); ``yes``, ``blank`` and ``unknown`` never overlap.
    """

    yes: np.ndarray
    blank: np.ndarray
    unknown: np.ndarray
    unknown_values: dict[str, int]


def read_flag(col: Any, *, name: str | None = None) -> FlagValues:
    """Read a yes/no column: booleans, or true/false, yes/no, y/n, t/f, 1/0 in any case.

    Blank values (null, NaN, empty or spaces only) are ``blank``; any other
    value outside the vocabulary (``N/A``, ``unknown``, ``Yes.``) is
    ``unknown``. What each means is the scorer's policy (``flag_blank``,
    ``flag_unknown``).
    """
    if isinstance(col, pa.ChunkedArray | pa.Array) and pa.types.is_boolean(col.type):
        arr = _single(col)
        yes = arr.fill_null(fill_value=False).to_numpy(zero_copy_only=False)
        blank = arr.is_null().to_numpy(zero_copy_only=False)
        return FlagValues(yes, blank, np.zeros(len(arr), dtype=bool), {})
    if isinstance(col, pd.Series) and pd.api.types.is_bool_dtype(col.dtype):
        blank = col.isna().to_numpy(dtype=bool)
        yes = col.fillna(value=False).to_numpy(dtype=bool)
        return FlagValues(yes, blank, np.zeros(len(col), dtype=bool), {})
    codes, uniques = factorize(col, name=name)
    blank_u = np.array([_is_blank(v) for v in uniques] + [True], dtype=bool)
    text = np.array([str(v).strip().upper() for v in uniques] + [""], dtype=object)
    yes_u = ~blank_u & np.isin(text, list(TRUE_WORDS))
    unknown_u = ~blank_u & ~yes_u & ~np.isin(text, list(FALSE_WORDS))
    unknown_values: dict[str, int] = {}
    if unknown_u.any():
        hits = np.bincount(codes + 1, minlength=len(uniques) + 1)[1:]
        for i in np.flatnonzero(unknown_u[:-1] & (hits > 0)):
            key = str(uniques[i])
            unknown_values[key] = unknown_values.get(key, 0) + int(hits[i])
    return FlagValues(yes_u[codes], blank_u[codes], unknown_u[codes], unknown_values)


#: Counts above this are not exact in float64 (2**53), so they are not read as counts.
_MAX_COUNT = 2.0**53


def to_flag(col: Any, *, name: str) -> np.ndarray:
    """Read a yes/no column strictly: blank reads as no, any other unknown value is an error.

    The reading of :func:`read_flag`, for columns that must hold only yes/no
    values (a user's own table, a value given in an option).

    Raises
    ------
    ColumnValueError
        On a value outside the vocabulary, naming the column and the value.
    """
    flag = read_flag(col, name=name)
    if flag.unknown_values:
        value = next(iter(flag.unknown_values))
        raise ColumnValueError(
            f"column {name!r}: value {value!r} is not a yes/no flag (expected {FLAG_WORDS})",
            column=name,
            values=[value],
            allowed=sorted(TRUE_WORDS | FALSE_WORDS),
        )
    return flag.yes


def _number_values(uniques: np.ndarray) -> np.ndarray:
    """Distinct count values as float64; NaN for booleans and what is not a number."""
    out = np.full(len(uniques), np.nan)
    text_at = []
    for i, v in enumerate(uniques):
        if isinstance(v, bool | np.bool_) or v is None:
            continue
        if isinstance(v, int | float | np.integer | np.floating):
            out[i] = float(v)
        elif isinstance(v, str):
            text_at.append(i)
    if text_at:
        at = np.array(text_at)
        text = pd.Series([uniques[i].strip() for i in at], dtype=object)
        out[at] = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return out


def to_count(col: Any, *, name: str | None = None) -> np.ndarray:
    """Counts as float64 whole numbers; NaN where a count is not one.

    A count is a whole number (``3``, ``3.0``, ``'3'``) of at most 2**53;
    NaN marks a missing value, a fraction (``0.5``), a boolean, an infinity
    or text that is not a number (negatives are kept: the policy is the
    scorer's).
    """
    if isinstance(col, pa.ChunkedArray | pa.Array):
        arr = _single(col)
        if pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type):
            values = arr.cast(pa.float64()).fill_null(np.nan).to_numpy(zero_copy_only=False)
        elif pa.types.is_boolean(arr.type):
            values = np.full(len(arr), np.nan)
        else:
            codes, uniques = factorize(arr, name=name)
            values = np.append(_number_values(uniques), np.nan)[codes]
    else:
        series = pd.Series(col)
        if pd.api.types.is_bool_dtype(series.dtype):
            values = np.full(len(series), np.nan)
        elif pd.api.types.is_numeric_dtype(series.dtype):
            values = series.to_numpy(dtype=float, na_value=np.nan)
        else:
            codes, uniques = factorize(series, name=name)
            values = np.append(_number_values(uniques), np.nan)[codes]
    values = np.array(values, dtype=float)  # a writable copy
    with np.errstate(invalid="ignore"):
        whole = np.isfinite(values) & (values == np.floor(values)) & (np.abs(values) <= _MAX_COUNT)
    values[~whole] = np.nan
    return values
