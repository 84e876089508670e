"""Group ids: the ``by`` values of each record as one integer, growing across batches.

Both engines keep their sums by group id; :class:`Groups` maps a batch's
``by`` columns to ids and gives the values back, in output order, when the
result is built.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from crimeharm.scoring.columns import dictionary_encoded

__all__ = ["Groups", "Ids"]


class Ids:
    """Global ids of the distinct values of one column, growing across batches.

    A batch's dictionary (a few hundred offence codes, some thousands of areas)
    is matched against the known values with :func:`pyarrow.compute.index_in`,
    then taken back to the rows with one integer take.
    """

    def __init__(self) -> None:
        self.known: pa.Array | None = None
        self.null_id = -1
        self._last: tuple[pa.Array, np.ndarray] | None = None

    def __len__(self) -> int:
        return 0 if self.known is None else len(self.known)

    def _map(self, dictionary: pa.Array) -> np.ndarray:
        if self._last is not None and self._last[0].equals(dictionary):
            return self._last[1]
        if self.known is None:
            self.known = pa.array([], type=dictionary.type)
        if dictionary.type != self.known.type:
            try:
                dictionary = dictionary.cast(self.known.type)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                self.known = self.known.cast(pa.string())
                dictionary = dictionary.cast(pa.string())
        pos = pc.index_in(dictionary, value_set=self.known)
        if pos.null_count:
            new_values = pc.unique(dictionary.filter(pc.is_null(pos)))
            # new values take ids in sorted order: the output is sorted by value, so when
            # the first batch brings most values the sums are read in the order they lie
            new_values = new_values.take(pc.array_sort_indices(new_values))
            self.known = pa.concat_arrays([self.known, new_values.cast(self.known.type)])
            pos = pc.index_in(dictionary, value_set=self.known)
        mapping = pos.to_numpy(zero_copy_only=False).astype(np.int64)
        self._last = (dictionary, mapping)
        return mapping

    def lookup(self, col: Any) -> tuple[np.ndarray, np.ndarray]:
        """Row indices into the batch's distinct values (-1 for null) and their global ids.

        When a row is null the ids end with the null value's id, which index -1 takes.
        """
        idx, dictionary = dictionary_encoded(col)
        mapping = self._map(dictionary)
        if len(idx) and idx.min() < 0:
            assert self.known is not None  # _map has set the known values
            if self.null_id < 0:
                self.null_id = len(self)
                self.known = pa.concat_arrays([self.known, pa.nulls(1, self.known.type)])
                self._last = None
            mapping = np.append(mapping, self.null_id)
        return idx, mapping

    def ids(self, col: Any) -> np.ndarray:
        """Each row's global id."""
        idx, mapping = self.lookup(col)
        if len(mapping) == 0:
            return np.zeros(len(idx), dtype=np.int64)
        return mapping[idx]

    def values(self) -> np.ndarray:
        """The known values, in id order."""
        if self.known is None:
            return np.zeros(0, dtype=object)
        return np.asarray(self.known.to_pylist(), dtype=object)


class Groups:
    """Maps the ``by`` columns of each row to one group id."""

    def __init__(self, by: Sequence[str]) -> None:
        self.by = list(by)
        self.columns = [Ids() for _ in self.by]
        self.combos = pd.Index([], dtype=np.int64) if len(self.by) > 1 else None

    def ids(self, cols: Mapping[str, Any], n: int) -> np.ndarray:
        """Each row's group id."""
        if not self.by:
            return np.zeros(n, dtype=np.int64)
        parts = [ids.ids(cols[name]) for ids, name in zip(self.columns, self.by, strict=True)]
        if self.combos is None:
            return parts[0]
        packed = np.zeros(n, dtype=np.int64)
        for p in parts:
            packed = packed * (1 << 21) + p
        codes, uniques = pd.factorize(packed)
        pos = self.combos.get_indexer(uniques)  # type: ignore[arg-type]  # stub: takes an array
        if (pos < 0).any():
            self.combos = self.combos.append(pd.Index(uniques[pos < 0]))
            pos = self.combos.get_indexer(uniques)  # type: ignore[arg-type]  # stub: takes an array
        return pos[codes]

    def __len__(self) -> int:
        if not self.by:
            return 1
        return len(self.columns[0]) if self.combos is None else len(self.combos)

    def values(self) -> pd.DataFrame:
        """The ``by`` values of every group id, in id order."""
        if not self.by:
            return pd.DataFrame(index=range(1))
        if self.combos is None:
            return pd.DataFrame({self.by[0]: self.columns[0].values()})
        packed = self.combos.to_numpy()
        out = {}
        for ids, name in reversed(list(zip(self.columns, self.by, strict=True))):
            packed, part = np.divmod(packed, 1 << 21)
            out[name] = ids.values()[part]
        return pd.DataFrame({name: out[name] for name in self.by})

    def keys(self) -> dict[str, pa.Array]:
        """The ``by`` values of every group id, in id order, as Arrow arrays (none without ``by``).

        Read back by :meth:`ids` (as the columns of a batch), they give the
        same groups: how one engine's sums are added to another's.
        """
        if self.combos is None:
            known = self.columns[0].known if self.by else None
            return {} if known is None else {self.by[0]: known}
        packed = self.combos.to_numpy()
        out = {}
        for ids, name in reversed(list(zip(self.columns, self.by, strict=True))):
            packed, part = np.divmod(packed, 1 << 21)
            known = ids.known if ids.known is not None else pa.nulls(0)
            out[name] = known.take(part)
        return {name: out[name] for name in self.by}

    def order(self) -> np.ndarray:
        """Group ids sorted by their ``by`` values (nulls last)."""
        if not self.by:
            return np.zeros(1, dtype=np.int64)
        if self.combos is None and self.columns[0].known is not None:
            known = self.columns[0].known
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
        ordered = known.take(pa.array(order))
        n_valid = len(ordered) - ordered.null_count  # nulls are last
        categories = pd.Index(ordered.slice(0, n_valid).to_pandas())
        if not categories.is_unique:
            return None, None
        rank = np.full(len(known), -1, dtype=np.int32)
        rank[order[:n_valid]] = np.arange(n_valid, dtype=np.int32)
        return categories, rank
