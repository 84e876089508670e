"""Concentration: Gini, generalised Gini, Lorenz curve, top shares, the unit rules (#13)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import crimeharm
from crimeharm import ColumnValueError, EmptyDataError
from crimeharm.analysis.concentration import gini, gini_generalised


def _table(values, events=None, name="area"):
    t = pd.DataFrame({name: [f"u{i:03d}" for i in range(len(values))], "harm_days": values})
    if events is not None:
        t["crimes"] = events
    return t


def test_gini_worked_on_paper():
    # ascending 0, 2, 2, 6 (N=4, S=10): 2*(1*0 + 2*2 + 3*2 + 4*6)/(4*10) - 5/4 = 1.7 - 1.25
    assert gini([6, 2, 2, 0]) == pytest.approx(0.45)
    assert gini([5, 5, 5, 5]) == pytest.approx(0.0)
    assert gini([1, 0, 0, 0]) == pytest.approx(0.75)  # 1 - 1/N: one unit holds all
    # twice the area between the curve and the diagonal, by trapezoids on the four points
    x = np.sort(np.array([6, 2, 2, 0.0]))[::-1]
    y = np.concatenate([[0], np.cumsum(x) / x.sum()])
    area = np.sum((y[1:] + y[:-1]) / 2 * 0.25)
    assert gini([6, 2, 2, 0]) == pytest.approx(2 * area - 1)


def test_bernasco_steenbeek_examples():
    # the worked examples of the authors' lorenzgini package (R/gini.R, biased form)
    assert gini([10, 8, 2] + [0] * 7) == pytest.approx(0.78)
    assert gini_generalised([10, 8, 2] + [0] * 7, events=20) == pytest.approx(0.78)
    assert gini([5, 2, 1] + [0] * 7) == pytest.approx(0.8)
    assert gini_generalised([5, 2, 1] + [0] * 7, events=8) == pytest.approx(0.75)
    assert gini([10] + [0] * 9) == pytest.approx(0.9)
    # 10 places, 3 + 1 + 1 crimes: G = .78; the line of maximal equality goes to (C/N, 1)
    c = crimeharm.concentration(
        _table([3, 1, 1] + [0] * 7, events=[3, 1, 1] + [0] * 7), unit="area"
    )
    assert c["gini"] == pytest.approx(0.78)
    assert c["gini_generalised"] == pytest.approx(2 * (0.78 - 1) + 1)  # 0.56
    assert c["events"] == 5


def test_lorenz_curve_of_four_units():
    t = pd.DataFrame({"area": ["A", "B", "C", "D"], "harm_days": [2.0, 6.0, 0.0, 2.0]})
    curve = crimeharm.lorenz(t, unit="area")
    assert curve["area"].tolist() == ["B", "A", "D", "C"]  # ties (A, D) by id
    assert curve["units_share"].tolist() == [0.25, 0.5, 0.75, 1.0]
    assert curve["value_share"].tolist() == pytest.approx([0.6, 0.8, 1.0, 1.0])
    assert curve["rank"].tolist() == [1, 2, 2, 4]


def test_top_shares_interpolate_on_the_curve():
    # 150 units: the top 1% is 1.5 units, the top unit and half of the second
    values = np.arange(150, 0, -1, dtype=float)
    c = crimeharm.concentration(_table(values), unit="area")
    s = values.sum()
    assert c["top_1pct"] == pytest.approx((150 + 0.5 * 149) / s)
    assert c["top_5pct"] == pytest.approx((values[:7].sum() + 0.5 * values[7]) / s)
    assert c["top_10pct"] == pytest.approx(values[:15].sum() / s)
    # units holding 50%: first k with S_k >= S/2, then the fraction of unit k needed
    cum = np.cumsum(values)
    k = int(np.searchsorted(cum, s / 2)) + 1
    expected = (k - 1 + (s / 2 - cum[k - 2]) / values[k - 1]) / 150
    assert c["units_50pct"] == pytest.approx(expected)
    assert c["units_50pct_count"] == k


def test_four_units_by_hand():
    t = pd.DataFrame({"area": list("ABCD"), "harm_days": [6.0, 2.0, 2.0, 0.0]})
    c = crimeharm.concentration(t, unit="area")
    assert c["top_20pct"] == pytest.approx(0.8 * 6 / 10)  # 0.8 of the top unit
    assert c["units_50pct"] == pytest.approx((5 / 6) / 4)
    assert c["units_80pct"] == pytest.approx((1 + 1.0) / 4)  # 6 + 2 = 8: two whole units
    assert c["units"] == 4
    assert c["units_with_value"] == 3
    assert c["events"] == 4  # no crimes column: one event per row


def test_records_are_summed_per_unit_and_blank_ids_counted_apart():
    rec = pd.DataFrame(
        {
            "offender": ["a", "a", "b", None, "", "  ", "c"],
            "harm_days": [5.0, 5.0, 2.0, 7.0, 1.0, 1.0, 0.0],
        }
    )
    c = crimeharm.concentration(rec, unit="offender")
    assert c["units"] == 3  # a, b, c: the blank ids are not a person
    assert c["total"] == 12
    assert (c["no_id_rows"], c["no_id_value"]) == (3, 9.0)
    curve = crimeharm.lorenz(rec, unit="offender")
    assert curve.attrs["crimeharm"]["no_id_rows"] == 3


def test_units_list_and_complete_add_zero_units():
    t = pd.DataFrame({"area": ["A", "B"], "harm_days": [3.0, 1.0]})
    with_list = crimeharm.concentration(t, unit="area", units=["A", "B", "C", "D"])
    assert with_list["units"] == 4
    assert with_list["gini"] == pytest.approx(gini([3, 1, 0, 0]))
    cat = t.assign(area=pd.Categorical(t["area"], categories=["A", "B", "C", "D"]))
    assert crimeharm.concentration(cat, unit="area")["units"] == 2
    assert crimeharm.concentration(cat, unit="area", complete=True)["units"] == 4
    with pytest.raises(ColumnValueError, match="not in units="):
        crimeharm.concentration(t, unit="area", units=["A"])


def test_several_unit_columns():
    t = pd.DataFrame(
        {
            "force": ["F", "F", "G", "G"],
            "beat": ["1", "2", "1", None],
            "harm_days": [4.0, 1.0, 3.0, 9.0],
        }
    )
    c = crimeharm.concentration(t, unit=["force", "beat"])
    assert c["units"] == 3
    assert c["no_id_rows"] == 1
    full = crimeharm.concentration(t, unit=["force", "beat"], complete=True)
    assert full["units"] == 4  # F/1, F/2, G/1, G/2


def test_arrow_and_pandas_agree():
    t = _table([5.0, 0.0, 3.0, 3.0, 9.0], events=[1, 0, 2, 1, 3])
    a = crimeharm.concentration(pa.Table.from_pandas(t), unit="area")
    b = crimeharm.concentration(t, unit="area")
    pd.testing.assert_series_equal(a, b)


@pytest.mark.parametrize(
    ("values", "needles"),
    [
        ([1.0, np.nan, np.nan], ["'harm_days'", "2 missing"]),
        ([1.0, -2.0, 3.0], ["'harm_days'", "1 negative"]),
        ([1.0, "x", -1], ["'harm_days'", "1 missing", "1 negative"]),
    ],
)
def test_bad_values_name_the_column_and_how_many(values, needles):
    t = pd.DataFrame({"area": ["A", "B", "C"], "harm_days": values})
    with pytest.raises(ColumnValueError) as info:
        crimeharm.concentration(t, unit="area")
    for needle in needles:
        assert needle in str(info.value)
    assert info.value.column == "harm_days"


def test_empty_and_zero_tables_raise_clear_errors():
    empty = pd.DataFrame({"area": pd.Series(dtype=object), "harm_days": pd.Series(dtype=float)})
    with pytest.raises(EmptyDataError, match="no rows"):
        crimeharm.concentration(empty, unit="area")
    with pytest.raises(EmptyDataError, match="sums to 0"):
        crimeharm.concentration(_table([0.0, 0.0]), unit="area")
    with pytest.raises(EmptyDataError, match="no unit"):
        crimeharm.concentration(
            pd.DataFrame({"area": [None, ""], "harm_days": [1.0, 2.0]}), unit="area"
        )
    with pytest.raises(crimeharm.MissingColumnError):
        crimeharm.concentration(_table([1.0]), unit="lsoa")


def test_harm_index_output_and_example_records():
    path = crimeharm.__path__[0] + "/data/example-records.csv"
    with pytest.warns(crimeharm.UnknownCodeWarning):
        table = crimeharm.harm_index(path, by="lsoa", date="committed_date", period="year")
    by_year = crimeharm.concentration(table, unit="lsoa")  # the years summed per LSOA
    with pytest.warns(crimeharm.UnknownCodeWarning):
        scored = crimeharm.score(path, date="committed_date")
    per_record = crimeharm.concentration(scored[scored["excluded"].isna()], unit="lsoa")
    assert by_year["gini"] == pytest.approx(per_record["gini"])
    # scored records as they are: the excluded rows are left out, and counted
    whole = crimeharm.concentration(scored, unit="lsoa", value="crimes")
    assert whole["events"] == per_record["events"] == table["crimes"].sum()
    assert whole["rows_excluded"] == scored["excluded"].notna().sum() > 0
    assert by_year["total"] == pytest.approx(per_record["total"])
    counts = crimeharm.concentration(table, unit="lsoa", value="crimes")
    assert 0 < counts["gini"] < by_year["gini"] < 1  # harm is the more concentrated here


values_strategy = st.lists(
    st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1, max_size=40
).filter(lambda v: sum(v) > 0)


@settings(max_examples=60, deadline=None)
@given(values=values_strategy, seed=st.integers(0, 2**32 - 1))
def test_row_order_does_not_matter(values, seed):
    rows = pd.DataFrame({"area": [f"u{i % 7}" for i in range(len(values))], "harm_days": values})
    shuffled = rows.sample(frac=1.0, random_state=seed % (2**32)).reset_index(drop=True)
    a = crimeharm.concentration(rows, unit="area")
    b = crimeharm.concentration(shuffled, unit="area")
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=1e-9, atol=1e-12)
    la, lb = crimeharm.lorenz(rows, unit="area"), crimeharm.lorenz(shuffled, unit="area")
    assert la["area"].tolist() == lb["area"].tolist()


@settings(max_examples=60, deadline=None)
@given(
    counts=st.lists(st.integers(0, 50), min_size=1, max_size=30).filter(lambda v: sum(v) > 0),
    extra_zero_units=st.integers(0, 30),
)
def test_generalised_gini_is_the_ordinary_one_with_enough_events(counts, extra_zero_units):
    values = counts + [0] * extra_zero_units
    t = _table([float(v) for v in values], events=values)
    c = crimeharm.concentration(t, unit="area", value="crimes")
    if sum(values) >= len(values):
        assert c["gini_generalised"] == c["gini"]
    else:
        assert c["gini_generalised"] < c["gini"]
        assert c["gini_generalised"] >= -1e-12  # counts: never below maximal equality


@settings(max_examples=40, deadline=None)
@given(
    ids=st.lists(
        st.one_of(
            st.none(),
            st.text(alphabet="AB0129 é", max_size=6),
            st.text(alphabet="E0123", min_size=9, max_size=9),
            st.text(max_size=40),
        ),
        min_size=1,
        max_size=60,
    )
)
def test_text_ids_read_fast_agree_with_arrow_dictionary_encoding(ids):
    # text ids are read as integer keys when they fit; categoricals go through Arrow's
    # dictionary encoding: both give the same units, sums and order
    values = np.arange(1, len(ids) + 1, dtype=float) % 4
    text = pa.table({"u": pa.array(ids, type=pa.string()), "harm_days": values})
    cat = pd.DataFrame({"u": pd.Categorical(ids), "harm_days": values})
    if sum(v for v, i in zip(values, ids, strict=True) if i is not None and i.strip()) == 0:
        return
    a = crimeharm.lorenz(text, unit="u")
    b = crimeharm.lorenz(cat, unit="u")
    assert a["u"].astype(str).tolist() == b["u"].astype(str).tolist()
    np.testing.assert_allclose(a["harm_days"], b["harm_days"])
    assert a.attrs["crimeharm"]["no_id_rows"] == b.attrs["crimeharm"]["no_id_rows"]


@pytest.mark.parametrize("seed", range(6))
def test_text_ids_are_coded_in_text_order(seed):
    """Each fast path for text ids (byte ranges; byte pairs) codes as sorting the text does."""
    from crimeharm.analysis import units as U

    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 3000))
    alphabet = np.array(list("E0123456789abz~"))
    width = int(rng.integers(1, 12))
    fixed = ["".join(rng.choice(alphabet[: int(rng.integers(2, 15))], width)) for _ in range(n)]
    varied = [s[: int(rng.integers(1, width + 1))] for s in fixed]
    pattern = [f"E01{int(i):06d}" for i in rng.integers(0, 200_000, n)]
    for values in (fixed, varied, pattern):
        got = U._short_string_codes(pa.array(values))
        if got is None:  # too many combinations: Arrow's dictionary encoding is used instead
            assert values is not pattern
            continue
        codes, dictionary, rank = got
        distinct = sorted(set(values))
        assert dictionary.to_pylist() == distinct
        assert [distinct[c] for c in codes] == values
        assert rank.tolist() == list(range(len(distinct)))
    # the byte-range path is the one taken for a fixed pattern, and agrees with the pair path
    matrix: list[np.ndarray] = []
    U._pair_columns(pa.array(pattern), matrix)
    assert matrix
    assert U._byte_range_codes(matrix[0], pa.string()) is not None


def test_concentration_of_fixed_width_codes_matches_a_groupby():
    rng = np.random.default_rng(7)
    lsoa = [f"E01{int(i):06d}" for i in rng.integers(0, 5_000, 40_000)]
    harm = rng.choice([1.0, 10.0, 365.0], size=len(lsoa))
    table = pa.table({"lsoa": lsoa, "harm_days": harm})
    got = crimeharm.lorenz(table, unit="lsoa")
    want = pd.Series(harm).groupby(pd.Series(lsoa)).sum()
    want = want.sort_values(ascending=False, kind="stable")
    assert got["lsoa"].tolist()[: len(want)] == sorted(want.index, key=lambda u: (-want[u], u))
