"""Tests of ``crimeharm allocate`` (the command line over crimeharm.allocation)."""

from __future__ import annotations

from decimal import Decimal
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest

from crimeharm.allocation import allocate

FORMULA = ["--term", "harm=0.65", "--term", "crime_rate=0.20", "--term", "population=0.15"]


@pytest.fixture
def example(tmp_path: Path) -> tuple[Path, Path]:
    data = resources.files("crimeharm") / "data"
    areas = tmp_path / "areas.csv"
    formula = tmp_path / "formula.toml"
    areas.write_bytes((data / "example-areas.csv").read_bytes())
    formula.write_bytes((data / "example-formula.toml").read_bytes())
    return areas, formula


def test_allocate_with_terms_writes_and_prints(cli, example, tmp_path):
    areas, _ = example
    out_file = tmp_path / "out.csv"
    code, out, err = cli("allocate", str(areas), "--total", "639675", *FORMULA, "-o", str(out_file))
    assert code == 0, err
    assert err == ""
    written = pd.read_csv(out_file)
    expected = allocate(
        pd.read_csv(areas),
        total=639675,
        terms={"harm": 0.65, "crime_rate": 0.2, "population": 0.15},
    )
    assert list(written["amount_pence"]) == list(expected["amount_pence"])
    assert int(written["amount_pence"].sum()) == 63_967_500
    # the exact decimal column is written as text with two decimals, and sums to the pot
    text = pd.read_csv(out_file, dtype={"amount_decimal": str})["amount_decimal"]
    assert [Decimal(v) for v in text] == [Decimal(p) / 100 for p in written["amount_pence"]]
    assert sum(Decimal(v) for v in text) == Decimal("639675.00")
    assert "amount_decimal" not in out  # the terminal table shows amount only
    assert "harm_gbp_per_unit" in written.columns
    assert "Aldermoor" in out
    assert "total: 639,675.00 GBP; sum of amounts: 639,675.00 GBP" in out
    assert "weights: harm 0.65, crime_rate 0.2, population 0.15" in out
    assert "GBP per unit: harm" in out


def test_allocate_with_formula_file(cli, example, tmp_path):
    areas, formula = example
    out_file = tmp_path / "out.parquet"
    code, out, err = cli(
        "allocate",
        str(areas),
        "--formula",
        str(formula),
        "-o",
        str(out_file),
        "--window",
        "2019-2022",
    )
    assert code == 0, err
    written = pd.read_parquet(out_file)
    assert {"current", "change_gbp", "change_pct"} <= set(written.columns)
    assert sum(written["amount_decimal"]) == Decimal("639675.00")  # Parquet decimal128
    assert int(written["amount_pence"].sum()) == 63_967_500
    assert "window: 2019-2022" in out
    # --term replaces the file's terms, --total overrides its total
    code, out, err = cli(
        "allocate",
        str(areas),
        "--formula",
        str(formula),
        "--total",
        "1000",
        "--term",
        "harm=1",
    )
    assert code == 0, err
    assert "total: 1,000.00 GBP" in out
    assert "crime_rate" not in out


def test_renamed_columns_and_floor(cli, tmp_path):
    areas = tmp_path / "areas.csv"
    areas.write_text("csp,days,offences,residents\n007,100,10,1000\nB,100,60,2000\nC,400,60,1000\n")
    formula = tmp_path / "f.toml"
    formula.write_text(
        "total = 1000\nfloor = 200\n[terms]\nharm = 0.6\ncrime_rate = 0.2\npopulation = 0.2\n"
        '[columns]\narea = "csp"\nharm = "days"\ncrimes = "offences"\npopulation = "residents"\n'
    )
    out_file = tmp_path / "out.csv"
    code, out, err = cli("allocate", str(areas), "--formula", str(formula), "-o", str(out_file))
    assert code == 0, err
    written = pd.read_csv(out_file, dtype={"csp": str})
    assert list(written["csp"]) == ["007", "B", "C"]  # area codes are kept as text
    assert list(written["amount"]) == [200.0, 250.6, 549.4]
    assert list(written["limit"].fillna("")) == ["floor", "", ""]
    code, out, err = cli(
        "allocate",
        str(areas),
        "--total",
        "1000",
        "--term",
        "harm=1",
        "--area-col",
        "csp",
        "--harm-col",
        "days",
        "--crimes-col",
        "offences",
        "--population-col",
        "residents",
    )
    assert code == 0, err
    # 1000 x 100/600 = 166.666..., twice, and 1000 x 400/600 = 666.666...; all remainders are
    # 2/3 of a penny, so the two spare pennies go to the first two names, 007 and B
    assert "166.67 166.67" in out
    assert "666.66 666.66" in out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ["--total", "1000", "--term", "harm=0.5", "--term", "population=0.4"],
            "weights must sum to 1",
        ),
        (["--total", "1000", "--term", "schools=1"], "unknown term 'schools'"),
        (["--total", "1000", "--term", "harm"], "--term must be NAME=WEIGHT"),
        (
            ["--total", "1000", "--term", "harm=0.5", "--term", "harm=0.5"],
            "term 'harm' given twice",
        ),
        (["--total", "-1", "--term", "harm=1"], "total must be positive"),
        (["--total", "lots", "--term", "harm=1"], "total must be a finite number"),
        (["--total", "1e17", "--term", "harm=1"], "total must be at most 10,000,000,000,000 GBP"),
        (
            ["--total", "10", "--term", "harm=1", "--cap", "1e14"],
            "cap must be at most 10,000,000,000,000 GBP",
        ),
        (["--term", "harm=1"], "no total"),
        (["--total", "10"], "no terms"),
        (
            ["--total", "10", "--term", "harm=1", "--area-col", "csp"],
            "no column 'csp' in areas; columns present",
        ),
        (
            ["--total", "10", "--term", "harm=1", "--floor", "100"],
            "floor 100.00 GBP x 9 areas exceeds",
        ),
    ],
)
def test_bad_input_exits_2_without_output(cli, example, tmp_path, extra, message):
    areas, _ = example
    out_file = tmp_path / "out.csv"
    code, out, err = cli("allocate", str(areas), *extra, "-o", str(out_file))
    assert code == 2
    assert message in err
    assert err.startswith("crimeharm: error: ")
    assert "Traceback" not in err
    assert out == ""
    assert not out_file.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["areas.csv", "formula.toml"]


def test_bad_rows_exit_2(cli, tmp_path):
    areas = tmp_path / "areas.csv"
    out_file = tmp_path / "out.csv"
    for body, message in [
        ("area,harm,crimes,population\nA,1,1,0\nB,2,1,10\n", "it is zero for area(s) 'A'"),
        (
            "area,harm,crimes,population\nA,1,1,5\nA,2,1,10\n",
            "duplicate areas in column 'area': 'A'",
        ),
        (
            "area,harm,crimes,population\nA,,1,5\nB,2,1,10\n",
            "column 'harm' (for term 'harm') has a missing value for area(s) 'A'",
        ),
        (
            "area,harm,crimes,population\nA,x,1,5\nB,2,1,10\n",
            "non-numeric values for area(s) 'A' ('x')",
        ),
        ("area,harm,crimes,population\nA,0,1,5\nB,0,1,10\n", "term 'harm' is zero in every area"),
        (
            "area,harm,crimes,population\nA,-1,1,5\nB,2,1,10\n",
            "has a negative value for area(s) 'A'",
        ),
    ]:
        areas.write_text(body)
        code, _, err = cli("allocate", str(areas), "--total", "10", *FORMULA, "-o", str(out_file))
        assert code == 2
        assert message in err, err
        assert "Traceback" not in err
        assert not out_file.exists()


def test_missing_files(cli, tmp_path, example):
    areas, _ = example
    code, out, err = cli(
        "allocate", str(tmp_path / "nope.csv"), "--total", "10", "--term", "harm=1"
    )
    assert code == 2
    assert f"areas file {str(tmp_path / 'nope.csv')!r} does not exist" in err
    assert "Traceback" not in err
    code, out, err = cli("allocate", str(areas), "--formula", str(tmp_path / "nope.toml"))
    assert code == 2
    assert "formula file" in err
    assert "does not exist" in err
    code, out, err = cli(
        "allocate",
        str(areas),
        "--total",
        "10",
        "--term",
        "harm=1",
        "-o",
        str(tmp_path / "no" / "out.csv"),
    )
    assert code == 2
    assert "output folder" in err
    assert out == ""
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    code, out, err = cli("allocate", str(empty), "--total", "10", "--term", "harm=1")
    assert code == 2
    assert "cannot read areas file" in err


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("total = 10\n[terms\n", "is not valid TOML"),
        (
            "total = 10\npot = 3\n[terms]\nharm = 1\n",
            "unknown key(s) pot; valid keys: total, terms, columns, floor, cap",
        ),
        ("total = 10\nterms = 1\n", "'terms' must be a [terms] table"),
        (
            'total = 10\n[terms]\nharm = 1\n[columns]\nharms = "x"\n',
            "unknown [columns] key(s) harms",
        ),
        ('total = 10\n[terms]\nharm = "a lot"\n', "weight of term 'harm' must be a finite number"),
        (
            'total = 10\n[terms]\nharm = 1\n[columns]\narea = ["area"]\n',
            "[columns] area must be a column name (a non-empty string); "
            "got ['area'] (a TOML array)",
        ),
        (
            "total = 10\n[terms]\nharm = 1\n[columns]\ncurrent = 3\n",
            "[columns] current must be a column name (a non-empty string); got 3 (a TOML integer)",
        ),
        (
            'total = 10\n[terms]\nharm = 1\n[columns]\nharm = ""\n',
            "[columns] harm must be a column name (a non-empty string); got ''",
        ),
        (
            "total = 10\n[terms]\nharm = true\n",
            "weight of term 'harm' must be a finite number; got True (a TOML boolean)",
        ),
        (
            'total = 10\n[terms]\nharm = "0.5"\npopulation = 0.5\n',
            "weight of term 'harm' must be a finite number; got '0.5' (a TOML string)",
        ),
        (
            "total = 10\n[terms.harm]\nx = 1\n",
            "weight of term 'harm' must be a finite number; got {'x': 1} (a TOML table)",
        ),
        (
            'total = "10"\n[terms]\nharm = 1\n',
            "'total' must be a number (GBP); got '10' (a TOML string)",
        ),
        (
            "total = 2024-01-01\n[terms]\nharm = 1\n",
            "'total' must be a number (GBP); got datetime.date(2024, 1, 1) (a TOML date or time)",
        ),
        (
            "total = [10]\n[terms]\nharm = 1\n",
            "'total' must be a number (GBP); got [10] (a TOML array)",
        ),
        ("total = 10\nfloor = {}\n[terms]\nharm = 1\n", "'floor' must be a number (GBP); got {}"),
        ("total = 10\ncap = false\n[terms]\nharm = 1\n", "'cap' must be a number (GBP); got False"),
        ("total = nan\n[terms]\nharm = 1\n", "total must be a finite number; got nan"),
        (
            "total = 9223372036854775807\n[terms]\nharm = 1\n",
            "total must be at most 10,000,000,000,000 GBP (the most crimeharm allocates to "
            "the penny); got 9223372036854775807 GBP",
        ),
        (
            "total = 1e20\n[terms]\nharm = 1\n",
            "total must be at most 10,000,000,000,000 GBP (the most crimeharm allocates to "
            "the penny); got 1e+20 GBP",
        ),
    ],
)
def test_bad_formula_file(cli, example, tmp_path, toml, message):
    areas, formula = example
    formula.write_text(toml)
    out_file = tmp_path / "out.csv"
    code, _, err = cli("allocate", str(areas), "--formula", str(formula), "-o", str(out_file))
    assert code == 2
    assert message in err
    assert "Traceback" not in err
    assert not out_file.exists()
