"""The areas table for an allocation: harm and crimes per area over a window of whole months."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from crimeharm.allocation.formula import _listing, _require
from crimeharm.errors import AllocationError
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
from crimeharm.scoring.sums import harm_index
from crimeharm.weights.table import WeightTable

__all__ = ["area_harm"]

#: The scoring options area_harm passes on (it sets the window itself).
_SCORE_ARGUMENTS = SCORE_ARGUMENTS - {"start", "end"}


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
    ``months``; ``date`` is required.

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
        start=first.start_time.date().isoformat(),
        end=last.end_time.date().isoformat(),
        encoding=encoding,
        sep=sep,
        **score_options,
    )
    out = pd.DataFrame(
        {
            "area": table[area].astype(object).to_numpy(),
            "harm": table["harm_days"].to_numpy(),
            "crimes": table["crimes"].to_numpy(),
        }
    )
    if out["area"].isna().any():
        n = int(table.loc[table[area].isna(), ["crimes"]].sum().iloc[0])
        raise AllocationError(
            f"{n:,} included crime(s) have no {area!r}: give every record an area"
        )
    if population is not None:
        _require(population, area)
        _require(population, "population")
        pop = population[[area, "population"]].rename(columns={area: "area"})
        out = out.merge(pop, on="area", how="left")
        missing = out.loc[out["population"].isna(), "area"].tolist()
        if missing:
            raise AllocationError(f"population missing for area(s) {_listing(missing)}")
    meta = table.attrs["crimeharm"]
    window = parse_period(f"rolling:{months}m").labels([last.ordinal])[0]
    out.attrs = {
        "edition": meta["edition"],
        "edition_sha256": meta["edition_sha256"],
        "window": window,
        "summary": meta["summary"],
    }
    return out
