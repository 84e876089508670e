"""Tests of crimeharm.vocabulary: one set of yes/no words for weights tables and records."""

from __future__ import annotations

import pandas as pd
import pytest

from crimeharm.errors import ColumnValueError, WeightsValidationError
from crimeharm.scoring.columns import to_flag
from crimeharm.vocabulary import FALSE_WORDS, FLAG_WORDS, TRUE_WORDS
from crimeharm.weights.table import validate_table

WORDS = sorted(TRUE_WORDS | FALSE_WORDS)
# each word as people write it: lower case, title case, with spaces around
WRITTEN = [
    w for word in WORDS for w in dict.fromkeys([word, word.lower(), word.title(), f" {word} "])
]


def _table_flag(value: object) -> bool:
    frame = pd.DataFrame({"key": ["a"], "days": [1.0], "police_generated": [value]})
    return bool(validate_table(frame)["police_generated"].iloc[0])


def _record_flag(value: object) -> bool:
    """The flag of ``value`` in a records column that also holds a yes."""
    return bool(to_flag(pd.Series([value, "yes"], dtype=object), name="police_initiated")[0])


def test_the_two_sets_are_disjoint():
    assert not TRUE_WORDS & FALSE_WORDS


@pytest.mark.parametrize("word", WRITTEN)
def test_a_weights_table_and_records_read_a_word_alike(word):
    expected = word.strip().upper() in TRUE_WORDS
    assert _table_flag(word) == _record_flag(word) == expected


@pytest.mark.parametrize("missing", [None, float("nan")])
def test_a_missing_value_is_no_in_both(missing):
    assert _table_flag(missing) is _record_flag(missing) is False


def test_a_records_column_with_no_value_is_all_no():
    flags = to_flag(pd.Series([None, None], dtype=object), name="police_initiated")
    assert flags.tolist() == [False, False]


@pytest.mark.parametrize("bad", ["maybe", "2", "-1", "ja", "YES!", "TRUE FALSE"])
def test_any_other_word_is_refused_by_both_naming_it(bad):
    with pytest.raises(WeightsValidationError, match="police_generated") as table_error:
        _table_flag(bad)
    with pytest.raises(ColumnValueError, match="police_initiated") as record_error:
        _record_flag(bad)
    for error in (table_error.value, record_error.value):
        assert repr(bad) in str(error)
    assert FLAG_WORDS in str(table_error.value)
    assert table_error.value.column == "police_generated"
    assert table_error.value.values == [bad]
