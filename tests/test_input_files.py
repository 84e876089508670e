"""Input files as they come: a corpus of bad and awkward inputs, each with its expected outcome.

Every case is built here, in a temporary folder, from a few bytes or a small frame: the file
kinds (gzip or ZIP under a ``.csv`` name, UTF-16, truncated Parquet), encodings and separators,
folders, globs and lists of files (data.police.uk's ``YYYY-MM/YYYY-MM-force-street.csv`` tree),
Parquet folders whose schemas differ, duplicate and clashing column names, nested columns, and
the reading options. An error case names the error class and fragments its message must hold
(the file, the column, the value, what was expected); a read case checks what was read.

The property test splits a frame into CSV and Parquet files (random row groups, text types and
sub-folders) and checks that the folder gives the frame's result in one call; set
``CRIMEHARM_EXAMPLES`` to run it with more examples than the default 40.
"""

from __future__ import annotations

import bz2
import gzip
import io
import itertools
import os
import shutil
import tempfile
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import crimeharm
from crimeharm import (
    ColumnNameError,
    ColumnTypeError,
    CrimeHarmError,
    EmptyDataError,
    InputFileError,
    InputTypeError,
    MissingColumnError,
    OptionError,
    UnsupportedFormatError,
)
from crimeharm.allocation import area_harm
from crimeharm.scoring.inputs import (
    INDEX_OUTPUT_COLUMNS,
    INDEX_OUTPUT_PREFIXES,
    open_source,
    read_table,
)
from crimeharm.scoring.rows import OUTPUT_COLUMNS
from crimeharm.weights.police_uk import police_uk_options

pytestmark = pytest.mark.filterwarnings("ignore::crimeharm.UnknownCodeWarning")

W = crimeharm.load_weights()
CSV_TEXT = "offence_code,area\n8/6,A\n034/01,B\n"
WIDE_HEADER = "offence_code," + ",".join(f"c{i:06d}" for i in range(12_000))  # 96 KiB


def summary(out: pd.DataFrame) -> dict:
    return out.attrs["crimeharm"]["summary"]


def rows_in(data: Any, **kw: Any) -> int:
    return summary(crimeharm.harm_index(data, **kw))["rows_in"]


def parquet_bytes(table: pa.Table, **kw: Any) -> bytes:
    buf = io.BytesIO()
    pq.write_table(table, buf, **kw)
    return buf.getvalue()


def zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("a.csv", CSV_TEXT)
    return buf.getvalue()


def corrupt_middle(table: pa.Table) -> bytes:
    """A Parquet file of two row groups whose second group's pages are overwritten."""
    data = bytearray(parquet_bytes(table, row_group_size=table.num_rows // 2))
    meta = pq.ParquetFile(io.BytesIO(bytes(data))).metadata
    start = meta.row_group(1).column(0).data_page_offset
    for i in range(start, start + 64):
        data[i] ^= 0xFF
    return bytes(data)


# --- the corpus ----------------------------------------------------------------------------------


@dataclass
class Case:
    """One input: files to write (name -> bytes, or None for a folder) and the call to make.

    ``call`` is ``score``, ``harm_index``, ``read`` or ``area_harm``; ``data`` a name (or list of
    names) under the case's folder, or a frame/table. The outcome is an error class with message
    fragments (looked for in the message with the folder's path taken out), or ``check`` run on
    the result.
    """

    files: dict[str, bytes | None] = field(default_factory=dict)
    data: Any = None
    call: str = "harm_index"
    kw: dict[str, Any] = field(default_factory=dict)
    error: type[Exception] | None = None
    fragments: tuple[str, ...] = ()
    check: Callable[[Any], None] | None = None


def _rows(n: int) -> Callable[[Any], None]:
    def check(out: Any) -> None:
        assert summary(out)["rows_in"] == n

    return check


def _areas(expected: list) -> Callable[[Any], None]:
    def check(out: Any) -> None:
        got = [None if pd.isna(v) else v for v in out["area"].astype(object)]
        assert got == expected

    return check


FLOAT_AREA = pa.table(
    {
        "offence_code": ["8/6", "8/6", "034/01", "8/6"],
        "area": pa.array(np.array([1.0, np.nan, 2.5, 1.0])),  # NaN a value, not a null
    }
)
TEXT_TABLE = pa.table({"offence_code": ["8/6", "034/01"], "area": ["A", "B"]})


def _table(area: pa.Array, codes: list[str] | None = None) -> bytes:
    codes = codes or ["8/6"] * len(area)
    return parquet_bytes(pa.table({"offence_code": codes, "area": area}))


CASES: dict[str, Case] = {
    # --- encodings ---
    "cp1252-read-as-utf8": Case(
        {"cp.csv": "offence_code,area\n8/6,A\n8/6,Caf\xe9\n".encode("cp1252")},
        "cp.csv",
        kw={"by": "area"},
        error=InputFileError,
        fragments=("cp.csv", "line 3", "byte 31", "utf-8", "cp1252", r"b'\xe9'"),
    ),
    "cp1252-with-encoding": Case(
        {"cp.csv": "offence_code,area\n8/6,A\n8/6,Caf\xe9\n".encode("cp1252")},
        "cp.csv",
        kw={"by": "area", "encoding": "cp1252"},
        check=_areas(["A", "Café"]),
    ),
    "cp1252-undefined-byte": Case(
        {"cp.csv": b"offence_code,area\n8/6,A\n8/6,\x81\n"},
        "cp.csv",
        kw={"by": "area", "encoding": "cp1252"},
        error=InputFileError,
        fragments=("cp.csv", "line 3", "cp1252", r"b'\x81'"),
    ),
    "bad-utf8-in-header": Case(
        {"h.csv": b"offence_code,Caf\xe9\n8/6,A\n"},
        "h.csv",
        error=InputFileError,
        fragments=("h.csv", "line 1", "utf-8"),
    ),
    "bad-utf8-inside-gzip": Case(
        {"z.csv.gz": gzip.compress(b"offence_code,area\n8/6,A\n8/6,\xff\n")},
        "z.csv.gz",
        kw={"by": "area"},
        error=InputFileError,
        fragments=("z.csv.gz", "line 3", "utf-8"),
    ),
    "utf8-bom": Case({"bom.csv": b"\xef\xbb\xbf" + CSV_TEXT.encode()}, "bom.csv", check=_rows(2)),
    "utf8-bom-utf-8-sig": Case(
        {"bom.csv": b"\xef\xbb\xbf" + CSV_TEXT.encode()},
        "bom.csv",
        kw={"encoding": "utf-8-sig", "by": "area"},
        check=_areas(["A", "B"]),
    ),
    "utf16-without-encoding": Case(
        {"u.csv": CSV_TEXT.encode("utf-16")},
        "u.csv",
        error=UnsupportedFormatError,
        fragments=("u.csv", "UTF-16", "encoding='utf-16'"),
    ),
    "utf16-with-encoding": Case(
        {"u.csv": CSV_TEXT.encode("utf-16")},
        "u.csv",
        kw={"encoding": "utf-16", "by": "area"},
        check=_areas(["A", "B"]),
    ),
    "latin-1": Case(
        {"l.csv": "offence_code,area\n8/6,Ç\n".encode("latin-1")},
        "l.csv",
        kw={"encoding": "latin-1", "by": "area"},
        check=_areas(["Ç"]),
    ),
    # --- what a file holds ---
    "gzip-named-csv-is-read-as-gzip": Case(
        {"g.csv": gzip.compress(CSV_TEXT.encode())}, "g.csv", check=_rows(2)
    ),
    "bz2-named-csv": Case({"b.csv": bz2.compress(CSV_TEXT.encode())}, "b.csv", check=_rows(2)),
    "csv-gz": Case({"g.csv.gz": gzip.compress(CSV_TEXT.encode())}, "g.csv.gz", check=_rows(2)),
    "plain-text-named-csv-gz": Case({"p.csv.gz": CSV_TEXT.encode()}, "p.csv.gz", check=_rows(2)),
    "truncated-gzip": Case(
        {"t.csv": gzip.compress(CSV_TEXT.encode() * 100)[:40]},
        "t.csv",
        error=InputFileError,
        fragments=("t.csv",),
    ),
    "zip-named-csv": Case(
        {"z.csv": zip_bytes()}, "z.csv", error=UnsupportedFormatError, fragments=("z.csv", "ZIP")
    ),
    "xls-named-csv": Case(
        {"x.csv": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100},
        "x.csv",
        error=UnsupportedFormatError,
        fragments=("x.csv", "Excel 97-2003"),
    ),
    "parquet-named-csv": Case(
        {"p.csv": parquet_bytes(TEXT_TABLE)},
        "p.csv",
        error=UnsupportedFormatError,
        fragments=("p.csv", "Parquet"),
    ),
    "binary-named-csv": Case(
        {"b.csv": bytes(range(256)) * 4},
        "b.csv",
        error=UnsupportedFormatError,
        fragments=("b.csv", "binary"),
    ),
    "text-named-parquet": Case(
        {"t.parquet": CSV_TEXT.encode()},
        "t.parquet",
        error=InputFileError,
        fragments=("t.parquet", "PAR1"),
    ),
    "truncated-parquet": Case(
        {"t.parquet": parquet_bytes(TEXT_TABLE)[:-30]},
        "t.parquet",
        error=InputFileError,
        fragments=("t.parquet", "truncated or corrupt"),
    ),
    "corrupt-row-group": Case(
        {
            "c.parquet": corrupt_middle(
                pa.table({"offence_code": ["8/6"] * 2000, "n": np.arange(2000)})
            )
        },
        "c.parquet",
        kw={"count": "n"},
        error=InputFileError,
        fragments=("c.parquet", "row group 2 of 2"),
    ),
    "unknown-extension": Case(
        {"r.json": b"{}"}, "r.json", error=UnsupportedFormatError, fragments=("r.json",)
    ),
    "parquet-without-extension": Case(
        {"records": parquet_bytes(TEXT_TABLE)}, "records", check=_rows(2)
    ),
    "empty-folder-named-csv": Case(
        {"x.csv": None},
        "x.csv",
        error=InputFileError,
        fragments=("x.csv", "holds no CSV or Parquet"),
    ),
    "folder-named-csv-is-a-folder": Case(
        {"x.csv": None, "x.csv/a.csv": CSV_TEXT.encode()}, "x.csv", check=_rows(2)
    ),
    "missing-path": Case(data="nope.csv", error=InputFileError, fragments=("nope.csv", "exist")),
    # --- CSV shape ---
    "zero-byte-csv": Case(
        {"e.csv": b""}, "e.csv", kw={"by": "area"}, error=EmptyDataError, fragments=("e.csv",)
    ),
    "bom-only-csv": Case(
        {"e.csv": b"\xef\xbb\xbf"}, "e.csv", error=EmptyDataError, fragments=("e.csv", "empty")
    ),
    "header-only-no-newline": Case(
        {"h.csv": b"offence_code,area"}, "h.csv", kw={"by": "area"}, check=_rows(0)
    ),
    "header-only": Case({"h.csv": b"offence_code,area\n"}, "h.csv", check=_rows(0)),
    "ragged-row": Case(
        {"r.csv": (CSV_TEXT + "8/6,A,extra\n").encode()},
        "r.csv",
        error=InputFileError,
        fragments=("r.csv", "Row #4", "Expected 2 columns, got 3"),
    ),
    "header-longer-than-a-block": Case(
        {"w.csv": WIDE_HEADER.encode() + b"\n" + b"8/6" + b",x" * 12_000 + b"\n"},
        "w.csv",
        call="score",
        check=lambda out: (
            (out.shape == (1, 12_005) and out["c011999"].tolist() == ["x"])
            or pytest.fail(str(out.shape))
        ),
    ),
    "header-longer-than-4-mib": Case(
        {"w.csv": ",".join(f"c{i:07d}" for i in range(600_000)).encode() + b"\n"},
        "w.csv",
        error=InputFileError,
        fragments=("w.csv", "longer than 4 MiB"),
    ),
    "quoted-line-end-in-header": Case(
        {"q.csv": b'offence_code,"two\nlines"\n8/6,x\n'},
        "q.csv",
        call="score",
        check=lambda out: out["two\nlines"].tolist() == ["x"] or pytest.fail(str(out)),
    ),
    "semicolons-without-sep": Case(
        {"s.csv": CSV_TEXT.replace(",", ";").encode()},
        "s.csv",
        error=MissingColumnError,
        fragments=("s.csv", "sep=';'"),
    ),
    "semicolons-with-sep": Case(
        {"s.csv": CSV_TEXT.replace(",", ";").encode()},
        "s.csv",
        kw={"sep": ";", "by": "area"},
        check=_areas(["A", "B"]),
    ),
    "tsv": Case(
        {"t.tsv": CSV_TEXT.replace(",", "\t").encode()},
        "t.tsv",
        kw={"by": "area"},
        check=_areas(["A", "B"]),
    ),
    "pipes-with-sep": Case(
        {"p.txt": CSV_TEXT.replace(",", "|").encode()}, "p.txt", kw={"sep": "|"}, check=_rows(2)
    ),
    "crlf": Case({"c.csv": CSV_TEXT.replace("\n", "\r\n").encode()}, "c.csv", check=_rows(2)),
    "codes-stay-text": Case(
        {"c.csv": b"offence_code\n00806\n00806\n"},
        "c.csv",
        call="score",
        check=lambda out: out["days"].tolist() == [10.0, 10.0] or pytest.fail(str(out)),
    ),
    # --- column names ---
    "duplicate-csv-header": Case(
        {"d.csv": b"offence_code,area,offence_code\n8/6,A,034/01\n"},
        "d.csv",
        call="score",
        error=ColumnNameError,
        fragments=("d.csv", "duplicate", "['offence_code']"),
    ),
    "duplicate-blank-header": Case(
        {"d.csv": b"offence_code,,\n8/6,1,2\n"},
        "d.csv",
        error=ColumnNameError,
        fragments=("d.csv", "['']"),
    ),
    "duplicate-parquet-columns": Case(
        {
            "d.parquet": parquet_bytes(
                pa.Table.from_arrays([pa.array(["8/6"]), pa.array(["A"])], names=["a", "a"])
            )
        },
        "d.parquet",
        kw={"code": "a"},
        error=ColumnNameError,
        fragments=("d.parquet", "['a']"),
    ),
    "duplicate-pandas-columns": Case(
        data=pd.DataFrame([["8/6", "034/01"]], columns=["offence_code", "offence_code"]),
        call="score",
        error=ColumnNameError,
        fragments=("data", "['offence_code']"),
    ),
    "duplicate-arrow-columns": Case(
        data=pa.Table.from_arrays(
            [pa.array(["8/6"]), pa.array(["A"]), pa.array(["B"])],
            names=["offence_code", "area", "area"],
        ),
        kw={"by": "area"},
        error=ColumnNameError,
        fragments=("['area']",),
    ),
    # --- nested columns ---
    "list-code-arrow": Case(
        data=pa.table({"offence_code": pa.array([["8/6"], ["034/01"]])}),
        error=ColumnTypeError,
        fragments=("'offence_code'", "list<item: string>"),
    ),
    "struct-area-arrow": Case(
        data=pa.table({"offence_code": ["8/6"], "area": pa.array([{"x": 1}])}),
        kw={"by": "area"},
        error=ColumnTypeError,
        fragments=("'area'", "struct<x: int64>"),
    ),
    "map-date-parquet": Case(
        {
            "m.parquet": parquet_bytes(
                pa.table(
                    {
                        "offence_code": ["8/6"],
                        "d": pa.array([[("a", 1)]], type=pa.map_(pa.string(), pa.int64())),
                    }
                )
            )
        },
        "m.parquet",
        call="score",
        kw={"date": "d"},
        error=ColumnTypeError,
        fragments=("m.parquet", "'d'", "map<string, int64"),
    ),
    "list-flag-pandas-object": Case(
        data=pd.DataFrame({"offence_code": ["8/6", "8/6"], "pi": ["N", ["Y"]]}),
        call="score",
        kw={"police_initiated": "pi"},
        error=ColumnTypeError,
        fragments=("'pi'", "list", "row 1"),
    ),
    "dict-count-pandas-object": Case(
        data=pd.DataFrame({"offence_code": ["8/6"], "n": [{"n": 1}]}),
        kw={"count": "n"},
        error=ColumnTypeError,
        fragments=("'n'", "dict"),
    ),
    "list-dtype-pandas": Case(
        data=pd.DataFrame(
            {"offence_code": pd.Series([["8/6"]], dtype=pd.ArrowDtype(pa.list_(pa.string())))}
        ),
        error=ColumnTypeError,
        fragments=("'offence_code'", "list<item: string>"),
    ),
    "list-column-not-read-is-kept": Case(
        data=pa.table({"offence_code": ["8/6"], "tags": pa.array([["x", "y"]])}),
        call="score",
        check=lambda out: out["tags"].iloc[0].tolist() == ["x", "y"] or pytest.fail(str(out)),
    ),
    # --- float areas ---
    "float-area-nan-arrow": Case(
        data=FLOAT_AREA, kw={"by": "area"}, check=_areas([1.0, 2.5, crimeharm.BLANK_AREA])
    ),
    "float-area-nan-parquet": Case(
        {"f.parquet": parquet_bytes(FLOAT_AREA)},
        "f.parquet",
        kw={"by": "area"},
        check=_areas([1.0, 2.5, crimeharm.BLANK_AREA]),
    ),
    "float-area-nan-pandas": Case(
        data=FLOAT_AREA.to_pandas(),
        kw={"by": "area"},
        check=_areas([1.0, 2.5, crimeharm.BLANK_AREA]),
    ),
    # --- output columns ---
    "input-days-column": Case(
        data=pd.DataFrame({"offence_code": ["8/6"], "days": [99]}),
        call="score",
        error=ColumnNameError,
        fragments=("['days']", "score", "rename"),
    ),
    "input-excluded-and-harm-days": Case(
        data=pd.DataFrame({"offence_code": ["8/6"], "excluded": ["no"], "harm_days": [1]}),
        call="score",
        error=ColumnNameError,
        fragments=("['harm_days', 'excluded']",),
    ),
    "input-crimes-not-the-count": Case(
        data=pd.DataFrame({"offence_code": ["8/6"], "crimes": [3]}),
        call="score",
        error=ColumnNameError,
        fragments=("['crimes']",),
    ),
    "input-crimes-is-the-count": Case(
        data=pd.DataFrame({"offence_code": ["8/6", "8/6"], "crimes": ["3", "x"]}),
        call="score",
        kw={"count": "crimes"},
        check=lambda out: (
            (
                out["crimes"].tolist() == [3.0, 1.0]
                and out["excluded"].astype(object).tolist()[1] == "invalid_count"
            )
            or pytest.fail(str(out))
        ),
    ),
    "input-period-date-with-date": Case(
        data=pd.DataFrame({"offence_code": ["8/6"], "d": ["2024-01-05"], "period_date": ["x"]}),
        call="score",
        kw={"date": "d"},
        error=ColumnNameError,
        fragments=("['period_date']",),
    ),
    "input-period-date-without-date": Case(
        data=pd.DataFrame({"offence_code": ["8/6"], "period_date": ["x"]}),
        call="score",
        check=lambda out: out["period_date"].tolist() == ["x"] or pytest.fail(str(out)),
    ),
    "input-period-column-score": Case(
        data=pd.DataFrame({"offence_code": ["8/6"], "period": ["x"]}),
        call="score",
        check=lambda out: out["period"].tolist() == ["x"] or pytest.fail(str(out)),
    ),
    "by-period": Case(
        data=pd.DataFrame({"offence_code": ["8/6"], "period": ["x"]}),
        kw={"by": "period"},
        error=ColumnNameError,
        fragments=("['period']", "rename"),
    ),
    "by-crimes-and-excluded-reason": Case(
        data=pd.DataFrame({"offence_code": ["8/6"], "crimes": ["x"], "excluded_historic": [1]}),
        kw={"by": ["crimes", "excluded_historic"]},
        error=ColumnNameError,
        fragments=("['crimes', 'excluded_historic']",),
    ),
    "by-rate-column": Case(
        data=pd.DataFrame({"offence_code": ["8/6"], "harm_days_per_1000": ["x"]}),
        kw={"by": "harm_days_per_1000"},
        error=ColumnNameError,
        fragments=("['harm_days_per_1000']",),
    ),
    # --- reading options ---
    "batch-rows-zero": Case(
        data=pd.DataFrame({"offence_code": ["8/6"]}),
        kw={"batch_rows": 0},
        error=OptionError,
        fragments=("batch_rows=0", ">= 1"),
    ),
    "batch-rows-negative": Case(
        data=pd.DataFrame({"offence_code": ["8/6"]}),
        kw={"batch_rows": -1},
        error=OptionError,
        fragments=("batch_rows=-1",),
    ),
    "batch-rows-float": Case(
        data=pd.DataFrame({"offence_code": ["8/6"]}),
        kw={"batch_rows": 2.0},
        error=OptionError,
        fragments=("batch_rows=2.0", "whole number"),
    ),
    "batch-rows-bool": Case(
        data=pd.DataFrame({"offence_code": ["8/6"]}),
        kw={"batch_rows": True},
        error=OptionError,
        fragments=("batch_rows=True",),
    ),
    "batch-rows-numpy": Case(
        data=pd.DataFrame({"offence_code": ["8/6"] * 5}),
        kw={"batch_rows": np.int64(2)},
        check=_rows(5),
    ),
    "progress-not-callable": Case(
        data=pd.DataFrame({"offence_code": ["8/6"]}),
        kw={"progress": "yes"},
        error=OptionError,
        fragments=("progress='yes'",),
    ),
    "encoding-unknown": Case(
        {"a.csv": CSV_TEXT.encode()},
        "a.csv",
        kw={"encoding": "klingon"},
        error=OptionError,
        fragments=("encoding='klingon'",),
    ),
    "encoding-bytes-codec": Case(
        {"a.csv": CSV_TEXT.encode()},
        "a.csv",
        kw={"encoding": "base64"},
        error=OptionError,
        fragments=("encoding='base64'",),
    ),
    "encoding-not-text": Case(
        {"a.csv": CSV_TEXT.encode()},
        "a.csv",
        call="score",
        kw={"encoding": 1252},
        error=OptionError,
        fragments=("encoding=1252",),
    ),
    "sep-two-characters": Case(
        {"a.csv": CSV_TEXT.encode()},
        "a.csv",
        kw={"sep": ";;"},
        error=OptionError,
        fragments=("sep=';;'",),
    ),
    "sep-newline": Case(
        {"a.csv": CSV_TEXT.encode()},
        "a.csv",
        call="score",
        kw={"sep": "\n"},
        error=OptionError,
        fragments=("sep=",),
    ),
    "area-harm-encoding": Case(
        {"cp.csv": "offence_code,area,d\n8/6,Caf\xe9,2024-01-05\n".encode("cp1252")},
        "cp.csv",
        call="area_harm",
        kw={"encoding": "cp1252", "area": "area", "date": "d", "end": "2024-01", "months": 1},
        check=lambda out: out["area"].tolist() == ["Café"] or pytest.fail(str(out)),
    ),
    # --- several files ---
    "police-uk-tree": Case(
        {
            "dl/2024-01/2024-01-force-street.csv": b"Crime type,Month\nBurglary,2024-01\n",
            "dl/2024-02/2024-02-force-street.csv": b"Crime type,Month\nRobbery,2024-02\n"
            b"Burglary,2024-02\n",
        },
        "dl",
        kw={"period": "month", **police_uk_options()},
        check=lambda out: out["crimes"].tolist() == [1, 2] or pytest.fail(str(out)),
    ),
    "police-uk-tree-with-outcomes": Case(
        {
            "dl/2024-01/2024-01-force-street.csv": b"Crime type,Month\nBurglary,2024-01\n",
            "dl/2024-01/2024-01-force-outcomes.csv": b"Outcome type,Month\nCharged,2024-01\n",
        },
        "dl",
        kw=police_uk_options(),
        error=MissingColumnError,
        fragments=("2024-01-force-outcomes.csv", "'Crime type'", "glob"),
    ),
    "glob-of-street-files": Case(
        {
            "dl/2024-01/2024-01-force-street.csv": b"Crime type,Month\nBurglary,2024-01\n",
            "dl/2024-01/2024-01-force-outcomes.csv": b"Outcome type,Month\nCharged,2024-01\n",
            "dl/2024-02/2024-02-force-street.csv": b"Crime type,Month\nRobbery,2024-02\n",
        },
        "dl/**/*-street.csv",
        kw=police_uk_options(),
        check=_rows(2),
    ),
    "glob-without-match": Case(
        {"a.csv": CSV_TEXT.encode()},
        "*.parquet",
        error=InputFileError,
        fragments=("no file matches", "*.parquet"),
    ),
    "list-of-files": Case(
        {"a.csv": CSV_TEXT.encode(), "b.parquet": parquet_bytes(TEXT_TABLE)},
        ["a.csv", "b.parquet"],
        check=_rows(4),
    ),
    "list-with-a-file-twice": Case(
        {"f/a.csv": CSV_TEXT.encode()},
        ["f", "f/a.csv"],
        error=InputFileError,
        fragments=("a.csv", "twice"),
    ),
    "empty-list": Case(data=[], error=InputFileError, fragments=("empty list",)),
    "list-of-frames": Case(
        data=[pd.DataFrame({"offence_code": ["8/6"]})],
        error=InputTypeError,
        fragments=("list of paths",),
    ),
    "folder-with-readme": Case(
        {"f/a.csv": CSV_TEXT.encode(), "f/README.md": b"notes"},
        "f",
        error=UnsupportedFormatError,
        fragments=("README.md", "glob"),
    ),
    "folder-hidden-and-underscore-skipped": Case(
        {
            "f/a.csv": CSV_TEXT.encode(),
            "f/.DS_Store": b"\x00\x01",
            "f/_SUCCESS": b"",
            "f/.hidden/b.csv": b"junk",
            "f/_tmp/c.csv": b"junk",
        },
        "f",
        check=_rows(2),
    ),
    "folder-recursive": Case(
        {
            "f/a.csv": CSV_TEXT.encode(),
            "f/x/b.csv": CSV_TEXT.encode(),
            "f/x/y/z/c.parquet": parquet_bytes(TEXT_TABLE),
        },
        "f",
        check=_rows(6),
    ),
    "folder-with-an-empty-csv": Case(
        {"f/a.csv": CSV_TEXT.encode(), "f/b.csv": b""},
        "f",
        call="score",
        check=lambda out: len(out) == 2 or pytest.fail(str(out)),
    ),
    "folder-of-empty-csvs": Case(
        {"f/a.csv": b"", "f/b.csv": b""},
        "f",
        kw={"by": "area"},
        error=EmptyDataError,
        fragments=("a.csv", "b.csv", "all 2 files are empty"),
    ),
    "folder-with-one-bad-encoding": Case(
        {"f/a.csv": CSV_TEXT.encode(), "f/b.csv": b"offence_code,area\n8/6,\xe9\n"},
        "f",
        kw={"by": "area"},
        error=InputFileError,
        fragments=("b.csv", "line 2"),
    ),
    "folder-with-a-truncated-parquet": Case(
        {
            "f/a.parquet": parquet_bytes(TEXT_TABLE),
            "f/b.parquet": parquet_bytes(TEXT_TABLE)[:50],
        },
        "f",
        error=InputFileError,
        fragments=("b.parquet", "truncated or corrupt"),
    ),
    "folder-file-missing-a-column": Case(
        {"f/a.csv": CSV_TEXT.encode(), "f/b.csv": b"offence_code\n8/6\n"},
        "f",
        kw={"by": "area"},
        error=MissingColumnError,
        fragments=("b.csv", "['area']", "columns present: ['offence_code']"),
    ),
    "folder-file-with-an-extra-column-harm-index": Case(
        {"f/a.csv": CSV_TEXT.encode(), "f/b.csv": b"offence_code,area,x\n8/6,A,1\n"},
        "f",
        kw={"by": "area"},
        check=_rows(3),
    ),
    "folder-file-with-an-extra-column-score": Case(
        {"f/a.csv": CSV_TEXT.encode(), "f/b.csv": b"offence_code,area,x\n8/6,A,1\n"},
        "f",
        call="score",
        error=MissingColumnError,
        fragments=("b.csv", "['x']", "same columns"),
    ),
    "folder-columns-in-another-order": Case(
        {"f/a.csv": CSV_TEXT.encode(), "f/b.csv": b"area,offence_code\nC,8/6\n"},
        "f",
        call="score",
        check=lambda out: (
            out["area"].astype(str).tolist() == ["A", "B", "C"] or pytest.fail(str(out))
        ),
    ),
    "folder-csv-and-parquet": Case(
        {"f/a.csv": CSV_TEXT.encode(), "f/b.parquet": parquet_bytes(TEXT_TABLE)},
        "f",
        kw={"by": "area"},
        check=lambda out: out["crimes"].tolist() == [2, 2] or pytest.fail(str(out)),
    ),
    "folder-csv-text-and-parquet-numbers": Case(
        {
            "f/a.csv": b"offence_code,n\n8/6,1\n",
            "f/b.parquet": parquet_bytes(pa.table({"offence_code": ["8/6"], "n": [2]})),
        },
        "f",
        kw={"count": "n"},
        error=ColumnTypeError,
        fragments=("'n'", "a.csv", "b.parquet", "string", "int64"),
    ),
    # --- Parquet folders whose schemas differ ---
    "parquet-string-large-string-dictionary-null": Case(
        {
            "f/a.parquet": _table(pa.array(["A"], pa.large_string())),
            "f/b.parquet": _table(pa.array(["A", "B"]).dictionary_encode()),
            "f/c.parquet": _table(pa.nulls(1)),
            "f/d.parquet": _table(pa.array(["B"], pa.string())),
        },
        "f",
        kw={"by": "area"},
        check=lambda out: (
            (
                out["area"].astype(object).tolist()[:2] == ["A", "B"]
                and out["crimes"].tolist() == [2, 2, 1]
            )
            or pytest.fail(str(out))
        ),
    ),
    "parquet-string-large-string-dictionary-null-score": Case(
        {
            "f/a.parquet": _table(pa.array(["A"], pa.large_string())),
            "f/b.parquet": _table(pa.array(["A", "B"]).dictionary_encode()),
            "f/c.parquet": _table(pa.nulls(1)),
        },
        "f",
        call="score",
        check=lambda out: (
            out["area"].astype(object).fillna("<na>").tolist() == ["A", "A", "B", "<na>"]
            or pytest.fail(str(out))
        ),
    ),
    "parquet-int32-int64-counts": Case(
        {
            "f/a.parquet": parquet_bytes(
                pa.table({"offence_code": ["8/6"], "n": pa.array([2], pa.int32())})
            ),
            "f/b.parquet": parquet_bytes(
                pa.table({"offence_code": ["8/6"], "n": pa.array([3], pa.int64())})
            ),
        },
        "f",
        call="score",
        kw={"count": "n"},
        check=lambda out: (
            (out["n"].dtype == np.int64 and out["crimes"].tolist() == [2, 3])
            or pytest.fail(str(out.dtypes))
        ),
    ),
    "parquet-int-and-float-areas": Case(
        {
            "f/a.parquet": _table(pa.array([1, 2], pa.int16())),
            "f/b.parquet": _table(pa.array(np.array([1.0, np.nan]))),
        },
        "f",
        kw={"by": "area"},
        check=_areas([1.0, 2.0, crimeharm.BLANK_AREA]),
    ),
    "parquet-date32-date64": Case(
        {
            "f/a.parquet": parquet_bytes(
                pa.table({"offence_code": ["8/6"], "d": pa.array([19727], pa.date32())})
            ),
            "f/b.parquet": parquet_bytes(
                pa.table(
                    {"offence_code": ["8/6"], "d": pa.array([19758 * 86_400_000], pa.date64())}
                )
            ),
        },
        "f",
        kw={"date": "d", "period": "month"},
        check=lambda out: (
            out["period"].astype(str).tolist() == ["2024-01", "2024-02"] or pytest.fail(str(out))
        ),
    ),
    "parquet-timestamp-units": Case(
        {
            "f/a.parquet": parquet_bytes(
                pa.table(
                    {"offence_code": ["8/6"], "d": pa.array([1_704_412_800], pa.timestamp("s"))}
                )
            ),
            "f/b.parquet": parquet_bytes(
                pa.table(
                    {
                        "offence_code": ["8/6"],
                        "d": pa.array([1_707_091_200_000_000], pa.timestamp("us")),
                    }
                )
            ),
        },
        "f",
        call="score",
        kw={"date": "d"},
        check=lambda out: (
            out["period_date"].astype(str).tolist() == ["2024-01-05", "2024-02-05"]
            or pytest.fail(str(out))
        ),
    ),
    "parquet-two-time-zones": Case(
        {
            "f/a.parquet": parquet_bytes(
                pa.table({"offence_code": ["8/6"], "d": pa.array([0], pa.timestamp("s", "UTC"))})
            ),
            "f/b.parquet": parquet_bytes(
                pa.table(
                    {
                        "offence_code": ["8/6"],
                        "d": pa.array([0], pa.timestamp("s", "Europe/London")),
                    }
                )
            ),
        },
        "f",
        kw={"date": "d"},
        error=ColumnTypeError,
        fragments=("'d'", "a.parquet", "b.parquet", "UTC", "Europe/London"),
    ),
    "parquet-text-and-numbers": Case(
        {"f/a.parquet": _table(pa.array(["A"])), "f/b.parquet": _table(pa.array([5]))},
        "f",
        kw={"by": "area"},
        error=ColumnTypeError,
        fragments=("'area'", "a.parquet", "b.parquet", "string", "int64"),
    ),
    "parquet-uint64-and-int": Case(
        {
            "f/a.parquet": _table(pa.array([1], pa.uint64())),
            "f/b.parquet": _table(pa.array([1], pa.int8())),
        },
        "f",
        kw={"by": "area"},
        error=ColumnTypeError,
        fragments=("'area'", "uint64", "int8"),
    ),
    "parquet-differing-unread-column": Case(
        {
            "f/a.parquet": parquet_bytes(pa.table({"offence_code": ["8/6"], "x": ["a"]})),
            "f/b.parquet": parquet_bytes(pa.table({"offence_code": ["8/6"], "x": [1]})),
        },
        "f",
        check=_rows(2),
    ),
}


def _write(root: Path, files: dict[str, bytes | None]) -> None:
    for name, content in files.items():
        path = root / name
        if content is None:
            path.mkdir(parents=True, exist_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)


def _resolve(root: Path, data: Any) -> Any:
    if isinstance(data, str):
        return str(root / data)
    if isinstance(data, list) and all(isinstance(d, str) for d in data):
        return [str(root / d) for d in data]
    return data


def _call(case: Case, data: Any) -> Any:
    if case.call == "score":
        return crimeharm.score(data, **case.kw)
    if case.call == "area_harm":
        return area_harm(data, **case.kw)
    return crimeharm.harm_index(data, **case.kw)


@pytest.mark.parametrize("name", list(CASES))
def test_corpus(name, tmp_path):
    case = CASES[name]
    _write(tmp_path, case.files)
    data = _resolve(tmp_path, case.data)
    if case.error is not None:
        with pytest.raises(case.error) as info:
            _call(case, data)
        assert isinstance(info.value, CrimeHarmError)
        message = str(info.value).replace(str(tmp_path), "<tmp>")  # fragments not in the path
        for fragment in case.fragments:
            assert fragment in message, (fragment, message)
        return
    assert case.check is not None
    with warnings.catch_warnings():
        warnings.simplefilter("error", crimeharm.ShortDataWarning)
        out = _call(case, data)
    case.check(out)


def test_the_corpus_covers_every_outcome():
    errors = {c.error for c in CASES.values() if c.error is not None}
    assert errors == {
        ColumnNameError,
        ColumnTypeError,
        EmptyDataError,
        InputFileError,
        InputTypeError,
        MissingColumnError,
        OptionError,
        UnsupportedFormatError,
    }
    assert sum(c.error is None for c in CASES.values()) >= 30


# --- the errors' data ----------------------------------------------------------------------------


def test_a_decode_error_carries_the_file_and_the_encoding(tmp_path):
    path = tmp_path / "cp.csv"
    path.write_bytes("offence_code\n8/6\nCaf\xe9\n".encode("cp1252"))
    with pytest.raises(InputFileError) as info:
        crimeharm.score(path)
    assert isinstance(info.value, OSError)
    assert (info.value.path, info.value.values, info.value.allowed) == (
        str(path),
        [b"\xe9"],
        ["utf-8"],
    )


def test_a_decode_error_far_into_a_file_is_placed_exactly(tmp_path):
    path = tmp_path / "big.csv"
    good = "offence_code,area\n" + "8/6,A\n" * 300_000
    path.write_bytes(good.encode() + b"8/6,\xe9\n")
    with pytest.raises(InputFileError, match=f"line {300_002:,} \\(byte {len(good) + 4:,}\\)"):
        crimeharm.harm_index(path, by="area")


def test_a_schema_mismatch_names_both_types(tmp_path):
    pq.write_table(pa.table({"offence_code": ["8/6"], "area": ["A"]}), tmp_path / "a.parquet")
    pq.write_table(pa.table({"offence_code": ["8/6"], "area": [1]}), tmp_path / "b.parquet")
    with pytest.raises(ColumnTypeError) as info:
        crimeharm.harm_index(tmp_path, by="area")
    e = info.value
    assert isinstance(e, TypeError)
    assert (e.column, e.values, e.allowed) == ("area", ["int64"], ["string"])
    assert e.path == str(tmp_path / "b.parquet")


def test_duplicate_names_are_listed(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,b,a,c,b\n1,2,3,4,5\n")
    with pytest.raises(ColumnNameError) as info:
        read_table(path)
    assert info.value.values == ["a", "b"]
    assert isinstance(info.value, ValueError)


def test_output_names_clash_lists_every_one():
    df = pd.DataFrame({"offence_code": ["8/6"], "days": [1], "excluded": [0]})
    with pytest.raises(ColumnNameError) as info:
        crimeharm.score(df)
    assert info.value.values == ["days", "excluded"]
    assert set(info.value.allowed) == set(OUTPUT_COLUMNS)


def test_aggregate_refuses_a_by_column_named_as_an_output_column():
    scored = crimeharm.score(pd.DataFrame({"offence_code": ["8/6"], "period": ["x"]}))
    with pytest.raises(ColumnNameError, match="period"):
        crimeharm.aggregate(scored, by="period")


def test_the_reserved_names_are_the_output_columns():
    """Every column harm_index writes besides the by columns is a name a by column cannot take."""
    df = pd.DataFrame(
        {
            "offence_code": ["8/6", "092/10", "999/99", "8//6", "8/6", None],
            "area": ["A", "A", "B", "B", "B", "A"],
            "d": ["2024-01-05", "2024-01-06", "2024-02-01", "junk", None, "2024-01-01"],
            "r": ["2024-01-05", "2024-01-06", "2024-02-01", "2024-02-01", "2026-01-01", None],
            "pi": ["N", "Y", "N", "N", "N", "N"],
            "cd": ["N", "N", "N", "Y", "N", "N"],
            "n": ["1", "2", "-1", "x", "1", "1"],
        }
    )
    out = crimeharm.harm_index(
        df,
        by="area",
        period="month",
        date="d",
        reported="r",
        historic_lag=30,
        police_initiated="pi",
        company_detected="cd",
        count="n",
        start="2024-01-01",
        end="2025-12-31",
        population=pd.DataFrame({"area": ["A", "B"], "population": [10, 20]}),
        per=1000,
    )
    written = [c for c in out.columns if c != "area"]
    assert len(written) > 12
    for col in written:
        assert col in INDEX_OUTPUT_COLUMNS or col.startswith(INDEX_OUTPUT_PREFIXES), col
    scored = crimeharm.score(df, date="d")
    assert [c for c in scored.columns if c not in df.columns] == [*OUTPUT_COLUMNS, "period_date"]


# --- sources -------------------------------------------------------------------------------------


def test_a_folder_is_a_dataset_and_a_file_keeps_its_kind(tmp_path):
    (tmp_path / "a.csv").write_text(CSV_TEXT)
    pq.write_table(TEXT_TABLE, tmp_path / "b.parquet")
    assert open_source(tmp_path / "a.csv").kind == "csv"
    assert open_source(tmp_path / "b.parquet").kind == "parquet"
    assert open_source(tmp_path / "b.parquet").rows == 2
    source = open_source(tmp_path)
    assert source.kind == "dataset"
    assert [f.path.name for f in source.files] == ["a.csv", "b.parquet"]


def test_a_glob_matching_one_file_reads_it(tmp_path):
    (tmp_path / "a.csv").write_text(CSV_TEXT)
    assert rows_in(str(tmp_path / "*.csv")) == 2


def test_files_are_read_in_path_order(tmp_path):
    for month in ("2024-02", "2023-12", "2024-01"):
        folder = tmp_path / month
        folder.mkdir()
        (folder / f"{month}-force-street.csv").write_text(f"offence_code,m\n8/6,{month}\n")
    out = crimeharm.score(tmp_path)
    assert out["m"].astype(str).tolist() == ["2023-12", "2024-01", "2024-02"]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links")
def test_a_folder_reached_twice_by_a_link_is_refused(tmp_path):
    (tmp_path / "f" / "a").mkdir(parents=True)
    (tmp_path / "f" / "a" / "x.csv").write_text(CSV_TEXT)
    os.symlink(tmp_path / "f" / "a", tmp_path / "f" / "b")  # the same files again
    with pytest.raises(InputFileError, match="counted twice"):
        rows_in(tmp_path / "f")
    os.unlink(tmp_path / "f" / "b")
    os.symlink(tmp_path / "f", tmp_path / "f" / "a" / "loop")  # a loop: never ends
    with pytest.raises(InputFileError, match=r"loop.*counted twice"):
        rows_in(tmp_path / "f")


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links")
def test_a_file_reached_twice_by_a_link_is_refused(tmp_path):
    (tmp_path / "a.csv").write_text(CSV_TEXT)
    os.symlink(tmp_path / "a.csv", tmp_path / "b.csv")
    with pytest.raises(InputFileError, match="counted twice"):
        rows_in(tmp_path)


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links")
def test_a_linked_sub_folder_is_read(tmp_path):
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "a.csv").write_text(CSV_TEXT)
    (tmp_path / "f").mkdir()
    (tmp_path / "f" / "b.csv").write_text(CSV_TEXT)
    os.symlink(tmp_path / "elsewhere", tmp_path / "f" / "more")
    assert rows_in(tmp_path / "f") == 4


def test_read_table_of_a_folder_has_one_dtype_per_column(tmp_path):
    pq.write_table(
        pa.table({"offence_code": ["8/6"], "n": pa.array([1], pa.int32())}), tmp_path / "a.parquet"
    )
    (tmp_path / "b.csv").write_text("offence_code,n\n034/01,\n")  # n: all blank
    with pytest.raises(ColumnTypeError):  # text (CSV) and int32 (Parquet)
        read_table(tmp_path)
    (tmp_path / "b.csv").unlink()
    pq.write_table(pa.table({"offence_code": ["034/01"], "n": pa.nulls(1)}), tmp_path / "b.parquet")
    frame = read_table(tmp_path)
    assert frame["n"].dtype == "float64" or str(frame["n"].dtype) == "Int32"
    assert frame["n"].isna().tolist() == [False, True]


# --- data.police.uk months (../shared) ------------------------------------------------------------

STREET = ["2013-06-city-of-london-street.csv", "2024-01-city-of-london-street.csv"]


@pytest.fixture(scope="module")
def police_uk_dir(reference_dir) -> Path:
    folder = reference_dir / "police-uk"
    if not all((folder / name).exists() for name in STREET):
        pytest.skip(f"data.police.uk street files not found in {folder}")
    return folder


def test_a_folder_of_police_uk_months_scores_in_one_call(police_uk_dir, tmp_path):
    # laid out as the download comes: one folder per month
    for name in STREET:
        month = name[:7]
        (tmp_path / month).mkdir()
        shutil.copy(police_uk_dir / name, tmp_path / month / name)
    options = police_uk_options()
    one_call = crimeharm.harm_index(tmp_path, by="LSOA code", period="month", **options)
    per_file = [
        crimeharm.harm_index(police_uk_dir / name, by="LSOA code", period="month", **options)
        for name in STREET
    ]
    raw = [pd.read_csv(police_uk_dir / name, dtype=str, keep_default_na=False) for name in STREET]
    s = summary(one_call)
    assert s["rows_in"] == sum(len(r) for r in raw) == 574 + 734
    assert s["rows_in"] == s["rows_included"] + sum(s["rows_excluded"].values())
    for key in ("rows_in", "rows_included", "harm_days_included"):
        assert s[key] == pytest.approx(sum(summary(p)[key] for p in per_file))
    assert sorted(one_call["period"].dropna().astype(str).unique()) == ["2013-06", "2024-01"]
    both = pd.concat(per_file, ignore_index=True)
    assert len(one_call) == len(both)
    assert one_call["harm_days"].sum() == pytest.approx(both["harm_days"].sum())
    assert one_call["crimes"].sum() == both["crimes"].sum()
    # per LSOA x month, the same cells
    key = ["LSOA code", "period"]

    def cells(frame: pd.DataFrame) -> pd.DataFrame:
        plain = frame[[*key, "crimes", "harm_days"]].astype({"LSOA code": object, "period": str})
        plain["LSOA code"] = plain["LSOA code"].fillna("<blank>")
        return plain.sort_values(key).reset_index(drop=True)

    pd.testing.assert_frame_equal(cells(one_call), cells(both))
    scored = crimeharm.score(tmp_path, **options)
    assert len(scored) == s["rows_in"]
    assert scored["Month"].astype(str).tolist() == [m for r in raw for m in r["Month"]]


def test_a_glob_of_police_uk_street_files(police_uk_dir):
    out = crimeharm.harm_index(str(police_uk_dir / "*-street.csv"), **police_uk_options())
    assert summary(out)["rows_in"] == 574 + 734


def test_the_reference_folder_with_its_outcomes_file_is_refused_naming_it(police_uk_dir):
    with pytest.raises(MissingColumnError) as info:
        crimeharm.harm_index(police_uk_dir, **police_uk_options())
    assert info.value.path.endswith("-outcomes.csv")
    assert "glob" in str(info.value)


# --- a folder of mixed files is the frame ---------------------------------------------------------

CODES = ["8/6", "034/01", "092/10", "999/99", None, "8//6", "28E", "046/00"]
DATES = ["2021-01-05", "2021-03-31", "2021-04-01", "31/12/2020", "junk", None, "2021-02"]
COLUMNS = ["offence_code", "area", "d", "pi", "n"]
TEXT_TYPES = [pa.string(), pa.large_string(), pa.dictionary(pa.int32(), pa.string())]
EXAMPLES = int(os.environ.get("CRIMEHARM_EXAMPLES", "40"))


@st.composite
def frames(draw) -> pd.DataFrame:
    n = draw(st.integers(1, 40))
    pick = lambda pool: draw(st.lists(st.sampled_from(pool), min_size=n, max_size=n))  # noqa: E731
    return pd.DataFrame(
        {
            "offence_code": pd.Series(pick(CODES), dtype=object),
            "area": pd.Series(pick(["A", "B", "C", None, "Café"]), dtype=object),
            "d": pd.Series(pick(DATES), dtype=object),
            # (no blank flags: a batch whose flag column is all blank is the flags' issue, see
            # test_vocabulary.py::test_a_records_column_with_no_value_is_all_no)
            "pi": pd.Series(pick(["N", "N", "Y"]), dtype=object),
            "n": pd.Series(pick(["1", "2", "3", "-1", None]), dtype=object),
        }
    )


def _write_part(part: pd.DataFrame, path: Path, *, kind: str, data: Any) -> None:
    if kind == "csv":
        if data.draw(st.booleans()):
            path = path.with_suffix(".csv.gz")
            path.write_bytes(gzip.compress(part.to_csv(index=False).encode()))
        else:
            part.to_csv(path.with_suffix(".csv"), index=False)
        return
    schema = pa.schema([(c, data.draw(st.sampled_from(TEXT_TYPES))) for c in COLUMNS])
    table = pa.Table.from_pandas(part, schema=schema, preserve_index=False)
    if all(v is None for v in part["area"]) and data.draw(st.booleans()):
        table = table.set_column(1, "area", pa.nulls(len(part)))  # a null-typed column
    rows = data.draw(st.integers(1, max(len(part), 1)))
    pq.write_table(table, path.with_suffix(".parquet"), row_group_size=rows)


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        text = isinstance(out[col].dtype, pd.CategoricalDtype | pd.StringDtype)
        if text or out[col].dtype == np.dtype(object):
            out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out.reset_index(drop=True)


def _canon(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    out = _plain(frame)
    if keys:
        out = out.sort_values(keys, key=lambda c: c.astype("string"), na_position="last")
    return out.reset_index(drop=True)


@settings(max_examples=EXAMPLES, deadline=None)
@given(df=frames(), data=st.data())
def test_property_a_folder_of_mixed_files_is_the_frame(df, data):
    cuts = sorted(data.draw(st.lists(st.integers(0, len(df)), max_size=4)))
    bounds = [0, *cuts, len(df)]
    period = data.draw(st.sampled_from([None, "month", "quarter", "financial-year"]))
    kw = {"date": "d", "police_initiated": "pi", "count": "n"}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "records"
        for i, (lo, hi) in enumerate(itertools.pairwise(bounds)):
            depth = data.draw(st.integers(0, 2))
            folder = root.joinpath(*[f"{i:03d}-{k}" for k in range(depth)])
            folder.mkdir(parents=True, exist_ok=True)
            kind = data.draw(st.sampled_from(["csv", "parquet"]))
            _write_part(df.iloc[lo:hi], folder / f"{i:03d}-part", kind=kind, data=data)
        from_folder = crimeharm.harm_index(root, by="area", period=period, **kw)
        scored_folder = crimeharm.score(root, **kw)
    from_frame = crimeharm.harm_index(df, by="area", period=period, **kw)
    keys = ["area", *(["period_start"] if period else [])]
    pd.testing.assert_frame_equal(_canon(from_folder, keys), _canon(from_frame, keys))
    assert summary(from_folder) == summary(from_frame)
    scored_frame = crimeharm.score(df, **kw)
    pd.testing.assert_frame_equal(_plain(scored_folder), _plain(scored_frame))


# --- the command line ----------------------------------------------------------------------------


def _cli(capsys, *argv: object) -> tuple[int, str, str]:
    from crimeharm.cli import main

    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _months(root: Path) -> Path:
    for month, rows in (("2024-01", "Burglary,2024-01\n"), ("2024-02", "Robbery,2024-02\n" * 2)):
        (root / month).mkdir(parents=True)
        (root / month / f"{month}-force-street.csv").write_text("Crime type,Month\n" + rows)
    return root


def test_cli_scores_a_folder_a_glob_and_several_files_alike(capsys, tmp_path):
    root = _months(tmp_path / "dl")
    tables = []
    for args in (
        [root],
        [str(root / "**" / "*-street.csv")],
        sorted(root.glob("*/*.csv")),  # as a shell expands an unquoted glob
    ):
        target = tmp_path / "out.csv"
        code, out, err = _cli(
            capsys, "score", *args, "--format", "police-uk", "--period", "month", "-o", target
        )
        assert code == 0, err
        assert "rows read                     3" in out
        tables.append(pd.read_csv(target))
    for table in tables[1:]:
        pd.testing.assert_frame_equal(table, tables[0])
    assert tables[0]["period"].tolist() == ["2024-01", "2024-02"]


def test_cli_encoding_and_separator(capsys, tmp_path):
    path = tmp_path / "cp.csv"
    path.write_bytes("offence_code;area\n8/6;Caf\xe9\n".encode("cp1252"))
    code, _, err = _cli(capsys, "score", path, "--sep", ";", "--by", "area")
    assert code == 2
    assert err.count("\n") == 1
    assert "Traceback" not in err
    assert "cp.csv" in err
    assert "line 2" in err
    assert "cp1252" in err
    target = tmp_path / "out.csv"
    code, _, err = _cli(
        capsys, "score", path, "--sep", ";", "--encoding", "cp1252", "--by", "area", "-o", target
    )
    assert code == 0, err
    assert pd.read_csv(target)["area"].tolist() == ["Café"]


def test_cli_refuses_a_bad_reading_option_in_one_line(capsys, tmp_path):
    (tmp_path / "a.csv").write_text(CSV_TEXT)
    for option, value in (("--encoding", "klingon"), ("--sep", "ab")):
        code, _, err = _cli(capsys, "score", tmp_path / "a.csv", option, value)
        assert code == 2
        assert err.startswith("crimeharm: error: ")
        assert err.count("\n") == 1
        assert value in err
