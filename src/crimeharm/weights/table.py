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
from collections.abc import Iterable, Mapping
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


def _to_bool(series: pd.Series, *, column: str, source: str) -> pd.Series:
    if pd.api.types.is_bool_dtype(series):
        return series.astype(bool)
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
        On a missing column, an empty or duplicate key, or days that are
        missing, non-numeric or negative. The message names the row (1-based,
        as in the file after its header) and the value.
    """
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
    out = frame.copy()
    keys = out["key"].astype("string").str.strip()
    empty = keys.isna() | (keys == "")
    if empty.any():
        i = int(np.flatnonzero(empty.to_numpy())[0])
        raise WeightsValidationError(f"{source}: row {i + 1}: empty 'key'")
    out["key"] = keys.astype(object)
    days = pd.to_numeric(out["days"], errors="coerce")
    bad = days.isna() | (days < 0) | ~np.isfinite(days.to_numpy(dtype=float, na_value=np.nan))
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise WeightsValidationError(
            f"{source}: row {i + 1} (key {out['key'].iloc[i]!r}): days {frame['days'].iloc[i]!r} "
            "is not a finite number >= 0"
        )
    out["days"] = days.astype("float64")
    dup = out["key"].duplicated(keep=False)
    if dup.any():
        groups = out.loc[dup].groupby("key", sort=True)["days"].agg(lambda s: sorted(set(s)))
        detail = "; ".join(
            f"{k!r} ({'conflicting days ' + str(v) if len(v) > 1 else 'days ' + str(v[0])})"
            for k, v in groups.head(10).items()
        )
        raise WeightsValidationError(
            f"{source}: {len(groups)} duplicate key(s), each key must appear once: {detail}"
        )
    if "ho_class" in out.columns:
        raw = out["ho_class"]
        canon = canonical_ho_class(raw)
        bad = pd.notna(raw.to_numpy(dtype=object)) & pd.isna(canon)
        bad &= raw.astype("string").str.strip().fillna("").to_numpy() != ""
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise WeightsValidationError(
                f"{source}: row {i + 1}: ho_class {raw.iloc[i]!r} is not a Home Office "
                "classification (expected NNN/NN, e.g. 008/01)"
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
    return out.reset_index(drop=True)


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
            If the file does not exist or cannot be read as CSV.
        WeightsValidationError
            If the table breaks the schema (see :func:`validate_table`).
        """
        p = Path(path)
        if not p.is_file():
            raise InputFileError(f"weights file {str(p)!r} does not exist")
        data = p.read_bytes()
        try:
            rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        except (UnicodeDecodeError, csv.Error) as exc:
            raise InputFileError(f"weights file {str(p)!r} is not a readable CSV: {exc}") from None
        if not rows:
            raise InputFileError(
                f"weights file {str(p)!r} is not a readable CSV: it is empty "
                "(expected a header with 'key' and 'days' and a row per offence)"
            )
        width = len(rows[0])
        for i, row in enumerate(rows[1:], start=2):
            if row and len(row) != width:
                raise InputFileError(
                    f"weights file {str(p)!r} is not a readable CSV: line {i} has {len(row)} "
                    f"fields, the header has {width}"
                )
        try:
            frame = pd.read_csv(
                io.BytesIO(data), dtype=str, keep_default_na=False, na_values=[""], index_col=False
            )
        except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
            raise InputFileError(f"weights file {str(p)!r} is not a readable CSV: {exc}") from None
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
        t = self.table
        key = t["key"].astype(str)
        title = (
            t["title"].astype("string").fillna("") if "title" in t else pd.Series("", index=t.index)
        )
        attempted = key.str.endswith("A") | title.str.lower().str.startswith("attempt")
        parts = key.str.split(".")
        subsub = parts.map(lambda p: _natural_key(p[3].rstrip("A")) if len(p) > 3 else (0, ""))
        ho = t["ho_class"].fillna("~") if "ho_class" in t else pd.Series("", index=t.index)
        od = t["open_data"].map(_natural_key) if "open_data" in t else pd.Series(0, index=t.index)
        order = sorted(
            range(len(t)),
            key=lambda i: (bool(attempted.iat[i]), ho.iat[i], subsub.iat[i], od.iat[i], i),
        )
        rank = np.empty(len(t), dtype=np.int64)
        rank[order] = np.arange(len(t))
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
            split = t["cjs_codes"].astype(str).str.split()
            lengths = split.str.len().to_numpy()
            rows = np.repeat(np.arange(len(t)), lengths)
            flat = [c for lst in split for c in lst]
            codes = canonical_cjs(flat) if flat else np.array([], dtype=object)
        else:
            raise CodeError(f"unknown code system {system!r}; expected one of {CODE_SYSTEMS}")
        pairs = pd.DataFrame({"code": codes, "row": rows})
        return pairs[pairs["code"].notna()].drop_duplicates()

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
            Indexed by canonical code: ``days``, ``n_rows``, ``ambiguous``
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
        days = self.table["days"].to_numpy()
        flags = self.table["police_generated"].to_numpy(dtype=bool)
        noncrime = self.table["not_crime"].to_numpy(dtype=bool)
        pairs = pairs.assign(
            days=days[pairs["row"]], flag=flags[pairs["row"]], noncrime=noncrime[pairs["row"]]
        )
        pairs["rank"] = self._base_rank[pairs["row"].to_numpy()]
        g = pairs.groupby("code", sort=True)
        out = pd.DataFrame(
            {
                "n_rows": g.size(),
                "ambiguous": g["days"].nunique() > 1,
                "min": g["days"].min(),
                "max": g["days"].max(),
                "median": g["days"].median(),
                "all_flagged": g["flag"].all(),
                "not_crime": g["noncrime"].all(),
            }
        )
        if rule == "median":
            out["days"] = out["median"]
            out["row"] = -1
            out["police_generated"] = out["all_flagged"]
        else:
            if rule == "base":
                chosen = pairs.sort_values(["code", "rank"]).drop_duplicates("code")
            else:
                asc = rule == "min"
                chosen = pairs.sort_values(["code", "days", "rank"], ascending=[True, asc, True])
                chosen = chosen.drop_duplicates("code")
            chosen = chosen.set_index("code")
            out["days"] = chosen["days"]
            out["row"] = chosen["row"].astype(np.int64)
            out["police_generated"] = chosen["flag"]
        out.index.name = "code"
        cols = ["days", "n_rows", "ambiguous", "row", "police_generated", "not_crime"]
        return out[[*cols, "min", "max", "median"]]

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

        Returns
        -------
        pandas.DataFrame
            One row per input value: ``code`` (as given), ``system``,
            ``canonical``, ``status`` (``ok``, ``unknown``, ``malformed``,
            ``missing``), ``days`` (NaN unless ok), ``ambiguous``,
            ``police_generated``, ``not_crime``, ``rule``.
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
            key_index = self.index("key", "base")
            is_key = pd.Index(key_index.index).get_indexer(text) >= 0
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
        canonicalise = {
            "ho_class": canonical_ho_class,
            "open_data": canonical_open_data,
            "cjs": canonical_cjs,
            "key": lambda v: np.asarray(v, dtype=object),
        }
        days = np.full(n, np.nan)
        status = np.where(system == "missing", "missing", "malformed").astype(object)
        ambiguous = np.zeros(n, dtype=bool)
        flagged = np.zeros(n, dtype=bool)
        noncrime = np.zeros(n, dtype=bool)
        rule_used = np.full(n, None, dtype=object)
        for sysname, fn in canonicalise.items():
            sel = system == sysname
            if not sel.any():
                continue
            c = fn(text[sel])
            canon[sel] = c
            ok_form = pd.notna(c)
            idx_sel = np.flatnonzero(sel)
            status[idx_sel[~ok_form]] = "malformed"
            if sysname not in self.code_systems:
                status[idx_sel[ok_form]] = "unknown"
                continue
            rule = rules.get(sysname, DEFAULT_AMBIGUITY[sysname])
            index = self.index(sysname, rule)
            pos = pd.Index(index.index).get_indexer(c)
            found = ok_form & (pos >= 0)
            status[idx_sel[ok_form & ~found]] = "unknown"
            hit = idx_sel[found]
            p = pos[found]
            status[hit] = "ok"
            days[hit] = index["days"].to_numpy()[p]
            ambiguous[hit] = index["ambiguous"].to_numpy()[p]
            flagged[hit] = index["police_generated"].to_numpy(dtype=bool)[p]
            noncrime[hit] = index["not_crime"].to_numpy(dtype=bool)[p]
            rule_used[hit] = np.where(ambiguous[hit], rule, None)
        return pd.DataFrame(
            {
                "code": raw,
                "system": system,
                "canonical": canon,
                "status": status,
                "days": days,
                "ambiguous": ambiguous,
                "police_generated": flagged,
                "not_crime": noncrime,
                "rule": rule_used,
            }
        )

    def lookup(
        self,
        codes: Iterable[object] | np.ndarray | pd.Series,
        *,
        code_system: str = "auto",
        ambiguity: str | Mapping[str, str] | None = None,
    ) -> np.ndarray:
        """Days per code, NaN where a code is unknown, malformed or missing.

        Parameters
        ----------
        codes : array-like
            Codes in any written form (``8/1``, ``008/01``, ``8N``, ``OF61003``).
        code_system, ambiguity
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
            np.asarray(uniques, dtype=object), code_system=code_system, ambiguity=ambiguity
        )
        return res["days"].to_numpy()[inverse]

    def provenance(self) -> dict[str, Any]:
        """The edition id, file hash and scheme, as recorded with every result."""
        return {"edition": self.edition, "edition_sha256": self.sha256, "scheme": self.scheme}

    def __len__(self) -> int:
        return len(self.table)
