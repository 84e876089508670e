"""Harm sums are exact integers: identical across row orders, batches, partitions and engines."""

from __future__ import annotations

import functools
import itertools
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import crimeharm
from crimeharm._engine import base, compiled, new_engine
from crimeharm.reasons import REASONS
from crimeharm.scoring.dates import DAY_MISSING
from crimeharm.weights.editions import available_weights

pytestmark = pytest.mark.filterwarnings("ignore::crimeharm.UnknownCodeWarning")

ENGINES = ["numpy"] + (["compiled"] if compiled.load() is not None else [])


@functools.cache
def _records(edition: str, n: int = 800) -> pd.DataFrame:
    """Records of the edition's non-dyadic day values (and a few unknown codes and dates)."""
    table = crimeharm.load_weights(edition).table
    column = "open_data" if edition == "ons-css" else "ho_class"
    rows = table[table[column].notna() & (table["days"] > 0)]
    frac = rows[(rows["days"] * 8) % 1 != 0]  # values a binary float cannot hold exactly
    codes = np.concatenate([frac[column].astype(str).to_numpy()[:40], ["999/99", "ZZZ"]])
    rng = np.random.default_rng(11)
    days = np.datetime64("2020-01-01") + rng.integers(0, 700, n).astype("timedelta64[D]")
    date = pd.Series(days.astype("datetime64[s]"))
    date[rng.random(n) < 0.02] = pd.NaT
    return pd.DataFrame(
        {
            "offence_code": codes[rng.integers(0, len(codes), n)],
            "area": [f"A{i}" for i in rng.integers(0, 9, n)],
            "date": date,
        }
    )


def _call(df: pd.DataFrame, edition: str, engine: str, batch_rows: int) -> pd.DataFrame:
    code_system = "open_data" if edition == "ons-css" else "ho_class"
    out = crimeharm.harm_index(
        df,
        by="area",
        period="quarter",
        date="date",
        weights=edition,
        code_system=code_system,
        batch_rows=batch_rows,
        engine=engine,
    )
    out.attrs = {}
    return out


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    edition=st.sampled_from(["ons-css", "cchi-2020"]),
    seed=st.integers(0, 2**32 - 1),
    batch_rows=st.integers(1, 2_000),
    engine=st.sampled_from(ENGINES),
)
def test_shuffled_and_batched_rows_give_identical_sums(edition, seed, batch_rows, engine):
    df = _records(edition)
    whole = _call(df, edition, ENGINES[0], 1 << 20)
    shuffled = df.sample(frac=1, random_state=np.random.RandomState(seed % 2**32))
    other = _call(shuffled.reset_index(drop=True), edition, engine, batch_rows)
    pd.testing.assert_frame_equal(whole, other, check_exact=True)
    harm = [c for c in whole.columns if c.startswith(("harm_days", "excluded_harm_"))]
    assert whole[harm].to_numpy().sum() > 0


def _scored_engine(scored: pd.DataFrame, engine: str):
    """An engine fed ``scored`` (crimeharm.score's output) as crimeharm.aggregate feeds it."""
    reasons = pd.Categorical(scored["excluded"], categories=list(REASONS))
    status = (np.asarray(reasons.codes, dtype=np.int64) + 1).astype(np.uint8)
    crimes = scored["crimes"].to_numpy(dtype=float)
    harm = scored["days"].to_numpy(dtype=float) * crimes
    dates = scored["period_date"].to_numpy(dtype="datetime64[D]")
    pday = np.where(np.isnat(dates), DAY_MISSING, dates.astype(np.int64))
    eng = new_engine(engine, ["area"], crimeharm.scoring.periods.parse_period("month"))
    eng.add_scored(
        {"area": scored["area"]},
        len(scored),
        status=status,
        crimes=crimes,
        harm=harm,
        period_day=pday,
    )
    return eng


@settings(max_examples=6, deadline=None)
@given(
    edition=st.sampled_from(["ons-css", "cchi-2020"]),
    cuts=st.lists(st.integers(0, 800), max_size=6),
    seed=st.integers(0, 2**31),
    engines=st.lists(st.sampled_from(ENGINES), min_size=7, max_size=7),
)
def test_partial_sums_add_up_to_the_whole(edition, cuts, seed, engines):
    df = _records(edition)
    code_system = "open_data" if edition == "ons-css" else "ho_class"
    scored = crimeharm.score(df, weights=edition, code_system=code_system, date="date")
    scored = scored.sample(frac=1, random_state=np.random.RandomState(seed)).reset_index(drop=True)
    whole = _scored_engine(scored, ENGINES[0]).result(complete=False)
    bounds = [0, *sorted(cuts), len(scored)]
    parts = [scored.iloc[a:b] for a, b in itertools.pairwise(bounds)]
    merged = _scored_engine(parts[0], engines[0])
    for part, engine in zip(parts[1:], engines[1:], strict=False):
        merged.merge(_scored_engine(part, engine))
    pd.testing.assert_frame_equal(whole, merged.result(complete=False), check_exact=True)


@pytest.mark.parametrize("edition", sorted(available_weights()["id"]))
def test_every_shipped_value_is_a_whole_number_of_units(edition):
    days = crimeharm.load_weights(edition).table["days"].dropna().to_numpy(dtype=float)
    u = base.units(days)
    assert (u / base.SCALE == days).all()  # rounding to 1e-9 day changes no shipped value
    exact = [Decimal(repr(float(d))) * 10**9 for d in days]
    assert all(e == int(e) for e in exact)  # and each is a whole number of 1e-9 day
    # headroom: 2**31 records of the largest weight in one cell fit the two int64 limbs
    assert int(u.max()) < 2**62
    assert 2**31 * int(u.max()) < 2**63 * 2**32


def test_limbs_read_alike_in_both_engines():
    ck = compiled.load()
    if ck is None:
        pytest.skip("the compiled engine is not built")
    rng = np.random.default_rng(2)
    lo = rng.integers(0, 2**62, 500)
    hi = rng.integers(-(2**40), 2**40, 500)
    assert [ck.days_of(int(a), int(b)) for a, b in zip(lo, hi, strict=True)] == list(
        base.days_of(lo, hi)
    )
    h = rng.random(500) * 8000
    assert [ck.units(float(x)) for x in h] == list(base.units(h))


def test_a_record_beyond_the_largest_harm_is_refused():
    with pytest.raises(crimeharm.ColumnValueError, match="1e-9 day"):
        base.units(np.array([1.0, 1e10]))


def test_carrying_the_limbs_changes_no_sum(monkeypatch):
    df = _records("ons-css")
    plain = _call(df, "ons-css", ENGINES[-1], 50)
    monkeypatch.setattr(base, "_CARRY_EVERY", 1)  # carry before every batch and every read
    carried = _call(df, "ons-css", ENGINES[-1], 50)
    pd.testing.assert_frame_equal(plain, carried, check_exact=True)
    rng = np.random.default_rng(4)
    cells = np.zeros((50, 3), dtype=np.int64)
    cells[:, 1] = rng.integers(0, 2**62, 50)
    cells[:, 2] = rng.integers(-(2**40), 2**40, 50)
    before = [base.exact_days(lo, hi) for _, lo, hi in cells.tolist()]
    days = base.days_of(cells[:, 1], cells[:, 2])
    base.carry(cells)
    assert (cells[:, 1] < 2**32).all()
    assert [base.exact_days(lo, hi) for _, lo, hi in cells.tolist()] == before
    assert (base.days_of(cells[:, 1], cells[:, 2]) == days).all()
