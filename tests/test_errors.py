"""The errors module holds every error and warning, each exported and carrying its data."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from typing import get_args

import pytest

import crimeharm
from crimeharm import errors

SRC = Path(crimeharm.__file__).parent


def _classes_defined(path: Path) -> list[tuple[str, list[str]]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        (node.name, [ast.unparse(b) for b in node.bases])
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
    ]


def test_no_error_or_warning_is_defined_outside_errors_py():
    offenders = []
    for path in SRC.rglob("*.py"):
        if path.name == "errors.py":
            continue
        for name, bases in _classes_defined(path):
            if any(b.endswith(("Error", "Exception", "Warning")) for b in bases):
                offenders.append(f"{path.relative_to(SRC)}: {name}({', '.join(bases)})")
    assert offenders == []


ERRORS = [
    obj
    for _, obj in inspect.getmembers(errors, inspect.isclass)
    if issubclass(obj, Exception) and obj.__module__ == errors.__name__
]


@pytest.mark.parametrize("cls", ERRORS, ids=lambda c: c.__name__)
def test_each_error_is_exported_and_has_one_base(cls):
    assert cls.__name__ in errors.__all__
    assert cls.__name__ in crimeharm.__all__  # the package exports errors.__all__, not a copy
    assert getattr(crimeharm, cls.__name__) is cls
    if issubclass(cls, Warning):
        assert issubclass(cls, errors.CrimeHarmWarning)
    else:
        assert issubclass(cls, errors.CrimeHarmError)
        if cls is not errors.CrimeHarmError:  # and the built-in it matches
            builtins = [b for b in cls.__mro__[1:] if b.__module__ == "builtins"]
            assert any(b is not Exception and b is not object for b in builtins), cls


def test_the_package_exports_exactly_the_errors_module_list():
    exported = [n for n in crimeharm.__all__ if n in vars(errors)]
    assert sorted(exported) == sorted(errors.__all__)
    assert len(set(crimeharm.__all__)) == len(crimeharm.__all__)  # no name listed twice


def test_errors_carry_their_data():
    err = errors.MissingColumnError("x", path="f.csv", column="a", values=["a"], allowed=["b"])
    assert (err.path, err.column, err.values, err.allowed) == ("f.csv", "a", ["a"], ["b"])
    assert str(err) == "x"  # not quoted like a KeyError
    assert isinstance(err, KeyError)
    assert errors.CodeError("c", values=["8//6"]).codes == ["8//6"]


def test_missing_column_check_names_what_is_missing_and_present():
    with pytest.raises(errors.MissingColumnError) as info:
        errors.MissingColumnError.check(["a", "b"], ["a", "c", "d"], source="records.csv")
    e = info.value
    assert (e.column, e.values, e.allowed, e.path) == ("c", ["c", "d"], ["a", "b"], "records.csv")
    for needle in ("records.csv", "'c'", "'b'"):
        assert needle in str(e)
    errors.MissingColumnError.check(["a"], ["a"], source="x")  # nothing missing: no error


def test_unknown_codes_raise_with_the_codes_and_column():
    import pandas as pd

    df = pd.DataFrame({"offence_code": ["8/6", "999/99", "999/99", "998/01"]})
    with pytest.raises(errors.CodeError) as info:
        crimeharm.score(df, unknown="raise")
    assert info.value.column == "offence_code"
    assert info.value.codes == ["999/99", "998/01"]  # most frequent first


def _choice_calls() -> dict:
    """Option name -> (its choices, a call that passes it a value), one per choice option."""
    import pandas as pd

    from crimeharm._engine import EngineName
    from crimeharm.analysis.detection import DetectionKind, read_detection
    from crimeharm.analysis.intervals import IntervalMethod, MaxWeight
    from crimeharm.analysis.series import Shape
    from crimeharm.scoring.options import CodeSystem, OutputKind
    from crimeharm.scoring.rates import MissingPolicy
    from crimeharm.scoring.sums import Excluded
    from crimeharm.weights.diff import DIFF_BY, diff_editions
    from crimeharm.weights.table import AMBIGUITY_RULES

    df = pd.DataFrame({"offence_code": ["8/6", "34B"], "area": ["A", "B"]})
    pop = pd.DataFrame({"area": ["A", "B"], "population": [10, 20]})
    by_area = pd.DataFrame({"area": ["A", "B"], "harm_days": [1.0, 2.0], "crimes": [1, 1]})
    cases = [
        ("code_system", CodeSystem, lambda v: crimeharm.score(df, code_system=v)),
        ("excluded", Excluded, lambda v: crimeharm.harm_index(df, excluded=v)),
        ("output", OutputKind, lambda v: crimeharm.aggregate(crimeharm.score(df), output=v)),
        ("missing", MissingPolicy, lambda v: crimeharm.rates(by_area, pop, by="area", missing=v)),
        ("shape", Shape, lambda v: crimeharm.series(df, shape=v)),
        ("method", IntervalMethod, lambda v: crimeharm.harm_intervals(df, method=v)),
        ("max_weight", MaxWeight, lambda v: crimeharm.harm_intervals(df, max_weight=v)),
        ("detection", DetectionKind, lambda v: read_detection(["x"], kind=v)),
        ("by", DIFF_BY, lambda v: diff_editions("cchi-2020", "cchi-2020", by=v)),
        ("rule", AMBIGUITY_RULES, lambda v: diff_editions("cchi-2020", "cchi-2020", rule=v)),
        # the engine's check is its own copy (crimeharm._engine): it must say the same
        ("engine", EngineName, lambda v: crimeharm.harm_index(df, engine=v)),
    ]
    return {name: (kind, call) for name, kind, call in cases}


@pytest.mark.parametrize("name", list(_choice_calls()))
def test_every_choice_option_is_checked_by_one_rule(name):
    # OptionError.check_choice is the one rule; every option of a few names goes through it
    kind, call = _choice_calls()[name]
    allowed = list(get_args(kind) or kind)
    with pytest.raises(errors.OptionError) as info:
        call("nonsense")
    assert str(info.value) == f"{name}='nonsense'; expected one of {allowed}"
    assert info.value.values == ["nonsense"]
    assert list(info.value.allowed) == allowed
