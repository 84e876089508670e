"""Tests of crimeharm.score: one scored row per record, and a reason for every exclusion.

Expected values are computed from the inputs (days from ``WeightTable.lookup``,
counts with pandas), or shown as hand arithmetic on a few rows.
"""

from __future__ import annotations

import math
import os
import re
import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import crimeharm
from crimeharm import (
    CodeError,
    CrimeHarmError,
    InputFileError,
    MissingColumnError,
    UnknownCodeWarning,
    load_weights,
)
from crimeharm.reasons import REASONS, SCORER_REASONS

pytestmark = [
    pytest.mark.filterwarnings("ignore::crimeharm.UnknownCodeWarning"),
    pytest.mark.filterwarnings("ignore::crimeharm.FlagValueWarning"),
]

W = load_weights()
NEW_COLUMNS = ["days", "crimes", "harm_days", "excluded"]


def summary(out: pd.DataFrame) -> dict:
    return out.attrs["crimeharm"]["summary"]


def reasons_of(out: pd.DataFrame) -> list:
    """The exclusion reason per row, None where the row is included."""
    return [None if pd.isna(r) else str(r) for r in out["excluded"]]


def assert_reconciles(out: pd.DataFrame) -> None:
    """rows in = included + excluded, and the per-reason counts match the rows."""
    s = summary(out)
    assert s["rows_in"] == len(out)
    assert s["rows_in"] == s["rows_included"] + sum(s["rows_excluded"].values())
    counted = out["excluded"].astype(object).value_counts().to_dict()
    assert s["rows_excluded"] == {r: counted[r] for r in REASONS if r in counted}
    assert s["rows_included"] == int(out["excluded"].isna().sum())
    included = out["excluded"].isna()
    assert s["harm_days_included"] == pytest.approx(out["harm_days"].sum())
    assert s["crimes_included"] == pytest.approx(out.loc[included, "crimes"].sum())


# --- the shape of the result ---------------------------------------------------------------


def test_one_row_per_input_row_with_the_scored_columns():
    df = pd.DataFrame(
        {"offence_code": ["8/6", "034/01", "092/10", "8//6", None], "area": list("ABCDE")},
        index=[10, 20, 30, 40, 50],
    )
    before = df.copy()
    out = crimeharm.score(df)
    pd.testing.assert_frame_equal(df, before)  # the input is not modified
    assert len(out) == len(df)
    assert out.index.equals(df.index)
    assert list(out.columns[: len(df.columns)]) == list(df.columns)
    assert set(NEW_COLUMNS) <= set(out.columns)
    assert "period_date" not in out.columns  # no date column named
    expected_days = W.lookup(df["offence_code"])
    np.testing.assert_array_equal(out["days"].to_numpy(), expected_days)
    assert out["crimes"].tolist() == [1.0] * 5
    included = out["excluded"].isna().to_numpy()
    np.testing.assert_array_equal(
        out["harm_days"].to_numpy(), np.where(included, expected_days, 0.0)
    )
    assert reasons_of(out) == [None, None, "police_generated", "malformed_code", "missing_code"]
    assert_reconciles(out)


# --- every exclusion reason from a minimal input --------------------------------------------

D = "2024-03-15"  # a date inside the window used below
WINDOW = {"start": "2024-01-01", "end": "2024-12-31"}


def _row(**kw):
    base = {"offence_code": "8/6", "n": "1", "d": D, "r": D, "pi": "N", "cd": "N"}
    base.update(kw)
    return base


# reason -> a row that triggers it and no earlier reason
REASON_ROWS = {
    "missing_code": _row(offence_code=None),
    "malformed_code": _row(offence_code="8//6"),
    "unknown_code": _row(offence_code="999/99"),
    "not_crime": _row(offence_code="ASB.104.42.0"),  # a NONCRIME row of cchi-2020
    "invalid_count": _row(n="-3"),
    "missing_date": _row(d=None),
    "bad_date": _row(d="not a date"),
    "implausible_date": _row(d="1850-06-01"),  # outside the default date_range
    "missing_flag": _row(pi=None),  # with flag_blank="exclude"
    "bad_flag": _row(cd="maybe"),
    "outside_window": _row(d="2025-02-01", r="2025-02-02"),
    "police_generated": _row(offence_code="092/10"),
    "police_initiated": _row(pi="Y"),
    "company_detected": _row(cd="Y"),
    "historic": _row(d="2023-06-01"),  # committed before the window, reported in it
}
OPTIONS = {
    "count": "n",
    "date": "d",
    "reported": "r",
    "police_initiated": "pi",
    "company_detected": "cd",
    "flag_blank": "exclude",
    **WINDOW,
}


def test_the_cases_cover_every_reason():
    assert set(REASON_ROWS) == set(SCORER_REASONS)  # unknown_outcome: tests/test_series.py
    assert set(REASONS) - set(SCORER_REASONS) == {"unknown_outcome"}


@pytest.mark.parametrize("reason", SCORER_REASONS)
def test_each_reason_from_a_minimal_input(reason):
    df = pd.DataFrame([REASON_ROWS[reason], _row()])
    out = crimeharm.score(df, **OPTIONS)
    assert reasons_of(out) == [reason, None]
    s = summary(out)
    assert s["rows_excluded"] == {reason: 1}
    assert s["rows_included"] == 1
    assert out["harm_days"].iloc[0] == 0.0
    assert out["harm_days"].iloc[1] == W.lookup(["8/6"])[0]
    assert_reconciles(out)


def test_all_reasons_at_once_are_counted_in_the_summary():
    rows = [REASON_ROWS[r] for r in SCORER_REASONS] + [_row(), _row(offence_code="034/01")]
    df = pd.DataFrame(rows)
    out = crimeharm.score(df, **OPTIONS)
    assert reasons_of(out) == [*SCORER_REASONS, None, None]
    s = summary(out)
    assert s["rows_excluded"] == dict.fromkeys(SCORER_REASONS, 1)
    assert s["rows_in"] == len(SCORER_REASONS) + 2
    assert s["harm_days_included"] == W.lookup(["8/6"])[0] + W.lookup(["034/01"])[0]
    # excluded rows keep their days, so the excluded harm of each series is known
    for reason in ("police_generated", "police_initiated", "company_detected", "historic"):
        code = REASON_ROWS[reason]["offence_code"]
        assert s["harm_days_excluded"][reason] == W.lookup([code])[0]
    assert s["bad_date_examples"] == ["not a date"]
    assert s["unknown_codes_top"] == [("999/99", 1)] or s["unknown_codes_top"] == [["999/99", 1]]
    assert_reconciles(out)


# --- precedence -------------------------------------------------------------------------------


def test_bad_date_takes_precedence_over_police_generated():
    df = pd.DataFrame({"offence_code": ["092/10"], "d": ["31/31/2024"]})
    out = crimeharm.score(df, date="d")
    assert reasons_of(out) == ["bad_date"]
    assert out["days"].iloc[0] == W.lookup(["092/10"])[0]  # days kept for the series


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("missing_code", "bad_date"),
        ("malformed_code", "police_initiated"),
        ("unknown_code", "invalid_count"),
        ("invalid_count", "missing_date"),
        ("missing_date", "police_generated"),
        ("bad_date", "missing_flag"),
        ("implausible_date", "bad_flag"),
        ("missing_flag", "bad_flag"),
        ("bad_flag", "outside_window"),
        ("outside_window", "police_initiated"),
        ("police_generated", "company_detected"),
        ("police_initiated", "company_detected"),
        ("company_detected", "historic"),
    ],
)
def test_the_first_reason_in_REASONS_wins(first, second):
    assert REASONS.index(first) < REASONS.index(second)
    row = {**REASON_ROWS[second]}
    changed = {k: v for k, v in REASON_ROWS[first].items() if v != _row()[k]}
    row.update(changed)
    if first == "outside_window":  # keep the second reason's trigger, move both dates out
        row.update(d="2025-02-01", r="2025-02-02")
    out = crimeharm.score(pd.DataFrame([row, _row()]), **OPTIONS)
    assert reasons_of(out) == [first, None]


# --- unknown codes ----------------------------------------------------------------------------

UNKNOWN_FRAME = pd.DataFrame({"offence_code": ["999/99", "999/99", "777/01", "8/6", "034/01"]})


def test_unknown_exclude_warns_with_the_count_and_the_top_codes():
    with pytest.warns(UnknownCodeWarning) as record:
        out = crimeharm.score(UNKNOWN_FRAME)
    assert len(record) == 1
    message = str(record[0].message)
    assert "3 record" in message
    assert "'999/99' (2)" in message
    assert "'777/01' (1)" in message
    assert "cchi-2020" in message
    assert reasons_of(out) == ["unknown_code"] * 3 + [None, None]
    assert dict(map(tuple, summary(out)["unknown_codes_top"])) == {"999/99": 2, "777/01": 1}
    assert_reconciles(out)


def test_no_warning_without_unknown_codes():
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnknownCodeWarning)
        crimeharm.score(pd.DataFrame({"offence_code": ["8/6"]}))


def test_unknown_raise():
    with pytest.raises(CodeError, match=r"999/99") as info:
        crimeharm.score(UNKNOWN_FRAME, unknown="raise")
    assert isinstance(info.value, CrimeHarmError)
    assert "3 record" in str(info.value)


def test_unknown_zero_scores_them_as_zero_days_and_counts_them():
    out = crimeharm.score(UNKNOWN_FRAME, unknown="zero")
    assert reasons_of(out) == [None] * 5
    assert out["days"].tolist()[:3] == [0.0, 0.0, 0.0]
    assert out["harm_days"].sum() == W.lookup(["8/6", "034/01"]).sum()
    assert summary(out)["unknown_scored_zero"] == 3
    assert_reconciles(out)


def test_bad_unknown_policy():
    with pytest.raises(CrimeHarmError, match=r"unknown='ignore'.*exclude"):
        crimeharm.score(UNKNOWN_FRAME, unknown="ignore")


# --- written forms of a code, and column types ---------------------------------------------


@pytest.mark.parametrize(
    "forms",
    [
        ["8/6", "008/06", "00806", "8.06", "8/06"],
        ["34/1", "034/01", "03401", "34.01"],
        ["1/1", "001/01", "00101", "1.01"],
        ["92/10", "092/10", "09210", "92.10"],
    ],
)
def test_every_written_form_gives_the_days_of_lookup(forms):
    df = pd.DataFrame({"offence_code": forms})
    out = crimeharm.score(df, exclude_police_generated=False)
    expected = W.lookup(forms)
    assert not np.isnan(expected).any()
    assert len(set(expected)) == 1  # all forms are the same code
    np.testing.assert_array_equal(out["days"].to_numpy(), expected)
    assert out["harm_days"].tolist() == expected.tolist()


CODES = ["8/6", "034/01", "092/10", "999/99", None, "8//6", "8/6", "28E", None]


def _core(out: pd.DataFrame) -> pd.DataFrame:
    frame = out[NEW_COLUMNS].copy()
    frame["excluded"] = frame["excluded"].astype(object)
    return frame.reset_index(drop=True)


@pytest.fixture(scope="module")
def plain_scored() -> pd.DataFrame:
    return _core(crimeharm.score(pd.DataFrame({"offence_code": CODES})))


def test_categorical_code_column(plain_scored):
    cat = pd.Categorical(
        CODES, categories=["unused", "8//6", "8/6", "999/99", "28E", "092/10", "034/01"]
    )
    out = crimeharm.score(pd.DataFrame({"offence_code": cat}))
    pd.testing.assert_frame_equal(_core(out), plain_scored)


def test_arrow_dictionary_column(plain_scored):
    table = pa.table({"offence_code": pa.array(CODES, pa.string()).dictionary_encode()})
    assert pa.types.is_dictionary(table.schema.field("offence_code").type)
    pd.testing.assert_frame_equal(_core(crimeharm.score(table)), plain_scored)
    series = pd.Series(
        pa.array(CODES, pa.string()).dictionary_encode(),
        dtype=pd.ArrowDtype(pa.dictionary(pa.int32(), pa.string())),
    )
    out = crimeharm.score(pd.DataFrame({"offence_code": series}))
    pd.testing.assert_frame_equal(_core(out), plain_scored)


def test_pyarrow_table_input(plain_scored):
    table = pa.table({"offence_code": pa.array(CODES, pa.string()), "x": list(range(len(CODES)))})
    out = crimeharm.score(table)
    assert len(out) == table.num_rows
    assert "x" in out.columns
    pd.testing.assert_frame_equal(_core(out), plain_scored)


def test_csv_and_parquet_path_input(tmp_path, plain_scored):
    df = pd.DataFrame({"offence_code": CODES, "area": list("ABCABCABC")})
    df.to_csv(tmp_path / "r.csv", index=False)
    df.to_parquet(tmp_path / "r.parquet", index=False)
    for path in (tmp_path / "r.csv", str(tmp_path / "r.parquet")):
        out = crimeharm.score(path)
        assert out["area"].astype(object).tolist() == df["area"].tolist()
        pd.testing.assert_frame_equal(_core(out), plain_scored)


def test_csv_keeps_leading_zeros_of_codes(tmp_path):
    (tmp_path / "z.csv").write_text("offence_code\n00806\n03401\n")
    out = crimeharm.score(tmp_path / "z.csv")
    np.testing.assert_array_equal(out["days"].to_numpy(), W.lookup(["008/06", "034/01"]))


@pytest.mark.usefixtures("each_engine")
def test_mixed_types_in_the_code_column_do_not_crash():
    values = [806, 8.06, "8/6", None, 34, 8.0, np.nan, True, b"8/6", "034/01", pd.NA, 3.5]
    df = pd.DataFrame({"offence_code": pd.Series(values, dtype=object)})
    out = crimeharm.score(df)
    assert len(out) == len(values)
    for value, days, reason in zip(values, out["days"], reasons_of(out), strict=True):
        assert reason is None or reason in REASONS, value
        if reason is None:
            assert math.isfinite(days), value
    # the strings and the number 8.06 are read as HO classifications
    assert out["days"].iloc[1] == out["days"].iloc[2] == W.lookup(["008/06"])[0]
    assert reasons_of(out)[3] == "missing_code"
    assert reasons_of(out)[6] == "missing_code"
    assert_reconciles(out)
    hi = crimeharm.harm_index(df)
    assert hi["crimes"].sum() + hi["excluded"].sum() == len(values)


# --- counts ---------------------------------------------------------------------------------


def test_count_column_multiplies_days():
    df = pd.DataFrame({"offence_code": ["8/6", "034/01", "8/6"], "n": [3, 2, 0]})
    out = crimeharm.score(df, count="n")
    days = W.lookup(df["offence_code"])
    np.testing.assert_array_equal(out["crimes"].to_numpy(), [3.0, 2.0, 0.0])
    np.testing.assert_array_equal(out["harm_days"].to_numpy(), days * [3, 2, 0])
    assert summary(out)["crimes_included"] == 5.0
    assert_reconciles(out)


def test_negative_counts_excluded_by_default_and_allowed_on_request():
    df = pd.DataFrame({"offence_code": ["8/6", "034/01", "8/6"], "n": ["4", "-1", "-2"]})
    days = W.lookup(df["offence_code"])
    out = crimeharm.score(df, count="n")
    assert reasons_of(out) == [None, "invalid_count", "invalid_count"]
    assert summary(out)["crimes_included"] == 4.0
    allowed = crimeharm.score(df, count="n", negative_counts="allow")
    assert reasons_of(allowed) == [None, None, None]
    np.testing.assert_array_equal(allowed["harm_days"].to_numpy(), days * [4, -1, -2])
    assert summary(allowed)["crimes_included"] == 4 - 1 - 2
    with pytest.raises(CrimeHarmError, match="negative_counts"):
        crimeharm.score(df, count="n", negative_counts="keep")


def test_whole_float_counts_count_and_fractions_are_invalid():
    df = pd.DataFrame({"offence_code": ["8/6", "8/6"], "n": [2.0, 0.5]})
    out = crimeharm.score(df, count="n")
    assert reasons_of(out) == [None, "invalid_count"]
    assert out["harm_days"].tolist() == [20.0, 0.0]
    assert out["crimes"].dtype == np.int64
    assert out["crimes"].tolist() == [2, 1]  # an invalid count is one row, one crime


def test_non_numeric_count_is_invalid_count():
    df = pd.DataFrame({"offence_code": ["8/6", "8/6", "8/6"], "n": ["2", "x", None]})
    out = crimeharm.score(df, count="n")
    assert reasons_of(out) == [None, "invalid_count", "invalid_count"]


# --- dates ----------------------------------------------------------------------------------


def test_date_forms():
    written = {
        "2024-01-31": "2024-01-31",  # ISO
        "2024-01-31T13:05": "2024-01-31",
        "31/01/2024": "2024-01-31",  # UK day-first
        "01/02/2024": "2024-02-01",  # day-first, not US month-first
        "31/01/2024 13:05": "2024-01-31",
        "2024-01": "2024-01-01",  # a month
    }
    df = pd.DataFrame({"offence_code": "8/6", "d": list(written)})
    out = crimeharm.score(df, date="d")
    assert reasons_of(out) == [None] * len(written)
    assert out["period_date"].dt.strftime("%Y-%m-%d").tolist() == list(written.values())


def test_unparseable_dates_are_bad_date_with_examples():
    bad = ["2024-02-30", "31/13/2023", "yesterday", "2023/24"]
    df = pd.DataFrame({"offence_code": "8/6", "d": [*bad, "2024-01-05", "yesterday"]})
    out = crimeharm.score(df, date="d")
    assert reasons_of(out) == ["bad_date"] * 4 + [None, "bad_date"]
    assert out["period_date"].isna().tolist() == [True] * 4 + [False, True]
    s = summary(out)
    assert s["rows_excluded"] == {"bad_date": 5}
    assert sorted(s["bad_date_examples"]) == sorted(bad)


def test_typed_date_columns(tmp_path):
    dates = pd.to_datetime(["2024-01-31", "2024-02-01", None])
    df = pd.DataFrame({"offence_code": "8/6", "d": dates})
    out = crimeharm.score(df, date="d")
    assert reasons_of(out) == [None, None, "missing_date"]
    days = [dates[0].date(), dates[1].date(), None]
    table = pa.table({"offence_code": ["8/6"] * 3, "d": pa.array(days, pa.date32())})
    pd.testing.assert_frame_equal(_core(crimeharm.score(table, date="d")), _core(out))
    df.to_parquet(tmp_path / "d.parquet")
    pd.testing.assert_frame_equal(
        _core(crimeharm.score(tmp_path / "d.parquet", date="d")), _core(out)
    )


def test_a_column_of_only_missing_dates():
    df = pd.DataFrame({"offence_code": ["8/6", "034/01"], "d": [None, None]})
    out = crimeharm.score(df, date="d")
    assert reasons_of(out) == ["missing_date", "missing_date"]


def test_window_start_and_end_are_inclusive():
    dates = ["2023-12-31", "2024-01-01", "2024-06-30", "2024-12-31", "2025-01-01"]
    df = pd.DataFrame({"offence_code": "8/6", "d": dates})
    out = crimeharm.score(df, date="d", **WINDOW)
    assert reasons_of(out) == ["outside_window", None, None, None, "outside_window"]
    assert summary(out)["options"]["start"] == "2024-01-01"
    assert_reconciles(out)


# --- historic offences ----------------------------------------------------------------------


@pytest.mark.usefixtures("each_engine")
def test_historic_reported_in_window_committed_before_it():
    df = pd.DataFrame(
        {
            "offence_code": "034/01",
            "d": ["2023-11-20", "2023-11-20", "2024-02-01"],
            "r": ["2024-02-10", "2023-12-01", "2024-02-02"],
        }
    )
    out = crimeharm.score(df, date="d", reported="r", **WINDOW)
    # reported in the window: historic; reported before it too: outside the window
    assert reasons_of(out) == ["historic", "outside_window", None]
    # the historic record is placed at its reported date (HOCHI counts it then)
    assert out["period_date"].dt.strftime("%Y-%m-%d").tolist()[0] == "2024-02-10"
    hi = crimeharm.harm_index(df, date="d", reported="r", period="month", **WINDOW)
    feb = hi[hi["period"].astype(object) == "2024-02"].iloc[0]
    assert feb["excluded_historic"] == 1
    assert feb["excluded_harm_historic"] == W.lookup(["034/01"])[0]
    assert feb["crimes"] == 1
    # the record reported in 2023 is outside the window: under the null period, not in 2023-11
    assert "2023-11" not in hi["period"].astype(object).tolist()
    off = hi[hi["period"].isna()].iloc[0]
    assert (off["excluded_outside_window"], off["excluded_historic"], off["crimes"]) == (1, 0, 0)


@pytest.mark.parametrize("lag", [30, "30D", pd.Timedelta(days=30)])
def test_historic_lag(lag):
    df = pd.DataFrame(
        {
            "offence_code": "8/6",
            "d": ["2024-01-01", "2024-01-01", "2024-01-01"],
            "r": ["2024-01-31", "2024-02-01", "2024-01-02"],  # lag 30, 31, 1 days
        }
    )
    out = crimeharm.score(df, date="d", reported="r", historic_lag=lag)
    assert reasons_of(out) == [None, "historic", None]


def test_historic_lag_does_not_pull_in_records_reported_before_the_window():
    df = pd.DataFrame(
        {
            "offence_code": "8/6",
            "d": ["2023-01-01", "2024-03-01"],
            "r": ["2023-03-01", "2024-05-01"],
        }
    )
    out = crimeharm.score(df, date="d", reported="r", historic_lag=30, **WINDOW)
    # the first was reported (and committed) in 2023, before the window: not this window's HOCHI
    assert reasons_of(out) == ["outside_window", "historic"]


def test_historic_lag_needs_both_dates():
    df = pd.DataFrame({"offence_code": ["8/6"], "d": ["2024-01-01"]})
    with pytest.raises(CrimeHarmError, match="historic_lag"):
        crimeharm.score(df, date="d", historic_lag=30)
    with pytest.raises(CrimeHarmError, match="historic_lag"):
        crimeharm.score(df, date="d", reported="d", historic_lag=-1)


# --- record flags ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("yes", "no"),
    [
        ("Y", "N"),
        ("y", "n"),
        ("yes", "No"),
        ("true", "false"),
        ("TRUE", "FALSE"),
        ("1", "0"),
        (True, False),
        (1, 0),
    ],
)
def test_police_initiated_and_company_detected_flags(yes, no):
    df = pd.DataFrame(
        {
            "offence_code": "034/01",
            "pi": pd.Series([yes, no, no, None], dtype=object),
            "cd": pd.Series([no, yes, no, no], dtype=object),
        }
    )
    out = crimeharm.score(df, police_initiated="pi", company_detected="cd")
    assert reasons_of(out) == ["police_initiated", "company_detected", None, None]
    assert summary(out)["harm_days_excluded"]["police_initiated"] == W.lookup(["034/01"])[0]


def test_boolean_flag_columns():
    df = pd.DataFrame({"offence_code": "8/6", "pi": [True, False], "cd": [False, True]})
    out = crimeharm.score(df, police_initiated="pi", company_detected="cd")
    assert reasons_of(out) == ["police_initiated", "company_detected"]


@pytest.mark.parametrize("column", ["pi", "cd"])
def test_a_bad_flag_value_names_the_column(column):
    df = pd.DataFrame({"offence_code": "8/6", "pi": ["Y", "N"], "cd": ["N", "N"]})
    df.loc[1, column] = "maybe"
    with pytest.raises(CrimeHarmError, match=rf"'{column}'.*'maybe'"):
        crimeharm.score(df, police_initiated="pi", company_detected="cd", flag_unknown="raise")


def test_keep_police_generated():
    df = pd.DataFrame({"offence_code": ["092/10", "8/6"]})
    default = crimeharm.score(df)
    kept = crimeharm.score(df, exclude_police_generated=False)
    assert reasons_of(default) == ["police_generated", None]
    assert reasons_of(kept) == [None, None]
    assert kept["harm_days"].sum() == W.lookup(df["offence_code"]).sum()
    assert summary(kept)["options"]["exclude_police_generated"] is False


# --- bad options, bad inputs -----------------------------------------------------------------

SMALL = pd.DataFrame({"offence_code": ["8/6"], "d": ["2024-01-01"]})


@pytest.mark.parametrize(
    ("call", "needles"),
    [
        (
            lambda: crimeharm.score(SMALL, date="d", start="2024-02-01", end="2024-01-01"),
            ["2024-02-01", "after", "2024-01-01"],
        ),
        (lambda: crimeharm.score(SMALL, date="d", start="the spring"), ["start", "the spring"]),
        (lambda: crimeharm.score(SMALL, start="2024-01-01"), ["date="]),
        (lambda: crimeharm.score(SMALL, date="d", date_rule="first"), ["date_rule", "midpoint"]),
        (lambda: crimeharm.score(SMALL, date="d", period_by="reported"), ["reported="]),
        (lambda: crimeharm.score(SMALL, weights="cchi-2019"), ["cchi-2019", "cchi-2020"]),
        (
            lambda: crimeharm.harm_index(SMALL, date="d", period="fortnight"),
            ["fortnight", "month", "quarter", "financial-year", "rolling"],
        ),
        (lambda: crimeharm.harm_index(SMALL, period="month"), ["month", "date"]),
        (lambda: crimeharm.harm_index(SMALL, date="d", period="rolling:0m"), ["rolling:0m"]),
        (lambda: crimeharm.score(SMALL, date="d", historic_lag="1 year"), ["historic_lag"]),
        (lambda: crimeharm.score(SMALL, code=3), ["code=", "column name"]),
        (lambda: crimeharm.harm_index(SMALL, excluded="some"), ["excluded", "summary"]),
    ],
)
def test_bad_options_raise_clear_errors(call, needles):
    with pytest.raises(CrimeHarmError) as info:
        call()
    for needle in needles:
        assert needle in str(info.value), (needle, str(info.value))


#: The functions that take every scoring option in their signature.
SCORING_FUNCTIONS = [
    crimeharm.score,
    crimeharm.harm_index,
    crimeharm.area_harm,
    crimeharm.harm_intervals,
    crimeharm.series,
]


@pytest.mark.parametrize("func", SCORING_FUNCTIONS)
def test_every_scoring_option_is_named_in_the_signature(func):
    import inspect

    from crimeharm.scoring.options import SCORE_ARGUMENTS

    params = inspect.signature(func).parameters
    assert not any(p.kind is p.VAR_KEYWORD for p in params.values())
    documented = {
        name.strip()
        for line in func.__doc__.splitlines()
        if re.match(r"^    [\w, ]+ :", line)
        for name in line.split(" :")[0].split(",")
    }
    shared = SCORE_ARGUMENTS - ({"start", "end"} if func is crimeharm.area_harm else set())
    for name in shared:
        assert params[name].kind is params[name].KEYWORD_ONLY, name
        assert name in documented, name
    with pytest.raises(TypeError, match="colour"):
        func(SMALL, colour="red")


@pytest.mark.parametrize("func", SCORING_FUNCTIONS)
def test_every_scoring_option_has_the_same_default_and_type_as_score_options(func):
    # the options are named again in each signature (so that help() shows them); this keeps
    # every copy the same as the one ScoreOptions.make checks
    import inspect

    from crimeharm import ScoreOptions
    from crimeharm.scoring.options import SCORE_ARGUMENTS

    made = inspect.signature(ScoreOptions.make).parameters
    params = inspect.signature(func).parameters
    for name in SCORE_ARGUMENTS & set(params) - ({"end"} if func is crimeharm.area_harm else set()):
        assert params[name].default == made[name].default, name
        assert params[name].annotation == made[name].annotation, name


def test_option_errors_carry_the_value_and_what_is_allowed():
    with pytest.raises(crimeharm.OptionError) as info:
        crimeharm.score(SMALL, unknown="ignore")
    assert info.value.values == ["ignore"]
    assert info.value.allowed == ["exclude", "raise", "zero"]
    assert isinstance(info.value, ValueError)


def test_missing_column_names_it_and_lists_those_present():
    df = pd.DataFrame({"code": ["8/6"], "area": ["A"]})
    with pytest.raises(MissingColumnError) as info:
        crimeharm.score(df)
    message = str(info.value)
    assert "offence_code" in message
    assert "'code'" in message
    assert "'area'" in message
    assert isinstance(info.value, KeyError)
    with pytest.raises(MissingColumnError, match=r"'when'.*columns present.*'code'"):
        crimeharm.score(df, code="code", date="when")


def test_missing_column_in_a_file(tmp_path):
    (tmp_path / "a.csv").write_text("code,area\n8/6,A\n")
    with pytest.raises(MissingColumnError, match=r"offence_code.*'code', 'area'"):
        crimeharm.score(tmp_path / "a.csv")
    with pytest.raises(MissingColumnError, match=r"offence_code.*'code', 'area'"):
        crimeharm.harm_index(tmp_path / "a.csv", by="area")


def _assert_empty_result(out: pd.DataFrame) -> None:
    assert len(out) == 0
    assert set(NEW_COLUMNS) <= set(out.columns)
    s = summary(out)
    assert (s["rows_in"], s["rows_included"], s["rows_excluded"]) == (0, 0, {})
    assert out.attrs["crimeharm"]["edition"] == W.edition


@pytest.mark.usefixtures("each_engine")
def test_header_only_csv_gives_an_empty_result(tmp_path):
    (tmp_path / "h.csv").write_text("offence_code,area\n")
    _assert_empty_result(crimeharm.score(tmp_path / "h.csv"))
    hi = crimeharm.harm_index(tmp_path / "h.csv", by="area")
    assert len(hi) == 0
    assert hi.attrs["crimeharm"]["summary"]["rows_in"] == 0


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"  "], ids=["0-bytes", "bom", "blank"])
@pytest.mark.parametrize("call", ["score", "harm_index", "series"])
def test_empty_csv_file_is_an_error_naming_the_file(tmp_path, content, call):
    # no header at all is a failed export or download, not a count of zero crimes
    (tmp_path / "e.csv").write_bytes(content)
    with pytest.raises(crimeharm.EmptyDataError, match=r"e\.csv'.*empty.*no header") as info:
        getattr(crimeharm, call)(tmp_path / "e.csv")
    assert info.value.path == str(tmp_path / "e.csv")
    assert isinstance(info.value, ValueError)


def test_empty_frame():
    _assert_empty_result(crimeharm.score(pd.DataFrame({"offence_code": pd.Series([], dtype=str)})))


def test_a_path_that_does_not_exist(tmp_path):
    missing = tmp_path / "nope.csv"
    for call in (crimeharm.score, crimeharm.harm_index):
        with pytest.raises(InputFileError, match=r"nope\.csv.*does not exist"):
            call(missing)


def test_a_file_that_is_neither_csv_nor_parquet(tmp_path):
    path = tmp_path / "x.xlsx"
    path.write_bytes(os.urandom(256))
    for call in (crimeharm.score, crimeharm.harm_index):
        with pytest.raises(CrimeHarmError, match=r"x\.xlsx.*neither CSV nor Parquet"):
            call(path)


def test_a_corrupt_parquet_file(tmp_path):
    path = tmp_path / "bad.parquet"
    path.write_bytes(b"PAR1" + os.urandom(64))
    with pytest.raises(CrimeHarmError, match=r"bad\.parquet"):
        crimeharm.harm_index(path)


def test_data_of_the_wrong_type():
    with pytest.raises(TypeError, match="DataFrame"):
        crimeharm.score([["8/6"]])


# --- provenance -----------------------------------------------------------------------------


@pytest.mark.parametrize("edition", crimeharm.available_weights()["id"].tolist())
def test_provenance_of_score(edition):
    table = load_weights(edition)
    out = crimeharm.score(pd.DataFrame({"offence_code": ["8/6"]}), weights=edition)
    meta = out.attrs["crimeharm"]
    assert meta["edition"] == table.edition == edition
    assert meta["edition_sha256"] == table.sha256
    assert len(table.sha256) == 64
    assert meta["summary"]["edition_sha256"] == table.sha256
