"""Errors raised by crimeharm.

One base class, :class:`CrimeHarmError`; each error also subclasses the
matching built-in so that ``except ValueError`` and friends keep working.
Messages name the file, sheet, row, column or value at fault and say what
was expected.
"""

from __future__ import annotations

__all__ = [
    "AllocationError",
    "CodeError",
    "CrimeHarmError",
    "InputFileError",
    "MissingColumnError",
    "SheetFormatError",
    "UnknownEditionError",
    "WeightsValidationError",
]


class CrimeHarmError(Exception):
    """Base class of every error raised on purpose by crimeharm."""


class UnknownEditionError(CrimeHarmError, LookupError):
    """A weights edition name that is not shipped (the message lists those that are)."""

    def __str__(self) -> str:  # LookupError would quote the message like a key
        return str(self.args[0]) if self.args else ""


class WeightsValidationError(CrimeHarmError, ValueError):
    """A weights table that breaks the schema: duplicate keys, bad days, wrong hash."""


class SheetFormatError(CrimeHarmError, ValueError):
    """A spreadsheet that is not a recognisable CCHI values sheet."""


class InputFileError(CrimeHarmError, OSError):
    """A path that does not exist, or a file that is not of a readable kind."""


class MissingColumnError(CrimeHarmError, KeyError):
    """A column the call needs is not in the data (the message lists those present)."""

    def __str__(self) -> str:  # KeyError would quote the message like a key
        return str(self.args[0]) if self.args else ""


class CodeError(CrimeHarmError, ValueError):
    """An offence code that is malformed or unknown where the policy is to raise."""


class AllocationError(CrimeHarmError, ValueError):
    """A funding formula or areas table that cannot give a defensible allocation."""
