"""Group ids: the ``by`` values of each record as one integer, growing across batches.

Both engines keep their sums by group id; :class:`Groups` maps a batch's
``by`` columns to ids and gives the values back, in output order, when the
result is built. A blank value (null, a float NaN, an empty text or one of
spaces only) is one value per column, null, ordered after every other value
of its column (:func:`crimeharm.harm_index` labels it :data:`BLANK_AREA`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from crimeharm._engine import textkeys
from crimeharm.scoring.columns import dictionary_encoded

__all__ = ["BLANK_AREA", "SORTED", "Groups", "Ids", "SortedValues", "blank_values", "label_blank"]

#: The label of a blank area (null, NaN, empty or spaces) in the ``by`` columns of an output.
BLANK_AREA = "(blank)"

#: Bits of a group id of the columns before a ``by`` column in a packed pair of ids.
_PAIR_BITS = 32
#: Largest number of combinations of several ``by`` columns' batch values a lookup table covers.
_LOOKUP_ENTRIES = 1 << 24
#: Distinct value lists whose sorted order :class:`SortedValues` remembers (the latest used).
SORTED_ENTRIES = 4


class SortedValues:
    """The sorted order of the distinct values of a ``by`` column, remembered for the next call.

    A notebook that calls :func:`crimeharm.harm_index` on the same frame again
    and again brings the same areas each time: their sort (and the index of
    output categories built from it) is done once. An entry is found by the
    values themselves (:meth:`pyarrow.Array.equals`: type and every value),
    never by which table or column they came from, so it cannot be stale.
    Floating-point values are not remembered (``equals`` holds ``-0.0`` and
    ``0.0`` equal, which print apart).
    """

    def __init__(self, limit: int = SORTED_ENTRIES) -> None:
        self.limit = limit
        self._entries: OrderedDict[int, list[tuple[pa.Array, SortedEntry]]] = OrderedDict()
        self._count = 0
        self._lock = threading.Lock()

    def get(self, values: pa.Array) -> SortedEntry:
        """The entry of ``values`` (not null), sorting them when not remembered."""
        if pa.types.is_floating(values.type):
            return SortedEntry(values)
        key = len(values)
        with self._lock:
            for known, entry in self._entries.get(key, []):
                if known.equals(values):
                    self._entries.move_to_end(key)
                    return entry
        entry = SortedEntry(values)
        if self.limit <= 0:
            return entry
        with self._lock:
            self._entries.setdefault(key, []).append((values, entry))
            self._entries.move_to_end(key)
            self._count += 1
            while self._count > self.limit:
                _, dropped = self._entries.popitem(last=False)
                self._count -= len(dropped)
        return entry

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()
            self._count = 0


class SortedEntry:
    """Distinct values in sorted order, each value's rank, and their output categories.

    Values with a blank area among them are not sorted (the general path of
    :class:`Ids` reads them).
    """

    def __init__(self, values: pa.Array) -> None:
        blank = _blank(values)
        #: whether a value is a blank area (NaN, empty or spaces): not sorted then
        self.blank = bool(blank is not None and pc.any(blank).as_py())
        #: the values in sorted order (as they are when one is blank)
        self.ordered: pa.Array = values
        #: each value's position in ``ordered``, or None when two values are equal or one blank
        self.rank: np.ndarray | None = None
        self._categories: pd.Index | None = None
        self._lock = threading.Lock()
        if self.blank:
            return
        order = pc.array_sort_indices(values)
        self.ordered = values.take(order)
        n = len(values)
        if n > 1 and pc.not_equal(self.ordered.slice(0, n - 1), self.ordered.slice(1)).false_count:
            return
        rank = np.empty(n, dtype=np.int64)
        rank[order.to_numpy()] = np.arange(n, dtype=np.int64)
        rank.setflags(write=False)  # shared by every call that brings these values
        self.rank = rank

    def categories(self) -> pd.Index | None:
        """``ordered`` as a pandas Index (built once), or None when its values are not unique."""
        with self._lock:
            if self._categories is None:
                self._categories = pd.Index(self.ordered.to_pandas())
            return self._categories if self._categories.is_unique else None


#: The sorted orders the engines remember (see :class:`SortedValues`).
SORTED = SortedValues()


def _blank(dictionary: pa.Array) -> pa.Array | None:
    """Which distinct values are blank areas (NaN, empty or spaces); None when none can be."""
    t = dictionary.type
    if pa.types.is_floating(t):
        return pc.is_nan(dictionary).fill_null(fill_value=False)
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        trimmed = pc.utf8_trim_whitespace(dictionary)
        return pc.equal(trimmed, pa.scalar("", trimmed.type)).fill_null(fill_value=False)
    return None


def blank_values(values: pa.Array, *, labelled: bool = False) -> np.ndarray:
    """Which values are a blank area: null, NaN, or text that is empty or spaces only.

    Parameters
    ----------
    values : pyarrow.Array
        The distinct values of a ``by`` column (or all of them).
    labelled : bool
        Count :data:`BLANK_AREA` itself as blank, as in a result table of
        :func:`crimeharm.harm_index`, where the blank area has that label.

    Returns
    -------
    numpy.ndarray
        One bool per value.
    """
    blank = np.asarray(values.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    more = _blank(values)
    if more is not None:
        blank |= np.asarray(more.to_numpy(zero_copy_only=False), dtype=bool)
    if labelled and (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        label = pc.equal(values, pa.scalar(BLANK_AREA, values.type)).fill_null(fill_value=False)
        blank |= np.asarray(label.to_numpy(zero_copy_only=False), dtype=bool)
    return blank


def label_blank(column: pd.Series) -> pd.Series:
    """The column with each blank area (see :func:`blank_values`) as :data:`BLANK_AREA`.

    The rule :func:`crimeharm.harm_index` applies to its ``by`` columns, for
    code that matches records to the rows of its result.
    """
    values = column.astype(object)
    distinct = np.asarray(pd.unique(values), dtype=object)
    as_arrow: pa.Array
    try:
        as_arrow = pa.array(distinct, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed types: only text can be empty
        text = pa.array([v if isinstance(v, str) else None for v in distinct], pa.string())
        empty = _blank(text)
        assert empty is not None  # text can be blank
        blank = np.asarray(pd.isna(distinct), dtype=bool)
        blank |= np.asarray(empty.to_numpy(zero_copy_only=False), dtype=bool)
    else:
        blank = blank_values(as_arrow)
    if not blank.any():
        return column
    mapping = {v: BLANK_AREA for v, b in zip(distinct, blank, strict=True) if b and not pd.isna(v)}
    out = values.replace(mapping) if mapping else values
    return out.where(~out.isna(), BLANK_AREA)


class Ids:
    """Global ids of the distinct values of one column, growing across batches.

    A batch's dictionary (a few hundred offence codes, some thousands of areas)
    is matched against the known values with :func:`pyarrow.compute.index_in`,
    then taken back to the rows with one integer take. Plain text of one width
    (area codes read without a dictionary, such as 180,000 output areas whose
    Parquet dictionary outgrew its page) is keyed from its bytes instead
    (:mod:`crimeharm._engine.textkeys`): the rows' keys index one table of ids,
    kept across batches, with no hashing of text.
    """

    def __init__(self) -> None:
        self.known: pa.Array | None = None
        self.null_id = -1
        self._last: tuple[pa.Array, np.ndarray] | None = None
        #: the key space of plain text of one width and each key's id (-1: not seen); None
        #: before the first batch, False once a batch was matched by its text
        self._space: textkeys.KeySpace | bool | None = None
        self._id_of_key = np.zeros(0, dtype=np.int64)
        #: the entry of :data:`SORTED` the known values came from while they are its values
        #: (and maybe the blank value after them): their order is then known
        self.sorted: SortedEntry | None = None

    def __len__(self) -> int:
        return 0 if self.known is None else len(self.known)

    def _map(self, dictionary: pa.Array) -> np.ndarray:
        if self._last is not None and self._last[0].equals(dictionary):
            return self._last[1]
        key = dictionary
        if self.known is None:
            self.known = pa.array([], type=dictionary.type)
        if not len(self.known) and not dictionary.null_count and dictionary.type == self.known.type:
            first = self._first(dictionary)
            if first is not None:
                self._last = (key, first)
                return first
        blank = _blank(dictionary)
        if blank is not None and pc.any(blank).as_py():  # blank areas: the null value's id
            self._null()
            dictionary = pc.if_else(blank, pa.scalar(None, dictionary.type), dictionary)
        if dictionary.type != self.known.type:
            try:
                dictionary = dictionary.cast(self.known.type)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                self.known = self.known.cast(pa.string())
                dictionary = dictionary.cast(pa.string())
        pos = pc.index_in(dictionary, value_set=self.known)
        unseen = pc.and_(pc.is_null(pos), pc.is_valid(dictionary))
        if pos.null_count and pc.any(unseen).as_py():
            new_values = pc.unique(dictionary.filter(unseen))
            # new values take ids in sorted order: the output is sorted by value, so when
            # the first batch brings most values the sums are read in the order they lie
            new_values = new_values.take(pc.array_sort_indices(new_values))
            self.known = pa.concat_arrays([self.known, new_values.cast(self.known.type)])
            pos = pc.index_in(dictionary, value_set=self.known)
            self.sorted = None
        filled = pos.fill_null(self._null()) if pos.null_count else pos  # nulls: blank values
        mapping = filled.to_numpy(zero_copy_only=False).astype(np.int64)
        self._last = (key, mapping)
        return mapping

    def _first(self, dictionary: pa.Array) -> np.ndarray | None:
        """The ids of the first values seen, distinct and not null: their sorted order.

        Sorted once, with no hashing (or remembered, see :class:`SortedValues`); None
        when values repeat or one is blank (the general path then).
        """
        entry = SORTED.get(dictionary)
        if entry.blank or entry.rank is None:
            return None
        self.known = entry.ordered
        self.sorted = entry
        return entry.rank

    def _null(self) -> int:
        """The id of the blank value, added to the known values the first time."""
        if self.null_id < 0:
            assert self.known is not None
            self.null_id = len(self.known)
            self.known = pa.concat_arrays([self.known, pa.nulls(1, self.known.type)])
            self._last = None
        return self.null_id

    def lookup(self, col: Any, *, keyed: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Row indices into the batch's distinct values (-1 for null) and their global ids.

        When a row is null the ids end with the null value's id, which index -1 takes.
        ``keyed``: plain text of one width may be keyed from its bytes (the
        indices are then keys, and the ids a table over the whole key space).
        """
        if keyed and self._space is not False:
            found = self._keyed(col)
            if found is not None:
                return found
        self._space = False  # matched by text from now on: the table of keys would miss values
        idx, dictionary = dictionary_encoded(col)
        mapping = self._map(dictionary)
        if len(idx) and idx.min() < 0:
            mapping = np.append(mapping, self._null())
        return idx, mapping

    def _keyed(self, col: Any) -> tuple[np.ndarray, np.ndarray] | None:
        """:meth:`lookup` by keys (see :mod:`~crimeharm._engine.textkeys`), or None."""
        arr = _text_array(col)
        if arr is None:
            return None
        if self._space is None and self.known is not None and len(self.known):
            return None  # values matched by text before: they have no keys
        read = textkeys.fixed_width(arr)
        if read is None:
            return None
        matrix, valid = read
        if self._space is None:
            space = textkeys.KeySpace.of(matrix, arr.type)
            if space is None:
                return None
            self._space = space
            self._id_of_key = np.full(space.space, -1, dtype=np.int64)
            self.known = pa.array([], type=arr.type)
        assert isinstance(self._space, textkeys.KeySpace)
        assert self.known is not None
        keys = self._space.keys(matrix)
        if keys is None:
            return None
        seen = np.zeros(self._space.space, dtype=bool)
        seen[keys] = True
        new = np.flatnonzero(seen & (self._id_of_key < 0))
        if len(new):  # new values take ids in sorted order (keys sort as the text does)
            start = len(self.known)
            values = self._space.text(new)
            if values.type != self.known.type:
                values = values.cast(self.known.type)
            self.known = pa.concat_arrays([self.known, values])
            self._id_of_key[new] = np.arange(start, start + len(new), dtype=np.int64)
            self._last = None
            self.sorted = None
        mapping = self._id_of_key
        if valid is None:
            return keys, mapping
        idx = np.full(len(valid), -1, dtype=np.int32)
        idx[valid] = keys
        return idx, np.append(mapping, self._null())

    def ids(self, col: Any) -> np.ndarray:
        """Each row's global id."""
        idx, mapping = self.lookup(col)
        if len(mapping) == 0:
            return np.zeros(len(idx), dtype=np.int64)
        return mapping[idx]

    def values(self) -> np.ndarray:
        """The known values, in id order (the blank one None)."""
        if self.known is None:
            return np.zeros(0, dtype=object)
        return np.asarray(self.known.to_pylist(), dtype=object)


def _text_array(col: Any) -> pa.Array | None:
    """A column of at least :data:`textkeys.MIN_ROWS` plain text values as one Arrow array.

    Arrow text, or pandas text held by Arrow (taken without a copy); None for
    anything else (dictionaries, categoricals, objects) and short columns.
    """
    if len(col) < textkeys.MIN_ROWS:
        return None
    if isinstance(col, pd.Series):
        dtype = col.dtype
        if not (isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"):
            return None
        col = pa.array(col)
    if not isinstance(col, pa.Array | pa.ChunkedArray):
        return None
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        return None
    return arr


class Groups:
    """Maps the ``by`` columns of each row to one group id, for any number of columns.

    With several columns, the group of the first ``k`` columns and the id of
    column ``k`` are packed into one integer (:data:`_PAIR_BITS` bits for the
    latter) and numbered in ``levels[k - 1]``, the distinct pairs seen so far,
    so an id never overflows whatever the number of columns or values.
    """

    def __init__(self, by: Sequence[str]) -> None:
        self.by = list(by)
        self.columns = [Ids() for _ in self.by]
        self.levels = [pd.Index([], dtype=np.int64) for _ in self.by[1:]]

    def ids(self, cols: Mapping[str, Any], n: int) -> np.ndarray:
        """Each row's group id."""
        if not self.by:
            return np.zeros(n, dtype=np.int64)
        gid = self.columns[0].ids(cols[self.by[0]])
        for k, (ids, name) in enumerate(zip(self.columns[1:], self.by[1:], strict=True)):
            packed = (gid.astype(np.int64) << _PAIR_BITS) | ids.ids(cols[name])
            codes, uniques = pd.factorize(packed)
            gid = self._level_ids(k, uniques)[codes]
        return gid

    def lookup(self, cols: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray] | None:
        """Each row's entry in a table of group ids, and the table; None when it would be large.

        One column: :meth:`Ids.lookup` (-1, a null, takes the last entry).
        Several: each row's entries in its columns' dictionaries, combined
        into one index into every combination of them (at most
        :data:`_LOOKUP_ENTRIES`); the combinations the batch has take their
        group ids (new ones numbered in the order of the combinations), the
        others -1. Either way ``table[index]`` are the rows' group ids, as
        :meth:`ids` would give them.
        """
        if not self.by:
            return None
        if len(self.by) == 1:
            return self.columns[0].lookup(cols[self.by[0]])
        looked = [
            ids.lookup(cols[name], keyed=False)  # tables of keys would multiply past the limit
            for ids, name in zip(self.columns, self.by, strict=True)
        ]
        sizes = [max(len(mapping), 1) for _, mapping in looked]
        if int(np.prod(np.array(sizes, dtype=np.float64))) > _LOOKUP_ENTRIES:
            return None
        index = np.zeros(len(looked[0][0]), dtype=np.int32)  # below 2**24: int32 is enough
        for (idx, _), size in zip(looked, sizes, strict=True):
            if len(idx) and idx.min() < 0:  # -1, a null, takes the last entry: the null's id
                idx = np.where(idx < 0, size - 1, idx)
            index *= size
            index += idx.astype(np.int32, copy=False)
        n_entries = int(np.prod(sizes))
        present = np.zeros(n_entries, dtype=bool)
        present[index] = True
        combos = np.flatnonzero(present)
        table = np.full(n_entries, -1, dtype=np.int64)
        if len(combos):
            parts = []
            rest = combos
            for size in reversed(sizes):
                rest, part = np.divmod(rest, size)
                parts.append(part)
            parts.reverse()
            gid = looked[0][1][parts[0]] if len(looked[0][1]) else np.zeros(len(combos), np.int64)
            for k in range(1, len(self.by)):
                mapping = looked[k][1]
                col = mapping[parts[k]] if len(mapping) else np.zeros(len(combos), np.int64)
                pairs, at = np.unique(
                    (gid.astype(np.int64) << _PAIR_BITS) | col, return_inverse=True
                )
                gid = self._level_ids(k - 1, pairs)[at]  # (a pair may recur before the last column)
            table[combos] = gid
        return index, table

    def _level_ids(self, k: int, packed: np.ndarray) -> np.ndarray:
        """The ids of the distinct packed pairs ``packed`` in ``levels[k]`` (unseen ones added)."""
        pairs = pd.Index(packed)
        pos = self.levels[k].get_indexer(pairs)
        if (pos < 0).any():
            self.levels[k] = self.levels[k].append(pairs[pos < 0])
            pos = self.levels[k].get_indexer(pairs)
        return pos

    def __len__(self) -> int:
        if not self.by:
            return 1
        return len(self.levels[-1]) if self.levels else len(self.columns[0])

    def values(self) -> pd.DataFrame:
        """The ``by`` values of every group id, in id order (blank ones null)."""
        if not self.by:
            return pd.DataFrame(index=range(1))
        gid = np.arange(len(self), dtype=np.int64)
        out = {}
        for k in reversed(range(len(self.levels))):
            packed = self.levels[k].to_numpy()[gid]
            gid, part = packed >> _PAIR_BITS, packed & ((1 << _PAIR_BITS) - 1)
            out[self.by[k + 1]] = self.columns[k + 1].values()[part]
        out[self.by[0]] = self.columns[0].values()[gid]
        return pd.DataFrame({name: out[name] for name in self.by})

    def keys(self) -> dict[str, pa.Array]:
        """The ``by`` values of every group id, in id order, as Arrow arrays (none without ``by``).

        Read back by :meth:`ids` (as the columns of a batch), they give the
        same groups: how one engine's sums are added to another's.
        """
        if len(self.by) <= 1:
            known = self.columns[0].known if self.by else None
            return {} if known is None else {self.by[0]: known}
        gid = np.arange(len(self), dtype=np.int64)
        out = {}
        for k in reversed(range(len(self.levels))):
            packed = self.levels[k].to_numpy()[gid]
            gid, part = packed >> _PAIR_BITS, packed & ((1 << _PAIR_BITS) - 1)
            known = self.columns[k + 1].known
            out[self.by[k + 1]] = (known if known is not None else pa.nulls(0)).take(
                np.asarray(part, dtype=np.int64)
            )
        known = self.columns[0].known
        out[self.by[0]] = (known if known is not None else pa.nulls(0)).take(
            np.asarray(gid, dtype=np.int64)
        )
        return {name: out[name] for name in self.by}

    def order(self) -> np.ndarray:
        """Group ids sorted by their ``by`` values (blank areas last)."""
        if not self.by:
            return np.zeros(1, dtype=np.int64)
        if len(self.by) == 1 and self.columns[0].known is not None:
            known = self.columns[0].known
            if self.columns[0].sorted is not None:  # sorted, the blank value (if any) last
                return np.arange(len(known), dtype=np.int64)
            idx = pc.array_sort_indices(known, null_placement="at_end")
            return idx.to_numpy().astype(np.int64)
        vals = self.values()
        cols = list(vals.columns)
        try:
            ordered = vals.sort_values(cols, kind="stable", na_position="last")
        except TypeError:  # values of mixed types: order by their text
            ordered = vals.astype("string").sort_values(cols, kind="stable", na_position="last")
        return ordered.index.to_numpy(dtype=np.int64)

    def categories(self, order: np.ndarray) -> tuple[pd.Index | None, np.ndarray | None]:
        """For one ``by`` column: its values in output order and each group's code in them.

        None, None with no or several ``by`` columns (their codes are read apart).
        """
        if len(self.by) != 1 or self.columns[0].known is None:
            return None, None
        known = self.columns[0].known
        entry = self.columns[0].sorted
        if entry is not None:  # the order is that of the entry: its categories, built once
            n_valid = len(entry.ordered)
            found = entry.categories()
            if found is None:
                return None, None
            categories = found
        else:
            ordered = known.take(pa.array(order))
            n_valid = len(ordered) - ordered.null_count  # nulls are last
            categories = pd.Index(ordered.slice(0, n_valid).to_pandas())
            if not categories.is_unique:
                return None, None
        rank = np.full(len(known), -1, dtype=np.int32)
        rank[order[:n_valid]] = np.arange(n_valid, dtype=np.int32)
        return categories, rank
