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
Records whose date is missing, unparseable or implausible cannot be placed in a period;
they appear under a null period, so that every record is accounted for:
``sum(crimes) + sum(excluded_*) = crimes in``. With ``excluded="summary"``
the rows have the included crimes and harm only, and the exclusions are
counted in the summary alone.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from crimeharm._engine import EngineName, new_engine
from crimeharm._engine.base import Engine, Tally
from crimeharm.errors import MissingColumnError, OptionError, ShortDataWarning
from crimeharm.reasons import REASONS
from crimeharm.scoring.dates import DAY_MISSING
from crimeharm.scoring.inputs import (
    Source,
    batch_columns,
    check_batch_rows,
    check_by_names,
    check_progress,
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
    PeriodBy,
    ScoreOptions,
    UnknownPolicy,
    with_score_parameters,
)
from crimeharm.scoring.periods import Period, parse_period
from crimeharm.scoring.rates import add_rates
from crimeharm.scoring.rules import Scorer
from crimeharm.scoring.summary import Summary
from crimeharm.weights.table import WeightTable

__all__ = [
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


def _excluded_cells(excluded: str) -> bool:
    if excluded not in get_args(Excluded):
        raise OptionError(
            f"excluded={excluded!r}; expected one of {list(get_args(Excluded))}",
            values=[excluded],
            allowed=get_args(Excluded),
        )
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


def add_batches(
    eng: Engine, scorer: Scorer, source: Source, *, progress: Callable[[int], object] | None = None
) -> int:
    """Score every batch of ``source`` and add it to the engine's sums; the rows read.

    Batch i is added in a worker thread (the compiled loops release the GIL)
    while batch i+1 is read and prepared: one batch in flight, added in order.
    The summary's counts are left to the caller (read off the sums).
    """
    done = 0
    with (
        ThreadPoolExecutor(max_workers=1) as pool,
        ThreadPoolExecutor(max_workers=1) as helper,
        ThreadPoolExecutor(max_workers=1) as reader,
    ):
        pending = None
        batches = source.batches(decode_threads=False)  # the threads here are enough
        if source.kind in ("parquet", "dataset", "csv"):  # read batch i+1 while i is prepared
            batches = _read_ahead(batches, reader)
        for batch in batches:
            cols = batch_columns(batch)
            n = len(batch) if isinstance(batch, pd.DataFrame) else batch.num_rows
            add = eng.prepare(scorer, cols, n, helper=helper)
            _finish(pending, scorer)
            pending = pool.submit(add)
            done += n
            if progress is not None:
                progress(done)
        _finish(pending, scorer)
    return done


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
    progress: Callable[[int], object] | None = None,
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
        Return every area x period cell, including empty ones.
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
    progress : callable, optional
        Called with the number of rows done after each batch.
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
        return _dask.harm_index(
            data, plan, complete=complete, population=population, per=per, progress=progress
        )
    eng = new_engine(engine, by_list, per_spec, excluded_cells=excluded_cells)
    needed = list(dict.fromkeys([*opts.columns(), *by_list]))
    source = open_source(data, columns=needed, batch_rows=batch_rows, encoding=encoding, sep=sep)
    scorer = Scorer(opts)
    add_batches(eng, scorer, source, progress=progress)
    return build_output(
        eng,
        scorer.summary,
        scorer=scorer,
        complete=complete,
        population=population,
        per=per,
        provenance=opts.weights.provenance(),
    )


def aggregate(
    scored: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = None,
    period: str | Period | None = None,
    complete: bool = False,
    excluded: Excluded = "columns",
    population: pd.DataFrame | pd.Series | None = None,
    per: float = 100_000,
    engine: EngineName = "auto",
) -> pd.DataFrame:
    """Sum a scored frame by area and period.

    Parameters
    ----------
    scored : pandas.DataFrame or dask.dataframe.DataFrame
        The result of :func:`crimeharm.score` (its ``days``, ``crimes``,
        ``excluded`` and, for a period, ``period_date`` columns are used);
        a Dask DataFrame is summed partition by partition.
    by, period, complete, excluded, population, per, engine
        As for :func:`harm_index`.

    Returns
    -------
    pandas.DataFrame
        As for :func:`harm_index`.
    """
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
    needed = ["days", "crimes", "excluded"]
    present = list(scored.columns)
    MissingColumnError.check(present, needed, source="aggregate (needs crimeharm.score's output)")
    by_list, per_spec = _prepare(by, period, has_date="period_date" in scored.columns)
    MissingColumnError.check(present, by_list, source="scored", what="by ")
    eng = new_engine(engine, by_list, per_spec, excluded_cells=_excluded_cells(excluded))
    add_scored_frame(eng, scored)
    meta = dict(scored.attrs.get("crimeharm", {}))
    summary = Summary(
        edition=meta.get("edition", ""),
        edition_sha256=meta.get("edition_sha256", ""),
        scheme=meta.get("scheme", ""),
    )
    prov = {k: meta[k] for k in ("edition", "edition_sha256", "scheme") if k in meta}
    return build_output(
        eng, summary, complete=complete, population=population, per=per, provenance=prov
    )


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


def add_scored_frame(eng: Engine, scored: pd.DataFrame) -> None:
    """Add a frame that :func:`crimeharm.score` returned to the engine's sums."""
    by_list = eng.by
    reasons = pd.Categorical(scored["excluded"], categories=list(REASONS))
    status = (np.asarray(reasons.codes, dtype=np.int64) + 1).astype(np.uint8)
    crimes = scored["crimes"].to_numpy(dtype=float)
    harm = scored["days"].to_numpy(dtype=float) * crimes
    pday = None
    if eng.period is not None:
        dates = scored["period_date"].to_numpy(dtype="datetime64[D]")
        pday = np.where(np.isnat(dates), DAY_MISSING, dates.astype(np.int64))
    eng.add_scored(
        {c: scored[c] for c in by_list},
        len(scored),
        status=status,
        crimes=crimes,
        harm=harm,
        period_day=pday,
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
    stacklevel: int = 3,
) -> pd.DataFrame:
    """The output table of the engine's sums, with rates and ``attrs`` (the sums are freed).

    The summary's counts are read off the sums; with ``scorer`` (whose
    summary ``summary`` is) its closing warnings are given.
    """
    summary.add_totals(eng.totals())  # read before result(), which frees the sums
    if scorer is not None:
        summary = scorer.finish(stacklevel=stacklevel + 1)
    _warn_short(eng, eng.period, stacklevel=stacklevel + 1)
    out = _whole_crimes(eng.result(complete=complete))
    if population is not None:
        add_rates(out, eng.by, population, per=per)
    return _attach(
        out,
        summary=summary,
        engine=eng.name,
        by=eng.by,
        period=eng.period,
        provenance=provenance,
    )
