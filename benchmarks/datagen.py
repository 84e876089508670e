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
import pyarrow.compute as pc
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


def ensure_records(rows: int, data_dir: Path) -> Path:
    """The benchmark records for ``rows`` in ``data_dir`` (written unless already current)."""
    path = data_dir / f"records-{label(rows)}.parquet"
    if not is_current(path, rows):
        write(path, rows)
    return path


#: The ``detected`` column of :func:`ensure_detected`: its seed and share of true values.
DETECTED_SEED = 20240101
DETECTED_SHARE = 0.2


def ensure_detected(rows: int, data_dir: Path) -> Path:
    """The benchmark records for ``rows`` with a yes/no ``detected`` column, as Parquet.

    ``detected`` is true for :data:`DETECTED_SHARE` of the records (its own
    seed, :data:`DETECTED_SEED`); the file is rewritten when the records are.
    """
    base = ensure_records(rows, data_dir)
    out = data_dir / f"records-{label(rows)}-detected.parquet"
    stamp = f"{base.stat().st_mtime_ns}:{DETECTED_SEED}:{DETECTED_SHARE}".encode()
    if out.is_file() and (pq.read_schema(out).metadata or {}).get(b"source") == stamp:
        return out
    rng = np.random.default_rng(DETECTED_SEED)
    pf = pq.ParquetFile(base)
    schema = pf.schema_arrow.append(pa.field("detected", pa.bool_())).with_metadata(
        {b"source": stamp}
    )
    tmp = out.with_name(out.name + ".tmp")
    with pq.ParquetWriter(tmp, schema) as writer:
        for i in range(pf.num_row_groups):
            table = pf.read_row_group(i)
            flag = pa.array(rng.random(table.num_rows) < DETECTED_SHARE)
            writer.write_table(table.append_column("detected", flag).cast(schema))
    os.replace(tmp, out)
    return out


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


# ------------------------------------------------------------- records as forces export them
#: The shaped records (issue #12): what a force's export looks like, not crimeharm's best case.
SHAPED_SEED = 20261202
N_OA = 180_000
N_CSP = 40
#: How the Home Office classification is written, and the share of each form.
CODE_FORMS = (("padded", 0.5), ("short", 0.3), ("packed", 0.2))  # 008/01, 8/1, 00801
#: Well-formed classifications that cchi-2020 does not carry, and values of no form.
UNKNOWN_CODES = ("999/99", "998/01", "900/01", "199/99")
MALFORMED_CODES = ("8.1", "N/A", "TBC", "??", "UNKNOWN")
UNKNOWN_SHARE = 0.004
MALFORMED_SHARE = 0.002
NULL_CODE_SHARE = 0.001
OUTCOMES = (
    "Under investigation",
    "Investigation complete; no suspect identified",
    "Unable to prosecute suspect",
    "Offender given a caution",
    "Awaiting court outcome",
    "Local resolution",
    "Formal action is not in the public interest",
    "Court result unavailable",
)
#: Columns of the shaped records, in file order.
SHAPED_COLUMNS = [
    "crime_ref",
    "committed",
    "offence_code",
    "oa",
    "lsoa",
    "csp",
    "police_initiated",
    "outcome",
    "location",
]
SHAPED_VERSION = 2
FIRST_TIME = np.datetime64("2019-04-01T00:00:00", "s")
LAST_TIME = np.datetime64("2024-03-31T23:59:59", "s")


def _forms(code: str) -> tuple[str, str, str]:
    """``008/01`` written padded, short (``8/1``) and packed (``00801``)."""
    klass, sub = code.split("/")
    return code, f"{int(klass)}/{int(sub)}", f"{klass}{sub}"


class ShapedGenerator:
    """Records shaped as forces export them, drawn in chunks from one seed.

    ``committed`` (timestamp[s]) is sorted over the whole file (an export
    ordered by date), so a 1M-row chunk spans about six days of one month;
    ``offence_code`` mixes the three written forms of each classification
    (:data:`CODE_FORMS`) with unknown, malformed and missing values; every
    record has a unique ``crime_ref``; each of 180,000 output areas (``oa``,
    gamma-distributed rate) lies in one of 35,000 LSOAs, each in one of 40
    CSPs; ``outcome`` and ``location`` (a street-like text of about 200,000
    values) are columns no job reads.
    """

    def __init__(self, codes: list[str], rows: int) -> None:
        self.rows = rows
        self.rng = np.random.default_rng(SHAPED_SEED)
        rank = self.rng.permutation(len(codes)) + 1
        p = 1.0 / rank.astype(float) ** ZIPF_S
        self.code_cdf = np.cumsum(p / p.sum())
        written = [f for c in codes for f in _forms(c)]
        self.written = pa.array([*written, *UNKNOWN_CODES, *MALFORMED_CODES, None], pa.string())
        self.n_codes = len(codes)
        rate = self.rng.gamma(shape=1.5, scale=1.0, size=N_OA)
        self.oa_cdf = np.cumsum(rate / rate.sum())
        oa_ids = np.arange(N_OA)
        self.oa_lsoa = (oa_ids * N_LSOA // N_OA).astype(np.int32)
        self.lsoa_csp = (np.arange(N_LSOA) * N_CSP // N_LSOA).astype(np.int32)
        self.oas = pa.array([f"E00{i:06d}" for i in range(1, N_OA + 1)], pa.string())
        self.lsoas = pa.array([f"E01{i:06d}" for i in range(1, N_LSOA + 1)], pa.string())
        self.csps = pa.array([f"CSP{i:02d}" for i in range(1, N_CSP + 1)], pa.string())
        self.outcomes = pa.array(OUTCOMES, pa.string())
        self.span = int((LAST_TIME - FIRST_TIME).astype(np.int64))
        self.done = 0

    def _pick(self, cdf: np.ndarray, n: int) -> np.ndarray:
        idx = np.searchsorted(cdf, self.rng.random(n), side="right")
        return np.minimum(idx, len(cdf) - 1).astype(np.int32)

    def _codes(self, n: int) -> np.ndarray:
        rng = self.rng
        code = self._pick(self.code_cdf, n)
        form = np.searchsorted(np.cumsum([s for _, s in CODE_FORMS]), rng.random(n), side="right")
        idx = code * 3 + np.minimum(form, 2).astype(np.int32)
        odd = rng.random(n)
        base = 3 * self.n_codes
        unknown = odd < UNKNOWN_SHARE
        malformed = (odd >= UNKNOWN_SHARE) & (odd < UNKNOWN_SHARE + MALFORMED_SHARE)
        null = (odd >= UNKNOWN_SHARE + MALFORMED_SHARE) & (
            odd < UNKNOWN_SHARE + MALFORMED_SHARE + NULL_CODE_SHARE
        )
        idx[unknown] = base + rng.integers(0, len(UNKNOWN_CODES), int(unknown.sum()))
        idx[malformed] = (
            base + len(UNKNOWN_CODES) + rng.integers(0, len(MALFORMED_CODES), int(malformed.sum()))
        )
        idx[null] = base + len(UNKNOWN_CODES) + len(MALFORMED_CODES)
        return idx.astype(np.int32)

    def chunk(self, n: int) -> pa.Table:
        """The next ``n`` records (plain string columns, ``committed`` sorted)."""
        rng = self.rng
        lo, hi = self.done, self.done + n
        self.done = hi
        pos = np.sort(rng.uniform(lo, hi, n)) / max(self.rows, 1)
        seconds = (pos * self.span).astype(np.int64) + FIRST_TIME.astype(np.int64)
        oa = self._pick(self.oa_cdf, n)
        lsoa = self.oa_lsoa[oa]
        csp = self.lsoa_csp[lsoa]
        ref = pa.array(np.arange(lo, hi, dtype=np.int64) + 10_000_000).cast(pa.string())
        street = pa.array(rng.integers(1, 200_000, n)).cast(pa.string())

        def take(values: pa.Array, idx: np.ndarray) -> pa.Array:
            return values.take(pa.array(idx))

        return pa.table(
            {
                "crime_ref": pc.binary_join_element_wise("CR/", ref, ""),
                "committed": pa.array(seconds, pa.timestamp("s")),
                "offence_code": take(self.written, self._codes(n)),
                "oa": take(self.oas, oa),
                "lsoa": take(self.lsoas, lsoa),
                "csp": take(self.csps, csp),
                "police_initiated": pa.array(rng.random(n) < POLICE_INITIATED_SHARE),
                "outcome": take(self.outcomes, rng.integers(0, len(OUTCOMES), n)),
                "location": pc.binary_join_element_wise("On or near Street ", street, ""),
            }
        )


def _shaped_meta(rows: int, form: str) -> dict:
    return {
        "seed": SHAPED_SEED,
        "rows": rows,
        "version": SHAPED_VERSION,
        "chunk_rows": CHUNK_ROWS,
        "form": form,
    }


def _marker(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def shaped_is_current(path: Path, rows: int, form: str) -> bool:
    """True when ``path`` holds the shaped records of ``rows`` in ``form``."""
    marker = _marker(path)
    return (
        path.exists()
        and marker.is_file()
        and json.loads(marker.read_text()) == _shaped_meta(rows, form)
    )


def _mark(path: Path, rows: int, form: str) -> Path:
    _marker(path).write_text(json.dumps(_shaped_meta(rows, form)))
    return path


def write_shaped(path: Path, rows: int) -> Path:
    """The shaped records as Parquet, one 1M-row row group per chunk (pyarrow's writer)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    gen = ShapedGenerator(ho_classes(), rows)
    tmp = path.with_name(path.name + ".tmp")
    with pq.ParquetWriter(tmp, gen.chunk(0).schema) as writer:
        while gen.done < rows:
            writer.write_table(gen.chunk(min(CHUNK_ROWS, rows - gen.done)), CHUNK_ROWS)
    os.replace(tmp, path)
    return _mark(path, rows, "parquet")


def write_small_groups(src: Path, path: Path, rows: int) -> Path:
    """The same records rewritten by DuckDB (its default 122,880-row row groups)."""
    import duckdb

    tmp = path.with_name(path.name + ".tmp")
    con = duckdb.connect()
    con.execute("SET threads=2")
    con.execute(
        f"COPY (SELECT * FROM read_parquet('{src}')) TO '{tmp}' (FORMAT parquet)"
    )  # DuckDB keeps the order of a single file's rows
    con.close()
    os.replace(tmp, path)
    return _mark(path, rows, "duckdb")


#: strftime formats of the CSV files' date-times.
CSV_DATES = {"csv-iso": "%Y-%m-%dT%H:%M:%S", "csv-uk": "%d/%m/%Y %H:%M"}


def write_csv(src: Path, path: Path, rows: int, form: str) -> Path:
    """The first ``rows`` shaped records as CSV, dates written per :data:`CSV_DATES`."""
    import pyarrow.csv as pacsv

    tmp = path.with_name(path.name + ".tmp")
    pf = pq.ParquetFile(src)
    fmt = CSV_DATES[form]
    done = 0
    with pacsv.CSVWriter(tmp, _csv_schema(pf.schema_arrow)) as writer:
        for batch in pf.iter_batches(batch_size=CHUNK_ROWS):
            if done >= rows:
                break
            batch = batch.slice(0, rows - done)
            done += batch.num_rows
            i = batch.schema.get_field_index("committed")
            text = pc.strftime(batch.column(i).cast(pa.timestamp("s")), format=fmt)
            writer.write_batch(batch.set_column(i, "committed", text))
    os.replace(tmp, path)
    return _mark(path, rows, form)


def _csv_schema(schema: pa.Schema) -> pa.Schema:
    i = schema.get_field_index("committed")
    return schema.set(i, pa.field("committed", pa.string()))


def ensure_shaped(data_dir: Path, rows: int, csv_rows: int, *, force: bool = False) -> dict:
    """Write (or reuse) every file of the shaped scenarios; their paths by form."""
    name = f"shaped-{label(rows)}"
    paths = {
        "parquet": data_dir / f"{name}.parquet",
        "duckdb": data_dir / f"{name}-duckdb.parquet",
        "csv-iso": data_dir / f"{name}-{label(csv_rows)}-iso.csv",
        "csv-uk": data_dir / f"{name}-{label(csv_rows)}-uk.csv",
    }
    if force or not shaped_is_current(paths["parquet"], rows, "parquet"):
        write_shaped(paths["parquet"], rows)
    if force or not shaped_is_current(paths["duckdb"], rows, "duckdb"):
        write_small_groups(paths["parquet"], paths["duckdb"], rows)
    for form in CSV_DATES:
        if force or not shaped_is_current(paths[form], csv_rows, form):
            write_csv(paths["parquet"], paths[form], csv_rows, form)
    return {k: str(v) for k, v in paths.items()}


def label(rows: int) -> str:
    """``10m``, ``200k`` or the number itself: a size as the data files' names give it."""
    for unit, div in (("m", 1_000_000), ("k", 1_000)):
        if rows % div == 0:
            return f"{rows // div}{unit}"
    return str(rows)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=float, required=True)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--split", type=Path, help="also split the file into a folder of files")
    ap.add_argument("--parts", type=int, default=5)
    ap.add_argument("--weights", type=Path, help="also write the baselines' weights table")
    ap.add_argument("--force", action="store_true")
    ap.add_argument(
        "--shaped",
        type=Path,
        help="write the shaped records (issue #12) into this folder instead: Parquet, the same "
        "rewritten by DuckDB, and CSV with ISO and with dd/mm/yyyy HH:MM dates",
    )
    ap.add_argument("--csv-rows", type=float, help="rows of the shaped CSV files (default rows/2)")
    args = ap.parse_args(argv)
    rows = int(args.rows)
    if args.shaped is not None:
        csv_rows = int(args.csv_rows) if args.csv_rows else max(rows // 2, 1)
        paths = ensure_shaped(args.shaped, rows, csv_rows, force=args.force)
        if args.weights is not None:
            write_weights(args.weights)
        print(json.dumps({"rows": rows, "csv_rows": csv_rows, "paths": paths}))
        return
    if args.out is None:
        ap.error("--out is required without --shaped")
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
