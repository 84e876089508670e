"""Split a funding pot across areas by a weighted formula of harm, crime rate and population.

This is the use of the index in the Leicestershire CSP funding report (December 2022): 65% of
the pot in proportion to each area's 3-year CHI sum, 20% in proportion to crimes per 1,000
residents, 15% in proportion to population. Money is held as exact Python integers (pence) and
rationals until it is rounded; the rounding rule is stated in :func:`allocate` and in
``docs/allocation.md``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from fractions import Fraction

import numpy as np
import pandas as pd

from crimeharm.allocation import money
from crimeharm.allocation.money import ROUNDING_RULE, Number
from crimeharm.errors import AllocationError, MissingColumnError

__all__ = ["BUILTIN_TERMS", "ROUNDING_RULE", "allocate", "allocation_sensitivity"]

BUILTIN_TERMS = ("harm", "crime_rate", "population")
_PROVENANCE = ("edition", "edition_sha256", "window")
_WEIGHT_TOLERANCE = Fraction(1, 10**9)


def allocate(
    areas: pd.DataFrame,
    *,
    total: Number,
    terms: Mapping[str, Number],
    area: str = "area",
    harm: str = "harm",
    crimes: str = "crimes",
    population: str = "population",
    floor: float | None = None,
    cap: float | None = None,
    current: str | None = None,
    edition: str | None = None,
    edition_sha256: str | None = None,
    window: str | None = None,
) -> pd.DataFrame:
    """Allocate a pot of money (GBP) across areas by a weighted formula, to the penny.

    Each term ``t`` with weight ``w_t`` receives ``w_t x total``; that money is split across
    areas in proportion to the area's value over the sum of all areas' values. The exact
    (rational) amounts are rounded to pence so that area amounts add up to ``total`` exactly.

    Parameters
    ----------
    areas : pandas.DataFrame
        One row per area.
    total : number or str
        The pot in GBP; positive, a whole number of pence and at most
        :data:`~crimeharm.allocation.money.MAX_TOTAL_GBP` (10 trillion).
    terms : mapping of str to float
        Term name to weight; weights in [0, 1] that sum to 1 (tolerance 1e-9; they are then
        normalised exactly). Built-in terms: ``harm`` (the ``harm`` column, CHI days),
        ``crime_rate`` (crimes per 1,000 residents, exact), ``population``; any other name is
        a numeric column of ``areas``.
    area, harm, crimes, population : str
        Column names of the area name, harm sum, crime count and resident population.
    floor, cap : float, optional
        Least and most (GBP, whole pence, at most ``MAX_TOTAL_GBP``) any area gets. Areas below the
        floor are raised to it and areas above the cap cut to it; the difference is taken from (or
        given to) the other areas in proportion to their formula amounts, repeated until stable. The
        term amounts stay the formula's; the change shows in ``adjustment``.
    current : str, optional
        Column of current allocations (GBP) to compare with: adds ``change_gbp`` and
        ``change_pct``.
    edition, edition_sha256, window : str, optional
        Provenance of the harm figures, recorded in ``attrs``; taken from ``areas.attrs`` when
        not given.

    Returns
    -------
    pandas.DataFrame
        The audit table, one row per area in input order: ``area``; per term ``<term>_value``,
        ``<term>_share`` (of the term's total), ``<term>_amount`` (GBP) and ``<term>_gbp_per_unit``
        (GBP per unit of the term's value); ``amount`` (GBP, float), ``amount_pence`` (int64) and
        ``amount_decimal`` (GBP, exact: an Arrow ``decimal128(16, 2)`` column whose ``sum()`` is the
        pot). With floor or cap: ``formula_amount``, ``adjustment`` (GBP,
        ``amount - formula_amount``) and ``limit`` (``"floor"``, ``"cap"`` or ``""``); with
        ``current``:
        ``current``, ``change_gbp``, ``change_pct`` (NaN where current is 0). ``attrs`` holds the
        formula, the total, the term pots in pence, GBP per unit, the rounding rule and provenance.

    Raises
    ------
    AllocationError
        Weights that do not sum to 1, an unknown term, a total that is not positive, a total,
        floor or cap beyond ``MAX_TOTAL_GBP``, a missing, non-numeric or negative value, a
        population that is not positive, duplicate areas, a term that is zero in every area, or
        floors and caps that cannot be met.
    MissingColumnError
        A column the formula needs is absent (the message lists those present).

    Notes
    -----
    Rounding rule, in integer pence. Let ``q[a, t]`` be the exact share of term ``t`` for area
    ``a`` and ``Q[a]`` its row sum. (1) Area amounts: every area gets ``floor(Q[a])``; the pennies
    left go one each to the areas with the largest remainders ``Q[a] - floor(Q[a])``, ties to the
    area whose name sorts first (largest-remainder, Hamilton). (2) Term pots: the same method on
    ``w_t x total``, ties by term name. (3) Term amounts: each cell starts at ``floor(q[a, t])``;
    the pennies missing from each area's amount and each term's pot are placed so as to (i) put the
    fewest pennies outside ``[floor(q), ceil(q)]`` (none when that is possible), then (ii) minimise
    the total rounding error ``sum |amount - q|``, then (iii) prefer cells earlier in (area name,
    term name) order; pennies that must fall outside go to the first cells in that order whose area
    and term still lack one. Rows then add to the area amounts and columns to the term pots exactly
    (see :func:`crimeharm.allocation.money.round_cells`; ``O(n log n)``). With a floor or cap, step
    (1) is applied to the clipped exact amounts; floors and caps are whole pence, so they hold
    exactly.

    Examples
    --------
    >>> import pandas as pd
    >>> areas = pd.DataFrame({"area": ["A", "B", "C"], "harm": [100.0, 100.0, 400.0],
    ...                       "crimes": [10, 60, 60], "population": [1000, 2000, 1000]})
    >>> out = allocate(areas, total=1000,
    ...                terms={"harm": 0.6, "crime_rate": 0.2, "population": 0.2})
    >>> out[["area", "harm_amount", "crime_rate_amount", "population_amount", "amount"]]
      area  harm_amount  crime_rate_amount  population_amount  amount
    0    A        100.0               20.0               50.0   170.0
    1    B        100.0               60.0              100.0   260.0
    2    C        400.0              120.0               50.0   570.0
    >>> int(out["amount_pence"].sum())
    100000
    """
    pot = money.pence(total, "total")
    if pot <= 0:
        raise AllocationError(f"total must be positive; got {total!r} GBP")
    weights = _weights(terms)
    names, keys = _area_names(areas, area)
    columns = {"area": area, "harm": harm, "crimes": crimes, "population": population}
    values, floats = _term_values(areas, weights, names, columns)
    limited = floor is not None or cap is not None
    if limited:
        lo = money.pence(floor, "floor") if floor is not None else 0
        hi = money.pence(cap, "cap") if cap is not None else None
    order = sorted(range(len(names)), key=keys.__getitem__)  # name order: rounding tie-breaks
    tnames = sorted(weights)  # term name order: rounding tie-breaks
    shares, quota, part = [], {}, {}
    for t in tnames:  # exact share (pence) of every area, in name order, over one denominator
        v, w = values.pop(t), weights[t]  # the exact values are not needed after this
        whole = sum(v.numerators)
        part[t] = money.quotients(v.numerators, whole)  # value / sum of values
        each = pot * w.numerator  # pence per unit: each / per x the value's denominator
        per = w.denominator * whole
        common = math.gcd(each, per)
        each, per = each // common, per // common
        shares.append(money.Exact([each * v.numerators[i] for i in order], per))
        quota[t] = (each * v.denominator, per)
        del v
    table = money.Table(shares)
    del shares  # the table holds them as floors and remainders
    formula_pence = table.row_amounts(pot)
    term_pence = money.hamilton(money.Exact.of([pot * weights[t] for t in tnames]), pot)
    cells = table.cells(formula_pence, term_pence)
    area_pence, labels = formula_pence, [""] * len(order)
    if limited:
        row, labels = money.limit(table.row_sums(), pot, lo, hi)
        area_pence = money.hamilton(row, pot)

    position = np.empty(len(order), dtype=np.int64)
    position[order] = np.arange(len(order))  # input row -> row in name order
    out = pd.DataFrame({area: areas[area].to_numpy(dtype=object)})
    for t in weights:  # columns in formula order
        value = floats[t]
        pence = np.array(cells[tnames.index(t)], dtype=np.int64)[position]
        out[f"{t}_value"] = value
        out[f"{t}_share"] = part[t]
        out[f"{t}_amount"] = pence / 100
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            out[f"{t}_gbp_per_unit"] = np.where(value > 0, pence / 100 / value, np.nan)
    amount = np.array(area_pence, dtype=np.int64)[position]
    if limited:
        formula = np.array(formula_pence, dtype=np.int64)[position]
        out["formula_amount"] = formula / 100
        out["adjustment"] = (amount - formula) / 100
        out["limit"] = np.array(labels, dtype=object)[position]
    out["amount"] = amount / 100
    out["amount_pence"] = amount
    out["amount_decimal"] = pd.arrays.ArrowExtensionArray(money.decimal_gbp(amount))
    if current is not None:
        now = _column(areas, current, names, term=None)[1]
        out["current"] = now
        out["change_gbp"] = ((out["amount_pence"] - np.round(now * 100)) / 100).round(2)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            out["change_pct"] = np.where(now > 0, 100 * (out["amount"] - now) / now, np.nan)
    out.attrs = {
        "formula": {"terms": {t: float(weights[t]) for t in weights}, "columns": columns},
        "total_gbp": pot / 100,
        "total_pence": pot,
        "term_pots_pence": {t: term_pence[tnames.index(t)] for t in weights},
        "gbp_per_unit": {t: money.ratio(quota[t][0], quota[t][1] * 100) for t in weights},
        "rounding": ROUNDING_RULE,
    }
    if limited:
        out.attrs.update(floor_gbp=lo / 100, cap_gbp=None if hi is None else hi / 100)
    given = {"edition": edition, "edition_sha256": edition_sha256, "window": window}
    for key in _PROVENANCE:
        record = given[key] if given[key] is not None else areas.attrs.get(key)
        if record is not None:
            out.attrs[key] = str(record)
    return out


def allocation_sensitivity(
    areas: pd.DataFrame,
    *,
    total: Number,
    terms: Mapping[str, Number],
    step: float = 0.05,
    area: str = "area",
    harm: str = "harm",
    crimes: str = "crimes",
    population: str = "population",
    floor: float | None = None,
    cap: float | None = None,
) -> pd.DataFrame:
    """Each area's amount (GBP) when each term's weight moves up and down by ``step``.

    The moved weight is clipped to [0, 1] and the other weights are rescaled in proportion so
    that all still sum to 1 (if the others are all zero, they share the difference equally).

    Parameters
    ----------
    areas, total, terms
        As for :func:`allocate`.
    step : float
        The change in weight, in (0, 1).
    area, harm, crimes, population, floor, cap
        As for :func:`allocate`.

    Returns
    -------
    pandas.DataFrame
        ``area``, ``amount`` (GBP, the formula as given), per term ``<term>_up`` and
        ``<term>_down`` (GBP), and ``low``/``high``: the least and most over all of them.
        ``attrs["scenarios"]`` gives the weights used for each column.

    Examples
    --------
    >>> import pandas as pd
    >>> areas = pd.DataFrame({"area": ["A", "B"], "harm": [3, 1], "population": [1, 1]})
    >>> allocation_sensitivity(areas, total=100, terms={"harm": 0.5, "population": 0.5},
    ...                        step=0.1)
      area  amount  harm_up  harm_down  population_up  population_down   low  high
    0    A    62.5     65.0       60.0           60.0             65.0  60.0  65.0
    1    B    37.5     35.0       40.0           40.0             35.0  35.0  40.0
    """
    weights = _weights(terms)
    moved = money.exact(step, "step")
    if not 0 < moved < 1:
        raise AllocationError(f"step must be between 0 and 1; got {step!r}")

    def run(terms: Mapping[str, Number]) -> pd.DataFrame:
        return allocate(
            areas,
            total=total,
            terms=terms,
            area=area,
            harm=harm,
            crimes=crimes,
            population=population,
            floor=floor,
            cap=cap,
        )

    base = run(weights)
    out = base[[area, "amount"]].copy()
    scenarios: dict[str, dict[str, float]] = {}
    for t in weights:
        for label, sign in (("up", 1), ("down", -1)):
            changed = _shift(weights, t, sign * moved)
            result = run(changed)
            out[f"{t}_{label}"] = result["amount"].to_numpy()
            scenarios[f"{t}_{label}"] = {u: float(w) for u, w in changed.items()}
    amounts = out.drop(columns=[area])
    out["low"] = amounts.min(axis=1)
    out["high"] = amounts.max(axis=1)
    out.attrs = {**base.attrs, "step": float(moved), "scenarios": scenarios}
    return out


def _shift(weights: Mapping[str, Fraction], term: str, delta: Fraction) -> dict[str, Fraction]:
    """Move one weight by ``delta`` (clipped to [0, 1]) and rescale the rest to keep the sum 1."""
    old = weights[term]
    new = min(max(old + delta, Fraction(0)), Fraction(1))
    others = [u for u in weights if u != term]
    if not others:
        return dict(weights)
    rest = 1 - old
    out = {u: (weights[u] * (1 - new) / rest if rest else (1 - new) / len(others)) for u in others}
    out[term] = new
    return {u: out[u] for u in weights}


def _weights(terms: Mapping[str, object]) -> dict[str, Fraction]:
    """Exact weights, checked to lie in [0, 1] and sum to 1, then normalised exactly."""
    if not isinstance(terms, Mapping) or not terms:
        raise AllocationError("terms must map at least one term name to its weight")
    weights = {str(t): money.exact(w, f"weight of term {t!r}") for t, w in terms.items()}
    for t, w in weights.items():
        if not 0 <= w <= 1:
            raise AllocationError(f"weight of term {t!r} must be between 0 and 1; got {float(w):g}")
    total = sum(weights.values(), Fraction(0))
    if abs(total - 1) > _WEIGHT_TOLERANCE:
        listed = ", ".join(f"{t}={float(w):g}" for t, w in weights.items())
        raise AllocationError(f"term weights must sum to 1; {listed} sum to {float(total):.10g}")
    return {t: w / total for t, w in weights.items()}


def _area_names(areas: pd.DataFrame, area: str) -> tuple[list[object], list[str]]:
    """Return the area names (and their text sort keys), refusing missing and duplicate names."""
    if not isinstance(areas, pd.DataFrame):
        raise AllocationError(f"areas must be a pandas DataFrame; got {type(areas).__name__}")
    _require(areas, area)
    if areas.empty:
        raise AllocationError("areas has no rows; nothing to allocate to")
    names = areas[area].tolist()
    missing = np.flatnonzero(areas[area].isna().to_numpy()).tolist()
    if missing:
        raise AllocationError(f"area column {area!r} is empty in row(s) {missing[:5]} (0-based)")
    keys = [str(n) for n in names]
    seen = pd.Series(keys)
    dup = sorted(set(seen[seen.duplicated()]))
    if dup:
        raise AllocationError(f"duplicate areas in column {area!r}: {_listing(dup)}")
    return names, keys


def _require(frame: pd.DataFrame, column: str, why: str = "", *, source: str = "areas") -> None:
    """Raise when ``frame`` (``source``: areas or population) has no ``column``, with the data."""
    if column not in frame.columns:
        present = ", ".join(repr(str(c)) for c in frame.columns)
        raise MissingColumnError(
            f"no column {column!r}{why} in {source}; columns present: {present}",
            path=source,
            column=column,
            values=[column],
            allowed=list(frame.columns),
        )


def _listing(items: Sequence[object], limit: int = 5) -> str:
    shown = ", ".join(repr(i) for i in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _column(
    areas: pd.DataFrame, column: str, names: list[object], *, term: str | None
) -> tuple[money.Exact, np.ndarray]:
    """Return a column as exact non-negative numbers, and as floats; errors name the area.

    Integer columns are taken as Python integers, float columns as the exact binary value of
    each float (so huge and denormal values are exact too).
    """
    why = f" (for term {term!r})" if term else ""
    _require(areas, column, why)
    raw = areas[column]
    if pd.api.types.is_bool_dtype(raw):
        raise AllocationError(f"column {column!r}{why} is true/false, not numeric")
    number = pd.to_numeric(raw, errors="coerce")
    missing = number.isna().to_numpy()
    bad = np.flatnonzero(missing & ~raw.isna().to_numpy()).tolist()
    if bad:
        where = ", ".join(f"{names[i]!r} ({raw.iloc[i]!r})" for i in bad[:5])
        raise AllocationError(f"column {column!r}{why} has non-numeric values for area(s) {where}")
    floats = number.fillna(0).to_numpy(dtype=float)
    for test, problem in (
        (missing, "a missing value"),
        (~np.isfinite(floats), "an infinite value"),
        (floats < 0, "a negative value"),
    ):
        hit = [names[i] for i in np.flatnonzero(test)]
        if hit:
            raise AllocationError(
                f"column {column!r}{why} has {problem} for area(s) {_listing(hit)}"
            )
    if pd.api.types.is_integer_dtype(number.dtype):
        return money.Exact([int(v) for v in number.tolist()], 1), floats
    return money.from_floats(floats), floats


def _term_values(
    areas: pd.DataFrame,
    weights: Mapping[str, Fraction],
    names: list[object],
    columns: Mapping[str, str],
) -> tuple[dict[str, money.Exact], dict[str, np.ndarray]]:
    """Each term's exact value per area, in input order, and the same as floats."""
    out: dict[str, money.Exact] = {}
    floats: dict[str, np.ndarray] = {}
    for t in weights:
        if t in ("harm", "population"):
            values, floats[t] = _column(areas, columns[t], names, term=t)
        elif t == "crime_rate":
            crimes, _ = _column(areas, columns["crimes"], names, term=t)
            values = residents = _column(areas, columns["population"], names, term=t)[0]
        elif t in areas.columns and t != columns["area"]:
            values, floats[t] = _column(areas, t, names, term=t)
        else:
            usable = [str(c) for c in areas.columns if c != columns["area"]]
            raise AllocationError(
                f"unknown term {t!r}: not a built-in term ({', '.join(BUILTIN_TERMS)}) "
                f"nor a column of areas ({', '.join(usable) or 'none'})"
            )
        if t in ("population", "crime_rate"):
            zero = [names[i] for i, p in enumerate(values.numerators) if p <= 0]
            if zero:
                raise AllocationError(
                    f"population (column {columns['population']!r}) must be positive; "
                    f"it is zero for area(s) {_listing(zero)}"
                )
        if t == "crime_rate":  # 1000 x crimes / population, exact, over one denominator
            people = set(residents.numerators)
            common = math.lcm(*people)
            times = {p: common // p for p in people}
            k = 1000 * residents.denominator
            pairs = list(zip(crimes.numerators, residents.numerators, strict=True))
            values = money.Exact([k * c * times[p] for c, p in pairs], crimes.denominator * common)
            floats[t] = _rates(crimes, residents)
        if not any(values.numerators):
            raise AllocationError(
                f"term {t!r} is zero in every area, so its shares are undefined (0/0); "
                "drop the term or fix the data"
            )
        out[t] = values
    return out, floats


def _rates(crimes: money.Exact, residents: money.Exact) -> np.ndarray:
    """``1000 x crimes / population`` as floats, correctly rounded (``inf`` beyond the range)."""
    top = [1000 * residents.denominator * c for c in crimes.numerators]
    bottom = [crimes.denominator * p for p in residents.numerators]
    if max(top) < 2**53 and max(bottom) < 2**53:  # exact operands: one rounding
        return np.array(top, dtype=float) / np.array(bottom, dtype=float)
    return np.array([money.ratio(x, y) for x, y in zip(top, bottom, strict=True)])
