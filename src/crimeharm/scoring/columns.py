"""Turn one batch's columns (pandas or Arrow) into numpy arrays without a Python loop per row.

Every column is first reduced to *integer codes into its distinct values*:
pandas categoricals and Arrow dictionary arrays already are; anything else is
factorised once. Work that needs Python (parsing a date, reading an offence
code) is then done on the distinct values only and taken back to the rows.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from crimeharm.errors import ColumnValueError
from crimeharm.vocabulary import FALSE_WORDS, TRUE_WORDS

__all__ = ["dates_to_days", "dictionary_encoded", "factorize", "to_count", "to_flag"]

#: The day number of a missing date (null or blank), and of one that could not be read;
#: every date is above both. The compiled loops hold the same values in
#: ``crimeharm/_engine/_markers.pxd`` (the tests check that they agree).
DAY_MISSING = np.iinfo(np.int64).min
DAY_BAD = DAY_MISSING + 1


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
    if not pa.types.is_dictionary(arr.type):
        arr = pc.dictionary_encode(arr)
    idx = arr.indices
    if idx.null_count:
        idx = pc.fill_null(idx, -1)
    return idx.to_numpy(zero_copy_only=False), arr.dictionary  # int32 indices, no copy


def factorize(col: Any) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes (-1 for null) and the distinct values of a column.

    Parameters
    ----------
    col : pandas.Series, pyarrow.Array or pyarrow.ChunkedArray
        Any column; categorical and dictionary columns are used as they are.

    Returns
    -------
    codes : numpy.ndarray of int
        Position of each row's value in ``uniques``; -1 where null.
    uniques : numpy.ndarray of object
        The distinct values (may include values no row uses).
    """
    if isinstance(col, pd.Series) and col.dtype == object:
        # Python objects keep their own types (ints, floats, text in one column)
        codes, uniques = pd.factorize(col, use_na_sentinel=True)
        return codes.astype(np.int64, copy=False), np.asarray(uniques, dtype=object)
    codes, dictionary = dictionary_encoded(col)
    return codes, np.asarray(dictionary.to_pylist(), dtype=object)


def _parse_date_values(values: np.ndarray, date_format: str | None) -> np.ndarray:
    """Parse distinct date values to day numbers; DAY_MISSING / DAY_BAD where not dates."""
    out = np.full(len(values), DAY_BAD, dtype=np.int64)
    if len(values) == 0:
        return out
    s = pd.Series(values, dtype=object)
    blank = s.isna() | s.map(lambda v: isinstance(v, str) and not v.strip())
    out[blank.to_numpy()] = DAY_MISSING
    todo = ~blank.to_numpy()
    if not todo.any():
        return out
    vals = s[todo]
    text = vals.map(lambda v: v.strip() if isinstance(v, str) else v)
    if date_format is not None:
        parsed = pd.to_datetime(text, format=date_format, errors="coerce")
    else:
        parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
        left = parsed.isna()
        if left.any():  # UK day-first forms, stated not guessed: 31/01/2024, 31/01/2024 13:05
            for fmt in ("%d/%m/%Y", "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d-%m-%Y"):
                again = pd.to_datetime(text[left], format=fmt, errors="coerce")
                parsed[left] = again
                left = parsed.isna()
                if not left.any():
                    break
    ok = parsed.notna().to_numpy()
    days = parsed.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]").astype(np.int64)
    idx = np.flatnonzero(todo)
    out[idx[ok]] = days[ok]
    return out


def values_view(arr: pa.Array, dtype: Any) -> np.ndarray:
    """The values buffer of a fixed-width Arrow array (``date32``, ``timestamp``) as numpy.

    No copy; entries under nulls are whatever the buffer holds.
    """
    data = np.frombuffer(arr.buffers()[1], dtype=dtype, count=len(arr) + arr.offset)
    return data[arr.offset :]


def dates_to_days(col: Any, *, date_format: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Whole days since 1970-01-01 for each row, with the raw value of failures.

    Arrow ``date32``/``timestamp`` and pandas datetime columns are converted by
    integer arithmetic; text is parsed once per distinct value, as ISO 8601
    (``2024-01-31``, ``2024-01-31T13:05``, ``2024-01``) and then, for values
    that are not ISO, the UK day-first forms ``31/01/2024`` (with an optional
    time) and ``31-01-2024``. ``date_format`` replaces both with one format.

    Returns
    -------
    days : numpy.ndarray of int64
        Day numbers; ``DAY_MISSING`` where null or blank, ``DAY_BAD`` where the
        value is not a date.
    bad_examples : list
        Up to five distinct raw values that could not be parsed.
    """
    col = _single(col)
    if isinstance(col, pa.Array) and (
        pa.types.is_date(col.type) or pa.types.is_timestamp(col.type)
    ):
        if pa.types.is_timestamp(col.type) and col.type.tz is not None:
            col = pc.local_timestamp(col)
        if not pa.types.is_date32(col.type):
            col = pc.cast(col, pa.date32())
        days = values_view(col, np.int32).astype(np.int64)
        if col.null_count:
            days[~col.is_valid().to_numpy(zero_copy_only=False)] = DAY_MISSING
        return days, []
    if isinstance(col, pa.Array):
        col = col.to_pandas()
    if not isinstance(col, pd.Series):
        col = pd.Series(col)
    if pd.api.types.is_datetime64_any_dtype(col.dtype):
        if getattr(col.dtype, "tz", None) is not None:
            col = col.dt.tz_localize(None)
        arr = col.to_numpy(dtype="datetime64[ns]")
        nat = np.isnat(arr)
        days = arr.astype("datetime64[D]").astype(np.int64)
        days[nat] = DAY_MISSING
        return days, []
    codes, uniques = factorize(col)
    parsed = np.append(_parse_date_values(uniques, date_format), DAY_MISSING)
    days = parsed[codes]  # code -1 (null) takes the DAY_MISSING sentinel at the end
    bad = [v for v, d in zip(uniques, parsed[:-1], strict=True) if d == DAY_BAD][:5]
    return days, bad


def to_flag(col: Any, *, name: str) -> np.ndarray:
    """Read a yes/no column (bool, 0/1, Y/N, yes/no, true/false); null reads as no.

    Raises
    ------
    ColumnValueError
        On any other value, naming the column and the value.
    """
    if isinstance(col, pa.ChunkedArray | pa.Array) and pa.types.is_boolean(col.type):
        return pc.fill_null(_single(col), fill_value=False).to_numpy(zero_copy_only=False)
    if isinstance(col, pd.Series) and pd.api.types.is_bool_dtype(col.dtype):
        return col.fillna(value=False).to_numpy(dtype=bool)
    codes, uniques = factorize(col)
    text = np.array(
        [
            ("" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip().upper())
            for v in uniques
        ],
        dtype=object,
    )
    truth = np.isin(text, list(TRUE_WORDS))
    bad = ~truth & ~np.isin(text, list(FALSE_WORDS))
    if bad.any():
        raise ColumnValueError(
            f"column {name!r}: value {uniques[np.flatnonzero(bad)[0]]!r} is not a yes/no flag "
            "(expected true/false, yes/no, y/n or 1/0)"
        )
    return (codes >= 0) & truth[np.maximum(codes, 0)]


def to_count(col: Any) -> np.ndarray:
    """Counts as float64; NaN where missing or not a finite number (negatives are kept)."""
    if isinstance(col, pa.ChunkedArray | pa.Array):
        col = col.to_pandas()
    numbers = pd.to_numeric(pd.Series(col), errors="coerce")
    values = np.array(numbers.to_numpy(dtype=float, na_value=np.nan), dtype=float)  # writable copy
    values[~np.isfinite(values)] = np.nan
    return values
