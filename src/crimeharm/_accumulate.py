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

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from crimeharm._columns import dictionary_encoded
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
            self.known = pa.concat_arrays([self.known, fresh.cast(self.known.type)])
            pos = pc.index_in(dictionary, value_set=self.known)
        mapping = pos.to_numpy(zero_copy_only=False).astype(np.int64)
        self._last = (dictionary, mapping)
        return mapping

    def ids(self, col: Any) -> np.ndarray:
        idx, dictionary = dictionary_encoded(col)
        mapping = self._map(dictionary)
        if (idx < 0).any():
            if self.null_id < 0:
                self.null_id = len(self)
                self.known = pa.concat_arrays([self.known, pa.nulls(1, self.known.type)])
                self._last = None
            mapping = np.append(mapping, self.null_id)
        elif len(mapping) == 0:
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
        vals = self.values()
        cols = list(vals.columns)
        try:
            ordered = vals.sort_values(cols, kind="stable", na_position="last")
        except TypeError:  # values of mixed types: order by their text
            ordered = vals.astype("string").sort_values(cols, kind="stable", na_position="last")
        return ordered.index.to_numpy(dtype=np.int64)


class Accumulator:
    """Sums of crimes and harm per group x period, one pair of arrays per status seen."""

    def __init__(self, by: Sequence[str], period: Period | None) -> None:
        self.groups = _Groups(by)
        self.period = period
        self.n: dict[int, np.ndarray] = {}
        self.h: dict[int, np.ndarray] = {}
        self.rows = np.zeros(_N_STATUS, dtype=np.int64)
        self.cap_g = 0
        self.p_lo: int | None = None
        self.width = 0

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
        if cap != self.cap_g or width != self.width:
            off = 0 if old_lo is None else old_lo - new_lo
            for sums in (self.n, self.h):
                for status in list(sums):
                    old = sums[status]
                    new = np.zeros((cap, width + 1))
                    g = old.shape[0]
                    new[:g, off : off + self.width] = old[:, :-1]
                    new[:g, -1] = old[:, -1]
                    sums[status] = new
                    del old
            self.cap_g, self.p_lo, self.width = cap, new_lo, width
        for status in statuses:
            if status not in self.n:
                self.n[status] = np.zeros((self.cap_g, self.width + 1))
                self.h[status] = np.zeros((self.cap_g, self.width + 1))

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
        self.rows += counts[:_N_STATUS]
        seen = np.flatnonzero(counts)
        undated = pid == UNDATED
        any_undated = bool(undated.any())
        dated = pid[~undated] if any_undated else pid
        lo = int(dated.min()) if dated.size else None
        hi = int(dated.max()) if dated.size else None
        self._ensure(len(self.groups), lo, hi, seen)
        slots = self.width + 1
        key = gid * slots + (pid - (self.p_lo or 0))
        if any_undated:
            key[undated] = gid[undated] * slots + self.width
        size = self.cap_g * slots
        harm = np.nan_to_num(harm, copy=False)
        included = status == 0
        if counts[0]:
            k0 = key if len(seen) == 1 else np.where(included, key, size)
            if crimes is None:
                self.n[0].reshape(-1)[:] += np.bincount(k0, minlength=size + 1)[:size]
            else:
                c0 = np.bincount(k0, weights=crimes, minlength=size + 1)[:size]
                self.n[0].reshape(-1)[:] += c0
            self.h[0].reshape(-1)[:] += np.bincount(k0, weights=harm, minlength=size + 1)[:size]
        if len(seen) > 1 or seen[0] != 0:
            ex = np.flatnonzero(~included)
            st, k, h = status[ex], key[ex], harm[ex]
            c = None if crimes is None else crimes[ex]
            for s in seen:
                if s == 0:
                    continue
                m = st == s
                np.add.at(self.n[s].reshape(-1), k[m], 1.0 if c is None else c[m])
                np.add.at(self.h[s].reshape(-1), k[m], h[m])

    # ------------------------------------------------------------------ output
    def totals(self) -> dict[int, tuple[int, float, float]]:
        """Rows, crimes and harm per status, read off the sums."""
        g = len(self.groups)
        return {
            int(s): (int(self.rows[s]), float(self.n[s][:g].sum()), float(self.h[s][:g].sum()))
            for s in self.n
        }

    def result(self, *, complete: bool) -> pd.DataFrame:
        """The output table; frees the sums as it reads them."""
        pa.default_memory_pool().release_unused()  # the read buffers are done with
        n_groups = len(self.groups)
        width = self.width
        p_lo = self.p_lo or 0
        sums = {("n", s): a[:n_groups] for s, a in self.n.items()}
        sums.update({("h", s): a[:n_groups] for s, a in self.h.items()})
        self.n, self.h = {}, {}
        ids = np.arange(p_lo, p_lo + width, dtype=np.int64)
        if self.period is not None and self.period.kind == "rolling":
            window = self.period.window
            ends = ids[window - 1 :] if width >= window else ids[:0]
            for key, arr in sums.items():
                cs = np.zeros((n_groups, width + 1))
                np.cumsum(arr[:, :width], axis=1, out=cs[:, 1:])
                e = ends - p_lo + 1
                rolled = np.empty((n_groups, len(ends) + 1))
                rolled[:, :-1] = cs[:, e] - cs[:, e - window]
                rolled[:, -1] = arr[:, width]
                sums[key] = rolled
            ids = ends
        slots = len(ids) + 1
        occupied = np.zeros((n_groups, slots), dtype=bool)
        if complete:
            occupied[:, : len(ids)] = True
        for (kind, _), arr in sums.items():
            if kind == "n" or _ == 0:
                occupied |= arr != 0
        order = self.groups.order()
        occupied = occupied[order]
        rows, slot = np.nonzero(occupied)
        n_out = len(rows)
        frame: dict[str, Any] = {}
        values = self.groups.values()
        for name in self.groups.by:
            codes, uniques = pd.factorize(values[name], use_na_sentinel=True)
            frame[name] = pd.Categorical.from_codes(
                codes[order[rows]], categories=pd.Index(uniques)
            )
        undated = slot == len(ids)
        if self.period is not None:
            code = slot.astype(np.int64)
            code[undated] = -1
            labels = self.period.labels(ids) if len(ids) else np.zeros(0, dtype=object)
            frame["period"] = pd.Categorical.from_codes(
                code, categories=pd.Index(labels, dtype=object), ordered=True
            )
            starts, ends_ = self.period.bounds(ids)
            nat = np.datetime64("NaT", "s")
            frame["period_start"] = np.append(starts.astype("datetime64[s]"), nat)[code]
            frame["period_end"] = np.append(ends_.astype("datetime64[s]"), nat)[code]

        def take(kind: str, status: int) -> np.ndarray:
            arr = sums.pop((kind, status), None)
            if arr is None:
                return np.zeros(n_out)
            return arr[order][occupied]

        frame["crimes"] = take("n", 0)
        frame["harm_days"] = take("h", 0)
        seen = {REASONS[s - 1] for (_, s) in sums if s}
        total = np.zeros(n_out)
        for reason in REASONS:
            if reason in seen or reason in SERIES_REASONS:
                col = take("n", STATUS[reason])
                frame[f"excluded_{reason}"] = col
                frame[f"excluded_harm_{reason}"] = take("h", STATUS[reason])
                total += col
        frame["excluded"] = total
        if not self.groups.by and self.period is None and n_out == 0:
            return pd.DataFrame({k: np.zeros(1) for k in frame})  # one row of zero totals
        return pd.DataFrame(frame, copy=False)
