"""Tests of crimeharm.scoring.summary: the reconciliation summary and its one text form."""

from __future__ import annotations

import json
import re
import warnings

import pandas as pd
import pytest

import crimeharm
from crimeharm import Summary
from crimeharm.reasons import REASONS

RECORDS = pd.DataFrame(
    {
        "offence_code": ["8/6", "034/01", "999/99", "00806", "28E", "8/6", "", "92A"],
        "when": [
            "2024-01-05",
            "2024-02-10",
            "2024-03-01",
            "05/04/2024",
            "2024-04-30",
            "junk",
            "2024-06-01",
            "2024-06-02",
        ],
    }
)


@pytest.fixture(scope="module")
def summary() -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", crimeharm.UnknownCodeWarning)
        out = crimeharm.harm_index(RECORDS, date="when", period="quarter")
    return out.attrs["crimeharm"]["summary"]


def test_from_dict_rebuilds_what_as_dict_gave(summary):
    assert Summary.from_dict(summary).as_dict() == summary
    # the JSON form a Parquet file keeps (pairs as lists) reads the same
    again = Summary.from_dict(json.loads(json.dumps(summary))).as_dict()
    assert json.dumps(again) == json.dumps(summary)


def test_to_text_reports_every_count(summary):
    s = Summary.from_dict(summary)
    assert s.reconciles()
    text = s.to_text()
    excluded = sum(summary["rows_excluded"].values())
    assert re.search(rf"^rows read +{summary['rows_in']:,}$", text, re.MULTILINE)
    assert re.search(rf"^rows included +{summary['rows_included']:,}$", text, re.MULTILINE)
    assert re.search(rf"^rows excluded +{excluded:,}$", text, re.MULTILINE)
    lines = [line.split() for line in text.splitlines() if line.startswith("  excluded ")]
    assert [(r, int(n.replace(",", ""))) for _, r, n, *_ in lines] == [
        (r, summary["rows_excluded"][r]) for r in REASONS if r in summary["rows_excluded"]
    ]
    assert "unknown codes    999/99 (1)" in text
    assert "unparseable dates, e.g. 'junk'" in text
    assert text.splitlines()[-1] == (
        f"weights          {summary['edition']}  sha256 {summary['edition_sha256']}"
    )
    assert "NOT RECONCILED" not in text


def test_to_text_says_when_the_rows_do_not_reconcile(summary):
    s = Summary.from_dict(summary)
    s.rows_in += 1
    assert not s.reconciles()
    assert (
        f"NOT RECONCILED: rows read {s.rows_in:,} != included + excluded {s.rows_in - 1:,}"
        in s.to_text()
    )


def test_to_text_flags_proxy_weights_and_adds_notes(summary):
    s = Summary.from_dict({**summary, "scheme": "cchi-proxy", "notes": ["a note"]})
    lines = s.to_text().splitlines()
    assert lines[-2].endswith("[PROXY weights per crime type]")
    assert lines[-1] == "a note"
