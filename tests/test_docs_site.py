"""What the documentation site draws from the code, and the data it bundles."""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import re
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


# What a numeric parameter, attribute or return value may be measured in. A count is stated
# as the things counted ("rows", "areas", "the number of ..."); a share or a level by its
# range. The list is long on purpose: the test is that a unit is stated, not which one.
UNITS = re.compile(
    r"\b(days?|day numbers|crimes|GBP|pence|residents|years?|months?|weeks?|hours?|bytes"
    r"|rows|records|periods|areas|victims|persons|statuses|replicates"
    r"|percent(age)?|shares?|number of)\b"
    r"|0-1|\[0, 1\]|\(0, 1\)",
    re.IGNORECASE,
)
NUMERIC = re.compile(r"\b(int|float|integer|number|numeric)s?\b")
# Numeric entries with no unit, and why. Keyed (public name, entry name; "" for a return).
UNITLESS = {
    ("harm_intervals", "seed"): "a seed of the random generator, not a quantity",
    ("kendall_tau", ""): "a rank correlation: dimensionless, its range (-1 to 1) is given",
    ("spearman_rho", ""): "a rank correlation: dimensionless, its range (-1 to 1) is given",
}


def _numeric_entries():
    """(public name, entry name, text) of every numeric entry; and numeric fields undocumented."""
    from numpydoc.docscrape import NumpyDocString

    entries, undocumented = [], []
    for name in crimeharm.__all__:
        obj = getattr(crimeharm, name)
        if not (inspect.isfunction(obj) or inspect.isclass(obj)) or (
            inspect.isclass(obj) and issubclass(obj, BaseException)
        ):
            continue
        doc = NumpyDocString(inspect.getdoc(obj) or "")
        documented = set()
        for section in ("Parameters", "Other Parameters", "Attributes", "Returns"):
            for p in doc[section]:
                names = [n.strip().lstrip("*") for n in p.name.split(",")]
                documented.update(names)
                if NUMERIC.search(p.type):
                    text = " ".join([p.type, *p.desc])
                    label = "" if section == "Returns" else p.name
                    entries.append((name, label, text))
        # a numeric parameter or field must be in an entry (one with no type is "As for f",
        # and f is checked itself)
        params = inspect.signature(obj).parameters
        for p in params.values():
            annotation = p.annotation if isinstance(p.annotation, str) else str(p.annotation)
            if re.search(r"\b(int|float|Number)\b", annotation) and p.name not in documented:
                undocumented.append(f"{name}.{p.name}")
    return entries, undocumented


def test_every_public_numeric_parameter_and_result_states_its_unit():
    pytest.importorskip("numpydoc")
    entries, undocumented = _numeric_entries()
    assert not undocumented, "numeric parameters or fields without a docstring entry"
    no_unit = [
        f"{name}: {label or 'Returns'}: {text}"
        for name, label, text in entries
        if (name, label) not in UNITLESS and not UNITS.search(text)
    ]
    assert not no_unit, "say the unit (days, crimes, GBP, residents, 0-1...) or add to UNITLESS"
    stale = set(UNITLESS) - {(name, label) for name, label, _ in entries}
    assert not stale, "UNITLESS entries that are no longer numeric entries"
    assert len(entries) > 40  # the scan reads the docstrings: most public numbers are found


def _two_commands(path: Path) -> list[str]:
    """The bash blocks of the section whose heading says "two commands"."""
    text = path.read_text(encoding="utf-8")
    section = re.search(r"^#+ [^\n]*two commands[^\n]*\n(.*?)(?=^#+ |\Z)", text, re.I | re.M | re.S)
    assert section, f"{path.name}: no 'two commands' section"
    return re.findall(r"```bash\n(.*?)```", section.group(1), re.S)


def test_getting_started_gives_the_readmes_two_commands():
    readme = _two_commands(ROOT / "README.md")
    assert len(readme) == 2
    assert _two_commands(ROOT / "docs" / "getting-started.md") == readme


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
