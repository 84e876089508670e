"""The weights editions shipped with crimeharm, and how to load them.

Each edition is a UTF-8 CSV under ``crimeharm/weights/data/`` with an entry in
``crimeharm/weights/data/manifest.json`` (source, citation, dates, licence, rows,
sha256), validated by :class:`EditionInfo` when read. Nothing is read at
import time; a table is read the first time it is asked for and then cached.
A shipped edition's file is never edited: a correction is a new edition.
The edition id says the source and date and is independent of the package
version.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from importlib import resources
from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from crimeharm.errors import UnknownEditionError, WeightsValidationError
from crimeharm.weights.table import WeightTable, validate_table

__all__ = [
    "DEFAULT_EDITION",
    "EditionInfo",
    "Manifest",
    "available_weights",
    "edition_info",
    "load_weights",
    "resolve_weights",
]

DEFAULT_EDITION = "cchi-2020"
_PACKAGE = "crimeharm.weights.data"


class EditionInfo(BaseModel):
    """One shipped edition's manifest entry (frozen; unknown fields rejected)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]*$")
    title: str
    scheme: Literal["cchi", "ons-css"]
    unit: str
    file: str
    rows: int = Field(ge=1)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    source: str
    citation: str
    url: str
    published: dt.date | None
    guidelines_as_of: dt.date | None
    vintage: str
    licence: str
    code_systems: tuple[str, ...]
    notes: str = ""


class MappingInfo(BaseModel):
    """A shipped mapping table's manifest entry (e.g. police.uk categories)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    title: str
    file: str
    rows: int = Field(ge=1)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    source: str
    licence: str
    notes: str = ""


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
    available = ", ".join(e.id for e in manifest.editions)
    raise UnknownEditionError(
        f"unknown weights edition {name!r}; available: {available} "
        "(or pass a WeightTable, e.g. WeightTable.from_csv(path) for an imported sheet)"
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


def _read_resource(file: str) -> tuple[bytes, pd.DataFrame]:
    ref = resources.files(_PACKAGE).joinpath(file)
    data = ref.read_bytes()
    with resources.as_file(ref) as path:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    return data, frame


@functools.lru_cache(maxsize=8)
def _load(edition: str) -> WeightTable:
    info = edition_info(edition)
    data, frame = _read_resource(info.file)
    digest = hashlib.sha256(data).hexdigest()
    if digest != info.sha256:
        raise WeightsValidationError(
            f"weights file {info.file} has sha256 {digest}, but the manifest says {info.sha256}; "
            "the installed package is damaged or the file was edited"
        )
    if len(frame) != info.rows:
        raise WeightsValidationError(
            f"weights file {info.file} has {len(frame)} rows; the manifest says {info.rows}"
        )
    table = validate_table(frame, source=info.file)
    return WeightTable(edition=info.id, sha256=digest, table=table, scheme=info.scheme)


def load_weights(edition: str | None = None) -> WeightTable:
    """Load a shipped weights edition (cached after the first call).

    Parameters
    ----------
    edition : str, optional
        An edition id from :func:`available_weights`; ``cchi-2020`` by default.

    Returns
    -------
    WeightTable
        With ``.edition``, ``.sha256`` (of the shipped file), ``.table`` and
        ``.lookup(codes)``.

    Raises
    ------
    UnknownEditionError
        If the edition is not shipped; the message lists those that are.
    WeightsValidationError
        If the shipped file does not match its manifest entry.

    Examples
    --------
    >>> w = load_weights()
    >>> w.edition, len(w.table)
    ('cchi-2020', 698)
    """
    return _load(edition or _manifest().default)


def resolve_weights(weights: str | WeightTable | None) -> WeightTable:
    """Accept an edition id, a loaded table or None (the default edition)."""
    if isinstance(weights, WeightTable):
        return weights
    if weights is None or isinstance(weights, str):
        return load_weights(weights)
    raise TypeError(f"weights must be an edition id or a WeightTable, not {type(weights).__name__}")


def load_mapping(mapping_id: str) -> pd.DataFrame:
    """Load a shipped mapping table (e.g. ``police-uk-categories``) by id."""
    for info in _manifest().mappings:
        if info.id == mapping_id:
            data, frame = _read_resource(info.file)
            if hashlib.sha256(data).hexdigest() != info.sha256:
                raise WeightsValidationError(f"mapping file {info.file} does not match its hash")
            return frame
    known = ", ".join(m.id for m in _manifest().mappings)
    raise UnknownEditionError(f"unknown mapping {mapping_id!r}; available: {known}")
