"""area_harm: harm per area over a window of months, feeding allocate."""

from __future__ import annotations

import warnings
from importlib import resources

import pandas as pd
import pytest

import crimeharm
from crimeharm.allocation import area_harm
from crimeharm.errors import AllocationError


@pytest.fixture
def records() -> pd.DataFrame:
    ref = resources.files("crimeharm.data").joinpath("example-records.csv")
    with resources.as_file(ref) as path:
        return pd.read_csv(path, dtype=str, keep_default_na=False)


def test_window_sums_equal_harm_index_over_the_same_months(records):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = area_harm(
            records, area="neighbourhood", end="2023-12", months=6, date="committed_date"
        )
        scored = crimeharm.score(records, date="committed_date")
    dates = scored["period_date"]
    inside = (dates >= "2023-07-01") & (dates <= "2023-12-31") & scored["excluded"].isna()
    expected = scored[inside].groupby("neighbourhood")["harm_days"].sum()
    assert got.set_index("area")["harm"].to_dict() == pytest.approx(expected.to_dict())
    assert got.attrs["window"] == "Jul 2023 - Dec 2023"
    assert got.attrs["edition"] == "cchi-2020"


def test_provenance_reaches_the_allocation(records):
    pop = pd.DataFrame(
        {
            "neighbourhood": ["Castle", "Northgate", "Riverside", "Westfield"],
            "population": [9000, 14000, 11000, 7000],
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        areas = area_harm(
            records,
            area="neighbourhood",
            end="2024-03",
            months=12,
            population=pop,
            date="committed_date",
        )
    out = crimeharm.allocate(
        areas, total=1000, terms={"harm": 0.65, "crime_rate": 0.2, "population": 0.15}
    )
    assert out["amount"].sum() == pytest.approx(1000)
    assert out.attrs["window"] == "Apr 2023 - Mar 2024"
    assert out.attrs["edition_sha256"] == crimeharm.load_weights().sha256


def test_bad_window_arguments(records):
    with pytest.raises(AllocationError, match="date="):
        area_harm(records, area="neighbourhood", end="2024-03")
    with pytest.raises(AllocationError, match="not a month"):
        area_harm(records, area="neighbourhood", end="soon", date="committed_date")
    with pytest.raises(AllocationError, match="months"):
        area_harm(records, area="neighbourhood", end="2024-03", months=0, date="committed_date")
    pop = pd.DataFrame({"neighbourhood": ["Castle"], "population": [9000]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(AllocationError, match="population missing"):
            area_harm(
                records, area="neighbourhood", end="2024-03", population=pop, date="committed_date"
            )


def test_a_population_without_the_column_is_named_as_population(records):
    # allocate and area_harm share one missing-column check (formula._require); it once said
    # "in areas" of the population table and carried no data
    pop = pd.DataFrame({"ward": ["Castle"], "population": [9000]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(crimeharm.MissingColumnError, match="in population;") as info:
            area_harm(
                records, area="neighbourhood", end="2024-03", population=pop, date="committed_date"
            )
    assert (info.value.path, info.value.column) == ("population", "neighbourhood")
    assert info.value.values == ["neighbourhood"]
    assert info.value.allowed == ["ward", "population"]
    with pytest.raises(crimeharm.MissingColumnError, match="in areas;") as info:
        crimeharm.allocate(
            pd.DataFrame({"area": ["A"], "crimes": [1]}), total=10, terms={"harm": 1}
        )
    assert (info.value.path, info.value.column, info.value.values) == ("areas", "harm", ["harm"])
