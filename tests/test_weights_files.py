"""Weights files read safely: xlsx size and entity guards, large CSVs, keys and headers."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crimeharm.errors import SheetFormatError, SheetValueWarning, WeightsValidationError
from crimeharm.weights import codes as codes_module
from crimeharm.weights import table as table_module
from crimeharm.weights.table import WeightTable, validate_table

openpyxl = pytest.importorskip("openpyxl")

from crimeharm.weights.sheets import read as read_module  # noqa: E402
from crimeharm.weights.sheets.importer import import_sheet  # noqa: E402
from crimeharm.weights.sheets.read import read_sheet  # noqa: E402

HEADER = ["ATHENA URN", "FULL_OFFENCE_TITLE", "CCHI Score", "HOME_OFFICE_CLASSIFICATION"]
SHEET = "CCHI 2020 values sheet"


def _workbook(path: Path, rows: list[list], *, sheet: str = SHEET) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def _rewrite(path: Path, part: str, edit) -> Path:
    """Rewrite one part of a workbook's zip archive with ``edit(bytes) -> bytes``."""
    src = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            dst.writestr(info.filename, edit(data) if info.filename == part else data)
    path.write_bytes(out.getvalue())
    return path


def _no_openpyxl(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("openpyxl was asked to parse a workbook that should be refused")

    monkeypatch.setattr(openpyxl, "load_workbook", refuse)


GOOD = [HEADER, ["8N.8.1.1", "GBH", 547.5, "008/01"], ["28E.28.3.1", "Burglary", 19, "028/03"]]


# --- size and expansion ---------------------------------------------------------------------


def test_a_small_workbook_still_reads(tmp_path):
    s = read_sheet(_workbook(tmp_path / "ok.xlsx", GOOD))
    assert s.values["key"].tolist() == ["8N.8.1.1", "28E.28.3.1"]


def test_a_workbook_unpacking_beyond_the_limit_is_refused_unparsed(tmp_path, monkeypatch):
    """The measured case: 32 MiB of sheet XML in a 1-2 MB file (29.5 s and 227 MB before)."""
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet(SHEET)
    ws.append(HEADER)
    for i in range(100_000):
        ws.append([f"8N.8.1.{i}", "Assault with Injury - Malicious wounding", 10, "008/01"])
    path = tmp_path / "big.xlsx"
    wb.save(path)
    unpacked = sum(i.file_size for i in zipfile.ZipFile(path).infolist())
    assert unpacked > read_module.MAX_UNPACKED_BYTES > path.stat().st_size
    _no_openpyxl(monkeypatch)
    with pytest.raises(SheetFormatError, match=r"big\.xlsx.*unpacks to [\d,]+ bytes, more than"):
        read_sheet(path)


def test_a_zip_bomb_part_is_refused(tmp_path, monkeypatch):
    path = _workbook(tmp_path / "bomb.xlsx", GOOD)
    part = "xl/worksheets/sheet1.xml"
    pad = b" " * (8 * 1024 * 1024)  # 8 MiB of spaces deflate about 1000 times
    _rewrite(path, part, lambda data: data.replace(b"<sheetData>", b"<sheetData>" + pad, 1))
    info = zipfile.ZipFile(path).getinfo(part)
    assert info.file_size / info.compress_size > read_module.MAX_RATIO
    _no_openpyxl(monkeypatch)
    with pytest.raises(SheetFormatError, match=r"sheet1\.xml.*times its compressed size"):
        read_sheet(path)


def test_a_file_beyond_the_limit_is_refused_unread(tmp_path, monkeypatch):
    path = tmp_path / "huge.xlsx"
    with path.open("wb") as fh:
        fh.truncate(read_module.MAX_FILE_BYTES + 1)
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail("the file was read"))
    with pytest.raises(SheetFormatError, match=r"huge\.xlsx' is [\d,]+ bytes, more than"):
        read_sheet(path)


def test_rows_padded_to_the_last_column_are_counted(tmp_path):
    """A cell in column XFD makes each row 16,384 cells wide: tiny XML, huge rows."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.append(HEADER)
    for r in range(2, 200):
        ws.cell(row=r, column=16384, value=1)
    path = tmp_path / "wide.xlsx"
    wb.save(path)
    assert path.stat().st_size < 100_000
    with pytest.raises(SheetFormatError, match=r"more than 1,000,000 cells"):
        read_sheet(path)


# --- DOCTYPE and entities -------------------------------------------------------------------

_DOCTYPE = b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'


def _with_doctype(data: bytes, *, before: bytes = b"") -> bytes:
    if data.startswith(b"<?xml"):
        decl, rest = data.split(b"?>", 1)
        return decl + b"?>" + before + _DOCTYPE + rest
    return before + _DOCTYPE + data


@pytest.mark.parametrize(
    "part", ["xl/workbook.xml", "xl/worksheets/sheet1.xml", "[Content_Types].xml"]
)
def test_a_doctype_is_refused_before_parsing(tmp_path, monkeypatch, part):
    path = _rewrite(_workbook(tmp_path / "dtd.xlsx", GOOD), part, _with_doctype)
    _no_openpyxl(monkeypatch)
    with pytest.raises(SheetFormatError, match=rf"{re.escape(part)}.*declares a DOCTYPE"):
        read_sheet(path)


def test_a_doctype_after_a_long_comment_is_found(tmp_path):
    comment = b"<!--" + b"x" * 200_000 + b"-->\n"
    path = _rewrite(
        _workbook(tmp_path / "c.xlsx", GOOD),
        "xl/workbook.xml",
        lambda d: _with_doctype(d, before=comment),
    )
    with pytest.raises(SheetFormatError, match="DOCTYPE"):
        read_sheet(path)


def test_a_utf16_part_with_a_doctype_is_found(tmp_path):
    def utf16(data: bytes) -> bytes:
        text = _with_doctype(data).decode("utf-8")
        return text.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")

    path = _rewrite(_workbook(tmp_path / "u.xlsx", GOOD), "xl/workbook.xml", utf16)
    with pytest.raises(SheetFormatError, match="DOCTYPE"):
        read_sheet(path)


def test_a_comment_alone_is_not_a_doctype(tmp_path):
    path = _rewrite(
        _workbook(tmp_path / "ok.xlsx", GOOD),
        "xl/workbook.xml",
        lambda d: b"<!-- a note --><?pi x?>\n" + d if not d.startswith(b"<?xml") else d,
    )
    assert len(read_sheet(path).values) == 2


def test_malformed_xml_is_a_sheet_format_error(tmp_path):
    path = _rewrite(
        _workbook(tmp_path / "bad.xlsx", GOOD),
        "xl/worksheets/sheet1.xml",
        lambda d: d.replace(b"</sheetData>", b"<row></sheetData>", 1),
    )
    with pytest.raises(SheetFormatError, match=r"bad\.xlsx"):
        read_sheet(path)


# --- headers and codes in a sheet -----------------------------------------------------------


def test_a_repeated_header_in_a_sheet_is_refused(tmp_path):
    rows = [[*HEADER, "CCHI Score"], ["8N.8.1.1", "GBH", 547.5, "008/01", 10]]
    with pytest.raises(
        SheetFormatError, match=r"repeats column name.*'CCHI Score' in columns \[3, 5\]"
    ):
        read_sheet(_workbook(tmp_path / "dup.xlsx", rows))


def test_cjs_codes_may_span_several_columns(tmp_path):
    rows = [
        [*HEADER, "CJS Codes", "CJS Codes"],
        ["8N.8.1.1", "GBH", 547.5, "008/01", "OF61003", "OF61004"],
    ]
    s = read_sheet(_workbook(tmp_path / "cjs.xlsx", rows))
    assert s.values["cjs_codes"].tolist() == ["OF61003 OF61004"]


def test_an_unreadable_classification_is_reported_not_dropped(tmp_path):
    rows = [*GOOD, ["99.99.1.1", "Other", 2, "banana"], ["5D.5.1.0", "GBH s18", 1460, "5/1"]]
    path = _workbook(tmp_path / "ho.xlsx", rows)
    with pytest.warns(SheetValueWarning, match=r"1 row\(s\).*row 4: 'banana'"):
        s = read_sheet(path)
    assert len(s.values) == 4  # kept
    row = s.values.set_index("key").loc["99.99.1.1"]
    assert pd.isna(row["ho_class"])
    assert row["ho_class_published"] == "banana"
    assert any("'banana'" in n for n in s.notes)
    with pytest.warns(SheetValueWarning):
        table = import_sheet(path)
    assert any("'banana'" in n for n in table.attrs["notes"])
    assert "99.99.1.1" in WeightTable.from_frame(table, edition="x").table["key"].tolist()


# --- weights CSVs ---------------------------------------------------------------------------


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "w.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_repeated_csv_header_is_refused(tmp_path):
    with pytest.raises(WeightsValidationError, match=r"duplicate column name\(s\) \['days'\]"):
        WeightTable.from_csv(_csv(tmp_path, "key,days,days\na,1,2\n"))
    frame = pd.DataFrame([["a", 1, 2]], columns=["key", "days", "days"])
    with pytest.raises(WeightsValidationError, match="duplicate column name"):
        validate_table(frame)


@pytest.mark.parametrize("other", ["K1", " k1 ", "k 1", "K 1"])
def test_keys_that_lookups_merge_are_duplicates(tmp_path, other):
    path = _csv(tmp_path, f"key,days\nk1,1\n{other},2\nk2,3\n")
    with pytest.raises(WeightsValidationError) as info:
        WeightTable.from_csv(path)
    message = str(info.value)
    assert "duplicate key" in message
    assert "'k1'" in message
    assert "rows 1, 2" in message
    assert "conflicting days [1.0, 2.0]" in message


def test_the_key_check_and_the_lookup_share_one_normalisation(monkeypatch):
    seen = []
    original = table_module.normalise_text

    def spy(values):
        seen.append(len(values))
        return original(values)

    monkeypatch.setattr(table_module, "normalise_text", spy)
    w = WeightTable.from_frame(pd.DataFrame({"key": ["a", "b"], "days": [1, 2]}), edition="t")
    assert seen == [2]  # validate_table's check
    assert w.lookup(["A"], code_system="key").tolist() == [1.0]
    assert len(seen) >= 2  # the key index and the lookup use the same function


def test_every_unreadable_ho_class_row_is_listed(tmp_path):
    path = _csv(tmp_path, "key,days,ho_class\na,1,8/1\nb,2,x1\nc,3,8.1\nd,4,\n")
    with pytest.raises(WeightsValidationError, match=r"2 row\(s\).*row 2, 3: 'x1', '8\.1'"):
        WeightTable.from_csv(path)


def test_a_ragged_line_is_named(tmp_path):
    with pytest.raises(Exception, match=r"line 3 has 1 fields, the header has 2"):
        WeightTable.from_csv(_csv(tmp_path, "key,days\na,1\nb\n"))


def _table(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    od = np.array(["8N", "28E", "30C", "105A", "4.1", "9A", None], dtype=object)
    ho = np.array(["008/01", "028/03", "030/02", None], dtype=object)
    urn = [
        f"{rng.choice(['8N', '28E', '4.3'])}.{i % 7}.{i % 3}.{i % 11}{'A' * (i % 5 == 0)}"
        for i in range(n)
    ]
    return pd.DataFrame(
        {
            "key": urn[: n // 2] + [f"k{i}" for i in range(n - n // 2)],
            "title": np.where(rng.random(n) < 0.1, "Attempted x", "x"),
            "days": rng.integers(0, 30, n).astype(float),
            "ho_class": rng.choice(ho, n),
            "open_data": rng.choice(od, n),
            "cjs_codes": rng.choice(["OF61003", "OF61003 OF61004", "", "N/A"], n),
            "police_generated": rng.random(n) < 0.2,
        }
    ).drop_duplicates("key")


def _reference_base_rank(t: pd.DataFrame) -> np.ndarray:
    """The base order as the module docstring states it, row by row."""
    nat = table_module._natural_key

    def sort_key(i):
        key, title = str(t["key"].iat[i]), str(t["title"].iat[i])
        parts = key.split(".")
        sub = nat(parts[3].rstrip("A")) if len(parts) > 3 else (0, "")
        ho = t["ho_class"].iat[i]
        ho = "~" if ho is None or pd.isna(ho) else ho
        od = t["open_data"].iat[i]
        return (key.endswith("A") or title.lower().startswith("attempt"), ho, sub, nat(od), i)

    order = sorted(range(len(t)), key=sort_key)
    rank = np.empty(len(t), dtype=np.int64)
    rank[order] = np.arange(len(t))
    return rank


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_vectorised_lookups_agree_with_the_rules_row_by_row(seed):
    w = WeightTable.from_frame(_table(3000, seed), edition="t")
    t = w.table
    np.testing.assert_array_equal(w._base_rank, _reference_base_rank(t))
    for system, col in (("ho_class", "ho_class"), ("open_data", "open_data")):
        for rule in ("base", "median", "min", "max"):
            index = w.index(system, rule)
            for code, group in t.dropna(subset=[col]).groupby(col):
                got = index.loc[code]
                assert got["n_rows"] == len(group)
                assert got["ambiguous"] == (group["days"].nunique() > 1)
                if rule == "median":
                    assert got["days"] == group["days"].median()
                    assert got["police_generated"] == group["police_generated"].all()
                    continue
                rank = w._base_rank[group.index]
                if rule == "base":
                    best = group.index[np.argmin(rank)]
                else:
                    sign = 1 if rule == "min" else -1
                    best = group.index[np.lexsort((rank, sign * group["days"].to_numpy()))[0]]
                assert got["row"] == best, (system, rule, code)
                assert got["days"] == t.loc[best, "days"]
    cjs = w.index("cjs")
    flat = t["cjs_codes"].str.split().explode().dropna()
    expected = flat[flat.str.fullmatch(r"[A-Z]{2}\d{5}")].groupby(level=0).unique().explode()
    assert set(cjs.index) == set(expected)
    assert cjs.loc["OF61004", "n_rows"] == (t["cjs_codes"] == "OF61003 OF61004").sum()


def test_codes_are_read_once_per_distinct_value(monkeypatch):
    """Loading and the first lookup do not call Python per row (the old cost: 2M rows, 163 s)."""
    calls = {"natural": 0, "ho": 0}
    natural = table_module._natural_key
    monkeypatch.setattr(
        table_module,
        "_natural_key",
        lambda v: calls.__setitem__("natural", calls["natural"] + 1) or natural(v),
    )
    ho_read = codes_module._HO_SEP.match

    class CountingPattern:
        def match(self, text):
            calls["ho"] += 1
            return ho_read(text)

    monkeypatch.setattr(codes_module, "_HO_SEP", CountingPattern())
    n = 50_000
    frame = pd.DataFrame(
        {
            "key": [f"k{i}" for i in range(n)],
            "days": 1.0,
            "ho_class": np.tile(["8/1", "028/03", "30/2"], n // 3 + 1)[:n],
            "open_data": np.tile(["8N", "28E", "30C", "105A"], n // 4),
        }
    )
    w = WeightTable.from_frame(frame, edition="big")
    w.lookup(["k5", "008/01", "8N"])
    assert calls["ho"] <= 10  # three distinct classifications (and the lookup's one)
    assert calls["natural"] <= 20  # per distinct open-data code and sub-sub-code
