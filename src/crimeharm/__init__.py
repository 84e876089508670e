"""crimeharm: the Cambridge Crime Harm Index, computed.

Weights every crime by the days of imprisonment that the sentencing
guideline's starting point gives it (Sherman, Neyroud & Neyroud 2016), leaves
out crime that police generate themselves, and sums harm by area and period.

Importing crimeharm reads no file: weights tables load the first time they are
asked for.
"""

from __future__ import annotations

from crimeharm._engine.memory import MemoryEstimate, estimate_sums_memory
from crimeharm._version import __version__
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
from crimeharm.errors import (
    AllocationError,
    CodeError,
    ColumnNameError,
    ColumnTypeError,
    ColumnValueError,
    CrimeHarmError,
    CrimeHarmWarning,
    EmptyDataError,
    FlagValueWarning,
    InputFileError,
    InputTypeError,
    MissingColumnError,
    MissingPopulationWarning,
    OptionalDependencyError,
    OptionError,
    OutputFileError,
    PeriodError,
    SheetFormatError,
    SheetValueWarning,
    ShortDataWarning,
    SumsMemoryError,
    Terminated,
    UnknownCodeWarning,
    UnknownEditionError,
    UnknownOutcomeWarning,
    UnsupportedFormatError,
    WeightsValidationError,
)
from crimeharm.scoring.options import ScoreOptions
from crimeharm.scoring.rows import score
from crimeharm.scoring.summary import Summary
from crimeharm.scoring.sums import aggregate, harm_index
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

__all__ = [
    "AllocationError",
    "CchiSheet",
    "CodeError",
    "ColumnNameError",
    "ColumnTypeError",
    "ColumnValueError",
    "CrimeHarmError",
    "CrimeHarmWarning",
    "EmptyDataError",
    "FlagValueWarning",
    "InputFileError",
    "InputTypeError",
    "MemoryEstimate",
    "MissingColumnError",
    "MissingPopulationWarning",
    "OptionError",
    "OptionalDependencyError",
    "OutputFileError",
    "PeriodError",
    "SchemeComparison",
    "ScoreOptions",
    "SheetFormatError",
    "SheetValueWarning",
    "ShortDataWarning",
    "StartingPoint",
    "Summary",
    "SumsMemoryError",
    "Terminated",
    "UnknownCodeWarning",
    "UnknownEditionError",
    "UnknownOutcomeWarning",
    "UnsupportedFormatError",
    "WeightTable",
    "WeightsValidationError",
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
