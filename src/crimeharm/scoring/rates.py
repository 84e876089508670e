"""Rates per resident: harm and crimes per ``per`` residents of each area."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from crimeharm.errors import MissingColumnError, OptionError

__all__ = ["add_rates"]


def add_rates(
    out: pd.DataFrame, by: Sequence[str], population: pd.DataFrame | pd.Series, *, per: float
) -> None:
    """Add ``population``, ``harm_days_per_<per>`` and ``crimes_per_<per>`` to ``out``, in place.

    Parameters
    ----------
    out : pandas.DataFrame
        A result of :func:`crimeharm.harm_index` (its ``by`` columns, ``crimes``
        and ``harm_days``; ``period`` when the population has one).
    by : sequence of str
        The area columns to join the population on.
    population : pandas.DataFrame or pandas.Series
        The ``by`` column(s) and ``population`` (residents), optionally by
        ``period``; a Series indexed by area is read as its population.
    per : float
        Rate base in residents (e.g. 100,000).

    Raises
    ------
    MissingColumnError
        When the population lacks the ``by`` columns or ``population``.
    OptionError
        When an area has no population, a population is not positive, or an
        area appears twice.
    """
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
    if "period" in population.columns and "period" in out.columns:
        keys.append("period")
    pop = population[[*keys, "population"]]
    if pop.duplicated(keys).any():
        raise OptionError(f"population has duplicate rows for {keys}")
    merged = out[keys].merge(pop, on=keys, how="left")
    values = pd.to_numeric(merged["population"], errors="coerce").to_numpy(dtype=float)
    areas = out[keys]
    missing = np.isnan(values) & areas.notna().all(axis=1).to_numpy()
    if missing.any():
        examples = areas[missing].drop_duplicates().head(5).to_dict("records")
        raise OptionError(
            f"population missing or not a number for {int(missing.sum())} row(s), e.g. {examples}"
        )
    if (values[~np.isnan(values)] <= 0).any():
        raise OptionError("population must be positive")
    label = str(int(per)) if float(per).is_integer() else f"{per:g}"
    out["population"] = values
    out[f"harm_days_per_{label}"] = out["harm_days"].to_numpy() / values * per
    out[f"crimes_per_{label}"] = out["crimes"].to_numpy() / values * per
