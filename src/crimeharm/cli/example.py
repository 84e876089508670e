"""``crimeharm example``: the main job on the bundled synthetic example."""

from __future__ import annotations

import argparse
from importlib import resources
from typing import Any

from crimeharm.cli.score import WEIGHTS_HELP
from crimeharm.weights.editions import DEFAULT_EDITION

__all__ = ["EXAMPLE_ARGS", "register"]

#: The job ``crimeharm example`` runs, as ``crimeharm score`` arguments.
EXAMPLE_ARGS = [
    "--date-col", "committed_date",
    "--reported-col", "reported_date",
    "--police-initiated-col", "police_initiated",
    "--company-detected-col", "company_detected",
    "--historic-lag", "365",
    "--start", "2023-04-01",
    "--end", "2024-03-31",
    "--by", "neighbourhood",
    "--period", "quarter",
]  # fmt: skip


def _option(name: str) -> str:
    """The value of ``name`` in :data:`EXAMPLE_ARGS`."""
    return EXAMPLE_ARGS[EXAMPLE_ARGS.index(name) + 1]


#: The window the example is scored over, as its ``--start`` and ``--end`` give it.
WINDOW = f"{_option('--start')} to {_option('--end')}"


def register(sub: Any) -> None:
    """Add the ``example`` sub-command."""
    from crimeharm.cli.atomic import add_output_options

    p = sub.add_parser(
        "example",
        help="run the main job on the bundled SYNTHETIC example records",
        description=(
            f"Score the bundled example (SYNTHETIC records of made-up neighbourhoods, {WINDOW}) "
            f"with {DEFAULT_EDITION} and print harm by {_option('--by')} and "
            f"{_option('--period')}. "
            "Equivalent to: crimeharm score example-records.csv " + " ".join(EXAMPLE_ARGS)
        ),
    )
    add_output_options(p, what="the table as well")
    p.add_argument("--weights", default=None, help=WEIGHTS_HELP)
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    import sys

    import pandas as pd

    from crimeharm.cli.atomic import check_output
    from crimeharm.cli.score import add_job_options, run_job

    parser = argparse.ArgumentParser()
    add_job_options(parser)
    job = parser.parse_args(EXAMPLE_ARGS + (["--weights", args.weights] if args.weights else []))
    output = check_output(args.output) if args.output is not None else None  # before the work
    info = sys.stderr if output is not None and output.to_stdout else sys.stdout
    ref = resources.files("crimeharm.data").joinpath("example-records.csv")
    with resources.as_file(ref) as path:
        areas = pd.read_csv(path, usecols=[_option("--by")]).iloc[:, 0]
        print(
            f"crimeharm example: {len(areas):,} SYNTHETIC records (not real data) in "
            f"{areas.nunique()} made-up {_option('--by')}s, {WINDOW}\n",
            file=info,
        )
        table = run_job(path, job, output, csv_safe=args.csv_safe)
    cols = [
        "neighbourhood",
        "period",
        "crimes",
        "harm_days",
        "excluded_police_generated",
        "excluded_police_initiated",
        "excluded_company_detected",
        "excluded_historic",
    ]
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print(file=info)
        print(table.loc[table["period"].notna(), cols].to_string(index=False), file=info)
    return 0
