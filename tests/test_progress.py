"""progress=: a bar (tqdm) or a line on stderr, only on a terminal or when asked."""

from __future__ import annotations

import pandas as pd
import pytest

import crimeharm
from crimeharm.errors import OptionError
from crimeharm.scoring import progress as module

DF = pd.DataFrame(
    {"offence_code": ["8/6", "034/01", "092/10"] * 400, "area": ["A", "B", "C"] * 400}
)
N = len(DF)


def test_true_shows_a_bar_on_stderr(capsys):
    pytest.importorskip("tqdm")
    crimeharm.harm_index(DF, by="area", batch_rows=100, progress=True)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "rows scored" in captured.err
    assert "1.20k/1.20k" in captured.err  # tqdm's count of the rows, of the rows known


def test_without_tqdm_a_line_of_text(capsys, monkeypatch):
    monkeypatch.setattr(module, "_tqdm", lambda: None)
    crimeharm.harm_index(DF, by="area", batch_rows=100, progress=True)
    err = capsys.readouterr().err
    assert f"\rrows scored: {N:,} / {N:,} (100%)" in err
    assert err.endswith("\n")


def test_series_passes_it_on(capsys, monkeypatch):
    monkeypatch.setattr(module, "_tqdm", lambda: None)
    crimeharm.series(DF, by="area", batch_rows=100, progress=True)
    assert f"rows scored: {N:,}" in capsys.readouterr().err


def test_the_default_shows_nothing_when_stderr_is_not_a_terminal(capsys):
    crimeharm.harm_index(DF, by="area", batch_rows=100)
    assert capsys.readouterr().err == ""


def test_the_default_shows_it_on_a_terminal_for_a_long_run(capsys, monkeypatch):
    monkeypatch.setattr(module, "_is_terminal", lambda file: True)
    monkeypatch.setattr(module, "_tqdm", lambda: None)
    monkeypatch.setattr(module, "DELAY", 0.0)
    crimeharm.harm_index(DF, by="area", batch_rows=100)
    assert f"rows scored: {N:,}" in capsys.readouterr().err


def test_the_default_waits_before_it_shows_a_short_run(capsys, monkeypatch):
    monkeypatch.setattr(module, "_is_terminal", lambda file: True)
    monkeypatch.setattr(module, "_tqdm", lambda: None)
    monkeypatch.setattr(module, "DELAY", 3600.0)
    crimeharm.harm_index(DF, by="area", batch_rows=100)
    assert capsys.readouterr().err == ""


def test_false_shows_nothing_even_on_a_terminal(capsys, monkeypatch):
    monkeypatch.setattr(module, "_is_terminal", lambda file: True)
    monkeypatch.setattr(module, "DELAY", 0.0)
    crimeharm.harm_index(DF, by="area", batch_rows=100, progress=False)
    assert capsys.readouterr().err == ""


def test_a_callable_is_called_and_nothing_shown(capsys):
    seen: list[int] = []
    crimeharm.harm_index(
        DF,
        by="area",
        batch_rows=500,
        progress=seen.append,
    )
    assert seen == [500, 1000, N]
    assert capsys.readouterr().err == ""


def test_a_stream_of_unknown_length_is_counted(capsys, monkeypatch):
    monkeypatch.setattr(module, "_tqdm", lambda: None)
    import pyarrow as pa

    reader = pa.Table.from_pandas(DF).to_reader(max_chunksize=100)
    crimeharm.harm_index(reader, by="area", batch_rows=100, progress=True)
    err = capsys.readouterr().err
    assert f"rows scored: {N:,}," in err
    assert "%" not in err


@pytest.mark.parametrize("bad", ["yes", 1, 0.5])
def test_anything_else_is_refused(bad):
    with pytest.raises(OptionError, match=f"progress={bad!r}"):
        crimeharm.harm_index(DF, progress=bad)


def test_the_command_line_can_turn_it_off(cli, tmp_path, monkeypatch):
    monkeypatch.setattr(module, "_is_terminal", lambda file: True)
    monkeypatch.setattr(module, "DELAY", 0.0)
    path = tmp_path / "r.csv"
    DF.to_csv(path, index=False)
    code, _, err = cli("score", path, "--by", "area", "--no-progress")
    assert code == 0
    assert "rows scored" not in err
    code, _, err = cli("score", path, "--by", "area")
    assert code == 0
    assert "rows scored" in err
