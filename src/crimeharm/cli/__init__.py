"""The ``crimeharm`` command line: a thin layer over the public API.

Each sub-command lives in its own module with a ``register(subparsers)``
function that adds its parser and sets ``func`` to a callable taking the
parsed arguments and returning an exit code. Errors that crimeharm raises on
purpose are printed as one line on stderr and exit with status 2; no
traceback is shown.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from crimeharm.errors import CrimeHarmError

__all__ = ["main"]

_SUBCOMMANDS = ("weights", "score", "example", "allocate")


def _build_parser() -> argparse.ArgumentParser:
    import importlib

    parser = argparse.ArgumentParser(
        prog="crimeharm",
        description="Cambridge Crime Harm Index: weights, scoring, aggregation, allocation.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _SUBCOMMANDS:
        importlib.import_module(f"crimeharm.cli.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; ``sys.argv[1:]`` by default.

    Returns
    -------
    int
        0 on success, 2 on a usage or input error.
    """
    parser = _build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except CrimeHarmError as exc:
        print(f"crimeharm: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into a command that stopped reading (head)
        sys.stderr.close()
        return 141
    except (OSError, ValueError) as exc:  # e.g. a file that cannot be written
        print(f"crimeharm: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("crimeharm: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
