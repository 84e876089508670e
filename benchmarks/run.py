"""Benchmark harness: crimeharm against DuckDB, polars and pandas on one harm-index job.

The job (see ``benchmarks/job.py``): score records with ``cchi-2020`` by Home
Office classification, exclude police-generated offences and records flagged
``police_initiated``, and sum harm (days) and count crimes by LSOA x month.
Every tool runs it from a Parquet file and from the same in-memory pandas
DataFrame, each run in a fresh process (peak RSS is that process's); loading
the weights is timed apart from the job. All tools must give the same groups
and sums (relative 1e-9), and crimeharm must give the same answer from a
folder of Parquet files as from the one file.

    python benchmarks/run.py                       # 1M and 10M rows, 3 repeats
    python benchmarks/run.py --rows 1e6 1e7 --repeats 5
    python benchmarks/run.py --rows 1e8            # streaming: crimeharm from Parquet only
    python benchmarks/run.py --quick               # CI: 200k rows, 1 repeat, no docs
    python benchmarks/run.py --engine numpy        # crimeharm with engine="numpy"

Writes ``results.json`` and ``results.csv`` to ``--out`` (benchmarks/results/)
and, unless ``--quick`` or ``--no-docs``, the summary table into
docs/benchmarks.md between ``<!-- results:start -->`` and
``<!-- results:end -->``. The harness process itself imports no data library,
so that its own memory does not leak into the children's ``ru_maxrss``.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TOOLS = ("crimeharm", "crimeharm-full", "duckdb", "polars", "pandas")
CRIMEHARM = ("crimeharm", "crimeharm-full")
SOURCES = ("parquet", "frame")
START, END = "<!-- results:start -->", "<!-- results:end -->"
MB = 1024 * 1024
#: Above this many rows only crimeharm runs (both calls), from Parquet (the streaming run).
STREAM_ROWS = 20_000_000


# ------------------------------------------------------------------ helpers
def label(rows: int) -> str:
    """``1m``, ``10m``, ``200k``, ``20k``, ``100m``."""
    for unit, div in (("m", 1_000_000), ("k", 1_000)):
        if rows % div == 0:
            return f"{rows // div}{unit}"
    return str(rows)


def child_env() -> dict:
    """The children import the installed crimeharm (``pip install '.[bench]'``), whose
    compiled loops are built at install; a source tree on ``PYTHONPATH`` takes
    precedence, as usual, and then needs them built in place."""
    return dict(os.environ)


def run_child(args: list[str], *, timeout: float) -> tuple[int, str, str, float]:
    t = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        env=child_env(),
        timeout=timeout,
        check=False,
    )
    return proc.returncode, proc.stdout, proc.stderr, time.perf_counter() - t


def last_json(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


def machine_info(engine: str) -> dict:
    code = (
        "import json, importlib.metadata as md, crimeharm\n"
        "from crimeharm._engine import new_engine\n"
        f"engine = new_engine({engine!r}, [], None).name\n"
        "v = {'crimeharm': crimeharm.__version__, 'engine': engine}\n"
        "for p in ('numpy', 'pandas', 'pyarrow', 'duckdb', 'polars'):\n"
        "    try: v[p] = md.version(p)\n"
        "    except md.PackageNotFoundError: v[p] = None\n"
        "print(json.dumps(v))"
    )
    rc, out, err, _ = run_child(["-c", code], timeout=60)
    versions = json.loads(out) if rc == 0 else {"error": err[-500:]}
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass

    def git(*a: str) -> str:
        try:
            return subprocess.run(
                ["git", *a], cwd=ROOT, capture_output=True, text=True, check=False
            ).stdout.strip()
        except OSError:
            return ""

    return {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu": cpu,
        "memory_gb": mem,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions,
        "git_commit": git("rev-parse", "--short", "HEAD"),
        "src_modified": [line[3:] for line in git("status", "--porcelain", "src").splitlines()],
    }


# --------------------------------------------------------------------- data
def ensure_data(rows: int, data_dir: Path, *, parts: int, split: bool, timeout: float) -> dict:
    path = data_dir / f"records-{label(rows)}.parquet"
    args = [
        str(HERE / "datagen.py"),
        "--rows",
        str(rows),
        "--out",
        str(path),
        "--weights",
        str(data_dir / "weights-ho_class.parquet"),
    ]
    if split:
        args += ["--split", str(data_dir / f"records-{label(rows)}"), "--parts", str(parts)]
    rc, out, err, secs = run_child(args, timeout=timeout)
    if rc != 0:
        raise SystemExit(f"generating {rows:,} rows failed:\n{err}")
    info = last_json(out)[-1]
    info.update(
        label=label(rows),
        weights=str(data_dir / "weights-ho_class.parquet"),
        split=str(data_dir / f"records-{label(rows)}") if split else None,
        seconds=round(secs, 2),
    )
    return info


# --------------------------------------------------------------------- jobs
def job_args(tool: str, source: str, data: dict, result: Path | None, opts) -> list[str]:
    path = data["split"] if source == "dataset" else data["path"]
    args = [
        str(HERE / "job.py"),
        "--tool",
        tool,
        "--source",
        source,
        "--path",
        path,
        "--weights",
        data["weights"],
        "--threads",
        str(opts.threads),
        "--strings",
        opts.strings,
        "--engine",
        opts.engine,
    ]
    if result is not None:
        args += ["--result", str(result)]
    return args


def run_job(tool: str, source: str, data: dict, repeat: int, result: Path | None, opts) -> dict:
    rc, out, err, secs = run_child(job_args(tool, source, data, result, opts), timeout=opts.timeout)
    recs = last_json(out)
    rec = recs[-1] if recs else {"tool": tool, "source": source, "ok": False}
    if not recs:
        rec["error"] = f"exit {rc}: {err[-2000:]}"
    rec.update(rows=data["rows"], repeat=repeat, process_s=round(secs, 3))
    status = f"{rec['job_s']:.3f}s" if rec.get("ok") else f"FAILED {rec.get('error', '')[:200]}"
    print(f"  {label(data['rows']):>5} {tool:<14} {source:<8} #{repeat}  {status}", flush=True)
    return rec


def plan(rows: int, opts) -> list[tuple[str, str]]:
    if rows > STREAM_ROWS and not opts.all_tools_big:
        return [(t, "parquet") for t in opts.tools if t in CRIMEHARM]
    return [(t, s) for t in opts.tools for s in opts.sources]


def run_size(rows: int, opts, work: Path) -> dict:
    split = opts.dataset and rows <= STREAM_ROWS
    data = ensure_data(rows, opts.data_dir, parts=opts.parts, split=split, timeout=opts.timeout)
    print(
        f"{rows:,} rows: {data['path']} ({data['bytes'] / MB:,.0f} MB Parquet, "
        f"{data['arrow_nbytes'] / MB:,.0f} MB Arrow)",
        flush=True,
    )
    pairs = plan(rows, opts)
    tasks = []
    repeats = opts.stream_repeats if rows > STREAM_ROWS else opts.repeats
    for r in range(repeats):
        for tool, source in pairs:
            res = work / f"{label(rows)}-{tool}-{source}.parquet" if r == 0 else None
            tasks.append((tool, source, r, res))
    if split:
        for tool in [t for t in opts.tools if t in CRIMEHARM]:
            tasks.append((tool, "dataset", 0, work / f"{label(rows)}-{tool}-dataset.parquet"))
    if opts.jobs > 1:
        with ThreadPoolExecutor(opts.jobs) as ex:
            runs = list(ex.map(lambda t: run_job(t[0], t[1], data, t[2], t[3], opts), tasks))
    else:
        runs = [run_job(tool, source, data, r, res, opts) for tool, source, r, res in tasks]
    checks = check(rows, runs, work, opts)
    return {"data": data, "runs": runs, "checks": checks}


def check(rows: int, runs: list[dict], work: Path, opts) -> list[dict]:
    results = [r for r in runs if r.get("ok") and r.get("result")]
    ref = next((r for r in results if r["tool"] == "crimeharm" and r["source"] == "parquet"), None)
    ref = ref or next((r for r in results if r["tool"] == "crimeharm"), None)
    if ref is None:
        return [{"ok": False, "error": "no crimeharm result to compare with"}]
    others = [r for r in results if r is not ref]
    if not others:
        return []
    _, out, err, _ = run_child(
        [str(HERE / "compare.py"), ref["result"], *(r["result"] for r in others)],
        timeout=opts.timeout,
    )
    recs = last_json(out)
    if len(recs) != len(others):
        return [{"ok": False, "error": f"compare failed: {err[-2000:]}"}]
    for rec, run in zip(recs, others, strict=True):
        rec.update(
            tool=run["tool"], source=run["source"], reference=f"{ref['tool']}/{ref['source']}"
        )
        rec.pop("path", None)
    return recs


# ------------------------------------------------------------------ shaped scenarios
#: The shaped scenarios (``job.SCENARIOS``), in the order of the docs table.
SCENARIOS = (
    "sorted",
    "sorted-default",
    "numpy-engine",
    "small-row-groups",
    "frame",
    "csv-iso",
    "csv-uk",
    "output-areas",
    "csp-fy",
    "lsoa-fy",
    "rows",
    "small-calls",
    "import",
)
SCENARIO_TOOLS = ("crimeharm", "duckdb", "polars")
#: Scenarios whose DuckDB and polars job is another's: their peers are not run again.
SAME_PEERS = {"sorted-default": "sorted", "numpy-engine": "sorted"}
#: The file each scenario reads (keys of datagen.ensure_shaped's paths).
SCENARIO_FILES = {
    "small-row-groups": "duckdb",
    "csv-iso": "csv-iso",
    "csv-uk": "csv-uk",
}
S_START, S_END = "<!-- scenarios:start -->", "<!-- scenarios:end -->"


def ensure_shaped(rows: int, csv_rows: int, data_dir: Path, timeout: float) -> dict:
    weights = data_dir / "weights-ho_class.parquet"
    args = [
        str(HERE / "datagen.py"),
        "--rows",
        str(rows),
        "--csv-rows",
        str(csv_rows),
        "--shaped",
        str(data_dir),
        "--weights",
        str(weights),
    ]
    rc, out, err, secs = run_child(args, timeout=timeout)
    if rc != 0:
        raise SystemExit(f"generating the shaped records failed:\n{err}")
    info = last_json(out)[-1]
    info.update(weights=str(weights), seconds=round(secs, 2))
    return info


def scenario_tools(name: str, only: list[str] | None = None) -> tuple[str, ...]:
    if name == "import":
        tools: tuple[str, ...] = (*SCENARIO_TOOLS, "pandas")
    elif name in SAME_PEERS:
        tools = ("crimeharm",)
    else:
        tools = SCENARIO_TOOLS
    return tuple(t for t in tools if only is None or t in only)


def run_scenario_job(name: str, tool: str, data: dict, repeat: int, result, opts) -> dict:
    path = data["paths"][SCENARIO_FILES.get(name, "parquet")]
    args = [
        str(HERE / "job.py"),
        "--scenario",
        name,
        "--tool",
        tool,
        "--path",
        path,
        "--weights",
        data["weights"],
        "--threads",
        str(opts.threads),
        "--calls",
        str(opts.calls),
    ]
    if result is not None:
        args += ["--result", str(result)]
    rc, out, err, secs = run_child(args, timeout=opts.timeout)
    recs = last_json(out)
    rec = recs[-1] if recs else {"scenario": name, "tool": tool, "ok": False}
    if not recs:
        rec["error"] = f"exit {rc}: {err[-2000:]}"
    rec.update(repeat=repeat, process_s=round(secs, 3))
    status = f"{rec['job_s']:.3f}s" if rec.get("ok") else f"FAILED {rec.get('error', '')[:200]}"
    print(f"  {name:<17} {tool:<10} #{repeat}  {status}", flush=True)
    return rec


def run_scenarios(opts, work: Path) -> dict:
    rows = int(opts.scenario_rows)
    csv_rows = int(opts.csv_rows) if opts.csv_rows else max(rows // 2, 1)
    data = ensure_shaped(rows, csv_rows, opts.data_dir, opts.timeout)
    data["csv_rows"] = csv_rows
    print(f"shaped scenarios: {rows:,} rows (CSV {csv_rows:,}): {data['paths']}", flush=True)
    tasks = []
    for r in range(opts.repeats):  # interleaved: every scenario and tool once per repeat
        for name in opts.scenarios:
            for tool in scenario_tools(name, opts.scenario_tools):
                keep = r == 0 and name != "import"
                tasks.append((name, tool, r, work / f"s-{name}-{tool}.parquet" if keep else None))
    runs = [run_scenario_job(n, t, data, r, res, opts) for n, t, r, res in tasks]
    if opts.peers_from is not None:  # the peers' runs of an earlier run on the same records
        earlier = json.loads(Path(opts.peers_from).read_text())
        runs += [dict(r, earlier=True) for r in earlier["runs"] if r["tool"] != "crimeharm"]
    checks = []
    for name in opts.scenarios:
        if name == "import":
            continue
        mine = [x for x in runs if x["scenario"] == name and x.get("result")]
        ref = next((x for x in mine if x["tool"] == "crimeharm"), None)
        peer_name = SAME_PEERS.get(name, name)
        peers = [
            x
            for x in runs
            if x["scenario"] == peer_name and x.get("result") and x["tool"] != "crimeharm"
        ]
        if opts.peers_from is not None:  # their results are gone with that run's files
            peers = [x for x in peers if not x.get("earlier")]
            if ref is not None and not peers:
                continue
        if ref is None or not peers:
            checks.append({"scenario": name, "ok": False, "error": "no results to compare"})
            continue
        _, out, err, _ = run_child(
            [str(HERE / "compare.py"), ref["result"], *(x["result"] for x in peers)],
            timeout=opts.timeout,
        )
        recs = last_json(out)
        if len(recs) != len(peers):
            checks.append({"scenario": name, "ok": False, "error": f"compare: {err[-1000:]}"})
            continue
        for rec, peer in zip(recs, peers, strict=True):
            rec.pop("path", None)
            rec.update(scenario=name, tool=peer["tool"])
            checks.append(rec)
    return {"data": data, "runs": runs, "checks": checks}


def summarise_scenarios(shaped: dict) -> list[dict]:
    by: dict[tuple[str, str], list[dict]] = {}
    for r in shaped["runs"]:
        by.setdefault((r["scenario"], r["tool"]), []).append(r)
    out = []
    for (name, tool), runs in by.items():
        ok = [r for r in runs if r.get("ok")]
        row = {"scenario": name, "tool": tool, "runs": len(runs), "ok_runs": len(ok)}
        if ok:
            frame = "rss_after_frame" in ok[0]
            base = "rss_after_frame" if frame else "maxrss_after_import"
            row.update(
                median_s=statistics.median(r["job_s"] for r in ok),
                min_s=min(r["job_s"] for r in ok),
                call_s=statistics.median(r.get("call_s") or r["job_s"] for r in ok),
                cpu_s=statistics.median(r.get("job_cpu_s", float("nan")) for r in ok),
                peak_rss_mb=max(r["maxrss"] for r in ok) / MB,
                peak_over_baseline_mb=max(r["maxrss"] - r[base] for r in ok) / MB,
                groups=ok[0]["groups"],
                loadavg_max=max(
                    max(r.get("loadavg_start", 0), r.get("loadavg_end", 0)) for r in ok
                ),
            )
        out.append(row)
    return out


def scenario_table(shaped: dict, summary: list[dict], machine: dict, repeats: int) -> str:
    d = shaped["data"]
    t = {(r["scenario"], r["tool"]): r for r in summary if "median_s" in r}
    ok = {}
    for c in shaped["checks"]:
        ok.setdefault(c["scenario"], []).append(c.get("ok", False))
    v = machine["versions"]
    loads = [r["loadavg_max"] for r in summary if "loadavg_max" in r]
    lines = [
        f"Run {machine['date']} on {machine['cores']} cores, crimeharm {v.get('crimeharm')} "
        f"(commit {machine['git_commit']}{', src modified' if machine['src_modified'] else ''}; "
        f"{v.get('engine')} loops), duckdb {v.get('duckdb')} (threads=2), polars "
        f"{v.get('polars')}; {d['rows']:,} records ({d['csv_rows']:,} in the CSV files); "
        f"median of {repeats} interleaved fresh process(es); load average up to "
        f"{max(loads, default=0):.1f}.",
        "",
        "| scenario | crimeharm s | DuckDB s | polars s | DuckDB / crimeharm | "
        "polars / crimeharm | crimeharm MB | DuckDB MB | polars MB | same answer |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name in [n for n in SCENARIOS if any(k[0] == n for k in t)]:
        peer = SAME_PEERS.get(name, name)
        c, dk, pl_ = t.get((name, "crimeharm")), t.get((peer, "duckdb")), t.get((peer, "polars"))
        key = "call_s" if name == "small-calls" else "median_s"

        def secs(r, key=key) -> str:
            if r is None:
                return ""
            return f"{r[key] * 1000:.1f} ms" if key == "call_s" else f"{r[key]:.2f}"

        def ratio(r, c=c, key=key) -> str:
            if r is None or c is None:
                return ""
            x = r[key] / c[key]
            return f"{x:.2f}" if x >= 1 else f"**{x:.2f}**"

        def mem(r) -> str:
            return "" if r is None else f"{r['peak_over_baseline_mb']:,.0f}"

        same = "yes" if ok.get(name) and all(ok[name]) else "**no**"
        if name not in ok:
            same = "not checked"
        if name == "import":
            pd_ = t.get(("import", "pandas"))
            same = f"pandas {pd_['median_s']:.2f} s" if pd_ else ""
        lines.append(
            f"| {name} | {secs(c)} | {secs(dk)} | {secs(pl_)} | {ratio(dk)} | {ratio(pl_)} | "
            f"{mem(c)} | {mem(dk)} | {mem(pl_)} | {same} |"
        )
    lines += [
        "",
        "Ratios are the peer's median time over crimeharm's (above 1: crimeharm is faster; "
        "below 1 in bold). small-calls gives the median time of one call (of "
        f"{shaped['data'].get('calls', '')} calls of a 10,000-row frame); import the cold import "
        "alone. MB: peak RSS over the RSS after imports (or after the frame was loaded), 2^20 "
        "bytes. sorted-default and numpy-engine are compared with sorted's DuckDB and polars "
        "runs (the same job).",
    ]
    return "\n".join(lines)


# ------------------------------------------------------------------ summary
def summarise(size: dict) -> list[dict]:
    data = size["data"]
    arrow = data["arrow_nbytes"]
    by: dict[tuple[str, str], list[dict]] = {}
    for r in size["runs"]:
        by.setdefault((r["tool"], r["source"]), []).append(r)
    rows_out = []
    for (tool, source), runs in by.items():
        ok = [r for r in runs if r.get("ok")]
        row = {
            "rows": data["rows"],
            "tool": tool,
            "source": source,
            "runs": len(runs),
            "ok_runs": len(ok),
        }
        if ok:
            times = [r["job_s"] for r in ok]
            base_import = max(r["maxrss_after_import"] for r in ok)
            peak = max(r["maxrss"] for r in ok)
            row.update(
                median_s=statistics.median(times),
                min_s=min(times),
                max_s=max(times),
                rows_per_s=data["rows"] / statistics.median(times),
                median_cpu_s=statistics.median(r.get("job_cpu_s", float("nan")) for r in ok),
                load_weights_s=statistics.median(r["load_weights_s"] for r in ok),
                import_s=statistics.median(r["import_s"] for r in ok),
                read_frame_s=(
                    statistics.median(r["read_frame_s"] for r in ok) if source == "frame" else None
                ),
                peak_rss_mb=peak / MB,
                baseline_rss_mb=base_import / MB,
                peak_over_import_mb=max(r["maxrss"] - r["maxrss_after_import"] for r in ok) / MB,
                peak_over_input_mb=(
                    max(r["maxrss"] - r["rss_after_frame"] for r in ok) / MB
                    if source == "frame"
                    else None
                ),
                groups=ok[0]["groups"],
                loadavg_max=max(
                    max(r.get("loadavg_start", 0), r.get("loadavg_end", 0)) for r in ok
                ),
            )
            job_mem = row["peak_over_input_mb"] if source == "frame" else row["peak_over_import_mb"]
            row["job_peak_vs_arrow"] = job_mem * MB / arrow if arrow else None
        rows_out.append(row)
    ref = {r["source"]: r for r in rows_out if r["tool"] == "crimeharm" and "median_s" in r}
    for row in rows_out:
        c = ref.get(row["source"])
        row["crimeharm_speedup"] = (
            row["median_s"] / c["median_s"] if c and "median_s" in row else None
        )
    return rows_out


def targets(summary: list[dict], sizes: list[dict]) -> list[dict]:
    """The issue's targets, at the largest size every tool ran (10M rows in a full run)."""
    full = [s for s in sizes if {r["tool"] for r in s["runs"]} >= {"crimeharm", "duckdb", "polars"}]
    if not full:
        return []
    size = max(full, key=lambda s: s["data"]["rows"])
    n = size["data"]["rows"]
    arrow = size["data"]["arrow_nbytes"] / MB
    t = {(r["tool"], r["source"]): r for r in summary if r["rows"] == n and "median_s" in r}
    out = []

    def add(name: str, tool: str, ok, measured: str) -> None:
        out.append(
            {
                "rows": n,
                "tool": tool,
                "target": name,
                "met": None if ok is None else bool(ok),
                "measured": measured,
            }
        )

    for tool in CRIMEHARM:
        p, f = t.get((tool, "parquet")), t.get((tool, "frame"))
        if p is None and f is None:
            continue
        d, pl_ = t.get(("duckdb", "parquet")), t.get(("polars", "parquet"))
        if p and d:
            add(
                ">= 2x as fast as DuckDB (Parquet)",
                tool,
                p["median_s"] * 2 <= d["median_s"],
                f"{d['median_s'] / p['median_s']:.2f}x ({p['median_s']:.2f} s vs "
                f"{d['median_s']:.2f} s)",
            )
        if p and pl_:
            add(
                "faster than polars (Parquet)",
                tool,
                p["median_s"] < pl_["median_s"],
                f"{pl_['median_s'] / p['median_s']:.2f}x ({p['median_s']:.2f} s vs "
                f"{pl_['median_s']:.2f} s)",
            )
        for other in ("polars", "duckdb"):
            o = t.get((other, "frame"))
            if f and o:
                add(
                    f"faster than {other} (pandas frame)",
                    tool,
                    f["median_s"] < o["median_s"],
                    f"{o['median_s'] / f['median_s']:.2f}x ({f['median_s']:.2f} s vs "
                    f"{o['median_s']:.2f} s)",
                )
        if p:
            add(
                "peak memory <= 2x Arrow size of columns read (Parquet)",
                tool,
                p["peak_over_import_mb"] <= 2 * arrow,
                f"{p['peak_over_import_mb']:,.0f} MB over baseline = "
                f"{p['peak_over_import_mb'] / arrow:.2f}x of {arrow:,.0f} MB",
            )
        ds = [c for c in size["checks"] if c.get("tool") == tool and c.get("source") == "dataset"]
        if ds:
            add(
                "Parquet folder gives the same result",
                tool,
                ds[0]["ok"],
                f"{ds[0]['groups']:,} groups, max rel diff "
                f"{max(ds[0]['max_rel_diff_crimes'], ds[0]['max_rel_diff_harm']):.1e}",
            )
    return out


# -------------------------------------------------------------------- output
CSV_FIELDS = [
    "rows",
    "tool",
    "source",
    "runs",
    "ok_runs",
    "median_s",
    "min_s",
    "max_s",
    "median_cpu_s",
    "rows_per_s",
    "crimeharm_speedup",
    "load_weights_s",
    "import_s",
    "read_frame_s",
    "peak_rss_mb",
    "baseline_rss_mb",
    "peak_over_import_mb",
    "peak_over_input_mb",
    "job_peak_vs_arrow",
    "groups",
    "loadavg_max",
]


def write_csv(path: Path, summary: list[dict]) -> None:
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=CSV_FIELDS, extrasaction="ignore")
        w.writeheader()
        for row in summary:
            w.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})


def _fmt(v, spec: str) -> str:
    return "" if v is None else format(v, spec)


def markdown(result: dict) -> str:
    m = result["machine"]
    v = m["versions"]
    lines = [
        f"Run {m['date']} on {m['cores']} cores ({m['cpu'] or 'unknown CPU'}), "
        f"{m['memory_gb']} GB, Python {m['python']}; crimeharm {v.get('crimeharm')} "
        f"(commit {m['git_commit']}{', src modified' if m['src_modified'] else ''}; "
        f"{v.get('engine')} loops), "
        f"numpy {v.get('numpy')}, pandas {v.get('pandas')}, pyarrow {v.get('pyarrow')}, "
        f"duckdb {v.get('duckdb')} (threads={result['config']['threads']}), "
        f"polars {v.get('polars')}. Median of {result['config']['repeats']} run(s) "
        f"({result['config']['stream_repeats']} above {STREAM_ROWS:,} rows), each in a "
        "fresh process; weights loading is not in the job time.",
        "",
        "| rows | tool | source | median s | min s | CPU s | rows/s | tool s / crimeharm s "
        "| load weights s | peak RSS MB | peak over baseline MB | x Arrow size |",
        "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    order = {t: i for i, t in enumerate(TOOLS)}
    srcs = {s: i for i, s in enumerate(("parquet", "dataset", "frame"))}
    for r in sorted(
        result["summary"],
        key=lambda r: (r["rows"], srcs.get(r["source"], 9), order.get(r["tool"], 9)),
    ):
        if "median_s" not in r:
            lines.append(f"| {r['rows']:,} | {r['tool']} | {r['source']} | failed |" + " |" * 9)
            continue
        over = r["peak_over_input_mb"] if r["source"] == "frame" else r["peak_over_import_mb"]
        sp = r.get("crimeharm_speedup")
        lines.append(
            f"| {r['rows']:,} | {r['tool']} | {r['source']} | {r['median_s']:.2f} | "
            f"{r['min_s']:.2f} | {r['median_cpu_s']:.2f} | "
            f"{r['rows_per_s'] / 1e6:.2f}M | {_fmt(sp, '.2f') if sp else ''} | "
            f"{r['load_weights_s']:.3f} | {r['peak_rss_mb']:,.0f} | {over:,.0f} | "
            f"{_fmt(r.get('job_peak_vs_arrow'), '.2f')} |"
        )
    lines += [
        "",
        "\"tool s / crimeharm s\" is the tool's median time over crimeharm's from the same "
        "source (above 1: crimeharm is faster). CPU s is the job's CPU time over all threads "
        "(above the wall time when a tool uses both cores). MB are 2^20 bytes. "
        '"peak over baseline" is the peak RSS '
        "(`ru_maxrss`) minus the RSS after imports (Parquet) or after the frame was loaded "
        '(frame); "x Arrow size" divides it by the Arrow size of the four columns read.',
        "",
    ]
    for s in result["sizes"]:
        d = s["data"]
        bad = [c for c in s["checks"] if not c.get("ok")]
        lines.append(
            f"- {d['rows']:,} rows: Parquet {d['bytes'] / MB:,.0f} MB, Arrow size of the columns "
            f"read {d['arrow_nbytes'] / MB:,.0f} MB; results agree: "
            + (
                "yes, all tools and sources"
                if s["checks"] and not bad
                else "NO: " + ", ".join(f"{c.get('tool')}/{c.get('source')}" for c in bad)
                if bad
                else "not checked"
            )
        )
    shims = sorted({sh for s in result["sizes"] for r in s["runs"] for sh in r.get("shims", [])})
    for sh in shims:
        lines.append(f"- crimeharm was patched to run: {sh}")
    if result["targets"]:
        lines += ["", "| target | tool | met | measured |", "|---|---|---|---|"]
        for t in result["targets"]:
            met = {True: "yes", False: "**no**", None: "n/a"}[t["met"]]
            lines.append(f"| {t['target']} | {t['tool']} | {met} | {t['measured']} |")
    return "\n".join(lines)


def rewrite_block(text: str, block: str, start: str = START, end: str = END) -> str:
    """Replace what is between the results markers (markers kept; appended if absent)."""
    if start in text and end in text:
        head, rest = text.split(start, 1)
        _, tail = rest.split(end, 1)
        return f"{head}{start}\n{block}\n{end}{tail}"
    return f"{text.rstrip()}\n\n{start}\n{block}\n{end}\n"


# ---------------------------------------------------------------------- main
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=float, nargs="+", help="sizes, e.g. 1e6 1e7 (1e8: streaming)")
    ap.add_argument("--repeats", type=int, help="runs per tool and source (median reported)")
    ap.add_argument(
        "--quick",
        action="store_true",
        help="CI: 200k rows, 1 repeat, no docs; checks that it runs and agrees",
    )
    ap.add_argument("--out", type=Path, default=HERE / "results")
    ap.add_argument("--data-dir", type=Path, default=HERE / "data")
    ap.add_argument(
        "--tools",
        nargs="+",
        choices=TOOLS,
        default=list(TOOLS),
        help="crimeharm: excluded='summary' (the same output as the others); crimeharm-full: "
        "the default call, with the excluded crimes and harm per reason in every row",
    )
    ap.add_argument("--sources", nargs="+", choices=SOURCES, default=list(SOURCES))
    ap.add_argument(
        "--strings",
        choices=("arrow", "category"),
        default="arrow",
        help="text columns of the in-memory frame (default: pandas' str dtype)",
    )
    ap.add_argument("--threads", type=int, default=2, help="DuckDB threads")
    ap.add_argument(
        "--engine",
        choices=("auto", "compiled", "numpy"),
        default="auto",
        help="crimeharm's engine= (auto: compiled where it is built; CRIMEHARM_ENGINE sets it)",
    )
    ap.add_argument(
        "--no-dataset",
        dest="dataset",
        action="store_false",
        help="skip crimeharm on a folder of Parquet files",
    )
    ap.add_argument("--parts", type=int, default=5, help="files in the Parquet folder")
    ap.add_argument(
        "--stream-repeats", type=int, default=1, help=f"repeats above {STREAM_ROWS:,} rows"
    )
    ap.add_argument(
        "--all-tools-big",
        action="store_true",
        help=f"above {STREAM_ROWS:,} rows run every tool, not crimeharm alone",
    )
    ap.add_argument(
        "--jobs", type=int, default=1, help="jobs at once (timings are only meaningful with 1)"
    )
    ap.add_argument("--timeout", type=float, default=3600)
    ap.add_argument(
        "--scenarios",
        nargs="*",
        choices=SCENARIOS,
        help="run the shaped scenarios (issue #12; all when named without any) instead of the "
        "uniform job; --quick runs both",
    )
    ap.add_argument(
        "--scenario-rows", type=float, help="records of the shaped scenarios (default 1e7)"
    )
    ap.add_argument(
        "--scenario-tools",
        nargs="+",
        choices=(*SCENARIO_TOOLS, "pandas"),
        help="run only these tools in the shaped scenarios",
    )
    ap.add_argument(
        "--peers-from",
        type=Path,
        help="a scenarios.json of an earlier run on the same records whose DuckDB, polars and "
        "pandas runs the table shows beside this run's (with --scenario-tools crimeharm)",
    )
    ap.add_argument("--csv-rows", type=float, help="records of the CSV files (default half)")
    ap.add_argument(
        "--calls", type=int, help="calls of the small-calls scenario (default 100; quick 10)"
    )
    ap.add_argument(
        "--docs", type=Path, help="Markdown file to update (default: docs/benchmarks.md)"
    )
    ap.add_argument("--no-docs", action="store_true")
    opts = ap.parse_args(argv)
    opts.uniform = opts.scenarios is None or opts.quick
    if opts.scenarios is not None and not opts.scenarios:
        opts.scenarios = list(SCENARIOS)
    if opts.quick and opts.scenarios is None:
        opts.scenarios = list(SCENARIOS)
    if opts.scenario_rows is None:
        opts.scenario_rows = min(opts.rows or [2e5]) if opts.quick else 1e7
    if opts.calls is None:
        opts.calls = 10 if opts.quick else 100
    if opts.rows is None:
        opts.rows = [2e5] if opts.quick else [1e6, 1e7]
    if opts.repeats is None:
        opts.repeats = 1 if opts.quick else 3
    if opts.docs is None and not opts.quick and not opts.no_docs:
        opts.docs = ROOT / "docs" / "benchmarks.md"
    if opts.no_docs:
        opts.docs = None
    return opts


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(argv)
    opts.out.mkdir(parents=True, exist_ok=True)
    opts.data_dir.mkdir(parents=True, exist_ok=True)
    machine = machine_info(opts.engine)
    print(
        f"crimeharm benchmarks on {machine['cores']} cores; versions {machine['versions']}",
        flush=True,
    )
    sizes = []
    shaped = None
    with tempfile.TemporaryDirectory(prefix="crimeharm-bench-") as tmp:
        for rows in sorted(int(r) for r in opts.rows) if opts.uniform else []:
            sizes.append(run_size(rows, opts, Path(tmp)))
        if opts.scenarios:
            shaped = run_scenarios(opts, Path(tmp))
            shaped["data"]["calls"] = opts.calls
    if not opts.uniform:
        return finish_scenarios(opts, machine, shaped)
    summary = [row for s in sizes for row in summarise(s)]
    result = {
        "machine": machine,
        "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(opts).items()},
        "job": "score cchi-2020 by ho_class; exclude police_generated, not_crime and "
        "police_initiated; sum harm days and count crimes by lsoa x month",
        "sizes": sizes,
        "summary": summary,
    }
    result["targets"] = targets(summary, sizes)
    (opts.out / "results.json").write_text(json.dumps(result, indent=1, default=str) + "\n")
    write_csv(opts.out / "results.csv", summary)
    table = markdown(result)
    print(table)
    if opts.docs is not None:
        text = opts.docs.read_text() if opts.docs.exists() else "# Benchmarks\n"
        opts.docs.write_text(rewrite_block(text, table))
    failed = [r for s in sizes for r in s["runs"] if not r.get("ok")]
    disagree = [c for s in sizes for c in s["checks"] if not c.get("ok")]
    if shaped is not None:
        rc = finish_scenarios(opts, machine, shaped)
        failed += [None] * rc
    for c in disagree:
        print(f"DISAGREE: {c}", file=sys.stderr)
    return 1 if failed or disagree else 0


def finish_scenarios(opts, machine: dict, shaped: dict) -> int:
    """Write ``scenarios.json`` and the scenarios table (docs unless quick); 1 on a failure."""
    summary = summarise_scenarios(shaped)
    result = {
        "machine": machine,
        "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(opts).items()},
        **shaped,
        "summary": summary,
    }
    (opts.out / "scenarios.json").write_text(json.dumps(result, indent=1, default=str) + "\n")
    table = scenario_table(shaped, summary, machine, opts.repeats)
    print(table)
    if opts.docs is not None:
        text = opts.docs.read_text() if opts.docs.exists() else "# Benchmarks\n"
        opts.docs.write_text(rewrite_block(text, table, S_START, S_END))
    failed = [r for r in shaped["runs"] if not r.get("ok")]
    disagree = [c for c in shaped["checks"] if not c.get("ok")]
    for c in disagree:
        print(f"DISAGREE: {c}", file=sys.stderr)
    return 1 if failed or disagree else 0


if __name__ == "__main__":
    sys.exit(main())
