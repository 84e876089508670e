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
from collections.abc import Sequence
from dataclasses import dataclass
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
    InputFileError,
    MissingColumnError,
    OptionalDependencyError,
    OptionError,
    UnknownCodeWarning,
)
from crimeharm.scoring.inputs import check_new_columns, read_table
from crimeharm.scoring.options import ScoreOptions
from crimeharm.scoring.progress import Progress, progress_reporter

__all__ = [
    "SPLIT_EVERY",
    "ParquetFile",
    "aggregate",
    "graph",
    "harm_index",
    "parquet_files",
    "reduce",
    "score",
]

#: Partial sums combined per task in the tree reduction.
SPLIT_EVERY = 8
_PARQUET_SUFFIXES = (".parquet", ".parq", ".pq")
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


@dataclass(frozen=True)
class ParquetFile:
    """One Parquet file of an fsspec filesystem: one partition, read a row group at a time."""

    fs: Any
    path: str


def parquet_files(data: Any, *, columns: Sequence[str]) -> list[ParquetFile]:
    """The Parquet files of a path, folder, glob or list (local or remote, through fsspec).

    A folder is read recursively; names starting ``.`` or ``_`` are skipped,
    as on one machine. Storage options (credentials, endpoints) come from
    the environment, as fsspec reads them; for others, read the files with
    ``dask.dataframe.read_parquet(..., storage_options=...)`` and pass the frame.

    Raises
    ------
    OptionError
        For CSV paths or data that is not a path.
    InputFileError
        When no Parquet file is found.
    MissingColumnError
        When a needed column is not in the first file.
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
    _dask()
    import fsspec
    import pyarrow.parquet as pq

    fs, _, found = fsspec.core.get_fs_token_paths(names, mode="rb")
    files: list[ParquetFile] = []
    for path in found:
        if not fs.isdir(path):
            files.append(ParquetFile(fs, path))
            continue
        root = path.rstrip("/")
        for inner in sorted(fs.find(root)):
            rel = inner[len(root) :].strip("/").split("/")
            if inner.lower().endswith(_PARQUET_SUFFIXES) and not any(
                r.startswith(("_", ".")) for r in rel
            ):
                files.append(ParquetFile(fs, inner))
    if not files:
        raise InputFileError(f"no Parquet files in {names}", path=names[0])
    with fs.open(files[0].path, "rb") as fh:
        present = pq.read_schema(fh).names
    MissingColumnError.check(list(present), list(columns), source=files[0].path)
    return files


def _file_sums(file: ParquetFile, p: Plan) -> Sums:
    """One file's partial sums, read a row group at a time with text as dictionaries."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    def row_groups() -> Any:
        with file.fs.open(file.path, "rb") as fh:
            meta = pq.read_metadata(fh)
            schema = meta.schema.to_arrow_schema()
            text = [
                f.name
                for f in schema
                if f.name in p.columns
                and (pa.types.is_string(f.type) or pa.types.is_large_string(f.type))
            ]
            fh.seek(0)
            pf = pq.ParquetFile(fh, metadata=meta, read_dictionary=text)
            for i in range(pf.num_row_groups):
                yield pf.read_row_group(i, columns=p.columns)

    return partition_sums(row_groups(), p)


def _pieces(data: Any, p: Plan) -> tuple[list[Any], Any]:
    """The graph's partition tasks (a Dask DataFrame's partitions, or one per file) and plan."""
    from crimeharm.distributed import is_dask_frame

    dask = _dask()
    plan_key = _plan_key(p)
    if is_dask_frame(data):
        MissingColumnError.check(list(data.columns), p.columns, source="data")
        part = dask.delayed(partition_sums, pure=True)
        return [part(piece, plan_key) for piece in data[p.columns].to_delayed()], plan_key
    files = parquet_files(data, columns=p.columns)
    part = dask.delayed(_file_sums, pure=True)
    return [part(f, plan_key) for f in files], plan_key


def _plan_key(p: Any) -> Any:
    """The plan as one task of the graph (a literal): each worker fetches it once."""
    dask = _dask()
    return dask.delayed(p, name=f"crimeharm-plan-{uuid.uuid4().hex}", traverse=False)


def graph(data: Any, p: Plan, *, split_every: int = SPLIT_EVERY) -> Any:
    """The task graph of the combined sums: a ``dask.delayed`` object.

    One task per partition of a Dask DataFrame, or per Parquet file
    (:func:`partition_sums`), then combining tasks (:func:`combine`) of
    ``split_every`` sums each, level by level, to one; the plan is one key
    of the graph that the partition tasks share.

    Parameters
    ----------
    data : dask.dataframe.DataFrame, or Parquet path(s)
        With the plan's columns.
    p : Plan
    split_every : int
        Partial sums added per combining task, at least 2.
    """
    if isinstance(split_every, bool) or not isinstance(split_every, int) or split_every < 2:
        raise OptionError(f"split_every={split_every!r}; expected an int of at least 2")
    dask = _dask()
    level, plan_key = _pieces(data, p)
    add = dask.delayed(_combine, pure=True)
    while len(level) > 1:
        groups = [level[i : i + split_every] for i in range(0, len(level), split_every)]
        level = [add(plan_key, *g) if len(g) > 1 else g[0] for g in groups]
    return level[0]


def reduce(data: Any, p: Plan, *, split_every: int = SPLIT_EVERY) -> Sums:
    """The combined sums of every partition of ``data``, computed (see :func:`graph`)."""
    (sums,) = _dask().compute(graph(data, p, split_every=split_every))
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
    progress: Progress,
) -> pd.DataFrame:
    """:func:`crimeharm.harm_index` of a Dask DataFrame or Parquet path(s), with a plan.

    ``progress`` (as :func:`crimeharm.harm_index` takes it) is told the rows
    read once, when every partition is done (Dask's own diagnostics follow
    the tasks).
    """
    with progress_reporter(progress, total=None) as report:
        sums = reduce(data, p)
        if report is not None:
            report(int(sums.cells.rows.sum()))
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
    return finish(reduce(scored, p), p, complete=complete, population=population, per=per)


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
