"""Import an official CCHI values spreadsheet, of any edition.

The Cambridge Centre for Evidence-Based Policing publishes the Cambridge Crime
Harm Index as an ``.xlsx`` workbook: a cover page and a values sheet ("CCHI
2020 values sheet", "CCHI 2026 values sheet", ...), sometimes with more sheets
("Expired offences", "Offences need clarity"). :func:`read_sheet` finds
the values sheet and its header row by name, maps the columns by name, checks
the scores (days) and repairs the row whose cells are shifted one column right
(in the 2020 sheet, ``NN.111.5.0`` dogs worrying livestock), reporting every
repair. It returns the sheet as published (:class:`CchiSheet`);
:func:`crimeharm.import_sheet` turns it into a weights table.

openpyxl is an optional dependency: ``pip install crimeharm[xlsx]``.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import io
import itertools
import math
import re
import warnings
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from crimeharm.errors import InputFileError, OptionalDependencyError, SheetFormatError
from crimeharm.weights.codes import canonical_ho_class, open_data_from_urn

__all__ = ["CchiSheet", "read_cchi_sheet", "read_sheet", "values_sheet_name"]


#: Published column header -> field name, in the order of ``CchiSheet.values``.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("ATHENA URN", "key"),
    ("FULL_OFFENCE_TITLE", "title"),
    ("SHORT_TITLE", "short_title"),
    ("CCHI Score", "days"),
    ("Sentencing data from actual offence available:", "sentencing_data_available"),
    ("If no sentencing data available what similar offence was used:", "similar_offence_used"),
    ("Starting Point", "starting_point"),
    ("Maximum Sentence", "maximum_sentence"),
    ("Score from:", "source_url"),
    ("GROUP", "group"),
    ("SUB_GROUP", "sub_group"),
    ("SUB_SUB_GROUP", "sub_sub_group"),
    ("CLASSIFICATION_CODE", "classification_code"),
    ("HOME_OFFICE_CLASSIFICATION", "ho_class_published"),
    ("HO_CODE", "ho_code_number"),
    ("HO_SUB_CODE", "ho_sub_code"),
    ("HO_SUB_SUB_CODE", "ho_sub_sub_code"),
    ("NOTIFIABLE", "notifiable"),
    ("INVESTIGATION_TYPE", "investigation_type"),
    ("ACT", "act"),
    ("CJS Codes", "cjs_codes"),
)
_REQUIRED = ("ATHENA URN", "CCHI Score", "HOME_OFFICE_CLASSIFICATION")
_HEADER_SCAN_ROWS = 30
#: The block that the shifted row has moved one column right, in sheet order.
_SHIFT_BLOCK = (
    "starting_point",
    "maximum_sentence",
    "source_url",
    "group",
    "sub_group",
    "sub_sub_group",
)
_VALUES_SHEET = re.compile(r"CCHI\s*(\d{4})\s*values", re.IGNORECASE)
_URL = re.compile(r"^(?:https?://|www\.)", re.IGNORECASE)
_STR: Any = "str" if int(pd.__version__.split(".")[0]) >= 3 else object


def _norm(header: object) -> str:
    """Header text compared case-, space-, underscore- and colon-insensitively."""
    return re.sub(r"[\s_:]+", "", str(header).casefold()) if header is not None else ""


_FIELD_OF = {_norm(h): f for h, f in COLUMNS}
_HEADER_OF = {f: h for h, f in COLUMNS}


@dataclass(frozen=True)
class CchiSheet:
    """An imported CCHI values spreadsheet.

    Attributes
    ----------
    path : pathlib.Path
        The file read.
    sha256 : str
        Hex SHA-256 of the file's bytes (the bytes that were parsed).
    sheet_name : str
        The values sheet used.
    edition_year : int or None
        The year in the sheet name (``CCHI 2020 values sheet`` -> 2020).
    values : pandas.DataFrame
        One row per offence: the columns of :data:`COLUMNS` (with ``ho_class``,
        the canonical ``NNN/NN`` form, after ``ho_class_published``), then
        ``open_data``, ``repair_note``, ``sheet_row`` and any columns this
        library does not know, in snake_case. ``days`` is float64 (days).
    repairs : pandas.DataFrame
        ``sheet_row``, ``key``, ``action``: every row changed or skipped.
    extra_sheets : dict of str to pandas.DataFrame
        Every other sheet except the cover page.
    cover_text : str
        The cover page's non-empty cells, one per line.
    notes : tuple of str
        What the import decided on the way (sheet chosen, rows skipped, ...).
    """

    path: Path
    sha256: str
    sheet_name: str
    edition_year: int | None
    values: pd.DataFrame
    repairs: pd.DataFrame
    extra_sheets: dict[str, pd.DataFrame]
    cover_text: str
    notes: tuple[str, ...]


def values_sheet_name(sheet_names: Sequence[str]) -> tuple[str, int, tuple[str, ...]] | None:
    """Pick the values sheet from a workbook's sheet names.

    Parameters
    ----------
    sheet_names : sequence of str
        The workbook's sheet names, in order.

    Returns
    -------
    tuple or None
        ``(name, year, notes)`` for the newest sheet named like ``CCHI <year>
        values``, or ``None`` if no sheet is.

    Examples
    --------
    >>> values_sheet_name(["Cover page", "CCHI 2026 values sheet", "Expired offences"])
    ('CCHI 2026 values sheet', 2026, ())
    >>> values_sheet_name(["cchi2021 Values", "CCHI 2023 values sheet"])[:2]
    ('CCHI 2023 values sheet', 2023)
    """
    found = [(int(m.group(1)), n) for n in sheet_names if (m := _VALUES_SHEET.search(n))]
    if not found:
        return None
    year, name = max(found, key=lambda t: t[0])  # first of the newest year
    notes: tuple[str, ...] = ()
    if len(found) > 1:
        notes = (f"several values sheets {[n for _, n in found]}; used the newest, {name!r}",)
    return name, year, notes


def _text(v: object) -> str | None:
    """Cell as stripped text; numbers without a spurious '.0'; blank -> None."""
    if v is None:
        return None
    if isinstance(v, bool | int):
        s = str(v)
    elif isinstance(v, float):
        s = str(int(v)) if v.is_integer() else repr(v)
    elif isinstance(v, _dt.datetime | _dt.date | _dt.time):
        s = v.isoformat()
    else:
        s = str(v)
    return s.strip() or None


def _cell(v: object) -> object:
    """Cell with strings stripped (blank -> None), other values as they are."""
    return (v.strip() or None) if isinstance(v, str) else v


def _snake(header: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", header.casefold()).strip("_") or "column"


def _find_header(rows: list[tuple], needed: Sequence[str], *, min_known: int | None) -> int | None:
    """Find the header: the first early row with all ``needed`` headers.

    Failing that, the first with at least ``min_known`` known headers, else None.
    """
    need = {_norm(h) for h in needed}
    fallback = None
    for i, row in enumerate(rows[:_HEADER_SCAN_ROWS]):
        names = {_norm(c) for c in row}
        if need <= names:
            return i
        if fallback is None and min_known and len(names & _FIELD_OF.keys()) >= min_known:
            fallback = i
    return fallback


def _map_columns(
    header: tuple, width: int, notes: list[str]
) -> tuple[dict[str, int], list[int], list[tuple[str, int]]]:
    """Return (field -> column index, CJS code columns, [(extra name, column index)])."""
    known: dict[str, int] = {}
    cjs: list[int] = []
    extras: list[tuple[str, int]] = []
    taken = {f for _, f in COLUMNS} | {"ho_class", "open_data", "repair_note", "sheet_row"}
    for j in range(width):
        h = header[j] if j < len(header) else None
        field = _FIELD_OF.get(_norm(h))
        if field == "cjs_codes" or (_text(h) is None and cjs and j > cjs[0]):
            cjs.append(j)  # codes overflow into unheaded columns right of 'CJS Codes'
            continue
        if field is not None and field not in known:
            known[field] = j
            continue
        name = _snake(_text(h) or f"column_{j + 1}")
        if field is not None:
            notes.append(f"column {j + 1} repeats header {h!r}; kept as an extra column")
        base, k = name, 2
        while name in taken:
            name, k = f"{base}_{k}", k + 1
        taken.add(name)
        extras.append((name, j))
    return known, cjs, extras


def _records(rows: list[tuple], start: int, width: int) -> tuple[list[tuple[int, list]], int]:
    """Return the non-empty rows as (sheet row, padded cells) and the count of empty ones.

    Empty rows after the last non-empty row are not counted.
    """
    out: list[tuple[int, list]] = []
    empty = pending = 0
    for i in range(start, len(rows)):
        cells = [_cell(c) for c in rows[i]] + [None] * (width - len(rows[i]))
        if all(c is None for c in cells):
            pending += 1
            continue
        empty, pending = empty + pending, 0
        out.append((i + 1, cells))
    return out, empty


def _table(
    rows: list[tuple], h: int, notes: list[str]
) -> tuple[dict[str, list], dict[str, int], list[str], list[int]]:
    """Columns by field name (text fields as text, cjs_codes joined), from header row ``h``."""
    width = max((len(r) for r in rows), default=0)
    known, cjs, extras = _map_columns(rows[h], width, notes)
    recs, empty = _records(rows, h + 1, width)
    if empty:
        notes.append(f"skipped {empty} empty row(s) inside the table")
    cols: dict[str, list] = {}
    for field, j in known.items():
        conv = _cell if field == "days" else _text
        cols[field] = [conv(r[j]) for _, r in recs]
    if cjs:
        cols["cjs_codes"] = [
            " ".join(dict.fromkeys(t for j in cjs if (t := _text(r[j])))) or None for _, r in recs
        ]
    kept = []
    for name, j in extras:
        if _text(rows[h][j] if j < len(rows[h]) else None) or any(
            r[j] is not None for _, r in recs
        ):
            cols[name] = [r[j] for _, r in recs]  # an unheaded, empty column is dropped
            kept.append(name)
    return cols, known, kept, [n for n, _ in recs]


def _days(v: object, where: str) -> float:
    try:
        d = float(v) if not isinstance(v, bool) and v is not None else math.nan
    except (TypeError, ValueError):
        d = math.nan
    if not math.isfinite(d) or d < 0:
        raise SheetFormatError(f"{where}: CCHI Score {v!r} is not a number of days >= 0")
    return d


_NOTIFIABLE = {"notifiable": True, "nonnotifiable": False}


def _values(rows: list[tuple], where: str, notes: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Parse, check and repair the values sheet."""
    h = _find_header(rows, ("ATHENA URN", "CCHI Score"), min_known=3)
    if h is None:
        raise SheetFormatError(
            f"{where}: no header row in the first {_HEADER_SCAN_ROWS} rows; looked for a row "
            f"with the columns 'ATHENA URN' and 'CCHI Score'"
        )
    if h:
        notes.append(f"header found on row {h + 1}")
    cols, known, extra_names, sheet_rows = _table(rows, h, notes)
    missing = [c for c in _REQUIRED if _FIELD_OF[_norm(c)] not in known]
    if missing:
        found = [_text(c) for c in rows[h] if _text(c)]
        raise SheetFormatError(
            f"{where}: missing required column(s) {missing} in the header on "
            f"row {h + 1}; found {found}"
        )
    n = len(sheet_rows)
    absent = [_HEADER_OF[f] for _, f in COLUMNS if f not in cols]
    if absent:
        notes.append(f"columns not in this sheet (left empty): {absent}")
    for _, f in COLUMNS:
        cols.setdefault(f, [None] * n)
    repairs: list[tuple[int, str | None, str]] = []
    keep = []
    for i, (row, key) in enumerate(zip(sheet_rows, cols["key"], strict=True)):
        if key is None:
            if cols["days"][i] is not None:
                raise SheetFormatError(f"{where}, row {row}: a CCHI Score but no ATHENA URN")
            repairs.append((row, None, "skipped: no ATHENA URN and no CCHI Score"))
            continue
        keep.append(i)
        cols["days"][i] = _days(cols["days"][i], f"{where}, row {row}")
    if len(keep) < n:
        notes.append(f"skipped {n - len(keep)} row(s) with neither ATHENA URN nor CCHI Score")
        cols = {k: [v[i] for i in keep] for k, v in cols.items()}
        sheet_rows = [sheet_rows[i] for i in keep]
    keys = pd.Series(cols["key"], dtype=object)
    dup = keys[keys.duplicated(keep=False)]
    if len(dup):
        rows_of = {
            k: [r for r, kk in zip(sheet_rows, keys, strict=True) if kk == k]
            for k in dict.fromkeys(dup)
        }
        raise SheetFormatError(f"{where}: duplicate ATHENA URN (key: sheet rows) {rows_of}")
    cols["repair_note"] = [""] * len(keep)
    block = [f for f in _SHIFT_BLOCK if f in known]
    if len(block) == len(_SHIFT_BLOCK):  # a general rule: the URL sits one cell right
        for i, row in enumerate(sheet_rows):
            url, grp = cols["source_url"][i], cols["group"][i]
            if url is not None and not _URL.match(url) and grp is not None and _URL.match(grp):
                lost = cols["sub_sub_group"][i]
                for a, b in itertools.pairwise(block):
                    cols[a][i] = cols[b][i]
                cols["sub_sub_group"][i] = None
                action = (
                    "cells Starting Point..SUB_SUB_GROUP were one column right (a URL under "
                    "GROUP, none under 'Score from:'): shifted left; SUB_SUB_GROUP's own value "
                    f"is lost, so set missing ({lost!r} under it was SUB_GROUP's)"
                )
                cols["repair_note"][i] = action
                repairs.append((row, cols["key"][i], action))
    notifiable = []
    for row, v in zip(sheet_rows, cols["notifiable"], strict=True):
        flag = _NOTIFIABLE.get(_norm(v).replace("-", "")) if v is not None else None
        if v is not None and flag is None:
            notes.append(f"row {row}: NOTIFIABLE {v!r} not recognised; left missing")
        notifiable.append(flag)
    text = {
        f: pd.Series(cols[f], dtype=object).astype(_STR)
        for _, f in COLUMNS
        if f not in ("days", "notifiable")
    }
    text["investigation_type"] = text["investigation_type"].str.upper()
    data = {f: text.get(f) for _, f in COLUMNS}
    data["days"] = pd.Series(cols["days"], dtype="float64")
    data["notifiable"] = pd.Series(notifiable, dtype="boolean")
    values = pd.DataFrame(data)
    values.insert(
        values.columns.get_loc("ho_class_published") + 1,
        "ho_class",
        pd.Series(canonical_ho_class(cols["ho_class_published"]), dtype=object).astype(_STR),
    )
    values["open_data"] = pd.Series(open_data_from_urn(cols["key"]), dtype=object).astype(_STR)
    values["repair_note"] = pd.Series(cols["repair_note"], dtype=_STR)
    values["sheet_row"] = pd.Series(sheet_rows, dtype="int64")
    for name in extra_names:
        values[name] = pd.Series(cols[name], dtype=object).infer_objects()
    rep = pd.DataFrame(repairs, columns=["sheet_row", "key", "action"])
    return values, rep.astype({"sheet_row": "int64"})


def _extra_sheet(rows: list[tuple], notes: list[str], name: str) -> pd.DataFrame:
    """Read an extra sheet: like the values sheet if it has an ATHENA URN header, else raw."""
    h = _find_header(rows, ("ATHENA URN",), min_known=None)
    if h is not None:
        sub: list[str] = []
        cols, *_ = _table(rows, h, sub)
        notes.extend(f"sheet {name!r}: {s}" for s in sub)
        return pd.DataFrame(
            {k: pd.Series(v, dtype=object).infer_objects() for k, v in cols.items()}
        )
    from openpyxl.utils import get_column_letter

    width = max((len(r) for r in rows), default=0)
    recs, _ = _records(rows, 0, width)
    frame = pd.DataFrame(
        [r for _, r in recs],
        index=[n for n, _ in recs],
        columns=[get_column_letter(j + 1) for j in range(width)],
    )
    return frame.dropna(axis=1, how="all")


def _import_openpyxl() -> Any:
    try:
        import openpyxl
    except ImportError as exc:
        raise OptionalDependencyError(
            "reading a CCHI spreadsheet needs openpyxl: pip install 'crimeharm[xlsx]'"
        ) from exc
    return openpyxl


def read_sheet(path: str | Path, *, sheet: str | None = None) -> CchiSheet:
    """Read an official CCHI values spreadsheet (``.xlsx``) of any edition, as published.

    To get a weights table in crimeharm's schema instead (the open-data code,
    the police-generated flag and the parsed starting point added), use
    :func:`crimeharm.import_sheet`.

    Parameters
    ----------
    path : str or pathlib.Path
        The workbook, as downloaded from the Cambridge Centre for Evidence-Based
        Policing.
    sheet : str, optional
        The values sheet's name. By default the sheet named like ``CCHI <year>
        values`` (the newest year if several).

    Returns
    -------
    CchiSheet
        The offences (one row each, ``days`` in days of prison), the repairs
        made, the other sheets, the cover text and notes.

    Raises
    ------
    InputFileError
        ``path`` does not exist or cannot be read.
    SheetFormatError
        Not an ``.xlsx`` workbook; no values sheet; no header row; a required
        column missing; a score that is not a number >= 0; duplicate keys.
    OptionalDependencyError
        openpyxl is not installed.

    Examples
    --------
    >>> cchi = read_sheet("cchi-2020-official.xlsx")  # doctest: +SKIP
    >>> cchi.edition_year, len(cchi.values), cchi.repairs.key.tolist()  # doctest: +SKIP
    (2020, 698, ['NN.111.5.0'])
    """
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError as exc:
        raise InputFileError(f"CCHI spreadsheet not found: {str(p)!r}") from exc
    except OSError as exc:
        raise InputFileError(f"cannot read CCHI spreadsheet {str(p)!r}: {exc}") from exc
    openpyxl = _import_openpyxl()
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError) as exc:
        raise SheetFormatError(
            f"{str(p)!r} is not a spreadsheet openpyxl can read ({exc}); an "
            f".xlsx workbook was expected (re-save .xls or .csv as .xlsx)"
        ) from exc
    try:
        names = list(wb.sheetnames)
        notes: list[str] = []
        if sheet is not None:
            if sheet not in names:
                raise SheetFormatError(f"{str(p)!r} has no sheet {sheet!r}; sheets: {names}")
            m = _VALUES_SHEET.search(sheet)
            name, year = sheet, int(m.group(1)) if m else None
        elif (found := values_sheet_name(names)) is None:
            raise SheetFormatError(
                f"{str(p)!r} has no sheet named like 'CCHI <year> values "
                f"sheet'; sheets: {names}. Pass sheet= to choose one"
            )
        else:
            name, year, chosen = found
            notes.extend(chosen)
        grids = {}
        for n in names:
            ws = wb[n]
            if hasattr(ws, "reset_dimensions"):
                ws.reset_dimensions()  # some writers record a wrong sheet size
            grids[n] = list(ws.iter_rows(values_only=True))
    finally:
        wb.close()
    values, repairs = _values(grids[name], f"{str(p)!r}, sheet {name!r}", notes)
    cover, extra = [], {}
    for n in names:
        if n == name:
            continue
        if _norm(n) == "coverpage":
            cover += [t for row in grids[n] for c in row if (t := _text(c))]
        else:
            extra[n] = _extra_sheet(grids[n], notes, n)
    return CchiSheet(
        path=p,
        sha256=hashlib.sha256(data).hexdigest(),
        sheet_name=name,
        edition_year=year,
        values=values,
        repairs=repairs,
        extra_sheets=extra,
        cover_text="\n".join(cover),
        notes=tuple(notes),
    )


def read_cchi_sheet(path: str | Path, *, sheet: str | None = None) -> CchiSheet:
    """Deprecated alias of :func:`read_sheet`; removed in the next release."""
    warnings.warn(
        "crimeharm.read_cchi_sheet is deprecated; use crimeharm.read_sheet",
        DeprecationWarning,
        stacklevel=2,
    )
    return read_sheet(path, sheet=sheet)
