"""The remembered sort of a call's areas (groups.SORTED): found by value, never stale."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import crimeharm
from crimeharm._engine import groups
from crimeharm._engine.groups import SortedValues

pytestmark = pytest.mark.filterwarnings("ignore::crimeharm.UnknownCodeWarning")

CODES = np.array(["008/06", "034/02", "092/10", "028/03", "105/01"])


def _records(areas: list[str], n: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    days = np.datetime64("2021-01-01") + rng.integers(0, 400, n).astype("timedelta64[D]")
    return pd.DataFrame(
        {
            "offence_code": CODES[rng.integers(0, len(CODES), n)],
            "lsoa": np.array(areas, dtype=object)[rng.integers(0, len(areas), n)],
            "committed": days.astype("datetime64[s]"),
        }
    )


def _index(frame: pd.DataFrame, engine: str, **options) -> pd.DataFrame:
    return crimeharm.harm_index(
        frame,
        by="lsoa",
        period="month",
        date="committed",
        excluded="summary",
        engine=engine,
        **options,
    )


def _fresh(
    frame: pd.DataFrame, engine: str, monkeypatch: pytest.MonkeyPatch, **options
) -> pd.DataFrame:
    """The result with nothing remembered (every sort done afresh)."""
    with monkeypatch.context() as m:
        m.setattr(groups, "SORTED", SortedValues(limit=0))
        return _index(frame, engine, **options)


def test_entry_is_found_by_value_not_by_array() -> None:
    memo = SortedValues()
    first = memo.get(pa.array(["b", "a", "c"]))
    assert memo.get(pa.array(["b", "a", "c"])) is first  # another array, the same values
    assert first.ordered.to_pylist() == ["a", "b", "c"]
    assert first.rank is not None
    assert first.rank.tolist() == [1, 0, 2]


@pytest.mark.parametrize(
    "other",
    [
        pa.array(["b", "a", "d"]),  # a value differs
        pa.array(["a", "b", "c"]),  # the same values in another order: other ranks
        pa.array(["b", "a", "c"], pa.large_string()),  # another type
        pa.array(["b", "a"]),  # fewer
    ],
)
def test_other_values_are_not_served_an_entry(other: pa.Array) -> None:
    memo = SortedValues()
    memo.get(pa.array(["b", "a", "c"]))
    entry = memo.get(other)
    order = np.argsort(np.array(other.to_pylist()), kind="stable")
    assert entry.ordered.to_pylist() == sorted(other.to_pylist())
    assert entry.rank is not None
    assert entry.rank[order].tolist() == list(range(len(other)))


def test_repeated_values_have_no_ranks() -> None:
    assert SortedValues().get(pa.array(["a", "b", "a"])).rank is None


def test_oldest_entries_are_dropped_past_the_limit() -> None:
    memo = SortedValues(limit=2)
    a = memo.get(pa.array(["x", "y"]))
    memo.get(pa.array(["p", "q", "r"]))
    memo.get(pa.array(["x", "y"]))  # used again: the newest
    memo.get(pa.array(["m"]))  # drops ["p", "q", "r"]
    assert memo.get(pa.array(["x", "y"])) is a
    assert memo._count == 2


def test_ranks_cannot_be_written() -> None:
    rank = SortedValues().get(pa.array(["b", "a"])).rank
    assert rank is not None
    with pytest.raises(ValueError, match="read-only"):
        rank[0] = 5


def test_repeated_calls_give_the_fresh_result(engine: str, monkeypatch) -> None:
    frame = _records([f"E{i:03d}" for i in range(40)])
    fresh = _fresh(frame, engine, monkeypatch)
    first, again = _index(frame, engine), _index(frame, engine)
    pd.testing.assert_frame_equal(first, fresh)
    pd.testing.assert_frame_equal(again, fresh)


def test_another_table_is_not_served_a_stale_order(engine: str, monkeypatch) -> None:
    # the same number of distinct areas, some of them other values: another entry
    one = _records([f"E{i:03d}" for i in range(40)], seed=1)
    two = _records([f"E{i:03d}" for i in range(20)] + [f"D{i:03d}" for i in range(20)], seed=2)
    _index(one, engine)
    out = _index(two, engine)
    pd.testing.assert_frame_equal(out, _fresh(two, engine, monkeypatch))
    assert set(out["lsoa"].astype(str)) <= set(two["lsoa"])


@pytest.mark.parametrize("spaces", [False, True])
def test_blank_areas_with_a_remembered_order(engine: str, monkeypatch, spaces: bool) -> None:
    # null areas alone leave the other values' order remembered, the blank one after them
    areas = [f"E{i:03d}" for i in range(30)]
    blank = _records(areas, seed=3)
    blank.loc[::7, "lsoa"] = None
    if spaces:
        blank.loc[3::11, "lsoa"] = "  "
    first, again = _index(blank, engine), _index(blank, engine)
    fresh = _fresh(blank, engine, monkeypatch)
    pd.testing.assert_frame_equal(first, fresh)
    pd.testing.assert_frame_equal(again, fresh)
    assert again["lsoa"].astype(str).iloc[-1] == groups.BLANK_AREA


def test_later_batches_with_new_areas(engine: str, monkeypatch) -> None:
    # the first batch's areas are remembered; later batches bring new ones, sorted apart
    areas = [f"E{i:03d}" for i in range(60)]
    frame = _records(areas, n=400, seed=4).sort_values("lsoa", ascending=False, kind="stable")
    frame.loc[frame.index[::9], "lsoa"] = None
    first = _index(frame, engine, batch_rows=64)
    again = _index(frame, engine, batch_rows=64)
    fresh = _fresh(frame, engine, monkeypatch, batch_rows=64)
    pd.testing.assert_frame_equal(first, fresh)
    pd.testing.assert_frame_equal(again, fresh)
    whole = _fresh(frame, engine, monkeypatch)
    pd.testing.assert_frame_equal(again, whole)


def test_values_with_a_blank_area_are_not_sorted() -> None:
    entry = SortedValues().get(pa.array(["b", " ", "a"]))
    assert entry.blank
    assert entry.rank is None


@pytest.mark.parametrize("batch_rows", [64, 1 << 20])
def test_a_frame_of_more_columns_gives_the_same_index(engine: str, batch_rows: int) -> None:
    # a DataFrame's batches keep every column; only the ones read are read
    frame = _records([f"E{i:03d}" for i in range(25)], seed=5)
    wide = frame.assign(other=np.arange(len(frame)), note=["x"] * len(frame))
    pd.testing.assert_frame_equal(
        _index(wide, engine, batch_rows=batch_rows), _index(frame, engine, batch_rows=batch_rows)
    )


def test_unselected_batches_of_a_frame() -> None:
    from crimeharm.scoring.inputs import batch_columns, open_source

    frame = _records(["A", "B"], n=10).assign(other=1)
    whole = open_source(frame, columns=["lsoa", "offence_code"], batch_rows=100)
    (batch,) = whole.batches(select=False)
    assert batch is frame  # one batch: the frame itself, not a copy
    assert list(batch_columns(batch, whole.wanted)) == ["lsoa", "offence_code"]
    cut = open_source(frame, columns=["lsoa"], batch_rows=4)
    assert [len(b) for b in cut.batches(select=False)] == [4, 4, 2]
    assert [list(b.columns) for b in cut.batches()] == [["lsoa"]] * 3


def test_floats_are_not_remembered() -> None:
    # -0.0 equals 0.0 for Arrow but is written apart: each call sorts its own floats
    memo = SortedValues()
    memo.get(pa.array([0.0, 1.5]))
    entry = memo.get(pa.array([-0.0, 1.5]))
    assert str(entry.ordered.to_pylist()[0]) == "-0.0"
    assert memo._count == 0
