"""Plots of count against harm (the ``plot`` extra: matplotlib). Each returns its Axes.

* :func:`plot_composition`: each group's share of the crimes and of the harm,
  as two stacked bars (the 2016 paper's Figures 1 and 2 give the same as
  two pies);
* :func:`plot_trend`: crimes and harm over time, each indexed to a base
  period = 100;
* :func:`plot_ranks`: the areas with the most harm, with each one's rank by
  crime count beside it.

matplotlib is imported when a plot is drawn, never at import.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from crimeharm.analysis.trends import index_to_base
from crimeharm.errors import MissingColumnError, OptionalDependencyError

__all__ = ["plot_composition", "plot_ranks", "plot_trend"]


def pyplot() -> Any:
    """``matplotlib.pyplot``, imported now; every plot of crimeharm gets it here.

    Raises
    ------
    OptionalDependencyError
        When matplotlib is not installed, saying how to install it.
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise OptionalDependencyError(
            "plots need matplotlib: pip install 'crimeharm[plot]'", values=["matplotlib"]
        ) from None
    return plt


def axes(ax: Any, size: tuple[float, float], *, layout: str | None = None) -> Any:
    """``ax``, or the Axes of a new figure of ``size`` (inches) when ``ax`` is None.

    ``layout`` is matplotlib's figure layout (``"constrained"``, or None for none).
    """
    if ax is not None:
        return ax
    _, ax = pyplot().subplots(figsize=size, layout=layout)
    return ax


def _harm_column(table: pd.DataFrame, harm: str | None) -> str:
    return harm or ("chi_days" if "chi_days" in table.columns else "harm_days")


def _sums(
    table: pd.DataFrame, key: str | list[str], *, crimes: str, harm: str | None, dropna: bool
) -> tuple[pd.DataFrame, str]:
    """Crimes and harm summed by ``key`` (a column, or several), and the harm column used."""
    harm = _harm_column(table, harm)
    keys = [key] if isinstance(key, str) else key
    MissingColumnError.check(list(table.columns), [*keys, crimes, harm], source="table")
    by = [table[k].astype(object) for k in keys]
    grouped = table.groupby(by[0] if isinstance(key, str) else by, dropna=dropna)
    return grouped[[crimes, harm]].sum(), harm


def plot_composition(
    table: pd.DataFrame,
    *,
    group: str,
    crimes: str = "crimes",
    harm: str | None = None,
    ax: Any = None,
) -> Any:
    """Each group's share of crimes and of harm, as two 100% stacked bars.

    Parameters
    ----------
    table : pandas.DataFrame
        Crimes and harm by group (summed over any other columns).
    group : str
        The group column (crime type, offence group).
    crimes, harm : str
        The columns (harm: ``chi_days`` or ``harm_days``).
    ax : matplotlib Axes, optional
        Where to draw; a new figure otherwise.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd
    >>> t = pd.DataFrame({"group": ["theft", "violence"], "crimes": [80, 20],
    ...                   "harm_days": [80.0, 3650.0]})
    >>> ax = plot_composition(t, group="group")
    >>> [label.get_text() for label in ax.get_yticklabels()]
    ['Crimes', 'Harm (CHI days)']
    >>> plt.close("all")
    """
    plt = pyplot()
    sums, harm = _sums(table, group, crimes=crimes, harm=harm, dropna=False)
    sums = sums[(sums != 0).any(axis=1)].sort_values(harm, ascending=False)
    sums.index = ["(none)" if pd.isna(g) else str(g) for g in sums.index]
    shares = sums / sums.sum() * 100.0
    ax = axes(ax, (9, 4.5))
    colours = plt.get_cmap("tab20")(np.arange(len(shares)) % 20)
    left = np.zeros(2)
    for (name, row), colour in zip(shares.iterrows(), colours, strict=True):
        widths = row[[crimes, harm]].to_numpy(dtype=float)
        ax.barh([1, 0], widths, left=left, color=colour, label=str(name), edgecolor="white")
        for y, (w, x) in enumerate(zip(widths[::-1], left[::-1], strict=True)):
            if w >= 6:
                ax.text(x + w / 2, y, f"{w:.0f}%", ha="center", va="center", fontsize=8)
        left += widths
    ax.set_yticks([1, 0], ["Crimes", "Harm (CHI days)"])
    ax.set_xlim(0, 100)
    ax.set_xlabel("share of the total (%)")
    ax.set_title(f"Composition of crimes and of harm by {group}")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=3, fontsize=8, frameon=False)
    ax.figure.tight_layout()
    return ax


def plot_trend(
    table: pd.DataFrame,
    *,
    base: object,
    period: str = "period",
    crimes: str = "crimes",
    harm: str | None = None,
    ax: Any = None,
) -> Any:
    """Crimes and harm over time, each indexed to the base period = 100.

    Periods with neither crimes nor harm counted (cells that hold only
    excluded records) are left out.

    Parameters
    ----------
    table : pandas.DataFrame
        Crimes and harm by period (summed over any other columns).
    base : period label
        The base period.
    period, crimes, harm : str
        The columns.
    ax : matplotlib Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd
    >>> q = pd.DataFrame({"period": ["2023-Q1", "2023-Q2", "2023-Q3"],
    ...                   "crimes": [100, 90, 95], "harm_days": [1000.0, 1200.0, 800.0]})
    >>> ax = plot_trend(q, base="2023-Q1")
    >>> ax.get_ylabel()
    'index (2023-Q1 = 100)'
    >>> plt.close("all")
    """
    keys = [period] + (["period_start"] if "period_start" in table.columns else [])
    sums, harm = _sums(table, keys, crimes=crimes, harm=harm, dropna=True)
    totals = sums.reset_index()
    # cells that hold only excluded records (dated outside the window, historic...) are not
    # periods of the trend
    totals = totals[(totals[crimes] != 0) | (totals[harm] != 0)]
    if "period_start" in totals.columns:
        totals = totals.sort_values("period_start")
    indexed = index_to_base(totals, base=base, period=period, columns=[crimes, harm])
    ax = axes(ax, (8, 4.5))
    x = np.arange(len(indexed))
    ax.plot(x, indexed[f"{crimes}_index"], marker="o", label="Crimes (count)")
    ax.plot(x, indexed[f"{harm}_index"], marker="s", label="Harm (CHI days)")
    ax.axhline(100, color="grey", linewidth=0.8, linestyle=":")
    ax.set_xticks(x, [str(p) for p in indexed[period]], rotation=45, ha="right")
    ax.set_ylabel(f"index ({base} = 100)")
    ax.set_title("Count and harm, indexed")
    ax.legend(frameon=False)
    ax.figure.tight_layout()
    return ax


def plot_ranks(
    table: pd.DataFrame,
    *,
    area: str,
    crimes: str = "crimes",
    harm: str | None = None,
    top: int = 20,
    ax: Any = None,
) -> Any:
    """The areas with the most harm, each labelled with its rank by crime count.

    Parameters
    ----------
    table : pandas.DataFrame
        Crimes and harm by area (summed over any other columns).
    area : str
        The area column.
    crimes, harm : str
        The columns.
    top : int
        Areas shown.
    ax : matplotlib Axes, optional
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
    >>> ax = plot_ranks(areas, area="beat", top=2)
    >>> ax.get_title()
    'Areas ranked by harm (#), with their rank by count (of 3)'
    >>> plt.close("all")
    """
    sums, harm = _sums(table, area, crimes=crimes, harm=harm, dropna=False)
    sums["harm_rank"] = sums[harm].rank(ascending=False, method="min").astype(int)
    sums["count_rank"] = sums[crimes].rank(ascending=False, method="min").astype(int)
    shown = sums.sort_values(harm, ascending=False).head(top)[::-1]
    ax = axes(ax, (8, max(3.0, 0.35 * len(shown) + 1.2)))
    y = np.arange(len(shown))
    ax.barh(y, shown[harm], color="#8c2d04")
    ax.set_yticks(y, [f"{a}  (#{r})" for a, r in zip(shown.index, shown["harm_rank"], strict=True)])
    for yi, (h, cr) in enumerate(zip(shown[harm], shown["count_rank"], strict=True)):
        ax.text(h, yi, f"  count rank {cr}", va="center", fontsize=8)
    ax.set_xlim(0, float(shown[harm].max()) * 1.3 if len(shown) else 1)
    ax.set_xlabel("harm (CHI days)")
    ax.set_title(f"Areas ranked by harm (#), with their rank by count (of {len(sums)})")
    ax.figure.tight_layout()
    return ax
