"""harm_index and score give the same result whatever pandas dtype holds a column.

A date column as ``date32[pyarrow]``, ``timestamp[pyarrow]``, ``datetime64[ns, tz]`` or
Python dates; text as ``string[pyarrow]``, categoricals or objects: each is read by its
own path (no conversion through Python objects) and must agree with the Arrow table.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import crimeharm

ROWS = 20_000


@pytest.fixture(scope="module")
def table() -> pa.Table:
    rng = np.random.default_rng(12)
    codes = np.array(["008/01", "8/1", "00801", "034/02", "028/03", "999/99", "x", "092/10"])
    days = rng.integers(17_000, 19_500, ROWS).astype("datetime64[D]")
    dates = pa.array(days, type=pa.date32())
    missing = rng.random(ROWS) < 0.02
    dates = pa.array(np.where(missing, None, dates.to_pylist()), type=pa.date32())
    lsoa = rng.choice([f"E0{i:07d}" for i in range(300)] + ["", " "], ROWS)
    return pa.table(
        {
            "offence_code": pa.array(rng.choice(codes, ROWS)),
            "committed": dates,
            "lsoa": pa.array(lsoa),
            "police_initiated": pa.array(rng.random(ROWS) < 0.1),
        }
    )


def _variants(table: pa.Table) -> dict[str, pd.DataFrame]:
    base = table.to_pandas()  # dates as Python datetime.date objects
    dates = pd.Series(pd.arrays.ArrowExtensionArray(table.column("committed")))
    stamps = pd.to_datetime(dates.astype("datetime64[s]"))
    text = {c: base[c].astype("string[pyarrow]") for c in ("offence_code", "lsoa")}
    return {
        "objects": base,
        "date32[pyarrow]": base.assign(committed=dates),
        "timestamp[pyarrow]": base.assign(
            committed=pd.Series(
                pd.arrays.ArrowExtensionArray(table.column("committed").cast(pa.timestamp("ms")))
            )
        ),
        "datetime64[ns]": base.assign(committed=stamps),
        "datetime64[ns, Europe/London]": base.assign(
            committed=stamps.dt.tz_localize("Europe/London")
        ),
        "all ArrowDtype": table.to_pandas(types_mapper=pd.ArrowDtype),
        "string[pyarrow]": base.assign(**text),
        "category": base.assign(**{c: base[c].astype("category") for c in text}),
    }


KW = {
    "code_system": "ho_class",
    "date": "committed",
    "police_initiated": "police_initiated",
    "weights": "cchi-2020",
}


def _index(data: object) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = crimeharm.harm_index(data, by="lsoa", period="month", **KW)
    summary = out.attrs["crimeharm"]["summary"]
    frame = out.astype({"lsoa": str, "period": str}).reset_index(drop=True)
    return frame, {k: summary[k] for k in ("rows_in", "rows_excluded", "harm_days_included")}


@pytest.mark.parametrize(
    "kind",
    [
        "objects",
        "date32[pyarrow]",
        "timestamp[pyarrow]",
        "datetime64[ns]",
        "datetime64[ns, Europe/London]",
        "all ArrowDtype",
        "string[pyarrow]",
        "category",
    ],
)
def test_harm_index_same_for_every_dtype(table: pa.Table, kind: str) -> None:
    expected, expected_summary = _index(table)
    got, summary = _index(_variants(table)[kind])
    pd.testing.assert_frame_equal(got, expected)
    assert summary == expected_summary


@pytest.mark.parametrize("kind", ["date32[pyarrow]", "all ArrowDtype", "category"])
def test_score_same_for_every_dtype(table: pa.Table, kind: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = crimeharm.score(table, **KW)
        got = crimeharm.score(_variants(table)[kind], **KW)
    for col in ("days", "crimes", "harm_days", "period_date"):
        np.testing.assert_array_equal(got[col].to_numpy(), expected[col].to_numpy())
    assert got["excluded"].astype(object).equals(expected["excluded"].astype(object))
