"""Speed of the people and concentration measures against DuckDB and polars (issue 13).

Two jobs, on synthetic records made here with a fixed seed and held in memory
as one Arrow table (every tool reads the same table: DuckDB and polars
without a copy):

``per_person``
    Harm per offender: crimes and harm summed by offender id, most harm first
    (ties by id). ``crimeharm.harm_per_person(table, person="offender",
    count=None)``; DuckDB ``GROUP BY offender ORDER BY harm DESC, offender``;
    polars ``group_by("offender").agg(...).sort(...)``.
``concentration``
    Harm by unit (LSOA-like codes ``E01000001`` ..), then the Gini
    coefficient, the top 1/5/10/20% shares (interpolated on the Lorenz curve)
    and the share of units holding 50% and 80% of harm:
    ``crimeharm.concentration(table, unit="lsoa")``; the same measures in one
    DuckDB query and in one polars expression chain.

Exactly ``--persons`` offender ids (text ``P<number>``, 2 to 8 characters)
and ``--units`` unit codes occur; about 0.5% of records have a null offender
id (no id). DuckDB and
polars keep nulls as a group of their own, crimeharm counts them apart as
``no id``; the agreement check compares the persons with an id, and the
total. Harm weights are drawn from the weights of the bundled example's
crimes (cchi-2020), so the mix of offences is realistic.

Each tool runs ``--repeats`` times per job, interleaved (crimeharm, DuckDB,
polars, crimeharm, ...), in this one process. Each run records its wall time,
its CPU time (``time.process_time``: every thread of the process, so a tool
that runs on two cores shows up to twice its wall time) and its peak memory:
the process's resident-set high-water mark is reset before the run (Linux
``/proc/self/clear_refs``) and read after it (``VmHWM``), and the figure is
that peak less the resident set before the run (the input table, already
resident, is not counted). The report keeps each tool's best and median wall
time, the CPU time of its best run and its largest peak. DuckDB runs on
``--threads`` threads (2), polars on its own pool (all cores; set
``POLARS_MAX_THREADS`` to change it), crimeharm's passes over the rows on
two threads. ``--cache FILE`` keeps the records in an Arrow IPC file between
runs.

    python benchmarks/concentration.py --rows 1e7 --persons 2e6 --units 180000

writes ``benchmarks/results/concentration.json`` (``--out``) and prints a
table. ``--quick`` runs a small size (for CI: it checks that the tools agree).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

SEED = 20240113
NULL_SHARE = 0.005
TOPS = (0.01, 0.05, 0.10, 0.20)
HOLDS = (0.5, 0.8)


def _weights(rng: np.random.Generator, n: int) -> np.ndarray:
    """Harm per record, drawn from the days of the bundled example's included crimes."""
    import crimeharm

    path = Path(crimeharm.__path__[0]) / "data" / "example-records.csv"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", crimeharm.UnknownCodeWarning)
        scored = crimeharm.score(path)
    days = scored.loc[scored["excluded"].isna(), "days"].to_numpy(dtype=float)
    return rng.choice(days, size=n)


def _draw(rng: np.random.Generator, rows: int, distinct: int, shape: float) -> np.ndarray:
    """``rows`` ids of which exactly ``distinct`` occur: each once, then gamma-weighted draws."""
    if rows < distinct:
        raise SystemExit(f"--rows ({rows:,}) must be at least the ids wanted ({distinct:,})")
    rate = rng.gamma(shape, size=distinct)
    ids = np.concatenate(
        [np.arange(distinct), rng.choice(distinct, size=rows - distinct, p=rate / rate.sum())]
    )
    return rng.permutation(ids)


def make_records(rows: int, persons: int, units: int) -> pa.Table:
    """Records with an offender id, a unit code and harm (days), seeded.

    Exactly ``persons`` offender ids and ``units`` unit codes occur; a person's
    (a unit's) share of the other records is gamma-distributed (a few
    prolific offenders, a few busy places). ``NULL_SHARE`` of the records have
    no offender id: they are drawn among records whose person has others.
    """
    rng = np.random.default_rng(SEED)
    person = _draw(rng, rows, persons, 0.6)
    offender = pc.binary_join_element_wise("P", pc.cast(pa.array(person), pa.string()), "")
    _, first = np.unique(person, return_index=True)
    keeps_id = np.zeros(rows, dtype=bool)  # a person's first record keeps its id
    keeps_id[first] = True
    nulls = ~keeps_id & (rng.random(rows) < NULL_SHARE)
    offender = pc.if_else(pa.array(nulls), pa.scalar(None, pa.string()), offender)
    unit = _draw(rng, rows, units, 0.8)
    lsoa = pc.binary_join_element_wise(
        "E01", pc.utf8_lpad(pc.cast(pa.array(unit + 1), pa.string()), width=6, padding="0"), ""
    )
    return pa.table({"offender": offender, "lsoa": lsoa, "harm_days": _weights(rng, rows)})


def cached_records(cache: str | None, rows: int, persons: int, units: int) -> pa.Table:
    """:func:`make_records`, kept in (and read back from) an Arrow IPC file when asked."""
    import pyarrow.ipc as ipc

    want = {b"rows": str(rows).encode(), b"persons": str(persons).encode()}
    want[b"units"], want[b"seed"] = str(units).encode(), str(SEED).encode()
    if cache and Path(cache).exists():
        with pa.OSFile(cache) as source:  # read into memory, as a table made here would be
            table = ipc.open_file(source).read_all()
        if {k: (table.schema.metadata or {}).get(k) for k in want} == want:
            return table.replace_schema_metadata(None)
    table = make_records(rows, persons, units)
    if cache:
        with ipc.new_file(cache, table.schema.with_metadata(want)) as writer:
            writer.write_table(table.replace_schema_metadata(want))
    return table


# ------------------------------------------------------------------- the tools
def crimeharm_per_person(table: pa.Table):
    import crimeharm

    return crimeharm.harm_per_person(table, person="offender", count=None)


def crimeharm_concentration(table: pa.Table):
    import crimeharm

    return crimeharm.concentration(table, unit="lsoa")


_CONCENTRATION_SQL = """
WITH g AS (SELECT lsoa, sum(harm_days) AS v FROM t WHERE lsoa IS NOT NULL GROUP BY lsoa),
r AS (
  SELECT v,
         row_number() OVER (ORDER BY v DESC, lsoa) AS k,
         sum(v) OVER (ORDER BY v DESC, lsoa ROWS UNBOUNDED PRECEDING) AS cum,
         count(*) OVER () AS n,
         sum(v) OVER () AS tot
  FROM g)
SELECT
  2 * sum((n - k + 1) * v) / (max(n) * max(tot)) - (max(n) + 1.0) / max(n) AS gini,
  {tops},
  {holds}
FROM r
"""


def _sql_top(p: float) -> str:
    f = f"floor({p} * n)"
    return (
        f"(coalesce(sum(CASE WHEN k <= {f} THEN v END), 0) + "
        f"coalesce(max(CASE WHEN k = {f} + 1 THEN ({p} * n - {f}) * v END), 0)) / max(tot) "
        f"AS top_{round(p * 100)}pct"
    )


def _sql_hold(q: float) -> str:
    return (
        f"arg_min((k - 1 + ({q} * tot - (cum - v)) / v) / n, k) FILTER (WHERE cum >= {q} * tot) "
        f"AS units_{round(q * 100)}pct"
    )


def duckdb_jobs(threads: int):
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET threads={threads}")
    sql = _CONCENTRATION_SQL.format(
        tops=",\n  ".join(_sql_top(p) for p in TOPS),
        holds=",\n  ".join(_sql_hold(q) for q in HOLDS),
    )

    def per_person(table: pa.Table):
        con.register("t", table)
        out = con.sql(
            "SELECT offender, count(*) AS crimes, sum(harm_days) AS harm_days FROM t "
            "GROUP BY offender ORDER BY harm_days DESC, offender"
        ).to_arrow_table()
        con.unregister("t")
        return out

    def concentration(table: pa.Table):
        con.register("t", table)
        out = con.sql(sql).to_arrow_table()
        con.unregister("t")
        return out

    return per_person, concentration


def polars_jobs():
    import polars as pl

    def per_person(table: pa.Table):
        return (
            pl.from_arrow(table)
            .group_by("offender")
            .agg(pl.len().alias("crimes"), pl.col("harm_days").sum())
            .sort(["harm_days", "offender"], descending=[True, False], nulls_last=True)
        )

    def concentration(table: pa.Table):
        g = (
            pl.from_arrow(table)
            .drop_nulls("lsoa")
            .group_by("lsoa")
            .agg(pl.col("harm_days").sum().alias("v"))
            .sort(["v", "lsoa"], descending=[True, False])
        )
        n = pl.len()
        k = pl.int_range(1, n + 1)
        tot = pl.col("v").sum()
        cum = pl.col("v").cum_sum()
        exprs = [(2 * ((n - k + 1) * pl.col("v")).sum() / (n * tot) - (n + 1) / n).alias("gini")]
        for p in TOPS:
            f = (p * n).floor()
            whole = pl.when(k <= f).then(pl.col("v")).otherwise(0).sum()
            part = pl.when(k == f + 1).then((p * n - f) * pl.col("v")).otherwise(0).sum()
            exprs.append(((whole + part) / tot).alias(f"top_{round(p * 100)}pct"))
        for q in HOLDS:
            at = ((k - 1 + (q * tot - (cum - pl.col("v"))) / pl.col("v")) / n).filter(
                cum >= q * tot
            )
            exprs.append(at.first().alias(f"units_{round(q * 100)}pct"))
        return g.select(exprs)

    return per_person, concentration


# ------------------------------------------------------------------- agreement
def agree_per_person(ours, duck, pola) -> dict:
    ours = ours[ours["offender"] != "no id"]
    d = duck.filter(pc.is_valid(duck["offender"])).to_pandas()
    p = pola.drop_nulls("offender").to_pandas()
    out = {}
    for name, other in (("duckdb", d), ("polars", p)):
        same_order = ours["offender"].astype(str).tolist() == other["offender"].astype(str).tolist()
        close = np.allclose(ours["harm_days"].to_numpy(), other["harm_days"].to_numpy(), rtol=1e-9)
        counts = np.array_equal(ours["crimes"].to_numpy(), other["crimes"].to_numpy(float))
        out[name] = bool(same_order and close and counts)
    return out


def agree_concentration(ours, duck, pola) -> dict:
    keys = ["gini", *(f"top_{round(p * 100)}pct" for p in TOPS)]
    keys += [f"units_{round(q * 100)}pct" for q in HOLDS]
    mine = np.array([ours[k] for k in keys])
    d = np.array([duck.column(k)[0].as_py() for k in keys])
    p = np.array([pola[k][0] for k in keys])
    return {
        "duckdb": bool(np.allclose(mine, d, rtol=1e-9)),
        "polars": bool(np.allclose(mine, p, rtol=1e-9)),
    }


def _status_kb(field: str) -> int | None:
    """A ``VmRSS``/``VmHWM`` figure (KiB) of this process, or None off Linux."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    """Reset the resident-set high-water mark (Linux >= 4.0); False where it cannot be."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        return False
    return True


def run_once(func, table: pa.Table) -> tuple[object, float, float, float | None]:
    """One run: its result, wall seconds, CPU seconds and peak extra memory (MiB)."""
    import gc

    gc.collect()
    base = _status_kb("VmRSS")
    peak_ok = _reset_peak()
    c0, t0 = time.process_time(), time.perf_counter()
    result = func(table)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    hwm = _status_kb("VmHWM")
    extra = (hwm - base) / 1024 if peak_ok and hwm is not None and base is not None else None
    return result, wall, cpu, extra


def best_of(funcs: dict, table: pa.Table, repeats: int) -> tuple[dict, dict]:
    """Each tool's figures over ``repeats`` interleaved runs, and its last result."""
    runs: dict[str, list[tuple[float, float, float | None]]] = {name: [] for name in funcs}
    results = {}
    for _ in range(repeats):
        for name, func in funcs.items():
            results[name] = None  # the previous result is not counted in this run's memory
            results[name], wall, cpu, extra = run_once(func, table)
            runs[name].append((wall, cpu, extra))
    figures = {}
    for name, rs in runs.items():
        best = min(rs, key=lambda r: r[0])
        peaks = [r[2] for r in rs if r[2] is not None]
        figures[name] = {
            "wall_best": best[0],
            "wall_median": float(np.median([r[0] for r in rs])),
            "cpu_of_best": best[1],
            "cpu_median": float(np.median([r[1] for r in rs])),
            "peak_mib": max(peaks) if peaks else None,
        }
    return figures, results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=float, default=1e7)
    ap.add_argument("--persons", type=float, default=2e6)
    ap.add_argument("--units", type=float, default=180_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="2e4 rows, 4e3 persons, 500 units")
    ap.add_argument(
        "--cache",
        default=None,
        help="an Arrow IPC file to keep the records in between runs (made if missing; it is "
        "used only when its sizes match)",
    )
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "concentration.json"))
    args = ap.parse_args(argv)
    if args.quick:
        args.rows, args.persons, args.units, args.repeats = 2e4, 4e3, 500, 1
    rows, persons, units = int(args.rows), int(args.persons), int(args.units)
    t0 = time.perf_counter()
    table = cached_records(args.cache, rows, persons, units)
    made = time.perf_counter() - t0
    d_pp, d_conc = duckdb_jobs(args.threads)
    p_pp, p_conc = polars_jobs()
    report = {
        "rows": rows,
        "persons": persons,
        "units": units,
        "repeats": args.repeats,
        "data_seconds": round(made, 2),
        "machine": {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
        },
        "jobs": {},
    }
    jobs = {
        "per_person": (
            {"crimeharm": crimeharm_per_person, "duckdb": d_pp, "polars": p_pp},
            agree_per_person,
        ),
        "concentration": (
            {"crimeharm": crimeharm_concentration, "duckdb": d_conc, "polars": p_conc},
            agree_concentration,
        ),
    }
    report["table_mib"] = round(table.nbytes / 2**20, 1)
    for job, (funcs, check) in jobs.items():
        figures, results = best_of(funcs, table, args.repeats)
        agree = check(results["crimeharm"], results["duckdb"], results["polars"])
        times = {k: f["wall_best"] for k, f in figures.items()}
        report["jobs"][job] = {
            "seconds": {k: round(v, 3) for k, v in times.items()},
            "seconds_median": {k: round(f["wall_median"], 3) for k, f in figures.items()},
            "cpu_seconds": {k: round(f["cpu_of_best"], 3) for k, f in figures.items()},
            "cpu_seconds_median": {k: round(f["cpu_median"], 3) for k, f in figures.items()},
            "peak_mib": {
                k: (None if f["peak_mib"] is None else round(f["peak_mib"], 1))
                for k, f in figures.items()
            },
            "agree": agree,
            "crimeharm_vs": {
                k: round(times[k] / times["crimeharm"], 2) for k in times if k != "crimeharm"
            },
            "crimeharm_vs_cpu": {
                k: round(figures[k]["cpu_of_best"] / figures["crimeharm"]["cpu_of_best"], 2)
                for k in figures
                if k != "crimeharm"
            },
        }
        if job == "per_person":
            report["jobs"][job]["persons"] = int(len(results["crimeharm"]) - 1)
        else:
            report["jobs"][job]["units"] = int(results["crimeharm"]["units"])
    report["machine"]["load_average_after"] = os.getloadavg() if hasattr(os, "getloadavg") else None
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    print(f"{rows:,} records ({made:.1f} s to make), best of {args.repeats}")
    for job, res in report["jobs"].items():
        for k, v in res["seconds"].items():
            peak = res["peak_mib"][k]
            print(
                f"{job:<14} {k:<10} wall {v:7.2f} s (median {res['seconds_median'][k]:.2f})  "
                f"cpu {res['cpu_seconds'][k]:7.2f} s  peak "
                + ("n/a" if peak is None else f"{peak:,.0f} MiB")
            )
        print(f"{job:<14} agree: {res['agree']}")
    ok = all(all(r["agree"].values()) for r in report["jobs"].values())
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
