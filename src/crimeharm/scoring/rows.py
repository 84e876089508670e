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
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from crimeharm.reasons import REASONS
from crimeharm.scoring.dates import DAY_BAD
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
from crimeharm.scoring.rules import Scorer
from crimeharm.weights.table import WeightTable

__all__ = ["OUTPUT_COLUMNS", "score", "score_frame"]

#: The columns :func:`score` adds to the input's (and ``period_date`` with a date column).
OUTPUT_COLUMNS = ("days", "crimes", "harm_days", "excluded")


@with_score_parameters
def score(
    data: Any,
    *,
    encoding: str = "utf-8",
    sep: str | None = None,
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
) -> pd.DataFrame:
    """Score crime records with a weights edition: one row per record.

    Parameters
    ----------
    data : DataFrame, Arrow table or stream, path, glob or list of paths
        Records, one per crime (or per area x offence with ``count``): a
        pandas or polars DataFrame, a polars LazyFrame, a pyarrow Table, a
        DuckDB relation or any object exporting the Arrow C stream interface
        (read as Arrow, never through pandas); a CSV or Parquet file, or
        several (a folder, read recursively, a glob or a list) read as one
        input. A Dask DataFrame gives a Dask DataFrame, scored partition by
        partition; its partitions' summaries are not kept
        (:func:`crimeharm.aggregate` of it gives the summary).
    {read_parameters}
    {output_parameters}
    {score_parameters}
    {window_parameters}

    Returns
    -------
    pandas.DataFrame, pyarrow.Table or polars.DataFrame
        The input columns plus ``days`` (days per crime, NaN if unknown),
        ``crimes`` (int64: 1, or the record's count; 1 when the count is
        invalid), ``harm_days`` (days x crimes, 0 when excluded),
        ``excluded`` (reason, null when included) and ``period_date`` when a
        date column is given. From files, the text columns scoring reads come
        as categoricals and the others as pandas ``str``; a DataFrame's
        columns are shared with it, not copied. An input column of one of these names raises
        :class:`~crimeharm.ColumnNameError`, except a ``count`` column named
        ``crimes``, which the counts read replace. Its provenance
        (:func:`crimeharm.provenance`; ``attrs["crimeharm"]`` for pandas)
        holds the edition, its sha256, the options and the :class:`Summary`
        as a dict. Arrow input with ``output='arrow'`` or ``'polars'`` is
        scored and returned in Arrow, never through pandas.

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
    from crimeharm.scoring.inputs import check_new_columns, open_source
    from crimeharm.scoring.outputs import check_output_kind

    opts = ScoreOptions.from_arguments(locals())
    check_output_kind(output)
    new = [*OUTPUT_COLUMNS, *(["period_date"] if opts.period_column is not None else [])]
    if type(data).__module__.startswith("dask"):
        from crimeharm.distributed import _dask, is_dask_frame

        if is_dask_frame(data):
            return _dask.score(data, opts, new=new)
    source = open_source(data, require=opts.columns(), encoding=encoding, sep=sep)
    # only the columns scoring reads become dictionaries: the others pass through as text
    table = source.read_arrow(categoricals=opts.columns()) if source.kind != "pandas" else None
    frame = source.read() if table is None else None
    present = list(frame.columns) if frame is not None else _table(table).schema.names
    name = str(data) if isinstance(data, str | os.PathLike) else "data"
    check_new_columns(
        present,
        new,
        source=name,
        what="score",
        replaced="crimes" if opts.count == "crimes" else None,
    )
    return score_frame(frame, opts, table=table, output=output)


def score_frame(
    frame: pd.DataFrame | None,
    opts: ScoreOptions,
    *,
    table: pa.Table | None = None,
    output: OutputKind = "pandas",
) -> Any:
    """:func:`score` of a frame (or, with ``frame`` None, an Arrow ``table``) already checked."""
    from crimeharm.scoring.inputs import to_pandas
    from crimeharm.scoring.outputs import deliver

    scorer = Scorer(opts)
    n = len(frame) if frame is not None else _table(table).num_rows
    batch = {
        c: (frame[c] if frame is not None else _table(table).column(c)) for c in opts.columns()
    }
    scored = scorer.score_batch(batch, n)
    summary = scorer.finish(stacklevel=4)
    record = {**opts.weights.provenance(), "summary": summary.as_dict()}
    if table is not None and output != "pandas":  # Arrow in, Arrow out
        return deliver(_arrow_result(table, scored, n, record), output)
    # new columns only: a frame's columns are shared with it, not copied; the scored arrays
    # are new, so each goes in as a Series sharing its memory (a bare array is copied)
    out = frame.copy(deep=False) if frame is not None else to_pandas(_table(table))
    for col, values in _scored_columns(scored, n).items():
        out[col] = pd.Series(values, index=out.index, copy=False)
    out.attrs["crimeharm"] = record
    return deliver(out, output)


def _table(table: pa.Table | None) -> pa.Table:
    """The Arrow table read (there is one when no pandas frame was)."""
    assert table is not None
    return table


def _crimes(scored: Any, n: int) -> np.ndarray:
    """The crimes of each record: whole numbers (other counts are ``invalid_count``)."""
    if scored.crimes is None:
        return np.ones(n, dtype=np.int64)
    return np.asarray(scored.crimes).astype(np.int64)


def _harm_days(scored: Any) -> np.ndarray:
    """Harm of each record: ``days x crimes`` when included (NaN read as 0), else 0."""
    harm = np.where(scored.status == 0, scored.harm, 0.0)
    return np.nan_to_num(harm, copy=False)


def _scored_columns(scored: Any, n: int) -> dict[str, Any]:
    """The columns :func:`score` adds to a pandas result, each a new array."""
    # status s is reason s - 1 of REASONS; 0 (included) becomes code -1, a null
    codes = scored.status.astype(np.int16) - 1
    columns: dict[str, Any] = {
        "days": scored.days,
        "crimes": _crimes(scored, n),
        "harm_days": _harm_days(scored),
        "excluded": pd.Categorical.from_codes(codes, categories=pd.Index(list(REASONS))),
    }
    if scored.period_day is not None:
        columns["period_date"] = _period_dates(scored.period_day)
    return columns


def _period_dates(period_day: np.ndarray) -> np.ndarray:
    """Day numbers as dates (``datetime64[s]``), NaT where a record has no date."""
    seconds = np.multiply(period_day, 86_400, dtype=np.int64)  # a sentinel's product is masked
    np.putmask(seconds, period_day <= DAY_BAD, np.datetime64("NaT").astype(np.int64))
    return seconds.view("datetime64[s]")


def _arrow_result(table: pa.Table, scored: Any, n: int, record: Mapping[str, Any]) -> pa.Table:
    """The input table with the scored columns, as :func:`score`'s pandas result has them."""
    from crimeharm.scoring.provenance import with_record

    included = scored.status == 0
    excluded = pa.DictionaryArray.from_arrays(
        pa.array(scored.status.astype(np.int32) - 1, mask=included),
        pa.array(list(REASONS), type=pa.string()),
    )
    columns = {
        "days": pa.array(np.asarray(scored.days, dtype=float)),
        "crimes": pa.array(_crimes(scored, n)),
        "harm_days": pa.array(_harm_days(scored)),
        "excluded": excluded,
    }
    if scored.period_day is not None:
        columns["period_date"] = pa.array(_period_dates(scored.period_day), type=pa.timestamp("s"))
    for col, values in columns.items():
        if col in table.schema.names:  # a count column named crimes: the counts read replace it
            table = table.set_column(table.schema.get_field_index(col), col, values)
        else:
            table = table.append_column(col, values)
    return with_record(table, record)
