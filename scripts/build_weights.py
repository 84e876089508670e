"""Transcribe the shipped weights editions from the public sources in ../shared/reference.

Run from the repository root:

    python scripts/build_weights.py [--reference ../shared/reference] [--seeds ../shared/seeds]

It writes ``src/crimeharm/weights/data/*.csv`` and ``manifest.json`` (with each file's
row count and sha256). A shipped edition is never edited by hand; if this script
would change a shipped file, that is a new edition, and the script refuses unless
``--force`` is given (for the first build, or a deliberate fix before release).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from crimeharm.weights.police_generated import flag_police_generated  # noqa: E402
from crimeharm.weights.sheets.importer import import_sheet  # noqa: E402

OUT = ROOT / "src" / "crimeharm" / "weights" / "data"

# Table 1 of Sherman, Neyroud & Neyroud (2016): (crime type, subtype) -> category key.
TABLE1_KEYS = {
    ("Homicide", ""): "homicide",
    ("GBH", "Intent"): "gbh-intent",
    ("ABH", ""): "abh",
    ("Assault", ""): "assault",
    ("Rape", ""): "rape",
    ("Sexual Assault", ""): "sexual-assault",
    ("Robbery", ""): "robbery",
    ("Burglary", "Dwelling"): "burglary-dwelling",
    ("Burglary", "Non-dwelling"): "burglary-non-dwelling",
    ("Vehicle", "Theft of"): "vehicle-theft-of",
    ("Vehicle", "Theft from"): "vehicle-theft-from",
    ("Theft", "Theft from Person"): "theft-from-person",
    ("Theft", "Shop"): "theft-shop",
    ("Theft", "Other"): "theft-other",
    ("Criminal Damage", "Arson"): "criminal-damage-arson",
    ("Criminal Damage", "Other"): "criminal-damage-other",
    ("Fraud", ""): "fraud",
}

PAPER_CITATION = (
    "Sherman, L., Neyroud, P. W. and Neyroud, E. (2016) 'The Cambridge Crime Harm Index: "
    "Measuring Total Harm from Crime Based on Sentencing Guidelines', Policing: A Journal of "
    "Policy and Practice, 10(3), 171-183. doi:10.1093/police/paw003"
)
CCHI_LICENCE = (
    "Copyright Cambridge Centre for Evidence based Policing 2020. The Institute of Criminology "
    "states the values 'may be downloaded or copied from the spreadsheet', provided as a resource "
    "for its students and the wider research community. Cite Sherman, Neyroud & Neyroud (2016)."
)


def parse_table1(seed: Path) -> pd.DataFrame:
    """Parse Table 1 (Crimes in UK 2002/2003) from the paper's text."""
    lines = seed.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Crime type\tSubtype"))
    rows, crime_type = [], ""
    for line in lines[start + 1 :]:
        cells = line.split("\t")
        if cells[0] == "Total":
            break
        crime_type = cells[0] or crime_type
        subtype = cells[1]
        count, days, total = (int(c.replace(",", "")) for c in cells[2:5])
        rows.append((crime_type, subtype, count, days, total))
    return pd.DataFrame(rows, columns=["crime_type", "subtype", "count", "days", "total_days"])


def build_2016(seed: Path) -> pd.DataFrame:
    t1 = parse_table1(seed)
    keys = [TABLE1_KEYS[(c, s)] for c, s in zip(t1["crime_type"], t1["subtype"], strict=True)]
    title = [f"{c} - {s}" if s else c for c, s in zip(t1["crime_type"], t1["subtype"], strict=True)]
    return pd.DataFrame(
        {
            "key": keys,
            "title": title,
            "crime_type": t1["crime_type"],
            "subtype": t1["subtype"],
            "days": t1["days"].astype(float),
            "police_generated": False,
        }
    )


def build_ons(csv: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    src = pd.read_csv(csv, dtype=str, keep_default_na=False)
    src = src.apply(lambda s: s.str.strip())
    table = pd.DataFrame(
        {
            "key": src["ONS_COUNTS_code"],
            "title": src["ONS_COUNTS_description"],
            "days": pd.to_numeric(src["ONS_SEVERITY_weight"]),
            "open_data": src["ONS_COUNTS_code"].where(
                src["ONS_COUNTS_code"].str.fullmatch(r"\d{1,3}[A-Z]{0,2}|\d{1,3}\.\d{1,2}"), None
            ),
            "ons_severity_code": src["ONS_SEVERITY_code"],
            "ons_severity_offence": src["ONS_SEVERITY_offence"],
            "ons_category": src["ONS_SEVERITY_category"],
            "police_uk_category": src["POLICE_UK_CAT_MAP_category"].replace("", None),
        }
    )
    flags, reasons = flag_police_generated(table)
    table["police_generated"] = flags
    table["police_generated_reason"] = reasons
    mapping = (
        table.loc[
            table["police_uk_category"].notna() & table["open_data"].notna(),
            ["open_data", "police_uk_category", "title"],
        ]
        .rename(columns={"title": "offence"})
        .reset_index(drop=True)
    )
    return table, mapping


def write(frame: pd.DataFrame, name: str, *, force: bool) -> tuple[str, int]:
    path = OUT / name
    text = frame.to_csv(index=False, lineterminator="\n")
    data = text.encode("utf-8")
    if path.exists() and path.read_bytes() != data and not force:
        sys.exit(f"{path} would change: a released edition is never edited (use --force)")
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest(), len(frame)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--reference", type=Path, default=ROOT.parent / "shared" / "reference")
    ap.add_argument("--seeds", type=Path, default=ROOT.parent / "shared" / "seeds")
    ap.add_argument("--force", action="store_true")
    args = ap.parse_args(argv)

    beta = build_2016(args.seeds / "cchi-paper-2016.txt")
    cchi = import_sheet(args.reference / "cchi" / "cchi-2020-official.xlsx")
    ons, mapping = build_ons(args.reference / "ons" / "css-weights-and-police-uk-categories.csv")

    editions = []
    sha, n = write(beta, "cchi-2016-beta.csv", force=args.force)
    editions.append(
        {
            "id": "cchi-2016-beta",
            "title": "Cambridge Crime Harm Index, beta: 17 aggregated categories (Table 1)",
            "scheme": "cchi",
            "unit": "days",
            "file": "cchi-2016-beta.csv",
            "rows": n,
            "sha256": sha,
            "source": "Table 1 of the 2016 article (starting point sentence days per category), "
            "transcribed by scripts/build_weights.py from the article's text",
            "citation": PAPER_CITATION,
            "url": "https://doi.org/10.1093/police/paw003",
            "published": None,
            "guidelines_as_of": None,
            "vintage": "2016 article (Policing 10(3), 2016; exact date not recorded here)",
            "licence": "Figures quoted from the article for research use; cite the article.",
            "code_systems": ["key"],
            "notes": "Keys are the 17 categories of Table 1; no offence codes. The article's "
            "printed grand total (147,835,399) omits the Fraud row; the rows sum to 154,091,519.",
        }
    )
    sha, n = write(cchi, "cchi-2020.csv", force=args.force)
    editions.append(
        {
            "id": "cchi-2020",
            "title": "Cambridge Crime Harm Index 2020 update (698 offences)",
            "scheme": "cchi",
            "unit": "days",
            "file": "cchi-2020.csv",
            "rows": n,
            "sha256": sha,
            "source": "CCHI 2020 values sheet, Cambridge Centre for Evidence-Based Policing "
            f"(xlsx sha256 {cchi.attrs['source_sha256']}), transcribed by "
            "scripts/build_weights.py; police_generated and sp_* columns added by crimeharm",
            "citation": PAPER_CITATION,
            "url": "https://www.crim.cam.ac.uk/research/thecambridgecrimeharmindex",
            "published": "2020-10-06",
            "guidelines_as_of": "2020-10-06",
            "vintage": "2020 update",
            "licence": CCHI_LICENCE,
            "code_systems": ["ho_class", "open_data", "cjs", "key"],
            "notes": "One row (NN.111.5.0) had its cells shifted one column right in the sheet; "
            "repaired on import (see repair_note).",
        }
    )
    sha, n = write(ons, "ons-css.csv", force=args.force)
    editions.append(
        {
            "id": "ons-css",
            "title": "ONS Crime Severity Score weights (a different scheme: sentences handed down)",
            "scheme": "ons-css",
            "unit": "severity weight (average sentence-equivalent days)",
            "file": "ons-css.csv",
            "rows": n,
            "sha256": sha,
            "source": "ONS Crime Severity Score weights per Home Office open-data code, from a "
            "public copy joined to data.police.uk categories (M-O-P-D/Police-Supply-Demand, "
            "data/policeuk-ons-code-join.csv), transcribed by scripts/build_weights.py",
            "citation": "Office for National Statistics, Crime Severity Score (Experimental "
            "Statistics): weights derived from Ministry of Justice sentencing data",
            "url": "https://www.ons.gov.uk/peoplepopulationandcommunity/crimeandjustice/datasets/"
            "crimeseverityscoreexperimentalstatistics",
            "published": None,
            "guidelines_as_of": None,
            "vintage": "about 2020; the source copy does not state it",
            "licence": "Open Government Licence v3.0",
            "code_systems": ["open_data", "key"],
            "notes": "Weights are what courts hand down (custody rate x average days, other "
            "disposals converted), not guideline starting points; not comparable with CCHI days. "
            "ONS reports the score per 1,000 population.",
        }
    )
    sha, n = write(mapping, "police-uk-categories.csv", force=args.force)
    mappings = [
        {
            "id": "police-uk-categories",
            "title": "Home Office open-data offence code -> data.police.uk crime type",
            "file": "police-uk-categories.csv",
            "rows": n,
            "sha256": sha,
            "source": "M-O-P-D/Police-Supply-Demand, data/policeuk-ons-code-join.csv "
            "(POLICE_UK_CAT_MAP_category)",
            "licence": "Open Government Licence v3.0",
            "notes": "Used to derive category-level proxy weights for data.police.uk files.",
        }
    ]
    manifest = {"default": "cchi-2020", "editions": editions, "mappings": mappings}
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    for e in editions + mappings:
        print(f"{e['file']:28} {e['rows']:5d} rows  sha256 {e['sha256']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
