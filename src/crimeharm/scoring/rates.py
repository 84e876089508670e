"""Rates per resident: harm and crimes per ``per`` residents of each area."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Literal, cast

import numpy as np
import pandas as pd

from crimeharm.errors import MissingColumnError, MissingPopulationWarning, OptionError

__all__ = ["MissingPolicy", "add_rates"]

#: What a row whose area (or period) has no population gets.
MissingPolicy = Literal["raise", "nan"]


def add_rates(
    out: pd.DataFrame,
    by: Sequence[str],
    population: pd.DataFrame | pd.Series,
    *,
    per: float,
    values: Sequence[str] = ("harm_days", "crimes"),
    missing: MissingPolicy = "raise",
) -> None:
    """Add ``population`` and ``<value>_per_<per>`` for each of ``values`` to ``out``, in place.

    Parameters
    ----------
    out : pandas.DataFrame
        A result of :func:`crimeharm.harm_index` or :func:`crimeharm.series`
        (its ``by`` columns and ``values``; ``period`` or ``period_start``
        when the population is by period or year).
    by : sequence of str
        The area columns to join the population on.
    population : pandas.DataFrame or pandas.Series
        The ``by`` column(s) and ``population`` (residents), optionally by
        ``period`` (labels as in ``out``) or by ``year`` (a period takes the
        population of the calendar year it starts in); a Series indexed by
        area is read as its population.
    per : float
        Rate base in residents (e.g. 100,000).
    values : sequence of str
        The columns to turn into rates (``harm_days`` and ``crimes``).
    missing : {'raise', 'nan'}
        A row whose area (or period) has no population: an error naming them,
        or NaN rates and a :class:`~crimeharm.MissingPopulationWarning`.

    Raises
    ------
    MissingColumnError
        When the population lacks the ``by`` columns or ``population``.
    OptionError
        When an area has no population (with ``missing='raise'``), a
        population is not positive, or an area appears twice.
    """
    OptionError.check_choice("missing", missing, MissingPolicy)
    if isinstance(population, pd.Series):
        population = population.rename("population").reset_index()
    if not isinstance(population, pd.DataFrame):
        raise OptionError("population must be a DataFrame with the by column(s) and 'population'")
    keys = [c for c in by if c in population.columns]
    if not keys or "population" not in population.columns:
        raise MissingColumnError(
            f"population needs the by column(s) {list(by)} and a 'population' column; "
            f"it has {list(population.columns)}"
        )
    MissingColumnError.check(list(out.columns), values, source="table", what="rate ")
    left = out[keys].copy()
    if "period" in population.columns and "period" in out.columns:
        keys.append("period")
        left["period"] = out["period"].astype(object)
        # pandas-stubs give assign() no type; it returns the frame
        population = cast(
            pd.DataFrame, population.assign(period=population["period"].astype(object))
        )
    elif "year" in population.columns and "period_start" in out.columns:
        keys.append("year")
        left["year"] = pd.to_datetime(out["period_start"]).dt.year.astype("Int64")
        year = pd.to_numeric(population["year"]).astype("Int64")
        population = cast(pd.DataFrame, population.assign(year=year))
    pop = population[[*keys, "population"]]
    if pop.duplicated(keys).any():
        dup = pop[pop.duplicated(keys, keep=False)][keys].drop_duplicates().head(5)
        raise OptionError(
            f"population has duplicate rows for {keys}, e.g. {dup.to_dict('records')}"
        )
    for k in keys:  # join on values, whatever the categories of either side
        if isinstance(left[k].dtype, pd.CategoricalDtype):
            left[k] = left[k].astype(object)
    merged = left.merge(pop, on=keys, how="left")
    residents = pd.to_numeric(merged["population"], errors="coerce").to_numpy(dtype=float)
    lacking = np.isnan(residents) & left.notna().all(axis=1).to_numpy()
    if lacking.any():
        absent = left[lacking].drop_duplicates()
        examples = absent.head(10).to_dict("records")
        message = (
            f"population missing or not a number for {int(lacking.sum())} row(s), "
            f"{len(absent)} distinct {'/'.join(keys)}: {examples}"
        )
        if missing == "raise":
            raise OptionError(
                message + " (pass missing='nan' for NaN rates there)",
                values=examples,
                allowed=pop[keys].drop_duplicates().head(20).to_dict("records"),
            )
        warnings.warn(
            MissingPopulationWarning(
                message + ": their rates are NaN", missing=absent.to_dict("records")
            ),
            stacklevel=3,
        )
    if (residents[~np.isnan(residents)] <= 0).any():
        raise OptionError("population must be positive")
    label = str(int(per)) if float(per).is_integer() else f"{per:g}"
    out["population"] = residents
    for value in values:
        out[f"{value}_per_{label}"] = out[value].to_numpy(dtype=float) / residents * per
