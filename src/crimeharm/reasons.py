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
``invalid_count``       the count column is missing, negative or not a number
``missing_date``        a date column was named and this record has none
``bad_date``            the date could not be parsed
``outside_window``      the date falls outside the requested ``start``/``end``
``police_generated``    the offence is police-generated in the edition (drugs,
                        weapons possession, non-notifiable, traffic)
``police_initiated``    the record says police found the crime on their own initiative
``company_detected``    the record says a company's own staff detected it (store
                        security)
``historic``            committed before the period counted, or reported more than
                        the chosen lag after it was committed
======================  ===========================================================
"""

from __future__ import annotations

__all__ = ["INCLUDED", "REASONS", "SERIES_REASONS"]

INCLUDED = 0

#: Exclusion reasons in order of precedence; the status code of a reason is its
#: position here plus one (0 means included).
REASONS: tuple[str, ...] = (
    "missing_code",
    "malformed_code",
    "unknown_code",
    "not_crime",
    "invalid_count",
    "missing_date",
    "bad_date",
    "outside_window",
    "police_generated",
    "police_initiated",
    "company_detected",
    "historic",
)

#: The reasons whose excluded harm makes a Cambridge consensus series.
SERIES_REASONS: tuple[str, ...] = (
    "police_generated",
    "police_initiated",
    "company_detected",
    "historic",
)

STATUS = {reason: i + 1 for i, reason in enumerate(REASONS)}
