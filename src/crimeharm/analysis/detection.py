"""Which records were detected: yes/no columns and outcome columns read through a vocabulary.

A record is *detected* when an offender was identified and dealt with for
the offence: charged or summonsed, cautioned, the offence taken into
consideration, a penalty notice, a cannabis/khat warning or a community
resolution. These are the outcomes that counted as sanction and non-sanction
detections before the Home Office's outcomes framework of April 2013, and
the Harm Detection Fraction of the Cambridge consensus (Sherman 2020) is the
share of the Crime Harm Index so solved. Court results do not undo a
detection: a charge that ends in an acquittal was still a charge.

The vocabulary ships as ``crimeharm/data/outcomes.csv``, one row per value:

================  ==============================================================
column            meaning
================  ==============================================================
``scheme``        ``home_office`` (outcome types 1-22 and 1A of the Home Office
                  Counting Rules) or ``police_uk`` (data.police.uk outcome texts)
``value``         the value as written (``1A``; ``Offender given a caution``)
``label``         what it means
``detected``      counted as detected (True/False)
``final``         False where the outcome may still change (``Under
                  investigation``, ``Awaiting court outcome``)
``group``         the Home Office's outcome group
``home_office``   the Home Office outcome types a data.police.uk text stands for,
                  where that is plain
``reasoning``     why the value is, or is not, a detection
``source``        where the value and its meaning come from
================  ==============================================================

Values are matched without regard to case, spacing or a trailing full stop;
Home Office types also as ``01``, ``1a``, ``Outcome 1A`` or ``OC1A``. A blank
or null outcome means none has been assigned yet: not detected and not final
(the Home Office reports such crimes as "not yet assigned an outcome"). A
yes/no column reads as :func:`crimeharm.score` reads its flags, a null as
no. Anything else is *outside the vocabulary*: counted per value and
reported, then read as not detected, excluded with reason
``unknown_outcome``, or an error (see :func:`crimeharm.series`).

``detected_values`` overrides or extends the vocabulary: a mapping from a
value to ``True``/``False`` (detected; the vocabulary's ``final`` is kept,
True for a new value) or to a ``(detected, final)`` pair.

data.police.uk outcomes files (:func:`join_outcomes`) record each outcome in
the month it happened, so a month's file mostly holds outcomes of crimes of
earlier months, and one crime can have several outcomes; its latest wins (by
``Month``, then the order of the files and rows, as data.police.uk gives no
finer date).
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from crimeharm.errors import (
    ColumnValueError,
    InputFileError,
    InputTypeError,
    MissingColumnError,
    OptionError,
)
from crimeharm.scoring.columns import to_flag

__all__ = [
    "CRIME_ID",
    "LATEST_OUTCOME",
    "Detection",
    "DetectionKind",
    "UnknownOutcome",
    "join_outcomes",
    "outcome_vocabulary",
    "read_detection",
    "unknown_report",
]

#: How a detection column is read.
DetectionKind = Literal["auto", "flag", "outcome"]
#: What a value outside the vocabulary means.
UnknownOutcome = Literal["not_detected", "exclude", "raise"]
#: The Crime ID column of data.police.uk files.
CRIME_ID = "Crime ID"
#: The column :func:`join_outcomes` adds to a street file.
LATEST_OUTCOME = "Latest outcome"
_STREET_OUTCOME = "Last outcome category"
_HO_FORM = re.compile(r"^(?:outcome|oc)?\s*0*(\d{1,2})\s*([a-z]?)$")


def _key(value: object) -> str | None:
    """The matching form of a value: None for null or blank."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = " ".join(str(value).split()).casefold().rstrip(".").strip()
    if not text:
        return None
    m = _HO_FORM.match(text)
    if m:
        return f"{int(m.group(1))}{m.group(2).upper()}"
    return text


@functools.lru_cache(maxsize=1)
def _vocabulary() -> pd.DataFrame:
    ref = resources.files("crimeharm.data").joinpath("outcomes.csv")
    with resources.as_file(ref) as path:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    for col in ("detected", "final"):
        table[col] = table[col].map({"True": True, "False": False}).astype(bool)
    table["key"] = [_key(v) for v in table["value"]]
    return table


def outcome_vocabulary() -> pd.DataFrame:
    """The shipped outcome vocabulary: each value, whether it is a detection, and why.

    Returns
    -------
    pandas.DataFrame
        One row per value (see the module docstring for the columns), with
        ``key``, the form values are matched in.

    Examples
    --------
    >>> v = outcome_vocabulary().set_index("value")
    >>> v.loc[["1A", "18", "Awaiting court outcome"], ["scheme", "detected", "final"]]
                                 scheme  detected  final
    value
    1A                      home_office      True   True
    18                      home_office     False   True
    Awaiting court outcome    police_uk      True  False
    """
    return _vocabulary().copy()


@dataclass(frozen=True)
class Detection:
    """How each distinct value of a detection column reads.

    The arrays have one entry per value of ``values`` plus a last one for
    null. ``known`` is False for values outside the vocabulary; they read as
    not detected and final.
    """

    column: str
    kind: str
    values: np.ndarray
    detected: np.ndarray
    final: np.ndarray
    known: np.ndarray


def _overrides(detected_values: Mapping[Any, Any] | None) -> dict[str, tuple[bool | None, bool]]:
    out: dict[str, tuple[bool | None, bool]] = {}
    for value, spec in (detected_values or {}).items():
        key = _key(value)
        if key is None:
            raise OptionError(f"detected_values: {value!r} is blank; blank means no outcome yet")
        if isinstance(spec, bool | np.bool_):
            out[key] = (None, bool(spec))  # final: the vocabulary's, True for a new value
        elif (
            isinstance(spec, tuple)
            and len(spec) == 2
            and all(isinstance(x, bool | np.bool_) for x in spec)
        ):
            out[key] = (bool(spec[1]), bool(spec[0]))
        else:
            raise OptionError(
                f"detected_values[{value!r}]={spec!r}; expected True, False or a "
                "(detected, final) pair of booleans",
                values=[spec],
            )
    return out


def _flag(value: object, column: str) -> bool | None:
    """The yes/no reading of one value, by the scorer's rule; None when it is not one."""
    try:
        return bool(to_flag(pd.Series([value], dtype=object), name=column)[0])
    except ColumnValueError:
        return None


def yes_no(values: Iterable[object], *, column: str = "detected") -> np.ndarray:
    """Whether each value is a yes/no value (by the scorer's rule), as ``kind='auto'`` asks."""
    return np.array([_flag(v, column) is not None for v in values], dtype=bool)


def read_detection(
    values: Iterable[object],
    *,
    column: str = "detected",
    kind: DetectionKind = "auto",
    detected_values: Mapping[Any, Any] | None = None,
) -> Detection:
    """Read the distinct values of a detection column.

    Parameters
    ----------
    values : iterable
        The distinct non-null values of the column.
    column : str
        The column's name, for messages.
    kind : {'auto', 'flag', 'outcome'}
        ``flag``: a yes/no column; ``outcome``: outcome types or texts read
        through the vocabulary; ``auto``: a yes/no column when every value is
        a yes/no value, else an outcome column.
    detected_values : mapping, optional
        Value -> True/False or (detected, final): overrides the vocabulary
        (or the yes/no reading).

    Returns
    -------
    Detection

    Examples
    --------
    >>> d = read_detection(["Suspect charged", "18", "Under investigation", "??"])
    >>> d.detected.tolist()  # the last entry is for null: no outcome assigned yet
    [True, False, False, False, False]
    >>> d.final.tolist(), d.known.tolist()
    ([True, True, False, True, False], [True, True, True, False, True])
    """
    OptionError.check_choice("detection", kind, DetectionKind)
    vals = np.asarray(list(values), dtype=object)
    over = _overrides(detected_values)
    flags = [_flag(v, column) for v in vals]
    if kind == "auto":
        kind = "flag" if all(f is not None for f in flags) else "outcome"  # as yes_no reads
    n = len(vals)
    detected = np.zeros(n + 1, dtype=bool)
    final = np.ones(n + 1, dtype=bool)
    known = np.ones(n + 1, dtype=bool)
    keys = [_key(v) for v in vals]
    if kind == "flag":
        for i, f in enumerate(flags):
            detected[i] = bool(f)
            known[i] = f is not None
        # null reads as no, as the scorer reads its flags: the last entry stays (False, True)
    else:
        vocab = _vocabulary().drop_duplicates("key").set_index("key")
        pos = vocab.index.get_indexer(pd.Index(keys, dtype=object))
        found = pos >= 0
        detected[:n][found] = vocab["detected"].to_numpy()[pos[found]]
        final[:n][found] = vocab["final"].to_numpy()[pos[found]]
        known[:n] = found
        detected[n], final[n] = False, False  # blank: no outcome assigned yet
    for i, key in enumerate(keys):
        if key in over:
            fin, det = over[key]
            detected[i] = det
            if fin is not None:
                final[i] = fin
            elif not known[i]:
                final[i] = True
            known[i] = True
    return Detection(column, kind, vals, detected, final, known)


def unknown_report(
    detection: Detection,
    crimes_by_value: np.ndarray,
    *,
    policy: UnknownOutcome,
) -> dict[str, float]:
    """Crimes per value outside the vocabulary (most first); raise under ``policy='raise'``."""
    bad = np.flatnonzero(~detection.known[:-1] & (crimes_by_value[:-1] != 0))
    counts = {str(detection.values[i]): float(crimes_by_value[i]) for i in bad}
    counts = dict(sorted(counts.items(), key=lambda kv: -kv[1]))
    if counts and policy == "raise":
        top = ", ".join(f"{v!r} ({n:,.0f})" for v, n in list(counts.items())[:5])
        raise ColumnValueError(
            f"column {detection.column!r}: {len(counts)} value(s) are neither in the outcome "
            f"vocabulary nor yes/no values: {top} (see crimeharm.outcome_vocabulary(); map them "
            "with detected_values= or pass unknown_outcome='not_detected' or 'exclude')",
            column=detection.column,
            values=list(counts),
        )
    return counts


# ----------------------------------------------------------------- data.police.uk outcomes
def _outcome_files(outcomes: Any) -> list[Path]:
    if isinstance(outcomes, str | os.PathLike):
        path = Path(outcomes)
        if not path.exists():
            raise InputFileError(f"outcomes {str(path)!r} does not exist")
        if path.is_dir():
            files = sorted(path.rglob("*-outcomes.csv"))
            if not files:
                raise InputFileError(
                    f"outcomes folder {str(path)!r} holds no *-outcomes.csv file", path=path
                )
            return files
        return [path]
    if isinstance(outcomes, list | tuple):
        return [p for o in outcomes for p in _outcome_files(o)]
    raise InputTypeError(
        "outcomes= takes a data.police.uk *-outcomes.csv file, a folder of them, a list of "
        f"either, or a DataFrame; not {type(outcomes).__name__}",
        allowed=["path", "folder", "list of paths", "pandas.DataFrame"],
    )


def _read_outcomes(outcomes: Any) -> tuple[pd.DataFrame, list[str]]:
    needed = [CRIME_ID, "Month", "Outcome type"]
    if isinstance(outcomes, pd.DataFrame):
        MissingColumnError.check(list(outcomes.columns), needed, source="outcomes")
        return outcomes[needed].astype(object), ["<DataFrame>"]
    files = _outcome_files(outcomes)
    parts = []
    for f in files:
        try:
            frame = pd.read_csv(f, dtype=str, keep_default_na=False, na_values=[""])
        except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
            raise InputFileError(f"{str(f)!r} is not a readable CSV: {exc}", path=f) from None
        MissingColumnError.check(list(frame.columns), needed, source=str(f))
        parts.append(frame[needed])
    return pd.concat(parts, ignore_index=True), [str(f) for f in files]


def join_outcomes(street: pd.DataFrame, outcomes: Any) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Give each street-file crime its latest outcome from data.police.uk outcomes files.

    Parameters
    ----------
    street : pandas.DataFrame
        Street-level records with ``Crime ID`` (and usually ``Last outcome
        category``).
    outcomes : path, folder, list of paths, or pandas.DataFrame
        ``*-outcomes.csv`` files (``Crime ID``, ``Month``, ``Outcome type``);
        a folder is searched for them recursively.

    Returns
    -------
    frame : pandas.DataFrame
        ``street`` (a copy) with :data:`LATEST_OUTCOME`: the crime's latest
        outcome in the outcomes files, else its street file's ``Last outcome
        category`` (the latest known when that file was made); null for
        records without a Crime ID (anti-social behaviour).
    report : dict
        Counts: outcome files and rows, the rows and distinct crimes that
        matched a street record and those that did not (outcomes of crimes
        not in ``street``, mostly of earlier months: counted, not used), and
        how many street crimes took an outcome from each source.

    Examples
    --------
    >>> import pandas as pd
    >>> street = pd.DataFrame({"Crime ID": ["a1", "b2", None],
    ...                        "Crime type": ["Burglary", "Robbery", "Anti-social behaviour"],
    ...                        "Last outcome category": ["Under investigation"] * 2 + [None]})
    >>> outcomes = pd.DataFrame({"Crime ID": ["a1"], "Month": ["2024-02"],
    ...                          "Outcome type": ["Suspect charged"]})
    >>> frame, report = join_outcomes(street, outcomes)
    >>> frame[LATEST_OUTCOME].tolist()
    ['Suspect charged', 'Under investigation', nan]
    >>> report["outcome_rows_matched"], report["street_crimes"]
    (1, 2)
    """
    MissingColumnError.check(list(street.columns), [CRIME_ID], source="street data")
    rows, files = _read_outcomes(outcomes)
    ids = rows[CRIME_ID].astype(object)
    has_id = ids.notna() & (ids.astype(str).str.strip() != "")
    rows = rows[has_id.to_numpy()]
    # latest outcome: by month, then the order read (files sorted, rows as written)
    order = np.lexsort((np.arange(len(rows)), rows["Month"].astype(str).to_numpy()))
    latest = rows.iloc[order].drop_duplicates(CRIME_ID, keep="last").set_index(CRIME_ID)
    street_ids = street[CRIME_ID].astype(object)
    crime = street_ids.notna() & (street_ids.astype(str).str.strip() != "")
    joined = street_ids.map(latest["Outcome type"]).where(crime.to_numpy())
    frame = street.copy()
    from_street = joined.isna() & crime
    if _STREET_OUTCOME in street.columns:
        joined = joined.where(~from_street.to_numpy(), street[_STREET_OUTCOME].astype(object))
    frame[LATEST_OUTCOME] = joined.astype(object)
    matched = rows[CRIME_ID].isin(set(street_ids[crime]))
    det = read_detection(pd.unique(frame.loc[crime.to_numpy(), LATEST_OUTCOME].dropna()))
    final_of = dict(zip(det.values.tolist(), det.final[:-1] & det.known[:-1], strict=True))
    final = frame[LATEST_OUTCOME].map(final_of).fillna(value=False).astype(bool) & crime
    n_crimes = int(crime.sum())
    report = {
        "outcome_files": files,
        "outcome_rows": len(rows),
        "outcome_crimes": int(rows[CRIME_ID].nunique()),
        "outcome_rows_matched": int(matched.sum()),
        "outcome_rows_unmatched": int((~matched).sum()),
        "outcome_crimes_unmatched": int(rows.loc[~matched.to_numpy(), CRIME_ID].nunique()),
        "street_rows": len(street),
        "street_rows_without_crime_id": int((~crime).sum()),
        "street_crimes": n_crimes,
        "street_duplicate_crime_ids": int(street_ids[crime].duplicated().sum()),
        "crimes_outcome_from_outcomes_files": int((crime & ~from_street).sum()),
        "crimes_outcome_from_street_file": int((from_street & frame[LATEST_OUTCOME].notna()).sum()),
        "crimes_with_final_outcome": int(final.sum()),
        "final_outcome_share": float(final.sum() / n_crimes) if n_crimes else float("nan"),
    }
    return frame, report
