"""The areas table for an allocation: harm and crimes per area over a window of whole months."""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd

from crimeharm.allocation.formula import _listing, _require
from crimeharm.errors import AllocationError, ShortDataWarning
from crimeharm.scoring.options import (
    DEFAULT_DATE_RANGE,
    SCORE_ARGUMENTS,
    CodeSystem,
    DateFormat,
    DateRange,
    DateRule,
    FlagBlank,
    FlagUnknown,
    Lag,
    NegativeCounts,
    PeriodBy,
    UnknownPolicy,
    with_score_parameters,
)
from crimeharm.scoring.periods import parse_period
from crimeharm.scoring.sums import BLANK_AREA, harm_index
from crimeharm.weights.table import WeightTable

__all__ = ["area_harm"]

#: The scoring options area_harm passes on (it sets the window itself).
_SCORE_ARGUMENTS = SCORE_ARGUMENTS - {"start", "end"}


def _warn_uncovered(table: pd.DataFrame, *, months: int, window: str) -> None:
    """A :class:`ShortDataWarning` when the window has months in which no record falls."""
    covered = pd.unique(table["period"].dropna().astype(str))
    if len(covered) >= months:
        return
    span = f"first {min(covered)}, last {max(covered)}" if len(covered) else "none"
    warnings.warn(
        f"the records fall in {len(covered)} of the {months} months of the window {window} "
        f"({span}): harm over the window counts only those months; check that the data "
        "cover the window",
        ShortDataWarning,
        stacklevel=3,
    )


@with_score_parameters
def area_harm(
    records: object,
    *,
    encoding: str = "utf-8",
    sep: str | None = None,
    area: str,
    end: str,
    months: int = 36,
    population: pd.DataFrame | None = None,
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
    unknown: UnknownPolicy = "exclude",
    negative_counts: NegativeCounts = "exclude",
) -> pd.DataFrame:
    """Harm and crimes per area over a window of whole months, ready for :func:`allocate`.

    Parameters
    ----------
    records : DataFrame, Arrow table or path
        Crime records, as for :func:`crimeharm.harm_index`.
    {read_parameters}
    area : str
        Column of the area (e.g. the Community Safety Partnership).
    end : str
        Last month of the window (``"2022-07"`` or any date in that month).
    months : int
        Length of the window in months (36: the LLR report's 3-year cumulative sum).
    population : pandas.DataFrame, optional
        ``area`` and ``population`` columns, joined on (every area must have one).
    {score_parameters}

    The window's own ``start`` and ``end`` are set from ``end`` and
    ``months``; ``date`` is required. When the window has months in which no
    record falls (data that start after the window does, or end before it),
    a :class:`~crimeharm.ShortDataWarning` says how many it covers.

    Returns
    -------
    pandas.DataFrame
        ``area``, ``harm`` (CHI days over the window), ``crimes`` (included crimes over the
        window) and ``population`` if given; ``attrs`` carries ``edition``,
        ``edition_sha256`` and ``window`` (e.g. ``Aug 2019 - Jul 2022``), which
        :func:`allocate` records with its result.

    Examples
    --------
    A year of the bundled (synthetic) example, by neighbourhood:

    >>> import warnings
    >>> from importlib import resources
    >>> import crimeharm
    >>> path = resources.files("crimeharm.data").joinpath("example-records.csv")
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", crimeharm.CrimeHarmWarning)
    ...     areas = area_harm(path, area="neighbourhood", end="2024-03", months=12,
    ...                       date="committed_date")
    >>> areas
            area     harm  crimes
    0     Castle  23445.5    1026
    1  Northgate  51819.5    1686
    2  Riverside  33762.0    1195
    3  Westfield  22241.0     705
    >>> areas.attrs["window"]
    'Apr 2023 - Mar 2024'
    """
    score_options = {k: v for k, v in locals().items() if k in _SCORE_ARGUMENTS}
    if date is None:
        raise AllocationError("area_harm needs date=<column of committed dates>")
    if not isinstance(months, int) or months < 1:
        raise AllocationError(f"months must be a whole number >= 1, got {months!r}")
    try:
        last = pd.Period(str(end), freq="M")
    except (ValueError, TypeError):
        raise AllocationError(f"end={end!r} is not a month (expected e.g. '2022-07')") from None
    first = last - (months - 1)
    table = harm_index(
        records,
        by=area,
        period="month",
        start=first.start_time.date().isoformat(),
        end=last.end_time.date().isoformat(),
        encoding=encoding,
        sep=sep,
        **score_options,
    )
    rolling = parse_period(f"rolling:{months}m")
    assert rolling is not None
    window = str(rolling.labels(np.array([last.ordinal]))[0])
    _warn_uncovered(table, months=months, window=window)
    sums = table.groupby(table[area].astype(object), sort=False)[["harm_days", "crimes"]].sum()
    out = pd.DataFrame(
        {
            "area": sums.index.to_numpy(dtype=object),
            "harm": sums["harm_days"].to_numpy(),
            "crimes": sums["crimes"].to_numpy(),
        }
    )
    blank = table.attrs["crimeharm"]["summary"]["blank_areas"].get(area)
    if blank is not None and blank["crimes"]:
        raise AllocationError(
            f"{blank['crimes']:,} included crime(s) have no {area!r} (blank, null or NaN): "
            "give every record an area"
        )
    if blank is not None:  # excluded records only (the summary counts them): not an area
        out = out[out["area"] != BLANK_AREA].reset_index(drop=True)
    if population is not None:
        _require(population, area, source="population")
        _require(population, "population", source="population")
        pop = population[[area, "population"]].rename(columns={area: "area"})
        out = out.merge(pop, on="area", how="left")
        missing = out.loc[out["population"].isna(), "area"].tolist()
        if missing:
            raise AllocationError(f"population missing for area(s) {_listing(missing)}")
    meta = table.attrs["crimeharm"]
    out.attrs = {
        "edition": meta["edition"],
        "edition_sha256": meta["edition_sha256"],
        "window": window,
        "summary": meta["summary"],
    }
    return out
