"""The figures the README shows are what the library computes."""

from __future__ import annotations

import ast
import re
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest

import crimeharm

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_lookup_example():
    text = README.read_text(encoding="utf-8")
    m = re.search(r"w\.lookup\((\[.*?\])\)\s+# days per code: (\[.*?\])", text)
    assert m, "the lookup example is not in the README"
    codes, shown = ast.literal_eval(m.group(1)), ast.literal_eval(m.group(2))
    assert crimeharm.load_weights().lookup(codes).tolist() == shown


def test_readme_allocation_example():
    text = README.read_text(encoding="utf-8")
    rows = re.findall(r"^# \d+\s+(\S+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)$", text, re.M)
    assert len(rows) == 3, "the allocation example's printed rows are not in the README"
    ref = resources.files("crimeharm.data").joinpath("example-areas.csv")
    with resources.as_file(ref) as path:
        areas = pd.read_csv(path)
    out = crimeharm.allocate(
        areas, total=639_675, terms={"harm": 0.65, "crime_rate": 0.20, "population": 0.15}
    ).set_index("area")
    for area, *amounts in rows:
        got = out.loc[area, ["harm_amount", "crime_rate_amount", "population_amount", "amount"]]
        assert got.tolist() == pytest.approx([float(a) for a in amounts], abs=0.005)
    assert out["amount"].sum() == pytest.approx(639_675, abs=1e-6)
