"""Tests of ``crimeharm score`` and ``crimeharm example``: outputs, golden file, error exits.

The golden file ``tests/golden/example-by-neighbourhood-quarter.csv`` is written
by ``scripts/make_goldens.py``; when a change to the library changes it, rerun
the script and review the diff.
"""

from __future__ import annotations

import importlib.util
import re
import warnings
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest

import crimeharm
from crimeharm import Summary, load_weights

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "example-by-neighbourhood-quarter.csv"
W = load_weights()
with resources.as_file(resources.files("crimeharm.data") / "example-records.csv") as _path:
    EXAMPLE_ROWS = len(pd.read_csv(_path))  # the records `crimeharm example` reads


def plain(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.CategoricalDtype):
            out[col] = out[col].astype(object).where(out[col].notna(), None)
        elif out[col].dtype.kind == "M":  # Parquet keeps datetime64[s] as milliseconds
            out[col] = out[col].astype("datetime64[ns]")
    return out.reset_index(drop=True)


RECORDS = pd.DataFrame(
    {
        "ref": [f"R{i}" for i in range(8)],
        "code": ["8/6", "034/01", "092/10", "999/99", "00806", "28E", "8/6", "034/01"],
        "when": [
            "2024-01-05",
            "2024-02-10",
            "2024-02-11",
            "2024-03-01",
            "05/04/2024",
            "2024-04-30",
            "junk",
            "2024-06-01",
        ],
        "area": ["A", "B", "A", "B", "A", "B", "A", "A"],
    }
)


@pytest.fixture
def records_csv(tmp_path) -> Path:
    path = tmp_path / "records.csv"
    RECORDS.to_csv(path, index=False)
    return path


SCORE_ARGS = ["--code-col", "code", "--date-col", "when", "--by", "area", "--period", "quarter"]


def expected_index() -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", crimeharm.UnknownCodeWarning)
        return crimeharm.harm_index(RECORDS, code="code", date="when", by="area", period="quarter")


# --- example ----------------------------------------------------------------------------------


def test_example_prints_the_summary_with_the_edition(cli):
    code, out, err = cli("example")
    assert code == 0
    assert err == ""
    assert "SYNTHETIC" in out
    assert f"cchi-2020  sha256 {W.sha256}" in out
    assert re.search(rf"rows read +{EXAMPLE_ROWS:,}", out)
    for reason in ("police_generated", "police_initiated", "company_detected", "historic"):
        assert f"excluded {reason}" in out
    assert re.search(r"Northgate +2023-Q2", out)


def test_example_output_equals_the_golden_file(cli, tmp_path):
    target = tmp_path / "tmp.csv"
    code, out, err = cli("example", "-o", target)
    assert code == 0, err
    assert f"wrote {target}" in out
    got = pd.read_csv(target)
    golden = pd.read_csv(GOLDEN)
    pd.testing.assert_frame_equal(got, golden)
    # the golden table reconciles with the summary the command printed
    assert golden["crimes"].sum() + golden["excluded"].sum() == EXAMPLE_ROWS


def test_example_with_another_edition(cli):
    code, out, err = cli("example", "--weights", "cchi-2016-beta")
    assert code == 0, err
    assert f"cchi-2016-beta  sha256 {load_weights('cchi-2016-beta').sha256}" in out


# --- score ------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_score_by_area_and_period(cli, tmp_path, records_csv, suffix):
    target = tmp_path / f"out{suffix}"
    code, out, err = cli("score", records_csv, "-o", target, *SCORE_ARGS)
    assert code == 0, err
    assert err == ""
    assert f"wrote {target}" in out
    expected = expected_index()
    if suffix == ".parquet":
        got = pd.read_parquet(target)
        pd.testing.assert_frame_equal(plain(got), plain(expected), check_dtype=False)
        assert got.attrs["crimeharm"]["edition_sha256"] == W.sha256
    else:
        got = pd.read_csv(target)
        # a CSV carries the provenance in its last two columns (Parquet keeps attrs)
        assert list(got.columns) == [*expected.columns, "edition", "edition_sha256"]
        assert set(got["edition"]) == {W.edition}
        assert set(got["edition_sha256"]) == {W.sha256}
        pd.testing.assert_frame_equal(
            got[["crimes", "harm_days", "excluded"]], expected[["crimes", "harm_days", "excluded"]]
        )
        undated = "<undated>"
        assert got["period"].fillna(undated).tolist() == (
            plain(expected)["period"].fillna(undated).tolist()
        )
        assert got["period"].isna().sum() == 1  # the record dated 'junk'

    assert f"sha256 {W.sha256}" in out
    assert "unknown codes    999/99 (1)" in out
    assert "unparseable dates, e.g. 'junk'" in out


def test_the_summary_printed_is_the_results_summary(cli, tmp_path, records_csv):
    """One format: the command prints Summary.to_text of the summary the result carries."""
    target = tmp_path / "out.parquet"
    code, out, err = cli("score", records_csv, "-o", target, *SCORE_ARGS)
    assert code == 0, err
    carried = pd.read_parquet(target).attrs["crimeharm"]["summary"]  # as JSON, in the file
    text = Summary.from_dict(carried).to_text()
    assert out == f"{text}\nwrote {target} ({len(expected_index()):,} rows)\n"
    s = expected_index().attrs["crimeharm"]["summary"]
    excluded = sum(s["rows_excluded"].values())
    assert re.search(rf"^rows excluded +{excluded:,}$", out, re.MULTILINE)
    assert s["rows_in"] == s["rows_included"] + excluded


def test_score_without_by_writes_one_row_per_record(cli, tmp_path, records_csv):
    target = tmp_path / "scored.csv"
    code, _, err = cli("score", records_csv, "-o", target, "--code-col", "code")
    assert code == 0, err
    got = pd.read_csv(target, dtype={"code": str})
    assert got["ref"].tolist() == RECORDS["ref"].tolist()
    assert got["days"].tolist() == pytest.approx(W.lookup(RECORDS["code"]).tolist(), nan_ok=True)


def test_score_options_reach_the_library(cli, tmp_path, records_csv):
    target = tmp_path / "out.csv"
    code, out, err = cli(
        "score",
        records_csv,
        "-o",
        target,
        *SCORE_ARGS,
        "--start",
        "2024-02-01",
        "--end",
        "2024-05-31",
        "--keep-police-generated",
        "--unknown",
        "zero",
        "--complete",
    )
    assert code == 0, err
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", crimeharm.UnknownCodeWarning)
        expected = crimeharm.harm_index(
            RECORDS,
            code="code",
            date="when",
            by="area",
            period="quarter",
            start="2024-02-01",
            end="2024-05-31",
            exclude_police_generated=False,
            unknown="zero",
            complete=True,
        )
    got = pd.read_csv(target)
    pd.testing.assert_series_equal(got["harm_days"], expected["harm_days"])
    assert "excluded outside_window" in out


def test_score_excluded_summary(cli, tmp_path, records_csv):
    target = tmp_path / "lean.csv"
    code, out, err = cli("score", records_csv, "-o", target, *SCORE_ARGS, "--excluded", "summary")
    assert code == 0, err
    got = pd.read_csv(target)
    assert not [c for c in got.columns if c.startswith("excluded")]
    assert got["crimes"].gt(0).all()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", crimeharm.UnknownCodeWarning)
        full = crimeharm.harm_index(RECORDS, code="code", date="when", by="area", period="quarter")
    kept = full[full["crimes"] > 0]
    assert got["harm_days"].tolist() == kept["harm_days"].tolist()
    assert "excluded police_generated" in out  # still counted in the summary


def test_score_police_uk_format(cli, tmp_path):
    src = tmp_path / "street.csv"
    pd.DataFrame(
        {
            "Crime ID": ["a1", "", "b2", "c3"],
            "Month": ["2024-01"] * 4,
            "LSOA code": ["E01", "E01", "E02", "E02"],
            "Crime type": ["Robbery", "Anti-social behaviour", "Drugs", "Burglary"],
        }
    ).to_csv(src, index=False)
    target = tmp_path / "out.parquet"
    code, out, err = cli(
        "score",
        src,
        "-o",
        target,
        "--format",
        "police-uk",
        "--by",
        "LSOA code",
        "--period",
        "month",
    )
    assert code == 0, err
    assert "cchi-2020+police-uk-proxy" in out
    assert "PROXY" in out
    got = pd.read_parquet(target)
    proxy = crimeharm.weights.police_uk.police_uk_weights().table.set_index("key")["days"]
    assert got["harm_days"].tolist() == [proxy["Robbery"], proxy["Burglary"]]
    assert got["excluded_not_crime"].tolist() == [1, 0]
    assert got["excluded_police_generated"].tolist() == [0, 1]


def test_score_police_uk_reference_file(cli, tmp_path, reference_dir):
    src = reference_dir / "police-uk" / "2024-01-city-of-london-street.csv"
    target = tmp_path / "out.csv"
    code, _, err = cli("score", src, "-o", target, "--format", "police-uk", "--by", "LSOA code")
    assert code == 0, err
    got = pd.read_csv(target)
    assert got["crimes"].sum() + got["excluded"].sum() == len(pd.read_csv(src)) > 0


def test_progress_goes_to_stderr(cli, tmp_path, records_csv):
    code, _, err = cli("score", records_csv, "-o", tmp_path / "o.csv", *SCORE_ARGS, "--progress")
    assert code == 0
    assert "rows scored" in err
    if importlib.util.find_spec("tqdm") is None:  # the one line shown without tqdm
        assert f"rows scored: {len(RECORDS)}" in err
    else:  # tqdm's count (CSV: no total known)
        assert f"{len(RECORDS)} rows" in err


# --- errors -----------------------------------------------------------------------------------


def _leftovers(folder: Path, keep: set[str]) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


def test_missing_input(cli, tmp_path):
    target = tmp_path / "out.csv"
    code, _, err = cli("score", tmp_path / "nope.csv", "-o", target)
    cli.assert_clean_error(code, err, "nope.csv", "does not exist")
    assert not target.exists()
    assert _leftovers(tmp_path, set()) == []


def test_missing_column_lists_the_columns_present(cli, tmp_path, records_csv):
    target = tmp_path / "out.csv"
    code, _, err = cli(
        "score", records_csv, "-o", target, *SCORE_ARGS[:-4], "--by", "neighbourhood"
    )
    cli.assert_clean_error(
        code, err, "'neighbourhood'", "columns present", "'ref'", "'code'", "'when'", "'area'"
    )
    assert not target.exists()


def test_default_code_column_missing(cli, tmp_path, records_csv):
    code, _, err = cli("score", records_csv, "-o", tmp_path / "o.csv")
    cli.assert_clean_error(code, err, "'offence_code'", "columns present")


def test_bad_period(cli, tmp_path, records_csv):
    target = tmp_path / "out.csv"
    code, _, err = cli(
        "score",
        records_csv,
        "-o",
        target,
        "--code-col",
        "code",
        "--date-col",
        "when",
        "--period",
        "fortnight",
    )
    cli.assert_clean_error(code, err, "fortnight", "quarter")
    assert not target.exists()


def test_period_without_a_date_column(cli, tmp_path, records_csv):
    code, _, err = cli(
        "score",
        records_csv,
        "-o",
        tmp_path / "o.csv",
        "--code-col",
        "code",
        "--period",
        "month",
    )
    cli.assert_clean_error(code, err, "date")


def test_output_folder_does_not_exist(cli, tmp_path, records_csv):
    target = tmp_path / "no-such-folder" / "out.csv"
    code, _, err = cli("score", records_csv, "-o", target, *SCORE_ARGS)
    cli.assert_clean_error(code, err, "no-such-folder", "does not exist")
    assert not target.parent.exists()


def test_a_bad_value_midway_leaves_no_output_file(cli, tmp_path):
    src = tmp_path / "records.csv"
    RECORDS.assign(pi=["N", "N", "Y", "N", "maybe", "N", "N", "N"]).to_csv(src, index=False)
    target = tmp_path / "out.parquet"
    code, _, err = cli(
        "score", src, "-o", target, *SCORE_ARGS, "--police-initiated-col", "pi",
        "--flag-unknown", "raise",
    )  # fmt: skip
    cli.assert_clean_error(code, err, "'pi'", "'maybe'")
    assert not target.exists()
    assert _leftovers(tmp_path, {"records.csv"}) == []  # no temporary file left behind


def test_an_existing_output_is_not_clobbered_when_the_run_fails(cli, tmp_path, records_csv):
    target = tmp_path / "out.csv"
    target.write_text("previous results\n")
    code, _, err = cli("score", records_csv, "-o", target, *SCORE_ARGS, "--unknown", "raise")
    cli.assert_clean_error(code, err, "999/99")
    assert target.read_text() == "previous results\n"
    assert _leftovers(tmp_path, {"records.csv", "out.csv"}) == []


def test_an_existing_output_is_replaced_when_the_run_succeeds(cli, tmp_path, records_csv):
    target = tmp_path / "out.csv"
    target.write_text("previous results\n")
    code, _, _ = cli("score", records_csv, "-o", target, *SCORE_ARGS)
    assert code == 0
    assert pd.read_csv(target)["harm_days"].sum() == expected_index()["harm_days"].sum()


def test_bad_start_date(cli, tmp_path, records_csv):
    code, _, err = cli(
        "score", records_csv, "-o", tmp_path / "o.csv", *SCORE_ARGS, "--start", "spring"
    )
    cli.assert_clean_error(code, err, "start", "spring")


def test_a_file_that_is_not_csv_or_parquet(cli, tmp_path):
    src = tmp_path / "records.xlsx"
    src.write_bytes(b"PK\x03\x04 not really a workbook")
    code, _, err = cli("score", src, "-o", tmp_path / "o.csv")
    cli.assert_clean_error(code, err, "records.xlsx", "neither CSV nor Parquet")
