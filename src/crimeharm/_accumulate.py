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
from crimeharm._kernel import accumulate
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
    """Sums of crimes and harm per status x group x period slot (see :mod:`._kernel`)."""

    def __init__(self, by: Sequence[str], period: Period | None) -> None:
        self.groups = _Groups(by)
        self.period = period
        self.acc = np.zeros((0, 0, 1, 2))
        self.row_of = np.full(_N_STATUS, -1, dtype=np.int64)
        self.rows = np.zeros(_N_STATUS, dtype=np.int64)
        self.cap_g = 0
        self.p_lo: int | None = None
        self.width = 0

    @property
    def statuses(self) -> list[int]:
        """Status codes seen, in row order of ``acc``."""
        order = np.argsort(self.row_of)
        return [int(s) for s in order if self.row_of[s] >= 0]

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
        n_rows = self.acc.shape[0] + len(fresh)
        if cap != self.cap_g or width != self.width or fresh:
            new = np.zeros((n_rows, cap, width + 1, 2))
            old = self.acc
            if old.size:
                off = 0 if old_lo is None else old_lo - new_lo
                r, g = old.shape[0], old.shape[1]
                new[:r, :g, off : off + self.width] = old[:, :, :-1]
                new[:r, :g, -1] = old[:, :, -1]
            for i, s in enumerate(fresh):
                self.row_of[s] = self.acc.shape[0] + i
            self.acc = new
            del old
            self.cap_g, self.p_lo, self.width = cap, new_lo, width

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
        undated = pid == UNDATED
        any_undated = bool(undated.any())
        dated = pid[~undated] if any_undated else pid
        lo = int(dated.min()) if dated.size else None
        hi = int(dated.max()) if dated.size else None
        self._ensure(len(self.groups), lo, hi, np.flatnonzero(counts))
        accumulate(
            self.acc, self.row_of, gid, pid, status, harm, crimes,
            p_lo=self.p_lo or 0, width=self.width, undated=int(UNDATED), any_undated=any_undated,
        )  # fmt: skip

    # ------------------------------------------------------------------ output
    def totals(self) -> dict[int, tuple[int, float, float]]:
        """Rows, crimes and harm per status, read off the sums."""
        g = len(self.groups)
        out = {}
        for s in self.statuses:
            cells = self.acc[self.row_of[s], :g]
            out[s] = (int(self.rows[s]), float(cells[..., 0].sum()), float(cells[..., 1].sum()))
        return out

    def result(self, *, complete: bool) -> pd.DataFrame:
        """The output table; frees the sums as it reads them."""
        pa.default_memory_pool().release_unused()  # the read buffers are done with
        n_groups = len(self.groups)
        width = self.width
        p_lo = self.p_lo or 0
        sums = {}
        for s in self.statuses:
            cells = self.acc[self.row_of[s], :n_groups]
            sums[("n", s)] = cells[..., 0]
            sums[("h", s)] = cells[..., 1]
        self.acc = np.zeros((0, 0, 1, 2))  # the views above keep what is still needed
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

        g_out = order[rows]

        def take(kind: str, status: int) -> np.ndarray:
            arr = sums.pop((kind, status), None)
            if arr is None:
                return np.zeros(n_out)
            return arr[g_out, slot]

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
