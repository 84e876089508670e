"""Tests of the one reading of "an edition id, a weights CSV or a table": load_weights.

The library (``weights=`` of score and harm_index), ``crimeharm weights`` and
``crimeharm score --weights`` all go through :func:`crimeharm.load_weights`;
these tests check the rule and that the commands agree on it.
"""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest

import crimeharm
from crimeharm import (
    InputFileError,
    InputTypeError,
    UnknownEditionError,
    WeightsValidationError,
    WeightTable,
    available_weights,
    edition_info,
    load_weights,
)
from crimeharm.weights import editions

EDITIONS = available_weights()["id"].tolist()
SHIPPED = resources.files("crimeharm.weights.data").joinpath("cchi-2020.csv").read_bytes()


def _table(path: Path, text: str = "key,days,ho_class\na,547.5,8/1\nb,10,8/6\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# --- the rule ------------------------------------------------------------------------------


@pytest.mark.parametrize("edition", EDITIONS)
def test_an_edition_id_is_the_shipped_edition(edition):
    w = load_weights(edition)
    assert (w.edition, w.sha256) == (edition, edition_info(edition).sha256)
    assert load_weights(edition) is w  # cached


def test_none_is_the_default_edition():
    default = available_weights().loc[lambda f: f["default"], "id"].item()
    assert load_weights() is load_weights(None) is load_weights(default)


def test_a_table_is_returned_as_it_is(tmp_path):
    table = WeightTable.from_csv(_table(tmp_path / "mine.csv"))
    assert load_weights(table) is table


@pytest.mark.parametrize(
    "name",
    ["mine.csv", "MINE.CSV", "sub/mine", "sub/mine.txt"],
)
def test_a_path_is_read_as_a_weights_csv(tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    path = _table(tmp_path / name)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    for spec in (name, Path(name), path, str(path)):
        w = load_weights(spec)
        assert (w.edition, w.sha256) == (path.stem, digest)
        assert w.lookup(["8/1", "008/06"]).tolist() == [547.5, 10.0]


def test_an_existing_file_without_suffix_or_folder_is_read(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _table(tmp_path / "mytable")
    assert load_weights("mytable").edition == "mytable"


def test_an_edition_id_wins_over_a_file_of_that_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _table(tmp_path / "cchi-2020")
    assert load_weights("cchi-2020").sha256 == edition_info("cchi-2020").sha256
    assert load_weights("./cchi-2020").sha256 != edition_info("cchi-2020").sha256
    assert load_weights(Path("cchi-2020")).sha256 != edition_info("cchi-2020").sha256


@pytest.mark.parametrize("name", ["nowhere.csv", "NOWHERE.CSV", "no/where", "no\\where"])
def test_a_missing_file_is_an_input_file_error(tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputFileError, match="does not exist") as e:
        load_weights(name)
    assert repr(name) in str(e.value)
    with pytest.raises(InputFileError, match="does not exist"):
        load_weights(Path(name))


@pytest.mark.parametrize("name", ["cchi-2019", "CCHI-2020", "", "ons"])
def test_an_unknown_name_lists_the_editions(tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UnknownEditionError) as e:
        load_weights(name)
    assert repr(name) in str(e.value)
    for edition in EDITIONS:
        assert edition in str(e.value)
    assert "path of a weights CSV" in str(e.value)
    assert e.value.values == [name]
    assert e.value.allowed == EDITIONS
    assert isinstance(e.value, LookupError)


@pytest.mark.parametrize("bad", [2020, 1.5, ["cchi-2020"], b"cchi-2020"])
def test_another_type_is_a_type_error(bad):
    with pytest.raises(InputTypeError, match="edition id, a path to a weights CSV or a Weight"):
        load_weights(bad)
    with pytest.raises(TypeError):
        load_weights(bad)


def test_a_bad_csv_is_a_validation_error(tmp_path):
    path = _table(tmp_path / "bad.csv", "key,days\na,1\nb,-1\n")
    with pytest.raises(WeightsValidationError, match="row 2"):
        load_weights(str(path))


# --- the library reads weights by the same rule ----------------------------------------------

RECORDS = pd.DataFrame({"offence_code": ["8/1", "8/6", "8/6"], "d": ["2024-01-02"] * 3})


@pytest.mark.parametrize("form", [str, Path, load_weights])
def test_score_and_harm_index_take_a_weights_csv(tmp_path, form):
    path = _table(tmp_path / "mine.csv")
    scored = crimeharm.score(RECORDS, date="d", weights=form(path))
    assert scored["harm_days"].tolist() == [547.5, 10.0, 10.0]
    assert scored.attrs["crimeharm"]["edition"] == "mine"
    table = crimeharm.harm_index(RECORDS, date="d", weights=form(path), period="year")
    assert table["harm_days"].sum() == 567.5


def test_police_uk_weights_take_a_weights_csv(tmp_path):
    path = tmp_path / "copy.csv"
    path.write_bytes(SHIPPED)
    from crimeharm.weights.police_uk import police_uk_weights

    from_path = police_uk_weights(str(path)).table.set_index("key")["days"]
    shipped = police_uk_weights("cchi-2020").table.set_index("key")["days"]
    pd.testing.assert_series_equal(from_path, shipped)


# --- the commands agree ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "spec",
    ["cchi-2016-beta", "copy.csv", "COPY.CSV", "sub/copy", "copy", "missing.csv", "cchi-2019"],
)
def test_weights_show_and_score_read_a_spec_alike(cli, tmp_path, monkeypatch, spec):
    """Both commands load what load_weights loads, or fail with its error (a file named
    like an edition id is there too: the id wins in both)."""
    monkeypatch.chdir(tmp_path)
    for name in ("copy.csv", "COPY.CSV", "sub/copy", "copy", "cchi-2016-beta"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(SHIPPED)
    records = tmp_path / "records.csv"
    RECORDS.to_csv(records, index=False)
    try:
        expected = load_weights(spec)
    except (InputFileError, UnknownEditionError) as exc:
        expected = exc

    show = cli("weights", "show", spec, "--code", "8/1")
    scored = cli("score", records, "-o", tmp_path / "out.csv", "--weights", spec)
    for code, out, err in (show, scored):
        if isinstance(expected, Exception):
            assert (code, out) == (2, "")
            assert err.strip() == f"crimeharm: error: {expected}"
        else:
            assert code == 0, err
            assert f"sha256 {expected.sha256}" in out
    if not isinstance(expected, Exception):
        written = pd.read_csv(tmp_path / "out.csv")
        assert set(written["edition"]) == {expected.edition}


# --- the shipped files are checked by one reader ---------------------------------------------


def _entries():
    manifest = editions._manifest()
    return [*manifest.editions, *manifest.mappings]


@pytest.mark.parametrize("entry", _entries(), ids=lambda e: e.id)
def test_every_shipped_file_is_checked_against_its_hash_and_rows(entry):
    digest, frame = entry.read()
    assert digest == entry.sha256
    assert len(frame) == entry.rows
    with pytest.raises(WeightsValidationError, match="sha256") as e:
        entry.model_copy(update={"sha256": "0" * 64}).read()
    assert e.value.path == entry.file
    with pytest.raises(WeightsValidationError, match=f"{entry.rows} rows; the manifest says"):
        entry.model_copy(update={"rows": entry.rows + 1}).read()


# --- the old names -------------------------------------------------------------------------


def test_load_table_is_a_deprecated_alias():
    from crimeharm.cli.weights import load_table

    with pytest.warns(DeprecationWarning, match="load_weights"):
        w = load_table("cchi-2020")
    assert w is load_weights("cchi-2020")


def test_one_resolver_of_weights():
    assert not hasattr(editions, "resolve_weights")
