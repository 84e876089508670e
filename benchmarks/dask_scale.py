"""Time the harm index on a folder of Parquet files: one process vs a 2-worker local Dask cluster.

The records are the benchmark's (``benchmarks/datagen.py``: LSOA, committed
date, Home Office classification, police-initiated flag), written as
``--files`` Parquet files of equal rows (1M-row row groups) from the same
seeded generator. Both runs sum by LSOA x month:

* ``single``: ``crimeharm.harm_index(folder)`` in a fresh process (its peak
  resident memory is read with ``getrusage``);
* ``dask``: ``crimeharm.harm_index("folder/*.parquet", engine="dask")`` (one task per
  file) on a
  ``LocalCluster(n_workers=2, processes=True, threads_per_worker=1)``; the
  partitions' sums and their combining (``crimeharm.distributed._dask.reduce``)
  are timed apart from building the output once (``finish``); each worker's
  peak resident memory is read on the worker.

It also measures the size of one partition's partial sums (pickled, as Dask
sends them) and the time to combine eight of them, and writes the arithmetic
of a run of ``--target-rows`` rows on ``--target-workers`` workers. The
figures go to ``benchmarks/results/dask_scale.json``.

    python benchmarks/dask_scale.py --rows 1e8 --files 20
    python benchmarks/dask_scale.py --rows 1e7 --files 10 --data /tmp/dask-bench
"""

from __future__ import annotations

import argparse
import json
import math
import os
import pickle
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import datagen  # noqa: E402

OPTIONS = {
    "by": "lsoa",
    "period": "month",
    "date": "committed",
    "police_initiated": "police_initiated",
}


def ensure_data(rows: int, files: int, folder: Path) -> Path:
    """Write ``rows`` records in ``files`` files under ``folder`` (kept when current)."""
    import pyarrow.parquet as pq

    marker = folder / "_SOURCE"
    meta = {"rows": rows, "files": files, "seed": datagen.SEED, "version": datagen.VERSION}
    if marker.is_file() and json.loads(marker.read_text()) == meta:
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.parquet"):
        old.unlink()
    gen = datagen.Generator(datagen.ho_classes())
    per_file = math.ceil(rows / files)
    done = 0
    t0 = time.perf_counter()
    for i in range(files):
        n_file = min(per_file, rows - done)
        with pq.ParquetWriter(folder / f"part-{i:03d}.parquet", gen.chunk(0).schema) as writer:
            left = n_file
            while left > 0:
                n = min(datagen.CHUNK_ROWS, left)
                writer.write_table(gen.chunk(n), row_group_size=datagen.CHUNK_ROWS)
                left -= n
        done += n_file
        print(f"  wrote {done:,} rows ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    marker.write_text(json.dumps(meta))
    return folder


def peak_rss_mb() -> float:
    """This process's peak resident memory (MB; Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    """User + system CPU time of this process so far (every thread)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def run_single(folder: Path) -> dict:
    """One process: harm_index over the folder (run in a fresh interpreter)."""
    import crimeharm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0, c0 = time.perf_counter(), cpu_seconds()
        out = crimeharm.harm_index(folder, **OPTIONS)
        seconds, cpu = time.perf_counter() - t0, cpu_seconds() - c0
    s = out.attrs["crimeharm"]["summary"]
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "peak_rss_mb": peak_rss_mb(),
        "rows_in": s["rows_in"],
        "crimes_included": s["crimes_included"],
        "harm_days_included": s["harm_days_included"],
        "output_rows": len(out),
        "engine": out.attrs["crimeharm"]["engine"],
    }


def run_dask(folder: Path, workers: int) -> dict:
    """harm_index with engine='dask' on a local cluster of ``workers`` processes."""
    from dask.distributed import Client, LocalCluster

    from crimeharm.distributed import _dask, finish
    from crimeharm.distributed.partials import records_plan
    from crimeharm.scoring.options import ScoreOptions

    t0 = time.perf_counter()
    cluster = LocalCluster(
        n_workers=workers, processes=True, threads_per_worker=1, dashboard_address=":0"
    )
    client = Client(cluster)
    started = time.perf_counter() - t0
    try:
        opts = ScoreOptions.make(date=OPTIONS["date"], police_initiated=OPTIONS["police_initiated"])
        p = records_plan(
            opts,
            by=OPTIONS["by"],
            period=OPTIONS["period"],
            excluded="columns",
            engine="auto",
            batch_rows=1 << 20,
        )
        frame = str(folder / "*.parquet")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cpu0 = client.run(cpu_seconds)
            t1 = time.perf_counter()
            sums = _dask.reduce(frame, p)
            t2 = time.perf_counter()
            out = finish(sums, p)
            t3 = time.perf_counter()
        worker_rss = client.run(peak_rss_mb)
        cpu1 = client.run(cpu_seconds)
        s = out.attrs["crimeharm"]["summary"]
        return {
            "cluster_start_seconds": started,
            "partitions": len(_dask.parquet_files(frame, columns=p.columns)),
            "reduce_seconds": t2 - t1,
            "finish_seconds": t3 - t2,
            "seconds": t3 - t1,
            "worker_peak_rss_mb": sorted(worker_rss.values()),
            "worker_cpu_seconds": sorted(cpu1[w] - cpu0[w] for w in cpu1 if w in cpu0),
            "client_peak_rss_mb": peak_rss_mb(),
            "combined_sums_mb": len(pickle.dumps(sums)) / 1e6,
            "combined_cells": len(sums.cells.group),
            "rows_in": s["rows_in"],
            "crimes_included": s["crimes_included"],
            "harm_days_included": s["harm_days_included"],
            "output_rows": len(out),
            "engine": out.attrs["crimeharm"]["engine"],
        }
    finally:
        client.close()
        cluster.close()


def partial_figures(folder: Path) -> dict:
    """One partition's (one file's) partial sums: rows, time, cells, pickled size; combining 8."""
    import fsspec
    import pyarrow.parquet as pq

    from crimeharm.distributed import _dask, combine, plan

    p = plan(**OPTIONS)
    first = sorted(folder.glob("*.parquet"))[0]
    file = _dask.ParquetFile(fsspec.filesystem("file"), str(first))  # as a file's task reads it
    rows = pq.ParquetFile(first).metadata.num_rows
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        sums = _dask._file_sums(file, p)
        scored = time.perf_counter() - t0
        t0 = time.perf_counter()
        combine([sums] * 8, p)
        combined = time.perf_counter() - t0
    return {
        "rows": rows,
        "seconds": scored,
        "cells": len(sums.cells.group),
        "pickled_mb": len(pickle.dumps(sums)) / 1e6,
        "combine_8_seconds": combined,
    }


def estimate(
    single: dict, dask: dict, part: dict, *, rows: int, workers: int, bandwidth_mb_s: float
) -> dict:
    """The arithmetic of ``rows`` rows on ``workers`` workers (one core each)."""
    # rows per CPU-second on the workers: what a core does when it is not shared (this machine's
    # two cores are shared with other work, so wall time per worker is not)
    per_core = dask["rows_in"] / sum(dask["worker_cpu_seconds"])
    partitions = math.ceil(rows / part["rows"])
    scoring = rows / (workers * per_core)
    levels = math.ceil(math.log(partitions, 8)) if partitions > 1 else 0
    # each level: a combine of 8 partial sums (measured) and their transfer (bandwidth assumed);
    # the partial sums of a level's tasks run side by side, so one task's time per level
    combine_level = part["combine_8_seconds"] + 8 * dask["combined_sums_mb"] / bandwidth_mb_s
    return {
        "rows": rows,
        "workers": workers,
        "rows_per_partition": part["rows"],
        "partitions": partitions,
        "per_core_rows_per_second": per_core,
        "single_process_rows_per_second": single["rows_in"] / single["seconds"],
        "single_process_rows_per_cpu_second": single["rows_in"] / single["cpu_seconds"],
        "scoring_seconds": scoring,
        "tree_levels": levels,
        "combine_seconds_per_level": combine_level,
        "combine_seconds": levels * combine_level,
        "finish_seconds": dask["finish_seconds"],
        "total_seconds": scoring + levels * combine_level + dask["finish_seconds"],
        "bandwidth_mb_s_assumed": bandwidth_mb_s,
        "partial_sums_mb_per_partition": part["pickled_mb"],
        "combined_sums_mb": dask["combined_sums_mb"],
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=float, default=1e8)
    ap.add_argument("--files", type=int, default=20)
    ap.add_argument("--data", type=Path, default=Path("/tmp/crimeharm-dask-bench"))
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--target-rows", type=float, default=5e9)
    ap.add_argument("--target-workers", type=int, default=50)
    ap.add_argument("--bandwidth", type=float, default=1000.0, help="MB/s between workers")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "dask_scale.json")
    ap.add_argument("--single-only", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.single_only is not None:  # the child process of the one-process run
        print(json.dumps(run_single(args.single_only)))
        return
    rows = int(args.rows)
    t0 = time.perf_counter()
    folder = ensure_data(rows, args.files, args.data / f"records-{rows}-{args.files}")
    generated = time.perf_counter() - t0
    child = subprocess.run(
        [sys.executable, __file__, "--single-only", str(folder)],
        check=True,
        capture_output=True,
        text=True,
    )
    single = json.loads(child.stdout.strip().splitlines()[-1])
    print(f"single: {single}", file=sys.stderr)
    dask = run_dask(folder, args.workers)
    print(f"dask: {dask}", file=sys.stderr)
    part = partial_figures(folder)
    print(f"partition: {part}", file=sys.stderr)
    for k in ("rows_in", "output_rows"):
        if single[k] != dask[k]:
            raise SystemExit(f"{k} differ: one process {single[k]}, dask {dask[k]}")
    est = estimate(
        single,
        dask,
        part,
        rows=int(args.target_rows),
        workers=args.target_workers,
        bandwidth_mb_s=args.bandwidth,
    )
    result = {
        "rows": rows,
        "files": args.files,
        "generation_seconds": generated,
        "load": os.getloadavg(),
        "cores": os.cpu_count(),
        "single": single,
        "dask": dask,
        "partition": part,
        "estimate": est,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
