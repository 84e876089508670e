"""Functions that pass their options on to another name them alike.

Each pair below names the same keyword-only options in both signatures (so that ``help()``
shows them) and the first passes them on to the second; these tests keep the two
copies the same: the same names, kinds, defaults and annotations.
"""

from __future__ import annotations

import inspect

import pytest

import crimeharm
from crimeharm.allocation import formula
from crimeharm.analysis import plots_concentration, spots, trends
from crimeharm.weights.table import WeightTable

SPOTS = ["unit", "top", "top_share", "harm", "count", "units", "complete"]
PAIRS = [
    (spots.spot_overlap, spots.spots, SPOTS),
    (plots_concentration.plot_spot_overlap, spots.spots, SPOTS),
    (spots.persistence, spots.spots, ["unit", "top", "top_share", "units", "complete"]),
    (
        formula.allocation_sensitivity,
        formula.allocate,
        ["total", "terms", "area", "harm", "crimes", "population", "floor", "cap"],
    ),
    (WeightTable.lookup, WeightTable.resolve, ["code_system", "ambiguity", "crosswalk"]),
    (trends.rolling_mean, trends.index_to_base, ["by", "period", "columns"]),
]


@pytest.mark.parametrize(
    ("caller", "callee", "names"), PAIRS, ids=[f"{a.__qualname__}" for a, _, _ in PAIRS]
)
def test_forwarded_options_match(caller, callee, names):
    mine = inspect.signature(caller).parameters
    theirs = inspect.signature(callee).parameters
    for name in names:
        a, b = mine[name], theirs[name]
        assert a.kind is b.kind is inspect.Parameter.KEYWORD_ONLY, name
        assert a.default == b.default, name
        assert a.annotation == b.annotation, name


def test_spot_overlap_and_its_plot_count_the_units_spots_counts():
    import pandas as pd

    t = pd.DataFrame(
        {"area": list("ABCDE"), "crimes": [1, 9, 4, 2, 0], "harm_days": [50.0, 9, 40, 2, 0]}
    )
    frame = crimeharm.spots(t, unit="area", top_share=0.4)
    overlap = crimeharm.spot_overlap(t, unit="area", top_share=0.4)
    assert overlap["k"] == frame.attrs["crimeharm"]["k"]
    assert overlap["harm_spots"] == frame["harm_spot"].sum()
    assert overlap["hot_spots"] == frame["hot_spot"].sum()
