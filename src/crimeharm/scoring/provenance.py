"""Where a result came from: its edition, the edition file's sha256, the options and the summary.

Every result of :func:`crimeharm.score`, :func:`crimeharm.harm_index`,
:func:`crimeharm.aggregate` and :func:`crimeharm.series` records one mapping,
its *record*, and carries it the way its library allows:

==========================  ============================================================
result or file              where the record is
==========================  ============================================================
pandas DataFrame            ``attrs["crimeharm"]``
pyarrow Table               the schema's metadata, key ``crimeharm`` (JSON); kept by
                            ``pyarrow.parquet.write_table`` and ``Table.select``
polars DataFrame            polars frames hold no metadata: crimeharm keeps the record
                            of each frame it returned for as long as that frame lives
                            (a frame derived from it has none)
Parquet file                the file's key-value metadata, key ``crimeharm`` (JSON); a
                            file pandas wrote keeps ``attrs`` as ``PANDAS_ATTRS``, read too
CSV file                    a sidecar ``<name>.provenance.json`` beside it (``harm.csv``:
                            ``harm.csv.provenance.json``), which names the CSV's size and
                            sha256, so that a sidecar left by another run is refused
==========================  ============================================================

:func:`provenance` reads it back from any of them. Nothing here is imported
from polars: a polars frame is told by its type's module.
"""

from __future__ import annotations

import hashlib
import json
import os
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from crimeharm.errors import ProvenanceError
from crimeharm.scoring.summary import Summary

__all__ = [
    "META_KEY",
    "SIDECAR_SUFFIX",
    "Provenance",
    "file_identity",
    "from_json",
    "provenance",
    "record_of",
    "remember",
    "sidecar_path",
    "sidecar_record",
    "to_json",
    "with_record",
]

#: The key of the record: in ``attrs``, in Arrow schema metadata and in Parquet key-value metadata.
META_KEY = "crimeharm"
#: What a CSV output's sidecar adds to the CSV's name.
SIDECAR_SUFFIX = ".provenance.json"
_PANDAS_ATTRS = b"PANDAS_ATTRS"  # where pandas' to_parquet writes attrs
_HASH_BLOCK = 1 << 20


@dataclass(frozen=True)
class Provenance:
    """The provenance of a result, as :func:`provenance` reads it.

    Attributes
    ----------
    edition : str
        The weights edition's id (``cchi-2020``), or the name of a weights file.
    edition_sha256 : str
        The sha256 of the edition's weights file: the weights exactly.
    scheme : str
        The weighting scheme (``cchi``; ``police-uk-proxy`` for proxy weights).
    options : dict
        The scoring options, as :meth:`crimeharm.ScoreOptions.describe` gives them.
    summary : Summary or None
        What happened to every record read (None when the record has no summary).
    record : dict
        The whole record (with ``engine``, ``by``, ``period`` and what else the
        function recorded).
    source : str
        Where it was read: ``attrs``, ``arrow``, ``polars``, ``parquet`` or ``sidecar``.
    """

    edition: str
    edition_sha256: str
    scheme: str
    options: dict[str, Any]
    summary: Summary | None
    record: dict[str, Any] = field(repr=False)
    source: str = "attrs"

    def as_dict(self) -> dict[str, Any]:
        """The record, as plain values (what a sidecar or a file's metadata holds)."""
        return dict(self.record)

    def write_sidecar(self, csv_path: str | os.PathLike[str]) -> Path:
        """Write the sidecar of a CSV file written from the result: ``<name>.provenance.json``.

        The sidecar names the CSV's size and sha256, so write it after the CSV
        is complete. It is written to a temporary file and renamed onto its name
        (:func:`crimeharm.cli.atomic.write_atomic`).

        Parameters
        ----------
        csv_path : path-like
            The CSV file.

        Returns
        -------
        pathlib.Path
            The sidecar written.
        """
        from crimeharm.cli.atomic import write_atomic

        target = sidecar_path(csv_path)
        write_atomic(target, sidecar_record(self.record, csv_path).encode("utf-8"))
        return target


# ---------------------------------------------------------------------- JSON
def _plain(value: Any) -> Any:
    """numpy, pandas and set values as JSON's."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    if isinstance(value, pd.Timestamp | pd.Timedelta | pd.Period):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def to_json(record: Mapping[str, Any]) -> str:
    """A record as JSON text (numpy values as numbers, pairs as lists)."""
    return json.dumps(record, default=_plain, ensure_ascii=False)


def from_json(text: str | bytes, *, where: str) -> dict[str, Any]:
    """A record from JSON text.

    Raises
    ------
    ProvenanceError
        If the text is not a JSON object, naming ``where`` it was read from.
    """
    try:
        value = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProvenanceError(f"{where}: the provenance is not JSON: {exc}", path=where) from None
    if not isinstance(value, dict):
        raise ProvenanceError(f"{where}: the provenance is not a JSON object", path=where)
    return value


# ---------------------------------------------------------------------- polars frames
#: id(frame) -> (a weak reference to the frame, its record), for the polars frames returned.
_POLARS: dict[int, tuple[weakref.ref[Any], dict[str, Any]]] = {}


def _forget(key: int) -> Callable[[Any], None]:
    def drop(_: Any) -> None:
        _POLARS.pop(key, None)

    return drop


def remember(frame: Any, record: Mapping[str, Any]) -> Any:
    """Keep ``record`` as the provenance of a polars frame while it lives; return the frame."""
    key = id(frame)
    plain = from_json(to_json(record), where="the record")  # as a file would keep it
    _POLARS[key] = (weakref.ref(frame, _forget(key)), plain)
    return frame


# ---------------------------------------------------------------------- in memory
def with_record(table: pa.Table, record: Mapping[str, Any]) -> pa.Table:
    """``table`` with ``record`` in its schema metadata (key ``crimeharm``), other keys kept."""
    meta = dict(table.schema.metadata or {})
    meta[META_KEY.encode()] = to_json(record).encode("utf-8")
    return table.replace_schema_metadata(meta)


def _from_metadata(meta: Mapping[bytes, bytes] | None, *, where: str) -> dict[str, Any] | None:
    if not meta:
        return None
    if META_KEY.encode() in meta:
        return from_json(meta[META_KEY.encode()], where=where)
    if _PANDAS_ATTRS in meta:
        attrs = from_json(meta[_PANDAS_ATTRS], where=where)
        return _from_attrs(attrs)
    return None


def _from_attrs(attrs: Mapping[Any, Any]) -> dict[str, Any] | None:
    if isinstance(attrs.get(META_KEY), Mapping):
        return dict(attrs[META_KEY])
    if "edition_sha256" in attrs:  # area_harm's table keeps its provenance at the top
        return dict(attrs)
    return None


def record_of(obj: Any) -> tuple[dict[str, Any], str] | None:
    """The record a result carries, and where it was found; None for none.

    ``obj`` is a pandas DataFrame or Series, a pyarrow Table or RecordBatch, or a
    polars DataFrame that crimeharm returned.
    """
    if isinstance(obj, pd.DataFrame | pd.Series):
        found = _from_attrs(obj.attrs)
        return None if found is None else (found, "attrs")
    if isinstance(obj, pa.Table | pa.RecordBatch):
        found = _from_metadata(obj.schema.metadata, where="the table's schema metadata")
        return None if found is None else (found, "arrow")
    held = _POLARS.get(id(obj))
    if held is not None and held[0]() is obj:
        return dict(held[1]), "polars"
    return None


# ---------------------------------------------------------------------- files
def sidecar_path(path: str | os.PathLike[str]) -> Path:
    """The sidecar of a CSV output: ``<name>.provenance.json`` beside it."""
    p = Path(path)
    return p.with_name(p.name + SIDECAR_SUFFIX)


def file_identity(path: str | os.PathLike[str]) -> dict[str, Any]:
    """A file's name, size in bytes and sha256, as a sidecar records them."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(_HASH_BLOCK):
            digest.update(chunk)
            size += len(chunk)
    return {"name": Path(path).name, "bytes": size, "sha256": digest.hexdigest()}


def sidecar_record(
    record: Mapping[str, Any], data_file: str | os.PathLike[str], *, name: str | None = None
) -> str:
    """The sidecar's JSON text for ``data_file``: the record and the file's identity.

    ``name`` is the file's name when ``data_file`` is a temporary file that will be renamed.
    """
    identity = file_identity(data_file)
    if name is not None:
        identity["name"] = name
    return to_json({"file": identity, META_KEY: dict(record)}) + "\n"


def _read_sidecar(data: Path | None, sidecar: Path) -> dict[str, Any]:
    try:
        text = sidecar.read_bytes()
    except OSError as exc:
        raise ProvenanceError(
            f"cannot read {str(sidecar)!r}: {exc.strerror or exc}", path=str(sidecar)
        ) from None
    content = from_json(text, where=str(sidecar))
    record = content.get(META_KEY)
    if not isinstance(record, dict):
        raise ProvenanceError(
            f"{str(sidecar)!r} holds no {META_KEY!r} record: not a crimeharm sidecar",
            path=str(sidecar),
        )
    if data is not None:
        expected = content.get("file") or {}
        found = file_identity(data)
        if (expected.get("bytes"), expected.get("sha256")) != (found["bytes"], found["sha256"]):
            raise ProvenanceError(
                f"{str(sidecar)!r} describes a file of {expected.get('bytes')} bytes with "
                f"sha256 {expected.get('sha256')}, but {str(data)!r} has {found['bytes']} bytes "
                f"and sha256 {found['sha256']}: the CSV was changed or replaced after the "
                "sidecar was written",
                path=str(data),
                values=[found["sha256"]],
                allowed=[expected.get("sha256")],
            )
    return record


def _from_file(path: Path) -> tuple[dict[str, Any], str]:
    if path.name.endswith(SIDECAR_SUFFIX):
        data = path.with_name(path.name[: -len(SIDECAR_SUFFIX)])
        return _read_sidecar(data if data.exists() else None, path), "sidecar"
    if not path.exists():
        raise ProvenanceError(f"{str(path)!r} does not exist", path=str(path))
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head == b"PAR1":
        import pyarrow.parquet as pq

        try:
            meta = pq.read_schema(path).metadata
        except (pa.ArrowException, OSError) as exc:
            raise ProvenanceError(
                f"{str(path)!r} is not a readable Parquet file: {exc}", path=str(path)
            ) from None
        found = _from_metadata(meta, where=str(path))
        if found is None:
            raise ProvenanceError(
                f"{str(path)!r} holds no crimeharm provenance in its metadata (not written by "
                "crimeharm, or rewritten by a tool that drops key-value metadata)",
                path=str(path),
            )
        return found, "parquet"
    side = sidecar_path(path)
    if not side.exists():
        raise ProvenanceError(
            f"{str(path)!r} has no sidecar {side.name!r} beside it: a CSV keeps its provenance "
            "there (the command line writes one with every CSV file; in Python, "
            "crimeharm.provenance(result).write_sidecar(path) after writing the CSV)",
            path=str(path),
        )
    return _read_sidecar(path, side), "sidecar"


# ---------------------------------------------------------------------- the reader
def provenance(obj: Any) -> Provenance:
    """The provenance of a result or of a file crimeharm wrote.

    Parameters
    ----------
    obj : DataFrame, Table, path
        A result of :func:`crimeharm.score`, :func:`crimeharm.harm_index`,
        :func:`crimeharm.aggregate`, :func:`crimeharm.series` or
        :func:`crimeharm.area_harm` (a pandas or polars DataFrame, a pyarrow
        Table), a Parquet file written by crimeharm or from such a result, a
        CSV file with its sidecar ``<name>.provenance.json``, or the sidecar.

    Returns
    -------
    Provenance
        The edition, its sha256, the scheme, the options and the summary.

    Raises
    ------
    ProvenanceError
        When ``obj`` carries none (a frame made by a pandas operation that drops
        ``attrs``, such as ``merge``; a polars frame derived from a result; a CSV
        without its sidecar), or a CSV's sidecar describes another file.

    Examples
    --------
    >>> import pandas as pd, crimeharm
    >>> out = crimeharm.score(pd.DataFrame({"offence_code": ["8/6"]}))
    >>> p = crimeharm.provenance(out)
    >>> p.edition, p.summary.rows_in
    ('cchi-2020', 1)
    """
    if isinstance(obj, str | os.PathLike):
        record, source = _from_file(Path(obj))
    else:
        found = record_of(obj)
        if found is None:
            what = f"{type(obj).__module__}.{type(obj).__name__}"
            raise ProvenanceError(
                f"this {what} carries no crimeharm provenance: it is not a result of crimeharm, "
                "or was made from one by an operation that drops it (pandas' merge, join and "
                "concat of frames with different attrs; any polars operation); read it from "
                "the result itself",
                values=[what],
            )
        record, source = found
    summary = record.get("summary")
    options = summary.get("options", {}) if isinstance(summary, Mapping) else {}
    return Provenance(
        edition=str(record.get("edition", "")),
        edition_sha256=str(record.get("edition_sha256", "")),
        scheme=str(record.get("scheme", "")),
        options=dict(options),
        summary=Summary.from_dict(summary) if isinstance(summary, Mapping) else None,
        record=record,
        source=source,
    )
