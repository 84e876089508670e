"""The command line's outputs: signals, stale temporary files, devices, FIFOs, standard output,
folders, the umask, extensions, spreadsheet formulas and control characters in messages.

The signal tests run ``python -m crimeharm`` on a generated input large enough that writing its
one-row-per-record CSV takes a second or more, wait until the temporary output file appears,
and then signal the process: the signal arrives while the output is being written.
"""

from __future__ import annotations

import gzip
import io
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import crimeharm
from crimeharm.cli._text import ERROR_LIMIT, printable
from crimeharm.cli.atomic import (
    FORMULA_PREFIX,
    check_output,
    neutralise_formulas,
    remove_stale,
    stop_on_signals,
    temp_name,
)

POSIX = pytest.mark.skipif(os.name != "posix", reason="POSIX signals, devices and FIFOs")
BIG_ROWS = 200_000


RECORDS = pd.DataFrame(
    {
        "code": ["8/6", "034/01", "8/6", "092/10", "8/6", "8/6"],
        "when": [
            "2024-01-05",
            "2024-02-10",
            "2024-02-11",
            "2024-03-01",
            "2024-04-02",
            "2024-05-01",
        ],
        "area": ["=1+1", "+44 7700", "-", "@SUM(A1)", "\tTab", "Plain"],
        "n": [-5, 2, 3, 4, 5, 6],
        "note": ["-5", "+1.5", "-2e3", "-2+3", "- none", "ok"],
    }
)
ARGS = ["--code-col", "code", "--date-col", "when"]


def _accounted(table: pd.DataFrame) -> int:
    """Records included plus excluded in an aggregated table."""
    return int(table["crimes"].sum() + table["excluded"].sum())


@pytest.fixture
def records_csv(tmp_path) -> Path:
    path = tmp_path / "records.csv"
    RECORDS.to_csv(path, index=False)
    return path


@pytest.fixture(scope="session")
def big_csv(tmp_path_factory) -> Path:
    """200,000 records, written once per session (about 5 MB)."""
    path = tmp_path_factory.mktemp("big") / "big.csv"
    rng = np.random.default_rng(7)
    codes = np.array(["8/6", "034/01", "092/10", "00806", "28E", "105A"])
    days = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 700, BIG_ROWS), unit="D")
    pd.DataFrame(
        {
            "code": codes[rng.integers(0, len(codes), BIG_ROWS)],
            "when": days.strftime("%Y-%m-%d"),
            "area": np.char.add("E0", rng.integers(0, 30_000, BIG_ROWS).astype(str)),
        }
    ).to_csv(path, index=False)
    return path


def _cli(*argv: object, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "crimeharm", *map(str, argv)],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".crimeharm-" in p.name)


def _wait_for_temporary(proc: subprocess.Popen, folder: Path, timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = _temporaries(folder)
        if found:
            return found[0]
        assert proc.poll() is None, f"finished before writing: {proc.stderr.read()}"
        time.sleep(0.005)
    proc.kill()
    raise AssertionError("no temporary output file appeared")


# --- signals and stale temporary files --------------------------------------------------------


@POSIX
@pytest.mark.parametrize("signame", ["SIGTERM", "SIGHUP", "SIGINT"])
def test_a_signal_while_writing_leaves_nothing_behind(tmp_path, big_csv, signame):
    signum = getattr(signal, signame)
    proc = _cli("score", big_csv, "-o", "out.csv", "--code-col", "code", cwd=tmp_path)
    tmp = _wait_for_temporary(proc, tmp_path)
    assert tmp == temp_name("out.csv", proc.pid)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signum
    said = "crimeharm: interrupted" if signame == "SIGINT" else f"crimeharm: stopped by {signame}"
    assert err.strip().splitlines() == [said]
    assert list(tmp_path.iterdir()) == []  # neither the output nor its temporary file


@POSIX
def test_the_temporary_file_of_a_killed_run_is_removed_by_the_next_run(tmp_path, big_csv):
    proc = _cli("score", big_csv, "-o", "out.csv", "--code-col", "code", cwd=tmp_path)
    tmp = _wait_for_temporary(proc, tmp_path)
    proc.kill()  # SIGKILL cannot be caught: the temporary file stays
    proc.communicate(timeout=60)
    assert _temporaries(tmp_path) == [tmp]
    assert tmp.endswith(f".crimeharm-{proc.pid}.tmp")
    again = _cli(
        "score", big_csv, "-o", "out.csv", "--code-col", "code", "--by", "area", cwd=tmp_path
    )
    _, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv", "out.csv.provenance.json"]


@POSIX
def test_a_reader_that_stops_early_ends_the_run_quietly(tmp_path, big_csv):
    proc = subprocess.Popen(
        [sys.executable, "-m", "crimeharm", "score", big_csv, "--code-col", "code", "-o", "-"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout.readline().startswith(b"code,when,area,")
    proc.stdout.close()  # as `| head -1` does
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141
    assert "Traceback" not in err
    assert "rows read" not in err  # stopped before the summary
    assert list(tmp_path.iterdir()) == []


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@POSIX
def test_remove_stale_removes_dead_writers_files_only(tmp_path):
    target = tmp_path / "harm.csv"
    dead = tmp_path / temp_name("harm.csv", _dead_pid())
    own = tmp_path / temp_name("harm.csv", os.getpid())  # not this run's: it has written nothing
    live = tmp_path / temp_name("harm.csv", os.getppid())
    other = tmp_path / temp_name("other.csv", _dead_pid())
    for path in (dead, own, live, other):
        path.write_text("half")
    assert sorted(remove_stale(target)) == sorted([dead, own])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, other.name])


def test_a_long_output_name_gets_a_temporary_name_that_fits(tmp_path, records_csv, cli):
    name = "h" * 240 + ".csv"
    assert len(temp_name(name, 4_294_967_295).encode()) <= 255
    code, _, err = cli("score", records_csv, "-o", tmp_path / name, *ARGS)
    assert code == 0, err
    # its sidecar's name would be too long (260 bytes): the CSV is written without one
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([name, "records.csv"])


@POSIX
def test_signal_handlers_are_restored_after_the_run(cli, records_csv):
    before = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGHUP)}
    code, _, _ = cli("score", records_csv, *ARGS)
    assert code == 0
    assert {s: signal.getsignal(s) for s in before} == before


@POSIX
def test_a_signal_raises_terminated_and_is_then_ignored_until_the_block_ends():
    seen = []

    def job() -> None:
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # the handler raises before this ends
        finally:
            os.kill(os.getpid(), signal.SIGTERM)  # a second one during clean-up: ignored
            seen.append("cleaned up")

    with pytest.raises(crimeharm.Terminated) as info, stop_on_signals():
        job()
    assert info.value.signum == signal.SIGTERM
    assert seen == ["cleaned up"]


# --- devices, FIFOs, standard output, folders --------------------------------------------------


@POSIX
def test_dev_null_is_written_not_replaced(cli, records_csv):
    code, out, err = cli("score", records_csv, "-o", "/dev/null", *ARGS)
    assert code == 0, err
    assert "wrote /dev/null" in out
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
def test_a_full_device_is_a_clean_error(cli, records_csv):
    code, _, err = cli("score", records_csv, "-o", "/dev/full", *ARGS)
    cli.assert_clean_error(code, err, "'/dev/full'", "No space left")
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


@POSIX
@pytest.mark.parametrize("name", ["pipe", "pipe.parquet"])
def test_a_fifo_is_written_directly(cli, tmp_path, records_csv, name):
    fifo = tmp_path / name
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    code, _, err = cli("score", records_csv, "-o", fifo, *ARGS, "--by", "area")
    reader.join(timeout=30)
    assert code == 0, err
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    table = pd.read_parquet(io.BytesIO(got[0])) if name.endswith(".parquet") else None
    if table is None:
        table = pd.read_csv(io.BytesIO(got[0]))
    assert table.pipe(_accounted) == len(RECORDS)


def test_stdout_gets_the_csv_and_stderr_the_summary(cli, records_csv):
    code, out, err = cli("score", records_csv, "-o", "-", *ARGS, "--by", "area")
    assert code == 0, err
    table = pd.read_csv(io.StringIO(out))
    assert table.pipe(_accounted) == len(RECORDS)
    assert "rows read" in err
    assert "wrote standard output" in err
    assert "rows read" not in out


@pytest.mark.skipif(not Path("/dev/stdout").exists(), reason="no /dev/stdout")
def test_dev_stdout_redirected_to_a_file_is_standard_output(tmp_path, records_csv):
    target = tmp_path / "redirected.csv"
    with target.open("wb") as fh:
        inode = os.fstat(fh.fileno()).st_ino
        argv = ["score", records_csv, *ARGS, "--by", "area", "-o", "/dev/stdout"]
        done = subprocess.run(
            [sys.executable, "-m", "crimeharm", *argv],
            stdout=fh,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    assert os.stat(target).st_ino == inode  # the shell's file, not replaced
    assert pd.read_csv(target).pipe(_accounted) == len(RECORDS)  # the CSV alone
    assert "rows read" in done.stderr


def test_without_output_only_the_summary_is_printed(cli, tmp_path, records_csv):
    code, out, err = cli("score", records_csv, *ARGS, "--by", "area")
    assert code == 0, err
    assert "rows read" in out
    assert "wrote" not in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["records.csv"]


def test_example_to_stdout_keeps_stdout_for_the_csv(cli):
    code, out, err = cli("example", "-o", "-")
    assert code == 0, err
    table = pd.read_csv(io.StringIO(out))
    records = pd.read_csv(crimeharm.__path__[0] + "/data/example-records.csv")
    assert table["crimes"].sum() + table["excluded"].sum() == len(records)
    assert "SYNTHETIC" in err


def test_a_folder_is_refused_before_the_work(cli, tmp_path):
    folder = tmp_path / "out.csv"
    folder.mkdir()
    code, _, err = cli("score", tmp_path / "missing-input.csv", "-o", folder)
    cli.assert_clean_error(code, err, str(folder), "is a folder")  # not the missing input
    assert list(folder.iterdir()) == []


def test_a_symbolic_link_is_followed(cli, tmp_path, records_csv):
    real = tmp_path / "real.csv"
    real.write_text("old\n")
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    code, _, err = cli("score", records_csv, "-o", link, *ARGS, "--by", "area")
    assert code == 0, err
    assert link.is_symlink()
    assert pd.read_csv(real).pipe(_accounted) == len(RECORDS)


# --- permissions -------------------------------------------------------------------------------


@POSIX
@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_new_files_follow_the_umask(cli, tmp_path, records_csv, umask, mode):
    previous = os.umask(umask)
    try:
        for name in ("out.csv", "out.parquet", "out.csv.gz"):
            code, _, err = cli("score", records_csv, "-o", tmp_path / name, *ARGS)
            assert code == 0, err
            assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == mode, name
    finally:
        os.umask(previous)


@POSIX
def test_a_replaced_file_keeps_its_mode(cli, tmp_path, records_csv):
    target = tmp_path / "out.csv"
    target.write_text("old\n")
    target.chmod(0o640)
    code, _, err = cli("score", records_csv, "-o", target, *ARGS)
    assert code == 0, err
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640
    assert target.read_text() != "old\n"


# --- extensions --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["out.xlsx", "out.json", "out", "out.gz", "out.parquet.bak"])
def test_an_extension_that_cannot_be_written_is_refused_before_the_work(
    cli, tmp_path, records_csv, name
):
    target = tmp_path / name
    code, out, err = cli("score", records_csv, "-o", target, *ARGS)
    line = cli.assert_clean_error(
        code, err, repr(str(target)), ".csv, .csv.gz, .parquet, .pq", "'-'"
    )
    assert out == ""  # no summary: the records were not scored
    assert "cannot write" in line
    assert not target.exists()


def test_gzipped_csv_is_written(cli, tmp_path, records_csv):
    target = tmp_path / "out.csv.gz"
    code, _, err = cli("score", records_csv, "-o", target, *ARGS, "--by", "area")
    assert code == 0, err
    with gzip.open(target) as fh:
        assert pd.read_csv(fh).pipe(_accounted) == len(RECORDS)
    assert target.read_bytes()[4:8] == b"\0\0\0\0"  # no timestamp: the same run, the same bytes


def test_allocate_refuses_an_extension_and_writes_to_stdout(cli, tmp_path):
    areas = tmp_path / "areas.csv"
    pd.DataFrame(
        {"area": ["=A", "B"], "harm": [3.0, 1.0], "crimes": [2, 1], "population": [10, 10]}
    ).to_csv(areas, index=False)
    base = ["allocate", areas, "--total", "100", "--term", "harm=1"]
    code, out, err = cli(*base, "-o", tmp_path / "alloc.xlsx")
    cli.assert_clean_error(code, err, "alloc.xlsx", ".parquet")
    assert out == ""
    code, out, err = cli(*base, "-o", "-")
    assert code == 0, err
    table = pd.read_csv(io.StringIO(out))
    assert table["area"].tolist() == ["'=A", "B"]
    assert table["amount"].sum() == pytest.approx(100)
    assert "total: 100.00 GBP" in err  # the audit table goes to stderr


def test_weights_import_refuses_what_from_csv_cannot_read(cli, tmp_path):
    for name in ("t.parquet", "t.csv.gz", "t.xlsx"):
        code, _, err = cli("weights", "import", "x.xlsx", "-o", tmp_path / name)
        cli.assert_clean_error(code, err, name, "accepted: .csv,")


def test_check_output_names_the_problem(tmp_path):
    assert check_output("-").to_stdout
    assert check_output(tmp_path / "a.PQ").format == "parquet"
    with pytest.raises(crimeharm.OutputFileError, match="does not exist") as info:
        check_output(tmp_path / "no" / "a.csv")
    assert isinstance(info.value, OSError)
    (tmp_path / "file").write_text("")
    with pytest.raises(crimeharm.OutputFileError):
        check_output(tmp_path / "file" / "a.csv")
    with pytest.raises(crimeharm.UnsupportedFormatError) as bad:
        check_output(tmp_path / "a.xlsx")
    assert bad.value.values == [".xlsx"]
    assert "-" in bad.value.allowed


# --- spreadsheet formulas ----------------------------------------------------------------------


def test_formula_cells_are_neutralised_in_csv(cli, tmp_path, records_csv):
    target = tmp_path / "out.csv"
    code, _, err = cli("score", records_csv, "-o", target, "--code-col", "code")
    assert code == 0, err
    got = pd.read_csv(target, keep_default_na=False)
    assert got["area"].tolist() == ["'=1+1", "'+44 7700", "'-", "'@SUM(A1)", "'\tTab", "Plain"]
    assert got["n"].tolist() == RECORDS["n"].tolist()  # numbers, -5 too, are not touched
    assert got["note"].tolist() == ["-5", "+1.5", "-2e3", "'-2+3", "'- none", "ok"]
    assert got["code"].tolist() == RECORDS["code"].tolist()


def test_no_csv_safe_writes_cells_as_they_are(cli, tmp_path, records_csv):
    target = tmp_path / "out.csv"
    code, _, err = cli("score", records_csv, "-o", target, "--code-col", "code", "--no-csv-safe")
    assert code == 0, err
    assert pd.read_csv(target, keep_default_na=False)["area"].tolist() == RECORDS["area"].tolist()


def test_parquet_is_not_touched(cli, tmp_path, records_csv):
    target = tmp_path / "out.parquet"
    code, _, err = cli("score", records_csv, "-o", target, "--code-col", "code")
    assert code == 0, err
    assert pd.read_parquet(target)["area"].tolist() == RECORDS["area"].tolist()


def test_neutralise_formulas_rule():
    frame = pd.DataFrame(
        {
            "text": pd.Series(["=a", "\rb", "c", None, "'=d"], dtype=object),
            "mixed": pd.Series(["-1", -1, 2.5, "@x", "-1-1"], dtype=object),
            "cat": pd.Categorical(["=a", "'=a", "b", "=a", None]),
            "num": [-1.0, 2.0, float("nan"), -4.0, 5.0],
            "=head": [1, 2, 3, 4, 5],
            "when": pd.to_datetime(["2024-01-01"] * 5),
        }
    )
    out = neutralise_formulas(frame)
    assert out["text"].tolist()[:3] == ["'=a", "'\rb", "c"]
    assert out["text"].tolist()[4] == "'=d"  # a quote already first: no formula
    assert out["mixed"].tolist()[:4] == ["-1", -1, 2.5, "'@x"]  # "-1" is a number
    assert out["cat"].astype(object).tolist()[:4] == ["'=a", "'=a", "b", "'=a"]
    pd.testing.assert_series_equal(out["num"], frame["num"])
    pd.testing.assert_series_equal(out["when"], frame["when"])
    assert list(out.columns)[4] == FORMULA_PREFIX + "=head"
    assert out["mixed"].tolist()[4] == "'-1-1"
    assert frame["text"].tolist()[0] == "=a"  # the input is not changed
    clean = pd.DataFrame({"a": ["x", "y"], "b": [-1, 2]})
    assert neutralise_formulas(clean) is clean


@pytest.mark.parametrize("dtype", ["string[python]", "string[pyarrow]", "category"])
def test_neutralise_formulas_string_dtypes(dtype):
    column = pd.Series(["=x", "y", None], dtype=dtype)
    got = neutralise_formulas(pd.DataFrame({"a": column}))["a"].astype(object).tolist()
    assert got[:2] == ["'=x", "y"]
    assert pd.isna(got[2])


# --- control characters in messages ------------------------------------------------------------


def test_ansi_escapes_in_a_file_name_are_escaped(cli, tmp_path):
    name = tmp_path / "a\x1b[2Jb\nc.csv"
    code, _, err = cli("score", name, "-o", tmp_path / "out.csv")
    cli.assert_clean_error(code, err, "a\\x1b[2Jb\\nc.csv")
    assert "\x1b" not in err


def test_ansi_escapes_in_a_column_name_and_codes_are_escaped(cli, tmp_path):
    src = tmp_path / "r.csv"
    pd.DataFrame({"c\x1b]0;title\x07": ["8/6"], "area": ["A"]}).to_csv(src, index=False)
    code, _, err = cli("score", src, "-o", tmp_path / "out.csv", "--code-col", "x")
    cli.assert_clean_error(code, err, "c\\x1b]0;title\\x07")
    assert "\x1b" not in err
    assert "\x07" not in err


def test_ansi_escapes_in_the_summary_are_escaped(cli, tmp_path, records_csv):
    weights = tmp_path / "w\x1b[31m.csv"  # the edition's name is the file's stem
    crimeharm.load_weights().table[["key", "days", "ho_class"]].to_csv(weights, index=False)
    for output, stream in ((None, 0), ("-", 1)):
        more = [] if output is None else ["-o", output]
        code, *printed = cli("score", records_csv, *ARGS, "--weights", weights, *more)
        assert code == 0, printed
        summary = printed[stream]
        assert "weights          w\\x1b[31m  sha256" in summary
        assert "\x1b" not in summary


def test_ansi_escapes_in_an_area_name_are_escaped(cli, tmp_path):
    areas = tmp_path / "areas.csv"
    pd.DataFrame(
        {"area": ["\x1b[31mRed\x1b[0m", "B\u202eC"], "harm": [3.0, 1.0], "crimes": [2, 1]}
    ).assign(population=10).to_csv(areas, index=False)
    code, out, err = cli("allocate", areas, "--total", "100", "--term", "harm=1")
    assert code == 0, err
    assert "\\x1b[31mRed\\x1b[0m" in out
    assert "B\\u202eC" in out
    assert "\x1b" not in out
    assert "\u202e" not in out
    code, out, err = cli(
        "allocate", areas, "--total", "100", "--term", "harm=1", "--area-col", "\x1b[1m"
    )
    cli.assert_clean_error(code, err, "\\x1b[1m")


def test_a_long_error_is_cut(cli, tmp_path):
    src = tmp_path / "wide.csv"
    pd.DataFrame(columns=[f"column_{i:04d}" for i in range(2_000)]).to_csv(src, index=False)
    code, _, err = cli("score", src, "--code-col", "nope")
    line = cli.assert_clean_error(code, err, "'nope'", "more characters)")
    assert len(line) < ERROR_LIMIT + 100


def test_printable():
    assert printable("plain £ text") == "plain £ text"
    assert printable("a\x1b[0m\tb\r\n\x7f\x85\u2028\u202e\u2066") == (
        "a\\x1b[0m\\tb\\r\\n\\x7f\\x85\\u2028\\u202e\\u2066"
    )
    assert printable("one\ntwo\x1b", newlines=True) == "one\ntwo\\x1b"
    assert printable(12) == "12"
    assert printable("abcdef", limit=3) == "abc... (3 more characters)"


# --- every command: output errors are one line, exit 2, nothing written -----------------------


def _commands(tmp_path: Path, records_csv: Path) -> dict[str, list[object]]:
    areas = tmp_path / "areas.csv"
    pd.DataFrame({"area": ["A", "B"], "harm": [3.0, 1.0], "crimes": [2, 1]}).assign(
        population=10
    ).to_csv(areas, index=False)
    return {
        "score": ["score", records_csv, *ARGS],
        "example": ["example"],
        "allocate": ["allocate", areas, "--total", "100", "--term", "harm=1"],
        "weights import": ["weights", "import", tmp_path / "not-read.xlsx"],
    }


@pytest.mark.parametrize("command", ["score", "example", "allocate", "weights import"])
@pytest.mark.parametrize(
    ("output", "needle"),
    [
        ("folder.csv", "is a folder"),
        ("missing/out.csv", "does not exist"),
        ("out.xlsx", "accepted: .csv"),
        ("out", "without an extension"),
    ],
)
def test_output_errors_of_every_command(cli, tmp_path, records_csv, command, output, needle):
    (tmp_path / "folder.csv").mkdir()
    argv = _commands(tmp_path, records_csv)[command]
    before = sorted(p.name for p in tmp_path.iterdir())
    code, out, err = cli(*argv, "-o", tmp_path / output)
    cli.assert_clean_error(code, err, needle, output)
    assert out == ""  # refused before the work: nothing scored, nothing printed
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert list((tmp_path / "folder.csv").iterdir()) == []
