"""Where crimeharm's benchmark job spends its time, function by function and thread by thread.

Wraps the functions of the streaming pipeline (reading a batch in the reading
thread, preparing it, adding it in the worker thread, the steps of building
the result) and records every call: its thread, start and end (ms since the
job started) and the CPU time its thread used meanwhile (``thread_time``; a
call whose CPU is well under its wall time was waiting, for the GIL, another
thread or a core). Prints calls, wall and CPU per function, the peak RSS, and
with ``--timeline`` every call in order. Optionally also runs cProfile (of the
calling thread only).

    python benchmarks/profile_crimeharm.py benchmarks/data/records-10m.parquet [--frame]
        [--full] [--engine numpy] [--timeline] [--cprofile 30]
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import job

MB = 1024 * 1024


class Tracer:
    """Calls of wrapped functions: name, thread, start, end, thread CPU (thread-safe)."""

    def __init__(self) -> None:
        self.t0 = time.perf_counter()
        self.events: list[tuple[str, str, float, float, float]] = []

    def _record(self, name: str, start: float, cpu0: float) -> None:
        end = time.perf_counter()
        self.events.append(
            (
                name,
                threading.current_thread().name,
                (start - self.t0) * 1e3,
                (end - self.t0) * 1e3,
                (time.thread_time() - cpu0) * 1e3,
            )
        )

    def wrap(self, owner, attr: str, name: str) -> None:
        fn = getattr(owner, attr, None)
        if fn is None:  # the library changed: trace what is there
            return
        tracer = self

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            start, cpu0 = time.perf_counter(), time.thread_time()
            try:
                return fn(*args, **kwargs)
            finally:
                tracer._record(name, start, cpu0)

        setattr(owner, attr, wrapper)

    def wrap_generator(self, owner, attr: str, name: str) -> None:
        fn = getattr(owner, attr)
        tracer = self

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            it = fn(*args, **kwargs)
            while True:
                start, cpu0 = time.perf_counter(), time.thread_time()
                try:
                    item = next(it)
                except StopIteration:
                    return
                finally:
                    tracer._record(name, start, cpu0)
                yield item

        setattr(owner, attr, wrapper)

    def table(self) -> dict[str, dict]:
        out: dict[str, dict] = {}
        for name, _, start, end, cpu in self.events:
            s = out.setdefault(name, {"calls": 0, "wall_ms": 0.0, "cpu_ms": 0.0})
            s["calls"] += 1
            s["wall_ms"] += end - start
            s["cpu_ms"] += cpu
        return out


def instrument(tracer: Tracer) -> None:
    from crimeharm._engine import base, compiled, fused, groups, numpy_engine
    from crimeharm.scoring import inputs as io
    from crimeharm.scoring import rules as scoring
    from crimeharm.scoring import sums as aggregation

    tracer.wrap_generator(io.Source, "batches", "io.Source.batches (read one batch)")
    tracer.wrap(fused, "prepare", "fused.prepare (one pass: tables per batch)")
    tracer.wrap(
        compiled.CompiledEngine, "_add_prepared", "CompiledEngine._add_prepared (worker thread)"
    )
    tracer.wrap(compiled.CompiledEngine, "_placed", "CompiledEngine._placed (map new sums)")
    tracer.wrap(groups.Ids, "lookup", "groups.Ids.lookup (areas)")
    tracer.wrap(scoring.Scorer, "codes", "scoring.Scorer.codes")
    tracer.wrap(scoring.Scorer, "score_batch", "scoring.Scorer.score_batch (column path)")
    tracer.wrap(base.Engine, "_add_rows", "Engine._add_rows (column path, worker thread)")
    tracer.wrap(base.Engine, "totals", "Engine.totals")
    tracer.wrap(base.Engine, "result", "Engine.result")
    for cls in (compiled.CompiledEngine, numpy_engine.NumpyEngine):
        tracer.wrap(cls, "_occupied", f"{cls.__name__}._occupied")
        tracer.wrap(cls, "_gather", f"{cls.__name__}._gather (pool thread)")
    tracer.wrap(aggregation, "_attach", "aggregation._attach")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path")
    ap.add_argument("--frame", action="store_true", help="run on the in-memory frame")
    ap.add_argument(
        "--full", action="store_true", help="the default call (excluded columns per row)"
    )
    ap.add_argument("--engine", choices=job.ENGINES, default="auto", help="crimeharm's engine=")
    ap.add_argument("--timeline", action="store_true", help="print every call in order")
    ap.add_argument("--cprofile", type=int, default=0, help="print the top N of cProfile")
    ap.add_argument("--json", type=Path, help="write the calls as JSON here")
    args = ap.parse_args(argv)

    tool = (job.CrimeharmFull if args.full else job.Crimeharm)(args.engine)
    tool.load("")
    data = job.read_frame(args.path) if args.frame else args.path
    tracer = Tracer()
    instrument(tracer)
    base = job.maxrss_bytes()
    tracer.t0 = time.perf_counter()
    if args.cprofile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        out = prof.runcall(tool.run, data)
    else:
        out = tool.run(data)
    total = (time.perf_counter() - tracer.t0) * 1e3
    engine = out.attrs["crimeharm"]["engine"]
    print(f"job {total:,.0f} ms; rows out {len(out):,}; engine {engine}")
    print(f"peak RSS {job.maxrss_bytes() / MB:,.0f} MB ({(job.maxrss_bytes() - base) / MB:,.0f} "
          "MB over the RSS before the job)")  # fmt: skip
    print(f"{'function':<48}{'calls':>6}{'wall ms':>10}{'CPU ms':>10}")
    table = tracer.table()
    for name, s in sorted(table.items(), key=lambda kv: -kv[1]["wall_ms"]):
        print(f"{name:<48}{s['calls']:>6}{s['wall_ms']:>10.1f}{s['cpu_ms']:>10.1f}")
    if args.timeline:
        print(f"\n{'call':<48}{'thread':<22}{'start':>8}{'end':>8}{'wall':>8}{'CPU':>8}")
        for name, thread, start, end, cpu in sorted(tracer.events, key=lambda e: e[2]):
            print(
                f"{name:<48}{thread[:21]:<22}{start:>8.1f}{end:>8.1f}{end - start:>8.1f}{cpu:>8.1f}"
            )
    if args.json:
        args.json.write_text(json.dumps({"total_ms": total, "events": tracer.events}, indent=1))
    if args.cprofile:
        pstats.Stats(prof).sort_stats("tottime").print_stats(args.cprofile)


if __name__ == "__main__":
    main()
