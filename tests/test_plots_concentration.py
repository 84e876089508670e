"""The concentration plots render to PNG (Agg); skipped without matplotlib (issue 13)."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

import crimeharm

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

EXAMPLE = crimeharm.__path__[0] + "/data/example-records.csv"


@pytest.fixture(scope="module")
def scored() -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", crimeharm.UnknownCodeWarning)
        return crimeharm.score(EXAMPLE, date="committed_date")


def _png(ax, path) -> None:
    import matplotlib.pyplot as plt

    ax.figure.savefig(path, dpi=60)
    plt.close(ax.figure)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_lorenz_plot(scored, tmp_path):
    ax = crimeharm.plot_lorenz(scored, unit="lsoa")
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[0] == "equality"
    assert labels[1].startswith("crimes")
    assert "Gini" in labels[2]
    assert len(ax.lines) == 3
    _png(ax, tmp_path / "lorenz.png")


def test_ranked_intervals_plot(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", crimeharm.UnknownCodeWarning)
        iv = crimeharm.harm_intervals(EXAMPLE, by="lsoa", date="committed_date", period="year")
    with pytest.raises(crimeharm.OptionError, match="period="):
        crimeharm.plot_ranked_intervals(iv)
    ax = crimeharm.plot_ranked_intervals(iv, period="2023", top=5)
    assert len(ax.get_yticklabels()) == 5
    assert "2023" in ax.get_title()
    _png(ax, tmp_path / "ranked.png")


def test_spot_overlap_plot(scored, tmp_path):
    ax = crimeharm.plot_spot_overlap(scored, unit="lsoa", top=3)
    labels = " ".join(t.get_text() for t in ax.get_legend().get_texts())
    assert "harm only" in labels or "both" in labels
    _png(ax, tmp_path / "spots.png")


def test_every_plot_says_the_same_when_matplotlib_is_missing(scored, monkeypatch):
    # both plot modules get matplotlib from one function (analysis.plots.pyplot); they once had
    # two copies, one of which did not carry values=["matplotlib"]
    by_lsoa = crimeharm.aggregate(scored, by="lsoa")
    by_month = crimeharm.aggregate(scored, period="month")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", crimeharm.UnknownCodeWarning)
        iv = crimeharm.harm_intervals(EXAMPLE, by="lsoa", date="committed_date")
    calls = {
        "plot_composition": lambda: crimeharm.plot_composition(by_lsoa, group="lsoa"),
        "plot_trend": lambda: crimeharm.plot_trend(
            by_month, base=by_month["period"].astype(str).iloc[0]
        ),
        "plot_ranks": lambda: crimeharm.plot_ranks(by_lsoa, area="lsoa"),
        "plot_lorenz": lambda: crimeharm.plot_lorenz(scored, unit="lsoa"),
        "plot_ranked_intervals": lambda: crimeharm.plot_ranked_intervals(iv),
        "plot_spot_overlap": lambda: crimeharm.plot_spot_overlap(scored, unit="lsoa", top=3),
    }
    monkeypatch.setitem(__import__("sys").modules, "matplotlib.pyplot", None)
    seen = set()
    for name, call in calls.items():
        with pytest.raises(crimeharm.OptionalDependencyError) as info:
            call()
        assert isinstance(info.value, ImportError), name
        seen.add((str(info.value), tuple(info.value.values)))
    assert seen == {("plots need matplotlib: pip install 'crimeharm[plot]'", ("matplotlib",))}


def test_ranked_intervals_plot_leaves_out_the_blank_area(tmp_path):
    # the records with no area carry most harm here, but they are not a place: not plotted
    df = pd.DataFrame(
        {
            "offence_code": ["001/01", "008/06", "034/02", "008/06"],
            "beat": [None, "A", "B", "B"],
        }
    )
    iv = crimeharm.harm_intervals(df, by="beat")
    assert iv["harm_days"].idxmax() == iv.index[iv["beat"] == crimeharm.BLANK_AREA][0]
    ax = crimeharm.plot_ranked_intervals(iv, top=5)
    assert sorted(t.get_text() for t in ax.get_yticklabels()) == ["A", "B"]
    _png(ax, tmp_path / "ranked-blank.png")
