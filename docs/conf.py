"""Sphinx configuration of the crimeharm documentation.

Build: ``pip install '.[docs]'``, then
``sphinx-build -W --keep-going -b html docs docs/_build/html``.
Pages are MyST Markdown; ``notebooks/`` are MyST text notebooks, executed at each build.
"""

from __future__ import annotations

import sys
from pathlib import Path

import crimeharm

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))

project = "crimeharm"
author = "crimeharm developers"
copyright = "crimeharm developers"
release = crimeharm.__version__
version = release

extensions = [
    "myst_nb",
    "numpydoc",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "crimeharm_docs",
]

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb"}
exclude_patterns = ["_build", "jupyter_execute", "**/.ipynb_checkpoints"]
templates_path = ["_templates"]

# --- MyST and notebooks ---
myst_enable_extensions = ["colon_fence", "deflist", "dollarmath"]
myst_heading_anchors = 3
nb_execution_mode = "cache"  # re-run a notebook when its text changes
nb_execution_timeout = 300
nb_execution_raise_on_error = True  # a failing cell fails the build
nb_execution_show_tb = True
nb_merge_streams = True

# --- API reference ---
autosummary_generate = True
autosummary_imported_members = True
autodoc_typehints = "none"  # the numpydoc Parameters sections carry the types
autodoc_default_options = {"members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
# every public function documents its parameters and shows an example (a missing one fails
# the build); classes document their attributes in prose and are not checked
numpydoc_validation_checks = {"PR01", "EX01"}
numpydoc_validation_exclude = {r"^crimeharm\.[A-Z]"}

# --- HTML ---
html_theme = "pydata_sphinx_theme"
html_title = f"crimeharm {release}"
html_static_path = ["_static"]
html_css_files = ["crimeharm.css"]
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"index": [], "getting-started": []}
