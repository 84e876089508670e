"""The figures docs/concentration.md shows are what the library computes (issue 13)."""

from __future__ import annotations

import doctest
import re
import warnings
from pathlib import Path

import pytest

import crimeharm
from crimeharm.weights.police_uk import police_uk_options

DOC = Path(__file__).resolve().parents[1] / "docs" / "concentration.md"


def test_worked_examples_run():
    result = doctest.testfile(
        str(DOC),
        module_relative=False,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
    )
    assert result.attempted > 20
    assert result.failed == 0


def _pct(text: str) -> float:
    return float(text.rstrip("%")) / 100


def test_police_uk_lsoa_table(reference_dir):
    rows = re.findall(
        r"^\| (\d{4}-\d{2}) \| (\d+) \| (\d+) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+%) \| "
        r"([\d.]+%) \| ([\d.]+%) \((\d+) LSOAs?\) \|$",
        DOC.read_text(encoding="utf-8"),
        re.M,
    )
    assert len(rows) == 2, "the data.police.uk table is not in the doc"
    for month, n_lsoa, n_crimes, g_c, g_h, top_c, top_h, u50, u50_n in rows:
        path = reference_dir / "police-uk" / f"{month}-city-of-london-street.csv"
        if not path.exists():
            pytest.skip(f"{path} not found")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", crimeharm.CrimeHarmWarning)
            table = crimeharm.harm_index(path, by="LSOA code", **police_uk_options())
        crimes = crimeharm.concentration(table, unit="LSOA code", value="crimes")
        harm = crimeharm.concentration(table, unit="LSOA code")
        assert int(harm["units"]) == int(n_lsoa)
        assert int(crimes["total"]) == int(n_crimes)
        assert round(crimes["gini"], 3) == float(g_c)
        assert round(harm["gini"], 3) == float(g_h)
        assert round(crimes["top_10pct"], 3) == pytest.approx(_pct(top_c), abs=5e-4)
        assert round(harm["top_10pct"], 3) == pytest.approx(_pct(top_h), abs=5e-4)
        assert round(harm["units_50pct"], 3) == pytest.approx(_pct(u50), abs=5e-4)
        assert int(harm["units_50pct_count"]) == int(u50_n)
        overlap = crimeharm.spot_overlap(table, unit="LSOA code", top_share=0.1)
        assert overlap["jaccard"] == 1.0
