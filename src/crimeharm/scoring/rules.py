"""The rules that score a batch of records: each record's days, crimes and status.

:class:`Scorer` reads a batch's offence codes once per distinct value
(:class:`_Resolver` remembers them across batches), reads its dates, counts
and flags, and gives each record a status: 0 (included) or the code of the
first exclusion reason that applies (:mod:`crimeharm.reasons`, whose
:func:`~crimeharm.reasons.mark` is the rule of precedence). The compiled
engine's one-pass loop follows the same rules (``crimeharm._engine.fused``);
the test suite checks that both give identical results.
"""

from __future__ import annotations

import threading
import warnings
import weakref
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from crimeharm.errors import CodeError, ColumnValueError, FlagValueWarning, UnknownCodeWarning
from crimeharm.reasons import STATUS, mark
from crimeharm.scoring.columns import FlagValues, factorize, read_flag, to_count
from crimeharm.scoring.dates import (
    DAY_BAD,
    DAY_IMPLAUSIBLE,
    DAY_MISSING,
    DateReader,
    bad_examples,
    usable,
)
from crimeharm.scoring.options import ScoreOptions
from crimeharm.scoring.summary import Summary
from crimeharm.vocabulary import FALSE_WORDS, TRUE_WORDS

__all__ = ["CodeLookup", "ScoredBatch", "Scorer"]


#: Distinct written codes a shared resolver remembers at most; past it, a call starts afresh.
RESOLVER_LIMIT = 100_000
#: The resolvers of each weights table, by (code_system, ambiguity, crosswalk): the written codes
#: read by one call are not read again by the next one, or by its next batch.
_RESOLVERS: weakref.WeakKeyDictionary[Any, dict[tuple, _Resolver]] = weakref.WeakKeyDictionary()
_RESOLVERS_LOCK = threading.Lock()


def _resolver_key(opts: ScoreOptions) -> tuple | None:
    amb: object = opts.ambiguity
    if isinstance(amb, Mapping):
        try:
            amb = tuple(sorted(amb.items()))
            hash(amb)
        except TypeError:
            return None
    return (opts.code_system, amb, bool(opts.crosswalk))


def shared_resolver(opts: ScoreOptions) -> _Resolver:
    """The resolver of ``opts``' weights, code system, ambiguity rule and crosswalk.

    One per weights table and reading of its codes, kept as long as the table
    lives; a new one when the old has read :data:`RESOLVER_LIMIT` values.
    """
    key = _resolver_key(opts)
    if key is None:
        return _Resolver(opts)
    with _RESOLVERS_LOCK:
        per_table = _RESOLVERS.setdefault(opts.weights, {})
        resolver = per_table.get(key)
        if resolver is None or len(resolver.index) > RESOLVER_LIMIT:
            resolver = per_table[key] = _Resolver(opts)
    return resolver


class _Resolver:
    """Reads distinct offence code values once and remembers them across batches.

    What it remembers depends only on the weights table, the code system, the
    ambiguity rule and the crosswalk option, so calls with the same ones share
    it (:func:`shared_resolver`); a lock keeps concurrent calls' additions whole.
    """

    def __init__(self, opts: ScoreOptions) -> None:
        self.opts = opts
        self.lock = threading.Lock()
        self.values: list[object] = []
        self.index = pd.Index([], dtype=object)
        self.days = np.empty(0)
        self.code_status = np.empty(0, dtype=np.uint8)
        self.flag = np.empty(0, dtype=bool)
        self.ambiguous = np.empty(0, dtype=bool)
        self.canonical = np.empty(0, dtype=object)
        self.crosswalk = np.empty(0, dtype=object)  # '28A->28E' where read through it

    def positions(self, uniques: np.ndarray) -> np.ndarray:
        """Each value's position in the remembered arrays, reading the new ones first."""
        keys = pd.Index(uniques, dtype=object)
        index = self.index
        pos = index.get_indexer(keys) if len(index) else np.full(len(keys), -1)
        if (pos >= 0).all():
            return pos
        with self.lock:
            return self._add(uniques, keys)

    def _add(self, uniques: np.ndarray, keys: pd.Index) -> np.ndarray:
        pos = self.index.get_indexer(keys) if len(self.index) else np.full(len(keys), -1)
        new = pos < 0
        if new.any():
            fresh = pd.unique(np.asarray(uniques, dtype=object)[new])
            o = self.opts
            res = o.weights.resolve(
                fresh, code_system=o.code_system, ambiguity=o.ambiguity, crosswalk=o.crosswalk
            )
            status = np.zeros(len(res), dtype=np.uint8)
            read_as = res["status"].to_numpy()
            for name in ("missing", "malformed", "unknown"):
                mark(status, read_as == name, f"{name}_code")
            mark(status, res["not_crime"].to_numpy(dtype=bool), "not_crime")
            index = self.index.append(pd.Index(fresh, dtype=object))
            self.days = np.concatenate([self.days, res["days"].to_numpy(dtype=float)])
            self.code_status = np.concatenate([self.code_status, status])
            self.flag = np.concatenate([self.flag, res["police_generated"].to_numpy(dtype=bool)])
            self.ambiguous = np.concatenate([self.ambiguous, res["ambiguous"].to_numpy(dtype=bool)])
            self.canonical = np.concatenate(
                [self.canonical, res["canonical"].to_numpy(dtype=object)]
            )
            self.crosswalk = np.concatenate([self.crosswalk, res["crosswalk"].to_numpy(object)])
            # the index last: a call reading without the lock never finds a position that
            # the arrays do not have yet (they only grow)
            self.index = index
            pos = index.get_indexer(keys)
        return pos


@dataclass
class CodeLookup:
    """A batch's offence codes, read once per distinct value.

    ``codes`` are the rows' positions in ``uniques`` (-1 for null); the
    ``u_*`` arrays have one entry per distinct value plus a last one for null:
    days, status (0, a code reason, or ``police_generated``), whether the
    code is unknown to the edition and whether it is ambiguous.
    """

    codes: np.ndarray
    uniques: np.ndarray
    pos: np.ndarray
    u_days: np.ndarray
    u_status: np.ndarray
    unknown: np.ndarray
    ambiguous: np.ndarray


@dataclass
class ScoredBatch:
    """Per-row arrays of one batch."""

    days: np.ndarray  # float64, NaN where the code is not known
    crimes: np.ndarray | None  # float64 whole counts, or None for one crime per row
    harm: np.ndarray  # float64 days x crimes, NaN where unknown (included and excluded)
    status: np.ndarray  # uint8, 0 included, else STATUS[reason]
    # int64 day number (<= DAY_BAD: no date that places the record), or None without a date column
    period_day: np.ndarray | None


class Scorer:
    """Scores batches with one set of options, keeping tallies across them."""

    def __init__(self, opts: ScoreOptions) -> None:
        self.opts = opts
        self.resolver = shared_resolver(opts)
        self.dates = DateReader(opts.date_format)
        w = opts.weights
        self.summary = Summary(
            edition=w.edition, edition_sha256=w.sha256, scheme=w.scheme, options=opts.describe()
        )

    def days(self, col: Any, name: str | None = None) -> np.ndarray:
        """Day numbers of a date column as read (:class:`DateReader`), keeping bad examples.

        The plausibility window is not applied (see :meth:`plausible`).
        """
        days = self.dates.read(col, name=name)
        if len(self.summary.bad_dates) < 5 and (days == DAY_BAD).any():
            self.summary.add_bad_dates(bad_examples(days, col))
        return days

    def implausible(self, days: np.ndarray) -> np.ndarray:
        """Where day numbers are dates outside ``date_range``; keeps examples in the summary."""
        lo, hi = self.opts.date_range
        out = (days > DAY_BAD) & ((days < lo) | (days > hi))
        if out.any() and len(self.summary.implausible_dates) < 5:
            self.summary.note_implausible(days[out])
        return out

    def plausible(self, days: np.ndarray) -> np.ndarray:
        """The days, with those outside ``date_range`` replaced by ``DAY_IMPLAUSIBLE``."""
        out = self.implausible(days)
        return np.where(out, DAY_IMPLAUSIBLE, days) if out.any() else days

    def _dates(self, batch: Mapping[str, Any], name: str | None) -> np.ndarray | None:
        return None if name is None else self.plausible(self.days(batch[name], name))

    def read_flags(self, batch: Mapping[str, Any]) -> list[tuple[str, str, FlagValues]]:
        """The batch's yes/no columns, read: (column, reason, values) for each.

        Raises
        ------
        ColumnValueError
            With ``flag_unknown='raise'``, for values outside the vocabulary,
            naming the column and each value with its number of rows.
        """
        o = self.opts
        out = []
        for name, reason in (
            (o.police_initiated, "police_initiated"),
            (o.company_detected, "company_detected"),
        ):
            if name is None:
                continue
            flag = read_flag(batch[name], name=name)
            if flag.unknown_values and o.flag_unknown == "raise":
                found = sorted(flag.unknown_values.items(), key=lambda kv: -kv[1])
                top = ", ".join(f"{v!r} ({k:,} row(s))" for v, k in found[:10])
                raise ColumnValueError(
                    f"column {name!r}: value(s) {top} are not yes/no flags (expected true/false, "
                    "yes/no, y/n, t/f or 1/0 in any case, or blank); flag_unknown='no' reads them "
                    "as no, 'exclude' excludes them as bad_flag",
                    column=name,
                    values=[v for v, _ in found],
                    allowed=sorted(TRUE_WORDS | FALSE_WORDS),
                )
            out.append((name, reason, flag))
        return out

    def flag_exclusions(self, flags: list[tuple[str, str, FlagValues]]) -> bool:
        """True when a record is excluded for its flag (``missing_flag``, ``bad_flag``)."""
        o = self.opts
        return any(
            (o.flag_blank == "exclude" and f.blank.any())
            or (o.flag_unknown == "exclude" and f.unknown.any())
            for _, _, f in flags
        )

    def tally_flags(self, flags: list[tuple[str, str, FlagValues]]) -> None:
        """Count blank values and values outside the vocabulary, per column, in the summary."""
        for name, _, f in flags:
            blanks = int(np.count_nonzero(f.blank))
            if blanks:
                self.summary.blank_flags[name] += blanks
            if f.unknown_values:
                self.summary.flag_values.setdefault(name, Counter()).update(f.unknown_values)

    def mark_flags(self, status: np.ndarray, flags: list[tuple[str, str, FlagValues]]) -> None:
        """Give each record the reason its yes/no values call for (see ``flag_*`` options)."""
        o = self.opts
        for _, reason, f in flags:
            if o.flag_blank == "exclude":
                mark(status, f.blank, "missing_flag")
            if o.flag_unknown == "exclude":
                mark(status, f.unknown, "bad_flag")
            mark(status, f.yes, reason)

    def codes(self, col: Any) -> CodeLookup:
        """Read a batch's offence codes once per distinct value (see :class:`CodeLookup`)."""
        o = self.opts
        codes, uniques = factorize(col, name=o.code)
        pos = self.resolver.positions(uniques)
        r = self.resolver
        # one sentinel slot at the end for null codes (code -1 takes it)
        u_days = np.append(r.days[pos], np.nan)
        u_status = np.append(r.code_status[pos], STATUS["missing_code"]).astype(np.uint8)
        unknown = u_status == STATUS["unknown_code"]
        if o.unknown == "zero":
            u_days[unknown] = 0.0
            u_status[unknown] = 0
        if o.exclude_police_generated:  # the date reasons, which precede it, are marked later
            mark(u_status, np.append(r.flag[pos], False), "police_generated")
        amb = np.append(r.ambiguous[pos], False)
        return CodeLookup(codes, uniques, pos, u_days, u_status, unknown, amb)

    def tally_codes(self, lookup: CodeLookup, hits: np.ndarray | None) -> None:
        """Count unknown and ambiguous codes; ``hits`` is rows per distinct value.

        With ``hits`` None they are counted here when needed. Raises
        :class:`CodeError` when ``unknown='raise'`` and a code is unknown.
        """
        crossed = pd.notna(self.resolver.crosswalk[lookup.pos])
        if not (lookup.unknown.any() or lookup.ambiguous.any() or crossed.any()):
            return
        if hits is None:
            hits = np.bincount(lookup.codes + 1, minlength=len(lookup.uniques) + 1)[1:]
        hits = hits[: len(lookup.uniques)]
        o, r, uniques = self.opts, self.resolver, lookup.uniques
        unknown_u = lookup.unknown[:-1] & (hits > 0)
        if unknown_u.any():
            n_unknown = int(hits[unknown_u].sum())
            for i in np.flatnonzero(unknown_u):
                self.summary.unknown_codes[uniques[i]] += int(hits[i])
            if o.unknown == "raise":
                top = ", ".join(
                    f"{c!r} ({k:,})" for c, k in self.summary.unknown_codes.most_common(5)
                )
                raise CodeError(
                    f"{n_unknown:,} record(s) have offence codes that edition "
                    f"{o.weights.edition!r} does not carry in column {o.code!r}: {top}",
                    column=o.code,
                    values=[c for c, _ in self.summary.unknown_codes.most_common()],
                )
            if o.unknown == "zero":
                self.summary.unknown_scored_zero += n_unknown
        for i in np.flatnonzero(lookup.ambiguous[:-1] & (hits > 0)):
            self.summary.ambiguous_codes[str(r.canonical[lookup.pos[i]])] += int(hits[i])
        for i in np.flatnonzero(crossed & (hits > 0)):
            self.summary.crosswalked_codes[str(r.crosswalk[lookup.pos[i]])] += int(hits[i])

    def score_batch(self, batch: Mapping[str, Any], n: int, *, tally: bool = True) -> ScoredBatch:
        """Score one batch: ``batch`` maps column names to columns of length ``n``.

        With ``tally=False`` the summary's row, crime and harm counts are left to
        the caller (the streaming aggregator reads them off its sums).
        """
        o = self.opts
        lookup = self.codes(batch[o.code])
        self.tally_codes(lookup, None)
        days = lookup.u_days[lookup.codes]
        status = lookup.u_status[lookup.codes]

        crimes = None
        if o.count is not None:
            crimes = to_count(batch[o.count], name=o.count)
            bad_count = np.isnan(crimes)
            if o.negative_counts == "exclude":
                bad_count |= crimes < 0
            crimes[bad_count] = 1.0  # an invalid-count row is counted as one row
            mark(status, bad_count, "invalid_count")

        committed = self._dates(batch, o.date)
        committed_to = self._dates(batch, o.date_to)
        if committed is not None and committed_to is not None:
            committed = _combine_range(committed, committed_to, o.date_rule)
        elif committed is None:
            committed = committed_to
        reported = self._dates(batch, o.reported)
        period_day = reported if o.period_by == "reported" else committed

        # historic: reported in the window (or at all, without one) but committed before
        # it, or reported longer than the lag after it was committed
        historic = None
        if committed is not None and reported is not None:
            historic = np.zeros(n, dtype=bool)
            has_c, has_r = usable(committed), usable(reported)
            if o.historic_lag_days is not None:
                historic |= has_c & has_r & (reported - committed > o.historic_lag_days)
            if o.start is not None:
                historic |= has_c & (committed < o.start)
            if o.start is not None or o.end is not None:
                # historic *in this window*: only records reported within it
                in_window = has_r.copy()
                if o.start is not None:
                    in_window &= reported >= o.start
                if o.end is not None:
                    in_window &= reported <= o.end
                historic &= in_window
        if period_day is not None:
            if (period_day <= DAY_IMPLAUSIBLE).any():
                mark(status, period_day == DAY_MISSING, "missing_date")
                mark(status, period_day == DAY_BAD, "bad_date")
                mark(status, period_day == DAY_IMPLAUSIBLE, "implausible_date")
            if o.start is not None or o.end is not None:
                valid = usable(period_day)
                outside = np.zeros(n, dtype=bool)
                if o.start is not None:
                    outside |= valid & (period_day < o.start)
                if o.end is not None:
                    outside |= valid & (period_day > o.end)
                if historic is not None:
                    outside &= ~historic
                mark(status, outside, "outside_window")
        flags = self.read_flags(batch)
        self.tally_flags(flags)
        self.mark_flags(status, flags)
        if historic is not None:
            mark(status, historic, "historic")
            if reported is not None and period_day is not None and period_day is not reported:
                # a historic record belongs to the period it was reported in (HOCHI)
                moved = historic & usable(reported)
                if moved.any():
                    period_day = np.where(moved, reported, period_day)
        if period_day is not None and (period_day == DAY_IMPLAUSIBLE).any():
            # counted as implausible_date; placed in no period, like a bad date
            period_day = np.where(period_day == DAY_IMPLAUSIBLE, DAY_BAD, period_day)
        harm = days if crimes is None else days * crimes
        if tally:
            self.summary.merge_batch(status, crimes, harm)
        return ScoredBatch(
            days=days, crimes=crimes, harm=harm, status=status, period_day=period_day
        )

    def finish(self, *, stacklevel: int = 3) -> Summary:
        """Warn once about unknown codes and yes/no values excluded, with the most frequent.

        The warnings point ``stacklevel`` frames up (the caller's caller by default).
        """
        s = self.summary
        n_flags = s.rows_excluded["bad_flag"]
        if n_flags and self.opts.flag_unknown == "exclude":
            listed = "; ".join(
                f"{col!r}: " + ", ".join(f"{v!r} ({k:,})" for v, k in values.most_common(5))
                for col, values in s.flag_values.items()
            )
            warnings.warn(
                f"{n_flags:,} record(s) excluded as bad_flag: yes/no values outside the "
                f"vocabulary in {listed} (flag_unknown='no' reads them as no, 'raise' stops)",
                FlagValueWarning,
                stacklevel=stacklevel,
            )
        n = s.rows_excluded["unknown_code"]
        if n and self.opts.unknown == "exclude":
            top = ", ".join(f"{c!r} ({k:,})" for c, k in s.unknown_codes.most_common(5))
            warnings.warn(
                f"{n:,} record(s) excluded as unknown_code: edition {s.edition!r} does not "
                f"carry their offence codes; most frequent: {top}",
                UnknownCodeWarning,
                stacklevel=stacklevel,
            )
        return s


def _combine_range(start: np.ndarray, end: np.ndarray, rule: str) -> np.ndarray:
    """One day from a committed-from/committed-to range (see :func:`score`).

    The other date stands in only for a *missing* one: a date that is bad or
    implausible stays so, and the record is counted for it.
    """
    no_start, no_end = start == DAY_MISSING, end == DAY_MISSING
    if rule == "start":
        return np.where(no_start, end, start)
    if rule == "end":
        return np.where(no_end, start, end)
    both = usable(start) & usable(end)
    first, last = np.where(both, start, 0), np.where(both, end, 0)  # no sentinel arithmetic
    mid = first + (last - first) // 2
    # neither usable nor missing: the lower sentinel (bad before implausible)
    other = np.where(no_start, end, np.where(no_end, start, np.minimum(start, end)))
    return np.where(both, mid, other)
