"""The figures of the closing notes of issues 13 and 16, computed with the library.

- concentration of harm against counts over LSOAs: the data.police.uk month
  bundled with the package (City of London, 2013-06), the 2024-01 reference
  month when ``--reference`` points at ``shared/reference`` (police.uk proxy
  weights), and the bundled example (cchi-2020, financial year 2023/24);
- the consensus series on the bundled example, by neighbourhood;
- the HDF of the 2013-06 month joined to its outcomes file, with the share of
  its crimes whose outcome is known (final).

    python benchmarks/closing_figures.py [--reference ../shared/reference] [--json out.json]

The docs show the same figures as executed examples (docs/concentration.md,
docs/analysis.md); this script gathers them in one place.
"""

from __future__ import annotations

import argparse
import json
import warnings
from pathlib import Path

import pandas as pd

import crimeharm

KEYS = ["units", "total", "gini", "gini_generalised", "top_1pct", "top_10pct", "top_20pct",
        "units_50pct", "units_80pct", "no_id_rows"]  # fmt: skip
DATA = Path(crimeharm.__path__[0]) / "data"
EXAMPLE_JOB = {
    "date": "committed_date",
    "reported": "reported_date",
    "police_initiated": "police_initiated",
    "company_detected": "company_detected",
    "historic_lag": 365,
    "start": "2023-04-01",
    "end": "2024-03-31",
}


def _both(table: pd.DataFrame, unit: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            v: crimeharm.concentration(table, unit=unit, value=v)[KEYS]
            for v in ("crimes", "harm_days")
        }
    )


def lsoa_concentration(street: Path) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", crimeharm.CrimeHarmWarning)
        table = crimeharm.harm_index(street, by="LSOA code", **crimeharm.police_uk_options())
    return _both(table, "LSOA code")


def example_concentration() -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", crimeharm.CrimeHarmWarning)
        table = crimeharm.harm_index(DATA / "example-records.csv", by="lsoa", **EXAMPLE_JOB)
    return _both(table, "lsoa")


def example_series() -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", crimeharm.CrimeHarmWarning)
        return crimeharm.series(
            DATA / "example-records.csv", by="neighbourhood", detected="outcome", **EXAMPLE_JOB
        )


def month_hdf() -> tuple[pd.DataFrame, dict]:
    month = DATA / "police-uk"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", crimeharm.CrimeHarmWarning)
        s = crimeharm.series(
            month / "2013-06-city-of-london-street.csv",
            format="police-uk",
            outcomes=month / "2013-06-city-of-london-outcomes.csv",
        )
    return s, s.attrs["crimeharm"]["outcomes"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reference", default=None, help="shared/reference (for the 2024-01 month)")
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    pd.set_option("display.width", 160)
    pd.set_option("display.max_columns", 20)
    out: dict = {}
    months = {"2013-06": DATA / "police-uk" / "2013-06-city-of-london-street.csv"}
    if args.reference:
        months["2024-01"] = Path(args.reference) / "police-uk" / "2024-01-city-of-london-street.csv"
    for month, path in months.items():
        c = lsoa_concentration(path)
        print(
            f"\n== LSOA concentration, City of London {month} (police.uk proxy weights)\n"
            f"{c.round(3)}"
        )
        out[f"lsoa_{month}"] = c.to_dict()
    c = example_concentration()
    print(f"\n== LSOA concentration, bundled example (cchi-2020, 2023/24)\n{c.round(3)}")
    out["lsoa_example"] = c.to_dict()
    s = example_series()
    print(f"\n== series on the bundled example, by neighbourhood\n{s.round(3)}")
    out["series_example"] = s.to_dict(orient="list")
    m, join = month_hdf()
    print(f"\n== 2013-06 with its outcomes file\n{m.round(3)}")
    print({k: join[k] for k in ("outcome_rows", "outcome_crimes", "outcome_rows_matched",
                                 "street_crimes", "crimes_with_final_outcome",
                                 "final_outcome_share")})  # fmt: skip
    out["month_hdf"] = {"series": m.to_dict(orient="list"), "outcomes": join}
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
