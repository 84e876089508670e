"""Totals per unit (area, street segment, offender, victim): the rules every measure shares.

Concentration, harm spots, persistence and the person measures all start by
summing a table or records per unit. The rules live here, once:

* **Which units.** The units that have a row in the table; with
  ``complete=True`` also every category of a categorical (or Arrow
  dictionary) unit column that has no row, and for several unit columns every
  combination of their values; with ``units=`` exactly the units listed (a
  row whose unit is not listed is an error, not dropped). Units with no row
  count with a value of zero.
* **No id.** A unit value that is null, NaN or blank text (``""``, spaces) is
  *no id*: those rows are not one unit (they may be many people or places),
  so they are left out of the distribution and counted apart (rows and value
  sums, reported as ``no id``); never dropped silently. With several unit
  columns, a row is *no id* when any of them is.
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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from crimeharm.errors import ColumnValueError, EmptyDataError, MissingColumnError
from crimeharm.scoring.columns import dictionary_encoded

__all__ = ["NO_ID", "UnitTotals", "as_units", "columns_of", "numbers", "unit_totals"]

#: How rows without a unit id are labelled in outputs.
NO_ID = "no id"

_DENSE_LIMIT = 1 << 26  # packed unit codes up to this many are counted densely


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
    """Which distinct values are no id: null, NaN, or text that is empty or spaces."""
    blank = dictionary.is_null().to_numpy(zero_copy_only=False)
    if pa.types.is_string(dictionary.type) or pa.types.is_large_string(dictionary.type):
        empty = pc.equal(pc.utf8_trim_whitespace(dictionary), "")
        blank = blank | pc.fill_null(empty, fill_value=True).to_numpy(zero_copy_only=False)
    elif pa.types.is_floating(dictionary.type):
        nan = pc.fill_null(pc.is_nan(dictionary), fill_value=True)
        blank = blank | nan.to_numpy(zero_copy_only=False)
    return np.asarray(blank, dtype=bool)


def _encode(col: Any) -> tuple[np.ndarray, pa.Array]:
    """Codes into the distinct values (-1 for no id) and the distinct values."""
    idx, dictionary = dictionary_encoded(col)
    blank = _blank(dictionary)
    idx = np.asarray(idx)
    if blank.any():
        drop = np.append(blank, True)  # code -1 (null) reads the last entry
        idx = np.where(drop[idx], -1, idx)
    return idx, dictionary


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
    return pc.fill_null(pos, -1).to_numpy(zero_copy_only=False).astype(np.int64)


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
    keys : pandas.DataFrame
        One row per unit, the unit columns (in no particular order).
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
    unit_of_row : numpy.ndarray
        The unit of each row of the table (-1 for no id and for rows left out
        by ``mask``).
    """

    unit: list[str]
    keys: pd.DataFrame
    sums: dict[str, np.ndarray]
    rows: np.ndarray
    key_rank: np.ndarray
    no_id_rows: int
    no_id_sums: dict[str, float]
    unit_of_row: np.ndarray

    def __len__(self) -> int:
        return len(self.rows)

    def order(self, value: str) -> np.ndarray:
        """Unit positions by ``value``, largest first, ties by unit id ascending."""
        return np.lexsort((self.key_rank, -self.sums[value]))


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
    codes = [c for c, _ in encoded]
    dicts = [d for _, d in encoded]
    n_rows = len(codes[0])
    listed_codes: list[np.ndarray] | None = None
    if units is not None:
        listed_codes = []
        frame = _units_frame(units, unit)
        for i, name in enumerate(unit):
            col = frame[name]
            listed = pa.array(col, from_pandas=True)
            if _blank(listed).any():
                raise ColumnValueError(
                    f"units=: {int(_blank(listed).sum())} blank or missing {name!r} value(s); "
                    "every listed unit needs an id",
                    column=name,
                )
            merged, listed = _merge_dictionary(dicts[i], listed)
            remap = np.append(_index_in(dicts[i].cast(merged.type), merged), -1)
            codes[i] = remap[codes[i]]
            dicts[i] = merged
            listed_codes.append(_index_in(listed, merged))
    elif complete:
        keep = [np.flatnonzero(~_blank(d)) for d in dicts]
        grids = np.meshgrid(*keep, indexing="ij")
        listed_codes = [g.reshape(-1).astype(np.int64) for g in grids]
    radix = [len(d) for d in dicts]
    packed = _pack(codes, radix)
    valid = packed >= 0
    counted = valid if mask is None else valid & mask
    if listed_codes is not None:
        listed_packed = _pack(listed_codes, radix)
        _uniq, first = np.unique(listed_packed, return_index=True)
        first = np.sort(first)
        listed_packed = listed_packed[first]
        unit_codes = [c[first] for c in listed_codes]
        index = pd.Index(listed_packed)
        ids = np.full(n_rows, -1, dtype=np.int64)
        ids[counted] = index.get_indexer(packed[counted])
        stray = counted & (ids < 0)
        if stray.any():
            at = np.flatnonzero(stray)[:5]
            examples = [
                tuple(dicts[i][int(codes[i][a])].as_py() for i in range(len(unit))) for a in at
            ]
            raise ColumnValueError(
                f"{int(stray.sum()):,} row(s) have a unit not in units=, e.g. {examples}; "
                "list every unit, or leave units= out",
                column=unit[0],
                values=examples,
            )
        n_units = len(listed_packed)
    else:
        total = int(np.prod([max(r, 1) for r in radix], dtype=np.float64))
        if total <= max(_DENSE_LIMIT, 4 * n_rows):
            rows_dense = np.bincount(packed[counted], minlength=total)
            present = np.flatnonzero(rows_dense)
            id_of = np.full(total, -1, dtype=np.int64)
            id_of[present] = np.arange(len(present), dtype=np.int64)
            ids = np.where(counted, id_of[np.where(counted, packed, 0)], -1)
            unit_codes = _unpack(present, radix)
        else:
            ids = np.full(n_rows, -1, dtype=np.int64)
            inv, _ = pd.factorize(packed[counted])
            ids[counted] = inv
            some = _some_row(ids, int(inv.max(initial=-1)) + 1)
            unit_codes = [c[some] for c in codes]
        n_units = len(unit_codes[0])
    in_unit = ids >= 0
    rows = np.bincount(ids[in_unit], minlength=n_units)
    sums = {
        name: np.bincount(ids[in_unit], weights=v[in_unit], minlength=n_units)
        for name, v in values.items()
    }
    no_id = ~valid if mask is None else ~valid & mask
    key_parts = [_rank(d)[c] for d, c in zip(dicts, unit_codes, strict=True)]
    by_key = np.lexsort(key_parts[::-1]) if n_units else np.zeros(0, dtype=np.int64)
    key_rank = np.empty(n_units, dtype=np.int64)
    key_rank[by_key] = np.arange(n_units, dtype=np.int64)
    keys = pd.DataFrame(
        {
            name: d.take(pa.array(c, type=pa.int64())).to_pandas()
            for name, d, c in zip(unit, dicts, unit_codes, strict=True)
        }
    )
    return UnitTotals(
        unit=unit,
        keys=keys,
        sums=sums,
        rows=rows,
        key_rank=key_rank,
        no_id_rows=int(no_id.sum()),
        no_id_sums={name: float(v[no_id].sum()) for name, v in values.items()},
        unit_of_row=ids,
    )


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
