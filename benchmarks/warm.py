"""Warm, in-process timings on a 1M-row pandas frame (the figures quoted for issue #3).

    python benchmarks/warm.py [PARQUET]

Reads the harness's 1M-row file (``benchmarks/run.py`` writes it) into a pandas frame, runs each
call once to warm up, then reports the median of 5 runs. Unlike ``run.py`` (a fresh process per
run), this leaves out one-off costs: imports, the first call, mapping the memory of new sums.
"""

from __future__ import annotations

import statistics
import sys
import time
import warnings
from pathlib import Path

import pandas as pd

import crimeharm

HERE = Path(__file__).resolve().parent


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "data" / "records-1m.parquet"
    frame = pd.read_parquet(path, to_pandas_kwargs={"date_as_object": False})
    w = crimeharm.load_weights()
    kw = {"date": "committed", "code": "offence_code", "code_system": "ho_class",
          "police_initiated": "police_initiated", "weights": w}  # fmt: skip
    jobs = {
        "harm_index by lsoa x month": lambda: crimeharm.harm_index(
            frame, by="lsoa", period="month", **kw
        ),
        "harm_index by lsoa x month, excluded='summary'": lambda: crimeharm.harm_index(
            frame, by="lsoa", period="month", excluded="summary", **kw
        ),
        "harm_index totals": lambda: crimeharm.harm_index(frame, **kw),
        "score (one row per record)": lambda: crimeharm.score(frame, **kw),
    }
    engine = jobs["harm_index totals"]().attrs["crimeharm"]["engine"]
    print(f"{len(frame):,} rows, engine {engine}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, job in jobs.items():
            job()
            times = []
            for _ in range(5):
                t = time.perf_counter()
                job()
                times.append(time.perf_counter() - t)
            m = statistics.median(times)
            print(f"| {name} | {m:.3f} s | {len(frame) / m / 1e6:.2f}M rows/s |")


if __name__ == "__main__":
    main()
