"""Turn an official CCHI sheet into a weights table in crimeharm's schema.

The shipped ``cchi-2020`` edition and every sheet a user imports (2021, 2023,
2026) go through :func:`weights_from_sheet`, so an imported edition carries the
same columns as a shipped one: the sheet's own values, the open-data code,
the curated ``police_generated`` flag (:mod:`crimeharm.weights.police_generated`) and the
starting point parsed from its text (:mod:`crimeharm.weights.sheets.derivation`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from crimeharm.weights.codes import open_data_from_urn
from crimeharm.weights.police_generated import flag_police_generated
from crimeharm.weights.sheets.derivation import DerivationParams, parse_starting_point

__all__ = ["WEIGHTS_COLUMNS", "import_sheet", "weights_from_sheet"]

#: Column order of a CCHI weights table written by crimeharm.
WEIGHTS_COLUMNS = (
    "key",
    "title",
    "short_title",
    "days",
    "ho_class",
    "open_data",
    "cjs_codes",
    "police_generated",
    "police_generated_reason",
    "starting_point",
    "sp_kind",
    "sp_detail",
    "sp_days",
    "maximum_sentence",
    "source_url",
    "sentencing_data_available",
    "similar_offence_used",
    "group",
    "sub_group",
    "sub_sub_group",
    "classification_code",
    "ho_class_published",
    "ho_code_number",
    "ho_sub_code",
    "ho_sub_sub_code",
    "notifiable",
    "investigation_type",
    "act",
    "repair_note",
)


def weights_from_sheet(values: pd.DataFrame) -> pd.DataFrame:
    """Build a weights table from the ``values`` of :func:`crimeharm.read_sheet`.

    Parameters
    ----------
    values : pandas.DataFrame
        One row per offence with at least ``key`` and ``days``.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`WEIGHTS_COLUMNS` (those the sheet lacks are empty),
        then any extra columns the sheet had.
    """
    out = values.copy()
    out["open_data"] = pd.Series(open_data_from_urn(out["key"]), index=out.index, dtype=object)
    flags, reasons = flag_police_generated(out)
    out["police_generated"] = flags
    out["police_generated_reason"] = reasons
    text = out["starting_point"] if "starting_point" in out else pd.Series(None, index=out.index)
    parsed = {t: parse_starting_point(t) for t in pd.unique(text.dropna())}
    points = text.map(lambda t: parsed.get(t) if isinstance(t, str) else None)
    out["sp_kind"] = points.map(lambda p: p.kind if p is not None else None)
    out["sp_detail"] = points.map(lambda p: p.detail if p is not None else None)
    params = DerivationParams()  # the defaults: the rules of the 2020 sheet
    out["sp_days"] = points.map(lambda p: params.days(p) if p is not None else np.nan)
    for col in WEIGHTS_COLUMNS:
        if col not in out.columns:
            out[col] = None
    extra = [c for c in out.columns if c not in WEIGHTS_COLUMNS]
    return out[list(WEIGHTS_COLUMNS) + extra]


def import_sheet(path: str | Path, *, sheet: str | None = None) -> pd.DataFrame:
    """Import an official CCHI spreadsheet: read it and return it as a weights table.

    :func:`crimeharm.read_sheet` reads the sheet as published; this function
    also adds what crimeharm's weights schema carries (see
    :func:`weights_from_sheet`), the form of the shipped editions.

    Parameters
    ----------
    path : path-like
        The ``.xlsx`` file as downloaded from the Cambridge Centre for
        Evidence-Based Policing.
    sheet : str, optional
        The values sheet's name, when it cannot be found by its name.

    Returns
    -------
    pandas.DataFrame
        The weights table (see :func:`weights_from_sheet`), with the sheet's
        file hash, sheet name, edition year and the reader's notes (rows
        skipped, cells that could not be read) in ``attrs``. Write it with
        ``to_csv`` and load it with :meth:`crimeharm.WeightTable.from_csv`.
        Scores (``days``) are in days of custody at the guideline's starting point.

    Examples
    --------
    >>> table = import_sheet("CCHI 2026.xlsx")  # doctest: +SKIP
    >>> table.to_csv("cchi-2026.csv", index=False)  # doctest: +SKIP
    >>> w = crimeharm.WeightTable.from_csv("cchi-2026.csv", edition="cchi-2026")  # doctest: +SKIP
    """
    from crimeharm.weights.sheets.read import read_sheet

    book = read_sheet(path, sheet=sheet)
    table = weights_from_sheet(book.values)
    table.attrs.update(
        {
            "source": str(path),
            "source_sha256": book.sha256,
            "sheet": book.sheet_name,
            "edition_year": book.edition_year,
            "notes": list(book.notes),
        }
    )
    return table
