"""Harm spots vs hot spots, and persistence of the top units (issue 13)."""

from __future__ import annotations

import pandas as pd
import pytest

import crimeharm
from crimeharm import OptionError

TABLE = pd.DataFrame(
    {
        "area": list("ABCDEF"),
        "crimes": [1.0, 9.0, 4.0, 2.0, 9.0, 0.0],
        "harm_days": [5475.0, 90.0, 400.0, 20.0, 60.0, 0.0],
    }
)


def test_spots_ranks_and_kinds_by_hand():
    out = crimeharm.spots(TABLE, unit="area", top=2)
    by = out.set_index("area")
    # harm: A 5475, C 400, B 90, E 60, D 20, F 0; count: B 9, E 9 (tie: B first), C 4, D 2, A 1
    assert out["area"].tolist() == ["A", "C", "B", "E", "D", "F"]
    assert by["harm_rank"].to_dict() == {"A": 1, "C": 2, "B": 3, "E": 4, "D": 5, "F": 6}
    assert by["count_rank"].to_dict() == {"B": 1, "E": 1, "C": 3, "D": 4, "A": 5, "F": 6}
    assert by.loc[["A", "C"], "harm_spot"].all()
    assert by["harm_spot"].sum() == 2
    assert by.loc[["B", "E"], "hot_spot"].all()
    assert by["hot_spot"].sum() == 2
    assert by["kind"].astype(str).to_dict() == {
        "A": "harm only", "C": "harm only", "B": "hot only", "E": "hot only",
        "D": "neither", "F": "neither",
    }  # fmt: skip


def test_overlap_shared_jaccard_and_shares():
    o = crimeharm.spot_overlap(TABLE, unit="area", top=3)
    # top 3 by harm: A, C, B; by count: B, E, C
    assert (o["shared"], o["harm_only"], o["hot_only"]) == (2, 1, 1)
    assert o["jaccard"] == pytest.approx(2 / 4)
    total = TABLE["harm_days"].sum()
    assert o["harm_in_harm_spots"] == pytest.approx((5475 + 400 + 90) / total)
    assert o["harm_in_hot_spots"] == pytest.approx((90 + 60 + 400) / total)
    assert o["crimes_in_hot_spots"] == pytest.approx(22 / 25)


def test_top_share_is_rounded_up_and_ties_at_the_cut_are_counted():
    out = crimeharm.spots(TABLE, unit="area", top_share=0.2)  # 0.2 x 6 = 1.2 -> 2 units
    assert out.attrs["crimeharm"]["k"] == 2
    one = crimeharm.spots(TABLE, unit="area", top=1)
    assert one.attrs["crimeharm"]["ties_at_cut_count"] == 1  # E has B's 9 crimes
    assert one.loc[one["hot_spot"], "area"].tolist() == ["B"]  # the tie goes by id


def test_units_of_zero_value_are_never_spots():
    out = crimeharm.spots(TABLE, unit="area", top=6)
    assert not out.set_index("area").loc["F", ["harm_spot", "hot_spot"]].any()
    assert out["harm_spot"].sum() == 5


def test_bad_top_options():
    with pytest.raises(OptionError, match="one of top="):
        crimeharm.spots(TABLE, unit="area")
    with pytest.raises(OptionError, match="one of top="):
        crimeharm.spots(TABLE, unit="area", top=2, top_share=0.1)
    with pytest.raises(OptionError, match="top=0"):
        crimeharm.spots(TABLE, unit="area", top=0)
    with pytest.raises(OptionError, match=r"top_share=1\.5"):
        crimeharm.spots(TABLE, unit="area", top_share=1.5)


def test_persistence_period_by_period():
    t = pd.DataFrame(
        {
            "area": list("ABCD") * 3,
            "period": ["2022"] * 4 + ["2023"] * 4 + ["2024"] * 4,
            "harm_days": [9, 8, 1, 0, 7, 1, 9, 0, 0, 2, 3, 4.0],
        }
    )
    out = crimeharm.persistence(t.sample(frac=1, random_state=3), unit="area", top=2)
    assert out["period"].tolist() == ["2022", "2023", "2024"]
    # 2022: A, B; 2023: C, A (A stays); 2024: D, C (C stays)
    assert out["stayed"].tolist()[1:] == [1.0, 1.0]
    assert out["stayed_share"].tolist()[1:] == [0.5, 0.5]
    assert pd.isna(out["stayed_share"].iloc[0])


def test_persistence_orders_text_and_unordered_category_periods_alike():
    # an unordered categorical and plain text (or arrow) periods go through one ordering rule
    import pyarrow as pa

    t = pd.DataFrame(
        {
            "area": list("ABCD") * 3,
            "period": ["2024"] * 4 + ["2022"] * 4 + [None, "2023", "2023", None],
            "harm_days": [9, 8, 1, 0, 7, 1, 9, 0, 0, 2, 3, 4.0],
        }
    )
    text = crimeharm.persistence(t, unit="area", top=2)
    assert text["period"].tolist() == ["2022", "2023", "2024"]
    assert text.attrs["crimeharm"]["rows_without_period"] == 2
    cats = t.assign(period=pd.Categorical(t["period"], categories=["2024", "2023", "2022"]))
    pd.testing.assert_frame_equal(crimeharm.persistence(cats, unit="area", top=2), text)
    arrow = crimeharm.persistence(pa.Table.from_pandas(t), unit="area", top=2)
    pd.testing.assert_frame_equal(arrow, text)
    ordered = cats.assign(period=cats["period"].cat.as_ordered())
    assert crimeharm.persistence(ordered, unit="area", top=2)["period"].tolist() == [
        "2024",
        "2023",
        "2022",
    ]


def test_persistence_takes_harm_index_periods_in_time_order():
    path = crimeharm.__path__[0] + "/data/example-records.csv"
    with pytest.warns(crimeharm.UnknownCodeWarning):
        table = crimeharm.harm_index(path, by="lsoa", date="committed_date", period="quarter")
    out = crimeharm.persistence(table, unit="lsoa", top_share=0.3)
    labels = list(table["period"].cat.categories)
    assert out["period"].tolist() == labels
    assert out.attrs["crimeharm"]["rows_without_period"] == int(table["period"].isna().sum())
    assert ((out["stayed_share"].dropna() >= 0) & (out["stayed_share"].dropna() <= 1)).all()
