"""Tests of the crosswalk of retired Home Office codes and of data.police.uk's other names."""

from __future__ import annotations

import hashlib
import importlib.util
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import crimeharm
from crimeharm.errors import OptionError, UnknownCodeWarning
from crimeharm.scoring.summary import Summary
from crimeharm.weights import crosswalk as cw
from crimeharm.weights.crosswalk import crosswalk_table, follow
from crimeharm.weights.editions import load_mapping, load_weights
from crimeharm.weights.police_uk import ANTI_SOCIAL_BEHAVIOUR, police_uk_options, police_uk_weights

ROOT = Path(__file__).resolve().parents[1]
W = load_weights("cchi-2020")
ONS = load_weights("ons-css")
RETIRED = ["28A", "28B", "28C", "28D", "29", "30A", "30B", "31"]


def _build_script():
    spec = importlib.util.spec_from_file_location(
        "build_weights", ROOT / "scripts" / "build_weights.py"
    )
    module = importlib.util.module_from_spec(spec)
    # the script puts the checkout's src/ first on sys.path (to run from a checkout); put the
    # path back, or processes started later (the Dask workers) import crimeharm from src/
    saved = list(sys.path)
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path[:] = saved
    return module


def _summary(out: pd.DataFrame) -> Summary:
    return Summary.from_dict(out.attrs["crimeharm"]["summary"])


# --- the shipped table ------------------------------------------------------------------------


def test_every_row_is_sourced_and_dated():
    t = crosswalk_table()
    assert list(t.columns) == list(cw.COLUMNS)
    assert (t["source"].str.len() > 20).all()
    assert set(t["relation"]) == {"replaced", "split", "alias"}
    retired = t[t["relation"] != "alias"]
    assert (retired["retired"] == "2017-04-01").all()
    assert (t.loc[t["relation"] == "alias", "retired"] == "").all()
    assert sorted(retired["old_code"].unique()) == sorted(RETIRED)
    # one primary successor per old code; a split lists its others, not primary
    primaries = t[t["primary"]].groupby("old_code").size()
    assert (primaries == 1).all()
    assert set(primaries.index) == set(t["old_code"])
    splits = t[t["relation"] == "split"].groupby("old_code")["primary"].agg(["sum", "size"])
    assert (splits["sum"] == 1).all()
    assert (splits["size"] > 1).all()


def test_the_split_rule_is_what_ons_scores():
    """The primary successor of a retired code is the one whose ONS severity weight it carries.

    ``ons-css`` carries the old codes and the new ones, each with its own weight: the
    documented rule holds when every old code's weight is its primary successor's and
    differs from every other successor's.
    """
    t = crosswalk_table()
    t = t[t["relation"] != "alias"]
    old = ONS.lookup(t["old_code"], code_system="open_data", crosswalk=False)
    new = ONS.lookup(t["new_code"], code_system="open_data", crosswalk=False)
    assert not np.isnan(old).any()
    assert not np.isnan(new).any()
    assert (old[t["primary"].to_numpy()] == new[t["primary"].to_numpy()]).all()
    assert (old[~t["primary"].to_numpy()] != new[~t["primary"].to_numpy()]).all()


def test_the_build_script_writes_the_shipped_files(reference_dir):
    build = _build_script()
    table = build.build_crosswalk(reference_dir, W.table)
    shipped = crimeharm.weights.shipped.read_manifest()
    entry = {m.id: m for m in shipped.mappings}
    data = table.to_csv(index=False, lineterminator="\n").encode()
    assert hashlib.sha256(data).hexdigest() == entry["home-office-code-crosswalk"].sha256
    names = build.build_police_uk_names(load_mapping("police-uk-categories"))
    data = names.to_csv(index=False, lineterminator="\n").encode()
    assert hashlib.sha256(data).hexdigest() == entry["police-uk-crime-types"].sha256


# --- resolving ------------------------------------------------------------------------------


def test_retired_codes_are_scored_as_their_successors():
    t = crosswalk_table()
    res = W.resolve([*RETIRED, "31A"], code_system="auto")
    assert (res["status"] == "ok").all()
    assert res["crosswalk"].tolist() == [
        "28A->28E",
        "28B->28F",
        "28C->28G",
        "28D->28H",
        "29->29A",
        "30A->30C",
        "30B->30D",
        "31->31A->30E",
        "31A->30E",
    ]
    final = [p.rsplit("->", 1)[1] for p in res["crosswalk"]]
    np.testing.assert_array_equal(
        res["days"].to_numpy(), W.lookup(final, code_system="open_data", crosswalk=False)
    )
    # a split is scored by its primary successor (30A: 30C, not 28E)
    primary = t[(t["old_code"] == "30A") & t["primary"]]["new_code"].item()
    other = t[(t["old_code"] == "30A") & ~t["primary"]]["new_code"].item()
    assert (primary, other) == ("30C", "28E")
    assert W.lookup(["30A"])[0] == W.lookup(["30C"])[0] != W.lookup(["28E"])[0]


def test_the_ambiguity_rule_applies_to_the_successor():
    for rule in ("median", "min", "max"):
        got = W.lookup(["28A", "28E"], code_system="open_data", ambiguity=rule)
        assert got[0] == got[1]
    assert W.lookup(["28A"], ambiguity="min")[0] < W.lookup(["28A"], ambiguity="max")[0]


def test_a_code_the_edition_carries_is_never_crosswalked():
    res = ONS.resolve(RETIRED, code_system="open_data")
    assert res["crosswalk"].isna().all()
    own = ONS.table.set_index("key")["days"]
    assert res["days"].tolist() == own[RETIRED].tolist()
    # and a current code in cchi-2020 is read as written
    assert W.resolve(["28E", "8N"])["crosswalk"].isna().all()


def test_crosswalk_off_leaves_them_unknown():
    res = W.resolve(RETIRED, crosswalk=False)
    assert (res["status"] == "unknown").all()
    assert np.isnan(W.lookup(RETIRED, crosswalk=False)).all()


def test_follow_stops_on_a_cycle_and_on_a_dead_end(monkeypatch):
    monkeypatch.setattr(cw, "_successor", lambda system: {"1X": "2X", "2X": "1X", "3X": "4X"})
    got = follow(
        np.array(["1X", "3X", "5X"], dtype=object), system="open_data", carried=pd.Index(["9X"])
    )
    assert got.tolist() == [None, None, None]


# --- scoring ----------------------------------------------------------------------------------


def _records() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "offence_code": ["28A", "28A", "30A", "31", "28E", "92A", "77Z"],
            "n": [3, 1, 2, 1, 5, 1, 1],
        }
    )


def test_score_counts_records_read_through_the_crosswalk():
    frame = _records()
    with pytest.warns(UnknownCodeWarning):
        out = crimeharm.harm_index(frame, count="n")
    s = _summary(out)
    assert dict(s.crosswalked_codes) == {"28A->28E": 2, "30A->30C": 1, "31->31A->30E": 1}
    assert s.rows_excluded["unknown_code"] == 1  # only '77Z'
    days = W.lookup(["28E", "28E", "30C", "30E", "28E"])
    assert s.harm_included == pytest.approx((days * np.array([3, 1, 2, 1, 5])).sum())
    text = s.to_text()
    assert "retired codes, scored by their successors: 28A->28E (2)" in text
    again = Summary.from_dict(s.as_dict())
    assert again.crosswalked_codes == s.crosswalked_codes
    assert again.to_text() == text


def test_score_and_area_harm_take_the_option():
    frame = _records().assign(area="A", date="2024-01-01")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownCodeWarning)
        scored = crimeharm.score(frame, count="n", crosswalk=False)
        on = crimeharm.score(frame, count="n")
    assert scored["excluded"].tolist()[:4] == ["unknown_code"] * 4
    assert on["excluded"].isna().tolist()[:4] == [True] * 4
    s = _summary(scored)
    assert not s.crosswalked_codes
    assert "retired codes" not in s.to_text()
    with pytest.raises(OptionError, match="crosswalk='yes'"):
        crimeharm.harm_index(frame, crosswalk="yes")


def test_a_summary_without_the_field_is_read():
    s = _summary(crimeharm.harm_index(pd.DataFrame({"offence_code": ["8N"]})))
    data = s.as_dict()
    del data["crosswalked_codes"]
    assert Summary.from_dict(data).crosswalked_codes == {}


def test_home_office_reference_table_has_no_unknown_retired_codes(reference_dir):
    """The shipped Home Office CSP table (2012-2015, old burglary codes) is scored whole."""
    path = reference_dir / "home-office" / "csp-recorded-crime-2012-2015-subset.csv"
    if not path.exists():
        pytest.skip(f"{path} not found")
    raw = pd.read_csv(path, dtype={"Offence Code": str})
    opts = {"code": "Offence Code", "count": "Number of Offences"}
    with pytest.warns(UnknownCodeWarning):
        before = _summary(crimeharm.harm_index(path, **opts, crosswalk=False))
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnknownCodeWarning)
        after = _summary(crimeharm.harm_index(path, **opts))
    retired = raw["Offence Code"].isin(RETIRED)
    assert set(before.unknown_codes) == set(raw.loc[retired, "Offence Code"])
    assert before.rows_excluded["unknown_code"] == retired.sum()
    assert "unknown_code" not in after.rows_excluded
    assert after.unknown_codes == {}
    # every retired record is counted once under its path
    per_code = raw.loc[retired, "Offence Code"].value_counts()
    assert {k.split("->")[0]: v for k, v in after.crosswalked_codes.items()} == per_code.to_dict()
    # the harm is an independent sum over the records with a valid count
    ok = raw["Number of Offences"] >= 0
    successor = {k.split("->")[0]: k.split("->")[-1] for k in after.crosswalked_codes}
    code = raw["Offence Code"].map(lambda c: successor.get(c, c))
    days = W.lookup(code, code_system="open_data", crosswalk=False)
    expected = (days * raw["Number of Offences"])[ok].sum()
    assert after.harm_included == pytest.approx(expected)
    assert after.crimes_included == raw.loc[ok, "Number of Offences"].sum()


# --- data.police.uk names -------------------------------------------------------------------


P = police_uk_weights()
PROXY = P.table.set_index("key")


def test_api_slugs_have_the_proxies_of_their_types():
    names = load_mapping("police-uk-crime-types")
    for name, types in zip(names["name"], names["crime_types"], strict=True):
        stands_for = types.split("; ")
        if len(stands_for) == 1:
            got = P.lookup([name, stands_for[0]], code_system="key")
            assert got[0] == got[1], name
    slugs = ["violent-crime", "criminal-damage-arson", "theft-from-the-person", "public-order"]
    types = ["Violence and sexual offences", "Criminal damage and arson", "Theft from the person"]
    np.testing.assert_array_equal(P.lookup(slugs[:3]), PROXY.loc[types, "days"].to_numpy())
    assert P.lookup(["Violent crime"])[0] == PROXY.loc["Violence and sexual offences", "days"]


def test_anti_social_behaviour_as_a_slug_is_not_crime():
    res = P.resolve(["anti-social-behaviour", ANTI_SOCIAL_BEHAVIOUR], code_system="key")
    assert (res["status"] == "ok").all()
    assert res["not_crime"].all()
    frame = pd.DataFrame(
        {"Crime type": ["anti-social-behaviour", "burglary", "drugs", "all-crime"]}
    )
    with pytest.warns(UnknownCodeWarning, match="all-crime"):
        out = crimeharm.harm_index(frame, **{**police_uk_options(), "date": None})
    s = _summary(out)
    assert s.rows_excluded["not_crime"] == 1
    assert s.rows_excluded["police_generated"] == 1  # drugs, as a slug
    assert s.rows_excluded["unknown_code"] == 1  # 'all-crime' is a query, not a crime type
    assert s.harm_included == PROXY.loc["Burglary", "days"]


def test_public_disorder_and_weapons_is_proxied_over_both_types():
    mapping = load_mapping("police-uk-categories")
    mapping = mapping[mapping["police_uk_category"].isin(["Public Order", "Possession of Weapons"])]
    days = W.lookup(mapping["open_data"], code_system="open_data", crosswalk=False)
    days = days[~np.isnan(days)]
    for name in ("Public disorder and weapons", "public-disorder-weapons"):
        row = PROXY.loc[name]
        assert row["days"] == np.median(days)
        assert row["n_codes"] == len(days)
        assert not row["police_generated"]  # public-order offences have victims
        assert row["alias_of"] == "Public order; Possession of weapons"


def test_the_2013_street_file_has_no_unknown_types(reference_dir):
    path = reference_dir / "police-uk" / "2013-06-city-of-london-street.csv"
    if not path.exists():
        pytest.skip(f"{path} not found")
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnknownCodeWarning)
        out = crimeharm.harm_index(path, by="LSOA code", **police_uk_options())
    s = _summary(out)
    assert "unknown_code" not in s.rows_excluded
    raw = pd.read_csv(path, dtype=str)
    assert s.rows_excluded["not_crime"] == (raw["Crime type"] == ANTI_SOCIAL_BEHAVIOUR).sum()
