"""Bundle one real data.police.uk force-month as package data, for the docs and users.

    python scripts/make_police_uk_extract.py            # reads ../shared/reference
    python scripts/make_police_uk_extract.py --reference DIR
    python scripts/make_police_uk_extract.py --check    # exit 1 if the bundled files differ

Copies the City of London Police street file and outcomes file of June 2013 (574 street
records, 346 outcomes; Open Government Licence v3.0) byte for byte into
``src/crimeharm/data/police-uk/``, after checking each file's sha256 against the value the
reference folder's SOURCES.md records, and writes the folder's NOTICE.md with the
attribution the licence asks for and each file's size and sha256.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "crimeharm" / "data" / "police-uk"

# file -> sha256, as recorded in shared/reference/SOURCES.md
FILES = {
    "2013-06-city-of-london-street.csv": (
        "8d97f63c7bda1f50d1359cafe7d81f65e80065451a47fd4fdaaf33ff02878094"
    ),
    "2013-06-city-of-london-outcomes.csv": (
        "57758329de11e39c67510b56b368452e7b5367b31fa75870ce796008cac24696"
    ),
}


def notice(sizes: dict[str, int]) -> str:
    rows = "\n".join(
        f"| `{name}` | {sizes[name]:,} bytes | `{sha}` |" for name, sha in FILES.items()
    )
    return f"""# Notice: the bundled data.police.uk month

Contains public sector information licensed under the Open Government Licence v3.0
(<https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/>).
Source: data.police.uk (<https://data.police.uk/data/>), street-level crime and outcomes
files of City of London Police for June 2013, as published; the copy read was kept in the
madlabU18/madlabmap repository (`new/Crime occurences2010-2013/2013-06/`).

The files are bundled unchanged by `scripts/make_police_uk_extract.py`, which checks their
sha256:

| file | size | sha256 |
|---|---|---|
{rows}

The street file has one row per crime or anti-social behaviour incident reported in the
month, with its crime type, its LSOA (where the location could be placed; locations are
anonymised to a nearby point by data.police.uk) and its last outcome category. The outcomes
file has the outcomes recorded in the month, most of them for crimes of earlier months.
The data.police.uk crime types are coarse categories, not offence codes: crimeharm scores
them with proxy weights (`crimeharm.police_uk_weights`), which are not a Crime Harm Index.
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, default=ROOT.parent / "shared" / "reference")
    parser.add_argument("--check", action="store_true", help="compare, write nothing")
    args = parser.parse_args()
    sizes: dict[str, int] = {}
    stale = []
    for name, sha in FILES.items():
        data = (args.reference / "police-uk" / name).read_bytes()
        got = hashlib.sha256(data).hexdigest()
        if got != sha:
            sys.exit(f"{name}: sha256 {got}, SOURCES.md records {sha}")
        sizes[name] = len(data)
        target = OUT / name
        if not target.exists() or target.read_bytes() != data:
            stale.append(name)
            if not args.check:
                OUT.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
    text = notice(sizes)
    if not (OUT / "NOTICE.md").exists() or (OUT / "NOTICE.md").read_text("utf-8") != text:
        stale.append("NOTICE.md")
        if not args.check:
            (OUT / "NOTICE.md").write_text(text, encoding="utf-8")
    if args.check:
        print("stale: " + ", ".join(stale) if stale else "up to date")
        return 1 if stale else 0
    written = ", ".join(f"{n} ({sizes[n]:,} bytes)" for n in FILES)
    print(f"wrote {OUT.relative_to(ROOT)}: {written}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
