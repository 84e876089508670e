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
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from crimeharm.errors import OptionError
from crimeharm.weights.editions import load_weights
from crimeharm.weights.table import WeightTable

__all__ = [
    "SCORE_ARGUMENTS",
    "SCORE_PARAMETERS",
    "WINDOW_PARAMETERS",
    "CodeSystem",
    "DateRule",
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
DateLike = str | pd.Timestamp | np.datetime64 | None
Lag = int | str | pd.Timedelta | None

#: The documentation of the window options (``start``, ``end``).
WINDOW_PARAMETERS = """\
start, end : str or date-like, optional
        The window, inclusive dates (``'2023-04-01'``; ISO 8601); records
        dated outside it are excluded as ``outside_window``."""

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
    date_format : str, optional
        One ``strftime`` format for text dates, instead of ISO 8601 then the
        UK day-first forms.
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


def _to_day(value: object, name: str) -> int | None:
    """A window bound as a day number (days since 1970-01-01)."""
    if value is None:
        return None
    try:
        ts = pd.Timestamp(value)  # type: ignore[arg-type]
    except (ValueError, TypeError):
        raise OptionError(
            f"{name}={value!r} is not a date (expected e.g. '2022-07-31')", values=[value]
        ) from None
    if pd.isna(ts):
        raise OptionError(f"{name}={value!r} is not a date (expected e.g. '2022-07-31')")
    return int(np.datetime64(ts.date(), "D").astype(np.int64))


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


def _choice(name: str, value: object, kind: Any) -> None:
    allowed = get_args(kind)
    if value not in allowed:
        raise OptionError(
            f"{name}={value!r}; expected one of {list(allowed)}", values=[value], allowed=allowed
        )


def _column_name(name: str, value: object) -> None:
    if value is not None and not isinstance(value, str):
        raise OptionError(
            f"{name}= takes a column name (a str), not {type(value).__name__} {value!r}"
        )


@dataclass(frozen=True)
class ScoreOptions:
    """The scorer's options, checked once (see :func:`crimeharm.score` for their meaning).

    ``start``, ``end`` and ``historic_lag_days`` are day numbers (days since
    1970-01-01) and days.
    """

    weights: WeightTable
    code: str = "offence_code"
    code_system: CodeSystem = "auto"
    ambiguity: str | Mapping[str, str] | None = None
    crosswalk: bool = True
    date: str | None = None
    date_to: str | None = None
    date_rule: DateRule = "start"
    date_format: str | None = None
    reported: str | None = None
    period_by: PeriodBy = "committed"
    count: str | None = None
    exclude_police_generated: bool = True
    police_initiated: str | None = None
    company_detected: str | None = None
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
        date_format: str | None = None,
        reported: str | None = None,
        period_by: PeriodBy = "committed",
        count: str | None = None,
        exclude_police_generated: bool = True,
        police_initiated: str | None = None,
        company_detected: str | None = None,
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
        _choice("code_system", code_system, CodeSystem)
        _choice("date_rule", date_rule, DateRule)
        _choice("period_by", period_by, PeriodBy)
        _choice("unknown", unknown, UnknownPolicy)
        _choice("negative_counts", negative_counts, NegativeCounts)
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
            date_format=date_format,
            reported=reported,
            period_by=period_by,
            count=count,
            exclude_police_generated=bool(exclude_police_generated),
            police_initiated=police_initiated,
            company_detected=company_detected,
            historic_lag_days=_lag_days(historic_lag),
            start=_to_day(start, "start"),
            end=_to_day(end, "end"),
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
        if isinstance(out["ambiguity"], Mapping):
            out["ambiguity"] = dict(out["ambiguity"])
        return out


#: The names :meth:`ScoreOptions.make` takes (the scoring options as callers write them).
SCORE_ARGUMENTS = frozenset(inspect.signature(ScoreOptions.make).parameters)
