"""Memory of the sums: bounded by the periods records fall in, not by the span of their dates."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

import crimeharm
from crimeharm._engine import memory

#: Run in a fresh process whose address space is capped a little above what it uses
#: before the calls: the sums of 20,000 areas x 24 months fit easily, but a dense area x
#: month grid up to 2100 (about 0.3 GB a status) or to 9999 (about 30 GB) does not.
_CAPPED = textwrap.dedent(
    """
    import resource, sys
    import numpy as np, pandas as pd
    import crimeharm

    engine = sys.argv[1]
    rng = np.random.default_rng(5)
    n, areas = 40_000, 20_000
    days = np.datetime64("2018-01-01") + rng.integers(0, 730, n).astype("timedelta64[D]")
    df = pd.DataFrame({
        "offence_code": np.where(rng.random(n) < 0.5, "008/01", "034/02"),
        "lsoa": [f"E{i:08d}" for i in rng.integers(0, areas, n)],
        "date": days.astype(str).astype(object),
    })
    normal = crimeharm.harm_index(df, by="lsoa", period="month", date="date", engine=engine)
    with open("/proc/self/status") as f:
        vm = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize:"))
    resource.setrlimit(resource.RLIMIT_AS, (vm + (256 << 20), resource.RLIM_INFINITY))
    late = df.copy()
    late.loc[0, "date"] = "2100-06-01"
    out = crimeharm.harm_index(late, by="lsoa", period="month", date="date", engine=engine)
    assert "2100-06" in set(out["period"].astype(str))
    assert out["crimes"].sum() + out["excluded"].sum() == n
    assert out["crimes"].sum() >= normal["crimes"].sum() - 1
    far = df.copy()
    far.loc[0, "date"] = "9999-12-31"
    out = crimeharm.harm_index(
        far, by="lsoa", period="month", date="date", date_range=None, engine=engine
    )
    assert "9999-12" in set(out["period"].astype(str)), sorted(set(out["period"].astype(str)))[-3:]
    assert out["crimes"].sum() + out["excluded"].sum() == n
    print("ok")
    """
)


def test_outlying_dates_stay_within_the_normal_jobs_memory(engine):
    env = {**os.environ, "MALLOC_ARENA_MAX": "2", "OMP_NUM_THREADS": "1"}
    run = subprocess.run(
        [sys.executable, "-c", _CAPPED, engine],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip().endswith("ok")


def _records(n: int, areas: int, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    days = np.datetime64("2019-01-01") + rng.integers(0, 365, n).astype("timedelta64[D]")
    return pd.DataFrame(
        {
            "offence_code": np.where(rng.random(n) < 0.5, "008/01", "034/02"),
            "area": [f"A{i}" for i in rng.integers(0, areas, n)],
            "date": days,
        }
    )


def test_periods_are_in_order_whatever_order_they_first_appear(each_engine):
    df = _records(3_000, 7)
    rev = df.sort_values("date", ascending=False, kind="stable").reset_index(drop=True)
    a = crimeharm.harm_index(df, by="area", period="month", date="date", batch_rows=97)
    b = crimeharm.harm_index(rev, by="area", period="month", date="date", batch_rows=97)
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-12)
    labels = a["period"].astype(str).tolist()
    for _, grp in a.groupby("area", observed=True):
        starts = grp["period_start"].to_numpy()
        assert (np.diff(starts.astype("int64")) > 0).all()
    assert list(a["period"].cat.categories) == sorted(set(labels))


def test_rolling_windows_from_the_occupied_periods(each_engine):
    df = _records(2_000, 3)
    df.loc[:9, "date"] = pd.Timestamp("2024-07-15")  # a gap of years between the periods
    out = crimeharm.harm_index(df, by="area", period="rolling:3m", date="date")
    month = df["date"].dt.to_period("M")
    for _, row in out.iterrows():
        end = pd.Period(row["period_end"], "D").asfreq("M")
        inside = (df["area"] == row["area"]) & (month > end - 3) & (month <= end)
        assert row["crimes"] + row["excluded"] == int(inside.sum())
    ends = set(out["period"].astype(str))
    assert any(e.endswith("Jul 2024") for e in ends)  # the last window: the last month
    assert not any("2022" in e for e in ends)  # no window without a record is made
    full = crimeharm.harm_index(df, by="area", period="rolling:3m", date="date", complete=True)
    assert len(full) == 3 * (2024 * 12 + 7 - (2019 * 12 + 1) - 1)


def test_complete_over_an_absurd_span_is_refused_before_allocating(each_engine, monkeypatch):
    df = _records(500, 50)
    df.loc[0, "date"] = pd.Timestamp("2100-06-01")
    monkeypatch.setattr(memory, "available_bytes", lambda: 256 << 10)
    monkeypatch.setattr(memory, "CHECKED_FROM", 16 << 10)
    with pytest.raises(crimeharm.SumsMemoryError, match=r"2019-01 to 2100-06") as err:
        crimeharm.harm_index(df, by="area", period="month", date="date", complete=True)
    assert err.value.values == ["2019-01", "2100-06"]
    assert isinstance(err.value, MemoryError)
    out = crimeharm.harm_index(df, by="area", period="month", date="date")  # sparse: fits
    assert out["crimes"].sum() + out["excluded"].sum() == 500


def test_memory_estimate_is_one_line():
    est = crimeharm.estimate_sums_memory(groups=37_000, periods=60, statuses=4)
    assert est.bytes == 37_000 * 61 * 4 * memory.CELL_BYTES
    assert "\n" not in est.line
    assert "37,000" in est.line
    eng = crimeharm._engine.new_engine("numpy", ["area"], None)
    eng.add_scored(
        {"area": pd.Series(["a", "b"])},
        2,
        status=np.zeros(2, dtype=np.uint8),
        crimes=None,
        harm=np.ones(2),
        period_day=None,
    )
    line = eng.memory().line
    assert line.startswith("sums: ")
    assert eng.memory().bytes == 64 * 1 * memory.CELL_BYTES
