"""Dense sums by group x period x status, and the output table built from them.

A batch arrives either as a :class:`crimeharm._engine.fused.Prepared` (the one-pass
compiled path adds it) or as per-row arrays (:meth:`Accumulator.add`): a group
id, a period id (``UNDATED`` for records with no usable date), a status (0
included, else an exclusion reason's code), crimes and harm. Sums are kept in
one dense float64 array per status seen (a *slab*), of shape groups x
(periods + 1) x 2, the last slot holding undated records. Memory is bounded by
the number of cells, never by the number of records.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from crimeharm._engine import output as _output
from crimeharm._engine.kernel import accumulate
from crimeharm._engine.memory import fresh, touch
from crimeharm.reasons import REASONS, SERIES_REASONS, STATUS
from crimeharm.scoring.columns import dictionary_encoded
from crimeharm.scoring.periods import Period

__all__ = ["UNDATED", "Accumulator"]

UNDATED = np.int64(-(1 << 40))
#: Largest product of a batch's distinct values per ``by`` column that is marked in a dense
#: table (8 MB); beyond it the packed combinations are hashed.
_DENSE_COMBOS = 1 << 23
_N_STATUS = len(REASONS) + 1


class _Ids:
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
            if self.null_id < 0:
                self.null_id = len(self)
                self.known = pa.concat_arrays([self.known, pa.nulls(1, self.known.type)])
                self._last = None
            mapping = np.append(mapping, self.null_id)
        return idx, mapping

    def ids(self, col: Any) -> np.ndarray:
        idx, mapping = self.lookup(col)
        if len(mapping) == 0:
            return np.zeros(len(idx), dtype=np.int64)
        return mapping[idx]

    def values(self) -> np.ndarray:
        if self.known is None:
            return np.zeros(0, dtype=object)
        return np.asarray(self.known.to_pylist(), dtype=object)


class _Groups:
    """Maps the ``by`` columns of each row to one group id."""

    def __init__(self, by: Sequence[str]) -> None:
        self.by = list(by)
        self.columns = [_Ids() for _ in self.by]
        self.combos = pd.Index([], dtype=np.int64) if len(self.by) > 1 else None

    def ids(self, cols: Mapping[str, Any], n: int) -> np.ndarray:
        if not self.by:
            return np.zeros(n, dtype=np.int64)
        if self.combos is None:
            return self.columns[0].ids(cols[self.by[0]])
        looked = self._looked(cols)
        dense = self._dense(looked, n)
        if dense is not None:
            local, lut = dense
            return lut[local]
        packed = np.zeros(n, dtype=np.int64)
        for idx, mapping in looked:
            gid = mapping[idx] if len(mapping) else np.zeros(len(idx), dtype=np.int64)
            packed = packed * (1 << 21) + gid
        codes, uniques = pd.factorize(packed)
        return self._combo_ids(uniques)[codes]

    def lookup(self, cols: Mapping[str, Any], n: int) -> tuple[np.ndarray, np.ndarray] | None:
        """Row indices into a small table of group ids, and the table (see :meth:`_Ids.lookup`).

        With several ``by`` columns the rows index the batch's combinations of
        distinct values (:meth:`_dense`); None when there are too many of them
        for a dense table.
        """
        if self.combos is None:
            return self.columns[0].lookup(cols[self.by[0]])
        return self._dense(self._looked(cols), n)

    def _looked(self, cols: Mapping[str, Any]) -> list[tuple[np.ndarray, np.ndarray]]:
        return [ids.lookup(cols[name]) for ids, name in zip(self.columns, self.by, strict=True)]

    def _dense(self, looked: list, n: int) -> tuple[np.ndarray, np.ndarray] | None:
        """Each row's combination of the batch's distinct values, and each combination's group id.

        A row's position in the product of the batch dictionaries (small: a
        few thousand areas times a handful of flag values) is marked in a
        dense table; only the combinations present are packed and matched
        against the known ones. None when the product exceeds
        :data:`_DENSE_COMBOS`.
        """
        sizes = [len(mapping) + 1 for _, mapping in looked]  # + 1: a slot for null
        if float(np.prod(sizes, dtype=np.float64)) > _DENSE_COMBOS:
            return None
        local = np.zeros(n, dtype=np.int32)  # the product fits: see _DENSE_COMBOS
        for (idx, _), size in zip(looked, sizes, strict=True):
            local *= size
            local += idx
            if len(idx) and idx.min() < 0:  # null (-1) takes the last slot, size - 1
                local += (idx < 0) * size
        present = np.zeros(int(np.prod(sizes)), dtype=bool)
        present[local] = True
        combos = np.flatnonzero(present)
        parts = []
        rest = combos
        for size in reversed(sizes):
            rest, part = np.divmod(rest, size)
            parts.append(part)
        packed = np.zeros(len(combos), dtype=np.int64)
        for (_, mapping), part in zip(looked, reversed(parts), strict=True):
            # the null slot reads the null's id, which _Ids.lookup puts last when a row is null
            table = np.append(mapping, mapping[-1] if len(mapping) else 0)
            packed = packed * (1 << 21) + table[part]
        lut = np.zeros(len(present), dtype=np.int64)
        lut[combos] = self._combo_ids(packed)
        return local, lut

    def _combo_ids(self, uniques: np.ndarray) -> np.ndarray:
        """Group ids of packed combinations, new ones appended."""
        pos = self.combos.get_indexer(uniques)
        if (pos < 0).any():
            self.combos = self.combos.append(pd.Index(uniques[pos < 0]))
            pos = self.combos.get_indexer(uniques)
        return pos

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


class Accumulator:
    """Sums of crimes and harm per status x group x period slot (see :mod:`._kernel`).

    One float64 array (a *slab*) per status row, of shape (groups, period
    slots + 1, 2); the last slot holds records without a usable date.
    """

    def __init__(
        self, by: Sequence[str], period: Period | None, *, excluded_cells: bool = True
    ) -> None:
        self.groups = _Groups(by)
        self.period = period
        #: sums of excluded records by cell (the ``excluded_*`` columns); without them
        #: the compiled path keeps excluded records' totals only (``spill``)
        self.excluded_cells = excluded_cells
        self.spill = np.zeros(2 * _N_STATUS)  # crimes, harm of statuses without a slab
        self.slabs: list[np.ndarray] = []
        self.ptrs = np.zeros(0, dtype=np.int64)  # the slabs' addresses, for compiled loops
        self.row_of = np.full(_N_STATUS, -1, dtype=np.int64)
        self.rows = np.zeros(_N_STATUS, dtype=np.int64)
        self.cap_g = 0
        self.p_lo: int | None = None
        self.width = 0

    @property
    def statuses(self) -> list[int]:
        """Status codes of the records added whose sums are kept by cell, in slab order.

        A slab may be allocated for a status no record had (the compiled path
        allocates one for each status a batch could have); its sums are zero,
        it takes no memory until written, and it is not listed. Without
        ``excluded_cells`` only the included records' (0) are listed.
        """
        order = np.argsort(self.row_of)
        kept = [int(s) for s in order if self.row_of[s] >= 0 and self.rows[s] > 0]
        return kept if self.excluded_cells else [s for s in kept if s == 0]

    @property
    def n_slots(self) -> int:
        """Slots per group: the periods, then one for undated records."""
        return self.width + 1

    def _ensure(self, n_groups: int, lo: int | None, hi: int | None, statuses: Any) -> None:
        old_lo = self.p_lo
        new_lo, new_hi = old_lo, None if old_lo is None else old_lo + self.width - 1
        if lo is not None:
            new_lo = lo if new_lo is None else min(new_lo, lo)
            new_hi = hi if new_hi is None else max(new_hi, hi)
        width = 0 if new_lo is None else new_hi - new_lo + 1
        cap = self.cap_g
        if n_groups > cap:  # headroom without doubling a large grid
            cap = max(n_groups + n_groups // 16, cap + cap // 16, 64)
        added = [s for s in statuses if self.row_of[s] < 0]
        if not added and cap == self.cap_g and width == self.width:
            return
        if cap != self.cap_g or width != self.width:
            off = 0 if old_lo is None else old_lo - new_lo
            used = set(self.row_of[(self.row_of >= 0) & (self.rows > 0)].tolist())
            for r, old in enumerate(self.slabs):
                new = fresh((cap, width + 1, 2), zero=True)
                if r in used:  # a slab without records is zeros: left untouched, it takes no memory
                    g = old.shape[0]
                    new[:g, off : off + self.width] = old[:, :-1]
                    new[:g, -1] = old[:, -1]
                self.slabs[r] = new
                del old
            self.cap_g, self.p_lo, self.width = cap, new_lo, width
        for s in added:
            self.row_of[s] = len(self.slabs)
            self.slabs.append(fresh((self.cap_g, self.width + 1, 2), zero=True))
        touch(self.slabs[-len(added) :] if added else [])
        self.ptrs = np.array([a.ctypes.data for a in self.slabs], dtype=np.int64)

    def add(
        self,
        gid: np.ndarray,
        pid: np.ndarray,
        status: np.ndarray,
        crimes: np.ndarray | None,
        harm: np.ndarray,
    ) -> None:
        """Add one batch; ``crimes`` None means one crime per row; ``harm`` NaN counts as 0."""
        n = len(status)
        if n == 0:
            self._ensure(len(self.groups), None, None, ())
            return
        counts = np.bincount(status, minlength=_N_STATUS)
        undated = pid == UNDATED
        any_undated = bool(undated.any())
        dated = pid[~undated] if any_undated else pid
        lo = int(dated.min()) if dated.size else None
        hi = int(dated.max()) if dated.size else None
        self._ensure(len(self.groups), lo, hi, np.flatnonzero(counts))
        self.rows += counts[:_N_STATUS]
        accumulate(
            self, gid, pid, status, harm, crimes,
            p_lo=self.p_lo or 0, undated=int(UNDATED), any_undated=any_undated,
        )  # fmt: skip

    # ------------------------------------------------------------------ output
    def totals(self) -> dict[int, tuple[int, float, float]]:
        """Rows, crimes and harm per status, read off the sums."""
        g = len(self.groups)
        out = {}
        for s in np.flatnonzero(self.rows > 0).tolist():
            crimes, harm = float(self.spill[2 * s]), float(self.spill[2 * s + 1])
            if self.row_of[s] >= 0:
                cells = self.slabs[self.row_of[s]][:g]
                crimes += float(cells[..., 0].sum())
                harm += float(cells[..., 1].sum())
            out[s] = (int(self.rows[s]), crimes, harm)
        return out

    def result(self, *, complete: bool) -> pd.DataFrame:
        """The output table; frees the sums as it reads them.

        The output cells are found and the slabs read on two threads (the
        compiled loops release the GIL) while the area and period columns are
        built.
        """
        pa.default_memory_pool().release_unused()  # the read buffers are done with
        n_groups = len(self.groups)
        width = self.width
        p_lo = self.p_lo or 0
        statuses = self.statuses
        slabs = {st: self.slabs[self.row_of[st]] for st in statuses}
        self.slabs, self.ptrs = [], np.zeros(0, dtype=np.int64)
        ids = np.arange(p_lo, p_lo + width, dtype=np.int64)
        if self.period is not None and self.period.kind == "rolling":
            window = self.period.window
            ends = ids[window - 1 :] if width >= window else ids[:0]
            for st in statuses:
                slabs[st] = _output.rolled(slabs[st][:n_groups], width, window)
            ids = ends
        n_dated = len(ids)
        order = self.groups.order()
        categories, rank = self._categories(order)
        with ThreadPoolExecutor(max_workers=2) as pool:
            cells = _output.occupied(
                pool,
                [slabs[st] for st in statuses],
                order,
                rank,
                has_included=statuses[:1] == [0],
                n_dated=n_dated,
                complete=complete,
            )
            g_out, slot, group_code, period_code = cells
            n_out = len(g_out)
            # the slabs are read one after another in a worker thread; each slab's two
            # columns are written into the memory of the slab read before it
            reasons = [r for r in REASONS if STATUS[r] in slabs or r in SERIES_REASONS]
            if not self.excluded_cells:
                reasons = []
            names = [(0, "crimes", "harm_days")] + [
                (STATUS[r], f"excluded_{r}", f"excluded_harm_{r}") for r in reasons
            ]
            chain = [(st, slabs.pop(st)) for st, _, _ in names if st in slabs]
            bounds = []
            if self.period is not None:
                nat = np.datetime64("NaT", "s")
                bounds = [
                    np.append(b.astype("datetime64[s]"), nat) for b in self.period.bounds(ids)
                ]
            gathered = pool.submit(_output.gather_chain, chain, g_out, slot, period_code, bounds)
            del chain
            frame: dict[str, Any] = {}
            if rank is not None:
                name = self.groups.by[0]
                frame[name] = pd.Categorical.from_codes(group_code, categories=categories)
            else:
                values = self.groups.values()
                for name in self.groups.by:
                    codes, uniques = pd.factorize(values[name], use_na_sentinel=True)
                    frame[name] = pd.Categorical.from_codes(
                        codes[g_out], categories=pd.Index(uniques)
                    )
            columns, total, (period_start, period_end) = gathered.result()
            if self.period is not None:
                labels = self.period.labels(ids) if n_dated else np.zeros(0, dtype=object)
                frame["period"] = pd.Categorical.from_codes(
                    period_code, categories=pd.Index(labels, dtype=object), ordered=True
                )
                frame["period_start"], frame["period_end"] = period_start, period_end
            for st, crimes, harm in names:
                if st in columns:
                    frame[crimes], frame[harm] = columns.pop(st)
                else:  # no records: zeros, which take no memory until written
                    frame[crimes], frame[harm] = np.zeros(n_out), np.zeros(n_out)
        if self.excluded_cells:
            frame["excluded"] = total
        if not self.groups.by and self.period is None and n_out == 0:
            return pd.DataFrame({k: np.zeros(1) for k in frame})  # one row of zero totals
        return pd.DataFrame(frame, copy=False)

    def _categories(self, order: np.ndarray) -> tuple[pd.Index | None, np.ndarray | None]:
        """For one ``by`` column: its values in output order and each group's code in them.

        None, None with no or several ``by`` columns (their codes are read apart).
        """
        if len(self.groups.by) != 1 or self.groups.columns[0].known is None:
            return None, None
        known = self.groups.columns[0].known
        ordered = known.take(pa.array(order))
        n_valid = len(ordered) - ordered.null_count  # nulls are last
        categories = pd.Index(ordered.slice(0, n_valid).to_pandas())
        if not categories.is_unique:
            return None, None
        rank = np.full(len(known), -1, dtype=np.int32)
        rank[order[:n_valid]] = np.arange(n_valid, dtype=np.int32)
        return categories, rank
