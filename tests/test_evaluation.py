"""The weighted displacement difference test (Wheeler & Ratcliffe 2018), counts and harm (#13).

Published figures checked here:

- the paper's worked example (Wheeler & Ratcliffe 2018, Crime Science 7:11):
  treated 207 -> 110, control 308 -> 318, displacement 178 -> 157, its control
  150 -> 140; WDD -118, variance 1568 (the sum of the eight counts), z -2.98,
  95% interval -196 to -40. The authors' R package ptools tests the same
  figures (``tests/testthat/test-wdd.R``, "Est & Variance Paper");
- Wheeler's harm-weighted WDD ("Amending the WDD test to incorporate harm
  weights", 2020; ptools ``wdd_harm``, test "Cumulative Harm"): five offence
  types with weights 3, 2, 5, 7, 10, harm WDD -1721, SE 304.1036;
- Wheeler's note (crimede-coder.com, "Some extensions to the WDD statistic"):
  control 100 -> 90, treated 100 -> 80, ten crimes fewer, standard error 19;
- the ptools ``wdd`` example ``wdd(c(0,20), c(0,10))``: two-tailed p ~0.068.

The published figures agree with the method. One published *code* did not: an
early ptools ``wdd.R`` closed a parenthesis late in the displacement
variance, ``disp_control[2]*((1/w)^2 + disp_control[1]*((1/w)^2))``, which
with unit weights is ``Cd1 * (1 + Cd0)`` instead of ``Cd1 + Cd0`` (21,140
instead of 290 in the paper's example); later versions fixed it, and the
paper-example test below would fail on it (it is checked to).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import crimeharm
from crimeharm import ColumnValueError, OptionError


def test_counts_by_hand():
    r = crimeharm.wdd(target=(20, 10), control=(20, 20))
    assert r["estimate"] == -10
    assert r["se"] == pytest.approx(math.sqrt(70))
    assert r["z"] == pytest.approx(-10 / math.sqrt(70))
    assert (r["low"], r["high"]) == pytest.approx(
        (-10 - 1.959964 * math.sqrt(70), -10 + 1.959964 * math.sqrt(70))
    )
    assert r.attrs["crimeharm"]["measure"] == "crimes"


def test_with_displacement_areas():
    # ptools: cont (20, 20), treat (20, 10), disptreat (30, 20), dispcont (30, 30)
    r = crimeharm.wdd(
        target=(20, 10), control=(20, 20), displacement=(30, 20), displacement_control=(30, 30)
    )
    assert (r["local_estimate"], r["displacement_estimate"], r["estimate"]) == (-10, -10, -20)
    assert r["se"] == pytest.approx(math.sqrt(70 + 110))
    assert r["displacement_se"] == pytest.approx(math.sqrt(110))


def test_paper_worked_example():
    """Wheeler & Ratcliffe (2018): the WDD, its variance, z and 95% interval."""
    r = crimeharm.wdd(
        target=(207, 110),
        control=(308, 318),
        displacement=(178, 157),
        displacement_control=(150, 140),
        level=0.95,
    )
    assert r["local_estimate"] == (110 - 207) - (318 - 308) == -107
    assert r["displacement_estimate"] == (157 - 178) - (140 - 150) == -11
    assert r["estimate"] == -118
    assert r["se"] ** 2 == pytest.approx(1568)
    assert round(r["z"], 2) == -2.98
    assert (round(r["low"]), round(r["high"])) == (-196, -40)
    # the early ptools variance (a parenthesis closed late, see the module note)
    # gives another figure: the published one is the method's
    typo_var = 207 + 110 + 308 + 318 + 178 + 157 + 140 * (1 + 150)
    assert abs(r["se"] - math.sqrt(typo_var)) > 50
    # ptools prints a 90% interval by default (alpha=0.1); here level=0.90
    r90 = crimeharm.wdd(
        target=(207, 110),
        control=(308, 318),
        displacement=(178, 157),
        displacement_control=(150, 140),
        level=0.90,
    )
    half = 1.6448536269514722 * math.sqrt(1568)
    assert (r90["low"], r90["high"]) == pytest.approx((-118 - half, -118 + half))


def test_harm_weighted_published_example():
    """Wheeler (2020) / ptools ``wdd_harm``: per-offence WDDs combined with harm weights.

    Weighing every record by its offence's weight (variance the sum of squared
    weights) gives the same estimate and standard error as Wheeler's sum of
    weighted per-offence WDDs (variance the sum of weight² x variance).
    """
    # (control before, after), (treated before, after), weight
    types = [
        ((133, 91), (130, 74), 3.0),  # motor vehicle theft
        ((388, 305), (327, 202), 2.0),  # theft
        ((148, 97), (398, 190), 5.0),  # burglary
        ((86, 64), (144, 92), 7.0),  # robbery
        ((94, 67), (183, 96), 10.0),  # assault
    ]

    def records(j: int, which: int) -> np.ndarray:
        return np.concatenate([np.full(t[which][j], t[2]) for t in types])

    r = crimeharm.wdd(
        target=(records(0, 1), records(1, 1)),
        control=(records(0, 0), records(1, 0)),
        level=0.95,
    )
    published = [-1721.0, 304.10360077, -5.65925558, -2317.03210507, -1124.96789493]
    got = [r["estimate"], r["se"], r["z"], r["low"], r["high"]]
    np.testing.assert_allclose(got, published, rtol=1e-7)
    # one weight per offence type, summed: the same as ptools wdd_harm
    per_type = [crimeharm.wdd(target=t[1], control=t[0]) for t in types]
    est = sum(t[2] * x["estimate"] for t, x in zip(types, per_type, strict=True))
    se = math.sqrt(sum(t[2] ** 2 * x["se"] ** 2 for t, x in zip(types, per_type, strict=True)))
    assert (est, se) == pytest.approx((r["estimate"], r["se"]))


def test_published_figures():
    # ptools' example wdd(c(0,20), c(0,10)) (control, treated): two-tailed p about 0.068
    assert crimeharm.wdd(target=(0, 10), control=(0, 20))["p_value"] == pytest.approx(
        0.0679, abs=5e-4
    )
    # Wheeler's note (crimede-coder.com, 2025): control 100 -> 90, treated 100 -> 80:
    # 10 crimes fewer, standard error 19
    r = crimeharm.wdd(target=(100, 80), control=(100, 90))
    assert r["estimate"] == -10
    assert round(r["se"]) == 19


def test_harm_variance_is_the_sum_of_squared_weights():
    before = pd.Series([365.0, 10.0, 10.0])
    after = [10.0]
    r = crimeharm.wdd(target=(before, after), control=([2.0, 2.0], [547.5]))
    assert r["estimate"] == pytest.approx((10 - 385) - (547.5 - 4))
    var = 365**2 + 2 * 10**2 + 10**2 + 2 * 2**2 + 547.5**2
    assert r["se"] == pytest.approx(math.sqrt(var))
    assert r.attrs["crimeharm"]["measure"] == "harm_days"
    # all weights 1: the same as counts
    ones = crimeharm.wdd(target=(np.ones(20), np.ones(10)), control=(np.ones(20), np.ones(20)))
    counts = crimeharm.wdd(target=(20, 10), control=(20, 20))
    np.testing.assert_allclose(ones.to_numpy(), counts.to_numpy())


def test_scored_records_weigh_included_crimes_only():
    before = crimeharm.score(pd.DataFrame({"offence_code": ["034/02", "092/10", "008/06"]}))
    after = crimeharm.score(pd.DataFrame({"offence_code": ["008/06"]}))
    ctrl = crimeharm.score(pd.DataFrame({"offence_code": ["008/06", "008/06"]}))
    r = crimeharm.wdd(target=(before, after), control=(ctrl, ctrl))
    assert r["estimate"] == pytest.approx(10 - 375)  # 092/10 is police-generated: out
    assert r["se"] == pytest.approx(math.sqrt(365**2 + 10**2 + 10**2 + 4 * 10**2))
    frame = crimeharm.wdd(
        target=(before[["harm_days"]], after[["harm_days"]]),
        control=(ctrl[["harm_days"]], ctrl[["harm_days"]]),
    )
    assert frame["estimate"] == r["estimate"]


def test_bad_input():
    with pytest.raises(OptionError, match="mix counts and harm"):
        crimeharm.wdd(target=(20, 10), control=([1.0], [2.0]))
    with pytest.raises(OptionError, match="both or neither"):
        crimeharm.wdd(target=(20, 10), control=(20, 20), displacement=(5, 5))
    with pytest.raises(OptionError, match="before, after"):
        crimeharm.wdd(target=(20,), control=(20, 20))
    with pytest.raises(ColumnValueError, match=">= 0"):
        crimeharm.wdd(target=(-1, 10), control=(20, 20))
    with pytest.raises(ColumnValueError, match="1 negative"):
        crimeharm.wdd(target=([1.0, -2.0], [1.0]), control=([1.0], [1.0]))
    with pytest.raises(OptionError, match="level"):
        crimeharm.wdd(target=(1, 1), control=(1, 1), level=1.5)
