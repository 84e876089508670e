"""The harm index on a real local Dask cluster (two worker processes) against one machine."""

from __future__ import annotations

import math
import os
import signal
import sys
import threading
import time
import warnings

import numpy as np
import pandas as pd
import pytest

import crimeharm

dask = pytest.importorskip("dask")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("dask.distributed")

from crimeharm.distributed import _dask, combine, finish, partition_sums, plan  # noqa: E402

N = 6_000
WEIGHTS = crimeharm.load_weights("cchi-2020")


@pytest.fixture(scope="module")
def client():
    import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the helpers below, on workers
    with (
        distributed.LocalCluster(
            n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c
    cloudpickle.unregister_pickle_by_value(sys.modules[__name__])


def records(seed: int = 15, n: int = N) -> pd.DataFrame:
    """Records with every kind of exclusion: unknown, malformed and null codes, bad dates."""
    rng = np.random.default_rng(seed)
    codes = sorted(WEIGHTS.table["ho_class"].dropna().unique().tolist())[:80]
    codes = np.array([*codes, "999/99", "8//6", None], dtype=object)
    days = rng.integers(17_500, 18_600, n).astype("datetime64[D]").astype("datetime64[s]")
    return pd.DataFrame(
        {
            "offence_code": rng.choice(codes, n),
            "area": rng.choice(np.array(["E1", "E2", "E3", "W4", None], dtype=object), n),
            "force": rng.choice(np.array(["north", "south"], dtype=object), n),
            "date": pd.Series(days).where(rng.random(n) > 0.03),
            "initiated": rng.random(n) < 0.08,
            "n": rng.integers(0, 4, n).astype(float),
        }
    )


def split(frame: pd.DataFrame, seed: int = 7) -> list[pd.DataFrame]:
    """Partitions of random sizes, with empty ones and one without any dated record."""
    rng = np.random.default_rng(seed)
    cuts = np.sort(rng.integers(0, len(frame), 9))
    parts = [frame.iloc[a:b].copy() for a, b in zip([0, *cuts], [*cuts, len(frame)], strict=True)]
    parts.insert(3, frame.iloc[:0].copy())
    undated = frame.iloc[:57].copy()
    undated["date"] = pd.Series(pd.NaT, index=undated.index, dtype=frame["date"].dtype)
    parts.insert(6, undated)
    parts.append(frame.iloc[:0].copy())
    return parts


def reference(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The same records as one pandas frame, for one machine."""
    whole = pd.concat(parts, ignore_index=True)
    for c in whole.columns:
        if isinstance(whole[c].dtype, pd.CategoricalDtype):
            whole[c] = whole[c].astype(object)
    return whole


def frame_of(parts: list[pd.DataFrame]):
    meta = parts[0].iloc[:0]
    return dd.from_delayed([dask.delayed(p) for p in parts], meta=meta, verify_meta=False)


def assert_same(out: pd.DataFrame, ref: pd.DataFrame) -> None:
    """Counts exact, harm to 1e-12 relative, summary and provenance alike."""
    assert list(out.columns) == list(ref.columns)
    assert len(out) == len(ref)
    pd.testing.assert_frame_equal(out, ref, check_exact=False, rtol=1e-12)
    for c in out.columns:
        if "harm" not in c and pd.api.types.is_float_dtype(out[c]):
            assert np.array_equal(out[c].to_numpy(), ref[c].to_numpy(), equal_nan=True), c
    assert_same_meta(out.attrs["crimeharm"], ref.attrs["crimeharm"])


def assert_same_meta(a: object, b: object, path: str = "attrs") -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        assert list(a) == list(b), path
        for k in a:
            assert_same_meta(a[k], b[k], f"{path}[{k!r}]")
    elif isinstance(a, list | tuple) and isinstance(b, list | tuple):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same_meta(x, y, f"{path}[{i}]")
    elif isinstance(a, float) and isinstance(b, float):
        assert math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-9), (path, a, b)
    else:
        assert a == b, (path, a, b)


OPTIONS = [
    {"by": "area", "period": "month"},
    {"by": ["force", "area"], "period": "rolling:12m", "complete": True},
    {},
    {"by": "area", "period": "quarter", "excluded": "summary"},
    {"by": "area", "period": "year", "count": "n"},
    {"by": "force", "start": "2018-01-01", "end": "2019-12-31", "unknown": "zero"},
    # complete=True fills the window's periods, past the records' first and last
    {
        "by": "area",
        "period": "quarter",
        "complete": True,
        "start": "2000-01-01",
        "end": "2030-12-31",
    },
]


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: ",".join(map(str, o.values())) or "-")
def test_harm_index_on_the_cluster_is_one_machines(client, options):
    parts = split(records())
    kw = {"date": "date", "police_initiated": "initiated", **options}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", crimeharm.UnknownCodeWarning)
        ref = crimeharm.harm_index(reference(parts), **kw)
        out = crimeharm.harm_index(frame_of(parts), **kw)
    assert_same(out, ref)
    assert out.attrs["crimeharm"]["summary"]["rows_in"] == N + 57


def test_categories_differ_between_partitions(client):
    parts = split(records(seed=3))
    for i, p in enumerate(parts):  # each partition's own categories, in its own order
        values = p["area"].dropna().unique().tolist()
        order = values[::-1] if i % 2 else values
        p["area"] = pd.Categorical(p["area"], categories=order)
        p["offence_code"] = p["offence_code"].astype("category")
    kw = {"by": "area", "period": "month", "date": "date", "complete": True}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", crimeharm.UnknownCodeWarning)
        ref = crimeharm.harm_index(reference(parts), **kw)
        out = crimeharm.harm_index(frame_of(parts), **kw)
    assert_same(out, ref)


def test_rates_after_the_combine(client):
    parts = split(records(seed=5))
    population = pd.DataFrame(
        {"area": ["E1", "E2", "E3", "W4"], "population": [1e4, 2e4, 5e3, 8e3]}
    )
    kw = {"by": "area", "period": "rolling:6m", "date": "date", "population": population}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", crimeharm.UnknownCodeWarning)
        ref = crimeharm.harm_index(reference(parts), **kw)
        out = crimeharm.harm_index(frame_of(parts), **kw)
    assert "harm_days_per_100000" in out
    assert_same(out, ref)


def test_series_on_the_cluster(client):
    parts = split(records(seed=11))
    kw = {"by": "area", "period": "year", "date": "date", "category": "group"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", crimeharm.UnknownCodeWarning)
        ref = crimeharm.series(reference(parts), police_initiated="initiated", **kw)
        out = crimeharm.series(frame_of(parts), police_initiated="initiated", **kw)
    pd.testing.assert_frame_equal(out, ref, check_exact=False, rtol=1e-12)
    assert_same_meta(out.attrs["crimeharm"], ref.attrs["crimeharm"])


def test_score_is_a_dask_frame_and_aggregates_alike(client):
    parts = split(records(seed=2))
    kw = {"date": "date", "police_initiated": "initiated"}
    whole = reference(parts)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", crimeharm.UnknownCodeWarning)
        scored = crimeharm.score(frame_of(parts), **kw)
        one = crimeharm.score(whole, **kw)
    assert isinstance(scored, dd.DataFrame)
    assert list(scored.columns) == list(one.columns)
    got = scored.compute().reset_index(drop=True)
    pd.testing.assert_frame_equal(got, one, check_dtype=False)
    assert list(got.dtypes.astype(str)) == list(scored.dtypes.astype(str))  # meta is right
    out = crimeharm.aggregate(scored, by="area", period="month")
    ref = crimeharm.aggregate(one, by="area", period="month")
    assert_same(out, ref)


def test_parquet_glob_with_engine_dask(client, tmp_path):
    parts = split(records(seed=8))
    for i, p in enumerate(parts):
        p.to_parquet(tmp_path / f"part-{i:02d}.parquet", index=False)
    kw = {"by": "area", "period": "month", "date": "date", "police_initiated": "initiated"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", crimeharm.UnknownCodeWarning)
        ref = crimeharm.harm_index(tmp_path, **kw)
        out = crimeharm.harm_index(str(tmp_path / "*.parquet"), engine="dask", **kw)
    assert_same(out, ref)
    assert out.attrs["crimeharm"]["engine"] in ("compiled", "numpy")


def test_engine_dask_refuses_what_it_cannot_read(tmp_path):
    (tmp_path / "a.csv").write_text("offence_code\n008/01\n")
    with pytest.raises(crimeharm.OptionError, match="reads Parquet"):
        crimeharm.harm_index(tmp_path / "a.csv", engine="dask")
    with pytest.raises(crimeharm.OptionError, match="dask DataFrame or Parquet"):
        crimeharm.harm_index(records(n=10), engine="dask")
    ddf = dd.from_pandas(records(n=10), npartitions=2)
    with pytest.raises(crimeharm.MissingColumnError, match="nope"):
        crimeharm.harm_index(ddf, by="nope")


def test_the_plan_is_one_key_that_every_partition_task_shares():
    parts = split(records(n=500))
    p = plan(by="area", period="month", date="date")
    final = _dask.graph(frame_of(parts), p, split_every=3)
    tasks = dict(final.__dask_graph__())
    plan_keys = [k for k in tasks if str(k).startswith("crimeharm-plan-")]
    assert len(plan_keys) == 1
    scoring = [k for k in tasks if str(k).startswith("partition_sums-")]
    assert len(scoring) == len(parts)
    assert all(plan_keys[0] in tasks[k].dependencies for k in scoring)
    # the weights travel inside the plan only: no other task carries the weights table
    import cloudpickle

    sha = WEIGHTS.sha256.encode()
    holders = [k for k, t in tasks.items() if sha in cloudpickle.dumps(t)]
    assert holders == plan_keys


def test_partial_sums_without_dask_add_up_in_any_grouping():
    frame = records(seed=21)
    p = plan(by=["force", "area"], period="month", date="date", police_initiated="initiated")
    parts = split(frame, seed=4)
    sums = [partition_sums(part, p) for part in parts]
    flat = combine(sums, p)
    tree = combine([combine(sums[:5], p), combine(sums[5:9], p), combine(sums[9:], p)], p)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", crimeharm.UnknownCodeWarning)
        ref = crimeharm.harm_index(
            reference(parts), by=["force", "area"], period="month", date="date",
            police_initiated="initiated",
        )  # fmt: skip
        a, b = finish(flat, p), finish(tree, p)
    assert flat.parts == tree.parts == len(parts)
    assert_same(a, ref)
    assert_same(b, ref)


def _slow(part: pd.DataFrame, seconds: float) -> pd.DataFrame:
    time.sleep(seconds)
    return part


def test_a_worker_killed_mid_run_gives_the_same_result(client):
    parts = split(records(seed=9))
    meta = parts[0].iloc[:0]
    ddf = dd.from_delayed(
        [dask.delayed(_slow)(p, 0.3) for p in parts], meta=meta, verify_meta=False
    )
    kw = {"by": "area", "period": "month", "date": "date", "police_initiated": "initiated"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", crimeharm.UnknownCodeWarning)
        ref = crimeharm.harm_index(reference(parts), **kw)
    pids = client.run(os.getpid)
    done: dict[str, object] = {}

    def run() -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", crimeharm.UnknownCodeWarning)
            try:
                done["out"] = crimeharm.harm_index(ddf, **kw)
            except BaseException as err:  # reported below
                done["error"] = err

    thread = threading.Thread(target=run)
    thread.start()
    busy: list[str] = []
    deadline = time.monotonic() + 30
    while not busy and time.monotonic() < deadline:
        busy = [w for w, keys in client.processing().items() if keys and w in pids]
        time.sleep(0.02)
    assert busy, "no task ran on a worker"
    os.kill(pids[busy[0]], signal.SIGKILL)
    running_when_killed = thread.is_alive() and not done
    thread.join(timeout=120)
    assert not thread.is_alive()
    assert "error" not in done, done.get("error")
    assert running_when_killed  # the worker died mid-run, and the run went on
    assert_same(done["out"], ref)
    client.wait_for_workers(2, timeout=60)
    assert pids[busy[0]] not in client.run(os.getpid).values()  # that process is gone
