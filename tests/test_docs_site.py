"""What the documentation site draws from the code, and the data it bundles."""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

import crimeharm
from crimeharm import reasons

ROOT = Path(__file__).resolve().parents[1]


def _extension():
    spec = importlib.util.spec_from_file_location(
        "crimeharm_docs", ROOT / "docs" / "_ext" / "crimeharm_docs.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_public_function_has_parameters_and_an_example():
    missing = []
    for name in crimeharm.__all__:
        obj = getattr(crimeharm, name)
        if not inspect.isfunction(obj):
            continue
        doc = inspect.getdoc(obj) or ""
        if "\nExamples\n--------" not in doc:
            missing.append(f"{name}: Examples")
        if inspect.signature(obj).parameters and "\nParameters\n----------" not in doc:
            missing.append(f"{name}: Parameters")
    assert not missing


def test_reasons_table_covers_every_reason_in_order():
    pytest.importorskip("sphinx")
    _, rows = _extension().reasons_table()
    assert [r[0].strip("`") for r in rows] == list(reasons.REASONS)
    assert [r[1] for r in rows] == [reasons.STATUS[r] for r in reasons.REASONS]
    assert all(r[2] for r in rows)


def test_api_sections_hold_every_public_name():
    pytest.importorskip("sphinx")
    documented = {n for names in _extension().public_names().values() for n in names}
    # constants (BLANK_AREA) are described where they are used, not on API pages of their own
    public = {
        n for n in crimeharm.__all__ if not n.startswith("_") and callable(getattr(crimeharm, n))
    }
    assert {n.split(".")[-1] for n in documented} >= public


def test_code_forms_table_is_what_the_library_reads():
    pytest.importorskip("sphinx")
    _, rows = _extension().code_forms_table()
    by_written = {r[0]: (r[1], r[2]) for r in rows}
    assert by_written["`8/1`"] == ("`ho_class`", "`008/01`")
    assert by_written["`8.1`"][0] != "`ho_class`"  # never guessed as 008/01


def test_bundled_police_uk_month_is_the_reference_file(reference_dir):
    folder = resources.files("crimeharm.data").joinpath("police-uk")
    for name in ("2013-06-city-of-london-street.csv", "2013-06-city-of-london-outcomes.csv"):
        bundled = folder.joinpath(name).read_bytes()
        source = reference_dir / "police-uk" / name
        if not source.exists():
            pytest.skip(f"{source} not found")
        assert hashlib.sha256(bundled).digest() == hashlib.sha256(source.read_bytes()).digest()
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "make_police_uk_extract.py"),
            "--check",
            "--reference",
            str(reference_dir),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
