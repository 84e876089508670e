"""Benchmark of ``crimeharm.allocation.allocate`` at 1,000, 10,000 and 100,000 areas.

Each size runs in a fresh process: the areas table is made (synthetic, seeded: harm sums in CHI
days with one decimal, crimes and residents as LSOA-sized integers), ``allocate`` is timed
``--repeats`` times with the LLR formula (harm 0.65, crime rate 0.20, population 0.15) and a pot
of GBP 639,675, and the median is kept. The process's peak resident set size
(``ru_maxrss``, the interpreter and libraries included) is taken after the timed runs; peak memory
is then measured in a further call under :mod:`tracemalloc` (Python allocations made by
``allocate``). Every run checks that the amounts add up to the
pot to the penny, and that the result is the same on every repeat.

    python benchmarks/allocation.py                         # 1k, 10k, 100k areas, 3 repeats
    python benchmarks/allocation.py --areas 300 1000 --repeats 1
    python benchmarks/allocation.py --docs                  # also write docs/allocation.md

``--docs`` writes the table into docs/allocation.md between ``<!-- speed:start -->`` and
``<!-- speed:end -->``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DOCS = HERE.parent / "docs" / "allocation.md"
START, END = "<!-- speed:start -->", "<!-- speed:end -->"
TERMS = {"harm": 0.65, "crime_rate": 0.20, "population": 0.15}
TOTAL = 639675
MB = 1024 * 1024


def areas(n: int, seed: int = 11):
    """``n`` synthetic areas: ``area``, ``harm`` (CHI days, one decimal), crimes, population."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "area": [f"E01{i:06d}" for i in rng.permutation(n)],
            "harm": np.round(rng.lognormal(8.0, 1.2, n), 1),
            "crimes": rng.poisson(120, n),
            "population": rng.integers(1000, 3000, n),
        }
    )


def child(n: int, repeats: int, *, trace: bool) -> dict:
    """Time ``allocate`` on ``n`` areas in this process; return the figures."""
    import resource
    import tracemalloc

    from crimeharm.allocation import allocate

    table = areas(n)
    times, cpu, first = [], [], None
    for _ in range(repeats):
        start, used = time.perf_counter(), time.process_time()
        out = allocate(table, total=TOTAL, terms=TERMS)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - used)
        pence = out["amount_pence"].tolist()
        if sum(int(p) for p in pence) != TOTAL * 100:
            raise SystemExit(f"{n} areas: amounts do not add up to the pot")
        if first is not None and pence != first:
            raise SystemExit(f"{n} areas: a repeat gave a different allocation")
        first = pence
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB elsewhere
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale  # before tracemalloc's own
    peak = float("nan")
    if trace:
        tracemalloc.start()
        allocate(table, total=TOTAL, terms=TERMS)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return {
        "areas": n,
        "repeats": repeats,
        "median_s": statistics.median(times),
        "min_s": min(times),
        "median_cpu_s": statistics.median(cpu),
        "traced_peak_mb": peak / MB,
        "max_rss_mb": rss / MB,
    }


def run(n: int, repeats: int, timeout: float | None, *, trace: bool) -> dict:
    """Run one size in a fresh process."""
    command = [sys.executable, __file__, "--child", str(n), "--repeats", str(repeats)]
    command += [] if trace else ["--no-trace"]
    proc = subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, check=False, env=dict(os.environ)
    )
    if proc.returncode != 0:
        raise SystemExit(f"{n} areas failed:\n{proc.stdout}{proc.stderr}")
    return json.loads(proc.stdout)


def table(results: list[dict]) -> str:
    """The results as a Markdown table."""
    lines = [
        "| areas | median time (s) | median CPU time (s) | peak Python memory in `allocate` (MB) "
        "| process peak RSS, all included (MB) |",
        "|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['areas']:,} | {r['median_s']:.3f} | {r['median_cpu_s']:.3f} "
            f"| {r['traced_peak_mb']:.0f} | {r['max_rss_mb']:.0f} |"
        )
    return "\n".join(lines)


def machine() -> str:
    import numpy as np
    import pandas as pd

    return (
        f"Python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}, "
        f"{platform.machine()}, {os.cpu_count()} CPU(s)"
    )


def write_docs(results: list[dict], repeats: int, load: float) -> None:
    text = DOCS.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise SystemExit(f"{DOCS} has no {START} ... {END} markers")
    note = (
        f"Median of {repeats} runs, each size in a fresh process; {machine()}; load average "
        f"{load:.1f} at the start (on a shared machine wall time exceeds CPU time). "
        f"Regenerate with `python benchmarks/allocation.py --docs`."
    )
    body = f"{START}\n{table(results)}\n\n{textwrap.fill(note, 100)}\n{END}"
    head, rest = text.split(START, 1)
    DOCS.write_text(head + body + rest.split(END, 1)[1], encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--areas", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=None, help="seconds per size")
    parser.add_argument("--docs", action="store_true", help="write the table to the docs")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    parser.add_argument(
        "--no-trace", action="store_true", help="skip the tracemalloc run (RSS only)"
    )
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        print(json.dumps(child(args.child, args.repeats, trace=not args.no_trace)))
        return 0
    load = os.getloadavg()[0]
    results = []
    for n in args.areas:
        results.append(run(n, args.repeats, args.timeout, trace=not args.no_trace))
        r = results[-1]
        print(
            f"{n:>9,} areas: {r['median_s']:8.3f} s median ({r['median_cpu_s']:.3f} s CPU), "
            f"{r['traced_peak_mb']:6.0f} MB traced, {r['max_rss_mb']:6.0f} MB RSS",
            flush=True,
        )
    print()
    print(table(results))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    if args.docs:
        write_docs(results, args.repeats, load)
    return 0


if __name__ == "__main__":
    sys.exit(main())
