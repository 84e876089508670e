"""The parallel series of the Cambridge consensus, in one pass over the records.

Sherman (2020, "How to count crime") asks for parallel series rather than
one number. :func:`series` gives them per area x period (x category):

==========================  ===================================================
column                      what
==========================  ===================================================
``crimes``                  crimes counted in the CHI (public-reported crime
                            that occurred in the period)
``chi_days``                the Crime Harm Index: their harm (days)
``hochi_days``              Historic Offences CHI: harm of records excluded as
                            ``historic``
``ppi_days``                Proactive Policing Index: harm of records excluded
                            as ``police_generated`` or ``police_initiated``
``cdchi_days``              Company-Detected CHI: harm excluded as
                            ``company_detected``
``detected_crimes``         CHI crimes that were detected
``detected_chi_days``       their harm
``hdf``                     Harm Detection Fraction, ``detected_chi_days /
                            chi_days``; NaN where ``chi_days`` is 0
``detection_rate_per_100``  ``100 x detected_crimes / crimes``; NaN where
                            ``crimes`` is 0
``pending_crimes``          CHI crimes whose outcome is not final (under
                            investigation, awaiting court, none assigned)
==========================  ===================================================

Without ``detected=`` the four detection columns and ``pending_crimes`` are
NaN. The excluded series are the harm of records that a scope rule of the
consensus left out (a record left out for a data problem, such as an unknown
code, is in none of them). The detection columns count CHI crimes only.

How it is computed: one pass of the engine of :func:`crimeharm.harm_index`,
whose cells hold the included crimes and harm and, per exclusion reason, the
excluded crimes and harm. The detection column is not a ``by`` key: each of
its values is read through the vocabulary when it is first seen, and the
included records of the values that read alike are summed apart in the
same cells (a *split*, see :mod:`crimeharm._engine.base`); values that read
as not detected and final whichever reading holds (``detection`` given, an
outcome text, or any value of a column typed boolean) are summed with the
included records only. Each value's totals are kept for the report. Memory
is that of the cells: areas x periods x (exclusion reasons + the classes of
values that read alike: a few, whatever the number of values).

The detection column is an extra ``by`` key instead, its cells summed over
it afterwards, for a stream (a DuckDB relation, a ``RecordBatchReader``: a
split that overflows could not read it again), a Dask frame, a column of
more than :data:`~crimeharm._engine.base.MAX_SPLIT` distinct values, and a
category read from the offence codes (then the offence code is a key too),
and a detection column that is also a ``by`` column or the category.
``attrs["crimeharm"]["series"]["split"]`` says which way was taken; the
results are the same, bar the order in which harm is summed and a literal
text ``(blank)`` in the detection column, which the extra key reads as a
blank.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa

from crimeharm._engine.base import MAX_SPLIT, PLAIN, Split
from crimeharm.analysis.detection import (
    LATEST_OUTCOME,
    Detection,
    DetectionKind,
    UnknownOutcome,
    join_outcomes,
    read_detection,
    unknown_report,
    yes_no,
)
from crimeharm.distributed import is_dask_frame
from crimeharm.errors import (
    MissingColumnError,
    OptionError,
    UnknownCodeWarning,
    UnknownOutcomeWarning,
)
from crimeharm.reasons import Reason
from crimeharm.scoring.inputs import Source, as_arrow, open_source, read_table
from crimeharm.scoring.options import (
    DEFAULT_DATE_RANGE,
    SCORE_ARGUMENTS,
    CodeSystem,
    DateFormat,
    DateLike,
    DateRange,
    DateRule,
    FlagBlank,
    FlagUnknown,
    Lag,
    NegativeCounts,
    OutputKind,
    PeriodBy,
    ScoreOptions,
    UnknownPolicy,
    with_score_parameters,
)
from crimeharm.scoring.outputs import check_output_kind, deliver
from crimeharm.scoring.periods import Period, parse_period
from crimeharm.scoring.progress import Progress, check_progress
from crimeharm.scoring.rates import MissingPolicy, add_rates
from crimeharm.scoring.sums import BLANK_AREA, harm_index, split_index
from crimeharm.weights.table import DEFAULT_AMBIGUITY, WeightTable

__all__ = ["SERIES_COLUMNS", "Format", "Shape", "edition_field", "series"]

Shape = Literal["wide", "long"]
Format = Literal["auto", "police-uk"]

#: The value columns of :func:`series`, in order.
SERIES_COLUMNS: tuple[str, ...] = (
    "crimes",
    "chi_days",
    "hochi_days",
    "ppi_days",
    "cdchi_days",
    "detected_crimes",
    "detected_chi_days",
    "hdf",
    "detection_rate_per_100",
    "pending_crimes",
)
_UNKNOWN = Reason.UNKNOWN_OUTCOME.value
#: Series of excluded harm: output column -> the exclusion reasons summed into it.
_EXCLUDED_SERIES: dict[str, tuple[str, ...]] = {
    "hochi_days": (Reason.HISTORIC.value,),
    "ppi_days": (Reason.POLICE_GENERATED.value, Reason.POLICE_INITIATED.value),
    "cdchi_days": (Reason.COMPANY_DETECTED.value,),
}
#: Largest number of output cells summed through a dense table.
_DENSE_CELLS = 1 << 25


def edition_field(
    weights: WeightTable,
    codes: Sequence[object] | np.ndarray,
    field: str,
    *,
    code_system: str = "auto",
    ambiguity: str | Mapping[str, str] | None = None,
) -> np.ndarray:
    """A column of the edition (``group``, ``sub_group``...) for each offence code.

    Codes are read as the scorer reads them (:meth:`WeightTable.resolve`);
    a code several rows share takes the row its ambiguity rule chose, or,
    under ``median``, the value most of its rows have. None where a code is
    unknown, malformed or missing.

    Parameters
    ----------
    weights : WeightTable
        The edition, as :func:`crimeharm.load_weights` returns it.
    codes : sequence of str
        Offence codes in any written form of any code system.
    field : str
        A column of the edition's table: ``group``, ``sub_group``, ``open_data``,
        ``ho_class``, ``title``, ``days`` (days of custody), ...
    code_system : {'auto', 'ho_class', 'open_data', 'cjs', 'key'}
        How to read the codes; ``auto`` reads each value by its form.
    ambiguity : str or mapping, optional
        Rule for codes that several offences share, as for :func:`crimeharm.score`.

    Returns
    -------
    numpy.ndarray of object
        The field's value per code, None where the code is not carried.

    Examples
    --------
    >>> import crimeharm
    >>> w = crimeharm.load_weights("cchi-2020")
    >>> edition_field(w, ["8/6", "034/01", "xx"], "group").tolist()
    ['VIOLENCE AGAINST THE PERSON', 'ROBBERY', None]
    """
    if field not in weights.table.columns:
        raise OptionError(
            f"edition {weights.edition!r} has no column {field!r}",
            values=[field],
            allowed=list(weights.table.columns),
        )
    res = weights.resolve(codes, code_system=code_system, ambiguity=ambiguity)
    rules = dict(DEFAULT_AMBIGUITY)
    if isinstance(ambiguity, str):
        rules = dict.fromkeys(rules, ambiguity)
    elif ambiguity is not None:
        rules.update(ambiguity)
    column = weights.table[field].to_numpy(dtype=object)
    out = np.full(len(res), None, dtype=object)
    for system, part in res[res["status"] == "ok"].groupby("system"):
        index = weights.index(system, rules[system])
        rows = index["row"].reindex(part["canonical"]).to_numpy()
        chosen = rows >= 0
        out[part.index[chosen]] = column[rows[chosen]]
        if (~chosen).any():  # median rule: the value most of the code's rows have
            pairs = weights._pairs(system)
            for i, code in zip(part.index[~chosen], part["canonical"][~chosen], strict=True):
                vals = pd.Series(column[pairs.loc[pairs["code"] == code, "row"]])
                out[i] = vals.mode(dropna=True).iloc[0] if vals.notna().any() else None
    return np.array([None if pd.isna(v) else v for v in out], dtype=object)


def _codes(col: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes (-1 null) and categories of an output column of harm_index."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        return col.cat.codes.to_numpy().astype(np.int64), col.cat.categories
    codes, uniques = pd.factorize(col, use_na_sentinel=True)
    return codes.astype(np.int64), pd.Index(uniques)


def _sorted_rank(categories: pd.Index) -> np.ndarray:
    """Each category's position in sorted order (values of mixed types by their text).

    :data:`BLANK_AREA` comes last, as :func:`crimeharm.harm_index` orders areas.
    """
    blank = np.asarray(categories.isin([BLANK_AREA]))
    has_blank = bool(blank.any())
    if not has_blank and categories.is_monotonic_increasing and not categories.hasnans:
        return np.arange(len(categories), dtype=np.int64)  # often so: no sort
    values = categories.to_numpy()
    try:
        order = np.argsort(values, kind="stable")
    except TypeError:
        order = np.argsort(categories.astype(str).to_numpy(), kind="stable")
    if has_blank:
        order = np.concatenate([order[~blank[order]], order[blank[order]]])
    rank = np.empty(len(categories), dtype=np.int64)
    rank[order] = np.arange(len(categories))
    return rank


class _Cells:
    """The output cells (by x category x period) of harm_index's rows, in sorted order."""

    def __init__(self, dims: list[tuple[np.ndarray, np.ndarray, int]]) -> None:
        # dims: (per-row rank, values in rank order, radix) of each output dimension
        n = len(dims[0][0]) if dims else 0
        key = np.array(dims[0][0], dtype=np.int64) if dims else np.zeros(0, dtype=np.int64)
        size = dims[0][2] if dims else 1
        for rank, _, radix in dims[1:]:  # in place: fresh arrays of this size cost page faults
            key *= radix
            key += rank
            size *= radix
        if size <= max(_DENSE_CELLS, 4 * n):
            present = np.zeros(size, dtype=bool)
            present[key] = True
            cells = np.flatnonzero(present)
            lut = np.empty(size, dtype=np.int64)  # read only where a row has a cell
            lut[cells] = np.arange(len(cells))
            self.inverse = lut.take(key, out=key, mode="clip")  # keys in range
        else:
            cells, self.inverse = np.unique(key, return_inverse=True)
        self.n = len(cells)
        parts = []
        rest = cells
        for _, _, radix in reversed(dims):
            rest, part = np.divmod(rest, radix)
            parts.append(part)
        self.ranks = list(reversed(parts))

    def sum(self, values: np.ndarray) -> np.ndarray:
        """Each cell's sum of ``values`` (float); zeros without a pass when all are zero."""
        if not values.any():  # a series no record has (no flag, yes/no outcomes): no pass
            return np.zeros(self.n)
        return np.bincount(self.inverse, weights=values, minlength=self.n)

    def sum_where(self, mask: np.ndarray, values: np.ndarray, scratch: np.ndarray) -> np.ndarray:
        """``sum(np.where(mask, values, 0.0))``, the row values written into ``scratch``.

        One scratch array serves every series: a fresh array per series costs
        its page faults, more than the sum itself on large outputs.
        """
        scratch.fill(0.0)
        np.copyto(scratch, values, where=mask)
        return self.sum(scratch)


def _dimension(codes: np.ndarray, categories: pd.Index) -> tuple[np.ndarray, Any, int]:
    cats = pd.Index(categories)
    rank = _sorted_rank(cats)
    sorted_values = cats[np.argsort(rank)] if len(cats) else cats
    missing = codes < 0
    identity = len(cats) == 0 or bool(np.array_equal(rank, np.arange(len(cats))))
    if identity and not missing.any():  # often so: the codes are the ranks
        return codes.astype(np.int64, copy=False), sorted_values, len(cats) + 1
    row_rank = np.where(missing, len(cats), rank[np.maximum(codes, 0)] if len(cats) else 0)
    return row_rank.astype(np.int64, copy=False), sorted_values, len(cats) + 1


def _category_values(
    out: pd.DataFrame, key: str, mapper: Callable[[np.ndarray], np.ndarray] | None
) -> tuple[np.ndarray, pd.Index]:
    codes, cats = _codes(out[key])
    if mapper is None:
        return codes, cats
    mapped = mapper(cats.to_numpy(dtype=object))
    new_codes, uniques = pd.factorize(pd.Series(mapped, dtype=object), use_na_sentinel=True)
    table = np.append(new_codes, -1)
    return table[codes], pd.Index(uniques)


def _police_uk(
    data: Any, opts: dict[str, Any], outcomes: Any, detected: str | None
) -> tuple[Any, dict[str, Any], str | None, dict[str, Any] | None]:
    from crimeharm.weights.police_uk import police_uk_options

    base = police_uk_options(opts["weights"])
    defaults = {"code": "offence_code", "code_system": "auto", "date": None}
    for name, value in base.items():
        if name == "weights" or opts.get(name) == defaults.get(name):
            opts[name] = value
    if outcomes is None:
        return data, opts, detected, None
    if is_dask_frame(data):
        raise OptionError(
            "outcomes= joins the outcomes to the street records in memory; for a Dask "
            "DataFrame, join them first (crimeharm.join_outcomes per partition, or a merge on "
            "'Crime ID') and pass detected=<the joined outcome column>"
        )
    frame = read_table(data)
    joined, report = join_outcomes(frame, outcomes)
    return joined, opts, detected or LATEST_OUTCOME, report


@with_score_parameters
def series(
    data: Any,
    *,
    by: str | Sequence[str] | None = None,
    period: str | Period | None = None,
    detected: str | None = None,
    category: str | None = None,
    shape: Shape = "wide",
    detection: DetectionKind = "auto",
    detected_values: Mapping[Any, Any] | None = None,
    unknown_outcome: UnknownOutcome = "not_detected",
    format: Format = "auto",
    outcomes: Any = None,
    complete: bool = False,
    population: pd.DataFrame | pd.Series | None = None,
    per: float = 100_000,
    missing_population: MissingPolicy = "raise",
    batch_rows: int = 1 << 20,
    progress: Progress = None,
    output: OutputKind = "pandas",
    weights: str | WeightTable | None = None,
    code: str = "offence_code",
    code_system: CodeSystem = "auto",
    ambiguity: str | Mapping[str, str] | None = None,
    crosswalk: bool = True,
    date: str | None = None,
    date_to: str | None = None,
    date_rule: DateRule = "start",
    date_format: DateFormat = None,
    date_range: DateRange = DEFAULT_DATE_RANGE,
    reported: str | None = None,
    period_by: PeriodBy = "committed",
    count: str | None = None,
    exclude_police_generated: bool = True,
    police_initiated: str | None = None,
    company_detected: str | None = None,
    flag_blank: FlagBlank = "no",
    flag_unknown: FlagUnknown = "exclude",
    historic_lag: Lag = None,
    start: DateLike = None,
    end: DateLike = None,
    unknown: UnknownPolicy = "exclude",
    negative_counts: NegativeCounts = "exclude",
) -> Any:
    """The consensus series by area and period: CHI, HOCHI, PPI, CDCHI, detection, HDF.

    Parameters
    ----------
    data : DataFrame, Arrow table or stream, or path
        Records, as for :func:`crimeharm.harm_index` (pandas, polars, pyarrow,
        DuckDB, any Arrow C stream, files; a Dask DataFrame is summed
        partition by partition).
    by : str or list of str, optional
        Area columns.
    period : str, optional
        ``month``, ``quarter``, ``year``, ``financial-year`` or ``rolling:36m``
        (needs ``date=``).
    detected : str, optional
        Column saying whether each crime was detected: yes/no values, Home
        Office outcome types (``1``, ``1A``, ... ``22``) or data.police.uk
        outcome texts (see :mod:`crimeharm.analysis.detection`). With
        ``outcomes=`` it defaults to the joined latest outcome.
    category : str, optional
        A column of the data to split by (a crime type), or a column of the
        edition (``group``, ``sub_group``, ``crime_type``...), read from each
        record's offence code.
    shape : {'wide', 'long'}
        ``wide``: one column per series; ``long``: ``series`` and ``value``
        columns, one row per cell and series, for plotting.
    detection : {'auto', 'flag', 'outcome'}
        How to read ``detected``: ``auto`` reads it as yes/no when every value
        is a yes/no value, else through the outcome vocabulary.
    detected_values : mapping, optional
        Value -> True/False (detected) or (detected, final): overrides or
        extends the vocabulary, e.g. ``{"22": True}``.
    unknown_outcome : {'not_detected', 'exclude', 'raise'}
        Values of ``detected`` outside the vocabulary are counted per value
        (``attrs["crimeharm"]["detection"]["unknown_values"]``) and warned
        of (:class:`~crimeharm.UnknownOutcomeWarning`); then read as not
        detected (the default), or their records excluded with reason
        ``unknown_outcome`` (columns ``excluded_unknown_outcome`` and
        ``excluded_harm_unknown_outcome``), or an error.
    format : {'auto', 'police-uk'}
        ``police-uk``: a data.police.uk street file, scored with the proxy
        weights of :func:`crimeharm.police_uk_options` (its ``code``,
        ``code_system`` and ``date`` unless given).
    outcomes : path, folder, list or pandas.DataFrame, optional
        data.police.uk ``*-outcomes.csv`` files, joined to the street records
        by Crime ID (:func:`crimeharm.join_outcomes`); needs
        ``format='police-uk'``. The counts of the join are in
        ``attrs["crimeharm"]["outcomes"]``.
    complete : bool
        Every area x period cell, including empty ones (every period of the
        records' span and of the ``start``/``end`` window, as in
        :func:`crimeharm.harm_index`).
    population : pandas.DataFrame, optional
        The ``by`` column(s) and ``population``, optionally by ``period`` or
        ``year``: adds ``population``, ``chi_days_per_<per>`` and
        ``crimes_per_<per>`` (see :func:`crimeharm.rates`).
    per : float
        Rate base in residents.
    missing_population : {'raise', 'nan'}
        An area or period without a population: an error naming them, or NaN
        rates with a :class:`~crimeharm.MissingPopulationWarning`.
    batch_rows : int
        Rows per batch for in-memory data.
    progress : bool or callable, optional
        As for :func:`crimeharm.harm_index`: a bar on stderr on a terminal
        (``None``), always (``True``) or never (``False``), or a callable.
    {output_parameters}
    {score_parameters}
    {window_parameters}

    Returns
    -------
    pandas.DataFrame, pyarrow.Table or polars.DataFrame
        One row per ``by`` x category x period cell (see the module docstring
        for the columns), sorted by them; ``attrs["crimeharm"]`` holds the
        edition, the options, the reconciliation summary (with
        ``unknown_outcome`` exclusions), ``detection`` (the column, how it was
        read, crimes per value, values outside the vocabulary) and, with
        ``outcomes=``, ``outcomes``.

    Raises
    ------
    MissingColumnError
        When ``detected`` or ``category`` is neither a column of the data nor
        (for ``category``) of the edition.
    ColumnValueError
        With ``unknown_outcome='raise'``, naming the values outside the
        vocabulary.

    Examples
    --------
    >>> import pandas as pd, crimeharm
    >>> df = pd.DataFrame({"offence_code": ["105/01", "008/06", "034/01", "092/10"],
    ...                    "area": ["A", "A", "B", "B"],
    ...                    "outcome": ["1", "18", "Under investigation", "1"]})
    >>> s = crimeharm.series(df, by="area", detected="outcome")
    >>> s[["area", "crimes", "chi_days", "ppi_days", "detected_chi_days", "hdf"]]
      area  crimes  chi_days  ppi_days  detected_chi_days       hdf
    0    A     2.0      11.0       0.0                1.0  0.090909
    1    B     1.0     365.0     547.5                0.0  0.000000
    """
    score_opts = {k: v for k, v in locals().items() if k in SCORE_ARGUMENTS}
    ScoreOptions.from_arguments(score_opts)  # check the scoring options before any reading
    OptionError.check_choice("shape", shape, Shape)
    OptionError.check_choice("format", format, Format)
    OptionError.check_choice("unknown_outcome", unknown_outcome, UnknownOutcome)
    OptionError.check_choice("detection", detection, DetectionKind)
    check_progress(progress)
    check_output_kind(output)
    data = as_arrow(data)  # once: a stream (a DuckDB relation) is read once, by harm_index
    if outcomes is not None and format != "police-uk":
        raise OptionError("outcomes= joins data.police.uk outcomes files: pass format='police-uk'")
    join_report = None
    if format == "police-uk":
        data, score_opts, detected, join_report = _police_uk(data, score_opts, outcomes, detected)
    opts = ScoreOptions.from_arguments(score_opts)
    by_list = [by] if isinstance(by, str) else list(by or [])
    source = None if is_dask_frame(data) else open_source(data)
    present = list(data.columns) if source is None else source.columns
    cat_key: str | None = None
    cat_map: Callable[[np.ndarray], np.ndarray] | None = None
    if category is not None:
        if category in present:
            cat_key = category
        elif category in opts.weights.table.columns:
            cat_key = opts.code

            def edition_values(codes: np.ndarray) -> np.ndarray:
                return edition_field(
                    opts.weights,
                    codes,
                    category,
                    code_system=opts.code_system,
                    ambiguity=opts.ambiguity,
                )

            cat_map = edition_values
        else:
            raise MissingColumnError(
                f"category={category!r} is neither a column of the data nor of edition "
                f"{opts.weights.edition!r}; data columns: {list(present)}, edition columns: "
                f"{list(opts.weights.table.columns)}",
                column=category,
                values=[category],
                allowed=[*present, *opts.weights.table.columns],
            )
    if detected is not None:
        MissingColumnError.check(present, [detected], source="data", what="detected ")
    keys = list(dict.fromkeys([*by_list, *[k for k in (cat_key, detected) if k is not None]]))
    classes: _Classes | None = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownCodeWarning)  # reported once, below
        out = None
        if (
            detected is not None
            and cat_map is None
            and detected not in (*by_list, category)  # a key already: its values are cells
            and _splittable(data)
        ):
            classes = _Classes(
                detected,
                kind=detection,
                detected_values=detected_values,
                boolean=_boolean(data, source, detected),
            )
            # the detection column's values kept apart in the sums of one pass
            out = split_index(
                data,
                classes,
                by=[k for k in keys if k != detected],
                period=period,
                complete=complete,
                batch_rows=batch_rows,
                progress=progress,
                **score_opts,
            )
            if out is None:  # too many values: the column as an extra key
                classes = None
        if out is None:
            out = harm_index(
                data,
                by=keys,
                period=period,
                complete=complete,
                excluded="columns",
                batch_rows=batch_rows,
                progress=progress,
                **score_opts,
            )
    for key in keys:  # a category or outcome key: a blank is no value, not an area
        if key in out and key not in by_list and BLANK_AREA in out[key].cat.categories:
            out[key] = out[key].cat.remove_categories([BLANK_AREA])
            out.attrs["crimeharm"]["summary"]["blank_areas"].pop(key, None)
    meta = dict(out.attrs["crimeharm"])
    summary = meta["summary"]
    if summary["unknown_codes_top"] and opts.unknown == "exclude":
        top = ", ".join(f"{c!r} ({n:,})" for c, n in summary["unknown_codes_top"][:5])
        warnings.warn(
            f"{summary['rows_excluded'].get('unknown_code', 0):,} record(s) excluded: offence "
            f"codes not in edition {opts.weights.edition!r}: {top}",
            UnknownCodeWarning,
            stacklevel=2,
        )
    det_report: dict[str, Any] | None
    if classes is not None:
        result, det_report = _split_frame(
            out,
            [*by_list, *([category] if category is not None and category not in by_list else [])],
            classes,
            detected_values=detected_values,
            unknown_outcome=unknown_outcome,
        )
    else:
        result, det_report = _reshape(
            out,
            by_list,
            category=(category, cat_key, cat_map),
            detected=detected,
            detection=detection,
            detected_values=detected_values,
            unknown_outcome=unknown_outcome,
            has_period=period is not None,
        )
    cut = parse_period(period)
    windows = classes is None and cut is not None and cut.kind == "rolling"
    if det_report is not None and windows:
        # the extra key's cells are windows: a crime is in each window that holds it
        if det_report.get("excluded_crimes"):
            raise OptionError(
                "unknown_outcome='exclude' with rolling windows: the crimes of outcomes "
                f"outside the vocabulary cannot be counted once each when column {detected!r} "
                "is summed as a key (a stream, a Dask frame, more than "
                f"{MAX_SPLIT} distinct values, a category read from the offence codes, or a "
                "detection column that is a by column or the category); "
                "pass unknown_outcome='not_detected', or a month or year period",
                values=["exclude"],
            )
        summary["notes"].append(
            f"detection: crimes_by_value and unknown_values count each crime of column "
            f"{detected!r} once per rolling window that holds it"
        )
    if det_report is not None:
        _move_unknown(summary, det_report, counted=opts.count is not None)
        meta["detection"] = det_report
    if join_report is not None:
        meta["outcomes"] = join_report
    meta["by"] = by_list
    meta["series"] = {
        "category": category,
        "shape": shape,
        "keys_of_the_pass": keys,
        "split": classes is not None,
    }
    if population is not None:
        add_rates(
            result,
            by_list,
            population,
            per=per,
            values=("chi_days", "crimes"),
            missing=missing_population,
        )
    if shape == "long":
        ids = [*by_list, *([category] if category is not None else [])]
        ids += [c for c in ("period", "period_start", "period_end", "population") if c in result]
        result = _long(result, ids)
    result.attrs["crimeharm"] = meta
    return deliver(result, output)


def _move_unknown(summary: dict[str, Any], report: dict[str, Any], *, counted: bool) -> None:
    """Move the records excluded for their outcome from included to excluded, in the summary."""
    crimes, harm = report.get("excluded_crimes", 0.0), report.get("excluded_harm_days", 0.0)
    if not crimes:
        return
    summary["crimes_included"] -= crimes
    summary["harm_days_included"] -= harm
    summary["crimes_excluded"][_UNKNOWN] = crimes
    summary["harm_days_excluded"][_UNKNOWN] = harm
    if counted:  # a pre-counted table: the cells hold crimes, not rows
        summary["notes"].append(
            f"{crimes:,.0f} crime(s) excluded as {_UNKNOWN}: rows are not counted apart for "
            "pre-counted tables, so rows_excluded leaves them out"
        )
        return
    summary["rows_included"] -= int(crimes)
    summary["rows_excluded"][_UNKNOWN] = int(crimes)


def _reshape(
    out: pd.DataFrame,
    by: list[str],
    *,
    category: tuple[str | None, str | None, Callable | None],
    detected: str | None,
    detection: DetectionKind,
    detected_values: Mapping[Any, Any] | None,
    unknown_outcome: UnknownOutcome,
    has_period: bool,
) -> tuple[pd.DataFrame, dict[str, Any] | None]:
    """Sum harm_index's cells over the detection key (and the codes of an edition category)."""
    n = len(out)
    crimes = out["crimes"].to_numpy(dtype=float)
    harm = out["harm_days"].to_numpy(dtype=float)
    dims: list[tuple[np.ndarray, Any, int]] = []
    names: list[str] = []
    for name in by:
        dims.append(_dimension(*_codes(out[name])))
        names.append(name)
    cat_name, cat_key, cat_map = category
    if cat_name is not None and cat_key is not None:
        dims.append(_dimension(*_category_values(out, cat_key, cat_map)))
        names.append(cat_name)
    if has_period:
        pcodes, pcats = _codes(out["period"])
        n_per = len(pcats)
        slot = np.where(pcodes >= 0, pcodes, n_per)
        dims.append((slot, None, n_per + 1))
    if not dims:
        dims.append((np.zeros(n, dtype=np.int64), None, 1))
    cells = _Cells(dims)
    frame: dict[str, Any] = {}
    for i, name in enumerate(names):
        values, rank = dims[i][1], cells.ranks[i]
        frame[name] = pd.Categorical.from_codes(
            np.where(rank < len(values), rank, -1), categories=values, validate=False
        )
    if has_period:
        prank = cells.ranks[len(names)]
        frame["period"] = pd.Categorical.from_codes(
            np.where(prank < n_per, prank, -1), categories=pcats, ordered=True, validate=False
        )
        for col in ("period_start", "period_end"):
            bounds = out[col].to_numpy()
            table = np.full(n_per + 1, np.datetime64("NaT"), dtype=bounds.dtype)
            table[slot] = bounds
            frame[col] = table[prank]
    keep = np.ones(n, dtype=bool)
    report: dict[str, Any] | None = None
    det_row = final_row = None
    if detected is not None:
        codes, cats = _codes(out[detected])
        det: Detection = read_detection(
            cats.to_numpy(dtype=object),
            column=detected,
            kind=detection,
            detected_values=detected_values,
        )
        pick = np.where(codes >= 0, codes, len(cats))
        per_value = np.bincount(pick, weights=crimes, minlength=len(cats) + 1)
        unknown_row = ~det.known[pick]
        det_row, final_row = det.detected[pick], det.final[pick]
        report = _detection_report(
            det, per_value, detected_values=detected_values, unknown_outcome=unknown_outcome
        )
        if unknown_outcome == "exclude":
            keep = ~unknown_row
            report["excluded_crimes"] = float(crimes[unknown_row].sum())
            report["excluded_harm_days"] = float(harm[unknown_row].sum())
    kept_crimes, kept_harm = crimes, harm
    if not keep.all():
        kept_crimes, kept_harm = np.where(keep, crimes, 0.0), np.where(keep, harm, 0.0)
    scratch = np.empty(n)
    frame["crimes"] = cells.sum(kept_crimes)
    frame["chi_days"] = cells.sum(kept_harm)
    for col, reasons in _EXCLUDED_SERIES.items():
        frame[col] = cells.sum(_reasons_harm(out, reasons, scratch))
    if det_row is not None:
        frame["detected_crimes"] = cells.sum_where(det_row, kept_crimes, scratch)
        frame["detected_chi_days"] = cells.sum_where(det_row, kept_harm, scratch)
    else:
        frame["detected_crimes"] = frame["detected_chi_days"] = np.full(cells.n, np.nan)
    _add_fractions(frame)
    if final_row is not None:
        frame["pending_crimes"] = cells.sum_where(~final_row, kept_crimes, scratch)
    else:
        frame["pending_crimes"] = np.full(cells.n, np.nan)
    if detected is not None and unknown_outcome == "exclude":
        frame[f"excluded_{_UNKNOWN}"] = cells.sum_where(~keep, crimes, scratch)
        frame[f"excluded_harm_{_UNKNOWN}"] = cells.sum_where(~keep, harm, scratch)
    return pd.DataFrame(frame, copy=False), report


def _boolean(data: Any, source: Source | None, column: str) -> bool:
    """Whether ``column`` of ``data`` (opened as ``source``) is typed boolean: no outcome texts."""
    if isinstance(data, pd.DataFrame):
        dtype = data[column].dtype
        return dtype == np.bool_ or str(dtype) in ("boolean", "bool[pyarrow]")
    if isinstance(data, pa.Table):
        return pa.types.is_boolean(data.schema.field(column).type)
    kind = ((source.types if source is not None else None) or {}).get(column)
    return kind is not None and pa.types.is_boolean(kind)


def _splittable(data: Any) -> bool:
    """Whether ``data`` can be read again (a split that overflows is summed again, otherwise)."""
    return not (is_dask_frame(data) or isinstance(data, pa.RecordBatchReader))


class _Classes(Split):
    """A detection column's values read into classes of (detected, final, known), for a split.

    A value's class is fixed when it is first seen: whether it is a yes/no
    value, and how it reads as one and as an outcome; which of the readings
    holds (``detection='auto'``: yes/no when every value is one) is known
    only once every value was seen, when the engine gives each value's
    totals (:meth:`totals`), which are kept for the report. A value that
    reads as not detected, final and known whichever reading holds (the
    reading is given, or the value settles it: a value that is not yes/no
    makes it the outcome reading, a column typed boolean the yes/no one) is
    :data:`~crimeharm._engine.base.PLAIN`: its sums are the included
    records' own, no class's.
    """

    def __init__(
        self,
        column: str,
        *,
        kind: DetectionKind,
        detected_values: Mapping[Any, Any] | None,
        boolean: bool = False,
    ) -> None:
        super().__init__(column)
        self.kind, self.detected_values = kind, detected_values
        self.boolean = boolean  # the column is typed boolean: every value is yes/no
        #: each class's key: (a yes/no value, read as yes/no, read as an outcome); a reading
        #: is (detected, final, known)
        self._keys: list[tuple[bool, tuple[bool, bool, bool], tuple[bool, bool, bool]]] = []
        self._yes_no = True  # every value seen is a yes/no value (or null)
        self._assumed: set[str] = set()  # the readings that made values PLAIN
        self.detection: Detection | None = None
        self.per_value = np.zeros(1)  # CHI crimes of each value of the detection, null last
        self.harm_per_value = np.zeros(1)  # and their harm (days)
        self.flags: list[tuple[bool, bool, bool]] = []  # each class's (detected, final, known)

    @property
    def names(self) -> list[str]:
        return [f"c{i}" for i in range(len(self._keys))]

    def classes(self, values: np.ndarray) -> np.ndarray:
        valid, pos = _positions(values)
        named = values[valid]
        readings = [
            read_detection(
                named, column=self.column, kind=kind, detected_values=self.detected_values
            )
            for kind in ("flag", "outcome")
        ]
        votes = np.append(yes_no(named, column=self.column), True)  # null: no vote
        self._yes_no = self._yes_no and bool(votes.all())
        out = np.empty(len(values), dtype=np.int64)
        for i, p in enumerate(pos.tolist()):
            key = (bool(votes[p]), _reading(readings[0], p), _reading(readings[1], p))
            kind = self._settled(values[i], yes_no_value=key[0])
            if kind is not None and key[1 if kind == "flag" else 2] == _PLAIN_READING:
                self._assumed.add(kind)
                out[i] = PLAIN
                continue
            if key not in self._keys:
                self._keys.append(key)
            out[i] = self._keys.index(key)
        return out

    def _settled(self, value: object, *, yes_no_value: bool) -> str | None:
        """The reading that must hold whatever other values come (None: not known yet)."""
        if self.kind != "auto":
            return self.kind
        if self.boolean:  # a boolean column holds no outcome texts
            return "flag"
        return "outcome" if value is not None and not yes_no_value else None

    def totals(self, values: np.ndarray, crimes: np.ndarray, harm: np.ndarray) -> None:
        kind = self.kind
        if kind == "auto":
            kind = "flag" if self._yes_no else "outcome"
        if self._assumed - {kind}:  # cannot happen: a boolean column is yes/no, a text outcome
            raise RuntimeError(f"internal error: values read as {self._assumed}, not {kind!r}")
        self.flags = [key[1] if kind == "flag" else key[2] for key in self._keys]
        valid, pos = _positions(values, ordered=True)  # the report lists them sorted
        self.detection = read_detection(
            values[valid], column=self.column, kind=kind, detected_values=self.detected_values
        )
        self.per_value = np.zeros(len(valid) + 1)
        np.add.at(self.per_value, pos, np.asarray(crimes, dtype=float))
        self.harm_per_value = np.zeros(len(valid) + 1)
        np.add.at(self.harm_per_value, pos, np.asarray(harm, dtype=float))


def _positions(values: np.ndarray, *, ordered: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The non-null values' indices (sorted by value if ``ordered``) and each value's entry.

    The entries index a reading of ``values[valid]``, null taking the last one.
    """
    valid = np.flatnonzero([v is not None for v in values])
    if ordered:
        valid = valid[
            np.argsort(_sorted_rank(pd.Index(values[valid], dtype=object)), kind="stable")
        ]
    pos = np.full(len(values), len(valid), dtype=np.int64)
    pos[valid] = np.arange(len(valid))
    return valid, pos


#: How a plain value reads: not detected, final, known.
_PLAIN_READING = (False, True, True)


def _reading(det: Detection, i: int) -> tuple[bool, bool, bool]:
    """How entry ``i`` of a reading reads: (detected, final, known)."""
    return bool(det.detected[i]), bool(det.final[i]), bool(det.known[i])


def _split_frame(
    out: pd.DataFrame,
    ids: list[str],
    classes: _Classes,
    *,
    detected_values: Mapping[Any, Any] | None,
    unknown_outcome: UnknownOutcome,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The series of a split pass: its cells are the output's; the classes give detection."""
    n = len(out)
    frame: dict[str, Any] = {k: out[k] for k in ids}
    for col in ("period", "period_start", "period_end"):
        if col in out:
            frame[col] = out[col]
    assert classes.detection is not None  # the engine gave the values' totals
    report = _detection_report(
        classes.detection,
        classes.per_value,
        detected_values=detected_values,
        unknown_outcome=unknown_outcome,
    )
    exclude = unknown_outcome == "exclude"

    def total(pick: Callable[[bool, bool, bool], bool]) -> tuple[np.ndarray, np.ndarray]:
        """Crimes and harm of the classes ``pick`` takes (kept: known, or not excluded).

        Written into as few new arrays as can be: on large outputs a fresh array's page
        faults cost more than the sums.
        """
        names = [
            name
            for name, (d, f, k) in zip(classes.names, classes.flags, strict=True)
            if pick(d, f, k) and f"crimes@{name}" in out
        ]
        if not names:
            return np.zeros(n), np.zeros(n)
        crimes = out[f"crimes@{names[0]}"].to_numpy(dtype=float)  # a new array (from int64)
        harm = out[f"harm_days@{names[0]}"].to_numpy(dtype=float, copy=len(names) > 1)
        for name in names[1:]:
            crimes += out[f"crimes@{name}"].to_numpy()
            harm += out[f"harm_days@{name}"].to_numpy()
        return crimes, harm

    unknown = [not k for _, _, k in classes.flags]
    if exclude and any(unknown):
        dropped = total(lambda d, f, k: not k)
        frame["crimes"] = out["crimes"].to_numpy(dtype=float) - dropped[0]
        frame["chi_days"] = out["harm_days"].to_numpy(dtype=float) - dropped[1]
        unknown_value = ~classes.detection.known
        report["excluded_crimes"] = float(classes.per_value[unknown_value].sum())
        report["excluded_harm_days"] = float(classes.harm_per_value[unknown_value].sum())
    else:
        frame["crimes"] = out["crimes"].to_numpy(dtype=float)
        frame["chi_days"] = out["harm_days"].to_numpy(dtype=float)
        dropped = (np.zeros(n), np.zeros(n))
    for col, reasons in _EXCLUDED_SERIES.items():
        frame[col] = _reasons_harm(out, reasons)
    det_crimes, det_harm = total(lambda d, f, k: d and (k or not exclude))
    frame["detected_crimes"], frame["detected_chi_days"] = det_crimes, det_harm
    _add_fractions(frame)
    frame["pending_crimes"] = total(lambda d, f, k: not f and (k or not exclude))[0]
    if exclude:
        frame[f"excluded_{_UNKNOWN}"], frame[f"excluded_harm_{_UNKNOWN}"] = dropped
    return pd.DataFrame(frame, copy=False), report


def _reasons_harm(
    out: pd.DataFrame, reasons: Sequence[str], scratch: np.ndarray | None = None
) -> np.ndarray:
    """Each output row's harm excluded for ``reasons``, added in their order (into ``scratch``)."""
    parts = [out[f"excluded_harm_{reason}"].to_numpy(dtype=float) for reason in reasons]
    total = parts[0]
    for part in parts[1:]:
        total = np.add(total, part, out=scratch)
    return total


def _add_fractions(frame: dict[str, Any]) -> None:
    """``hdf`` and ``detection_rate_per_100`` of the sums in ``frame`` (NaN where 0 is divided by).

    Written into as few new arrays as can be: on large outputs a fresh array's
    page faults cost more than the divisions.
    """
    chi, cr = frame["chi_days"], frame["crimes"]
    hdf = np.full(len(chi), np.nan)
    np.divide(frame["detected_chi_days"], chi, out=hdf, where=chi != 0)
    frame["hdf"] = hdf
    nonzero = cr != 0
    rate = np.multiply(frame["detected_crimes"], 100.0)  # 100 x detected / crimes, in that order
    np.divide(rate, cr, out=rate, where=nonzero)
    rate[~nonzero] = np.nan
    frame["detection_rate_per_100"] = rate


def _detection_report(
    det: Detection,
    per_value: np.ndarray,
    *,
    detected_values: Mapping[Any, Any] | None,
    unknown_outcome: UnknownOutcome,
) -> dict[str, Any]:
    """How a detection column was read: crimes per value, the unknown ones (warned of).

    ``per_value`` holds the CHI crimes of each of ``det.values`` and, last, of null.

    Raises
    ------
    ColumnValueError
        Under ``unknown_outcome='raise'``, when a value is outside the vocabulary.
    """
    unknown = unknown_report(det, per_value, policy=unknown_outcome)
    n = len(det.values)
    report = {
        "column": det.column,
        "read_as": det.kind,
        "crimes_by_value": {
            ("<none>" if i == n else str(det.values[int(i)])): float(per_value[i])
            for i in np.flatnonzero(per_value)
        },
        "unknown_values": unknown,
        "unknown_outcome": unknown_outcome,
        "detected_values": dict(detected_values or {}),
    }
    if unknown:
        what = "excluded" if unknown_outcome == "exclude" else "read as not detected"
        top = ", ".join(f"{v!r} ({c:,.0f})" for v, c in list(unknown.items())[:5])
        message = (
            f"column {det.column!r}: {sum(unknown.values()):,.0f} crime(s) with values outside "
            f"the outcome vocabulary, {what}: {top}"
        )
        warnings.warn(
            UnknownOutcomeWarning(
                message, column=det.column, values=unknown, policy=unknown_outcome
            ),
            stacklevel=4,
        )
    return report


def _long(wide: pd.DataFrame, ids: list[str]) -> pd.DataFrame:
    """One row per cell and series: ``series`` (categorical, in column order) and ``value``."""
    values = [c for c in wide.columns if c not in ids]
    long = wide.melt(id_vars=ids, value_vars=values, var_name="series", value_name="value")
    long["series"] = pd.Categorical(long["series"], categories=values)
    return long
