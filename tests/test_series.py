"""crimeharm.series: the consensus series, computed by hand and against harm_index."""

from __future__ import annotations

import warnings
from importlib import resources

import numpy as np
import pandas as pd
import pytest

import crimeharm
from crimeharm.analysis import series as series_module
from crimeharm.analysis.detection import LATEST_OUTCOME

W = crimeharm.load_weights("cchi-2020")
DAYS = dict(
    zip(
        ["105/01", "008/06", "034/01", "092/10", "046/00", "028/03"],
        W.lookup(["105/01", "008/06", "034/01", "092/10", "046/00", "028/03"]),
        strict=True,
    )
)


def _hand() -> pd.DataFrame:
    """Eight records whose every series can be summed by hand."""
    return pd.DataFrame(
        {
            "offence_code": ["105/01", "008/06", "034/01", "092/10", "046/00", "046/00",
                             "028/03", "034/01"],
            "area": ["A", "A", "A", "A", "B", "B", "B", "B"],
            "d": ["2024-01-10", "2024-01-20", "2024-02-05", "2024-01-03", "2024-01-15",
                  "2024-02-15", "2019-05-01", "2024-02-20"],
            "r": ["2024-01-11", "2024-01-21", "2024-02-06", "2024-01-03", "2024-01-15",
                  "2024-02-15", "2024-01-30", "2024-02-21"],
            "pi": ["N", "N", "N", "Y", "N", "N", "N", "Y"],
            "cd": ["N", "N", "N", "N", "Y", "N", "N", "N"],
            "outcome": ["1", "18", "Under investigation", "1", "1", "8", "16", ""],
        }
    )  # fmt: skip


HAND = {"date": "d", "reported": "r", "historic_lag": 365, "police_initiated": "pi",
        "company_detected": "cd"}  # fmt: skip


def test_every_series_by_hand():
    s = crimeharm.series(_hand(), by="area", period="month", detected="outcome", **HAND)
    got = s.set_index(["area", "period"])
    a1, a2 = got.loc[("A", "2024-01")], got.loc[("A", "2024-02")]
    b1, b2 = got.loc[("B", "2024-01")], got.loc[("B", "2024-02")]
    # A, January: common assault (charged), ABH (no suspect); drugs possession: police-generated
    assert a1["crimes"] == 2
    assert a1["chi_days"] == DAYS["105/01"] + DAYS["008/06"]
    assert a1["ppi_days"] == DAYS["092/10"]
    assert a1["detected_crimes"] == 1
    assert a1["detected_chi_days"] == DAYS["105/01"]
    assert a1["hdf"] == pytest.approx(DAYS["105/01"] / (DAYS["105/01"] + DAYS["008/06"]))
    assert a1["detection_rate_per_100"] == 50.0
    assert a1["pending_crimes"] == 0
    # A, February: a robbery under investigation: not detected, pending
    assert (a2["crimes"], a2["detected_crimes"], a2["pending_crimes"], a2["hdf"]) == (1, 0, 1, 0)
    # B, January: a shop theft caught by store security (CDCHI), and a burglary committed in
    # 2019 but reported in January 2024: historic, in the month it was reported (HOCHI)
    assert b1["crimes"] == 0
    assert b1["cdchi_days"] == DAYS["046/00"]
    assert b1["hochi_days"] == DAYS["028/03"]
    assert np.isnan(b1["hdf"])
    assert np.isnan(b1["detection_rate_per_100"])
    assert len(s) == 4
    # B, February: a shop theft (community resolution: detected); a police-initiated robbery
    assert b2["crimes"] == 1
    assert b2["detected_chi_days"] == DAYS["046/00"]
    assert b2["hdf"] == 1.0
    assert b2["ppi_days"] == DAYS["034/01"]
    assert list(s.columns[:5]) == ["area", "period", "period_start", "period_end", "crimes"]
    for col in crimeharm.analysis.series.SERIES_COLUMNS:
        assert col in s.columns


def test_one_harm_index_pass(monkeypatch):
    calls = []
    real = series_module.harm_index
    spy = lambda *a, **k: calls.append(k) or real(*a, **k)  # noqa: E731
    monkeypatch.setattr(series_module, "harm_index", spy)
    crimeharm.series(_hand(), by="area", period="month", detected="outcome", category="group",
                     **HAND)  # fmt: skip
    assert len(calls) == 1
    assert calls[0]["by"] == ["area", "offence_code", "outcome"]
    assert calls[0]["excluded"] == "columns"


def _example() -> pd.DataFrame:
    ref = resources.files("crimeharm.data").joinpath("example-records.csv")
    with resources.as_file(ref) as path:
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])


EXAMPLE = {
    "date": "committed_date",
    "reported": "reported_date",
    "historic_lag": 365,
    "police_initiated": "police_initiated",
    "company_detected": "company_detected",
}


@pytest.fixture(scope="module")
def example():
    return _example()


@pytest.mark.filterwarnings("ignore::crimeharm.UnknownCodeWarning")
@pytest.mark.filterwarnings("ignore::crimeharm.UnknownOutcomeWarning")
@pytest.mark.parametrize("category", [None, "group"])
def test_series_sum_to_harm_index(example, category):
    kw = {"by": "neighbourhood", "period": "quarter", **EXAMPLE}
    s = crimeharm.series(example, detected="outcome", category=category, **kw)
    h = crimeharm.harm_index(example, **kw)
    key = ["neighbourhood", "period"]
    s_sum = s.groupby(key, observed=True, dropna=False)[
        ["crimes", "chi_days", "hochi_days", "ppi_days", "cdchi_days"]
    ].sum()
    h = h.set_index(key)
    assert s_sum.index.tolist() == h.index.tolist()
    np.testing.assert_allclose(s_sum["crimes"], h["crimes"])
    np.testing.assert_allclose(s_sum["chi_days"], h["harm_days"])
    np.testing.assert_allclose(s_sum["hochi_days"], h["excluded_harm_historic"])
    np.testing.assert_allclose(
        s_sum["ppi_days"],
        h["excluded_harm_police_generated"] + h["excluded_harm_police_initiated"],
    )
    np.testing.assert_allclose(s_sum["cdchi_days"], h["excluded_harm_company_detected"])
    # detected harm: the included records whose outcome is a detection
    scored = crimeharm.score(example, **EXAMPLE)
    det = crimeharm.analysis.detection.read_detection(scored["outcome"].dropna().unique())
    detected = dict(zip(det.values, det.detected[:-1], strict=True))
    mask = scored["excluded"].isna() & scored["outcome"].map(detected).fillna(value=False)
    assert s["detected_crimes"].sum() == mask.sum()
    assert s["detected_chi_days"].sum() == pytest.approx(scored.loc[mask, "harm_days"].sum())
    pending = scored["excluded"].isna() & scored["outcome"].isna()
    assert s["pending_crimes"].sum() == pending.sum()


@pytest.mark.filterwarnings("ignore::crimeharm.UnknownCodeWarning")
def test_category_from_the_edition_is_the_code_group(example):
    s = crimeharm.series(example, by="neighbourhood", category="group", **EXAMPLE)
    scored = crimeharm.score(example, **EXAMPLE)
    scored["group"] = crimeharm.edition_field(W, scored["offence_code"], "group")
    inc = scored[scored["excluded"].isna()]
    want = inc.groupby(["neighbourhood", "group"])["harm_days"].sum()
    got = s.dropna(subset=["group"]).astype({"neighbourhood": object, "group": object})
    got = got.set_index(["neighbourhood", "group"])["chi_days"]
    got, want = got[got != 0].sort_index(), want[want != 0].sort_index()
    assert got.index.tolist() == want.index.tolist()
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy())
    # records with unknown codes have no group: their cells have a null category
    assert s["group"].isna().any()


@pytest.mark.filterwarnings("ignore::crimeharm.UnknownCodeWarning")
def test_yes_no_detected_column(example):
    df = example.assign(solved=np.where(example["outcome"].isin(["1", "8"]), "Y", "N"))
    s = crimeharm.series(df, by="lsoa", detected="solved", **EXAMPLE)
    assert s.attrs["crimeharm"]["detection"]["read_as"] == "flag"
    scored = crimeharm.score(df, **EXAMPLE)
    mask = scored["excluded"].isna() & (df["solved"] == "Y")
    assert s["detected_crimes"].sum() == mask.sum()
    assert s["pending_crimes"].sum() == 0  # a yes/no column has no pending values


def test_long_form_holds_the_wide_values():
    wide = crimeharm.series(_hand(), by="area", period="month", detected="outcome", **HAND)
    long = crimeharm.series(
        _hand(), by="area", period="month", detected="outcome", shape="long", **HAND
    )
    assert list(long.columns) == ["area", "period", "period_start", "period_end", "series", "value"]
    back = long.pivot_table(
        index=["area", "period"], columns="series", values="value", observed=True, dropna=False
    )
    for col in crimeharm.analysis.series.SERIES_COLUMNS:
        np.testing.assert_allclose(
            back[col].to_numpy(), wide.set_index(["area", "period"])[col].to_numpy()
        )


def test_without_detection_the_detection_columns_are_nan():
    s = crimeharm.series(_hand(), by="area", **HAND)
    assert s["detected_crimes"].isna().all()
    assert s["hdf"].isna().all()
    assert s["chi_days"].notna().all()
    assert "detection" not in s.attrs["crimeharm"]


# --- values outside the vocabulary ---------------------------------------------------------
def _odd():
    df = _hand()
    df.loc[0, "outcome"] = "99"
    df.loc[1, "outcome"] = "TBC"
    return df


def test_unknown_outcomes_are_counted_and_read_as_not_detected():
    with pytest.warns(crimeharm.UnknownOutcomeWarning, match="'99'") as rec:
        s = crimeharm.series(_odd(), by="area", detected="outcome", **HAND)
    assert rec[0].message.data["values"] == {"99": 1.0, "TBC": 1.0}
    det = s.attrs["crimeharm"]["detection"]
    assert det["unknown_values"] == {"99": 1.0, "TBC": 1.0}
    a = s.set_index("area").loc["A"]
    assert a["crimes"] == 3
    assert a["detected_crimes"] == 0


def test_unknown_outcomes_excluded_with_a_reason():
    with pytest.warns(crimeharm.UnknownOutcomeWarning, match="excluded"):
        s = crimeharm.series(_odd(), by="area", detected="outcome", unknown_outcome="exclude",
                             **HAND)  # fmt: skip
    a = s.set_index("area").loc["A"]
    assert a["crimes"] == 1  # the robbery only
    assert a["excluded_unknown_outcome"] == 2
    assert a["excluded_harm_unknown_outcome"] == DAYS["105/01"] + DAYS["008/06"]
    summ = s.attrs["crimeharm"]["summary"]
    assert summ["rows_excluded"]["unknown_outcome"] == 2
    assert summ["rows_in"] == summ["rows_included"] + sum(summ["rows_excluded"].values())
    assert summ["crimes_included"] == s["crimes"].sum()
    assert summ["harm_days_included"] == pytest.approx(s["chi_days"].sum())
    assert list(summ["rows_excluded"])[-1] == "unknown_outcome"


def test_unknown_outcomes_raise_naming_the_values():
    with pytest.raises(crimeharm.ColumnValueError, match="'99'") as info:
        crimeharm.series(_odd(), by="area", detected="outcome", unknown_outcome="raise", **HAND)
    assert info.value.column == "outcome"
    assert set(info.value.values) == {"99", "TBC"}


def test_detected_values_override_the_vocabulary():
    df = _hand()
    df.loc[1, "outcome"] = "22"
    base = crimeharm.series(df, by="area", detected="outcome", **HAND).set_index("area")
    over = crimeharm.series(
        df, by="area", detected="outcome", detected_values={"22": True, "Under investigation":
                                                            (True, False)}, **HAND
    ).set_index("area")  # fmt: skip
    assert base.loc["A", "detected_crimes"] == 1
    assert over.loc["A", "detected_crimes"] == 3
    assert over.loc["A", "pending_crimes"] == 1
    with pytest.raises(crimeharm.OptionError, match="detected_values"):
        crimeharm.series(df, detected="outcome", detected_values={"22": "yes"}, **HAND)


# --- bad input -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kw", "error", "needle"),
    [
        ({"detected": "solved"}, crimeharm.MissingColumnError, "solved"),
        ({"category": "colour"}, crimeharm.MissingColumnError, "colour"),
        ({"shape": "tall"}, crimeharm.OptionError, "shape"),
        ({"unknown_outcome": "ignore"}, crimeharm.OptionError, "unknown_outcome"),
        ({"outcomes": "x.csv"}, crimeharm.OptionError, "police-uk"),
        ({"detection": "guess", "detected": "outcome"}, crimeharm.OptionError, "detection"),
    ],
)
def test_bad_options(kw, error, needle):
    with pytest.raises(error, match=needle):
        crimeharm.series(_hand(), **kw)


def test_rates_from_a_population_and_a_missing_area():
    pop = pd.DataFrame({"area": ["A", "B"], "population": [2_000, 4_000]})
    s = crimeharm.series(_hand(), by="area", population=pop, per=1_000, **HAND)
    a = s.set_index("area").loc["A"]
    assert a["chi_days_per_1000"] == pytest.approx(a["chi_days"] / 2)
    assert a["crimes_per_1000"] == pytest.approx(a["crimes"] / 2)
    with pytest.raises(crimeharm.OptionError, match="'B'"):
        crimeharm.series(_hand(), by="area", population=pop.iloc[:1], **HAND)
    with pytest.warns(crimeharm.MissingPopulationWarning, match="'B'"):
        s = crimeharm.series(
            _hand(), by="area", population=pop.iloc[:1], missing_population="nan", **HAND
        )
    assert s.set_index("area")["chi_days_per_100000"].isna().loc["B"]


def test_complete_gives_every_cell():
    s = crimeharm.series(_hand(), by="area", period="month", complete=True, **HAND)
    n_months = s["period"].nunique()
    assert len(s.dropna(subset=["period"])) == 2 * n_months


# --- data.police.uk ------------------------------------------------------------------------
def test_police_uk_month_with_its_outcomes(reference_dir):
    street = reference_dir / "police-uk" / "2013-06-city-of-london-street.csv"
    outcomes = reference_dir / "police-uk" / "2013-06-city-of-london-outcomes.csv"
    s = crimeharm.series(street, format="police-uk", outcomes=outcomes, by="LSOA code",
                         period="month")  # fmt: skip
    join = s.attrs["crimeharm"]["outcomes"]
    # 346 outcomes recorded in June 2013; only 99 of the crimes they belong to are June's
    assert join["outcome_rows"] == 346
    assert join["outcome_rows_matched"] + join["outcome_rows_unmatched"] == 346
    street_ids = pd.read_csv(street)["Crime ID"].dropna()
    out_ids = pd.read_csv(outcomes)["Crime ID"]
    assert (
        join["outcome_crimes"] - join["outcome_crimes_unmatched"]
        == len(set(out_ids) & set(street_ids))
        == 99
    )
    assert join["street_crimes"] == len(street_ids) == 476
    assert 0 < join["final_outcome_share"] < 0.5  # most of the month's crimes are still open
    det = s.attrs["crimeharm"]["detection"]
    assert det["column"] == LATEST_OUTCOME
    assert det["unknown_values"] == {}
    assert s["hdf"].dropna().between(0, 1).all()
    summ = s.attrs["crimeharm"]["summary"]
    assert summ["rows_in"] == 574
    assert summ["rows_excluded"]["not_crime"] == 98  # anti-social behaviour
    total = s[["detected_chi_days", "chi_days"]].sum()
    assert 0 < total["detected_chi_days"] / total["chi_days"] < 1


def test_police_uk_street_file_alone_reads_its_last_outcome(reference_dir):
    street = reference_dir / "police-uk" / "2024-01-city-of-london-street.csv"
    s = crimeharm.series(street, format="police-uk", detected="Last outcome category")
    det = s.attrs["crimeharm"]["detection"]
    assert det["unknown_values"] == {}  # every 2024 text is in the vocabulary
    assert s["pending_crimes"].iloc[0] > 0  # 'Status update unavailable'


def test_police_uk_outcomes_latest_wins():
    street = pd.DataFrame(
        {"Crime ID": ["x", "y", "z", None], "Month": ["2024-01"] * 4, "LSOA code": ["L"] * 4,
         "Crime type": ["Burglary", "Robbery", "Burglary", "Anti-social behaviour"],
         "Last outcome category": ["Under investigation", "Under investigation",
                                   "Awaiting court outcome", None]}
    )  # fmt: skip
    outcomes = pd.DataFrame(
        {"Crime ID": ["x", "x", "y", "q"], "Month": ["2024-03", "2024-02", "2024-02", "2024-02"],
         "Outcome type": ["Offender fined", "Suspect charged",
                          "Investigation complete; no suspect identified", "Local resolution"]}
    )  # fmt: skip
    frame, report = crimeharm.join_outcomes(street, outcomes)
    assert frame[LATEST_OUTCOME].tolist()[:3] == [
        "Offender fined",
        "Investigation complete; no suspect identified",
        "Awaiting court outcome",  # no outcome in the files: the street file's last outcome
    ]
    assert pd.isna(frame[LATEST_OUTCOME].iloc[3])
    assert report["outcome_rows_unmatched"] == 1
    assert report["outcome_crimes_unmatched"] == 1
    assert report["crimes_with_final_outcome"] == 2
    assert report["street_crimes"] == 3


def test_outcomes_folder_without_files(tmp_path):
    street = pd.DataFrame({"Crime ID": ["x"], "Month": ["2024-01"], "Crime type": ["Burglary"]})
    with pytest.raises(crimeharm.InputFileError, match=r"outcomes\.csv"):
        crimeharm.join_outcomes(street, tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(crimeharm.MissingColumnError, match="Outcome type"):
            crimeharm.join_outcomes(street, pd.DataFrame({"Crime ID": ["x"], "Month": ["m"]}))


@pytest.mark.parametrize(
    "values",
    [
        np.zeros(6),
        np.array([0.0, -0.0, 0.0, -0.0, 0.0, 0.0]),
        np.array([0.0, 2.5, 0.0, 1.0, 0.0, 3.0]),
        np.array([0.0, np.nan, 0.0, 0.0, 0.0, 0.0]),
    ],
)
def test_cells_sum_matches_bincount(values: np.ndarray) -> None:
    """A sum over cells is the bincount's, bit for bit, whether or not it is skipped."""
    rank = np.array([2, 0, 2, 1, 0, 2], dtype=np.int64)
    cells = series_module._Cells([(rank, None, 3)])
    got = cells.sum(values)
    want = np.bincount(cells.inverse, weights=values, minlength=cells.n)
    np.testing.assert_array_equal(got, want)
    assert got.dtype == want.dtype
    assert np.signbit(got).tolist() == np.signbit(want).tolist()


def test_series_without_flags_or_outcomes_has_zero_series() -> None:
    """No company-detected flag, a yes/no column: cdchi_days and pending_crimes are 0 per cell."""
    df = _hand().assign(done=lambda d: [i % 2 == 0 for i in range(len(d))])
    s = crimeharm.series(df, by="area", detected="done")
    h = crimeharm.harm_index(df, by="area", excluded="columns")
    assert (s["pending_crimes"] == 0).all()
    np.testing.assert_array_equal(
        s["cdchi_days"].to_numpy(), h["excluded_harm_company_detected"].to_numpy(dtype=float)
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cells_sum_where_matches_where(seed: int) -> None:
    """sum_where through one scratch array is the sum of np.where's array, bit for bit."""
    rng = np.random.default_rng(seed)
    rank = rng.integers(0, 5, size=200)
    values = rng.normal(size=200) * 1e3
    values[rng.random(200) < 0.1] = -0.0
    scratch = np.full(200, np.nan)  # left over from an earlier series
    cells = series_module._Cells([(rank, None, 5)])
    for mask in (rng.random(200) < 0.5, np.zeros(200, bool), np.ones(200, bool)):
        want = np.bincount(cells.inverse, weights=np.where(mask, values, 0.0), minlength=cells.n)
        np.testing.assert_array_equal(cells.sum_where(mask, values, scratch), want)
