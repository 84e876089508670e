"""Scoring real, published inputs (``../shared``), with expected figures computed independently.

* Home Office recorded crime by Community Safety Partnership and open-data offence
  code, 2012-2015 (a subset): counts with negative quarterly cancellations.
* A data.police.uk street-level month (City of London, January 2024), scored with
  the per-crime-type proxy weights.
* Table 1 of Sherman, Neyroud & Neyroud (2016), re-computed through ``harm_index``.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import crimeharm
from crimeharm import UnknownCodeWarning, load_weights
from crimeharm.weights.police_uk import ANTI_SOCIAL_BEHAVIOUR, police_uk_options, police_uk_weights

ROOT = Path(__file__).resolve().parents[1]
W = load_weights()

# --- Home Office counts by CSP ------------------------------------------------------------------

HO_OPTIONS = {
    "code": "Offence Code",
    "count": "Number of Offences",
    "by": "CSP Name",
    "code_system": "open_data",
    "crosswalk": False,  # these tests follow the unknown codes; tests/test_crosswalk.py the rest
}
# burglary codes retired in 2017 (cchi-2020 has their successors 28E-28H, 30C, 30D)
OLD_BURGLARY = {"28A", "28B", "28C", "28D", "29", "30A", "30B", "31"}


@pytest.fixture(scope="module")
def ho_path(reference_dir) -> Path:
    path = reference_dir / "home-office" / "csp-recorded-crime-2012-2015-subset.csv"
    if not path.exists():
        pytest.skip(f"{path} not found")
    return path


@pytest.fixture(scope="module")
def ho_raw(ho_path) -> pd.DataFrame:
    raw = pd.read_csv(ho_path, dtype=str, keep_default_na=False)
    raw["n"] = pd.to_numeric(raw["Number of Offences"])
    return raw


@pytest.fixture(scope="module")
def ho_index(ho_path):
    with pytest.warns(UnknownCodeWarning) as record:
        out = crimeharm.harm_index(ho_path, **HO_OPTIONS)
    assert len(record) == 1
    return out, str(record[0].message)


@pytest.fixture(scope="module")
def ho_index_allow(ho_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownCodeWarning)
        return crimeharm.harm_index(ho_path, negative_counts="allow", **HO_OPTIONS)


def test_home_office_one_row_per_csp(ho_index, ho_raw):
    out, _ = ho_index
    assert len(out) == ho_raw["CSP Name"].nunique() > 1
    assert sorted(out["CSP Name"].astype(str)) == sorted(ho_raw["CSP Name"].unique())


def test_home_office_unknown_codes_are_the_retired_burglary_codes(ho_index, ho_raw):
    out, message = ho_index
    known = set(W.index("open_data").index)
    absent = set(ho_raw["Offence Code"]) - known
    assert absent == OLD_BURGLARY
    s = out.attrs["crimeharm"]["summary"]
    n_absent = int(ho_raw["Offence Code"].isin(absent).sum())
    assert s["rows_excluded"]["unknown_code"] == n_absent
    assert {code for code, _ in s["unknown_codes_top"]} == absent
    assert f"{n_absent:,} record(s)" in message
    assert s["rows_in"] == len(ho_raw)
    assert s["rows_in"] == s["rows_included"] + sum(s["rows_excluded"].values())


def test_home_office_included_harm_equals_a_hand_computation(ho_index, ho_raw):
    out, _ = ho_index
    days = W.lookup(ho_raw["Offence Code"], code_system="open_data", crosswalk=False)
    flagged = (
        W.index("open_data")["police_generated"]
        .reindex(ho_raw["Offence Code"])
        .fillna(value=False)
        .to_numpy(dtype=bool)
    )
    counted = ~np.isnan(days) & (ho_raw["n"].to_numpy() >= 0) & ~flagged
    harm = (ho_raw["n"].to_numpy()[counted] * days[counted]).sum()
    assert out["harm_days"].sum() == pytest.approx(harm, rel=1e-12)
    assert out["crimes"].sum() == ho_raw["n"].to_numpy()[counted].sum()
    # and per CSP
    per_csp = (
        pd.Series(ho_raw["n"].to_numpy()[counted] * days[counted])
        .groupby(ho_raw["CSP Name"].to_numpy()[counted])
        .sum()
    )
    got = out.set_index(out["CSP Name"].astype(str))["harm_days"]
    pd.testing.assert_series_equal(
        got.reindex(per_csp.index), per_csp, check_names=False, check_index_type=False
    )


def test_home_office_negative_counts(ho_index, ho_index_allow, ho_raw):
    out, _ = ho_index
    known = ~np.isnan(W.lookup(ho_raw["Offence Code"], code_system="open_data", crosswalk=False))
    negative = known & (ho_raw["n"].to_numpy() < 0)
    # quarterly cancellations: negative counts on codes cchi-2020 carries
    assert negative.sum() > 0
    s = out.attrs["crimeharm"]["summary"]
    assert s["rows_excluded"]["invalid_count"] == negative.sum()
    allowed = ho_index_allow.attrs["crimeharm"]["summary"]
    assert "invalid_count" not in allowed["rows_excluded"]
    difference = ho_index_allow["crimes"].sum() - out["crimes"].sum()
    assert difference == ho_raw["n"].to_numpy()[negative].sum() < 0
    days = W.lookup(ho_raw["Offence Code"][negative], code_system="open_data", crosswalk=False)
    harm_difference = ho_index_allow["harm_days"].sum() - out["harm_days"].sum()
    assert harm_difference == pytest.approx((ho_raw["n"].to_numpy()[negative] * days).sum())


# --- data.police.uk -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def police_uk_path(reference_dir) -> Path:
    path = reference_dir / "police-uk" / "2024-01-city-of-london-street.csv"
    if not path.exists():
        pytest.skip(f"{path} not found")
    return path


def test_police_uk_street_file(police_uk_path):
    raw = pd.read_csv(police_uk_path, dtype=str, keep_default_na=False)
    assert len(raw) > 0
    options = police_uk_options()
    out = crimeharm.harm_index(police_uk_path, by="LSOA code", **options)
    scored = crimeharm.score(police_uk_path, **options)
    s = out.attrs["crimeharm"]["summary"]
    assert s["rows_in"] == len(raw) == s["rows_included"] + sum(s["rows_excluded"].values())
    types = raw["Crime type"]
    n_asb = int((types == "Anti-social behaviour").sum())
    assert n_asb == (raw["Crime ID"] == "").sum() > 0  # ASB has no Crime ID
    assert s["rows_excluded"]["not_crime"] == n_asb
    n_generated = int(types.isin(["Drugs", "Possession of weapons"]).sum())
    assert s["rows_excluded"]["police_generated"] == n_generated
    assert set(s["rows_excluded"]) == {"not_crime", "police_generated"}
    assert out["excluded_not_crime"].sum() == n_asb
    # labelled as a proxy
    assert out.attrs["crimeharm"]["edition"] == "cchi-2020+police-uk-proxy"
    assert out.attrs["crimeharm"]["scheme"] == "cchi-proxy"
    assert out.attrs["crimeharm"]["edition_sha256"] == W.sha256
    # every other crime type scored with its proxy
    proxy = police_uk_weights().table.set_index("key")["days"]
    other = ~types.isin(["Anti-social behaviour", "Drugs", "Possession of weapons"])
    assert scored["excluded"].isna().to_numpy().tolist() == other.tolist()
    np.testing.assert_array_equal(
        scored["days"].to_numpy()[other.to_numpy()], proxy.reindex(types[other]).to_numpy()
    )
    harm = proxy.reindex(types[other]).sum()
    assert out["harm_days"].sum() == pytest.approx(harm)
    assert out["crimes"].sum() == other.sum()
    # records without an LSOA (blank in the file) make one area of their own, labelled
    lsoa = raw["LSOA code"].replace("", crimeharm.BLANK_AREA)
    per_lsoa = proxy.reindex(types[other]).groupby(lsoa[other].to_numpy()).sum()
    got = out.set_index(out["LSOA code"].astype(str))
    assert out["LSOA code"].iloc[-1] == crimeharm.BLANK_AREA  # last
    blank = out.attrs["crimeharm"]["summary"]["blank_areas"]["LSOA code"]
    assert blank["harm_days"] == pytest.approx(per_lsoa[crimeharm.BLANK_AREA])
    got = got["harm_days"][lambda h: h.index.isin(per_lsoa.index)]
    assert len(out) == lsoa.nunique()
    pd.testing.assert_series_equal(
        got.sort_index(), per_lsoa.sort_index(), check_names=False, check_index_type=False
    )
    assert ANTI_SOCIAL_BEHAVIOUR in proxy.index


def test_police_uk_by_month(police_uk_path):
    out = crimeharm.harm_index(police_uk_path, period="month", **police_uk_options())
    assert out["period"].astype(str).tolist() == ["2024-01"]


# --- Table 1 of the 2016 paper --------------------------------------------------------------------


def test_table1_through_harm_index(table1, table1_keys):
    frame, total_count, printed_total = table1
    assert sorted(frame["key"]) == sorted(table1_keys.values())  # each category once
    out = crimeharm.harm_index(
        frame[["key", "count"]],
        weights="cchi-2016-beta",
        code="key",
        code_system="key",
        count="count",
        by="key",
    )
    assert out.attrs["crimeharm"]["summary"]["rows_excluded"] == {}
    got = out.set_index(out["key"].astype(str))
    for row in frame.itertuples(index=False):
        assert got.loc[row.key, "harm_days"] == row.total, row.key
        assert got.loc[row.key, "crimes"] == row.count
        assert row.count * row.days == row.total  # the printed row is itself consistent
    assert frame["count"].sum() == total_count
    grand = out["harm_days"].sum()
    assert grand == frame["total"].sum() == 154_091_519
    # The printed total, 147,835,399, is wrong: it leaves out the Fraud row (312,806 crimes x
    # 20 days = 6,256,120 days), although the printed count total (5,151,767) includes them.
    fraud = frame.loc[frame["key"] == "fraud", "total"].item()
    assert printed_total == 147_835_399
    assert grand - printed_total == fraud == 6_256_120
