"""A prototype of a faster ``harm_index`` streaming path, to show what the changes proposed
in docs/benchmarks.md would gain. Not part of the library.

It computes the benchmark job (``by`` one column, a calendar period, a
``police_initiated`` flag, police-generated offences excluded) with the same
output as :func:`crimeharm.harm_index`: the same rows in the same order, the
same columns (``crimes``, ``harm_days``, ``excluded_<reason>``,
``excluded_harm_<reason>``, ``excluded``) and a reconciling summary. The
differences from the library, each one a proposed change:

1. Parquet is read one row group per batch (``ParquetFile.read_row_group``),
   never a batch that straddles two row groups (``iter_batches(batch_size=
   1 << 20)`` over 1,000,000-row groups re-slices dictionary columns: 4x the
   read time).
2. Text columns stay integer indices into their dictionary (Arrow
   dictionary, pandas categorical, or one ``pyarrow.compute.dictionary_encode``
   of Arrow-backed strings); the dictionary (a few hundred offence codes, 35,000
   LSOAs) is mapped to global ids once per batch, then taken back to the rows
   with one ``numpy.take``. Nulls are index -1, which takes the sentinel kept
   at the end of each mapping array.
3. The status of a row is one table lookup on its offence code (code problems
   and the police-generated flag folded in), corrected only where a row-level
   reason applies (dates, the police-initiated flag).
4. Included and excluded records are summed the same way: ``numpy.add.at``
   into one dense float64 array per (status seen) x group x period, with one
   extra period slot for undated records. No per-batch ``np.unique``, no
   pandas ``concat``/``groupby`` at the end, no ``bincount(minlength=...)``
   allocation of the whole grid per batch.
5. The summary (rows, crimes and harm by reason) is read off the same sums at
   the end, not recomputed per batch.
6. The output is built column by column straight from the sums, freeing each
   sum as soon as it is read, and assembled with ``pd.DataFrame(...,
   copy=False)`` (the default copies every column into one block: 0.25 s and
   a second copy of the output at 10M rows).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from crimeharm.editions import resolve_weights
from crimeharm.periods import parse_period
from crimeharm.reasons import REASONS, SERIES_REASONS, STATUS
from crimeharm.scoring import ScoreOptions, Summary, _Resolver

__all__ = ["fast_harm_index"]

_UNDATED = -1
_N_STATUS = len(REASONS) + 1


# ------------------------------------------------------------------ reading
def _batches(data: Any, columns: list[str], batch_rows: int):
    """Yield dicts of column name -> column: one Parquet row group, or a frame slice."""
    if isinstance(data, pd.DataFrame):
        for i in range(0, len(data), batch_rows):
            part = data.iloc[i : i + batch_rows]
            yield {c: part[c] for c in columns}, len(part)
        return
    path = Path(data)
    files = sorted(path.glob("*.parquet")) if path.is_dir() else [path]
    for f in files:
        schema = pq.read_schema(f)
        text = [
            c
            for c in columns
            if pa.types.is_string(schema.field(c).type)
            or pa.types.is_large_string(schema.field(c).type)
        ]
        pf = pq.ParquetFile(f, read_dictionary=text)
        for rg in range(pf.num_row_groups):
            table = pf.read_row_group(rg, columns=columns)
            yield {c: table.column(c) for c in columns}, table.num_rows


def _single(col: Any) -> Any:
    if isinstance(col, pa.ChunkedArray):
        return col.chunk(0) if col.num_chunks == 1 else col.combine_chunks()
    return col


def _dict_encoded(col: Any) -> tuple[np.ndarray, pa.Array]:
    """Row indices (-1 for null) and the dictionary of a text column."""
    if isinstance(col, pd.Series):
        if isinstance(col.dtype, pd.CategoricalDtype):
            return col.cat.codes.to_numpy(), pa.array(col.cat.categories.to_numpy(dtype=object))
        arrow = col.array.__arrow_array__() if hasattr(col.array, "__arrow_array__") else None
        col = arrow if arrow is not None else pa.array(col.to_numpy(dtype=object), pa.string())
    col = _single(col)
    if not pa.types.is_dictionary(col.type):
        col = pc.dictionary_encode(col)
    idx = col.indices
    if idx.null_count:
        idx = pc.fill_null(idx, -1)
    return idx.to_numpy(zero_copy_only=False), col.dictionary


def _days(col: Any) -> np.ndarray:
    """Day numbers (int64); DAY -2**62 where missing. Dates and datetimes only."""
    if isinstance(col, pd.Series):
        arr = col.to_numpy()
        days = arr.astype("datetime64[D]").astype(np.int64)
        nat = np.isnat(arr)
    else:
        col = _single(col)
        if pa.types.is_date32(col.type):
            days = np.frombuffer(col.buffers()[1], dtype=np.int32, count=len(col) + col.offset)
            days = days[col.offset :].astype(np.int64)
        else:
            days = col.cast(pa.date32()).to_numpy(zero_copy_only=False)
            days = days.astype("datetime64[D]").astype(np.int64)
        nat = (
            ~col.is_valid().to_numpy(zero_copy_only=False)
            if col.null_count
            else np.zeros(len(days), dtype=bool)
        )
    if nat.any():
        days = np.where(nat, np.int64(-(2**62)), days)
    return days


def _flag(col: Any) -> np.ndarray:
    if isinstance(col, pd.Series):
        return col.fillna(value=False).to_numpy(dtype=bool)
    return pc.fill_null(_single(col), fill_value=False).to_numpy(zero_copy_only=False)


# ------------------------------------------------------------------- groups
class _Ids:
    """Global ids of the distinct values of one column, mapped once per dictionary.

    The known values are kept as an Arrow array, so that a batch's dictionary
    is matched with one ``pyarrow.compute.index_in`` (hash join in C++), not
    by making Python strings of every entry.
    """

    def __init__(self) -> None:
        self.known = pa.array([], pa.string())
        self.null_id = -1
        self._last: tuple[pa.Array, np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self.known)

    def map(self, dictionary: pa.Array) -> np.ndarray:
        """Global id of each dictionary entry, plus a last entry for null."""
        if self._last is not None and self._last[0].equals(dictionary):
            return self._last[1]
        if dictionary.type != pa.string():
            dictionary = dictionary.cast(pa.string())
        pos = pc.index_in(dictionary, value_set=self.known)
        if pos.null_count:
            fresh = pc.unique(dictionary.filter(pc.is_null(pos)))
            self.known = pa.concat_arrays([self.known, fresh])
            pos = pc.index_in(dictionary, value_set=self.known)
        mapping = np.append(pos.to_numpy(zero_copy_only=False), self.null_id).astype(np.int64)
        self._last = (dictionary, mapping)
        return mapping

    def null(self) -> int:
        """The id of null, given the first time a batch has one (ids never change)."""
        if self.null_id < 0:
            self.null_id = len(self.known)
            self.known = pa.concat_arrays([self.known, pa.nulls(1, pa.string())])
            self._last = None
        return self.null_id

    def values(self) -> np.ndarray:
        """The value of every id, in id order (None for null)."""
        return self.known.to_numpy(zero_copy_only=False).astype(object)


class _Sums:
    """Dense float64 sums of crimes and harm per group x period slot.

    Included records go to ``n[0]``/``h[0]`` with one ``bincount`` per batch
    (excluded rows are sent to a dump cell past the end, so nothing is
    compressed); excluded records, usually a minority, are taken out once and
    added with ``ufunc.at`` into one array per reason seen. The last period
    slot holds records with no usable date.
    """

    def __init__(self) -> None:
        self.n: dict[int, np.ndarray] = {}
        self.h: dict[int, np.ndarray] = {}
        self.cap_g = 0
        self.p_lo: int | None = None
        self.width = 0

    def ensure(self, n_groups: int, p_lo: int | None, p_hi: int | None, statuses) -> None:
        lo, hi = self.p_lo, (None if self.p_lo is None else self.p_lo + self.width - 1)
        if p_lo is not None:
            lo = p_lo if lo is None else min(lo, p_lo)
            hi = p_hi if hi is None else max(hi, p_hi)
        width = 0 if lo is None else hi - lo + 1
        cap = self.cap_g
        if n_groups > cap:  # headroom: the first batch rarely has every group
            cap = max(n_groups + n_groups // 16, cap + cap // 16, 1024)
        if cap != self.cap_g or width != self.width:
            off = 0 if self.p_lo is None else self.p_lo - lo
            for sums in (self.n, self.h):
                for status, old in sums.items():  # one array at a time
                    new = np.zeros((cap, width + 1))
                    g_ = old.shape[0]
                    new[:g_, off : off + self.width] = old[:, :-1]
                    new[:g_, -1] = old[:, -1]
                    sums[status] = new
                    del old
            self.cap_g, self.p_lo, self.width = cap, lo, width
        for status in statuses:
            if status not in self.n:
                self.n[status] = np.zeros((self.cap_g, self.width + 1))
                self.h[status] = np.zeros((self.cap_g, self.width + 1))

    def add(self, status, gid, pid, harm, seen, *, any_undated: bool) -> None:
        """``pid`` is the period id, ``_UNDATED`` for records with no usable date."""
        w1 = self.width + 1
        key = gid * w1 + (pid - (self.p_lo or 0))
        if any_undated:
            undated = pid == _UNDATED
            key[undated] = gid[undated] * w1 + self.width
        size = self.cap_g * w1
        included = status == 0
        if 0 in self.n:
            k0 = key if len(seen) == 1 else np.where(included, key, size)
            self.n[0].reshape(-1)[:] += np.bincount(k0, minlength=size + 1)[:size]
            self.h[0].reshape(-1)[:] += np.bincount(k0, weights=harm, minlength=size + 1)[:size]
        if len(seen) > 1 or seen[0] != 0:
            ex = np.flatnonzero(~included)
            st, k, h = status[ex], key[ex], harm[ex]
            for s in seen:
                if s == 0:
                    continue
                if len(seen) > 2:
                    m = st == s
                    ks, hs = k[m], h[m]
                else:
                    ks, hs = k, h
                np.add.at(self.n[s].reshape(-1), ks, 1.0)
                np.add.at(self.h[s].reshape(-1), ks, hs)


# ------------------------------------------------------------------ the job
def fast_harm_index(
    data: Any,
    *,
    by: str,
    period: str = "month",
    date: str,
    code: str = "offence_code",
    code_system: str = "auto",
    police_initiated: str | None = None,
    weights: Any = None,
    batch_rows: int = 1_000_000,
) -> pd.DataFrame:
    """The benchmark job, as :func:`crimeharm.harm_index` computes it, faster.

    Handles one ``by`` column, a calendar period, a date column of dates or
    datetimes, an optional ``police_initiated`` flag; police-generated offences
    are excluded. Parquet (file or folder) or a pandas DataFrame.
    """
    opts = ScoreOptions.make(
        weights=resolve_weights(weights),
        code=code,
        code_system=code_system,
        date=date,
        police_initiated=police_initiated,
    )
    per = parse_period(period)
    columns = list(
        dict.fromkeys([code, by, date, *([police_initiated] if police_initiated else [])])
    )
    resolver = _Resolver(opts)
    groups = _Ids()
    sums = _Sums()
    summary = Summary(
        edition=opts.weights.edition,
        edition_sha256=opts.weights.sha256,
        scheme=opts.weights.scheme,
        options=opts.describe(),
    )
    code_values: dict[int, object] = {}
    pg = STATUS["police_generated"]
    for cols, n in _batches(data, columns, batch_rows):
        # offence code -> days and code-level status, one lookup per distinct code
        cidx, cdict = _dict_encoded(cols[code])
        uniques = np.asarray(cdict.to_pylist(), dtype=object)
        pos = resolver.positions(uniques)
        u_days = np.append(resolver.days[pos], np.nan)
        u_status = np.append(resolver.code_status[pos], STATUS["missing_code"]).astype(np.uint8)
        u_flag = np.append(resolver.flag[pos], False)
        u_status[(u_status == 0) & u_flag] = pg
        status = u_status[cidx]
        harm = np.nan_to_num(u_days)[cidx]
        unknown = u_status == STATUS["unknown_code"]
        if unknown.any():  # tally the codes, for the summary and the warning
            hits = np.bincount(cidx[unknown[cidx]], minlength=len(uniques))
            for i in np.flatnonzero(hits):
                code_values[uniques[i]] = code_values.get(uniques[i], 0) + int(hits[i])
        # dates -> period ids; a missing date outranks the police-generated flag
        days = _days(cols[date])
        missing = days == -(2**62)
        pid = np.full(n, _UNDATED, dtype=np.int64)
        if missing.any():
            fix = missing & ((status == 0) | (status == pg))
            status[fix] = STATUS["missing_date"]
            ok = ~missing
            pid[ok] = per.ids_from_days(days[ok])
        else:
            pid = per.ids_from_days(days)
        if police_initiated:
            status[(status == 0) & _flag(cols[police_initiated])] = STATUS["police_initiated"]
        # groups
        gidx, gdict = _dict_encoded(cols[by])
        if (gidx < 0).any():
            groups.null()
        gid = groups.map(gdict)[gidx]
        seen = np.flatnonzero(np.bincount(status, minlength=_N_STATUS))
        any_undated = bool(missing.any())
        dated = pid[pid != _UNDATED] if any_undated else pid
        sums.ensure(
            len(groups),
            int(dated.min()) if dated.size else None,
            int(dated.max()) if dated.size else None,
            seen,
        )
        sums.add(status, gid, pid, harm, seen, any_undated=any_undated)
    summary.unknown_codes.update(code_values)
    return _result(sums, groups, per, summary, by, opts)


def _result(sums: _Sums, groups: _Ids, per, summary: Summary, by: str, opts) -> pd.DataFrame:
    import pyarrow as pa_

    pa_.default_memory_pool().release_unused()  # the read buffers are done with
    n_groups = len(groups)
    width = sums.width
    p_lo = sums.p_lo or 0
    # the summary, read off the sums
    for status in sorted(sums.n):
        rows = float(sums.n[status][:n_groups].sum())
        harm = float(sums.h[status][:n_groups].sum())
        summary.rows_in += int(rows)
        if status == 0:
            summary.rows_included += int(rows)
            summary.crimes_included += rows
            summary.harm_included += harm
        else:
            reason = REASONS[status - 1]
            summary.rows_excluded[reason] += int(rows)
            summary.crimes_excluded[reason] += rows
            summary.harm_excluded[reason] += harm
    # cells: (group, slot) with any record, groups in order of their values
    values = pd.Series(groups.values(), dtype=object)
    order = values.sort_values(kind="stable", na_position="last").index.to_numpy()
    occupied = np.zeros((n_groups, width + 1), dtype=bool)
    for status in sums.n:
        n = sums.n[status][:n_groups]
        if status == 0:
            occupied[:, :width] |= (n[:, :width] != 0) | (sums.h[0][:n_groups, :width] != 0)
        else:
            occupied |= n != 0
    occupied = occupied[order]
    rows, slot = np.nonzero(occupied)
    n_out = len(rows)
    out: dict[str, Any] = {}
    cats = pd.Index(values)
    gcode = order.astype(np.int32)[rows]
    del rows
    out[by] = (
        pd.Categorical.from_codes(gcode, categories=cats)
        if cats.notna().all()
        else (pd.Categorical(values.to_numpy()[gcode]))
    )
    del gcode
    ids = np.arange(p_lo, p_lo + width, dtype=np.int64)
    undated = slot == width
    code = slot.astype(np.int16 if width < 32_000 else np.int64)
    del slot
    code[undated] = -1
    labels = per.labels(ids) if width else np.zeros(0, dtype=object)
    out["period"] = pd.Categorical.from_codes(
        code, categories=pd.Index(labels, dtype=object), ordered=True
    )
    starts, ends = per.bounds(ids)
    starts = np.append(starts.astype("datetime64[s]"), np.datetime64("NaT", "s"))
    ends = np.append(ends.astype("datetime64[s]"), np.datetime64("NaT", "s"))
    out["period_start"] = starts[code]  # code -1 takes the NaT at the end
    out["period_end"] = ends[code]
    del code

    def take(sums_of: dict, status: int) -> np.ndarray:
        arr = sums_of.pop(status, None)
        if arr is None:
            return np.zeros(n_out)  # calloc'd: costs no memory until written
        col = arr[:n_groups][order][occupied]
        del arr
        return col

    crimes = take(sums.n, 0)
    harm = take(sums.h, 0)
    crimes[undated] = 0.0  # undated records are never included
    harm[undated] = 0.0
    out["crimes"], out["harm_days"] = crimes, harm
    seen = {REASONS[s - 1] for s in sums.n if s}
    total = np.zeros(n_out)
    for reason in REASONS:
        if reason in seen or reason in SERIES_REASONS:
            col = take(sums.n, STATUS[reason])
            out[f"excluded_{reason}"] = col
            out[f"excluded_harm_{reason}"] = take(sums.h, STATUS[reason])
            if reason in seen:
                total += col
    out["excluded"] = total
    frame = pd.DataFrame(out, copy=False)
    frame.attrs["crimeharm"] = {
        **opts.weights.provenance(),
        "by": [by],
        "period": per.spec,
        "summary": summary.as_dict(),
    }
    return frame


def main(argv: list[str] | None = None) -> None:
    """Time the prototype against crimeharm.harm_index and check they agree."""
    import argparse
    import json
    import sys
    import time

    sys.path.insert(0, os.fspath(Path(__file__).resolve().parent))
    import job

    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("path")
    ap.add_argument("--source", choices=("parquet", "frame", "dataset"), default="parquet")
    ap.add_argument("--strings", choices=("arrow", "category"), default="arrow")
    ap.add_argument("--compare", action="store_true", help="also run crimeharm and compare")
    args = ap.parse_args(argv)
    w = resolve_weights("cchi-2020")
    w.index("ho_class")
    rss0 = job.rss_bytes()
    data = args.path
    if args.source == "frame":
        data = job.read_frame(args.path, args.strings)
        rss0 = job.rss_bytes()
        job.reset_peak()
    kw = {
        "by": "lsoa",
        "period": "month",
        "date": "committed",
        "code": "offence_code",
        "code_system": "ho_class",
        "police_initiated": "police_initiated",
        "weights": w,
    }
    t = time.perf_counter()
    fast = fast_harm_index(data, **kw)
    rec = {
        "prototype_s": time.perf_counter() - t,
        "prototype_peak_above_start_mb": (job.maxrss_bytes() - rss0) / 2**20,
        "groups": len(fast),
    }
    if args.compare:
        tool = job.Crimeharm()
        tool.load("")
        t = time.perf_counter()
        ref = tool.run(data)
        rec["crimeharm_s"] = time.perf_counter() - t
        pd.testing.assert_frame_equal(
            fast.astype({"lsoa": object, "period": object}),
            ref.astype({"lsoa": object, "period": object}),
            check_exact=False,
            rtol=1e-12,
            check_dtype=False,
        )
        a, b = fast.attrs["crimeharm"]["summary"], ref.attrs["crimeharm"]["summary"]
        for k in ("rows_in", "rows_included", "rows_excluded", "crimes_included"):
            assert a[k] == b[k], (k, a[k], b[k])
        assert abs(a["harm_days_included"] - b["harm_days_included"]) <= 1e-9 * abs(
            b["harm_days_included"]
        )
        rec["identical_to_crimeharm"] = True
    print(json.dumps(rec))


if __name__ == "__main__":
    main()
