"""Area codes of one width keyed from their bytes (crimeharm._engine.textkeys) and the Parquet
columns read plain after their dictionary outgrew its page: the same groups as by text."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import crimeharm
from crimeharm._engine import textkeys
from crimeharm._engine.groups import Ids
from crimeharm.scoring import inputs

N = textkeys.MIN_ROWS * 2


def _codes(rng: np.random.Generator, n: int, areas: int, *, prefix: str = "E00") -> list[str]:
    return [f"{prefix}{i:06d}" for i in rng.integers(1, areas + 1, size=n)]


def _rows(ids: Ids, batches: list[pa.Array], *, keyed: bool) -> list[list[object]]:
    """Each batch's rows as the values their ids stand for."""
    out = []
    for batch in batches:
        idx, mapping = ids.lookup(batch, keyed=keyed)
        gid = mapping[idx] if len(mapping) else np.zeros(len(idx), dtype=np.int64)
        assert ids.known is not None
        out.append(ids.known.take(pa.array(gid)).to_pylist())
    return out


def test_fixed_width_matrix_is_the_bytes():
    arr = pa.array(["E01", "E02", None, "E10"])
    matrix, valid = textkeys.fixed_width(arr)
    assert valid.tolist() == [True, True, False, True]
    assert [bytes(r).decode() for r in matrix] == ["E01", "E02", "E10"]
    plain = pa.array(["AB", "CD", "EF"]).slice(1)
    matrix, valid = textkeys.fixed_width(plain)
    assert valid is None
    assert [bytes(r).decode() for r in matrix] == ["CD", "EF"]
    big = pa.array(["AB", "CD"], type=pa.large_string())
    assert textkeys.fixed_width(big)[0].shape == (2, 2)


@pytest.mark.parametrize(
    "values", [["E01", "E1"], ["", ""], [None, None], ["x" * 17, "y" * 17], []]
)
def test_fixed_width_refuses(values):
    assert textkeys.fixed_width(pa.array(values, type=pa.string())) is None


def test_keys_sort_as_the_text_and_read_back():
    rng = np.random.default_rng(1)
    text = [
        f"{a}{b}{c:03d}"
        for a, b, c in zip(
            rng.choice(list("EWS"), 500),
            rng.choice(list("0123"), 500),
            rng.integers(0, 1_000, 500),
            strict=True,
        )
    ]
    arr = pa.array(text)
    matrix, _ = textkeys.fixed_width(arr)
    space = textkeys.KeySpace.of(matrix, arr.type)
    keys = space.keys(matrix)
    assert np.array_equal(np.argsort(keys, kind="stable"), pc.array_sort_indices(arr).to_numpy())
    assert space.text(keys).to_pylist() == text


def test_a_space_too_large_is_not_keyed():
    arr = pa.array([f"{i:07d}" for i in range(0, 10_000_000, 999)])  # 10**7 keys
    assert textkeys.KeySpace.of(textkeys.fixed_width(arr)[0], arr.type) is None


def test_a_batch_outside_the_space_is_not_keyed():
    first = pa.array(["E0" + str(i % 10) for i in range(100)])
    space = textkeys.KeySpace.of(textkeys.fixed_width(first)[0], first.type)
    # the varying digit takes every digit; a letter there, or another constant, does not fit
    assert space.keys(textkeys.fixed_width(pa.array(["E09", "E05"]))[0]) is not None
    assert space.keys(textkeys.fixed_width(pa.array(["E0A"]))[0]) is None
    assert space.keys(textkeys.fixed_width(pa.array(["W01"]))[0]) is None
    assert space.keys(textkeys.fixed_width(pa.array(["E011"]))[0]) is None


@pytest.mark.parametrize("values", [["E01", "\u00e91"], ["   ", "  \t"]])
def test_non_ascii_and_spaces_are_not_keyed(values):
    arr = pa.array(values * 10)
    assert textkeys.KeySpace.of(textkeys.fixed_width(arr)[0], arr.type) is None


def test_ids_by_keys_are_the_ids_by_text():
    rng = np.random.default_rng(2)
    batches = [pa.array(_codes(rng, N, 90_000)) for _ in range(3)]
    nulls = _codes(rng, N, 95_000)
    for i in rng.choice(N, 500, replace=False):
        nulls[i] = None
    batches.append(pa.array(nulls))
    batches.append(pa.chunked_array([pa.array(_codes(rng, N // 2, 99_000))] * 2))
    keyed, text = Ids(), Ids()
    assert _rows(keyed, batches, keyed=True) == _rows(text, batches, keyed=False)
    assert isinstance(keyed._space, textkeys.KeySpace)  # every batch was keyed
    assert sorted(keyed.known.drop_null().to_pylist()) == sorted(text.known.drop_null().to_pylist())


@pytest.mark.parametrize(
    "odd",
    [
        pa.array(["W00000001"] * N),  # another constant letter
        pa.array(["E00000001", " "] * (N // 2)),  # a blank area
        pa.array(["E00000001"] * 10),  # a small batch
        pa.array(["E0000001"] * N),  # another width
    ],
)
def test_a_batch_that_cannot_be_keyed_is_matched_by_text(odd):
    rng = np.random.default_rng(3)
    before = [pa.array(_codes(rng, N, 50_000)) for _ in range(2)]
    after = [pa.array(_codes(rng, N, 60_000))]
    batches = [*before, odd, *after]
    keyed, text = Ids(), Ids()
    assert _rows(keyed, batches, keyed=True) == _rows(text, batches, keyed=False)
    assert keyed._space is False


def _file(tmp_path, n=2 * 400_000, areas=150_000):
    rng = np.random.default_rng(4)
    frame = pd.DataFrame(
        {
            "oa": _codes(rng, n, areas),
            "lsoa": _codes(rng, n, 3_000, prefix="E01"),
            "offence_code": rng.choice(["8/1", "28/3", "105/1", "58/1"], n),
            "committed": pd.Timestamp("2023-04-01")
            + pd.to_timedelta(np.sort(rng.integers(0, 700, n)), unit="D"),
            "police_initiated": rng.random(n) < 0.05,
        }
    )
    frame.loc[rng.choice(n, 50, replace=False), "oa"] = None
    path = tmp_path / "records.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, row_group_size=400_000)
    return path, frame


@pytest.fixture
def one_group_per_batch(monkeypatch):
    """Each row group read as a batch of its own (not put together up to 1M rows)."""
    monkeypatch.setattr(inputs, "MIN_BATCH_ROWS", 1)


@pytest.mark.usefixtures("one_group_per_batch")
def test_a_dictionary_that_outgrew_its_page_is_read_plain(tmp_path):
    path, _ = _file(tmp_path)
    parts = list(inputs._row_groups(path, ["oa", "lsoa"], threads=False, plain_fallback=True))
    assert len(parts) == 2
    assert not any(pa.types.is_dictionary(p.column("oa").type) for p in parts)
    assert all(pa.types.is_dictionary(p.column("lsoa").type) for p in parts)  # its page held it
    same = list(inputs._row_groups(path, ["oa"], threads=False))
    assert all(pa.types.is_dictionary(p.column("oa").type) for p in same)
    for a, b in zip(parts, same, strict=True):
        assert a.column("oa").cast(pa.string()).equals(b.column("oa").cast(pa.string()))


@pytest.mark.usefixtures("one_group_per_batch")
def test_harm_by_output_area_is_the_same_keyed_or_by_text(tmp_path, engine, monkeypatch):
    path, frame = _file(tmp_path)
    kw = {
        "by": "oa",
        "period": "financial-year",
        "date": "committed",
        "code": "offence_code",
        "code_system": "ho_class",
        "police_initiated": "police_initiated",
        "engine": engine,
    }
    seen = []
    lookup = Ids.lookup

    def spy(self, col, *, keyed=True):
        out = lookup(self, col, keyed=keyed)
        seen.append(isinstance(self._space, textkeys.KeySpace))
        return out

    monkeypatch.setattr(Ids, "lookup", spy)
    keyed = crimeharm.harm_index(path, **kw)
    assert seen == [True, True]  # both batches keyed
    monkeypatch.setattr(textkeys, "MIN_ROWS", 1 << 40)  # every batch matched by its text
    by_text = crimeharm.harm_index(path, **kw)
    seen.clear()
    monkeypatch.setattr(textkeys, "MIN_ROWS", 1 << 16)
    from_frame = crimeharm.harm_index(frame, **kw)  # pandas text held by Arrow: keyed too
    assert seen
    assert all(seen)
    as_objects = crimeharm.harm_index(frame.astype({"oa": object}), **kw)  # matched by text
    assert as_objects.equals(from_frame)
    assert len(keyed) == len(by_text) > 100_000
    assert keyed.equals(by_text)  # values and dtypes (assert_frame_equal takes seconds here)
    assert keyed.equals(from_frame)
    assert keyed.attrs["crimeharm"]["summary"] == from_frame.attrs["crimeharm"]["summary"]
