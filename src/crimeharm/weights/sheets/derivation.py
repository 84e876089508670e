"""Turn a sentencing-guideline starting point into CCHI days.

The Cambridge Crime Harm Index weighs an offence by the days of imprisonment
of the guideline *starting point* for a first-time adult offender (Sherman,
Neyroud & Neyroud 2016). Non-custodial starting points are converted to days
by the rules below; every constant is a keyword-only parameter of
:func:`starting_point_days` (and a field of :class:`DerivationParams`, which
holds the rule) so that another edition (for example the 2023 minimum wage of
the Feb 2026 update) is one argument away.

=====================  =====================================================
starting point         days
=====================  =====================================================
custody                ``years*365 + months*365/12 + weeks*7`` (not rounded)
community order        unpaid-work hours of the level (low 40, medium 80,
                       high 150) / 8 hours a day, rounded half up: 5, 10, 19
fine band A-F          ``band% x GBP 120 / (8 h x GBP 8.72)``, rounded half
                       up: A 1, B 2, C 3, D 4, E 7, F 10
fixed penalty notice   0.3, as published (not given by the fine formula)
=====================  =====================================================

Rounding: "half_up" (ties away from zero) is the default because the sheet was
built in a spreadsheet, whose ``ROUND`` does that. The 2020 sheet contains no
tie, so "half_even" reproduces it as well; "ceil" does not (band D would be 5)
and neither does "floor" (a high-level order would be 18, band A 0).
Arithmetic is exact on the decimal values of the inputs (``8.72`` is taken as
872/100), so a tie such as 100 hours / 8 = 12.5 really is a tie.

:func:`parse_starting_point` reads the free text of the sheet's
``Starting Point`` column and returns ``None`` rather than guess;
:func:`explain_starting_point` also says why.

References
----------
Sherman, L., Neyroud, P. W., & Neyroud, E. (2016). The Cambridge Crime Harm
Index: measuring total harm from crime based on sentencing guidelines.
Policing, 10(3), 171-183.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from fractions import Fraction
from types import MappingProxyType
from typing import Literal, TypeVar

from crimeharm.errors import WeightsValidationError

__all__ = [
    "BANDS",
    "DEFAULT_FINE_BAND_PERCENT",
    "DEFAULT_ORDER_HOURS",
    "DERIVATION_PARAMETERS",
    "KINDS",
    "LEVELS",
    "ROUNDING_MODES",
    "DerivationParams",
    "StartingPoint",
    "explain_starting_point",
    "parse_starting_point",
    "starting_point_days",
]

Kind = Literal["custody", "community_order", "fine", "fixed_penalty"]
Level = Literal["low", "medium", "high"]
Band = Literal["A", "B", "C", "D", "E", "F"]
Rounding = Literal["half_up", "half_even", "ceil", "floor", "none"]
_T = TypeVar("_T")

KINDS: tuple[str, ...] = ("custody", "community_order", "fine", "fixed_penalty")
LEVELS: tuple[str, ...] = ("low", "medium", "high")
BANDS: tuple[str, ...] = ("A", "B", "C", "D", "E", "F")
ROUNDING_MODES: tuple[str, ...] = ("half_up", "half_even", "ceil", "floor", "none")

#: Minimum unpaid-work hours of each community-order level (Sentencing Council).
DEFAULT_ORDER_HOURS: Mapping[str, float] = MappingProxyType({"low": 40, "medium": 80, "high": 150})
#: Fine band as a percentage of relevant weekly income (starting points of bands A-F).
DEFAULT_FINE_BAND_PERCENT: Mapping[str, float] = MappingProxyType(
    {"A": 50, "B": 100, "C": 150, "D": 250, "E": 400, "F": 600}
)


def _fmt(x: float) -> str:
    return f"{x:g}"


def _check_number(name: str, value: object, *, allow_zero: bool = False) -> float | Fraction:
    """Return ``value`` if it is a finite positive (or non-negative) real number."""
    if (
        isinstance(value, (int, float, Fraction))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and (value >= 0 if allow_zero else value > 0)
    ):
        return value
    want = "a finite number >= 0" if allow_zero else "a finite number > 0"
    raise WeightsValidationError(f"{name} must be {want}; got {value!r}")


def _check_table(name: str, value: object, keys: tuple[str, ...]) -> Mapping[str, float | Fraction]:
    if not isinstance(value, Mapping):
        raise WeightsValidationError(
            f"{name} must be a mapping with keys {list(keys)}; got {value!r}"
        )
    unknown = sorted(set(value) - set(keys), key=str)
    missing = [k for k in keys if k not in value]
    if unknown or missing:
        raise WeightsValidationError(
            f"{name} must have exactly the keys {list(keys)}; "
            f"unknown: {unknown}, missing: {missing}"
        )
    return MappingProxyType({k: _check_number(f"{name}[{k!r}]", value[k]) for k in keys})


def _exact(x: float | Fraction) -> Fraction:
    """Exact rational of the decimal value of ``x`` (``8.72`` -> 872/100)."""
    return (
        x if isinstance(x, Fraction) else Fraction(str(x)) if isinstance(x, float) else Fraction(x)
    )


def _round(x: Fraction, mode: str) -> Fraction:
    if mode == "none":
        return x
    if mode == "ceil":
        return Fraction(math.ceil(x))
    if mode == "floor":
        return Fraction(math.floor(x))
    if mode == "half_even":
        return Fraction(round(x))  # Fraction.__round__ is exact, ties to even
    return Fraction(math.floor(x + Fraction(1, 2)))  # half_up; days are never negative


@dataclass(frozen=True)
class StartingPoint:
    """A guideline starting point, structured.

    Parameters
    ----------
    kind : {"custody", "community_order", "fine", "fixed_penalty"}
        The disposal.
    years, months, weeks : float, default 0
        Custody only: the length of the custodial sentence, in years, months
        and weeks, added (at least one > 0).
    level : {"low", "medium", "high"}, optional
        Community order only: the level of the order.
    band : {"A", "B", "C", "D", "E", "F"}, optional
        Fine only: the fine band.
    amount : float, optional
        Fixed penalty only: the amount in GBP when the text states one. Kept
        for the record; the days of a fixed penalty do not depend on it.
    uncertain : bool, default False
        The source text hedges ("6 months?", "Suggest 4 months").

    Examples
    --------
    >>> StartingPoint("custody", years=1, months=6).detail
    '1y 6m'
    >>> StartingPoint("fine", band="b").band
    'B'
    >>> StartingPoint("custody")
    Traceback (most recent call last):
    ...
    crimeharm.errors.WeightsValidationError: custody needs years, months or weeks > 0; got none
    """

    kind: Kind
    years: float = 0
    months: float = 0
    weeks: float = 0
    level: Level | None = None
    band: Band | None = None
    amount: float | None = None
    uncertain: bool = field(default=False, kw_only=True)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise WeightsValidationError(
                f"unknown kind {self.kind!r}; expected one of {list(KINDS)}"
            )
        durations = {"years": self.years, "months": self.months, "weeks": self.weeks}
        for name, value in durations.items():
            _check_number(name, value, allow_zero=True)
        if self.kind != "custody" and any(durations.values()):
            raise WeightsValidationError(
                f"years/months/weeks apply to custody only, not {self.kind}"
            )
        if self.kind == "custody" and not any(durations.values()):
            raise WeightsValidationError("custody needs years, months or weeks > 0; got none")
        level = self.level.lower() if isinstance(self.level, str) else self.level
        if (self.kind == "community_order") != (level is not None) or (
            level is not None and level not in LEVELS
        ):
            raise WeightsValidationError(
                f"level must be one of {list(LEVELS)} for a community order and None otherwise; "
                f"got {self.level!r} for {self.kind}"
            )
        band = self.band.upper() if isinstance(self.band, str) else self.band
        if (self.kind == "fine") != (band is not None) or (band is not None and band not in BANDS):
            raise WeightsValidationError(
                f"band must be one of {list(BANDS)} for a fine and None otherwise; "
                f"got {self.band!r} for {self.kind}"
            )
        if self.amount is not None:
            if self.kind != "fixed_penalty":
                raise WeightsValidationError(
                    f"amount applies to fixed_penalty only, not {self.kind}"
                )
            _check_number("amount", self.amount)
        object.__setattr__(self, "level", level)
        object.__setattr__(self, "band", band)

    @property
    def detail(self) -> str:
        """Short normalised text: ``"1y 6m"``, ``"26w"``, ``"medium"``, ``"B"``, ``"FPN"``."""
        if self.kind == "custody":
            parts = zip((self.years, self.months, self.weeks), "ymw", strict=True)
            return " ".join(f"{_fmt(n)}{u}" for n, u in parts if n)
        if self.kind == "community_order":
            return str(self.level)
        if self.kind == "fine":
            return str(self.band)
        return "FPN" if self.amount is None else f"FPN £{_fmt(self.amount)}"


#: The documentation of the derivation parameters, shared by :class:`DerivationParams`
#: and :func:`starting_point_days`.
DERIVATION_PARAMETERS = """\
days_per_year, days_per_month, days_per_week : float
        Custody: days in a year (365), a month (365/12) and a week (7).
    order_hours : mapping of str to float, optional
        Community order: unpaid-work hours of each level ``low``, ``medium``,
        ``high``; :data:`DEFAULT_ORDER_HOURS` (40, 80, 150) if not given.
    hours_per_day : float, default 8
        Hours of unpaid work, or of paid work at ``hourly_wage``, in one day.
    fine_band_percent : mapping of str to float, optional
        Fine: percentage of weekly income of each band ``A``-``F``;
        :data:`DEFAULT_FINE_BAND_PERCENT` (50, 100, 150, 250, 400, 600) if not
        given.
    weekly_income : float, default 120.0
        Fine: deemed relevant weekly income, GBP (Sentencing Council figure for
        offenders on low income or benefits).
    hourly_wage : float, default 8.72
        Fine: minimum wage, GBP an hour (the April 2020 rate; 10.42 in 2023).
    fixed_penalty_days : float, default 0.3
        Fixed penalty notice: days, as published in the CCHI sheet.
    rounding : {"half_up", "half_even", "ceil", "floor", "none"}
        Rounding to whole days of the community-order and fine rules (custody
        and fixed penalty are never rounded). ``"half_up"`` sends ties away from
        zero, as a spreadsheet's ``ROUND`` does."""


def _with_derivation_parameters(obj: _T) -> _T:
    """Put :data:`DERIVATION_PARAMETERS` where a docstring says ``{derivation_parameters}``."""
    if obj.__doc__:
        obj.__doc__ = obj.__doc__.replace("{derivation_parameters}", DERIVATION_PARAMETERS)
    return obj


@_with_derivation_parameters
@dataclass(frozen=True)
class DerivationParams:
    """The constants that turn a starting point into days, checked once.

    :meth:`days` is the rule; :func:`starting_point_days` builds these
    parameters from its keyword arguments and calls it, so both take the same
    names, defaults and checks. Build one set and reuse it when converting
    many starting points.

    Parameters
    ----------
    {derivation_parameters}

    Raises
    ------
    crimeharm.errors.WeightsValidationError
        A parameter that is not a finite positive number (``fixed_penalty_days``
        may be 0), a table with unknown or missing keys, an unknown rounding.

    Examples
    --------
    >>> p2023 = DerivationParams(hourly_wage=10.42)
    >>> p2023.days(StartingPoint("fine", band="B"))  # 120 / 83.36 = 1.44
    1.0
    >>> DerivationParams(rounding="up")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    crimeharm.errors.WeightsValidationError: unknown rounding 'up'; expected one of [...]
    """

    days_per_year: float = 365
    days_per_month: float = 365 / 12
    days_per_week: float = 7
    order_hours: Mapping[str, float] = field(default_factory=lambda: DEFAULT_ORDER_HOURS)
    hours_per_day: float = 8
    fine_band_percent: Mapping[str, float] = field(
        default_factory=lambda: DEFAULT_FINE_BAND_PERCENT
    )
    weekly_income: float = 120.0
    hourly_wage: float = 8.72
    fixed_penalty_days: float = 0.3
    rounding: Rounding = "half_up"
    #: The checked numbers as exact rationals (``8.72`` is 872/100), set once.
    _exact: Mapping[str, Fraction] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.rounding not in ROUNDING_MODES:
            raise WeightsValidationError(
                f"unknown rounding {self.rounding!r}; expected one of {list(ROUNDING_MODES)}"
            )
        exact = {
            name: _exact(_check_number(name, getattr(self, name)))
            for name in (
                "days_per_year",
                "days_per_month",
                "days_per_week",
                "hours_per_day",
                "weekly_income",
                "hourly_wage",
            )
        }
        _check_number("fixed_penalty_days", self.fixed_penalty_days, allow_zero=True)
        hours = _check_table("order_hours", self.order_hours, LEVELS)
        percent = _check_table("fine_band_percent", self.fine_band_percent, BANDS)
        object.__setattr__(self, "order_hours", hours)
        object.__setattr__(self, "fine_band_percent", percent)
        object.__setattr__(self, "_exact", MappingProxyType(exact))

    def to_kwargs(self) -> dict[str, object]:
        """Return the options as keyword arguments of :func:`starting_point_days`."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.init}

    def days(self, point: StartingPoint) -> float:
        """Days of a starting point under these parameters (CCHI days).

        Parameters
        ----------
        point : StartingPoint
            The starting point.

        Returns
        -------
        float
            Days: custody by its length, a community order by its hours, a fine
            by its band, a fixed penalty as published (see the module's table).

        Raises
        ------
        crimeharm.errors.WeightsValidationError
            ``point`` is not a :class:`StartingPoint`.
        """
        if not isinstance(point, StartingPoint):
            raise WeightsValidationError(f"point must be a StartingPoint; got {point!r}")
        x = self._exact
        if point.kind == "custody":
            years, months, weeks = _exact(point.years), _exact(point.months), _exact(point.weeks)
            days = years * x["days_per_year"] + months * x["days_per_month"]
            days += weeks * x["days_per_week"]
        elif point.kind == "community_order":
            hours = _exact(self.order_hours[str(point.level)])
            days = _round(hours / x["hours_per_day"], self.rounding)
        elif point.kind == "fine":
            fine_gbp = _exact(self.fine_band_percent[str(point.band)]) / 100 * x["weekly_income"]
            days = _round(fine_gbp / (x["hours_per_day"] * x["hourly_wage"]), self.rounding)
        else:
            return float(self.fixed_penalty_days)
        return float(days)


@_with_derivation_parameters
def starting_point_days(
    point: StartingPoint,
    *,
    days_per_year: float = DerivationParams.days_per_year,
    days_per_month: float = DerivationParams.days_per_month,
    days_per_week: float = DerivationParams.days_per_week,
    order_hours: Mapping[str, float] | None = None,
    hours_per_day: float = DerivationParams.hours_per_day,
    fine_band_percent: Mapping[str, float] | None = None,
    weekly_income: float = DerivationParams.weekly_income,
    hourly_wage: float = DerivationParams.hourly_wage,
    fixed_penalty_days: float = DerivationParams.fixed_penalty_days,
    rounding: Rounding = DerivationParams.rounding,
) -> float:
    """Days of a starting point (CCHI days).

    The same as ``DerivationParams(**options).days(point)``: the rule and the
    checks live in :class:`DerivationParams`.

    Parameters
    ----------
    point : StartingPoint
        The starting point.
    {derivation_parameters}

    Returns
    -------
    float
        Days.

    Raises
    ------
    crimeharm.errors.WeightsValidationError
        ``point`` is not a :class:`StartingPoint`; a parameter that is not a
        finite positive number (``fixed_penalty_days`` may be 0), a table with
        unknown or missing keys, an unknown rounding.

    Examples
    --------
    >>> starting_point_days(StartingPoint("custody", months=18))
    547.5
    >>> starting_point_days(StartingPoint("community_order", level="high"))  # 150/8 = 18.75
    19.0
    >>> starting_point_days(StartingPoint("fine", band="E"))  # 480 / 69.76 = 6.88
    7.0
    >>> starting_point_days(StartingPoint("fine", band="E"), hourly_wage=10.42)  # 480 / 83.36
    6.0
    >>> starting_point_days(StartingPoint("fixed_penalty"))
    0.3
    """
    params = DerivationParams(
        days_per_year=days_per_year,
        days_per_month=days_per_month,
        days_per_week=days_per_week,
        order_hours=DEFAULT_ORDER_HOURS if order_hours is None else order_hours,
        hours_per_day=hours_per_day,
        fine_band_percent=(
            DEFAULT_FINE_BAND_PERCENT if fine_band_percent is None else fine_band_percent
        ),
        weekly_income=weekly_income,
        hourly_wage=hourly_wage,
        fixed_penalty_days=fixed_penalty_days,
        rounding=rounding,
    )
    return params.days(point)


# --------------------------------------------------------------------------- parsing

_NUMBER_WORDS = dict(
    zip(
        [
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
        ],
        range(1, 13),
        strict=True,
    )
)
_UNIT = {"y": "years", "m": "months", "w": "weeks"}
_DURATION = re.compile(
    r"\b(?P<n>\d+(?:\.\d+)?|" + "|".join(_NUMBER_WORDS) + r")\s*"
    r"(?P<u>years?|yrs?|months?|weeks?|wks?|[ymw])\b"
)
_POINTS = re.compile(r"\+?\s*\b\d+\s*(?:penalty\s+)?points?\b")
_DISQUALIFICATION = re.compile(
    r"(?:\badditional\s+)?\b\d+\s*(?:years?|months?)\s*(?:dq'?d|dq|disqualifi\w*)"
    r"|\b(?:dq'?d|dq|disqualifi\w*)\s+(?:for\s+)?\d+\s*(?:years?|months?)"
)
_BAND = re.compile(r"\bband\s+([a-f])\b")
_LEVEL = re.compile(r"\b(low|medium|high)\b")
_FPN = re.compile(r"\bfpn\b|\bfixed\s+penalty\b|\bpnd\b")
_GBP = re.compile(r"£\s*(\d+(?:\.\d+)?)(\s*-\s*£?\s*\d+)?")


def _normalise(text: str) -> str:
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\xa0", " ")
    return re.sub(r"\s+", " ", text).strip().lower()


def _durations(text: str) -> list[dict[str, float]] | None:
    """Compound durations ("1 year 6 months" is one); None if a compound is malformed."""
    groups: list[dict[str, float]] = []
    end = None
    for m in _DURATION.finditer(text):
        raw, unit = m["n"], _UNIT[m["u"][0]]
        n = float(_NUMBER_WORDS[raw]) if raw in _NUMBER_WORDS else float(raw)
        n = int(n) if n.is_integer() else n
        joined = end is not None and re.fullmatch(r"\s*(?:,|and)?\s*", text[end : m.start()])
        if joined:
            last = groups[-1]
            order = list(_UNIT.values())
            if unit in last or order.index(unit) < max(order.index(u) for u in last):
                return None
            last[unit] = n
        else:
            groups.append({unit: n})
        end = m.end()
    return groups


def explain_starting_point(text: object) -> tuple[StartingPoint | None, str]:
    """Parse a ``Starting Point`` cell and say what was done or why it failed.

    Parameters
    ----------
    text : str or None
        The cell (other objects are converted with ``str``; NaN is empty).

    Returns
    -------
    point : StartingPoint or None
        The starting point, or None when the text is empty, incomplete or
        ambiguous (the parser never guesses).
    reason : str
        ``"ok"``, or ``"ok: "`` followed by notes ("penalty points ignored",
        "uncertain: question mark", ...) when parsed; otherwise the reason it
        was not: ``"empty"``, ``"no band"``, ``"no level"``,
        ``"ambiguous: several durations"``, ``"ambiguous: several fine bands"``,
        ``"ambiguous: several community order levels"``,
        ``"ambiguous: several disposals"``, ``"ambiguous: maximum or range"``,
        ``"zero duration"``, ``"unrecognised"``.

    Notes
    -----
    Rules, in order:

    * Typographic quotes, case and spacing are normalised.
    * ``?`` anywhere, or a leading "suggest", marks the result ``uncertain``;
      it is still parsed.
    * Penalty points ("+ 10 points") and driving disqualification
      ("12 months DQd") are removed and noted: the CCHI counts the fine alone.
    * A bare duration is custody ("18 months", "Three years"); "1 year 6
      months" is one duration; two separate durations are ambiguous.
    * A text mentioning a maximum or a range of durations is ambiguous.
    * "Band X" is a fine of band X; "fine" without a band is unparseable; an
      FPN offered as an alternative to a band ("Band A fine/FPN") is ignored
      and noted.
    * "FPN"/"fixed penalty" alone is a fixed penalty; a single GBP amount is
      kept in ``amount``.

    Examples
    --------
    >>> point, reason = explain_starting_point("Band B fine + 10 points")
    >>> point.detail, reason
    ('B', 'ok: penalty points ignored')
    >>> explain_starting_point("6 months?")[1]
    'ok: uncertain: question mark'
    >>> explain_starting_point("Fine")
    (None, 'no band')
    >>> explain_starting_point("Ranges from 6 months max if tried summarily to 14 years")
    (None, 'ambiguous: several durations')
    """
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return None, "empty"
    s = _normalise(str(text))
    if not s:
        return None, "empty"
    notes: list[str] = []
    uncertain = False
    if "?" in s:
        uncertain = True
        notes.append("uncertain: question mark")
        s = s.replace("?", " ").strip()
    if re.match(r"suggest(?:ed|s)?\b", s):
        uncertain = True
        notes.append("uncertain: suggested by the sheet's authors")
    s, n_dq = _DISQUALIFICATION.subn(" ", s)
    if n_dq:
        notes.append("disqualification ignored")
    s, n_pts = _POINTS.subn(" ", s)
    if n_pts:
        notes.append("penalty points ignored")

    durations = _durations(s)
    if durations is None or len(durations) > 1:
        return None, "ambiguous: several durations"
    bands = {b.upper() for b in _BAND.findall(s)}
    if len(bands) > 1:
        return None, "ambiguous: several fine bands"
    is_fine = bool(bands) or re.search(r"\bfines?\b", s) is not None
    is_order = re.search(r"\bcommunity\s+orders?\b", s) is not None
    is_fpn = _FPN.search(s) is not None
    # an FPN is only accepted as the alternative of a fine ("Band A fine/FPN")
    if sum([is_fine, is_order, bool(durations)]) > 1 or (is_fpn and (is_order or durations)):
        return None, "ambiguous: several disposals"
    levels = set(_LEVEL.findall(s)) if is_order else set()
    if len(levels) > 1:
        return None, "ambiguous: several community order levels"
    if durations and re.search(r"\b(?:max|maximum|range[sd]?|between|up to)\b", s):
        return None, "ambiguous: maximum or range"

    if durations and not any(durations[0].values()):
        return None, "zero duration"
    if durations:
        if re.search(r"\bmandatory minimum\b", s):
            notes.append("mandatory minimum")
        years, months, weeks = (durations[0].get(unit, 0) for unit in ("years", "months", "weeks"))
        point = StartingPoint(
            "custody", years=years, months=months, weeks=weeks, uncertain=uncertain
        )
    elif is_fine and bands:
        if is_fpn:
            notes.append("FPN alternative ignored")
        point = StartingPoint("fine", band=bands.pop(), uncertain=uncertain)
    elif is_fine:
        return None, "no band"
    elif is_order:
        if not levels:
            return None, "no level"
        point = StartingPoint("community_order", level=levels.pop(), uncertain=uncertain)
    elif is_fpn:
        amounts = _GBP.findall(s)
        amount = None
        if len(amounts) == 1 and not amounts[0][1]:
            amount = float(amounts[0][0])
        elif amounts:
            notes.append("range of amounts ignored")
        point = StartingPoint("fixed_penalty", amount=amount, uncertain=uncertain)
    else:
        return None, "unrecognised"
    return point, "ok: " + "; ".join(notes) if notes else "ok"


def parse_starting_point(text: object) -> StartingPoint | None:
    """Parse a ``Starting Point`` cell; None when empty, incomplete or ambiguous.

    See :func:`explain_starting_point` for the rules and the reason of a None.

    Parameters
    ----------
    text : str
        The cell as published (``1 year 6 months' custody``, ``Band B fine``,
        ``Medium level community order``).

    Returns
    -------
    StartingPoint or None
        The parsed starting point (its ``detail`` is a short form of it);
        :func:`starting_point_days` turns it into days.

    Examples
    --------
    >>> parse_starting_point("1 year 6 months’ custody").detail
    '1y 6m'
    >>> parse_starting_point("Harassment is a band B fine").detail
    'B'
    >>> parse_starting_point("Medium level community order").detail
    'medium'
    >>> parse_starting_point("FPN - range from £30-50").detail
    'FPN'
    >>> parse_starting_point("Fine") is None
    True
    """
    return explain_starting_point(text)[0]
