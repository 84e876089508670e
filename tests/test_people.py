"""Harm by person: per offender, repeat victimisation, harm per days at risk (issue 13)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import crimeharm
from crimeharm import EmptyDataError, OptionError

OFFENDERS = pd.DataFrame(
    {
        "offender": ["p1", "p2", "p1", None, " ", "p3", "p2"],
        "harm_days": [365.0, 10.0, 2.0, 19.0, 1.0, 10.0, 0.0],
    }
)


def test_harm_per_person_with_no_id_counted():
    out = crimeharm.harm_per_person(OFFENDERS, person="offender")
    assert out["offender"].tolist() == ["p1", "p2", "p3", "no id"]  # p2, p3 tie: by id
    assert out["crimes"].tolist() == [2, 2, 1, 2]
    assert out["harm_days"].tolist() == [367, 10, 10, 20]
    assert out["harm_share"].sum() == pytest.approx(1.0)
    assert out.attrs["crimeharm"]["persons"] == 3
    assert out.attrs["crimeharm"]["no_id_rows"] == 2


def test_scored_records_leave_out_excluded_rows_and_count_them():
    records = pd.DataFrame(
        {"offence_code": ["008/06", "092/10", "034/02", "8//6"], "offender": ["a", "a", "b", "b"]}
    )
    scored = crimeharm.score(records)
    out = crimeharm.harm_per_person(scored, person="offender")
    assert out.set_index("offender")["crimes"].to_dict() == {"a": 1, "b": 1}
    assert out.attrs["crimeharm"]["rows_excluded"] == 2  # police-generated, malformed
    arrow = crimeharm.harm_per_person(pa.Table.from_pandas(scored), person="offender")
    pd.testing.assert_frame_equal(arrow, out)


def test_power_few_is_concentration_over_persons():
    c = crimeharm.concentration(OFFENDERS, unit="offender")
    assert c["units"] == 3
    assert c["no_id_rows"] == 2
    assert c["top_20pct"] == pytest.approx(0.6 * 367 / 387)  # 0.6 of the top person


def test_repeat_victimisation_by_hand():
    df = pd.DataFrame(
        {
            "victim": ["v1", "v1", "v1", "v2", "v2", "v3", "", None],
            "harm_days": [547.5, 10.0, 2.0, 19.0, 1.0, 365.0, 5.0, 3.0],
        }
    )
    r = crimeharm.repeat_victimisation(df, victim="victim")
    assert (r["victims"], r["repeat_victims"], r["max_crimes"]) == (3, 2, 3)
    assert r["crimes_on_repeat"] == 5
    assert r["crimes"] == 6
    assert r["harm_repeat_share"] == pytest.approx(579.5 / 944.5)
    assert (r["no_id_rows"], r["no_id_harm"]) == (2, 8.0)
    r3 = crimeharm.repeat_victimisation(df, victim="victim", repeat=3)
    assert r3["repeat_victims"] == 1
    with pytest.raises(OptionError):
        crimeharm.repeat_victimisation(df, victim="victim", repeat=1)


AT_RISK = pd.DataFrame(
    {
        "offender": ["a", "a", "a", "b", "b", "c", "d", "e", None],
        "date": ["2019-01-10", "2020-01-10", "2020-03-01", "2023-01-01", "2019-05-05",
                 "2023-02-01", "2022-06-01", "2021-01-01", "2022-01-01"],
        "dob": ["2000-01-01"] * 3 + ["2004-07-01"] * 2 + ["2030-01-01", None,
                                                          "1996-02-29", "1990-01-01"],
        "harm_days": [10.0, 365.0, 19.0, 547.5, 19.0, 2.0, 5.0, 100.0, 7.0],
    }
)  # fmt: skip


def test_harm_per_100_days_since_18_by_hand():
    out = crimeharm.harm_at_risk(
        AT_RISK, person="offender", date="date", birth="dob", as_of="2023-12-31"
    ).set_index("offender")
    # a turns 18 on 2018-01-01: 2018-01-01 .. 2023-12-31 is 2,191 days; all three count
    assert out.loc["a", "days_at_risk"] == 2191
    assert out.loc["a", "harm_per_100_days"] == pytest.approx(394 / 2191 * 100)
    # b turns 18 on 2022-07-01 (549 days to the end of 2023); the 2019 crime was under 18
    assert out.loc["b", "days_at_risk"] == 549
    assert (out.loc["b", "harm_days"], out.loc["b", "rows_under_age"]) == (547.5, 1)
    # e, born 29 February 1996, turns 18 on 1 March 2014
    assert out.loc["e", "at_risk_from"] == np.datetime64("2014-03-01")
    # c's date of birth is after the crime; d has none
    assert out.loc["c", "rows_birth_after_event"] == 1
    assert np.isnan(out.loc["c", "harm_per_100_days"])
    assert pd.isna(out.loc["d", "birth"])
    rules = out.attrs["crimeharm"]["rules"]
    assert {k: v["rows"] for k, v in rules.items()} == {
        "no_id": 1, "excluded": 0, "no_event_date": 0, "no_birth_date": 1,
        "birth_after_event": 1, "under_age": 1, "after_as_of": 0,
    }  # fmt: skip
    assert rules["no_id"]["harm_days"] == 7.0
    counted = out.attrs["crimeharm"]["rows_counted"]
    assert counted + sum(v["rows"] for v in rules.values()) == len(AT_RISK)


def test_from_age_and_as_of_default():
    out = crimeharm.harm_at_risk(
        AT_RISK, person="offender", date="date", birth="dob", from_age=10
    ).set_index("offender")
    assert out.attrs["crimeharm"]["as_of"] == "2023-01-01"  # the latest crime counted
    assert out.loc["b", "rows_under_age"] == 0  # b was 14 in 2019
    assert out.attrs["crimeharm"]["rules"]["after_as_of"]["rows"] == 0


def test_followup_after_a_first_crime():
    out = crimeharm.harm_at_risk(
        AT_RISK, person="offender", date="date", birth="dob", as_of="2023-12-31", followup=365
    ).set_index("offender")
    # a's first crime 2019-01-10 (10 days, not in the rate); then 2020-01-10 (day 365): in
    assert out.loc["a", "first_event"] == np.datetime64("2019-01-10")
    assert out.loc["a", "first_harm"] == 10.0
    assert out.loc["a", "harm_days"] == 365.0  # 2020-03-01 is after the 365 days
    assert out.loc["a", "days_at_risk"] == 365
    assert bool(out.loc["a", "followup_complete"])
    # b's first counted crime is 2023-01-01: 364 days to as_of, window not complete
    assert out.loc["b", "days_at_risk"] == 364
    assert not out.loc["b", "followup_complete"]


def test_conflicting_dates_of_birth_take_the_earliest():
    df = pd.DataFrame(
        {
            "offender": ["a", "a"],
            "date": ["2020-01-01", "2021-01-01"],
            "dob": ["2000-01-01", "2001-01-01"],
            "harm_days": [1.0, 1.0],
        }
    )
    out = crimeharm.harm_at_risk(df, person="offender", date="date", birth="dob")
    assert out.loc[0, "birth"] == np.datetime64("2000-01-01")
    assert out.attrs["crimeharm"]["persons_conflicting_birth"] == 1


def test_bad_inputs():
    with pytest.raises(EmptyDataError):
        crimeharm.harm_per_person(OFFENDERS.iloc[:0], person="offender")
    with pytest.raises(crimeharm.ColumnValueError, match=r"'harm_days'.*5 negative"):
        crimeharm.harm_per_person(
            OFFENDERS.assign(harm_days=-OFFENDERS["harm_days"] + 1), person="offender"
        )
    with pytest.raises(crimeharm.MissingColumnError):
        crimeharm.harm_per_person(OFFENDERS, person="victim")
    with pytest.raises(OptionError, match="followup"):
        crimeharm.harm_at_risk(AT_RISK, person="offender", date="date", birth="dob", followup=0)
    with pytest.raises(OptionError, match="as_of"):
        crimeharm.harm_at_risk(AT_RISK, person="offender", date="date", birth="dob", as_of="x")
