"""Score crime records: days of imprisonment per record, and why a record is left out.

:func:`score` returns one row per input row with ``days`` (the weight of its
offence), ``crimes`` (1, or the count of a pre-counted table), ``harm_days``
(``days x crimes`` for included rows, 0 for excluded ones) and ``excluded``
(a reason code from :mod:`crimeharm.reasons`; null when the row counts).
Excluded rows keep ``days``, so the harm that each exclusion removes (the
proactive, company-detected and historic series) is never lost.

The work per batch is vectorised: each column is reduced to integer codes
into its distinct values, offence codes and dates are read once per distinct
value, and the results are taken back to the rows.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from crimeharm.errors import CodeError, CrimeHarmError
from crimeharm.reasons import REASONS, STATUS
from crimeharm.scoring.columns import (
    DAY_BAD,
    DAY_MISSING,
    dates_to_days,
    factorize,
    to_count,
    to_flag,
)
from crimeharm.scoring.summary import Summary
from crimeharm.weights.editions import resolve_weights
from crimeharm.weights.table import WeightTable

__all__ = ["ScoreOptions", "Summary", "UnknownCodeWarning", "score"]

_UNKNOWN_POLICIES = ("exclude", "raise", "zero")
_DATE_RULES = ("start", "end", "midpoint")


class UnknownCodeWarning(UserWarning):
    """Records were excluded because the edition does not carry their offence code."""


class OptionError(CrimeHarmError, ValueError):
    """An option given to the scorer is not valid."""


def _to_day(value: object, name: str) -> int | None:
    if value is None:
        return None
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise OptionError(f"{name}={value!r} is not a date (expected e.g. '2022-07-31')") from None
    if pd.isna(ts):
        raise OptionError(f"{name}={value!r} is not a date (expected e.g. '2022-07-31')")
    return int(np.datetime64(ts.date(), "D").astype(np.int64))


@dataclass(frozen=True)
class ScoreOptions:
    """The scorer's options, checked once (see :func:`score` for their meaning)."""

    weights: WeightTable
    code: str = "offence_code"
    code_system: str = "auto"
    ambiguity: str | Mapping[str, str] | None = None
    date: str | None = None
    date_to: str | None = None
    date_rule: str = "start"
    date_format: str | None = None
    reported: str | None = None
    period_by: str = "committed"
    count: str | None = None
    exclude_police_generated: bool = True
    police_initiated: str | None = None
    company_detected: str | None = None
    historic_lag_days: int | None = None
    start: int | None = None
    end: int | None = None
    unknown: str = "exclude"
    negative_counts: str = "exclude"

    @classmethod
    def make(
        cls,
        *,
        weights: str | WeightTable | None = None,
        start: object = None,
        end: object = None,
        historic_lag: int | str | pd.Timedelta | None = None,
        **kwargs: Any,
    ) -> ScoreOptions:
        """Check options and build the frozen set; raise :class:`OptionError` on a bad one."""
        known = set(cls.__dataclass_fields__) - {"weights", "start", "end", "historic_lag_days"}
        unknown = sorted(set(kwargs) - known)
        if unknown:
            raise OptionError(
                f"unknown option(s) {unknown}; the scorer takes "
                f"{sorted(known | {'weights', 'start', 'end', 'historic_lag'})}"
            )
        lag = None
        if historic_lag is not None:
            td = pd.Timedelta(historic_lag) if not isinstance(historic_lag, int) else None
            lag = historic_lag if td is None else int(td / pd.Timedelta(days=1))
            if lag < 0:
                raise OptionError(f"historic_lag must be >= 0 days, got {historic_lag!r}")
        opts = cls(
            weights=resolve_weights(weights),
            start=_to_day(start, "start"),
            end=_to_day(end, "end"),
            historic_lag_days=lag,
            **kwargs,
        )
        if opts.unknown not in _UNKNOWN_POLICIES:
            raise OptionError(f"unknown={opts.unknown!r}; expected one of {_UNKNOWN_POLICIES}")
        if opts.negative_counts not in ("exclude", "allow"):
            raise OptionError(
                f"negative_counts={opts.negative_counts!r}; expected 'exclude' or 'allow'"
            )
        if opts.date_rule not in _DATE_RULES:
            raise OptionError(f"date_rule={opts.date_rule!r}; expected one of {_DATE_RULES}")
        if opts.period_by not in ("committed", "reported"):
            raise OptionError(f"period_by={opts.period_by!r}; expected 'committed' or 'reported'")
        if opts.period_by == "reported" and opts.reported is None:
            raise OptionError("period_by='reported' needs reported=<column of reported dates>")
        if (opts.start is not None or opts.end is not None) and opts.period_column is None:
            raise OptionError("start/end need a date column: pass date=<column of committed dates>")
        if opts.historic_lag_days is not None and (opts.reported is None or opts.date is None):
            raise OptionError("historic_lag needs both date= (committed) and reported= columns")
        if opts.start is not None and opts.end is not None and opts.start > opts.end:
            raise OptionError(f"start {start!r} is after end {end!r}")
        return opts

    @property
    def period_column(self) -> str | None:
        """The column whose date places a record in a period."""
        return self.reported if self.period_by == "reported" else (self.date or self.date_to)

    def columns(self) -> list[str]:
        """Input columns the scorer reads, in a stable order."""
        cols = [
            self.code,
            self.date,
            self.date_to,
            self.reported,
            self.count,
            self.police_initiated,
            self.company_detected,
        ]
        return list(dict.fromkeys(c for c in cols if c is not None))

    def describe(self) -> dict[str, Any]:
        """The options as plain values, for provenance."""
        out = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "weights"}
        for k in ("start", "end"):
            if out[k] is not None:
                out[k] = str(np.datetime64(out[k], "D"))
        if isinstance(out["ambiguity"], Mapping):
            out["ambiguity"] = dict(out["ambiguity"])
        return out


class _Resolver:
    """Reads distinct offence code values once and remembers them across batches."""

    def __init__(self, opts: ScoreOptions) -> None:
        self.opts = opts
        self.values: list[object] = []
        self.index = pd.Index([], dtype=object)
        self.days = np.empty(0)
        self.code_status = np.empty(0, dtype=np.uint8)
        self.flag = np.empty(0, dtype=bool)
        self.ambiguous = np.empty(0, dtype=bool)
        self.canonical = np.empty(0, dtype=object)

    def positions(self, uniques: np.ndarray) -> np.ndarray:
        keys = pd.Index(uniques, dtype=object)
        pos = self.index.get_indexer(keys) if len(self.index) else np.full(len(keys), -1)
        new = pos < 0
        if new.any():
            fresh = pd.unique(np.asarray(uniques, dtype=object)[new])
            res = self.opts.weights.resolve(
                fresh, code_system=self.opts.code_system, ambiguity=self.opts.ambiguity
            )
            status = np.zeros(len(res), dtype=np.uint8)
            for name, reason in (
                ("missing", "missing_code"),
                ("malformed", "malformed_code"),
                ("unknown", "unknown_code"),
            ):
                status[res["status"].to_numpy() == name] = STATUS[reason]
            status[(status == 0) & res["not_crime"].to_numpy(dtype=bool)] = STATUS["not_crime"]
            self.index = self.index.append(pd.Index(fresh, dtype=object))
            self.days = np.concatenate([self.days, res["days"].to_numpy(dtype=float)])
            self.code_status = np.concatenate([self.code_status, status])
            self.flag = np.concatenate([self.flag, res["police_generated"].to_numpy(dtype=bool)])
            self.ambiguous = np.concatenate([self.ambiguous, res["ambiguous"].to_numpy(dtype=bool)])
            self.canonical = np.concatenate(
                [self.canonical, res["canonical"].to_numpy(dtype=object)]
            )
            pos = self.index.get_indexer(keys)
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
    crimes: np.ndarray | None  # float64 counts, or None for one crime per row
    harm: np.ndarray  # float64 days x crimes, NaN where unknown (included and excluded)
    status: np.ndarray  # uint8, 0 included, else STATUS[reason]
    period_day: np.ndarray | None  # int64 day number, or None without a date column


class Scorer:
    """Scores batches with one set of options, keeping tallies across them."""

    def __init__(self, opts: ScoreOptions) -> None:
        self.opts = opts
        self.resolver = _Resolver(opts)
        w = opts.weights
        self.summary = Summary(
            edition=w.edition, edition_sha256=w.sha256, scheme=w.scheme, options=opts.describe()
        )

    def days(self, col: Any) -> np.ndarray:
        """Day numbers of a date column (see :func:`dates_to_days`), keeping bad examples."""
        days, bad = dates_to_days(col, date_format=self.opts.date_format)
        if bad and len(self.summary.bad_dates) < 5:
            self.summary.bad_dates.extend(b for b in bad if b not in self.summary.bad_dates)
        return days

    def _dates(self, batch: Mapping[str, Any], name: str | None) -> np.ndarray | None:
        return None if name is None else self.days(batch[name])

    def codes(self, col: Any) -> CodeLookup:
        """Read a batch's offence codes once per distinct value (see :class:`CodeLookup`)."""
        o = self.opts
        codes, uniques = factorize(col)
        pos = self.resolver.positions(uniques)
        r = self.resolver
        # one sentinel slot at the end for null codes (code -1 takes it)
        u_days = np.append(r.days[pos], np.nan)
        u_status = np.append(r.code_status[pos], STATUS["missing_code"]).astype(np.uint8)
        unknown = u_status == STATUS["unknown_code"]
        if o.unknown == "zero":
            u_days[unknown] = 0.0
            u_status[unknown] = 0
        if o.exclude_police_generated:  # lower precedence than the date reasons: see mark()
            pg = np.append(r.flag[pos], False) & (u_status == 0)
            u_status[pg] = STATUS["police_generated"]
        amb = np.append(r.ambiguous[pos], False)
        return CodeLookup(codes, uniques, pos, u_days, u_status, unknown, amb)

    def tally_codes(self, lookup: CodeLookup, hits: np.ndarray | None) -> None:
        """Count unknown and ambiguous codes; ``hits`` is rows per distinct value.

        With ``hits`` None they are counted here when needed. Raises
        :class:`CodeError` when ``unknown='raise'`` and a code is unknown.
        """
        if not (lookup.unknown.any() or lookup.ambiguous.any()):
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
                    f"{o.weights.edition!r} does not carry in column {o.code!r}: {top}"
                )
            if o.unknown == "zero":
                self.summary.unknown_scored_zero += n_unknown
        for i in np.flatnonzero(lookup.ambiguous[:-1] & (hits > 0)):
            self.summary.ambiguous_codes[str(r.canonical[lookup.pos[i]])] += int(hits[i])

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

        def mark(mask: np.ndarray, reason: str) -> None:
            # a reason replaces no reason and any reason that comes after it in REASONS
            code = STATUS[reason]
            status[mask & ((status == 0) | (status > code))] = code

        crimes = None
        if o.count is not None:
            crimes = to_count(batch[o.count])
            bad_count = np.isnan(crimes)
            if o.negative_counts == "exclude":
                bad_count |= crimes < 0
            crimes[bad_count] = 1.0  # an invalid-count row is counted as one row
            mark(bad_count, "invalid_count")

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
            has_c, has_r = committed > DAY_BAD, reported > DAY_BAD
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
            if (period_day <= DAY_BAD).any():
                mark(period_day == DAY_MISSING, "missing_date")
                mark(period_day == DAY_BAD, "bad_date")
            if o.start is not None or o.end is not None:
                valid = period_day > DAY_BAD
                outside = np.zeros(n, dtype=bool)
                if o.start is not None:
                    outside |= valid & (period_day < o.start)
                if o.end is not None:
                    outside |= valid & (period_day > o.end)
                if historic is not None:
                    outside &= ~historic
                mark(outside, "outside_window")
        if o.police_initiated is not None:
            mark(to_flag(batch[o.police_initiated], name=o.police_initiated), "police_initiated")
        if o.company_detected is not None:
            mark(to_flag(batch[o.company_detected], name=o.company_detected), "company_detected")
        if historic is not None:
            mark(historic, "historic")
            if period_day is not reported:
                # a historic record belongs to the period it was reported in (HOCHI)
                moved = historic & (reported > DAY_BAD)
                if moved.any():
                    period_day = np.where(moved, reported, period_day)
        harm = days if crimes is None else days * crimes
        if tally:
            self.summary.merge_batch(status, np.ones(n) if crimes is None else crimes, harm)
        return ScoredBatch(
            days=days, crimes=crimes, harm=harm, status=status, period_day=period_day
        )

    def finish(self) -> Summary:
        """Warn about unknown codes once, with the count and the most frequent ones."""
        s = self.summary
        n = s.rows_excluded["unknown_code"]
        if n and self.opts.unknown == "exclude":
            top = ", ".join(f"{c!r} ({k:,})" for c, k in s.unknown_codes.most_common(5))
            warnings.warn(
                f"{n:,} record(s) excluded as unknown_code: edition {s.edition!r} does not "
                f"carry their offence codes; most frequent: {top}",
                UnknownCodeWarning,
                stacklevel=3,
            )
        return s


def _combine_range(start: np.ndarray, end: np.ndarray, rule: str) -> np.ndarray:
    """One day from a committed-from/committed-to range (see :func:`score`)."""
    has_start, has_end = start > DAY_BAD, end > DAY_BAD
    if rule == "start":
        return np.where(has_start, start, np.where(has_end, end, start))
    if rule == "end":
        return np.where(has_end, end, np.where(has_start, start, end))
    mid = np.where(has_start & has_end, start + (end - start) // 2, DAY_MISSING)
    return np.where(has_start & has_end, mid, np.where(has_start, start, end))


def check_columns(present: list[str], needed: list[str], *, source: str) -> None:
    """Raise :class:`MissingColumnError` naming the missing and the present columns."""
    from crimeharm.errors import MissingColumnError

    missing = [c for c in needed if c not in present]
    if missing:
        raise MissingColumnError(
            f"{source}: column(s) {missing} not found; columns present: {present}"
        )


def score(
    data: Any,
    *,
    weights: str | WeightTable | None = None,
    code: str = "offence_code",
    code_system: str = "auto",
    date: str | None = None,
    count: str | None = None,
    **options: Any,
) -> pd.DataFrame:
    """Score crime records with a weights edition.

    Parameters
    ----------
    data : pandas.DataFrame, pyarrow.Table, or path
        Records, one per crime (or per area x offence with ``count``); a path
        to a CSV or Parquet file or a folder of Parquet files.
    weights : str or WeightTable, optional
        An edition id (``cchi-2020`` by default) or a loaded table.
    code : str
        Column of offence codes, in any form of any code system.
    code_system : {'auto', 'ho_class', 'open_data', 'cjs', 'key'}
        How to read the codes; ``auto`` reads each value by its form.
    date : str, optional
        Column of the date the crime was committed (the paper: count events
        that occurred in the period).
    count : str, optional
        Column of counts, for pre-counted tables; harm is ``days x count``.
    **options
        ``date_to`` (end of a committed range), ``date_rule`` (``start``
        (default: the committed-from date, or the committed-to date when the
        start is missing), ``end`` or ``midpoint``), ``date_format``,
        ``reported`` (column of reported dates), ``period_by``
        (``committed`` or ``reported``), ``start``/``end`` (the window,
        inclusive dates), ``exclude_police_generated`` (default True),
        ``police_initiated`` and ``company_detected`` (yes/no columns),
        ``historic_lag`` (days, or ``'365D'``: reported longer than this after
        being committed is historic), ``ambiguity`` (rule for
        codes that several offences share, see :class:`WeightTable`),
        ``unknown`` (``exclude`` with a warning (default), ``raise`` or ``zero``),
        ``negative_counts`` (``exclude`` (default: reason ``invalid_count``) or
        ``allow``: Home Office quarterly tables carry negative counts where
        crimes recorded earlier were cancelled, and their published totals
        include them).

    Returns
    -------
    pandas.DataFrame
        The input columns plus ``days`` (days per crime, NaN if unknown),
        ``crimes``, ``harm_days`` (days x crimes, 0 when excluded),
        ``excluded`` (reason, null when included) and ``period_date`` when a
        date column is given. ``attrs["crimeharm"]`` holds the edition, its
        sha256, the options and the :class:`Summary` as a dict.

    Examples
    --------
    >>> import pandas as pd, crimeharm
    >>> df = pd.DataFrame({"offence_code": ["8/6", "034/01", "092/10", "8//6"]})
    >>> out = crimeharm.score(df)
    >>> out[["days", "harm_days", "excluded"]]
        days  harm_days          excluded
    0   10.0       10.0               NaN
    1  365.0      365.0               NaN
    2  547.5        0.0  police_generated
    3    NaN        0.0    malformed_code
    """
    from crimeharm.scoring.inputs import read_table

    opts = ScoreOptions.make(
        weights=weights, code=code, code_system=code_system, date=date, count=count, **options
    )
    frame = read_table(data, columns=None)
    if frame.shape == (0, 0):  # an empty file: a valid, empty result
        frame = pd.DataFrame({c: pd.Series(dtype=object) for c in opts.columns()})
    source = str(data) if isinstance(data, str | os.PathLike) else "data"
    check_columns(list(frame.columns), opts.columns(), source=source)
    scorer = Scorer(opts)
    batch = {c: frame[c] for c in opts.columns()}
    scored = scorer.score_batch(batch, len(frame))
    summary = scorer.finish()
    out = frame.copy()
    out["days"] = scored.days
    out["crimes"] = np.ones(len(frame)) if scored.crimes is None else scored.crimes
    out["harm_days"] = np.where(scored.status == 0, np.nan_to_num(scored.harm), 0.0)
    reasons = np.array([None, *REASONS], dtype=object)
    out["excluded"] = pd.Categorical(reasons[scored.status], categories=list(REASONS))
    if scored.period_day is not None:
        pdays = scored.period_day.copy()
        valid = pdays > DAY_BAD
        dates = np.full(len(pdays), np.datetime64("NaT"), dtype="datetime64[s]")
        dates[valid] = pdays[valid].astype("datetime64[D]")
        out["period_date"] = dates
    out.attrs["crimeharm"] = {**opts.weights.provenance(), "summary": summary.as_dict()}
    return out
