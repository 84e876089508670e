"""crimeharm: the Cambridge Crime Harm Index, computed.

Weights every crime by the days of imprisonment that the sentencing
guideline's starting point gives it (Sherman, Neyroud & Neyroud 2016), leaves
out crime that police generate themselves, and sums harm by area and period.

Importing crimeharm reads no file and loads no data library: each public name's
module (and pandas, pyarrow) is imported the first time the name is used, and
weights tables load the first time they are asked for.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from crimeharm import errors
from crimeharm._version import __version__
from crimeharm.errors import *  # noqa: F403  (every error and warning: errors.__all__)

if TYPE_CHECKING:  # the names below are imported on first use (see __getattr__)
    from crimeharm._engine.memory import MemoryEstimate, estimate_sums_memory
    from crimeharm.allocation import allocate, allocation_sensitivity, area_harm
    from crimeharm.analysis.change import change
    from crimeharm.analysis.concentration import concentration, lorenz
    from crimeharm.analysis.detection import join_outcomes, outcome_vocabulary
    from crimeharm.analysis.evaluation import wdd
    from crimeharm.analysis.intervals import harm_intervals
    from crimeharm.analysis.people import harm_at_risk, harm_per_person, repeat_victimisation
    from crimeharm.analysis.plots import plot_composition, plot_ranks, plot_trend
    from crimeharm.analysis.plots_concentration import (
        plot_lorenz,
        plot_ranked_intervals,
        plot_spot_overlap,
    )
    from crimeharm.analysis.schemes import (
        SchemeComparison,
        compare_schemes,
        kendall_tau,
        spearman_rho,
        transform_weights,
    )
    from crimeharm.analysis.series import edition_field, series
    from crimeharm.analysis.spots import persistence, spot_overlap, spots
    from crimeharm.analysis.trends import index_to_base, rates, rolling_mean
    from crimeharm.scoring.options import ScoreOptions
    from crimeharm.scoring.provenance import Provenance, provenance
    from crimeharm.scoring.rows import score
    from crimeharm.scoring.summary import Summary
    from crimeharm.scoring.sums import BLANK_AREA, aggregate, harm_index
    from crimeharm.weights.codes import canonical_ho_class, classify_codes
    from crimeharm.weights.editions import available_weights, edition_info, load_weights
    from crimeharm.weights.police_uk import police_uk_options, police_uk_weights
    from crimeharm.weights.sheets.derivation import (
        StartingPoint,
        parse_starting_point,
        starting_point_days,
    )
    from crimeharm.weights.sheets.importer import import_sheet
    from crimeharm.weights.sheets.read import CchiSheet, read_cchi_sheet, read_sheet
    from crimeharm.weights.table import WeightTable

#: Where each public name lives: its module is imported the first time the name is used,
#: so that ``import crimeharm`` loads neither pandas nor pyarrow.
_LAZY: dict[str, str] = {
    "MemoryEstimate": "crimeharm._engine.memory",
    "estimate_sums_memory": "crimeharm._engine.memory",
    "allocate": "crimeharm.allocation",
    "allocation_sensitivity": "crimeharm.allocation",
    "area_harm": "crimeharm.allocation",
    "change": "crimeharm.analysis.change",
    "concentration": "crimeharm.analysis.concentration",
    "lorenz": "crimeharm.analysis.concentration",
    "join_outcomes": "crimeharm.analysis.detection",
    "outcome_vocabulary": "crimeharm.analysis.detection",
    "wdd": "crimeharm.analysis.evaluation",
    "harm_intervals": "crimeharm.analysis.intervals",
    "harm_at_risk": "crimeharm.analysis.people",
    "harm_per_person": "crimeharm.analysis.people",
    "repeat_victimisation": "crimeharm.analysis.people",
    "plot_composition": "crimeharm.analysis.plots",
    "plot_ranks": "crimeharm.analysis.plots",
    "plot_trend": "crimeharm.analysis.plots",
    "plot_lorenz": "crimeharm.analysis.plots_concentration",
    "plot_ranked_intervals": "crimeharm.analysis.plots_concentration",
    "plot_spot_overlap": "crimeharm.analysis.plots_concentration",
    "SchemeComparison": "crimeharm.analysis.schemes",
    "compare_schemes": "crimeharm.analysis.schemes",
    "kendall_tau": "crimeharm.analysis.schemes",
    "spearman_rho": "crimeharm.analysis.schemes",
    "transform_weights": "crimeharm.analysis.schemes",
    "edition_field": "crimeharm.analysis.series",
    "series": "crimeharm.analysis.series",
    "persistence": "crimeharm.analysis.spots",
    "spot_overlap": "crimeharm.analysis.spots",
    "spots": "crimeharm.analysis.spots",
    "index_to_base": "crimeharm.analysis.trends",
    "rates": "crimeharm.analysis.trends",
    "rolling_mean": "crimeharm.analysis.trends",
    "ScoreOptions": "crimeharm.scoring.options",
    "Provenance": "crimeharm.scoring.provenance",
    "provenance": "crimeharm.scoring.provenance",
    "score": "crimeharm.scoring.rows",
    "Summary": "crimeharm.scoring.summary",
    "BLANK_AREA": "crimeharm.scoring.sums",
    "aggregate": "crimeharm.scoring.sums",
    "harm_index": "crimeharm.scoring.sums",
    "canonical_ho_class": "crimeharm.weights.codes",
    "classify_codes": "crimeharm.weights.codes",
    "available_weights": "crimeharm.weights.editions",
    "edition_info": "crimeharm.weights.editions",
    "load_weights": "crimeharm.weights.editions",
    "police_uk_options": "crimeharm.weights.police_uk",
    "police_uk_weights": "crimeharm.weights.police_uk",
    "StartingPoint": "crimeharm.weights.sheets.derivation",
    "parse_starting_point": "crimeharm.weights.sheets.derivation",
    "starting_point_days": "crimeharm.weights.sheets.derivation",
    "import_sheet": "crimeharm.weights.sheets.importer",
    "CchiSheet": "crimeharm.weights.sheets.read",
    "read_cchi_sheet": "crimeharm.weights.sheets.read",
    "read_sheet": "crimeharm.weights.sheets.read",
    "WeightTable": "crimeharm.weights.table",
}

__all__ = [
    "BLANK_AREA",
    "CchiSheet",
    "MemoryEstimate",
    "Provenance",
    "SchemeComparison",
    "ScoreOptions",
    "StartingPoint",
    "Summary",
    "WeightTable",
    "__version__",
    "aggregate",
    "allocate",
    "allocation_sensitivity",
    "area_harm",
    "available_weights",
    "canonical_ho_class",
    "change",
    "classify_codes",
    "compare_schemes",
    "concentration",
    "edition_field",
    "edition_info",
    "estimate_sums_memory",
    "harm_at_risk",
    "harm_index",
    "harm_intervals",
    "harm_per_person",
    "import_sheet",
    "index_to_base",
    "join_outcomes",
    "kendall_tau",
    "load_weights",
    "lorenz",
    "outcome_vocabulary",
    "parse_starting_point",
    "persistence",
    "plot_composition",
    "plot_lorenz",
    "plot_ranked_intervals",
    "plot_ranks",
    "plot_spot_overlap",
    "plot_trend",
    "police_uk_options",
    "police_uk_weights",
    "provenance",
    "rates",
    "read_cchi_sheet",
    "read_sheet",
    "repeat_victimisation",
    "rolling_mean",
    "score",
    "series",
    "spearman_rho",
    "spot_overlap",
    "spots",
    "starting_point_days",
    "transform_weights",
    "wdd",
]
__all__ += errors.__all__  # every error and warning, listed once (errors.py)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'crimeharm' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups do not come here
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
