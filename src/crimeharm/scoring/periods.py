"""Periods: month, quarter, calendar year, financial year and rolling windows.

Dates arrive as whole days since 1970-01-01 (int64). A period is an integer
id counted from January 1970 in its own unit, so ids are computed for the
distinct days of a column only (a few thousand over a decade) and taken back
to the rows: there is no datetime conversion of the full column.

=====================  ===============================  ====================
period                 id                               label
=====================  ===============================  ====================
``month``              months since 1970-01             ``2022-07``
``quarter``            quarters since 1970 Q1           ``2022-Q3``
``year``               calendar year                    ``2022``
``financial-year``     April-March year, by its start   ``2021/22``
``rolling:36m``        month the window ends            ``Aug 2019 - Jul 2022``
=====================  ===============================  ====================

A rolling window of N months ending in month m covers months m-N+1 to m; its
sums are computed from the monthly sums, so each record counts in every
window that covers its month.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import overload

import numpy as np
import numpy.typing as npt

from crimeharm.errors import PeriodError

__all__ = ["Period", "parse_period"]

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_KINDS = ("month", "quarter", "year", "financial-year")


@dataclass(frozen=True)
class Period:
    """A period kind; ``window`` is the length in months of a rolling window."""

    kind: str
    window: int = 0

    @property
    def base(self) -> str:
        """The unit the records are binned in (rolling windows are built from months)."""
        return "month" if self.kind == "rolling" else self.kind

    @property
    def spec(self) -> str:
        """The specification string, e.g. ``rolling:36m``."""
        return f"rolling:{self.window}m" if self.kind == "rolling" else self.kind

    def ids_from_days(self, days: np.ndarray) -> np.ndarray:
        """Period id of the base unit for each day number (days since 1970-01-01).

        Parameters
        ----------
        days : numpy.ndarray of int
            Day numbers; entries that are not valid must be masked by the caller.

        Returns
        -------
        numpy.ndarray of int64
        """
        days = np.asarray(days, dtype=np.int64)
        if days.size == 0:
            return days.copy()
        lo, hi = int(days.min()), int(days.max())
        table = np.arange(lo, hi + 1, dtype=np.int64).astype("datetime64[D]")
        months = table.astype("datetime64[M]").astype(np.int64)
        table_ids = _month_to(self.base, months)
        return table_ids[days - lo]

    def labels(self, ids: npt.ArrayLike) -> np.ndarray:
        """Labels of period ids (``2022-07``, ``2021/22``, ``Aug 2019 - Jul 2022``)."""
        ids = np.asarray(ids, dtype=np.int64)
        uniq, inv = np.unique(ids, return_inverse=True)
        labels = np.array([self._label(int(i)) for i in uniq], dtype=object)
        return labels[inv]

    def _label(self, i: int) -> str:
        if self.kind == "month":
            y, m = divmod(i, 12)
            return f"{1970 + y:04d}-{m + 1:02d}"
        if self.kind == "quarter":
            y, q = divmod(i, 4)
            return f"{1970 + y:04d}-Q{q + 1}"
        if self.kind == "year":
            return f"{1970 + i:04d}"
        if self.kind == "financial-year":
            y = 1970 + i
            return f"{y:04d}/{(y + 1) % 100:02d}"
        sy, sm = divmod(i - self.window + 1, 12)
        ey, em = divmod(i, 12)
        return f"{_MONTHS[sm]} {1970 + sy:04d} - {_MONTHS[em]} {1970 + ey:04d}"

    def bounds(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """First and last day of each period, as ``datetime64[D]`` arrays."""
        ids = np.asarray(ids, dtype=np.int64)
        if self.kind == "rolling":
            first_month, last_month = ids - self.window + 1, ids
        else:
            per = {"month": 1, "quarter": 3, "year": 12, "financial-year": 12}[self.kind]
            offset = 3 if self.kind == "financial-year" else 0
            first_month = ids * per + offset
            last_month = first_month + per - 1
        start = first_month.astype("datetime64[M]").astype("datetime64[D]")
        end = (last_month + 1).astype("datetime64[M]").astype("datetime64[D]") - np.timedelta64(
            1, "D"
        )
        return start, end


def _month_to(kind: str, months: np.ndarray) -> np.ndarray:
    if kind == "month":
        return months
    if kind == "quarter":
        return months // 3
    if kind == "year":
        return months // 12
    if kind == "financial-year":
        return (months - 3) // 12
    raise PeriodError(f"unknown period {kind!r}")  # pragma: no cover


@overload
def parse_period(spec: str | Period) -> Period: ...
@overload
def parse_period(spec: None) -> None: ...
def parse_period(spec: str | Period | None) -> Period | None:
    """Read a period specification.

    Parameters
    ----------
    spec : str or Period or None
        ``month``, ``quarter``, ``year``, ``financial-year`` (also ``fy``),
        ``rolling:36m`` or ``rolling:3y``; None for no period.

    Examples
    --------
    >>> parse_period("rolling:3y")
    Period(kind='rolling', window=36)
    >>> parse_period("financial-year").labels([51])[0]
    '2021/22'
    """
    if spec is None or isinstance(spec, Period):
        return spec
    text = str(spec).strip().lower().replace("_", "-")
    if text in {"fy", "financial"}:
        text = "financial-year"
    if text in {"calendar-year", "annual"}:
        text = "year"
    if text in _KINDS:
        return Period(text)
    m = re.fullmatch(r"rolling[:\-]?(\d+)\s*([my])", text)
    if m:
        n = int(m.group(1)) * (12 if m.group(2) == "y" else 1)
        if n < 1:
            raise PeriodError(f"rolling window must be at least 1 month, got {spec!r}")
        return Period("rolling", n)
    raise PeriodError(
        f"unknown period {spec!r}; expected one of month, quarter, year, financial-year, "
        "rolling:<N>m (e.g. rolling:36m) or rolling:<N>y"
    )
