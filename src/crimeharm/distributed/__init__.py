"""The harm index past one machine: partitions scored where they lie, partial sums combined.

:func:`crimeharm.harm_index`, :func:`crimeharm.aggregate` and
:func:`crimeharm.series` take a ``dask.dataframe.DataFrame`` as they take a
pandas one, and ``harm_index`` takes Parquet paths (local or remote) with
``engine="dask"``; :func:`crimeharm.score` of a Dask DataFrame returns one.
Each partition is scored by the same engine as on one machine into partial
sums by cell (area x period x status), the partial sums are combined by a
tree of tasks, and the output (rolling windows, rates, the summary) is
built once from the combined sums: the same result as one machine, with the
same counts. See ``docs/distributed.md``.

The parts that need no Dask (:mod:`crimeharm.distributed.partials`:
:func:`plan`, :func:`partition_sums`, :func:`combine`, :func:`finish`) serve
any engine that can run a Python function per partition, such as Spark's
``mapInArrow``. Dask itself is the ``dask`` extra
(``pip install 'crimeharm[dask]'``); nothing here imports it until it is used.
"""

from __future__ import annotations

from typing import Any

from crimeharm.distributed.partials import Plan, Sums, combine, finish, partition_sums, plan

__all__ = ["Plan", "Sums", "combine", "finish", "is_dask_frame", "partition_sums", "plan"]


def is_dask_frame(data: Any) -> bool:
    """Whether ``data`` is a ``dask.dataframe.DataFrame`` (without importing Dask otherwise)."""
    if not type(data).__module__.startswith("dask"):
        return False
    import dask.dataframe as dd

    return isinstance(data, dd.DataFrame)
