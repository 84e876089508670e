"""Money for the allocation: exact amounts, integer pence, floors and caps, penny rounding.

Amounts are exact rationals (:class:`fractions.Fraction`) until they are rounded to
whole pence; rounding keeps every total (see :data:`ROUNDING_RULE`).
"""

from __future__ import annotations

import bisect
import math
import numbers
from collections import deque
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction

from crimeharm.errors import AllocationError

__all__ = ["ROUNDING_RULE", "Number", "exact", "hamilton", "limit", "pence", "round_cells"]

#: An amount or a weight as given: a number, a Decimal, a Fraction or numeric text (read exactly).
Number = float | str | Decimal | Fraction

ROUNDING_RULE = (
    "integer pence; area amounts by largest remainder (Hamilton) on exact shares, ties to the "
    "area first by name; term pots likewise, ties by term name; term amounts start at the floor "
    "of their exact share and the missing pennies are placed by a minimum-cost flow so that rows "
    "add to area amounts and columns to term pots, with the fewest pennies outside "
    "floor/ceiling, then the least total rounding error, then earlier areas and terms first"
)


def exact(value: object, what: str) -> Fraction:
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


def pence(value: object, what: str) -> int:
    """Convert an amount in GBP to integer pence, refusing fractions of a penny."""
    amount = exact(value, what) * 100
    if amount.denominator != 1:
        raise AllocationError(f"{what} must be a whole number of pence; got {value!r} GBP")
    return int(amount)


def limit(
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
    if hi is not None and ceiling is not None and ceiling < pot:
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
    first = bisect.bisect_left(points, Fraction(pot), key=level)  # level never falls as s grows
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


def hamilton(quotas: Sequence[Fraction], total: int) -> list[int]:
    """Largest remainder: floors, then one penny each by remainder; ties to the earlier item."""
    floors = [math.floor(x) for x in quotas]
    left = total - sum(floors)
    order = sorted(range(len(quotas)), key=lambda i: (floors[i] - quotas[i], i))
    for i in order[:left]:
        floors[i] += 1
    return floors


def round_cells(
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
            du = dist[u]
            assert du is not None  # a node is queued once it has a distance
            for e in head[u]:
                v, d = to[e], du + cost[e]
                dv = dist[v]
                if cap[e] and (dv is None or d < dv):
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
