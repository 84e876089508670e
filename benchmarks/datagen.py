"""Synthetic crime records for the benchmarks, generated with a fixed seed.

The records look like a force's five years of recorded crime:

* ``offence_code`` (string): a Home Office classification written ``008/01``,
  drawn from the distinct ``ho_class`` values of ``cchi-2020`` with a Zipf-like
  frequency (weight ``1 / rank**1.1``, ranks in a seeded random order), so a
  few offences make most of the records, as in real data;
* ``lsoa`` (string): one of 35,000 codes ``E01000001`` .. ``E01035000``, with a
  gamma-distributed crime rate per area (a few busy city-centre areas);
* ``committed`` (date32): uniform over 2019-04-01 .. 2024-03-31;
* ``police_initiated`` (bool): true for 5% of the records.

Generation is sequential from one ``numpy.random.default_rng(20201006)`` in
chunks of 1,000,000 rows, one Parquet row group per chunk, so the 1M-row file
is the first row group of the 10M-row one and a 100M-row file is written
without ever holding more than one chunk in memory. Columns are plain Arrow
strings; Parquet dictionary-encodes them (pyarrow's default).

Run as a script: ``python benchmarks/datagen.py --rows 1e7 --out records.parquet``.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

SEED = 20201006
CHUNK_ROWS = 1_000_000
N_LSOA = 35_000
ZIPF_S = 1.1
POLICE_INITIATED_SHARE = 0.05
FIRST_DAY = np.datetime64("2019-04-01", "D")
LAST_DAY = np.datetime64("2024-03-31", "D")
COLUMNS = ["offence_code", "lsoa", "committed", "police_initiated"]
#: Bump when the generated records change, so cached files are rebuilt.
VERSION = 1
META_KEY = b"crimeharm_benchmark"


def ho_classes() -> list[str]:
    """The distinct Home Office classifications of cchi-2020, sorted."""
    import crimeharm

    table = crimeharm.load_weights("cchi-2020").table
    return sorted(table["ho_class"].dropna().unique().tolist())


class Generator:
    """Draws chunks of records; the same seed gives the same rows in the same order."""

    def __init__(self, codes: list[str]) -> None:
        self.rng = np.random.default_rng(SEED)
        rank = self.rng.permutation(len(codes)) + 1
        p = 1.0 / rank.astype(float) ** ZIPF_S
        self.code_cdf = np.cumsum(p / p.sum())
        rate = self.rng.gamma(shape=2.0, scale=1.0, size=N_LSOA)
        self.lsoa_cdf = np.cumsum(rate / rate.sum())
        self.codes = pa.array(codes, pa.string())
        self.lsoas = pa.array([f"E01{i:06d}" for i in range(1, N_LSOA + 1)], pa.string())
        self.n_days = int((LAST_DAY - FIRST_DAY).astype(int)) + 1

    def _pick(self, cdf: np.ndarray, n: int) -> np.ndarray:
        idx = np.searchsorted(cdf, self.rng.random(n), side="right")
        return np.minimum(idx, len(cdf) - 1).astype(np.int32)

    def chunk(self, n: int) -> pa.Table:
        """The next ``n`` records as an Arrow table (plain string columns)."""
        code_idx = self._pick(self.code_cdf, n)
        lsoa_idx = self._pick(self.lsoa_cdf, n)
        day = self.rng.integers(0, self.n_days, size=n, dtype=np.int32)
        flag = self.rng.random(n) < POLICE_INITIATED_SHARE
        first = np.int32(FIRST_DAY.astype(np.int64))
        return pa.table(
            {
                "offence_code": pa.DictionaryArray.from_arrays(
                    pa.array(code_idx), self.codes
                ).dictionary_decode(),
                "lsoa": pa.DictionaryArray.from_arrays(
                    pa.array(lsoa_idx), self.lsoas
                ).dictionary_decode(),
                "committed": pa.array(day + first, pa.int32()).cast(pa.date32()),
                "police_initiated": pa.array(flag, pa.bool_()),
            }
        )


def _meta(rows: int) -> dict:
    return {"seed": SEED, "rows": rows, "version": VERSION, "chunk_rows": CHUNK_ROWS}


def is_current(path: Path, rows: int) -> bool:
    """True when ``path`` holds the records this module would write for ``rows``."""
    if not path.is_file():
        return False
    try:
        meta = pq.ParquetFile(path).schema_arrow.metadata or {}
    except (pa.ArrowInvalid, OSError):
        return False
    raw = meta.get(META_KEY)
    return raw is not None and json.loads(raw) == _meta(rows)


def write(path: Path, rows: int) -> Path:
    """Write ``rows`` records to ``path`` (one row group per 1M-row chunk), atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    gen = Generator(ho_classes())
    tmp = path.with_name(path.name + ".tmp")
    schema = gen.chunk(0).schema.with_metadata({META_KEY: json.dumps(_meta(rows)).encode()})
    with pq.ParquetWriter(tmp, schema) as writer:
        done = 0
        while done < rows:
            n = min(CHUNK_ROWS, rows - done)
            writer.write_table(
                gen.chunk(n).replace_schema_metadata(schema.metadata), row_group_size=CHUNK_ROWS
            )
            done += n
    os.replace(tmp, path)
    return path


def split(path: Path, folder: Path, parts: int) -> Path:
    """Copy a file's rows into ``parts`` files of about equal rows under ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.parquet"):
        old.unlink()
    pf = pq.ParquetFile(path)
    rows = pf.metadata.num_rows
    bounds = np.linspace(0, rows, parts + 1).astype(np.int64)
    writers = [
        pq.ParquetWriter(folder / f"part-{i:03d}.parquet", pf.schema_arrow)
        for i in range(parts)
        if bounds[i + 1] > bounds[i]
    ]
    start = 0
    for rg in range(pf.num_row_groups):
        table = pf.read_row_group(rg)
        stop = start + table.num_rows
        for i, writer in enumerate(writers):
            lo, hi = max(start, bounds[i]), min(stop, bounds[i + 1])
            if hi > lo:
                writer.write_table(table.slice(lo - start, hi - lo), row_group_size=CHUNK_ROWS)
        start = stop
    for writer in writers:
        writer.close()
    (folder / "_SOURCE").write_text(json.dumps({**_meta(rows), "parts": parts}))
    return folder


def split_is_current(folder: Path, rows: int, parts: int) -> bool:
    """True when ``folder`` holds a split in ``parts`` of the current records for ``rows``."""
    marker = folder / "_SOURCE"
    return marker.is_file() and json.loads(marker.read_text()) == {**_meta(rows), "parts": parts}


def write_weights(path: Path) -> Path:
    """The baselines' weights: ``ho_class -> days, police_generated, not_crime``.

    Built from ``crimeharm.load_weights("cchi-2020").index("ho_class")``: days
    after the library's default ambiguity rule (``base``), so that every tool
    computes the same thing.
    """
    import crimeharm

    index = crimeharm.load_weights("cchi-2020").index("ho_class")
    table = pa.table(
        {
            "ho_class": pa.array(index.index.to_numpy(dtype=object), pa.string()),
            "days": pa.array(index["days"].to_numpy(dtype=float)),
            "police_generated": pa.array(index["police_generated"].to_numpy(dtype=bool)),
            "not_crime": pa.array(index["not_crime"].to_numpy(dtype=bool)),
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
    return path


def arrow_nbytes(path: Path, columns: list[str]) -> int:
    """Arrow size of ``columns`` as ``pq.read_table`` reads them, one row group at a time."""
    pf = pq.ParquetFile(path)
    return sum(pf.read_row_group(i, columns=columns).nbytes for i in range(pf.num_row_groups))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=float, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--split", type=Path, help="also split the file into a folder of files")
    ap.add_argument("--parts", type=int, default=5)
    ap.add_argument("--weights", type=Path, help="also write the baselines' weights table")
    ap.add_argument("--force", action="store_true")
    args = ap.parse_args(argv)
    rows = int(args.rows)
    if args.force or not is_current(args.out, rows):
        write(args.out, rows)
    if args.split is not None and (
        args.force or not split_is_current(args.split, rows, args.parts)
    ):
        split(args.out, args.split, args.parts)
    if args.weights is not None:
        write_weights(args.weights)
    print(
        json.dumps(
            {
                "rows": rows,
                "path": str(args.out),
                "bytes": args.out.stat().st_size,
                "arrow_nbytes": arrow_nbytes(args.out, COLUMNS),
            }
        )
    )


if __name__ == "__main__":
    main()
