"""Time ``crimeharm.series`` with a detection column against ``harm_index(excluded="columns")``.

The records are the benchmark's (``benchmarks/datagen.py``: LSOA, committed
date, Home Office classification, police-initiated flag) with a yes/no
``detected`` column added (20% true, its own seed: ``datagen.ensure_detected``),
or with ``--shaped FILE`` the shaped records of the scenarios (``datagen.py
--shaped``: sorted by date, codes in three written forms, unknown and
malformed codes, output areas) and their ``outcome`` column of data.police.uk
outcome texts, summed by ``--by`` (``lsoa`` or ``oa``).

Every call sums by area x month from the same Parquet file: ``harm_index``;
``series``, whose one pass keeps the detection column's values apart in the
sums (a split); and ``series-keyed``, the same series with the column summed
as an extra ``by`` key and the cells summed over it afterwards (the way
taken for a stream, a Dask frame, or more values than a split keeps). Each
run is a fresh process; the calls alternate, and the medians and the ratios
to ``harm_index`` are printed and written to
``benchmarks/results/series.json`` (``series-shaped-<by>.json`` for shaped
records; the target: ``series`` within 1.5x).

    python benchmarks/series.py                 # 10M rows, 5 runs of each
    python benchmarks/series.py --rows 1e6 --repeats 3
    python benchmarks/series.py --shaped DIR/shaped-10m.parquet --by oa
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import datagen  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

CALLS = ("harm_index", "series", "series-keyed")


def child(call: str, path: str, column: str, by: str) -> dict:
    """One timed call in this process."""
    t = time.perf_counter()
    import crimeharm
    from crimeharm.analysis import series as series_module

    weights = crimeharm.load_weights("cchi-2020")
    weights.index("ho_class")
    imported = time.perf_counter() - t
    kw = {
        "by": by,
        "period": "month",
        "date": "committed",
        "code": "offence_code",
        "code_system": "ho_class",
        "police_initiated": "police_initiated",
        "weights": weights,
    }
    t, cpu = time.perf_counter(), time.process_time()
    warnings.simplefilter("ignore")  # the shaped records' unknown codes
    if call == "series-keyed":  # the column as an extra by key, as for a stream
        series_module._splittable = lambda data: False  # type: ignore[attr-defined]
    try:
        if call.startswith("series"):
            out = crimeharm.series(path, detected=column, **kw)
            assert out.attrs["crimeharm"]["series"]["split"] is (call == "series")
        else:
            out = crimeharm.harm_index(path, excluded="columns", **kw)
    except crimeharm.SumsMemoryError as exc:  # a result too: this way cannot sum these records
        return {"call": call, "error": str(exc)}
    seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
    return {
        "call": call,
        "seconds": seconds,
        "cpu_s": cpu,  # all threads: less sensitive than seconds to a busy machine
        "setup_s": imported,
        "rows_out": len(out),
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,  # Linux: KiB
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=float, default=1e7)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--data", type=Path, default=HERE / "data")
    ap.add_argument("--shaped", type=Path, help="shaped records (datagen.py --shaped)")
    ap.add_argument("--by", choices=("lsoa", "oa"), default="lsoa")
    ap.add_argument("--out", type=Path, help="default: benchmarks/results/series[-shaped-BY].json")
    ap.add_argument("--column", help=argparse.SUPPRESS)
    ap.add_argument("--child", choices=CALLS, help=argparse.SUPPRESS)
    ap.add_argument("--path", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.path, args.column, args.by)))
        return 0
    if args.shaped is not None:
        path, column = args.shaped, "outcome"
        rows = pq.ParquetFile(path).metadata.num_rows
        out = args.out or HERE / "results" / f"series-shaped-{args.by}.json"
    else:
        rows = int(args.rows)
        path, column = datagen.ensure_detected(rows, args.data), "detected"
        out = args.out or HERE / "results" / "series.json"
    runs: dict[str, list[dict]] = {c: [] for c in CALLS}
    for _ in range(args.repeats):
        for call in CALLS:  # alternate, so that the load of the machine hits both alike
            proc = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    call,
                    "--path",
                    str(path),
                    "--column",
                    column,
                    "--by",
                    args.by,
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            if proc.returncode != 0:
                raise SystemExit(f"{call} failed:\n{proc.stderr}")
            runs[call].append(json.loads(proc.stdout.strip().splitlines()[-1]))
    done = {c: [r for r in runs[c] if "error" not in r] for c in CALLS}
    if not done["harm_index"]:
        raise SystemExit(f"harm_index failed: {runs['harm_index'][0]['error']}")

    def median(call: str, key: str) -> float | None:
        return statistics.median(r[key] for r in done[call]) if done[call] else None

    def ratio(a: float | None, b: float | None) -> float | None:
        return a / b if a is not None and b is not None else None

    medians = {c: median(c, "seconds") for c in CALLS}
    cpu = {c: median(c, "cpu_s") for c in CALLS}
    peak = {c: median(c, "peak_mib") for c in CALLS}
    result = {
        "rows": rows,
        "file": path.name,
        "by": args.by,
        "detected": column,
        "repeats": args.repeats,
        "median_s": medians,
        "min_s": {c: min((r["seconds"] for r in done[c]), default=None) for c in CALLS},
        "ratio_series_over_harm_index": ratio(medians["series"], medians["harm_index"]),
        "ratio_keyed_over_harm_index": ratio(medians["series-keyed"], medians["harm_index"]),
        "median_cpu_s": cpu,
        "median_peak_mib": peak,
        "cpu_ratio": ratio(cpu["series"], cpu["harm_index"]),
        "cpu_ratio_keyed": ratio(cpu["series-keyed"], cpu["harm_index"]),
        "rows_out": {c: done[c][0]["rows_out"] if done[c] else None for c in CALLS},
        "errors": {c: runs[c][0]["error"] for c in CALLS if not done[c]},
        "runs": runs,
        "cores": os.cpu_count(),
        "loadavg_end": os.getloadavg()[0],
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")

    def shown(value: float | None, unit: str = "") -> str:
        return "failed" if value is None else f"{value:.2f}{unit}"

    print(
        f"{rows:,} rows of {path.name} by {args.by}, detected={column!r}: "
        f"harm_index(excluded='columns') {shown(medians['harm_index'], ' s')}, series "
        f"{shown(medians['series'], ' s')} (ratio {shown(result['ratio_series_over_harm_index'])}),"
        f" series with the column as a key {shown(medians['series-keyed'], ' s')} (ratio "
        f"{shown(result['ratio_keyed_over_harm_index'])}); CPU {shown(cpu['harm_index'])}, "
        f"{shown(cpu['series'])} and {shown(cpu['series-keyed'])} s, ratios "
        f"{shown(result['cpu_ratio'])} and {shown(result['cpu_ratio_keyed'])}; peak memory "
        f"{shown(peak['harm_index'])}, {shown(peak['series'])} and "
        f"{shown(peak['series-keyed'])} MiB (medians of "
        f"{args.repeats}; load average {result['loadavg_end']:.1f} on {os.cpu_count()} cores)"
    )
    for call, error in result["errors"].items():
        print(f"{call}: {error}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
