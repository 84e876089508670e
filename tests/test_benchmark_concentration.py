"""The concentration benchmark runs and the three tools agree (issue 13). No timing is checked."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "concentration.py"


def test_quick_run_agrees(tmp_path):
    pytest.importorskip("duckdb")
    pytest.importorskip("polars")
    out = tmp_path / "concentration.json"
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads(out.read_text())
    for job in ("per_person", "concentration"):
        assert report["jobs"][job]["agree"] == {"duckdb": True, "polars": True}
        tools = {"crimeharm", "duckdb", "polars"}
        for figure in ("seconds", "seconds_median", "cpu_seconds", "peak_mib"):
            assert set(report["jobs"][job][figure]) == tools, figure
        assert all(v >= 0 for v in report["jobs"][job]["cpu_seconds"].values())
        if Path("/proc/self/clear_refs").exists():  # Linux: peak memory is measured
            assert all(v is not None for v in report["jobs"][job]["peak_mib"].values())
    assert report["jobs"]["per_person"]["persons"] == 4000
    assert report["jobs"]["concentration"]["units"] == 500


def test_closing_figures_script(tmp_path):
    """benchmarks/closing_figures.py runs and reports what the docs' examples show."""
    script = BENCH.parent / "closing_figures.py"
    out = tmp_path / "closing.json"
    proc = subprocess.run(
        [sys.executable, str(script), "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads(out.read_text())
    month = report["lsoa_2013-06"]
    assert month["crimes"]["units"] == month["harm_days"]["units"] == 16
    assert round(month["harm_days"]["gini"], 3) == 0.878
    join = report["month_hdf"]["outcomes"]
    assert (join["street_crimes"], join["crimes_with_final_outcome"]) == (476, 105)
    assert round(report["month_hdf"]["series"]["hdf"][0], 3) == 0.181
    assert len(report["series_example"]["neighbourhood"]) == 4
