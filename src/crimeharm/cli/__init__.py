"""The ``crimeharm`` command line: a thin layer over the public API.

Each sub-command lives in its own module with a ``register(subparsers)``
function that adds its parser and sets ``func`` to a callable taking the
parsed arguments and returning an exit code. Errors that crimeharm raises on
purpose, and the operating system's (a file that cannot be read or written),
are printed as one line on stderr, control characters escaped and cut to
:data:`~crimeharm.cli._text.ERROR_LIMIT` characters, and exit with status 2; no
traceback is shown. Ctrl-C exits with 130, SIGTERM with 143 and SIGHUP with 129
(128 + the signal's number), after removing any temporary output file.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Sequence
from typing import NoReturn

from crimeharm.errors import CrimeHarmError, Terminated

__all__ = ["main"]

_SUBCOMMANDS = ("weights", "score", "example", "allocate")


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error as one line (the sub-commands' parsers are of this class)."""

    def error(self, message: str) -> NoReturn:
        from crimeharm.cli._text import ERROR_LIMIT, printable

        line = f"{self.prog}: error: {message} (see {self.prog} --help)"
        self.exit(2, printable(line, limit=ERROR_LIMIT) + "\n")


def _build_parser() -> argparse.ArgumentParser:
    import importlib

    parser = _Parser(
        prog="crimeharm",
        description="Cambridge Crime Harm Index: weights, scoring, aggregation, allocation.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _SUBCOMMANDS:
        importlib.import_module(f"crimeharm.cli.{name}").register(sub)
    return parser


def _error(message: object) -> int:
    from crimeharm.cli._text import ERROR_LIMIT, printable

    print(f"crimeharm: error: {printable(message, limit=ERROR_LIMIT)}", file=sys.stderr)
    return 2


def _stdout_gone() -> int:
    """Standard output was closed by its reader (``| head``): stop quietly, as ``cat`` does."""
    try:  # point stdout at /dev/null so that the flush at exit does not fail again
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real file descriptor (captured output)
        pass
    return 128 + int(getattr(signal, "SIGPIPE", 13))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; ``sys.argv[1:]`` by default.

    Returns
    -------
    int
        0 on success, 2 on a usage, input or output error, 128 + the signal's number
        when stopped by a signal (130 for Ctrl-C).
    """
    from crimeharm.cli.atomic import stop_on_signals

    parser = _build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        with stop_on_signals():
            return int(args.func(args) or 0)
    except CrimeHarmError as exc:
        return _error(exc)
    except BrokenPipeError:  # output piped into a command that stopped reading (head)
        return _stdout_gone()
    except (OSError, ValueError) as exc:  # e.g. a file that cannot be read
        return _error(exc)
    except KeyboardInterrupt:
        print("crimeharm: interrupted", file=sys.stderr)
        return 128 + int(signal.SIGINT)
    except Terminated as exc:
        name = signal.Signals(exc.signum).name
        print(f"crimeharm: stopped by {name}", file=sys.stderr)
        return 128 + exc.signum


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
