"""Tests of crimeharm.aggregate and crimeharm.harm_index: sums that reconcile with the input.

``aggregate(score(x))`` and ``harm_index(x)`` must agree; every record is either
in ``crimes`` or in one ``excluded_<reason>`` column; and the answer does not
depend on how the input is cut up (partitions, row order, batches, row groups,
files), which the property tests check with hypothesis.
"""

from __future__ import annotations

import itertools
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import crimeharm
from crimeharm import CrimeHarmError, MissingColumnError, load_weights
from crimeharm.reasons import REASONS

pytestmark = [
    pytest.mark.filterwarnings("ignore::crimeharm.UnknownCodeWarning"),
    pytest.mark.usefixtures("each_engine"),  # every test once per engine
]

W = load_weights()
PERIODS = [None, "month", "quarter", "year", "financial-year", "rolling:3m"]
BYS = [None, "area", ["area", "beat"]]
CODE_POOL = ["8/6", "034/01", "092/10", "999/99", None, "8//6", "28E", "046/00", "ASB.104.42.0"]
DATE_POOL = [
    "2021-01-05",
    "2021-03-31",
    "2021-04-01",
    "2022-07-15",
    "31/12/2020",
    "junk",
    "2021-02",
]


def by_list(by) -> list[str]:
    return [by] if isinstance(by, str) else list(by or [])


def plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Categorical columns as plain values (their categories' order is not part of the result)."""
    out = frame.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.CategoricalDtype):
            out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out.reset_index(drop=True)


def canon(frame: pd.DataFrame, by) -> pd.DataFrame:
    """Rows sorted by area and period (undated last), values plain, for order-free comparison."""
    out = plain(frame)
    keys = [*by_list(by)] + (["period_start"] if "period_start" in out.columns else [])
    if keys:
        out = out.sort_values(keys, na_position="last", kind="stable", key=_sort_key)
    return out.reset_index(drop=True)


def _sort_key(col: pd.Series) -> pd.Series:
    if col.dtype.kind == "M":
        return col
    text = col.astype("string")
    return text.mask(text == crimeharm.BLANK_AREA)  # the blank area is last


def numeric_columns(frame: pd.DataFrame) -> list[str]:
    skip = {"period_start", "period_end"}
    return [c for c in frame.columns if c not in skip and pd.api.types.is_numeric_dtype(frame[c])]


def sum_by_group(frames: list[pd.DataFrame], by) -> pd.DataFrame:
    """Sum the numeric columns of several results per (by, period) cell."""
    keys = [*by_list(by)] + (["period"] if "period" in frames[0].columns else [])
    cols = sorted(set().union(*(numeric_columns(f) for f in frames)))
    parts = [
        plain(f).reindex(columns=[*keys, *cols]).fillna(dict.fromkeys(cols, 0.0)) for f in frames
    ]
    both = pd.concat(parts, ignore_index=True)
    if keys:
        for k in keys:
            both[k] = both[k].astype(object).where(both[k].notna(), "<null>")
        out = both.groupby(keys, sort=True, dropna=False)[cols].sum().reset_index()
    else:
        out = both[cols].sum().to_frame().T
    return out[[*keys, *cols]].astype(dict.fromkeys(cols, float))


def frame(n: int = 240, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    committed = pd.date_range("2021-01-01", "2023-12-31", periods=n)
    df = pd.DataFrame(
        {
            "offence_code": rng.choice(np.array(CODE_POOL, dtype=object), n),
            "area": rng.choice(np.array(["A", "B", "C", None], dtype=object), n),
            "beat": rng.choice(["x", "y"], n),
            "d": committed.strftime("%Y-%m-%d"),
            "r": (committed + pd.to_timedelta(rng.integers(0, 90, n), unit="D")).strftime(
                "%Y-%m-%d"
            ),
            "pi": rng.choice(["N", "N", "N", "Y"], n),
            "n": rng.choice(["1", "2", "3", "-1"], n),
        }
    )
    df.loc[::17, "d"] = None
    df.loc[::23, "d"] = "junk"
    return df


DF = frame()


# --- harm_index = aggregate(score) ------------------------------------------------------------


@pytest.mark.parametrize("complete", [False, True])
@pytest.mark.parametrize("period", PERIODS)
@pytest.mark.parametrize("by", BYS, ids=str)
def test_aggregate_of_score_equals_harm_index(by, period, complete):
    kw = {"date": "d"}
    hi = crimeharm.harm_index(DF, by=by, period=period, complete=complete, **kw)
    ag = crimeharm.aggregate(crimeharm.score(DF, **kw), by=by, period=period, complete=complete)
    pd.testing.assert_frame_equal(plain(hi), plain(ag))
    assert len(hi) > 0


OPTION_SETS = {
    "counts-window-lag": {
        "date": "d",
        "reported": "r",
        "count": "n",
        "police_initiated": "pi",
        "start": "2021-06-01",
        "end": "2023-06-30",
        "historic_lag": 60,
    },
    "by-reported-date": {
        "date": "d",
        "date_to": "r",
        "date_rule": "midpoint",
        "reported": "r",
        "period_by": "reported",
        "start": "2021-06-01",
        "end": "2023-06-30",
    },
}


@pytest.mark.parametrize("options", list(OPTION_SETS))
@pytest.mark.parametrize("period", ["month", "financial-year", "rolling:3m"])
def test_aggregate_equals_harm_index_with_every_option(period, options):
    kw = OPTION_SETS[options]
    hi = crimeharm.harm_index(DF, by="area", period=period, **kw)
    ag = crimeharm.aggregate(crimeharm.score(DF, **kw), by="area", period=period)
    pd.testing.assert_frame_equal(plain(hi), plain(ag))
    assert hi["excluded_historic"].sum() > 0
    assert hi["excluded_outside_window"].sum() > 0


# --- totals and reconciliation ----------------------------------------------------------------


def test_no_by_and_no_period_is_one_row_of_totals():
    scored = crimeharm.score(DF, date="d")
    out = crimeharm.harm_index(DF, date="d")
    assert len(out) == 1
    row = out.iloc[0]
    included = scored["excluded"].isna()
    assert row["crimes"] == included.sum()
    assert row["harm_days"] == pytest.approx(scored.loc[included, "days"].sum())
    counts = scored["excluded"].astype(object).value_counts()
    for reason in REASONS:
        if reason in counts:
            assert row[f"excluded_{reason}"] == counts[reason]
            harm = scored.loc[scored["excluded"] == reason, "days"].sum()  # NaN days skipped
            assert row[f"excluded_harm_{reason}"] == pytest.approx(harm)
    assert row["excluded"] == (~included).sum()
    assert crimeharm.aggregate(scored).iloc[0]["harm_days"] == row["harm_days"]


@pytest.mark.parametrize("period", [p for p in PERIODS if p is None or "rolling" not in p])
@pytest.mark.parametrize("by", BYS, ids=str)
def test_every_output_reconciles_with_the_rows_in(by, period):
    out = crimeharm.harm_index(DF, by=by, period=period, date="d")
    s = out.attrs["crimeharm"]["summary"]
    assert out["crimes"].sum() + out["excluded"].sum() == len(DF)
    assert s["rows_in"] == len(DF) == s["rows_included"] + sum(s["rows_excluded"].values())
    assert out["crimes"].sum() == s["rows_included"]
    assert out["harm_days"].sum() == pytest.approx(s["harm_days_included"])
    reason_cols = [f"excluded_{r}" for r in REASONS if f"excluded_{r}" in out.columns]
    np.testing.assert_allclose(out[reason_cols].sum(axis=1), out["excluded"])
    for reason, n in s["rows_excluded"].items():
        assert out[f"excluded_{reason}"].sum() == n
    # the series columns are always there, even when nothing was excluded for them
    for reason in ("police_generated", "police_initiated", "company_detected", "historic"):
        assert f"excluded_{reason}" in out.columns
        assert f"excluded_harm_{reason}" in out.columns


def test_undated_records_sit_under_a_null_period():
    scored = crimeharm.score(DF, date="d")
    out = crimeharm.harm_index(DF, by="area", period="month", date="d")
    undated = out[out["period"].isna()]
    no_date = scored[scored["period_date"].isna()]
    assert len(no_date) == (DF["d"].isna() | (DF["d"] == "junk")).sum()
    assert undated["excluded"].sum() == len(no_date)
    for reason, n in no_date["excluded"].astype(object).value_counts().items():
        assert undated[f"excluded_{reason}"].sum() == n
    assert undated["excluded_missing_date"].sum() > 0
    assert undated["excluded_bad_date"].sum() > 0
    assert undated["crimes"].sum() == 0
    assert undated["period_start"].isna().all()


def test_complete_includes_the_empty_cells():
    df = pd.DataFrame(
        {
            "offence_code": ["8/6", "034/01", "8/6"],
            "area": ["A", "A", "B"],
            "d": ["2024-01-10", "2024-03-02", "2024-02-20"],
        }
    )
    sparse = crimeharm.harm_index(df, by="area", period="month", date="d")
    full = crimeharm.harm_index(df, by="area", period="month", date="d", complete=True)
    cells = list(itertools.product(["A", "B"], ["2024-01", "2024-02", "2024-03"]))
    assert list(zip(plain(full)["area"], plain(full)["period"], strict=True)) == cells
    assert len(sparse) == 3
    got = dict(
        zip(
            zip(plain(full)["area"], plain(full)["period"], strict=True),
            full["harm_days"],
            strict=True,
        )
    )
    days = dict(zip(df["offence_code"], W.lookup(df["offence_code"]), strict=True))
    expected = dict.fromkeys(cells, 0.0)
    for code, area, d in df.itertuples(index=False):
        expected[(area, d[:7])] += days[code]
    assert got == expected
    assert full["crimes"].sum() == sparse["crimes"].sum() == 3


@pytest.mark.parametrize(
    ("period", "start", "end", "labels"),
    [
        ("month", "2024-01-01", "2024-06-30", ["2024-01", "2024-02", "2024-03", "2024-04",
                                              "2024-05", "2024-06"]),
        ("month", None, "2024-05-31", ["2024-02", "2024-03", "2024-04", "2024-05"]),
        ("month", "2023-12-15", None, ["2023-12", "2024-01", "2024-02", "2024-03"]),
        ("quarter", "2023-01-01", "2024-12-31", [f"{y}-Q{q}" for y in (2023, 2024)
                                                 for q in (1, 2, 3, 4)]),
        ("financial-year", "2022-04-01", "2025-03-31", ["2022/23", "2023/24", "2024/25"]),
    ],
)  # fmt: skip
def test_complete_fills_every_period_of_the_window(period, start, end, labels):
    # the records fall in February and March 2024; the window is wider on either side
    df = pd.DataFrame(
        {
            "offence_code": ["8/6", "034/01", "8/6"],
            "area": ["A", "A", "B"],
            "d": ["2024-02-10", "2024-03-02", "2024-02-20"],
        }
    )
    kw = {"by": "area", "period": period, "date": "d", "start": start, "end": end}
    full = crimeharm.harm_index(df, complete=True, **kw)  # once per engine (each_engine)
    assert list(zip(plain(full)["area"], plain(full)["period"], strict=True)) == list(
        itertools.product(["A", "B"], labels)
    )
    sparse = crimeharm.harm_index(df, **kw)
    assert full["harm_days"].sum() == sparse["harm_days"].sum()
    assert full["crimes"].sum() == sparse["crimes"].sum() == 3
    # aggregate of score reads the window from the scored records' provenance
    scored = crimeharm.score(df, date="d", start=start, end=end)
    again = crimeharm.aggregate(scored, by="area", period=period, complete=True)
    assert plain(again)["period"].tolist() == plain(full)["period"].tolist()
    assert again["harm_days"].tolist() == full["harm_days"].tolist()
    # provenance that is not score()'s (an unreadable start) leaves that end of the window open
    scored.attrs["crimeharm"]["summary"]["options"]["start"] = "not a date"
    opened = crimeharm.aggregate(scored, by="area", period=period, complete=True)
    assert opened["crimes"].sum() == 3


@pytest.mark.parametrize(
    ("period", "complete"), [("month", True), ("rolling:2m", False)], ids=["complete", "rolling"]
)
def test_a_first_batch_with_no_usable_date(period, complete):
    df = pd.DataFrame(
        {"offence_code": ["8/6"] * 3, "area": ["A"] * 3, "d": ["junk", "2024-01-05", "2024-02-05"]}
    )
    kw = {"by": "area", "period": period, "date": "d", "complete": complete}
    one = crimeharm.harm_index(df, **kw)
    batched = crimeharm.harm_index(df, batch_rows=1, **kw)
    assert len(one) == 3 - (period != "month")  # the dated cells and the undated row
    pd.testing.assert_frame_equal(plain(batched), plain(one))


def test_complete_with_only_undated_records_has_no_dated_cell():
    df = pd.DataFrame({"offence_code": ["8/6"], "area": ["A"], "d": ["junk"]})
    out = crimeharm.harm_index(df, by="area", period="month", date="d", complete=True)
    assert out["period"].isna().all()


def test_a_batch_of_only_missing_dates():
    df = pd.DataFrame({"offence_code": ["8/6", "8/6"], "d": ["2024-01-05", None]})
    out = crimeharm.harm_index(df, period="month", date="d", batch_rows=1)
    assert out["excluded_missing_date"].sum() == 1


@pytest.mark.parametrize(
    "dates",
    [["junk"], [], ["2021-01-05", "junk"]],
    ids=["undated", "empty", "shorter-than-the-window"],
)
def test_rolling_without_dated_records(dates):
    df = pd.DataFrame({"offence_code": ["8/6"] * len(dates), "d": pd.Series(dates, dtype=object)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", crimeharm.scoring.sums.ShortDataWarning)
        out = crimeharm.harm_index(df, period="rolling:3m", date="d")
    # only full windows are reported: one month of data makes none, so only the undated
    # records appear (as excluded); the summary still counts the dated one as included
    assert out["excluded"].sum() == dates.count("junk")
    assert out.attrs["crimeharm"]["summary"]["rows_in"] == len(dates)


def test_a_parquet_file_with_a_null_text_cell_warns_nothing(tmp_path):
    path = tmp_path / "nulls.parquet"
    pd.DataFrame({"offence_code": ["8/6", "8/6"], "area": ["A", None]}).to_parquet(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        out = crimeharm.harm_index(path, by="area")
    assert out["crimes"].tolist() == [1.0, 1.0]


# --- row order of the output ------------------------------------------------------------------


def _assert_sorted(out: pd.DataFrame, by) -> None:
    pd.testing.assert_frame_equal(plain(out), canon(out, by))


@pytest.mark.parametrize("period", [None, "month", "financial-year"])
def test_rows_are_sorted_by_area_then_period_undated_last(period):
    out = crimeharm.harm_index(DF, by=["area", "beat"], period=period, date="d")
    _assert_sorted(out, ["area", "beat"])


def test_rolling_rows_are_sorted_undated_last():
    df = pd.DataFrame(
        {
            "offence_code": ["8/6"] * 4,
            "area": ["B", "A", "A", "B"],
            "d": ["junk", "junk", "2024-01-02", "2024-03-01"],
        }
    )
    out = crimeharm.harm_index(df, by="area", period="rolling:2m", date="d")
    _assert_sorted(out, "area")


# --- population rates ------------------------------------------------------------------------

RATE_FRAME = pd.DataFrame(
    {
        "offence_code": ["8/6", "034/01", "8/6", "092/10"],
        "area": ["A", "A", "B", "B"],
        "d": ["2024-01-02", "2024-02-03", "2024-01-05", "2024-01-01"],
    }
)
POPULATION = pd.DataFrame({"area": ["A", "B", "Z"], "population": [2000, 50000, 10]})


def _rate_column(out: pd.DataFrame, what: str) -> str:
    (col,) = [c for c in out.columns if c.startswith(f"{what}_per_")]
    return col


@pytest.mark.parametrize("period", [None, "month"])
def test_population_rates(period):
    out = crimeharm.harm_index(
        RATE_FRAME, by="area", period=period, date="d", population=POPULATION
    )
    pop = plain(out)["area"].map(
        dict(zip(POPULATION["area"], POPULATION["population"], strict=True))
    )
    np.testing.assert_allclose(out["population"], pop)
    np.testing.assert_allclose(
        out[_rate_column(out, "harm_days")], out["harm_days"] / pop * 100_000
    )
    np.testing.assert_allclose(out[_rate_column(out, "crimes")], out["crimes"] / pop * 100_000)
    ag = crimeharm.aggregate(
        crimeharm.score(RATE_FRAME, date="d"), by="area", period=period, population=POPULATION
    )
    pd.testing.assert_frame_equal(plain(ag), plain(out))


def test_population_as_a_series_and_another_base():
    series = POPULATION.set_index("area")["population"]
    out = crimeharm.harm_index(RATE_FRAME, by="area", population=series, per=1000)
    np.testing.assert_allclose(
        out[_rate_column(out, "harm_days")], out["harm_days"] / out["population"] * 1000
    )


def test_rate_column_name():
    out = crimeharm.harm_index(RATE_FRAME, by="area", population=POPULATION)
    assert "harm_days_per_100000" in out.columns
    assert "crimes_per_100000" in out.columns


def test_an_area_missing_from_the_population_raises():
    partial = POPULATION[POPULATION["area"] != "B"]
    with pytest.raises(CrimeHarmError, match=r"population.*'B'"):
        crimeharm.harm_index(RATE_FRAME, by="area", population=partial)
    with pytest.raises(CrimeHarmError, match=r"population.*'B'"):
        crimeharm.aggregate(crimeharm.score(RATE_FRAME), by="area", population=partial)


def test_a_population_table_without_the_columns_raises():
    with pytest.raises(MissingColumnError, match=r"population.*'area'"):
        crimeharm.harm_index(
            RATE_FRAME, by="area", population=POPULATION.rename(columns={"population": "residents"})
        )
    with pytest.raises(CrimeHarmError, match="population must be positive"):
        crimeharm.harm_index(
            RATE_FRAME, by="area", population=POPULATION.assign(population=[0, 5, 5])
        )


# --- provenance and aggregate's own errors ----------------------------------------------------


@pytest.mark.parametrize("edition", crimeharm.available_weights()["id"].tolist())
def test_provenance_of_harm_index_and_aggregate(edition):
    table = load_weights(edition)
    hi = crimeharm.harm_index(RATE_FRAME, by="area", weights=edition)
    ag = crimeharm.aggregate(crimeharm.score(RATE_FRAME, weights=edition), by="area")
    for out in (hi, ag):
        meta = out.attrs["crimeharm"]
        assert meta["edition"] == table.edition == edition
        assert meta["edition_sha256"] == table.sha256
        assert meta["summary"]["edition_sha256"] == table.sha256
        assert meta["by"] == ["area"]


def test_aggregate_needs_a_scored_frame():
    with pytest.raises(MissingColumnError, match=r"crimeharm.score.*days"):
        crimeharm.aggregate(RATE_FRAME, by="area")
    with pytest.raises(MissingColumnError, match=r"'beat'.*columns present"):
        crimeharm.aggregate(crimeharm.score(RATE_FRAME), by="beat")
    with pytest.raises(CrimeHarmError, match="date"):
        crimeharm.aggregate(crimeharm.score(RATE_FRAME), period="month")


def test_progress_is_called_with_the_rows_done():
    seen: list[int] = []
    crimeharm.harm_index(DF, by="area", batch_rows=100, progress=seen.append)
    assert seen == [100, 200, len(DF)]


# --- properties -------------------------------------------------------------------------------


@st.composite
def records(draw, min_size: int = 1, max_size: int = 30) -> pd.DataFrame:
    n = draw(st.integers(min_size, max_size))
    pick = lambda pool: st.lists(st.sampled_from(pool), min_size=n, max_size=n)  # noqa: E731
    return pd.DataFrame(
        {
            "offence_code": pd.Series(draw(pick(CODE_POOL)), dtype=object),
            "area": pd.Series(draw(pick(["A", "B", "C", None])), dtype=object),
            "d": pd.Series(draw(pick(DATE_POOL)), dtype=object),
            "pi": pd.Series(draw(pick(["N", "N", "Y"])), dtype=object),
        }
    )


KW = {"date": "d", "police_initiated": "pi"}
# zero-harm records (malformed code) at both ends of DATE_POOL's months
SPAN = pd.DataFrame(
    {"offence_code": "8//6", "area": "A", "d": ["2020-12-01", "2022-07-01"], "pi": "N"}
)


def spanned(df: pd.DataFrame, period) -> pd.DataFrame:
    """For a rolling period, add records that make every window of the range complete.

    They go first, so that the first batch has a usable date. (A rolling period whose data
    span fewer months than the window fails on undated records, and a first batch without
    a usable date adds windows that start before the data: see
    test_rolling_without_dated_records and test_a_first_batch_with_no_usable_date.)
    """
    if period is None or not period.startswith("rolling"):
        return df
    return pd.concat([SPAN, df], ignore_index=True)


PROPS = settings(max_examples=50, deadline=None)


@PROPS
@given(df=records(min_size=0), data=st.data())
def test_property_any_partition_sums_to_the_whole(df, data):
    period = data.draw(st.sampled_from([*PERIODS[:-1], "rolling:2m"]))
    by = data.draw(st.sampled_from([None, "area"]))
    mask = np.array(
        data.draw(st.lists(st.booleans(), min_size=len(df), max_size=len(df))), dtype=bool
    )
    parts = [df[mask], df[~mask]]
    if period is not None and period.startswith("rolling"):
        # a rolling window sums months, so it adds up only over a shared range of months:
        # give every part the whole range with a zero-harm record at each end
        parts = [spanned(p, period) for p in parts]
        whole_df = pd.concat([spanned(df, period), SPAN])
    else:
        whole_df = df
    results = [crimeharm.harm_index(p, by=by, period=period, **KW) for p in parts]
    whole = crimeharm.harm_index(whole_df, by=by, period=period, **KW)
    if len(whole) == 0:
        assert all(len(r) == 0 for r in results)
    else:
        pd.testing.assert_frame_equal(sum_by_group(results, by), sum_by_group([whole], by))


@PROPS
@given(df=records(), data=st.data())
def test_property_row_order_does_not_matter(df, data):
    period = data.draw(st.sampled_from(PERIODS))
    df = spanned(df, period)
    by = data.draw(st.sampled_from(BYS[:2]))
    order = data.draw(st.permutations(range(len(df))))
    shuffled = df.iloc[list(order)]
    a = crimeharm.harm_index(df, by=by, period=period, **KW)
    b = crimeharm.harm_index(shuffled, by=by, period=period, **KW)
    pd.testing.assert_frame_equal(canon(a, by), canon(b, by))


@PROPS
@given(df=records())
def test_property_rows_in_equal_included_plus_excluded(df):
    scored = crimeharm.score(df, **KW)
    s = scored.attrs["crimeharm"]["summary"]
    assert s["rows_in"] == len(df) == s["rows_included"] + sum(s["rows_excluded"].values())
    assert s["rows_included"] == scored["excluded"].isna().sum()
    out = crimeharm.harm_index(df, by="area", period="quarter", **KW)
    assert out["crimes"].sum() + out["excluded"].sum() == len(df)
    summary = dict(out.attrs["crimeharm"]["summary"])
    blank_areas = summary.pop("blank_areas")
    assert summary == {k: v for k, v in s.items() if k != "blank_areas"}
    blank = out["area"] == crimeharm.BLANK_AREA
    if blank.any():
        assert blank_areas == {
            "area": {
                "crimes": int(out.loc[blank, "crimes"].sum()),
                "harm_days": pytest.approx(out.loc[blank, "harm_days"].sum()),
            }
        }
    else:
        assert blank_areas == {}


@PROPS
@given(df=records(), data=st.data())
def test_property_batching_does_not_matter(df, data):
    period = data.draw(st.sampled_from(PERIODS))
    df = spanned(df, period)
    by = data.draw(st.sampled_from(BYS[:2]))
    k = data.draw(st.integers(1, 7))
    one = crimeharm.harm_index(df, by=by, period=period, **KW)
    batched = crimeharm.harm_index(df, by=by, period=period, batch_rows=k, **KW)
    pd.testing.assert_frame_equal(canon(batched, by), canon(one, by))
    s1, sk = one.attrs["crimeharm"]["summary"], batched.attrs["crimeharm"]["summary"]
    assert (sk["rows_in"], sk["rows_excluded"]) == (s1["rows_in"], s1["rows_excluded"])


SCHEMA = pa.schema([(c, pa.string()) for c in ["offence_code", "area", "d", "pi"]])


@PROPS
@given(df=records(), data=st.data())
def test_property_parquet_row_groups_equal_the_frame(df, data):
    period = data.draw(st.sampled_from(PERIODS))
    df = spanned(df, period)
    k = data.draw(st.integers(1, 7))
    expected = crimeharm.harm_index(df, by="area", period=period, **KW)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "records.parquet"
        pq.write_table(
            pa.Table.from_pandas(df, schema=SCHEMA, preserve_index=False), path, row_group_size=k
        )
        assert pq.ParquetFile(path).num_row_groups == -(-len(df) // k)
        got = crimeharm.harm_index(path, by="area", period=period, **KW)
    pd.testing.assert_frame_equal(canon(got, "area"), canon(expected, "area"))


@PROPS
@given(df=records(), data=st.data())
def test_property_a_folder_of_parquet_files_equals_one_file(df, data):
    period = data.draw(st.sampled_from(PERIODS))
    df = spanned(df, period)
    # non-empty files (an empty first file is a first batch without a usable date, see
    # test_a_first_batch_with_no_usable_date)
    cuts = sorted(set(data.draw(st.lists(st.integers(1, max(len(df) - 1, 1)), max_size=3))))
    cuts = [c for c in cuts if 0 < c < len(df)]
    with tempfile.TemporaryDirectory() as tmp:
        one = Path(tmp) / "one.parquet"
        folder = Path(tmp) / "parts"
        folder.mkdir()
        pq.write_table(pa.Table.from_pandas(df, schema=SCHEMA, preserve_index=False), one)
        bounds = [0, *cuts, len(df)]
        for i, (lo, hi) in enumerate(itertools.pairwise(bounds)):
            part = pa.Table.from_pandas(df.iloc[lo:hi], schema=SCHEMA, preserve_index=False)
            pq.write_table(part, folder / f"part-{i:02d}.parquet")
        from_file = crimeharm.harm_index(one, by="area", period=period, **KW)
        from_folder = crimeharm.harm_index(folder, by="area", period=period, **KW)
    expected = crimeharm.harm_index(df, by="area", period=period, **KW)
    pd.testing.assert_frame_equal(canon(from_folder, "area"), canon(from_file, "area"))
    pd.testing.assert_frame_equal(canon(from_file, "area"), canon(expected, "area"))
