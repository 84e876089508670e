"""Tests of how score() assembles its result: the scored columns, their dates and tallies."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyarrow as pa

import crimeharm
from crimeharm import Summary
from crimeharm.reasons import REASONS
from crimeharm.scoring.dates import DAY_BAD, DAY_MISSING
from crimeharm.scoring.rows import _period_dates

RECORDS = pd.DataFrame(
    {
        "offence_code": ["8/6", "034/01", "092/10", "8//6", "999/99", "8/6"],
        "when": ["2024-01-05", "2023-12-31", "junk", "2024-02-29", None, "1970-01-01"],
    }
)


def _score(data, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", crimeharm.UnknownCodeWarning)
        return crimeharm.score(data, date="when", **kw)


def test_period_dates_are_the_days_at_midnight_and_nat_for_sentinels():
    days = np.array([0, 19_727, -1, DAY_MISSING, DAY_BAD, 2_932_896], dtype=np.int64)
    got = _period_dates(days)
    assert got.dtype == np.dtype("datetime64[s]")
    want = [pd.Timestamp("1970-01-01") + pd.Timedelta(days=int(d)) for d in days[[0, 1, 2, 5]]]
    assert list(pd.DatetimeIndex(got[[0, 1, 2, 5]])) == want
    assert np.isnat(got[[3, 4]]).all()


def test_merge_batch_without_counts_tallies_one_crime_a_row():
    status = np.array([0, 0, 1, 3, 3, 0], dtype=np.uint8)
    harm = np.array([10.0, np.nan, 2.0, 5.0, np.nan, 1.5])
    for h in (harm, np.nan_to_num(harm)):
        implicit, explicit = (Summary(edition="e", edition_sha256="0", scheme="cchi") for _ in "ab")
        implicit.merge_batch(status, None, h)
        explicit.merge_batch(status, np.ones(len(status)), h)
        assert implicit.as_dict() == explicit.as_dict()
    assert implicit.rows_excluded[REASONS[2]] == 2
    assert implicit.crimes_excluded[REASONS[2]] == 2.0
    assert implicit.harm_included == 11.5


def test_pandas_result_columns_are_new_and_the_input_is_unchanged():
    frame = RECORDS.copy()
    out = _score(frame)
    pd.testing.assert_frame_equal(frame, RECORDS)
    assert out["days"].dtype == np.float64
    assert out["crimes"].dtype == np.int64
    assert out["period_date"].dtype == np.dtype("datetime64[s]")
    assert out["period_date"].isna().tolist() == [False, False, True, False, True, False]
    included = out["excluded"].isna()
    assert (out.loc[~included, "harm_days"] == 0).all()
    assert (out.loc[included, "harm_days"] == out.loc[included, "days"]).all()
    out.loc[0, "days"] = -1.0  # the result owns its columns: a second call is unaffected
    assert _score(frame)["days"].iloc[0] != -1.0


def test_arrow_and_pandas_results_hold_the_same_scored_values():
    table = pa.Table.from_pandas(RECORDS, preserve_index=False)
    arrow = _score(table, output="arrow").to_pandas()
    pandas = _score(RECORDS)
    for col in ("days", "crimes", "harm_days", "period_date"):
        np.testing.assert_array_equal(arrow[col].to_numpy(), pandas[col].to_numpy())
    assert arrow["excluded"].astype(object).tolist() == pandas["excluded"].astype(object).tolist()
