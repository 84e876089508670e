"""Shared fixtures: the public reference data beside the checkout (``../shared``); the engines.

CI has ``shared/`` beside the project's root; a test that needs it is skipped,
not failed, where it is absent.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

import crimeharm
from crimeharm._engine.compiled import load

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


ENGINES = ("numpy", "compiled")


@pytest.fixture(params=ENGINES)
def engine(request) -> str:
    """Each engine by name; ``compiled`` is skipped where the extension is not built."""
    if request.param == "compiled" and load() is None:
        pytest.skip("the compiled engine is not built")
    return request.param


@pytest.fixture
def each_engine(engine, monkeypatch) -> str:
    """Run the test once per engine: ``crimeharm.harm_index`` and ``crimeharm.aggregate``
    are called with ``engine=`` set, and each result is checked to say it used that engine."""

    def pinned(func):
        @functools.wraps(func)
        def call(*args, **kwargs):
            out = func(*args, engine=engine, **kwargs)
            assert out.attrs["crimeharm"]["engine"] == engine
            return out

        return call

    for name in ("harm_index", "aggregate"):
        monkeypatch.setattr(crimeharm, name, pinned(getattr(crimeharm, name)))
    return engine
