"""One timed run of the benchmark job, by one tool, in a fresh process.

The job: score records with ``cchi-2020`` by Home Office classification
(``days`` after the library's default ambiguity rule), leave out
police-generated offences, the edition's non-crime rows and records flagged
``police_initiated``, and sum harm (days) and count crimes by LSOA x month.

Run by ``benchmarks/run.py``, one process per tool x source x repeat, so that
the peak resident set size is that of one job::

    python benchmarks/job.py --tool duckdb --source parquet --path records.parquet \
        --weights weights.parquet --result out.parquet

It prints one JSON object: phase times (imports, weights loading, reading the
in-memory frame, the job itself), the resident set size after imports, after
the frame is loaded and at its peak (``getrusage(RUSAGE_SELF).ru_maxrss`` and
``VmHWM``), and the number of output groups. For the ``frame`` source the
peak is reset (``/proc/self/clear_refs``) once the frame is loaded, so that
the peak is the job's, not ``pd.read_parquet``'s.

Sources: ``parquet`` (a file path), ``dataset`` (a folder of Parquet files,
crimeharm only) and ``frame`` (a pandas DataFrame read with
:func:`read_frame`, timed apart and not part of the job). ``--engine`` is
crimeharm's ``engine=`` option (``auto`` by default); the record's ``engine``
is the one the call used.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
import traceback

TOOLS = ("crimeharm", "crimeharm-full", "duckdb", "polars", "pandas")
SOURCES = ("parquet", "frame", "dataset")
ENGINES = ("auto", "compiled", "numpy")
COLUMNS = ["offence_code", "lsoa", "committed", "police_initiated"]
MB = 1024 * 1024


# --------------------------------------------------------------------- memory
def rss_bytes() -> int:
    """Current resident set size."""
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * resource.getpagesize()


def maxrss_bytes() -> int:
    """Peak resident set size of this process (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def hwm_bytes() -> int | None:
    """``VmHWM`` of /proc/self/status: the peak RSS of this address space."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def reset_peak() -> bool:
    """Reset the peak RSS to the current RSS (Linux >= 4.0); False where not allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        return False
    return True


# ---------------------------------------------------------------------- input
def read_frame(path: str, strings: str = "arrow"):
    """The in-memory records every tool is given: ``pd.read_parquet`` of the file.

    Text columns are pandas 3's default ``str`` dtype (Arrow-backed strings),
    ``committed`` is ``datetime64[ms]`` (``date_as_object=False``; pandas would
    otherwise make a column of Python ``datetime.date`` objects) and
    ``police_initiated`` is numpy ``bool``. ``strings='category'`` turns the
    two text columns into categoricals instead.
    """
    import pandas as pd

    frame = pd.read_parquet(path, columns=COLUMNS, to_pandas_kwargs={"date_as_object": False})
    if strings == "category":
        for col in ("offence_code", "lsoa"):
            frame[col] = frame[col].astype("category")
    return frame


# ---------------------------------------------------------------------- tools
class Crimeharm:
    """``harm_index(..., excluded="summary")``: the same output as the other tools.

    Included crimes and harm by LSOA x month; the excluded records are
    counted by reason in the summary only.
    """

    imports = ("pandas", "pyarrow", "crimeharm")
    excluded = "summary"

    def __init__(self, engine: str = "auto") -> None:
        import crimeharm

        self.shims = _shim_crimeharm()
        self.crimeharm = crimeharm
        self.engine = engine  # the option; run() records the engine the call used

    def load(self, weights_path: str) -> None:
        self.weights = self.crimeharm.load_weights("cchi-2020")
        self.weights.index("ho_class")  # the lookup the scorer uses, built and cached

    def run(self, data):
        return self.crimeharm.harm_index(
            data,
            by="lsoa",
            period="month",
            date="committed",
            code="offence_code",
            code_system="ho_class",
            police_initiated="police_initiated",
            weights=self.weights,
            excluded=self.excluded,
            engine=self.engine,
        )

    def normalise(self, out):
        res = out.loc[out["crimes"] > 0, ["lsoa", "period", "crimes", "harm_days"]]
        return res.rename(columns={"period": "month"})


class CrimeharmFull(Crimeharm):
    """The default call: every row also has the crimes and harm excluded, per reason.

    That is more output than the other tools give: the consensus series
    (``excluded_<reason>``, ``excluded_harm_<reason>``, ``excluded``) for every
    cell, and rows for cells whose records were all excluded.
    """

    excluded = "columns"


class Duckdb:
    imports = ("duckdb", "pyarrow")

    def __init__(self, threads: int) -> None:
        import duckdb

        self.con = duckdb.connect()
        self.con.execute(f"SET threads={int(threads)}")

    def load(self, weights_path: str) -> None:
        self.con.execute(
            "CREATE TABLE weights AS SELECT * FROM read_parquet(?)", [str(weights_path)]
        )

    def run(self, data):
        if isinstance(data, str):
            source = f"read_parquet('{data}')"
        else:
            self.con.register("records", data)
            source = "records"
        sql = f"""
            SELECT r.lsoa, date_trunc('month', r.committed) AS month,
                   count(*) AS crimes, sum(w.days) AS harm_days
            FROM {source} AS r
            JOIN weights AS w ON r.offence_code = w.ho_class
            WHERE NOT w.police_generated AND NOT w.not_crime AND NOT r.police_initiated
            GROUP BY ALL
        """
        return self.con.sql(sql).to_arrow_table()

    def normalise(self, out):
        frame = out.to_pandas()
        frame["month"] = frame["month"].to_numpy().astype("datetime64[M]").astype(str)
        return frame


class Polars:
    imports = ("polars", "pyarrow")

    def __init__(self) -> None:
        import polars as pl

        self.pl = pl

    def load(self, weights_path: str) -> None:
        self.weights = self.pl.read_parquet(weights_path)

    def run(self, data):
        pl = self.pl
        records = pl.scan_parquet(data) if isinstance(data, str) else pl.from_pandas(data).lazy()
        return (
            records.join(self.weights.lazy(), left_on="offence_code", right_on="ho_class")
            .filter(
                ~pl.col("police_generated") & ~pl.col("not_crime") & ~pl.col("police_initiated")
            )
            .group_by("lsoa", pl.col("committed").dt.truncate("1mo").alias("month"))
            .agg(pl.len().alias("crimes"), pl.col("days").sum().alias("harm_days"))
            .collect()
        )

    def normalise(self, out):
        pl = self.pl
        return out.with_columns(pl.col("month").dt.strftime("%Y-%m")).to_pandas()


class Pandas:
    imports = ("pandas", "pyarrow")

    def __init__(self, strings: str) -> None:
        import pandas as pd

        self.pd = pd
        self.strings = strings

    def load(self, weights_path: str) -> None:
        self.weights = self.pd.read_parquet(weights_path)

    def run(self, data):

        frame = read_frame(data, self.strings) if isinstance(data, str) else data
        w = self.weights
        keep = w.loc[~w["police_generated"] & ~w["not_crime"], ["ho_class", "days"]]
        rec = frame.loc[
            ~frame["police_initiated"].to_numpy(), ["offence_code", "lsoa", "committed"]
        ]
        m = rec.merge(keep, left_on="offence_code", right_on="ho_class", how="inner")
        m["month"] = m["committed"].to_numpy().astype("datetime64[M]")
        return (
            m.groupby(["lsoa", "month"], observed=True, sort=False)["days"]
            .agg(crimes="size", harm_days="sum")
            .reset_index()
        )

    def normalise(self, out):
        out = out.copy()
        out["month"] = out["month"].to_numpy().astype("datetime64[M]").astype(str)
        out["lsoa"] = out["lsoa"].astype(str)
        return out


def _shim_crimeharm() -> list[str]:
    """Work around known crimeharm bugs that stop the job, and say which were patched."""
    import pyarrow as pa

    import crimeharm.scoring.columns as cols
    import crimeharm.scoring.rows as scoring

    shims = []
    if not hasattr(cols, "to_flag"):  # the yes/no reader is read_flag now, without the bug
        return shims
    try:
        cols.to_flag(pa.chunked_array([pa.array([True, None])]), name="probe")
    except TypeError:
        import pyarrow.compute as pc

        original = cols.to_flag

        def to_flag(col, *, name):
            if isinstance(col, pa.ChunkedArray | pa.Array) and pa.types.is_boolean(col.type):
                return pc.fill_null(col, fill_value=False).to_numpy(zero_copy_only=False)
            return original(col, name=name)

        cols.to_flag = scoring.to_flag = to_flag
        shims.append(
            "_columns.to_flag: pc.fill_null(col, value=False) raises TypeError with pyarrow "
            f"{pa.__version__} on a boolean Arrow column; patched to "
            "pc.fill_null(col, fill_value=False)"
        )
    return shims


def make_tool(name: str, *, threads: int, strings: str, engine: str = "auto"):
    if name == "crimeharm":
        return Crimeharm(engine)
    if name == "crimeharm-full":
        return CrimeharmFull(engine)
    if name == "duckdb":
        return Duckdb(threads)
    if name == "polars":
        return Polars()
    if name == "pandas":
        return Pandas(strings)
    raise SystemExit(f"unknown tool {name!r}; expected one of {TOOLS}")


def run(args: argparse.Namespace) -> dict:
    rec: dict = {"tool": args.tool, "source": args.source, "path": args.path, "ok": False}
    rec["loadavg_start"] = os.getloadavg()[0]
    rec["rss_start"] = rss_bytes()
    t = time.perf_counter()
    tool = make_tool(args.tool, threads=args.threads, strings=args.strings, engine=args.engine)
    if args.source == "frame":
        import pandas  # noqa: F401  # the frame's own library belongs to the imports
    rec["import_s"] = time.perf_counter() - t
    rec["shims"] = getattr(tool, "shims", [])
    rec["engine"] = None
    rec["rss_after_import"] = rss_bytes()
    rec["maxrss_after_import"] = maxrss_bytes()

    t = time.perf_counter()
    tool.load(args.weights)
    rec["load_weights_s"] = time.perf_counter() - t

    data = args.path
    if args.source == "frame":
        t = time.perf_counter()
        data = read_frame(args.path, args.strings)
        rec["read_frame_s"] = time.perf_counter() - t
        rec["rss_after_frame"] = rss_bytes()
        rec["maxrss_after_frame"] = maxrss_bytes()
        rec["peak_reset"] = reset_peak()
    rec["rss_before_job"] = rss_bytes()

    t, cpu = time.perf_counter(), time.process_time()
    out = tool.run(data)
    rec["job_s"] = time.perf_counter() - t
    rec["job_cpu_s"] = time.process_time() - cpu  # all threads: above job_s when parallel
    rec["maxrss"] = maxrss_bytes()
    rec["vmhwm"] = hwm_bytes()
    rec["rss_after_job"] = rss_bytes()
    rec["groups"] = len(out)
    if args.tool.startswith("crimeharm"):
        rec["engine"] = out.attrs["crimeharm"]["engine"]  # 'compiled' or 'numpy'
    if args.result:
        res = tool.normalise(out)
        res = res[["lsoa", "month", "crimes", "harm_days"]].astype(
            {"lsoa": str, "month": str, "crimes": "float64", "harm_days": "float64"}
        )
        res.to_parquet(args.result, index=False)
        rec["result"] = args.result
        if args.tool.startswith("crimeharm"):
            rec["summary"] = {
                k: v
                for k, v in out.attrs["crimeharm"]["summary"].items()
                if k in ("rows_in", "rows_included", "rows_excluded", "harm_days_included")
            }
    rec["loadavg_end"] = os.getloadavg()[0]
    rec["ok"] = True
    return rec


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="One timed run of the benchmark job")
    ap.add_argument("--tool", choices=TOOLS, required=True)
    ap.add_argument("--source", choices=SOURCES, required=True)
    ap.add_argument("--path", required=True, help="Parquet file (or folder for 'dataset')")
    ap.add_argument("--weights", required=True, help="Parquet weights table for the baselines")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--strings", choices=("arrow", "category"), default="arrow")
    ap.add_argument("--result", help="write the normalised groups here (Parquet)")
    ap.add_argument("--engine", choices=ENGINES, default="auto", help="crimeharm's engine=")
    args = ap.parse_args(argv)
    if args.source == "dataset" and not args.tool.startswith("crimeharm"):
        ap.error("the dataset source is run with crimeharm only")
    try:
        rec = run(args)
    except Exception as exc:  # reported to the harness, which carries on
        rec = {
            "tool": args.tool,
            "source": args.source,
            "ok": False,
            "error": f"{type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc(limit=8),
        }
    sys.stdout.write(json.dumps(rec) + "\n")
    return 0 if rec["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
