"""Tests of crimeharm.weights.sheets.read: importing official CCHI values spreadsheets."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pandas as pd
import pytest

openpyxl = pytest.importorskip("openpyxl")

from crimeharm.errors import CrimeHarmError, InputFileError, SheetFormatError  # noqa: E402
from crimeharm.weights.codes import canonical_open_data, open_data_from_urn  # noqa: E402
from crimeharm.weights.editions import load_weights  # noqa: E402
from crimeharm.weights.sheets.importer import import_sheet  # noqa: E402
from crimeharm.weights.sheets.read import (  # noqa: E402
    CchiSheet,
    OptionalDependencyError,
    read_cchi_sheet,
    read_sheet,
    values_sheet_name,
)

SHARED = Path(__file__).resolve().parents[2] / "shared"
REFERENCE = SHARED / "reference" / "cchi" / "cchi-2020-official.xlsx"
SHEET_2020 = "CCHI 2020 values sheet"
SHIFTED_KEY = "NN.111.5.0"  # dogs worrying livestock: cells shifted one column right


@pytest.fixture(scope="module")
def cchi2020() -> CchiSheet:
    if not REFERENCE.exists():
        pytest.skip(f"2020 reference sheet not found at {REFERENCE}")
    return read_sheet(REFERENCE)


@pytest.fixture(scope="module")
def raw2020() -> pd.DataFrame:
    """The 2020 sheet read independently by pandas, header on row 1."""
    if not REFERENCE.exists():
        pytest.skip(f"2020 reference sheet not found at {REFERENCE}")
    return pd.read_excel(REFERENCE, sheet_name=SHEET_2020, header=0, dtype=object)


# --- the official 2020 sheet ---------------------------------------------------------------


def test_2020_shape_and_identity(cchi2020):
    v = cchi2020.values
    assert len(v) == 698
    assert v["key"].is_unique
    assert v["key"].notna().all()
    assert cchi2020.sheet_name == SHEET_2020
    assert cchi2020.edition_year == 2020
    assert re.fullmatch(r"[0-9a-f]{64}", cchi2020.sha256)
    assert v["days"].dtype == "float64"
    assert (v["days"] >= 0).all()
    assert "Copyright" in cchi2020.cover_text
    assert cchi2020.extra_sheets == {}
    assert list(v.columns[:4]) == ["key", "title", "short_title", "days"]


def test_2020_days_match_pandas_row_by_row(cchi2020, raw2020):
    raw = raw2020.dropna(how="all")
    assert len(raw) == len(cchi2020.values)
    for (_, ours), (i, theirs) in zip(cchi2020.values.iterrows(), raw.iterrows(), strict=True):
        assert ours["sheet_row"] == i + 2
        assert ours["key"] == str(theirs["ATHENA URN"]).strip()
        assert ours["days"] == float(theirs["CCHI Score"]), ours["key"]


def test_2020_shifted_row_repaired(cchi2020):
    assert len(cchi2020.repairs) == 1
    rep = cchi2020.repairs.iloc[0]
    assert rep["key"] == SHIFTED_KEY
    assert rep["sheet_row"] == 656
    row = cchi2020.values.set_index("key").loc[SHIFTED_KEY]
    assert row["starting_point"] == "Band A fine"
    assert row["maximum_sentence"] == "6 months"
    assert row["source_url"].startswith("https://www.sentencingcouncil.org.uk/")
    assert row["group"] == "NON-NOTIFIABLE"
    assert row["sub_group"] == "NON-NOTIFIABLE"
    assert pd.isna(row["sub_sub_group"])  # its own value is lost in the published sheet
    assert row["classification_code"] == "NN"  # columns from CLASSIFICATION_CODE on were right
    assert row["ho_class"] == "111/05"
    assert row["repair_note"] == rep["action"]
    others = cchi2020.values[cchi2020.values["key"] != SHIFTED_KEY]
    assert (others["repair_note"] == "").all()
    # no other row is left with a non-URL under 'Score from:'
    url = others["source_url"].dropna()
    assert url.str.match(r"https?://").all()


def test_2020_ho_class(cchi2020):
    v = cchi2020.values
    published = v["ho_class_published"]
    canon = v["ho_class"]
    malformed = published[canon.isna()].tolist()
    print(f"malformed HO classifications in the 2020 sheet: {malformed}")
    assert canon.dropna().str.fullmatch(r"\d{3}/\d{2}").all()
    # every published value is canonical already, except one written packed: '00200'
    # (row 1.1.1.1A, attempted murder) which means 002/00 like its neighbours
    differs = v.loc[canon != published, ["key", "ho_class_published", "ho_class"]]
    assert differs.values.tolist() == [["1.1.1.1A", "00200", "002/00"]]
    assert malformed == []
    assert canon.nunique() == 516  # the figure in docs/domain.md, section 5


def test_2020_other_columns(cchi2020):
    v = cchi2020.values.set_index("key")
    assert v["notifiable"].dtype == "boolean"
    assert v["notifiable"].notna().all()
    assert v["notifiable"].sum() == 580
    assert set(v["investigation_type"]) == {"CRIME", "NONCRIME"}
    assert v.loc["3A.3.2.1", "open_data"] == "3A"
    assert v.loc["1.1.1.1", "cjs_codes"] == "COML025"
    assert v.loc["3A.3.2.1", "cjs_codes"].split()[:2] == ["COML025C", "COML026C"]
    codes = cchi2020.values["cjs_codes"].dropna()
    assert not codes.str.contains(r"^\s|\s$|\s\s").any()  # leading spaces stripped
    assert (codes.str.split().map(lambda c: len(c) == len(set(c)))).all()
    assert v.loc[SHIFTED_KEY, "ho_code_number"] == "111"  # a number cell read as text
    assert v.loc["NN.111.5.0", "open_data"] == "NN"


def test_2020_open_data_is_the_shipped_editions(cchi2020):
    """The sheet as read and the shipped edition (built by import_sheet) agree on every row."""
    read = cchi2020.values.set_index("key")["open_data"]
    shipped = load_weights("cchi-2020").table.set_index("key")["open_data"]
    assert read.index.equals(shipped.index)
    differ = read[read.astype(object) != shipped.astype(object)]
    assert differ.empty, differ.to_dict()
    # the sheet's own CLASSIFICATION_CODE writes the dotted codes with a slash (4/3 is 4.3)
    v = cchi2020.values
    slash = v["classification_code"].str.contains("/", na=False)
    assert slash.sum() == (v["key"].str.count(r"\.") > 3).sum() > 0
    dotted = v.loc[slash, "classification_code"].str.replace("/", ".", regex=False)
    assert v.loc[slash, "open_data"].tolist() == dotted.tolist()


# --- synthetic workbooks --------------------------------------------------------------------

HEADER = ["ATHENA URN", "FULL_OFFENCE_TITLE", "CCHI Score", "HOME_OFFICE_CLASSIFICATION"]


def make_workbook(path: Path, sheets: dict[str, list[list]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    wb.save(path)
    return path


def test_2026_style_workbook(tmp_path):
    header = [
        "  cchi score ",
        "Home_Office_Classification",
        "ATHENA URN",
        "Date added",
        "FULL_OFFENCE_TITLE",
        "NOTIFIABLE",
        "CJS Codes",
        "CJS Codes",
        "CJS Codes",
    ]
    values = [
        ["Cambridge Crime Harm Index 2026 update"],
        [],
        header,
        [365, "8/1", "8N.8.1.1", "2026-02-01", " Assault ", "Notifiable", "OF1", " OF2", "OF1"],
        [],
        [0.5, "00801", "NN.1.2.3", None, "Minor", "Non-Notifiable", None, None, " XX9 "],
    ]
    path = make_workbook(
        tmp_path / "cchi-2026.xlsx",
        {
            "Cover page": [["Cambridge Crime Harm Index 2026"], [None, "Copyright CEBP"]],
            "CCHI 2026 values sheet": values,
            "Expired offences": [["ATHENA URN", "CCHI Score", "Reason"], ["9.9.9.9", 10, "gone"]],
            "Offences need clarity": [["Some notes"], [None, "8N.1", 3]],
        },
    )
    s = read_sheet(path)
    assert s.sheet_name == "CCHI 2026 values sheet"
    assert s.edition_year == 2026
    assert s.cover_text == "Cambridge Crime Harm Index 2026\nCopyright CEBP"
    v = s.values
    assert v["key"].tolist() == ["8N.8.1.1", "NN.1.2.3"]
    assert v["days"].tolist() == [365.0, 0.5]
    assert v["title"].tolist() == ["Assault", "Minor"]
    assert v["ho_class"].tolist() == ["008/01", "008/01"]
    assert v["ho_class_published"].tolist() == ["8/1", "00801"]
    assert v["notifiable"].tolist() == [True, False]
    assert v["cjs_codes"].tolist() == ["OF1 OF2", "XX9"]
    assert v["open_data"].tolist() == ["8N", "NN"]
    assert v["sheet_row"].tolist() == [4, 6]
    assert v["date_added"].iloc[0] == "2026-02-01"
    assert pd.isna(v["date_added"].iloc[1])
    assert v["short_title"].isna().all()  # an absent column is kept, empty
    assert list(v.columns).index("cjs_codes") < list(v.columns).index("date_added")
    assert any("header found on row 3" in n for n in s.notes)
    assert any("skipped 1 empty row" in n for n in s.notes)
    assert s.repairs.empty
    assert set(s.extra_sheets) == {"Expired offences", "Offences need clarity"}
    expired = s.extra_sheets["Expired offences"]
    assert expired["key"].tolist() == ["9.9.9.9"]
    assert expired["days"].tolist() == [10]
    assert expired["reason"].tolist() == ["gone"]
    clarity = s.extra_sheets["Offences need clarity"]
    assert clarity.shape == (2, 3)
    assert clarity.loc[2, "B"] == "8N.1"


# the Home Office open-data codes of the homicide and death-by-driving subcodes carry a dot
URN_OPEN_DATA = {
    "8N.8.1.1A": "8N",
    "4.3.4.3.0": "4.3",
    "4.10.4.10.0": "4.10",
    "37.2.131.1.0A": "37.2",
    "1.1.1.1": "1",
    "NN.111.5.0": "NN",
    "ASB.66.98.0": "ASB",
}


def test_read_and_import_read_the_open_data_code_alike(tmp_path):
    """read_sheet and import_sheet give one open-data code per URN, the dotted ones included."""
    rows = [HEADER, *([urn, "t", 1, "001/01"] for urn in URN_OPEN_DATA)]
    path = make_workbook(tmp_path / "urns.xlsx", {"CCHI 2026 values sheet": rows})
    read = read_sheet(path).values["open_data"].tolist()
    imported = import_sheet(path)["open_data"].tolist()
    assert read == imported == list(URN_OPEN_DATA.values())
    assert open_data_from_urn(list(URN_OPEN_DATA)).tolist() == read
    # and each reads as the open-data code it is (NN and ASB are not codes)
    canon = canonical_open_data(read).tolist()
    assert canon == [c if c not in ("NN", "ASB") else None for c in URN_OPEN_DATA.values()]


def test_read_cchi_sheet_is_a_deprecated_alias(tmp_path):
    path = make_workbook(
        tmp_path / "one.xlsx", {"CCHI 2020 values sheet": [HEADER, ["1.1", "t", 5, "1/1"]]}
    )
    with pytest.warns(DeprecationWarning, match="read_sheet"):
        old = read_cchi_sheet(path)
    pd.testing.assert_frame_equal(old.values, read_sheet(path).values)


def test_sheet_chosen_by_name_newest_and_explicit(tmp_path):
    rows = [HEADER, ["1.1", "t", 5, "001/01"]]
    path = make_workbook(
        tmp_path / "two.xlsx",
        {"Notes": [["x"]], "CCHI 2021 values sheet": rows, "cchi2023 VALUES": rows},
    )
    s = read_sheet(path)
    assert (s.sheet_name, s.edition_year) == ("cchi2023 VALUES", 2023)
    assert any("newest" in n for n in s.notes)
    assert set(s.extra_sheets) == {"Notes", "CCHI 2021 values sheet"}
    s = read_sheet(path, sheet="CCHI 2021 values sheet")
    assert (s.sheet_name, s.edition_year) == ("CCHI 2021 values sheet", 2021)
    with pytest.raises(SheetFormatError, match=r"no sheet 'nope'.*CCHI 2021 values sheet"):
        read_sheet(path, sheet="nope")


def test_values_sheet_name():
    assert values_sheet_name(["Cover page", "Sheet1"]) is None
    assert values_sheet_name(["CCHI 2020 values sheet"]) == ("CCHI 2020 values sheet", 2020, ())


def test_no_values_sheet_lists_sheets(tmp_path):
    path = make_workbook(tmp_path / "x.xlsx", {"Cover page": [["a"]], "Data": [HEADER]})
    with pytest.raises(SheetFormatError, match=r"x\.xlsx.*'Cover page', 'Data'"):
        read_sheet(path)


def test_shift_repair_general_rule(tmp_path):
    header = ["ATHENA URN", "CCHI Score", "Starting Point", "Maximum Sentence", "Score from:"]
    header += ["GROUP", "SUB_GROUP", "SUB_SUB_GROUP", "HOME_OFFICE_CLASSIFICATION"]
    ok = ["1.1", 10, "sp", "max", "http://a", "G", "SG", "SSG", "001/01"]
    shifted = ["2.2", 20, None, "sp", "max", "www.b.org", "G", "SG", "002/01"]
    path = make_workbook(tmp_path / "s.xlsx", {"CCHI 2020 values": [header, ok, shifted]})
    s = read_sheet(path)
    assert s.repairs[["sheet_row", "key"]].values.tolist() == [[3, "2.2"]]
    r = s.values.iloc[1]
    assert r["starting_point"] == "sp"
    assert r["maximum_sentence"] == "max"
    assert r["source_url"] == "www.b.org"
    assert (r["group"], r["sub_group"]) == ("G", "SG")
    assert pd.isna(r["sub_sub_group"])
    assert s.values.iloc[0]["sub_sub_group"] == "SSG"


def test_header_not_found(tmp_path):
    path = make_workbook(tmp_path / "h.xlsx", {"CCHI 2026 values sheet": [["a", "b"], [1, 2]]})
    with pytest.raises(
        SheetFormatError, match=r"h\.xlsx.*CCHI 2026 values sheet.*'ATHENA URN'.*'CCHI Score'"
    ):
        read_sheet(path)


def test_missing_required_column(tmp_path):
    header = ["ATHENA URN", "FULL_OFFENCE_TITLE", "SHORT_TITLE", "HOME_OFFICE_CLASSIFICATION"]
    path = make_workbook(tmp_path / "m.xlsx", {"CCHI 2026 values sheet": [header, ["1", "a"]]})
    with pytest.raises(SheetFormatError) as err:
        read_sheet(path)
    msg = str(err.value)
    assert "m.xlsx" in msg
    assert "CCHI 2026 values sheet" in msg
    assert "['CCHI Score']" in msg
    assert "SHORT_TITLE" in msg  # lists those found


def test_missing_ho_classification_column(tmp_path):
    path = make_workbook(tmp_path / "m.xlsx", {"CCHI 2026 values": [HEADER[:3], ["1", "a", 1]]})
    with pytest.raises(SheetFormatError, match=r"\['HOME_OFFICE_CLASSIFICATION'\]"):
        read_sheet(path)


@pytest.mark.parametrize(("score", "shown"), [("ten", "'ten'"), (-1, "-1"), (None, "None")])
def test_bad_score_names_sheet_row_and_value(tmp_path, score, shown):
    rows = [["title row"], HEADER, ["1.1", "a", 3, "001/01"], ["1.2", "b", score, "001/02"]]
    path = make_workbook(tmp_path / "bad.xlsx", {"CCHI 2026 values sheet": rows})
    with pytest.raises(SheetFormatError, match=r"CCHI 2026 values sheet'?, row 4: CCHI Score") as e:
        read_sheet(path)
    assert shown in str(e.value)


def test_numeric_text_score_accepted(tmp_path):
    rows = [HEADER, ["1.1", "a", " 12.5 ", "001/01"]]
    path = make_workbook(tmp_path / "t.xlsx", {"CCHI 2026 values sheet": rows})
    assert read_sheet(path).values["days"].tolist() == [12.5]


def test_duplicate_keys(tmp_path):
    rows = [HEADER, ["1.1", "a", 3, "001/01"], ["2.1", "b", 4, "001/02"], ["1.1", "c", 5, "x"]]
    path = make_workbook(tmp_path / "d.xlsx", {"CCHI 2026 values sheet": rows})
    with pytest.raises(SheetFormatError, match=r"duplicate ATHENA URN.*'1\.1': \[2, 4\]"):
        read_sheet(path)


def test_row_without_key_or_score_is_reported(tmp_path):
    rows = [HEADER, ["1.1", "a", 3, "001/01"], [None, "Note: scores in days", None, None]]
    path = make_workbook(tmp_path / "n.xlsx", {"CCHI 2026 values sheet": rows})
    s = read_sheet(path)
    assert len(s.values) == 1
    assert s.repairs[["sheet_row", "action"]].values.tolist() == [
        [3, "skipped: no ATHENA URN and no CCHI Score"]
    ]


@pytest.mark.parametrize("content", [b"ATHENA URN,CCHI Score\n1.1,5\n", bytes(range(256)) * 8])
def test_not_a_spreadsheet(tmp_path, content):
    path = tmp_path / "fake.xlsx"
    path.write_bytes(content)
    with pytest.raises(SheetFormatError, match=r"fake\.xlsx.*\.xlsx workbook was expected"):
        read_sheet(path)


def test_missing_file(tmp_path):
    path = tmp_path / "nowhere.xlsx"
    with pytest.raises(InputFileError, match=r"nowhere\.xlsx"):
        read_sheet(path)
    with pytest.raises(OSError):  # also an OSError
        read_sheet(path)


def test_openpyxl_missing_gives_install_hint(tmp_path, monkeypatch):
    path = make_workbook(tmp_path / "o.xlsx", {"CCHI 2020 values": [HEADER]})
    monkeypatch.setitem(sys.modules, "openpyxl", None)
    with pytest.raises(OptionalDependencyError, match=r"crimeharm\[xlsx\]") as e:
        read_sheet(path)
    assert isinstance(e.value, CrimeHarmError)
    assert isinstance(e.value, ImportError)
