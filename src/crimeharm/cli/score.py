"""``crimeharm score``: score records and sum harm by area and period."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["register", "run_job"]


def register(sub: Any) -> None:
    """Add the ``score`` sub-command."""
    p = sub.add_parser(
        "score",
        help="score records and sum harm by area and period",
        description=(
            "Score crime records (CSV or Parquet) with a weights edition. With --by or --period "
            "the output is harm by area and period; without, one scored row per record."
        ),
    )
    p.add_argument("input", help="CSV or Parquet file, or a folder of Parquet files")
    p.add_argument("-o", "--output", required=True, help="output file (.csv or .parquet)")
    add_job_options(p)
    p.set_defaults(func=_run)


def add_job_options(p: argparse.ArgumentParser) -> None:
    """Options shared by ``score`` and ``example``."""
    p.add_argument(
        "--weights",
        default=None,
        help="edition id (default cchi-2020) or a weights CSV from 'weights import'",
    )
    p.add_argument(
        "--format",
        choices=["auto", "police-uk"],
        default="auto",
        help="police-uk: a data.police.uk street file, scored with proxy weights",
    )
    p.add_argument("--code-col", default=None, help="offence code column (default offence_code)")
    p.add_argument(
        "--code-system", default="auto", choices=["auto", "ho_class", "open_data", "cjs", "key"]
    )
    p.add_argument("--date-col", default=None, help="committed date column")
    p.add_argument("--date-to-col", default=None, help="end of a committed date range")
    p.add_argument("--reported-col", default=None, help="reported date column")
    p.add_argument("--period-by", choices=["committed", "reported"], default="committed")
    p.add_argument("--count-col", default=None, help="count column of a pre-counted table")
    p.add_argument("--by", nargs="+", default=[], metavar="COL", help="area column(s)")
    p.add_argument(
        "--period", default=None, help="month, quarter, year, financial-year or rolling:36m"
    )
    p.add_argument("--start", default=None, help="first day of the window (YYYY-MM-DD)")
    p.add_argument("--end", default=None, help="last day of the window (YYYY-MM-DD)")
    p.add_argument("--police-initiated-col", default=None, help="yes/no column")
    p.add_argument("--company-detected-col", default=None, help="yes/no column")
    p.add_argument(
        "--flag-blank",
        choices=["no", "exclude"],
        default="no",
        help="a blank yes/no value: no (default) or excluded as missing_flag",
    )
    p.add_argument(
        "--flag-unknown",
        choices=["exclude", "no", "raise"],
        default="exclude",
        help="a yes/no value outside the vocabulary (N/A, unknown): excluded as bad_flag "
        "(default), read as no, or an error",
    )
    p.add_argument(
        "--date-format",
        nargs="+",
        default=None,
        metavar="FORM",
        help="how dates are written: iso, uk, excel or a strftime format, tried in order "
        "(default: iso uk)",
    )
    p.add_argument(
        "--date-range",
        nargs=2,
        default=None,
        metavar=("FIRST", "LAST"),
        help="plausibility window; dates outside it are excluded as implausible_date "
        "(default 1900-01-01 2100-12-31)",
    )
    p.add_argument("--historic-lag", type=int, default=None, metavar="DAYS")
    p.add_argument(
        "--keep-police-generated",
        action="store_true",
        help="do not exclude the edition's police-generated offences",
    )
    p.add_argument("--unknown", choices=["exclude", "raise", "zero"], default="exclude")
    p.add_argument("--allow-negative-counts", action="store_true")
    p.add_argument("--complete", action="store_true", help="every area x period cell")
    p.add_argument(
        "--excluded",
        choices=["columns", "summary"],
        default="columns",
        help="with --by/--period: the crimes and harm excluded per reason in every row "
        "(columns, the default) or only counted in the summary (faster, less memory)",
    )
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show rows scored on stderr (default: when stderr is a terminal)",
    )


def _weights(spec: str | None) -> Any:
    if spec is None or not (spec.endswith(".csv") or Path(spec).is_file()):
        return spec
    from crimeharm.weights.table import WeightTable

    return WeightTable.from_csv(spec)


def job_options(args: argparse.Namespace) -> dict[str, Any]:
    """Turn parsed arguments into keyword options for the library."""
    opts: dict[str, Any] = {}
    if args.format == "police-uk":
        from crimeharm.weights.police_uk import police_uk_options

        opts.update(police_uk_options(_weights(args.weights)))
    else:
        opts["weights"] = _weights(args.weights)
        opts["code_system"] = args.code_system
    pairs = {
        "code": args.code_col,
        "date": args.date_col,
        "date_to": args.date_to_col,
        "reported": args.reported_col,
        "count": args.count_col,
        "start": args.start,
        "end": args.end,
        "police_initiated": args.police_initiated_col,
        "company_detected": args.company_detected_col,
        "historic_lag": args.historic_lag,
    }
    opts.update({k: v for k, v in pairs.items() if v is not None})
    if args.period_by != "committed":
        opts["period_by"] = args.period_by
    opts["exclude_police_generated"] = not args.keep_police_generated
    opts["unknown"] = args.unknown
    opts["flag_blank"], opts["flag_unknown"] = args.flag_blank, args.flag_unknown
    if args.date_format is not None:
        opts["date_format"] = args.date_format
    if args.date_range is not None:
        opts["date_range"] = tuple(args.date_range)
    if args.allow_negative_counts:
        opts["negative_counts"] = "allow"
    return opts


def _progress(*, enabled: bool | None) -> Any:
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return None

    def show(done: int) -> None:
        print(f"\rrows scored: {done:,}", end="", file=sys.stderr, flush=True)

    return show


def compute_job(data: Any, args: argparse.Namespace) -> Any:
    """Score ``data`` per ``args``: aggregated with --by/--period, per record without."""
    import warnings

    import crimeharm
    from crimeharm.errors import UnknownCodeWarning

    opts = job_options(args)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownCodeWarning)  # the summary reports them
        if args.by or args.period:
            result = crimeharm.harm_index(
                data,
                by=args.by or None,
                period=args.period,
                complete=args.complete,
                excluded=args.excluded,
                progress=_progress(enabled=args.progress),
                **opts,
            )
        else:
            result = crimeharm.score(data, **opts)
    if args.progress or (args.progress is None and sys.stderr.isatty()):
        print(file=sys.stderr)
    return result


def run_job(data: Any, args: argparse.Namespace, output: str | None) -> Any:
    """Score ``data`` per ``args``, write ``output`` atomically, print the summary."""
    from crimeharm.cli.atomic import write_table
    from crimeharm.errors import InputFileError

    if output and not Path(output).resolve().parent.is_dir():  # say so before the work
        raise InputFileError(f"output folder {str(Path(output).parent)!r} does not exist")
    result = compute_job(data, args)
    if output:
        write_table(for_file(result, output), output)
    print(format_summary(result.attrs["crimeharm"]))
    if output:
        print(f"wrote {output} ({len(result):,} rows)")
    return result


def for_file(result: Any, output: str) -> Any:
    """The table as written to ``output``: provenance travels with it.

    Parquet keeps ``attrs`` (pandas writes them into the file's metadata); a CSV file
    cannot, so the edition id and the weights file's sha256 are added as the last two
    columns of every row.
    """
    if Path(output).suffix.lower() in {".parquet", ".pq"}:
        return result
    meta = result.attrs["crimeharm"]
    out = result.copy()
    out["edition"] = meta["edition"]
    out["edition_sha256"] = meta["edition_sha256"]
    return out


def format_summary(meta: dict[str, Any]) -> str:
    """The summary block printed after a run."""
    s = meta["summary"]
    lines = [
        f"rows read        {s['rows_in']:>14,}",
        f"rows included    {s['rows_included']:>14,}",
    ]
    for reason, n in s["rows_excluded"].items():
        harm = s["harm_days_excluded"].get(reason, 0.0)
        extra = f"   harm {harm:,.1f} days" if harm else ""
        lines.append(f"  excluded {reason:<17}{n:>11,}{extra}")
    lines.append(f"crimes included  {s['crimes_included']:>14,.0f}")
    lines.append(f"harm (days)      {s['harm_days_included']:>16,.1f}")
    if s["unknown_codes_top"]:
        top = ", ".join(f"{c} ({n:,})" for c, n in s["unknown_codes_top"][:5])
        lines.append(f"unknown codes    {top}")
    if s["bad_date_examples"]:
        lines.append("unparseable dates, e.g. " + ", ".join(map(repr, s["bad_date_examples"])))
    if s.get("implausible_date_examples"):
        lines.append("implausible dates, e.g. " + ", ".join(s["implausible_date_examples"]))
    for col, n in s.get("blank_flags", {}).items():
        lines.append(f"blank yes/no values in {col!r}: {n:,}")
    for col, values in s.get("unknown_flag_values", {}).items():
        top = ", ".join(f"{v!r} ({n:,})" for v, n in list(values.items())[:5])
        lines.append(f"unknown yes/no values in {col!r}: {top}")
    if s["ambiguous_codes"]:
        top = ", ".join(f"{c} ({n:,})" for c, n in list(s["ambiguous_codes"].items())[:5])
        lines.append(f"ambiguous codes, scored by rule: {top}")
    scheme = meta.get("scheme", "")
    note = "  [PROXY weights per crime type]" if scheme == "cchi-proxy" else ""
    lines.append(f"weights          {meta['edition']}  sha256 {meta['edition_sha256']}{note}")
    return "\n".join(lines)


def _run(args: argparse.Namespace) -> int:
    run_job(args.input, args, args.output)
    return 0
