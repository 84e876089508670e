"""``crimeharm weights``: list, show, compare and import weights editions.

A thin layer over :func:`crimeharm.available_weights`,
:func:`crimeharm.load_weights`, :class:`crimeharm.WeightTable`,
:func:`crimeharm.weights.diff.diff_editions` and :func:`crimeharm.import_sheet`.
Wherever an edition is asked for, a shipped edition id (``cchi-2020``) or the
path of a CSV weights table (as written by ``crimeharm weights import``) is
accepted, read by the rule of :func:`crimeharm.load_weights`.

Sub-commands::

    crimeharm weights list
    crimeharm weights show EDITION [--code CODE ...] [--code-system SYSTEM] [--ambiguous]
    crimeharm weights diff A B [--by ho_class|open_data|key]
    crimeharm weights import SHEET.xlsx -o table.csv [--sheet NAME]
"""

from __future__ import annotations

import argparse
import hashlib
import math
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pandas as pd

from crimeharm.cli._text import echo
from crimeharm.cli.atomic import check_output, write_table
from crimeharm.weights.codes import canonical_cjs, canonical_open_data, normalise_text
from crimeharm.weights.diff import DIFF_BY, diff_editions
from crimeharm.weights.editions import available_weights, load_weights
from crimeharm.weights.sheets.importer import import_sheet
from crimeharm.weights.table import AMBIGUITY_RULES, DEFAULT_AMBIGUITY, WeightTable

__all__ = ["load_table", "register"]

_CODE_SYSTEMS = ("auto", "ho_class", "open_data", "cjs", "key")
_TITLE_WIDTH = 90
_FORMS = (
    "forms: ho_class 008/01 8/1 00801 8.01, open_data 8N 28E 105A, cjs OF61003 COML025C, "
    "or a key of the table"
)


# ---------------------------------------------------------------------- helpers
def _fmt_days(value: float | None) -> str:
    """Days as short text: ``547.5``, ``5475``, ``-`` for a missing value."""
    if value is None or math.isnan(value):
        return "-"
    return f"{float(value):.10g}"


def _fmt(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, tuple | list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _short(text: object, width: int = _TITLE_WIDTH) -> str:
    s = _fmt(text)
    return s if len(s) <= width else s[: width - 3] + "..."


def _render(
    headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[str] = ()
) -> str:
    """Render a plain text table: columns padded to their widest cell, numbers right-aligned."""
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]

    def line(cells: Sequence[str]) -> str:
        parts = [
            c.rjust(w) if h in right else c.ljust(w)
            for h, c, w in zip(headers, cells, widths, strict=True)
        ]
        return "  ".join(parts).rstrip()

    return "\n".join([line(headers), *(line(r) for r in rows)])


def load_table(name: str) -> WeightTable:
    """Deprecated alias of :func:`crimeharm.load_weights`; removed in the next release."""
    warnings.warn(
        "crimeharm.cli.weights.load_table is deprecated; use crimeharm.load_weights",
        DeprecationWarning,
        stacklevel=2,
    )
    return load_weights(name)


def _label(name: str, table: WeightTable) -> str:
    return table.edition if name == table.edition else f"{name} ({table.edition})"


def _rows_for(table: WeightTable, system: str, canonical: str) -> np.ndarray:
    """Positions of the table's rows that carry ``canonical`` in ``system``."""
    t = table.table
    if system == "key":
        mask = normalise_text(t["key"]) == canonical
    elif system == "ho_class":
        mask = t["ho_class"].to_numpy(dtype=object) == canonical
    elif system == "open_data":
        mask = canonical_open_data(t["open_data"]) == canonical
    else:  # cjs: a space-separated list per row
        lists = t["cjs_codes"].astype(str).str.split()
        mask = np.array([canonical in set(canonical_cjs(lst)) if lst else False for lst in lists])
    return np.flatnonzero(np.asarray(mask, dtype=bool))


def _police_generated_summary(table: WeightTable) -> str:
    t = table.table
    n = int(t["police_generated"].sum())
    if "police_generated_reason" not in t.columns or n == 0:
        return f"{n} rows"
    counts = t.loc[t["police_generated"], "police_generated_reason"].fillna("unstated")
    detail = ", ".join(f"{k} {v}" for k, v in counts.value_counts(sort=False).items())
    return f"{n} rows ({detail})"


# ---------------------------------------------------------------------- list
def _cmd_list(args: argparse.Namespace) -> int:
    frame = available_weights()
    rows = [
        [
            str(r.id),
            str(r.scheme),
            str(r.rows),
            _fmt(r.published),
            str(r.sha256),
            "*" if r.default else "",
        ]
        for r in frame.itertuples(index=False)
    ]
    echo(_render(["id", "scheme", "rows", "published", "sha256", "default"], rows, right=["rows"]))
    return 0


# ---------------------------------------------------------------------- show
def _show_metadata(name: str, table: WeightTable, *, n_rows: int) -> None:
    t = table.table
    shipped = available_weights().drop(columns="default").set_index("id", drop=False)
    if name in shipped.index:  # an edition id, as load_weights reads it
        info = shipped.loc[name]
        fields: list[tuple[str, Any]] = [(k.replace("_", " "), v) for k, v in info.items()]
    else:
        fields = [
            ("edition", table.edition),
            ("file", name),
            ("scheme", table.scheme),
            ("rows", len(t)),
            ("sha256", table.sha256),
            ("code systems", table.code_systems),
        ]
    width = max(len(k) for k, _ in fields)
    for key, value in fields:
        echo(f"{key.ljust(width)}  {_fmt(value)}")
    echo()
    days = t["days"]
    echo(
        f"days: min {_fmt_days(days.min())}, median {_fmt_days(days.median())}, "
        f"max {_fmt_days(days.max())}"
    )
    echo(f"police_generated: {_police_generated_summary(table)}")
    codes = []
    for system in table.code_systems:
        index = table.index(system)
        codes.append(f"{system} {len(index)} ({int(index['ambiguous'].sum())} ambiguous)")
    echo(f"distinct codes: {', '.join(codes)}")
    echo()
    shown = t if n_rows <= 0 else t.head(n_rows)
    echo(f"{'all' if len(shown) == len(t) else f'first {len(shown)} of'} {len(t)} rows:")
    cols = [c for c in ("key", "days", "ho_class", "open_data", "police_generated") if c in t]
    rows = [
        [_fmt_days(v) if c == "days" else _fmt(v) for c, v in zip(cols, r, strict=True)]
        + [_short(title)]
        for r, title in zip(
            shown[cols].itertuples(index=False),
            shown["title"] if "title" in shown else [""] * len(shown),
            strict=True,
        )
    ]
    echo(_render([*cols, "title"], rows, right=["days"]))


def _show_codes(
    table: WeightTable, codes: Sequence[str], *, code_system: str, rule: str | None
) -> None:
    res = table.resolve(list(codes), code_system=code_system, ambiguity=rule)
    titles = table.table.get("title")
    keys = table.table["key"].to_numpy(dtype=object)
    days = table.table["days"].to_numpy()
    for r in res.to_dict("records"):  # one dict of a result row's values per code
        system, canon, status = r["system"], r["canonical"], r["status"]
        if status == "missing":
            echo(f"{r['code']!r}: missing (empty)")
            continue
        if status == "malformed":
            what = "fits no code form" if system == "malformed" else f"not a {system} code"
            echo(f"{r['code']!r}: malformed: {what} ({_FORMS})")
            continue
        if status == "unknown":
            echo(f"{r['code']!r}: {system} {canon}: unknown (not in {table.edition})")
            continue
        used = rule or DEFAULT_AMBIGUITY[system]
        index = table.index(system, used)
        entry = index.loc[canon]
        if r["ambiguous"]:
            how = (
                f"ambiguous: {int(entry['n_rows'])} rows, {_fmt_days(entry['min'])} to "
                f"{_fmt_days(entry['max'])} days; rule {r['rule']}"
            )
        else:
            how = f"{int(entry['n_rows'])} row{'s' if entry['n_rows'] != 1 else ''}, not ambiguous"
        flag = ", police_generated" if r["police_generated"] else ""
        echo(f"{r['code']!r}: {system} {canon}: ok, {_fmt_days(r['days'])} days ({how}){flag}")
        chosen = int(entry["row"])
        for i in _rows_for(table, system, canon):
            mark = "*" if i == chosen else " "
            title = _short(titles.iat[i]) if titles is not None else ""
            echo(f"  {mark} {keys[i]:<16} {_fmt_days(days[i]):>8}  {title}".rstrip())


def _show_ambiguous(table: WeightTable, *, code_system: str) -> None:
    system = "ho_class" if code_system == "auto" else code_system
    amb = table.ambiguous_codes(system)
    echo(f"{len(amb)} ambiguous {system} codes in {table.edition} (days):")
    rows = [
        [
            str(code),
            str(int(a["n_rows"])),
            _fmt_days(a["base"]),
            _fmt_days(a["median"]),
            _fmt_days(a["min"]),
            _fmt_days(a["max"]),
            str(a["base_key"]),
        ]
        for code, a in zip(amb.index, amb.to_dict("records"), strict=True)
    ]
    headers = [system, "rows", "base", "median", "min", "max", "base_key"]
    echo(_render(headers, rows, right=["rows", "base", "median", "min", "max"]))


def _cmd_show(args: argparse.Namespace) -> int:
    table = load_weights(args.edition)
    if not args.code and not args.ambiguous:
        _show_metadata(args.edition, table, n_rows=args.rows)
        return 0
    echo(f"{_label(args.edition, table)}  sha256 {table.sha256}")
    if args.code:
        _show_codes(table, args.code, code_system=args.code_system, rule=args.rule)
    if args.ambiguous:
        if args.code:
            echo()
        _show_ambiguous(table, code_system=args.code_system)
    return 0


# ---------------------------------------------------------------------- diff
def _cmd_diff(args: argparse.Namespace) -> int:
    old, new = load_weights(args.a), load_weights(args.b)
    parts = diff_editions(old, new, by=args.by, rule=args.rule)
    label = args.by
    detail = "title" if args.by == "key" else "rows"
    echo(
        f"diff {_label(args.a, old)} (sha256 {old.sha256[:12]}) -> "
        f"{_label(args.b, new)} (sha256 {new.sha256[:12]}), by {label}"
    )
    for name in ("added", "removed"):
        frame = parts[name]
        echo(f"\n{name} ({len(frame)}):")
        if len(frame):
            rows = [
                [str(k), _fmt_days(d), _short(t)]
                for k, d, t in zip(frame.index, frame["days"], frame["title"], strict=True)
            ]
            echo(_render([label, "days", detail], rows, right=["days"]))
    frame = parts["rescored"]
    echo(f"\nre-scored ({len(frame)}):")
    if len(frame):
        rows = [
            [str(k), _fmt_days(o), _fmt_days(n), _fmt_days(n - o), _short(t)]
            for k, o, n, t in zip(
                frame.index, frame["old_days"], frame["new_days"], frame["title"], strict=True
            )
        ]
        headers = [label, "old days", "new days", "change", detail]
        echo(_render(headers, rows, right=["old days", "new days", "change"]))
    echo(
        f"\n{len(parts['added'])} added, {len(parts['removed'])} removed, "
        f"{len(parts['rescored'])} re-scored, {len(parts['unchanged'])} unchanged"
    )
    return 0


# ---------------------------------------------------------------------- import
def _write_csv(fh: BinaryIO, data: bytes) -> None:
    fh.write(data)


def _cmd_import(args: argparse.Namespace) -> int:
    out = check_output(args.output, formats=("csv",))  # checked before the (slow) read
    frame = import_sheet(args.sheet_file, sheet=args.sheet)
    attrs = dict(frame.attrs)
    year = attrs.get("edition_year")
    is_file = out.kind == "file"
    edition = f"cchi-{year}" if year else (Path(out.name).stem if is_file else "imported")
    checked = WeightTable.from_frame(frame, edition=edition)  # refuse to write a bad table
    # written as it is (no spreadsheet quoting): WeightTable.from_csv reads it back
    data = frame.to_csv(index=False, lineterminator="\n").encode("utf-8")
    write_table(frame, out, writer=lambda fh: _write_csv(fh, data))
    digest = hashlib.sha256(data).hexdigest()
    notes = frame["repair_note"].fillna("").astype(str) if "repair_note" in frame else None
    repaired = frame.loc[notes != "", ["key", "repair_note"]] if notes is not None else frame[[]]
    shipped = available_weights()
    same = shipped.loc[shipped["sha256"] == digest, "id"].tolist()

    info = sys.stderr if out.to_stdout else sys.stdout
    lines = [
        f"read    {attrs.get('source', args.sheet_file)}",
        f"        sha256 {attrs.get('source_sha256', '')}",
        f"        sheet {attrs.get('sheet', '')!r}, edition year {year or 'unknown'}",
        f"rows    {len(frame)}",
        f"repairs {len(repaired)}",
        *(
            f"        {key}: {note}"
            for key, note in zip(repaired["key"], repaired["repair_note"], strict=True)
        ),
        f"police_generated {_police_generated_summary(checked)}",
        f"wrote   {'standard output' if out.to_stdout else out.name}",
        f"        sha256 {digest}",
    ]
    if same:
        lines.append(f"        identical to the shipped edition {', '.join(same)}")
    if is_file:
        lines += [
            "use it:",
            f"  python: crimeharm.WeightTable.from_csv({out.name!r}, edition={edition!r})",
            f"  cli:    crimeharm weights show {out.name}",
        ]
    echo("\n".join(lines), file=info)
    return 0


# ---------------------------------------------------------------------- parser
def _cmd_help(parser: argparse.ArgumentParser) -> Any:
    def run(args: argparse.Namespace) -> int:
        parser.print_help(sys.stderr)
        return 2

    return run


def register(subparsers: Any) -> None:
    """Add the ``weights`` command and its sub-commands to the CLI.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        The top-level sub-parsers of ``crimeharm``.
    """
    parser = subparsers.add_parser(
        "weights",
        help="list, show, compare and import weights editions",
        description="List, show, compare and import weights editions. EDITION is a shipped "
        "edition id (see 'crimeharm weights list') or the path of a CSV weights table.",
    )
    parser.set_defaults(func=_cmd_help(parser))
    sub = parser.add_subparsers(dest="weights_command", metavar="ACTION")

    p = sub.add_parser("list", help="the shipped editions, with their sha256")
    p.set_defaults(func=_cmd_list)

    p = sub.add_parser(
        "show",
        help="an edition's metadata and rows, or how codes are read",
        description="Without --code: the edition's metadata, a summary and its first rows. "
        "With --code: how each code is read (system, canonical form, status, days, ambiguity) "
        "and the offences it matches (* marks the row the rule chose).",
    )
    p.add_argument("edition", metavar="EDITION", help="edition id or CSV path")
    p.add_argument(
        "--code", action="append", default=[], metavar="CODE", help="a code to look up (repeat)"
    )
    p.add_argument(
        "--code-system", choices=_CODE_SYSTEMS, default="auto", help="how to read codes (auto)"
    )
    p.add_argument(
        "--rule",
        choices=AMBIGUITY_RULES,
        default=None,
        help="ambiguity rule (default: base for ho_class/cjs/key, median for open_data)",
    )
    p.add_argument(
        "--ambiguous",
        action="store_true",
        help="list the ambiguous codes (ho_class unless --code-system) with base/median/min/max",
    )
    p.add_argument("--rows", type=int, default=10, metavar="N", help="rows to show (0: all)")
    p.set_defaults(func=_cmd_show)

    p = sub.add_parser(
        "diff",
        help="offences added, removed and re-scored between two editions",
        description="Compare two editions (ids or CSV paths): offences added, removed and "
        "re-scored, keyed by key, or by code with --by.",
    )
    p.add_argument("a", metavar="A", help="the old edition (id or CSV path)")
    p.add_argument("b", metavar="B", help="the new edition (id or CSV path)")
    p.add_argument("--by", choices=DIFF_BY, default="key", help="compare by key or by code")
    p.add_argument(
        "--rule", choices=AMBIGUITY_RULES, default=None, help="ambiguity rule for --by codes"
    )
    p.set_defaults(func=_cmd_diff)

    p = sub.add_parser(
        "import",
        help="turn an official CCHI spreadsheet into a CSV weights table",
        description="Read an official CCHI values spreadsheet (.xlsx, any edition) and write "
        "it as a CSV weights table, atomically; load it with WeightTable.from_csv.",
    )
    p.add_argument("sheet_file", metavar="SHEET.xlsx", help="the downloaded spreadsheet")
    p.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="TABLE.csv",
        help="CSV to write ('-' for standard output; a device or FIFO is written directly)",
    )
    p.add_argument("--sheet", default=None, metavar="NAME", help="the values sheet's name")
    p.set_defaults(func=_cmd_import)
