"""The three ways of adding records give the same sums.

- the one-pass compiled path (``crimeharm._engine.fused``: scoring and adding fused),
- the column-by-column path with the compiled accumulation (``CRIMEHARM_FUSED=0``),
- the pure numpy path (``CRIMEHARM_COMPILED=0``).

The first two add the same numbers in the same order, so they must agree
exactly; numpy's ``bincount`` adds a batch's sum to a cell at once, so it agrees
to rounding.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import crimeharm
from crimeharm._engine import fused as _fused
from crimeharm._engine import kernel as _kernel

pytestmark = pytest.mark.skipif(
    _kernel.compiled() is None, reason="the compiled module is not built"
)

CODES = crimeharm.load_weights().table["ho_class"].dropna().unique()


def _records(n: int, seed: int, *, date_kind: str = "text") -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    codes = np.append(CODES, ["999/99", "", "junk"])
    days = rng.integers(0, 900, n)
    dates = pd.to_datetime("2020-01-01") + pd.to_timedelta(days, unit="D")
    frame = pd.DataFrame(
        {
            "offence_code": rng.choice(codes, n),
            "area": rng.choice(["a", "b", "c", None], n),
            "flag": rng.random(n) < 0.1,
            "company": rng.random(n) < 0.05,
            "count": rng.integers(-1, 5, n),
        }
    )
    frame.loc[rng.random(n) < 0.02, "offence_code"] = None
    if date_kind == "text":
        d = pd.Series(dates.strftime("%Y-%m-%d"), dtype=object)
        d[rng.random(n) < 0.05] = "not a date"
        d[rng.random(n) < 0.03] = None
    else:
        d = pd.Series(dates).astype("datetime64[ms]")
        d[rng.random(n) < 0.03] = pd.NaT
    frame["d"] = d
    return frame


def _run(monkeypatch, engine: str, data, **kw) -> pd.DataFrame:
    monkeypatch.setenv("CRIMEHARM_COMPILED", "0" if engine == "numpy" else "1")
    monkeypatch.setenv("CRIMEHARM_FUSED", "1" if engine == "fused" else "0")
    calls = []
    add = _fused.Prepared.add
    monkeypatch.setattr(_fused.Prepared, "add", lambda self, *a: calls.append(1) or add(self, *a))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", crimeharm.UnknownCodeWarning)
        out = crimeharm.harm_index(data, **kw)
    out.attrs["fused_batches"] = len(calls)
    return out


def _same(a: pd.DataFrame, b: pd.DataFrame, *, exact: bool) -> None:
    if exact:
        pd.testing.assert_frame_equal(a, b, check_exact=True)
    else:
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-12)
    sa, sb = a.attrs["crimeharm"]["summary"], b.attrs["crimeharm"]["summary"]
    assert sa["rows_in"] == sb["rows_in"]
    assert sa["rows_excluded"] == sb["rows_excluded"]
    assert sa["unknown_codes_top"] == sb["unknown_codes_top"]
    assert sa["ambiguous_codes"] == sb["ambiguous_codes"]
    assert sa["bad_date_examples"] == sb["bad_date_examples"]
    assert sa["harm_days_included"] == pytest.approx(sb["harm_days_included"], rel=1e-12)


@pytest.mark.parametrize("count", [None, "count"])
@pytest.mark.parametrize("period", ["month", "rolling:3m", None])
def test_engines_agree(monkeypatch, count, period):
    df = _records(20_000, seed=7)
    kw = {
        "by": "area",
        "period": period,
        "date": "d",
        "police_initiated": "flag",
        "count": count,
        "batch_rows": 3_000,
    }
    fused = _run(monkeypatch, "fused", df, **kw)
    general = _run(monkeypatch, "general", df, **kw)
    slow = _run(monkeypatch, "numpy", df, **kw)
    assert fused.attrs["crimeharm"]["engine"] == "compiled"
    assert slow.attrs["crimeharm"]["engine"] == "numpy"
    assert fused.attrs.pop("fused_batches") == (7 if count is None else 0)
    assert general.attrs.pop("fused_batches") == slow.attrs.pop("fused_batches") == 0
    _same(fused, general, exact=True)
    _same(fused, slow, exact=False)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(0, 3_000),
    date_kind=st.sampled_from(["text", "datetime"]),
    period=st.sampled_from([None, "month", "quarter", "financial-year", "rolling:12m"]),
    by=st.sampled_from([None, "area"]),
    window=st.sampled_from([(None, None), ("2020-03-01", None), ("2020-02-15", "2021-06-30")]),
    unknown=st.sampled_from(["exclude", "zero"]),
    flags=st.sampled_from([(), ("flag",), ("flag", "company")]),
    complete=st.booleans(),
    batch_rows=st.sampled_from([257, 1_000, 1 << 20]),
)
def test_fused_path_matches_column_by_column(
    monkeypatch, seed, n, date_kind, period, by, window, unknown, flags, complete, batch_rows
):
    df = _records(n, seed, date_kind=date_kind)
    kw = {
        "by": by,
        "period": period,
        "date": "d",
        "start": window[0],
        "end": window[1],
        "unknown": unknown,
        "complete": complete,
        "batch_rows": batch_rows,
        "police_initiated": "flag" if "flag" in flags else None,
        "company_detected": "company" if "company" in flags else None,
    }
    fused = _run(monkeypatch, "fused", df, **kw)
    general = _run(monkeypatch, "general", df, **kw)
    assert fused.attrs.pop("fused_batches") == -(-n // batch_rows)
    general.attrs.pop("fused_batches")
    _same(fused, general, exact=True)


@pytest.mark.parametrize("source", ["parquet", "arrow", "categorical"])
def test_fused_path_reads_arrow_and_categoricals_as_they_are(monkeypatch, tmp_path, source):
    df = _records(5_000, seed=3, date_kind="datetime")
    df["d"] = df["d"].dt.date  # Arrow date32 in Parquet and Arrow tables
    data: object
    if source == "categorical":
        df["offence_code"] = df["offence_code"].astype("category")
        df["area"] = df["area"].astype("category")
        data = df
    else:
        table = pa.Table.from_pandas(df, preserve_index=False)
        assert table.schema.field("d").type == pa.date32()
        data = table
        if source == "parquet":
            data = tmp_path / "r.parquet"
            pq.write_table(table, data, row_group_size=1_500)
    kw = {"by": "area", "period": "month", "date": "d", "police_initiated": "flag"}
    fused = _run(monkeypatch, "fused", data, **kw)
    general = _run(monkeypatch, "general", data, **kw)
    assert fused.attrs.pop("fused_batches") == (4 if source == "parquet" else 1)
    general.attrs.pop("fused_batches")
    _same(fused, general, exact=True)


def test_unknown_raise_stops_on_the_compiled_path_too(monkeypatch):
    df = _records(2_000, seed=5)
    monkeypatch.setenv("CRIMEHARM_FUSED", "1")
    with pytest.raises(crimeharm.CodeError, match="999/99"):
        crimeharm.harm_index(df, by="area", date="d", unknown="raise")


def test_dates_spread_over_centuries_take_the_column_path(monkeypatch):
    df = _records(3_000, seed=11, date_kind="datetime")
    df.loc[0, "d"] = pd.Timestamp("1700-01-01")
    df.loc[1, "d"] = pd.Timestamp("2200-01-01")
    # the widest plausibility window, so that both dates are placed in their years
    kw = {"by": "area", "period": "year", "date": "d", "batch_rows": 1_000, "date_range": None}
    fused = _run(monkeypatch, "fused", df, **kw)
    general = _run(monkeypatch, "general", df, **kw)
    assert fused.attrs.pop("fused_batches") == 2  # the first batch took the column path
    general.attrs.pop("fused_batches")
    _same(fused, general, exact=True)
    assert {"1700", "2200"} <= set(fused["period"].astype(str))


@pytest.mark.parametrize("engine", ["fused", "general", "numpy"])
@pytest.mark.parametrize("period", ["month", None])
def test_excluded_summary_is_the_included_part_of_the_columns(monkeypatch, engine, period):
    df = _records(8_000, seed=13)
    kw = {"by": "area", "period": period, "date": "d", "police_initiated": "flag"}
    kw["batch_rows"] = 3_000
    full = _run(monkeypatch, engine, df, **kw)
    lean = _run(monkeypatch, engine, df, excluded="summary", **kw)
    keys = ["area"] + (["period", "period_start", "period_end"] if period else [])
    assert list(lean.columns) == [*keys, "crimes", "harm_days"]
    kept = full[(full["crimes"] != 0) | (full["harm_days"] != 0)]
    expected = kept[[*keys, "crimes", "harm_days"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(lean.reset_index(drop=True), expected, check_exact=True)
    if period:  # the undated cells hold excluded records only
        assert len(kept) < len(full)
    sf, sl = full.attrs["crimeharm"]["summary"], lean.attrs["crimeharm"]["summary"]
    assert sl["rows_excluded"] == sf["rows_excluded"]
    assert sl["crimes_excluded"] == sf["crimes_excluded"]
    for reason, harm in sf["harm_days_excluded"].items():
        assert sl["harm_days_excluded"][reason] == pytest.approx(harm, rel=1e-12)
    assert sl["harm_days_included"] == sf["harm_days_included"]


def test_excluded_option_is_checked():
    with pytest.raises(ValueError, match="excluded="):
        crimeharm.harm_index(_records(10, seed=1), excluded="none")


def _dated(kind: str) -> object:
    """Records whose dates straddle 1970 (negative day numbers) and a month end, as ``kind``."""
    stamps = pd.to_datetime(
        [
            "1969-12-31 23:59:59",
            "1970-01-01 00:00:00",
            "1969-11-30 12:00:00",
            "2024-02-29 23:00:00",
            "2024-03-01 00:00:00",
            None,
            "1969-12-01 00:00:01",
        ]
    )
    n = len(stamps)
    frame = pd.DataFrame(
        {
            "offence_code": ["008/01", "034/02", "008/06", "092/10", "008/01", "034/02", "001/01"],
            "area": ["a", "b", None, "a", "b", "a", "b"],
            "flag": [False, True, False, False, False, False, False],
        }
    )
    if kind.startswith("datetime64"):
        frame["d"] = pd.Series(stamps).astype(kind)
        return frame
    if kind == "tz":
        frame["d"] = pd.Series(stamps).dt.tz_localize("Europe/London")
        return frame
    table = pa.Table.from_pandas(frame, preserve_index=False)
    if kind == "arrow-us":
        col = pa.array(stamps.to_numpy(), type=pa.timestamp("us"))
    elif kind == "date32-nulls":
        col = pa.array([s.date() if s is not pd.NaT else None for s in stamps], type=pa.date32())
    else:  # date32 without nulls
        col = pa.array([(s if s is not pd.NaT else stamps[0]).date() for s in stamps], pa.date32())
    assert len(col) == n
    return table.append_column("d", col)


@pytest.mark.parametrize(
    "kind",
    [
        "datetime64[s]",
        "datetime64[ms]",
        "datetime64[us]",
        "datetime64[ns]",
        "tz",
        "arrow-us",
        "date32-nulls",
        "date32",
    ],
)
@pytest.mark.parametrize("period", ["month", "year"])
def test_date_types_and_days_before_1970(monkeypatch, kind, period):
    data = _dated(kind)
    kw = {"by": "area", "period": period, "date": "d", "police_initiated": "flag"}
    fused = _run(monkeypatch, "fused", data, **kw)
    general = _run(monkeypatch, "general", data, **kw)
    assert fused.attrs.pop("fused_batches") == 1
    general.attrs.pop("fused_batches")
    _same(fused, general, exact=True)
    if period == "month" and kind != "tz":
        labels = set(fused["period"].dropna().astype(str))
        assert {"1969-11", "1969-12", "1970-01", "2024-02", "2024-03"} <= labels
