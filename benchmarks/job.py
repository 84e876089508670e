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

        crimeharm.harm_index  # noqa: B018  # its modules load on first use: here, with the imports
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


# ------------------------------------------------------------------ scenarios
#: The shaped scenarios (issue #12): what each reads and computes. ``file`` is a key of the
#: shaped files (``parquet``, ``duckdb``, ``csv-iso``, ``csv-uk``) or ``frame`` (the Parquet file
#: read into pandas outside the timing) or ``small`` (its first 10,000 rows, called ``calls``
#: times); ``kind`` is ``index`` (crimes and harm by ``by`` x ``period``), ``rows`` (one row per
#: record) or ``import``; ``excluded`` and ``engine`` are crimeharm's options.
SCENARIOS: dict[str, dict] = {
    "sorted": {"file": "parquet", "by": "lsoa", "period": "month"},
    "sorted-default": {"file": "parquet", "by": "lsoa", "period": "month", "excluded": "columns"},
    "numpy-engine": {"file": "parquet", "by": "lsoa", "period": "month", "engine": "numpy"},
    "small-row-groups": {"file": "duckdb", "by": "lsoa", "period": "month"},
    "frame": {"file": "frame", "by": "lsoa", "period": "month"},
    "csv-iso": {"file": "csv-iso", "by": "lsoa", "period": "month"},
    "csv-uk": {"file": "csv-uk", "by": "lsoa", "period": "month"},
    "output-areas": {"file": "parquet", "by": "oa", "period": "month"},
    "csp-fy": {"file": "parquet", "by": "csp", "period": "financial-year"},
    "lsoa-fy": {"file": "parquet", "by": "lsoa", "period": "financial-year"},
    "rows": {"file": "parquet", "kind": "rows"},
    "small-calls": {"file": "small", "by": "lsoa", "period": "month", "calls": 100},
    "import": {"kind": "import"},
}
SCENARIO_TOOLS = ("crimeharm", "duckdb", "polars")
#: Rows of the frame the small-calls scenario calls repeatedly.
SMALL_ROWS = 10_000
#: How the CSV files write ``committed`` (datagen.CSV_DATES; the peers are told, crimeharm reads
#: it by itself).
CSV_FORMATS = {"csv-iso": "%Y-%m-%dT%H:%M:%S", "csv-uk": "%d/%m/%Y %H:%M"}
KEY = "offence_code"


def _scenario(name: str) -> dict:
    spec = {"kind": "index", "excluded": "summary", "engine": "auto", "calls": 1}
    spec.update(SCENARIOS[name])
    return spec


class ShapedCrimeharm:
    """crimeharm on the shaped records: ``harm_index`` (or ``score``) as a user calls it."""

    def __init__(self, spec: dict) -> None:
        import crimeharm

        # its modules (and pandas, pyarrow) load on first use: load them with the imports, so
        # that the memory baseline holds them as it does for the other tools
        crimeharm.harm_index, crimeharm.score  # noqa: B018
        self.crimeharm, self.spec = crimeharm, spec
        self.shims: list[str] = []

    def load(self, weights_path: str) -> None:
        self.weights = self.crimeharm.load_weights("cchi-2020")

    def run(self, data):
        s, ch = self.spec, self.crimeharm
        common = {
            "code": KEY,
            "code_system": "ho_class",
            "date": "committed",
            "police_initiated": "police_initiated",
            "weights": self.weights,
        }
        if s["kind"] == "rows":
            return ch.score(data, **common)
        return ch.harm_index(
            data,
            by=s["by"],
            period=s["period"],
            excluded=s["excluded"],
            engine=s["engine"],
            **common,
        )

    def normalise(self, out):
        import pandas as pd

        if self.spec["kind"] == "rows":
            inc = out.loc[out["excluded"].isna(), ["lsoa", "committed", "harm_days"]]
            return _rows_groups(pd, inc["lsoa"], inc["committed"], inc["harm_days"])
        res = out.loc[out["crimes"] > 0]
        return pd.DataFrame(
            {
                "lsoa": res[self.spec["by"]].astype(str).to_numpy(),
                "month": res["period_start"].dt.strftime("%Y-%m").to_numpy(),
                "crimes": res["crimes"].to_numpy(float),
                "harm_days": res["harm_days"].to_numpy(float),
            }
        )


def _rows_groups(pd, lsoa, committed, harm):
    """Included rows of a row-level result, summed by LSOA x month (what the check compares)."""
    frame = pd.DataFrame(
        {
            "lsoa": pd.Series(lsoa).astype(str).to_numpy(),
            "month": pd.Series(committed).to_numpy().astype("datetime64[M]").astype(str),
            "harm_days": pd.Series(harm).to_numpy(float),
        }
    )
    out = frame.groupby(["lsoa", "month"], sort=False)["harm_days"].agg(["size", "sum"])
    out = out.reset_index().rename(columns={"size": "crimes", "sum": "harm_days"})
    return out.astype({"crimes": float})


#: DuckDB: a Home Office classification as written (``008/01``, ``8/1``, ``00801``) read as
#: ``NNN/NN``; anything else (unknown forms, malformed, null) is null and joins nothing.
_DUCK_CANON = (
    "CASE WHEN regexp_full_match(r.offence_code, '[0-9]{1,3}/[0-9]{1,2}') THEN "
    "lpad(split_part(r.offence_code, '/', 1), 3, '0') || '/' || "
    "lpad(split_part(r.offence_code, '/', 2), 2, '0') "
    "WHEN regexp_full_match(r.offence_code, '[0-9]{5}') THEN "
    "substr(r.offence_code, 1, 3) || '/' || substr(r.offence_code, 4, 2) END"
)


class ShapedDuckdb(Duckdb):
    def __init__(self, spec: dict, threads: int) -> None:
        super().__init__(threads)
        self.spec = spec

    def _source(self, data) -> str:
        if not isinstance(data, str):
            self.con.register("records", data)
            return "records"
        if data.endswith(".csv"):
            fmt = next(f for k, f in CSV_FORMATS.items() if data.endswith(k[4:] + ".csv"))
            return f"read_csv('{data}', timestampformat='{fmt}')"
        return f"read_parquet('{data}')"

    def _period(self) -> str:
        if self.spec["period"] == "month":
            return "date_trunc('month', r.committed)"
        return (
            "make_date(year(r.committed) - CASE WHEN month(r.committed) < 4 THEN 1 ELSE 0 END, "
            "4, 1)"
        )

    def run(self, data):
        source = self._source(data)
        if self.spec["kind"] == "rows":
            sql = f"""
                SELECT r.*, w.days,
                       w.ho_class IS NOT NULL AND NOT w.police_generated AND NOT w.not_crime
                           AND NOT r.police_initiated AS included,
                       CASE WHEN included THEN w.days ELSE 0 END AS harm_days
                FROM {source} AS r LEFT JOIN weights AS w ON ({_DUCK_CANON}) = w.ho_class
            """
            return self.con.sql(sql).to_arrow_table()
        by = self.spec["by"]
        sql = f"""
            SELECT r.{by} AS area, {self._period()} AS month,
                   count(*) AS crimes, sum(w.days) AS harm_days
            FROM {source} AS r
            JOIN weights AS w ON ({_DUCK_CANON}) = w.ho_class
            WHERE NOT w.police_generated AND NOT w.not_crime AND NOT r.police_initiated
            GROUP BY ALL
        """
        return self.con.sql(sql).to_arrow_table()

    def normalise(self, out):
        import pandas as pd

        if self.spec["kind"] == "rows":
            inc = out.filter(out.column("included")).select(["lsoa", "committed", "harm_days"])
            f = inc.to_pandas()
            return _rows_groups(pd, f["lsoa"], f["committed"], f["harm_days"])
        frame = out.to_pandas().rename(columns={"area": "lsoa"})
        frame["month"] = frame["month"].to_numpy().astype("datetime64[M]").astype(str)
        return frame


class ShapedPolars(Polars):
    def __init__(self, spec: dict) -> None:
        super().__init__()
        self.spec = spec

    def _records(self, data):
        pl = self.pl
        if not isinstance(data, str):
            return pl.from_pandas(data).lazy()
        if data.endswith(".csv"):
            fmt = next(f for k, f in CSV_FORMATS.items() if data.endswith(k[4:] + ".csv"))
            return pl.scan_csv(data).with_columns(
                pl.col("committed").str.strptime(pl.Datetime("us"), fmt)
            )
        return pl.scan_parquet(data)

    def _canonical(self):
        pl = self.pl
        c = pl.col(KEY)
        return (
            pl.when(c.str.contains(r"^\d{1,3}/\d{1,2}$"))
            .then(
                pl.concat_str(
                    c.str.extract(r"^(\d{1,3})/", 1).str.zfill(3),
                    pl.lit("/"),
                    c.str.extract(r"/(\d{1,2})$", 1).str.zfill(2),
                )
            )
            .when(c.str.contains(r"^\d{5}$"))
            .then(pl.concat_str(c.str.slice(0, 3), pl.lit("/"), c.str.slice(3, 2)))
            .alias("ho_class")
        )

    def _period(self):
        pl = self.pl
        c = pl.col("committed")
        if self.spec["period"] == "month":
            return c.dt.truncate("1mo").alias("month")
        year = c.dt.year() - (c.dt.month() < 4).cast(pl.Int32)
        return pl.date(year, 4, 1).alias("month")

    def run(self, data):
        pl = self.pl
        records = self._records(data).with_columns(self._canonical())
        if self.spec["kind"] == "rows":
            return (
                records.join(self.weights.lazy(), on="ho_class", how="left")
                .with_columns(
                    (
                        pl.col("days").is_not_null()
                        & ~pl.col("police_generated")
                        & ~pl.col("not_crime")
                        & ~pl.col("police_initiated")
                    )
                    .fill_null(value=False)
                    .alias("included")
                )
                .with_columns(
                    pl.when(pl.col("included"))
                    .then(pl.col("days"))
                    .otherwise(0.0)
                    .alias("harm_days")
                )
                .collect()
            )
        return (
            records.join(self.weights.lazy(), on="ho_class")
            .filter(
                ~pl.col("police_generated") & ~pl.col("not_crime") & ~pl.col("police_initiated")
            )
            .group_by(pl.col(self.spec["by"]).alias("area"), self._period())
            .agg(pl.len().alias("crimes"), pl.col("days").sum().alias("harm_days"))
            .collect()
        )

    def normalise(self, out):
        import pandas as pd

        pl = self.pl
        if self.spec["kind"] == "rows":
            inc = out.filter(pl.col("included")).select("lsoa", "committed", "harm_days")
            f = inc.to_pandas()
            return _rows_groups(pd, f["lsoa"], f["committed"], f["harm_days"])
        return (
            out.with_columns(pl.col("month").dt.strftime("%Y-%m"))
            .rename({"area": "lsoa"})
            .to_pandas()
        )


def read_records(path: str):
    """The shaped records in pandas, every column (what a notebook holds after reading)."""
    import pandas as pd

    return pd.read_parquet(path)


def run_import(tool: str) -> dict:
    """Time the cold import of one library (the scenario ``import``)."""
    rec: dict = {"rss_start": rss_bytes(), "maxrss_after_import": maxrss_bytes()}
    name = {"crimeharm": "crimeharm", "duckdb": "duckdb", "polars": "polars"}.get(tool, tool)
    t, cpu = time.perf_counter(), time.process_time()
    __import__(name)
    rec["job_s"] = time.perf_counter() - t
    rec["job_cpu_s"] = time.process_time() - cpu
    rec["maxrss"] = maxrss_bytes()
    rec["groups"] = 0
    return rec


def run_scenario(args: argparse.Namespace) -> dict:
    """One tool's run of one shaped scenario (see :data:`SCENARIOS`), in this fresh process."""
    spec = _scenario(args.scenario)
    if args.calls and spec["calls"] > 1:
        spec["calls"] = args.calls
    rec: dict = {
        "scenario": args.scenario,
        "tool": args.tool,
        "source": spec.get("file") or "none",
        "ok": False,
        "loadavg_start": os.getloadavg()[0],
    }
    if spec["kind"] == "import":
        rec.update(run_import(args.tool))
        rec.update(ok=True, loadavg_end=os.getloadavg()[0], import_s=0.0, load_weights_s=0.0)
        return rec
    rec["rss_start"] = rss_bytes()
    t = time.perf_counter()
    if args.tool == "crimeharm":
        tool = ShapedCrimeharm(spec)
    elif args.tool == "duckdb":
        tool = ShapedDuckdb(spec, args.threads)
    else:
        tool = ShapedPolars(spec)
    if spec["file"] in ("frame", "small"):
        import pandas  # noqa: F401  # the frame's own library belongs to the imports
    rec["import_s"] = time.perf_counter() - t
    rec["rss_after_import"] = rss_bytes()
    rec["maxrss_after_import"] = maxrss_bytes()
    t = time.perf_counter()
    tool.load(args.weights)
    rec["load_weights_s"] = time.perf_counter() - t
    data = args.path
    if spec["file"] in ("frame", "small"):
        t = time.perf_counter()
        data = read_records(args.path)
        if spec["file"] == "small":
            data = data.iloc[:SMALL_ROWS].copy()
        rec["read_frame_s"] = time.perf_counter() - t
        rec["rss_after_frame"] = rss_bytes()
        rec["maxrss_after_frame"] = maxrss_bytes()
        rec["peak_reset"] = reset_peak()
    rec["rss_before_job"] = rss_bytes()
    calls = []
    t0, cpu = time.perf_counter(), time.process_time()
    for _ in range(spec["calls"]):
        t = time.perf_counter()
        out = tool.run(data)
        calls.append(time.perf_counter() - t)
    rec["job_s"] = time.perf_counter() - t0
    rec["job_cpu_s"] = time.process_time() - cpu
    rec["call_s"] = sorted(calls)[len(calls) // 2]
    rec["maxrss"] = maxrss_bytes()
    rec["vmhwm"] = hwm_bytes()
    rec["groups"] = len(out)
    if args.tool == "crimeharm":
        meta = out.attrs["crimeharm"]
        rec["engine"] = meta.get("engine")
        rec["summary"] = {
            k: v
            for k, v in meta["summary"].items()
            if k in ("rows_in", "rows_included", "rows_excluded", "harm_days_included")
        }
    if args.result:
        res = tool.normalise(out)
        res = res[["lsoa", "month", "crimes", "harm_days"]].astype(
            {"lsoa": str, "month": str, "crimes": "float64", "harm_days": "float64"}
        )
        res.to_parquet(args.result, index=False)
        rec["result"] = args.result
    rec["loadavg_end"] = os.getloadavg()[0]
    rec["ok"] = True
    return rec


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
    ap.add_argument("--source", choices=SOURCES)
    ap.add_argument(
        "--scenario",
        choices=tuple(SCENARIOS),
        help="a shaped scenario (issue #12) instead of the uniform job; --path is the file it "
        "reads (the Parquet file for frame and small-calls)",
    )
    ap.add_argument("--path", help="Parquet file (or folder for 'dataset')")
    ap.add_argument("--weights", help="Parquet weights table for the baselines")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--strings", choices=("arrow", "category"), default="arrow")
    ap.add_argument("--result", help="write the normalised groups here (Parquet)")
    ap.add_argument("--engine", choices=ENGINES, default="auto", help="crimeharm's engine=")
    ap.add_argument("--calls", type=int, help="calls of the small-calls scenario (default 100)")
    args = ap.parse_args(argv)
    if args.scenario is None and (args.source is None or args.path is None):
        ap.error("--source and --path are required without --scenario")
    if args.source == "dataset" and not args.tool.startswith("crimeharm"):
        ap.error("the dataset source is run with crimeharm only")
    try:
        rec = run_scenario(args) if args.scenario else run(args)
    except Exception as exc:  # reported to the harness, which carries on
        rec = {
            "scenario": args.scenario,
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
