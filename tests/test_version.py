"""The version is written once (``crimeharm/_version.py``); the installed metadata agrees."""

from __future__ import annotations

import importlib.metadata
import re

import crimeharm


def test_installed_version_is_the_package_version():
    assert importlib.metadata.version("crimeharm") == crimeharm.__version__


def test_version_is_a_release_number():
    assert re.fullmatch(r"\d+\.\d+\.\d+(?:(?:a|b|rc)\d+)?(?:\.dev\d+)?", crimeharm.__version__)
