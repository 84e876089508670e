"""Offence codes: recognise and canonicalise the forms police systems write.

Three code systems identify an offence in England and Wales:

``ho_class``
    The Home Office classification, class and subclass, canonically ``NNN/NN``
    (``008/01``). Force systems write it ``8/1``, ``008/01``, ``00801``,
    ``8.01``, ``8/01``, with spaces or in lower case: all mean ``008/01``.
``open_data``
    The Home Office open-data offence code (``8N``, ``28E``, ``105A``, ``802``;
    the homicide and death-by-driving subcodes ``4.1``, ``4.10``, ``37.2``), the
    code of the Home Office count tables and the leading part of an Athena URN
    (:func:`open_data_from_urn`).
``cjs``
    The Criminal Justice System offence code used by courts and the PNC
    (``OF61003``, ``COML025C``).

Nothing is guessed. A value that fits no form is *malformed*; a well-formed
value that a weights table does not carry is *unknown* (decided by
:class:`crimeharm.WeightTable`, not here). In particular ``8.1`` is not read
as a Home Office classification: with one digit after a dot it may be
``008/01`` or a spreadsheet's ``8.10`` with its trailing zero lost, and the two
are different offences. (It has the form of an open-data subcode such as
``4.1``, so it is looked up as one and reported unknown.) ``N.NN`` is read as a
classification (``8.01`` is ``008/01``), never as an open-data subcode.

Functions here work on arrays of *distinct* values; the scorer factorises a
column first, so they never loop over rows.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Literal

import numpy as np
import pandas as pd

__all__ = [
    "CODE_SYSTEMS",
    "CodeSystem",
    "canonical_cjs",
    "canonical_ho_class",
    "canonical_open_data",
    "classify_codes",
    "normalise_text",
    "open_data_from_urn",
]

CodeSystem = Literal["ho_class", "open_data", "cjs", "key"]
CODE_SYSTEMS: tuple[str, ...] = ("ho_class", "open_data", "cjs", "key")

_HO_SEP = re.compile(r"^(\d{1,3})[/\-](\d{1,2})$")
_HO_DOT = re.compile(r"^(\d{1,3})\.(\d{2})$")
_HO_PACKED = re.compile(r"^(\d{3})(\d{2})$")
_OPEN_DATA = re.compile(r"^\d{1,3}[A-Z]{0,2}$")
_OPEN_DATA_DOT = re.compile(r"^(\d{1,3})\.(\d{1,2})$")  # homicide and driving subcodes: 4.1, 37.2
_CJS = re.compile(r"^(?:[A-Z]{2}\d{5}|COML\d{3})[A-Z]?$")
_SPACES = re.compile(r"\s+")


def _as_object_array(values: Iterable[object] | np.ndarray | pd.Series) -> np.ndarray:
    if isinstance(values, pd.Series | pd.Index):
        return values.to_numpy(dtype=object, na_value=None)  # type: ignore[call-overload]  # stub: na_value=None is valid
    return np.asarray(list(values) if not isinstance(values, np.ndarray) else values, dtype=object)


def _per_value(
    values: Iterable[object] | np.ndarray | pd.Series, read: Callable[[str], str | None]
) -> np.ndarray:
    """Apply ``read(text) -> canonical or None`` once per distinct normalised value."""
    text = normalise_text(values)
    inverse, uniques = pd.factorize(text, use_na_sentinel=True)
    read_u = np.array([read(t) for t in uniques] + [None], dtype=object)
    return read_u[inverse]  # the sentinel -1 takes the last slot: None


def _normalise_one(v: object) -> str | None:
    if type(v) is str:  # the common case, without the checks below
        return "".join(v.split()).upper() or None
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
        return None
    if isinstance(v, bool | np.bool_):
        return repr(bool(v)).upper()
    if isinstance(v, int | np.integer):
        s = str(int(v))
    elif isinstance(v, float | np.floating):
        s = repr(float(v))
        if s.endswith(".0"):
            s = s[:-2]
    else:
        s = str(v)
    return _SPACES.sub("", s).upper() or None


def normalise_text(values: Iterable[object] | np.ndarray | pd.Series) -> np.ndarray:
    """Strip, upper-case and remove inner spaces; missing and blank values become ``None``.

    Numbers are turned into their shortest text (``801`` -> ``'801'``,
    ``8.01`` -> ``'8.01'``); booleans and other objects are left to fail the
    pattern checks that follow. This is the one normalisation of codes and
    keys: lookups use it, and :func:`crimeharm.weights.table.validate_table`
    checks that a table's keys are unique after it. Each distinct value is
    read once.

    Parameters
    ----------
    values : array-like
        Raw code values.

    Returns
    -------
    numpy.ndarray of object
        Normalised strings or ``None``.

    Examples
    --------
    >>> normalise_text([" 8 / 01", "28e", "", None]).tolist()
    ['8/01', '28E', None, None]
    """
    arr = _as_object_array(values)
    if pd.api.types.infer_dtype(arr, skipna=False) in ("string", "empty"):
        return _normalise_strings(arr)
    out = np.empty(len(arr), dtype=object)
    is_str = np.fromiter((type(v) is str for v in arr), dtype=bool, count=len(arr))
    if is_str.any():
        out[is_str] = _normalise_strings(arr[is_str])
    for i in np.flatnonzero(~is_str):  # numbers, nulls and other objects (1 and True differ)
        out[i] = _normalise_one(arr[i])
    return out


def _normalise_strings(arr: np.ndarray) -> np.ndarray:
    """:func:`normalise_text` of an array of str, each distinct value read once.

    Values that are mostly distinct (keys; judged on the first 10,000) are read
    one by one: finding the distinct ones would cost more than it saves.
    """
    if len(arr) == 0:
        return np.empty(0, dtype=object)
    sample = arr[:10_000]
    if len(arr) > 20_000 and len(pd.unique(sample)) > len(sample) // 2:
        return np.array(["".join(v.split()).upper() or None for v in arr], dtype=object)
    inverse, uniques = pd.factorize(arr)
    done = ["".join(v.split()).upper() or None for v in uniques]
    return np.array(done, dtype=object)[inverse]


def canonical_ho_class(values: Iterable[object] | np.ndarray | pd.Series) -> np.ndarray:
    """Canonicalise Home Office classifications to ``NNN/NN``.

    Parameters
    ----------
    values : array-like
        Codes as written: ``8/1``, ``008/01``, ``00801``, ``8.01``, ``8-01``,
        with spaces or in lower case.

    Returns
    -------
    numpy.ndarray of object
        ``'NNN/NN'`` strings, ``None`` where a value is missing or malformed.

    Examples
    --------
    >>> canonical_ho_class(["8/1", "008/01", "00801", "8.01", " 8 / 01 ", "8.1", "8N"]).tolist()
    ['008/01', '008/01', '008/01', '008/01', '008/01', None, None]
    """

    def read(t: str) -> str | None:
        m = _HO_SEP.match(t) or _HO_DOT.match(t) or _HO_PACKED.match(t)
        return f"{int(m.group(1)):03d}/{int(m.group(2)):02d}" if m else None

    return _per_value(values, read)


def canonical_open_data(values: Iterable[object] | np.ndarray | pd.Series) -> np.ndarray:
    """Canonicalise Home Office open-data offence codes (``8N``, ``28E``, ``105A``).

    Leading zeros are dropped (``08N`` -> ``8N``), letters upper-cased. The
    homicide and death-by-driving subcodes are written with a dot (``4.1``,
    ``4.10``, ``37.2``); :func:`classify_codes` reads ``N.NN`` as a Home Office
    classification first, so look such codes up with ``code_system="open_data"``.

    Returns
    -------
    numpy.ndarray of object
        Canonical codes, ``None`` where missing or malformed.

    Examples
    --------
    >>> canonical_open_data(["8n", "028E", "105A", "802", "4.10", "8/01", "NN"]).tolist()
    ['8N', '28E', '105A', '802', '4.10', None, None]
    """

    def read(t: str) -> str | None:
        if _OPEN_DATA.match(t):
            digits = t.rstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
            return f"{int(digits)}{t[len(digits) :]}"
        m = _OPEN_DATA_DOT.match(t)
        return f"{int(m.group(1))}.{m.group(2)}" if m else None

    return _per_value(values, read)


def open_data_from_urn(urns: Iterable[object] | np.ndarray | pd.Series) -> np.ndarray:
    """The Home Office open-data code of each Athena URN.

    An Athena URN is ``<open-data code>.<HO class>.<HO subclass>.<sub-sub-code>``,
    with ``A`` appended for an attempt. The open-data code is everything before
    the last three parts, because it may itself contain a dot: ``4.3.4.3.0``
    (intentional destruction of a viable unborn child) has the open-data code
    ``4.3``, not ``4``, and ``37.2.131.1.0`` has ``37.2``. A value of three
    parts or fewer gives its first part. ``NN`` (non-notifiable) and ``ASB``
    are kept as written: they are not open-data codes and the code lookups
    ignore them. This is the one reading of the rule: the sheet reader and the
    importer both use it.

    Parameters
    ----------
    urns : array-like
        Athena URNs as written in a CCHI sheet's ``ATHENA URN`` column.

    Returns
    -------
    numpy.ndarray of object
        The open-data code of each URN as written (stripped), ``None`` where a
        URN is missing or blank.

    Examples
    --------
    >>> open_data_from_urn(["8N.8.1.1A", "4.3.4.3.0", "37.2.131.1.0", "NN.111.5.0", None]).tolist()
    ['8N', '4.3', '37.2', 'NN', None]
    """
    arr = _as_object_array(urns)
    out = np.full(len(arr), None, dtype=object)
    for i, v in enumerate(arr):
        if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
            continue
        text = str(v).strip()
        if text:
            parts = text.split(".")
            out[i] = ".".join(parts[:-3]) if len(parts) > 3 else parts[0]
    return out


def canonical_cjs(values: Iterable[object] | np.ndarray | pd.Series) -> np.ndarray:
    """Canonicalise CJS offence codes (``OF61003``, ``COML025C``).

    Returns
    -------
    numpy.ndarray of object
        Upper-cased codes, ``None`` where missing or malformed.

    Examples
    --------
    >>> canonical_cjs(["of61003", " SX03234", "COML025C", "OF6100"]).tolist()
    ['OF61003', 'SX03234', 'COML025C', None]
    """
    return _per_value(values, lambda t: t if _CJS.match(t) else None)


def classify_codes(values: Iterable[object] | np.ndarray | pd.Series) -> np.ndarray:
    """Say which code system each value is written in.

    Parameters
    ----------
    values : array-like
        Distinct code values.

    Returns
    -------
    numpy.ndarray of object
        ``'ho_class'``, ``'open_data'``, ``'cjs'``, ``'missing'`` (empty or
        null) or ``'malformed'`` (fits no form) for each value.

    Examples
    --------
    >>> classify_codes(["8/1", "8N", "OF61003", "", "8.1", "4.10", "banana"]).tolist()
    ['ho_class', 'open_data', 'cjs', 'missing', 'open_data', 'ho_class', 'malformed']
    """
    text = normalise_text(values)
    ho = canonical_ho_class(text)
    od = canonical_open_data(text)
    cj = canonical_cjs(text)
    out = np.full(len(text), "malformed", dtype=object)
    out[pd.isna(text)] = "missing"
    out[pd.notna(cj)] = "cjs"
    out[pd.notna(od)] = "open_data"
    out[pd.notna(ho)] = "ho_class"
    return out
