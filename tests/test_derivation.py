"""Tests of crimeharm.weights.sheets.derivation.

Rules, parameters, parsing, and agreement with the 2020 sheet.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import inspect
import math
import re
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from crimeharm.errors import CrimeHarmError, WeightsValidationError
from crimeharm.weights.sheets.derivation import (
    BANDS,
    DEFAULT_FINE_BAND_PERCENT,
    DEFAULT_ORDER_HOURS,
    LEVELS,
    ROUNDING_MODES,
    DerivationParams,
    StartingPoint,
    explain_starting_point,
    parse_starting_point,
    starting_point_days,
)

REPO = Path(__file__).resolve().parents[1]
REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"
SHEET = REFERENCE / "cchi" / "cchi-2020-official.xlsx"
DOC = REPO / "docs" / "derivation.md"
SHEET_ROWS = 698  # offence rows of the 2020 sheet (domain.md section 4)


def custody(**kw: float) -> StartingPoint:
    return StartingPoint("custody", **kw)


def order(level: str) -> StartingPoint:
    return StartingPoint("community_order", level=level)


def fine(band: str) -> StartingPoint:
    return StartingPoint("fine", band=band)


def half_up(x: Fraction) -> int:
    return math.floor(x + Fraction(1, 2))


def fine_formula(band: str, *, wage: str = "8.72", income: str = "120", hours: str = "8") -> int:
    """The fine rule, written out independently of the module (exact decimals)."""
    pct = Fraction(DEFAULT_FINE_BAND_PERCENT[band])
    return half_up(pct / 100 * Fraction(income) / (Fraction(hours) * Fraction(wage)))


# ----------------------------------------------------------------------------- custody


@pytest.mark.parametrize(
    ("point", "days"),
    [
        (custody(years=15), 15 * 365),
        (custody(months=18), 18 * 365 / 12),
        (custody(years=1, months=6), 365 + 6 * 365 / 12),
        (custody(weeks=26), 26 * 7),
        (custody(years=2, months=6, weeks=1), 2 * 365 + 6 * 365 / 12 + 7),
    ],
)
def test_custody_rule(point, days):
    assert starting_point_days(point) == pytest.approx(days, abs=1e-12)


def test_custody_published_examples():
    # domain.md section 2: 18 months = 547.5; murder 15 years = 5475
    assert starting_point_days(custody(months=18)) == 547.5
    assert starting_point_days(custody(years=15)) == 5475.0


def test_custody_overrides_reproduce_sheet_variants():
    # the sheet scores 9 months as 270 (30-day months) and 26 weeks sometimes as 182.5
    assert starting_point_days(custody(months=9), days_per_month=30) == 9 * 30
    assert starting_point_days(custody(weeks=26), days_per_week=365 / 52) == pytest.approx(182.5)
    assert starting_point_days(custody(years=2), days_per_year=360) == 2 * 360


def test_custody_is_not_rounded():
    for mode in ROUNDING_MODES:
        assert starting_point_days(custody(months=18), rounding=mode) == 547.5


# ----------------------------------------------------------------------------- community order


@pytest.mark.parametrize(("level", "sheet_days"), [("low", 5), ("medium", 10), ("high", 19)])
def test_community_order_matches_sheet(level, sheet_days):
    assert starting_point_days(order(level)) == sheet_days
    assert half_up(Fraction(DEFAULT_ORDER_HOURS[level]) / 8) == sheet_days


def test_community_order_overrides():
    hours = {"low": 40, "medium": 80, "high": 300}
    assert starting_point_days(order("high"), order_hours=hours) == half_up(Fraction(300, 8))
    assert starting_point_days(order("high"), hours_per_day=6) == half_up(Fraction(150, 6))
    assert starting_point_days(order("high"), rounding="none") == 150 / 8


@pytest.mark.parametrize(
    ("mode", "days"),
    [("half_up", 13), ("half_even", 12), ("ceil", 13), ("floor", 12), ("none", 12.5)],
)
def test_rounding_modes_on_a_tie(mode, days):
    hours = {"low": 40, "medium": 100, "high": 150}  # 100 / 8 = 12.5 exactly
    assert starting_point_days(order("medium"), order_hours=hours, rounding=mode) == days


def test_only_nearest_rounding_reproduces_the_sheet():
    assert starting_point_days(order("high"), rounding="floor") == 18  # sheet: 19
    assert starting_point_days(fine("D"), rounding="ceil") == 5  # sheet: 4
    assert starting_point_days(fine("A"), rounding="floor") == 0  # sheet: 1


# ----------------------------------------------------------------------------- fines


@pytest.mark.parametrize(("band", "sheet_days"), [("A", 1), ("B", 2), ("C", 3), ("D", 4), ("E", 7)])
def test_fine_matches_2020_sheet(band, sheet_days):
    assert starting_point_days(fine(band)) == sheet_days
    assert fine_formula(band) == sheet_days


@pytest.mark.parametrize("band", BANDS)
def test_fine_formula_default_and_2023_wage(band):
    assert starting_point_days(fine(band)) == fine_formula(band)
    days_2023 = starting_point_days(fine(band), hourly_wage=10.42)
    assert days_2023 == fine_formula(band, wage="10.42")


def test_2023_wage_changes_some_bands():
    changed = [b for b in BANDS if fine_formula(b, wage="10.42") != fine_formula(b)]
    assert changed  # B: 1.72 -> 1.44, E: 6.88 -> 5.76, ...
    for b in changed:
        assert starting_point_days(fine(b), hourly_wage=10.42) != starting_point_days(fine(b))


def test_fine_overrides():
    pct = {**DEFAULT_FINE_BAND_PERCENT, "F": 700}
    expected = half_up(Fraction(700, 100) * 120 / (8 * Fraction("8.72")))
    assert starting_point_days(fine("F"), fine_band_percent=pct) == expected
    assert starting_point_days(fine("B"), weekly_income=400.0) == half_up(
        Fraction(400) / (8 * Fraction("8.72"))
    )
    raw = starting_point_days(fine("B"), rounding="none")
    assert raw == pytest.approx(120 / (8 * 8.72))


# ----------------------------------------------------------------------------- fixed penalty


def test_fixed_penalty():
    assert starting_point_days(StartingPoint("fixed_penalty")) == 0.3
    assert starting_point_days(StartingPoint("fixed_penalty", amount=100)) == 0.3
    assert starting_point_days(StartingPoint("fixed_penalty"), fixed_penalty_days=1) == 1
    assert starting_point_days(StartingPoint("fixed_penalty"), fixed_penalty_days=0) == 0


# ----------------------------------------------------------------------------- bad parameters

NUMERIC = [
    "days_per_year",
    "days_per_month",
    "days_per_week",
    "hours_per_day",
    "weekly_income",
    "hourly_wage",
]


@pytest.mark.parametrize("name", NUMERIC)
@pytest.mark.parametrize("bad", [0, -1, math.nan, math.inf, True, "8", None])
def test_bad_numeric_parameters_raise(name, bad):
    with pytest.raises(WeightsValidationError, match=name):
        starting_point_days(custody(years=1), **{name: bad})


@pytest.mark.parametrize("bad", [-0.1, math.nan, "0.3"])
def test_bad_fixed_penalty_days_raise(bad):
    with pytest.raises(WeightsValidationError, match="fixed_penalty_days"):
        starting_point_days(StartingPoint("fixed_penalty"), fixed_penalty_days=bad)


@pytest.mark.parametrize(
    ("name", "table"),
    [
        ("order_hours", {"low": 40, "medium": 80}),
        ("order_hours", {"low": 40, "medium": 80, "high": 150, "very high": 300}),
        ("order_hours", {"low": 40, "medium": -80, "high": 150}),
        ("order_hours", [40, 80, 150]),
        ("fine_band_percent", {**DEFAULT_FINE_BAND_PERCENT, "G": 800}),
        ("fine_band_percent", {k: v for k, v in DEFAULT_FINE_BAND_PERCENT.items() if k != "F"}),
        ("fine_band_percent", {**DEFAULT_FINE_BAND_PERCENT, "A": 0}),
    ],
)
def test_bad_tables_raise(name, table):
    with pytest.raises(WeightsValidationError, match=re.escape(name)):
        starting_point_days(fine("A"), **{name: table})


def test_bad_rounding_and_point_raise():
    with pytest.raises(WeightsValidationError, match="half_up"):
        starting_point_days(fine("A"), rounding="nearest")
    with pytest.raises(WeightsValidationError, match="StartingPoint"):
        starting_point_days("18 months")


def test_errors_are_crimeharm_and_value_errors():
    with pytest.raises(CrimeHarmError):
        starting_point_days(fine("A"), hourly_wage=-1)
    with pytest.raises(ValueError, match="hourly_wage"):
        starting_point_days(fine("A"), hourly_wage=-1)


def test_options_are_keyword_only():
    with pytest.raises(TypeError):
        starting_point_days(fine("A"), 365)


# ----------------------------------------------------------------------------- StartingPoint


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kind": "probation"},
        {"kind": "custody"},
        {"kind": "custody", "years": -1},
        {"kind": "custody", "years": 1, "band": "A"},
        {"kind": "community_order"},
        {"kind": "community_order", "level": "very high"},
        {"kind": "fine"},
        {"kind": "fine", "band": "G"},
        {"kind": "fine", "band": "A", "years": 1},
        {"kind": "fine", "band": "A", "amount": 100},
        {"kind": "fixed_penalty", "amount": -5},
        {"kind": "fixed_penalty", "level": "low"},
    ],
)
def test_starting_point_validation(kwargs):
    with pytest.raises(WeightsValidationError):
        StartingPoint(**kwargs)


@pytest.mark.parametrize(
    ("point", "detail"),
    [
        (custody(years=1, months=6), "1y 6m"),
        (custody(weeks=26), "26w"),
        (custody(years=1.5), "1.5y"),
        (order("MEDIUM"), "medium"),
        (fine("b"), "B"),
        (StartingPoint("fixed_penalty"), "FPN"),
        (StartingPoint("fixed_penalty", amount=100), "FPN £100"),
    ],
)
def test_detail(point, detail):
    assert point.detail == detail


def test_starting_point_is_frozen():
    with pytest.raises(AttributeError):
        fine("A").band = "B"


# ----------------------------------------------------------------------------- DerivationParams


def test_derivation_params_match_function():
    p = DerivationParams(hourly_wage=10.42, rounding="half_even")
    for point in [custody(months=18), order("high"), *(fine(b) for b in BANDS)]:
        assert p.days(point) == starting_point_days(point, hourly_wage=10.42, rounding="half_even")
    assert DerivationParams().to_kwargs()["hourly_wage"] == 8.72


@pytest.mark.parametrize(
    "kwargs",
    [{"hourly_wage": 0}, {"rounding": "up"}, {"order_hours": {"low": 1}}, {"days_per_week": -7}],
)
def test_derivation_params_validate(kwargs):
    with pytest.raises(WeightsValidationError):
        DerivationParams(**kwargs)


def test_starting_point_days_is_derivation_params_days(monkeypatch):
    """The rule lives in DerivationParams.days; the function builds the parameters and calls it."""
    seen = []

    def spy(self, point):
        seen.append((self, point))
        return -1.0

    monkeypatch.setattr(DerivationParams, "days", spy)
    point = fine("C")
    assert starting_point_days(point, hourly_wage=10.42, rounding="none") == -1.0
    ((params, got),) = seen
    assert got is point
    assert params == DerivationParams(hourly_wage=10.42, rounding="none")


def test_function_defaults_are_the_params_defaults():
    signature = inspect.signature(starting_point_days)
    defaults = DerivationParams()
    tables = {"order_hours": DEFAULT_ORDER_HOURS, "fine_band_percent": DEFAULT_FINE_BAND_PERCENT}
    names = [f.name for f in dataclasses.fields(DerivationParams) if f.init]
    assert [n for n in signature.parameters if n != "point"] == names
    for name in names:
        default = signature.parameters[name].default
        assert signature.parameters[name].kind is inspect.Parameter.KEYWORD_ONLY
        if name in tables:
            assert default is None
            assert dict(getattr(defaults, name)) == dict(tables[name])
        else:
            assert default == getattr(defaults, name), name


def test_the_importer_derives_with_the_same_rule(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    from crimeharm.weights.sheets.importer import import_sheet

    texts = ["18 months", "Band C fine", "High level community order", "FPN £100", "Fine", None]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "CCHI 2026 values sheet"
    ws.append(["ATHENA URN", "CCHI Score", "HOME_OFFICE_CLASSIFICATION", "Starting Point"])
    for i, text in enumerate(texts):
        ws.append([f"8N.8.{i}.0", 1, "008/01", text])
    wb.save(tmp_path / "s.xlsx")
    got = import_sheet(tmp_path / "s.xlsx")["sp_days"].tolist()
    points = [parse_starting_point(t) if t else None for t in texts]
    expected = [starting_point_days(p) if p else math.nan for p in points]
    assert got == pytest.approx(expected, nan_ok=True)
    assert sum(p is not None for p in points) == 4


def test_derivation_params_tables_are_read_only():
    p = DerivationParams(order_hours={"low": 40, "medium": 80, "high": 150})
    with pytest.raises(TypeError):
        p.order_hours["high"] = 1


# ----------------------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("18 months", custody(months=18)),
        ("1 year 6 months’ custody", custody(years=1, months=6)),
        ("26 weeks custody", custody(weeks=26)),
        ("1 year’s custody ", custody(years=1)),
        ("4 Years", custody(years=4)),
        ("Three years", custody(years=3)),
        ("The mandatory minimum sentence is 5 years' imprisonment", custody(years=5)),
        ("Band b fine", fine("B")),
        (" Band B fine", fine("B")),
        ("Harassment is a band B fine", fine("B")),
        ("Band B fine + 10 points", fine("B")),
        ("Band C fine + 12 months DQd", fine("C")),
        ("Band A fine/FPN", fine("A")),
        ("Medium level community order", order("medium")),
        ("High level community order", order("high")),
        ("low level community order", order("low")),
        ("Low level community order, additional 3 months DQd or 6 points", order("low")),
        ("Band C fine, high culpability or low harm", fine("C")),
        ("FPN - range from £30-50", StartingPoint("fixed_penalty")),
        ("FPN £100", StartingPoint("fixed_penalty", amount=100)),
    ],
)
def test_parse(text, expected):
    assert parse_starting_point(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("6 months?", custody(months=6, uncertain=True)),
        ("Suggest 4 months from case examples ", custody(months=4, uncertain=True)),
        ("Suggest Band D fine", StartingPoint("fine", band="D", uncertain=True)),
    ],
)
def test_parse_uncertain(text, expected):
    point, reason = explain_starting_point(text)
    assert point == expected
    assert "uncertain" in reason


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (None, "empty"),
        (math.nan, "empty"),
        ("   ", "empty"),
        ("Fine", "no band"),
        ("Fine amount not specified", "no band"),
        ("community order", "no level"),
        (0, "unrecognised"),
        ("custody", "unrecognised"),
        (
            "Ranges from 6 months max if tried summarily to 14 years on indictment",
            "ambiguous: several durations",
        ),
        ("6 months maximum", "ambiguous: maximum or range"),
        ("Band A or band B fine", "ambiguous: several fine bands"),
        ("Band C fine or 6 months", "ambiguous: several disposals"),
        ("low or medium level community order", "ambiguous: several community order levels"),
        ("6 months 1 year", "ambiguous: several durations"),
        ("Medium level community order or FPN", "ambiguous: several disposals"),
        ("0 months", "zero duration"),
    ],
)
def test_unparseable_with_reason(text, reason):
    assert explain_starting_point(text) == (None, reason)
    assert parse_starting_point(text) is None


def test_parse_notes():
    assert explain_starting_point("Band B fine + 10 points")[1] == "ok: penalty points ignored"
    assert (
        explain_starting_point("Band C fine + 12 months DQd")[1] == "ok: disqualification ignored"
    )
    assert explain_starting_point("18 months")[1] == "ok"


# ----------------------------------------------------------------------------- properties

durations = st.integers(min_value=0, max_value=100)


@given(durations, durations, durations, st.sampled_from(["years", "months", "weeks"]))
def test_custody_monotone_in_each_component(y, m, w, unit):
    base = {"years": y, "months": m, "weeks": w}
    assume(any(base.values()))  # custody of no time is not a starting point
    longer = {**base, unit: base[unit] + 1}
    assert starting_point_days(custody(**longer)) > starting_point_days(custody(**base))


@given(durations, durations, durations)
def test_custody_additive(y, m, w):
    assume(y or m or w)  # custody of no time is not a starting point
    whole = starting_point_days(custody(years=y, months=m, weeks=w))
    parts = sum(
        starting_point_days(custody(**{k: v}))
        for k, v in {"years": y, "months": m, "weeks": w}.items()
        if v  # each non-zero part a custody term of its own
    )
    assert whole == pytest.approx(parts, rel=1e-12)


@given(st.integers(min_value=1, max_value=50))
def test_twelve_months_is_a_year(n):
    assert starting_point_days(custody(months=12 * n)) == starting_point_days(custody(years=n))


@given(
    st.integers(min_value=0, max_value=30),
    st.integers(min_value=0, max_value=11),
    st.integers(min_value=0, max_value=51),
)
def test_detail_round_trips_through_parser(y, m, w):
    assume(y or m or w)  # custody of no time is not a starting point
    point = custody(years=y, months=m, weeks=w)
    assert parse_starting_point(point.detail) == point


@given(
    st.sampled_from(BANDS),
    st.floats(min_value=1, max_value=50, allow_nan=False),
    st.floats(min_value=1, max_value=50, allow_nan=False),
)
def test_fine_days_fall_as_wage_rises(band, w1, w2):
    lo, hi = sorted([w1, w2])
    assert starting_point_days(fine(band), hourly_wage=lo) >= starting_point_days(
        fine(band), hourly_wage=hi
    )


@given(st.floats(min_value=1, max_value=50, allow_nan=False))
def test_fine_days_rise_with_band(wage):
    days = [starting_point_days(fine(b), hourly_wage=wage) for b in BANDS]
    assert days == sorted(days)


@given(
    st.sampled_from([*(fine(b) for b in BANDS), *(order(lv) for lv in LEVELS)]),
    st.floats(min_value=0.5, max_value=100, allow_nan=False),
)
def test_rounding_bounds(point, wage):
    def days(mode: str) -> float:
        return starting_point_days(point, hourly_wage=wage, rounding=mode)

    raw = days("none")
    assert days("floor") <= raw <= days("ceil")
    assert abs(days("half_up") - raw) <= 0.5
    assert abs(days("half_even") - raw) <= 0.5


@given(st.text(max_size=80))
def test_parser_never_raises(text):
    point, reason = explain_starting_point(text)
    assert isinstance(reason, str)
    assert reason
    assert (point is None) != reason.startswith("ok")


# ----------------------------------------------------------------------------- the 2020 sheet


def _report_module():
    spec = importlib.util.spec_from_file_location(
        "derivation_report", REPO / "scripts" / "derivation_report.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def sheet():
    if not REFERENCE.is_dir() or not SHEET.is_file():
        pytest.skip(f"reference data not available: {SHEET} (a checkout without ../shared)")
    pd = pytest.importorskip("pandas")
    pytest.importorskip("openpyxl")
    return pd.read_excel(SHEET, sheet_name="CCHI 2020 values sheet", dtype={"ATHENA URN": str})


def _blank(x: object) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x)) or not str(x).strip()


def test_agreement_with_2020_sheet(sheet):
    """Count rows whose parsed starting point reproduces the published score.

    The row NN.111.5.0 (dogs worrying livestock) has its cells shifted one column right
    from ``Starting Point`` on; its text is taken from ``Maximum Sentence`` when
    ``Starting Point`` is empty and ``Score from: `` is a non-URL text. The sheet scores
    26 weeks both as 182 (26 x 7, the weeks rule) and as 182.5 (half a year); the
    182.5 rows are reported as disagreeing.
    """
    report = _report_module()
    assert len(sheet) == SHEET_ROWS
    status: dict[str, int] = {"reproduced": 0, "unparseable": 0, "disagreeing": 0}
    missed = []
    for i, row in sheet.iterrows():
        text, source = row["Starting Point"], row["Score from: "]
        if _blank(text) and not _blank(source) and not str(source).startswith("http"):
            text = row["Maximum Sentence"]
        point, why = explain_starting_point(text)
        published = float(row["CCHI Score"])
        if point is None:
            status["unparseable"] += 1
            missed.append((i + 2, row["ATHENA URN"], text, published, None, "unparseable", why))
            continue
        derived = starting_point_days(point)
        if abs(derived - published) <= 1e-9:
            status["reproduced"] += 1
        else:
            status["disagreeing"] += 1
            reason = report.explain_disagreement(point, published, derived)
            missed.append(
                (i + 2, row["ATHENA URN"], text, published, derived, "disagreeing", reason)
            )

    print(f"\n2020 sheet: {status} of {len(sheet)} rows")
    print(f"{'row':>4} {'URN':<12} {'text':<45} {'published':>9} {'derived':>9}  reason")
    for r, urn, text, published, derived, _, reason in missed:
        shown = "" if _blank(text) else str(text).strip()[:45]
        d = "" if derived is None else f"{derived:9.6g}"
        print(f"{r:>4} {urn:<12} {shown:<45} {published:>9g} {d:>9}  {reason}")

    assert sum(status.values()) == SHEET_ROWS
    assert status["reproduced"] > status["unparseable"] + status["disagreeing"]

    # the generated doc states the same counts and lists the same rows
    assert DOC.is_file(), "run: PYTHONPATH=src python scripts/derivation_report.py"
    doc = DOC.read_text(encoding="utf-8")
    stated = {k: int(v) for k, v in re.findall(r"^\| (\w+) \| (\d+) \|$", doc, flags=re.M)}
    assert {k: stated.get(k) for k in status} == status, "docs/derivation.md is stale"
    assert stated.get("total") == SHEET_ROWS
    listed = set(re.findall(r"^\| (\d+) \| ", doc, flags=re.M))
    assert listed == {str(r) for r, *_ in missed}


def test_doc_is_regenerated(sheet):
    report = _report_module()
    assert DOC.read_text(encoding="utf-8") == report.render(sheet, SHEET), (
        "docs/derivation.md is stale; run: PYTHONPATH=src python scripts/derivation_report.py"
    )


def test_report_table_agrees_with_test_counts(sheet):
    report = _report_module()
    table = report.compare(sheet)
    counts = report.counts(table)
    assert counts["total"] == SHEET_ROWS
    assert sum(counts[s] for s in report.STATUSES) == SHEET_ROWS
    shifted = table[table["reason"].str.contains("cells shifted")]
    assert list(shifted["urn"]) == ["NN.111.5.0"]
    assert list(shifted["status"]) == ["reproduced"]
