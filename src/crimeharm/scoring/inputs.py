"""Read records: pandas, Arrow, CSV, Parquet (a file or a folder), in one go or in batches.

CSV is read with Arrow's reader, every column as text (an offence code such
as ``801`` or ``00801`` must not become a number) and dictionary-encoded;
Parquet keeps its own types, with text columns read as dictionaries. Batches
are a row group (Parquet) or a block (CSV) at a time, so memory stays bounded
whatever the size of the file.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.dataset as pads
import pyarrow.parquet as pq

from crimeharm.errors import (
    InputFileError,
    InputTypeError,
    MissingColumnError,
    UnsupportedFormatError,
)

__all__ = ["Source", "open_source", "read_table"]

_PARQUET = {".parquet", ".pq", ".parq"}
_CSV = {".csv", ".txt", ".tsv"}
DEFAULT_BATCH_ROWS = 1 << 20


def _unreadable(data: object) -> InputTypeError:
    return InputTypeError(
        f"data must be a pandas DataFrame, a pyarrow Table or a path, not {type(data).__name__}",
        allowed=["pandas.DataFrame", "pyarrow.Table", "path"],
    )


def _kind(path: Path) -> str:
    if path.is_dir():
        return "dataset"
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in _PARQUET:
        return "parquet"
    if suffixes and (
        suffixes[-1] in _CSV
        or (suffixes[-1] == ".gz" and len(suffixes) > 1 and suffixes[-2] in _CSV)
    ):
        return "csv"
    with path.open("rb") as fh:
        head = fh.read(4)
    if head == b"PAR1":
        return "parquet"
    raise UnsupportedFormatError(
        f"{str(path)!r} is neither CSV nor Parquet (expected a .csv, .csv.gz, .parquet file or a "
        "folder of .parquet files)"
    )


def _check_path(data: str | os.PathLike[str]) -> Path:
    path = Path(data)
    if not path.exists():
        raise InputFileError(f"input {str(path)!r} does not exist")
    return path


def _csv_reader(path: Path, *, columns: Sequence[str] | None) -> tuple[Any, list[str]]:
    read = pacsv.ReadOptions(block_size=1 << 24)
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    parse = pacsv.ParseOptions(delimiter=delimiter)
    try:
        header = pacsv.open_csv(path, read_options=read, parse_options=parse).schema.names
    except pa.ArrowInvalid as exc:
        if "Empty CSV file" in str(exc):
            return None, []
        raise InputFileError(f"{str(path)!r} is not a readable CSV: {exc}") from None
    if columns is not None:
        MissingColumnError.check(header, columns, source=str(path))
    include = list(columns) if columns is not None else header
    convert = pacsv.ConvertOptions(
        column_types={c: pa.string() for c in header},
        include_columns=include,
        strings_can_be_null=True,
        null_values=[""],
        auto_dict_encode=True,
        auto_dict_max_cardinality=1 << 20,
    )
    reader = pacsv.open_csv(path, read_options=read, parse_options=parse, convert_options=convert)
    return reader, header


def read_table(data: Any, *, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Read records into one pandas DataFrame.

    Parameters
    ----------
    data : pandas.DataFrame, pyarrow.Table, or path
        A path to CSV (all columns read as text) or Parquet (a file or a folder).
    columns : sequence of str, optional
        Columns to read (all by default); a missing one raises
        :class:`MissingColumnError` listing the columns present.

    Returns
    -------
    pandas.DataFrame
        For a DataFrame, the same object (not copied).
    """
    if isinstance(data, pd.DataFrame):
        if columns is not None:
            MissingColumnError.check(list(data.columns), columns, source="data")
        return data
    if isinstance(data, pa.Table | pa.RecordBatch):
        if columns is not None:
            MissingColumnError.check(data.schema.names, columns, source="data")
            data = data.select(list(columns))
        return data.to_pandas()
    if not isinstance(data, str | os.PathLike):
        raise _unreadable(data)
    source = open_source(data, columns=columns)
    parts = [b if isinstance(b, pa.Table) else pa.Table.from_batches([b]) for b in source.batches()]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in source.columns})
    return pa.concat_tables(parts).to_pandas()


@dataclass
class Source:
    """Records to read in batches: a DataFrame, an Arrow table, or files."""

    data: Any
    kind: str
    columns: list[str]
    rows: int | None
    path: Path | None = None
    wanted: list[str] | None = None
    batch_rows: int = DEFAULT_BATCH_ROWS

    def batches(self, *, decode_threads: bool = True) -> Iterator[Any]:
        """Yield record batches (Arrow ``RecordBatch``) or DataFrame slices.

        ``decode_threads=False`` decodes each Parquet row group after the first
        on the calling thread, for a caller that works on several batches at
        once (the first, read while nothing else runs, still uses Arrow's
        threads).
        """
        cols = self.wanted
        if self.kind == "pandas":
            frame = self.data if cols is None else self.data[cols]
            for i in range(0, len(frame), self.batch_rows):
                yield frame.iloc[i : i + self.batch_rows]
        elif self.kind == "arrow":
            table = self.data if cols is None else self.data.select(cols)
            yield from table.to_batches(max_chunksize=self.batch_rows)
        elif self.kind == "parquet":
            yield from _row_groups(self.path, cols, threads=decode_threads)
        elif self.kind == "dataset":
            for f in self.data.files:
                yield from _row_groups(Path(f), cols, threads=decode_threads)
        elif self.kind == "csv":
            reader, _ = _csv_reader(self.path, columns=cols)
            if reader is None:
                return
            for batch in reader:
                if batch.num_rows:
                    yield batch
        elif self.kind == "empty":
            return


def _row_groups(path: Path, columns: list[str] | None, *, threads: bool) -> Iterator[pa.Table]:
    """One Parquet row group per batch, text columns read as dictionaries.

    Reading whole row groups keeps Parquet's dictionary pages as Arrow
    dictionaries; batches that straddle row groups would re-slice them.
    """
    schema = pq.read_schema(path)
    names = columns or schema.names
    text = [
        c
        for c in names
        if c in schema.names
        and (
            pa.types.is_string(schema.field(c).type)
            or pa.types.is_large_string(schema.field(c).type)
        )
    ]
    pf = pq.ParquetFile(path, read_dictionary=text)
    for i in range(pf.num_row_groups):
        table = pf.read_row_group(i, columns=columns, use_threads=threads or i == 0)
        if table.num_rows:
            yield table


def batch_columns(batch: Any) -> Mapping[str, Any]:
    """A batch (DataFrame slice, Arrow table or record batch) as column name -> column."""
    if isinstance(batch, pd.DataFrame):
        return {c: batch[c] for c in batch.columns}
    return {name: batch.column(i) for i, name in enumerate(batch.schema.names)}


def open_source(
    data: Any, *, columns: Sequence[str] | None = None, batch_rows: int = DEFAULT_BATCH_ROWS
) -> Source:
    """Open records for reading in batches, checking that ``columns`` are present.

    Raises
    ------
    InputFileError
        If the path does not exist or cannot be read.
    UnsupportedFormatError
        If the file is neither CSV nor Parquet.
    MissingColumnError
        If a needed column is absent (the message lists those present).
    """
    wanted = list(columns) if columns is not None else None
    if isinstance(data, pd.DataFrame):
        if wanted:
            MissingColumnError.check(list(data.columns), wanted, source="data")
        return Source(
            data, "pandas", list(data.columns), len(data), wanted=wanted, batch_rows=batch_rows
        )
    if isinstance(data, pa.Table):
        if wanted:
            MissingColumnError.check(data.schema.names, wanted, source="data")
        return Source(
            data, "arrow", data.schema.names, data.num_rows, wanted=wanted, batch_rows=batch_rows
        )
    if not isinstance(data, str | os.PathLike):
        raise _unreadable(data)
    path = _check_path(data)
    kind = _kind(path)
    if kind == "csv":
        reader, header = _csv_reader(path, columns=wanted)
        if reader is None:  # an empty file: a valid, empty result
            return Source(None, "empty", list(wanted or []), 0, path=path, wanted=wanted)
        return Source(None, "csv", header, None, path=path, wanted=wanted, batch_rows=batch_rows)
    try:
        if kind == "parquet":
            pf = pq.ParquetFile(path)
            names = pf.schema_arrow.names
            if wanted:
                MissingColumnError.check(names, wanted, source=str(path))
            return Source(
                pf,
                "parquet",
                names,
                pf.metadata.num_rows,
                path=path,
                wanted=wanted,
                batch_rows=batch_rows,
            )
        dataset = pads.dataset(path, format="parquet")
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputFileError(f"{str(path)!r} is not a readable Parquet file: {exc}") from None
    names = dataset.schema.names
    if wanted:
        MissingColumnError.check(names, wanted, source=str(path))
    return Source(dataset, "dataset", names, None, path=path, wanted=wanted, batch_rows=batch_rows)
