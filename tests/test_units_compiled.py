"""The compiled loops of the unit totals agree with the numpy code, bit for bit.

``crimeharm.analysis.units`` codes short text ids and sums values per unit
with loops of ``_ckernel.pyx`` when they are built (``_kernel()``), else with
numpy. Both paths are run here on the same input and must give the same
codes, dictionaries, slots, counts and sums (sums compared as bits).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from crimeharm.analysis import units as U

ckernel = pytest.importorskip("crimeharm._engine._ckernel")


class Spy:
    """The compiled module, recording which of its loops are called."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        self.calls.append(name)
        return getattr(ckernel, name)


def _numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(U, "_kernel", lambda: None)


def _both(monkeypatch: pytest.MonkeyPatch, run: Any) -> tuple[Any, Any, list[str]]:
    """``run()`` with the compiled loops (and which were called), then with numpy."""
    spy = Spy()
    with monkeypatch.context() as m:
        m.setattr(U, "_kernel", lambda: spy)
        compiled = run()
    with monkeypatch.context() as m:
        _numpy(m)
        plain = run()
    return compiled, plain, spy.calls


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype.kind == "f":
        return bool(np.array_equal(a.view(np.int64), b.view(np.int64)))
    return bool(np.array_equal(a, b))


def _assert_same_totals(a: U.UnitTotals, b: U.UnitTotals) -> None:
    assert a.unit == b.unit
    assert [k.to_pylist() for k in a.key_arrays] == [k.to_pylist() for k in b.key_arrays]
    assert a.sums.keys() == b.sums.keys()
    for name in a.sums:
        assert _same_bits(a.sums[name], b.sums[name]), name
    assert _same_bits(a.rows, b.rows)
    assert _same_bits(a.key_rank, b.key_rank)
    assert a.no_id_rows == b.no_id_rows
    assert a.no_id_sums == b.no_id_sums
    assert _same_bits(a.slots, b.slots)
    assert a.left_out_rows == b.left_out_rows


def _assert_same_codes(a: Any, b: Any) -> None:
    assert (a is None) == (b is None)
    if a is None:
        return
    assert _same_bits(a[0], b[0])
    assert a[1].equals(b[1])
    assert _same_bits(a[2], b[2])


def _ids(rng: np.random.Generator, n: int, nulls: float = 0.05) -> list[str | None]:
    """Offender-like ids of mixed widths (``P7`` .. ``P1234567``), some null."""
    numbers = rng.integers(0, 10 ** rng.integers(1, 8, n))
    return [None if rng.random() < nulls else f"P{v}" for v in numbers]


def _values(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    # magnitudes far apart: a sum in another order would differ in its last bits
    harm = rng.random(n) * 10.0 ** rng.integers(-6, 6, n)
    return {"harm_days": harm, "crimes": rng.integers(1, 4, n).astype(float)}


CASES: dict[str, list[str | None]] = {
    "mixed widths": [f"P{v}" for v in range(0, 5000, 7)],
    "nulls": ["a", None, "bb", None, "ccc", "a"],
    "blanks": ["", " ", "x", None, "(blank)", "yy", "x"],
    "empty text and nulls": ["", None, "z", ""],
    "non-ascii": ["é", "ab", None, "ü-1", "日本", "ab"],
    "long": ["x" * 33, "y", None],
    "nul bytes": ["a\x00b", "c", None],
    "one row": ["P1"],
    "all null": [None, None, None],
}


@pytest.mark.parametrize("kind", [pa.string(), pa.large_string()])
@pytest.mark.parametrize("case", sorted(CASES))
def test_short_string_codes_agree(
    monkeypatch: pytest.MonkeyPatch, case: str, kind: pa.DataType
) -> None:
    arr = pa.array(CASES[case], type=kind)
    compiled, plain, calls = _both(monkeypatch, lambda: U._short_string_codes(arr))
    _assert_same_codes(compiled, plain)
    if case in ("long", "nul bytes"):  # handed to Arrow's dictionary encoding
        assert compiled is None
        assert "pair_seen" not in calls


@pytest.mark.parametrize("kind", [pa.string(), pa.large_string()])
def test_short_string_codes_agree_on_many_ids(
    monkeypatch: pytest.MonkeyPatch, kind: pa.DataType
) -> None:
    rng = np.random.default_rng(13)
    arr = pa.array(_ids(rng, 1_300_000), type=kind)  # several blocks, on two threads
    compiled, plain, calls = _both(monkeypatch, lambda: U._short_string_codes(arr))
    assert compiled is not None
    _assert_same_codes(compiled, plain)
    assert {"pair_seen", "pair_keys", "renumber", "pair_text"} <= set(calls)
    codes, dictionary, _ = compiled
    distinct = sorted({v for v in arr.to_pylist() if v is not None})
    assert dictionary.to_pylist() == distinct  # nulls are not a value of the dictionary
    assert (codes == -1).sum() == arr.null_count


def test_sliced_array_agrees(monkeypatch: pytest.MonkeyPatch) -> None:
    arr = pa.array(["P1", None, "P22", "P333", "", "P4"] * 50)[7:200]
    compiled, plain, calls = _both(monkeypatch, lambda: U._short_string_codes(arr))
    _assert_same_codes(compiled, plain)
    assert "pair_keys" in calls
    codes, dictionary, _ = compiled
    got = [None if c < 0 else dictionary[int(c)].as_py() for c in codes]
    assert got == arr.to_pylist()


def _totals(col: Any, values: dict[str, np.ndarray], **options: Any) -> U.UnitTotals:
    return U.unit_totals({"u": col}, unit=["u"], values=values, **options)


@pytest.mark.parametrize("case", sorted(CASES))
def test_unit_totals_agree(monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    col = pa.array(CASES[case], type=pa.string())
    values = _values(np.random.default_rng(1), len(col))
    compiled, plain, calls = _both(monkeypatch, lambda: _totals(col, values))
    _assert_same_totals(compiled, plain)
    assert "tally" in calls


def test_unit_totals_agree_on_chunked_ids_with_mask(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(7)
    ids = _ids(rng, 600_000)
    col = pa.chunked_array([pa.array(ids[:250_000]), pa.array(ids[250_000:])])
    values = _values(rng, len(ids))
    mask = rng.random(len(ids)) < 0.9
    for options in ({}, {"mask": mask}):
        compiled, plain, calls = _both(monkeypatch, lambda o=options: _totals(col, values, **o))
        _assert_same_totals(compiled, plain)
        assert {"pair_keys", "tally"} <= set(calls)
    assert compiled.left_out_rows == int((~mask).sum())


def test_unit_totals_agree_on_pandas_and_listed_units(monkeypatch: pytest.MonkeyPatch) -> None:
    ids = pd.Series(["b", "a", None, " ", "c", "a", "dd"])
    values = {"harm_days": np.array([1.5, 2.0, 3.0, 4.0, 0.1, 1e-9, 7.0])}
    listed = ["a", "b", "c", "dd", "zz"]
    for options in ({}, {"units": listed}, {"complete": True}):
        compiled, plain, _ = _both(monkeypatch, lambda o=options: _totals(ids, values, **o))
        _assert_same_totals(compiled, plain)
        if "units" in options:
            rows = dict(zip(compiled.keys["u"], compiled.rows.tolist(), strict=True))
            assert rows == {"a": 2, "b": 1, "c": 1, "dd": 1, "zz": 0}
            assert compiled.no_id_rows == 2


def test_unit_totals_agree_on_categories_complete(monkeypatch: pytest.MonkeyPatch) -> None:
    col = pd.Series(pd.Categorical(["x", "y", None, "x"], categories=["w", "x", "y"]))
    values = {"harm_days": np.array([1.0, 2.0, 3.0, 0.25])}
    compiled, plain, _ = _both(monkeypatch, lambda: _totals(col, values, complete=True))
    _assert_same_totals(compiled, plain)
    assert sorted(compiled.keys["u"].astype(str)) == ["w", "x", "y"]


def test_unit_totals_agree_with_no_values_and_several_columns(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cols = {"a": pa.array(["p", "q", None, "p"]), "b": pa.array(["1", "1", "2", "2"])}

    def run() -> U.UnitTotals:
        return U.unit_totals(cols, unit=["a", "b"], values={})

    compiled, plain, _ = _both(monkeypatch, run)
    _assert_same_totals(compiled, plain)
    assert compiled.rows.tolist() == [1, 1, 1]


def _tally_is_bincount(seed: int, n: int, n_slots: int) -> tuple[np.ndarray, dict]:
    """Tally random codes and check every output against numpy.bincount; codes and values."""
    rng = np.random.default_rng(seed)
    code = rng.integers(-2, n_slots - 2, n)
    values = _values(rng, n)
    slot, counts, sums = U._tally(code, 2, values, n_slots)
    assert _same_bits(slot, code + 2)
    assert _same_bits(counts, np.bincount(code + 2, minlength=n_slots))
    for name, v in values.items():
        assert _same_bits(sums[name], np.bincount(code + 2, weights=v, minlength=n_slots))
    return code, values


def test_tally_matches_bincount_bit_for_bit() -> None:
    _tally_is_bincount(3, 200_000, 5_000)


def test_tally_refuses_a_slot_out_of_range() -> None:
    with pytest.raises(ValueError, match="row 1: slot 9"):
        U._tally(np.array([0, 9, 1]), 0, {"v": np.ones(3)}, 4)


def test_numpy_taken_when_the_loops_are_not_built(monkeypatch: pytest.MonkeyPatch) -> None:
    import crimeharm._engine.compiled as compiled_engine

    arr = pa.array(["P1", None, "P22", "P333"] * 10)
    with_loops = U._short_string_codes(arr)
    monkeypatch.setattr(compiled_engine, "load", lambda: None)
    assert U._kernel() is None
    used: list[int] = []
    look = U._Columns.look
    monkeypatch.setattr(U._Columns, "look", lambda self, *a: used.append(1) or look(self, *a))
    without = U._short_string_codes(arr)
    assert used  # the numpy byte-pair columns were read
    _assert_same_codes(with_loops, without)


@pytest.mark.parametrize("kind", [pa.string(), pa.large_string()])
def test_decode_agrees(monkeypatch: pytest.MonkeyPatch, kind: pa.DataType) -> None:
    # every width from 0 to 9 bytes (odd and even), a constant column, non-ASCII text
    values = ["", "Q", "Qa", "Qab", "Qé", "Qéé", "Q日本", "Q123456", "Q1234567", "Q12345678"]
    arr = pa.array(values, type=kind)
    reader = U._Columns(U._pair_columns(arr)[0])  # type: ignore[index]
    compiled, plain, calls = _both(monkeypatch, lambda: U._pair_codes(arr, reader, 9))
    _assert_same_codes(compiled, plain)
    assert "pair_text" in calls
    assert compiled[1].to_pylist() == sorted(values)
    assert compiled[1].type == kind


ORDER_CASES = {
    "empty": np.zeros(0),
    "one": np.array([1.0]),
    "signed zeros": np.array([0.0, -0.0, 0.0, -0.0, 1.0]),
    "infinities and subnormals": np.array([np.inf, 1.0, -np.inf, 5e-324, -5e-324, 0.0]),
    "many ties": np.random.default_rng(5).integers(0, 5, 100_000).astype(float),
    "negative": -np.random.default_rng(6).random(1000),
    "harm-like": np.round(np.random.default_rng(7).gamma(0.5, 10.0, 300_000), 1),
    "nan": np.array([1.0, np.nan, 2.0, 1.0]),
}


@pytest.mark.parametrize("case", sorted(ORDER_CASES))
def test_descending_order_agrees(monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    values = ORDER_CASES[case]
    compiled, plain, calls = _both(monkeypatch, lambda: U._descending(values))
    assert _same_bits(compiled, plain)
    assert _same_bits(plain, np.argsort(-values, kind="stable"))
    if len(values):
        assert "order_descending" in calls
    out = np.empty(len(values), dtype=np.int64)
    assert ckernel.order_descending(values, out) is (not np.isnan(values).any())


def test_order_of_units_agrees(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(11)
    col = pa.array(_ids(rng, 50_000))
    values = {"harm_days": np.round(rng.gamma(0.5, 10.0, 50_000), 1)}
    totals = _totals(col, values)
    compiled, plain, calls = _both(monkeypatch, lambda: totals.order("harm_days"))
    assert _same_bits(compiled, plain)
    assert "order_descending" in calls


def test_tally_on_two_threads_matches_bincount() -> None:
    n, n_slots = 2 * U._CHUNK + 12_345, 300_001  # enough rows for two threads
    code, values = _tally_is_bincount(17, n, n_slots)
    bad = code.copy()
    bad[n - 7] = n_slots
    with pytest.raises(ValueError, match=f"row {n - 7}: slot"):
        U._tally(bad, 2, values, n_slots)
