"""Sum harm by area and period, in one pass over batches, with every exclusion counted.

:func:`aggregate` sums a frame that :func:`crimeharm.score` returned;
:func:`harm_index` scores and sums in one streaming pass, reading a Parquet
file or folder a row group at a time, so memory is bounded by the number of
groups, not the number of records.

Crimes and harm are summed into an area x period array per status
(included, or an exclusion reason) by an engine, compiled loops or numpy
(see :mod:`crimeharm._engine`), chosen once per call; only the periods
that records fall in take memory (:mod:`crimeharm._engine.memory`;
:func:`crimeharm.estimate_sums_memory` gives the estimate in one line). Each output row has
the ``by`` columns, ``period`` (its label, ``period_start`` and
``period_end``), ``crimes`` and ``harm_days`` of the included records, and
for each exclusion reason ``excluded_<reason>`` (crimes) and
``excluded_harm_<reason>`` (days, for records whose offence code is known).
The crime counts (``crimes``, ``excluded_<reason>``, ``excluded``) are int64.
Records whose date is missing, unparseable or implausible, and with ``start``/``end``
records outside the window, are placed in no period of the output; they appear under a
null period, so that every record is accounted for:
``sum(crimes) + sum(excluded_*) = crimes in``. A blank area (null, NaN, empty text or
spaces) in a ``by`` column is one area, labelled :data:`BLANK_AREA` (``"(blank)"``) and
ordered last; the summary's ``blank_areas`` gives, per ``by`` column, its included
crimes and harm. With ``excluded="summary"``
the rows have the included crimes and harm only, and the exclusions are
counted in the summary alone.
"""

from __future__ import annotations

import datetime
import warnings
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from crimeharm._engine import EngineName, new_engine
from crimeharm._engine.base import Engine, Split, Tally
from crimeharm._engine.groups import BLANK_AREA
from crimeharm._threads import pool
from crimeharm.errors import InputTypeError, MissingColumnError, OptionError, ShortDataWarning
from crimeharm.reasons import REASONS
from crimeharm.scoring.dates import DAY_MISSING
from crimeharm.scoring.inputs import (
    Source,
    as_arrow,
    batch_columns,
    check_batch_rows,
    check_by_names,
    open_source,
)
from crimeharm.scoring.options import (
    DEFAULT_DATE_RANGE,
    CodeSystem,
    DateFormat,
    DateLike,
    DateRange,
    DateRule,
    FlagBlank,
    FlagUnknown,
    Lag,
    NegativeCounts,
    OutputKind,
    PeriodBy,
    ScoreOptions,
    UnknownPolicy,
    with_score_parameters,
)
from crimeharm.scoring.outputs import check_output_kind, deliver
from crimeharm.scoring.periods import Period, parse_period
from crimeharm.scoring.progress import Progress, check_progress, progress_reporter
from crimeharm.scoring.provenance import record_of
from crimeharm.scoring.rates import add_rates
from crimeharm.scoring.rules import Scorer
from crimeharm.scoring.summary import Summary
from crimeharm.weights.table import WeightTable

__all__ = [
    "BLANK_AREA",
    "Excluded",
    "add_batches",
    "add_scored_frame",
    "aggregate",
    "build_output",
    "harm_index",
]

#: The ``engine`` option of :func:`harm_index`: an engine's name, or ``dask``.
SumsEngine = Literal["auto", "compiled", "numpy", "dask"]
#: What the output says of excluded records: columns per reason, or the summary alone.
Excluded = Literal["columns", "summary"]


def _warn_short(eng: Engine, period: Period | None, *, stacklevel: int = 3) -> None:
    spanned = eng.periods_spanned
    if period is None or period.kind != "rolling" or spanned == 0:
        return
    if spanned < period.window:
        warnings.warn(
            f"the dated records span {spanned} month(s), fewer than the {period.window}-month "
            "window: no complete window, so the result has no dated rows (the summary still "
            "counts every record)",
            ShortDataWarning,
            stacklevel=stacklevel,
        )


def _read_ahead(batches: Iterator[Any], reader: ThreadPoolExecutor) -> Iterator[Any]:
    """The same batches, each read in ``reader`` while the one before is being used."""
    done = object()
    nxt = reader.submit(next, batches, done)
    while True:
        batch = nxt.result()
        if batch is done:
            return
        nxt = reader.submit(next, batches, done)
        yield batch


#: The output columns that count crimes (sums of whole counts).
_CRIME_COLUMNS = frozenset(["crimes", "excluded", *(f"excluded_{r}" for r in REASONS)])


def _whole_crimes(out: pd.DataFrame) -> pd.DataFrame:
    """The crime columns as int64: sums of whole counts, exact in float64 below 2**53.

    A column is left as it is if any sum is not a whole number below 2**53
    (counts larger than that are not read as counts, so only their sum can be).
    """
    for col in out.columns:
        if col not in _CRIME_COLUMNS or out[col].dtype.kind != "f":
            continue
        values = out[col].to_numpy()
        if np.all((values == np.floor(values)) & (np.abs(values) <= 2.0**53)):
            out[col] = values.astype(np.int64)
    return out


def _label_blank_areas(out: pd.DataFrame, by: Sequence[str], summary: Summary) -> None:
    """Label the blank area of each ``by`` column :data:`BLANK_AREA`; count it in ``summary``."""
    for col in by:
        blank = out[col].isna().to_numpy()
        if not blank.any():
            continue
        column = out[col]
        if BLANK_AREA not in column.cat.categories:
            column = column.cat.add_categories([BLANK_AREA])
        out[col] = column.fillna(BLANK_AREA)
        summary.blank_areas[col] = {
            "crimes": _count_of(out["crimes"].to_numpy()[blank].sum()),
            "harm_days": float(out["harm_days"].to_numpy()[blank].sum()),
        }


def _count_of(value: float) -> int | float:
    return int(value) if np.isfinite(value) and value == int(value) else float(value)


def _excluded_cells(excluded: str) -> bool:
    OptionError.check_choice("excluded", excluded, Excluded)
    return excluded == "columns"


def _finish(pending: Future[Tally] | None, scorer: Scorer) -> None:
    """Wait for the batch in flight; tally its offence codes when the engine left them."""
    tally = None if pending is None else pending.result()
    if tally is not None:
        scorer.tally_codes(*tally)


def _prepare(
    by: str | Sequence[str] | None, period: Any, *, has_date: bool
) -> tuple[list[str], Period | None]:
    by_list = [by] if isinstance(by, str) else list(by or [])
    check_by_names(by_list)
    per = parse_period(period)
    if per is not None and not has_date:
        raise OptionError(f"period={per.spec!r} needs a date column: pass date=<column>")
    return by_list, per


def _attach(
    out: pd.DataFrame,
    *,
    summary: Summary,
    engine: str,
    by: list,
    period: Period | None,
    provenance: Mapping[str, Any],
) -> pd.DataFrame:
    out.attrs["crimeharm"] = {
        **provenance,
        "engine": engine,
        "by": by,
        "period": period.spec if period is not None else None,
        "summary": summary.as_dict(),
    }
    return out


def add_batches(eng: Engine, scorer: Scorer, source: Source, *, progress: Progress = False) -> int:
    """Score every batch of ``source`` and add it to the engine's sums; the rows read.

    Batch i is added in a worker thread (the compiled loops release the GIL)
    while batch i+1 is read and prepared: one batch in flight, added in order.
    The summary's counts are left to the caller (read off the sums).
    """
    done = 0
    # (on the calling thread alone for a few records: see crimeharm._threads)
    rows = source.rows
    with (
        progress_reporter(progress, total=rows) as report,
        pool(1, rows=rows) as adder,
        pool(1, rows=rows) as helper,
        pool(1, rows=rows) as reader,
    ):
        pending = None
        # (the threads here are enough; a DataFrame's columns are picked by batch_columns)
        batches = source.batches(decode_threads=False, select=False, plain_fallback=True)
        if source.kind in ("parquet", "dataset", "csv", "stream") and isinstance(
            reader, ThreadPoolExecutor
        ):
            batches = _read_ahead(batches, reader)  # read batch i+1 while i is prepared
        for batch in batches:
            cols = batch_columns(batch, source.wanted)
            n = len(batch) if isinstance(batch, pd.DataFrame) else batch.num_rows
            add = eng.prepare(scorer, cols, n, helper=helper)
            _finish(pending, scorer)
            if eng.overflowed:  # the sums cannot be used: stop reading
                pending = None
                break
            pending = adder.submit(add)
            done += n
            if report is not None:
                report(done)
        _finish(pending, scorer)
    return done


def _stat_day(value: Any) -> int | None:
    """The day number of a Parquet statistic of a date or naive timestamp column."""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            return None
        return int(np.datetime64(value, "D").astype(np.int64))
    if isinstance(value, datetime.date):
        return int(np.datetime64(value, "D").astype(np.int64))
    return None


def _file_days(file: Any, column: str) -> tuple[int, int] | None:
    """The first and last day of ``column`` in one Parquet file's statistics; None if unknown."""
    if file.kind != "parquet" or column not in file.schema.names:
        return None
    kind = file.schema.field(column).type
    if not (pa.types.is_date(kind) or pa.types.is_timestamp(kind)):
        return None
    try:
        meta = pq.read_metadata(file.path)
    except (pa.ArrowException, OSError):
        return None
    at = [j for j in range(meta.num_columns) if meta.schema.column(j).path == column]
    if len(at) != 1:
        return None
    found: list[int] = []
    for i in range(meta.num_row_groups):
        group = meta.row_group(i)
        if group.num_rows == 0:
            continue
        stats = group.column(at[0]).statistics
        if stats is None or not stats.has_min_max:
            return None
        try:
            a, b = _stat_day(stats.min), _stat_day(stats.max)
        except (ValueError, OverflowError, pa.ArrowException):  # beyond Python's dates
            return None
        if a is None or b is None:
            return None
        found += [a, b]
    return (min(found), max(found)) if found else None


def periods_spanned(source: Source, opts: ScoreOptions, period: Period) -> int:
    """The periods the dates of Parquet input span, from its statistics; 0 when unknown.

    Read from the minimum and maximum of the period's date column in every
    row group (a date or a timestamp without a time zone), within
    ``date_range`` and ``start``/``end``; 0 for other inputs, other column
    types, or row groups without statistics. A hint for the engine
    (:meth:`Engine.reserve`): the records still place themselves.
    """
    column = opts.period_column
    if column is None or not source.files or source.kind not in ("parquet", "dataset"):
        return 0
    spans = [_file_days(file, column) for file in source.files]
    known = [d for d in spans if d is not None]
    if len(known) < len(spans) or not known:
        return 0
    lo = max(min(a for a, _ in known), opts.date_range[0])
    hi = min(max(b for _, b in known), opts.date_range[1])
    if opts.start is not None:
        lo = max(lo, opts.start)
    if opts.end is not None:
        hi = min(hi, opts.end)
    if lo > hi:
        return 0
    ids = period.ids_from_days(np.array([lo, hi], dtype=np.int64))
    return int(ids[1] - ids[0]) + 1


@with_score_parameters
def harm_index(
    data: Any,
    *,
    encoding: str = "utf-8",
    sep: str | None = None,
    by: str | Sequence[str] | None = None,
    period: str | Period | None = None,
    complete: bool = False,
    excluded: Excluded = "columns",
    population: pd.DataFrame | pd.Series | None = None,
    per: float = 100_000,
    batch_rows: int = 1 << 20,
    progress: Progress = None,
    output: OutputKind = "pandas",
    weights: str | WeightTable | None = None,
    code: str = "offence_code",
    code_system: CodeSystem = "auto",
    ambiguity: str | Mapping[str, str] | None = None,
    crosswalk: bool = True,
    date: str | None = None,
    date_to: str | None = None,
    date_rule: DateRule = "start",
    date_format: DateFormat = None,
    date_range: DateRange = DEFAULT_DATE_RANGE,
    reported: str | None = None,
    period_by: PeriodBy = "committed",
    count: str | None = None,
    exclude_police_generated: bool = True,
    police_initiated: str | None = None,
    company_detected: str | None = None,
    flag_blank: FlagBlank = "no",
    flag_unknown: FlagUnknown = "exclude",
    historic_lag: Lag = None,
    start: DateLike = None,
    end: DateLike = None,
    unknown: UnknownPolicy = "exclude",
    negative_counts: NegativeCounts = "exclude",
    engine: SumsEngine = "auto",
) -> pd.DataFrame:
    """Score records and sum harm by area and period in one streaming pass.

    Parameters
    ----------
    data : pandas.DataFrame, pyarrow.Table, dask.dataframe.DataFrame, path, glob or list of paths
        Records; a CSV or Parquet file, or several (a folder, read
        recursively, a glob or a list) read as one input, a row group or a
        block at a time; a Dask DataFrame is summed partition by partition
        on its cluster (:mod:`crimeharm.distributed`), with the same result.
    {read_parameters}
    by : str or list of str, optional
        Area columns (e.g. ``"lsoa"``, ``["force", "beat"]``); not named as
        an output column (``period``, ``crimes``, ``excluded_<reason>``...).
    period : str, optional
        ``month``, ``quarter``, ``year``, ``financial-year`` or
        ``rolling:36m``; needs ``date=`` (or ``reported=`` with
        ``period_by='reported'``).
    complete : bool
        Return every area x period cell, including empty ones: every period
        from the first to the last that records fall in, and, with ``start``
        or ``end``, every period of that window.
    excluded : {'columns', 'summary'}
        ``columns`` (the default): each row also has, per exclusion reason,
        the crimes and harm left out (``excluded_<reason>``,
        ``excluded_harm_<reason>``: the consensus series) and their total
        (``excluded``). ``summary``: only the included ``crimes`` and
        ``harm_days``, for cells with included records; excluded records
        are still counted by reason, in the summary in ``attrs``. Faster,
        and the sums take about a quarter of the memory when there are
        three exclusion reasons or more.
    population : pandas.DataFrame, optional
        The ``by`` column(s) and ``population`` (and optionally ``period``):
        adds ``population``, ``harm_days_per_<per>`` and ``crimes_per_<per>``.
    per : float
        Rate base: 100,000 residents by default.
    batch_rows : int
        Rows per batch for in-memory data, at least 1 (files keep their row
        groups and blocks).
    progress : bool or callable, optional
        Rows scored, on stderr: ``None`` (the default) shows a bar when stderr
        is a terminal and the run lasts over a second, ``True`` always,
        ``False`` never; a callable is called with the number of rows done
        after each batch instead (see :mod:`crimeharm.scoring.progress`).
    {output_parameters}
    {score_parameters}
    {window_parameters}
    engine : {'auto', 'compiled', 'numpy', 'dask'}
        What adds the records into the sums. ``compiled``: loops compiled
        from Cython at install, which score and add most batches in one
        pass; an :class:`~crimeharm.OptionError` where they are not built.
        ``numpy``: :func:`numpy.bincount`, on any platform; the same sums,
        bit for bit (exact integers: docs/scoring.md, summation rule).
        ``auto`` (the default): compiled when it is built, else numpy; the
        environment variable
        ``CRIMEHARM_ENGINE`` (``numpy``, ``compiled`` or ``auto``) changes
        this default. ``attrs["crimeharm"]["engine"]`` records the one used.
        ``dask``: read Parquet path(s) (local, or remote through fsspec)
        with Dask and sum them on the active Dask client, each partition
        with the ``auto`` engine (see :mod:`crimeharm.distributed`). A
        ``dask.dataframe.DataFrame`` as ``data`` is summed so whatever the
        engine (each partition with the one named here); ``progress`` is
        then called once, at the end.

    Returns
    -------
    pandas.DataFrame
        One row per area x period (one row of totals with neither), see the
        module docstring; ``attrs["crimeharm"]`` holds the edition, its sha256,
        the options, the engine and the reconciliation summary.

    Examples
    --------
    >>> import pandas as pd, crimeharm
    >>> df = pd.DataFrame({"offence_code": ["008/06", "034/02", "092/10"],
    ...                    "area": ["A", "A", "B"]})
    >>> crimeharm.harm_index(df, by="area")[["area", "crimes", "harm_days"]]
      area  crimes  harm_days
    0    A       2      375.0
    1    B       0        0.0
    """
    opts = ScoreOptions.from_arguments(locals())
    excluded_cells = _excluded_cells(excluded)
    by_list, per_spec = _prepare(by, period, has_date=opts.period_column is not None)
    check_progress(progress)
    check_output_kind(output)
    if engine == "dask" or _is_dask(data):
        from crimeharm.distributed import _dask
        from crimeharm.distributed.partials import records_plan

        plan = records_plan(
            opts,
            by=by_list,
            period=per_spec,
            excluded=excluded,
            engine="auto" if engine == "dask" else engine,
            batch_rows=check_batch_rows(batch_rows),
        )
        out = _dask.harm_index(
            data, plan, complete=complete, population=population, per=per, progress=progress
        )
        return deliver(out, output)
    eng = new_engine(engine, by_list, per_spec, excluded_cells=excluded_cells)
    summed = _sum_records(
        eng,
        data,
        opts,
        complete=complete,
        population=population,
        per=per,
        batch_rows=batch_rows,
        progress=progress,
        encoding=encoding,
        sep=sep,
    )
    assert summed is not None  # None only when a split overflows
    return deliver(summed, output)


def _sum_records(
    eng: Engine,
    data: Any,
    opts: ScoreOptions,
    *,
    complete: bool,
    population: pd.DataFrame | pd.Series | None,
    per: float,
    batch_rows: int,
    progress: Progress,
    encoding: str = "utf-8",
    sep: str | None = None,
    stacklevel: int = 4,
) -> pd.DataFrame | None:
    """Read ``data``, score it, add it to ``eng`` and return the output table (one machine).

    None when the engine's split overflowed (:attr:`Engine.overflowed`).
    """
    split = eng.split_column
    needed = list(dict.fromkeys([*opts.columns(), *eng.by, *([split] if split else [])]))
    source = open_source(data, columns=needed, batch_rows=batch_rows, encoding=encoding, sep=sep)
    if eng.period is not None:
        eng.reserve(periods_spanned(source, opts, eng.period))
    scorer = Scorer(opts)
    add_batches(eng, scorer, source, progress=progress)
    if eng.overflowed:
        return None
    return build_output(
        eng,
        scorer.summary,
        scorer=scorer,
        complete=complete,
        population=population,
        per=per,
        provenance=opts.weights.provenance(),
        window=(opts.start, opts.end),
        stacklevel=stacklevel,
    )


def split_index(
    data: Any,
    split: Split,
    *,
    by: str | Sequence[str] | None = None,
    period: str | Period | None = None,
    complete: bool = False,
    batch_rows: int = 1 << 20,
    progress: Progress = None,
    **score_options: Any,
) -> pd.DataFrame | None:
    """:func:`harm_index` (``excluded="columns"``, one machine) with the included sums split.

    The included records' sums are also kept apart by the values of
    ``split.column``, read into classes (:class:`crimeharm._engine.base.Split`):
    the output has ``crimes@<class>`` and ``harm_days@<class>`` besides
    :func:`harm_index`'s columns, which are as :func:`harm_index` gives them.

    None when the column has more distinct values than a split keeps apart
    (:data:`crimeharm._engine.base.MAX_SPLIT`): sum it as a ``by`` column.
    """
    opts = ScoreOptions.from_arguments(score_options)
    by_list, per_spec = _prepare(by, period, has_date=opts.period_column is not None)
    check_progress(progress)
    eng = new_engine("auto", by_list, per_spec, excluded_cells=True, split=split)
    return _sum_records(
        eng,
        data,
        opts,
        complete=complete,
        population=None,
        per=100_000,
        batch_rows=check_batch_rows(batch_rows),
        progress=progress,
        stacklevel=5,
    )


@with_score_parameters
def aggregate(
    scored: Any,
    *,
    by: str | Sequence[str] | None = None,
    period: str | Period | None = None,
    complete: bool = False,
    excluded: Excluded = "columns",
    population: pd.DataFrame | pd.Series | None = None,
    per: float = 100_000,
    engine: EngineName = "auto",
    output: OutputKind = "pandas",
) -> Any:
    """Sum a scored frame by area and period.

    Parameters
    ----------
    scored : pandas.DataFrame or dask.dataframe.DataFrame
        The result of :func:`crimeharm.score` (its ``days``, ``crimes``,
        ``excluded`` and, for a period, ``period_date`` columns are used);
        a Dask DataFrame is summed partition by partition; a pyarrow Table,
        a polars DataFrame or an Arrow stream of it is read as Arrow.
    by, period, complete, excluded, population, per, engine
        As for :func:`harm_index`.
    {output_parameters}

    Returns
    -------
    pandas.DataFrame, pyarrow.Table or polars.DataFrame
        As for :func:`harm_index` (the kind ``output`` names): ``crimes``,
        ``harm_days`` (CHI days) and the excluded records and their harm by
        reason, per area and period.

    Examples
    --------
    >>> import pandas as pd
    >>> import crimeharm
    >>> records = pd.DataFrame({"offence_code": ["8/6", "34B", "28E", "xx"],
    ...                         "beat": ["A", "A", "B", "B"]})
    >>> scored = crimeharm.score(records)
    >>> aggregate(scored, by="beat")[["beat", "crimes", "harm_days", "excluded"]]
      beat  crimes  harm_days  excluded
    0    A       2      375.0         0
    1    B       1       14.5         1
    """
    check_output_kind(output)
    if _is_dask(scored):
        return _dask_aggregate(
            scored,
            by=by,
            period=period,
            complete=complete,
            excluded=excluded,
            population=population,
            per=per,
            engine=engine,
        )
    found = record_of(scored)
    meta = dict(found[0]) if found is not None else {}
    scored = as_arrow(scored)
    if isinstance(scored, pa.RecordBatchReader):
        scored = scored.read_all()
    if not isinstance(scored, pd.DataFrame | pa.Table):
        raise InputTypeError(
            "aggregate sums the result of crimeharm.score: a pandas or polars DataFrame, a "
            f"pyarrow Table or an Arrow stream, not {type(scored).__name__}",
            allowed=["pandas.DataFrame", "pyarrow.Table", "polars.DataFrame"],
        )
    if not meta:
        found = record_of(scored)
        meta = dict(found[0]) if found is not None else {}
    needed = ["days", "crimes", "excluded"]
    present = list(scored.columns) if isinstance(scored, pd.DataFrame) else scored.schema.names
    MissingColumnError.check(present, needed, source="aggregate (needs crimeharm.score's output)")
    by_list, per_spec = _prepare(by, period, has_date="period_date" in present)
    MissingColumnError.check(present, by_list, source="scored", what="by ")
    eng = new_engine(engine, by_list, per_spec, excluded_cells=_excluded_cells(excluded))
    add_scored_frame(eng, scored)
    summary = Summary(
        edition=meta.get("edition", ""),
        edition_sha256=meta.get("edition_sha256", ""),
        scheme=meta.get("scheme", ""),
    )
    prov: dict[str, Any] = {
        k: meta[k] for k in ("edition", "edition_sha256", "scheme") if k in meta
    }
    out = build_output(
        eng,
        summary,
        complete=complete,
        population=population,
        per=per,
        provenance=prov,
        window=_scored_window(meta),
    )
    return deliver(out, output)


def _scored_window(meta: Mapping[str, Any]) -> tuple[int | None, int | None]:
    """The days of the ``start``/``end`` that scored the records (their provenance), or None."""
    options = (meta.get("summary") or {}).get("options") or {}
    days: list[int | None] = []
    for key in ("start", "end"):
        value = options.get(key)
        try:  # written by score() as an ISO date; anything else leaves that end open
            day = np.datetime64(value, "D") if isinstance(value, str) else None
        except ValueError:
            day = None
        days.append(None if day is None or np.isnat(day) else int(day.astype(np.int64)))
    return days[0], days[1]


def _is_dask(data: Any) -> bool:
    from crimeharm.distributed import is_dask_frame

    return is_dask_frame(data)


def _dask_aggregate(
    scored: Any,
    *,
    by: str | Sequence[str] | None,
    period: str | Period | None,
    complete: bool,
    excluded: Excluded,
    population: pd.DataFrame | pd.Series | None,
    per: float,
    engine: EngineName,
) -> pd.DataFrame:
    """:func:`aggregate` of a Dask DataFrame that :func:`crimeharm.score` returned."""
    from crimeharm.distributed import _dask
    from crimeharm.distributed.partials import Plan

    present = list(scored.columns)
    MissingColumnError.check(
        present, ["days", "crimes", "excluded"], source="aggregate (needs crimeharm.score's output)"
    )
    by_list, per_spec = _prepare(by, period, has_date="period_date" in present)
    MissingColumnError.check(present, by_list, source="scored", what="by ")
    excluded_cells = _excluded_cells(excluded)
    new_engine(engine, by_list, per_spec, excluded_cells=excluded_cells)  # checks the name
    prov = _dask.provenance(scored)
    plan = Plan(None, tuple(by_list), per_spec, excluded_cells, engine, 1 << 20, prov)
    return _dask.aggregate(scored, plan, complete=complete, population=population, per=per)


def _status(col: Any) -> np.ndarray:
    """Each row's status (0 included, else 1 + the reason's position) from ``excluded``."""
    if isinstance(col, pd.Series):
        reasons = pd.Categorical(col, categories=list(REASONS))
        return (np.asarray(reasons.codes, dtype=np.int64) + 1).astype(np.uint8)
    position = pc.index_in(col, value_set=pa.array(list(REASONS), type=pa.string()))
    return (pc.fill_null(position, -1).to_numpy(zero_copy_only=False) + 1).astype(np.uint8)


def _numbers(col: Any) -> np.ndarray:
    if isinstance(col, pd.Series):
        return col.to_numpy(dtype=float)
    return np.asarray(pc.fill_null(pc.cast(col, pa.float64()), np.nan).to_numpy(), dtype=float)


def _period_days(col: Any) -> np.ndarray:
    if isinstance(col, pd.Series):
        dates = col.to_numpy(dtype="datetime64[D]")
    else:
        dates = np.asarray(pc.cast(col, pa.date32()).to_numpy(zero_copy_only=False))
        dates = dates.astype("datetime64[D]")
    return np.where(np.isnat(dates), DAY_MISSING, dates.astype(np.int64))


def add_scored_frame(eng: Engine, scored: pd.DataFrame | pa.Table) -> None:
    """Add what :func:`crimeharm.score` returned (pandas or Arrow) to the engine's sums."""
    by_list = eng.by
    status = _status(scored["excluded"])
    crimes = _numbers(scored["crimes"])
    harm = _numbers(scored["days"]) * crimes
    pday = _period_days(scored["period_date"]) if eng.period is not None else None
    found = record_of(scored)
    first, last = _scored_window(found[0] if found is not None else {})
    eng.add_scored(
        {c: scored[c] for c in by_list},
        len(scored),
        status=status,
        crimes=crimes,
        harm=harm,
        period_day=pday,
        window=(first, last),
    )


def build_output(
    eng: Engine,
    summary: Summary,
    *,
    scorer: Scorer | None = None,
    complete: bool,
    population: pd.DataFrame | pd.Series | None,
    per: float,
    provenance: Mapping[str, Any],
    window: tuple[int | None, int | None] = (None, None),
    stacklevel: int = 3,
) -> pd.DataFrame:
    """The output table of the engine's sums, with rates and ``attrs`` (the sums are freed).

    The summary's counts are read off the sums; with ``scorer`` (whose
    summary ``summary`` is) its closing warnings are given. ``window``: the
    first and last day of ``start``/``end`` (None for open), whose periods
    ``complete`` fills.
    """
    summary.add_totals(eng.totals())  # read before result(), which frees the sums
    if scorer is not None:
        summary = scorer.finish(stacklevel=stacklevel + 1)
    _warn_short(eng, eng.period, stacklevel=stacklevel + 1)
    out = _whole_crimes(eng.result(complete=complete, window=window))
    if population is not None:
        add_rates(out, eng.by, population, per=per)
    _label_blank_areas(out, eng.by, summary)
    return _attach(
        out,
        summary=summary,
        engine=eng.name,
        by=eng.by,
        period=eng.period,
        provenance=provenance,
    )
