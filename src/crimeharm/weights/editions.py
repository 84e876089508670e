"""The weights editions shipped with crimeharm, and how to load them.

Each edition is a UTF-8 CSV under ``crimeharm/weights/data/`` with an entry in
``crimeharm/weights/data/manifest.json`` (source, citation, dates, licence, rows,
sha256), validated by :class:`EditionInfo` when read. Nothing is read at
import time; a table is read the first time it is asked for and then cached.
:func:`load_weights` is the one place that turns "an edition id, a weights CSV
or a table" into a :class:`WeightTable`.
A shipped edition's file is never edited: a correction is a new edition.
The edition id says the source and date and is independent of the package
version.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import json
import os
from importlib import resources
from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from crimeharm.errors import InputTypeError, UnknownEditionError, WeightsValidationError
from crimeharm.weights.table import WeightTable, validate_table

__all__ = [
    "DEFAULT_EDITION",
    "EditionInfo",
    "Manifest",
    "MappingInfo",
    "ShippedFile",
    "available_weights",
    "edition_info",
    "load_mapping",
    "load_weights",
]

DEFAULT_EDITION = "cchi-2020"
_PACKAGE = "crimeharm.weights.data"


class ShippedFile(BaseModel):
    """What the manifest records of every shipped file: its identity, origin and check.

    Frozen; unknown fields are rejected. :meth:`read` is the one reader of a
    shipped file: it checks the bytes against ``sha256`` and the rows against
    ``rows``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]*$")
    title: str
    file: str
    rows: int = Field(ge=1)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    source: str
    licence: str
    notes: str = ""

    def read(self) -> tuple[str, pd.DataFrame]:
        """Read the file (every column as text) and check it against this entry.

        Returns
        -------
        tuple of (str, pandas.DataFrame)
            The file's hex SHA-256 and its rows.

        Raises
        ------
        WeightsValidationError
            If the file's SHA-256 or its number of rows differs from the manifest.
        """
        ref = resources.files(_PACKAGE).joinpath(self.file)
        data = ref.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if digest != self.sha256:
            raise WeightsValidationError(
                f"shipped file {self.file} has sha256 {digest}, but the manifest says "
                f"{self.sha256}; the installed package is damaged or the file was edited",
                path=self.file,
            )
        frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, na_values=[""])
        if len(frame) != self.rows:
            raise WeightsValidationError(
                f"shipped file {self.file} has {len(frame)} rows; the manifest says {self.rows}",
                path=self.file,
            )
        return digest, frame


class EditionInfo(ShippedFile):
    """One shipped weights edition's manifest entry."""

    scheme: Literal["cchi", "ons-css"]
    unit: str
    citation: str
    url: str
    published: dt.date | None
    guidelines_as_of: dt.date | None
    vintage: str
    code_systems: tuple[str, ...]


class MappingInfo(ShippedFile):
    """A shipped mapping table's manifest entry (e.g. police.uk categories)."""


class Manifest(BaseModel):
    """The manifest of shipped tables."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    default: str
    editions: tuple[EditionInfo, ...]
    mappings: tuple[MappingInfo, ...] = ()


@functools.lru_cache(maxsize=1)
def _manifest() -> Manifest:
    text = resources.files(_PACKAGE).joinpath("manifest.json").read_text(encoding="utf-8")
    try:
        return Manifest.model_validate(json.loads(text))
    except ValidationError as exc:  # pragma: no cover - guarded by tests
        raise WeightsValidationError(
            f"crimeharm/weights/data/manifest.json is invalid: {exc}"
        ) from None


def edition_info(edition: str | None = None) -> EditionInfo:
    """Return the manifest entry of a shipped edition.

    Parameters
    ----------
    edition : str, optional
        A shipped edition id; the default edition (``cchi-2020``) if None.

    Raises
    ------
    UnknownEditionError
        If ``edition`` is not shipped; the message lists those that are.
    """
    manifest = _manifest()
    name = edition or manifest.default
    for info in manifest.editions:
        if info.id == name:
            return info
    raise _unknown_edition(name)


def _unknown_edition(name: str) -> UnknownEditionError:
    ids = [e.id for e in _manifest().editions]
    return UnknownEditionError(
        f"unknown weights edition {name!r}; available: {', '.join(ids)}; or give the path of "
        "a weights CSV (crimeharm weights import writes one) or a WeightTable",
        values=[name],
        allowed=ids,
    )


def available_weights() -> pd.DataFrame:
    """List the shipped weights editions with their metadata.

    Returns
    -------
    pandas.DataFrame
        One row per edition: ``id``, ``title``, ``scheme``, ``rows``,
        ``published``, ``guidelines_as_of``, ``vintage``, ``sha256``,
        ``source``, ``citation``, ``url``, ``licence``, ``default``.

    Examples
    --------
    >>> available_weights()["id"].tolist()
    ['cchi-2016-beta', 'cchi-2020', 'ons-css']
    """
    manifest = _manifest()
    rows = [e.model_dump() for e in manifest.editions]
    frame = pd.DataFrame(rows)
    frame["default"] = frame["id"] == manifest.default
    cols = [
        "id",
        "title",
        "scheme",
        "rows",
        "published",
        "guidelines_as_of",
        "vintage",
        "sha256",
        "source",
        "citation",
        "url",
        "licence",
        "unit",
        "code_systems",
        "notes",
        "default",
        "file",
    ]
    return frame[cols]


@functools.lru_cache(maxsize=8)
def _load(edition: str) -> WeightTable:
    info = edition_info(edition)
    digest, frame = info.read()
    table = validate_table(frame, source=info.file)
    return WeightTable(edition=info.id, sha256=digest, table=table, scheme=info.scheme)


def _is_path(name: str) -> bool:
    """Whether a name that is not a shipped edition id is meant as a file path."""
    return name.lower().endswith(".csv") or "/" in name or "\\" in name or Path(name).is_file()


def load_weights(edition: str | os.PathLike[str] | WeightTable | None = None) -> WeightTable:
    r"""Load weights: a shipped edition by id, a weights CSV by path, or a table as given.

    This is the one reading of "an edition id or a file" in crimeharm: the
    ``weights`` option of :func:`crimeharm.score`, :func:`crimeharm.harm_index`
    and :func:`crimeharm.area_harm`, and every command-line ``EDITION`` or
    ``--weights`` argument, go through it. The rule, in order:

    1. ``None``: the default edition, ``cchi-2020``.
    2. A :class:`WeightTable`: returned as it is.
    3. A path object (:class:`pathlib.Path` or any ``os.PathLike``): the CSV
       weights table at that path.
    4. A string that is a shipped edition id (:func:`available_weights`): that
       edition, even if a file of the same name exists (write ``./cchi-2020``
       to mean the file).
    5. Any other string that ends in ``.csv`` (any case), contains ``/`` or
       ``\``, or names an existing file: the CSV weights table at that path.
    6. Anything else: :class:`~crimeharm.errors.UnknownEditionError`.

    A shipped edition is read once and cached; a CSV is read on every call
    (read it once with :meth:`WeightTable.from_csv` to reuse it).

    Parameters
    ----------
    edition : str, os.PathLike, WeightTable or None
        What to load; see the rule above.

    Returns
    -------
    WeightTable
        With ``.edition`` (the id, or the CSV file's stem), ``.sha256`` (of the
        file read), ``.table`` and ``.lookup(codes)``.

    Raises
    ------
    UnknownEditionError
        A string that is neither a shipped edition id nor a path; the message
        lists the shipped editions.
    InputFileError
        A path that does not exist or is not a readable CSV.
    WeightsValidationError
        A CSV that breaks the weights schema, or a shipped file that does not
        match its manifest entry.
    InputTypeError
        ``edition`` of any other type.

    Examples
    --------
    >>> w = load_weights()
    >>> w.edition, len(w.table)
    ('cchi-2020', 698)
    >>> load_weights("cchi-2016-beta").edition
    'cchi-2016-beta'
    >>> load_weights(w) is w
    True
    """
    if edition is None:
        return _load(_manifest().default)
    if isinstance(edition, WeightTable):
        return edition
    if isinstance(edition, os.PathLike):
        return WeightTable.from_csv(edition)
    if not isinstance(edition, str):
        raise InputTypeError(
            f"weights must be an edition id, a path to a weights CSV or a WeightTable, "
            f"not {type(edition).__name__}",
            values=[edition],
        )
    if edition in {e.id for e in _manifest().editions}:
        return _load(edition)
    if _is_path(edition):
        return WeightTable.from_csv(edition)
    raise _unknown_edition(edition)


def load_mapping(mapping_id: str) -> pd.DataFrame:
    """Load a shipped mapping table (e.g. ``police-uk-categories``) by id."""
    for info in _manifest().mappings:
        if info.id == mapping_id:
            return info.read()[1]
    known = ", ".join(m.id for m in _manifest().mappings)
    raise UnknownEditionError(f"unknown mapping {mapping_id!r}; available: {known}")
