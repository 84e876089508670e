"""Why a record is not counted in the Crime Harm Index: the exclusion reason codes.

Every record the scorer reads is either *included* or excluded for exactly one
reason, the first that applies in the order below. Data problems come first
(a record that cannot be placed or weighed), then the window, then the scope
rules of the Cambridge consensus (Sherman 2020), whose excluded harm forms
the parallel series: the Proactive Policing Index (``police_generated`` and
``police_initiated``), Company-Detected CHI (``company_detected``) and
Historic Offences CHI (``historic``).

======================  ===========================================================
reason                  meaning
======================  ===========================================================
``missing_code``        the offence code is empty or null
``malformed_code``      the code fits none of the forms of any code system
``unknown_code``        a well-formed code that the weights edition does not carry
``not_crime``           a record that is not a crime (data.police.uk anti-social
                        behaviour; the edition's NONCRIME rows)
``invalid_count``       the count is missing, negative, not a whole number (a
                        fraction, a boolean, an infinity) or not a number
``missing_date``        a date column was named and this record has none
``bad_date``            the date could not be parsed
``implausible_date``    a date outside the plausibility window ``date_range``
                        (1900-01-01 to 2100-12-31 by default)
``missing_flag``        a yes/no column is blank and ``flag_blank='exclude'``
``bad_flag``            a yes/no column holds a value outside its vocabulary
                        (``N/A``, ``unknown``) and ``flag_unknown='exclude'``
``outside_window``      the date falls outside the requested ``start``/``end``
``police_generated``    the offence is police-generated in the edition (drugs,
                        weapons possession, non-notifiable, traffic)
``police_initiated``    the record says police found the crime on their own initiative
``company_detected``    the record says a company's own staff detected it (store
                        security)
``historic``            committed before the period counted, or reported more than
                        the chosen lag after it was committed
``unknown_outcome``     the record's outcome is not in the detection vocabulary and
                        :func:`crimeharm.series` was told to exclude such records
                        (``unknown_outcome='exclude'``); last, because it only
                        concerns records that every other rule let in
======================  ===========================================================
"""

from __future__ import annotations

from enum import Enum

import numpy as np

__all__ = [
    "INCLUDED",
    "REASONS",
    "SCORER_REASONS",
    "SERIES_REASONS",
    "STATUS",
    "Reason",
    "mark",
]


class Reason(str, Enum):
    """An exclusion reason; its value is the name written in outputs.

    Reasons are declared in order of precedence. ``Reason.X.status`` is the
    status code of the reason (its position plus one; 0 means included), the
    number the engines keep per record.
    """

    MISSING_CODE = "missing_code"
    MALFORMED_CODE = "malformed_code"
    UNKNOWN_CODE = "unknown_code"
    NOT_CRIME = "not_crime"
    INVALID_COUNT = "invalid_count"
    MISSING_DATE = "missing_date"
    BAD_DATE = "bad_date"
    IMPLAUSIBLE_DATE = "implausible_date"
    MISSING_FLAG = "missing_flag"
    BAD_FLAG = "bad_flag"
    OUTSIDE_WINDOW = "outside_window"
    POLICE_GENERATED = "police_generated"
    POLICE_INITIATED = "police_initiated"
    COMPANY_DETECTED = "company_detected"
    HISTORIC = "historic"
    UNKNOWN_OUTCOME = "unknown_outcome"

    @property
    def status(self) -> int:
        """The status code: 1 for the first reason in precedence, 2 for the next, ..."""
        return list(Reason).index(self) + 1

    def __str__(self) -> str:
        return str(self.value)


#: Status of an included record.
INCLUDED = 0

#: Exclusion reasons in order of precedence; the status code of a reason is its
#: position here plus one (0 means included).
REASONS: tuple[str, ...] = tuple(r.value for r in Reason)

#: The reasons the scorer gives; :func:`crimeharm.series` adds ``unknown_outcome``.
SCORER_REASONS: tuple[str, ...] = tuple(r for r in REASONS if r != Reason.UNKNOWN_OUTCOME.value)

#: The reasons whose excluded harm makes a Cambridge consensus series.
SERIES_REASONS: tuple[str, ...] = (
    Reason.POLICE_GENERATED.value,
    Reason.POLICE_INITIATED.value,
    Reason.COMPANY_DETECTED.value,
    Reason.HISTORIC.value,
)

#: Status code of each reason, by name.
STATUS: dict[str, int] = {reason: i + 1 for i, reason in enumerate(REASONS)}


def mark(status: np.ndarray, mask: np.ndarray, reason: str) -> None:
    """Give ``reason`` to the records of ``mask`` unless they have one that precedes it.

    The rule of precedence, for the numpy path; the compiled loops apply the
    same rule (``add_fused`` in ``_engine/_ckernel.pyx``). ``status`` (uint8,
    one per record) is changed in place.
    """
    code = STATUS[reason]
    status[mask & ((status == INCLUDED) | (status > code))] = code
