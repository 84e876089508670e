"""The Dask side: partitions scored into partial sums by task, combined by a tree of tasks.

:func:`crimeharm.harm_index`, :func:`crimeharm.aggregate` and
:func:`crimeharm.series` come here for a ``dask.dataframe.DataFrame`` (and
``harm_index`` for Parquet paths with ``engine="dask"``); :func:`crimeharm.score`
for a Dask DataFrame returns one, scored partition by partition. The plan
(options and weights table) is one object in the task graph, which every
partition's task depends on: it is sent to each worker once, not with every
task. The graph runs where Dask runs it: on the active
``dask.distributed.Client`` if there is one, else on Dask's local scheduler.
"""

from __future__ import annotations

import os
import uuid
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from crimeharm.distributed.partials import (
    Plan,
    Sums,
    combine,
    finish,
    partition_sums,
)
from crimeharm.errors import (
    MissingColumnError,
    OptionalDependencyError,
    OptionError,
    UnknownCodeWarning,
)
from crimeharm.scoring.inputs import check_new_columns, read_table
from crimeharm.scoring.options import ScoreOptions

__all__ = [
    "SPLIT_EVERY",
    "aggregate",
    "graph",
    "harm_index",
    "read_parquet",
    "reduce",
    "score",
]

#: Partial sums combined per task in the tree reduction.
SPLIT_EVERY = 8
_CSV_SUFFIXES = (".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz", ".csv.bz2", ".csv.zst")


def _dask() -> Any:
    try:
        import dask
        import dask.dataframe
    except ImportError as err:
        raise OptionalDependencyError(
            "Dask DataFrames and engine='dask' need dask: pip install 'crimeharm[dask]'"
        ) from err
    return dask


def read_parquet(data: Any, *, columns: Sequence[str]) -> Any:
    """A Parquet path, glob or list (local or remote, through fsspec) as a Dask DataFrame.

    Only ``columns`` are read. Storage options (credentials, endpoints) come
    from the environment, as fsspec reads them; for others, call
    ``dask.dataframe.read_parquet(..., storage_options=...)`` and pass the frame.

    Raises
    ------
    OptionError
        For CSV paths or data that is not a path.
    MissingColumnError
        When a needed column is not in the files.
    """
    paths = list(data) if isinstance(data, list | tuple) else [data]
    if not paths or not all(isinstance(p, str | os.PathLike) for p in paths):
        raise OptionError(
            "engine='dask' takes a dask DataFrame or Parquet path(s) (a file, folder, glob or "
            f"list, local or remote), not {type(data).__name__}"
        )
    names = [os.fspath(p) for p in paths]
    csv = [n for n in names if n.lower().endswith(_CSV_SUFFIXES)]
    if csv:
        raise OptionError(
            f"engine='dask' reads Parquet; {csv[0]!r} is CSV: convert it to Parquet, or read it "
            "with dask.dataframe.read_csv (dtype=str) and pass the frame",
            values=csv,
        )
    dd = _dask().dataframe
    frame = dd.read_parquet(names[0] if len(names) == 1 else names)
    MissingColumnError.check(
        list(frame.columns), list(columns), source=str(Path(names[0])) if names else "data"
    )
    return frame[list(columns)]


def _frame(data: Any, columns: Sequence[str]) -> Any:
    from crimeharm.distributed import is_dask_frame

    if is_dask_frame(data):
        MissingColumnError.check(list(data.columns), list(columns), source="data")
        return data[list(columns)]
    return read_parquet(data, columns=columns)


def _plan_key(p: Any) -> Any:
    """The plan as one task of the graph (a literal): each worker fetches it once."""
    dask = _dask()
    return dask.delayed(p, name=f"crimeharm-plan-{uuid.uuid4().hex}", traverse=False)


def graph(frame: Any, p: Plan, *, split_every: int = SPLIT_EVERY) -> Any:
    """The task graph of the combined sums: a ``dask.delayed`` object.

    One task per partition (:func:`partition_sums`), then combining tasks
    (:func:`combine`) of ``split_every`` sums each, level by level, to one;
    the plan is one key of the graph that the partition tasks share.

    Parameters
    ----------
    frame : dask.dataframe.DataFrame
        With the plan's columns.
    p : Plan
    split_every : int
        Partial sums added per combining task, at least 2.
    """
    if isinstance(split_every, bool) or not isinstance(split_every, int) or split_every < 2:
        raise OptionError(f"split_every={split_every!r}; expected an int of at least 2")
    dask = _dask()
    plan_key = _plan_key(p)
    part = dask.delayed(partition_sums, pure=True)
    add = dask.delayed(_combine, pure=True)
    level = [part(piece, plan_key) for piece in frame.to_delayed()]
    while len(level) > 1:
        groups = [level[i : i + split_every] for i in range(0, len(level), split_every)]
        level = [add(plan_key, *g) if len(g) > 1 else g[0] for g in groups]
    return level[0]


def reduce(frame: Any, p: Plan, *, split_every: int = SPLIT_EVERY) -> Sums:
    """The combined sums of every partition of ``frame``, computed (see :func:`graph`)."""
    (sums,) = _dask().compute(graph(frame, p, split_every=split_every))
    return sums


def _combine(p: Plan, *parts: Sums) -> Sums:
    return combine(parts, p)


def harm_index(
    data: Any,
    p: Plan,
    *,
    complete: bool,
    population: pd.DataFrame | pd.Series | None,
    per: float,
    progress: Callable[[int], object] | None,
) -> pd.DataFrame:
    """:func:`crimeharm.harm_index` of a Dask DataFrame or Parquet path(s), with a plan.

    ``progress`` is called once, with the rows read, when every partition is
    done (Dask's own diagnostics follow the tasks).
    """
    sums = reduce(_frame(data, p.columns), p)
    if progress is not None:
        progress(int(sums.cells.rows.sum()))
    return finish(sums, p, complete=complete, population=population, per=per)


def aggregate(
    scored: Any,
    p: Plan,
    *,
    complete: bool,
    population: pd.DataFrame | pd.Series | None,
    per: float,
) -> pd.DataFrame:
    """:func:`crimeharm.aggregate` of a Dask DataFrame that :func:`score` returned."""
    return finish(
        reduce(_frame(scored, p.columns), p), p, complete=complete, population=population, per=per
    )


def provenance(scored: Any) -> dict[str, Any]:
    """The edition, sha256 and scheme a scored Dask DataFrame's ``meta`` carries (or none)."""
    meta = dict(scored._meta.attrs.get("crimeharm", {}))
    return {k: meta[k] for k in ("edition", "edition_sha256", "scheme") if k in meta}


def _score_partition(frame: pd.DataFrame, opts: ScoreOptions) -> pd.DataFrame:
    from crimeharm.scoring.rows import score_frame

    with warnings.catch_warnings():  # a partition's unknown codes: counted when summed
        warnings.simplefilter("ignore", UnknownCodeWarning)
        return score_frame(read_table(frame, require=opts.columns()), opts)


def score(data: Any, opts: ScoreOptions, *, new: Sequence[str]) -> Any:
    """:func:`crimeharm.score` of a Dask DataFrame: a Dask DataFrame, scored by partition.

    Its ``meta`` (the empty frame Dask keeps) carries the provenance in
    ``attrs``; each partition's summary is not kept (:func:`crimeharm.harm_index`
    or :func:`crimeharm.aggregate` give the summary of every record).
    """
    _dask()
    columns = list(data.columns)
    MissingColumnError.check(columns, opts.columns(), source="data")
    check_new_columns(
        columns,
        list(new),
        source="data",
        what="score",
        replaced="crimes" if opts.count == "crimes" else None,
    )
    meta = _score_partition(data._meta, opts)
    meta.attrs["crimeharm"] = {**opts.weights.provenance()}
    return data.map_partitions(_score_partition, _plan_key(opts), meta=meta)
