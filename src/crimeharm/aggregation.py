"""Sum harm by area and period, in one pass over batches, with every exclusion counted.

:func:`aggregate` sums a frame that :func:`crimeharm.score` returned;
:func:`harm_index` scores and sums in one streaming pass, reading a Parquet
file or folder a row group at a time, so memory is bounded by the number of
groups, not the number of records.

Included crimes and harm are summed with :func:`numpy.bincount` into a dense
area x period array; excluded records (a minority) are tallied per reason
apart. Each output row has the ``by`` columns, ``period`` (its label,
``period_start`` and ``period_end``), ``crimes`` and ``harm_days`` of the
included records, and for each exclusion reason ``excluded_<reason>`` (crimes)
and ``excluded_harm_<reason>`` (days, for records whose offence code is known).
Records whose date is missing or unparseable cannot be placed in a period;
they appear under a null period, so that every record is accounted for:
``sum(crimes) + sum(excluded_*) = crimes in``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from crimeharm._columns import DAY_BAD, factorize
from crimeharm.errors import MissingColumnError
from crimeharm.io import batch_columns, open_source
from crimeharm.periods import Period, parse_period
from crimeharm.reasons import REASONS, SERIES_REASONS
from crimeharm.scoring import OptionError, ScoreOptions, Scorer, Summary

__all__ = ["aggregate", "harm_index"]

_NO_PERIOD = np.int64(-(1 << 40))
_GID_BITS = 32
_PID_OFFSET = 1 << 23


class _Encoder:
    """Global ids for the distinct values of one column, growing across batches."""

    def __init__(self) -> None:
        self.index = pd.Index([], dtype=object)
        self.null_id = -1

    def ids(self, col: Any) -> np.ndarray:
        codes, uniques = factorize(col)
        keys = pd.Index(uniques, dtype=object)
        pos = self.index.get_indexer(keys) if len(self.index) else np.full(len(keys), -1)
        if (pos < 0).any():
            fresh = keys[pos < 0].unique()
            self.index = self.index.append(fresh)
            pos = self.index.get_indexer(keys)
        if (codes < 0).any():
            if self.null_id < 0:
                self.index = self.index.append(pd.Index([None], dtype=object))
                self.null_id = len(self.index) - 1
            pos = np.append(pos, self.null_id)
        return pos[codes].astype(np.int64, copy=False) if len(pos) else np.zeros(0, np.int64)

    def __len__(self) -> int:
        return len(self.index)


class _Groups:
    """Maps the ``by`` columns of each row to one group id."""

    def __init__(self, by: Sequence[str]) -> None:
        self.by = list(by)
        self.encoders = [_Encoder() for _ in self.by]
        self.combos = _Encoder() if len(self.by) > 1 else None
        self.combo_parts: list[np.ndarray] = []

    def ids(self, cols: Mapping[str, Any], n: int) -> np.ndarray:
        if not self.by:
            return np.zeros(n, dtype=np.int64)
        parts = [enc.ids(cols[name]) for enc, name in zip(self.encoders, self.by, strict=True)]
        if self.combos is None:
            return parts[0]
        packed = np.zeros(n, dtype=np.int64)
        for p in parts:
            packed = packed * (1 << 21) + p
        before = len(self.combos)
        gid = self.combos.ids(pd.Series(packed))
        if len(self.combos) > before:
            self.combo_parts.append(np.asarray(self.combos.index[before:], dtype=np.int64))
        return gid

    def __len__(self) -> int:
        if not self.by:
            return 1
        return len(self.encoders[0]) if self.combos is None else len(self.combos)

    def values(self) -> pd.DataFrame:
        """The ``by`` values of every group id, in id order."""
        if not self.by:
            return pd.DataFrame(index=range(1))
        if self.combos is None:
            return pd.DataFrame({self.by[0]: np.asarray(self.encoders[0].index, dtype=object)})
        packed = np.concatenate(self.combo_parts) if self.combo_parts else np.zeros(0, np.int64)
        out = {}
        for enc, name in reversed(list(zip(self.encoders, self.by, strict=True))):
            packed, part = np.divmod(packed, 1 << 21)
            out[name] = np.asarray(enc.index, dtype=object)[part]
        return pd.DataFrame({name: out[name] for name in self.by})


class _Accumulator:
    """Dense sums of included crimes and harm, sparse tallies of exclusions."""

    def __init__(self, by: Sequence[str], period: Period | None) -> None:
        self.groups = _Groups(by)
        self.period = period
        self.cap_g = 0
        self.p_lo: int | None = None
        self.p_hi: int | None = None
        self.crimes = np.zeros((0, 0))
        self.harm = np.zeros((0, 0))
        self.excluded: list[pd.DataFrame] = []
        self.excluded_rows = 0

    def _ensure(self, n_groups: int, p_lo: int, p_hi: int) -> None:
        lo = p_lo if self.p_lo is None else min(self.p_lo, p_lo)
        hi = p_hi if self.p_hi is None else max(self.p_hi, p_hi)
        cap = max(self.cap_g, 1)
        while cap < n_groups:
            cap *= 2
        if cap == self.cap_g and lo == self.p_lo and hi == self.p_hi:
            return
        shape = (cap, hi - lo + 1)
        for name in ("crimes", "harm"):
            old = getattr(self, name)
            new = np.zeros(shape)
            if old.size:
                off = self.p_lo - lo
                new[: old.shape[0], off : off + old.shape[1]] = old
            setattr(self, name, new)
        self.cap_g, self.p_lo, self.p_hi = cap, lo, hi

    def add(
        self,
        gid: np.ndarray,
        pid: np.ndarray,
        status: np.ndarray,
        crimes: np.ndarray,
        harm: np.ndarray,
    ) -> None:
        included = status == 0
        placed = pid != _NO_PERIOD
        if placed.any():
            pp = pid[placed] if not placed.all() else pid
            self._ensure(len(self.groups), int(pp.min()), int(pp.max()))
        else:
            self._ensure(len(self.groups), self.p_lo or 0, self.p_hi or 0)
        if included.any():
            width = self.p_hi - self.p_lo + 1
            flat = np.where(included, gid * width + (pid - self.p_lo), 0)
            size = self.cap_g * width
            self.crimes += np.bincount(
                flat, weights=np.where(included, crimes, 0.0), minlength=size
            ).reshape(self.cap_g, width)
            self.harm += np.bincount(
                flat, weights=np.where(included, harm, 0.0), minlength=size
            ).reshape(self.cap_g, width)
        ex = np.flatnonzero(~included)
        if ex.size:
            key = (
                (status[ex].astype(np.int64) << 56)
                | (gid[ex] << 24)
                | (pid[ex] + _PID_OFFSET).clip(0, (1 << 24) - 1)
            )
            h = harm[ex]
            known = np.isfinite(h)
            uniq, inv = np.unique(key, return_inverse=True)
            part = pd.DataFrame(
                {
                    "key": uniq,
                    "n": np.bincount(inv, weights=crimes[ex], minlength=len(uniq)),
                    "h": np.bincount(inv[known], weights=h[known], minlength=len(uniq)),
                }
            )
            self.excluded.append(part)
            self.excluded_rows += len(part)
            if self.excluded_rows > 4_000_000:
                self._compact()

    def _compact(self) -> None:
        if len(self.excluded) > 1:
            merged = pd.concat(self.excluded).groupby("key", sort=False, as_index=False).sum()
            self.excluded = [merged]
            self.excluded_rows = len(merged)

    def result(self, *, complete: bool) -> pd.DataFrame:
        self._compact()
        n_groups = len(self.groups)
        width = 0 if self.p_lo is None else self.p_hi - self.p_lo + 1
        crimes = self.crimes[:n_groups, :width]
        harm = self.harm[:n_groups, :width]
        ex = (
            self.excluded[0]
            if self.excluded
            else pd.DataFrame({"key": np.zeros(0, np.int64), "n": [], "h": []})
        )
        key = ex["key"].to_numpy()
        ex_status = (key >> 56).astype(np.int64)
        ex_gid = (key >> 24) & ((1 << _GID_BITS) - 1)
        ex_pid = key & ((1 << 24) - 1)
        ex_pid = np.where(ex_pid == 0, _NO_PERIOD, ex_pid - _PID_OFFSET)
        reasons = [r for i, r in enumerate(REASONS, start=1) if (ex_status == i).any()]
        reasons = [r for r in REASONS if r in reasons or r in SERIES_REASONS]

        if self.period is not None and self.period.kind == "rolling":
            return self._rolling(
                crimes, harm, ex_status, ex_gid, ex_pid, ex, reasons, complete=complete
            )

        # cells: every (group, period) with included or excluded records, in output order
        p_lo = self.p_lo or 0
        slots = width + 1  # the last slot holds records with no usable date
        occupied = np.zeros((n_groups, slots), dtype=bool)
        if complete:
            occupied[:, :width] = True
        elif width:
            occupied[:, :width] = (crimes != 0) | (harm != 0)
        ex_slot = np.where(ex_pid == _NO_PERIOD, width, ex_pid - p_lo)
        occupied[ex_gid, ex_slot] = True
        order = self._group_order()
        rows, slot = np.nonzero(occupied[order])
        gid = order[rows]
        n_out = len(gid)
        row_of = np.full((n_groups, slots), -1, dtype=np.int64)
        row_of[gid, slot] = np.arange(n_out)
        dated = slot < width
        values: dict[str, np.ndarray] = {}
        for name, dense in (("crimes", crimes), ("harm_days", harm)):
            col = np.zeros(n_out)
            col[dated] = dense[gid[dated], slot[dated]]
            values[name] = col
        pos = row_of[ex_gid, ex_slot]
        total = np.zeros(n_out)
        for reason in reasons:
            sel = ex_status == REASONS.index(reason) + 1
            n = np.bincount(pos[sel], weights=ex["n"].to_numpy()[sel], minlength=n_out)
            h = np.bincount(pos[sel], weights=ex["h"].to_numpy()[sel], minlength=n_out)
            values[f"excluded_{reason}"] = n
            values[f"excluded_harm_{reason}"] = h
            total += n
        values["excluded"] = total
        pid = np.where(dated, slot + p_lo, _NO_PERIOD)
        return self._frame(gid, pid, values, (p_lo, p_lo + width - 1))

    def _group_order(self) -> np.ndarray:
        """Group ids sorted by their ``by`` values (nulls last)."""
        if not self.groups.by:
            return np.zeros(1, dtype=np.int64)
        vals = self.groups.values()
        try:
            ordered = vals.sort_values(list(vals.columns), kind="stable", na_position="last")
        except TypeError:  # values of mixed types: order by their text
            ordered = vals.astype("string").sort_values(
                list(vals.columns), kind="stable", na_position="last"
            )
        return ordered.index.to_numpy(dtype=np.int64)

    def _frame(
        self,
        gid: np.ndarray,
        pid: np.ndarray,
        values: Mapping[str, np.ndarray],
        pid_range: tuple[int, int],
    ) -> pd.DataFrame:
        """Assemble the output; text columns are categoricals built from the small tables."""
        frame: dict[str, Any] = {}
        groups = self.groups.values()
        for name in self.groups.by:
            codes, uniques = pd.factorize(groups[name], use_na_sentinel=True)
            frame[name] = pd.Categorical.from_codes(codes[gid], categories=pd.Index(uniques))
        if self.period is not None:
            lo, hi = pid_range
            ids = np.arange(lo, hi + 1, dtype=np.int64)
            placed = pid != _NO_PERIOD
            code = np.where(placed, pid - lo, -1)
            labels = self.period.labels(ids) if len(ids) else np.zeros(0, dtype=object)
            frame["period"] = pd.Categorical.from_codes(
                code, categories=pd.Index(labels, dtype=object), ordered=True
            )
            starts, ends = self.period.bounds(ids)
            nat = np.datetime64("NaT", "s")
            frame["period_start"] = np.where(placed, starts.astype("datetime64[s]")[code], nat)
            frame["period_end"] = np.where(placed, ends.astype("datetime64[s]")[code], nat)
        frame.update(values)
        return pd.DataFrame(frame)

    def _add_excluded(
        self,
        out: pd.DataFrame,
        ex: pd.DataFrame,
        ex_status: np.ndarray,
        ex_gid: np.ndarray,
        ex_pid: np.ndarray,
        reasons: list[str],
    ) -> None:
        cell_index = pd.MultiIndex.from_arrays([out["gid"], out["pid"]])
        total = np.zeros(len(out))
        for reason in reasons:
            sel = ex_status == REASONS.index(reason) + 1
            n = np.zeros(len(out))
            h = np.zeros(len(out))
            if sel.any():
                pos = cell_index.get_indexer(pd.MultiIndex.from_arrays([ex_gid[sel], ex_pid[sel]]))
                np.add.at(n, pos, ex["n"].to_numpy()[sel])
                np.add.at(h, pos, ex["h"].to_numpy()[sel])
            out[f"excluded_{reason}"] = n
            out[f"excluded_harm_{reason}"] = h
            total += n
        out["excluded"] = total

    def _rolling(self, crimes, harm, ex_status, ex_gid, ex_pid, ex, reasons, *, complete):
        n_groups, width = crimes.shape
        window = self.period.window
        dense = {"crimes": crimes, "harm_days": harm}
        placed = ex_pid != _NO_PERIOD
        unplaced = ~placed
        for reason in reasons:
            sel = (ex_status == REASONS.index(reason) + 1) & placed
            for col, vals in (
                (f"excluded_{reason}", ex["n"]),
                (f"excluded_harm_{reason}", ex["h"]),
            ):
                arr = np.zeros((n_groups, width))
                if sel.any():
                    np.add.at(arr, (ex_gid[sel], ex_pid[sel] - self.p_lo), vals.to_numpy()[sel])
                dense[col] = arr
        if width < window:
            ends = np.zeros(0, dtype=np.int64)
        else:
            ends = np.arange(self.p_lo + window - 1, self.p_hi + 1)
        rows = []
        for col, arr in dense.items():
            cs = np.concatenate([np.zeros((n_groups, 1)), np.cumsum(arr, axis=1)], axis=1)
            e = ends - self.p_lo + 1
            rows.append((col, cs[:, e] - cs[:, e - window]))
        order = self._group_order()
        g, p = np.divmod(np.arange(n_groups * len(ends)), max(len(ends), 1))
        g = order[g]
        values = {col: vals[g, p] if len(ends) else np.zeros(0) for col, vals in rows}
        excl_cols = [f"excluded_{r}" for r in reasons]
        values["excluded"] = sum((values[c] for c in excl_cols), np.zeros(len(g)))
        pid = ends[p] if len(ends) else p.astype(np.int64)
        if not complete:
            keep = (values["crimes"] != 0) | (values["harm_days"] != 0) | (values["excluded"] != 0)
            g, pid = g[keep], pid[keep]
            values = {k: v[keep] for k, v in values.items()}
        if unplaced.any():  # records with no usable date belong to no window
            extra = pd.DataFrame({"gid": ex_gid[unplaced], "pid": ex_pid[unplaced]})
            extra = extra.drop_duplicates().reset_index(drop=True)
            extra["crimes"] = 0.0
            extra["harm_days"] = 0.0
            self._add_excluded(
                extra,
                ex[unplaced].reset_index(drop=True),
                ex_status[unplaced],
                ex_gid[unplaced],
                ex_pid[unplaced],
                reasons,
            )
            g = np.concatenate([g, extra["gid"].to_numpy()])
            pid = np.concatenate([pid, extra["pid"].to_numpy()])
            values = {k: np.concatenate([v, extra[k].to_numpy()]) for k, v in values.items()}
        lo = int(ends[0]) if len(ends) else 0
        hi = int(ends[-1]) if len(ends) else -1
        return self._frame(g, pid, values, (lo, hi))


def _period_ids(period: Period | None, pday: np.ndarray | None, n: int) -> np.ndarray:
    if period is None:
        return np.zeros(n, dtype=np.int64)
    valid = pday > DAY_BAD
    pid = np.full(n, _NO_PERIOD, dtype=np.int64)
    if valid.any():
        pid[valid] = period.ids_from_days(pday[valid])
    return pid


def _add_rates(out: pd.DataFrame, by: Sequence[str], population: Any, per: float) -> None:
    if isinstance(population, pd.Series):
        population = population.rename("population").reset_index()
    if not isinstance(population, pd.DataFrame):
        raise OptionError("population must be a DataFrame with the by column(s) and 'population'")
    keys = [c for c in by if c in population.columns]
    if not keys or "population" not in population.columns:
        raise MissingColumnError(
            f"population needs the by column(s) {list(by)} and a 'population' column; "
            f"it has {list(population.columns)}"
        )
    if "period" in population.columns and "period" in out.columns:
        keys.append("period")
    pop = population[[*keys, "population"]]
    if pop.duplicated(keys).any():
        raise OptionError(f"population has duplicate rows for {keys}")
    merged = out[keys].merge(pop, on=keys, how="left")
    values = pd.to_numeric(merged["population"], errors="coerce").to_numpy(dtype=float)
    areas = out[keys]
    missing = np.isnan(values) & areas.notna().all(axis=1).to_numpy()
    if missing.any():
        examples = areas[missing].drop_duplicates().head(5).to_dict("records")
        raise OptionError(
            f"population missing or not a number for {int(missing.sum())} row(s), e.g. {examples}"
        )
    if (values[~np.isnan(values)] <= 0).any():
        raise OptionError("population must be positive")
    label = str(int(per)) if float(per).is_integer() else f"{per:g}"
    out["population"] = values
    out[f"harm_days_per_{label}"] = out["harm_days"].to_numpy() / values * per
    out[f"crimes_per_{label}"] = out["crimes"].to_numpy() / values * per


def _prepare(by: str | Sequence[str] | None, period: Any, *, has_date: bool) -> tuple[list, Period]:
    by_list = [by] if isinstance(by, str) else list(by or [])
    per = parse_period(period)
    if per is not None and not has_date:
        raise OptionError(f"period={per.spec!r} needs a date column: pass date=<column>")
    return by_list, per


def _attach(
    out: pd.DataFrame,
    *,
    summary: Summary,
    by: list,
    period: Period | None,
    provenance: Mapping[str, Any],
) -> pd.DataFrame:
    out.attrs["crimeharm"] = {
        **provenance,
        "by": by,
        "period": period.spec if period is not None else None,
        "summary": summary.as_dict(),
    }
    return out


def harm_index(
    data: Any,
    *,
    by: str | Sequence[str] | None = None,
    period: Any = None,
    complete: bool = False,
    population: Any = None,
    per: float = 100_000,
    batch_rows: int = 1 << 20,
    progress: Any = None,
    **score_options: Any,
) -> pd.DataFrame:
    """Score records and sum harm by area and period in one streaming pass.

    Parameters
    ----------
    data : pandas.DataFrame, pyarrow.Table, or path
        Records; a Parquet file or folder is read a row group at a time.
    by : str or list of str, optional
        Area columns (e.g. ``"lsoa"``, ``["force", "beat"]``).
    period : str, optional
        ``month``, ``quarter``, ``year``, ``financial-year`` or
        ``rolling:36m``; needs ``date=`` (or ``reported=`` with
        ``period_by='reported'``).
    complete : bool
        Return every area x period cell, including empty ones.
    population : pandas.DataFrame, optional
        The ``by`` column(s) and ``population`` (and optionally ``period``):
        adds ``population``, ``harm_days_per_<per>`` and ``crimes_per_<per>``.
    per : float
        Rate base: 100,000 residents by default.
    batch_rows : int
        Rows per batch for in-memory data (files keep their row groups).
    progress : callable, optional
        Called with the number of rows done after each batch.
    **score_options
        As for :func:`crimeharm.score` (``weights``, ``code``, ``date``, ...).

    Returns
    -------
    pandas.DataFrame
        One row per area x period (one row of totals with neither), see the
        module docstring; ``attrs["crimeharm"]`` holds the edition, its sha256,
        the options and the reconciliation summary.

    Examples
    --------
    >>> import pandas as pd, crimeharm
    >>> df = pd.DataFrame({"offence_code": ["008/06", "034/02", "092/10"],
    ...                    "area": ["A", "A", "B"]})
    >>> crimeharm.harm_index(df, by="area")[["area", "crimes", "harm_days"]]
      area  crimes  harm_days
    0    A     2.0      375.0
    1    B     0.0        0.0
    """
    score_options.setdefault("code", "offence_code")
    opts = ScoreOptions.make(**score_options)
    by_list, per_spec = _prepare(by, period, has_date=opts.period_column is not None)
    needed = list(dict.fromkeys([*opts.columns(), *by_list]))
    source = open_source(data, columns=needed, batch_rows=batch_rows)
    scorer = Scorer(opts)
    acc = _Accumulator(by_list, per_spec)
    done = 0
    for batch in source.batches():
        cols = batch_columns(batch)
        n = len(batch) if isinstance(batch, pd.DataFrame) else batch.num_rows
        scored = scorer.score_batch(cols, n)
        gid = acc.groups.ids(cols, n)
        pid = _period_ids(per_spec, scored.period_day, n)
        acc.add(gid, pid, scored.status, scored.crimes, scored.harm)
        done += n
        if progress is not None:
            progress(done)
    summary = scorer.finish()
    out = acc.result(complete=complete)
    if population is not None:
        _add_rates(out, by_list, population, per)
    return _attach(
        out, summary=summary, by=by_list, period=per_spec, provenance=opts.weights.provenance()
    )


def aggregate(
    scored: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = None,
    period: Any = None,
    complete: bool = False,
    population: Any = None,
    per: float = 100_000,
) -> pd.DataFrame:
    """Sum a scored frame by area and period.

    Parameters
    ----------
    scored : pandas.DataFrame
        The result of :func:`crimeharm.score` (its ``days``, ``crimes``,
        ``excluded`` and, for a period, ``period_date`` columns are used).
    by, period, complete, population, per
        As for :func:`harm_index`.

    Returns
    -------
    pandas.DataFrame
        As for :func:`harm_index`.
    """
    needed = ["days", "crimes", "excluded"]
    missing = [c for c in needed if c not in scored.columns]
    if missing:
        raise MissingColumnError(
            f"aggregate needs the output of crimeharm.score; column(s) {missing} not found "
            f"(columns present: {list(scored.columns)})"
        )
    by_list, per_spec = _prepare(by, period, has_date="period_date" in scored.columns)
    for c in by_list:
        if c not in scored.columns:
            raise MissingColumnError(
                f"by column {c!r} not found; columns present: {list(scored.columns)}"
            )
    n = len(scored)
    excluded = pd.Categorical(scored["excluded"], categories=list(REASONS))
    status = (np.asarray(excluded.codes, dtype=np.int64) + 1).astype(np.uint8)
    crimes = scored["crimes"].to_numpy(dtype=float)
    harm = scored["days"].to_numpy(dtype=float) * crimes
    pday = None
    if per_spec is not None:
        dates = scored["period_date"].to_numpy(dtype="datetime64[D]")
        pday = np.where(np.isnat(dates), DAY_BAD - 1, dates.astype(np.int64))
    acc = _Accumulator(by_list, per_spec)
    gid = acc.groups.ids({c: scored[c] for c in by_list}, n)
    acc.add(gid, _period_ids(per_spec, pday, n), status, crimes, harm)
    out = acc.result(complete=complete)
    if population is not None:
        _add_rates(out, by_list, population, per)
    meta = dict(scored.attrs.get("crimeharm", {}))
    summary = Summary(
        edition=meta.get("edition", ""),
        edition_sha256=meta.get("edition_sha256", ""),
        scheme=meta.get("scheme", ""),
    )
    summary.merge_batch(status, crimes, harm)
    prov = {k: meta[k] for k in ("edition", "edition_sha256", "scheme") if k in meta}
    return _attach(out, summary=summary, by=by_list, period=per_spec, provenance=prov)
