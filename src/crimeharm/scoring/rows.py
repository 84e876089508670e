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
    data : pandas.DataFrame, pyarrow.Table, dask.dataframe.DataFrame, path, glob or list of paths
        Records, one per crime (or per area x offence with ``count``): a CSV
        or Parquet file, or several (a folder, read recursively, a glob or a
        list) read as one input. A Dask DataFrame gives a Dask DataFrame,
        scored partition by partition; its partitions' summaries are not
        kept (:func:`crimeharm.aggregate` of it gives the summary).
    {read_parameters}
    {score_parameters}
    {window_parameters}

    Returns
    -------
    pandas.DataFrame
        The input columns plus ``days`` (days per crime, NaN if unknown),
        ``crimes`` (int64: 1, or the record's count; 1 when the count is
        invalid), ``harm_days`` (days x crimes, 0 when excluded),
        ``excluded`` (reason, null when included) and ``period_date`` when a
        date column is given. An input column of one of these names raises
        :class:`~crimeharm.ColumnNameError`, except a ``count`` column named
        ``crimes``, which the counts read replace. ``attrs["crimeharm"]`` holds the edition, its
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
    from crimeharm.scoring.inputs import check_new_columns, read_table

    opts = ScoreOptions.from_arguments(locals())
    new = [*OUTPUT_COLUMNS, *(["period_date"] if opts.period_column is not None else [])]
    if type(data).__module__.startswith("dask"):
        from crimeharm.distributed import _dask, is_dask_frame

        if is_dask_frame(data):
            return _dask.score(data, opts, new=new)
    frame = read_table(data, require=opts.columns(), encoding=encoding, sep=sep)
    source = str(data) if isinstance(data, str | os.PathLike) else "data"
    check_new_columns(
        list(frame.columns),
        new,
        source=source,
        what="score",
        replaced="crimes" if opts.count == "crimes" else None,
    )
    return score_frame(frame, opts)


def score_frame(frame: pd.DataFrame, opts: ScoreOptions) -> pd.DataFrame:
    """:func:`score` of a frame whose columns were checked, with options checked."""
    scorer = Scorer(opts)
    batch = {c: frame[c] for c in opts.columns()}
    scored = scorer.score_batch(batch, len(frame))
    summary = scorer.finish(stacklevel=4)
    out = frame.copy()
    out["days"] = scored.days
    crimes = np.ones(len(frame)) if scored.crimes is None else scored.crimes
    out["crimes"] = crimes.astype(np.int64)  # whole numbers: other counts are invalid_count
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
