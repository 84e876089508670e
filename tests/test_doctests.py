"""Run the docstring examples of every crimeharm module, as installed."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import crimeharm

MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(crimeharm.__path__, prefix="crimeharm.")
    if m.name != "crimeharm.__main__"
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"
