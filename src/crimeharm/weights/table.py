"""A loaded weights table: days per offence, and lookups by any code system.

A table has one row per offence, keyed by ``key`` (the Athena URN in the
official sheets, a category in ``cchi-2016-beta``, an open-data code in
``ons-css``), with ``days`` and, where the edition has them, the code columns
``ho_class``, ``open_data`` and ``cjs_codes`` (space-separated).

Several rows can share one code: in ``cchi-2020``, 11 Home Office
classifications carry different scores on different rows (``008/01`` runs from
19 to 912.5 days because assault-on-police variants score higher), most
open-data codes cover several offences (``8N``: 17 rows, 2 to 1460 days) and
CJS codes recur. Scoring by such a code needs a rule. The rules:

``base`` (default for ``ho_class`` and ``cjs``)
    The base offence: among the code's rows, the first that is not an attempt
    (an Athena URN ending in ``A`` or a title starting "Attempted"), in order of
    Home Office classification, then the sub-sub-code of the URN, then the
    open-data code, then sheet order. The CCHI scores an offence at its
    starting point with no aggravation; the higher-scored variants sharing a
    classification are aggravated forms (assault on police, several
    offenders, distraction burglary), so the base offence is the one the index's
    own principle picks. For ``008/01`` it is GBH without intent (s20), 547.5.
``median`` (default for ``open_data``)
    The median of the code's rows. Open-data codes group distinct offences
    (``8N`` holds ABH, s20 GBH and FGM), so no row is "the" offence; the median
    is robust to the rare severe ones.
``min``, ``max``
    The smallest or largest score: bounds for a sensitivity check.

Every lookup can report which codes were ambiguous and the rule used
(:meth:`WeightTable.resolve`), and :meth:`WeightTable.ambiguous_codes` lists
them with every alternative.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from crimeharm.errors import (
    CodeError,
    InputFileError,
    WeightsValidationError,
)
from crimeharm.vocabulary import FALSE_WORDS, FLAG_WORDS, TRUE_WORDS
from crimeharm.weights.codes import (
    CODE_SYSTEMS,
    canonical_cjs,
    canonical_ho_class,
    canonical_open_data,
    classify_codes,
    normalise_text,
)
from crimeharm.weights.crosswalk import follow

__all__ = ["AMBIGUITY_RULES", "DEFAULT_AMBIGUITY", "WeightTable"]

Rule = Literal["base", "median", "min", "max"]
AMBIGUITY_RULES: tuple[str, ...] = ("base", "median", "min", "max")
DEFAULT_AMBIGUITY: dict[str, str] = {
    "ho_class": "base",
    "cjs": "base",
    "open_data": "median",
    "key": "base",
}
_REQUIRED = ("key", "days")


def _natural_key(code: object) -> tuple[int, str]:
    s = "" if code is None or code is pd.NA else str(code)
    m = re.match(r"^(\d+)(.*)$", s)
    return (int(m.group(1)), m.group(2)) if m else (10**9, s)


def _natural_ranks(values: pd.Series, *, missing: tuple[int, str]) -> tuple[np.ndarray, np.ndarray]:
    """Ranks of the number and of the text of each value's :func:`_natural_key`.

    ``missing`` is the key of a missing value. Each distinct value is read once.
    """
    inverse, uniques = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=True)
    keys = [_natural_key(u) for u in uniques] + [missing]
    numbers = pd.factorize(np.array([k[0] for k in keys], dtype=object), sort=True)[0]
    texts = pd.factorize(np.array([k[1] for k in keys], dtype=object), sort=True)[0]
    return numbers[inverse], texts[inverse]


def _to_bool(series: pd.Series, *, column: str, source: str) -> pd.Series:
    if pd.api.types.is_bool_dtype(series):
        return series.fillna(value=False).astype(bool)  # a missing flag is no, as a blank is
    text = series.astype("string").str.strip().str.upper().fillna("")
    bad = ~text.isin(TRUE_WORDS | FALSE_WORDS)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise WeightsValidationError(
            f"{source}: column {column!r} row {i + 1}: {series.iloc[i]!r} is not a yes/no "
            f"value (expected {FLAG_WORDS})",
            column=column,
            values=[series.iloc[i]],
            allowed=sorted(TRUE_WORDS | FALSE_WORDS),
        )
    return text.isin(TRUE_WORDS)


def _to_days(values: pd.Series) -> pd.Series:
    """Days as float64, NaN where a value is not a number (pyarrow's cast when it can)."""
    if not pd.api.types.is_numeric_dtype(values):
        import pyarrow as pa
        import pyarrow.compute as pc

        try:
            parsed = pc.cast(pa.array(values, pa.string()), pa.float64())
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            pass  # some value is not a number: pandas finds which
        else:
            return pd.Series(parsed.to_numpy(zero_copy_only=False), index=values.index)
    return pd.to_numeric(values, errors="coerce")


def _rows(mask: np.ndarray, *, limit: int = 10) -> str:
    """The 1-based rows where ``mask`` holds, the first ``limit`` of them."""
    rows = np.flatnonzero(mask) + 1
    shown = ", ".join(map(str, rows[:limit]))
    return shown + (f" and {len(rows) - limit} more" if len(rows) > limit else "")


def duplicate_names(names: Iterable[object]) -> list[str]:
    """The column names that occur more than once, in order of first occurrence.

    Examples
    --------
    >>> duplicate_names(["key", "days", "days", "title"])
    ['days']
    """
    seen: dict[str, int] = {}
    for name in names:
        seen[str(name)] = seen.get(str(name), 0) + 1
    return [n for n, k in seen.items() if k > 1]


def _check_unique_keys(keys: pd.Series, days: pd.Series, *, source: str) -> None:
    """Keys must be unique as lookups read them (:func:`normalise_text`)."""
    norm = normalise_text(keys)
    if len(set(norm.tolist())) == len(norm):
        return
    norm = pd.Series(norm, index=keys.index, dtype=object)
    dup = norm.duplicated(keep=False).to_numpy()
    frame = pd.DataFrame(
        {"norm": norm[dup], "key": keys[dup], "days": days[dup], "row": np.flatnonzero(dup) + 1}
    )
    groups = list(frame.groupby("norm", sort=True))
    parts = []
    for _, g in groups[:10]:
        written = " / ".join(repr(k) for k in dict.fromkeys(g["key"]))
        values = sorted(set(g["days"]))
        rows = ", ".join(map(str, g["row"]))
        what = f"conflicting days {values}" if len(values) > 1 else f"days {values[0]}"
        parts.append(f"{written} (rows {rows}; {what})")
    raise WeightsValidationError(
        f"{source}: {len(groups)} duplicate key(s), each key must appear once (keys are "
        f"compared as lookups read them: case and spaces ignored): {'; '.join(parts)}",
        column="key",
        values=[g["key"].iloc[0] for _, g in groups[:10]],
    )


def validate_table(frame: pd.DataFrame, *, source: str = "weights table") -> pd.DataFrame:
    """Check a weights table against the schema and return a normalised copy.

    Parameters
    ----------
    frame : pandas.DataFrame
        Needs ``key`` (unique text) and ``days`` (number of days, >= 0). May
        have ``ho_class``, ``open_data``, ``cjs_codes``, ``police_generated``,
        ``title`` and any descriptive columns.
    source : str
        Named in error messages (a file name, an edition id).

    Returns
    -------
    pandas.DataFrame
        The table with ``days`` as float64, codes canonical, flags boolean.

    Raises
    ------
    WeightsValidationError
        On a duplicate column name, a missing column, an empty key, keys that
        are the same after the normalisation lookups use (``k1`` and ``K1``),
        days that are missing, non-numeric or negative, or Home Office
        classifications that cannot be read (every such row is listed). The
        message names the rows (1-based, as in the file after its header) and
        the values.
    """
    repeated = duplicate_names(frame.columns)
    if repeated:
        raise WeightsValidationError(
            f"{source}: duplicate column name(s) {repeated}; each column must appear once "
            f"(columns: {[str(c) for c in frame.columns]})",
            values=repeated,
        )
    missing = [c for c in _REQUIRED if c not in frame.columns]
    if missing:
        raise WeightsValidationError(
            f"{source}: missing column(s) {missing}; a weights table needs 'key' and 'days' "
            f"(columns present: {list(frame.columns)})"
        )
    if len(frame) == 0:
        raise WeightsValidationError(
            f"{source}: the table has no rows; a weights table needs at least one offence"
        )
    out = frame.reset_index(drop=True)
    keys = out["key"].astype("string").str.strip()
    empty = (keys.isna() | (keys == "")).to_numpy()
    if empty.any():
        raise WeightsValidationError(f"{source}: row {_rows(empty)}: empty 'key'", column="key")
    out["key"] = keys.astype(object)
    days = _to_days(out["days"])
    bad = days.isna() | (days < 0) | ~np.isfinite(days.to_numpy(dtype=float, na_value=np.nan))
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise WeightsValidationError(
            f"{source}: row {i + 1} (key {out['key'].iloc[i]!r}): days {out['days'].iloc[i]!r} "
            "is not a finite number >= 0",
            column="days",
            values=[out["days"].iloc[i]],
        )
    out["days"] = days.astype("float64")
    _check_unique_keys(out["key"], out["days"], source=source)
    if "ho_class" in out.columns:
        raw = out["ho_class"]
        canon = canonical_ho_class(raw)
        bad = pd.notna(raw.to_numpy(dtype=object)) & pd.isna(canon)
        bad &= raw.astype("string").str.strip().fillna("").to_numpy() != ""
        if bad.any():
            values = list(dict.fromkeys(raw[bad]))
            raise WeightsValidationError(
                f"{source}: {int(bad.sum())} row(s) with a ho_class that is not a Home Office "
                f"classification (expected NNN/NN, e.g. 008/01): row {_rows(bad)}: "
                f"{', '.join(map(repr, values[:10]))}",
                column="ho_class",
                values=values,
            )
        out["ho_class"] = canon
    if "open_data" in out.columns:
        out["open_data"] = normalise_text(out["open_data"])
    if "cjs_codes" in out.columns:
        out["cjs_codes"] = out["cjs_codes"].astype("string").fillna("").astype(object)
    for col in ("police_generated", "notifiable", "not_crime"):
        if col in out.columns:
            out[col] = _to_bool(out[col], column=col, source=source)
    if "police_generated" not in out.columns:
        out["police_generated"] = False
    if "not_crime" not in out.columns:
        kind = out.get("investigation_type", pd.Series("", index=out.index))
        out["not_crime"] = (
            kind.astype("string")
            .str.strip()
            .str.upper()
            .eq("NONCRIME")
            .fillna(value=False)
            .to_numpy(dtype=bool)
        )
    return out


def _read_weights_csv(path: Path, data: bytes) -> pd.DataFrame:
    """Read a weights CSV's bytes, every column as text; blank cells are missing.

    The header is read first (duplicate names are refused), then the rows by
    pyarrow's CSV reader (multithreaded). When pyarrow refuses the file, the
    rows are read again by the csv module to name the line at fault.
    """
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    where = f"weights file {str(path)!r}"
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    try:
        header = next(csv.reader(io.TextIOWrapper(io.BytesIO(body), "utf-8", newline="")), None)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InputFileError(f"{where} is not a readable CSV: {exc}", path=path) from None
    if not header:
        raise InputFileError(
            f"{where} is not a readable CSV: it is empty "
            "(expected a header with 'key' and 'days' and a row per offence)",
            path=path,
        )
    repeated = duplicate_names(header)
    if repeated:
        raise WeightsValidationError(
            f"{where}: duplicate column name(s) {repeated} in the header; each column must "
            f"appear once (header: {header})",
            path=path,
            values=repeated,
        )
    try:
        table = pa_csv.read_csv(
            io.BytesIO(body),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(header, pa.string()),
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
    except pa.ArrowInvalid as exc:
        _locate_csv_error(body, len(header), where=where, path=path)
        raise InputFileError(f"{where} is not a readable CSV: {exc}", path=path) from None
    return table.to_pandas()


def _locate_csv_error(body: bytes, width: int, *, where: str, path: Path) -> None:
    """Raise an error naming the first line that breaks the CSV (the slow reading)."""
    try:
        reader = csv.reader(io.StringIO(body.decode("utf-8")))
        next(reader, None)
        for row in reader:
            if row and len(row) != width:
                raise InputFileError(
                    f"{where} is not a readable CSV: line {reader.line_num} has {len(row)} "
                    f"fields, the header has {width}",
                    path=path,
                )
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InputFileError(f"{where} is not a readable CSV: {exc}", path=path) from None


@dataclass(frozen=True, eq=False)
class WeightTable:
    """Days per offence, from one edition, with lookups by any code system.

    Attributes
    ----------
    edition : str
        The edition id (``cchi-2020``) or a name given to a user's table.
    sha256 : str
        Hex digest of the file the table was read from.
    table : pandas.DataFrame
        One row per offence: ``key``, ``days`` (days of imprisonment, float),
        code columns and descriptive columns.
    scheme : str
        ``cchi`` (sentencing-guideline starting points) or ``ons-css``
        (sentences handed down); results record it.
    """

    edition: str
    sha256: str
    table: pd.DataFrame = field(repr=False)
    scheme: str = "cchi"

    # ------------------------------------------------------------------ loading
    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        *,
        edition: str,
        sha256: str = "",
        scheme: str = "cchi",
    ) -> WeightTable:
        """Build a table from a DataFrame, validated against the schema."""
        table = validate_table(frame, source=edition)
        return cls(edition=edition, sha256=sha256, table=table, scheme=scheme)

    @classmethod
    def from_csv(
        cls,
        path: str | os.PathLike[str],
        *,
        edition: str | None = None,
        scheme: str = "cchi",
    ) -> WeightTable:
        """Read a user's weights table from CSV (UTF-8), validated against the schema.

        Parameters
        ----------
        path : path-like
            A CSV with at least ``key`` and ``days``; ``crimeharm weights
            import`` writes such a file from an official sheet.
        edition : str, optional
            A name for results to record; the file's stem by default.
        scheme : str
            ``cchi`` unless the table holds another scheme's weights.

        Raises
        ------
        InputFileError
            If the file does not exist or cannot be read as CSV (a line with
            more or fewer fields than the header is named).
        WeightsValidationError
            If the header repeats a name, or the table breaks the schema (see
            :func:`validate_table`).
        """
        p = Path(path)
        if not p.is_file():
            raise InputFileError(f"weights file {str(p)!r} does not exist", path=p)
        data = p.read_bytes()
        frame = _read_weights_csv(p, data)
        table = validate_table(frame, source=str(p))
        return cls(
            edition=edition or p.stem,
            sha256=hashlib.sha256(data).hexdigest(),
            table=table,
            scheme=scheme,
        )

    # ------------------------------------------------------------------ indexes
    @property
    def code_systems(self) -> tuple[str, ...]:
        """The code systems this table can be looked up by."""
        cols = {"ho_class": "ho_class", "open_data": "open_data", "cjs": "cjs_codes"}
        have = tuple(s for s, c in cols.items() if c in self.table.columns)
        return (*have, "key")

    @functools.cached_property
    def _base_rank(self) -> np.ndarray:
        """Each row's place in the order of the ``base`` rule (see the module docstring).

        The order: not an attempt first, then by Home Office classification,
        the URN's sub-sub-code (its fourth part, trailing ``A`` removed, read
        as number then text), the open-data code (number then text), and
        sheet order.
        """
        import pyarrow as pa
        import pyarrow.compute as pc

        t = self.table
        n = len(t)
        key = t["key"].astype(str)
        title = (
            t["title"].astype("string").fillna("") if "title" in t else pd.Series("", index=t.index)
        )
        attempted = (key.str.endswith("A") | title.str.lower().str.startswith("attempt")).to_numpy(
            dtype=bool
        )
        fourth = pc.extract_regex(pa.array(key, pa.string()), r"^(?:[^.]*\.){3}(?P<p>[^.]*)")
        fourth = pc.utf8_rtrim(pc.struct_field(fourth, [0]), "A")  # null: three parts or fewer
        sub_num, sub_rest = _natural_ranks(
            pd.Series(fourth.to_numpy(zero_copy_only=False), dtype=object), missing=(0, "")
        )
        if "ho_class" in t:
            ho = pd.factorize(t["ho_class"].fillna("~").to_numpy(dtype=object), sort=True)[0]
        else:
            ho = np.zeros(n, dtype=np.int64)
        if "open_data" in t:
            od_num, od_rest = _natural_ranks(t["open_data"], missing=(10**9, ""))
        else:
            od_num = od_rest = np.zeros(n, dtype=np.int64)
        order = np.lexsort((np.arange(n), od_rest, od_num, sub_rest, sub_num, ho, attempted))
        rank = np.empty(n, dtype=np.int64)
        rank[order] = np.arange(n)
        return rank

    def _pairs(self, system: str) -> pd.DataFrame:
        """(code, row) pairs of a code system: one per row, or several for CJS lists."""
        t = self.table
        if system == "key":
            codes = normalise_text(t["key"])
            rows = np.arange(len(t))
        elif system == "ho_class":
            codes, rows = t["ho_class"].to_numpy(dtype=object), np.arange(len(t))
        elif system == "open_data":
            codes, rows = canonical_open_data(t["open_data"]), np.arange(len(t))
        elif system == "cjs":
            import pyarrow as pa
            import pyarrow.compute as pc

            lists = pc.utf8_split_whitespace(pa.array(t["cjs_codes"].astype(str), pa.string()))
            rows = pc.list_parent_indices(lists).to_numpy(zero_copy_only=False)
            flat = pc.list_flatten(lists).to_numpy(zero_copy_only=False).astype(object)
            codes = canonical_cjs(flat) if len(flat) else np.array([], dtype=object)
        else:
            raise CodeError(f"unknown code system {system!r}; expected one of {CODE_SYSTEMS}")
        pairs = pd.DataFrame(
            {"code": pd.Series(codes, dtype=object), "row": np.asarray(rows, dtype=np.int64)}
        )
        pairs = pairs[pairs["code"].notna()]
        return pairs if system in ("key", "ho_class", "open_data") else pairs.drop_duplicates()

    @functools.lru_cache(maxsize=32)  # noqa: B019 - the table is immutable and lives as long
    def index(self, code_system: str, rule: str | None = None) -> pd.DataFrame:
        """Days per code of one code system after the ambiguity rule.

        Parameters
        ----------
        code_system : {'ho_class', 'open_data', 'cjs', 'key'}
            Which codes to index.
        rule : {'base', 'median', 'min', 'max'}, optional
            How to score a code that several rows with different days share;
            :data:`DEFAULT_AMBIGUITY` by default.

        Returns
        -------
        pandas.DataFrame
            Indexed by canonical code (sorted; keys in table order):
            ``days``, ``n_rows``, ``ambiguous``
            (rows disagree on days), ``row`` (the chosen row for base, min and
            max; -1 for a median), ``police_generated`` (all the code's
            rows are flagged, for median; the chosen row's flag otherwise) and
            ``not_crime`` (every row of the code is a non-crime, such as the
            sheet's NONCRIME anti-social behaviour rows).
        """
        if code_system not in self.code_systems:
            raise CodeError(
                f"edition {self.edition!r} has no {code_system!r} codes; "
                f"it can be looked up by {list(self.code_systems)}"
            )
        rule = rule or DEFAULT_AMBIGUITY[code_system]
        if rule not in AMBIGUITY_RULES:
            raise CodeError(f"unknown ambiguity rule {rule!r}; expected one of {AMBIGUITY_RULES}")
        pairs = self._pairs(code_system)
        row = pairs["row"].to_numpy()
        days = self.table["days"].to_numpy()[row]
        flag = self.table["police_generated"].to_numpy(dtype=bool)[row]
        noncrime = self.table["not_crime"].to_numpy(dtype=bool)[row]
        as_given = pd.Index(pairs["code"].to_numpy(dtype=object), dtype=object, name="code")
        # keys are unique (validate_table checks it): the index lookups use is built once
        if code_system == "key" and as_given.is_unique:  # one row per code: table order
            n_codes = len(as_given)
            return pd.DataFrame(
                {
                    "days": days,
                    "n_rows": np.ones(n_codes, dtype=np.int64),
                    "ambiguous": np.zeros(n_codes, dtype=bool),
                    "row": row.astype(np.int64),
                    "police_generated": flag,
                    "not_crime": noncrime,
                    "min": days,
                    "max": days,
                    "median": days,
                },
                index=as_given,
            )
        ids, codes = pd.factorize(as_given.to_numpy(), sort=True)
        n_codes = len(codes)
        n_rows = np.bincount(ids, minlength=n_codes)
        index = pd.Index(codes, dtype=object, name="code")
        g = pd.Series(days).groupby(ids, sort=True)
        lo, hi = g.min().to_numpy(), g.max().to_numpy()
        median = g.median().to_numpy()
        all_flagged = np.bincount(ids, weights=flag, minlength=n_codes) == n_rows
        not_crime = np.bincount(ids, weights=noncrime, minlength=n_codes) == n_rows
        if rule == "median":
            chosen_days, chosen_row, chosen_flag = median, np.full(n_codes, -1), all_flagged
        else:
            # per code, the first row in the order of the rule: base rank, or days then rank
            rank = self._base_rank[row]
            if rule == "base":
                order = np.lexsort((rank, ids))
            else:
                order = np.lexsort((rank, days if rule == "min" else -days, ids))
            first = order[np.r_[True, ids[order][1:] != ids[order][:-1]]]  # ids ascending
            chosen_days, chosen_row, chosen_flag = days[first], row[first], flag[first]
        return pd.DataFrame(
            {
                "days": chosen_days,
                "n_rows": n_rows,
                "ambiguous": lo != hi,
                "row": np.asarray(chosen_row, dtype=np.int64),
                "police_generated": np.asarray(chosen_flag, dtype=bool),
                "not_crime": not_crime,
                "min": lo,
                "max": hi,
                "median": median,
            },
            index=index,
        )

    def ambiguous_codes(self, code_system: str = "ho_class") -> pd.DataFrame:
        """List the codes whose rows disagree on days, with every rule's answer.

        Returns
        -------
        pandas.DataFrame
            One row per ambiguous code: ``n_rows``, ``base``, ``median``,
            ``min``, ``max`` (days) and ``base_key`` (the base offence's key).
        """
        base = self.index(code_system, "base")
        amb = base[base["ambiguous"]]
        return pd.DataFrame(
            {
                "n_rows": amb["n_rows"],
                "base": amb["days"],
                "median": amb["median"],
                "min": amb["min"],
                "max": amb["max"],
                "base_key": self.table["key"].to_numpy()[amb["row"].to_numpy()],
            }
        )

    # ------------------------------------------------------------------ lookup
    def resolve(
        self,
        codes: Iterable[object] | np.ndarray | pd.Series,
        *,
        code_system: str = "auto",
        ambiguity: str | Mapping[str, str] | None = None,
        crosswalk: bool = True,
    ) -> pd.DataFrame:
        """Resolve codes to days, saying how each was read.

        Meant for the distinct values of a column (the scorer factorises first).

        Parameters
        ----------
        codes : array-like
            Codes in any written form.
        code_system : {'auto', 'ho_class', 'open_data', 'cjs', 'key'}
            ``auto`` reads each value by its form: a key of the table first
            (an Athena URN, a 2016 category), then a Home Office
            classification, a CJS code or an open-data code.
        ambiguity : str or mapping, optional
            A rule for every system, or a mapping system -> rule; the
            defaults are in :data:`DEFAULT_AMBIGUITY`.
        crosswalk : bool
            Read a code the table does not carry as written through the
            shipped crosswalk of retired Home Office codes
            (:mod:`crimeharm.weights.crosswalk`): ``28A`` is scored as ``28E``.
            Never used for a code the table carries.

        Returns
        -------
        pandas.DataFrame
            One row per input value: ``code`` (as given), ``system``,
            ``canonical``, ``status`` (``ok``, ``unknown``, ``malformed``,
            ``missing``), ``days`` (NaN unless ok), ``ambiguous``,
            ``police_generated``, ``not_crime``, ``rule`` and ``crosswalk``
            (the path followed, ``'28A->28E'``, or None when the code was
            found as written).

        Examples
        --------
        >>> import crimeharm
        >>> w = crimeharm.load_weights("cchi-2020")
        >>> w.resolve(["28A", "28E"])[["canonical", "status", "days", "crosswalk"]].values.tolist()
        [['28A', 'ok', 14.5, '28A->28E'], ['28E', 'ok', 14.5, None]]
        """
        raw = np.asarray(
            codes.to_numpy(dtype=object) if isinstance(codes, pd.Series | pd.Index) else codes,
            dtype=object,
        )
        n = len(raw)
        rules = dict(DEFAULT_AMBIGUITY)
        if isinstance(ambiguity, str):
            rules = dict.fromkeys(rules, ambiguity)
        elif ambiguity is not None:
            rules.update(ambiguity)
        text = normalise_text(raw)
        system = np.full(n, None, dtype=object)
        canon = np.full(n, None, dtype=object)
        if code_system == "auto":
            is_key = self.index("key", "base").index.get_indexer(text) >= 0  # type: ignore[arg-type]  # stub: takes an array
            kinds = classify_codes(text)
            system[:] = kinds
            system[is_key] = "key"
        elif code_system in CODE_SYSTEMS:
            system[:] = code_system
            system[pd.isna(text)] = "missing"
        else:
            raise CodeError(
                f"unknown code_system {code_system!r}; expected 'auto' or one of {CODE_SYSTEMS}"
            )
        canonicalise: dict[str, Callable[[np.ndarray], np.ndarray]] = {
            "ho_class": canonical_ho_class,
            "open_data": canonical_open_data,
            "cjs": canonical_cjs,
            "key": lambda v: np.asarray(v, dtype=object),
        }
        out = {
            "days": np.full(n, np.nan),
            "ambiguous": np.zeros(n, dtype=bool),
            "police_generated": np.zeros(n, dtype=bool),
            "not_crime": np.zeros(n, dtype=bool),
            "rule": np.full(n, None, dtype=object),
        }
        status = np.where(system == "missing", "missing", "malformed").astype(object)
        path = np.full(n, None, dtype=object)
        for sysname, fn in canonicalise.items():
            sel = system == sysname
            if not sel.any():
                continue
            c = fn(text[sel])
            canon[sel] = c
            ok_form = pd.notna(c)
            idx_sel = np.flatnonzero(sel)
            status[idx_sel[~ok_form]] = "malformed"
            status[idx_sel[ok_form]] = "unknown"
            if sysname not in self.code_systems:
                continue
            rule = rules.get(sysname, DEFAULT_AMBIGUITY[sysname])
            index = self.index(sysname, rule)
            pos = index.index.get_indexer(c)  # type: ignore[arg-type]  # stub: takes an array
            if crosswalk:
                lost = ok_form & (pos < 0)
                if lost.any():
                    followed = follow(c[lost], system=sysname, carried=index.index)
                    path[idx_sel[lost]] = followed
                    via = np.array([p.rsplit("->", 1)[1] if p else None for p in followed])
                    pos[lost] = np.where(
                        pd.notna(followed), index.index.get_indexer(pd.Index(via, dtype=object)), -1
                    )
            found = ok_form & (pos >= 0)
            hit, p = idx_sel[found], pos[found]
            status[hit] = "ok"
            out["days"][hit] = index["days"].to_numpy()[p]
            out["ambiguous"][hit] = index["ambiguous"].to_numpy()[p]
            out["police_generated"][hit] = index["police_generated"].to_numpy(dtype=bool)[p]
            out["not_crime"][hit] = index["not_crime"].to_numpy(dtype=bool)[p]
            out["rule"][hit[out["ambiguous"][hit]]] = rule  # None where not ambiguous
        return pd.DataFrame(
            {"code": raw, "system": system, "canonical": canon, "status": status, **out}
        ).assign(crosswalk=pd.Series(path, dtype=object))

    def lookup(
        self,
        codes: Iterable[object] | np.ndarray | pd.Series,
        *,
        code_system: str = "auto",
        ambiguity: str | Mapping[str, str] | None = None,
        crosswalk: bool = True,
    ) -> np.ndarray:
        """Days per code, NaN where a code is unknown, malformed or missing.

        Parameters
        ----------
        codes : array-like
            Codes in any written form (``8/1``, ``008/01``, ``8N``, ``OF61003``).
        code_system, ambiguity, crosswalk
            As for :meth:`resolve`.

        Returns
        -------
        numpy.ndarray of float64
            Days of imprisonment per code.

        Examples
        --------
        >>> import crimeharm
        >>> w = crimeharm.load_weights("cchi-2020")
        >>> w.lookup(["001/01", "8/6", "00806", "34B", "xx"]).tolist()
        [5475.0, 10.0, 10.0, 365.0, nan]
        """
        arr = pd.Series(
            np.asarray(codes if hasattr(codes, "__len__") else list(codes), dtype=object)
        )
        inverse, uniques = pd.factorize(arr, use_na_sentinel=False)
        res = self.resolve(
            np.asarray(uniques, dtype=object),
            code_system=code_system,
            ambiguity=ambiguity,
            crosswalk=crosswalk,
        )
        return res["days"].to_numpy()[inverse]

    def provenance(self) -> dict[str, Any]:
        """The edition id, file hash and scheme, as recorded with every result."""
        return {"edition": self.edition, "edition_sha256": self.sha256, "scheme": self.scheme}

    def __len__(self) -> int:
        return len(self.table)
