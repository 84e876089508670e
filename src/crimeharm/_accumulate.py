"""Dense sums by group x period x status, and the output table built from them.

Each batch arrives as per-row arrays: a group id, a period id (``UNDATED``
for records with no usable date), a status (0 included, else an exclusion
reason's code), crimes and harm. Sums are kept in one dense float64 array per
status seen, of shape groups x (periods + 1), the last slot holding undated
records. Included records are added with one :func:`numpy.bincount` per
measure; excluded records, usually a minority, with :func:`numpy.add.at`.
Memory is bounded by the number of cells, never by the number of records.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from crimeharm._columns import dictionary_encoded
from crimeharm._kernel import accumulate, compiled
from crimeharm.periods import Period
from crimeharm.reasons import REASONS, SERIES_REASONS, STATUS

__all__ = ["UNDATED", "Accumulator"]

UNDATED = np.int64(-(1 << 40))
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
            fresh = pc.unique(dictionary.filter(pc.is_null(pos)))
            # new values take ids in sorted order: the output is sorted by value, so when
            # the first batch brings most values the sums are read in the order they lie
            fresh = fresh.take(pc.array_sort_indices(fresh))
            self.known = pa.concat_arrays([self.known, fresh.cast(self.known.type)])
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
        parts = [ids.ids(cols[name]) for ids, name in zip(self.columns, self.by, strict=True)]
        if self.combos is None:
            return parts[0]
        packed = np.zeros(n, dtype=np.int64)
        for p in parts:
            packed = packed * (1 << 21) + p
        codes, uniques = pd.factorize(packed)
        pos = self.combos.get_indexer(uniques)
        if (pos < 0).any():
            self.combos = self.combos.append(pd.Index(uniques[pos < 0]))
            pos = self.combos.get_indexer(uniques)
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
    def slab_statuses(self) -> list[int]:
        """Status codes of the records added that have a slab, in slab order.

        A slab may be allocated for a status no record had (the compiled path
        allocates one for each status a batch could have); its sums are zero,
        it takes no memory until written, and it is not listed.
        """
        order = np.argsort(self.row_of)
        return [int(s) for s in order if self.row_of[s] >= 0 and self.rows[s] > 0]

    @property
    def statuses(self) -> list[int]:
        """Status codes of the records added whose sums are kept by cell."""
        kept = self.slab_statuses
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
        fresh = [s for s in statuses if self.row_of[s] < 0]
        if not fresh and cap == self.cap_g and width == self.width:
            return
        if cap != self.cap_g or width != self.width:
            off = 0 if old_lo is None else old_lo - new_lo
            used = set(self.row_of[(self.row_of >= 0) & (self.rows > 0)].tolist())
            for r, old in enumerate(self.slabs):
                new = _fresh((cap, width + 1, 2), zero=True)
                if r in used:  # a slab without records is zeros: left untouched, it takes no memory
                    g = old.shape[0]
                    new[:g, off : off + self.width] = old[:, :-1]
                    new[:g, -1] = old[:, -1]
                self.slabs[r] = new
                del old
            self.cap_g, self.p_lo, self.width = cap, new_lo, width
        for s in fresh:
            self.row_of[s] = len(self.slabs)
            self.slabs.append(_fresh((self.cap_g, self.width + 1, 2), zero=True))
        _touch(self.slabs[-len(fresh) :] if fresh else [])
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
                slabs[st] = _rolled(slabs[st][:n_groups], width, window)
            ids = ends
        n_dated = len(ids)
        order = self.groups.order()
        categories, rank = self._categories(order)
        with ThreadPoolExecutor(max_workers=2) as pool:
            cells = _occupied(
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
            gathered = pool.submit(_gather_chain, chain, g_out, slot, period_code, bounds)
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


def _fresh(shape: int | tuple[int, ...], dtype: Any = np.float64, *, zero: bool = False) -> Any:
    """A new array (zeros if ``zero``) whose memory is mapped in ordinary pages.

    numpy asks the system for transparent huge pages for large arrays;
    mapping one can stall while the kernel compacts memory (measured on the
    benchmark machine: 145 MB of sums took 24 to 370 ms to map with huge
    pages, 63 to 85 ms without). The sums and output columns are written once
    or in random order, and gain little from huge pages.
    """
    arr = np.zeros(shape, dtype) if zero else np.empty(shape, dtype)
    ck = compiled()
    if ck is not None and arr.nbytes >= 1 << 21:
        ck.small_pages(arr.reshape(-1).view(np.uint8))
    return arr


def _touch(slabs: list[np.ndarray]) -> None:
    """Map fresh slabs' memory now, on two threads.

    Otherwise the pages of a large grid are mapped one at a time inside the
    accumulation loop of the first batch, on one thread.
    """
    ck = compiled()
    flat = [a.reshape(-1) for a in slabs if a.size >= 1 << 20]
    if ck is None or not flat:
        return
    helper = threading.Thread(target=lambda: [ck.touch(a, a.size // 2, a.size) for a in flat])
    helper.start()
    for a in flat:
        ck.touch(a, 0, a.size // 2)
    helper.join()


def _rolled(slab: np.ndarray, width: int, window: int) -> np.ndarray:
    """Sums over each complete window of ``window`` slots, by its last slot; undated kept last."""
    g = slab.shape[0]
    e = np.arange(window, width + 1, dtype=np.int64)
    cs = np.zeros((g, width + 1, 2))
    np.cumsum(slab[:, :width], axis=1, out=cs[:, 1:])
    rolled = np.empty((g, len(e) + 1, 2))
    rolled[:, :-1] = cs[:, e] - cs[:, e - window]
    rolled[:, -1] = slab[:, width]
    return rolled


def _occupied(
    pool: ThreadPoolExecutor,
    slabs: list[np.ndarray],
    order: np.ndarray,
    rank: np.ndarray | None,
    *,
    has_included: bool,
    n_dated: int,
    complete: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each output cell's group, slot, group category code (``rank``) and period code.

    See :func:`crimeharm._ckernel.occupied`; the groups are split in two halves,
    one per thread. The category codes are -1 without ``rank``.
    """
    n_slots = n_dated + 1
    if rank is None:
        rank = np.full(max(len(order), int(order.max(initial=-1)) + 1), -1, dtype=np.int32)
    ck = compiled()
    if ck is not None and slabs and len(slabs) <= 64:
        ptrs = np.array([a.ctypes.data for a in slabs], dtype=np.int64)
        common = (ptrs, n_slots, has_included, order)
        tail = (n_dated, complete, rank)
        # one pass: each half writes into room for all its cells (memory not written is
        # never mapped), then the second half is moved to follow the first
        half = len(order) // 2
        room = len(order) * n_slots
        out = [_fresh(room, np.int32) for _ in range(4)]
        at = half * n_slots
        done = [
            pool.submit(ck.occupied, *common, a, b, *tail, start, *out)
            for a, b, start in ((0, half, 0), (half, len(order), at))
        ]
        m1, m2 = (f.result() for f in done)
        for arr in out:
            arr[m1 : m1 + m2] = arr[at : at + m2]
        return out[0][: m1 + m2], out[1][: m1 + m2], out[2][: m1 + m2], out[3][: m1 + m2]
    occ = np.zeros((len(order), n_slots), dtype=bool)
    if complete:
        occ[:, :n_dated] = True
    for slab in slabs:
        occ |= slab[order, :, 0] != 0
    if has_included:
        occ |= slabs[0][order, :, 1] != 0
    j, slot = np.nonzero(occ)
    g_out = order[j].astype(np.int32)
    slot = slot.astype(np.int32)
    period = np.where(slot < n_dated, slot, -1).astype(np.int32)
    return g_out, slot, rank[g_out], period


def _gather_chain(
    chain: list[tuple[int, np.ndarray]],
    g_out: np.ndarray,
    slot: np.ndarray,
    period_code: np.ndarray,
    bounds: list[np.ndarray],
) -> tuple[dict[int, tuple[np.ndarray, np.ndarray]], np.ndarray, list[np.ndarray | None]]:
    """Each slab's crimes and harm at the output cells, by status; excluded crimes; bounds.

    The first slab's columns take new memory; each later slab's are written
    into the memory of the slab before it, which is already mapped (a slab
    holds two values per cell, so it has room for two columns of any subset
    of its cells). The last slab's memory takes the period bounds
    (``bounds[k][period_code]``, -1 taking the last entry).
    """
    ck = compiled()
    n = len(g_out)
    out: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    total = _fresh(n, zero=True)
    spare: list[np.ndarray] = []
    for st, slab in chain:
        if ck is None:
            out[st] = (slab[g_out, slot, 0], slab[g_out, slot, 1])
            if st:
                total += out[st][0]
            continue
        out_n, out_h = spare if spare else (_fresh(n), _fresh(n))
        ck.gather(slab, g_out, slot, out_n, out_h, total if st else total[:0])
        out[st] = (out_n, out_h)
        flat = slab.reshape(-1)
        spare = [flat[:n], flat[n : 2 * n]]
    periods: list[np.ndarray | None] = [None, None]
    for k, table in enumerate(bounds):
        into = spare.pop() if spare else _fresh(n)
        if ck is None:
            periods[k] = np.take(table, period_code)
            continue
        ck.take(table.view(np.int64), period_code, into.view(np.int64))
        periods[k] = into.view(table.dtype)
    return out, total, periods
