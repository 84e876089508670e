"""Harm intervals: coverage by simulation, the same accounting as harm_index, ranks, flags (#13)."""

from __future__ import annotations

import warnings
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest

import crimeharm
from crimeharm import OptionError
from crimeharm.analysis.intervals import (
    compound_poisson_interval,
    gamma_quantile,
    normal_interval,
)

EXAMPLE = crimeharm.__path__[0] + "/data/example-records.csv"
JOB = {
    "date": "committed_date",
    "reported": "reported_date",
    "police_initiated": "police_initiated",
    "company_detected": "company_detected",
    "historic_lag": 365,
}
Z975 = NormalDist().inv_cdf(0.975)


def _quiet(func, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", crimeharm.UnknownCodeWarning)
        return func(*args, **kwargs)


@pytest.fixture(scope="module")
def records() -> pd.DataFrame:
    return pd.read_csv(EXAMPLE, dtype=str)


# ----------------------------------------------------------------- the interval itself
@pytest.mark.parametrize(
    ("shape", "scale", "z", "exact"),
    [
        (5.0, 2.0, Z975, 20.4832),  # chi-square(10), 97.5%
        (5.0, 2.0, -Z975, 3.2470),  # chi-square(10), 2.5%
        (1.0, 2.0, Z975, 7.3778),  # chi-square(2), 97.5%: the worst case, k = 1
        (50.0, 2.0, Z975, 129.5612),  # chi-square(100), 97.5%
    ],
)
def test_wilson_hilferty_gamma_quantiles(shape, scale, z, exact):
    got = float(gamma_quantile(z, np.array([shape]), np.array([scale]))[0])
    assert got == pytest.approx(exact, rel=0.01)


def test_equal_weights_give_the_exact_poisson_interval():
    # Garwood: 10 events -> [4.7954, 18.3904]; 3 events -> [0.6186, 8.7673]; weight 7 scales it
    for n, lo, hi in ((10, 4.7954, 18.3904), (3, 0.6186, 8.7673)):
        low, high = compound_poisson_interval(
            np.array([7.0 * n]), np.array([49.0 * n]), np.array([7.0])
        )
        assert 0.97 * 7 * lo <= low[0] <= 7 * lo  # Wilson-Hilferty errs low (wider) here
        assert high[0] == pytest.approx(7 * hi, rel=0.01)


def _coverage(weights, rates, *, max_weight="cell", cells=20000, seed=13):
    """Share of simulated cells whose 95% interval covers the expected harm Σ w·λ."""
    rng = np.random.default_rng(seed)
    w, lam = np.asarray(weights, float), np.asarray(rates, float)
    counts = rng.poisson(lam, size=(cells, len(w)))
    s, v = counts @ w, counts @ w**2
    cell_max = np.where(counts > 0, w, 0).max(axis=1)
    mean_w = s.sum() / counts.sum()
    wm = (
        np.where(cell_max > 0, cell_max, mean_w)
        if max_weight == "cell"
        else np.full(cells, w.max())
    )
    truth = float(w @ lam)
    lo, hi = compound_poisson_interval(s, v, wm, level=0.95)
    nlo, nhi = normal_interval(s, v, level=0.95)
    return (
        float(((lo <= truth) & (truth <= hi)).mean()),
        float(((nlo <= truth) & (truth <= nhi)).mean()),
    )


def test_coverage_by_simulation_with_a_skewed_mix_of_offences():
    # five offence kinds of 2 to 1460 days, each expected at least 5 times in a cell
    poisson, normal = _coverage([2, 10, 19, 365, 1460], [60, 40, 15, 8, 5])
    assert poisson >= 0.94
    assert normal < poisson


def test_coverage_by_simulation_for_small_counts():
    poisson, normal = _coverage([1.0], [3.0])
    assert poisson >= 0.95
    assert normal < 0.85  # the symmetric interval fails small, skewed counts


def test_coverage_when_the_heaviest_kind_is_rare():
    # 5 crimes of 10 days and one of 365 expected: the cell's own maximum misses the
    # cells that had no heavy crime; Fay & Feuer's table maximum keeps the level
    cell, _ = _coverage([10, 365], [5, 1])
    table, _ = _coverage([10, 365], [5, 1], max_weight="table")
    assert 0.5 < cell < 0.75
    assert table >= 0.95


# ----------------------------------------------------------------- harm_intervals
@pytest.mark.parametrize("period", [None, "quarter", "rolling:6m"])
@pytest.mark.parametrize("method", ["poisson", "normal", "bootstrap"])
def test_same_rows_sums_and_summary_as_harm_index(records, period, method):
    out = _quiet(
        crimeharm.harm_intervals,
        records,
        by="lsoa",
        period=period,
        method=method,
        resamples=50,
        **JOB,
    )
    ref = _quiet(crimeharm.harm_index, records, by="lsoa", period=period, **JOB)
    for col in ref.columns:
        if pd.api.types.is_numeric_dtype(ref[col]):
            np.testing.assert_allclose(out[col].to_numpy(float), ref[col].to_numpy(float))
        else:
            assert out[col].astype(str).tolist() == ref[col].astype(str).tolist()
    assert out.attrs["crimeharm"]["summary"] == ref.attrs["crimeharm"]["summary"]
    info = out.attrs["crimeharm"]["intervals"]
    assert (info["method"], info["level"]) == (method, 0.95)
    assert (out["rank_low"] <= out["rank"]).all()
    assert (out["rank"] <= out["rank_high"]).all()
    if method != "bootstrap":
        assert (out["harm_low"] <= out["harm_days"] + 1e-9).all()
        assert (out["harm_days"] <= out["harm_high"] + 1e-9).all()


def test_records_and_max_record_by_hand():
    df = pd.DataFrame(
        {
            "offence_code": ["001/01", "008/06", "008/06", "034/02", "008/06"],
            "area": ["A", "A", "B", "B", "C"],
        }
    )
    out = crimeharm.harm_intervals(df, by="area", dominant_share=0.9).set_index("area")
    assert out["records"].to_dict() == {"A": 2, "B": 2, "C": 1}
    assert out.loc["A", "max_record_harm"] == 5475.0
    assert out.loc["A", "max_record_share"] == pytest.approx(5475 / 5485)
    assert out["dominant"].to_dict() == {"A": True, "B": True, "C": True}  # 365/375 > 0.9
    assert out["rank"].to_dict() == {"A": 1, "B": 2, "C": 3}
    # A's interval: S = 5485, V = 5475² + 10², w_M = 5475
    s, v = 5485.0, 5475.0**2 + 100.0
    lo, hi = compound_poisson_interval(np.array([s]), np.array([v]), np.array([5475.0]))
    assert (out.loc["A", "harm_low"], out.loc["A", "harm_high"]) == pytest.approx((lo[0], hi[0]))


@pytest.mark.parametrize("period", [None, "month", "rolling:2m"])
def test_blank_areas_are_one_cell_as_in_harm_index(period):
    # null, empty and spaces-only areas are one area, harm_index's "(blank)" row
    df = pd.DataFrame(
        {
            "offence_code": ["001/01", "008/06", "008/06", "034/02", "008/06", "034/02"],
            "area": ["A", None, "", "   ", "B", "A"],
            "date": ["2020-01-05", "2020-01-09", "2020-02-01", "2020-02-03", "2020-02-10", ""],
        }
    )
    out = crimeharm.harm_intervals(df, by="area", date="date", period=period)
    ref = crimeharm.harm_index(df, by="area", date="date", period=period)
    np.testing.assert_allclose(out["harm_days"], ref["harm_days"])
    blank = out[out["area"] == crimeharm.BLANK_AREA]
    assert int(blank["records"].sum()) == 3  # one window (Jan-Feb) when rolling
    assert out.attrs["crimeharm"]["summary"] == ref.attrs["crimeharm"]["summary"]
    # the blank area is not a place: no rank, and the places are ranked 1..n among themselves
    assert blank["rank"].isna().all()
    assert blank["rank_high"].isna().all()
    places = out[out["area"] != crimeharm.BLANK_AREA]
    for _, ranks in places.groupby("period_start" if period else lambda _: 0)["rank"]:
        assert sorted(ranks) == list(range(1, len(ranks) + 1))
        assert (places.loc[ranks.index, "rank_high"] <= len(ranks)).all()


def test_label_blank_is_harm_index_rule_for_every_kind_of_column():
    from crimeharm._engine.groups import label_blank

    b = crimeharm.BLANK_AREA
    mixed = pd.Series(["a", None, " ", 1, np.nan, ""], dtype=object)
    assert label_blank(mixed).tolist() == ["a", b, b, 1, b, b]
    assert label_blank(pd.Series([1.0, np.nan])).tolist() == [1.0, b]
    assert label_blank(pd.Series(["x", "", None], dtype="category")).tolist() == ["x", b, b]
    assert label_blank(pd.Series([3, 4])).tolist() == [3, 4]


def test_counted_rows_weigh_each_crime():
    # a pre-counted row of 3 crimes of 10 days: S = 30, V = 3 x 10², like three records
    counted = pd.DataFrame({"offence_code": ["008/06"], "n": [3], "area": ["A"]})
    rows = pd.DataFrame({"offence_code": ["008/06"] * 3, "area": ["A"] * 3})
    a = crimeharm.harm_intervals(counted, by="area", count="n")
    b = crimeharm.harm_intervals(rows, by="area")
    assert a.loc[0, ["harm_days", "harm_low", "harm_high"]].tolist() == pytest.approx(
        b.loc[0, ["harm_days", "harm_low", "harm_high"]].tolist()
    )
    assert (a.loc[0, "records"], b.loc[0, "records"]) == (1, 3)


def test_empty_cells_get_the_upper_limit_for_no_crimes(records):
    out = _quiet(
        crimeharm.harm_intervals, records, by="lsoa", period="quarter", complete=True, **JOB
    )
    empty = out[(out["records"] == 0) & out["period"].notna()]
    inc = out["records"].sum()
    mean_w = out["harm_days"].sum() / out["crimes"].sum()
    if len(empty):
        assert (empty["harm_low"] == 0).all()
        assert empty["harm_high"].to_numpy() == pytest.approx(
            gamma_quantile(Z975, np.array([1.0]), np.array([mean_w]))[0]
        )
    assert inc == out.attrs["crimeharm"]["summary"]["rows_included"]


def test_bootstrap_is_reproducible_with_its_seed(records):
    args = dict(by="neighbourhood", period="quarter", method="bootstrap", resamples=200, **JOB)
    a = _quiet(crimeharm.harm_intervals, records, seed=7, **args)
    b = _quiet(crimeharm.harm_intervals, records, seed=7, **args)
    c = _quiet(crimeharm.harm_intervals, records, seed=8, **args)
    cols = ["harm_low", "harm_high", "rank_low", "rank_high"]
    pd.testing.assert_frame_equal(a[cols], b[cols])
    assert not np.allclose(a["harm_low"], c["harm_low"])
    assert a.attrs["crimeharm"]["intervals"]["seed"] == 7
    dated = a[a["period"].notna() & (a["records"] > 0)]
    # the percentile interval of a sum of many records brackets the sum
    assert (
        (dated["harm_low"] < dated["harm_days"]) & (dated["harm_days"] < dated["harm_high"])
    ).all()


def test_overlap_rank_bounds_by_hand():
    from crimeharm.analysis.intervals import _overlap_ranks

    low = np.array([10.0, 4.0, 0.0])
    high = np.array([20.0, 12.0, 3.0])
    best, worst = _overlap_ranks(low, high)
    assert best.tolist() == [1, 1, 3]  # nobody is surely ahead of 0 or 1; 0 and 1 are of 2
    assert worst.tolist() == [2, 2, 3]


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"method": "exact"}, "method='exact'"),
        ({"level": 95}, "level=95"),
        ({"resamples": 1, "method": "bootstrap"}, "resamples=1"),
        ({"dominant_share": 0}, "dominant_share=0"),
        ({"max_weight": "area"}, "max_weight='area'"),
        ({"unknown": "ignore"}, "unknown='ignore'"),
    ],
)
def test_bad_options(kwargs, needle):
    df = pd.DataFrame({"offence_code": ["8/6"], "area": ["A"]})
    with pytest.raises(OptionError) as info:
        crimeharm.harm_intervals(df, by="area", **kwargs)
    assert needle in str(info.value)
