"""The compiled (numba) and numpy accumulation paths give identical sums."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import crimeharm
from crimeharm import _kernel


def _records(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    codes = crimeharm.load_weights().table["ho_class"].dropna().unique()
    codes = np.append(codes, ["999/99", "", "junk"])
    dates = pd.to_datetime("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, n), unit="D")
    frame = pd.DataFrame(
        {
            "offence_code": rng.choice(codes, n),
            "area": rng.choice(["a", "b", "c", None], n),
            "d": dates.strftime("%Y-%m-%d"),
            "flag": rng.random(n) < 0.1,
            "count": rng.integers(-1, 5, n),
        }
    )
    frame.loc[rng.random(n) < 0.05, "d"] = "not a date"
    return frame


@pytest.mark.parametrize("count", [None, "count"])
@pytest.mark.parametrize("period", ["month", "rolling:3m", None])
def test_numba_and_numpy_paths_agree(monkeypatch, count, period):
    pytest.importorskip("numba")
    df = _records(20_000, seed=7)
    kw = {
        "by": "area",
        "period": period,
        "date": "d",
        "police_initiated": "flag",
        "count": count,
        "batch_rows": 3_000,
    }
    monkeypatch.setattr(_kernel, "_TRIED", False)
    monkeypatch.setattr(_kernel, "_KERNEL", None)
    monkeypatch.setenv("CRIMEHARM_NUMBA", "1")
    with pytest.warns(crimeharm.UnknownCodeWarning):
        fast = crimeharm.harm_index(df, **kw)
    assert fast.attrs["crimeharm"]["engine"] == "numba"
    monkeypatch.setattr(_kernel, "_TRIED", True)
    monkeypatch.setattr(_kernel, "_KERNEL", None)
    with pytest.warns(crimeharm.UnknownCodeWarning):
        slow = crimeharm.harm_index(df, **kw)
    assert slow.attrs["crimeharm"]["engine"] == "numpy"
    pd.testing.assert_frame_equal(fast, slow, check_exact=False, rtol=1e-12)
    assert fast.attrs["crimeharm"]["summary"] == slow.attrs["crimeharm"]["summary"]
