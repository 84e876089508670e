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

Before openpyxl parses anything, the workbook is checked as a zip archive
(:func:`check_workbook`): a file, a total uncompressed size or a compression
ratio beyond the limits below, or an XML part that declares a DOCTYPE (where
entities are declared), is refused with a :class:`SheetFormatError`. Rows are
then streamed (openpyxl's read-only mode) and counted against a cell budget,
so neither a zip bomb nor a sheet padded to column XFD is read into memory.

========================  ==========  =============================================
limit                     value       the official 2020 workbook
========================  ==========  =============================================
``MAX_FILE_BYTES``        16 MiB      0.2 MB
``MAX_UNPACKED_BYTES``    16 MiB      0.97 MB of XML and media, 15 parts
``MAX_RATIO``             100         8.2 (the values sheet's XML)
``MAX_PARTS``             1,000       15
``MAX_CELLS``             1,000,000   16,620 cells read
========================  ==========  =============================================

openpyxl is an optional dependency: ``pip install crimeharm[xlsx]``.
"""

from __future__ import annotations

import codecs
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
from typing import Any, SupportsFloat

import pandas as pd

from crimeharm.errors import (
    InputFileError,
    OptionalDependencyError,
    SheetFormatError,
    SheetValueWarning,
)
from crimeharm.weights.codes import canonical_ho_class, open_data_from_urn

__all__ = ["CchiSheet", "check_workbook", "read_cchi_sheet", "read_sheet", "values_sheet_name"]

_MIB = 1024 * 1024
#: The largest workbook file read, in bytes.
MAX_FILE_BYTES = 16 * _MIB
#: The largest total uncompressed size of a workbook's parts, in bytes.
MAX_UNPACKED_BYTES = 16 * _MIB
#: The largest compression ratio (uncompressed / compressed) of a part over 1 MiB.
MAX_RATIO = 100
#: The most parts (files) in a workbook's zip archive.
MAX_PARTS = 1000
#: The most cells read across a workbook's sheets (rows as openpyxl pads them).
MAX_CELLS = 1_000_000
_XML_PART = re.compile(r"\.(?:xml|rels|vml)$", re.IGNORECASE)
_PROLOG_ITEM = re.compile(r"\s+|<\?.*?\?>|<!--.*?-->", re.DOTALL)


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


def _repeated_headers(header: tuple) -> dict[str, list[int]]:
    """Headers that occur more than once (compared as :func:`_norm` does), with their columns.

    ``CJS Codes`` is not one: the sheets spread a row's CJS codes over several
    columns of that header.
    """
    columns: dict[str, list[int]] = {}
    for j, h in enumerate(header):
        name = _norm(h)
        if name and _FIELD_OF.get(name) != "cjs_codes":
            columns.setdefault(name, []).append(j + 1)
    return {str(header[cols[0] - 1]).strip(): cols for cols in columns.values() if len(cols) > 1}


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
        d = float(v) if isinstance(v, SupportsFloat | str) and not isinstance(v, bool) else math.nan
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
    repeated = _repeated_headers(rows[h])
    if repeated:
        detail = "; ".join(f"{name!r} in columns {cols}" for name, cols in repeated.items())
        raise SheetFormatError(
            f"{where}: the header on row {h + 1} repeats column name(s): {detail}; each "
            "column must be named once (only 'CJS Codes' may span several columns)",
            values=list(repeated),
        )
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
    ho_class = canonical_ho_class(cols["ho_class_published"])
    _report_unreadable(
        [
            (row, v)
            for row, v, c in zip(sheet_rows, cols["ho_class_published"], ho_class, strict=True)
            if v is not None and c is None
        ],
        where=where,
        notes=notes,
    )
    values.insert(
        values.columns.get_loc("ho_class_published") + 1,
        "ho_class",
        pd.Series(ho_class, dtype=object).astype(_STR),
    )
    values["open_data"] = pd.Series(open_data_from_urn(cols["key"]), dtype=object).astype(_STR)
    values["repair_note"] = pd.Series(cols["repair_note"], dtype=_STR)
    values["sheet_row"] = pd.Series(sheet_rows, dtype="int64")
    for name in extra_names:
        values[name] = pd.Series(cols[name], dtype=object).infer_objects()
    rep = pd.DataFrame(repairs, columns=["sheet_row", "key", "action"])
    return values, rep.astype({"sheet_row": "int64"})


def _report_unreadable(bad: list[tuple[int, str]], *, where: str, notes: list[str]) -> None:
    """Report HOME_OFFICE_CLASSIFICATION cells that are not classifications: a note, a warning."""
    if not bad:
        return
    shown = ", ".join(f"row {row}: {v!r}" for row, v in bad[:10])
    more = f" and {len(bad) - 10} more" if len(bad) > 10 else ""
    message = (
        f"{where}: {len(bad)} row(s) with a HOME_OFFICE_CLASSIFICATION that is not a Home Office "
        f"classification (expected NNN/NN, e.g. 008/01): {shown}{more}; the rows are kept "
        "with ho_class empty (scored by their URN, open-data and CJS codes), "
        "ho_class_published keeps the text"
    )
    notes.append(message)
    warnings.warn(
        message,
        SheetValueWarning,
        stacklevel=4,
    )


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


def _prolog_declares_doctype(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    """Whether an XML part's prolog, before its root element, has a ``<!`` declaration.

    Reads only as far as the root element (or the end of the part): whitespace,
    the XML declaration, processing instructions and comments are skipped.
    UTF-8 and UTF-16 (by byte-order mark or the form of the first ``<``) are read.
    """
    with zf.open(info) as fh:
        head = fh.read(4)
        if head.startswith((b"\xff\xfe", b"<\x00")):
            encoding = "utf-16-le"
        elif head.startswith((b"\xfe\xff", b"\x00<")):
            encoding = "utf-16-be"
        else:
            encoding = "utf-8"
        decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
        text, chunk = decoder.decode(head), head
        while True:
            text = text.lstrip("\ufeff")
            while m := _PROLOG_ITEM.match(text):
                text = text[m.end() :]
            if "<!--".startswith(text):
                pass  # empty, or the start of a comment: read on
            elif text.startswith("<!--"):
                text = "<!--" + text[4:][-2:]  # a comment not ended yet: keep what may end it
            elif text.startswith("<!"):
                return True
            elif text.startswith("<?"):
                text = "<?" + text[2:][-1:]  # a processing instruction not ended yet
            else:
                return False  # the root element, or not XML (the parser will say so)
            if not chunk:
                return False
            chunk = fh.read(64 * 1024)
            text += decoder.decode(chunk, final=not chunk)


def _check_file_size(size: int, where: str) -> None:
    if size > MAX_FILE_BYTES:
        raise SheetFormatError(
            f"{where} is {size:,} bytes, more than the {MAX_FILE_BYTES:,} a CCHI workbook "
            "is read up to (the 2020 workbook is 0.2 MB); remove the sheets that are not "
            "needed and save it again",
            path=where,
            values=[size],
        )


def check_workbook(data: bytes, where: str) -> None:
    """Refuse a workbook that is too large, too compressed or declares XML entities.

    Reads the zip archive's directory (the sizes it declares bound what
    Python's zip reader will inflate) and the head of each XML part, nothing
    more.

    Parameters
    ----------
    data : bytes
        The ``.xlsx`` file's bytes.
    where : str
        The file, as named in messages.

    Raises
    ------
    SheetFormatError
        Not a zip archive; more than :data:`MAX_PARTS` parts; more than
        :data:`MAX_UNPACKED_BYTES` uncompressed; a part over 1 MiB compressed
        more than :data:`MAX_RATIO` times; or an XML part with a DOCTYPE (or
        any ``<!`` declaration) before its root element.
    """
    _check_file_size(len(data), where)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise SheetFormatError(
            f"{where} is not a zip archive ({exc}); an .xlsx workbook was expected (re-save "
            ".xls or .csv as .xlsx)",
            path=where,
        ) from None
    with zf:
        parts = zf.infolist()
        if len(parts) > MAX_PARTS:
            raise SheetFormatError(
                f"{where} holds {len(parts):,} parts, more than the {MAX_PARTS:,} a workbook is "
                "read with",
                path=where,
            )
        total = sum(p.file_size for p in parts)
        if total > MAX_UNPACKED_BYTES:
            raise SheetFormatError(
                f"{where} unpacks to {total:,} bytes, more than the {MAX_UNPACKED_BYTES:,} a "
                "CCHI workbook is read up to (the 2020 workbook unpacks to 0.97 MB); remove the "
                "sheets that are not needed and save it again",
                path=where,
                values=[total],
            )
        for p in parts:
            ratio = p.file_size / max(p.compress_size, 1)
            if p.file_size > _MIB and ratio > MAX_RATIO:
                raise SheetFormatError(
                    f"{where}: part {p.filename!r} unpacks {ratio:,.0f} times its compressed "
                    f"size, more than {MAX_RATIO} (a zip bomb, or not a workbook)",
                    path=where,
                    values=[p.filename],
                )
        for p in parts:
            if not _XML_PART.search(p.filename):
                continue
            try:
                doctype = _prolog_declares_doctype(zf, p)
            except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
                raise SheetFormatError(
                    f"{where}: part {p.filename!r} cannot be unpacked ({exc})", path=where
                ) from None
            if doctype:
                raise SheetFormatError(
                    f"{where}: part {p.filename!r} declares a DOCTYPE (XML entities); a "
                    "workbook's parts never do, so it is refused unread",
                    path=where,
                    values=[p.filename],
                )


def _grid(ws: Any, budget: list[int], where: str) -> list[tuple]:
    """A sheet's rows, streamed and counted against the cell budget ``budget[0]``."""
    rows = []
    for row in ws.iter_rows(values_only=True):
        budget[0] -= len(row)
        if budget[0] < 0:
            raise SheetFormatError(
                f"{where}: more than {MAX_CELLS:,} cells in the workbook's sheets (rows "
                "counted as wide as their last cell); the 2020 workbook has 16,620",
                path=where,
            )
        rows.append(row)
    return rows


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
        _check_file_size(p.stat().st_size, repr(str(p)))  # before reading it
        data = p.read_bytes()
    except FileNotFoundError as exc:
        raise InputFileError(f"CCHI spreadsheet not found: {str(p)!r}", path=p) from exc
    except OSError as exc:
        raise InputFileError(f"cannot read CCHI spreadsheet {str(p)!r}: {exc}", path=p) from exc
    check_workbook(data, repr(str(p)))
    openpyxl = _import_openpyxl()
    from openpyxl.utils.exceptions import InvalidFileException

    unreadable = (
        zipfile.BadZipFile,
        InvalidFileException,
        KeyError,
        ValueError,
        OSError,
        SyntaxError,  # xml.etree.ElementTree.ParseError
    )
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except unreadable as exc:
        raise SheetFormatError(
            f"{str(p)!r} is not a spreadsheet openpyxl can read ({exc}); an "
            f".xlsx workbook was expected (re-save .xls or .csv as .xlsx)",
            path=p,
        ) from None
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
        budget = [MAX_CELLS]
        for n in names:
            ws = wb[n]
            if hasattr(ws, "reset_dimensions"):
                ws.reset_dimensions()  # some writers record a wrong sheet size
            try:
                grids[n] = _grid(ws, budget, repr(str(p)))
            except unreadable as exc:
                raise SheetFormatError(
                    f"{str(p)!r}, sheet {n!r} cannot be read ({exc})", path=p
                ) from None
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
    """Deprecated alias of :func:`read_sheet`; removed in the next release.

    Parameters
    ----------
    path : path-like
        The ``.xlsx`` file.
    sheet : str, optional
        The values sheet's name, when it cannot be found by its name.

    Returns
    -------
    CchiSheet
        As :func:`read_sheet` returns it.

    Examples
    --------
    >>> cchi = read_sheet("cchi-2020-official.xlsx")  # doctest: +SKIP
    """
    warnings.warn(
        "crimeharm.read_cchi_sheet is deprecated; use crimeharm.read_sheet",
        DeprecationWarning,
        stacklevel=2,
    )
    return read_sheet(path, sheet=sheet)
