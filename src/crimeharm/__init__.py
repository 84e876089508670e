"""crimeharm: the Cambridge Crime Harm Index, computed.

Weights every crime by the days of imprisonment that the sentencing
guideline's starting point gives it (Sherman, Neyroud & Neyroud 2016), leaves
out crime that police generate themselves, and sums harm by area and period.

Importing crimeharm reads no file: weights tables load the first time they are
asked for.
"""

from __future__ import annotations

from crimeharm.allocation import allocate, allocation_sensitivity, area_harm
from crimeharm.errors import (
    AllocationError,
    CodeError,
    ColumnValueError,
    CrimeHarmError,
    CrimeHarmWarning,
    FlagValueWarning,
    InputFileError,
    InputTypeError,
    MissingColumnError,
    OptionalDependencyError,
    OptionError,
    PeriodError,
    SheetFormatError,
    ShortDataWarning,
    UnknownCodeWarning,
    UnknownEditionError,
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
from crimeharm.weights.sheets.read import CchiSheet, read_cchi_sheet
from crimeharm.weights.table import WeightTable

__version__ = "0.1.0"

__all__ = [
    "AllocationError",
    "CchiSheet",
    "CodeError",
    "ColumnValueError",
    "CrimeHarmError",
    "CrimeHarmWarning",
    "FlagValueWarning",
    "InputFileError",
    "InputTypeError",
    "MissingColumnError",
    "OptionError",
    "OptionalDependencyError",
    "PeriodError",
    "ScoreOptions",
    "SheetFormatError",
    "ShortDataWarning",
    "StartingPoint",
    "Summary",
    "UnknownCodeWarning",
    "UnknownEditionError",
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
    "classify_codes",
    "edition_info",
    "harm_index",
    "import_sheet",
    "load_weights",
    "parse_starting_point",
    "police_uk_options",
    "police_uk_weights",
    "read_cchi_sheet",
    "score",
    "starting_point_days",
]
