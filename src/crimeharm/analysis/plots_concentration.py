"""Plots of concentration: Lorenz curves, ranked harm with intervals, harm spots against hot spots.

Needs matplotlib (the ``plot`` extra: ``pip install 'crimeharm[plot]'``),
imported only when a function is called. Each function draws on ``ax`` (a
new figure when None) and returns the Axes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from crimeharm.analysis.concentration import concentration, lorenz
from crimeharm.analysis.plots import axes
from crimeharm.analysis.spots import KINDS, spots
from crimeharm.analysis.units import as_units
from crimeharm.errors import MissingColumnError, OptionError

__all__ = ["plot_lorenz", "plot_ranked_intervals", "plot_spot_overlap"]

_LABELS = {"harm_days": "harm (days)", "crimes": "crimes (count)"}
_COLOURS = {"both": "#7b3294", "harm only": "#d7191c", "hot only": "#2c7bb6", "neither": "#bdbdbd"}


def _axes(ax: Any, size: tuple[float, float] = (6.4, 4.8)) -> Any:
    return axes(ax, size, layout="constrained")


def _unit_label(frame: pd.DataFrame, unit: list[str]) -> list[str]:
    return [" / ".join(str(v) for v in row) for row in frame[unit].itertuples(index=False)]


def plot_lorenz(
    table: Any,
    *,
    unit: str | Sequence[str],
    values: Sequence[str] = ("crimes", "harm_days"),
    labels: Sequence[str] | None = None,
    units: Any = None,
    complete: bool = False,
    ax: Any = None,
) -> Any:
    """Lorenz curves of several columns (count and harm) over the same units, on one axes.

    Parameters
    ----------
    table : pandas.DataFrame, pyarrow.Table or path
        A result table or scored records.
    unit : str or list of str
        The unit column(s).
    values : sequence of str
        The columns to draw, one curve each.
    labels : sequence of str, optional
        Legend labels (default: the column names; each gets its Gini).
    units, complete
        As for :func:`crimeharm.concentration`.
    ax : matplotlib.axes.Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd
    >>> areas = pd.DataFrame({"beat": ["A", "B", "C"], "crimes": [50, 10, 30],
    ...                       "harm_days": [200.0, 900.0, 300.0]})
    >>> ax = plot_lorenz(areas, unit="beat")
    >>> [line.get_label() for line in ax.get_lines()]
    ['equality', 'crimes (count): Gini 0.30', 'harm (days): Gini 0.33']
    >>> plt.close("all")
    """
    ax = _axes(ax)
    labels = list(labels) if labels is not None else [_LABELS.get(v, v) for v in values]
    if len(labels) != len(values):
        raise OptionError(f"labels= has {len(labels)} entries for {len(values)} values")
    ax.plot([0, 100], [0, 100], color="#888888", lw=0.8, ls="--", label="equality")
    n_units = 0
    for value, label in zip(values, labels, strict=True):
        curve = lorenz(table, unit=unit, value=value, units=units, complete=complete)
        stats = concentration(table, unit=unit, value=value, units=units, complete=complete)
        x = np.concatenate([[0.0], curve["units_share"].to_numpy()]) * 100
        y = np.concatenate([[0.0], curve["value_share"].to_numpy()]) * 100
        ax.plot(x, y, lw=1.8, label=f"{label}: Gini {stats['gini']:.2f}")
        n_units = len(curve)
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    ax.set_xlabel(f"units, from the most (% of {n_units:,})")
    ax.set_ylabel("cumulative share (%)")
    ax.set_title("Concentration over " + ", ".join(as_units(unit)))
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", frameon=False)
    return ax


def plot_ranked_intervals(
    intervals: pd.DataFrame,
    *,
    unit: str | Sequence[str] | None = None,
    period: Any = None,
    top: int = 30,
    ax: Any = None,
) -> Any:
    """The units with most harm, ranked, each with its interval; one-record cells marked.

    Parameters
    ----------
    intervals : pandas.DataFrame
        The output of :func:`crimeharm.harm_intervals`.
    unit : str or list of str, optional
        The unit column(s) (default: the ``by`` columns of the call).
    period : optional
        The period to draw (a value of the ``period`` column); needed when
        the table has several.
    top : int
        The number of units to draw, most harm first.
    ax : matplotlib.axes.Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd
    >>> import crimeharm
    >>> records = pd.DataFrame({"offence_code": ["8/6", "34B", "28E", "8/6", "28E"],
    ...                         "beat": ["A", "A", "B", "C", "C"]})
    >>> ax = plot_ranked_intervals(crimeharm.harm_intervals(records, by="beat"), top=3)
    >>> ax.get_title()
    'Top 3 by harm'
    >>> plt.close("all")
    """
    MissingColumnError.check(
        list(intervals.columns),
        ["harm_days", "harm_low", "harm_high", "dominant"],
        source="intervals (needs crimeharm.harm_intervals's output)",
    )
    meta = intervals.attrs.get("crimeharm", {})
    names = as_units(unit) if unit is not None else list(meta.get("by") or [])
    rows = intervals
    if "period" in intervals.columns:
        present = intervals["period"].dropna().unique()
        if period is None:
            if len(present) > 1:
                raise OptionError(
                    f"the table has {len(present)} periods: pass period= (e.g. {present[-1]!r})"
                )
            rows = intervals[intervals["period"].notna()]
        else:
            rows = intervals[intervals["period"] == period]
            if rows.empty:
                raise OptionError(f"period={period!r} is not in the table", values=[period])
    if "rank" in rows.columns:  # the blank area (no area given) is not a place: not ranked
        rows = rows[rows["rank"].notna()]
    rows = rows.sort_values("harm_days", ascending=False, kind="stable").head(top)
    ax = _axes(ax, (6.4, max(3.0, 1.2 + 0.22 * len(rows))))
    y = np.arange(len(rows))[::-1]
    h = rows["harm_days"].to_numpy()
    err = np.vstack([h - rows["harm_low"].to_numpy(), rows["harm_high"].to_numpy() - h])
    dom = rows["dominant"].to_numpy(dtype=bool)
    share = meta.get("intervals", {}).get("dominant_share", 0.5)
    marks = (
        (~dom, "#2c7bb6", "harm and interval"),
        (dom, "#d7191c", f"one record gives > {share:.0%} of the harm"),
    )
    for mask, colour, label in marks:
        if mask.any():
            ax.errorbar(
                h[mask], y[mask], xerr=err[:, mask], fmt="o", ms=4, color=colour,
                ecolor=colour, elinewidth=1, capsize=2, label=label,
            )  # fmt: skip
    ax.set_yticks(y)
    ax.set_yticklabels(_unit_label(rows, names) if names else [str(i) for i in rows.index])
    info = meta.get("intervals", {})
    level = info.get("level", 0.95)
    ax.set_xlabel(f"harm (days), {level:.0%} interval ({info.get('method', '')})")
    title = f"Top {len(rows)} by harm"
    if "period" in rows.columns and len(rows):
        title += f", {rows['period'].iloc[0]}"
    ax.set_title(title)
    ax.set_xlim(left=0)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="lower right", frameon=True, fontsize="small")
    return ax


def plot_spot_overlap(
    table: Any,
    *,
    unit: str | Sequence[str],
    top: int | None = None,
    top_share: float | None = None,
    harm: str = "harm_days",
    count: str = "crimes",
    units: Any = None,
    complete: bool = False,
    ax: Any = None,
) -> Any:
    """Each unit's rank by count against its rank by harm, coloured by harm spot and hot spot.

    Parameters
    ----------
    table, unit, top, top_share, harm, count, units, complete
        As for :func:`crimeharm.spots`.
    ax : matplotlib.axes.Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd
    >>> areas = pd.DataFrame({"beat": ["A", "B", "C"], "crimes": [50, 10, 30],
    ...                       "harm_days": [200.0, 900.0, 300.0]})
    >>> ax = plot_spot_overlap(areas, unit="beat", top=1)
    >>> ax.get_title()
    'Harm spots and hot spots: top 1 of 3 by each'
    >>> plt.close("all")
    """
    frame = spots(
        table, unit=unit, top=top, top_share=top_share, harm=harm, count=count,
        units=units, complete=complete,
    )  # fmt: skip
    k = frame.attrs["crimeharm"]["k"]
    ax = _axes(ax)
    size = 30 if len(frame) <= 200 else 8
    for kind in KINDS[::-1]:
        rows = frame[frame["kind"] == kind]
        if len(rows):
            ax.scatter(
                rows["count_rank"], rows["harm_rank"], s=size, color=_COLOURS[kind],
                label=f"{kind} ({len(rows):,})", alpha=0.85, edgecolors="none",
            )  # fmt: skip
    n = len(frame)
    ax.axvline(k + 0.5, color="#555555", lw=0.8, ls=":")
    ax.axhline(k + 0.5, color="#555555", lw=0.8, ls=":")
    if n > 50:
        ax.set_xscale("log")
        ax.set_yscale("log")
    lo = 0.7 if n > 50 else 0.4
    ax.set_xlim(lo, n + 1)
    ax.set_ylim(n + 1, lo)
    ax.set_xlabel("rank by crime count (1 = most)")
    ax.set_ylabel("rank by harm (1 = most)")
    ax.set_title(f"Harm spots and hot spots: top {k:,} of {n:,} by each")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", frameon=False, fontsize="small")
    return ax
