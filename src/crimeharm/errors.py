"""Every error and warning that crimeharm raises on purpose.

One base class for errors, :class:`CrimeHarmError`, and one for warnings,
:class:`CrimeHarmWarning`. Each error also subclasses the built-in it
matches, so that ``except ValueError`` (or ``KeyError``, ``OSError``,
``ImportError``) keeps working. Messages name the file, sheet, row, column or
value at fault and say what was expected; the same facts are attributes of
the error, for code that handles it:

==============  =============================================================
attribute       what it holds (None when it does not apply)
==============  =============================================================
``path``        the file or folder at fault
``column``      the column at fault
``values``      the offending values (a list; a few examples when many)
``allowed``     what would have been accepted (a list of names or values)
==============  =============================================================
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

__all__ = [
    "AllocationError",
    "CodeError",
    "ColumnValueError",
    "CrimeHarmError",
    "CrimeHarmWarning",
    "FlagValueWarning",
    "InputFileError",
    "InputTypeError",
    "MissingColumnError",
    "OptionError",
    "OptionalDependencyError",
    "PeriodError",
    "SheetFormatError",
    "ShortDataWarning",
    "UnknownCodeWarning",
    "UnknownEditionError",
    "UnsupportedFormatError",
    "WeightsValidationError",
]


class CrimeHarmError(Exception):
    """Base class of every error raised on purpose by crimeharm.

    Parameters
    ----------
    message : str
        What went wrong, naming the file, column or value, and what was expected.
    path, column : str, optional
        The file and the column at fault.
    values, allowed : iterable, optional
        The offending values, and those that would have been accepted.
    """

    def __init__(
        self,
        message: str = "",
        *,
        path: object = None,
        column: str | None = None,
        values: Iterable[object] | None = None,
        allowed: Iterable[object] | None = None,
    ) -> None:
        super().__init__(message)
        self.path = None if path is None else str(path)
        self.column = column
        self.values = None if values is None else list(values)
        self.allowed = None if allowed is None else list(allowed)

    def __str__(self) -> str:  # KeyError and LookupError would quote the message like a key
        return str(self.args[0]) if self.args else ""


class OptionError(CrimeHarmError, ValueError):
    """An option given to a function is not valid (the message says which and what is allowed)."""


class UnknownEditionError(CrimeHarmError, LookupError):
    """A weights edition name that is not shipped (the message lists those that are)."""


class WeightsValidationError(CrimeHarmError, ValueError):
    """A weights table that breaks the schema: duplicate keys, bad days, wrong hash."""


class SheetFormatError(CrimeHarmError, ValueError):
    """A spreadsheet that is not a recognisable CCHI values sheet."""


class OptionalDependencyError(CrimeHarmError, ImportError):
    """An optional dependency (an extra such as ``xlsx`` or ``plot``) is not installed."""


class InputFileError(CrimeHarmError, OSError):
    """A path that does not exist, or a file that is not of a readable kind."""


class UnsupportedFormatError(CrimeHarmError, ValueError):
    """A file that is neither CSV nor Parquet."""


class InputTypeError(CrimeHarmError, TypeError):
    """Data of a type the library cannot read (the message says which types it reads)."""


class MissingColumnError(CrimeHarmError, KeyError):
    """A column the call needs is not in the data (the message lists those present).

    ``column`` is the first missing column, ``values`` all of them and
    ``allowed`` the columns present.
    """

    @classmethod
    def check(
        cls, present: Sequence[object], needed: Iterable[str], *, source: str, what: str = ""
    ) -> None:
        """Raise when any of ``needed`` is not in ``present``.

        Parameters
        ----------
        present : sequence
            The columns the data has.
        needed : iterable of str
            The columns the call reads.
        source : str
            What holds the data (a file name, ``data``, ``population``), for the message.
        what : str
            What the columns are for (e.g. ``"by "``), put before ``column(s)``.
        """
        have = set(present)
        missing = [c for c in needed if c not in have]
        if missing:
            raise cls(
                f"{source}: {what}column(s) {missing} not found; columns present: {list(present)}",
                path=source,
                column=missing[0],
                values=missing,
                allowed=list(present),
            )


class ColumnValueError(CrimeHarmError, ValueError):
    """A column holds values that cannot be read as what the option says it is."""


class CodeError(CrimeHarmError, ValueError):
    """An offence code that is malformed or unknown where the policy is to raise.

    ``values`` (also ``codes``) holds the codes at fault, most frequent first.
    """

    @property
    def codes(self) -> list[object]:
        """The offence codes at fault."""
        return self.values or []


class PeriodError(CrimeHarmError, ValueError):
    """A period specification that is not one of the kinds the library knows."""


class AllocationError(CrimeHarmError, ValueError):
    """A funding formula or areas table that cannot give a defensible allocation."""


class CrimeHarmWarning(UserWarning):
    """Base class of every warning crimeharm issues."""

    def __init__(self, message: str = "", **data: Any) -> None:
        super().__init__(message)
        self.data = data


class UnknownCodeWarning(CrimeHarmWarning):
    """Records were excluded because the edition does not carry their offence code."""


class ShortDataWarning(CrimeHarmWarning):
    """The data cover less than the window asked for (e.g. no complete rolling window)."""


class FlagValueWarning(CrimeHarmWarning):
    """Records were excluded because a yes/no column holds values outside its vocabulary."""
