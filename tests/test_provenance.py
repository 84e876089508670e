"""crimeharm.provenance(): from results of every library, Parquet files and CSV sidecars."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import crimeharm
from crimeharm.cli import atomic
from crimeharm.errors import OutputFileError, ProvenanceError
from crimeharm.scoring.provenance import sidecar_path

RECORDS = pd.DataFrame(
    {
        "code": ["008/06", "034/01", "092/10", "105/01", "8//6"] * 4,
        "area": ["A", "B", "A", "C", "B"] * 4,
        "when": ["2023-01-05", "2023-02-11", "2023-03-01", "2023-04-30", "2023-05-09"] * 4,
    }
)
KW = {"code": "code", "date": "when"}


def _index(**kw):
    return crimeharm.harm_index(RECORDS, by="area", period="quarter", **KW, **kw)


def _expected(result) -> dict:
    return result.attrs["crimeharm"]


@pytest.mark.parametrize(
    "make",
    [
        lambda: crimeharm.score(RECORDS, **KW),
        _index,
        lambda: crimeharm.aggregate(crimeharm.score(RECORDS, **KW), by="area"),
        lambda: crimeharm.series(RECORDS, by="area", **KW),
    ],
    ids=["score", "harm_index", "aggregate", "series"],
)
def test_a_pandas_result_gives_its_edition_options_and_summary(make):
    result = make()
    p = crimeharm.provenance(result)
    assert p.source == "attrs"
    assert p.edition == "cchi-2020"
    assert p.edition_sha256 == crimeharm.load_weights("cchi-2020").sha256
    assert p.summary is not None
    assert p.summary.rows_in == len(RECORDS)
    assert p.summary.reconciles()
    assert p.record == _expected(result)


def test_options_are_the_options_of_the_call():
    p = crimeharm.provenance(crimeharm.score(RECORDS, **KW, unknown="zero"))
    assert p.options["date"] == "when"
    assert p.options["unknown"] == "zero"


def test_area_harm_gives_its_provenance():
    # the records end in May: the six-month window to June is short by a month, and says so
    with pytest.warns(crimeharm.ShortDataWarning, match="5 of the 6 months"):
        out = crimeharm.area_harm(RECORDS, area="area", end="2023-06", months=6, **KW)
    p = crimeharm.provenance(out)
    assert p.edition == "cchi-2020"
    assert p.record["window"] == out.attrs["window"]


@pytest.mark.parametrize("output", ["arrow", "polars"])
def test_arrow_and_polars_results_give_the_same_provenance(output):
    if output == "polars":
        pytest.importorskip("polars")
    expected = crimeharm.provenance(_index())
    got = crimeharm.provenance(_index(output=output))
    assert got.source == output
    assert got.edition_sha256 == expected.edition_sha256
    assert got.summary == expected.summary
    assert got.options == expected.options


def test_an_arrow_result_keeps_it_through_select_and_a_parquet_file(tmp_path):
    table = _index(output="arrow").select(["area", "harm_days"])
    assert crimeharm.provenance(table).summary.rows_in == len(RECORDS)
    pq.write_table(table, tmp_path / "t.parquet")
    p = crimeharm.provenance(tmp_path / "t.parquet")
    assert p.source == "parquet"
    assert p.summary.rows_in == len(RECORDS)


def test_a_polars_frame_made_from_a_result_has_none():
    pl = pytest.importorskip("polars")
    result = _index(output="polars")
    derived = result.filter(pl.col("crimes") > 0)
    with pytest.raises(ProvenanceError, match="polars"):
        crimeharm.provenance(derived)
    assert crimeharm.provenance(result).edition == "cchi-2020"


def test_the_polars_record_goes_with_its_frame():
    pytest.importorskip("polars")
    from crimeharm.scoring import provenance as module

    result = _index(output="polars")
    key = id(result)
    assert key in module._POLARS
    del result
    assert key not in module._POLARS


def test_a_parquet_file_pandas_wrote_is_read(tmp_path):
    _index().to_parquet(tmp_path / "p.parquet")
    p = crimeharm.provenance(tmp_path / "p.parquet")
    assert p.source == "parquet"
    assert p.summary.rows_in == len(RECORDS)


def test_a_parquet_file_without_provenance_is_refused(tmp_path):
    pq.write_table(pa.table({"a": [1]}), tmp_path / "x.parquet")
    with pytest.raises(ProvenanceError, match="no crimeharm provenance"):
        crimeharm.provenance(tmp_path / "x.parquet")


# --- what pandas keeps (the table in docs/scoring.md) ---------------------------------------


def test_pandas_drops_attrs_as_the_docs_say():
    out = _index()
    other = pd.DataFrame({"area": ["A", "B"], "population": [10, 20]})
    for dropped in (
        out.merge(other, on="area"),
        pd.concat([out, other]),
        pd.read_csv(io.StringIO(out.to_csv(index=False))),
    ):
        with pytest.raises(ProvenanceError, match="drops it"):
            crimeharm.provenance(dropped)
    for kept in (
        out[out["crimes"] > 0],
        out.assign(x=1),
        out.sort_values("harm_days"),
        pd.concat([out, out]),
        out.groupby("area", observed=True).agg({"crimes": "sum"}),
        pd.read_parquet(io.BytesIO(out.to_parquet())),
    ):
        assert crimeharm.provenance(kept).edition == "cchi-2020"


def test_a_frame_that_lost_it_gets_it_back_from_the_result():
    out = _index()
    merged = out.merge(pd.DataFrame({"area": ["A"], "x": [1]}), on="area")
    merged.attrs = out.attrs
    assert crimeharm.provenance(merged).summary == crimeharm.provenance(out).summary


# --- CSV sidecars ---------------------------------------------------------------------------


@pytest.fixture
def records_csv(tmp_path) -> Path:
    path = tmp_path / "records.csv"
    RECORDS.to_csv(path, index=False)
    return path


SCORE_ARGS = ["--code-col", "code", "--date-col", "when", "--by", "area", "--period", "quarter"]


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz"])
def test_the_command_line_writes_a_sidecar_with_a_csv(cli, tmp_path, records_csv, suffix):
    target = tmp_path / f"harm{suffix}"
    code, _, err = cli("score", records_csv, "-o", target, *SCORE_ARGS)
    assert code == 0, err
    side = sidecar_path(target)
    assert side.name == f"harm{suffix}.provenance.json"
    content = json.loads(side.read_text())
    data = target.read_bytes()
    assert content["file"] == {
        "name": target.name,
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    p = crimeharm.provenance(target)
    assert p.source == "sidecar"
    assert p.summary == crimeharm.provenance(_index()).summary
    assert crimeharm.provenance(side).summary == p.summary  # the sidecar named directly
    assert sorted(f.name for f in tmp_path.iterdir()) == sorted(
        ["records.csv", target.name, side.name]
    )


def test_the_command_line_writes_provenance_into_parquet(cli, tmp_path, records_csv):
    target = tmp_path / "harm.parquet"
    code, _, err = cli("score", records_csv, "-o", target, *SCORE_ARGS)
    assert code == 0, err
    assert b"crimeharm" in pq.read_schema(target).metadata
    assert crimeharm.provenance(target).summary.rows_in == len(RECORDS)
    assert crimeharm.provenance(pd.read_parquet(target)).summary.rows_in == len(RECORDS)
    assert not sidecar_path(target).exists()


def test_a_changed_csv_is_not_described_by_its_sidecar(cli, tmp_path, records_csv):
    target = tmp_path / "harm.csv"
    cli("score", records_csv, "-o", target, *SCORE_ARGS)
    with target.open("a") as fh:
        fh.write("X,2023-Q1,,,0,0\n")
    with pytest.raises(ProvenanceError, match="changed or replaced"):
        crimeharm.provenance(target)


def test_a_csv_without_a_sidecar_says_where_it_would_be(tmp_path):
    path = tmp_path / "plain.csv"
    path.write_text("a\n1\n")
    with pytest.raises(ProvenanceError, match=r"plain\.csv\.provenance\.json"):
        crimeharm.provenance(path)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(ProvenanceError, match="does not exist"):
        crimeharm.provenance(tmp_path / "nothing.csv")


def test_a_failed_sidecar_leaves_the_previous_pair(cli, tmp_path, records_csv, monkeypatch):
    target = tmp_path / "harm.csv"
    cli("score", records_csv, "-o", target, *SCORE_ARGS)
    before = (target.read_bytes(), sidecar_path(target).read_bytes())

    def fail(path, data):
        raise OutputFileError(f"cannot write {str(path)!r}: disk full", path=path)

    monkeypatch.setattr(atomic, "write_atomic", fail)
    code, _, err = cli("score", records_csv, "-o", target, *SCORE_ARGS, "--period", "month")
    assert code != 0
    assert "disk full" in err
    assert (target.read_bytes(), sidecar_path(target).read_bytes()) == before
    assert sorted(f.name for f in tmp_path.iterdir()) == sorted(
        ["records.csv", target.name, sidecar_path(target).name]
    )
    assert crimeharm.provenance(target).record["period"] == "quarter"


def test_csv_on_standard_output_has_no_sidecar(cli, tmp_path, records_csv, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, _ = cli("score", records_csv, "-o", "-", *SCORE_ARGS)
    assert code == 0
    assert "area" in out
    assert not list(tmp_path.glob("*.provenance.json"))


def test_write_sidecar_from_python(tmp_path):
    out = _index()
    path = tmp_path / "mine.csv"
    out.to_csv(path, index=False)
    written = crimeharm.provenance(out).write_sidecar(path)
    assert written == tmp_path / "mine.csv.provenance.json"
    assert crimeharm.provenance(path).summary == crimeharm.provenance(out).summary


def test_a_sidecar_that_is_not_one_is_refused(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a\n")
    sidecar_path(path).write_text('{"something": 1}')
    with pytest.raises(ProvenanceError, match="not a crimeharm sidecar"):
        crimeharm.provenance(path)
    sidecar_path(path).write_text("not json")
    with pytest.raises(ProvenanceError, match="not JSON"):
        crimeharm.provenance(path)
