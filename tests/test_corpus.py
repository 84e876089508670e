"""The corpus of awkward inputs: every date, yes/no and count case with its expected outcome.

The files in ``tests/corpus/`` carry their expected outcome row by row (see
its README); the cases that need typed columns are built here. Expected dates
of typed values are computed with the standard library (``date.toordinal``,
``zoneinfo``), independently of the readers under test.
"""

from __future__ import annotations

import datetime as dt
import json
import warnings
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import crimeharm
from crimeharm import ColumnTypeError, ColumnValueError, FlagValueWarning, OptionError
from crimeharm.reasons import REASONS

CORPUS = Path(__file__).parent / "corpus"
CASES = json.loads((CORPUS / "cases.json").read_text(encoding="utf-8"))
LONDON = ZoneInfo("Europe/London")
W = crimeharm.load_weights()
EPOCH = dt.date(1970, 1, 1).toordinal()

pytestmark = [
    pytest.mark.filterwarnings("ignore::crimeharm.UnknownCodeWarning"),
    pytest.mark.filterwarnings("ignore::crimeharm.FlagValueWarning"),
]


def reasons_of(out: pd.DataFrame) -> list:
    return [None if pd.isna(r) else str(r) for r in out["excluded"]]


def expected_of(path: Path) -> list[str]:
    """The ``expect`` column, blanks as ''."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)["expect"].tolist()


def _engines(monkeypatch, path, **options) -> list[pd.DataFrame]:
    """harm_index on the one-pass compiled path and on the column-by-column path."""
    out = []
    for fused in ("1", "0"):
        monkeypatch.setenv("CRIMEHARM_FUSED", fused)
        out.append(crimeharm.harm_index(path, **options))
    return out


def _reason_counts(expect: list[str], *, included: set) -> Counter:
    return Counter(e for e in expect if e not in included and e != "")


def test_every_corpus_file_has_a_case_and_every_case_a_file():
    files = {p.name for p in CORPUS.glob("*.csv")}
    assert files == {case.get("file", name) for name, case in CASES.items()}


@pytest.mark.parametrize("name", sorted(n for n, c in CASES.items() if c.get("check") == "dates"))
def test_date_corpus(name, monkeypatch):
    path, case = CORPUS / name, CASES[name]
    expect = expected_of(path)
    out = crimeharm.score(path, **case["options"])
    got = [
        reason if reason is not None else str(day.date())
        for reason, day in zip(reasons_of(out), out["period_date"], strict=True)
    ]
    assert got == expect
    dated = [e for e in expect if e not in REASONS]
    s = out.attrs["crimeharm"]["summary"]
    assert s["rows_excluded"] == dict(_reason_counts(expect, included=set(dated)))
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)["d"].tolist()
    bad = [v for v, e in zip(raw, expect, strict=True) if e == "bad_date"]
    assert set(s["bad_date_examples"]) <= set(bad)
    assert len(s["bad_date_examples"]) == min(5, len(set(bad)))
    if "implausible_date" in expect:
        assert s["implausible_date_examples"]
    # both engine paths place the same records in the same years
    years = Counter(e[:4] for e in dated)
    for hi in _engines(monkeypatch, path, period="year", **case["options"]):
        placed = hi.dropna(subset=["period"])
        assert dict(zip(placed["period"].astype(str), placed["crimes"], strict=True)) == years
        assert hi["crimes"].dtype == np.int64
        summary = hi.attrs["crimeharm"]["summary"]
        assert summary["rows_excluded"] == s["rows_excluded"]


def test_offset_corpus_agrees_with_the_time_zone_database():
    frame = pd.read_csv(CORPUS / "dates-offsets.csv", dtype=str)
    for value, expect in zip(frame["d"], frame["expect"], strict=True):
        if expect == "bad_date":
            continue
        text = value.replace(" +", "+")
        if text[-3] in "+-":  # fromisoformat wants minutes in the offset
            text += ":00"
        stamp = dt.datetime.fromisoformat(text)
        assert str(stamp.astimezone(LONDON).date()) == expect, value


@pytest.mark.parametrize("name", sorted(n for n, c in CASES.items() if c.get("check") == "flags"))
def test_flag_corpus(name, monkeypatch):
    path, case = CORPUS / name, CASES[name]
    expect = [e or None for e in expected_of(path)]
    out = crimeharm.score(path, **case["options"])
    assert reasons_of(out) == expect
    s = out.attrs["crimeharm"]["summary"]
    assert s["rows_excluded"] == dict(Counter(e for e in expect if e))
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)["pi"]
    blanks = int((raw.str.strip() == "").sum())
    assert s["blank_flags"] == ({"pi": blanks} if blanks else {})
    vocabulary = {"Y", "N", "YES", "NO", "TRUE", "FALSE", "T", "F", "1", "0", "1.0", "0.0"}
    unknown = Counter(v for v in raw if v.strip() and v.strip().upper() not in vocabulary)
    assert s["unknown_flag_values"] == ({"pi": dict(unknown)} if unknown else {})
    for hi in _engines(monkeypatch, path, **case["options"]):
        assert hi.attrs["crimeharm"]["summary"]["rows_excluded"] == s["rows_excluded"]
        assert hi.attrs["crimeharm"]["summary"]["blank_flags"] == s["blank_flags"]


def test_counts_corpus(monkeypatch):
    path = CORPUS / "counts.csv"
    expect = expected_of(path)
    out = crimeharm.score(path, **CASES["counts.csv"]["options"])
    assert out["crimes"].dtype == np.int64
    reasons = reasons_of(out)
    for e, reason, crimes in zip(expect, reasons, out["crimes"], strict=True):
        if e == "invalid_count":
            assert (reason, crimes) == ("invalid_count", 1)
        else:
            assert (reason, crimes) == (None, int(e))
    whole = sum(int(e) for e in expect if e != "invalid_count")
    for hi in _engines(monkeypatch, path, **CASES["counts.csv"]["options"]):
        assert hi["crimes"].tolist() == [whole]
        assert hi["excluded_invalid_count"].tolist() == [expect.count("invalid_count")]
        assert hi["crimes"].dtype == hi["excluded"].dtype == np.int64


@pytest.mark.parametrize("name", sorted(n for n, c in CASES.items() if "error" in c))
def test_error_corpus(name):
    case = CASES[name]
    cls = getattr(crimeharm, case["error"]["class"])
    for call in case.get("calls", ["score", "harm_index"]):
        with pytest.raises(cls) as info:
            getattr(crimeharm, call)(CORPUS / case.get("file", name), **case["options"])
        assert isinstance(info.value, crimeharm.CrimeHarmError)
        for fragment in case["error"]["contains"]:
            assert fragment in str(info.value), (fragment, str(info.value))


@pytest.mark.parametrize("name", sorted(n for n, c in CASES.items() if c.get("check") == "areas"))
def test_area_corpus(name, monkeypatch):
    """Each record's areas, ``|``-joined, blanks labelled; the blank area last, and counted."""
    path, case = CORPUS / name, CASES[name]
    by = case["options"]["by"]
    by = [by] if isinstance(by, str) else by
    expect = expected_of(path)
    for hi in [
        *_engines(monkeypatch, path, **case["options"]),
        crimeharm.aggregate(crimeharm.score(path), by=by),
    ]:
        labels = ["|".join(str(row[c]) for c in by) for _, row in hi[by].iterrows()]
        assert dict(zip(labels, hi["crimes"], strict=True)) == dict(Counter(expect))
        first = hi[by[0]].astype(str).tolist()
        blank_at = [i for i, v in enumerate(first) if v == crimeharm.BLANK_AREA]
        assert blank_at == list(range(len(first) - len(blank_at), len(first)))  # last
        blanks = {
            c: sum(e.split("|")[k] == crimeharm.BLANK_AREA for e in expect)
            for k, c in enumerate(by)
        }
        summary = hi.attrs["crimeharm"]["summary"]
        assert {c: v["crimes"] for c, v in summary["blank_areas"].items()} == {
            c: n for c, n in blanks.items() if n
        }
        for c, v in summary["blank_areas"].items():
            assert v["harm_days"] == pytest.approx(10.0 * blanks[c])  # 8/6: 10 days each
    assert "blank 'a'" in crimeharm.Summary.from_dict(summary).to_text()


@pytest.mark.parametrize("name", sorted(n for n, c in CASES.items() if c.get("check") == "window"))
def test_window_corpus(name, monkeypatch):
    """With start/end only the window's periods; the rest under the null period, counted."""
    path, case = CORPUS / name, CASES[name]
    expect = expected_of(path)
    periods = Counter(e for e in expect if e not in REASONS)
    reasons = Counter(e for e in expect if e in REASONS)
    scored = crimeharm.score(path, **{k: v for k, v in case["options"].items() if k != "period"})
    for hi in [
        *_engines(monkeypatch, path, **case["options"]),
        crimeharm.aggregate(scored, period="month"),
    ]:
        placed = hi.dropna(subset=["period"])
        assert dict(zip(placed["period"].astype(str), placed["crimes"], strict=True)) == periods
        assert placed["excluded"].sum() == 0
        undated = hi[hi["period"].isna()]
        assert len(undated) == 1
        for reason, n in reasons.items():
            assert int(undated[f"excluded_{reason}"].sum()) == n
        assert hi["crimes"].sum() + hi["excluded"].sum() == len(expect)


def test_blank_float_areas_of_a_parquet_file_are_one_labelled_area(tmp_path):
    table = pa.table(
        {"offence_code": ["8/6"] * 4, "a": pa.array([2.0, float("nan"), None, 1.0], pa.float64())}
    )
    pq.write_table(table, tmp_path / "f.parquet")
    for data in (tmp_path / "f.parquet", table, table.to_pandas()):
        hi = crimeharm.harm_index(data, by="a")
        assert hi["a"].tolist() == [1.0, 2.0, crimeharm.BLANK_AREA]
        assert hi["crimes"].tolist() == [1, 1, 2]
        assert hi.attrs["crimeharm"]["summary"]["blank_areas"] == {
            "a": {"crimes": 2, "harm_days": 20.0}
        }


def test_many_by_columns_with_many_values_keep_every_group():
    """Group ids are numbered pair by pair: no packing limit on columns or values."""
    rng = np.random.default_rng(7)
    n = 20_000
    frame = pd.DataFrame({"offence_code": ["8/6"] * n})
    for k in range(7):
        frame[f"c{k}"] = rng.integers(0, 1 << 40, n) if k == 0 else rng.integers(0, 3, n)
    by = [f"c{k}" for k in range(7)]
    for eng in ("numpy", "compiled"):
        hi = crimeharm.harm_index(frame, by=by, engine=eng, batch_rows=3_000)
        got = hi.astype(dict.fromkeys(by, np.int64)).set_index(by)["crimes"].sort_index()
        want = frame.groupby(by).size().sort_index()
        pd.testing.assert_series_equal(got, want, check_names=False)


def test_a_corrupt_parquet_file_in_a_folder_is_named(tmp_path):
    pq.write_table(pa.table({"offence_code": ["8/6"], "a": ["x"]}), tmp_path / "1.parquet")
    raw = bytearray((tmp_path / "1.parquet").read_bytes())
    raw[10:60] = b"\xff" * 50
    (tmp_path / "2.parquet").write_bytes(bytes(raw))
    for call in (crimeharm.score, lambda p: crimeharm.harm_index(p, by="a")):
        with pytest.raises(crimeharm.CrimeHarmError) as info:
            call(tmp_path)
        assert "2.parquet" in str(info.value)


def test_reported_alone_warns():
    df = pd.DataFrame({"offence_code": ["8/6"], "d": ["2023-01-01"], "r": ["2023-02-01"]})
    with pytest.warns(crimeharm.OptionWarning, match="reported='r' changes nothing"):
        crimeharm.score(df, date="d", reported="r")
    for used in ({"historic_lag": 30}, {"start": "2023-01-01"}, {"period_by": "reported"}):
        with warnings.catch_warnings():
            warnings.simplefilter("error", crimeharm.OptionWarning)
            crimeharm.score(df, date="d", reported="r", **used)


def test_area_harm_warns_when_the_data_do_not_cover_its_window():
    df = pd.DataFrame(
        {"offence_code": ["8/6"] * 3, "d": ["2022-05-01", "2022-06-01", "2022-07-01"], "a": "x"}
    )
    with pytest.warns(crimeharm.ShortDataWarning, match="3 of the 36 months"):
        out = crimeharm.area_harm(df, area="a", end="2022-07", months=36, date="d")
    assert out["crimes"].tolist() == [3]
    with warnings.catch_warnings():
        warnings.simplefilter("error", crimeharm.ShortDataWarning)
        full = crimeharm.area_harm(df, area="a", end="2022-07", months=3, date="d")
    assert full["harm"].tolist() == [30.0]


@pytest.mark.parametrize("column", ["edition", "edition_sha256"])
def test_cli_csv_refuses_to_overwrite_an_input_column_with_provenance(cli, tmp_path, column):
    src = tmp_path / "in.csv"
    src.write_text(f"offence_code,{column}\n8/6,mine\n")
    for extra in ([], ["--by", column]):
        code, _, err = cli("score", str(src), *extra, "-o", str(tmp_path / "out.csv"))
        cli.assert_clean_error(code, err, f"'{column}'", "rename", "Parquet")
        assert not (tmp_path / "out.csv").exists()
    code, _, _ = cli("score", str(src), "-o", str(tmp_path / "out.parquet"))
    assert code == 0
    assert pd.read_parquet(tmp_path / "out.parquet")[column].tolist() == ["mine"]


def test_cli_usage_errors_are_one_line(capsys, tmp_path):
    from crimeharm.cli import main

    src = tmp_path / "in.csv"
    src.write_text("offence_code\n8/6\n")
    with pytest.raises(SystemExit) as info:
        main(["score", str(src), "--historic-lag", "1 year"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [
        "crimeharm score: error: argument --historic-lag: invalid int value: '1 year' "
        "(see crimeharm score --help)"
    ]


# --- typed date columns ---------------------------------------------------------------------

WIDE = [dt.date(1, 1, 1), dt.date(1500, 1, 1), dt.date(1899, 12, 31), dt.date(1969, 12, 31)]
WIDE += [dt.date(1970, 1, 1), dt.date(2023, 4, 1), dt.date(2262, 4, 12), dt.date(3023, 4, 5)]
WIDE += [dt.date(9999, 12, 31)]


def _day(d: dt.date) -> int:
    return d.toordinal() - EPOCH


def _check_days(out: pd.DataFrame, dates: list, *, window: tuple | None = None) -> None:
    """Each record is dated as expected, or implausible outside ``window`` (None: 1-9999)."""
    lo, hi = window or (dt.date(1, 1, 1), dt.date(9999, 12, 31))
    reasons = reasons_of(out)
    for d, reason, got in zip(dates, reasons, out["period_date"], strict=True):
        if d is None:
            assert reason == "missing_date"
        elif lo <= d <= hi:
            assert reason is None
            assert got.date() == d
        else:
            assert reason == "implausible_date"
            assert pd.isna(got)


def _frames(dates: list) -> dict[str, object]:
    """The same dates as each kind of typed column."""
    stamps = [None if d is None else dt.datetime(d.year, d.month, d.day, 13, 5) for d in dates]
    out: dict[str, object] = {
        "arrow date32": pa.array(dates, pa.date32()),
        "arrow date64": pa.array(dates, pa.date64()),
        "datetime.date objects": pd.Series(dates, dtype=object),
        "period D": pd.Series(
            pd.PeriodIndex([None if d is None else str(d) for d in dates], freq="D")
        ),
    }
    for unit in ("s", "ms", "us"):
        out[f"arrow timestamp[{unit}]"] = pa.array(stamps, pa.timestamp(unit))
        out[f"pandas datetime64[{unit}]"] = pd.Series(
            np.array(
                [np.datetime64("NaT") if s is None else s for s in stamps], f"datetime64[{unit}]"
            )
        )
    return out


@pytest.mark.parametrize("kind", list(_frames(WIDE)))
@pytest.mark.parametrize("window", [None, "default"])
def test_typed_dates_over_the_whole_range(kind, window, tmp_path):
    dates = [*WIDE, None]
    col = _frames(dates)[kind]
    table = pa.table({"offence_code": ["8/6"] * len(dates), "d": col})
    options = {"date": "d"}
    limits = None
    if window is None:
        options["date_range"] = None
    else:
        limits = (dt.date(1900, 1, 1), dt.date(2100, 12, 31))
    sources = {"arrow": table, "pandas": table.to_pandas()}
    if isinstance(col, pa.Array):
        pq.write_table(table, tmp_path / "d.parquet")
        sources["parquet"] = tmp_path / "d.parquet"
    for data in sources.values():
        _check_days(crimeharm.score(data, **options), dates, window=limits)
        hi = crimeharm.harm_index(data, period="year", **options)
        lo_, hi_ = limits or (dt.date(1, 1, 1), dt.date(9999, 12, 31))
        years = Counter(f"{d.year:04d}" for d in dates if d is not None and lo_ <= d <= hi_)
        placed = hi.dropna(subset=["period"])
        assert dict(zip(placed["period"].astype(str), placed["crimes"], strict=True)) == years


def test_timestamps_with_a_time_zone_are_london_dates():
    instants = [
        dt.datetime(2023, 3, 26, 0, 30, tzinfo=dt.timezone.utc),
        dt.datetime(2023, 7, 1, 23, 30, tzinfo=dt.timezone.utc),
        dt.datetime(2023, 10, 28, 23, 30, tzinfo=dt.timezone.utc),
        dt.datetime(2023, 10, 29, 23, 30, tzinfo=dt.timezone.utc),
        dt.datetime(1500, 6, 1, 23, 30, tzinfo=dt.timezone.utc),
    ]
    expect = [i.astimezone(LONDON).date() for i in instants]
    for unit in ("s", "ms", "us", "ns"):
        keep = instants if unit != "ns" else instants[:-1]  # ns cannot hold 1500
        arr = pa.array(keep, pa.timestamp(unit, tz="UTC"))
        for data in (pa.table({"offence_code": ["8/6"] * len(keep), "d": arr}),):
            for frame in (data, data.to_pandas()):
                out = crimeharm.score(frame, date="d", date_range=None)
                assert [d.date() for d in out["period_date"]] == expect[: len(keep)]
    aware = pd.Series(pd.to_datetime(instants[:4])).dt.tz_convert("America/New_York")
    out = crimeharm.score(pd.DataFrame({"offence_code": "8/6", "d": aware}), date="d")
    assert [d.date() for d in out["period_date"]] == expect[:4]


def test_text_with_offsets_either_side_of_the_clock_change_does_not_abort():
    text = ["2023-03-25T23:30:00+00:00", "2023-03-26T02:30:00+01:00", "2023-10-29T00:30:00+01:00"]
    out = crimeharm.score(pd.DataFrame({"offence_code": "8/6", "d": text}), date="d")
    expect = [dt.datetime.fromisoformat(t).astimezone(LONDON).date() for t in text]
    assert [d.date() for d in out["period_date"]] == expect


def test_mixed_objects_are_read_each_by_its_type():
    values = [
        dt.date(2023, 4, 1),
        dt.datetime(2023, 4, 2, 13, 5),
        pd.Timestamp("2023-07-01T23:30Z"),
        np.datetime64("2023-04-04"),
        pd.Period("2023-05", freq="M"),
        "06/04/2023",
        None,
        True,
        45017,
        object(),
    ]
    df = pd.DataFrame({"offence_code": "8/6", "d": pd.Series(values, dtype=object)})
    out = crimeharm.score(df, date="d")
    dates = [None if pd.isna(d) else str(d.date()) for d in out["period_date"]]
    expect = ["2023-04-01", "2023-04-02", "2023-07-02", "2023-04-04", "2023-05-01", "2023-04-06"]
    assert dates[:6] == expect
    assert reasons_of(out)[6:] == ["missing_date", "bad_date", "bad_date", "bad_date"]
    assert "True" in out.attrs["crimeharm"]["summary"]["bad_date_examples"]
    excel = crimeharm.score(df, date="d", date_format=["uk", "excel"])
    assert str(excel["period_date"].iloc[8].date()) == "2023-04-01"


def test_a_categorical_of_dates_and_a_dictionary_of_text():
    cats = pd.Series(["01/04/2023", "1500-01-01", None, "x"], dtype="category")
    out = crimeharm.score(pd.DataFrame({"offence_code": "8/6", "d": cats}), date="d")
    assert reasons_of(out) == [None, "implausible_date", "missing_date", "bad_date"]
    table = pa.table(
        {"offence_code": ["8/6"] * 4, "d": pa.array(cats.astype(object)).dictionary_encode()}
    )
    assert reasons_of(crimeharm.score(table, date="d")) == reasons_of(out)


@pytest.mark.parametrize(
    ("column", "needle"),
    [
        (pd.Series([True, False]), "bool"),
        (pd.Series(pd.to_timedelta([1, 2], unit="D")), "timedelta|duration"),
        (pa.array([[1], [2]]), "list|ndarray"),
        (pa.array([{"a": 1}, {"a": 2}]), "struct|dict"),
    ],
)
def test_a_column_that_holds_no_dates_is_an_error_naming_it(column, needle):
    table = pa.table({"offence_code": ["8/6", "8/6"], "when": column})
    # values of the wrong kind: ColumnValueError; lists and records: ColumnTypeError
    error = ColumnTypeError if needle in ("list|ndarray", "struct|dict") else ColumnValueError
    for data in (table, table.to_pandas()):
        for call in (crimeharm.score, crimeharm.harm_index):
            with pytest.raises(error, match=rf"'when'.*({needle})") as info:
                call(data, date="when")
            assert info.value.column == "when"


# --- options that take dates ----------------------------------------------------------------

SMALL = pd.DataFrame({"offence_code": ["8/6"], "d": ["2023-04-15"]})


@pytest.mark.parametrize(
    ("value", "needles"),
    [
        (20230401, ["start=20230401", "number"]),
        (2023.25, ["start=2023.25", "number"]),
        (True, ["start=True", "not a date"]),
        ("2023-04", ["start='2023-04'", "month"]),
        ("01/04/23", ["start='01/04/23'", "two-digit year"]),
        ("04/31/2023", ["start='04/31/2023'", "not a date"]),
        ("the spring", ["start='the spring'", "not a date"]),
        (pd.NaT, ["start=NaT"]),
    ],
)
def test_window_bounds_refused_with_the_value(value, needles):
    with pytest.raises(OptionError) as info:
        crimeharm.score(SMALL, date="d", start=value)
    for needle in needles:
        assert needle in str(info.value), (needle, str(info.value))


@pytest.mark.parametrize(
    ("value", "day"),
    [
        ("01/04/2023", "2023-04-01"),  # day first, never month first
        ("1.4.2023", "2023-04-01"),
        ("2023-04-01", "2023-04-01"),
        ("2023-04-01T23:30Z", "2023-04-02"),
        (dt.date(2023, 4, 1), "2023-04-01"),
        (pd.Timestamp("2023-04-01 13:00"), "2023-04-01"),
        (np.datetime64("2023-04-01"), "2023-04-01"),
        (dt.date(1500, 1, 1), "1500-01-01"),
    ],
)
def test_window_bounds_read_as_records_are(value, day):
    out = crimeharm.score(SMALL, date="d", start=value)
    assert out.attrs["crimeharm"]["summary"]["options"]["start"] == day


@pytest.mark.parametrize(
    ("value", "needle"),
    [
        (("2024-01-01", "2023-01-01"), "after"),
        ("2023", "two dates"),
        (("2023-01-01",), "two dates"),
        (("0000-01-01", None), "0000-01-01"),
        (("x", None), "date_range[0]='x'"),
        ((None, 20231231), "date_range[1]=20231231"),
    ],
)
def test_bad_date_range(value, needle):
    with pytest.raises(OptionError, match=None) as info:
        crimeharm.score(SMALL, date="d", date_range=value)
    assert needle in str(info.value)


def test_date_range_is_recorded_and_one_sided_bounds_work():
    df = pd.DataFrame({"offence_code": "8/6", "d": ["1850-01-01", "2150-01-01"]})
    out = crimeharm.score(df, date="d", date_range=(None, "2200-01-01"))
    assert reasons_of(out) == [None, None]
    assert out.attrs["crimeharm"]["summary"]["options"]["date_range"] == [
        "0001-01-01",
        "2200-01-01",
    ]
    default = crimeharm.score(df, date="d")
    assert default.attrs["crimeharm"]["summary"]["options"]["date_range"] == [
        "1900-01-01",
        "2100-12-31",
    ]
    assert reasons_of(default) == ["implausible_date", "implausible_date"]
    assert default.attrs["crimeharm"]["summary"]["implausible_date_examples"] == [
        "1850-01-01",
        "2150-01-01",
    ]


@pytest.mark.parametrize(
    ("options", "needle"),
    [
        ({"date_format": "dd/mm/yyyy"}, "'dd/mm/yyyy'"),
        ({"date_format": ["iso", 5]}, "5"),
        ({"date_format": []}, "date_format=[]"),
        ({"flag_blank": "yes"}, "flag_blank='yes'"),
        ({"flag_unknown": "ignore"}, "flag_unknown='ignore'"),
    ],
)
def test_bad_date_and_flag_options(options, needle):
    with pytest.raises(OptionError) as info:
        crimeharm.score(SMALL, date="d", **options)
    assert needle in str(info.value)


# --- yes/no columns in batches --------------------------------------------------------------


def test_a_blank_flag_in_one_row_group_or_csv_block(tmp_path, monkeypatch):
    n = 3_000
    pi = np.where(np.arange(n) % 7 == 0, "Y", "N").astype(object)
    pi[1_000:2_000] = None  # one row group of only blanks
    pi[2_500] = None  # one blank in another
    frame = pd.DataFrame({"offence_code": "034/01", "pi": pi, "area": "A"})
    pq.write_table(pa.Table.from_pandas(frame), tmp_path / "f.parquet", row_group_size=1_000)
    frame.to_csv(tmp_path / "f.csv", index=False)
    yes = int((frame["pi"] == "Y").sum())
    for exclude in ("no", "exclude"):
        for data in (tmp_path / "f.parquet", tmp_path / "f.csv", frame):
            for hi in _engines(
                monkeypatch,
                data,
                by="area",
                police_initiated="pi",
                flag_blank=exclude,
                batch_rows=1_000,
            ):
                s = hi.attrs["crimeharm"]["summary"]
                assert s["blank_flags"] == {"pi": 1_001}
                assert s["rows_excluded"]["police_initiated"] == yes
                blanks = s["rows_excluded"].get("missing_flag", 0)
                assert blanks == (1_001 if exclude == "exclude" else 0)
                assert hi["crimes"].sum() == n - yes - blanks


def test_an_arrow_boolean_flag_with_nulls():
    table = pa.table({"offence_code": ["034/01"] * 3, "pi": pa.array([True, None, False])})
    assert reasons_of(crimeharm.score(table, police_initiated="pi")) == [
        "police_initiated",
        None,
        None,
    ]
    out = crimeharm.score(table, police_initiated="pi", flag_blank="exclude")
    assert reasons_of(out) == ["police_initiated", "missing_flag", None]


def test_unknown_flag_values_warn_once_naming_them():
    df = pd.DataFrame({"offence_code": "034/01", "pi": ["N/A", "N/A", "Yes.", "N"]})
    with pytest.warns(FlagValueWarning, match=r"3 record.*'N/A' \(2\).*'Yes\.' \(1\)") as record:
        out = crimeharm.score(df, police_initiated="pi")
    assert len([w for w in record if issubclass(w.category, FlagValueWarning)]) == 1
    assert reasons_of(out) == ["bad_flag", "bad_flag", "bad_flag", None]
    assert (
        out.attrs["crimeharm"]["summary"]["harm_days_excluded"]["bad_flag"]
        == 3 * W.lookup(["034/01"])[0]
    )


# --- counts ---------------------------------------------------------------------------------


def test_boolean_and_float_count_columns():
    df = pd.DataFrame({"offence_code": "8/6", "b": [True, False], "f": [2.0, np.inf]})
    assert reasons_of(crimeharm.score(df, count="b")) == ["invalid_count"] * 2
    out = crimeharm.score(df, count="f")
    assert reasons_of(out) == [None, "invalid_count"]
    assert out["crimes"].tolist() == [2, 1]
    table = pa.table({"offence_code": ["8/6"] * 3, "n": pa.array([3, None, 4], pa.int64())})
    out = crimeharm.score(table, count="n")
    assert reasons_of(out) == [None, "invalid_count", None]


def test_crime_columns_are_integers_everywhere():
    df = pd.DataFrame(
        {"offence_code": ["8/6", "092/10", "x", "8/6"], "d": ["2023-04-01"] * 4, "a": list("AABB")}
    )
    scored = crimeharm.score(df, date="d")
    assert scored["crimes"].dtype == np.int64
    for out in (
        crimeharm.harm_index(df, by="a", period="month", date="d"),
        crimeharm.aggregate(scored, by="a", period="month"),
        crimeharm.harm_index(df, period="rolling:1m", date="d"),
        crimeharm.harm_index(pd.DataFrame({"offence_code": pd.Series([], dtype=str)})),
    ):
        counts = [
            c
            for c in out.columns
            if c == "crimes" or (c.startswith("excluded") and "harm" not in c)
        ]
        assert counts
        for c in counts:
            assert out[c].dtype == np.int64, c
    s = scored.attrs["crimeharm"]["summary"]
    assert isinstance(s["crimes_included"], int)


# --- the compiled path ----------------------------------------------------------------------


def test_implausible_days_on_the_compiled_path(monkeypatch):
    from crimeharm._engine import fused as _fused
    from crimeharm._engine.compiled import load

    if load() is None:
        pytest.skip("the compiled module is not built")
    taken = []
    prepare = _fused.prepare

    def spy(*args, **kwargs):
        prepared = prepare(*args, **kwargs)
        taken.append(prepared is not None)
        return prepared

    monkeypatch.setattr(_fused, "prepare", spy)
    # 1850 to 2101 spans fewer days than the compiled path's day table holds
    days = [
        dt.date(1850, 6, 1),
        dt.date(2023, 4, 1),
        dt.date(2101, 1, 1),
        None,
        dt.date(2023, 5, 2),
    ]
    table = pa.table(
        {"offence_code": ["8/6"] * 5, "d": pa.array(days, pa.date32()), "a": list("ABABA")}
    )
    options = {"by": "a", "period": "month", "date": "d"}
    fused = crimeharm.harm_index(table, engine="compiled", **options)
    assert taken == [True]
    monkeypatch.setattr(_fused, "eligible", lambda opts: False)  # the column-by-column path
    general = crimeharm.harm_index(table, engine="compiled", **options)
    assert taken == [True]
    numpy = crimeharm.harm_index(table, engine="numpy", **options)
    for other in (general, numpy):
        pd.testing.assert_frame_equal(fused, other, check_like=True)
    s = fused.attrs["crimeharm"]["summary"]
    assert s["rows_excluded"] == {"implausible_date": 2, "missing_date": 1}
    assert s["implausible_date_examples"] == ["1850-06-01", "2101-01-01"]
    placed = fused.dropna(subset=["period"])
    assert sorted(placed["period"].astype(str)) == ["2023-04", "2023-05"]
