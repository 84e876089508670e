"""The weighted displacement difference test (Wheeler & Ratcliffe 2018), counts and harm (#13).

The paper's own worked example could not be read in full here; the cases are
hand-computed from its formula (WDD = ΔT − ΔCt + ΔD − ΔCd, variance the sum
of the eight counts) and checked against the figures published with the
authors' R package ptools (``wdd`` examples) and Wheeler's notes.
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


def test_published_figures():
    # ptools' wdd(c(0,20), c(0,10)): two-tailed p about 0.068
    assert crimeharm.wdd(target=(0, 10), control=(0, 20))["p_value"] == pytest.approx(
        0.0679, abs=5e-4
    )
    # Wheeler's note: control 100 -> 90, treated 100 -> 80: 10 crimes fewer, standard error 19
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
