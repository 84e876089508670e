"""Tests of crimeharm.weights.diff: comparing two weights editions."""

from __future__ import annotations

import io
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest

from crimeharm import OptionError, WeightTable, load_weights
from crimeharm.weights.diff import DIFF_BY, diff_editions
from crimeharm.weights.table import AMBIGUITY_RULES

SHIPPED = resources.files("crimeharm.weights.data").joinpath("cchi-2020.csv").read_bytes()


@pytest.fixture
def edited(tmp_path) -> Path:
    """cchi-2020 with one offence re-scored, one removed and one added."""
    frame = pd.read_csv(io.BytesIO(SHIPPED), dtype=str, keep_default_na=False)
    frame.loc[frame["key"] == "8N.8.1.1", "days"] = "600"
    frame = frame[frame["key"] != "1.1.2.0"]
    added = frame.iloc[[0]].assign(key="ZZ.999.1.0", days="5", ho_class="999/01", title="Added")
    path = tmp_path / "edited.csv"
    pd.concat([frame, added], ignore_index=True).to_csv(path, index=False)
    return path


def test_by_key(edited):
    old = load_weights("cchi-2020")
    parts = diff_editions(old, edited)
    assert list(parts) == ["added", "removed", "rescored", "unchanged"]
    assert list(parts["added"].index) == ["ZZ.999.1.0"]
    assert parts["added"][["days", "title"]].iloc[0].tolist() == [5.0, "Added"]
    assert list(parts["removed"].index) == ["1.1.2.0"]
    assert list(parts["rescored"].index) == ["8N.8.1.1"]
    assert parts["rescored"][["old_days", "new_days"]].iloc[0].tolist() == [547.5, 600.0]
    # every key of either edition is in exactly one part
    assert len(parts["rescored"]) + len(parts["unchanged"]) + len(parts["removed"]) == len(old)


def test_ids_paths_and_tables_are_read_alike(edited):
    by_table = diff_editions(load_weights("cchi-2020"), WeightTable.from_csv(edited))
    for old, new in (("cchi-2020", str(edited)), ("cchi-2020", edited)):
        got = diff_editions(old, new)
        for name, frame in by_table.items():
            pd.testing.assert_frame_equal(got[name], frame)


def test_by_code_uses_the_ambiguity_rule(edited):
    base = diff_editions("cchi-2020", edited, by="ho_class")
    assert list(base["rescored"].index) == ["008/01"]  # its base offence, 8N.8.1.1
    assert list(base["removed"].index) == ["001/02"]
    assert list(base["added"].index) == ["999/01"]
    # under "max", 008/01 is scored by 8S.8.1.1 (912.5), which did not change
    high = diff_editions("cchi-2020", edited, by="ho_class", rule="max")
    assert "008/01" in high["unchanged"].index
    detail = high["unchanged"].loc["008/01", "title"]
    assert (
        detail
        == f"{int(load_weights().index('ho_class').loc['008/01', 'n_rows'])}, ambiguous (max)"
    )


def test_editions_of_different_schemes():
    parts = diff_editions("cchi-2016-beta", "cchi-2020")  # no key in common
    assert len(parts["added"]) == len(load_weights("cchi-2020"))
    assert len(parts["removed"]) == len(load_weights("cchi-2016-beta"))
    assert parts["rescored"].empty
    assert parts["unchanged"].empty


@pytest.mark.parametrize(("option", "value"), [("by", "cjs"), ("by", "title"), ("rule", "mean")])
def test_bad_options_are_option_errors(option, value):
    with pytest.raises(OptionError, match=repr(value)) as e:
        diff_editions("cchi-2020", "cchi-2020", **{option: value})
    assert e.value.values == [value]
    assert e.value.allowed == list(DIFF_BY if option == "by" else AMBIGUITY_RULES)
