"""``crimeharm allocate``: split a funding pot across areas by a weighted formula."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from crimeharm.cli._text import echo
from crimeharm.cli.atomic import add_output_options, check_output, write_table
from crimeharm.errors import AllocationError, InputFileError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["register"]

_FORMULA_KEYS = ("total", "terms", "columns", "floor", "cap")
_COLUMN_KEYS = ("area", "harm", "crimes", "population", "current")


def register(subparsers: Any) -> None:
    """Add the ``allocate`` sub-command to the ``crimeharm`` parser."""
    parser = subparsers.add_parser(
        "allocate",
        help="split a funding pot across areas by harm, crime rate and population",
        description=(
            "Split a pot (GBP) across areas: each term's weight x the pot, in proportion to "
            "each area's value. Amounts are rounded to the penny and add up to the pot exactly. "
            "Prints the audit table; -o also writes it (CSV or .parquet)."
        ),
    )
    parser.add_argument("areas", metavar="AREAS", help="CSV (or .parquet) with one row per area")
    parser.add_argument("--formula", metavar="TOML", help="formula file: total, [terms], [columns]")
    parser.add_argument("--total", metavar="GBP", help="the pot in GBP, e.g. 639675")
    parser.add_argument(
        "--term",
        action="append",
        metavar="NAME=WEIGHT",
        help="a term and its weight (repeat; replaces the formula file's terms)",
    )
    for key, default in (("area", "area"), ("harm", "harm"), ("crimes", "crimes")):
        parser.add_argument(f"--{key}-col", metavar="COLUMN", help=f"default {default!r}")
    parser.add_argument("--population-col", metavar="COLUMN", help="default 'population'")
    parser.add_argument("--current-col", metavar="COLUMN", help="current allocations (GBP)")
    parser.add_argument("--floor", metavar="GBP", help="least amount any area gets")
    parser.add_argument("--cap", metavar="GBP", help="most any area gets")
    parser.add_argument("--edition", help="weights edition of the harm column, for the record")
    parser.add_argument("--edition-sha256", help="sha256 of the weights file, for the record")
    parser.add_argument("--window", help="period the harm and crimes cover, for the record")
    add_output_options(parser, what="the table")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``crimeharm allocate`` and return the exit status."""
    from crimeharm.allocation import allocate

    output = check_output(args.output) if args.output is not None else None
    formula = _read_formula(args.formula) if args.formula else {}
    columns = dict(formula.get("columns", {}))
    for key in _COLUMN_KEYS:
        given = getattr(args, f"{key}_col")
        if given is not None:
            columns[key] = given
    total = args.total if args.total is not None else formula.get("total")
    if total is None:
        raise AllocationError("no total: give --total GBP or 'total' in the --formula file")
    terms = _parse_terms(args.term) if args.term else formula.get("terms")
    if not terms:
        raise AllocationError("no terms: give --term NAME=WEIGHT or a [terms] table in --formula")
    areas = _read_areas(args.areas, columns.get("area", "area"))
    result = allocate(
        areas,
        total=total,
        terms=terms,
        area=columns.get("area", "area"),
        harm=columns.get("harm", "harm"),
        crimes=columns.get("crimes", "crimes"),
        population=columns.get("population", "population"),
        current=columns.get("current"),
        floor=args.floor if args.floor is not None else formula.get("floor"),
        cap=args.cap if args.cap is not None else formula.get("cap"),
        edition=args.edition,
        edition_sha256=args.edition_sha256,
        window=args.window,
    )
    if output is not None:
        write_table(result, output, csv_safe=args.csv_safe)
    echo(_render(result), file=sys.stderr if output is not None and output.to_stdout else None)
    return 0


def _parse_terms(items: list[str]) -> dict[str, str]:
    terms: dict[str, str] = {}
    for item in items:
        name, sep, weight = item.partition("=")
        if not sep or not name.strip() or not weight.strip():
            raise AllocationError(f"--term must be NAME=WEIGHT, e.g. harm=0.65; got {item!r}")
        if name.strip() in terms:
            raise AllocationError(f"term {name.strip()!r} given twice")
        terms[name.strip()] = weight.strip()
    return terms


def _read_formula(path: str) -> dict[str, Any]:
    """Read and check a formula file: known keys only, each of the TOML type it must be."""
    file = Path(path)
    if not file.is_file():
        raise InputFileError(f"formula file {path!r} does not exist")
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputFileError(f"formula file {path!r} is not valid TOML: {exc}") from None
    _check_formula(data, f"formula file {path!r}")
    return data


def _check_formula(data: dict[str, Any], where: str) -> None:
    """Refuse unknown keys and values of the wrong TOML type; ``where`` names the file."""
    unknown = sorted(set(data) - set(_FORMULA_KEYS))
    if unknown:
        raise AllocationError(
            f"{where}: unknown key(s) {', '.join(unknown)}; valid keys: {', '.join(_FORMULA_KEYS)}"
        )
    for key in ("total", "floor", "cap"):
        if key in data and not _is_number(data[key]):
            raise AllocationError(
                f"{where}: {key!r} must be a number (GBP); got {_shown(data[key])}"
            )
    for table, keys in (("terms", None), ("columns", _COLUMN_KEYS)):
        value = data.get(table, {})
        if not isinstance(value, dict):
            raise AllocationError(f"{where}: {table!r} must be a [{table}] table")
        bad = sorted(set(value) - set(keys)) if keys else []
        if bad:
            raise AllocationError(
                f"{where}: unknown [{table}] key(s) {', '.join(bad)}; "
                f"valid keys: {', '.join(keys or ())}"
            )
    for name, weight in data.get("terms", {}).items():
        if not _is_number(weight):
            raise AllocationError(
                f"{where}: weight of term {name!r} must be a finite number; got {_shown(weight)}"
            )
    for key, column in data.get("columns", {}).items():
        if not isinstance(column, str) or not column:
            raise AllocationError(
                f"{where}: [columns] {key} must be a column name (a non-empty string); "
                f"got {_shown(column)}"
            )


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _shown(value: object) -> str:
    """A TOML value and its TOML type, for an error message."""
    kinds: tuple[tuple[type, str], ...] = (
        (bool, "boolean"),
        (int, "integer"),
        (float, "float"),
        (str, "string"),
        (list, "array"),
        (dict, "table"),
    )
    kind = next((k for t, k in kinds if isinstance(value, t)), "date or time")
    return f"{value!r} (a TOML {kind})"


def _read_areas(path: str, area: str) -> pd.DataFrame:
    file = Path(path)
    if not file.exists():
        raise InputFileError(f"areas file {path!r} does not exist")
    if not file.is_file():
        raise InputFileError(f"areas file {path!r} is not a file")
    try:
        if file.suffix.lower() in {".parquet", ".pq"}:
            return pd.read_parquet(file)
        return pd.read_csv(file, dtype={area: str})
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise InputFileError(f"cannot read areas file {path!r}: {exc}") from None


def _render(result: pd.DataFrame) -> str:
    """Format the audit table for the terminal: money to 2 dp, shares as percentages.

    The per-area GBP-per-unit columns (the same for every area up to the penny) are shown
    once, below the table, from ``attrs``; the written file has every column.
    """
    hidden = {"amount_pence", "amount_decimal"}  # the same amounts, in the written file
    keep = [c for c in result.columns if not c.endswith("_gbp_per_unit") and c not in hidden]
    shown = result[keep]
    formats = {}
    for name in shown.columns:
        column = shown[name]
        if name.endswith("_share"):
            formats[name] = "{:.3%}".format
        elif name.endswith(("_amount", "_gbp")) or name in {"amount", "adjustment", "current"}:
            formats[name] = "{:,.2f}".format
        elif name.endswith("_value"):
            whole = bool((column == column.round()).all())
            formats[name] = ("{:,.0f}" if whole else "{:,.2f}").format
        elif name == "change_pct":
            formats[name] = "{:+.1f}%".format
    attrs = result.attrs
    weights = ", ".join(f"{t} {w:g}" for t, w in attrs["formula"]["terms"].items())
    pots = ", ".join(f"{t} {p / 100:,.2f}" for t, p in attrs["term_pots_pence"].items())
    units = {
        "harm": " per CHI day",
        "crime_rate": " per crime per 1,000 residents",
        "population": " per resident",
    }
    rates = ", ".join(f"{t} {r:.6g}{units.get(t, '')}" for t, r in attrs["gbp_per_unit"].items())
    lines = [
        shown.to_string(index=False, formatters=formats),
        "",
        f"total: {attrs['total_pence'] / 100:,.2f} GBP; "
        f"sum of amounts: {result['amount_decimal'].sum():,.2f} GBP",
        f"weights: {weights}",
        f"term pots (GBP): {pots}",
        f"GBP per unit: {rates}",
    ]
    lines += [
        f"{key}: {attrs[key]}" for key in ("edition", "edition_sha256", "window") if key in attrs
    ]
    return "\n".join(lines)
