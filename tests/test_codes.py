"""Tests of crimeharm.weights.codes: the written forms of offence codes, and what is not guessed."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crimeharm.weights.codes import (
    canonical_cjs,
    canonical_ho_class,
    canonical_open_data,
    classify_codes,
    normalise_text,
    open_data_from_urn,
)

# --- Home Office classifications -----------------------------------------------------------

HO_FORMS_008_01 = [
    "8/1",
    "008/01",
    "00801",
    "8.01",
    "8/01",
    " 8 / 01 ",
    "008/1",
    "08/01",
    "8-01",
    "8-1",
    "\t8/01\n",
    8.01,  # a spreadsheet cell holding the number 8.01
    np.float64(8.01),
]


@pytest.mark.parametrize("form", HO_FORMS_008_01, ids=repr)
def test_ho_class_written_forms(form):
    assert canonical_ho_class([form]).tolist() == ["008/01"]
    assert classify_codes([form]).tolist() == ["ho_class"]


def test_ho_class_lower_case_and_series():
    # HO classes have no letters; case only matters for the mixed inputs a column holds
    s = pd.Series([" 8 / 01 ".lower(), "5/1", "099/99", "810/90", None], dtype=object)
    assert canonical_ho_class(s).tolist() == ["008/01", "005/01", "099/99", "810/90", None]


def test_ho_class_bounds():
    assert canonical_ho_class(["0/0", "999/99", "999.99", "99999", "000/00"]).tolist() == [
        "000/00",
        "999/99",
        "999/99",
        "999/99",
        "000/00",
    ]


MALFORMED_HO = [
    "8.1",  # one digit after a dot: 008/01, or 8.10 with the spreadsheet's zero lost
    "0801",  # four packed digits: 08/01 or 080/1? not guessed
    "8//1",
    "8/",
    "/01",
    "8/001",
    "1000/01",
    "8.001",
    "008/01/01",
    "8 01",  # inner spaces are removed: '801', not packed HO
    "abc",
    "8N",
    "OF61003",
    "",
    "   ",
    None,
    float("nan"),
    pd.NA,
    801,  # the number 801: a packed 00801 whose zeros a spreadsheet dropped; not guessed
    8.1,  # the number 8.1 (or 8.10): not guessed
    True,
]


@pytest.mark.parametrize("value", MALFORMED_HO, ids=repr)
def test_ho_class_not_guessed(value):
    assert canonical_ho_class([value]).tolist() == [None]


def test_dotted_two_digits_is_always_ho():
    # N.NN is read as a classification, never as open-data N.NN or as N.N with a zero
    assert canonical_ho_class(["8.10", "4.10", "125.12"]).tolist() == ["008/10", "004/10", "125/12"]


def test_classify_missing_and_malformed():
    kinds = classify_codes(["", "  ", None, float("nan"), "abc", "8//1", "0801", "8.1"])
    assert kinds.tolist() == [
        "missing",
        "missing",
        "missing",
        "missing",
        "malformed",
        "malformed",
        "malformed",
        "open_data",  # 8.1 has the form of an open-data subcode (4.1); looked up, never HO
    ]


# --- open-data and CJS codes ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("8N", "8N"),
        ("8n", "8N"),
        ("08N", "8N"),
        ("28E", "28E"),
        (" 28e ", "28E"),
        ("028E", "28E"),
        ("105A", "105A"),
        ("802", "802"),
        (802, "802"),
        ("4.10", "4.10"),
        ("4.1", "4.1"),
        ("37.2", "37.2"),
    ],
)
def test_open_data_forms(value, expected):
    assert canonical_open_data([value]).tolist() == [expected]


def test_open_data_malformed():
    got = canonical_open_data(["NN", "8/01", "1234", "8NNN", "N8", "", None, "4.100"])
    assert got.tolist() == [None] * 8


def test_dotted_open_data_needs_code_system():
    # "4.10" is read as HO 004/10 by form; it is open-data 4.10 only when asked for
    assert classify_codes(["4.10"]).tolist() == ["ho_class"]
    assert canonical_ho_class(["4.10"]).tolist() == ["004/10"]
    assert canonical_open_data(["4.10"]).tolist() == ["4.10"]
    assert classify_codes(["8N", "28E", "105A"]).tolist() == ["open_data"] * 3


def test_open_data_from_urn_keeps_the_dotted_codes():
    urns = pd.Series(["4.3.4.3.0", " 37.2.37.2.0 ", "4.10.4.10.0A", "8N.8.1.1", "NN.111.5.0"])
    got = open_data_from_urn(urns).tolist()
    assert got == ["4.3", "37.2", "4.10", "8N", "NN"]
    # the dotted ones are open-data subcodes, read back as such
    assert canonical_open_data(got[:3]).tolist() == got[:3]


def test_open_data_from_urn_short_and_missing():
    got = open_data_from_urn(["8N.8.1", "8N", "", "  ", None, np.nan, pd.NA])
    assert got.tolist() == ["8N", "8N", None, None, None, None, None]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("OF61003", "OF61003"),
        ("of61003", "OF61003"),
        (" OF61003 ", "OF61003"),
        ("OF61003A", "OF61003A"),
        ("COML025C", "COML025C"),
        ("coml025", "COML025"),
        ("SX03234", "SX03234"),
    ],
)
def test_cjs_forms(value, expected):
    assert canonical_cjs([value]).tolist() == [expected]
    assert classify_codes([value]).tolist() == ["cjs"]


def test_cjs_malformed():
    values = ["OF6100", "OF610033", "COML25", "O61003", "N/A", "", None]
    assert canonical_cjs(values).tolist() == [None] * len(values)


def test_normalise_text():
    got = normalise_text([" 8 / 01", "28e", "", None, 801, 8.01, 8.0, float("nan")])
    assert got.tolist() == ["8/01", "28E", None, None, "801", "8.01", "8", None]


def test_functions_accept_arrays_and_series():
    values = ["8/1", "8N", None]
    for arg in (values, np.array(values, dtype=object), pd.Series(values), pd.Index(values)):
        assert canonical_ho_class(arg).tolist() == ["008/01", None, None]
    assert canonical_ho_class([]).tolist() == []


# --- property: every written form of (class, subclass) is the same code ---------------------


@given(c=st.integers(0, 999), s=st.integers(0, 99))
def test_property_all_written_forms_agree(c, s):
    forms = [
        f"{c}/{s}",
        f"{c:03d}/{s:02d}",
        f"{c:03d}{s:02d}",
        f"{c}.{s:02d}",
        f"{c}/{s:02d}",
        f" {c} / {s:02d} ",
        f"{c}-{s:02d}",
        f"{c}-{s}",
        f"{c:02d}/{s}",
    ]
    expected = f"{c:03d}/{s:02d}"
    assert canonical_ho_class(forms).tolist() == [expected] * len(forms)
    assert classify_codes(forms).tolist() == ["ho_class"] * len(forms)


@given(c=st.integers(0, 999), s=st.integers(0, 9))
def test_property_one_digit_after_dot_is_never_ho(c, s):
    # c.s could be c/0s or c.s0 with a lost zero: never read as a classification
    assert canonical_ho_class([f"{c}.{s}"]).tolist() == [None]


@given(c=st.integers(0, 99), s=st.integers(0, 99))
def test_property_four_packed_digits_are_not_guessed(c, s):
    assert canonical_ho_class([f"{c:02d}{s:02d}"]).tolist() == [None]


@settings(deadline=None)  # a property, not a speed test: a loaded machine must not fail it
@given(st.lists(st.sampled_from(["8/1", "00801", "8N", "OF61003", "", None, "x", 8.01])))
def test_property_elementwise(values):
    # a value's reading does not depend on its neighbours
    whole = classify_codes(values).tolist()
    assert whole == [classify_codes([v])[0] for v in values]
    canon = canonical_ho_class(values).tolist()
    assert canon == [canonical_ho_class([v])[0] for v in values]
    assert all(c is None or (isinstance(c, str) and len(c) == 6) for c in canon)
    assert not any(isinstance(c, float) and math.isnan(c) for c in canon)
