"""Tests of the funding allocation (crimeharm.allocation)."""

from __future__ import annotations

import itertools
import math
from decimal import Decimal
from fractions import Fraction
from importlib import resources

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from crimeharm.allocation import allocate, allocation_sensitivity
from crimeharm.allocation.money import Exact, hamilton, round_cells
from crimeharm.errors import AllocationError, MissingColumnError

FORMULA = {"harm": 0.65, "crime_rate": 0.20, "population": 0.15}


def pence(frame: pd.DataFrame, column: str) -> np.ndarray:
    return np.round(frame[column].to_numpy() * 100).astype(np.int64)


def three_areas() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "area": ["A", "B", "C"],
            "harm": [100.0, 100.0, 400.0],
            "crimes": [10, 60, 60],
            "population": [1000, 2000, 1000],
        }
    )


def test_hand_checked_example():
    # Pot GBP 1,000; weights harm 0.6, crime rate 0.2, population 0.2.
    # harm: 100 + 100 + 400 = 600 days; GBP 600 x (100/600, 100/600, 400/600) = 100, 100, 400.
    # crime rate per 1,000: 10/1000*1000 = 10, 60/2000*1000 = 30, 60/1000*1000 = 60 (sum 100);
    #   GBP 200 x (10, 30, 60)/100 = 20, 60, 120.
    # population: 1000 + 2000 + 1000 = 4000; GBP 200 x (1, 2, 1)/4 = 50, 100, 50.
    out = allocate(
        three_areas(), total=1000, terms={"harm": 0.6, "crime_rate": 0.2, "population": 0.2}
    )
    assert list(out["area"]) == ["A", "B", "C"]
    assert list(out["harm_amount"]) == [600 * 100 / 600, 600 * 100 / 600, 600 * 400 / 600]
    assert list(out["crime_rate_value"]) == [10 / 1000 * 1000, 60 / 2000 * 1000, 60 / 1000 * 1000]
    assert list(out["crime_rate_amount"]) == [200 * 10 / 100, 200 * 30 / 100, 200 * 60 / 100]
    assert list(out["population_amount"]) == [200 * 1 / 4, 200 * 2 / 4, 200 * 1 / 4]
    assert list(out["amount"]) == [100 + 20 + 50, 100 + 60 + 100, 400 + 120 + 50]
    assert list(out["amount_pence"]) == [17000, 26000, 57000]
    assert out["amount_pence"].dtype == np.int64
    assert list(out["harm_share"]) == pytest.approx([1 / 6, 1 / 6, 4 / 6])
    # GBP per unit: GBP 600 / 600 harm days = 1 per day; GBP 200 / 4000 residents = 0.05.
    assert list(out["harm_gbp_per_unit"]) == [1.0, 1.0, 1.0]
    assert out.attrs["gbp_per_unit"] == {"harm": 1.0, "crime_rate": 2.0, "population": 0.05}
    assert out.attrs["total_pence"] == 100_000
    assert out.attrs["term_pots_pence"] == {
        "harm": 60_000,
        "crime_rate": 20_000,
        "population": 20_000,
    }
    assert out.attrs["formula"]["terms"] == {"harm": 0.6, "crime_rate": 0.2, "population": 0.2}
    expected = [
        "area",
        *(
            f"{t}_{c}"
            for t in ("harm", "crime_rate", "population")
            for c in ("value", "share", "amount", "gbp_per_unit")
        ),
        "amount",
        "amount_pence",
        "amount_decimal",
    ]
    assert list(out.columns) == expected
    # the exact decimal column: Arrow decimal128 GBP, summing to the pot exactly
    assert str(out["amount_decimal"].dtype).startswith("decimal128(16, 2)")
    assert list(out["amount_decimal"]) == [Decimal("170.00"), Decimal("260.00"), Decimal("570.00")]
    assert out["amount_decimal"].sum() == Decimal("1000.00")


def test_largest_remainder_and_name_tie_break():
    # GBP 100 in three equal parts: 3333.33... pence each; the one spare penny goes to the area
    # whose name sorts first, wherever it is in the table.
    areas = pd.DataFrame({"area": ["B", "C", "A"], "harm": [1, 1, 1]})
    out = allocate(areas, total=100, terms={"harm": 1})
    assert dict(zip(out["area"], out["amount_pence"], strict=True)) == {
        "A": 3334,
        "B": 3333,
        "C": 3333,
    }
    # GBP 1 in proportion 1:2:4: exact 14.29, 28.57, 57.14 pence; floors 14 + 28 + 57 = 99; the
    # largest remainder (0.57, area y) gets the last penny.
    areas = pd.DataFrame({"area": ["x", "y", "z"], "harm": [1, 2, 4]})
    out = allocate(areas, total=1, terms={"harm": 1})
    assert list(out["amount_pence"]) == [14, 29, 57]


def test_term_amounts_add_up_both_ways():
    areas = pd.DataFrame(
        {
            "area": list("PQRSTU"),
            "harm": [10.5, 7, 3, 0, 11, 1],
            "crimes": [3, 5, 7, 11, 13, 17],
            "population": [30, 70, 110, 130, 170, 190],
            "schools": [1, 1, 2, 3, 5, 8],
        }
    )
    terms = {"harm": 0.3, "crime_rate": 0.3, "population": 0.2, "schools": 0.2}
    out = allocate(areas, total="1234.57", terms=terms)
    parts = sum(pence(out, f"{t}_amount") for t in terms)
    assert list(parts) == list(out["amount_pence"])
    assert int(out["amount_pence"].sum()) == 123457
    for t, pot in out.attrs["term_pots_pence"].items():
        assert int(pence(out, f"{t}_amount").sum()) == pot
        # every term amount is within a penny of its exact share
        exact = (
            Fraction(123457)
            * Fraction(str(terms[t]))
            * np.array([Fraction(s) for s in out[f"{t}_share"]])
        )
        assert all(
            abs(a - e) < 1.001 for a, e in zip(pence(out, f"{t}_amount"), exact, strict=True)
        )
    # term pots by largest remainder on weight x pot: 37037.1, 37037.1, 24691.4, 24691.4 pence
    # -> floors 37037 + 37037 + 24691 + 24691 = 123456; the spare penny goes to the largest
    # remainder (0.4): population and schools tie, so the earlier name, population.
    assert out.attrs["term_pots_pence"] == {
        "harm": 37037,
        "crime_rate": 37037,
        "population": 24692,
        "schools": 24691,
    }


def _brute_force(q, rows, cols):
    """Every rounding with the margins, cells from floor to floor + 2, scored like the rule."""
    n, m = len(q), len(q[0])
    best = None
    choices = [range(math.floor(x), math.floor(x) + 3) for r in q for x in r]
    for flat in itertools.product(*choices):
        cells = [flat[i * m : (i + 1) * m] for i in range(n)]
        if [sum(r) for r in cells] != list(rows) or [
            sum(c) for c in zip(*cells, strict=True)
        ] != list(cols):
            continue
        outside = sum(
            1
            for r, qr in zip(cells, q, strict=True)
            for c, x in zip(r, qr, strict=True)
            if not math.floor(x) <= c <= math.ceil(x)
        )
        error = sum(
            abs(c - x) for r, qr in zip(cells, q, strict=True) for c, x in zip(r, qr, strict=True)
        )
        key = (outside, error)
        if best is None or key < best:
            best = key
    return best


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(st.integers(0, 6), min_size=2, max_size=2), min_size=2, max_size=3),
    st.integers(1, 9),
)
def test_cell_rounding_is_optimal(raw, pot):
    # exact shares of a pot split half/half between two terms; compare the rule with brute force
    cols_sum = [sum(c) for c in zip(*raw, strict=True)]
    assume(0 not in cols_sum)  # a term whose column sums to 0 has no shares
    q = [[Fraction(pot, 2) * v / s for v, s in zip(r, cols_sum, strict=True)] for r in raw]
    rows = hamilton(Exact.of([sum(r) for r in q]), pot)
    cols = hamilton(Exact.of([Fraction(pot, 2)] * 2), pot)
    by_term = round_cells([Exact.of([r[j] for r in q]) for j in range(2)], rows, cols)
    cells = [list(r) for r in zip(*by_term, strict=True)]
    assert [sum(r) for r in cells] == rows
    assert [sum(c) for c in zip(*cells, strict=True)] == cols
    assert all(c >= 0 for r in cells for c in r)
    outside = sum(
        1
        for r, qr in zip(cells, q, strict=True)
        for c, x in zip(r, qr, strict=True)
        if not math.floor(x) <= c <= math.ceil(x)
    )
    error = sum(
        abs(c - x) for r, qr in zip(cells, q, strict=True) for c, x in zip(r, qr, strict=True)
    )
    assert (outside, error) == _brute_force(q, rows, cols)


def test_degenerate_rounding_needs_a_penny_outside():
    # 2 pence, two terms at 0.5: a and b only have harm, c and d only population. Each area's
    # exact share is 0.5p; the pennies go to a and b (names first), but the harm pot is 1p, so
    # one penny must be a population penny for an area with no population value.
    areas = pd.DataFrame({"area": list("abcd"), "harm": [1, 1, 0, 0], "people": [0, 0, 1, 1]})
    out = allocate(areas, total="0.02", terms={"harm": 0.5, "people": 0.5})
    assert list(out["amount_pence"]) == [1, 1, 0, 0]
    assert list(pence(out, "harm_amount")) == [1, 0, 0, 0]
    assert list(pence(out, "people_amount")) == [0, 1, 0, 0]


def test_other_numeric_column_and_renamed_columns():
    areas = pd.DataFrame(
        {
            "csp": ["A", "B"],
            "harm_days": [1.5, 4.5],
            "offences": [1, 3],
            "residents": [10, 10],
            "roads": [2, 6],
        }
    )
    out = allocate(
        areas,
        total=80,
        terms={"harm": 0.25, "crime_rate": 0.25, "population": 0.25, "roads": 0.25},
        area="csp",
        harm="harm_days",
        crimes="offences",
        population="residents",
    )
    # each term: GBP 20; harm 1.5:4.5, crime rate 100:300, population 10:10, roads 2:6
    assert list(out["csp"]) == ["A", "B"]
    assert list(out["amount"]) == [5 + 5 + 10 + 5, 15 + 15 + 10 + 15]
    assert out.attrs["formula"]["columns"]["harm"] == "harm_days"


def test_weights_normalised_exactly_within_tolerance():
    areas = pd.DataFrame({"area": ["A", "B", "C"], "harm": [1, 2, 3], "population": [3, 2, 1]})
    out = allocate(areas, total=999.99, terms={"harm": 1 / 3, "population": 2 / 3})
    assert int(out["amount_pence"].sum()) == 99999
    assert sum(out.attrs["term_pots_pence"].values()) == 99999


def test_provenance_in_attrs():
    areas = three_areas()
    areas.attrs = {
        "edition": "cchi-2020",
        "edition_sha256": "ab" * 32,
        "window": "2019/2022",
        "other": 1,
    }
    out = allocate(areas, total=10, terms={"harm": 1})
    assert out.attrs["edition"] == "cchi-2020"
    assert out.attrs["edition_sha256"] == "ab" * 32
    assert out.attrs["window"] == "2019/2022"
    assert "other" not in out.attrs
    out = allocate(areas, total=10, terms={"harm": 1}, edition="cchi-2016-beta", window="2021")
    assert (out.attrs["edition"], out.attrs["window"]) == ("cchi-2016-beta", "2021")
    assert "rounding" in out.attrs


def test_current_comparison():
    areas = three_areas().assign(current=[200.0, 260.0, 0.0])
    out = allocate(
        areas,
        total=1000,
        terms={"harm": 0.6, "crime_rate": 0.2, "population": 0.2},
        current="current",
    )
    assert list(out["change_gbp"]) == [170 - 200, 260 - 260, 570 - 0]
    assert out["change_pct"].iloc[0] == pytest.approx(100 * (170 - 200) / 200)
    assert out["change_pct"].iloc[1] == 0
    assert math.isnan(out["change_pct"].iloc[2])  # no current allocation: undefined


def test_floor_and_cap():
    # formula amounts 170, 260, 570; a floor of 200 lifts A by 30, taken from B and C in
    # proportion to 260:570; a cap of 500 then binds C.
    areas = three_areas()
    terms = {"harm": 0.6, "crime_rate": 0.2, "population": 0.2}
    out = allocate(areas, total=1000, terms=terms, floor=200)
    # B and C share 800 in proportion 260:570 -> 250.60..., 549.39...
    assert list(out["amount_pence"]) == [20000, round(80000 * 260 / 830), round(80000 * 570 / 830)]
    assert list(out["limit"]) == ["floor", "", ""]
    assert list(out["formula_amount"]) == [170, 260, 570]
    assert int(pence(out, "adjustment").sum()) == 0
    out = allocate(areas, total=1000, terms=terms, floor=200, cap=500)
    # A at 200, C at 500, B takes the rest, 300 (above its formula 260)
    assert list(out["amount"]) == [200, 300, 500]
    assert list(out["limit"]) == ["floor", "", "cap"]
    parts = sum(pence(out, f"{t}_amount") for t in terms) + pence(out, "adjustment")
    assert list(parts) == list(out["amount_pence"])
    # the term amounts stay the formula's: term pots unchanged
    assert out.attrs["term_pots_pence"] == {
        "harm": 60_000,
        "crime_rate": 20_000,
        "population": 20_000,
    }


def test_floor_iterates_until_stable():
    # formula 10, 20, 70 of 100: a floor of 25 lifts A (+15) and, after rescaling, B too.
    areas = pd.DataFrame({"area": ["A", "B", "C"], "harm": [10, 20, 70]})
    out = allocate(areas, total=100, terms={"harm": 1}, floor=25)
    assert list(out["amount"]) == [25, 25, 50]
    assert list(out["limit"]) == ["floor", "floor", ""]
    out = allocate(areas, total=100, terms={"harm": 1}, cap=40)
    # C cut to 40; A and B share 60 in proportion 10:20, both under the cap
    assert list(out["amount"]) == [20, 40, 40]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"floor": 400}, "floor 400.00 GBP x 3 areas exceeds the total 1000.00 GBP"),
        ({"cap": 300}, "cap 300.00 GBP is too low"),
        ({"floor": 300, "cap": 200}, "is below floor"),
        ({"floor": 0.001}, "floor must be a whole number of pence"),
    ],
)
def test_floor_and_cap_errors(options, message):
    with pytest.raises(AllocationError, match=message):
        allocate(three_areas(), total=1000, terms={"harm": 1}, **options)


def _error(areas, match, *, error=AllocationError, **kwargs):
    kwargs.setdefault("total", 100)
    kwargs.setdefault("terms", FORMULA)
    with pytest.raises(error, match=match):
        allocate(areas, **kwargs)


def test_bad_weights_and_totals():
    areas = three_areas()
    _error(
        areas,
        r"weights must sum to 1; harm=0.6, population=0.3 sum to 0.9",
        terms={"harm": 0.6, "population": 0.3},
    )
    _error(
        areas,
        "weight of term 'harm' must be between 0 and 1",
        terms={"harm": 1.5, "population": -0.5},
    )
    _error(areas, "weight of term 'harm' must be a finite number", terms={"harm": "lots"})
    _error(areas, "at least one term", terms={})
    _error(areas, "total must be positive", total=0)
    _error(areas, "total must be positive", total=-5)
    _error(areas, "total must be a finite number", total=float("nan"))
    _error(areas, "total must be a whole number of pence", total=10.005)
    _error(areas, "total must be a finite number", total=True)
    # within 1e-9 of 1 is accepted
    allocate(areas, total=100, terms={"harm": 0.5, "population": 0.5 + 5e-10})


def test_unknown_term_and_missing_columns():
    areas = three_areas()
    _error(
        areas,
        r"unknown term 'schools': not a built-in term .* "
        r"nor a column of areas \(harm, crimes, population\)",
        terms={"schools": 1},
    )
    _error(
        areas.drop(columns="harm"),
        r"no column 'harm' \(for term 'harm'\) in areas; columns present: 'area', 'crimes'",
        error=MissingColumnError,
    )
    _error(
        areas,
        r"no column 'region' in areas; columns present",
        error=MissingColumnError,
        area="region",
    )
    _error(
        areas.drop(columns="crimes"),
        r"no column 'crimes' \(for term 'crime_rate'\)",
        error=MissingColumnError,
    )
    _error(areas, "no column 'now'", error=MissingColumnError, current="now")


def test_bad_values_name_the_area_and_column():
    bad = three_areas()
    bad.loc[1, "population"] = 0
    _error(
        bad, r"population \(column 'population'\) must be positive; it is zero for area\(s\) 'B'"
    )
    bad = three_areas()
    bad.loc[2, "population"] = -5
    _error(
        bad, r"column 'population' \(for term 'crime_rate'\) has a negative value for area\(s\) 'C'"
    )
    bad = three_areas()
    bad["harm"] = [1.0, np.nan, 2.0]
    _error(bad, r"column 'harm' \(for term 'harm'\) has a missing value for area\(s\) 'B'")
    bad = three_areas()
    bad["harm"] = ["1", "x", "2"]
    _error(
        bad, r"column 'harm' \(for term 'harm'\) has non-numeric values for area\(s\) 'B' \('x'\)"
    )
    bad = three_areas()
    bad["harm"] = [1.0, np.inf, 2.0]
    _error(bad, r"has an infinite value for area\(s\) 'B'")
    bad = three_areas()
    bad["harm"] = [1.0, -2.0, 2.0]
    _error(bad, r"column 'harm' \(for term 'harm'\) has a negative value for area\(s\) 'B'")
    bad = three_areas()
    bad["harm"] = 0.0
    _error(bad, r"term 'harm' is zero in every area, so its shares are undefined")
    bad = three_areas().assign(flag=[True, False, True])
    _error(bad, "is true/false, not numeric", terms={"flag": 1})
    bad = three_areas()
    bad.loc[2, "area"] = "A"
    _error(bad, r"duplicate areas in column 'area': 'A'")
    bad = three_areas()
    bad.loc[2, "area"] = None
    _error(bad, r"area column 'area' is empty in row\(s\) \[2\]")
    _error(three_areas().iloc[:0], "areas has no rows")
    bad = three_areas().assign(current=[1.0, None, 2.0])
    _error(bad, r"column 'current' has a missing value for area\(s\) 'B'", current="current")


def test_example_data_allocates_the_whole_pot():
    data = resources.files("crimeharm") / "data"
    with resources.as_file(data / "example-areas.csv") as path:
        areas = pd.read_csv(path)
    out = allocate(areas, total=639675, terms=FORMULA, current="current")
    assert len(out) == 9
    assert int(out["amount_pence"].sum()) == 63_967_500
    assert areas["current"].sum() == 639675  # the made-up current allocations use the same pot
    assert sum(out.attrs["term_pots_pence"].values()) == 63_967_500
    assert out.attrs["term_pots_pence"] == {
        "harm": 41_578_875,
        "crime_rate": 12_793_500,
        "population": 9_595_125,
    }


def test_sensitivity():
    areas = three_areas()
    out = allocation_sensitivity(
        areas, total=1000, terms={"harm": 0.6, "crime_rate": 0.2, "population": 0.2}, step=0.1
    )
    assert list(out["amount"]) == [170, 260, 570]
    scenarios = out.attrs["scenarios"]
    # harm up to 0.7: the other two share 0.3 in their proportion 1:1
    assert scenarios["harm_up"] == pytest.approx(
        {"harm": 0.7, "crime_rate": 0.15, "population": 0.15}
    )
    assert scenarios["population_down"] == pytest.approx(
        {"harm": 0.675, "crime_rate": 0.225, "population": 0.1}
    )
    # harm up: A gets 700 x 1/6 + 150 x 10/100 + 150 x 1/4
    assert out["harm_up"].iloc[0] == pytest.approx(700 / 6 + 15 + 37.5, abs=0.01)
    for column in ("harm_up", "harm_down", "crime_rate_up", "population_down"):
        assert round(out[column].sum(), 2) == 1000
    assert (out["low"] <= out["amount"]).all()
    assert (out["high"] >= out["amount"]).all()


def test_sensitivity_edges():
    areas = three_areas()
    out = allocation_sensitivity(
        areas, total=1000, terms={"harm": 1.0, "population": 0.0}, step=0.05
    )
    # harm cannot go above 1; going down, population takes the 0.05 (the others were all zero)
    assert out.attrs["scenarios"]["harm_up"] == {"harm": 1.0, "population": 0.0}
    assert out.attrs["scenarios"]["harm_down"] == pytest.approx({"harm": 0.95, "population": 0.05})
    assert out.attrs["scenarios"]["population_down"] == {"harm": 1.0, "population": 0.0}
    with pytest.raises(AllocationError, match="step must be between 0 and 1"):
        allocation_sensitivity(areas, total=1000, terms={"harm": 1}, step=0)
    single = allocation_sensitivity(areas, total=1000, terms={"harm": 1}, step=0.5)
    assert list(single["harm_up"]) == list(single["amount"])


# ---- properties ---------------------------------------------------------------------------

names = st.text(alphabet="abcdefghij", min_size=1, max_size=4)


@st.composite
def formulas(draw):
    """A table of 1-8 areas with integer harm, crimes, population, and a formula and pot."""
    n = draw(st.integers(1, 8))
    area = draw(st.lists(names, min_size=n, max_size=n, unique=True))
    harm = draw(st.lists(st.integers(0, 10**6), min_size=n, max_size=n).filter(any))
    crimes = draw(st.lists(st.integers(0, 10**4), min_size=n, max_size=n).filter(any))
    population = draw(st.lists(st.integers(1, 10**6), min_size=n, max_size=n))
    cuts = sorted(draw(st.lists(st.integers(0, 100), min_size=2, max_size=2)))
    weights = [cuts[0], cuts[1] - cuts[0], 100 - cuts[1]]
    terms = {t: w / 100 for t, w in zip(("harm", "crime_rate", "population"), weights, strict=True)}
    total = draw(st.integers(1, 10**9)) / 100  # GBP 0.01 to 10 million
    areas = pd.DataFrame({"area": area, "harm": harm, "crimes": crimes, "population": population})
    return areas, total, terms


@settings(max_examples=150, deadline=None)
@given(formulas())
def test_amounts_add_up_to_the_pot(case):
    areas, total, terms = case
    out = allocate(areas, total=total, terms=terms)
    pot = round(total * 100)
    assert int(out["amount_pence"].sum()) == pot
    assert (out["amount_pence"] >= 0).all()
    assert sum(out.attrs["term_pots_pence"].values()) == pot
    parts = sum(pence(out, f"{t}_amount") for t in terms)
    assert list(parts) == list(out["amount_pence"])
    for t, term_pot in out.attrs["term_pots_pence"].items():
        assert int(pence(out, f"{t}_amount").sum()) == term_pot


@settings(max_examples=100, deadline=None)
@given(formulas(), st.randoms(use_true_random=False))
def test_area_order_does_not_matter(case, rng):
    areas, total, terms = case
    shuffled = areas.iloc[rng.sample(range(len(areas)), len(areas))]
    a = allocate(areas, total=total, terms=terms).set_index("area")
    b = allocate(shuffled, total=total, terms=terms).set_index("area").loc[a.index]
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-12)


@settings(max_examples=150, deadline=None)
@given(formulas(), st.data())
def test_doubling_one_value_moves_money_only_through_that_term(case, data):
    areas, total, terms = case
    i = data.draw(st.integers(0, len(areas) - 1))
    doubled = areas.copy()
    doubled.loc[i, "harm"] = 2 * doubled.loc[i, "harm"]
    a = allocate(areas, total=total, terms=terms)
    b = allocate(doubled, total=total, terms=terms)
    for t in ("crime_rate", "population"):
        # the exact shares of the other terms do not change; only the penny apportionment can
        assert np.abs(pence(a, f"{t}_amount") - pence(b, f"{t}_amount")).max() <= 1
        assert a.attrs["term_pots_pence"][t] == b.attrs["term_pots_pence"][t]
    if areas.loc[i, "harm"] > 0 and terms["harm"] > 0 and len(areas) > 1:
        assert b["harm_amount"].iloc[i] >= a["harm_amount"].iloc[i]


@settings(max_examples=100, deadline=None)
@given(formulas(), st.integers(2, 1000))
def test_scaling_a_term_column_leaves_the_allocation_unchanged(case, factor):
    # integer values times an integer factor are exact in float64, so the shares are identical
    areas, total, terms = case
    scaled = areas.assign(harm=areas["harm"] * factor, crimes=areas["crimes"] * factor)
    a = allocate(areas, total=total, terms=terms)
    b = allocate(scaled, total=total, terms=terms)
    for column in ["amount_pence", *(f"{t}_amount" for t in terms), *(f"{t}_share" for t in terms)]:
        assert list(a[column]) == list(b[column])


@settings(max_examples=100, deadline=None)
@given(formulas(), st.floats(0, 1), st.floats(1, 3))
def test_floor_and_cap_hold_exactly(case, low, high):
    areas, total, terms = case
    pot = round(total * 100)
    n = len(areas)
    lo, hi = int(pot / n * low), math.ceil(pot / n * high)  # pence; n x lo <= pot <= n x hi
    column = {"harm": "harm", "crime_rate": "crimes", "population": "population"}
    used = [column[t] for t, w in terms.items() if w > 0]
    nothing = int((areas[used] == 0).all(axis=1).sum())  # areas with no formula share
    assume((n - nothing) * hi + nothing * lo >= pot)  # they cannot rise above the floor
    out = allocate(areas, total=total, terms=terms, floor=lo / 100, cap=hi / 100)
    assert int(out["amount_pence"].sum()) == pot
    assert out["amount_pence"].between(lo, hi).all()
    assert int(pence(out, "adjustment").sum()) == 0
    parts = sum(pence(out, f"{t}_amount") for t in terms) + pence(out, "adjustment")
    assert list(parts) == list(out["amount_pence"])
    assert (out.loc[out["limit"] == "floor", "amount_pence"] == lo).all()
    assert (out.loc[out["limit"] == "cap", "amount_pence"] == hi).all()
