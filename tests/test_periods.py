"""Tests of crimeharm.scoring.periods: labels, bounds and rolling windows, checked against pandas.

The expected period of a date is computed here with pandas' own calendar
(``pd.Period``) or by brute force over months, not with crimeharm.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import crimeharm
from crimeharm import CrimeHarmError, load_weights
from crimeharm.scoring.periods import Period, PeriodError, parse_period

W = load_weights()

DATES = pd.to_datetime(
    [
        "1969-12-31",
        "1970-01-01",
        "1999-04-01",
        "2000-03-31",
        "2019-08-01",
        "2021-04-01",
        "2022-02-28",
        "2022-03-31",
        "2022-04-01",
        "2022-07-31",
        "2022-12-31",
        "2024-02-29",
    ]
)


def day_numbers(dates) -> np.ndarray:
    return pd.DatetimeIndex(dates).to_numpy().astype("datetime64[D]").astype(np.int64)


def labels_of(spec: str, dates) -> list[str]:
    period = parse_period(spec)
    return period.labels(period.ids_from_days(day_numbers(dates))).tolist()


def bounds_of(spec: str, dates) -> tuple[list[str], list[str]]:
    period = parse_period(spec)
    start, end = period.bounds(period.ids_from_days(day_numbers(dates)))
    return start.astype(str).tolist(), end.astype(str).tolist()


def fy_start_year(ts: pd.Timestamp) -> int:
    """The financial year runs April to March and is named by the year it starts in."""
    return ts.year if ts.month >= 4 else ts.year - 1


# --- parsing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("month", Period("month")),
        ("quarter", Period("quarter")),
        ("year", Period("year")),
        ("calendar-year", Period("year")),
        ("annual", Period("year")),
        ("financial-year", Period("financial-year")),
        ("financial_year", Period("financial-year")),
        ("fy", Period("financial-year")),
        ("FY", Period("financial-year")),
        (" Month ", Period("month")),
        ("rolling:36m", Period("rolling", 36)),
        ("rolling:3y", Period("rolling", 36)),
        ("rolling-12m", Period("rolling", 12)),
        ("ROLLING:3M", Period("rolling", 3)),
        ("rolling:1m", Period("rolling", 1)),
    ],
)
def test_parse_period(spec, expected):
    assert parse_period(spec) == expected
    assert parse_period(expected) is expected


def test_parse_none_and_spec_round_trip():
    assert parse_period(None) is None
    for spec in ("month", "quarter", "year", "financial-year", "rolling:36m"):
        assert parse_period(spec).spec == spec


@pytest.mark.parametrize(
    "spec", ["fortnight", "rolling", "rolling:0m", "rolling:3w", "rolling:-3m", "", "36m", "week"]
)
def test_parse_errors(spec):
    with pytest.raises(PeriodError) as info:
        parse_period(spec)
    assert isinstance(info.value, CrimeHarmError)
    assert isinstance(info.value, ValueError)
    assert repr(spec) in str(info.value)


def test_a_parse_error_lists_the_valid_periods():
    with pytest.raises(PeriodError) as info:
        parse_period("fortnight")
    for kind in ("month", "quarter", "year", "financial-year", "rolling:36m"):
        assert kind in str(info.value)


# --- labels ------------------------------------------------------------------------------------


def test_month_labels():
    assert labels_of("month", DATES) == [f"{d.year}-{d.month:02d}" for d in DATES]


def test_quarter_labels():
    assert labels_of("quarter", DATES) == [f"{d.year}-Q{d.quarter}" for d in DATES]


def test_year_labels():
    assert labels_of("year", DATES) == [str(d.year) for d in DATES]


def test_financial_year_labels():
    expected = [f"{fy_start_year(d)}/{(fy_start_year(d) + 1) % 100:02d}" for d in DATES]
    assert labels_of("financial-year", DATES) == expected


def test_financial_year_boundary():
    assert labels_of("financial-year", ["2022-03-31", "2022-04-01"]) == ["2021/22", "2022/23"]
    assert labels_of("financial-year", ["1999-04-01", "2000-03-31"]) == ["1999/00", "1999/00"]
    assert labels_of("financial-year", ["2000-04-01"]) == ["2000/01"]


def test_rolling_label_names_the_first_and_last_month():
    assert labels_of("rolling:36m", ["2022-07-15"]) == ["Aug 2019 - Jul 2022"]
    assert labels_of("rolling:3y", ["2022-07-01"]) == ["Aug 2019 - Jul 2022"]
    assert labels_of("rolling:12m", ["2024-01-31"]) == ["Feb 2023 - Jan 2024"]
    assert labels_of("rolling:1m", ["2024-01-31"]) == ["Jan 2024 - Jan 2024"]


# --- bounds -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("spec", "freq"), [("month", "M"), ("quarter", "Q"), ("year", "Y")])
def test_calendar_bounds_match_pandas(spec, freq):
    starts, ends = bounds_of(spec, DATES)
    assert starts == [pd.Period(d, freq).start_time.strftime("%Y-%m-%d") for d in DATES]
    assert ends == [pd.Period(d, freq).end_time.strftime("%Y-%m-%d") for d in DATES]


def test_financial_year_bounds():
    starts, ends = bounds_of("financial-year", DATES)
    assert starts == [f"{fy_start_year(d)}-04-01" for d in DATES]
    assert ends == [f"{fy_start_year(d) + 1}-03-31" for d in DATES]


def test_rolling_bounds():
    starts, ends = bounds_of("rolling:36m", ["2022-07-15", "2024-02-29"])
    assert starts == ["2019-08-01", "2021-03-01"]
    assert ends == ["2022-07-31", "2024-02-29"]


@pytest.mark.parametrize("spec", ["month", "quarter", "year", "financial-year", "rolling:5m"])
def test_every_date_lies_within_its_period(spec):
    dates = pd.date_range("2019-01-01", "2024-12-31", freq="6D")
    starts, ends = bounds_of(spec, dates)
    iso = dates.strftime("%Y-%m-%d")
    assert all(s <= d <= e for s, d, e in zip(starts, iso, ends, strict=True))


# --- through harm_index -------------------------------------------------------------------------


@pytest.mark.parametrize("spec", ["month", "quarter", "year", "financial-year"])
def test_harm_index_labels_and_bounds(spec):
    df = pd.DataFrame({"offence_code": "034/01", "d": DATES.strftime("%Y-%m-%d")})
    out = crimeharm.harm_index(df, period=spec, date="d")
    expected = pd.DataFrame(
        {
            "period": labels_of(spec, DATES),
            "start": bounds_of(spec, DATES)[0],
            "end": bounds_of(spec, DATES)[1],
        }
    ).drop_duplicates()
    got = pd.DataFrame(
        {
            "period": out["period"].astype(str),
            "start": out["period_start"].dt.strftime("%Y-%m-%d"),
            "end": out["period_end"].dt.strftime("%Y-%m-%d"),
        }
    )
    assert sorted(map(tuple, got.to_numpy())) == sorted(map(tuple, expected.to_numpy()))
    counts = pd.Series(labels_of(spec, DATES)).value_counts()
    for label, crimes in zip(out["period"].astype(str), out["crimes"], strict=True):
        assert crimes == counts[label]


def test_harm_index_financial_year_boundary():
    df = pd.DataFrame({"offence_code": ["8/6", "034/01"], "d": ["31/03/2022", "01/04/2022"]})
    out = crimeharm.harm_index(df, period="financial-year", date="d")
    assert out["period"].astype(str).tolist() == ["2021/22", "2022/23"]
    assert out["harm_days"].tolist() == W.lookup(df["offence_code"]).tolist()


def _rolling_records(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 300
    days = rng.integers(0, 4 * 365, n)
    dates = pd.Timestamp("2019-01-01") + pd.to_timedelta(days, unit="D")
    return pd.DataFrame(
        {
            "offence_code": rng.choice(["8/6", "034/01", "28E", "092/10"], n),
            "area": rng.choice(["A", "B"], n),
            "d": dates.strftime("%Y-%m-%d"),
        }
    )


@pytest.mark.parametrize("window", [1, 3, 12, 36])
def test_rolling_sums_by_brute_force(window):
    df = _rolling_records(window)
    out = crimeharm.harm_index(df, by="area", period=f"rolling:{window}m", date="d")
    scored = crimeharm.score(df, date="d")
    month = pd.to_datetime(scored["d"]).dt.to_period("M")
    first, last = month.min(), month.max()
    ends = pd.period_range(first + (window - 1), last, freq="M")
    expected = {}
    for area in ("A", "B"):
        for end in ends:
            start = end - (window - 1)
            inside = (scored["area"] == area) & (month >= start) & (month <= end)
            included = inside & scored["excluded"].isna()
            label = f"{start.strftime('%b %Y')} - {end.strftime('%b %Y')}"
            expected[(area, label)] = (
                float(included.sum()),
                float(scored.loc[included, "harm_days"].sum()),
                float((inside & (scored["excluded"] == "police_generated")).sum()),
            )
    got = {
        (a, str(p)): (c, h, x)
        for a, p, c, h, x in zip(
            out["area"],
            out["period"],
            out["crimes"],
            out["harm_days"],
            out["excluded_police_generated"],
            strict=True,
        )
    }
    expected = {k: v for k, v in expected.items() if any(v)}  # cells with nothing are left out
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        assert got[key] == pytest.approx(value), key
    # every record counts in each of the windows that cover its month
    per_month = scored[scored["excluded"].isna()].groupby(month).size()
    n_windows = [((ends >= m) & (ends <= m + (window - 1))).sum() for m in per_month.index]
    assert out["crimes"].sum() == (per_month.to_numpy() * np.array(n_windows)).sum()


def test_rolling_one_month_equals_month():
    df = _rolling_records(7)
    monthly = crimeharm.harm_index(df, by="area", period="month", date="d", complete=True)
    rolling = crimeharm.harm_index(df, by="area", period="rolling:1m", date="d", complete=True)
    cols = ["crimes", "harm_days", "period_start", "period_end"]
    pd.testing.assert_frame_equal(
        rolling[cols].reset_index(drop=True), monthly[cols].reset_index(drop=True)
    )
    assert rolling["period"].astype(str).iloc[0] == "Jan 2019 - Jan 2019"


def test_rolling_windows_end_in_the_last_month_of_data():
    df = pd.DataFrame({"offence_code": "8/6", "d": ["2019-08-10", "2022-07-31"]})
    out = crimeharm.harm_index(df, period="rolling:36m", date="d", complete=True)
    assert out["period"].astype(str).tolist() == ["Aug 2019 - Jul 2022"]
    assert out["crimes"].tolist() == [2.0]
    assert out["period_start"].dt.strftime("%Y-%m-%d").tolist() == ["2019-08-01"]
    assert out["period_end"].dt.strftime("%Y-%m-%d").tolist() == ["2022-07-31"]


def test_period_needs_a_date_column():
    df = pd.DataFrame({"offence_code": ["8/6"]})
    with pytest.raises(CrimeHarmError, match=r"period='quarter' needs a date column"):
        crimeharm.harm_index(df, period="quarter")
    with pytest.raises(PeriodError, match="fortnight"):
        crimeharm.harm_index(df.assign(d="2024-01-01"), period="fortnight", date="d")
