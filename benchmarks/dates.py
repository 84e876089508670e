"""Time the reading of text dates: 5M rows of ``dd/mm/yyyy HH:MM`` with about 1M distinct values.

    python benchmarks/dates.py                 # 5M rows, ~1M distinct values
    python benchmarks/dates.py --rows 1e6 --distinct 2e5

Times :func:`crimeharm.scoring.dates.dates_to_days` on the column as a CSV
read gives it (an Arrow dictionary array) and as a pandas column of text, and
:func:`crimeharm.harm_index` by month on an Arrow table holding it. Prints one
line per case: seconds (best of ``--repeats``).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

import crimeharm

try:
    from crimeharm.scoring.dates import dates_to_days
except ImportError:  # before crimeharm.scoring.dates existed, to measure the speed-up
    from crimeharm.scoring.columns import dates_to_days


def make(rows: int, distinct: int, seed: int = 0) -> pa.Array:
    """``rows`` text dates ``dd/mm/yyyy HH:MM`` drawn from ``distinct`` minutes from 2022."""
    rng = np.random.default_rng(seed)
    minutes = np.datetime64("2022-01-01T00:00") + rng.choice(
        np.arange(distinct * 2), size=distinct, replace=False
    ).astype("timedelta64[m]")
    text = pd.Series(minutes).dt.strftime("%d/%m/%Y %H:%M").to_numpy(dtype=object)
    picks = rng.integers(0, distinct, size=rows)
    return pa.DictionaryArray.from_arrays(pa.array(picks.astype(np.int32)), pa.array(text))


def best(func, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        func()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=float, default=5e6)
    ap.add_argument("--distinct", type=float, default=1e6)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    rows, distinct = int(args.rows), int(args.distinct)
    col = make(rows, distinct)
    n_distinct = len(pc.unique(col.dictionary))
    text = pd.Series(col.to_pandas().astype(object))
    strings = text.astype("str")  # pandas' own text dtype (Arrow-backed where pyarrow is)
    table = pa.table({"offence_code": pa.array(["8/6"] * rows).dictionary_encode(), "d": col})
    days, bad = dates_to_days(col)
    assert not bad, "every value must parse"
    assert (days > -(1 << 62)).all(), "every value must parse"
    print(f"rows {rows:,}, distinct values {n_distinct:,}")
    cases = {
        "dates_to_days, Arrow dictionary (a CSV block)": lambda: dates_to_days(col),
        "dates_to_days, pandas object column": lambda: dates_to_days(text),
        "dates_to_days, pandas str column": lambda: dates_to_days(strings),
        "harm_index by month, Arrow table": lambda: crimeharm.harm_index(
            table, date="d", period="month"
        ),
    }
    for name, func in cases.items():
        print(f"{best(func, args.repeats):8.2f} s  {name}")


if __name__ == "__main__":
    main()
