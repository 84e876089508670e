"""Generate docs/derivation.md: how far the derivation rules reproduce the 2020 CCHI sheet.

Usage (from the repository root)::

    PYTHONPATH=src python scripts/derivation_report.py [--sheet PATH] [--out PATH]

Every figure in the generated document is computed here from the official sheet;
tests/test_derivation.py checks that the document's counts match a fresh computation.
"""

from __future__ import annotations

import argparse
import hashlib
import math
from pathlib import Path

import pandas as pd

from crimeharm.weights.sheets.derivation import (
    BANDS,
    DEFAULT_FINE_BAND_PERCENT,
    DEFAULT_ORDER_HOURS,
    LEVELS,
    ROUNDING_MODES,
    DerivationParams,
    StartingPoint,
    explain_starting_point,
    starting_point_days,
)

REPO = Path(__file__).resolve().parents[1]
SHEET = REPO.parent / "shared" / "reference" / "cchi" / "cchi-2020-official.xlsx"
SHEET_NAME = "CCHI 2020 values sheet"
OUT = REPO / "docs" / "derivation.md"
NOTE_COLUMN = "If no sentencing data available what similar offence was used: "
TOLERANCE = 1e-9
STATUSES = ("reproduced", "unparseable", "disagreeing")


def load_sheet(path: Path = SHEET) -> pd.DataFrame:
    """Read the values sheet (URN as text)."""
    return pd.read_excel(path, sheet_name=SHEET_NAME, dtype={"ATHENA URN": str})


def _blank(value: object) -> bool:
    return (
        value is None or (isinstance(value, float) and math.isnan(value)) or not str(value).strip()
    )


def starting_point_text(row: pd.Series) -> tuple[object, bool]:
    """The row's starting-point text, and whether it was taken from the shifted cell.

    One row (NN.111.5.0, dogs worrying livestock) has its cells shifted one column
    right from ``Starting Point`` on: its starting point sits in ``Maximum Sentence``
    and ``Score from:`` holds a sentence instead of a URL. Such a row is realigned.
    """
    text, source = row["Starting Point"], row["Score from: "]
    if _blank(text) and not _blank(source) and not str(source).strip().startswith("http"):
        return row["Maximum Sentence"], True
    return text, False


def explain_disagreement(point: StartingPoint, published: float, derived: float) -> str:
    """Best account of why the published score differs from the rule (heuristic, checked)."""

    def same(x: float) -> bool:
        return abs(x - published) <= TOLERANCE

    if point.kind == "custody":
        if point.months and same(point.years * 365 + point.months * 30 + point.weeks * 7):
            return f"sheet uses 30-day months ({_g(point.months)} x 30); rule uses 365/12"
        if point.weeks and same(
            point.years * 365 + point.months * 365 / 12 + point.weeks * 365 / 52
        ):
            return (
                f"sheet reads {_g(point.weeks)} weeks as {_g(point.weeks)}/52 of a year "
                f"({_g(published)}); the weeks rule gives {_g(point.weeks)} x 7 = {_g(derived)}"
            )
    if point.kind == "fixed_penalty" and point.amount is not None:
        defaults = DerivationParams()
        pay = defaults.hours_per_day * defaults.hourly_wage
        if same(float(round(point.amount / pay))):
            return (
                f"sheet applies the fine formula to the GBP {_g(point.amount)} "
                f"({_g(point.amount)} / {_g(pay)} = {point.amount / pay:.2f}, rounded); "
                f"the rule gives the published FPN weight {_g(derived)}"
            )
    for unit, per in (("months", 365 / 12), ("weeks", 7)):
        n = published / per
        if abs(n - round(n)) <= TOLERANCE and round(n) > 0:
            return f"score is {round(n)} {unit} of custody, not the starting point text"
    return "published score differs from the rule"


def _g(x: float) -> str:
    return f"{x:g}"


def compare(sheet: pd.DataFrame, **params: object) -> pd.DataFrame:
    """One line per sheet row: text, parse, derived days, status and reason."""
    rows = []
    for i, row in sheet.reset_index(drop=True).iterrows():
        text, shifted = starting_point_text(row)
        point, why = explain_starting_point(text)
        published = float(row["CCHI Score"])
        derived = starting_point_days(point, **params) if point is not None else math.nan
        if point is None:
            status, reason = "unparseable", why
        elif abs(derived - published) <= TOLERANCE:
            status, reason = "reproduced", why
        else:
            status, reason = "disagreeing", explain_disagreement(point, published, derived)
        if shifted:
            reason += " (cells shifted: text taken from Maximum Sentence)"
        rows.append(
            {
                "excel_row": int(i) + 2,
                "urn": row["ATHENA URN"],
                "text": None if _blank(text) else str(text).strip(),
                "note": None if _blank(row[NOTE_COLUMN]) else str(row[NOTE_COLUMN]).strip(),
                "published": published,
                "kind": None if point is None else point.kind,
                "detail": None if point is None else point.detail,
                "uncertain": bool(point is not None and point.uncertain),
                "derived": derived,
                "status": status,
                "reason": reason,
            }
        )
    return pd.DataFrame(rows)


def counts(table: pd.DataFrame) -> dict[str, int]:
    """Rows per status, in STATUSES order, plus the total."""
    out = {s: int((table["status"] == s).sum()) for s in STATUSES}
    out["total"] = len(table)
    return out


def _cell(x: object, width: int = 90) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    s = str(x).replace("|", "\\|").replace("\n", " ")
    return s if len(s) <= width else s[: width - 1] + "…"


def render(sheet: pd.DataFrame, sheet_path: Path) -> str:
    """The markdown document."""
    table = compare(sheet)
    n = counts(table)
    digest = hashlib.sha256(sheet_path.read_bytes()).hexdigest()
    by_mode = {mode: counts(compare(sheet, rounding=mode))["reproduced"] for mode in ROUNDING_MODES}
    lines = [
        "# Deriving CCHI days from a starting point",
        "",
        "<!-- Generated by scripts/derivation_report.py; do not edit by hand. -->",
        "",
        "`crimeharm.weights.sheets.derivation` turns a sentencing-guideline starting point "
        "into days (`starting_point_days`) and reads the free text of the sheet's `Starting Point` "
        "column (`parse_starting_point`, `explain_starting_point`). This page checks the "
        f"rules against the official 2020 sheet (`{sheet_path.name}`, sheet "
        f'"{SHEET_NAME}", sha256 `{digest[:16]}…`).',
        "",
        "## Rules and defaults",
        "",
        "| starting point | rule | days with the defaults |",
        "|---|---|---|",
        "| custody | years x 365 + months x 365/12 + weeks x 7, not rounded | "
        "18 months = {:g}; 26 weeks = {:g} |".format(
            starting_point_days(StartingPoint("custody", months=18)),
            starting_point_days(StartingPoint("custody", weeks=26)),
        ),
    ]
    order = ", ".join(
        f"{lv} {_g(starting_point_days(StartingPoint('community_order', level=lv)))}"
        for lv in LEVELS
    )
    hours = " / ".join(f"{_g(DEFAULT_ORDER_HOURS[lv])}" for lv in LEVELS)
    lines.append(
        f"| community order | unpaid-work hours of the level ({hours}) / 8 hours a day, "
        f"rounded | {order} |"
    )
    fines = ", ".join(
        f"{b} {_g(starting_point_days(StartingPoint('fine', band=b)))}" for b in BANDS
    )
    pct = " / ".join(f"{_g(DEFAULT_FINE_BAND_PERCENT[b])}" for b in BANDS)
    lines += [
        f"| fine band A-F | band % ({pct}) x GBP 120 weekly income / (8 h x GBP 8.72), "
        f"rounded | {fines} |",
        "| fixed penalty notice | 0.3 as published | {:g} |".format(
            starting_point_days(StartingPoint("fixed_penalty"))
        ),
        "",
        "Every constant is a keyword-only argument of `starting_point_days` "
        "(`days_per_year`, `days_per_month`, `days_per_week`, `order_hours`, `hours_per_day`, "
        "`fine_band_percent`, `weekly_income`, `hourly_wage`, `fixed_penalty_days`, `rounding`).",
        "",
        "## Rounding",
        "",
        "Community-order and fine days are rounded to whole days; custody and the fixed "
        'penalty are not. The default is `rounding="half_up"` (ties away from zero, like a '
        "spreadsheet's `ROUND`), computed exactly on the decimal inputs. Rows of the 2020 "
        "sheet reproduced under each mode:",
        "",
        "| rounding | rows reproduced |",
        "|---|---|",
        *(f"| `{mode}` | {k} |" for mode, k in by_mode.items()),
        "",
        "No community-order or fine value of the 2020 sheet is a tie (18.75, 0.86, 1.72, 2.58, "
        "4.30, 6.88), so `half_up` and `half_even` agree on it; `ceil` gives band D 5 and "
        "`floor` gives a high-level order 18 and band A 0, so neither reproduces the sheet. "
        "`half_up` is chosen because the sheet was built in a spreadsheet.",
        "",
        "## Parsing the `Starting Point` text",
        "",
        "- quotes, case and spacing are normalised; a `?` or a leading *suggest* parses but "
        "sets `uncertain=True`;",
        "- penalty points (`+ 10 points`) and disqualification (`12 months DQd`) are ignored "
        "(the CCHI counts the fine alone), and noted;",
        "- a bare duration is custody; `1 year 6 months` is one duration; two separate "
        "durations, or a duration with *max*/*range*, are ambiguous (None);",
        "- `Band X` is a fine; `Fine` without a band is unparseable; `Band A fine/FPN` is "
        "band A (the FPN alternative is noted);",
        "- several bands, levels or disposals in one text are ambiguous (None).",
        "",
        "The row NN.111.5.0 (dogs worrying livestock) has its cells shifted one column right "
        "from `Starting Point` on; its text is taken from `Maximum Sentence` (when "
        "`Starting Point` is empty and `Score from: ` is not a URL).",
        "",
        "## Agreement with the 2020 sheet",
        "",
        "| outcome | rows |",
        "|---|---|",
        *(f"| {s} | {n[s]} |" for s in STATUSES),
        f"| total | {n['total']} |",
        "",
        f"A row is *reproduced* when its parsed starting point gives the published "
        f"`CCHI Score` to within {TOLERANCE:g} day. Of the reproduced rows, "
        f"{int(table.loc[table.status == 'reproduced', 'uncertain'].sum())} are flagged uncertain.",
        "",
        "Rows not reproduced, by reason:",
        "",
        "| status | reason | rows |",
        "|---|---|---|",
    ]
    rest = table[table.status != "reproduced"]
    grouped = rest.groupby(["status", "reason"], sort=True).size()
    lines += [f"| {s} | {_cell(r, 200)} | {k} |" for (s, r), k in grouped.items()]
    lines += [
        "",
        "## Rows not reproduced",
        "",
        "`derived` is empty when the text does not parse; `sheet note` is the sheet's "
        "column on which similar offence was used.",
        "",
        "| row | URN | starting point text | published | derived | status | reason | sheet note |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rest.itertuples():
        derived = "" if math.isnan(r.derived) else f"{r.derived:.6g}"
        lines.append(
            f"| {r.excel_row} | {_cell(r.urn)} | {_cell(r.text) or '(empty)'} | "
            f"{r.published:g} | {derived} | {r.status} | {_cell(r.reason, 200)} | "
            f"{_cell(r.note, 70)} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    """Write the document."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sheet", type=Path, default=SHEET)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    text = render(load_sheet(args.sheet), args.sheet)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
