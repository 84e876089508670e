"""The scoring options: their types, their checks and their documentation, in one place.

:func:`crimeharm.score`, :func:`crimeharm.harm_index` and
:func:`crimeharm.allocation.area_harm` name every scoring option in their
signatures; each builds one frozen :class:`ScoreOptions` from its arguments
with :meth:`ScoreOptions.from_arguments`, which checks them once. The
parameters' documentation is written once here (:data:`SCORE_PARAMETERS`) and
put into each function's docstring.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, Literal

import numpy as np
import pandas as pd

from crimeharm.errors import OptionError, OptionWarning
from crimeharm.scoring.dates import DEFAULT_FORMS, FIRST_DAY, LAST_DAY, day_of, formats_of
from crimeharm.weights.editions import load_weights
from crimeharm.weights.table import WeightTable

__all__ = [
    "DEFAULT_DATE_RANGE",
    "SCORE_ARGUMENTS",
    "SCORE_PARAMETERS",
    "WINDOW_PARAMETERS",
    "CodeSystem",
    "DateFormat",
    "DateRange",
    "DateRule",
    "FlagBlank",
    "FlagUnknown",
    "NegativeCounts",
    "OutputKind",
    "PeriodBy",
    "ScoreOptions",
    "UnknownPolicy",
    "with_score_parameters",
]

CodeSystem = Literal["auto", "ho_class", "open_data", "cjs", "key"]
DateRule = Literal["start", "end", "midpoint"]
PeriodBy = Literal["committed", "reported"]
UnknownPolicy = Literal["exclude", "raise", "zero"]
NegativeCounts = Literal["exclude", "allow"]
OutputKind = Literal["pandas", "arrow", "polars"]
FlagBlank = Literal["no", "exclude"]
FlagUnknown = Literal["exclude", "no", "raise"]
DateLike = str | pd.Timestamp | np.datetime64 | None
DateFormat = str | Sequence[str] | None
DateRange = tuple[DateLike, DateLike] | None
Lag = int | str | pd.Timedelta | None

#: The default plausibility window: fixed, so that a result does not depend on the day it is run.
DEFAULT_DATE_RANGE: tuple[str, str] = ("1900-01-01", "2100-12-31")

#: The documentation of the window options (``start``, ``end``).
WINDOW_PARAMETERS = """\
start, end : str or date-like, optional
        The window, inclusive dates: ISO 8601 (``'2023-04-01'``) or day
        first (``'01/04/2023'``, never month first), or a ``datetime.date``;
        records dated outside it are excluded as ``outside_window``. A
        number (``20230401``), a month (``'2023-04'``) or a two-digit year
        is refused (:class:`~crimeharm.OptionError`)."""

#: The documentation of the scoring options, shared by every function that takes them.
SCORE_PARAMETERS = """\
weights : str or WeightTable, optional
        An edition id (``cchi-2020`` by default), a path to a weights CSV, or
        a loaded :class:`~crimeharm.WeightTable`.
    code : str
        Column of offence codes, in any written form of any code system
        (``8/6``, ``008/06``, ``00806``, ``8.06``, ``8N``, ``OF61003``).
    code_system : {'auto', 'ho_class', 'open_data', 'cjs', 'key'}
        How to read the codes; ``auto`` reads each value by its form.
    ambiguity : str or mapping, optional
        Rule for codes that several offences of the edition share (see
        :meth:`crimeharm.WeightTable.resolve`): a rule name or a mapping from
        code to the key to use.
    crosswalk : bool
        Score a retired Home Office open-data code that the edition does not
        carry (``28A``, replaced in April 2017) as its successor (``28E``), by
        the shipped crosswalk (:mod:`crimeharm.weights.crosswalk`); the summary
        counts the records so read (``crosswalked_codes``). Never overrides a
        code the edition carries. Default True; False leaves them
        ``unknown_code``.
    date : str, optional
        Column of the date the crime was committed (the paper: count events
        that occurred in the period).
    date_to : str, optional
        Column of the end of a committed range (from ``date`` to ``date_to``).
    date_rule : {'start', 'end', 'midpoint'}
        The one day of a committed range: ``start`` (the committed-from date,
        or the committed-to date when the start is missing), ``end`` or
        ``midpoint``.
    date_format : str or list of str, optional
        How text (and numeric) dates are written: ``'iso'`` (``2023-04-01``,
        with a time and UTC offset, or ``2023-04``), ``'uk'`` (day first:
        ``01/04/2023``, ``1-4-23``, ``01.04.2023``, ``08-Jan-2023``; a
        two-digit year is 2000-2068 for ``00``-``68``, 1969-1999 for
        ``69``-``99``), ``'excel'`` (serial day numbers, ``45017``) or a
        ``strftime`` format (``'%Y%m%d'``); a list is tried in order.
        Default ``['iso', 'uk']``. A time with a UTC offset is placed on its
        Europe/London date; a time without one is UK local already.
    date_range : (date-like, date-like) or None
        The plausibility window, inclusive: a record whose date falls
        outside it is excluded as ``implausible_date`` and placed in no
        period. Default ``('1900-01-01', '2100-12-31')``, fixed so that a
        result does not depend on the day it is computed; narrow it to an
        extract's own span to catch typed years (``2203``). Either bound
        may be None, and ``None`` is the widest window, 0001-01-01 to
        9999-12-31 (dates beyond it are always implausible).
    reported : str, optional
        Column of the date the crime was reported (for the historic rule and
        ``period_by='reported'``).
    period_by : {'committed', 'reported'}
        Which date places a record in a period.
    count : str, optional
        Column of counts, for pre-counted tables; harm is ``days x count``.
    exclude_police_generated : bool
        Leave out the offences the edition marks police-generated (drugs,
        weapons possession, non-notifiable, traffic). Default True.
    police_initiated : str, optional
        Yes/no column: the record says police found the crime on their own
        initiative.
    company_detected : str, optional
        Yes/no column: a company's own staff detected the crime (store
        security).
    flag_blank : {'no', 'exclude'}
        A blank yes/no value (null, empty): ``no`` (default) or excluded as
        ``missing_flag``. Blanks are counted in the summary either way.
    flag_unknown : {'exclude', 'no', 'raise'}
        A yes/no value outside the vocabulary (``N/A``, ``unknown``,
        ``Yes.``): ``exclude`` (default; reason ``bad_flag``, with a warning
        naming the values), read as no, or ``raise`` an error naming the
        column and the values. The summary counts the
        rows of each such value. Excluding is the default because such a
        value may mean yes, so counting the record as no would put harm that
        belongs to a parallel series into the index, while an error would
        stop a long run at the first odd value.
    historic_lag : int, str or pandas.Timedelta, optional
        Days (or ``'365D'``): a crime reported longer than this after it was
        committed is historic.
    unknown : {'exclude', 'raise', 'zero'}
        Codes the edition does not carry: excluded with a warning (default),
        an error, or scored as 0 days.
    negative_counts : {'exclude', 'allow'}
        ``exclude`` (default; reason ``invalid_count``) or ``allow``: Home
        Office quarterly tables carry negative counts where crimes recorded
        earlier were cancelled, and their published totals include them."""


def with_score_parameters(func: Any) -> Any:
    """Put the shared parameter documentation in a docstring.

    ``{score_parameters}`` becomes :data:`SCORE_PARAMETERS`,
    ``{window_parameters}`` :data:`WINDOW_PARAMETERS`, ``{read_parameters}``
    :data:`crimeharm.scoring.inputs.READ_PARAMETERS` and ``{output_parameters}``
    :data:`crimeharm.scoring.outputs.OUTPUT_PARAMETERS`.
    """
    from crimeharm.scoring.inputs import READ_PARAMETERS
    from crimeharm.scoring.outputs import OUTPUT_PARAMETERS

    if func.__doc__:
        func.__doc__ = (
            func.__doc__.replace("{score_parameters}", SCORE_PARAMETERS)
            .replace("{window_parameters}", WINDOW_PARAMETERS)
            .replace("{read_parameters}", READ_PARAMETERS)
            .replace("{output_parameters}", OUTPUT_PARAMETERS)
        )
    return func


def _date_range(value: object) -> tuple[int, int]:
    """The plausibility window as two day numbers, inside 0001-01-01 to 9999-12-31."""
    if value is None:
        return FIRST_DAY, LAST_DAY
    if isinstance(value, str) or not isinstance(value, Sequence) or len(value) != 2:
        raise OptionError(
            f"date_range={value!r}; expected two dates (first, last), e.g. "
            f"{DEFAULT_DATE_RANGE!r}, or None",
            values=[value],
        )
    lo, hi = (day_of(v, f"date_range[{i}]") for i, v in enumerate(value))
    lo = FIRST_DAY if lo is None else lo
    hi = LAST_DAY if hi is None else hi
    for day, given in ((lo, value[0]), (hi, value[1])):
        if not FIRST_DAY <= day <= LAST_DAY:
            raise OptionError(
                f"date_range: {given!r} is outside 0001-01-01 to 9999-12-31", values=[given]
            )
    if lo > hi:
        raise OptionError(f"date_range: {value[0]!r} is after {value[1]!r}", values=list(value))
    return lo, hi


def _lag_days(historic_lag: Lag) -> int | None:
    if historic_lag is None:
        return None
    if isinstance(historic_lag, bool):
        raise OptionError(f"historic_lag={historic_lag!r} is not a number of days")
    if isinstance(historic_lag, int | np.integer):
        lag = int(historic_lag)
    else:
        try:
            lag = int(pd.Timedelta(historic_lag) / pd.Timedelta(days=1))
        except (ValueError, TypeError):
            raise OptionError(
                f"historic_lag={historic_lag!r} is not a number of days or a duration such as "
                "'365D'"
            ) from None
    if lag < 0:
        raise OptionError(f"historic_lag must be >= 0 days, got {historic_lag!r}")
    return lag


def _column_name(name: str, value: object) -> None:
    if value is not None and not isinstance(value, str):
        raise OptionError(
            f"{name}= takes a column name (a str), not {type(value).__name__} {value!r}"
        )


@dataclass(frozen=True)
class ScoreOptions:
    """The scorer's options, checked once (see :func:`crimeharm.score` for their meaning).

    ``date_format`` is the tuple of written forms tried in order. The other
    options are as :func:`crimeharm.score` takes them, except these, held as
    numbers:

    Attributes
    ----------
    date_range : tuple of (int, int)
        The plausibility window, first and last day, in day numbers (days
        since 1970-01-01).
    start, end : int or None
        The window, first and last day, in day numbers (days since 1970-01-01).
    historic_lag_days : int or None
        The historic lag, in days.
    """

    weights: WeightTable
    code: str = "offence_code"
    code_system: CodeSystem = "auto"
    ambiguity: str | Mapping[str, str] | None = None
    crosswalk: bool = True
    date: str | None = None
    date_to: str | None = None
    date_rule: DateRule = "start"
    date_format: tuple[str, ...] = DEFAULT_FORMS
    date_range: tuple[int, int] = (FIRST_DAY, LAST_DAY)
    reported: str | None = None
    period_by: PeriodBy = "committed"
    count: str | None = None
    exclude_police_generated: bool = True
    police_initiated: str | None = None
    company_detected: str | None = None
    flag_blank: FlagBlank = "no"
    flag_unknown: FlagUnknown = "exclude"
    historic_lag_days: int | None = None
    start: int | None = None
    end: int | None = None
    unknown: UnknownPolicy = "exclude"
    negative_counts: NegativeCounts = "exclude"

    @classmethod
    def make(
        cls,
        *,
        weights: str | WeightTable | None = None,
        code: str = "offence_code",
        code_system: CodeSystem = "auto",
        ambiguity: str | Mapping[str, str] | None = None,
        crosswalk: bool = True,
        date: str | None = None,
        date_to: str | None = None,
        date_rule: DateRule = "start",
        date_format: DateFormat = None,
        date_range: DateRange = DEFAULT_DATE_RANGE,
        reported: str | None = None,
        period_by: PeriodBy = "committed",
        count: str | None = None,
        exclude_police_generated: bool = True,
        police_initiated: str | None = None,
        company_detected: str | None = None,
        flag_blank: FlagBlank = "no",
        flag_unknown: FlagUnknown = "exclude",
        historic_lag: Lag = None,
        start: DateLike = None,
        end: DateLike = None,
        unknown: UnknownPolicy = "exclude",
        negative_counts: NegativeCounts = "exclude",
    ) -> ScoreOptions:
        """Check the options and build the frozen set.

        Raises
        ------
        OptionError
            On an option that is not valid, naming it and what is allowed.
        """
        OptionError.check_choice("code_system", code_system, CodeSystem)
        OptionError.check_choice("date_rule", date_rule, DateRule)
        OptionError.check_choice("period_by", period_by, PeriodBy)
        OptionError.check_choice("unknown", unknown, UnknownPolicy)
        OptionError.check_choice("negative_counts", negative_counts, NegativeCounts)
        OptionError.check_choice("flag_blank", flag_blank, FlagBlank)
        OptionError.check_choice("flag_unknown", flag_unknown, FlagUnknown)
        for name, value in (
            ("code", code),
            ("date", date),
            ("date_to", date_to),
            ("reported", reported),
            ("count", count),
            ("police_initiated", police_initiated),
            ("company_detected", company_detected),
        ):
            _column_name(name, value)
        if not isinstance(exclude_police_generated, bool | np.bool_):
            raise OptionError(
                f"exclude_police_generated={exclude_police_generated!r}; expected True or False"
            )
        if not isinstance(crosswalk, bool | np.bool_):
            raise OptionError(f"crosswalk={crosswalk!r}; expected True or False")
        opts = cls(
            weights=load_weights(weights),
            code=code,
            code_system=code_system,
            ambiguity=ambiguity,
            crosswalk=bool(crosswalk),
            date=date,
            date_to=date_to,
            date_rule=date_rule,
            date_format=formats_of(date_format),
            date_range=_date_range(date_range),
            reported=reported,
            period_by=period_by,
            count=count,
            exclude_police_generated=bool(exclude_police_generated),
            police_initiated=police_initiated,
            company_detected=company_detected,
            flag_blank=flag_blank,
            flag_unknown=flag_unknown,
            historic_lag_days=_lag_days(historic_lag),
            start=day_of(start, "start"),
            end=day_of(end, "end"),
            unknown=unknown,
            negative_counts=negative_counts,
        )
        opts._check_combinations()
        return opts

    @classmethod
    def from_arguments(cls, arguments: Mapping[str, Any]) -> ScoreOptions:
        """Build from a function's arguments (its ``locals()``), taking the scoring options."""
        names = SCORE_ARGUMENTS
        return cls.make(**{k: v for k, v in arguments.items() if k in names})

    def _check_combinations(self) -> None:
        if self.period_by == "reported" and self.reported is None:
            raise OptionError("period_by='reported' needs reported=<column of reported dates>")
        if (self.start is not None or self.end is not None) and self.period_column is None:
            raise OptionError("start/end need a date column: pass date=<column of committed dates>")
        if self.historic_lag_days is not None and (self.reported is None or self.date is None):
            raise OptionError("historic_lag needs both date= (committed) and reported= columns")
        if (
            self.reported is not None
            and self.period_by == "committed"
            and self.historic_lag_days is None
            and self.start is None
        ):
            warnings.warn(
                f"reported={self.reported!r} changes nothing as given: reported dates are used "
                "with historic_lag= (records reported longer than that after they were "
                "committed are historic), start= (records reported in the window but committed "
                "before it are historic) or period_by='reported'",
                OptionWarning,
                stacklevel=5,  # the caller of score, harm_index, ...
            )
        if self.start is not None and self.end is not None and self.start > self.end:
            first, last = (str(np.datetime64(d, "D")) for d in (self.start, self.end))
            raise OptionError(f"start {first} is after end {last}")

    @property
    def period_column(self) -> str | None:
        """The column whose date places a record in a period."""
        return self.reported if self.period_by == "reported" else (self.date or self.date_to)

    def columns(self) -> list[str]:
        """Input columns the scorer reads, in a stable order."""
        cols = [
            self.code,
            self.date,
            self.date_to,
            self.reported,
            self.count,
            self.police_initiated,
            self.company_detected,
        ]
        return list(dict.fromkeys(c for c in cols if c is not None))

    def describe(self) -> dict[str, Any]:
        """The options as plain values, for provenance."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "weights"}
        for k in ("start", "end"):
            if out[k] is not None:
                out[k] = str(np.datetime64(out[k], "D"))
        out["date_format"] = list(out["date_format"])
        out["date_range"] = [str(np.datetime64(d, "D")) for d in out["date_range"]]
        if isinstance(out["ambiguity"], Mapping):
            out["ambiguity"] = dict(out["ambiguity"])
        return out


#: The names :meth:`ScoreOptions.make` takes (the scoring options as callers write them).
SCORE_ARGUMENTS = frozenset(inspect.signature(ScoreOptions.make).parameters)
