"""The benchmark harness still runs, and the four tools agree (issue #5). No timing is checked."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"_bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quick_run_agrees(tmp_path):
    pytest.importorskip("duckdb")
    pytest.importorskip("polars")
    pytest.importorskip("pyarrow")
    env = dict(os.environ)  # the children import crimeharm as this process does
    out = tmp_path / "results"
    proc = subprocess.run(
        [
            sys.executable,
            str(BENCH / "run.py"),
            "--quick",
            "--rows",
            "2e4",
            "--repeats",
            "1",
            "--out",
            str(out),
            "--data-dir",
            str(tmp_path / "data"),
            "--parts",
            "3",
            "--jobs",
            "2",
            "--scenarios",  # a few of the shaped scenarios (the CI's quick run has them all)
            "small-row-groups",
            "csv-uk",
            "rows",
            "small-calls",
            "import",
            "--calls",
            "3",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,  # a guard against a hang; the run takes seconds on an idle machine
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads((out / "results.json").read_text())
    (size,) = result["sizes"]
    runs = size["runs"]
    assert {(r["tool"], r["source"]) for r in runs} >= {
        (t, s)
        for t in ("crimeharm", "crimeharm-full", "duckdb", "polars", "pandas")
        for s in ("parquet", "frame")
    } | {("crimeharm", "dataset"), ("crimeharm-full", "dataset")}
    assert all(r["ok"] for r in runs), [r.get("error") for r in runs if not r["ok"]]
    checks = size["checks"]
    assert len(checks) == len(runs) - 1  # every result against crimeharm's from Parquet
    assert all(c["ok"] for c in checks), checks
    assert all(c["groups"] > 0 and c["missing"] == 0 and c["extra"] == 0 for c in checks)
    crimeharm = next(r for r in runs if r["tool"] == "crimeharm" and r["source"] == "parquet")
    assert crimeharm["summary"]["rows_in"] == 20_000
    from crimeharm._engine import new_engine

    used = {r["engine"] for r in runs if r["tool"].startswith("crimeharm")}
    assert used == {new_engine("auto", [], None).name} == {result["machine"]["versions"]["engine"]}
    assert (out / "results.csv").read_text().startswith("rows,tool,source")
    shaped = json.loads((out / "scenarios.json").read_text())
    assert {(r["scenario"], r["tool"]) for r in shaped["runs"]} == {
        (s, t)
        for s in ("small-row-groups", "csv-uk", "rows", "small-calls", "import")
        for t in ("crimeharm", "duckdb", "polars", *(["pandas"] if s == "import" else []))
    }
    assert all(r["ok"] for r in shaped["runs"]), [r.get("error") for r in shaped["runs"]]
    assert len(shaped["checks"]) == 8  # crimeharm against both peers, in four scenarios
    assert all(c["ok"] for c in shaped["checks"]), shaped["checks"]
    assert all(c["groups"] > 0 for c in shaped["checks"])
    assert not (ROOT / "docs" / "benchmarks.md").read_text().count("20,000 |")  # docs untouched


def test_generator_is_seeded_and_streams(tmp_path):
    pytest.importorskip("pyarrow")
    datagen = _load("datagen")
    datagen.CHUNK_ROWS = 3_000  # several row groups from a tiny file
    a = datagen.write(tmp_path / "a.parquet", 10_000)
    b = datagen.write(tmp_path / "b.parquet", 7_000)
    import pyarrow.parquet as pq

    ta, tb = pq.read_table(a), pq.read_table(b)
    assert pq.ParquetFile(a).num_row_groups == 4
    assert ta.slice(0, 6_000).equals(tb.slice(0, 6_000))  # whole chunks are a prefix
    assert ta.schema.field("committed").type == "date32[day]"
    assert ta.column_names == datagen.COLUMNS
    df = ta.to_pandas()
    assert df["lsoa"].str.match(r"^E01\d{6}$").all()
    assert df["committed"].min().isoformat() >= "2019-04-01"
    assert df["committed"].max().isoformat() <= "2024-03-31"
    assert 0.03 < df["police_initiated"].mean() < 0.07
    counts = df["offence_code"].value_counts()
    assert counts.iloc[0] > 10 * counts.median()  # skewed
    assert datagen.is_current(a, 10_000)
    assert not datagen.is_current(a, 7_000)
    folder = datagen.split(a, tmp_path / "parts", 3)
    import pyarrow.dataset as pads

    assert pads.dataset(folder).to_table().equals(ta)


def test_rewrite_block():
    run = _load("run")
    text = f"# B\n\nintro\n\n{run.START}\nold\n{run.END}\n\nafter\n"
    new = run.rewrite_block(text, "| new |")
    assert new == f"# B\n\nintro\n\n{run.START}\n| new |\n{run.END}\n\nafter\n"
    assert run.rewrite_block("# B\n", "x").endswith(f"{run.START}\nx\n{run.END}\n")
    assert [run.label(n) for n in (20_000, 1_000_000, 100_000_000, 1234)] == [
        "20k",
        "1m",
        "100m",
        "1234",
    ]
