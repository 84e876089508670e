"""Allocation at scale and at the edges: 10,000 areas, the largest pot, extreme values."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
import time
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crimeharm.allocation import allocate
from crimeharm.allocation.money import MAX_TOTAL_GBP, decimal_gbp
from crimeharm.errors import AllocationError

FORMULA = {"harm": 0.65, "crime_rate": 0.20, "population": 0.15}


def lsoa_like(n: int, seed: int = 11) -> pd.DataFrame:
    """``n`` synthetic areas sized like LSOAs: harm with one decimal, crimes, residents."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "area": [f"E01{i:06d}" for i in rng.permutation(n)],
            "harm": np.round(rng.lognormal(8.0, 1.2, n), 1),
            "crimes": rng.poisson(120, n),
            "population": rng.integers(1000, 3000, n),
        }
    )


def exact_shares(areas: pd.DataFrame, pot: int, terms: dict[str, float]) -> dict[str, list]:
    """Every area's exact share (pence) of every term, computed independently with Fractions."""
    values = {
        "harm": [Fraction(float(v)) for v in areas["harm"]],
        "population": [Fraction(int(v)) for v in areas["population"]],
        "crime_rate": [
            Fraction(1000 * int(c), int(p))
            for c, p in zip(areas["crimes"], areas["population"], strict=True)
        ],
    }
    out = {}
    for t, w in terms.items():
        total = sum(values[t], Fraction(0))
        out[t] = [pot * Fraction(str(w)) * v / total for v in values[t]]
    return out


def term_pots(pot: int, terms: dict[str, float]) -> dict[str, int]:
    """Largest remainder on weight x pot, ties by term name."""
    exact = {t: pot * Fraction(str(w)) for t, w in terms.items()}
    pots = {t: math.floor(x) for t, x in exact.items()}
    left = pot - sum(pots.values())
    for t in sorted(exact, key=lambda t: (-(exact[t] - pots[t]), t))[:left]:
        pots[t] += 1
    return pots


def test_ten_thousand_areas_to_the_penny_and_reproducible():
    areas = lsoa_like(10_000)
    pot = 63_967_500
    start = time.process_time()
    out = allocate(areas, total=639675, terms=FORMULA)
    took = time.process_time() - start
    # exact to the penny: the pot, every term's pot, every area and every cell
    assert int(out["amount_pence"].sum()) == pot
    assert out["amount_decimal"].sum() == Decimal("639675.00")
    assert out.attrs["term_pots_pence"] == term_pots(pot, FORMULA)
    shares = exact_shares(areas, pot, FORMULA)
    cells = {t: np.round(out[f"{t}_amount"].to_numpy() * 100).astype(np.int64) for t in FORMULA}
    for t in FORMULA:
        assert int(cells[t].sum()) == out.attrs["term_pots_pence"][t]
        assert all(
            math.floor(q) <= c <= math.ceil(q) for c, q in zip(cells[t], shares[t], strict=True)
        )
    assert (sum(cells.values()) == out["amount_pence"].to_numpy()).all()
    totals = [sum(q) for q in zip(*shares.values(), strict=True)]
    assert all(abs(p - q) < 1 for p, q in zip(out["amount_pence"], totals, strict=True))
    # reproducible: again, and in another row order
    again = allocate(areas, total=639675, terms=FORMULA)
    pd.testing.assert_frame_equal(out, again)
    shuffled = areas.sample(frac=1, random_state=3)
    other = allocate(shuffled, total=639675, terms=FORMULA).set_index("area")
    pd.testing.assert_frame_equal(out.set_index("area"), other.loc[out["area"]])
    # the target is under a second of CPU (about 0.2 s here); quadratic growth fails it
    assert took < 1.0, f"allocate took {took:.2f} s of CPU for 10,000 areas"


def test_identical_areas_share_by_name_at_scale():
    # 3,000 identical areas, GBP 10: 1/3 of a penny each. Every cell ties with every other, so
    # the rule's last tie-break decides: the 1,000 pennies go to the first 1,000 names, and
    # within each area to the first term (by name) that its term pot can still pay.
    n = 3000
    areas = pd.DataFrame({"area": [f"A{i:04d}" for i in range(n)][::-1], "a": 1, "b": 1, "c": 1})
    out = allocate(areas, total=10, terms={"a": 0.5, "b": 0.3, "c": 0.2}).set_index("area")
    out = out.sort_index()
    assert list(out["amount_pence"]) == [1] * 1000 + [0] * 2000
    pots = out.attrs["term_pots_pence"]
    assert pots == {"a": 500, "b": 300, "c": 200}
    first = out.index[:1000]
    assert list(np.round(out.loc[first, "a_amount"] * 100)) == [1] * 500 + [0] * 500
    assert list(np.round(out.loc[first, "b_amount"] * 100)) == [0] * 500 + [1] * 300 + [0] * 200
    assert list(np.round(out.loc[first, "c_amount"] * 100)) == [0] * 800 + [1] * 200


@pytest.mark.parametrize(
    ("total", "shown"),
    [
        (1e17, "1e+17"),
        (1e20, "1e+20"),
        (2**63 - 1, "9223372036854775807"),
        ("10000000000000.01", "'10000000000000.01'"),
        (-1e17, "-1e+17"),
    ],
)
def test_a_pot_beyond_the_maximum_is_refused(total, shown):
    areas = pd.DataFrame({"area": ["A", "B"], "harm": [1, 2]})
    message = f"total must be at most 10,000,000,000,000 GBP .*; got {re.escape(shown)} GBP"
    with pytest.raises(AllocationError, match=message):
        allocate(areas, total=total, terms={"harm": 1})


@pytest.mark.parametrize("option", ["floor", "cap"])
def test_floor_and_cap_beyond_the_maximum_are_refused(option):
    areas = pd.DataFrame({"area": ["A", "B"], "harm": [1, 2]})
    with pytest.raises(AllocationError, match=f"{option} must be at most 10,000,000,000,000 GBP"):
        allocate(areas, total=10, terms={"harm": 1}, **{option: 1e14})


def test_the_largest_pot_is_exact_in_every_column():
    areas = pd.DataFrame({"area": ["A", "B", "C"], "harm": [1, 1, 1], "people": [1, 2, 4]})
    out = allocate(areas, total=MAX_TOTAL_GBP, terms={"harm": 0.5, "people": 0.5})
    pot = MAX_TOTAL_GBP * 100
    assert out["amount_pence"].dtype == np.int64
    assert int(out["amount_pence"].sum()) == pot
    assert sum(int(p) for p in out["amount_pence"]) == pot
    assert out["amount_decimal"].sum() == Decimal(MAX_TOTAL_GBP)
    assert [Decimal(int(p)) / 100 for p in out["amount_pence"]] == list(out["amount_decimal"])
    # GBP floats round back to their pence
    assert list(np.round(out["amount"].to_numpy() * 100).astype(np.int64)) == list(
        out["amount_pence"]
    )
    # harm: a third each of 5e14 pence; people 1:2:4 of 5e14
    third = Fraction(pot, 6)
    assert [round(a * 100) for a in out["harm_amount"]] == [
        math.ceil(third) if i < 2 else math.floor(third) for i in range(3)
    ]


@pytest.mark.parametrize(
    "harm",
    [
        [5e-324, 1e-323, 2.5e-323],  # denormals
        [1e308, 1.7e308, 5e307],  # near the float maximum: their sum is beyond it
        [5e-324, 1.0, 1e308],  # both ends at once
    ],
)
def test_extreme_harm_values_allocate_exactly(harm):
    areas = pd.DataFrame({"area": ["A", "B", "C"], "harm": harm, "population": [10, 20, 30]})
    out = allocate(areas, total=1000, terms={"harm": 0.5, "population": 0.5})
    assert int(out["amount_pence"].sum()) == 100_000
    exact = [Fraction(h) for h in harm]
    total = sum(exact, Fraction(0))
    for h, share, pence in zip(
        exact, out["harm_share"], np.round(out["harm_amount"] * 100).astype(int), strict=True
    ):
        assert share == float(h / total)  # correctly rounded
        assert abs(pence - 50_000 * h / total) < 1
    # GBP per CHI day: 500 / total, as a float, or inf where it is beyond the float range
    rate, exact_rate = out.attrs["gbp_per_unit"]["harm"], Fraction(500) / total
    assert rate == (math.inf if exact_rate > Fraction(np.finfo(float).max) else float(exact_rate))


def test_decimal_column_is_exact_and_refuses_what_it_cannot_hold():
    column = decimal_gbp([1, 10**15, 0])
    assert str(column.type) == "decimal128(16, 2)"
    assert column.to_pylist() == [Decimal("0.01"), Decimal("10000000000000.00"), Decimal("0.00")]
    with pytest.raises(AllocationError, match=r"outside 0 \.\. 10,000,000,000,000 GBP"):
        decimal_gbp([10**15 + 1])
    with pytest.raises(AllocationError, match="outside"):
        decimal_gbp([-1])


def test_decimal_column_survives_parquet(tmp_path):
    out = allocate(lsoa_like(50), total="1234.57", terms=FORMULA)
    out.to_parquet(tmp_path / "out.parquet")
    back = pd.read_parquet(tmp_path / "out.parquet")
    assert list(back["amount_decimal"]) == list(out["amount_decimal"])
    assert sum(back["amount_decimal"]) == Decimal("1234.57")


def test_the_benchmark_runs(tmp_path):
    bench = Path(__file__).resolve().parents[1] / "benchmarks" / "allocation.py"
    out = tmp_path / "results.json"
    command = [sys.executable, str(bench), "--areas", "300", "--repeats", "1", "--json", str(out)]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (result,) = json.loads(out.read_text())
    assert result["areas"] == 300
    assert result["median_s"] > 0
    assert result["traced_peak_mb"] > 0
    assert "| 300 |" in proc.stdout
