"""Tests of ``crimeharm weights``: list, show, diff, import, and their error exits."""

from __future__ import annotations

import hashlib
import io
import re
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest

import crimeharm.cli.weights as cli_weights
from crimeharm import WeightTable, available_weights, edition_info, load_weights
from crimeharm.cli import main
from crimeharm.weights.diff import diff_editions

EDITIONS = available_weights()["id"].tolist()
T2020 = load_weights("cchi-2020").table
# ho_class codes of cchi-2020 with more than one day-weight, counted from the table itself
AMBIGUOUS_2020 = int(
    T2020.dropna(subset=["ho_class"]).groupby("ho_class")["days"].nunique().gt(1).sum()
)


# --- list ----------------------------------------------------------------------------------


def test_list(cli):
    code, out, err = cli("weights", "list")
    assert code == 0
    assert err == ""
    lines = out.splitlines()
    assert lines[0].split() == ["id", "scheme", "rows", "published", "sha256", "default"]
    assert len(lines) == 1 + len(EDITIONS) == 4
    for edition in EDITIONS:
        info = edition_info(edition)
        (line,) = [s for s in lines if s.startswith(edition + " ")]
        assert info.sha256 in line  # in full
        assert re.search(rf"\b{info.rows}\b", line)
        assert line.rstrip().endswith("*") == (edition == "cchi-2020")
    # aligned: every row's sha256 starts in the same column
    starts = {s.index(edition_info(e).sha256) for e in EDITIONS for s in lines if e in s}
    assert len(starts) == 1


# --- show ----------------------------------------------------------------------------------


def test_show_metadata(cli):
    code, out, _ = cli("weights", "show", "cchi-2020", "--rows", "3")
    assert code == 0
    info = edition_info("cchi-2020")
    assert info.sha256 in out
    assert info.title in out
    assert "Copyright Cambridge Centre for Evidence based Policing 2020" in out
    assert "guidelines as of  2020-10-06" in out
    assert f"first 3 of {info.rows} rows" in out
    assert f"ho_class {T2020['ho_class'].nunique()} ({AMBIGUOUS_2020} ambiguous)" in out
    assert f"police_generated: {int(T2020['police_generated'].sum())} rows" in out
    assert "1.1.1.1" in out
    assert "Murder - of persons aged 1 year or over" in out


def test_show_codes_in_several_forms(cli):
    forms = ["8/1", "008/01", "00801", "8.01", " 8 / 01 ", "8-01"]
    argv = ["weights", "show", "cchi-2020"]
    for f in forms:
        argv += ["--code", f]
    code, out, _ = cli(*argv)
    assert code == 0
    for f in forms:
        expected = (
            f"{f!r}: ho_class 008/01: ok, 547.5 days (ambiguous: 8 rows, 19 to 912.5 days; "
            "rule base)"
        )
        assert expected in out
    # the matching offences are listed, the base offence marked
    assert out.count("* 8N.8.1.1 ") == len(forms)
    assert out.count("8S.8.1.1A") == len(forms)


def test_show_codes_other_systems_and_statuses(cli):
    argv = ["weights", "show", "cchi-2020"]
    for c in ["28e", "OF61003", "1.1.1.1", "92A", "8.1", "banana", "", "999/99"]:
        argv += ["--code", c]
    code, out, _ = cli(*argv)
    assert code == 0
    assert (
        "'28e': open_data 28E: ok, 14.5 days (ambiguous: 2 rows, 10 to 19 days; rule median)" in out
    )
    assert "rule median" in out
    assert "'OF61003': cjs OF61003: ok, 5475 days (2 rows, not ambiguous)" in out
    assert "'1.1.1.1': key 1.1.1.1: ok, 5475 days (1 row, not ambiguous)" in out
    assert re.search(r"'92A': open_data 92A: ok, .*police_generated", out)
    assert "'8.1': open_data 8.1: unknown" in out  # never guessed to be 008/01
    assert "'banana': malformed" in out
    assert "'': missing" in out
    assert "'999/99': ho_class 999/99: unknown" in out


def test_show_code_system_and_rule(cli):
    code, out, _ = cli("weights", "show", "ons-css", "--code", "4.10", "--code-system", "open_data")
    assert code == 0
    assert "'4.10': open_data 4.10: ok" in out
    code, out, _ = cli("weights", "show", "cchi-2020", "--code", "8/1", "--rule", "max")
    assert "ok, 912.5 days" in out
    assert "rule max" in out
    assert "* 8S.8.1.1 " in out


def test_show_ambiguous(cli):
    code, out, _ = cli("weights", "show", "cchi-2020", "--ambiguous")
    assert code == 0
    assert f"{AMBIGUOUS_2020} ambiguous ho_class codes in cchi-2020" in out
    table = [s.split() for s in out.splitlines() if re.match(r"^\d{3}/\d{2} ", s)]
    assert len(table) == AMBIGUOUS_2020 > 0
    rows = {r[0]: r[1:] for r in table}
    assert rows["008/01"] == ["8", "547.5", "365", "19", "912.5", "8N.8.1.1"]
    assert rows["028/03"] == ["8", "19", "72.5", "10", "365", "28E.28.3.1"]


def _edited_copy(tmp_path: Path) -> Path:
    data = resources.files("crimeharm.weights.data").joinpath("cchi-2020.csv").read_bytes()
    frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
    frame.loc[frame["key"] == "8N.8.1.1", "days"] = "600"  # re-scored
    frame = frame[frame["key"] != "1.1.2.0"]  # removed
    added = frame.iloc[[0]].assign(key="ZZ.999.1.0", days="5", ho_class="999/01", title="Added")
    frame = pd.concat([frame, added], ignore_index=True)
    path = tmp_path / "edited.csv"
    frame.to_csv(path, index=False)
    return path


def test_show_csv_path(cli, tmp_path):
    path = _edited_copy(tmp_path)
    code, out, _ = cli("weights", "show", str(path), "--code", "999/1", "--code", "8/1")
    assert code == 0
    assert hashlib.sha256(path.read_bytes()).hexdigest() in out
    assert "'999/1': ho_class 999/01: ok, 5 days" in out
    assert "'8/1': ho_class 008/01: ok, 600 days" in out
    code, out, _ = cli("weights", "show", str(path))
    assert code == 0
    assert f"file          {path}" in out
    assert "rows          698" in out


# --- diff ----------------------------------------------------------------------------------


def _section(out: str, name: str) -> list[str]:
    """The first field of each row of a diff section (after its header line)."""
    block = out.split(f"\n{name} (", 1)[1].split("\n\n", 1)[0]
    lines = block.splitlines()[1:]
    return [s.split()[0] for s in lines[1:]] if lines else []


def test_diff_edited_copy(cli, tmp_path):
    path = _edited_copy(tmp_path)
    code, out, err = cli("weights", "diff", "cchi-2020", str(path))
    assert code == 0, err
    assert _section(out, "added") == ["ZZ.999.1.0"]
    assert _section(out, "removed") == ["1.1.2.0"]
    assert _section(out, "re-scored") == ["8N.8.1.1"]
    (line,) = [s for s in out.splitlines() if s.startswith("8N.8.1.1 ")]
    assert line.split()[1:4] == ["547.5", "600", "52.5"]
    assert out.strip().splitlines()[-1] == "1 added, 1 removed, 1 re-scored, 696 unchanged"


def test_diff_by_code(cli, tmp_path):
    path = _edited_copy(tmp_path)
    code, out, _ = cli("weights", "diff", "cchi-2020", str(path), "--by", "ho_class")
    assert code == 0
    assert _section(out, "added") == ["999/01"]
    assert _section(out, "removed") == ["001/02"]  # its only row was removed
    assert _section(out, "re-scored") == ["008/01"]  # its base offence was re-scored
    assert out.strip().splitlines()[-1] == "1 added, 1 removed, 1 re-scored, 514 unchanged"


def test_diff_editions(cli):
    code, out, _ = cli("weights", "diff", "cchi-2016-beta", "cchi-2020")
    assert code == 0
    assert out.strip().splitlines()[-1] == "698 added, 17 removed, 0 re-scored, 0 unchanged"
    code, out, _ = cli("weights", "diff", "cchi-2020", "cchi-2020")
    assert out.strip().splitlines()[-1] == "0 added, 0 removed, 0 re-scored, 698 unchanged"


def test_diff_command_prints_what_diff_editions_returns(cli, tmp_path):
    path = _edited_copy(tmp_path)
    parts = diff_editions("cchi-2020", path, by="ho_class", rule="max")
    code, out, _ = cli(
        "weights", "diff", "cchi-2020", str(path), "--by", "ho_class", "--rule", "max"
    )
    assert code == 0
    for name, section in (("added", "added"), ("removed", "removed"), ("rescored", "re-scored")):
        assert _section(out, section) == [str(k) for k in parts[name].index]
    counts = [len(parts[n]) for n in ("added", "removed", "rescored", "unchanged")]
    assert out.strip().splitlines()[-1] == (
        "{} added, {} removed, {} re-scored, {} unchanged".format(*counts)
    )


# --- import --------------------------------------------------------------------------------


def test_import_reference_sheet(cli, tmp_path, reference_dir):
    sheet = reference_dir / "cchi" / "cchi-2020-official.xlsx"
    if not sheet.exists():
        pytest.skip(f"{sheet} not found")
    out_csv = tmp_path / "cchi-2020-imported.csv"
    code, out, err = cli("weights", "import", str(sheet), "-o", str(out_csv))
    assert code == 0, err
    digest = hashlib.sha256(out_csv.read_bytes()).hexdigest()
    source_digest = hashlib.sha256(sheet.read_bytes()).hexdigest()
    assert "rows    698" in out
    assert "repairs 1" in out
    assert "NN.111.5.0" in out
    assert source_digest in out
    assert digest in out
    assert "WeightTable.from_csv" in out
    # the import reproduces the shipped edition, byte for byte
    assert digest == edition_info("cchi-2020").sha256
    assert "identical to the shipped edition cchi-2020" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == [out_csv.name]  # no temp files left

    loaded = WeightTable.from_csv(out_csv, edition="cchi-2020")
    shipped = load_weights("cchi-2020").table.set_index("key")["days"]
    ours = loaded.table.set_index("key")["days"]
    pd.testing.assert_series_equal(ours, shipped)
    assert loaded.lookup(["8/1", "28E", "OF61003"]).tolist() == [547.5, 14.5, 5475.0]


# --- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["weights", "show", "cchi-2019"],
        ["weights", "diff", "cchi-2019", "cchi-2020"],
        ["weights", "diff", "cchi-2020", "cchi-2019"],
    ],
)
def test_unknown_edition(cli, argv):
    code, out, err = cli(*argv)
    cli.assert_clean_error(code, err, "'cchi-2019'", *EDITIONS)
    assert out == ""


def test_missing_csv_path(cli, tmp_path):
    path = tmp_path / "nowhere.csv"
    code, _, err = cli("weights", "show", str(path))
    cli.assert_clean_error(code, err, str(path), "does not exist")


def test_bad_csv_table(cli, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("key,days\na,1\nb,-1\n", encoding="utf-8")
    code, _, err = cli("weights", "show", str(path))
    cli.assert_clean_error(code, err, str(path), "row 2", "'b'")


def test_show_ambiguous_without_ho_class(cli):
    code, _, err = cli("weights", "show", "cchi-2016-beta", "--ambiguous")
    cli.assert_clean_error(code, err, "cchi-2016-beta", "ho_class")


def test_import_missing_file(cli, tmp_path):
    out_csv = tmp_path / "out.csv"
    missing = tmp_path / "missing.xlsx"
    code, _, err = cli("weights", "import", str(missing), "-o", str(out_csv))
    cli.assert_clean_error(code, err, str(missing))
    assert list(tmp_path.iterdir()) == []


def test_import_not_a_spreadsheet(cli, tmp_path):
    fake = tmp_path / "sheet.xlsx"
    fake.write_text("ATHENA URN,CCHI Score\n1.1.1.1,5475\n", encoding="utf-8")
    out_csv = tmp_path / "out.csv"
    out_csv.write_text("precious", encoding="utf-8")  # an existing output is left as it was
    code, _, err = cli("weights", "import", str(fake), "-o", str(out_csv))
    cli.assert_clean_error(code, err, str(fake), "xlsx")
    assert out_csv.read_text(encoding="utf-8") == "precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv", "sheet.xlsx"]


def test_import_output_folder_missing(cli, tmp_path):
    fake = tmp_path / "sheet.xlsx"
    fake.write_bytes(b"not read: the output folder is checked first")
    target = tmp_path / "no" / "such" / "folder" / "out.csv"
    code, _, err = cli("weights", "import", str(fake), "-o", str(target))
    cli.assert_clean_error(code, err, "does not exist", str(target.parent))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sheet.xlsx"]


def test_import_output_not_csv(cli, tmp_path):
    code, _, err = cli("weights", "import", "x.xlsx", "-o", str(tmp_path / "t.parquet"))
    cli.assert_clean_error(code, err, ".csv")


def test_import_failed_write_leaves_no_partial_file(cli, tmp_path, monkeypatch, reference_dir):
    sheet = reference_dir / "cchi" / "cchi-2020-official.xlsx"
    if not sheet.exists():
        pytest.skip(f"{sheet} not found")

    def half_write(fh, data):
        fh.write(data[:20])
        fh.flush()
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cli_weights, "_write_csv", half_write)
    out_csv = tmp_path / "out.csv"
    code, _, err = cli("weights", "import", str(sheet), "-o", str(out_csv))
    cli.assert_clean_error(code, err, str(out_csv), "No space left")
    assert list(tmp_path.iterdir()) == []


def test_weights_without_action_prints_usage(cli):
    code, _out, err = cli("weights")
    assert code == 2
    assert "usage: crimeharm weights" in err
    assert "Traceback" not in err


def test_bad_choice_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        main(["weights", "show", "cchi-2020", "--code-system", "postcode"])
    assert info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
