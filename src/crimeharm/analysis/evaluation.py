"""Evaluating a place-based intervention: the weighted displacement difference (WDD) test.

Wheeler & Ratcliffe (2018) compare the change in crime in a treated area
``T`` with that in a control area ``Ct``, and the change in a displacement
area ``D`` (around the treated one) with that in its own control ``Cd``.
With ``Δ`` the count after minus the count before:

    ``WDD = ΔT − ΔCt + ΔD − ΔCd``

Negative is good: crime fell in the treated (and displacement) area by more
than in the controls. Counts are taken as Poisson, so the variance of each
count is the count itself and
``Var(WDD) = T₀ + T₁ + Ct₀ + Ct₁ + D₀ + D₁ + Cd₀ + Cd₁``; the test is
``z = WDD / √Var`` against the normal, and the interval ``WDD ± z·√Var``.

For harm, each area's before and after is a sum of crime weights; a sum of
Poisson-counted weights has variance equal to the sum of its squared
weights (a crime of 365 days adds 365² to the variance, ten crimes of 36.5
days add 10·36.5²). So the same test is run on harm sums with
``Var = Σ w²`` over every record in the eight sums (Wheeler's extension of
the WDD to harm weights sums per-offence WDDs, which is the same).

Checked against the paper's worked example (treated 207 -> 110, control
308 -> 318, displacement 178 -> 157, its control 150 -> 140: WDD -118,
variance 1568, z -2.98, 95% interval -196 to -40) and Wheeler's harm-weighted
example (ptools ``wdd_harm``): see ``tests/test_evaluation.py``. The published
figures agree with the formula above; an early version of the authors' R code
(ptools ``wdd.R``) closed a parenthesis late in the displacement-control
variance (``Cd1 * (1 + Cd0)`` for ``Cd1 + Cd0``), since fixed there. ptools
reports a 90% interval by default (``alpha=0.1``); here ``level`` is 0.95
unless given.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from crimeharm.analysis.units import numbers
from crimeharm.errors import ColumnValueError, OptionError

__all__ = ["wdd"]


def _one(side: Any, *, name: str, value: str) -> tuple[float, float, str]:
    """The sum, its variance and its kind (``crimes`` or the harm column) of one side."""
    if isinstance(side, bool):
        raise OptionError(f"{name}: {side!r} is not a count or records")
    if isinstance(side, int | float | np.integer | np.floating):
        x = float(side)
        if not math.isfinite(x) or x < 0:
            raise ColumnValueError(f"{name}: count {side!r}; expected a number >= 0", values=[side])
        return x, x, "crimes"
    if isinstance(side, pd.DataFrame):
        cols = set(side.columns)
        if {"days", "crimes", "excluded"} <= cols:  # crimeharm.score's output
            kept = side["excluded"].isna().to_numpy()
            days = numbers(side["days"].where(kept, 0.0), name="days")
            crimes = numbers(side["crimes"].where(kept, 0.0), name="crimes")
            return float((days * crimes).sum()), float((crimes * days**2).sum()), "harm_days"
        if value not in cols:
            raise ColumnValueError(
                f"{name}: records need a {value!r} column (or crimeharm.score's output); "
                f"columns present: {list(side.columns)}",
                column=value,
                allowed=list(side.columns),
            )
        w = numbers(side[value], name=value)
        return float(w.sum()), float((w**2).sum()), value
    if isinstance(side, pd.Series | np.ndarray | list | tuple):
        w = numbers(
            side if isinstance(side, pd.Series) else pd.Series(side), name=f"{name} weights"
        )
        return float(w.sum()), float((w**2).sum()), value
    raise OptionError(
        f"{name}: {type(side).__name__} is neither a count nor records (a DataFrame, Series or "
        "array of harm weights)"
    )


def _pair(pair: Any, *, name: str, value: str) -> tuple[float, float, float, float, str]:
    if not isinstance(pair, Sequence) or isinstance(pair, str) or len(pair) != 2:
        raise OptionError(f"{name}= takes a (before, after) pair, not {pair!r}")
    b, vb, kb = _one(pair[0], name=f"{name} before", value=value)
    a, va, ka = _one(pair[1], name=f"{name} after", value=value)
    if kb != ka:
        raise OptionError(f"{name}: before is {kb} and after is {ka}; give both as one kind")
    return b, a, vb, va, kb


def wdd(
    *,
    target: Sequence[Any],
    control: Sequence[Any],
    displacement: Sequence[Any] | None = None,
    displacement_control: Sequence[Any] | None = None,
    level: float = 0.95,
    value: str = "harm_days",
) -> pd.Series:
    """The weighted displacement difference test (Wheeler & Ratcliffe 2018).

    Parameters
    ----------
    target, control : (before, after) pairs
        The treated area and its control. Each side is a count of crimes (a
        number), or records to weigh by harm: scored records
        (:func:`crimeharm.score`'s output; excluded rows count for nothing),
        a DataFrame with a ``value`` column, or a Series or array of each
        record's harm (days).
    displacement, displacement_control : (before, after) pairs, optional
        The displacement area and its control; both or neither.
    level : float
        The confidence level of the interval, a share 0-1 (0.95).
    value : str
        The harm column of records given as DataFrames.

    Returns
    -------
    pandas.Series
        ``estimate`` (the WDD: crimes, or days of harm), ``se``, ``z``,
        ``p_value`` (two-sided), ``low``, ``high``, ``local_estimate``,
        ``local_se``, ``displacement_estimate``, ``displacement_se``;
        ``attrs["crimeharm"]`` says what was measured and the level.

    Examples
    --------
    >>> import crimeharm
    >>> r = crimeharm.wdd(target=(20, 10), control=(20, 20))
    >>> r[["estimate", "se", "z"]].round(3).tolist()
    [-10.0, 8.367, -1.195]

    The paper's worked example, with displacement areas:

    >>> r = crimeharm.wdd(target=(207, 110), control=(308, 318),
    ...                   displacement=(178, 157), displacement_control=(150, 140))
    >>> r[["estimate", "z", "low", "high"]].round(2).tolist()
    [-118.0, -2.98, -195.61, -40.39]
    """
    if isinstance(level, bool) or not isinstance(level, int | float) or not 0 < level < 1:
        raise OptionError(f"level={level!r}; expected a probability between 0 and 1")
    if (displacement is None) != (displacement_control is None):
        raise OptionError(
            "displacement= and displacement_control= go together: give both or neither"
        )
    t0, t1, vt0, vt1, kind = _pair(target, name="target", value=value)
    c0, c1, vc0, vc1, kc = _pair(control, name="control", value=value)
    kinds = {kind, kc}
    local = (t1 - t0) - (c1 - c0)
    var_local = vt0 + vt1 + vc0 + vc1
    disp, var_disp = 0.0, 0.0
    if displacement is not None:
        d0, d1, vd0, vd1, kd = _pair(displacement, name="displacement", value=value)
        e0, e1, ve0, ve1, ke = _pair(displacement_control, name="displacement_control", value=value)
        kinds |= {kd, ke}
        disp = (d1 - d0) - (e1 - e0)
        var_disp = vd0 + vd1 + ve0 + ve1
    if len(kinds) > 1:
        raise OptionError(
            f"the areas mix counts and harm ({sorted(kinds)}): give every side as counts, or "
            "every side as records"
        )
    est = local + disp
    var = var_local + var_disp
    se = math.sqrt(var)
    z_crit = NormalDist().inv_cdf(1 - (1 - level) / 2)
    z = est / se if se > 0 else (0.0 if est == 0 else math.copysign(math.inf, est))
    p = math.erfc(abs(z) / math.sqrt(2)) if math.isfinite(z) else 0.0
    out = pd.Series(
        {
            "estimate": est,
            "se": se,
            "z": z,
            "p_value": p,
            "low": est - z_crit * se,
            "high": est + z_crit * se,
            "local_estimate": local,
            "local_se": math.sqrt(var_local),
            "displacement_estimate": disp if displacement is not None else np.nan,
            "displacement_se": math.sqrt(var_disp) if displacement is not None else np.nan,
        },
        name="wdd",
    )
    out.attrs["crimeharm"] = {
        "measure": kinds.pop(),
        "level": level,
        "variance": "Poisson: each count, or the sum of squared harm weights",
        "reference": "Wheeler & Ratcliffe (2018), Crime Science 7:11",
    }
    return out
