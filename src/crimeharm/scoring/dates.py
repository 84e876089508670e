"""Dates to day numbers: every date type and written form, read exactly or counted.

A date becomes a *day number*, whole days since 1970-01-01 (int64), by integer
arithmetic on the values a date type holds: nothing passes through pandas'
nanosecond timestamps, so no date wraps into another year. Values that are not
dates take the sentinel :data:`DAY_BAD` (the record is excluded as
``bad_date``, with the value among the summary's examples); null or blank
values take :data:`DAY_MISSING` (``missing_date``).

===============================  ==================================================
column                           how it is read
===============================  ==================================================
Arrow ``date32``, ``date64``     the day the value holds
Arrow ``timestamp`` (any unit)   naive: the day of its wall-clock time (taken as UK
and pandas ``datetime64``        local time); with a time zone: the calendar date in
                                 Europe/London of the instant it holds
pandas ``Period``                the day the period starts
text (CSV, object, string)       the forms of ``date_format`` (below), once per
                                 distinct value
numbers                          Excel serial days with ``date_format='excel'``;
                                 otherwise as their text (e.g. ``'%Y%m%d'``)
objects of mixed types           each distinct value by its own type
===============================  ==================================================

Written forms (``date_format``, a name, a ``strftime`` format, or a list tried
in order; the default is ``('iso', 'uk')``):

``iso``
    ``2023-04-01``, ``2023-04-01T13:05``, ``2023-04-01 13:05:09.5``, with an
    optional UTC offset (``Z``, ``+01:00``, ``+0100``, ``+01``); ``2023-04``
    (a month) is its first day.
``uk``
    Day first, never month first: ``01/04/2023``, ``1-4-2023``,
    ``01.04.2023``, with an optional time (``01/04/2023 13:05``); a
    two-digit year (``01/04/23``) is 2000-2068 for ``00``-``68`` and
    1969-1999 for ``69``-``99`` (the POSIX and Python ``%y`` pivot);
    month names (``08-Jan-2023``, ``8 January 2023``, ``08JAN23``).
``excel``
    Excel serial day numbers (``45017`` is 2023-04-01; the fraction is the
    time of day), as numbers or text, in Excel's 1900 date system (its
    non-existent 29 February 1900, serial 60, and serials after 9999-12-31 are
    bad dates).
a ``strftime`` format
    Any format containing ``%`` (``'%Y%m%d'``, ``'%d %b %Y %H:%M'``);
    ``%z`` reads an offset.

A UTC offset or a time zone places an instant in time; its day is the
calendar date of that instant in Europe/London (``2023-07-01T23:30Z`` is
2 July: 00:30 BST), by the time zone database to 2037 and the UK's present
rule after (:func:`london_days`). A time without an offset is UK local time already: its
day is its own date. Times must be valid (hours 0-23, minutes and seconds
0-59, a leap second 60). Dates run from 0001-01-01 to 9999-12-31
(:data:`FIRST_DAY`, :data:`LAST_DAY`); a date type can hold days outside
them, which are read exactly and then counted as ``implausible_date`` by the
scorer's plausibility window.
"""

from __future__ import annotations

import datetime as _dt
import functools
from collections.abc import Mapping, Sequence
from typing import Any, cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from crimeharm.errors import ColumnValueError, OptionalDependencyError, OptionError
from crimeharm.scoring.columns import _single, factorize

__all__ = [
    "DAY_BAD",
    "DAY_IMPLAUSIBLE",
    "DAY_MISSING",
    "DEFAULT_FORMS",
    "FIRST_DAY",
    "FORMS",
    "LAST_DAY",
    "PIVOT",
    "DateReader",
    "civil_to_days",
    "dates_to_days",
    "day_of",
    "formats_of",
    "london_days",
    "usable",
]

#: A null or blank date. Every date is above the markers; the compiled loops hold the same
#: values in ``crimeharm/_engine/_markers.pxd`` (the tests check that they agree).
DAY_MISSING = np.iinfo(np.int64).min
#: A value that is not a date.
DAY_BAD = DAY_MISSING + 1
#: A date outside the plausibility window (set by the scorer, never by the readers).
DAY_IMPLAUSIBLE = DAY_MISSING + 2
#: Day numbers of 0001-01-01 and 9999-12-31, the dates ISO 8601 writes with four digits.
FIRST_DAY = int(np.datetime64("0001-01-01", "D").astype(np.int64))
LAST_DAY = int(np.datetime64("9999-12-31", "D").astype(np.int64))
#: Two-digit years below this are 20YY, the others 19YY.
PIVOT = 69
#: The named written forms of ``date_format``; the default is ``DEFAULT_FORMS``.
FORMS = ("iso", "uk", "excel")
DEFAULT_FORMS = ("iso", "uk")

_LONDON = "Europe/London"
#: Text or number columns longer than this are reduced to their distinct values first.
_ENCODE_ABOVE = 4096
_PER_DAY = {"s": 86_400, "ms": 86_400_000, "us": 86_400_000_000, "ns": 86_400_000_000_000}
_SEC = 86_400
# instants converted to London dates through Arrow (inside the years 1-9999)
_FIRST_SEC, _LAST_SEC = (FIRST_DAY + 1) * _SEC, LAST_DAY * _SEC
_RULE_SEC = int(np.datetime64("2038-01-01", "D").astype(np.int64)) * _SEC  # see london_days
_EXCEL_EPOCH = 25_569  # the Excel serial of 1970-01-01
_EXCEL_LAST = 2_958_465  # 9999-12-31
_MONTH_NAMES = (
    ("jan", "january"),
    ("feb", "february"),
    ("mar", "march"),
    ("apr", "april"),
    ("may",),
    ("jun", "june"),
    ("jul", "july"),
    ("aug", "august"),
    ("sep", "sept", "september"),
    ("oct", "october"),
    ("nov", "november"),
    ("dec", "december"),
)
_NAMES = pa.array([name for names in _MONTH_NAMES for name in names])
_NAME_MONTH = np.array([m for m, names in enumerate(_MONTH_NAMES, 1) for _ in names])

# kinds of a parsed value (used to refuse months and two-digit years as window bounds)
KIND_DAY, KIND_MONTH, KIND_SHORT_YEAR = 0, 1, 2

_TIME = (
    r"(?:(?:[Tt]|\s+|,\s*)(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,]\d+)?)?"
    r"\s*(?P<z>[Zz]|[+-]\d{2}(?::?\d{2})?)?)?"
)
_ISO = r"^(?P<y>\d{4})-(?P<m>\d{1,2})(?:-(?P<d>\d{1,2})" + _TIME + r")?$"
_UK = r"^(?P<d>\d{1,2})(?P<s1>[/.-])(?P<m>\d{1,2})(?P<s2>[/.-])(?P<y>\d{4}|\d{2})" + _TIME + "$"
_UK_NAMED = (
    r"^(?P<d>\d{1,2})[-/ .]?(?P<b>[A-Za-z]{3,9})\.?(?:[-/ .,]\s*)?(?P<y>\d{4}|\d{2})" + _TIME + "$"
)
_OFFSET = r"^(?P<sign>[+-])(?P<hh>\d{2}):?(?P<mm>\d{2})?$"
_NUMBER = r"^[+-]?(?:\d+\.?\d*|\.\d+)$"
_BLANK = pa.scalar("")  # the empty string, compared with text columns


# ------------------------------------------------------------------ day arithmetic
def civil_to_days(y: np.ndarray, m: np.ndarray, d: np.ndarray | int) -> np.ndarray:
    """Day numbers of proleptic Gregorian dates (any year; no check of the ranges).

    H. Hinnant's ``days_from_civil``, vectorised on int64 arrays.
    """
    y = np.asarray(y, dtype=np.int64) - (np.asarray(m) <= 2)
    m = np.asarray(m, dtype=np.int64)
    era = np.floor_divide(y, 400)
    yoe = y - era * 400
    mp = (m + 9) % 12
    doy = (153 * mp + 2) // 5 + np.asarray(d, dtype=np.int64) - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146_097 + doe - 719_468


def _valid_day(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
    length = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])[np.clip(m, 0, 12)]
    length = length + (leap & (m == 2))
    return (m >= 1) & (m <= 12) & (d >= 1) & (d <= length)


def _last_sunday(year: np.ndarray, month: int) -> np.ndarray:
    """Day numbers of the last Sunday of ``month`` in each year."""
    last = civil_to_days(year + (month == 12), np.full_like(year, month % 12 + 1), 1) - 1
    return last - (last + 4) % 7  # 1970-01-01 was a Thursday: (day + 4) % 7 is 0 on Sundays


def _uk_rule_days(seconds: np.ndarray) -> np.ndarray:
    """London dates by the UK's rule since 1996.

    BST (UTC+1) runs from 01:00 UTC on the last Sunday of March to 01:00 UTC
    on the last Sunday of October.
    """
    year = np.floor_divide(seconds, _SEC).astype("datetime64[D]").astype("datetime64[Y]")
    year = year.astype(np.int64) + 1970
    begin = _last_sunday(year, 3) * _SEC + 3600
    end = _last_sunday(year, 10) * _SEC + 3600
    summer = (seconds >= begin) & (seconds < end)
    return np.floor_divide(seconds + np.where(summer, 3600, 0), _SEC)


def london_days(seconds: np.ndarray) -> np.ndarray:
    """The Europe/London calendar date of each instant (seconds since 1970-01-01 UTC).

    Up to the end of 2037 the offsets come from the time zone database (through
    Arrow); its transitions stop there, so from 2038 the UK's rule of today is
    applied (as Python's ``zoneinfo`` does). Instants outside the years 1-9999
    keep their UTC date (they are outside every plausibility window).
    """
    seconds = np.asarray(seconds, dtype=np.int64)
    out = np.floor_divide(seconds, _SEC)
    ruled = (seconds >= _RULE_SEC) & (seconds <= _LAST_SEC)
    if ruled.any():
        out[ruled] = _uk_rule_days(seconds[ruled])
    inside = (seconds >= _FIRST_SEC) & (seconds < _RULE_SEC)
    if inside.any():
        try:
            ts = cast(pa.TimestampArray, pa.array(seconds[inside], pa.timestamp("s", tz=_LONDON)))
            local = pc.local_timestamp(ts).cast(pa.int64()).to_numpy()
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise OptionalDependencyError(
                "dates with a UTC offset or a time zone are converted to UK dates with the time "
                f"zone database, which this system lacks ({exc}); install the tzdata package "
                "of the operating system"
            ) from None
        out[inside] = np.floor_divide(local, _SEC)
    return out


def usable(days: np.ndarray) -> np.ndarray:
    """True where a day number is a date (not missing, bad or implausible)."""
    return days > DAY_IMPLAUSIBLE


# ------------------------------------------------------------------ formats
def formats_of(date_format: object, *, name: str = "date_format") -> tuple[str, ...]:
    """The written forms of a ``date_format`` option, checked (see the module docstring).

    Raises
    ------
    OptionError
        When a form is neither a name in :data:`FORMS` nor a ``strftime`` format.
    """
    if date_format is None:
        return DEFAULT_FORMS
    items = [date_format] if isinstance(date_format, str) else date_format
    if not isinstance(items, Sequence) or isinstance(items, bytes) or not items:
        raise OptionError(
            f"{name}={date_format!r}; expected a form ({', '.join(FORMS)}), a strftime format "
            "such as '%d/%m/%Y', or a list of them",
            values=[date_format],
            allowed=list(FORMS),
        )
    out = []
    for item in items:
        if not isinstance(item, str) or (item not in FORMS and "%" not in item):
            raise OptionError(
                f"{name}: {item!r} is not a date form; expected one of {list(FORMS)} or a "
                "strftime format containing '%' (e.g. '%d/%m/%Y')",
                values=[item],
                allowed=list(FORMS),
            )
        out.append(item)
    return tuple(dict.fromkeys(out))


# ------------------------------------------------------------------ text
def _ints(values: pa.Array, default: int) -> np.ndarray:
    """Digits (an Arrow string array; empty where a group did not match) as int64."""
    values = pc.if_else(pc.equal(values, _BLANK), pa.nulls(len(values), pa.string()), values)
    return pc.cast(values, pa.int64()).fill_null(default).to_numpy()


def _offsets(z: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Offsets in seconds east of UTC, and whether each is valid; ``z`` is ``Z`` or ``+hh:mm``."""
    z = pc.utf8_upper(z)
    utc = cast(pa.StringArray, pc.if_else(pc.equal(z, pa.scalar("Z")), "+00:00", z))
    parts = pc.extract_regex(utc, _OFFSET)
    minus = pc.equal(parts.field("sign"), pa.scalar("-")).fill_null(fill_value=False)
    sign = np.where(minus.to_numpy(zero_copy_only=False), -1, 1)
    hh, mm = _ints(parts.field("hh"), 0), _ints(parts.field("mm"), 0)
    return sign * (hh * 3600 + mm * 60), (hh <= 23) & (mm <= 59)


def _from_fields(
    g: Mapping[str, pa.Array], month: np.ndarray | None = None
) -> tuple[np.ndarray, ...]:
    """Day numbers and kinds from the digits of year, month, day, time and offset.

    ``g`` maps group names (``y m d H M S z``) to Arrow string arrays, empty
    where a group is absent; ``month`` replaces ``m`` (month names).
    """
    y = _ints(g["y"], 0)
    short = pc.equal(
        pc.utf8_length(cast(pa.StringArray, g["y"])), pa.scalar(2, pa.int32())
    ).to_numpy(zero_copy_only=False)
    y = np.where(short, np.where(y < PIVOT, 2000 + y, 1900 + y), y)
    m = _ints(g["m"], 0) if month is None else month
    month_only = pc.equal(g["d"], _BLANK).to_numpy(zero_copy_only=False)
    d = _ints(g["d"], 1)
    hour, minute, sec = _ints(g["H"], 0), _ints(g["M"], 0), _ints(g["S"], 0)
    ok = _valid_day(y, m, d) & (hour <= 23) & (minute <= 59) & (sec <= 60)
    days = civil_to_days(y, np.clip(m, 1, 12), d)
    z = g.get("z")
    has_z = None if z is None else pc.not_equal(z, _BLANK).to_numpy(zero_copy_only=False)
    if z is not None and has_z is not None and has_z.any():
        at = np.flatnonzero(has_z & ok)
        off, off_ok = _offsets(z.take(at))
        ok[at] &= off_ok
        secs = days[at] * _SEC + hour[at] * 3600 + minute[at] * 60 + sec[at] - off
        days[at] = london_days(secs)
    kind = np.where(month_only, KIND_MONTH, np.where(short, KIND_SHORT_YEAR, KIND_DAY))
    return np.where(ok, days, DAY_BAD), kind.astype(np.int8)


# Fixed-width layouts of the commonest forms, read by slicing the text at known positions
# (several times faster than a regex's groups); other values take the full pattern.
_TIME_AT = {"H": (11, 13), "M": (14, 16), "S": (17, 19)}
_FAST = {
    _ISO: (
        r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?$",
        {"y": (0, 4), "m": (5, 7), "d": (8, 10), **_TIME_AT},
        None,
    ),
    _UK: (
        r"^\d{2}[/.-]\d{2}[/.-]\d{4}(?: \d{2}:\d{2}(?::\d{2})?)?$",
        {"d": (0, 2), "m": (3, 5), "y": (6, 10), **_TIME_AT},
        ((2, 3), (5, 6)),
    ),
}


#: The same layouts byte by byte: the date's separators (the bytes each may be) and the byte
#: between the date and a time, for the three lengths (date, with minutes, with seconds).
_LAYOUT_BYTES = {
    _ISO: ({4: b"-", 7: b"-"}, b"T "),
    _UK: ({2: b"/.-", 5: b"/.-"}, b" "),
}
_COLON_AT = {10: (), 16: (13,), 19: (13, 16)}


def _bytes_of(text: pa.Array, length: int) -> tuple[np.ndarray, np.ndarray]:
    """The values of ``length`` bytes as rows of a ``uint8`` matrix, and their positions."""
    offsets, values = text.buffers()[1:3]
    if not len(text) or offsets is None or values is None:
        return np.zeros((0, length), dtype=np.uint8), np.zeros(0, dtype=np.int64)
    large = pa.types.is_large_string(text.type)
    off = np.frombuffer(
        memoryview(offsets),
        dtype=np.int64 if large else np.int32,
        count=len(text) + 1 + text.offset,
    )[text.offset :]
    data = np.frombuffer(memoryview(values), dtype=np.uint8)
    lengths = np.diff(off)
    where = np.flatnonzero(lengths == length)
    if text.null_count:
        valid = np.asarray(text.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
        where = where[valid[where]]
    if len(where) == len(text) and len(where) and off[-1] - off[0] == length * len(where):
        return data[off[0] : off[-1]].reshape(-1, length), where  # contiguous: no copy
    starts = off[:-1][where].astype(np.int64)
    return data[starts[:, None] + np.arange(length)], where


def _number(mat: np.ndarray, lo: int, hi: int) -> np.ndarray:
    out = np.zeros(len(mat), dtype=np.int64)
    for i in range(lo, hi):
        out = out * 10 + (mat[:, i].astype(np.int64) - 48)
    return out


def _fixed_width(text: pa.Array, pattern: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Days and kinds of the values in the fixed layout of ``pattern``, and where they are.

    The layout (``_FAST``: ``2023-04-01``, ``01/04/2023``, with ``HH:MM`` or
    ``HH:MM:SS``) is checked and its digits read from the bytes, with no
    regex or Arrow call per field: what the fast pattern matches, read as
    :func:`_from_fields` reads it.
    """
    _, where, seps = _FAST[pattern]
    if not (pa.types.is_string(text.type) or pa.types.is_large_string(text.type)):
        text = text.cast(pa.string())
    date_seps, time_sep = _LAYOUT_BYTES[pattern]
    n = len(text)
    hit = np.zeros(n, dtype=bool)
    days = np.zeros(n, dtype=np.int64)
    for length in (10, 16, 19):
        mat, rows = _bytes_of(text, length)
        if not len(rows):
            continue
        digit = (mat >= 48) & (mat <= 57)
        seps_at = set(date_seps) | set(_COLON_AT[length]) | ({10} if length > 10 else set())
        ok = digit[:, [i for i in range(length) if i not in seps_at]].all(axis=1)
        for at, allowed in date_seps.items():
            ok &= np.isin(mat[:, at], np.frombuffer(allowed, dtype=np.uint8))
        if length > 10:
            ok &= np.isin(mat[:, 10], np.frombuffer(time_sep, dtype=np.uint8))
        for at in _COLON_AT[length]:
            ok &= mat[:, at] == ord(":")
        if not ok.any():
            continue
        mat, rows = mat[ok], rows[ok]
        y, m, d = (_number(mat, *where[k]) for k in ("y", "m", "d"))
        hour, minute, sec = (
            _number(mat, *where[k]) if where[k][1] <= length else np.zeros(len(mat), np.int64)
            for k in ("H", "M", "S")
        )
        good = _valid_day(y, m, d) & (hour <= 23) & (minute <= 59) & (sec <= 60)
        if seps is not None:  # one separator throughout: 01/04/2023, not 01/04-2023
            good &= mat[:, seps[0][0]] == mat[:, seps[1][0]]
        hit[rows] = True
        days[rows] = np.where(good, civil_to_days(y, np.clip(m, 1, 12), d), DAY_BAD)
    return days[hit], np.zeros(int(hit.sum()), dtype=np.int8), hit


def _by_regex(
    text: pa.Array, pattern: str, *, named: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    days = np.full(len(text), DAY_BAD, dtype=np.int64)
    kind = np.zeros(len(text), dtype=np.int8)
    todo = np.arange(len(text))
    if pattern in _FAST:
        d, k, hit = _fixed_width(text, pattern)
        days[hit], kind[hit] = d, k
        todo = np.flatnonzero(~hit)
        if not len(todo):
            return days, kind
        text = text.take(todo)
    match = pc.match_substring_regex(text, pattern).to_numpy(zero_copy_only=False)
    if not match.any():
        return days, kind
    at = todo[match]
    found = pc.extract_regex(text.filter(pa.array(match)), pattern)
    g = {name: found.field(name) for name in (f.name for f in found.type)}
    if named:
        idx = pc.index_in(pc.utf8_lower(g["b"]), value_set=_NAMES)
        known = idx.is_valid().to_numpy(zero_copy_only=False)
        month = np.where(known, _NAME_MONTH[idx.fill_null(0).to_numpy()], 0)
        d, k = _from_fields(g, month)
    else:
        d, k = _from_fields(g)
        if "s1" in g:  # one separator throughout: 01/04/2023, not 01/04-2023
            same = pc.equal(g["s1"], g["s2"]).to_numpy(zero_copy_only=False)
            d = np.where(same, d, DAY_BAD)
    days[at], kind[at] = d, k
    return days, kind


def _excel_days(serial: np.ndarray) -> np.ndarray:
    """Day numbers of Excel serials (1900 system); DAY_BAD below 1, for 60 and after 9999."""
    serial = np.asarray(serial, dtype=float)
    whole = np.floor(serial)
    ok = np.isfinite(serial) & (whole >= 1) & (whole != 60) & (whole <= _EXCEL_LAST)
    w = np.where(ok, whole, 0).astype(np.int64)
    days = np.where(w < 60, w - _EXCEL_EPOCH + 1, w - _EXCEL_EPOCH)  # Excel's 29 Feb 1900
    return np.where(ok, days, DAY_BAD)


def _excel_text(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    days = np.full(len(text), DAY_BAD, dtype=np.int64)
    numeric = pc.match_substring_regex(text, _NUMBER).to_numpy(zero_copy_only=False)
    if numeric.any():
        at = np.flatnonzero(numeric)
        values = pc.cast(text.take(at), pa.float64()).to_numpy()
        days[at] = _excel_days(values)
    return days, np.zeros(len(text), dtype=np.int8)


def _strftime(text: pa.Array, fmt: str) -> tuple[np.ndarray, np.ndarray]:
    """A ``strftime`` format: Arrow parses, and Python checks what Arrow would not.

    Arrow's parser rolls invalid days over (30/02 becomes 2 March) and takes
    two digits for ``%Y``; a value is kept only when formatting the parsed date
    again gives the same text, and the others are parsed by Python's
    :func:`datetime.datetime.strptime`, which refuses what is not a date.
    """
    days = np.full(len(text), DAY_BAD, dtype=np.int64)
    kind = np.zeros(len(text), dtype=np.int8)
    if "%z" not in fmt:
        parsed = pc.strptime(text, format=fmt, unit="s", error_is_null=True)
        again = pc.strftime(parsed, format=fmt)
        same = pc.equal(again, text).fill_null(fill_value=False).to_numpy(zero_copy_only=False)
        if same.any():
            secs = parsed.filter(pa.array(same)).cast(pa.int64()).to_numpy()
            days[same] = np.floor_divide(secs, _SEC)
        rest = np.flatnonzero(~same)
    else:
        rest = np.arange(len(text))
    if len(rest):
        values = text.take(rest).to_pylist()
        for i, value in zip(rest, values, strict=True):
            if value is None:
                continue
            try:
                stamp = _dt.datetime.strptime(value, fmt)
            except (ValueError, TypeError):
                continue
            days[i] = _datetime_day(stamp)
    return days, kind


_FORM_PARSERS = {
    "iso": lambda text: _by_regex(text, _ISO),
    "uk": lambda text: _first(_by_regex(text, _UK), lambda: _by_regex(text, _UK_NAMED, named=True)),
    "excel": _excel_text,
}


def _first(got: tuple[np.ndarray, np.ndarray], then: Any) -> tuple[np.ndarray, np.ndarray]:
    days, kind = got
    left = days == DAY_BAD
    if left.any():
        d2, k2 = then()
        days = np.where(left, d2, days)
        kind = np.where(left, k2, kind)
    return days, kind


def parse_text(values: pa.Array, formats: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Day numbers of text values (an Arrow string array), and the kind of each match.

    Blank or null values are :data:`DAY_MISSING`; values no form reads are
    :data:`DAY_BAD`. Each form is tried, in order, on the values the forms
    before it did not read.
    """
    values = values.cast(pa.string()) if values.type != pa.string() else values
    n = len(values)
    days = np.full(n, DAY_BAD, dtype=np.int64)
    kind = np.zeros(n, dtype=np.int8)
    text = pc.utf8_trim_whitespace(values)
    blank = pc.equal(text, _BLANK).fill_null(fill_value=True).to_numpy(zero_copy_only=False)
    days[blank] = DAY_MISSING
    todo = np.flatnonzero(~blank)
    for form in formats:
        if not len(todo):
            break
        part = text.take(todo)
        if form in _FORM_PARSERS:
            d, k = _FORM_PARSERS[form](part)
        else:
            d, k = _strftime(part, form)
        ok = d != DAY_BAD
        days[todo[ok]], kind[todo[ok]] = d[ok], k[ok]
        todo = todo[~ok]
    return days, kind


# ------------------------------------------------------------------ numbers and objects
def _number_text(values: np.ndarray) -> pa.Array:
    """Numbers as text: whole numbers without a decimal point (20230401, not 20230401.0)."""
    values = np.asarray(values, dtype=float)
    whole = np.isfinite(values) & (values == np.floor(values)) & (np.abs(values) < 2**63)
    text = np.where(
        whole,
        np.where(whole, values, 0).astype(np.int64).astype(str),
        values.astype(str),
    )
    return pa.array(text.astype(object), type=pa.string())


def _numbers(values: np.ndarray, formats: Sequence[str]) -> np.ndarray:
    """Day numbers of numbers: Excel serials when ``excel`` is a form, else read as text."""
    values = np.asarray(values, dtype=float)
    if len(values) > _ENCODE_ABOVE and formats != ("excel",):  # each distinct value once
        uniques, inverse = np.unique(values, return_inverse=True)
        if len(uniques) < len(values):
            return _numbers(uniques, formats)[inverse]
    days = np.full(len(values), DAY_BAD, dtype=np.int64)
    days[np.isnan(values)] = DAY_MISSING
    todo = np.flatnonzero(~np.isnan(values))
    for form in formats:
        if not len(todo):
            break
        if form == "excel":
            d = _excel_days(values[todo])
        else:
            d, _ = parse_text(_number_text(values[todo]), [form])
        ok = d != DAY_BAD
        days[todo[ok]] = d[ok]
        todo = todo[~ok]
    return days


def _datetime_day(value: _dt.datetime) -> int:
    if value.tzinfo is not None and value.utcoffset() is not None:
        utc = value.astimezone(_dt.timezone.utc).replace(tzinfo=None)
        secs = (utc.toordinal() - 719_163) * _SEC + utc.hour * 3600 + utc.minute * 60 + utc.second
        return int(london_days(np.array([secs]))[0])
    return value.toordinal() - 719_163


def _object_values(values: np.ndarray, formats: Sequence[str]) -> np.ndarray:
    """Day numbers of distinct Python objects, each read by its own type."""
    days = np.full(len(values), DAY_BAD, dtype=np.int64)
    text_at, number_at = [], []
    for i, v in enumerate(values):
        if isinstance(v, str):
            text_at.append(i)
        elif v is None or v is pd.NaT or (isinstance(v, float) and np.isnan(v)):
            days[i] = DAY_MISSING
        elif isinstance(v, bool | np.bool_):
            continue  # True is not a date
        elif isinstance(v, int | float | np.integer | np.floating):
            number_at.append(i)
        elif isinstance(v, _dt.datetime):
            days[i] = _datetime_day(v)
        elif isinstance(v, _dt.date):
            days[i] = v.toordinal() - 719_163
        elif isinstance(v, np.datetime64):
            days[i] = (
                DAY_MISSING if np.isnat(v) else int(v.astype("datetime64[D]").astype(np.int64))
            )
        elif isinstance(v, pd.Period):
            days[i] = int(v.asfreq("D", how="start").ordinal)
    if text_at:
        at = np.array(text_at)
        days[at], _ = parse_text(pa.array(list(values[at]), type=pa.string()), formats)
    if number_at:
        at = np.array(number_at)
        days[at] = _numbers(np.array([float(v) for v in values[at]]), formats)
    return days


# ------------------------------------------------------------------ columns
def _with_nulls(days: np.ndarray, arr: pa.Array) -> np.ndarray:
    if arr.null_count:
        days[~arr.is_valid().to_numpy(zero_copy_only=False)] = DAY_MISSING
    return days


def _int64_values(arr: pa.Array) -> np.ndarray:
    """The int64 values of a date64 or timestamp array (zeros under nulls)."""
    return arr.cast(pa.int64()).fill_null(0).to_numpy()


def _arrow_temporal(arr: pa.Array) -> np.ndarray:
    t = arr.type
    if pa.types.is_date32(t):
        days = arr.cast(pa.int32()).fill_null(0).to_numpy().astype(np.int64)
    elif pa.types.is_date64(t):
        days = np.floor_divide(_int64_values(arr), 86_400_000)
    elif t.tz is None:
        days = np.floor_divide(_int64_values(arr), _PER_DAY[t.unit])
    else:
        per_sec = _PER_DAY[t.unit] // _SEC
        days = london_days(np.floor_divide(_int64_values(arr), per_sec))
    return _with_nulls(days, arr)


def _kind_of_type(t: pa.DataType) -> str | None:
    if pa.types.is_date(t) or pa.types.is_timestamp(t):
        return "temporal"
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return "text"
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
        return "number"
    if pa.types.is_null(t):
        return "null"
    return None


def _wrong_type(name: str | None, what: object) -> ColumnValueError:
    column = f"column {name!r}" if name else "a date column"
    return ColumnValueError(
        f"{column} holds {what}, not dates (expected dates, timestamps, periods or text such as "
        "'2023-04-01' or '01/04/2023')",
        column=name,
        values=[str(what)],
    )


class DateReader:
    """Reads date columns with one set of written forms, remembering recent dictionaries.

    Batches of one file often share their dictionary of distinct values (an
    Arrow table sliced into batches, a categorical column): its values are
    parsed once and reused.
    """

    def __init__(self, date_format: object = None) -> None:
        self.formats = formats_of(date_format)
        self._recent: list[tuple[pa.Array, np.ndarray]] = []

    def _values(self, values: pa.Array, name: str | None) -> np.ndarray:
        """Day numbers of an Arrow array of distinct values (the dictionary of a column)."""
        for known, days in self._recent:
            if len(known) == len(values) and known.type == values.type and known.equals(values):
                return days
        days = self._array(values, name, distinct=True)
        self._recent = [(values, days), *self._recent[:3]]
        return days

    def _array(self, arr: pa.Array, name: str | None, *, distinct: bool = False) -> np.ndarray:
        kind = _kind_of_type(arr.type)
        if kind == "temporal":
            return _arrow_temporal(arr)
        if kind == "text":
            if not distinct and len(arr) > _ENCODE_ABOVE:  # parse each distinct value once
                return self._text(arr, name)
            return parse_text(arr, self.formats)[0]
        if kind == "number":
            values = arr.cast(pa.float64()).fill_null(np.nan).to_numpy(zero_copy_only=False)
            return _with_nulls(_numbers(values, self.formats), arr)
        if kind == "null":
            return np.full(len(arr), DAY_MISSING, dtype=np.int64)
        if pa.types.is_dictionary(arr.type):
            return self._dictionary(cast(pa.DictionaryArray, arr), name)
        if isinstance(arr.type, pa.BaseExtensionType):  # pandas periods kept by Arrow
            return self.read(arr.to_pandas(), name=name)
        raise _wrong_type(name, f"values of type {arr.type}")

    def _text(self, arr: pa.Array, name: str | None) -> np.ndarray:
        """Day numbers of a long text column: fixed layouts from the bytes, the rest by value.

        Values in the fixed layouts of the ``iso`` and ``uk`` forms (``2023-04-01``,
        ``01/04/2023 10:20``) are read row by row from their bytes, which costs less
        than hashing a column of mostly distinct date-times; the others (and those
        whose fields are not a date) are parsed once per distinct value. With only
        named forms, no other form can read a value of these layouts, so the result
        is :func:`parse_text`'s.
        """
        patterns = {"iso": _ISO, "uk": _UK}
        fast = [patterns[f] for f in self.formats if f in patterns]
        plain = pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)
        if not fast or not plain or not set(self.formats) <= set(FORMS):
            return self._dictionary(arr.dictionary_encode(), name)
        days = np.full(len(arr), DAY_BAD, dtype=np.int64)
        done = np.zeros(len(arr), dtype=bool)
        for pattern in fast:
            d, _, hit = _fixed_width(arr, pattern)
            at = np.flatnonzero(hit)[d != DAY_BAD]
            days[at] = d[d != DAY_BAD]
            done[at] = True
        if done.all():
            return days
        rest = np.flatnonzero(~done)
        days[rest] = self._dictionary(arr.take(rest).dictionary_encode(), name)
        return days

    def _dictionary(self, arr: pa.DictionaryArray, name: str | None) -> np.ndarray:
        parsed = np.append(self._values(arr.dictionary, name), DAY_MISSING)
        idx = arr.indices.fill_null(-1).to_numpy(zero_copy_only=False)
        return parsed[idx]

    def read(self, col: Any, *, name: str | None = None) -> np.ndarray:
        """Day numbers of a column: ``DAY_MISSING`` if null or blank, ``DAY_BAD`` if not a date.

        Raises
        ------
        ColumnValueError
            For a column whose type holds no dates (booleans, durations, lists),
            naming the column and its type.
        """
        col = _single(col)
        if isinstance(col, pa.Array):
            return self._array(col, name)
        if not isinstance(col, pd.Series):
            col = pd.Series(col)
        dtype = col.dtype
        if isinstance(dtype, pd.CategoricalDtype):
            cats = self._index(col.cat.categories, name)
            return np.append(cats, DAY_MISSING)[col.cat.codes.to_numpy()]
        if isinstance(dtype, pd.PeriodDtype):
            return pd.PeriodIndex(col).asfreq("D", how="start").asi8.copy()  # NaT is DAY_MISSING
        if isinstance(dtype, np.dtype) and dtype.kind == "M":
            values = col.to_numpy()
            days = values.astype("datetime64[D]").astype(np.int64)
            days[np.isnat(values)] = DAY_MISSING
            return days
        if isinstance(dtype, pd.DatetimeTZDtype | pd.ArrowDtype | pd.StringDtype):
            return self._array(_single(pa.array(col, from_pandas=True)), name)
        if isinstance(dtype, np.dtype) and dtype.kind in "iuf":
            return _numbers(col.to_numpy(dtype=float, na_value=np.nan), self.formats)
        if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
            return _numbers(col.to_numpy(dtype=float, na_value=np.nan), self.formats)
        if isinstance(dtype, np.dtype) and dtype.kind == "O":
            codes, uniques = factorize(col, name=name)
            parsed = np.append(self._objects(uniques, name), DAY_MISSING)
            return parsed[codes]
        raise _wrong_type(name, f"values of type {dtype}")

    def _index(self, index: pd.Index, name: str | None) -> np.ndarray:
        return self.read(pd.Series(index, dtype=index.dtype), name=name)

    def _objects(self, uniques: np.ndarray, name: str | None) -> np.ndarray:
        uniques = np.asarray(uniques, dtype=object)
        try:
            text = pa.array(uniques, type=pa.string(), from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            return _object_values(uniques, self.formats)
        return self._values(text, name)


def bad_examples(col_days: np.ndarray, col: Any, limit: int = 5) -> list[object]:
    """Up to ``limit`` distinct raw values of a column whose day is ``DAY_BAD``, as text."""
    bad = np.flatnonzero(col_days == DAY_BAD)
    if not len(bad):
        return []
    col = _single(col)
    out: list[object] = []
    step = bad if len(bad) <= 4096 else bad[:4096]
    if isinstance(col, pa.Array):
        values = col.take(step).to_pylist()
    else:
        values = pd.Series(col).iloc[step].tolist()
    for v in values:
        text = v if isinstance(v, str) else str(v)
        if text not in out:
            out.append(text)
            if len(out) == limit:
                break
    return out


def dates_to_days(
    col: Any, *, date_format: object = None, name: str | None = None
) -> tuple[np.ndarray, list[object]]:
    """Whole days since 1970-01-01 for each row, with examples of the values that are not dates.

    See the module docstring for the types and written forms read.

    Returns
    -------
    days : numpy.ndarray of int64
        Day numbers; ``DAY_MISSING`` where null or blank, ``DAY_BAD`` where the
        value is not a date.
    bad_examples : list of str
        Up to five distinct raw values that are not dates.
    """
    days = DateReader(date_format).read(col, name=name)
    return days, bad_examples(days, col)


@functools.lru_cache(maxsize=256)
def _text_day(value: str) -> tuple[int, int]:
    """The day number and the kind of one date written as text (options repeat across calls)."""
    days, kind = parse_text(pa.array([value], type=pa.string()), DEFAULT_FORMS)
    return int(days[0]), int(kind[0])


def day_of(value: object, name: str) -> int | None:
    """One date given as an option (``start``, ``end``, a ``date_range`` bound) as a day number.

    Text is read as ISO 8601 (``2023-04-01``) or day first (``01/04/2023``),
    never month first; a date, datetime, pandas Timestamp or numpy datetime64
    is taken as it is (with a time zone, its Europe/London date).

    Raises
    ------
    OptionError
        For a number (``20230401``), a month (``2023-04``), a two-digit year
        (``01/04/23``) or anything that is not one date, naming the option.
    """
    if value is None:
        return None
    expected = "expected an ISO date such as '2023-04-01' or a day-first '01/04/2023'"
    if isinstance(value, bool | np.bool_):
        raise OptionError(f"{name}={value!r} is not a date; {expected}", values=[value])
    if isinstance(value, bool | int | float | np.number):
        raise OptionError(
            f"{name}={value!r} is a number, not a date; {expected} (as text)", values=[value]
        )
    if isinstance(value, str):
        day, kind = _text_day(value)
        if day in (DAY_MISSING, DAY_BAD):
            raise OptionError(f"{name}={value!r} is not a date; {expected}", values=[value])
        if kind == KIND_MONTH:
            raise OptionError(
                f"{name}={value!r} is a month, which does not say which day; give the day "
                f"(e.g. '{value}-01')",
                values=[value],
            )
        if kind == KIND_SHORT_YEAR:
            raise OptionError(
                f"{name}={value!r} has a two-digit year, which does not say the century; write "
                "the year in full",
                values=[value],
            )
        return day
    if isinstance(value, _dt.datetime | _dt.date | np.datetime64) and not pd.isna(value):
        day = int(_object_values(np.array([value], dtype=object), DEFAULT_FORMS)[0])
        if day not in (DAY_MISSING, DAY_BAD):
            return day
    raise OptionError(
        f"{name}={value!r} is not a date; {expected}, or a datetime.date", values=[value]
    )
