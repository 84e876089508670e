"""Money for the allocation: exact amounts in Python integers, penny rounding, floors and caps.

Amounts are exact rationals, held as Python integers over a common denominator (:class:`Exact`),
until they are rounded to whole pence; Python integers do not overflow. Rounding keeps every
total (see :data:`ROUNDING_RULE` and ``docs/allocation.md``).

Every step is ``O(n log n)`` in the number of areas ``n`` for a fixed number of terms. Exact
remainders are compared through floats that are provably within ``2**-51`` of them, and exactly
whenever two floats are too close to tell apart, so every result is the exact one.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import math
import numbers
from collections import deque
from collections.abc import Callable, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any, NamedTuple

import numpy as np

from crimeharm.errors import AllocationError

__all__ = [
    "MAX_TOTAL_GBP",
    "MAX_TOTAL_PENCE",
    "ROUNDING_RULE",
    "Exact",
    "Number",
    "Table",
    "decimal_gbp",
    "exact",
    "from_floats",
    "hamilton",
    "limit",
    "pence",
    "quotients",
    "ratio",
    "round_cells",
]

#: The largest pot, floor or cap accepted, in GBP (10 trillion). Up to this every amount in pence,
#: and every sum of amounts, is exact in ``int64`` and in ``float64`` (it is below ``2**51``), and
#: every amount in GBP as a float rounds back to its pence.
MAX_TOTAL_GBP = 10**13
#: An amount or a weight as given: a number, a Decimal, a Fraction or numeric text (read exactly).
Number = float | str | Decimal | Fraction
MAX_TOTAL_PENCE = MAX_TOTAL_GBP * 100
#: Digits of the exact decimal amount column: up to ``MAX_TOTAL_GBP`` with two decimals.
DECIMAL_PRECISION = len(str(MAX_TOTAL_PENCE))

ROUNDING_RULE = (
    "integer pence; area amounts by largest remainder (Hamilton) on exact shares, ties to the "
    "area first by name; term pots likewise, ties by term name; term amounts start at the floor "
    "of their exact share and the missing pennies are placed so that rows add to area amounts "
    "and columns to term pots, with the fewest pennies outside floor/ceiling, then the least "
    "total rounding error, then earlier areas and terms first; pennies that must fall outside "
    "floor/ceiling go to the first cells, in area then term order, whose area and term lack one"
)

# _approx gives a remainder in [0, 1) to within 2**-51, so a difference of two is within 2**-49.5
# and keys closer than _CLOSE are compared exactly; a key less a price (|price| <= 4) carries
# one more rounding (2**-51): _NEAR.
_CLOSE = 2.0**-48
_NEAR = 2.0**-46


class Exact(NamedTuple):
    """Exact non-negative rationals ``numerators[i] / denominator`` in Python integers."""

    numerators: list[int]
    denominator: int

    @classmethod
    def of(cls, values: Sequence[Fraction | int]) -> Exact:
        """Put exact rationals over one common denominator."""
        fractions = [Fraction(v) for v in values]
        den = math.lcm(*{f.denominator for f in fractions}) if fractions else 1
        return cls([f.numerator * (den // f.denominator) for f in fractions], den)


def ratio(num: int, den: int) -> float:
    """``num / den`` as the nearest float; ``inf`` (with the sign) when beyond the float range."""
    try:
        return num / den
    except OverflowError:
        return math.inf if (num > 0) == (den > 0) else -math.inf


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
    """Convert an amount in GBP to integer pence: whole pence, at most :data:`MAX_TOTAL_GBP`."""
    gbp = exact(value, what)
    if abs(gbp) > MAX_TOTAL_GBP:
        raise AllocationError(
            f"{what} must be at most {MAX_TOTAL_GBP:,} GBP (the most crimeharm allocates to "
            f"the penny); got {value!r} GBP"
        )
    amount = gbp * 100
    if amount.denominator != 1:
        raise AllocationError(f"{what} must be a whole number of pence; got {value!r} GBP")
    return int(amount)


def from_floats(values: np.ndarray) -> Exact:
    """The exact binary values of finite floats, over one power-of-two denominator."""
    x = np.asarray(values, dtype=np.float64)
    mant, expo = np.frexp(x)  # x = mant * 2**expo exactly, 0.5 <= |mant| < 1 (or 0)
    m = (mant * 2.0**53).astype(np.int64)  # exact: 53 significant bits
    e = expo.astype(np.int64) - 53
    nonzero = m != 0
    if not nonzero.any():
        return Exact([0] * len(x), 1)
    low = np.where(nonzero, m & -m, 1).astype(np.float64)  # lowest set bit: a power of two
    zeros = np.frexp(low)[1].astype(np.int64) - 1
    m, e = m >> zeros, e + zeros  # the odd mantissa keeps the integers short
    least = int(e[nonzero].min())
    shift = np.where(nonzero, e - min(least, 0), 0)
    nums = (m.astype(object) << shift.astype(object)).tolist()
    return Exact([int(v) for v in nums], 1 << max(0, -least))


def decimal_gbp(amounts: Sequence[int] | np.ndarray) -> Any:
    """Pence as an Arrow ``decimal128`` array of GBP with two decimals: exact, and sums exactly.

    The type is ``decimal128(DECIMAL_PRECISION, 2)``; amounts must lie in 0 .. MAX_TOTAL_PENCE.
    """
    import pyarrow as pa

    values = np.asarray(amounts, dtype=np.int64)
    if values.size and (values.min() < 0 or values.max() > MAX_TOTAL_PENCE):
        raise AllocationError(f"an amount is outside 0 .. {MAX_TOTAL_GBP:,} GBP")
    unscaled = np.zeros((len(values), 2), dtype=np.int64)  # 128-bit little-endian: low, high
    unscaled[:, 0] = values
    kind = pa.decimal128(DECIMAL_PRECISION, 2)
    return pa.Array.from_buffers(kind, len(values), [None, pa.py_buffer(unscaled.tobytes())])


def _divmod(nums: Sequence[int], den: int) -> tuple[list[int], list[int]]:
    """Floors and remainders of ``nums[i] / den``."""
    if not nums:
        return [], []
    floors, rems = zip(*map(divmod, nums, itertools.repeat(den)), strict=True)
    return list(floors), list(rems)


def _column_sums(columns: Sequence[Sequence[int]], n: int) -> list[int]:
    """Element-wise sum of integer columns (int64 when they are small, else Python ints)."""
    if not columns:
        return [0] * n
    if max(max(c, default=0) for c in columns) < 2**62 // max(len(columns), 1):
        return np.sum([np.array(c, dtype=np.int64) for c in columns], axis=0).tolist()
    return [sum(row) for row in zip(*columns, strict=True)]


def quotients(nums: Sequence[int], den: int) -> np.ndarray:
    """``nums[i] / den`` as floats, correctly rounded, for ``0 <= nums[i] <= den``."""
    if den < 2**53:
        return np.array(nums, dtype=float) / float(den)  # exact operands: one rounding
    return np.array([x / den for x in nums], dtype=float)


def _approx(rems: Sequence[int], den: int) -> np.ndarray:
    """``rems[i] / den`` for remainders (``0 <= rem < den``), each to within ``2**-51``.

    Floats of the top 64 bits: truncation costs at most ``2**-63``, the two conversions and
    the division ``2**-53`` each.
    """
    shift = max(0, den.bit_length() - 64)
    if not shift:
        return np.array(rems, dtype=float) / float(den)
    return np.array([r >> shift for r in rems], dtype=float) / float(den >> shift)


def _largest(approx: np.ndarray, tol: float, key: Callable[[int], Any], k: int) -> list[int]:
    """Indices of the ``k`` largest values, ties to the smaller index; exact where floats are close.

    ``approx[i]`` is within ``tol`` of value ``i``; ``key(i)`` gives it exactly (any ordered
    type). Values more than ``2 tol`` above the ``k``-th largest float are surely in, those more
    than ``2 tol`` below surely out, and the band between is sorted on the exact keys.
    """
    n = len(approx)
    if k <= 0:
        return []
    if k >= n:
        return list(range(n))
    order = np.lexsort((np.arange(n), -approx))
    v = approx[order[k - 1]]
    sure = np.flatnonzero(approx > v + 2 * tol).tolist()
    band = np.flatnonzero(np.abs(approx - v) <= 2 * tol).tolist()
    return sure + sorted(band, key=key, reverse=True)[: k - len(sure)]  # stable: ties by index


def hamilton(quotas: Exact, total: int) -> list[int]:
    """Largest remainder: floors, then one penny each by remainder; ties to the earlier item."""
    den = quotas.denominator
    split = [divmod(x, den) for x in quotas.numerators]
    floors = [f for f, _ in split]
    rems = [r for _, r in split]
    left = total - sum(floors)
    if not 0 <= left <= len(floors):
        raise ValueError(f"total {total} is not the sum of the quotas rounded")
    for i in _largest(_approx(rems, den), 2.0**-51, rems.__getitem__, left):
        floors[i] += 1
    return floors


def limit(formula: Exact, pot: int, lo: int, hi: int | None) -> tuple[Exact, list[str]]:
    """Exact area amounts (pence) clipped to [lo, hi], the rest rescaled to keep the pot.

    The amounts are ``clip(s x formula[a], lo, hi)`` with the least scale ``s`` that makes them
    add up to ``pot``: the fixed point of raising areas to the floor, cutting them to the cap and
    sharing the difference among the others in proportion, until stable. The sum of the clipped
    amounts never falls as ``s`` grows and is linear between the breakpoints ``lo / f`` and
    ``hi / f``; ``s`` is found by bisection over them, each sum in ``O(log n)`` from prefix
    sums, so ``O(n log n)`` in all.
    """
    values = formula.numerators  # the scale s absorbs the common denominator
    n = len(values)
    if hi is not None and hi < lo:
        raise AllocationError(f"cap ({hi / 100:.2f} GBP) is below floor ({lo / 100:.2f} GBP)")
    if n * lo > pot:
        raise AllocationError(
            f"floor {lo / 100:.2f} GBP x {n} areas exceeds the total {pot / 100:.2f} GBP"
        )
    if hi is not None:
        ceiling = sum(hi if f > 0 else lo for f in values)
        if ceiling < pot:
            raise AllocationError(
                f"cap {hi / 100:.2f} GBP is too low: the areas can take at most "
                f"{ceiling / 100:.2f} GBP of the total {pot / 100:.2f} GBP"
            )
    ascending = sorted(values)
    prefix = [0, *itertools.accumulate(ascending)]
    positive = [f for f in reversed(ascending) if f > 0]  # b / f ascends along this list

    def parts(s: Fraction) -> tuple[int, int, int]:
        """At scale s: how many areas are at the floor, where the capped ones start, the rest."""
        if s == 0:
            return n, n, 0
        low = bisect.bisect_right(ascending, lo / s)
        high = n if hi is None else max(low, bisect.bisect_left(ascending, hi / s))
        return low, high, prefix[high] - prefix[low]

    def level(s: Fraction) -> Fraction:
        low, high, free = parts(s)
        return lo * low + (0 if hi is None else hi * (n - high)) + s * free

    if level(Fraction(0)) >= pot:
        scale = Fraction(0)
    else:
        above, below = [], [Fraction(0)]  # per bound: first breakpoint reaching pot, the one before
        for bound in (lo, hi):
            if not bound:
                continue

            def reaches(i: int, bound: int = bound) -> bool:
                return level(Fraction(bound, positive[i])) >= pot

            first = bisect.bisect_left(range(len(positive)), 1, key=reaches)
            if first < len(positive):
                above.append(Fraction(bound, positive[first]))
            if first:
                below.append(Fraction(bound, positive[first - 1]))
        start = max(below)  # level < pot here and is linear up to min(above)
        inside = (start + min(above)) / 2 if above else start + 1
        scale = start + (pot - level(start)) / parts(inside)[2]
    sn, sd = scale.numerator, scale.denominator
    nums, labels = [], []
    for f in values:
        if f * sn < lo * sd:
            nums.append(lo * sd)
            labels.append("floor")
        elif hi is not None and f * sn > hi * sd:
            nums.append(hi * sd)
            labels.append("cap")
        else:
            nums.append(f * sn)
            labels.append("")
    return Exact(nums, sd), labels


# ---- the table of term x area shares ----------------------------------------------------------


class Table:
    """Exact shares (pence) of a pot per term and area, split into floors and remainders.

    Parameters
    ----------
    shares : sequence of Exact
        One per term (column), in term order: the exact share of every area (row), in area order.
    """

    def __init__(self, shares: Sequence[Exact]) -> None:
        self.floors: list[list[int]] = []
        self.rems: list[list[int]] = []
        self.dens: list[int] = []
        for s in shares:
            floors, rems = _divmod(s.numerators, s.denominator)
            self.floors.append(floors)
            self.rems.append(rems)
            self.dens.append(s.denominator)
        self.m = len(self.floors)
        self.n = len(self.floors[0]) if self.floors else 0
        if any(len(f) != self.n for f in self.floors):
            raise ValueError("every term must have one share per area")
        self.base = _column_sums(self.floors, self.n)  # every area's floors summed
        self.common = math.lcm(*self.dens) if shares else 1
        self.scale = [self.common // d for d in self.dens]  # rem_t / den_t = rem_t x scale / common
        self.approx = np.array(
            [_approx(r, d) for r, d in zip(self.rems, self.dens, strict=True)], dtype=float
        ).reshape(self.m, self.n)
        self.frac = np.array([[r != 0 for r in rem] for rem in self.rems], dtype=bool).reshape(
            self.m, self.n
        )

    def row_sums(self) -> Exact:
        """Every area's exact total over the terms."""
        common, scale = self.common, self.scale
        cols = [
            [f * common + r * k for f, r in zip(fl, rem, strict=True)]
            for fl, rem, k in zip(self.floors, self.rems, scale, strict=True)
        ]
        return Exact([sum(row) for row in zip(*cols, strict=True)], common)

    def _row_rem(self, a: int) -> int:
        """Area a's remainders summed, over ``common`` (may exceed 1)."""
        return sum(rem[a] * k for rem, k in zip(self.rems, self.scale, strict=True))

    def row_amounts(self, total: int) -> list[int]:
        """Largest remainder on the row sums (ties to the earlier area), without forming them."""
        m = self.m
        # m terms within 2**-51 each; m - 1 additions, each rounding by at most m x 2**-52
        tol = (4 * m + 2 * m * m) * 2.0**-53
        sums = self.approx.sum(axis=0)
        whole = np.floor(sums)
        for a in np.flatnonzero(np.abs(sums - np.round(sums)) <= tol).tolist():
            w, r = divmod(self._row_rem(a), self.common)
            whole[a], sums[a] = w, w + ratio(r, self.common)
        out = [b + int(w) for b, w in zip(self.base, whole.tolist(), strict=True)]
        common = self.common
        key = lambda a: self._row_rem(a) % common  # noqa: E731
        for a in _largest(sums - whole, tol, key, total - sum(out)):
            out[a] += 1
        return out

    def cells(self, rows: Sequence[int], cols: Sequence[int]) -> list[list[int]]:
        """See :func:`round_cells`."""
        return _Cells(self, rows, cols).solve()


def round_cells(
    shares: Sequence[Exact] | Table, rows: Sequence[int], cols: Sequence[int]
) -> list[list[int]]:
    """Integer cells with the given row and column sums, each near its exact share.

    Parameters
    ----------
    shares : sequence of Exact, or Table
        One per term (column), in term order: the exact share (pence) of every area (row), in
        area order.
    rows, cols : sequence of int
        The pence every area, and every term, must add up to (the same grand total), none below
        the sum of its floors.

    Returns
    -------
    list of list of int
        ``cells[t][a]``, pence, per term then area.

    Notes
    -----
    Every cell starts at the floor of its exact share. A penny on a cell still at its floor that
    has a remainder is "in band"; any other penny is "out of band". The missing pennies are
    placed to minimise, in this order: the number of out-of-band pennies; the total rounding
    error ``sum |cell - share|``; and, as a tie-break, to give pennies to earlier cells in (area,
    term) order (the set of in-band pennies is the first in that order among the optimal ones).
    Out-of-band pennies, needed only in degenerate tables, then go to the first cells in (area,
    term) order whose area and term still lack pennies (north-west corner).

    This is a transportation problem with few columns, solved by successive shortest paths. It
    starts from every area's best cells on its own at approximate term prices, so that few
    pennies are left in the wrong term, and moves them along shortest paths in a graph of one
    node per term plus one for out-of-band pennies; the cheapest move between two terms is kept
    in a heap over areas. Each move costs ``O(m^3 + m^2 log n)`` for ``m`` terms and ``n`` areas,
    the orders behind the heaps ``O(m^2 n log n)``.
    """
    table = shares if isinstance(shares, Table) else Table(shares)
    return table.cells(rows, cols)


# ---- costs of moves: (out-of-band pennies, rounding error, tie-break) ------------------------


def _pref_sign(terms: Sequence[tuple[int, int]]) -> int:
    """Sign of ``sum c x 2**(-k)`` over ``(k, c)``: the tie-break part of a cost."""
    total: dict[int, int] = {}
    for k, c in terms:
        total[k] = total.get(k, 0) + c
    keys = [k for k, c in total.items() if c]
    if not keys:
        return 0
    if len(keys) == 1:
        return 1 if total[keys[0]] > 0 else -1
    keys.sort()
    rest = sum(abs(total[k]) for k in keys)
    acc, prev = 0, 0
    for k in keys:
        if acc:
            gap = k - prev
            if gap > rest.bit_length():  # |acc| x 2**gap exceeds all that is still to come
                return 1 if acc > 0 else -1
            acc <<= gap
        acc += total[k]
        rest -= abs(total[k])
        prev = k
    return (acc > 0) - (acc < 0)


def _less(a: tuple, b: tuple) -> bool:
    """Lexicographic order of costs: out-of-band pennies, rounding error, then the tie-break."""
    if a[0] != b[0]:
        return a[0] < b[0]
    if a[1] != b[1]:
        return a[1] < b[1]
    return _pref_sign(a[2] + tuple((k, -c) for k, c in b[2])) < 0


def _add(a: tuple, b: tuple) -> tuple:
    return (a[0] + b[0], a[1] + b[1], a[2] + b[2])


_ZERO = (0, 0, ())


class _Order:
    """Areas in order of an exact key, through floats within ``2**-49.5`` of it.

    Sorted on the floats (ties: later area first); runs of floats closer than ``_CLOSE``, whose
    order the floats cannot tell, are sorted on the exact key when first reached.
    """

    def __init__(self, idx: np.ndarray, x: np.ndarray, key: Callable[[int], Any], n: int) -> None:
        o = np.lexsort((-idx, x))
        idx, x = idx[o], x[o]
        self.rows: list[int] = idx.tolist()
        pos = np.full(n, -1, dtype=np.int64)
        pos[idx] = np.arange(len(idx))
        self.pos: list[int] = pos.tolist()
        breaks = np.diff(x) > _CLOSE
        starts = np.flatnonzero(np.concatenate(([True], breaks))) if len(x) else np.array([], int)
        ends = np.append(starts[1:], len(x))
        self.run: list[int] = np.concatenate(([0], np.cumsum(breaks))).tolist() if len(x) else []
        self.starts, self.ends = starts.tolist(), ends.tolist()
        self.settled = bytearray((ends - starts <= 1).astype(np.uint8).tobytes())
        self.key = key

    def settle(self, p: int) -> range | None:
        """Put the run holding position p in exact order; return its positions if not yet."""
        r = self.run[p]
        if self.settled[r]:
            return None
        self.settled[r] = 1
        s, e = self.starts[r], self.ends[r]
        self.rows[s:e] = sorted(self.rows[s:e], key=self.key)
        for i in range(s, e):
            self.pos[self.rows[i]] = i
        return range(s, e)


class _Cells:
    """The state of :func:`round_cells`: chosen in-band pennies and out-of-band counts.

    A cost is ``(out, err, tie)``: out-of-band pennies; twice the change in ``sum |cell - share|``
    times ``table.common``; and the tie-break, a sum of ``+-2**(-k)`` for cell ``k = a m + t``
    (an in-band penny on cell ``k`` costs ``-2**(-k)``), kept as ``(k, +-1)`` pairs.
    """

    def __init__(self, table: Table, rows: Sequence[int], cols: Sequence[int]) -> None:
        self.t = table
        self.m, self.n = table.m, table.n
        if len(rows) != self.n or len(cols) != self.m:
            raise ValueError("rows and cols must have one total per area and per term")
        if sum(rows) != sum(cols):
            raise ValueError(f"rows add up to {sum(rows)} but columns to {sum(cols)}")
        self.need_rows = [r - b for r, b in zip(rows, table.base, strict=True)]
        self.need_cols = [c - sum(f) for c, f in zip(cols, table.floors, strict=True)]
        if min(self.need_rows, default=0) < 0 or min(self.need_cols, default=0) < 0:
            raise ValueError("a row or column total is below the sum of its floors")

    # -- the start: every area's best cells on its own, at term prices -----------------------
    def _start(self) -> None:
        m = self.m
        need = np.array(self.need_rows, dtype=np.int64)
        take = np.minimum(need, self.t.frac.sum(axis=0))
        self.out_rows = (need - take).tolist()  # pennies no in-band cell of the area can take
        chosen = self._choose(take, self._prices(take))
        self.chosen = [c.tolist() for c in chosen]
        self.fracs = [f.tolist() for f in self.t.frac]
        self.out_cols = [0] * m  # out-of-band pennies each term receives
        self.out_total, self.cols_total = sum(self.out_rows), 0
        counts = chosen.sum(axis=1).tolist()
        self.excess = [counts[t] - self.need_cols[t] for t in range(m)] + [sum(self.out_rows)]

    def _prices(self, take: np.ndarray) -> np.ndarray:
        """Approximate term prices under which the areas' own choices nearly meet the terms.

        Coordinate ascent on the dual of the transportation problem, in floats: for each term
        in turn, the price that makes its count meet its need given the others. Prices only
        steer the start (any prices give a correct start); the moves that follow are exact.
        """
        m = self.m
        prices = np.zeros(m)
        rows = np.flatnonzero(take > 0)
        if m < 2 or not len(rows):
            return prices
        frac = self.t.frac[:, rows]
        keys = np.where(frac, self.t.approx[:, rows], -np.inf)
        k = take[rows]
        kth_row = np.minimum(k, m - 1) - 1
        columns = np.arange(len(rows))
        for _ in range(8):
            moved = False
            for t in range(m):
                others = np.delete(keys - prices[:, None], t, axis=0)
                ranked = -np.sort(-others, axis=0)
                kth = np.where(k > m - 1, -np.inf, ranked[kth_row, columns])
                margin = (keys[t] - kth)[frac[t]]  # cell t is taken iff margin > price
                want = self.need_cols[t]
                if want <= 0:
                    new = 4.0
                elif want >= len(margin):
                    new = -4.0
                else:
                    part = np.partition(margin, len(margin) - want - 1)
                    cut = len(margin) - want
                    new = float(np.clip((part[cut - 1] + part[cut:].min()) / 2, -4.0, 4.0))
                if new != prices[t]:
                    prices[t], moved = new, True
            if not moved:
                break
        return prices

    def _choose(self, take: np.ndarray, prices: np.ndarray) -> np.ndarray:
        """Every area's ``take`` best fractional cells by remainder less price, exactly."""
        m, n = self.m, self.n
        keys = np.where(self.t.frac, self.t.approx - prices[:, None], -np.inf)
        order = np.argsort(-keys, axis=0, kind="stable")  # ties: the earlier term
        ranked = np.take_along_axis(keys, order, axis=0)
        chosen = np.zeros((m, n), dtype=bool)
        np.put_along_axis(chosen, order, np.arange(m)[:, None] < take[None, :], axis=0)
        inner = (take > 0) & (take < m)  # areas that choose some cells but not all
        at = np.clip(take, 1, max(m - 1, 1))
        columns = np.arange(n)
        last, after = ranked[at - 1, columns], ranked[np.minimum(at, m - 1), columns]
        with np.errstate(invalid="ignore"):
            close = inner & np.isfinite(after) & (last - after <= _NEAR)
        # too close to call in floats: decide exactly, on rem_t / den_t - price_t x one denominator
        exact_prices = [Fraction(float(p)) for p in prices]
        unit = math.lcm(*(p.denominator for p in exact_prices))
        common, rems, fracs = self.t.common, self.t.rems, self.t.frac
        times = [k * unit for k in self.t.scale]
        less = [p.numerator * (unit // p.denominator) * common for p in exact_prices]
        for a in np.flatnonzero(close).tolist():
            cells = [t for t in range(m) if fracs[t, a]]
            cells.sort(key=lambda t: (less[t] - rems[t][a] * times[t], t))
            chosen[:, a] = False
            chosen[cells[: int(take[a])], a] = True
        return chosen

    # -- the cheapest area for each kind of move ----------------------------------------------
    def _order(self, kind: str, t: int, u: int) -> tuple[_Order, int]:
        """The order of the areas for a move, and the sign of heap entries (-1: reversed).

        ``pair`` t -> u: an in-band penny moves from term t to term u in one area, cheapest
        first by ``rem_t - rem_u``, ties later area first (for t < u; reversed for t > u);
        ``out`` t -> X: an in-band penny of term t becomes out-of-band, by ``rem_t``, ties later
        area first; ``in`` X -> u: an out-of-band penny becomes in-band in term u (reversed).
        """
        table = self.t
        if kind == "pair":
            lo, hi = min(t, u), max(t, u)
            if ("pair", lo, hi) not in self._orders:
                rt, ru, st, su = table.rems[lo], table.rems[hi], table.scale[lo], table.scale[hi]
                idx = np.flatnonzero(table.frac[lo] & table.frac[hi])
                self._orders["pair", lo, hi] = _Order(
                    idx,
                    table.approx[lo, idx] - table.approx[hi, idx],
                    lambda a: (rt[a] * st - ru[a] * su, -a),
                    self.n,
                )
            return self._orders["pair", lo, hi], 1 if t < u else -1
        term = t if kind == "out" else u
        if ("term", term) not in self._orders:
            rem = table.rems[term]
            idx = np.flatnonzero(table.frac[term])
            self._orders["term", term] = _Order(
                idx, table.approx[term, idx], lambda a: (rem[a], -a), self.n
            )
        return self._orders["term", term], 1 if kind == "out" else -1

    def _allows(self, kind: str, t: int, u: int, a: int) -> bool:
        """Whether area a allows the move now."""
        if kind == "pair":
            return self.chosen[t][a] and self.fracs[u][a] and not self.chosen[u][a]
        if kind == "out":
            return self.chosen[t][a]
        return self.out_rows[a] > 0 and self.fracs[u][a] and not self.chosen[u][a]

    def _heap(self, kind: str, t: int, u: int) -> list[int]:
        """Signed positions (in the move's order) of areas that allow the move; built on first use.

        Every area that allows the move has an entry; entries that no longer do are dropped
        when met at the top.
        """
        key = (kind, t, u)
        if key in self._heaps:
            return self._heaps[key]
        order, sign = self._order(kind, t, u)
        if kind == "pair":
            rows = np.array(order.rows, dtype=np.int64)
            ok = np.array(self.chosen[t], dtype=bool)[rows] & self.t.frac[u, rows]
            ok &= ~np.array(self.chosen[u], dtype=bool)[rows]
            places = np.flatnonzero(ok)
        else:
            places = np.array(
                [p for p, a in enumerate(order.rows) if self._allows(kind, t, u, a)], dtype=np.int64
            )
        heap = places.tolist() if sign > 0 else (-places[::-1]).tolist()
        self._heaps[key] = heap
        self._users.setdefault(id(order), []).append(key)
        return heap

    def _top(self, kind: str, t: int, u: int) -> int | None:
        """The best area for a move now, or None."""
        heap = self._heap(kind, t, u)
        order, _ = self._order(kind, t, u)
        while heap:
            moved = order.settle(abs(heap[0]))
            if moved is not None:  # the run is now in exact order: offer its areas again
                for key in self._users[id(order)]:
                    sign = self._order(key[0], key[1], key[2])[1]
                    for p in moved:
                        if self._allows(key[0], key[1], key[2], order.rows[p]):
                            self._push(key, sign * p)
                continue
            a = order.rows[abs(heap[0])]
            if self._allows(kind, t, u, a):
                return a
            heapq.heappop(heap)
        return None

    def _push(self, key: tuple, entry: int) -> None:
        heapq.heappush(self._heaps[key], entry)
        self._best.pop(key, None)  # the cheapest area may have changed

    def _touch(self, a: int) -> None:
        """Offer area a again to every heap whose move it now allows."""
        for key, arc in list(self._best.items()):
            if arc is not None and arc[3][-1] == a:
                del self._best[key]
        for key in list(self._heaps):
            if self._allows(key[0], key[1], key[2], a):
                order, sign = self._order(key[0], key[1], key[2])
                self._push(key, sign * order.pos[a])
        if self.out_rows[a] > 0:  # the heaps of X -> u are built when first needed
            for u in range(self.m):
                if ("in", self.m, u) not in self._heaps and self._allows("in", self.m, u, a):
                    self._heap("in", self.m, u)

    # -- successive shortest paths ------------------------------------------------------------
    def _arc(self, kind: str, t: int, u: int) -> tuple | None:
        """The cheapest arc of one kind between two nodes now: (from, to, cost, move), or None.

        Remembered until a move changes its area or its heap.
        """
        key = (kind, t, u)
        if key in self._best:
            return self._best[key]
        a = self._top(kind, t, u)
        arc: tuple | None = None
        if a is not None:
            m, rems, scale = self.m, self.t.rems, self.t.scale
            if kind == "pair":
                err = rems[t][a] * scale[t] - rems[u][a] * scale[u]
                arc = (t, u, (0, err, ((a * m + t, 1), (a * m + u, -1))), ("pair", t, u, a))
            elif kind == "out":
                arc = (t, u, (1, rems[t][a] * scale[t], ((a * m + t, 1),)), ("out", t, a))
            else:
                arc = (t, u, (-1, -rems[u][a] * scale[u], ((a * m + u, -1),)), ("in", u, a))
        self._best[key] = arc
        return arc

    def _arcs(self, *, through_x: bool) -> list[tuple[int, int, tuple, tuple]]:
        """The cheapest arc between every two nodes now: (from, to, cost, move)."""
        m = x = self.m
        arcs = [
            arc
            for t in range(m)
            for u in range(m)
            if u != t and (arc := self._arc("pair", t, u)) is not None
        ]
        if not through_x:
            return arcs
        for t in range(m):
            if self.out_cols[t] > 0:  # an out-of-band penny of term t can go elsewhere, free
                arcs.append((t, x, _ZERO, ("uncol", t)))
            elif (arc := self._arc("out", t, x)) is not None:
                arcs.append(arc)
            arc = self._arc("in", x, t) if self.out_total > 0 else None
            arcs.append(arc if arc is not None else (x, t, _ZERO, ("col", t)))
        return arcs

    def _path(self, *, through_x: bool) -> tuple[int, int, list[tuple]] | None:
        """Shortest paths from the nodes with excess: (start, end, moves) to the nearest deficit."""
        nodes = self.m + 1 if through_x else self.m
        out: list[list[tuple]] = [[] for _ in range(nodes)]
        for arc in self._arcs(through_x=through_x):
            out[arc[0]].append(arc)
        dist: list[tuple | None] = [_ZERO if self.excess[v] > 0 else None for v in range(nodes)]
        via: list[tuple | None] = [None] * nodes
        queue = deque(v for v in range(nodes) if dist[v] is not None)
        queued = [d is not None for d in dist]
        while queue:  # Bellman-Ford with a queue (no negative cycles: it ends)
            v = queue.popleft()
            queued[v] = False
            dv = dist[v]
            if dv is None:  # pragma: no cover - only nodes with a distance are queued
                continue
            for _, w, cost, move in out[v]:
                d = _add(dv, cost)
                if dist[w] is None or _less(d, dist[w]):
                    dist[w], via[w] = d, (v, move)
                    if not queued[w]:
                        queue.append(w)
                        queued[w] = True
        best, nearest = None, None
        for w in range(self.m):
            reached = dist[w]
            if self.excess[w] >= 0 or reached is None:
                continue
            if nearest is None or _less(reached, nearest):
                best, nearest = w, reached
        if best is None:
            return None
        moves, w, step = [], best, via[best]
        while step is not None:  # back to a node with excess (no negative cycles: a tree)
            w, move = step
            moves.append(move)
            step = via[w]
        return w, best, moves[::-1]

    def _apply(self, move: tuple) -> int | None:
        """Make one move; return the area it changed."""
        kind = move[0]
        if kind == "pair":
            _, t, u, a = move
            self.chosen[t][a], self.chosen[u][a] = False, True
            return a
        if kind == "out":
            _, t, a = move
            self.chosen[t][a] = False
            self.out_rows[a] += 1
            self.out_total += 1
            return a
        if kind == "in":
            _, u, a = move
            self.chosen[u][a] = True
            self.out_rows[a] -= 1
            self.out_total -= 1
            return a
        self.out_cols[move[1]] += 1 if kind == "col" else -1
        self.cols_total += 1 if kind == "col" else -1
        return None

    def solve(self) -> list[list[int]]:
        m, n = self.m, self.n
        floors = self.t.floors
        if not any(self.need_rows):
            return [list(f) for f in floors]
        self._start()
        self._orders: dict[tuple, _Order] = {}
        self._heaps: dict[tuple, list[int]] = {}
        self._users: dict[int, list[tuple]] = {}  # the heaps that use each order
        self._best: dict[tuple, tuple | None] = {}  # the cheapest arc of each heap
        while any(e > 0 for e in self.excess):
            found = None
            if not self.out_total and not self.cols_total:
                found = self._path(through_x=False)  # then any path through X costs a penny
            if found is None:
                found = self._path(through_x=True)
            if found is None:  # pragma: no cover - every term reaches X, and X every term
                raise AssertionError("no augmenting path")
            start, end, moves = found
            touched = {a for a in map(self._apply, moves) if a is not None}
            self.excess[start] -= 1
            self.excess[end] += 1
            for a in touched:
                self._touch(a)
        cells = [[f + c for f, c in zip(floors[t], self.chosen[t], strict=True)] for t in range(m)]
        wanted = list(self.out_cols)  # out-of-band pennies: north-west corner
        for a in range(n):
            left, t = self.out_rows[a], 0
            while left and t < m:
                give = min(left, wanted[t])
                cells[t][a] += give
                wanted[t] -= give
                left -= give
                t += 1
        return cells
