"""Arrow-native inputs (polars, DuckDB, Arrow C streams) and outputs in the caller's library."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import crimeharm
from crimeharm.errors import InputTypeError, OptionError
from crimeharm.scoring.inputs import as_arrow, open_source
from crimeharm.scoring.provenance import to_json

pl = pytest.importorskip("polars")
duckdb = pytest.importorskip("duckdb")

CODES = ["008/06", "034/01", "092/10", "105/01", "028/03", "8//6", "999/99", None]
KW = {"code": "code", "date": "when", "police_initiated": "pi"}
SCORED = ["days", "crimes", "harm_days", "excluded", "period_date"]


def _records(n: int = 3000, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    when = pd.Series(np.datetime64("2022-01-01") + rng.integers(0, 730, n).astype("timedelta64[D]"))
    when[rng.random(n) < 0.05] = pd.NaT
    area = rng.choice(["A", "B", "C", "D"], n).astype(object)
    area[rng.random(n) < 0.03] = None
    return pd.DataFrame(
        {
            "code": rng.choice(np.array(CODES, dtype=object), n),
            "area": area,
            "when": when.astype("datetime64[us]"),
            "pi": rng.random(n) < 0.1,
        }
    )


RECORDS = _records()


class _Stream:
    """Only the Arrow C stream interface, as an unknown library's object would have it."""

    def __init__(self, table: pa.Table) -> None:
        self.table = table

    def __arrow_c_stream__(self, requested_schema: object = None) -> object:
        return self.table.__arrow_c_stream__(requested_schema)


def _table(frame: pd.DataFrame) -> pa.Table:
    return pa.Table.from_pandas(frame, preserve_index=False)


def _view(frame: pd.DataFrame) -> pa.Table:
    """Text columns as ``string_view``, as polars exports them through the C stream."""
    t = _table(frame)
    for i, f in enumerate(t.schema):
        if pa.types.is_string(f.type) or pa.types.is_large_string(f.type):
            t = t.set_column(i, f.name, t.column(i).cast(pa.string_view()))
    return t


_CONNECTIONS: list[object] = []  # each relation's connection, kept open for the tests


def _duckdb(frame: pd.DataFrame) -> object:
    con = duckdb.connect()
    _CONNECTIONS.append(con)
    con.register("source", _table(frame))
    con.execute("CREATE TABLE records AS SELECT * FROM source")
    return con.sql("SELECT * FROM records ORDER BY rowid")


MAKERS = {
    "arrow": _table,
    "arrow-reader": lambda f: _table(f).to_reader(max_chunksize=700),
    "arrow-string-view": _view,
    "c-stream": lambda f: _Stream(_table(f)),
    "polars": pl.from_pandas,
    "polars-lazy": lambda f: pl.from_pandas(f).lazy(),
    "duckdb": _duckdb,
}


@pytest.fixture(params=list(MAKERS))
def kind(request: pytest.FixtureRequest) -> str:
    return request.param


def _make(kind: str, frame: pd.DataFrame = RECORDS) -> object:
    return MAKERS[kind](frame)


def _quiet(func, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", crimeharm.UnknownCodeWarning)
        return func(*args, **kw)


def test_harm_index_is_the_same_for_every_input(kind):
    expected = _quiet(crimeharm.harm_index, RECORDS, by="area", period="month", **KW)
    got = _quiet(
        crimeharm.harm_index, _make(kind), by="area", period="month", batch_rows=1000, **KW
    )
    pd.testing.assert_frame_equal(got, expected)
    assert got.attrs == expected.attrs
    assert got["crimes"].sum() + got["excluded"].sum() == len(RECORDS)


def test_score_is_the_same_for_every_input(kind):
    expected = _quiet(crimeharm.score, RECORDS, **KW)
    got = _quiet(crimeharm.score, _make(kind), **KW)
    pd.testing.assert_frame_equal(got[SCORED], expected[SCORED])
    assert _values(got["area"]) == _values(RECORDS["area"])
    assert got.attrs == expected.attrs


def test_series_is_the_same_for_every_input(kind):
    frame = RECORDS.assign(outcome=np.where(np.arange(len(RECORDS)) % 3 == 0, "1", "18"))
    kw = {**KW, "by": "area", "period": "quarter", "detected": "outcome"}
    expected = _quiet(crimeharm.series, frame, **kw)
    got = _quiet(crimeharm.series, _make(kind, frame), **kw)
    pd.testing.assert_frame_equal(got, expected)


def test_area_harm_is_the_same_for_polars_and_duckdb():
    frame = RECORDS.dropna(subset=["area"])
    kw = {"area": "area", "end": "2023-06", "months": 12, **KW}
    expected = _quiet(crimeharm.area_harm, frame, **kw)
    for data in (pl.from_pandas(frame), _duckdb(frame)):
        pd.testing.assert_frame_equal(_quiet(crimeharm.area_harm, data, **kw), expected)


@pytest.mark.parametrize("output", ["pandas", "arrow", "polars"])
def test_aggregate_reads_scored_results_of_every_library(output):
    scored = _quiet(crimeharm.score, RECORDS, **KW)
    expected = crimeharm.aggregate(scored, by="area", period="month")
    again = _quiet(crimeharm.score, _table(RECORDS), output=output, **KW)
    got = crimeharm.aggregate(again, by="area", period="month")
    pd.testing.assert_frame_equal(got, expected)
    assert got.attrs["crimeharm"]["summary"]["rows_in"] == len(RECORDS)
    assert got.attrs["crimeharm"]["edition_sha256"] == scored.attrs["crimeharm"]["edition_sha256"]


def _values(col: pd.Series) -> list[object]:
    return [None if pd.isna(v) else v for v in col.astype(object)]


def _as_json(record: dict) -> dict:
    """A record as a file or the Arrow metadata keep it (JSON: pairs as lists)."""
    return json.loads(to_json(record))


def _as_pandas(result: object) -> pd.DataFrame:
    if isinstance(result, pa.Table):
        return result.to_pandas()
    return result.to_pandas()


@pytest.mark.parametrize("output", ["arrow", "polars"])
@pytest.mark.parametrize("func", ["harm_index", "series", "aggregate"])
def test_output_returns_the_same_values_in_another_library(output, func):
    if func == "aggregate":
        scored = _quiet(crimeharm.score, RECORDS, **KW)
        expected = crimeharm.aggregate(scored, by="area", period="month")
        got = crimeharm.aggregate(scored, by="area", period="month", output=output)
    else:
        call = getattr(crimeharm, func)
        expected = _quiet(call, RECORDS, by="area", period="month", **KW)
        got = _quiet(call, RECORDS, by="area", period="month", output=output, **KW)
    assert isinstance(got, pa.Table if output == "arrow" else pl.DataFrame)
    back = _as_pandas(got)
    assert list(back.columns) == list(expected.columns)
    for col in expected.columns:
        left, right = back[col], expected[col]
        if isinstance(right.dtype, pd.CategoricalDtype):
            left, right = left.astype(object), right.astype(object)
        elif right.dtype.kind == "M":
            left, right = left.astype("datetime64[s]"), right.astype("datetime64[s]")
        pd.testing.assert_series_equal(left, right, check_dtype=False, check_names=False)
    assert crimeharm.provenance(got).record == _as_json(expected.attrs["crimeharm"])


@pytest.mark.parametrize("output", ["arrow", "polars"])
def test_score_of_arrow_input_stays_arrow(output, kind):
    expected = _quiet(crimeharm.score, RECORDS, **KW)
    got = _quiet(crimeharm.score, _make(kind), output=output, **KW)
    table = got if output == "arrow" else got.to_arrow()
    assert isinstance(table, pa.Table)
    assert table.num_rows == len(RECORDS)
    np.testing.assert_array_equal(table["days"].to_numpy(), expected["days"].to_numpy())
    np.testing.assert_array_equal(table["harm_days"].to_numpy(), expected["harm_days"].to_numpy())
    assert table["excluded"].to_pylist() == _values(expected["excluded"])
    dates = table["period_date"].cast(pa.timestamp("s")).to_numpy()
    np.testing.assert_array_equal(dates, expected["period_date"].to_numpy())
    assert crimeharm.provenance(got).summary.rows_in == len(RECORDS)


def test_score_of_a_count_column_named_crimes_replaces_it_in_arrow():
    frame = pd.DataFrame({"offence_code": ["8/6", "34/1", "8/6"], "crimes": [3, -1, 2]})
    expected = crimeharm.score(frame, count="crimes")
    got = crimeharm.score(_table(frame), count="crimes", output="arrow")
    assert got.schema.names.count("crimes") == 1
    assert got["crimes"].to_pylist() == expected["crimes"].tolist()
    assert got["excluded"].to_pylist() == _values(expected["excluded"])
    assert got["excluded"].to_pylist()[1] == "invalid_count"


def test_an_unknown_output_is_refused():
    with pytest.raises(OptionError, match=r"output='numpy'.*'pandas', 'arrow', 'polars'"):
        crimeharm.harm_index(RECORDS, output="numpy", **KW)
    with pytest.raises(OptionError, match="output="):
        crimeharm.score(RECORDS, output="arrows", **KW)


def test_an_arrow_stream_is_read_once_and_not_silently_again():
    reader = _table(RECORDS).to_reader()
    _quiet(crimeharm.harm_index, reader, **KW)
    with pytest.raises(InputTypeError, match="read to its end already"):
        crimeharm.harm_index(reader, **KW)


def test_opening_a_stream_reads_its_schema_only():
    reader = _table(RECORDS).to_reader()
    source = open_source(reader, columns=["code"])
    assert source.kind == "stream"
    assert source.columns == list(RECORDS.columns)
    assert sum(b.num_rows for b in source.batches()) == len(RECORDS)


def test_stream_batches_are_cut_and_joined_to_batch_rows():
    seen: list[int] = []
    reader = _table(RECORDS).to_reader(max_chunksize=128)
    _quiet(crimeharm.harm_index, reader, batch_rows=1000, progress=seen.append, **KW)
    steps = np.diff([0, *seen])
    assert seen[-1] == len(RECORDS)
    assert (steps[:-1] >= 1000).all()
    assert (steps < 2000).all()


def test_a_missing_column_of_a_stream_is_named():
    with pytest.raises(crimeharm.MissingColumnError, match="'code'"):
        crimeharm.harm_index(pl.DataFrame({"x": [1]}), **KW)


def test_an_arrow_stream_of_something_else_than_columns_is_refused():
    with pytest.raises(InputTypeError, match="not a stream of record batches"):
        crimeharm.harm_index(pl.Series("code", ["8/6"]), code="code")


def test_something_unreadable_names_what_is_accepted():
    with pytest.raises(InputTypeError, match=r"polars DataFrame or LazyFrame.*__arrow_c_stream__"):
        crimeharm.harm_index(object())


def test_as_arrow_leaves_pandas_and_paths_alone():
    assert as_arrow(RECORDS) is RECORDS
    assert as_arrow("records.csv") == "records.csv"
    assert isinstance(as_arrow(pl.from_pandas(RECORDS)), pa.Table)
    assert isinstance(as_arrow(_duckdb(RECORDS)), pa.RecordBatchReader)


def test_polars_and_duckdb_are_not_imported_for_pandas_or_arrow():
    code = (
        "import sys, pandas as pd, pyarrow as pa, crimeharm\n"
        "df = pd.DataFrame({'offence_code': ['8/6', '34/1'], 'area': ['A', 'B']})\n"
        "crimeharm.harm_index(df, by='area', output='arrow')\n"
        "crimeharm.score(pa.Table.from_pandas(df), output='arrow')\n"
        "crimeharm.provenance(crimeharm.score(df))\n"
        "bad = [m for m in ('polars', 'duckdb') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
