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


# --- retired Home Office open-data codes -------------------------------------------------------
#
# The 2017 burglary change. Sources (each row names the ones it rests on):
SOURCES = {
    "ons-2017": "ONS offence hierarchy 2017/18 (ONSdigital/dp-hierarchy-builder; "
    "../shared/reference/ons/offence-hierarchy-2017-18.csv): the old code is marked "
    "'(outcome only)' beside its successor, in the same ONS subgroup",
    "hocr": "Home Office Counting Rules for Recorded Crime, Burglary (gov.uk, "
    "https://www.gov.uk/government/publications/counting-rules-for-recorded-crime; "
    "edition with effect from April 2021): Burglary - Residential covers the dwelling and "
    "the buildings within its boundary (sheds, garages, outhouses); other buildings are "
    "Burglary - Business and Community",
    "pcc-2017": "Lincolnshire Police and Crime Commissioner, 'Police are changing the way they "
    "record burglary statistics', 15 December 2017 (https://www.lincolnshire-pcc.gov.uk/"
    "news-archive/2017/police-stats/): the Home Office change, in force by May 2017",
    "ons-css": "ONS Crime Severity Score join (M-O-P-D/Police-Supply-Demand, "
    "../shared/reference/ons/css-weights-and-police-uk-categories.csv): the old code carries "
    "the weight of its primary successor",
    "cchi-2020": "CCHI 2020 values sheet (Cambridge Centre for Evidence-Based Policing): "
    "rows 30E.31.0.1 and 30E.31.0.2A, 'Aggravated Burglary - Business And Community', "
    "Home Office classification 031/00",
}
#: The date the 2017 codes replaced the old ones for new records (start of the 2017/18 year).
RETIRED_2017 = "2017-04-01"
#: (old code, new code, relation, primary, sources, note); titles are read from the ONS hierarchy.
CROSSWALK: tuple[tuple[str, str, str, bool, tuple[str, ...], str], ...] = (
    ("28A", "28E", "replaced", True, ("ons-2017", "hocr", "pcc-2017", "ons-css"), ""),
    ("28B", "28F", "replaced", True, ("ons-2017", "hocr", "pcc-2017", "ons-css"), ""),
    ("28C", "28G", "replaced", True, ("ons-2017", "hocr", "pcc-2017", "ons-css"), ""),
    ("28D", "28H", "replaced", True, ("ons-2017", "hocr", "pcc-2017", "ons-css"), ""),
    ("29", "29A", "replaced", True, ("ons-2017", "hocr", "pcc-2017", "ons-css"), ""),
    (
        "30A",
        "30C",
        "split",
        True,
        ("ons-2017", "hocr", "pcc-2017", "ons-css"),
        "primary: the successor in the old code's ONS subgroup (Non-domestic burglary), whose "
        "weight the ONS Crime Severity Score gives 30A",
    ),
    (
        "30A",
        "28E",
        "split",
        False,
        ("hocr", "pcc-2017"),
        "burglaries of sheds, garages and outbuildings within a home's boundary, counted as "
        "residential from 2017; not used for scoring (for a sensitivity check)",
    ),
    (
        "30B",
        "30D",
        "split",
        True,
        ("ons-2017", "hocr", "pcc-2017", "ons-css"),
        "primary: the successor in the old code's ONS subgroup (Non-domestic burglary), whose "
        "weight the ONS Crime Severity Score gives 30B",
    ),
    (
        "30B",
        "28F",
        "split",
        False,
        ("hocr", "pcc-2017"),
        "attempts on sheds, garages and outbuildings within a home's boundary, counted as "
        "residential from 2017; not used for scoring (for a sensitivity check)",
    ),
    (
        "31",
        "31A",
        "split",
        True,
        ("ons-2017", "hocr", "pcc-2017", "ons-css"),
        "primary: the successor in the old code's ONS subgroup (Non-domestic burglary), whose "
        "weight the ONS Crime Severity Score gives 31",
    ),
    (
        "31",
        "29A",
        "split",
        False,
        ("hocr", "pcc-2017"),
        "aggravated burglaries of outbuildings within a home's boundary, counted as residential "
        "from 2017; not used for scoring (for a sensitivity check)",
    ),
    (
        "31A",
        "30E",
        "alias",
        True,
        ("ons-2017", "cchi-2020"),
        "the CCHI sheet writes 30E (its Athena URN prefix) for the Home Office's 31A",
    ),
)


def build_crosswalk(reference: Path, cchi: pd.DataFrame) -> pd.DataFrame:
    """The crosswalk of retired open-data codes, checked against the reference files.

    Titles come from the ONS 2017/18 hierarchy; every retired code must be marked
    '(outcome only)' there, a primary successor must share its ONS subgroup and carry
    its ONS severity weight, and an alias target must be an open-data code of the CCHI
    2020 sheet with the same Home Office class as the aliased code.
    """
    ons = pd.read_csv(reference / "ons" / "offence-hierarchy-2017-18.csv", dtype=str)
    ons = ons.set_index("ho_offence_code")
    css = pd.read_csv(reference / "ons" / "css-weights-and-police-uk-categories.csv", dtype=str)
    weight = dict(
        zip(
            css["ONS_COUNTS_code"].str.strip(),
            css["ONS_SEVERITY_weight"].astype(float),
            strict=True,
        )
    )
    rows = []
    for old, new, relation, primary, sources, note in CROSSWALK:
        if relation == "alias":
            same = cchi.loc[cchi["open_data"] == new, "ho_class"].unique().tolist()
            assert same == ["031/00"], (new, same)  # Home Office class 31: aggravated B&C
            title = cchi.loc[cchi["open_data"] == new, "title"].iloc[0]
            old_title, new_title, retired = ons.loc[old, "offence_description"], title, ""
        else:
            old_title = ons.loc[old, "offence_description"]
            assert old_title.endswith("(outcome only)"), (old, old_title)
            old_title = old_title.removesuffix("(outcome only)").strip()
            new_title = ons.loc[new, "offence_description"]
            assert "(outcome only)" not in new_title, (new, new_title)
            if primary:
                assert ons.loc[old, "level3"] == ons.loc[new, "level3"], (old, new)
                assert weight[old] == weight[new], (old, new, weight[old], weight[new])
            retired = RETIRED_2017
        rows.append(
            {
                "system": "open_data",
                "old_code": old,
                "old_title": old_title,
                "new_code": new,
                "new_title": new_title,
                "relation": relation,
                "primary": "yes" if primary else "no",
                "retired": retired,
                "source": "; ".join(SOURCES[k] for k in sources),
                "note": note,
            }
        )
    table = pd.DataFrame(rows)
    firsts = table[table["primary"] == "yes"].groupby("old_code").size()
    assert (firsts == 1).all(), firsts  # one primary successor per old code
    assert set(firsts.index) == set(table["old_code"]), firsts
    return table


# --- data.police.uk: API slugs and former crime types -------------------------------------------
#
# The street files' "Crime type" names the 14 types of today; the API
# (https://data.police.uk/docs/method/crime-categories/) writes the same types as slugs, and
# files before May 2013 used types that were renamed or split then.
POLICE_UK_SOURCES = {
    "api": "data.police.uk API, crime categories "
    "(https://data.police.uk/docs/method/crime-categories/): the slug ('url') of each type",
    "ukcrimestats": "UKCrimeStats, 'What do the crime categories mean?' "
    "(https://ukcrimestats.com/blog/faqs/what-do-the-crime-categories-mean/): 'Public disorder "
    "and weapons' covered offences causing fear, alarm or distress and possession of weapons",
    "reference": "../shared/reference/police-uk: June 2013 and January 2024 street files, both "
    "with the current types",
}
#: (name as written, kind, current crime type(s) it stands for, used, sources, note)
POLICE_UK_NAMES: tuple[tuple[str, str, tuple[str, ...], str, tuple[str, ...], str], ...] = (
    ("anti-social-behaviour", "api_slug", ("Anti-social behaviour",), "", ("api",), ""),
    ("bicycle-theft", "api_slug", ("Bicycle theft",), "", ("api",), ""),
    ("burglary", "api_slug", ("Burglary",), "", ("api",), ""),
    ("criminal-damage-arson", "api_slug", ("Criminal damage and arson",), "", ("api",), ""),
    ("drugs", "api_slug", ("Drugs",), "", ("api",), ""),
    ("other-crime", "api_slug", ("Other crime",), "", ("api",), ""),
    ("other-theft", "api_slug", ("Other theft",), "", ("api",), ""),
    ("possession-of-weapons", "api_slug", ("Possession of weapons",), "", ("api",), ""),
    ("public-order", "api_slug", ("Public order",), "", ("api",), ""),
    ("robbery", "api_slug", ("Robbery",), "", ("api",), ""),
    ("shoplifting", "api_slug", ("Shoplifting",), "", ("api",), ""),
    ("theft-from-the-person", "api_slug", ("Theft from the person",), "", ("api",), ""),
    ("vehicle-crime", "api_slug", ("Vehicle crime",), "", ("api",), ""),
    (
        "violent-crime",
        "api_slug",
        ("Violence and sexual offences",),
        "",
        ("api",),
        "the slug kept the type's name before May 2013",
    ),
    (
        "Violent crime",
        "former_type",
        ("Violence and sexual offences",),
        "until 2013-04",
        ("api", "reference"),
        "renamed Violence and sexual offences in May 2013",
    ),
    (
        "public-disorder-weapons",
        "api_slug",
        ("Public order", "Possession of weapons"),
        "until 2013-04",
        ("api", "ukcrimestats"),
        "split in May 2013; proxied over the codes of both types",
    ),
    (
        "Public disorder and weapons",
        "former_type",
        ("Public order", "Possession of weapons"),
        "until 2013-04",
        ("ukcrimestats", "reference"),
        "split in May 2013 into Public order and Possession of weapons; proxied over the codes "
        "of both types",
    ),
)


def build_police_uk_names(categories: pd.DataFrame) -> pd.DataFrame:
    """The API slugs and former crime types, checked against the current types."""
    current = {c[:1] + c[1:].lower() for c in categories["police_uk_category"]}
    current.add("Anti-social behaviour")
    rows = []
    for name, kind, types, used, sources, note in POLICE_UK_NAMES:
        assert set(types) <= current, (name, types)
        rows.append(
            {
                "name": name,
                "kind": kind,
                "crime_types": "; ".join(types),
                "used": used,
                "source": "; ".join(POLICE_UK_SOURCES[k] for k in sources),
                "note": note,
            }
        )
    return pd.DataFrame(rows)


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
    names = build_police_uk_names(mapping)
    sha, n = write(names, "police-uk-crime-types.csv", force=args.force)
    mappings.append(
        {
            "id": "police-uk-crime-types",
            "title": "data.police.uk API slugs and former crime types -> current crime types",
            "file": "police-uk-crime-types.csv",
            "rows": n,
            "sha256": sha,
            "source": "transcribed by scripts/build_weights.py (POLICE_UK_NAMES) from the "
            "data.police.uk API documentation and the sources named per row",
            "licence": "Open Government Licence v3.0 (data.police.uk); the transcription is "
            "crimeharm's own work",
            "notes": "A name standing for one current type gets that type's proxy; one standing "
            "for several (Public disorder and weapons) is proxied over the codes of all of them.",
        }
    )
    crosswalk = build_crosswalk(args.reference, cchi)
    sha, n = write(crosswalk, "home-office-code-crosswalk.csv", force=args.force)
    mappings.append(
        {
            "id": "home-office-code-crosswalk",
            "title": "Retired Home Office open-data codes (2017 burglary change) -> their "
            "successors",
            "file": "home-office-code-crosswalk.csv",
            "rows": n,
            "sha256": sha,
            "source": "transcribed by scripts/build_weights.py (CROSSWALK) and checked against "
            "the ONS 2017/18 offence hierarchy, the ONS Crime Severity Score join and the CCHI "
            "2020 sheet; each row names its sources and the date the old code was retired",
            "licence": "Open Government Licence v3.0 (Home Office and ONS codes and titles); "
            "the transcription is crimeharm's own work",
            "notes": "Used only for a code an edition does not carry as written; the primary "
            "successor of a split is the one in the old code's ONS subgroup.",
        }
    )
    manifest = {"default": "cchi-2020", "editions": editions, "mappings": mappings}
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    for e in editions + mappings:
        print(f"{e['file']:28} {e['rows']:5d} rows  sha256 {e['sha256']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
