"""Where crimeharm's benchmark job spends its time and memory, function by function.

Wraps the functions of the streaming pipeline (reading a batch, scoring it,
group ids, accumulating, and the steps of building the result) and records for
each: calls, wall time, and the peak resident set size reached while it ran,
above the RSS at its entry (``VmHWM``, reset with ``/proc/self/clear_refs`` at
every entry and exit, so nested calls are measured too). Optionally also runs
cProfile and prints the top functions.

    python benchmarks/profile_crimeharm.py benchmarks/data/records-10m.parquet [--frame]
        [--full] [--cprofile 30]
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import job

MB = 1024 * 1024


class Tracer:
    """Wall time and peak-RSS-above-entry of wrapped functions, nesting allowed."""

    def __init__(self) -> None:
        self.stats: dict[str, dict] = {}
        self.stack: list[list] = []  # [name, t0, rss0, peak]

    def _fold(self) -> None:
        hwm = job.hwm_bytes() or 0
        for frame in self.stack:
            frame[3] = max(frame[3], hwm)
        job.reset_peak()

    def enter(self, name: str) -> None:
        self._fold()
        rss = job.rss_bytes()
        self.stack.append([name, time.perf_counter(), rss, rss])

    def exit(self) -> None:
        self._fold()
        name, t0, rss0, peak = self.stack.pop()
        s = self.stats.setdefault(
            name, {"calls": 0, "seconds": 0.0, "peak_above_entry_mb": 0.0, "retained_mb": 0.0}
        )
        s["calls"] += 1
        s["seconds"] += time.perf_counter() - t0
        s["peak_above_entry_mb"] = max(s["peak_above_entry_mb"], (peak - rss0) / MB)
        s["retained_mb"] += (job.rss_bytes() - rss0) / MB

    def wrap(self, owner, attr: str, name: str) -> None:
        fn = getattr(owner, attr, None)
        if fn is None:  # the library changed: trace what is there
            return

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            self.enter(name)
            try:
                return fn(*args, **kwargs)
            finally:
                self.exit()

        setattr(owner, attr, wrapper)

    def wrap_generator(self, owner, attr: str, name: str) -> None:
        fn = getattr(owner, attr)
        tracer = self

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            it = fn(*args, **kwargs)
            while True:
                tracer.enter(name)
                try:
                    item = next(it)
                except StopIteration:
                    return
                finally:
                    tracer.exit()
                yield item

        setattr(owner, attr, wrapper)


def instrument(tracer: Tracer) -> None:
    from crimeharm import _accumulate, _fused, aggregation, io, scoring

    tracer.wrap_generator(io.Source, "batches", "io.Source.batches (read one batch)")
    tracer.wrap(_fused, "prepare", "_fused.prepare (one pass: tables per batch)")
    tracer.wrap(_fused.Prepared, "add", "_fused.Prepared.add (worker thread)")
    tracer.wrap(scoring.Scorer, "codes", "scoring.Scorer.codes")
    tracer.wrap(scoring.Scorer, "score_batch", "scoring.Scorer.score_batch (column path)")
    tracer.wrap(_accumulate.Accumulator, "add", "_accumulate.Accumulator.add (column path)")
    tracer.wrap(_accumulate.Accumulator, "totals", "_accumulate.Accumulator.totals")
    tracer.wrap(_accumulate.Accumulator, "result", "_accumulate.Accumulator.result")
    tracer.wrap(_accumulate, "_occupied", "_accumulate._occupied")
    tracer.wrap(_accumulate, "_gather_chain", "_accumulate._gather_chain (pool thread)")
    tracer.wrap(aggregation, "_attach", "aggregation._attach")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path")
    ap.add_argument("--frame", action="store_true", help="run on the in-memory frame")
    ap.add_argument(
        "--full", action="store_true", help="the default call (excluded columns per row)"
    )
    ap.add_argument("--cprofile", type=int, default=0, help="print the top N of cProfile")
    ap.add_argument("--json", type=Path, help="write the table as JSON here")
    args = ap.parse_args(argv)

    tool = job.CrimeharmFull() if args.full else job.Crimeharm()
    tool.load("")
    data = job.read_frame(args.path) if args.frame else args.path
    tracer = Tracer()
    instrument(tracer)
    rss0 = job.rss_bytes()
    job.reset_peak()
    tracer.enter("harm_index (total)")
    if args.cprofile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        out = prof.runcall(tool.run, data)
    else:
        out = tool.run(data)
    tracer.exit()
    print(f"shims: {tool.shims}")
    print(f"rows out {len(out):,}; output frame {out.memory_usage(deep=True).sum() / MB:,.0f} MB")
    print(f"RSS before {rss0 / MB:,.0f} MB")
    print(f"{'function':<48}{'calls':>6}{'seconds':>9}{'peak+MB':>9}{'kept MB':>9}")
    for name, s in sorted(tracer.stats.items(), key=lambda kv: -kv[1]["seconds"]):
        print(
            f"{name:<48}{s['calls']:>6}{s['seconds']:>9.2f}"
            f"{s['peak_above_entry_mb']:>9.0f}{s['retained_mb']:>9.0f}"
        )
    if args.json:
        args.json.write_text(json.dumps(tracer.stats, indent=1))
    if args.cprofile:
        pstats.Stats(prof).sort_stats("tottime").print_stats(args.cprofile)


if __name__ == "__main__":
    main()
