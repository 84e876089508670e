"""Weighting schemes side by side: harm per area under each, their rank agreement, the movers.

A scheme is a weights edition (``cchi-2020``, ``ons-css``, a user's table)
or a transform of one made with :func:`transform_weights`, for the
"frequency deserts" where one homicide makes a harm spot:

==============  ==============================================================
transform       days per crime
==============  ==============================================================
``cap:<N>``     ``min(days, N)``
``log1p``       ``log(1 + days)``
``sqrt``        ``sqrt(days)``
==============  ==============================================================

The transformed table's edition label says so (``cchi-2020+log1p``), so
every result scored with it records it; its sha256 is the source
edition's. Rank correlations are computed here with pandas and numpy (no
scipy): Spearman's rho is Pearson's correlation of average ranks; Kendall's
tau is tau-b (ties corrected), counted in O(n log n).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from crimeharm.errors import OptionError, UnknownCodeWarning
from crimeharm.scoring.sums import harm_index
from crimeharm.weights.editions import load_weights
from crimeharm.weights.table import WeightTable

__all__ = [
    "SchemeComparison",
    "compare_schemes",
    "kendall_tau",
    "spearman_rho",
    "transform_weights",
]

_CAP = re.compile(r"^cap:(\d+(?:\.\d+)?)$")


def transform_weights(weights: str | WeightTable | None, transform: str) -> WeightTable:
    """A weights table with each offence's days transformed, labelled as such.

    Parameters
    ----------
    weights : str or WeightTable, optional
        The edition to transform (``cchi-2020`` by default).
    transform : str
        ``cap:<days>`` (e.g. ``cap:365``), ``log1p`` or ``sqrt``.

    Returns
    -------
    WeightTable
        Edition ``<edition>+<transform>``; the same offences and flags.

    Examples
    --------
    >>> w = transform_weights("cchi-2020", "cap:365")
    >>> w.edition, w.lookup(["001/01", "008/06"]).tolist()
    ('cchi-2020+cap:365', [365.0, 10.0])
    """
    base = load_weights(weights)
    days = base.table["days"].to_numpy(dtype=float)
    m = _CAP.match(str(transform))
    if m:
        new = np.minimum(days, float(m.group(1)))
    elif transform == "log1p":
        new = np.log1p(days)
    elif transform == "sqrt":
        new = np.sqrt(days)
    else:
        raise OptionError(
            f"transform={transform!r}; expected 'cap:<days>' (e.g. 'cap:365'), 'log1p' or 'sqrt'",
            values=[transform],
            allowed=["cap:<days>", "log1p", "sqrt"],
        )
    table = base.table.assign(days=new)
    return WeightTable(
        edition=f"{base.edition}+{transform}", sha256=base.sha256, table=table, scheme=base.scheme
    )


def _ranks(values: np.ndarray) -> np.ndarray:
    return pd.Series(values).rank(method="average").to_numpy()


def spearman_rho(x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray) -> float:
    """Spearman's rank correlation (average ranks for ties).

    Parameters
    ----------
    x, y : sequence of float
        Two values per unit (harm under two schemes, say), in the same order,
        each side in one unit of its own (days, crimes...): only their ranks count.

    Returns
    -------
    float
        Pearson's correlation of the average ranks, from -1 to 1; NaN for fewer
        than two units or when either side is constant.

    Examples
    --------
    >>> round(spearman_rho([1, 2, 3, 4], [10, 20, 40, 30]), 12)
    0.8
    """
    rx, ry = _ranks(np.asarray(x, dtype=float)), _ranks(np.asarray(y, dtype=float))
    if len(rx) < 2 or rx.std() == 0 or ry.std() == 0:
        return float("nan")
    return float(np.corrcoef(rx, ry)[0, 1])


def _inversions(values: np.ndarray) -> int:
    """Pairs i < j with values[i] > values[j] (merge counting, O(n log n))."""
    a = np.asarray(values)
    n = len(a)
    count = 0
    width = 1
    a = a.copy()
    while width < n:
        for lo in range(0, n - width, 2 * width):
            left = a[lo : lo + width]
            right = a[lo + width : lo + 2 * width]
            # for each right element, the left elements greater than it
            count += int((len(left) - np.searchsorted(left, right, side="right")).sum())
            a[lo : lo + len(left) + len(right)] = np.sort(np.concatenate([left, right]))
        width *= 2
    return count


def _tied_pairs(*arrays: np.ndarray) -> int:
    counts = pd.DataFrame(dict(enumerate(arrays))).value_counts().to_numpy()
    return int((counts * (counts - 1) // 2).sum())


def kendall_tau(x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray) -> float:
    """Kendall's tau-b: concordant minus discordant pairs over the untied pairs.

    Counted in O(n log n), so it takes millions of units.

    Parameters
    ----------
    x, y : sequence of float
        Two values per unit, in the same order, each side in one unit of its
        own (days, crimes...): only their ranks count.

    Returns
    -------
    float
        Tau-b, from -1 to 1; NaN for fewer than two units or when either side is
        constant.

    Examples
    --------
    >>> kendall_tau([1, 2, 3, 4], [10, 20, 40, 30])
    0.6666666666666666
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    n = len(x)
    if n < 2:
        return float("nan")
    order = np.lexsort((y, x))
    pairs = n * (n - 1) // 2
    tx, ty, txy = _tied_pairs(x), _tied_pairs(y), _tied_pairs(x, y)
    discordant = _inversions(y[order])  # ties in x are sorted by y: not counted
    s = pairs - tx - ty + txy - 2 * discordant
    denom = np.sqrt(float(pairs - tx) * float(pairs - ty))
    return float(s / denom) if denom else float("nan")


@dataclass(frozen=True)
class SchemeComparison:
    """The result of :func:`compare_schemes`.

    Attributes
    ----------
    harm : pandas.DataFrame
        One row per area: ``harm_<label>`` (days) and ``rank_<label>`` (1 =
        most harm) under each scheme, and ``crimes``.
    spearman, kendall : pandas.DataFrame
        Rank correlation of the areas' harm between each pair of schemes.
    movers : pandas.DataFrame
        The areas whose rank moves most between the first scheme and each
        other one: ``scheme``, the area, both ranks and ``rank_change``
        (positive: the area ranks higher, i.e. nearer 1, under the other).
    """

    harm: pd.DataFrame
    spearman: pd.DataFrame
    kendall: pd.DataFrame
    movers: pd.DataFrame


def _scheme(spec: Any) -> tuple[WeightTable, dict[str, Any]]:
    if isinstance(spec, Mapping):
        extra = {k: v for k, v in spec.items() if k != "weights"}
        bad = set(extra) - {"code", "code_system", "ambiguity"}
        if bad:
            raise OptionError(
                "a scheme mapping takes weights, code, code_system and ambiguity; "
                f"not {sorted(bad)}"
            )
        return load_weights(spec.get("weights")), extra
    return load_weights(spec), {}


def compare_schemes(
    data: Any,
    *,
    by: str,
    schemes: Sequence[Any] = ("cchi-2020", "ons-css"),
    top: int = 10,
    **options: Any,
) -> SchemeComparison:
    """Score the same records under several weighting schemes and compare the areas.

    Parameters
    ----------
    data : pandas.DataFrame, pyarrow.Table, or path
        Records, as for :func:`crimeharm.harm_index`.
    by : str
        The area column.
    schemes : sequence
        Each an edition id or path, a :class:`~crimeharm.WeightTable` (e.g.
        from :func:`transform_weights`), or a mapping with ``weights`` and any
        of ``code``, ``code_system``, ``ambiguity`` for a scheme keyed by
        another code column (``ons-css`` is keyed by open-data codes). Labels
        are the editions' ids, which must differ.
    top : int
        The number of areas listed as movers per scheme.
    **options
        Scoring options for every scheme (``date``, ``start``,
        ``police_initiated``...), as :func:`crimeharm.harm_index` takes them.

    Returns
    -------
    SchemeComparison

    Examples
    --------
    >>> import pandas as pd, crimeharm
    >>> df = pd.DataFrame({"offence_code": ["001/01", "008/06", "008/06", "105/01"],
    ...                    "area": ["A", "B", "B", "C"]})
    >>> c = crimeharm.compare_schemes(df, by="area",
    ...     schemes=["cchi-2020", crimeharm.transform_weights("cchi-2020", "log1p")])
    >>> c.harm[["area", "harm_cchi-2020", "rank_cchi-2020+log1p"]]
      area  harm_cchi-2020  rank_cchi-2020+log1p
    0    A          5475.0                   1.0
    1    B            20.0                   2.0
    2    C             1.0                   3.0
    """
    if "weights" in options:
        raise OptionError("compare_schemes takes the weights in schemes=, not weights=")
    resolved = [_scheme(s) for s in schemes]
    labels = [w.edition for w, _ in resolved]
    if len(set(labels)) != len(labels):
        raise OptionError(f"schemes must differ: editions {labels}")
    if len(labels) < 2:
        raise OptionError("compare_schemes needs at least two schemes")
    frames = []
    for (w, extra), label in zip(resolved, labels, strict=True):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UnknownCodeWarning)
            out = harm_index(data, by=by, excluded="summary", weights=w, **{**options, **extra})
        part = out[[by, "harm_days", "crimes"]].copy()
        part[by] = part[by].astype(object)
        part = part.groupby(by, dropna=False, sort=False).sum()
        names = {"harm_days": f"harm_{label}", "crimes": f"crimes_{label}"}
        frames.append(part.rename(columns=names))
    harm = pd.concat(frames, axis=1).fillna(0.0)
    harm["crimes"] = harm[f"crimes_{labels[0]}"]
    harm = harm.drop(columns=[f"crimes_{lb}" for lb in labels])
    for lb in labels:
        harm[f"rank_{lb}"] = harm[f"harm_{lb}"].rank(ascending=False, method="min")
    harm = harm.sort_values(f"harm_{labels[0]}", ascending=False, kind="stable")
    harm = harm.reset_index().rename(columns={"index": by})
    rho = pd.DataFrame(np.eye(len(labels)), index=labels, columns=labels)
    tau = rho.copy()
    for i, a in enumerate(labels):
        for b in labels[i + 1 :]:
            x, y = harm[f"harm_{a}"].to_numpy(), harm[f"harm_{b}"].to_numpy()
            rho.loc[a, b] = rho.loc[b, a] = spearman_rho(x, y)
            tau.loc[a, b] = tau.loc[b, a] = kendall_tau(x, y)
    movers = []
    first = labels[0]
    for lb in labels[1:]:
        m = harm[[by, f"rank_{first}", f"rank_{lb}"]].copy()
        m.columns = [by, "rank_first", "rank_other"]
        m["rank_change"] = m["rank_first"] - m["rank_other"]
        m = m.reindex(m["rank_change"].abs().sort_values(ascending=False, kind="stable").index)
        movers.append(m.head(top).assign(scheme=lb))
    moved = pd.concat(movers, ignore_index=True)[
        ["scheme", by, "rank_first", "rank_other", "rank_change"]
    ]
    return SchemeComparison(harm=harm, spearman=rho, kendall=tau, movers=moved)
