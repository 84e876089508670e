"""The weights editions shipped with crimeharm, and how to load them.

Each edition is a UTF-8 CSV under ``crimeharm/weights/data/`` with an entry in
``crimeharm/weights/data/manifest.json`` (source, citation, dates, licence, rows,
sha256), validated by :class:`EditionInfo` when read (the manifest and its
models are in :mod:`crimeharm.weights.shipped`). Nothing is read at
import time; a table is read the first time it is asked for and then cached.
:func:`load_weights` is the one place that turns "an edition id, a weights CSV
or a table" into a :class:`WeightTable`.
A shipped edition's file is never edited: a correction is a new edition.
The edition id says the source and date and is independent of the package
version.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import pandas as pd

from crimeharm.errors import InputTypeError, UnknownEditionError
from crimeharm.weights.shipped import (
    EditionInfo,
    Manifest,
    MappingInfo,
    ShippedFile,
    load_mapping,
)
from crimeharm.weights.shipped import read_manifest as _manifest
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


def edition_info(edition: str | None = None) -> EditionInfo:
    """Return the manifest entry of a shipped edition.

    Parameters
    ----------
    edition : str, optional
        A shipped edition id; the default edition (``cchi-2020``) if None.

    Returns
    -------
    EditionInfo
        The entry: ``id``, ``title``, ``scheme``, ``unit`` (``days``), ``rows``,
        ``sha256`` of the CSV, ``source``, ``citation``, ``licence``, dates and
        the code systems the edition carries.

    Raises
    ------
    UnknownEditionError
        If ``edition`` is not shipped; the message lists those that are.

    Examples
    --------
    >>> info = edition_info("cchi-2020")
    >>> info.rows, info.unit, info.sha256[:12]
    (698, 'days', '9b8244b10c5e')
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
