"""Split a funding pot across areas by a weighted formula of harm, crime rate and population.

This is the use of the index in the Leicestershire CSP funding report (December 2022): 65% of
the pot in proportion to each area's 3-year CHI sum, 20% in proportion to crimes per 1,000
residents, 15% in proportion to population. Money is handled in integer pence; the rounding
rule is stated in :func:`allocate` and in ``docs/allocation.md``.
"""

from __future__ import annotations

import bisect
import math
import numbers
from collections import deque
from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd

from crimeharm.errors import AllocationError, MissingColumnError

__all__ = ["BUILTIN_TERMS", "ROUNDING_RULE", "allocate", "allocation_sensitivity", "area_harm"]

BUILTIN_TERMS = ("harm", "crime_rate", "population")
_PROVENANCE = ("edition", "edition_sha256", "window")
_WEIGHT_TOLERANCE = Fraction(1, 10**9)
ROUNDING_RULE = (
    "integer pence; area amounts by largest remainder (Hamilton) on exact shares, ties to the "
    "area first by name; term pots likewise, ties by term name; term amounts start at the floor "
    "of their exact share and the missing pennies are placed by a minimum-cost flow so that rows "
    "add to area amounts and columns to term pots, with the fewest pennies outside "
    "floor/ceiling, then the least total rounding error, then earlier areas and terms first"
)


def allocate(
    areas: pd.DataFrame,
    *,
    total: float | str | Decimal,
    terms: Mapping[str, float],
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
        The pot in GBP; positive and a whole number of pence.
    terms : mapping of str to float
        Term name to weight; weights in [0, 1] that sum to 1 (tolerance 1e-9; they are then
        normalised exactly). Built-in terms: ``harm`` (the ``harm`` column, CHI days),
        ``crime_rate`` (crimes per 1,000 residents, exact), ``population``; any other name is
        a numeric column of ``areas``.
    area, harm, crimes, population : str
        Column names of the area name, harm sum, crime count and resident population.
    floor, cap : float, optional
        Least and most (GBP, whole pence) any area gets. Areas below the floor are raised to it
        and areas above the cap cut to it; the difference is taken from (or given to) the other
        areas in proportion to their formula amounts, repeated until stable. The term amounts
        stay the formula's; the change shows in ``adjustment``.
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
        ``<term>_share`` (of the term's total), ``<term>_amount`` (GBP) and
        ``<term>_gbp_per_unit`` (GBP per unit of the term's value); ``amount`` (GBP) and
        ``amount_pence`` (int64). With floor or cap: ``formula_amount``, ``adjustment`` (GBP,
        ``amount - formula_amount``) and ``limit`` (``"floor"``, ``"cap"`` or ``""``); with
        ``current``: ``current``, ``change_gbp``, ``change_pct`` (NaN where current is 0).
        ``attrs`` holds the formula, the total, the term pots in pence, GBP per unit, the
        rounding rule and provenance.

    Raises
    ------
    AllocationError
        Weights that do not sum to 1, an unknown term, a total that is not positive, a missing,
        non-numeric or negative value, a population that is not positive, duplicate areas, a
        term that is zero in every area, or floors and caps that cannot be met.
    MissingColumnError
        A column the formula needs is absent (the message lists those present).

    Notes
    -----
    Rounding rule, in integer pence. Let ``q[a, t]`` be the exact share of term ``t`` for area
    ``a`` and ``Q[a]`` its row sum. (1) Area amounts: every area gets ``floor(Q[a])``; the pennies
    left go one each to the areas with the largest remainders ``Q[a] - floor(Q[a])``, ties to the
    area whose name sorts first (largest-remainder, Hamilton). (2) Term pots: the same method on
    ``w_t x total``, ties by term name. (3) Term amounts: each cell starts at ``floor(q[a, t])``;
    the pennies missing from each area's amount and each term's pot are added by a minimum-cost
    flow that (i) puts the fewest pennies outside ``[floor(q), ceil(q)]`` (none when that is
    possible), then (ii) minimises the total rounding error ``sum |amount - q|``, then (iii)
    prefers cells earlier in (area name, term name) order. Rows then add to the area amounts
    and columns to the term pots exactly. With a floor or cap, step (1) is applied to the
    clipped exact amounts; floors and caps are whole pence, so they hold exactly.

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
    pot = _pence(total, "total")
    if pot <= 0:
        raise AllocationError(f"total must be positive; got {total!r} GBP")
    weights = _weights(terms)
    names, keys = _area_names(areas, area)
    columns = {"area": area, "harm": harm, "crimes": crimes, "population": population}
    values = _term_values(areas, weights, names, columns)
    order = sorted(range(len(names)), key=lambda i: keys[i])  # name order: rounding tie-breaks
    tnames = sorted(weights)  # term name order: rounding tie-breaks
    sums = {t: sum(values[t], Fraction(0)) for t in tnames}
    quota = {t: pot * weights[t] / sums[t] for t in tnames}  # pence per unit of the term
    q = [[quota[t] * values[t][i] for t in tnames] for i in order]
    formula_row = [sum(r, Fraction(0)) for r in q]
    formula_pence = _hamilton(formula_row, pot)
    term_pence = _hamilton([pot * weights[t] for t in tnames], pot)
    cells = _round_cells(q, formula_pence, term_pence)
    limited = floor is not None or cap is not None
    area_pence, labels = formula_pence, [""] * len(order)
    if limited:
        lo = _pence(floor, "floor") if floor is not None else 0
        hi = _pence(cap, "cap") if cap is not None else None
        row, labels = _limit(formula_row, pot, lo, hi)
        area_pence = _hamilton(row, pot)

    position = np.empty(len(order), dtype=np.int64)
    position[order] = np.arange(len(order))  # input row -> row in name order
    out = pd.DataFrame({area: list(areas[area])})
    for t in weights:  # columns in formula order
        j = tnames.index(t)
        value = np.array([float(v) for v in values[t]])
        pence = np.array([cells[k][j] for k in position], dtype=np.int64)
        out[f"{t}_value"] = value
        out[f"{t}_share"] = [float(v / sums[t]) for v in values[t]]
        out[f"{t}_amount"] = pence / 100
        with np.errstate(divide="ignore", invalid="ignore"):
            out[f"{t}_gbp_per_unit"] = np.where(value > 0, pence / 100 / value, np.nan)
    amount = np.array([area_pence[k] for k in position], dtype=np.int64)
    if limited:
        formula = np.array([formula_pence[k] for k in position], dtype=np.int64)
        out["formula_amount"] = formula / 100
        out["adjustment"] = (amount - formula) / 100
        out["limit"] = [labels[k] for k in position]
    out["amount"] = amount / 100
    out["amount_pence"] = amount
    if current is not None:
        now = np.array([float(v) for v in _column(areas, current, names, term=None)])
        out["current"] = now
        out["change_gbp"] = ((out["amount_pence"] - np.round(now * 100)) / 100).round(2)
        with np.errstate(divide="ignore", invalid="ignore"):
            out["change_pct"] = np.where(now > 0, 100 * (out["amount"] - now) / now, np.nan)
    out.attrs = {
        "formula": {"terms": {t: float(weights[t]) for t in weights}, "columns": columns},
        "total_gbp": pot / 100,
        "total_pence": pot,
        "term_pots_pence": {t: term_pence[tnames.index(t)] for t in weights},
        "gbp_per_unit": {t: float(quota[t] / 100) for t in weights},
        "rounding": ROUNDING_RULE,
    }
    if limited:
        out.attrs.update(floor_gbp=lo / 100, cap_gbp=None if hi is None else hi / 100)
    given = {"edition": edition, "edition_sha256": edition_sha256, "window": window}
    for key in _PROVENANCE:
        value = given[key] if given[key] is not None else areas.attrs.get(key)
        if value is not None:
            out.attrs[key] = str(value)
    return out


def allocation_sensitivity(
    areas: pd.DataFrame,
    *,
    total: float | str | Decimal,
    terms: Mapping[str, float],
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
    moved = _exact(step, "step")
    if not 0 < moved < 1:
        raise AllocationError(f"step must be between 0 and 1; got {step!r}")
    options = {"area": area, "harm": harm, "crimes": crimes, "population": population}
    options.update(floor=floor, cap=cap)
    base = allocate(areas, total=total, terms=weights, **options)
    out = base[[area, "amount"]].copy()
    scenarios: dict[str, dict[str, float]] = {}
    for t in weights:
        for label, sign in (("up", 1), ("down", -1)):
            changed = _shift(weights, t, sign * moved)
            result = allocate(areas, total=total, terms=changed, **options)
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


def _exact(value: object, what: str) -> Fraction:
    """Return an exact rational from an int, float (as written), Decimal or numeric string."""
    try:
        if isinstance(value, bool) or value is None:
            raise TypeError
        if isinstance(value, numbers.Integral):
            return Fraction(int(value))
        if isinstance(value, Fraction | Decimal):
            exact = Fraction(value)
        elif isinstance(value, numbers.Real):
            exact = Fraction(repr(float(value)))  # 0.65 means 13/20, not the nearest double
        elif isinstance(value, str):
            exact = Fraction(value.strip())
        else:
            raise TypeError
    except (TypeError, ValueError, ArithmeticError):
        raise AllocationError(f"{what} must be a finite number; got {value!r}") from None
    return exact


def _pence(value: object, what: str) -> int:
    """Convert an amount in GBP to integer pence, refusing fractions of a penny."""
    exact = _exact(value, what) * 100
    if exact.denominator != 1:
        raise AllocationError(f"{what} must be a whole number of pence; got {value!r} GBP")
    return int(exact)


def _weights(terms: Mapping[str, object]) -> dict[str, Fraction]:
    """Exact weights, checked to lie in [0, 1] and sum to 1, then normalised exactly."""
    if not isinstance(terms, Mapping) or not terms:
        raise AllocationError("terms must map at least one term name to its weight")
    weights = {str(t): _exact(w, f"weight of term {t!r}") for t, w in terms.items()}
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
    names = list(areas[area])
    missing = [i for i, n in enumerate(names) if pd.isna(n)]
    if missing:
        raise AllocationError(f"area column {area!r} is empty in row(s) {missing[:5]} (0-based)")
    keys = [str(n) for n in names]
    seen = pd.Series(keys)
    dup = sorted(set(seen[seen.duplicated()]))
    if dup:
        raise AllocationError(f"duplicate areas in column {area!r}: {_listing(dup)}")
    return names, keys


def _require(areas: pd.DataFrame, column: str, why: str = "") -> None:
    if column not in areas.columns:
        present = ", ".join(repr(str(c)) for c in areas.columns)
        raise MissingColumnError(f"no column {column!r}{why} in areas; columns present: {present}")


def _listing(items: Sequence[object], limit: int = 5) -> str:
    shown = ", ".join(repr(i) for i in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _column(
    areas: pd.DataFrame, column: str, names: list[object], *, term: str | None
) -> list[Fraction]:
    """Return a column as exact non-negative numbers; errors name the area and the column."""
    why = f" (for term {term!r})" if term else ""
    _require(areas, column, why)
    raw = areas[column]
    if pd.api.types.is_bool_dtype(raw):
        raise AllocationError(f"column {column!r}{why} is true/false, not numeric")
    number = pd.to_numeric(raw, errors="coerce")
    bad = [i for i in range(len(raw)) if pd.isna(number.iloc[i]) and not pd.isna(raw.iloc[i])]
    if bad:
        where = ", ".join(f"{names[i]!r} ({raw.iloc[i]!r})" for i in bad[:5])
        raise AllocationError(f"column {column!r}{why} has non-numeric values for area(s) {where}")
    for test, problem in (
        (number.isna(), "a missing value"),
        (~np.isfinite(number.fillna(0).to_numpy(dtype=float)), "an infinite value"),
        (number.fillna(0).to_numpy(dtype=float) < 0, "a negative value"),
    ):
        hit = [names[i] for i in np.flatnonzero(np.asarray(test))]
        if hit:
            raise AllocationError(
                f"column {column!r}{why} has {problem} for area(s) {_listing(hit)}"
            )
    return [Fraction(int(v)) if float(v).is_integer() else Fraction(float(v)) for v in number]


def _term_values(
    areas: pd.DataFrame,
    weights: Mapping[str, Fraction],
    names: list[object],
    columns: Mapping[str, str],
) -> dict[str, list[Fraction]]:
    """Each term's exact value per area, in input order."""
    out: dict[str, list[Fraction]] = {}
    for t in weights:
        if t in ("harm", "population"):
            values = _column(areas, columns[t], names, term=t)
        elif t == "crime_rate":
            crimes = _column(areas, columns["crimes"], names, term=t)
            residents = _column(areas, columns["population"], names, term=t)
            values = [
                1000 * c / p if p else Fraction(-1) for c, p in zip(crimes, residents, strict=True)
            ]
        elif t in areas.columns and t != columns["area"]:
            values = _column(areas, t, names, term=t)
        else:
            usable = [str(c) for c in areas.columns if c != columns["area"]]
            raise AllocationError(
                f"unknown term {t!r}: not a built-in term ({', '.join(BUILTIN_TERMS)}) "
                f"nor a column of areas ({', '.join(usable) or 'none'})"
            )
        if t in ("population", "crime_rate"):
            residents = values if t == "population" else residents
            zero = [names[i] for i, p in enumerate(residents) if p <= 0]
            if zero:
                raise AllocationError(
                    f"population (column {columns['population']!r}) must be positive; "
                    f"it is zero for area(s) {_listing(zero)}"
                )
        if not any(values):
            raise AllocationError(
                f"term {t!r} is zero in every area, so its shares are undefined (0/0); "
                "drop the term or fix the data"
            )
        out[t] = values
    return out


def _limit(
    formula: Sequence[Fraction], pot: int, lo: int, hi: int | None
) -> tuple[list[Fraction], list[str]]:
    """Exact area amounts (pence) clipped to [lo, hi], the rest rescaled to keep the pot.

    The amounts are ``clip(s x formula[a], lo, hi)`` with the one scale ``s`` that makes them add
    up to ``pot``: the fixed point of raising areas to the floor, cutting them to the cap and
    sharing the difference among the others in proportion, until stable.
    """
    n = len(formula)
    if hi is not None and hi < lo:
        raise AllocationError(f"cap ({hi / 100:.2f} GBP) is below floor ({lo / 100:.2f} GBP)")
    if n * lo > pot:
        raise AllocationError(
            f"floor {lo / 100:.2f} GBP x {n} areas exceeds the total {pot / 100:.2f} GBP"
        )
    ceiling = sum((hi if f > 0 else lo) for f in formula) if hi is not None else None
    if ceiling is not None and ceiling < pot:
        raise AllocationError(
            f"cap {hi / 100:.2f} GBP is too low: the areas can take at most "
            f"{ceiling / 100:.2f} GBP of the total {pot / 100:.2f} GBP"
        )

    def clip(x: Fraction) -> Fraction:
        return max(Fraction(lo), x if hi is None else min(x, Fraction(hi)))

    def level(s: Fraction) -> Fraction:  # the sum of the clipped amounts at scale s
        fixed, free = 0, Fraction(0)
        for f in formula:
            if s * f <= lo:
                fixed += lo
            elif hi is not None and s * f >= hi:
                fixed += hi
            else:
                free += f
        return fixed + s * free

    points = sorted(
        {Fraction(0), *(Fraction(b) / f for f in formula if f > 0 for b in (lo, hi) if b)}
    )
    first = bisect.bisect_left(points, pot, key=level)  # level never falls as s grows
    if first < len(points) and level(points[first]) == pot:
        scale = points[first]
    else:  # level is linear between the two breakpoints (or beyond the last one)
        below = points[first - 1]
        mid = below + 1 if first == len(points) else (below + points[first]) / 2
        slope = sum((f for f in formula if f > 0 and clip(mid * f) == mid * f), Fraction(0))
        scale = below + (pot - level(below)) / slope
    amounts = [clip(scale * f) for f in formula]
    labels = [
        "floor" if scale * f < lo else "cap" if hi is not None and scale * f > hi else ""
        for f in formula
    ]
    return amounts, labels


def _hamilton(quotas: Sequence[Fraction], total: int) -> list[int]:
    """Largest remainder: floors, then one penny each by remainder; ties to the earlier item."""
    floors = [math.floor(x) for x in quotas]
    left = total - sum(floors)
    order = sorted(range(len(quotas)), key=lambda i: (floors[i] - quotas[i], i))
    for i in order[:left]:
        floors[i] += 1
    return floors


def _round_cells(
    q: Sequence[Sequence[Fraction]], rows: Sequence[int], cols: Sequence[int]
) -> list[list[int]]:
    """Integer cells with the given row and column sums, each near its exact value ``q``.

    Minimum-cost flow over the pennies missing after flooring every cell. A penny on a cell
    that is still at its floor and has a remainder is "in band"; any other penny is "out of
    band". Costs are lexicographic, packed into one integer: out-of-band pennies, then the
    change in ``sum |cell - q|``, then a preference for earlier cells.
    """
    n, m = len(q), len(cols)
    cells = [[math.floor(x) for x in r] for r in q]
    need_rows = [rows[i] - sum(cells[i]) for i in range(n)]
    need_cols = [cols[j] - sum(cells[i][j] for i in range(n)) for j in range(m)]
    flow = sum(need_rows)
    if flow == 0:
        return cells
    den = math.lcm(*(x.denominator for r in q for x in r))
    tie_range = 1 << (n * m)
    err_range = 2 * flow * den + 1
    source, sink = n + m, n + m + 1
    head: list[list[int]] = [[] for _ in range(n + m + 2)]
    to: list[int] = []
    cap: list[int] = []
    cost: list[int] = []

    def arc(u: int, v: int, c: int, w: int) -> None:
        for a, b, cc, ww in ((u, v, c, w), (v, u, 0, -w)):
            head[a].append(len(to))
            to.append(b)
            cap.append(cc)
            cost.append(ww)

    for i in range(n):
        arc(source, i, need_rows[i], 0)
        for j in range(m):
            rem = q[i][j] - cells[i][j]
            if rem:
                err = int(den - 2 * rem * den)  # |error| falls from rem to 1 - rem
                arc(i, n + j, 1, err * tie_range - (1 << (n * m - 1 - (i * m + j))))
            arc(i, n + j, min(need_rows[i], need_cols[j]), (err_range + den) * tie_range)
    for j in range(m):
        arc(n + j, sink, need_cols[j], 0)
    while flow:
        dist: list[int | None] = [None] * (n + m + 2)
        via = [-1] * (n + m + 2)
        dist[source] = 0
        queue, queued = deque([source]), {source}
        while queue:  # Bellman-Ford with a queue; the residual graph has no negative cycle
            u = queue.popleft()
            queued.discard(u)
            for e in head[u]:
                v, d = to[e], dist[u] + cost[e]  # type: ignore[operator]
                if cap[e] and (dist[v] is None or d < dist[v]):
                    dist[v], via[v] = d, e
                    if v not in queued:
                        queue.append(v)
                        queued.add(v)
        path, v = [], sink
        while v != source:
            path.append(via[v])
            v = to[via[v] ^ 1]
        push = min(flow, *(cap[e] for e in path))
        for e in path:
            cap[e] -= push
            cap[e ^ 1] += push
        flow -= push
    for i in range(n):
        for e in head[i]:
            if n <= to[e] < n + m and e % 2 == 0:
                cells[i][to[e] - n] += cap[e ^ 1]
    return cells


def area_harm(
    records: object,
    *,
    area: str,
    end: str,
    months: int = 36,
    population: pd.DataFrame | None = None,
    **score_options: object,
) -> pd.DataFrame:
    """Harm and crimes per area over a window of whole months, ready for :func:`allocate`.

    Parameters
    ----------
    records : DataFrame, Arrow table or path
        Crime records, as for :func:`crimeharm.harm_index`.
    area : str
        Column of the area (e.g. the Community Safety Partnership).
    end : str
        Last month of the window (``"2022-07"`` or any date in that month).
    months : int
        Length of the window in months (36: the LLR report's 3-year cumulative sum).
    population : pandas.DataFrame, optional
        ``area`` and ``population`` columns, joined on (every area must have one).
    **score_options
        As for :func:`crimeharm.score` (``date=`` is required).

    Returns
    -------
    pandas.DataFrame
        ``area``, ``harm`` (CHI days over the window), ``crimes`` (included crimes over the
        window) and ``population`` if given; ``attrs`` carries ``edition``,
        ``edition_sha256`` and ``window`` (e.g. ``Aug 2019 - Jul 2022``), which
        :func:`allocate` records with its result.
    """
    from crimeharm.aggregation import harm_index
    from crimeharm.periods import parse_period

    if "date" not in score_options:
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
