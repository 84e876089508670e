"""Shared fixtures: the public reference data beside the checkout (``../shared``), the
engines, the command line run in-process (``cli``) and the Table 1 category keys of the
2016 paper.

CI has ``shared/`` beside the project's root; a test that needs it is skipped,
not failed, where it is absent.

The hypothesis profile ``slow`` (``pytest --hypothesis-profile=slow``) runs the
input property suites (``tests/test_input_properties.py``) with 1,000
examples each; the default run uses fewer, so that the suite stays fast.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest
from hypothesis import settings

import crimeharm
from crimeharm._engine.compiled import load
from crimeharm.cli import main

settings.register_profile("slow", max_examples=1_000, deadline=None)

ROOT = Path(__file__).resolve().parents[1]

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


class Cli:
    """``crimeharm`` run in-process, its output read from pytest's ``capsys``."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self._capsys = capsys

    def __call__(self, *argv: object) -> tuple[int, str, str]:
        """Run ``crimeharm *argv``; the exit code, standard output and standard error."""
        code = main([str(a) for a in argv])
        out, err = self._capsys.readouterr()
        return code, out, err

    @staticmethod
    def assert_clean_error(code: int, err: str, *needles: str) -> str:
        """Exit 2 and one line on stderr, naming the problem (every needle), no traceback.

        Returns the line.
        """
        assert code == 2
        assert "Traceback" not in err
        lines = err.strip().splitlines()
        assert len(lines) == 1, err
        assert lines[0].startswith("crimeharm: error: ")
        for needle in needles:
            assert needle in lines[0], (needle, lines[0])
        return lines[0]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Cli:
    """``code, out, err = cli("weights", "list")``; ``cli.assert_clean_error(code, err, ...)``."""
    return Cli(capsys)


def _build_weights() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "build_weights", ROOT / "scripts" / "build_weights.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def table1_keys() -> dict[tuple[str, str], str]:
    """``(crime type, subtype) -> category key`` of Table 1, as ``scripts/build_weights.py``
    uses it to build ``cchi-2016-beta``."""
    return _build_weights().TABLE1_KEYS


@pytest.fixture(scope="session")
def table1(seeds_dir: Path, table1_keys: dict) -> tuple[pd.DataFrame, int, int]:
    """Table 1 of the 2016 paper as printed: its rows (``crime_type, subtype, count, days,
    total, key``), and the printed total count and total days."""
    lines = (seeds_dir / "cchi-paper-2016.txt").read_text(encoding="utf-8").splitlines()
    start = next(i for i, s in enumerate(lines) if s.startswith("Crime type\tSubtype\t"))

    def number(s: str) -> int:
        return int(s.replace(",", ""))

    rows, crime_type = [], ""
    for line in lines[start + 1 :]:
        cells = line.split("\t")
        if cells[0] == "Total":
            frame = pd.DataFrame(rows, columns=["crime_type", "subtype", "count", "days", "total"])
            frame["key"] = [
                table1_keys[(c, s)]
                for c, s in zip(frame["crime_type"], frame["subtype"], strict=True)
            ]
            return frame, number(cells[2]), number(cells[4])
        crime_type = cells[0] or crime_type  # a blank type continues the one above
        rows.append([crime_type, cells[1], *(number(c) for c in cells[2:5])])
    raise AssertionError("Table 1 has no Total row")
