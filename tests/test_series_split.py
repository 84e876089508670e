"""crimeharm.series in one pass with the detection column split in the sums (no extra key).

Every case is computed twice, the split way and as an extra ``by`` key whose cells are
then summed over its values (the way taken for streams, Dask and more than
``MAX_SPLIT`` values), on each engine, and the two must agree.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import crimeharm
from crimeharm._engine import new_engine
from crimeharm._engine.base import MAX_SPLIT, N_STATUS, PLAIN, Split
from crimeharm.analysis import series as series_module
from crimeharm.scoring.sums import harm_index, split_index

OUTCOMES = [
    "1", "8", "18", "Under investigation", "Suspect charged", "Local resolution",
    "Awaiting court outcome", "??", None, "", "  ",
]  # fmt: skip
CODES = ["105/01", "008/06", "034/01", "092/10", "046/00", "028/03", "999/99", "", "58/1"]


def _records(n: int, *, seed: int, outcomes: list | None = None) -> pd.DataFrame:
    """Records with every kind of row: exclusions of each series, undated, unknown codes."""
    rng = np.random.default_rng(seed)
    days = pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 900, n), unit="D")
    committed = days.strftime("%Y-%m-%d").to_numpy(dtype=object)
    committed[rng.random(n) < 0.03] = None
    committed[rng.random(n) < 0.01] = "not a date"
    reported = (days + pd.to_timedelta(rng.integers(0, 800, n), unit="D")).strftime("%Y-%m-%d")
    areas = np.array(["A", "B", "C", "D", None, ""], dtype=object)
    values = np.array(outcomes if outcomes is not None else OUTCOMES, dtype=object)
    return pd.DataFrame(
        {
            "offence_code": rng.choice(CODES, n),
            "area": areas[rng.integers(0, len(areas), n)],
            "kind": rng.choice(["x", "y"], n),
            "d": committed,
            "r": reported,
            "pi": rng.choice(["Y", "N"], n, p=[0.1, 0.9]),
            "cd": rng.choice(["Y", "N", ""], n, p=[0.05, 0.9, 0.05]),
            "outcome": values[rng.integers(0, len(values), n)],
            "flag": rng.choice(np.array([True, False, None], dtype=object), n),
        }
    )


KW = {"date": "d", "police_initiated": "pi", "company_detected": "cd"}


class ByText(Split):
    """Two classes: values before "M" (and null), and the others; keeps the totals.

    ``plain``: the first class is PLAIN (summed with the included records only).
    """

    def __init__(self, column: str, *, plain: bool = False) -> None:
        super().__init__(column)
        self.seen: list = []
        self.got: dict = {}
        self.plain = plain

    @property
    def names(self) -> list[str]:
        return ["late"] if self.plain else ["early", "late"]

    def classes(self, values: np.ndarray) -> np.ndarray:
        self.seen.append(list(values))
        early = np.array([v is None or str(v) < "M" for v in values], dtype=bool)
        if self.plain:
            return np.where(early, PLAIN, 0)
        return np.where(early, 0, 1)

    def totals(self, values, crimes, harm) -> None:
        self.got = {"values": list(values), "crimes": crimes.copy(), "harm": harm.copy()}


def _both(monkeypatch, data, **kw):
    """The series the split way and as an extra key, checked to have taken each way."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", crimeharm.UnknownCodeWarning)
        warnings.simplefilter("ignore", crimeharm.UnknownOutcomeWarning)
        split = crimeharm.series(data, **kw)
        with monkeypatch.context() as m:
            m.setattr(series_module, "_splittable", lambda data: False)
            keyed = crimeharm.series(data, **kw)
    assert split.attrs["crimeharm"]["series"]["split"] is True
    assert keyed.attrs["crimeharm"]["series"]["split"] is False
    return split, keyed


def _same(split: pd.DataFrame, keyed: pd.DataFrame, *, windows: bool = False) -> None:
    """The same cells in the same order, the same values (harm summed in another order).

    ``windows``: rolling windows, whose cells count a crime in each window that holds it,
    so the extra key's report counts crime-windows (the split's counts crimes).
    """
    assert list(split.columns) == list(keyed.columns)
    assert len(split) == len(keyed)
    for col in split.columns:
        a, b = split[col], keyed[col]
        if a.dtype.kind == "f":
            np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=1e-12, atol=1e-9)
        else:
            pd.testing.assert_series_equal(a, b, check_names=True)
    ma, mb = split.attrs["crimeharm"], keyed.attrs["crimeharm"]
    if windows:
        note = mb["summary"]["notes"].pop()
        assert "once per rolling window" in note
    assert ma["summary"] == mb["summary"]
    if windows:
        a, b = ma["detection"]["crimes_by_value"], mb["detection"]["crimes_by_value"]
        assert a.keys() == b.keys()
        assert all(a[k] <= b[k] for k in a)
        return
    assert ma.get("detection") == mb.get("detection")


@pytest.fixture
def pinned(engine, monkeypatch):
    """The engine series uses: what ``auto`` means."""
    monkeypatch.setenv("CRIMEHARM_ENGINE", engine)
    return engine


@pytest.mark.parametrize(
    "kw",
    [
        {"by": "area", "period": "month", "detected": "outcome"},
        {"by": "area", "period": "quarter", "detected": "flag"},
        {"by": ["area", "kind"], "period": "month", "detected": "outcome"},
        {"detected": "outcome"},
        {"by": "area", "detected": "outcome", "period": "rolling:12m"},
        {"by": "area", "period": "month", "detected": "outcome", "complete": True},
        {"by": "area", "period": "month", "detected": "outcome", "category": "kind"},
        {"by": "area", "period": "month", "detected": "outcome", "unknown_outcome": "exclude"},
        {"by": "area", "period": "year", "detected": "outcome", "reported": "r",
         "historic_lag": 365},
        {"by": "area", "period": "month", "detected": "outcome", "start": "2022-06-01",
         "end": "2023-05-31"},
        {"by": "area", "period": "month", "detected": "outcome",
         "detected_values": {"??": (True, True), "Local resolution": False}},
    ],
)  # fmt: skip
def test_split_equals_the_extra_key(pinned, monkeypatch, kw):
    data = _records(20_000, seed=7)
    split, keyed = _both(monkeypatch, data, **KW, **kw)
    _same(split, keyed, windows="rolling" in kw.get("period", ""))
    summary = split.attrs["crimeharm"]["summary"]
    assert summary["rows_in"] == summary["rows_included"] + sum(summary["rows_excluded"].values())


def test_split_of_a_count_column_and_arrow_input(pinned, monkeypatch):
    """Pre-counted records take the column-by-column path; an Arrow table reads the same."""
    data = _records(5_000, seed=3)
    data["n"] = np.random.default_rng(3).integers(0, 4, len(data))
    kw = {**KW, "by": "area", "period": "month", "detected": "outcome", "count": "n"}
    _same(*_both(monkeypatch, data, **kw))
    table = pa.Table.from_pandas(data, preserve_index=False)
    _same(*_both(monkeypatch, table, **kw))


def test_split_from_parquet_row_groups(pinned, monkeypatch, tmp_path):
    """Values first seen in later row groups (another dictionary each) keep their ids."""
    data = _records(30_000, seed=11).sort_values("outcome", na_position="first")
    path = tmp_path / "r.parquet"
    data.to_parquet(path, row_group_size=4_000)
    _same(*_both(monkeypatch, path, **KW, by="area", period="month", detected="outcome"))


@pytest.mark.parametrize("plain", [False, True])
def test_split_agrees_with_harm_index_exactly(pinned, plain):
    """The included and excluded sums of a split pass are harm_index's, bit for bit."""
    data = _records(20_000, seed=5)
    split = ByText("outcome", plain=plain)
    kw = {**KW, "by": "area", "period": "month", "batch_rows": 3_000}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", crimeharm.UnknownCodeWarning)
        out = split_index(data, split, **kw)
        ref = harm_index(data, **kw)
    assert out is not None
    extra = [c for c in out.columns if "@" in c]
    names = ["late"] if plain else ["early", "late"]
    assert extra == [f"{kind}@{name}" for name in names for kind in ("crimes", "harm_days")]
    pd.testing.assert_frame_equal(out.drop(columns=extra), ref)
    assert out.attrs["crimeharm"]["summary"] == ref.attrs["crimeharm"]["summary"]
    # the classes (and the plain values) add up to the included sums
    early = data["outcome"].isna() | (data["outcome"].fillna("").str.strip() == "")
    early |= data["outcome"].fillna("") < "M"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", crimeharm.UnknownCodeWarning)
        late = crimeharm.harm_index(data.loc[~early], **kw).set_index(["area", "period"])
    got_late = out.set_index(["area", "period"]).loc[late.index]
    np.testing.assert_array_equal(got_late["crimes@late"], late["crimes"])
    np.testing.assert_allclose(got_late["harm_days@late"], late["harm_days"])
    if not plain:
        np.testing.assert_array_equal(out["crimes@early"] + out["crimes@late"], out["crimes"])
    seen = [v for batch in split.seen for v in batch]
    assert len(seen) == len(set(seen)) == len(split.got["values"])
    # each value's totals: its included records, counted once (as harm_index counts them)
    got = split.got
    assert got["crimes"].sum() == out["crimes"].sum()
    assert got["harm"].sum() == pytest.approx(out["harm_days"].sum())
    assert [v for v in got["values"] if v is None] == [None]  # null and blank: one value
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", crimeharm.UnknownCodeWarning)
        scored = crimeharm.score(data, **KW)
    one = scored.loc[scored["excluded"].isna() & data["outcome"].eq("1").to_numpy()]
    assert got["crimes"][got["values"].index("1")] == len(one)
    assert got["harm"][got["values"].index("1")] == pytest.approx(one["harm_days"].sum())


def test_more_values_than_a_split_keeps_take_the_extra_key(pinned, monkeypatch):
    values = [f"outcome {i}" for i in range(MAX_SPLIT + 5)] + ["1"]
    data = _records(10_000, seed=2, outcomes=values)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", crimeharm.UnknownCodeWarning)
        warnings.simplefilter("ignore", crimeharm.UnknownOutcomeWarning)
        s = crimeharm.series(data, **KW, by="area", period="month", detected="outcome")
        assert s.attrs["crimeharm"]["series"]["split"] is False
        out = split_index(data, ByText("outcome"), by="area", **KW)
    assert out is None
    with monkeypatch.context() as m:
        m.setattr(series_module, "_splittable", lambda data: False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            keyed = crimeharm.series(data, **KW, by="area", period="month", detected="outcome")
    pd.testing.assert_frame_equal(s, keyed)
    assert s.attrs["crimeharm"]["detection"]["crimes_by_value"]["1"] > 0


def test_split_without_included_records(pinned, monkeypatch):
    data = _records(200, seed=1)
    data["offence_code"] = "092/10"  # police-generated: nothing is in the CHI
    split, keyed = _both(monkeypatch, data, **KW, by="area", period="month", detected="outcome")
    _same(split, keyed)
    assert split["crimes"].sum() == 0
    assert split["ppi_days"].sum() > 0


def test_rolling_windows_count_each_crime_once_per_outcome(pinned, monkeypatch):
    data = _records(5_000, seed=9)
    kw = {**KW, "by": "area", "period": "rolling:12m", "detected": "outcome"}
    monthly = {**kw, "period": "month"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rolled = crimeharm.series(data, **kw, unknown_outcome="exclude")
        by_month = crimeharm.series(data, **monthly, unknown_outcome="exclude")
        meta, ref = rolled.attrs["crimeharm"], by_month.attrs["crimeharm"]
        assert meta["detection"] == ref["detection"]  # per crime, not per window
        assert meta["summary"]["rows_excluded"] == ref["summary"]["rows_excluded"]
        with monkeypatch.context() as m:  # summed as a key, they could not be
            m.setattr(series_module, "_splittable", lambda data: False)
            with pytest.raises(crimeharm.OptionError, match="rolling windows"):
                crimeharm.series(data, **kw, unknown_outcome="exclude")


def test_a_split_engine_is_neither_merged_nor_sent_as_partials(engine):
    eng = new_engine(engine, ["area"], None, split=ByText("outcome"))
    other = new_engine(engine, ["area"], None)
    with pytest.raises(crimeharm.OptionError, match="split"):
        eng.partial()
    with pytest.raises(crimeharm.OptionError, match="split"):
        other.merge(eng)
    with pytest.raises(crimeharm.OptionError, match="split"):
        eng.add_scored({"area": pd.Series(["A"])}, 1, status=np.zeros(1, np.uint8),
                       crimes=None, harm=np.ones(1), period_day=None)  # fmt: skip
    assert N_STATUS + MAX_SPLIT <= 255  # the split's statuses stay uint8


def test_one_split_pass_and_no_harm_index_call(monkeypatch):
    calls: list = []
    real = series_module.split_index
    monkeypatch.setattr(
        series_module, "split_index", lambda *a, **k: calls.append(k) or real(*a, **k)
    )
    monkeypatch.setattr(series_module, "harm_index", lambda *a, **k: pytest.fail("harm_index"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = crimeharm.series(_records(2_000, seed=4), **KW, by="area", period="month",
                             detected="outcome")  # fmt: skip
    assert len(calls) == 1
    assert calls[0]["by"] == ["area"]  # the detection column is no key
    assert s.attrs["crimeharm"]["series"]["split"] is True


@pytest.mark.parametrize(
    ("kw", "values"),
    [
        # booleans first, a text later (an object column): read as outcomes at the end
        ({"by": "area", "period": "month", "detected": "det", "batch_rows": 1_000}, "mixed"),
        # the detection column is also the category, or a by column: summed as a key
        ({"by": "area", "detected": "outcome", "category": "outcome"}, None),
        ({"by": ["area", "outcome"], "detected": "outcome"}, None),
    ],
)
def test_split_edge_cases_match_the_extra_key(pinned, monkeypatch, kw, values):
    data = _records(4_000, seed=12)
    if values == "mixed":
        det = np.array([False] * len(data), dtype=object)
        det[::3] = True
        det[-2] = "Suspect charged"
        data["det"] = det
    split, keyed = _both(monkeypatch, data, **KW, **kw) if values else (None, None)
    if values is None:  # the key way is taken: compare with harm_index's cells
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            s = crimeharm.series(data, **KW, **kw)
        assert s.attrs["crimeharm"]["series"]["split"] is False
        assert s["crimes"].sum() > 0
        return
    _same(split, keyed)
    assert split.attrs["crimeharm"]["detection"]["read_as"] == "outcome"


def test_a_boolean_column_reads_false_with_the_included_records(pinned, monkeypatch):
    data = _records(4_000, seed=13)
    data["flag"] = data["flag"].fillna(False).astype(bool)
    _same(*_both(monkeypatch, data, **KW, by="area", period="month", detected="flag"))
    assert series_module._boolean(data, None, "flag")
    assert not series_module._boolean(data.astype({"flag": object}), None, "outcome")
    assert series_module._boolean(pa.Table.from_pandas(data), None, "flag")


def test_bad_input_on_the_split_path(pinned, tmp_path):
    """Wrong columns, bad dates, a date in 1500, unknown codes, blank flags, empty inputs."""
    data = pd.DataFrame(
        {
            "offence_code": ["105/01", "008/06", "034/01", "999/99", "105/01"],
            "area": list("AABBB"),
            "d": ["2024-01-10", "not a date", "1500-01-01", "2024-02-01", "2024-02-03"],
            "pi": ["N", "", "", "N", ""],
            "outcome": ["1", "18", "Under investigation", None, "8"],
        }
    )
    kw = {"by": "area", "period": "month", "date": "d", "police_initiated": "pi"}
    with pytest.raises(crimeharm.MissingColumnError, match="outcme"):
        crimeharm.series(data, **kw, detected="outcme")
    with pytest.raises(crimeharm.MissingColumnError, match="aera"):
        crimeharm.series(data, **{**kw, "by": "aera"}, detected="outcome")
    with pytest.warns(crimeharm.UnknownCodeWarning, match="999/99"):
        s = crimeharm.series(data, **kw, detected="outcome", flag_blank="exclude")
    assert s.attrs["crimeharm"]["series"]["split"] is True
    summary = s.attrs["crimeharm"]["summary"]
    assert summary["rows_excluded"] == {
        "unknown_code": 1, "bad_date": 1, "implausible_date": 1, "missing_flag": 1
    }  # fmt: skip
    assert summary["rows_in"] == summary["rows_included"] + 4 == 5
    assert s["crimes"].sum() == 1
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(crimeharm.EmptyDataError):
        crimeharm.series(empty, **kw, detected="outcome")
    header = tmp_path / "header.csv"
    data.head(0).to_csv(header, index=False)
    for nothing in (header, data.head(0)):
        s = crimeharm.series(nothing, **kw, detected="outcome")
        assert s.attrs["crimeharm"]["series"]["split"] is True
        assert (len(s), s.attrs["crimeharm"]["summary"]["rows_in"]) == (0, 0)
