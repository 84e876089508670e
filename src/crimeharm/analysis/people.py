"""Harm by person: per offender or victim, repeat victimisation, and harm per days at risk.

The functions take scored records (the output of :func:`crimeharm.score`, or
any table with a person id column and a harm column) and follow the rules of
:mod:`crimeharm.analysis.units`: a person id that is null or blank is *no id*,
counted in the output (a row ``no id``, or counts in ``attrs``), never
dropped. Records that :func:`crimeharm.score` excluded (a reason in its
``excluded`` column) are not crimes of the index: they are left out and
counted (``rows_excluded``).

Power-few curves are :func:`crimeharm.lorenz` and
:func:`crimeharm.concentration` with ``unit=`` the person column (e.g. the
share of harm from the top 1% of offenders, and the share of offenders that
accounts for 80% of harm).

Harm per days at risk (Sherman, Neyroud & Neyroud 2016: "By comparing the
CHI values per 100 days since turning age 18 years ...") puts people of
different ages on one footing. :func:`harm_at_risk` counts each person's
days at risk from the day they turned ``from_age`` (18 by default; 10 when
records start at the age of criminal responsibility, as the paper allows) to
``as_of``, or, with ``followup=N``, the ``N`` days after their first counted
crime (cut at ``as_of``). A person born on 29 February turns an age on
1 March in years that are not leap years. Rows are checked against the
rules below, in this order; a row that breaks one is not counted in any
rate, and every rule's rows, crimes and harm are reported in
``attrs["crimeharm"]["rules"]``:

======================  =====================================================
rule                    the row
======================  =====================================================
``no_id``               has no person id
``excluded``            was excluded by the scorer (its ``excluded`` reason)
``no_event_date``       has no readable event date
``no_birth_date``       its person has no readable date of birth
``birth_after_event``   the date of birth is after the event
``under_age``           the person was under ``from_age`` at the event
``after_as_of``         the event is after ``as_of``
======================  =====================================================

A person whose rows carry different dates of birth takes the earliest; such
persons are counted (``persons_conflicting_birth``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from crimeharm.analysis.units import (
    NO_ID,
    UnitTotals,
    columns_of,
    included_rows,
    numbers,
    unit_totals,
)
from crimeharm.errors import EmptyDataError, OptionError
from crimeharm.scoring.dates import DAY_BAD, dates_to_days, day_of

__all__ = ["RULES", "harm_at_risk", "harm_per_person", "repeat_victimisation"]

#: The row rules of :func:`harm_at_risk`, in the order they are applied.
RULES = (
    "no_id",
    "excluded",
    "no_event_date",
    "no_birth_date",
    "birth_after_event",
    "under_age",
    "after_as_of",
)


def _names(data: Any) -> list[str]:
    if isinstance(data, pa.Table):
        return list(data.schema.names)
    return list(getattr(data, "columns", []))


def _read(
    data: Any, person: str, value: str, count: str | None, extra: Sequence[str] = ()
) -> tuple[dict[str, Any], np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Columns, harm and crimes per row (None: one per row), and the rows the scorer kept.

    The kept rows are None when every row is kept.
    """
    have = _names(data)
    use_count = count if count is not None and count in have else None
    wanted = [person, value, *extra]
    if use_count is not None:
        wanted.append(use_count)
    cols = columns_of(data, wanted, source="data")
    n = len(cols[person])
    if n == 0:
        raise EmptyDataError("the records have no rows: there is no one to measure")
    kept = included_rows(data)
    harm = numbers(cols[value], name=value)
    crimes = numbers(cols[use_count], name=use_count) if use_count else None
    return cols, harm, crimes, kept


def _values(harm: np.ndarray, crimes: np.ndarray | None, value: str) -> dict[str, np.ndarray]:
    return {value: harm} if crimes is None else {value: harm, "crimes": crimes}


def _crimes(totals: UnitTotals) -> tuple[np.ndarray, float]:
    """Crimes per unit and of the rows without an id (rows, when there is no count column)."""
    if "crimes" in totals.sums:
        return totals.sums["crimes"], totals.no_id_sums["crimes"]
    return totals.rows.astype(float), float(totals.no_id_rows)


def harm_per_person(
    data: Any,
    *,
    person: str,
    value: str = "harm_days",
    count: str | None = "crimes",
) -> pd.DataFrame:
    """Crimes and harm per person (offender or victim), most harm first.

    Parameters
    ----------
    data : pandas.DataFrame, pyarrow.Table or path
        Scored records (:func:`crimeharm.score`), one row per crime and
        person (a crime with two offenders is two rows).
    person : str
        The person id column.
    value : str
        The harm column (days).
    count : str, optional
        The crimes column, when there is one (``crimes`` from ``score``);
        otherwise each row is one crime.

    Returns
    -------
    pandas.DataFrame
        One row per person, most harm first (ties by id): ``person`` (the id
        column's name), ``crimes``, ``harm_days`` (the ``value`` column's
        name) and ``harm_share`` (of all harm counted, the ``no id`` row's
        included); then one row ``no id`` for the rows without an id, if
        any (ids that are not text are then written as text).
        ``attrs["crimeharm"]`` has ``persons``, ``no_id_rows`` and
        ``rows_excluded`` (rows the scorer excluded: not counted).

    Examples
    --------
    >>> import pandas as pd, crimeharm
    >>> df = pd.DataFrame({"offender": ["p1", "p2", "p1", None, " "],
    ...                    "harm_days": [365.0, 10.0, 2.0, 19.0, 1.0]})
    >>> crimeharm.harm_per_person(df, person="offender").round(3)
      offender  crimes  harm_days  harm_share
    0       p1     2.0      367.0       0.924
    1       p2     1.0       10.0       0.025
    2    no id     2.0       20.0       0.050
    """
    cols, harm, crimes, kept = _read(data, person, value, count)
    totals = unit_totals(cols, unit=[person], values=_values(harm, crimes, value), mask=kept)
    per_unit, no_id_crimes = _crimes(totals)
    order = totals.order(value)
    ids = totals.key_arrays[0].take(pa.array(order, type=pa.int64()))
    c = per_unit[order]
    h = totals.sums[value][order]
    if totals.no_id_rows:
        if not (pa.types.is_string(ids.type) or pa.types.is_large_string(ids.type)):
            ids = ids.cast(pa.string())  # ids that are not text are written as text beside it
        ids = pa.concat_arrays([ids, pa.array([NO_ID], type=ids.type)])
        c = np.append(c, no_id_crimes)
        h = np.append(h, totals.no_id_sums[value])
    total = float(h.sum())
    out = pd.DataFrame({person: ids.to_pandas(), "crimes": c, value: h})
    out["harm_share"] = h / total if total > 0 else np.nan
    out.attrs["crimeharm"] = {
        "persons": len(totals),
        "no_id_rows": totals.no_id_rows,
        "rows_excluded": totals.left_out_rows,
        "ties": "persons of equal harm ordered by id, ascending",
    }
    return out


def repeat_victimisation(
    data: Any,
    *,
    victim: str,
    value: str = "harm_days",
    count: str | None = "crimes",
    repeat: int = 2,
) -> pd.Series:
    """Repeat victimisation: how many victims suffer ``repeat`` crimes or more, and their harm.

    Parameters
    ----------
    data : pandas.DataFrame, pyarrow.Table or path
        Scored records with a victim id column (one row per crime and victim).
    victim : str
        The victim id column.
    value, count
        As for :func:`harm_per_person`.
    repeat : int
        A repeat victim has at least this many crimes (2).

    Returns
    -------
    pandas.Series
        ``victims``, ``repeat_victims``, ``victims_repeat_share``,
        ``crimes``, ``crimes_on_repeat``, ``crimes_repeat_share``,
        ``harm_days``, ``harm_on_repeat``, ``harm_repeat_share`` (harm in
        days), ``crimes_per_victim``, ``max_crimes`` (the most crimes of one
        victim), and the rows without a victim id (``no_id_rows``,
        ``no_id_crimes``, ``no_id_harm``: not victims, not in the shares) and
        those the scorer excluded (``rows_excluded``).

    Examples
    --------
    >>> import pandas as pd, crimeharm
    >>> df = pd.DataFrame({"victim": ["v1", "v1", "v2", "v3", ""],
    ...                    "harm_days": [547.5, 365.0, 10.0, 2.0, 5.0]})
    >>> r = crimeharm.repeat_victimisation(df, victim="victim")
    >>> r[["victims", "repeat_victims", "harm_repeat_share", "no_id_rows"]].round(3).tolist()
    [3.0, 1.0, 0.987, 1.0]
    """
    if isinstance(repeat, bool) or not isinstance(repeat, int | np.integer) or repeat < 2:
        raise OptionError(f"repeat={repeat!r}; expected a whole number of crimes >= 2")
    cols, harm, crimes, kept = _read(data, victim, value, count)
    totals = unit_totals(cols, unit=[victim], values=_values(harm, crimes, value), mask=kept)
    if len(totals) == 0:
        raise EmptyDataError(f"no victim: every counted row has no {victim!r} id")
    (c, no_id_crimes), h = _crimes(totals), totals.sums[value]
    rep = c >= repeat
    n = float(len(c))
    h_total, c_total = float(h.sum()), float(c.sum())
    return pd.Series(
        {
            "victims": n,
            "repeat_victims": float(rep.sum()),
            "victims_repeat_share": float(rep.sum()) / n,
            "crimes": c_total,
            "crimes_on_repeat": float(c[rep].sum()),
            "crimes_repeat_share": float(c[rep].sum()) / c_total if c_total else np.nan,
            value: h_total,
            "harm_on_repeat": float(h[rep].sum()),
            "harm_repeat_share": float(h[rep].sum()) / h_total if h_total else np.nan,
            "crimes_per_victim": c_total / n,
            "max_crimes": float(c.max()),
            "no_id_rows": float(totals.no_id_rows),
            "no_id_crimes": no_id_crimes,
            "no_id_harm": totals.no_id_sums[value],
            "rows_excluded": float(totals.left_out_rows),
        },
        name="repeat_victimisation",
    )


def _birthday(birth: np.ndarray, years: int) -> np.ndarray:
    """The day (days since 1970-01-01) each person born on ``birth`` turns ``years``.

    29 February gives 1 March in years that are not leap years.
    """
    d = birth.astype("datetime64[D]")
    month = d.astype("datetime64[M]")
    day_in_month = (d - month.astype("datetime64[D]")).astype(np.int64)
    later = (month.astype(np.int64) + 12 * years).astype("datetime64[M]").astype("datetime64[D]")
    return later.astype(np.int64) + day_in_month


def harm_at_risk(
    data: Any,
    *,
    person: str,
    date: str,
    birth: str,
    as_of: Any = None,
    from_age: int = 18,
    per: float = 100,
    followup: int | None = None,
    value: str = "harm_days",
    count: str | None = "crimes",
    date_format: str | None = None,
) -> pd.DataFrame:
    """Harm per ``per`` days at risk since age ``from_age``, or in a follow-up after a first crime.

    Parameters
    ----------
    data : pandas.DataFrame, pyarrow.Table or path
        Scored records with person, event date and date of birth columns.
    person : str
        The person id column (offender).
    date : str
        The event date column (``period_date`` of :func:`crimeharm.score`,
        or the committed date).
    birth : str
        The date of birth column.
    as_of : date-like, optional
        The end of the time at risk (inclusive); by default the latest event
        date counted in the data.
    from_age : int
        The age, in years, from which days count as at risk (18; 10 for
        records from the age of criminal responsibility).
    per : float
        The rate base, days (100).
    followup : int, optional
        Days: count the harm of crimes on the days after each person's first
        counted crime, up to ``followup`` days later (and ``as_of``); days
        at risk are those days.
    value, count
        As for :func:`harm_per_person`.
    date_format : str, optional
        One ``strftime`` format for text dates (ISO 8601 and UK day-first
        forms are read without it).

    Returns
    -------
    pandas.DataFrame
        One row per person with an id, most harm per day first: ``person``,
        ``birth``, ``at_risk_from``, ``at_risk_to`` (dates),
        ``days_at_risk``, ``crimes``, the harm column, ``harm_per_<per>_days``
        (NaN when no day at risk), ``rows_under_age`` and
        ``rows_birth_after_event``; with ``followup`` also ``first_event``,
        ``first_harm`` (the harm on that day, not in the rate) and
        ``followup_complete`` (the whole window is before ``as_of``).
        ``attrs["crimeharm"]["rules"]`` counts the rows, crimes and harm of
        each rule (see the module docstring); ``attrs`` also has ``as_of``,
        ``persons_conflicting_birth`` and ``persons_not_at_risk``.

    Examples
    --------
    >>> import pandas as pd, crimeharm
    >>> df = pd.DataFrame({
    ...     "offender": ["a", "a", "b", "b", "c"],
    ...     "date": ["2020-01-10", "2021-06-01", "2023-01-01", "2019-05-05", "2023-02-01"],
    ...     "dob": ["2000-01-01", "2000-01-01", "2004-07-01", "2004-07-01", "2030-01-01"],
    ...     "harm_days": [365.0, 10.0, 547.5, 19.0, 2.0]})
    >>> out = crimeharm.harm_at_risk(df, person="offender", date="date", birth="dob",
    ...                              as_of="2023-12-31")
    >>> out[["offender", "days_at_risk", "harm_days", "harm_per_100_days", "rows_under_age"]]
      offender  days_at_risk  harm_days  harm_per_100_days  rows_under_age
    0        b           549      547.5          99.726776               1
    1        a          2191      375.0          17.115472               0
    2        c             0        0.0                NaN               0
    >>> out.attrs["crimeharm"]["rules"]["birth_after_event"]["rows"]
    1
    """
    if isinstance(from_age, bool) or not isinstance(from_age, int | np.integer) or from_age < 0:
        raise OptionError(f"from_age={from_age!r}; expected a whole number of years >= 0")
    if followup is not None and (
        isinstance(followup, bool) or not isinstance(followup, int | np.integer) or followup < 1
    ):
        raise OptionError(f"followup={followup!r}; expected a whole number of days >= 1")
    if isinstance(per, bool) or not isinstance(per, int | float) or per <= 0:
        raise OptionError(f"per={per!r}; expected a number of days > 0")
    cols, harm, crimes, kept = _read(data, person, value, count, extra=[date, birth])
    if crimes is None:
        crimes = np.ones(len(harm))
    if kept is None:
        kept = np.ones(len(harm), dtype=bool)
    n = len(harm)
    event, _ = dates_to_days(cols[date], date_format=date_format)
    born, _ = dates_to_days(cols[birth], date_format=date_format)
    has_event = event > DAY_BAD
    has_birth = born > DAY_BAD
    empty = unit_totals(cols, unit=[person], values={}, mask=None)
    pid = empty.unit_of_row
    n_persons = len(empty)
    # a person's date of birth: the earliest of their rows'
    big = np.iinfo(np.int64).max
    b_min = np.full(n_persons, big, dtype=np.int64)
    b_max = np.full(n_persons, np.iinfo(np.int64).min, dtype=np.int64)
    ok_b = (pid >= 0) & has_birth
    np.minimum.at(b_min, pid[ok_b], born[ok_b])
    np.maximum.at(b_max, pid[ok_b], born[ok_b])
    person_has_birth = b_min != big
    conflicting = int((person_has_birth & (b_max != b_min)).sum())
    birth_of_row = np.where(pid >= 0, b_min[np.maximum(pid, 0)], big)
    row_has_birth = (pid >= 0) & (birth_of_row != big)
    turns = np.full(n_persons, big, dtype=np.int64)
    turns[person_has_birth] = _birthday(b_min[person_has_birth], int(from_age))
    turns_row = np.where(row_has_birth, turns[np.maximum(pid, 0)], big)
    rule = np.full(n, -1, dtype=np.int8)

    def mark(mask: np.ndarray, name: str) -> None:
        rule[(rule < 0) & mask] = RULES.index(name)

    mark(pid < 0, "no_id")
    mark(~kept, "excluded")
    mark(~has_event, "no_event_date")
    mark(~row_has_birth, "no_birth_date")
    mark(has_event & row_has_birth & (birth_of_row > event), "birth_after_event")
    mark(has_event & row_has_birth & (event < turns_row), "under_age")
    ok_so_far = rule < 0
    if as_of is None:
        if not ok_so_far.any():
            raise EmptyDataError("no row passes the rules: give as_of= to count days at risk")
        end = int(event[ok_so_far].max())
    else:
        day = day_of(as_of, "as_of")
        if day is None:  # pragma: no cover - as_of is not None here
            raise OptionError("as_of= is not a date")
        end = day
    mark(event > end, "after_as_of")
    counted = rule < 0
    # per person
    cnt = np.bincount(pid[counted], weights=crimes[counted], minlength=n_persons)
    hm = np.bincount(pid[counted], weights=harm[counted], minlength=n_persons)
    under = np.bincount(pid[rule == RULES.index("under_age")], minlength=n_persons)
    after_birth = np.bincount(pid[rule == RULES.index("birth_after_event")], minlength=n_persons)
    start = turns.copy()
    stop = np.full(n_persons, end, dtype=np.int64)
    extra: dict[str, Any] = {}
    if followup is not None:
        first = np.full(n_persons, big, dtype=np.int64)
        np.minimum.at(first, pid[counted], event[counted])
        has_first = first != big
        first_row = first[np.maximum(pid, 0)]
        on_first = counted & (event == first_row)
        within = counted & (event > first_row) & (event <= first_row + followup)
        cnt = np.bincount(pid[within], weights=crimes[within], minlength=n_persons)
        hm = np.bincount(pid[within], weights=harm[within], minlength=n_persons)
        first_harm = np.bincount(pid[on_first], weights=harm[on_first], minlength=n_persons)
        start = np.where(has_first, first + 1, big)
        stop = np.where(has_first, np.minimum(first + followup, end), end)
        extra = {
            "first_event": _dates(np.where(has_first, first, big)),
            "first_harm": first_harm,
            "followup_complete": has_first & (first + followup <= end),
        }
    valid_start = start != big
    days = np.where(valid_start, np.maximum(stop - np.where(valid_start, start, 0) + 1, 0), 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(days > 0, hm / days * per, np.nan)
    out = pd.DataFrame(
        {
            person: empty.keys[person].to_numpy(),
            "birth": _dates(np.where(person_has_birth, b_min, big)),
            "at_risk_from": _dates(start),
            "at_risk_to": _dates(np.where(valid_start, stop, big)),
            "days_at_risk": days.astype(np.int64),
            "crimes": cnt,
            value: hm,
            f"harm_per_{_num(per)}_days": rate,
            "rows_under_age": under.astype(np.int64),
            "rows_birth_after_event": after_birth.astype(np.int64),
            **extra,
        }
    )
    order = empty.order_of(np.nan_to_num(rate, nan=-1.0))
    out = out.iloc[order].reset_index(drop=True)
    rules = {}
    for i, name in enumerate(RULES):
        m = rule == i
        rules[name] = {
            "rows": int(m.sum()),
            "crimes": float(crimes[m].sum()),
            "harm_days": float(harm[m].sum()),
        }
    out.attrs["crimeharm"] = {
        "as_of": str(np.datetime64(end, "D")),
        "from_age": int(from_age),
        "per_days": per,
        "followup_days": followup,
        "rows_counted": int(counted.sum()),
        "rules": rules,
        "persons": n_persons,
        "persons_conflicting_birth": conflicting,
        "persons_not_at_risk": int((days <= 0).sum()),
        "no_id": NO_ID,
    }
    return out


def _dates(days: np.ndarray) -> np.ndarray:
    """Day numbers as ``datetime64[D]``, NaT where the sentinel (int64 max) stands."""
    big = np.iinfo(np.int64).max
    out = np.full(len(days), np.datetime64("NaT"), dtype="datetime64[D]")
    ok = days != big
    out[ok] = days[ok].astype("datetime64[D]")
    return out


def _num(per: float) -> str:
    return str(int(per)) if float(per).is_integer() else str(per).replace(".", "_")
