"""Shared fixtures: the public reference data beside the checkout (``../shared``).

CI has ``shared/`` beside the project's root; a test that needs it is skipped,
not failed, where it is absent.

The hypothesis profile ``slow`` (``pytest --hypothesis-profile=slow``) runs the
input property suites (``tests/test_input_properties.py``) with 1,000
examples each; the default run uses fewer, so that the suite stays fast.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

settings.register_profile("slow", max_examples=1_000, deadline=None)

SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """``shared/reference``: the official 2020 sheet, ONS tables, data.police.uk."""
    path = SHARED / "reference"
    if not path.is_dir():
        pytest.skip(f"reference data not found at {path}")
    return path


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    """``shared/seeds``: excerpts of the 2016 paper and the funding report."""
    path = SHARED / "seeds"
    if not path.is_dir():
        pytest.skip(f"seed documents not found at {path}")
    return path
