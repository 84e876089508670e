"""The Spark recipe of docs/distributed.md (mapInArrow, combined on the driver), where Spark runs.

Skipped without pyspark or Java (neither is in the ``test`` extra).
"""

from __future__ import annotations

import pickle
import shutil
import warnings

import pandas as pd
import pyarrow as pa
import pytest

import crimeharm
from crimeharm.distributed import combine, finish, partition_sums, plan

pyspark = pytest.importorskip("pyspark")
if shutil.which("java") is None:  # pragma: no cover - where pyspark is installed without Java
    pytest.skip("Spark needs Java", allow_module_level=True)

from pyspark.sql import SparkSession  # noqa: E402
from test_distributed import assert_same, records  # noqa: E402


@pytest.fixture(scope="module")
def spark():
    session = (
        SparkSession.builder.master("local[2]")
        .appName("crimeharm-test")
        .config("spark.ui.enabled", "false")
        .config("spark.default.parallelism", "5")  # 5 partitions, rows kept in order
        .getOrCreate()
    )
    yield session
    session.stop()


def test_map_in_arrow_gives_one_machines_result(spark):
    frame = records(seed=31, n=4_000)
    frame["date"] = frame["date"].dt.date  # Spark's DateType
    frame["area"] = frame["area"].fillna("none")
    kw = {"by": "area", "period": "month", "date": "date", "police_initiated": "initiated"}
    p = plan(**kw)
    shared = spark.sparkContext.broadcast(p)

    def sums(batches):
        s = partition_sums(batches, shared.value)
        yield pa.RecordBatch.from_pydict({"sums": [pickle.dumps(s)]})

    table = pa.Table.from_pandas(frame[p.columns], preserve_index=False)
    df = spark.createDataFrame(table.to_pandas())
    parts = df.mapInArrow(sums, "sums binary")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", crimeharm.UnknownCodeWarning)
        total = combine((pickle.loads(r.sums) for r in parts.toLocalIterator()), p)
        out = finish(total, p)
        ref = crimeharm.harm_index(pd.DataFrame(frame), **kw)
    assert total.parts == df.rdd.getNumPartitions() > 1
    assert_same(out, ref)
