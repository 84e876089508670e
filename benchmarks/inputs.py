"""Time ``crimeharm.harm_index`` on the same records held by pandas, pyarrow, polars and DuckDB.

The records are the benchmark's (``benchmarks/datagen.py``: LSOA, committed
date, Home Office classification, police-initiated flag). Each run is a fresh
process that first loads the Parquet file into the input's library (not
timed): a pandas DataFrame (``Table.to_pandas()``), a pyarrow Table, a polars
DataFrame (``polars.read_parquet``), a polars LazyFrame over that frame, and a
DuckDB relation over a DuckDB table (``CREATE TABLE ... AS SELECT * FROM
read_parquet(...)``), then times one ``harm_index`` by LSOA x month. The
DuckDB time includes DuckDB producing the Arrow stream, as a DuckDB user's
call would. The inputs alternate run by run, so that the machine's load hits
them alike; the medians are printed and written to
``benchmarks/results/inputs.json``, with the check that every input gives the
same table.

    python benchmarks/inputs.py                 # 10M rows, 5 runs of each
    python benchmarks/inputs.py --rows 1e6 --repeats 3
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import datagen  # noqa: E402

INPUTS = (
    "pandas",
    "arrow",
    "polars",
    "polars-lazy",
    "duckdb",
    "pandas-date32",
    "pandas-arrow-dtypes",
    "pandas-category",
    "pandas-tz",
)


def load(kind: str, path: str) -> tuple[object, object]:
    """The records in the input's library, and what must stay alive while they are read."""
    import pyarrow.parquet as pq

    if kind == "pandas":
        return pq.read_table(path).to_pandas(), None
    if kind == "arrow":
        return pq.read_table(path), None
    if kind.startswith("pandas-"):
        return pandas_variant(kind, pq.read_table(path)), None
    if kind in ("polars", "polars-lazy"):
        import polars as pl

        frame = pl.read_parquet(path)
        return (frame.lazy() if kind == "polars-lazy" else frame), None
    import duckdb

    con = duckdb.connect()
    con.execute(f"CREATE TABLE records AS SELECT * FROM read_parquet('{path}')")
    return con.table("records"), con


def pandas_variant(kind: str, table: object) -> object:
    """The records as a pandas frame whose columns have other dtypes (the same values).

    ``pandas-date32``: the date as ``date32[pyarrow]``; ``pandas-arrow-dtypes``: every
    column an ``ArrowDtype`` (``string[pyarrow]``, ``bool[pyarrow]``, ``timestamp[pyarrow]``);
    ``pandas-category``: text columns as categoricals; ``pandas-tz``: the date as
    ``datetime64[ns, Europe/London]`` (the same London dates).
    """
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    if kind == "pandas-arrow-dtypes":
        return table.to_pandas(types_mapper=pd.ArrowDtype)
    frame = table.to_pandas()
    if kind == "pandas-date32":
        dates = table.column("committed").cast(pa.date32())
        frame["committed"] = pd.Series(pd.arrays.ArrowExtensionArray(dates), index=frame.index)
    elif kind == "pandas-category":
        for col in frame.columns:
            if pd.api.types.is_string_dtype(frame[col].dtype):
                frame[col] = frame[col].astype("category")
    elif kind == "pandas-tz":
        naive = pd.Series(table.column("committed").cast(pa.timestamp("s")).to_numpy())
        frame["committed"] = naive.dt.tz_localize(
            "Europe/London", ambiguous=np.zeros(len(frame), dtype=bool), nonexistent="shift_forward"
        )
    else:
        raise SystemExit(f"unknown input {kind!r}")
    return frame


def digest(out: object) -> str:
    """A hash of the result's values, to check that every input gives the same table."""
    import pandas as pd

    frame = out.copy()
    for c in frame.columns:
        if isinstance(frame[c].dtype, pd.CategoricalDtype):
            frame[c] = frame[c].astype(object)
    text = frame.to_csv(index=False, float_format="%.6f")
    return hashlib.sha256(text.encode()).hexdigest()


def child(kind: str, path: str) -> dict:
    """One timed call in this process."""
    import crimeharm

    weights = crimeharm.load_weights("cchi-2020")
    weights.index("ho_class")
    t = time.perf_counter()
    data, keep = load(kind, path)
    loaded = time.perf_counter() - t
    kw = {
        "by": "lsoa",
        "period": "month",
        "date": "committed",
        "code": "offence_code",
        "code_system": "ho_class",
        "police_initiated": "police_initiated",
        "weights": weights,
        "progress": False,
    }
    t, cpu = time.perf_counter(), time.process_time()
    out = crimeharm.harm_index(data, **kw)
    seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
    del keep
    return {
        "input": kind,
        "seconds": seconds,
        "cpu_s": cpu,  # all threads: less sensitive than seconds to a busy machine
        "load_s": loaded,
        "rows_out": len(out),
        "digest": digest(out),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=float, default=1e7)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--inputs", nargs="+", choices=INPUTS, default=list(INPUTS))
    ap.add_argument("--data", type=Path, default=HERE / "data")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "inputs.json")
    ap.add_argument("--child", choices=INPUTS, help=argparse.SUPPRESS)
    ap.add_argument("--path", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.path)))
        return 0
    rows = int(args.rows)
    path = datagen.ensure_records(rows, args.data)
    runs: dict[str, list[dict]] = {k: [] for k in args.inputs}
    load_start = os.getloadavg()[0]
    for _ in range(args.repeats):
        for kind in args.inputs:
            proc = subprocess.run(
                [sys.executable, __file__, "--child", kind, "--path", str(path)],
                capture_output=True,
                text=True,
                check=False,
            )
            if proc.returncode != 0:
                raise SystemExit(f"{kind} failed:\n{proc.stderr}")
            runs[kind].append(json.loads(proc.stdout.strip().splitlines()[-1]))
    digests = {r["digest"] for rs in runs.values() for r in rs}
    medians = {k: statistics.median(r["seconds"] for r in runs[k]) for k in args.inputs}
    cpu = {k: statistics.median(r["cpu_s"] for r in runs[k]) for k in args.inputs}
    base = medians.get("arrow")
    result = {
        "rows": rows,
        "repeats": args.repeats,
        "call": "harm_index(by='lsoa', period='month')",
        "median_s": medians,
        "min_s": {k: min(r["seconds"] for r in runs[k]) for k in args.inputs},
        "median_cpu_s": cpu,
        "ratio_to_arrow": {k: v / base for k, v in medians.items()} if base else None,
        "identical_results": len(digests) == 1,
        "runs": runs,
        "cores": os.cpu_count(),
        "loadavg_start": load_start,
        "loadavg_end": os.getloadavg()[0],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    for k in args.inputs:
        ratio = f", {medians[k] / base:.2f}x the pyarrow Table" if base else ""
        print(f"{k:12s} {medians[k]:6.2f} s (CPU {cpu[k]:6.2f} s){ratio}")
    print(
        f"{rows:,} rows, medians of {args.repeats}; identical results: "
        f"{result['identical_results']}; load average {load_start:.1f} -> "
        f"{result['loadavg_end']:.1f} on {os.cpu_count()} cores"
    )
    return 0 if result["identical_results"] else 1


if __name__ == "__main__":
    sys.exit(main())
