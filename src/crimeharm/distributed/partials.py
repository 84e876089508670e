"""Partial sums: each part of the records scored and summed where it lies, the parts added up.

The sums of :func:`crimeharm.harm_index` are additive by cell (area x
period x status), so records split in any way (Dask partitions, Spark
partitions, files) give the same result when each part is scored and summed
on its own and the partial sums are added:

1. :func:`plan` checks the options once and holds them (with the weights
   table) for every part;
2. :func:`partition_sums` scores one part with the same engine as one
   machine and returns its :class:`Sums`: the cells with crimes or harm,
   keyed by their area values and period (not by the ids of the engine
   that made them), the rows per status, and the scorer's counts (unknown,
   ambiguous and crosswalked codes, examples of bad dates);
3. :func:`combine` adds several :class:`Sums` into one (any grouping: a tree
   of combines gives the same sums);
4. :func:`finish` builds the output once, from the combined sums: rolling
   windows, ``complete``, rates, the summary and provenance, exactly as
   :func:`crimeharm.harm_index` does on one machine.

Nothing here imports Dask: the same functions serve Spark's ``mapInArrow``
(see ``docs/distributed.md``). :class:`Sums` and :class:`Plan` pickle.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pyarrow as pa

from crimeharm._engine import EngineName, new_engine
from crimeharm._engine.base import Engine, Partial
from crimeharm.errors import OptionError
from crimeharm.scoring.inputs import open_source
from crimeharm.scoring.options import SCORE_ARGUMENTS, ScoreOptions
from crimeharm.scoring.periods import Period
from crimeharm.scoring.rules import Scorer
from crimeharm.scoring.summary import Summary
from crimeharm.scoring.sums import (
    Excluded,
    _excluded_cells,
    _prepare,
    add_batches,
    add_scored_frame,
    build_output,
)

__all__ = ["Plan", "Sums", "combine", "finish", "partition_sums", "plan"]

#: The columns of a frame that :func:`crimeharm.score` returned which :func:`aggregate` reads.
SCORED_COLUMNS = ("days", "crimes", "excluded")


@dataclass(frozen=True)
class Plan:
    """What every part is scored and summed with (made once, sent to each worker once).

    ``opts`` are the scoring options (None for records already scored by
    :func:`crimeharm.score`, summed as :func:`crimeharm.aggregate` does);
    ``provenance`` the edition, its sha256 and scheme that the output's
    ``attrs`` record.
    """

    opts: ScoreOptions | None
    by: tuple[str, ...]
    period: Period | None
    excluded_cells: bool
    engine: EngineName
    batch_rows: int
    provenance: Mapping[str, Any] = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        """The input columns each part needs."""
        if self.opts is None:
            extra = ["period_date"] if self.period is not None else []
            return list(dict.fromkeys([*SCORED_COLUMNS, *extra, *self.by]))
        return list(dict.fromkeys([*self.opts.columns(), *self.by]))

    def new_engine(self) -> Engine:
        """An engine with empty sums, for one part or for adding parts."""
        return new_engine(
            self.engine, list(self.by), self.period, excluded_cells=self.excluded_cells
        )

    def new_summary(self) -> Summary:
        """An empty summary of these options."""
        if self.opts is not None:
            return Scorer(self.opts).summary
        p = self.provenance
        return Summary(
            edition=p.get("edition", ""),
            edition_sha256=p.get("edition_sha256", ""),
            scheme=p.get("scheme", ""),
        )


@dataclass
class Sums:
    """Partial sums of one or more parts: cells, rows per status and the scorer's counts.

    ``summary`` holds what the scorer counts as it reads (codes, bad dates);
    the rows, crimes and harm per status are read off ``cells`` when the
    output is built. ``engines`` names the engines that summed the parts,
    ``parts`` how many parts were added.
    """

    cells: Partial
    summary: Summary
    engines: tuple[str, ...]
    parts: int = 1


def plan(
    *,
    by: str | Sequence[str] | None = None,
    period: str | Period | None = None,
    excluded: Excluded = "columns",
    engine: EngineName = "auto",
    batch_rows: int = 1 << 20,
    **score_options: Any,
) -> Plan:
    """Check the options of a distributed :func:`crimeharm.harm_index` once.

    Parameters
    ----------
    by, period, excluded, engine, batch_rows
        As for :func:`crimeharm.harm_index` (``engine`` is the one each part
        is summed with).
    **score_options
        The scoring options of :func:`crimeharm.harm_index` (``weights``,
        ``code``, ``date``, ``police_initiated``...).

    Returns
    -------
    Plan

    Raises
    ------
    OptionError
        On an option that is not valid, or one that is not a scoring option.
    """
    unknown = sorted(set(score_options) - SCORE_ARGUMENTS)
    if unknown:
        raise OptionError(
            f"plan() got option(s) {unknown} that are not scoring options",
            values=unknown,
            allowed=sorted(SCORE_ARGUMENTS),
        )
    opts = ScoreOptions.make(**score_options)
    return records_plan(
        opts, by=by, period=period, excluded=excluded, engine=engine, batch_rows=batch_rows
    )


def records_plan(
    opts: ScoreOptions,
    *,
    by: str | Sequence[str] | None,
    period: str | Period | None,
    excluded: Excluded,
    engine: EngineName,
    batch_rows: int,
) -> Plan:
    """The plan for records scored with ``opts`` (options checked as harm_index checks them)."""
    by_list, per_spec = _prepare(by, period, has_date=opts.period_column is not None)
    excluded_cells = _excluded_cells(excluded)
    # the engine is chosen once, here on the client: every worker uses the same one
    chosen = new_engine(engine, by_list, per_spec, excluded_cells=excluded_cells).name
    return Plan(
        opts,
        tuple(by_list),
        per_spec,
        excluded_cells,
        chosen,  # type: ignore[arg-type]  # an engine's name is one of EngineName's
        batch_rows,
        dict(opts.weights.provenance()),
    )


def _as_arrow(frame: pd.DataFrame) -> Any:
    """A pandas partition as an Arrow table (read as a Parquet file's batches are), else as is.

    The engines read Arrow columns (strings, dates, dictionaries) without a
    pass per row; pandas' Arrow-backed dtypes, which Dask gives, are not all
    read so. Columns Arrow cannot hold (objects of mixed types) keep the frame.
    """
    try:
        return pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return frame


def _pieces(data: Any) -> Iterable[Any]:
    if isinstance(data, pd.DataFrame):
        return [_as_arrow(data)]
    if isinstance(data, pa.Table | pa.RecordBatch):
        return [data]
    return data  # an iterable of record batches (Spark's mapInArrow) or tables


def partition_sums(data: Any, p: Plan) -> Sums:
    """Score one part of the records and return its partial sums.

    Parameters
    ----------
    data : pandas.DataFrame, pyarrow.Table, pyarrow.RecordBatch or iterable of them
        The part's records (the plan's columns at least); an empty part
        gives empty sums. For a plan without scoring options, a part of
        :func:`crimeharm.score`'s output.
    p : Plan

    Returns
    -------
    Sums
    """
    eng = p.new_engine()
    if p.opts is None:
        summary = p.new_summary()
        for piece in _pieces(data):
            frame = piece if isinstance(piece, pd.DataFrame) else pa.table(piece).to_pandas()
            add_scored_frame(eng, frame[p.columns])
    else:
        scorer = Scorer(p.opts)
        summary = scorer.summary
        for piece in _pieces(data):
            source = open_source(piece, columns=p.columns, batch_rows=p.batch_rows)
            add_batches(eng, scorer, source)
    return Sums(eng.partial(), summary, (eng.name,))


def combine(parts: Iterable[Sums], p: Plan) -> Sums:
    """Add partial sums into one, in order (counters keep the order their keys were met).

    Parameters
    ----------
    parts : iterable of Sums
        Of parts scored with the plan ``p``.
    p : Plan

    Returns
    -------
    Sums
    """
    eng = p.new_engine()
    summary = p.new_summary()
    engines: set[str] = set()
    n = 0
    for part in parts:
        eng.add_partial(part.cells)
        summary.merge(part.summary)
        engines.update(part.engines)
        n += part.parts
    return Sums(eng.partial(), summary, tuple(sorted(engines)), n)


def finish(
    sums: Sums,
    p: Plan,
    *,
    complete: bool = False,
    population: pd.DataFrame | pd.Series | None = None,
    per: float = 100_000,
) -> pd.DataFrame:
    """The output of :func:`crimeharm.harm_index` from the combined sums of every part.

    Parameters
    ----------
    sums : Sums
        Every part's sums, combined (:func:`combine`).
    p : Plan
    complete, population, per
        As for :func:`crimeharm.harm_index`; rolling windows and rates are
        computed here, from the combined sums.

    Returns
    -------
    pandas.DataFrame
        As :func:`crimeharm.harm_index` returns; ``attrs["crimeharm"]["engine"]``
        names the engine(s) the parts were summed with.
    """
    eng = p.new_engine()
    eng.add_partial(sums.cells)
    summary = copy.deepcopy(sums.summary)
    scorer = None
    if p.opts is not None:
        scorer = Scorer(p.opts)
        scorer.summary = summary
    out = build_output(
        eng,
        summary,
        scorer=scorer,
        complete=complete,
        population=population,
        per=per,
        provenance=p.provenance,
        window=(p.opts.start, p.opts.end) if p.opts is not None else (None, None),
    )
    if sums.engines:
        out.attrs["crimeharm"]["engine"] = "+".join(sums.engines)
    return out
