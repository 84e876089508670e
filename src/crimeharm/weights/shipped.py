"""The files shipped in ``crimeharm/weights/data/`` and their manifest.

Every shipped file (a weights edition, a mapping table, the code crosswalk)
is a UTF-8 CSV written by ``scripts/build_weights.py`` with an entry in
``manifest.json``: its id, source, licence, row count and sha256, validated by
the frozen models here when read. :meth:`ShippedFile.read` is the one reader
of a shipped file. Nothing is read at import time; the manifest is read the
first time it is asked for and then cached.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import json
from importlib import resources
from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from crimeharm.errors import UnknownEditionError, WeightsValidationError

__all__ = [
    "EditionInfo",
    "Manifest",
    "MappingInfo",
    "ShippedFile",
    "load_mapping",
    "read_manifest",
]

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
    """A shipped mapping table's manifest entry (police.uk categories, the code crosswalk)."""


class Manifest(BaseModel):
    """The manifest of shipped tables."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    default: str
    editions: tuple[EditionInfo, ...]
    mappings: tuple[MappingInfo, ...] = ()


@functools.lru_cache(maxsize=1)
def read_manifest() -> Manifest:
    """The manifest of the shipped files, read once and cached."""
    text = resources.files(_PACKAGE).joinpath("manifest.json").read_text(encoding="utf-8")
    try:
        return Manifest.model_validate(json.loads(text))
    except ValidationError as exc:  # pragma: no cover - guarded by tests
        raise WeightsValidationError(
            f"crimeharm/weights/data/manifest.json is invalid: {exc}"
        ) from None


@functools.lru_cache(maxsize=8)
def _mapping(mapping_id: str) -> pd.DataFrame:
    for info in read_manifest().mappings:
        if info.id == mapping_id:
            return info.read()[1]
    known = [m.id for m in read_manifest().mappings]
    raise UnknownEditionError(
        f"unknown mapping {mapping_id!r}; available: {', '.join(known)}",
        values=[mapping_id],
        allowed=known,
    )


def load_mapping(mapping_id: str) -> pd.DataFrame:
    """Load a shipped mapping table by id, checked against the manifest.

    Parameters
    ----------
    mapping_id : str
        ``police-uk-categories``, ``police-uk-crime-types`` or
        ``home-office-code-crosswalk``.

    Returns
    -------
    pandas.DataFrame
        The table, every column as text (a copy: the cached table is not
        changed by the caller).

    Raises
    ------
    UnknownEditionError
        If no shipped mapping has that id; the message lists those that do.
    """
    return _mapping(mapping_id).copy()
