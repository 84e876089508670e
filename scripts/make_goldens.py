"""Regenerate the golden output files in ``tests/golden/`` by calling the library.

Run from the repository root after a change that is meant to change results:

    python scripts/make_goldens.py          # rewrite the files
    python scripts/make_goldens.py --check  # exit 1 if a file would change

then review the diff of ``tests/golden/`` like any other change: a changed
number there is a changed result for users.
"""

from __future__ import annotations

import argparse
import io
import sys
import warnings
from importlib import resources
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import crimeharm  # noqa: E402
from crimeharm.cli.example import EXAMPLE_ARGS  # noqa: E402
from crimeharm.cli.score import add_job_options, for_file, job_options  # noqa: E402

GOLDEN = ROOT / "tests" / "golden"


def example_by_neighbourhood_quarter() -> str:
    """The table of ``crimeharm example``: the bundled records by neighbourhood and quarter."""
    parser = argparse.ArgumentParser()
    add_job_options(parser)
    args = parser.parse_args(EXAMPLE_ARGS)
    ref = resources.files("crimeharm.data").joinpath("example-records.csv")
    with resources.as_file(ref) as path, warnings.catch_warnings():
        warnings.simplefilter("ignore", crimeharm.UnknownCodeWarning)
        table = crimeharm.harm_index(
            path, by=args.by, period=args.period, complete=args.complete, **job_options(args)
        )
    buffer = io.StringIO()
    for_file(table, "golden.csv").to_csv(buffer, index=False)
    return buffer.getvalue()


GOLDENS = {
    "example-by-neighbourhood-quarter.csv": example_by_neighbourhood_quarter,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report files that would change")
    args = parser.parse_args(argv)
    GOLDEN.mkdir(parents=True, exist_ok=True)
    changed = []
    for name, make in GOLDENS.items():
        path = GOLDEN / name
        text = make()
        old = path.read_text(encoding="utf-8") if path.exists() else None
        if old != text:
            changed.append(name)
            if not args.check:
                path.write_text(text, encoding="utf-8")
    verb = "would change" if args.check else "rewritten"
    for name in changed:
        print(f"{verb}: tests/golden/{name}")
    if not changed:
        print("golden files up to date")
    return 1 if args.check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
