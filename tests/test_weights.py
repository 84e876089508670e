"""Tests of the shipped weights editions, lookups by code, and their published sources.

The figures are checked against what others published, read independently here:
the official 2020 sheet (read with pandas, not with crimeharm's importer) and
Table 1 of Sherman, Neyroud & Neyroud (2016), parsed from the paper's text.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import re
import subprocess
import sys
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from crimeharm import (
    CrimeHarmError,
    InputFileError,
    UnknownEditionError,
    WeightsValidationError,
    WeightTable,
    available_weights,
    edition_info,
    load_weights,
)
from crimeharm.weights.editions import EditionInfo, Manifest
from crimeharm.weights.police_generated import POLICE_GENERATED_RULES

ROOT = Path(__file__).resolve().parents[1]
SHEET_2020 = "CCHI 2020 values sheet"
EDITIONS = available_weights()["id"].tolist()


# --- fixtures: the published sources, read independently -----------------------------------


def _canonical_ho(text: str) -> str:
    """The sheet writes classifications ``008/01`` and once packed (``00200``)."""
    m = re.fullmatch(r"(\d{3})/?(\d{2})", text.strip())
    assert m, f"unexpected HO classification in the sheet: {text!r}"
    return f"{m.group(1)}/{m.group(2)}"


@pytest.fixture(scope="module")
def sheet(reference_dir) -> pd.DataFrame:
    """The official 2020 sheet, one row per offence, read with pandas alone."""
    path = reference_dir / "cchi" / "cchi-2020-official.xlsx"
    if not path.exists():
        pytest.skip(f"{path} not found")
    raw = pd.read_excel(path, sheet_name=SHEET_2020, dtype=object, keep_default_na=False)
    cjs_cols = [c for c in raw.columns if str(c).startswith(("CJS Codes", "Unnamed"))]
    return pd.DataFrame(
        {
            "urn": raw["ATHENA URN"].astype(str).str.strip(),
            "title": raw["FULL_OFFENCE_TITLE"].astype(str).str.strip(),
            "score": raw["CCHI Score"].astype(float),
            "ho": raw["HOME_OFFICE_CLASSIFICATION"].astype(str).map(_canonical_ho),
            "group": raw["GROUP"].astype(str).str.strip(),
            "notifiable": raw["NOTIFIABLE"].astype(str).str.strip(),
            "cjs": [
                [s for v in row if (s := str(v).strip()) and s != "N/A"]
                for row in raw[cjs_cols].itertuples(index=False)
            ],
        }
    )


@pytest.fixture(scope="module")
def w2020() -> WeightTable:
    return load_weights("cchi-2020")


# --- every shipped edition -----------------------------------------------------------------


@pytest.mark.parametrize("edition", EDITIONS)
def test_shipped_edition_is_valid(edition):
    info = edition_info(edition)
    data = resources.files("crimeharm.weights.data").joinpath(info.file).read_bytes()
    assert hashlib.sha256(data).hexdigest() == info.sha256
    data.decode("utf-8")  # UTF-8, as the manifest promises
    assert b"\r\n" not in data  # LF line ends: a change shows as a clean diff
    raw = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
    assert len(raw) == info.rows
    assert {"key", "days"} <= set(raw.columns)
    assert raw["key"].is_unique
    assert (raw["key"].str.strip() != "").all()
    days = pd.to_numeric(raw["days"], errors="raise").to_numpy(dtype=float)
    assert np.isfinite(days).all()
    assert (days >= 0).all()

    w = load_weights(edition)
    assert w.edition == edition
    assert w.sha256 == info.sha256
    assert w.scheme == info.scheme
    assert len(w) == info.rows
    assert w.table["days"].dtype == np.float64
    np.testing.assert_array_equal(w.table["days"].to_numpy(), days)
    assert w.provenance() == {"edition": edition, "edition_sha256": info.sha256, "scheme": w.scheme}
    assert set(info.code_systems) == set(w.code_systems)
    assert load_weights(edition) is w  # cached


def test_manifest_lists_every_shipped_file():
    folder = resources.files("crimeharm.weights.data")
    manifest = Manifest.model_validate(json.loads(folder.joinpath("manifest.json").read_text()))
    listed = {e.file for e in manifest.editions} | {m.file for m in manifest.mappings}
    shipped = {p.name for p in folder.iterdir() if p.name.endswith(".csv")}
    assert listed == shipped
    assert manifest.default in EDITIONS
    assert available_weights()["default"].sum() == 1
    for m in manifest.mappings:
        data = folder.joinpath(m.file).read_bytes()
        assert hashlib.sha256(data).hexdigest() == m.sha256
        assert len(pd.read_csv(io.BytesIO(data))) == m.rows


def _manifest_dict() -> dict:
    return json.loads(
        resources.files("crimeharm.weights.data").joinpath("manifest.json").read_text()
    )


def test_manifest_rejects_unknown_fields():
    good = _manifest_dict()
    Manifest.model_validate(good)

    top = {**good, "colour": "blue"}
    with pytest.raises(ValidationError, match="colour"):
        Manifest.model_validate(top)

    entry = {**good, "editions": [{**good["editions"][0], "licence_url": "x"}]}
    with pytest.raises(ValidationError, match="licence_url"):
        Manifest.model_validate(entry)

    bad_hash = {**good, "editions": [{**good["editions"][0], "sha256": "abc"}]}
    with pytest.raises(ValidationError, match="sha256"):
        Manifest.model_validate(bad_hash)

    missing = {k: v for k, v in good["editions"][0].items() if k != "citation"}
    with pytest.raises(ValidationError, match="citation"):
        EditionInfo.model_validate(missing)


def test_manifest_entries_are_frozen():
    info = edition_info("cchi-2020")
    with pytest.raises(ValidationError):
        info.rows = 1  # type: ignore[misc]


def test_every_edition_cites_its_source():
    for e in available_weights().itertuples(index=False):
        assert e.citation
        assert e.licence
        assert e.url.startswith("https://")
    assert "Copyright Cambridge Centre for Evidence based Policing 2020" in (
        edition_info("cchi-2020").licence
    )
    assert edition_info("ons-css").licence == "Open Government Licence v3.0"


def test_notice_file_is_shipped():
    text = (
        resources.files("crimeharm.weights.data").joinpath("NOTICE.md").read_text(encoding="utf-8")
    )
    assert "Copyright Cambridge Centre for Evidence based Policing 2020" in text
    assert "may be downloaded or copied from the spreadsheet" in text
    assert "doi:10.1093/police/paw003" in text
    assert "Open Government Licence v3.0" in text
    for e in available_weights().itertuples(index=False):
        assert e.file in text
        assert e.sha256 in text
    for m in Manifest.model_validate(
        json.loads(
            resources.files("crimeharm.weights.data").joinpath("manifest.json").read_text("utf-8")
        )
    ).mappings:
        assert m.file in text
        assert m.sha256 in text


# --- cchi-2020 equals the official sheet ---------------------------------------------------


def test_cchi_2020_equals_official_sheet(sheet, w2020):
    assert len(sheet) == 698
    assert sheet["urn"].is_unique
    t = w2020.table.set_index("key")
    assert set(t.index) == set(sheet["urn"])
    ours = t.loc[sheet["urn"]]
    np.testing.assert_array_equal(ours["days"].to_numpy(), sheet["score"].to_numpy())
    assert ours["ho_class"].tolist() == sheet["ho"].tolist()
    assert ours["title"].str.strip().tolist() == sheet["title"].tolist()
    # the sheet writes "N/A" where an offence has no CJS code; the table keeps the text,
    # which no lookup reads as a code
    ours_cjs = [[c for c in s.split() if c != "N/A"] for s in ours["cjs_codes"].fillna("")]
    assert ours_cjs == sheet["cjs"].tolist()


def test_ho_class_counts_match_the_domain_brief(sheet, w2020):
    scores = sheet.groupby("ho")["score"].nunique()
    assert len(scores) == 516
    assert int((scores > 1).sum()) == 11
    assert set(w2020.ambiguous_codes("ho_class").index) == set(scores[scores > 1].index)


def _written_forms(ho: str) -> dict[str, str]:
    c, s = (int(x) for x in ho.split("/"))
    return {"slash": f"{c}/{s}", "packed": f"{c:03d}{s:02d}", "dotted": f"{c}.{s:02d}"}


def test_lookup_non_ambiguous_ho_in_every_form(sheet, w2020):
    per_class = sheet.groupby("ho")["score"].agg(["nunique", "first"])
    plain = per_class[per_class["nunique"] == 1]
    assert len(plain) == 505
    for style in ("slash", "packed", "dotted"):
        forms = [_written_forms(ho)[style] for ho in plain.index]
        got = w2020.lookup(forms)
        bad = [(f, g, e) for f, g, e in zip(forms, got, plain["first"], strict=True) if g != e]
        assert not bad, f"{style} forms looked up wrongly (form, got, sheet): {bad[:5]}"
        np.testing.assert_array_equal(w2020.lookup(forms, code_system="ho_class"), plain["first"])
    res = w2020.resolve(list(plain.index))
    assert (res["status"] == "ok").all()
    assert not res["ambiguous"].any()
    assert res["rule"].isna().all()


# The documented base offence of each ambiguous classification (docs/weights.md):
# the first non-attempt row by classification, URN sub-sub-code, open-data code, sheet order.
EXPECTED_BASE = {
    "005/01": ("5D.5.1.0", 1460.0),  # wounding with intent; assault-police variants score 1825
    "008/01": ("8N.8.1.1", 547.5),  # GBH without intent (s20)
    "008/06": ("8N.8.6.0", 10.0),  # ABH; on police 182.5
    "019/08": ("19C.19.8.0", 1825.0),  # rape, 16 or over; several offenders 2555
    "028/03": ("28E.28.3.1", 19.0),  # burglary, dwelling; distraction burglary 365
    "067/01": ("67.67.1.1", 2.0),  # false written statements; perjury 182.5
    "069/05": ("69.69.5.0", 10.0),
    "079/05": ("79.79.5.0", 42.0),  # the attempt (79.79.5.0A) scores 126
    "099/99": ("99.99.99.18", 10.0),
    "125/12": ("9A.125.12.0", 1.0),
    "810/90": ("NN.810.90.0", 2.0),
}


def test_ambiguous_ho_default_rule_is_the_base_offence(sheet, w2020):
    by_urn = sheet.set_index("urn")
    for ho, (urn, days) in EXPECTED_BASE.items():
        # the documented base row is in the sheet, of that class, not an attempt, with that score
        assert by_urn.loc[urn, "ho"] == ho
        assert by_urn.loc[urn, "score"] == days
        assert not urn.endswith("A")
        assert not by_urn.loc[urn, "title"].lower().startswith("attempt")
        for form in _written_forms(ho).values():
            res = w2020.resolve([form]).iloc[0]
            assert (res["status"], res["canonical"], res["days"]) == ("ok", ho, days), form
            assert res["ambiguous"]
            assert res["rule"] == "base"
    amb = w2020.ambiguous_codes("ho_class")
    assert amb["base_key"].to_dict() == {k: v[0] for k, v in EXPECTED_BASE.items()}
    assert amb["base"].to_dict() == {k: v[1] for k, v in EXPECTED_BASE.items()}


def test_ambiguous_ho_alternatives_equal_the_sheet(sheet, w2020):
    rows = sheet[sheet["ho"].isin(EXPECTED_BASE)].groupby("ho")["score"]
    expected = {
        "min": rows.min().to_dict(),
        "max": rows.max().to_dict(),
        "median": rows.agg(lambda s: float(np.median(s.to_numpy()))).to_dict(),
    }
    codes = list(EXPECTED_BASE)
    for rule, want in expected.items():
        got = w2020.lookup(codes, ambiguity=rule)
        assert dict(zip(codes, got.tolist(), strict=True)) == want, rule
        assert w2020.ambiguous_codes()[rule].to_dict() == want
    # spot checks from the domain brief: 008/01 runs 19 to 912.5, 028/03 10 to 365
    assert (expected["min"]["008/01"], expected["max"]["008/01"]) == (19.0, 912.5)
    assert (expected["min"]["028/03"], expected["max"]["028/03"]) == (10.0, 365.0)
    assert w2020.lookup(["8/1"], ambiguity={"ho_class": "max"}).tolist() == [912.5]


def test_cjs_lookups(sheet, w2020):
    scores: dict[str, set[float]] = {}
    for codes, score in zip(sheet["cjs"], sheet["score"], strict=True):
        for c in codes:
            scores.setdefault(c, set()).add(score)
    plain = {c: next(iter(s)) for c, s in scores.items() if len(s) == 1}
    mixed = {c: s for c, s in scores.items() if len(s) > 1}
    assert len(plain) > 1500
    codes = list(plain)
    want = np.array(list(plain.values()))
    np.testing.assert_array_equal(w2020.lookup(codes), want)
    np.testing.assert_array_equal(w2020.lookup([c.lower() for c in codes]), want)
    np.testing.assert_array_equal(w2020.lookup(codes, code_system="cjs"), want)
    assert w2020.lookup(["OF61003", " of61003 ", "COML025"]).tolist() == [5475.0] * 3
    codes = list(mixed)
    assert set(w2020.index("cjs").query("ambiguous").index) == set(codes)
    assert w2020.lookup(codes, ambiguity="min").tolist() == [min(mixed[c]) for c in codes]
    assert w2020.lookup(codes, ambiguity="max").tolist() == [max(mixed[c]) for c in codes]
    assert all(d in mixed[c] for c, d in zip(codes, w2020.lookup(codes), strict=True))


def test_lookup_by_key_open_data_and_status(w2020):
    res = w2020.resolve(["8N.8.1.1", "8n", "28E", "34B", "8.1", "banana", "", None, "999/99"])
    assert res["system"].tolist() == [
        "key",
        "open_data",
        "open_data",
        "open_data",
        "open_data",
        "malformed",
        "missing",
        "missing",
        "ho_class",
    ]
    assert res["status"].tolist() == [
        "ok",
        "ok",
        "ok",
        "ok",
        "unknown",  # 8.1 is never guessed to be 008/01
        "malformed",
        "missing",
        "missing",
        "unknown",
    ]
    assert res["days"].iloc[0] == 547.5
    assert res["rule"].iloc[1] == "median"
    assert np.isnan(res["days"].iloc[4:]).all()
    # the doctest's figures, in a list with repeats (lookup factorises first)
    got = w2020.lookup(["001/01", "8/6", "00806", "34B", "xx", "8/6"])
    np.testing.assert_array_equal(got, [5475.0, 10.0, 10.0, 365.0, np.nan, 10.0])


def test_open_data_subcode_needs_code_system():
    ons = load_weights("ons-css")
    # by form "4.10" is HO 004/10, which ons-css does not carry ...
    assert ons.resolve(["4.10"], code_system="ho_class")["status"].tolist() == ["unknown"]
    assert load_weights("cchi-2020").resolve(["4.10"])["canonical"].tolist() == ["004/10"]
    # ... but auto reads a key of the table first, and ons-css is keyed by open-data code
    assert ons.resolve(["4.10"])["system"].tolist() == ["key"]
    got = ons.resolve(["4.10", "4.1"], code_system="open_data")
    assert got["status"].tolist() == ["ok", "ok"]
    days = ons.table.set_index("key")["days"]
    assert got["days"].tolist() == [days["4.10"], days["4.1"]]


def test_2016_beta_is_keyed_by_category():
    beta = load_weights("cchi-2016-beta")
    assert beta.code_systems == ("key",)
    assert beta.lookup(["homicide", "HOMICIDE", "fraud"]).tolist() == [5475.0, 5475.0, 20.0]
    with pytest.raises(CrimeHarmError, match="ho_class"):
        beta.index("ho_class")


# --- Table 1 of the 2016 paper -------------------------------------------------------------


def test_table1_rows_reproduced(table1, table1_keys):
    rows, _, _ = table1
    assert sorted(rows["key"]) == sorted(table1_keys.values())  # each category once
    keys = rows["key"].tolist()
    days = load_weights("cchi-2016-beta").lookup(keys)
    np.testing.assert_array_equal(days, rows["days"].to_numpy(dtype=float))
    harm = rows["count"].to_numpy() * days
    np.testing.assert_array_equal(harm, rows["total"].to_numpy(dtype=float))


def test_table1_printed_total_omits_fraud(table1):
    rows, printed_count, printed_total = table1
    keys = rows["key"].tolist()
    harm = rows["count"].to_numpy() * load_weights("cchi-2016-beta").lookup(keys)
    assert harm.sum() == 154_091_519  # the correct total of the 17 rows
    assert printed_total == 147_835_399
    assert printed_total != harm.sum()
    # The paper's printed grand total is the sum of the rows with the Fraud row
    # (312,806 x 20 = 6,256,120 days) left out: an addition error in the paper,
    # not a weight we get wrong. Its printed total *count* does include Fraud.
    fraud = np.asarray(keys) == "fraud"
    assert harm[~fraud].sum() == printed_total
    assert harm[fraud].sum() == 6_256_120
    assert rows["count"].sum() == printed_count == 5_151_767


# --- police_generated ----------------------------------------------------------------------

DRUG_CODES = {"92A", "92B", "92C", "92D", "92E"}
WEAPON_CODES = {"10A", "10B", "10C", "10D", "81", "90"}
TRAFFIC_CODES = {"802", "814"}


def test_police_generated_counts_cchi_2020(w2020):
    t = w2020.table
    assert t["police_generated_reason"].value_counts().to_dict() == {
        "non_notifiable": 118,
        "drugs": 74,
        "weapons": 33,
        "traffic": 7,
    }
    assert int(t["police_generated"].sum()) == 232
    assert (t["police_generated"] == t["police_generated_reason"].notna()).all()
    assert set(t["police_generated_reason"].dropna()) <= set(POLICE_GENERATED_RULES)


def test_police_generated_follows_the_rules_on_the_sheet(sheet, w2020):
    # the documented rules applied to the sheet's own columns, row by row
    open_data = sheet["urn"].str.split(".").map(lambda p: ".".join(p[:-3]))
    expected = np.select(
        [
            open_data.isin(DRUG_CODES) | (sheet["group"] == "DRUG OFFENCES"),
            open_data.isin(WEAPON_CODES) | (sheet["group"] == "POSSESSION OF WEAPONS"),
            sheet["notifiable"] == "Non-Notifiable",
            open_data.isin(TRAFFIC_CODES),
        ],
        ["drugs", "weapons", "non_notifiable", "traffic"],
        default="",
    )
    got = w2020.table.set_index("key").loc[sheet["urn"], "police_generated_reason"]
    assert got.fillna("").tolist() == expected.tolist()


@pytest.mark.parametrize("edition", ["cchi-2020", "ons-css"])
def test_every_drug_and_weapon_code_is_flagged(edition):
    t = load_weights(edition).table
    sel = t["open_data"].isin(DRUG_CODES | WEAPON_CODES | TRAFFIC_CODES)
    assert sel.sum() > 0
    assert t.loc[sel, "police_generated"].all()
    codes = sorted(set(t.loc[sel, "open_data"]))
    res = load_weights(edition).resolve(codes, code_system="open_data")
    assert res["police_generated"].all()


@pytest.mark.parametrize("edition", ["cchi-2020", "ons-css"])
def test_victim_based_offences_are_not_flagged(edition):
    w = load_weights(edition)
    victim = ["8N", "28E", "34B", "5D", "19C", "30C", "56A", "58A", "49", "46"]
    t = w.table
    assert not t.loc[t["open_data"].isin(victim), "police_generated"].any()
    res = w.resolve(victim, code_system="open_data")
    assert not res["police_generated"].any()
    if edition == "cchi-2020":
        # assaults on police and shop theft are not police-generated at offence level
        assert not t.loc[t["open_data"].isin(["8S", "46", "105A"]), "police_generated"].any()


def test_ons_police_generated_counts():
    t = load_weights("ons-css").table
    assert t["police_generated_reason"].value_counts().to_dict() == {
        "weapons": 6,
        "drugs": 4,
        "traffic": 2,
    }


# --- bad input -----------------------------------------------------------------------------


def test_unknown_edition_lists_the_available_ones():
    with pytest.raises(UnknownEditionError) as info:
        load_weights("cchi-2019")
    message = str(info.value)
    assert "'cchi-2019'" in message
    for edition in EDITIONS:
        assert edition in message
    assert isinstance(info.value, LookupError)
    assert isinstance(info.value, CrimeHarmError)


def _write(tmp_path: Path, text: str, name: str = "table.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "error", "needles"),
    [
        pytest.param(
            "key,days\na,1\nb,2\na,3\n",
            WeightsValidationError,
            ["duplicate", "'a'", "conflicting", "1.0", "3.0"],
            id="duplicate-conflicting",
        ),
        pytest.param(
            "key,days\na,1\na,1\n", WeightsValidationError, ["duplicate", "'a'"], id="duplicate"
        ),
        pytest.param(
            "key,days\na,1\nb,-2\n",
            WeightsValidationError,
            ["row 2", "'b'", "-2", ">= 0"],
            id="negative",
        ),
        pytest.param(
            "key,days\na,1\nb,two\n",
            WeightsValidationError,
            ["row 2", "'b'", "'two'"],
            id="non-numeric",
        ),
        pytest.param(
            "key,days\na,inf\n", WeightsValidationError, ["row 1", "'a'", "inf"], id="infinite"
        ),
        pytest.param("key,days\na,1\nb,\n", WeightsValidationError, ["row 2", "'b'"], id="blank"),
        pytest.param(
            "key,days\na,1\n,2\n", WeightsValidationError, ["row 2", "empty 'key'"], id="no-key"
        ),
        pytest.param(
            "key,score\na,1\n",
            WeightsValidationError,
            ["missing column", "'days'", "'score'"],
            id="missing-column",
        ),
        pytest.param(
            "key;days\na;1\n", WeightsValidationError, ["missing column", "key;days"], id="sep"
        ),
        pytest.param(
            "key,days,ho_class\na,1,8.1\n",
            WeightsValidationError,
            ["row 1", "ho_class", "'8.1'"],
            id="bad-ho-class",
        ),
        pytest.param(
            "key,days,police_generated\na,1,maybe\n",
            WeightsValidationError,
            ["police_generated", "'maybe'"],
            id="bad-flag",
        ),
        pytest.param("", InputFileError, ["not a readable CSV"], id="empty-file"),
        pytest.param(
            "key,days\na,1\nb,2,3,4\n", InputFileError, ["not a readable CSV"], id="ragged"
        ),
    ],
)
def test_from_csv_rejects_bad_tables(tmp_path, text, error, needles):
    path = _write(tmp_path, text)
    with pytest.raises(error) as info:
        WeightTable.from_csv(path)
    message = str(info.value)
    assert str(path) in message
    for needle in needles:
        assert needle in message, (needle, message)
    assert isinstance(info.value, CrimeHarmError)


def test_from_csv_missing_file(tmp_path):
    path = tmp_path / "nowhere.csv"
    with pytest.raises(InputFileError, match=re.escape(str(path))):
        WeightTable.from_csv(path)


def test_from_csv_binary_file(tmp_path):
    path = tmp_path / "sheet.csv"
    path.write_bytes(b"PK\x03\x04\x82\xff\x00binary")
    with pytest.raises(InputFileError, match="not a readable CSV"):
        WeightTable.from_csv(path)


def test_from_csv_header_only(tmp_path):
    with pytest.raises(CrimeHarmError):
        WeightTable.from_csv(_write(tmp_path, "key,days\n"))


def test_from_csv_rows_wider_than_header(tmp_path):
    with pytest.raises(CrimeHarmError):
        WeightTable.from_csv(_write(tmp_path, "key,days\na,1,2\nb,3,4\n"))


def test_from_csv_good_table(tmp_path):
    text = "key,days,ho_class,title\n a ,547.5,8/1,GBH\nb,0.3,00806,ABH\n"
    w = WeightTable.from_csv(_write(tmp_path, text, "mine.csv"))
    assert w.edition == "mine"
    assert w.sha256 == hashlib.sha256(text.encode()).hexdigest()
    assert w.table["key"].tolist() == ["a", "b"]
    assert w.lookup(["008/01", "8.06", "A"]).tolist() == [547.5, 0.3, 547.5]
    assert not w.table["police_generated"].any()
    assert WeightTable.from_csv(tmp_path / "mine.csv", edition="x").edition == "x"


# --- importing crimeharm reads no file -----------------------------------------------------

_NO_IO_AT_IMPORT = r"""
import builtins, io, pathlib

touched = []

def spy(fn):
    def wrapper(*args, **kwargs):
        touched.append(str(args[0]) if args else "")
        return fn(*args, **kwargs)
    return wrapper

builtins.open = spy(builtins.open)
io.open = spy(io.open)
for name in ("open", "read_bytes", "read_text"):
    setattr(pathlib.Path, name, spy(getattr(pathlib.Path, name)))

import crimeharm
import crimeharm.cli
import crimeharm.cli.weights
from crimeharm.weights import editions

hits = [p for p in touched if "crimeharm/weights/" in p.replace("\\", "/")]
assert not hits, hits
assert editions._load.cache_info().currsize == 0
assert editions._manifest.cache_info().currsize == 0

crimeharm.load_weights()  # the spies do see a real read
assert any(p.endswith("manifest.json") for p in touched), touched
assert any(p.endswith("cchi-2020.csv") for p in touched), touched
assert editions._load.cache_info().currsize == 1
print("ok")
"""


def test_import_reads_no_file():
    env = {"PYTHONPATH": str(ROOT / "src"), "PATH": ""}
    proc = subprocess.run(
        [sys.executable, "-c", _NO_IO_AT_IMPORT],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"


# --- docs/weights.md cannot go stale -------------------------------------------------------


def _docs_script():
    path = ROOT / "scripts" / "docs_weights_table.py"
    spec = importlib.util.spec_from_file_location("docs_weights_table", path)
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_docs_weights_blocks_are_current():
    script = _docs_script()
    doc = (ROOT / "docs" / "weights.md").read_text(encoding="utf-8")
    assert script.render(doc) == doc, "run: python scripts/docs_weights_table.py"
    for name in script.BLOCKS:
        assert f"<!-- {name}:start -->" in doc
    for e in available_weights().itertuples(index=False):
        assert e.sha256 in doc
    for ho, (urn, days) in EXPECTED_BASE.items():
        assert f"| `{ho}` |" in doc
        assert f"`{urn}` " in doc
        assert f" | {days:.10g} | `{urn}` " in doc


def test_readme_editions_table_is_current():
    script = _docs_script()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert script.render(readme, blocks=("editions",)) == readme, (
        "run: python scripts/docs_weights_table.py"
    )
    for e in available_weights().itertuples(index=False):
        assert e.sha256 in readme


def test_docs_script_rejects_missing_markers():
    with pytest.raises(ValueError, match="editions:start"):
        _docs_script().render("no markers here")
