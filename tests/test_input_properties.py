"""Property tests of the input readers: dates with offsets, of any year, yes/no values, counts.

Each property draws inputs, works out the expected outcome with the standard
library alone (``zoneinfo`` for the UK date of an instant, ``date.toordinal``
for day numbers) and checks what :func:`crimeharm.score` and
:func:`crimeharm.harm_index` (both engine paths) make of them. The default run
takes a few dozen examples per property; ``pytest --hypothesis-profile=slow
tests/test_input_properties.py`` takes 1,000 (see ``tests/conftest.py``).
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections import Counter
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import crimeharm

LONDON = ZoneInfo("Europe/London")
UTC = dt.timezone.utc
SLOW = settings.default.max_examples >= 1_000
PROPS = settings(
    max_examples=1_000 if SLOW else 30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

pytestmark = [
    pytest.mark.filterwarnings("ignore::crimeharm.UnknownCodeWarning"),
    pytest.mark.filterwarnings("ignore::crimeharm.FlagValueWarning"),
]


def reasons_of(out: pd.DataFrame) -> list:
    return [None if pd.isna(r) else str(r) for r in out["excluded"]]


def _both_engines(data, **options) -> list[pd.DataFrame]:
    """harm_index on the one-pass compiled path and on the column-by-column path."""
    before = os.environ.get("CRIMEHARM_FUSED")
    out = []
    try:
        for fused in ("1", "0"):
            os.environ["CRIMEHARM_FUSED"] = fused
            out.append(crimeharm.harm_index(data, **options))
    finally:
        if before is None:
            os.environ.pop("CRIMEHARM_FUSED", None)
        else:
            os.environ["CRIMEHARM_FUSED"] = before
    return out


# --- instants with UTC offsets ---------------------------------------------------------------


def _last_sunday(year: int, month: int) -> dt.date:
    last = dt.date(year, month + 1, 1) - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() + 1) % 7)


@st.composite
def instants(draw) -> dt.datetime:
    """An instant, often within two hours of a UK clock change (01:00 UTC, EU rule since 1996)."""
    if draw(st.booleans()):
        year = draw(st.integers(1996, 2099))
        day = _last_sunday(year, draw(st.sampled_from([3, 10])))
        change = dt.datetime(day.year, day.month, day.day, 1, tzinfo=UTC)
        moment = change + dt.timedelta(seconds=draw(st.integers(-7_200, 7_200)))
    else:
        moment = draw(
            st.datetimes(dt.datetime(1901, 1, 1), dt.datetime(2099, 12, 30), timezones=st.just(UTC))
        )
    quarter_hours = draw(st.integers(-48, 56))  # UTC-12:00 to UTC+14:00
    zone = dt.timezone(dt.timedelta(minutes=15 * quarter_hours))
    return moment.astimezone(zone).replace(microsecond=0)


@st.composite
def written(draw, moment: dt.datetime) -> tuple[str, dt.datetime]:
    """A text form of an instant with its offset, and the instant it says (seconds may be cut)."""
    seconds = draw(st.booleans())
    if not seconds:
        moment = moment.replace(second=0)
    clock = f"{moment:%H:%M:%S}" if seconds else f"{moment:%H:%M}"
    off = moment.utcoffset()
    minutes = int(off.total_seconds() // 60)
    sign, hh, mm = "-" if minutes < 0 else "+", abs(minutes) // 60, abs(minutes) % 60
    offsets = [f"{sign}{hh:02d}:{mm:02d}", f"{sign}{hh:02d}{mm:02d}"]
    if mm == 0:
        offsets.append(f"{sign}{hh:02d}")
    if minutes == 0:
        offsets.append("Z")
    offset = draw(st.sampled_from(offsets))
    form = draw(st.sampled_from(["iso-T", "iso-space", "uk"]))
    if form == "uk":
        text = f"{moment:%d/%m/%Y} {clock}{offset}"
    else:
        text = f"{moment:%Y-%m-%d}{'T' if form == 'iso-T' else ' '}{clock}{offset}"
    return text, moment


@PROPS
@given(data=st.data(), n=st.integers(1, 25))
def test_instants_with_offsets_are_placed_on_their_london_dates(data, n):
    pairs = [data.draw(written(data.draw(instants()))) for _ in range(n)]
    texts = [t for t, _ in pairs]
    expect = [m.astimezone(LONDON).date() for _, m in pairs]
    df = pd.DataFrame({"offence_code": "8/6", "d": texts})
    out = crimeharm.score(df, date="d")
    assert reasons_of(out) == [None] * n
    assert [d.date() for d in out["period_date"]] == expect
    # the same instants as a timestamp column with a time zone
    stamps = pa.array([m.astimezone(UTC) for _, m in pairs], pa.timestamp("s", tz="UTC"))
    table = pa.table({"offence_code": ["8/6"] * n, "d": stamps})
    assert [d.date() for d in crimeharm.score(table, date="d")["period_date"]] == expect
    months = Counter(f"{d:%Y-%m}" for d in expect)
    for hi in _both_engines(df, date="d", period="month"):
        assert dict(zip(hi["period"].astype(str), hi["crimes"], strict=True)) == months


# --- dates of any year, in any form ---------------------------------------------------------

FORMS = ("iso", "uk", "named", "date32", "datetime64[s]", "period", "objects", "timestamp[ms]")


def _column(dates: list, form: str) -> object:
    if form == "iso":
        return pd.Series([None if d is None else d.isoformat() for d in dates], dtype=object)
    if form == "uk":
        return pd.Series([None if d is None else f"{d:%d/%m}/{d.year:04d}" for d in dates])
    if form == "named":
        return pd.Series(
            [None if d is None else f"{d.day}-{MONTHS[d.month - 1]}-{d.year:04d}" for d in dates]
        )
    if form == "date32":
        return pa.array(dates, pa.date32())
    if form == "timestamp[ms]":
        return pa.array(
            [None if d is None else dt.datetime(d.year, d.month, d.day) for d in dates],
            pa.timestamp("ms"),
        )
    if form == "datetime64[s]":
        values = [np.datetime64("NaT") if d is None else np.datetime64(d, "s") for d in dates]
        return pd.Series(np.array(values, dtype="datetime64[s]"))
    if form == "period":
        return pd.Series(pd.PeriodIndex([None if d is None else str(d) for d in dates], freq="D"))
    return pd.Series(dates, dtype=object)


windows = st.one_of(
    st.none(),
    st.tuples(st.one_of(st.none(), st.dates()), st.one_of(st.none(), st.dates())).map(
        lambda w: tuple(sorted(w, key=lambda d: (d is not None, d))) if None not in w else w
    ),
)


@PROPS
@given(
    dates=st.lists(st.one_of(st.dates(), st.none()), min_size=1, max_size=25),
    form=st.sampled_from(FORMS),
    window=windows,
)
def test_dates_of_any_year_are_read_exactly_or_counted(dates, form, window):
    if window is not None and None not in window and window[0] > window[1]:
        window = (window[1], window[0])
    col = _column(dates, form)
    table = pa.table({"offence_code": ["8/6"] * len(dates), "d": col})
    option = None if window is None else tuple(None if d is None else d.isoformat() for d in window)
    out = crimeharm.score(table, date="d", date_range=option)
    lo = dt.date(1, 1, 1) if window is None or window[0] is None else window[0]
    hi = dt.date(9999, 12, 31) if window is None or window[1] is None else window[1]
    expect = [
        "missing_date" if d is None else (None if lo <= d <= hi else "implausible_date")
        for d in dates
    ]
    assert reasons_of(out) == expect
    placed = [d.date() for d, e in zip(out["period_date"], expect, strict=True) if e is None]
    assert placed == [d for d, e in zip(dates, expect, strict=True) if e is None]
    summary = out.attrs["crimeharm"]["summary"]
    assert summary["rows_excluded"] == dict(Counter(e for e in expect if e))


# --- yes/no values --------------------------------------------------------------------------

YES = ["Y", "y", "yes", "YES", "true", "T", "1", 1, True, 1.0, " Y "]
NO = ["N", "no", "false", "F", "0", 0, False, 0.0]
BLANK = [None, "", "   ", np.nan]
UNKNOWN = ["N/A", "unknown", "Yes.", "maybe", "2", 2, "-"]


def _flag_reason(value: object, blank: str, unknown: str) -> str | None:
    if (
        value is None
        or (isinstance(value, float) and math.isnan(value))
        or (isinstance(value, str) and not value.strip())
    ):
        return "missing_flag" if blank == "exclude" else None
    if any(value == v and type(value) is type(v) for v in YES):
        return "police_initiated"
    if any(value == v and type(value) is type(v) for v in NO):
        return None
    return "bad_flag" if unknown == "exclude" else None


@PROPS
@given(
    values=st.lists(st.sampled_from(YES + NO + BLANK + UNKNOWN), min_size=1, max_size=40),
    blank=st.sampled_from(["no", "exclude"]),
    unknown=st.sampled_from(["no", "exclude"]),
    batch_rows=st.integers(1, 16),
)
def test_yes_no_values_are_read_or_counted_never_a_crash(values, blank, unknown, batch_rows):
    df = pd.DataFrame(
        {"offence_code": "034/01", "pi": pd.Series(values, dtype=object), "area": "A"}
    )
    options = {"police_initiated": "pi", "flag_blank": blank, "flag_unknown": unknown}
    out = crimeharm.score(df, **options)
    expect = [_flag_reason(v, blank, unknown) for v in values]
    assert reasons_of(out) == expect
    s = out.attrs["crimeharm"]["summary"]
    assert s["rows_excluded"] == dict(Counter(e for e in expect if e))
    n_blank = sum(_flag_reason(v, "exclude", "no") == "missing_flag" for v in values)
    assert s["blank_flags"] == ({"pi": n_blank} if n_blank else {})
    n_unknown = sum(_flag_reason(v, "no", "exclude") == "bad_flag" for v in values)
    assert sum(s["unknown_flag_values"].get("pi", {}).values()) == n_unknown
    for hi in _both_engines(df, by="area", batch_rows=batch_rows, **options):
        assert hi.attrs["crimeharm"]["summary"]["rows_excluded"] == s["rows_excluded"]
        assert hi["crimes"].sum() == expect.count(None)


# --- counts ---------------------------------------------------------------------------------

count_values = st.one_of(
    st.integers(-5, 10**6),
    st.integers(2**53 - 2, 2**60),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.integers(-5, 10**6).map(str),
    st.floats(-1e6, 1e6).map(repr),
    st.sampled_from(["", "x", "1,000", "TRUE", "nan", "inf", " 7 "]),
)


def _count_of(value: object) -> float | None:
    """The count a value says, or None when it is not a whole number of at most 2**53."""
    if isinstance(value, bool):
        return None
    try:
        number = float(value.strip()) if isinstance(value, str) else float(value)
    except ValueError:
        return None
    if not math.isfinite(number) or number != math.floor(number) or abs(number) > 2**53:
        return None
    return number


@PROPS
@given(values=st.lists(count_values, min_size=1, max_size=30))
def test_counts_are_whole_numbers_or_invalid(values):
    df = pd.DataFrame({"offence_code": "8/6", "n": pd.Series(values, dtype=object)})
    out = crimeharm.score(df, count="n")
    counts = [_count_of(v) for v in values]
    expect = [None if c is not None and c >= 0 else "invalid_count" for c in counts]
    assert reasons_of(out) == expect
    assert out["crimes"].dtype == np.int64
    want = [int(c) if e is None else 1 for c, e in zip(counts, expect, strict=True)]
    assert out["crimes"].tolist() == want
