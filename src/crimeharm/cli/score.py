"""``crimeharm score``: score records and sum harm by area and period."""

from __future__ import annotations

import argparse
import sys
from typing import Any

__all__ = ["WEIGHTS_HELP", "register", "run_job"]

#: The help of every ``--weights`` option (read by :func:`crimeharm.load_weights`).
WEIGHTS_HELP = "edition id (default cchi-2020) or the path of a weights CSV from 'weights import'"


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
    from crimeharm.cli.atomic import add_output_options

    p.add_argument(
        "input",
        nargs="+",
        help="CSV or Parquet file(s), a folder of them (read recursively, e.g. data.police.uk's "
        "YYYY-MM/ folders) or a quoted glob ('data/**/*-street.csv'): one input",
    )
    add_output_options(p, what="the table; without -o only the summary is printed")
    add_job_options(p)
    p.add_argument(
        "--encoding",
        default="utf-8",
        help="text encoding of CSV input (default utf-8; e.g. cp1252 for files saved by Excel)",
    )
    p.add_argument(
        "--sep", default=None, help="field separator of CSV input (default ',', tab for .tsv)"
    )
    p.set_defaults(func=_run)


def add_job_options(p: argparse.ArgumentParser) -> None:
    """Options shared by ``score`` and ``example``."""
    p.add_argument("--weights", default=None, help=WEIGHTS_HELP)
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
        help="show the rows scored on stderr, as a bar with the 'progress' extra (tqdm) "
        "installed (default: when stderr is a terminal and the run lasts over a second)",
    )


def job_options(args: argparse.Namespace) -> dict[str, Any]:
    """Turn parsed arguments into keyword options for the library."""
    from crimeharm.weights.editions import load_weights

    opts: dict[str, Any] = {}
    weights = load_weights(args.weights)  # an edition id or a weights CSV, one rule
    if args.format == "police-uk":
        from crimeharm.weights.police_uk import police_uk_options

        opts.update(police_uk_options(weights))
    else:
        opts["weights"] = weights
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
    for name in ("encoding", "sep"):  # the reading options ('score' has them, 'example' not)
        if getattr(args, name, None) is not None:
            opts[name] = getattr(args, name)
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
                progress=args.progress,
                **opts,
            )
        else:
            result = crimeharm.score(data, **opts)
    return result


def run_job(data: Any, args: argparse.Namespace, output: Any, *, csv_safe: bool = True) -> Any:
    """Score ``data`` per ``args``, write ``output`` if given, print the summary.

    ``output`` is a name, an :class:`~crimeharm.cli.atomic.Output` or None; a name is checked
    before the work (:func:`crimeharm.cli.atomic.check_output`). When the output is standard
    output the summary goes to stderr.
    """
    from crimeharm.cli._text import echo
    from crimeharm.cli.atomic import Output, check_output, write_table
    from crimeharm.scoring.summary import Summary

    target = output if output is None or isinstance(output, Output) else check_output(output)
    result = compute_job(data, args)
    info = sys.stderr if target is not None and target.to_stdout else sys.stdout
    if target is not None:
        write_table(for_file(result, target), target, csv_safe=csv_safe)
    echo(Summary.from_dict(result.attrs["crimeharm"]["summary"]).to_text(), file=info)
    if target is not None:
        where = "standard output" if target.to_stdout else target.name
        echo(f"wrote {where} ({len(result):,} rows)", file=info)
    return result


def for_file(result: Any, output: Any) -> Any:
    """The table as written to ``output``: provenance travels with it.

    Parquet keeps the provenance in the file's metadata; a CSV file keeps it in a sidecar
    (:func:`crimeharm.cli.atomic.write_table`), and the edition id and the weights file's
    sha256 are also added as the last two columns of every row, so that each row says
    how it was scored. ``output`` is an :class:`~crimeharm.cli.atomic.Output` or a name.
    """
    from crimeharm.cli.atomic import Output, output_format

    fmt = output.format if isinstance(output, Output) else output_format(output)
    if fmt == "parquet":
        return result
    meta = result.attrs["crimeharm"]
    out = result.copy()
    out["edition"] = meta["edition"]
    out["edition_sha256"] = meta["edition_sha256"]
    return out


def _run(args: argparse.Namespace) -> int:
    data = args.input[0] if len(args.input) == 1 else args.input  # several: one input
    run_job(data, args, args.output, csv_safe=args.csv_safe)
    return 0
