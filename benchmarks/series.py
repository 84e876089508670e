"""Time ``crimeharm.series`` with a detected column against ``harm_index(excluded="columns")``.

The records are the benchmark's (``benchmarks/datagen.py``: LSOA, committed
date, Home Office classification, police-initiated flag) with a yes/no
``detected`` column added (20% true, its own seed: ``datagen.ensure_detected``).
Both calls sum by LSOA x month from the same Parquet file; ``series`` does it
in one ``harm_index`` pass with ``detected`` as an extra ``by`` key (the
compiled engine's one-pass loop takes several ``by`` columns), then reads the
cells through the vocabulary and sums them over it. Each run is a fresh
process; the two calls alternate, and the medians and their ratio are printed
and written to ``benchmarks/results/series.json`` (the target: within 1.5x).

    python benchmarks/series.py                 # 10M rows, 5 runs of each
    python benchmarks/series.py --rows 1e6 --repeats 3
"""

from __future__ import annotations

import argparse
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

CALLS = ("harm_index", "series")


def child(call: str, path: str) -> dict:
    """One timed call in this process."""
    t = time.perf_counter()
    import crimeharm

    weights = crimeharm.load_weights("cchi-2020")
    weights.index("ho_class")
    imported = time.perf_counter() - t
    kw = {
        "by": "lsoa",
        "period": "month",
        "date": "committed",
        "code": "offence_code",
        "code_system": "ho_class",
        "police_initiated": "police_initiated",
        "weights": weights,
    }
    t, cpu = time.perf_counter(), time.process_time()
    if call == "series":
        out = crimeharm.series(path, detected="detected", **kw)
    else:
        out = crimeharm.harm_index(path, excluded="columns", **kw)
    seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
    return {
        "call": call,
        "seconds": seconds,
        "cpu_s": cpu,  # all threads: less sensitive than seconds to a busy machine
        "setup_s": imported,
        "rows_out": len(out),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=float, default=1e7)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--data", type=Path, default=HERE / "data")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "series.json")
    ap.add_argument("--child", choices=CALLS, help=argparse.SUPPRESS)
    ap.add_argument("--path", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.path)))
        return 0
    rows = int(args.rows)
    path = datagen.ensure_detected(rows, args.data)
    runs: dict[str, list[dict]] = {c: [] for c in CALLS}
    for _ in range(args.repeats):
        for call in CALLS:  # alternate, so that the load of the machine hits both alike
            proc = subprocess.run(
                [sys.executable, __file__, "--child", call, "--path", str(path)],
                capture_output=True,
                text=True,
                check=False,
            )
            if proc.returncode != 0:
                raise SystemExit(f"{call} failed:\n{proc.stderr}")
            runs[call].append(json.loads(proc.stdout.strip().splitlines()[-1]))
    medians = {c: statistics.median(r["seconds"] for r in runs[c]) for c in CALLS}
    cpu = {c: statistics.median(r["cpu_s"] for r in runs[c]) for c in CALLS}
    result = {
        "rows": rows,
        "repeats": args.repeats,
        "median_s": medians,
        "min_s": {c: min(r["seconds"] for r in runs[c]) for c in CALLS},
        "ratio_series_over_harm_index": medians["series"] / medians["harm_index"],
        "median_cpu_s": cpu,
        "cpu_ratio": cpu["series"] / cpu["harm_index"],
        "rows_out": {c: runs[c][0]["rows_out"] for c in CALLS},
        "runs": runs,
        "cores": os.cpu_count(),
        "loadavg_end": os.getloadavg()[0],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(
        f"{rows:,} rows: harm_index(excluded='columns') {medians['harm_index']:.2f} s, "
        f"series(detected=...) {medians['series']:.2f} s, ratio "
        f"{result['ratio_series_over_harm_index']:.2f}; CPU {cpu['harm_index']:.2f} s and "
        f"{cpu['series']:.2f} s, ratio {result['cpu_ratio']:.2f} (medians of {args.repeats}; "
        f"load average {result['loadavg_end']:.1f} on {os.cpu_count()} cores)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
