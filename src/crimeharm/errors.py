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
from typing import Any, get_args

__all__ = [
    "AllocationError",
    "CodeError",
    "ColumnNameError",
    "ColumnTypeError",
    "ColumnValueError",
    "CrimeHarmError",
    "CrimeHarmWarning",
    "EmptyDataError",
    "FlagValueWarning",
    "InputFileError",
    "InputTypeError",
    "MissingColumnError",
    "MissingPopulationWarning",
    "OptionError",
    "OptionWarning",
    "OptionalDependencyError",
    "OutputFileError",
    "PeriodError",
    "ProvenanceError",
    "SheetFormatError",
    "SheetValueWarning",
    "ShortDataWarning",
    "SumsMemoryError",
    "Terminated",
    "UnknownCodeWarning",
    "UnknownEditionError",
    "UnknownOutcomeWarning",
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

    @classmethod
    def check_choice(cls, name: str, value: object, allowed: Any) -> None:
        """Raise when ``value`` is not one of the choices of option ``name``.

        The one rule (and message) for every option that takes one of a few names.

        Parameters
        ----------
        name : str
            The option, as the function spells it (``excluded``).
        value : object
            The value given.
        allowed : typing.Literal alias or sequence
            The choices: a ``Literal[...]`` alias (its arguments), or the values themselves.

        Examples
        --------
        >>> from typing import Literal
        >>> OptionError.check_choice("shape", "tall", Literal["long", "wide"])
        Traceback (most recent call last):
        ...
        crimeharm.errors.OptionError: shape='tall'; expected one of ['long', 'wide']
        """
        choices = get_args(allowed) or tuple(allowed)
        if value not in choices:
            raise cls(
                f"{name}={value!r}; expected one of {list(choices)}",
                values=[value],
                allowed=choices,
            )


class UnknownEditionError(CrimeHarmError, LookupError):
    """A weights edition name that is not shipped (the message lists those that are)."""


class WeightsValidationError(CrimeHarmError, ValueError):
    """A weights table that breaks the schema: duplicate keys, bad days, wrong hash."""


class SheetFormatError(CrimeHarmError, ValueError):
    """A spreadsheet that is not a recognisable CCHI values sheet."""


class OptionalDependencyError(CrimeHarmError, ImportError):
    """An optional dependency (an extra such as ``xlsx`` or ``plot``) is not installed."""


class InputFileError(CrimeHarmError, OSError):
    """A path that does not exist, or a file that cannot be read.

    A truncated or corrupt Parquet file, a CSV row with the wrong number of
    fields, text that does not decode in the encoding given (the message names
    the line, the byte offset and the encoding), a file given twice.
    """


class OutputFileError(CrimeHarmError, OSError):
    """An output that cannot be written: a folder, a missing folder, no permission, a full disk."""


class ProvenanceError(CrimeHarmError, LookupError):
    """No provenance where it was looked for, or a CSV's sidecar that describes another file."""


class UnsupportedFormatError(CrimeHarmError, ValueError):
    """A file that is neither CSV nor Parquet, or an output of a kind that cannot be written."""


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
        missing = list(dict.fromkeys(c for c in needed if c not in have))  # each named once
        if missing:
            raise cls(
                f"{source}: {what}column(s) {missing} not found; columns present: {list(present)}",
                path=source,
                column=missing[0],
                values=missing,
                allowed=list(present),
            )


class ColumnNameError(CrimeHarmError, ValueError):
    """Column names that cannot be read: a name used twice, or one an output column would overwrite.

    ``values`` holds the names at fault.
    """


class ColumnTypeError(CrimeHarmError, TypeError):
    """A column whose type cannot be read as what the option says it is.

    Lists or records where a code, date, flag, count or area is expected, or a
    column whose types differ between the files of one input in a way that
    would change values (``values`` and ``allowed`` hold the two types).
    """


class ColumnValueError(CrimeHarmError, ValueError):
    """A column holds values that cannot be read as what the option says it is."""


class EmptyDataError(CrimeHarmError, ValueError):
    """There is nothing to measure: no rows, no units, or a total of zero where shares are asked."""


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


class SumsMemoryError(CrimeHarmError, MemoryError):
    """The sums of a call would need more memory than is available (checked before allocating).

    ``values`` holds the dates or periods behind the size (e.g. the first and
    last period of a span that ``complete=True`` fills).
    """


class Terminated(BaseException):
    """The command line was asked to stop by a signal (SIGTERM or SIGHUP).

    Raised by the signal handlers that ``crimeharm.cli.main`` installs for its run, so that
    temporary files are removed on the way out; it derives from ``BaseException``, as
    ``KeyboardInterrupt`` does, so that ``except Exception`` does not swallow it.

    Parameters
    ----------
    signum : int
        The number of the signal received.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class CrimeHarmWarning(UserWarning):
    """Base class of every warning crimeharm issues."""

    def __init__(self, message: str = "", **data: Any) -> None:
        super().__init__(message)
        self.data = data


class UnknownCodeWarning(CrimeHarmWarning):
    """Records were excluded because the edition does not carry their offence code."""


class SheetValueWarning(CrimeHarmWarning):
    """Cells of a spreadsheet that cannot be read as what their column holds.

    The rows are kept, the cells left empty; the warning lists them (sheet row
    and value), as do the sheet's notes. ``data`` holds ``rows`` and ``values``.
    """


class OptionWarning(CrimeHarmWarning):
    """An option that changes nothing as the others stand (the message says what it needs)."""


class ShortDataWarning(CrimeHarmWarning):
    """The data cover less than the window asked for (e.g. no complete rolling window)."""


class FlagValueWarning(CrimeHarmWarning):
    """Records were excluded because a yes/no column holds values outside its vocabulary."""


class UnknownOutcomeWarning(CrimeHarmWarning):
    """A detection column holds values outside the outcome vocabulary (counted per value).

    ``data`` holds ``column``, ``values`` (value -> crimes) and ``policy`` (what
    was done with them: read as not detected, or excluded).
    """


class MissingPopulationWarning(CrimeHarmWarning):
    """Rows whose area (or period) the population table lacks got NaN rates.

    ``data`` holds ``missing``: the keys without a population, as records.
    """
