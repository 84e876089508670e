"""Trends and rates, the scheme comparison, the outcome vocabulary and the plots."""

from __future__ import annotations

import itertools
from importlib import resources

import numpy as np
import pandas as pd
import pytest

import crimeharm
from crimeharm.analysis.detection import outcome_vocabulary, read_detection


# --- rates ---------------------------------------------------------------------------------
def _yearly() -> pd.DataFrame:
    return pd.DataFrame(
        {"area": ["A", "A", "A", "B", "B"], "period": ["2021", "2022", "2023", "2021", "2023"],
         "period_start": pd.to_datetime(["2021-01-01", "2022-01-01", "2023-01-01",
                                         "2021-01-01", "2023-01-01"]),
         "chi_days": [100.0, 150.0, 50.0, 40.0, 80.0], "crimes": [10, 12, 8, 4, 6]}
    )  # fmt: skip


def test_rates_per_thousand_and_by_year():
    pop = pd.DataFrame({"area": ["A", "A", "A", "B", "B"], "year": [2021, 2022, 2023, 2021, 2023],
                        "population": [1000, 2000, 2500, 500, 400]})  # fmt: skip
    r = crimeharm.rates(_yearly(), pop, by="area", per=1_000)
    np.testing.assert_allclose(r["chi_days_per_1000"], [100, 75, 20, 80, 200])
    np.testing.assert_allclose(r["crimes_per_1000"], [10, 6, 3.2, 8, 15])
    flat = crimeharm.rates(_yearly(), pd.Series({"A": 1e5, "B": 2e5}, name="x").rename_axis("area"),
                           by="area")  # fmt: skip
    np.testing.assert_allclose(flat["chi_days_per_100000"], [100, 150, 50, 20, 40])


def test_a_missing_area_or_year_is_named():
    pop = pd.DataFrame({"area": ["A", "A", "B"], "year": [2021, 2022, 2021],
                        "population": [1000, 2000, 500]})  # fmt: skip
    with pytest.raises(crimeharm.OptionError, match=r"2023") as info:
        crimeharm.rates(_yearly(), pop, by="area")
    assert {"area": "A", "year": 2023} in info.value.values
    with pytest.warns(crimeharm.MissingPopulationWarning, match="NaN") as rec:
        r = crimeharm.rates(_yearly(), pop, by="area", missing="nan")
    assert r["chi_days_per_100000"].isna().tolist() == [False, False, True, False, True]
    assert len(rec[0].message.data["missing"]) == 2
    with pytest.raises(crimeharm.OptionError, match="missing="):
        crimeharm.rates(_yearly(), pop, by="area", missing="zero")


def test_harm_index_rates_are_unchanged():
    df = pd.DataFrame({"offence_code": ["8/6", "34/1"], "area": ["A", "B"]})
    out = crimeharm.harm_index(df, by="area", population=pd.DataFrame(
        {"area": ["A", "B"], "population": [50_000, 100_000]}))  # fmt: skip
    assert out["harm_days_per_100000"].tolist() == [20.0, 365.0]


# --- index and rolling means ---------------------------------------------------------------
def test_index_to_base_within_each_area():
    out = crimeharm.index_to_base(_yearly(), base="2021", by="area")
    np.testing.assert_allclose(out["chi_days_index"], [100, 150, 50, 100, 200])
    np.testing.assert_allclose(out["crimes_index"], [100, 120, 80, 100, 150])
    overall = crimeharm.index_to_base(
        _yearly().groupby("period", as_index=False)[["chi_days", "crimes"]].sum(), base="2021"
    )
    np.testing.assert_allclose(overall["chi_days_index"], [100, 107.142857, 92.857143])
    with pytest.raises(crimeharm.PeriodError, match=r"2019.*2021"):
        crimeharm.index_to_base(_yearly(), base="2019")


def test_index_base_of_zero_is_nan():
    t = pd.DataFrame({"period": ["a", "b"], "crimes": [0, 5], "chi_days": [0.0, 1.0]})
    assert crimeharm.index_to_base(t, base="a")["crimes_index"].isna().all()


def test_every_trend_names_a_by_column_the_table_lacks_the_same_way():
    # one check of the by columns (trends._by) serves rates, index_to_base and rolling_mean;
    # rates once reached the table's missing column as a bare KeyError
    pop = pd.DataFrame({"beat": ["A", "B"], "population": [1000, 500]})
    calls = [
        lambda: crimeharm.rates(_yearly(), pop, by="beat"),
        lambda: crimeharm.index_to_base(_yearly(), base="2021", by="beat"),
        lambda: crimeharm.rolling_mean(_yearly(), window=2, by="beat"),
    ]
    seen = set()
    for call in calls:
        with pytest.raises(crimeharm.MissingColumnError) as info:
            call()
        seen.add((str(info.value), tuple(info.value.values)))
    assert len(seen) == 1
    assert seen.pop()[1] == ("beat",)


def test_rolling_means_count_a_missing_year_as_zero():
    out = crimeharm.rolling_mean(_yearly(), window=2, by="area")
    got = out.set_index(["area", "period"])["chi_days_mean_2"]
    assert got.to_dict() == {("A", "2022"): 125.0, ("A", "2023"): 100.0,
                             ("B", "2022"): 20.0, ("B", "2023"): 40.0}  # fmt: skip
    assert out["first_period"].tolist() == ["2021", "2022", "2021", "2022"]
    five = crimeharm.rolling_mean(_yearly(), window=3)
    assert five["chi_days_mean_3"].tolist() == [pytest.approx(140.0)]
    with pytest.warns(crimeharm.ShortDataWarning):
        assert crimeharm.rolling_mean(_yearly(), window=4).empty
    with pytest.raises(crimeharm.OptionError, match="window"):
        crimeharm.rolling_mean(_yearly(), window=0)


# --- rank correlation and schemes ----------------------------------------------------------
def _brute_tau_b(x, y):
    conc = disc = tx = ty = 0
    for i, j in itertools.combinations(range(len(x)), 2):
        dx, dy = np.sign(x[i] - x[j]), np.sign(y[i] - y[j])
        if dx == 0 and dy == 0:
            continue
        if dx == 0:
            tx += 1
        elif dy == 0:
            ty += 1
        elif dx == dy:
            conc += 1
        else:
            disc += 1
    return (conc - disc) / np.sqrt((conc + disc + tx) * (conc + disc + ty))


@pytest.mark.parametrize("seed", range(6))
def test_kendall_tau_b_against_counting_every_pair(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 60))
    x = rng.integers(0, 6, n).astype(float)  # many ties
    y = rng.integers(0, 6, n).astype(float) + (x if seed % 2 else 0)
    if len(set(x)) < 2 or len(set(y)) < 2:
        return
    assert crimeharm.kendall_tau(x, y) == pytest.approx(_brute_tau_b(x, y), abs=1e-12)


def test_spearman_matches_pandas():
    rng = np.random.default_rng(3)
    x, y = rng.integers(0, 9, 40).astype(float), rng.normal(size=40)
    # DataFrame.corr's Spearman is pandas' own code; Series.corr and Kendall need scipy
    want = pd.DataFrame({"x": x, "y": y}).corr(method="spearman").loc["x", "y"]
    assert crimeharm.spearman_rho(x, y) == pytest.approx(want, abs=1e-12)
    tau = pd.DataFrame({"x": x, "y": y}).corr(method="kendall").loc["x", "y"]
    assert crimeharm.kendall_tau(x, y) == pytest.approx(tau, abs=1e-12)
    assert crimeharm.kendall_tau([1, 2, 3], [3, 2, 1]) == -1.0
    assert np.isnan(crimeharm.spearman_rho([1, 1, 1], [1, 2, 3]))


def test_transforms_are_labelled_and_bad_ones_rejected():
    for t, murder in (("cap:365", 365.0), ("log1p", np.log1p(5475)), ("sqrt", np.sqrt(5475))):
        w = crimeharm.transform_weights("cchi-2020", t)
        assert w.edition == f"cchi-2020+{t}"
        assert w.lookup(["001/01"])[0] == pytest.approx(murder)
        out = crimeharm.harm_index(pd.DataFrame({"offence_code": ["001/01"]}), weights=w)
        assert out.attrs["crimeharm"]["edition"] == f"cchi-2020+{t}"
    with pytest.raises(crimeharm.OptionError, match="cap:<days>"):
        crimeharm.transform_weights("cchi-2020", "square")


def _example() -> pd.DataFrame:
    ref = resources.files("crimeharm.data").joinpath("example-records.csv")
    with resources.as_file(ref) as path:
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])


@pytest.mark.filterwarnings("ignore::crimeharm.UnknownCodeWarning")
def test_compare_schemes_on_the_example():
    df = _example()
    cchi = crimeharm.load_weights("cchi-2020")
    df["open_data"] = crimeharm.edition_field(cchi, df["offence_code"], "open_data")
    c = crimeharm.compare_schemes(
        df,
        by="lsoa",
        schemes=["cchi-2020", crimeharm.transform_weights(cchi, "log1p"),
                 {"weights": "ons-css", "code": "open_data", "code_system": "open_data"}],
        date="committed_date",
    )  # fmt: skip
    labels = ["cchi-2020", "cchi-2020+log1p", "ons-css"]
    assert list(c.spearman.index) == labels
    assert (np.diag(c.spearman) == 1).all()
    assert (c.kendall.to_numpy() <= 1).all()
    h = crimeharm.harm_index(df, by="lsoa", date="committed_date")
    got = c.harm.set_index("lsoa")["harm_cchi-2020"]
    want = h.set_index(h["lsoa"].astype(object))["harm_days"]
    np.testing.assert_allclose(got.sort_index(), want.sort_index())
    a, b = c.harm["harm_cchi-2020"], c.harm["harm_ons-css"]
    assert c.spearman.loc["cchi-2020", "ons-css"] == pytest.approx(crimeharm.spearman_rho(a, b))
    assert c.kendall.loc["ons-css", "cchi-2020"] == pytest.approx(crimeharm.kendall_tau(a, b))
    assert set(c.movers["scheme"]) == {"cchi-2020+log1p", "ons-css"}
    m = c.movers.iloc[0]
    assert m["rank_change"] == m["rank_first"] - m["rank_other"]
    with pytest.raises(crimeharm.OptionError, match="differ"):
        crimeharm.compare_schemes(df, by="lsoa", schemes=["cchi-2020", "cchi-2020"])


# --- the vocabulary ------------------------------------------------------------------------
def test_vocabulary_covers_the_home_office_types_with_sources():
    v = outcome_vocabulary()
    ho = v[v["scheme"] == "home_office"]
    assert ho["value"].tolist() == ["1", "1A", *[str(i) for i in range(2, 23)]]
    assert set(ho.loc[ho["detected"], "value"]) == {"1", "1A", "2", "3", "4", "6", "7", "8"}
    assert (v["source"].str.len() > 20).all()
    assert (v["reasoning"].str.len() > 10).all()
    assert not v["key"].duplicated().any()
    pending = set(v.loc[~v["final"], "value"])
    assert {"Under investigation", "Awaiting court outcome"} <= pending


def test_vocabulary_holds_every_text_of_the_reference_files(reference_dir):
    texts = set()
    for f in (reference_dir / "police-uk").glob("*.csv"):
        frame = pd.read_csv(f, dtype=str)
        for col in ("Outcome type", "Last outcome category"):
            if col in frame:
                texts |= set(frame[col].dropna())
    det = read_detection(sorted(texts), kind="outcome")
    unknown = [t for t, k in zip(sorted(texts), det.known, strict=False) if not k]
    assert unknown == []


@pytest.mark.parametrize(
    ("value", "detected", "final"),
    [("01", True, True), ("1a", True, True), ("Outcome 18", False, True), ("OC8", True, True),
     (" offender given a CAUTION. ", True, True), (16.0, False, True), ("", False, False),
     ("Awaiting court outcome", True, False)],
)  # fmt: skip
def test_written_forms(value, detected, final):
    det = read_detection([value, "Suspect charged"], kind="outcome")
    idx = -1 if value == "" else 0  # blank is null: the last entry
    assert (det.detected[idx], det.final[idx], det.known[idx]) == (detected, final, True)


def test_flags_read_as_the_scorer_reads_them():
    det = read_detection(["Y", "n", "TRUE", "0", "maybe"], kind="flag")
    assert det.detected.tolist() == [True, False, True, False, False, False]
    assert det.known.tolist() == [True, True, True, True, False, True]
    assert read_detection(["Y", "N"]).kind == "flag"
    assert read_detection(["1", "18"]).kind == "outcome"


# --- plots ---------------------------------------------------------------------------------
@pytest.fixture
def agg():
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


@pytest.mark.filterwarnings("ignore::crimeharm.UnknownCodeWarning")
@pytest.mark.filterwarnings("ignore::crimeharm.UnknownOutcomeWarning")
def test_plots_render_to_png(agg, tmp_path):
    df = _example()
    kw = {"date": "committed_date", "police_initiated": "police_initiated",
          "start": "2023-04-01", "end": "2024-03-31"}  # fmt: skip
    by_group = crimeharm.series(df, category="group", **kw)
    ax = crimeharm.plot_composition(by_group, group="group")
    monthly = crimeharm.series(df, period="month", **kw)
    ax2 = crimeharm.plot_trend(monthly, base="2023-04")
    by_lsoa = crimeharm.series(df, by="lsoa", **kw)
    ax3 = crimeharm.plot_ranks(by_lsoa, area="lsoa", top=10)
    for i, a in enumerate((ax, ax2, ax3)):
        assert isinstance(a, agg.Axes)
        path = tmp_path / f"plot{i}.png"
        a.figure.savefig(path, dpi=80)
        assert path.stat().st_size > 5_000
    labels = [t.get_text() for t in ax3.get_yticklabels()]
    assert len(labels) == 10
    assert labels[-1].endswith("(#1)")
    assert ax2.get_lines()[0].get_ydata()[0] == 100.0


def test_plots_need_the_column(agg):
    with pytest.raises(crimeharm.MissingColumnError, match="kind"):
        crimeharm.plot_composition(pd.DataFrame({"crimes": [1], "chi_days": [1.0]}), group="kind")


def test_composition_and_ranks_sum_each_group_alike(agg):
    # one summing rule (plots._sums) for both: blank groups kept, rows of a group added up
    t = pd.DataFrame({"g": ["a", None, "b", "a", None], "crimes": [1, 2, 3, 4, 5],
                      "harm_days": [10.0, 40.0, 5.0, 20.0, 2.0]})  # fmt: skip
    expected = {"a": (5, 30.0), None: (7, 42.0), "b": (3, 5.0)}
    ranks = crimeharm.plot_ranks(t, area="g")
    widths = [p.get_width() for p in ranks.patches]
    assert sorted(widths) == sorted(h for _, h in expected.values())
    comp = crimeharm.plot_composition(t, group="g")
    crimes_total = sum(c for c, _ in expected.values())
    harm_total = sum(h for _, h in expected.values())
    # one bar container per group: its bar at y=1 is the crimes share, at y=0 the harm share
    by_label = {c.get_label(): [bar.get_width() for bar in c] for c in comp.containers}
    for g, (c, h) in expected.items():
        shares = by_label["(none)" if g is None else g]
        assert shares == pytest.approx([c / crimes_total * 100, h / harm_total * 100])
    for name, call in {
        "plot_composition": lambda d: crimeharm.plot_composition(d, group="g"),
        "plot_ranks": lambda d: crimeharm.plot_ranks(d, area="g"),
        "plot_trend": lambda d: crimeharm.plot_trend(d.rename(columns={"g": "period"}), base="a"),
    }.items():
        with pytest.raises(crimeharm.MissingColumnError, match="harm_days") as info:
            call(t.drop(columns="harm_days"))
        assert info.value.values == ["harm_days"], name
