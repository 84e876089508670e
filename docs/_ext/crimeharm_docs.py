"""Sphinx extension of the crimeharm docs: tables the code knows, and the API pages.

``crimeharm-table NAME`` draws a table from the installed package at build time,
so that no page retypes what the code holds:

``reasons``
    The exclusion reasons in order of precedence (:mod:`crimeharm.reasons`), with
    their status code, meaning (the table of that module's docstring) and series.
``editions``
    The shipped weights editions, from the manifest (:func:`crimeharm.available_weights`).
``code-forms``
    Written forms of offence codes, each read by :func:`crimeharm.classify_codes`
    and canonicalised by the functions of :mod:`crimeharm.weights.codes`.
``periods``
    The period kinds, each with the label and bounds of the period that holds
    2022-07-15 (:mod:`crimeharm.scoring.periods`).
``outcomes``
    The outcome vocabulary (:func:`crimeharm.outcome_vocabulary`), one ``scheme``
    at a time: ``:scheme: home_office`` or ``:scheme: police_uk``.

At ``config-inited`` the extension also writes ``api/index.rst`` (git-ignored): one
autosummary section per subpackage, listing every name of ``crimeharm.__all__``
(and of the subpackages' ``__all__``) by the module that defines it, so that a
new public function appears in the reference without being typed in.
"""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path
from typing import Any

import numpy as np
from docutils import nodes
from docutils.core import publish_doctree
from docutils.parsers.rst import directives
from sphinx.util.docutils import SphinxDirective

# --- tables ---------------------------------------------------------------------------------


def _cell(value: object) -> nodes.entry:
    """A table cell; text between backticks is set as code."""
    entry = nodes.entry()
    para = nodes.paragraph()
    text = "" if value is None else str(value)
    for i, part in enumerate(text.split("`")):
        if part:
            para += nodes.literal(text=part) if i % 2 else nodes.Text(part)
    entry += para
    return entry


def _table(headers: list[str], rows: list[list[object]]) -> nodes.table:
    table = nodes.table(classes=["crimeharm-generated"])
    group = nodes.tgroup(cols=len(headers))
    table += group
    for _ in headers:
        group += nodes.colspec(colwidth=1)
    head = nodes.thead()
    row = nodes.row()
    for h in headers:
        row += _cell(h)
    head += row
    group += head
    body = nodes.tbody()
    for r in rows:
        row = nodes.row()
        for value in r:
            row += _cell(value)
        body += row
    group += body
    return table


def _docstring_table(doc: str) -> dict[str, str]:
    """First column -> second column of the first table of an rST docstring."""
    text = re.sub(r":[a-z]+:`~?([^`]+)`", r"``\1``", inspect.cleandoc(doc))  # Sphinx roles
    tree = publish_doctree(text, settings_overrides={"report_level": 2, "halt_level": 2})
    found = next(iter(tree.findall(nodes.table)), None)
    if found is None:
        raise ValueError("no table in the docstring")
    out: dict[str, str] = {}
    for row in found.findall(nodes.row):
        cells = [" ".join(e.astext().split()) for e in row.findall(nodes.entry)]
        if len(cells) >= 2:
            out[cells[0]] = cells[1]
    return out


def reasons_table() -> tuple[list[str], list[list[object]]]:
    """The exclusion reasons, in order of precedence."""
    from crimeharm import reasons

    meaning = _docstring_table(reasons.__doc__ or "")
    series = {
        "police_generated": "PPI",
        "police_initiated": "PPI",
        "company_detected": "CDCHI",
        "historic": "HOCHI",
    }
    missing = [r for r in reasons.REASONS if r not in meaning]
    if missing:
        raise ValueError(f"crimeharm.reasons' docstring table lacks {missing}")
    rows: list[list[object]] = [
        [
            f"`{r.value}`",
            r.status,
            meaning[r.value],
            series.get(r.value, "") if r.value in reasons.SERIES_REASONS else "",
            "score, harm_index" if r.value in reasons.SCORER_REASONS else "series",
        ]
        for r in reasons.Reason
    ]
    return ["reason", "status", "when", "series of its excluded harm", "given by"], rows


def editions_table() -> tuple[list[str], list[list[object]]]:
    """The shipped editions, from the manifest."""
    import crimeharm

    frame = crimeharm.available_weights()
    rows = [
        [
            f"`{r.id}`" + (" (default)" if r.default else ""),
            r.title,
            r.rows,
            ", ".join(r.code_systems),
            r.published or "-",
            f"`{r.sha256[:12]}`",
        ]
        for r in frame.itertuples()
    ]
    return ["id", "what", "rows", "code systems", "published", "sha256 (first 12)"], rows


# written forms, each read by the library itself
CODE_EXAMPLES = [
    "8/1",
    "008/01",
    "00801",
    "8.01",
    " 8 / 01 ",
    "125/12",
    "8N",
    "28e",
    "4.1",
    "OF61003",
    "COML025C",
    "8.1",
    "8/1/1",
    "",
]


def code_forms_table() -> tuple[list[str], list[list[object]]]:
    """Written forms, the system each is read as, and its canonical form."""
    from crimeharm.weights import codes

    values = np.array(CODE_EXAMPLES, dtype=object)
    systems = codes.classify_codes(values)
    canonical = {
        "ho_class": codes.canonical_ho_class(values),
        "open_data": codes.canonical_open_data(values),
        "cjs": codes.canonical_cjs(values),
    }
    rows: list[list[object]] = []
    for i, text in enumerate(CODE_EXAMPLES):
        system = systems[i]
        canon = canonical[system][i] if system in canonical else None
        rows.append(
            [
                f"`{text}`" if text.strip() else "(blank)",
                f"`{system}`",
                f"`{canon}`" if canon else "-",
            ]
        )
    return ["written", "read as (classify_codes)", "canonical"], rows


def periods_table() -> tuple[list[str], list[list[object]]]:
    """Each period kind with the period that holds one day."""
    from crimeharm.scoring.periods import parse_period

    day = np.array([np.datetime64("2022-07-15", "D").astype(np.int64)])
    rows: list[list[object]] = []
    for spec in ("month", "quarter", "year", "financial-year", "rolling:36m"):
        period = parse_period(spec)
        assert period is not None
        ids = period.ids_from_days(day)
        start, end = period.bounds(ids)
        rows.append([f"`{spec}`", f"`{period.labels(ids)[0]}`", str(start[0]), str(end[0])])
    return ["period=", "label of the period holding 2022-07-15", "period_start", "period_end"], rows


def outcomes_table(scheme: str) -> tuple[list[str], list[list[object]]]:
    """The outcome vocabulary of one scheme."""
    import crimeharm

    v = crimeharm.outcome_vocabulary()
    v = v[v["scheme"] == scheme]
    if v.empty:
        raise ValueError(f"no outcome scheme {scheme!r}")
    yes_no = {True: "yes", False: "no"}
    rows = [
        [f"`{r.value}`", r.label, yes_no[bool(r.detected)], yes_no[bool(r.final)], r.group]
        for r in v.itertuples()
    ]
    return ["value", "meaning", "detected", "final", "group"], rows


TABLES = {
    "reasons": reasons_table,
    "editions": editions_table,
    "code-forms": code_forms_table,
    "periods": periods_table,
}


class CrimeharmTable(SphinxDirective):
    """``crimeharm-table NAME``: a table drawn from the installed package."""

    required_arguments = 1
    option_spec = {"scheme": directives.unchanged}  # noqa: RUF012

    def run(self) -> list[nodes.Node]:
        """Draw the table named by the argument."""
        name = self.arguments[0]
        if name == "outcomes":
            headers, rows = outcomes_table(self.options.get("scheme", "home_office"))
        elif name in TABLES:
            headers, rows = TABLES[name]()
        else:
            raise self.error(f"unknown table {name!r}; one of {[*TABLES, 'outcomes']}")
        return [_table(headers, rows)]


# --- the API pages ----------------------------------------------------------------------------

SECTIONS = [
    ("crimeharm.scoring", "Scoring and summing harm"),
    ("crimeharm.weights", "Weights editions and offence codes"),
    ("crimeharm.allocation", "Funding allocation"),
    ("crimeharm.analysis", "Analyses"),
    ("crimeharm.errors", "Errors and warnings"),
    ("crimeharm._engine", "The memory of the sums"),
]
SUBPACKAGES = ["crimeharm.weights", "crimeharm.allocation", "crimeharm.scoring"]


def public_names() -> dict[str, list[str]]:
    """Section -> the dotted names documented there, from the ``__all__`` lists."""
    import crimeharm

    seen: set[int] = set()
    out: dict[str, list[str]] = {prefix: [] for prefix, _ in SECTIONS}
    sources = [("crimeharm", n) for n in crimeharm.__all__ if not n.startswith("_")]
    for package in SUBPACKAGES:
        module = importlib.import_module(package)
        sources += [(package, n) for n in getattr(module, "__all__", [])]
    for where, name in sources:
        obj = getattr(importlib.import_module(where), name)
        if id(obj) in seen or inspect.ismodule(obj):
            continue
        if not callable(obj):  # a constant (BLANK_AREA): described where it is used
            continue
        seen.add(id(obj))
        home = getattr(obj, "__module__", where) or where
        prefix = next((p for p, _ in SECTIONS if home == p or home.startswith(p + ".")), None)
        if prefix is None:
            raise ValueError(f"{where}.{name} (from {home}) belongs to no API section")
        out[prefix].append(f"{where}.{name}")
    return out


API_INTRO = """\
API reference
=============

Every public name of ``crimeharm`` (``crimeharm.__all__``) and of its subpackages, grouped by
the subpackage that defines it; each page is generated from the docstring. Functions take their
data first and every option as a keyword. Harm is in days (CHI days: days of imprisonment at the
guideline's starting point) unless a page says otherwise; money is in the unit of the pot (GBP).
"""


def write_api_page(app: Any) -> None:
    """Write api/index.rst from the public names."""
    lines = [
        ".. This file is written by docs/_ext/crimeharm_docs.py at each build; do not edit.",
        "",
        API_INTRO,
    ]
    public = public_names()
    for prefix, title in SECTIONS:
        names = public[prefix]
        lines += [title, "-" * len(title), ""]
        lines += [".. autosummary::", "   :toctree: generated", "", *[f"   {n}" for n in names]]
        lines.append("")
    target = Path(app.srcdir) / "api" / "index.rst"
    target.parent.mkdir(exist_ok=True)
    text = "\n".join(lines)
    if not target.exists() or target.read_text(encoding="utf-8") != text:
        target.write_text(text, encoding="utf-8")


def setup(app: Any) -> dict[str, Any]:
    """Register the directive and the API page writer."""
    app.add_directive("crimeharm-table", CrimeharmTable)
    # before the sources are listed, so that autosummary generates the stubs on a first build
    app.connect("config-inited", lambda app, config: write_api_page(app))
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
