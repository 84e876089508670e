"""The worked example of docs/analysis.md is what the library computes (run as a doctest)."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[1] / "docs" / "analysis.md"


def test_analysis_page_examples():
    pytest.importorskip("pandas")
    result = doctest.testfile(
        str(DOC),
        module_relative=False,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
    )
    assert result.attempted > 10
    assert result.failed == 0, f"{result.failed} example(s) of docs/analysis.md failed"
