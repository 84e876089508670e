"""The engines, and the three ways of adding records, give the same sums.

- the compiled engine's one pass (``crimeharm._engine.fused``: scoring and adding fused),
- the compiled engine's column-by-column path (options or dates the one pass does not take),
- the numpy engine (``engine="numpy"``).

The first two add the same numbers in the same order, so they must agree
exactly; numpy's ``bincount`` adds a batch's sum to a cell at once, so its
harm agrees to rounding (its counts exactly). Also: how the engine is chosen,
and that the compiled loops hold the marker values and the rule of precedence
that Python does.
"""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import crimeharm
from crimeharm import OptionError
from crimeharm._engine import base, fused
from crimeharm._engine.compiled import CompiledEngine, load
from crimeharm.reasons import INCLUDED, REASONS, STATUS, mark
from crimeharm.scoring import dates

needs_compiled = pytest.mark.skipif(load() is None, reason="the compiled engine is not built")

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


def _run(monkeypatch, path: str, data, **kw) -> pd.DataFrame:
    """``harm_index`` by one path: ``one-pass``, ``columns`` (compiled) or ``numpy``.

    ``attrs["one_pass_batches"]`` counts the batches the one pass added.
    """
    calls = []
    engine = "numpy" if path == "numpy" else "compiled"
    add = CompiledEngine._add_prepared
    with monkeypatch.context() as m:
        m.setattr(CompiledEngine, "_add_prepared", lambda self, p: calls.append(1) or add(self, p))
        if path == "columns":
            m.setattr(fused, "eligible", lambda opts: False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", crimeharm.UnknownCodeWarning)
            out = crimeharm.harm_index(data, engine=engine, **kw)
    out.attrs["one_pass_batches"] = len(calls)
    return out


PATHS = [
    pytest.param("one-pass", marks=needs_compiled),
    pytest.param("columns", marks=needs_compiled),
    "numpy",
]
HARM = ("harm_days", "excluded_harm_")


def _same(a: pd.DataFrame, b: pd.DataFrame, *, exact: bool) -> None:
    """Equal results; unless ``exact``, the harm columns (only) to relative 1e-12."""
    harm = [c for c in a.columns if c.startswith(HARM)]
    rest = [c for c in a.columns if c not in harm]
    pd.testing.assert_frame_equal(a[rest], b[rest], check_exact=True)
    pd.testing.assert_frame_equal(a[harm], b[harm], check_exact=exact, rtol=1e-12)
    sa, sb = a.attrs["crimeharm"]["summary"], b.attrs["crimeharm"]["summary"]
    assert sa["rows_in"] == sb["rows_in"]
    assert sa["rows_excluded"] == sb["rows_excluded"]
    assert sa["crimes_excluded"] == sb["crimes_excluded"]
    assert sa["unknown_codes_top"] == sb["unknown_codes_top"]
    assert sa["ambiguous_codes"] == sb["ambiguous_codes"]
    assert sa["bad_date_examples"] == sb["bad_date_examples"]
    assert sa["harm_days_included"] == pytest.approx(sb["harm_days_included"], rel=1e-12)


@needs_compiled
@pytest.mark.parametrize("count", [None, "count"])
@pytest.mark.parametrize("period", ["month", "rolling:3m", None])
def test_engines_agree(monkeypatch, count, period):
    df = _records(20_000, seed=7)
    kw = {
        "by": "area",
        "period": period,
        "date": "d",
        "police_initiated": "flag",
        "company_detected": "company",
        "count": count,
        "batch_rows": 3_000,
    }
    one_pass = _run(monkeypatch, "one-pass", df, **kw)
    general = _run(monkeypatch, "columns", df, **kw)
    slow = _run(monkeypatch, "numpy", df, **kw)
    assert one_pass.attrs["crimeharm"]["engine"] == general.attrs["crimeharm"]["engine"]
    assert one_pass.attrs["crimeharm"]["engine"] == "compiled"
    assert slow.attrs["crimeharm"]["engine"] == "numpy"
    assert one_pass.attrs.pop("one_pass_batches") == (-(-len(df) // 3_000) if count is None else 0)
    assert general.attrs.pop("one_pass_batches") == slow.attrs.pop("one_pass_batches") == 0
    _same(one_pass, general, exact=True)
    _same(one_pass, slow, exact=False)


@needs_compiled
@pytest.mark.parametrize("by", [["area", "flag"], ["flag", "area", "company"]])
def test_several_by_columns_take_the_one_pass_and_agree(monkeypatch, by):
    df = _records(20_000, seed=11)
    df["flag"] = df["flag"].map({True: "yes", False: "no"})
    df.loc[df.index[::97], "flag"] = None  # a blank value in a later by column
    kw = {"by": by, "period": "month", "date": "d", "company_detected": "company"}
    kw["batch_rows"] = 3_000
    one_pass = _run(monkeypatch, "one-pass", df, **kw)
    general = _run(monkeypatch, "columns", df, **kw)
    slow = _run(monkeypatch, "numpy", df, **kw)
    assert one_pass.attrs.pop("one_pass_batches") == -(-len(df) // 3_000)
    assert general.attrs.pop("one_pass_batches") == slow.attrs.pop("one_pass_batches") == 0
    _same(one_pass, general, exact=True)
    _same(one_pass, slow, exact=False)
    # the categories follow the rows, whatever order the groups were first seen in
    for name in by:
        assert list(one_pass[name].cat.categories) == list(dict.fromkeys(one_pass[name].dropna()))


@needs_compiled
def test_by_combinations_beyond_one_table_take_the_column_path(monkeypatch):
    from crimeharm._engine import groups

    df = _records(5_000, seed=12)
    df["flag"] = df["flag"].astype(str)
    kw = {"by": ["area", "flag"], "period": "month", "date": "d", "batch_rows": 1_000}
    reference = _run(monkeypatch, "one-pass", df, **kw)
    assert reference.attrs.pop("one_pass_batches") == 5
    monkeypatch.setattr(groups, "_LOOKUP_ENTRIES", 4)  # 4 areas x 2 flags do not fit
    out = _run(monkeypatch, "one-pass", df, **kw)
    assert out.attrs.pop("one_pass_batches") == 0
    _same(out, reference, exact=True)


@pytest.mark.parametrize("path", PATHS)
def test_sorted_parquet_reserves_its_periods_with_the_same_result(monkeypatch, tmp_path, path):
    df = _records(12_000, seed=13, date_kind="datetime").sort_values("d", na_position="first")
    file = tmp_path / "sorted.parquet"
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), file, row_group_size=1_000)
    reserved = []
    reserve = base.Engine.reserve
    monkeypatch.setattr(
        base.Engine, "reserve", lambda self, n: reserved.append(n) or reserve(self, n)
    )
    kw = {"by": "area", "period": "month", "date": "d", "police_initiated": "flag"}
    from_file = _run(monkeypatch, path, str(file), **kw)
    in_memory = _run(monkeypatch, path, df, **kw)
    dated = df["d"].dropna()
    months = (dated.max().year - dated.min().year) * 12 + dated.max().month - dated.min().month
    assert reserved == [months + 1, 0]  # the frame has no statistics to read
    from_file.attrs.pop("one_pass_batches")
    in_memory.attrs.pop("one_pass_batches")
    _same(from_file, in_memory, exact=path != "numpy")


def test_periods_spanned_keeps_to_the_window_and_unknown_inputs(tmp_path):
    from crimeharm.scoring.inputs import open_source
    from crimeharm.scoring.options import ScoreOptions
    from crimeharm.scoring.periods import parse_period
    from crimeharm.scoring.sums import periods_spanned

    days = pd.to_datetime(["2019-04-03", "2020-01-31", "2024-03-01"])
    file = tmp_path / "d.parquet"
    pq.write_table(pa.table({"offence_code": ["8/1"] * 3, "d": days.values}), file)
    text = tmp_path / "t.parquet"
    pq.write_table(pa.table({"offence_code": ["8/1"] * 3, "d": days.strftime("%Y-%m-%d")}), text)
    month = parse_period("month")

    def span(path, **kw):
        opts = ScoreOptions.from_arguments({"date": "d", **kw})
        return periods_spanned(open_source(str(path), columns=["d"]), opts, month)

    assert span(file) == 60  # April 2019 to March 2024
    assert span(file, start="2020-01-01", end="2020-06-30") == 6
    assert span(file, date_range=("2019-01-01", "2019-12-31")) == 9
    assert span(text) == 0  # dates written as text: no statistics to read
    assert (
        periods_spanned(
            open_source(pd.DataFrame({"d": days})),
            ScoreOptions.from_arguments({"date": "d"}),
            month,
        )
        == 0
    )


@needs_compiled
@pytest.mark.parametrize("excluded", ["columns", "summary"])
@pytest.mark.parametrize("period", ["quarter", None])
def test_aggregate_is_the_same_on_both_engines(excluded, period):
    df = _records(6_000, seed=17)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", crimeharm.UnknownCodeWarning)
        scored = crimeharm.score(df, date="d", count="count", police_initiated="flag")
    kw = {"by": "area", "period": period, "excluded": excluded}
    fast = crimeharm.aggregate(scored, engine="compiled", **kw)
    slow = crimeharm.aggregate(scored, engine="numpy", **kw)
    assert (fast.attrs["crimeharm"]["engine"], slow.attrs["crimeharm"]["engine"]) == (
        "compiled",
        "numpy",
    )
    _same(fast, slow, exact=False)


@needs_compiled
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
def test_one_pass_matches_column_by_column(
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
    one_pass = _run(monkeypatch, "one-pass", df, **kw)
    general = _run(monkeypatch, "columns", df, **kw)
    assert one_pass.attrs.pop("one_pass_batches") == -(-n // batch_rows)
    general.attrs.pop("one_pass_batches")
    _same(one_pass, general, exact=True)


@needs_compiled
@pytest.mark.parametrize("source", ["parquet", "parquet-coalesced", "arrow", "categorical"])
def test_one_pass_reads_arrow_and_categoricals_as_they_are(monkeypatch, tmp_path, source):
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
        if source.startswith("parquet"):
            data = tmp_path / "r.parquet"
            pq.write_table(table, data, row_group_size=1_500)
    if source == "parquet":  # one batch per row group: each with its own dictionaries
        monkeypatch.setattr("crimeharm.scoring.inputs.MIN_BATCH_ROWS", 1)
    # (coalesced: the four row groups in one batch, their dictionaries unified)
    kw = {"by": "area", "period": "month", "date": "d", "police_initiated": "flag"}
    one_pass = _run(monkeypatch, "one-pass", data, **kw)
    general = _run(monkeypatch, "columns", data, **kw)
    assert one_pass.attrs.pop("one_pass_batches") == (4 if source == "parquet" else 1)
    general.attrs.pop("one_pass_batches")
    _same(one_pass, general, exact=True)


@pytest.mark.parametrize("path", PATHS)
def test_unknown_raise_stops_on_every_path(monkeypatch, path):
    df = _records(2_000, seed=5)
    with pytest.raises(crimeharm.CodeError, match="999/99"):
        _run(monkeypatch, path, df, by="area", date="d", unknown="raise")


@needs_compiled
def test_dates_spread_over_centuries_take_the_column_path(monkeypatch):
    df = _records(3_000, seed=11, date_kind="datetime")
    df.loc[0, "d"] = pd.Timestamp("1700-01-01")
    df.loc[1, "d"] = pd.Timestamp("2200-01-01")
    # the widest plausibility window, so that both dates are placed in their years
    kw = {"by": "area", "period": "year", "date": "d", "batch_rows": 1_000, "date_range": None}
    one_pass = _run(monkeypatch, "one-pass", df, **kw)
    general = _run(monkeypatch, "columns", df, **kw)
    assert one_pass.attrs.pop("one_pass_batches") == 2  # the first batch took the column path
    general.attrs.pop("one_pass_batches")
    _same(one_pass, general, exact=True)
    assert {"1700", "2200"} <= set(one_pass["period"].astype(str))


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("period", ["month", None])
def test_excluded_summary_is_the_included_part_of_the_columns(monkeypatch, path, period):
    df = _records(8_000, seed=13)
    kw = {"by": "area", "period": period, "date": "d", "police_initiated": "flag"}
    kw["batch_rows"] = 3_000
    full = _run(monkeypatch, path, df, **kw)
    lean = _run(monkeypatch, path, df, excluded="summary", **kw)
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
    assert sl["harm_days_excluded"] == sf["harm_days_excluded"]  # exact sums, by status or cell
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


@needs_compiled
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
    one_pass = _run(monkeypatch, "one-pass", data, **kw)
    general = _run(monkeypatch, "columns", data, **kw)
    assert one_pass.attrs.pop("one_pass_batches") == 1
    general.attrs.pop("one_pass_batches")
    _same(one_pass, general, exact=True)
    _same(one_pass, _run(monkeypatch, "numpy", data, **kw), exact=False)
    if period == "month" and kind != "tz":
        labels = set(one_pass["period"].dropna().astype(str))
        assert {"1969-11", "1969-12", "1970-01", "2024-02", "2024-03"} <= labels


# --- choosing the engine ----------------------------------------------------------------------

choosing = pytest.mark.filterwarnings("ignore::crimeharm.UnknownCodeWarning")


@choosing
def test_compiled_without_the_extension_raises_and_auto_takes_numpy(monkeypatch):
    monkeypatch.delenv("CRIMEHARM_ENGINE", raising=False)
    monkeypatch.setitem(sys.modules, "crimeharm._engine._ckernel", None)  # import fails
    assert load() is None
    df = _records(500, seed=2)
    for call in (
        lambda engine: crimeharm.harm_index(df, by="area", engine=engine),
        lambda engine: crimeharm.aggregate(crimeharm.score(df), by="area", engine=engine),
    ):
        with pytest.raises(OptionError, match=r"engine='compiled'.*not built.*pip install") as info:
            call("compiled")
        assert isinstance(info.value, ValueError)
        assert info.value.values == ["compiled"]
        assert "engine='numpy'" in str(info.value)
        assert call("auto").attrs["crimeharm"]["engine"] == "numpy"


@choosing
@needs_compiled
def test_auto_takes_the_compiled_engine_where_it_is_built(monkeypatch):
    monkeypatch.delenv("CRIMEHARM_ENGINE", raising=False)
    monkeypatch.delenv("CRIMEHARM_COMPILED", raising=False)
    df = _records(500, seed=2)
    assert crimeharm.harm_index(df).attrs["crimeharm"]["engine"] == "compiled"
    assert crimeharm.aggregate(crimeharm.score(df)).attrs["crimeharm"]["engine"] == "compiled"


@choosing
@pytest.mark.parametrize("variable", ["numpy", "NumPy ", "compiled", "auto", ""])
def test_the_environment_sets_what_auto_means(monkeypatch, variable):
    monkeypatch.setenv("CRIMEHARM_ENGINE", variable)
    monkeypatch.setenv("CRIMEHARM_COMPILED", "0")  # the deprecated name does not count here
    expected = variable.strip().lower() or "auto"
    if expected == "auto":
        expected = "compiled" if load() is not None else "numpy"
    df = _records(500, seed=2)
    if expected == "compiled" and load() is None:
        with pytest.raises(OptionError, match="not built"):
            crimeharm.harm_index(df)
        return
    assert crimeharm.harm_index(df).attrs["crimeharm"]["engine"] == expected
    # an engine named in the call wins over the environment
    assert crimeharm.harm_index(df, engine="numpy").attrs["crimeharm"]["engine"] == "numpy"


@choosing
def test_crimeharm_compiled_0_is_a_deprecated_name_for_numpy(monkeypatch):
    monkeypatch.delenv("CRIMEHARM_ENGINE", raising=False)
    monkeypatch.setenv("CRIMEHARM_COMPILED", "0")
    with pytest.warns(DeprecationWarning, match="CRIMEHARM_ENGINE=numpy"):
        out = crimeharm.harm_index(_records(100, seed=4))
    assert out.attrs["crimeharm"]["engine"] == "numpy"


@choosing
def test_an_unknown_engine_is_refused(monkeypatch):
    df = _records(100, seed=4)
    with pytest.raises(OptionError, match=r"engine='fast'; expected one of") as info:
        crimeharm.harm_index(df, engine="fast")
    assert info.value.allowed == ["auto", "compiled", "numpy"]
    with pytest.raises(OptionError, match="engine="):
        crimeharm.aggregate(crimeharm.score(df), engine="fast")
    monkeypatch.setenv("CRIMEHARM_ENGINE", "cython")
    with pytest.raises(OptionError, match="environment variable CRIMEHARM_ENGINE='cython'"):
        crimeharm.harm_index(df)


# --- one set of markers and one rule of precedence --------------------------------------------


@needs_compiled
def test_the_compiled_markers_are_pythons():
    assert load().MARKERS == {
        "DAY_MISSING": dates.DAY_MISSING,
        "DAY_BAD": dates.DAY_BAD,
        "UNDATED": base.UNDATED,
        "UNDATED_SLOT": base.UNDATED_SLOT,
        "INCLUDED": INCLUDED,
    }


@needs_compiled
def test_the_compiled_rule_of_precedence_is_reasons_mark():
    everyone = np.arange(len(REASONS) + 1, dtype=np.uint8)  # included, then every reason
    for reason in REASONS:
        python, compiled = everyone.copy(), everyone.copy()
        mark(python, np.ones(len(everyone), dtype=bool), reason)
        load().mark(compiled, STATUS[reason])
        np.testing.assert_array_equal(compiled, python, err_msg=reason)
        # the reason replaces no reason and those after it, and keeps those before it
        assert python[0] == STATUS[reason]
        assert (python[1 : STATUS[reason]] == everyone[1 : STATUS[reason]]).all()
