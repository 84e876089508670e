"""The rounding against the implementation it replaced (a min-cost flow), kept as an oracle.

``_old_limit``, ``_old_hamilton`` and ``_old_round_cells`` are crimeharm's previous floors and
caps, largest remainder and cell rounding, verbatim but for their names. They are exact but cubic
or worse, so they run here on small tables only. The new code must give the same result wherever
the old rule defines it: everywhere for area amounts, term pots and floors/caps; for cells,
everywhere the old flow puts no penny outside [floor, ceil]. Where it must (degenerate tables),
the old rule fixes only how many pennies fall outside and the rounding error, not which cells
take them: there the new code must match both and place those pennies by its documented
north-west-corner rule.
"""

from __future__ import annotations

import bisect
import math
import re
from collections import deque
from collections.abc import Sequence
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crimeharm.allocation import money
from crimeharm.allocation.money import Exact
from crimeharm.errors import AllocationError

# ---- the previous implementation (crimeharm 0.1.0 before the O(n log n) rounding) -----------


def _old_limit(
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


def _old_hamilton(quotas: Sequence[Fraction], total: int) -> list[int]:
    """Largest remainder: floors, then one penny each by remainder; ties to the earlier item."""
    floors = [math.floor(x) for x in quotas]
    left = total - sum(floors)
    order = sorted(range(len(quotas)), key=lambda i: (floors[i] - quotas[i], i))
    for i in order[:left]:
        floors[i] += 1
    return floors


def _old_round_cells(  # noqa: C901 - the previous implementation as it was, kept as an oracle
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


# ---- the comparisons ------------------------------------------------------------------------


@st.composite
def tables(draw, max_areas=7, max_terms=4):
    """Exact shares q[a][t] of a pot (many zeros and ties), and Hamilton row and column totals."""
    n = draw(st.integers(1, max_areas))
    m = draw(st.integers(1, max_terms))
    pot = draw(st.one_of(st.integers(1, 60), st.integers(1, 10**6)))
    small = st.one_of(st.integers(0, 3), st.integers(0, 10**4))
    values = [draw(st.lists(small, min_size=n, max_size=n).filter(any)) for _ in range(m)]
    raw = draw(st.lists(st.integers(0, 5), min_size=m, max_size=m).filter(any))
    weights = [Fraction(w, sum(raw)) for w in raw]
    q = [[pot * weights[t] * values[t][a] / sum(values[t]) for t in range(m)] for a in range(n)]
    rows = _old_hamilton([sum(r) for r in q], pot)
    cols = _old_hamilton([pot * w for w in weights], pot)
    return q, rows, cols


@st.composite
def degenerate_tables(draw):
    """Tables where every area has one term only and the pot is a few pence: pennies often fall
    outside [floor, ceil] (as in the docs' example)."""
    n = draw(st.integers(2, 7))
    m = draw(st.integers(2, 3))
    pot = draw(st.integers(1, n))
    owner = draw(st.lists(st.integers(0, m - 1), min_size=n, max_size=n))
    values = [[int(owner[a] == t) * draw(st.integers(1, 2)) for a in range(n)] for t in range(m)]
    for t in range(m):
        if not any(values[t]):
            values[t][draw(st.integers(0, n - 1))] = 1
    weights = [Fraction(1, m)] * m
    q = [[pot * weights[t] * values[t][a] / sum(values[t]) for t in range(m)] for a in range(n)]
    rows = _old_hamilton([sum(r) for r in q], pot)
    cols = _old_hamilton([pot * w for w in weights], pot)
    return q, rows, cols


def _new_cells(q, rows, cols):
    m = len(q[0])
    by_term = money.round_cells([Exact.of([r[t] for r in q]) for t in range(m)], rows, cols)
    return [list(r) for r in zip(*by_term, strict=True)]


def _out_of_band(cells, q):
    """Pennies beyond floor, less one in-band penny where the share has a remainder."""
    return [
        [
            c - math.floor(x) - (1 if x != math.floor(x) and c > math.floor(x) else 0)
            for c, x in zip(r, qr, strict=True)
        ]
        for r, qr in zip(cells, q, strict=True)
    ]


def _error(cells, q):
    return sum(
        abs(c - x) for r, qr in zip(cells, q, strict=True) for c, x in zip(r, qr, strict=True)
    )


@settings(max_examples=400, deadline=None)
@given(st.one_of(tables(), degenerate_tables()))
def test_cells_match_the_min_cost_flow(case):
    q, rows, cols = case
    old, new = _old_round_cells(q, rows, cols), _new_cells(q, rows, cols)
    assert [sum(r) for r in new] == rows
    assert [sum(c) for c in zip(*new, strict=True)] == cols
    outside = _out_of_band(old, q)
    if not any(map(any, outside)):
        assert new == old
        return
    # degenerate: as many pennies outside, as little rounding error, and placed north-west
    placed = _out_of_band(new, q)
    assert sum(map(sum, placed)) == sum(map(sum, outside))
    assert _error(new, q) == _error(old, q)
    rows_left = [sum(r) for r in placed]
    cols_left = [sum(c) for c in zip(*placed, strict=True)]
    for a, r in enumerate(placed):
        for t, c in enumerate(r):
            assert c == min(rows_left[a], cols_left[t])
            rows_left[a] -= c
            cols_left[t] -= c


def test_a_degenerate_table_matches_too():
    # the docs' example: 2p, two half-weight terms, areas a and b with only harm, c and d with
    # only population: one penny must fall outside [floor, ceil]
    h, p = Fraction(1, 2), Fraction(0)
    q = [[h, p], [h, p], [p, h], [p, h]]
    rows, cols = _old_hamilton([sum(r) for r in q], 2), [1, 1]
    assert (
        _new_cells(q, rows, cols)
        == _old_round_cells(q, rows, cols)
        == [[1, 0], [0, 1], [0, 0], [0, 0]]
    )


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.one_of(st.integers(0, 3), st.integers(0, 10**9)), min_size=1, max_size=12).filter(
        any
    ),
    st.integers(1, 10**7),
)
def test_largest_remainder_matches(values, pot):
    quotas = [Fraction(pot * v, sum(values)) for v in values]
    assert money.hamilton(Exact.of(quotas), pot) == _old_hamilton(quotas, pot)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.one_of(st.integers(0, 3), st.integers(0, 10**6)), min_size=1, max_size=10).filter(
        any
    ),
    st.integers(1, 10**6),
    st.integers(0, 10**6),
    st.one_of(st.none(), st.integers(0, 10**6)),
)
def test_floors_and_caps_match(values, pot, lo, hi):
    formula = [Fraction(pot * v, sum(values)) for v in values]
    try:
        expected = _old_limit(formula, pot, lo, hi)
    except AllocationError as exc:
        with pytest.raises(AllocationError, match=re.escape(str(exc))):
            money.limit(Exact.of(formula), pot, lo, hi)
        return
    amounts, labels = money.limit(Exact.of(formula), pot, lo, hi)
    got = [Fraction(x, amounts.denominator) for x in amounts.numerators]
    assert (got, labels) == expected
    assert money.hamilton(amounts, pot) == _old_hamilton(expected[0], pot)


@settings(max_examples=150, deadline=None)
@given(tables(max_areas=12, max_terms=3))
def test_larger_tables_match(case):
    q, rows, cols = case
    old, new = _old_round_cells(q, rows, cols), _new_cells(q, rows, cols)
    if not any(map(any, _out_of_band(old, q))):
        assert new == old
