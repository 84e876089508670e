"""Generate the bundled example dataset: SYNTHETIC crime records, not real data.

    python scripts/make_example.py

Writes ``src/crimeharm/data/example-records.csv``: one financial year (April
2023 - March 2024) of made-up recorded crime over four made-up
neighbourhoods of a made-up force, drawn with a fixed seed. The offence mix,
the codes' written forms and the flaws are chosen to look like a force
extract and to exercise every exclusion:

* Home Office classifications written as force systems write them
  (``8/6``, ``008/06``, ``00806``, ``8.06``);
* a few drug and weapon offences (police-generated), records flagged
  police-initiated, shop thefts detected by store security;
* historic reports (committed years before they were reported);
* a handful of unknown, malformed and missing codes, missing and unparseable
  dates, and UK day-first dates (``31/01/2024``) beside ISO ones;
* ``outcome``: a Home Office outcome type per record (``1``, ``1A``, ``8``,
  ``18``...; blank where none is assigned yet), drawn with a second seed so
  that the other columns are as before, with a few values that are not
  outcome types (``99``, ``TBC``).

The numbers mean nothing about any real place.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parents[1] / "src" / "crimeharm" / "data" / "example-records.csv"
SEED = 20230401

# (HO classification, relative frequency) - a plausible urban mix, invented
MIX = [
    ("105/01", 180),  # common assault
    ("008/06", 120),  # ABH
    ("008/01", 12),  # GBH without intent
    ("005/01", 3),  # GBH with intent
    ("001/01", 0.3),  # murder
    ("019/08", 2),  # rape of a female 16+
    ("195/94", 60),  # harassment
    ("008/72", 40),  # malicious communications
    ("028/03", 50),  # burglary residential
    ("030/02", 25),  # burglary business and community
    ("034/01", 15),  # robbery
    ("039/00", 30),  # theft from the person
    ("044/00", 35),  # bicycle theft
    ("045/10", 55),  # theft from a motor vehicle
    ("048/01", 20),  # theft of a motor vehicle
    ("046/00", 150),  # shoplifting
    ("040/00", 20),  # theft in a dwelling
    ("058/00", 90),  # criminal damage
    ("057/00", 2),  # criminal damage endangering life
    ("092/61", 45),  # possession of cannabis (police-generated)
    ("092/70", 8),  # possession with intent to supply (police-generated)
    ("005/14", 1),  # possession of firearm with intent
]
AREAS = {
    "Northgate": (["E01990001", "E01990002", "E01990003"], 1.4),
    "Riverside": (["E01990011", "E01990012"], 1.0),
    "Castle": (["E01990021", "E01990022", "E01990023"], 0.8),
    "Westfield": (["E01990031", "E01990032"], 0.6),
}
N = 5000
OUTCOME_SEED = 20230402
# outcome type -> probability, by how the crime came to notice (invented, near national shares)
OUTCOMES = {
    "volume": {"18": 0.55, "14": 0.08, "15": 0.07, "16": 0.05, "1": 0.06, "1A": 0.01,
               "8": 0.04, "3": 0.02, "2": 0.01, "20": 0.01, "21": 0.02, "": 0.08},
    "person": {"16": 0.30, "15": 0.18, "14": 0.07, "18": 0.12, "1": 0.11, "1A": 0.01,
               "8": 0.06, "3": 0.04, "2": 0.01, "10": 0.01, "21": 0.01, "22": 0.01, "": 0.07},
    "proactive": {"1": 0.35, "7": 0.20, "8": 0.15, "3": 0.10, "2": 0.03, "10": 0.02,
                  "21": 0.05, "22": 0.02, "": 0.08},
    "store": {"1": 0.50, "8": 0.12, "3": 0.08, "16": 0.10, "18": 0.10, "": 0.10},
}  # fmt: skip
PERSON = {"105/01", "008/06", "008/01", "005/01", "001/01", "019/08", "195/94", "008/72", "034/01"}


def written(code: str, form: int) -> str:
    c, s = code.split("/")
    return [code, f"{int(c)}/{int(s)}", f"{c}{s}", f"{int(c)}.{s}"][form]


def outcomes(offence: np.ndarray, police: np.ndarray, store: np.ndarray) -> np.ndarray:
    """A Home Office outcome type per record, from a second generator."""
    rng = np.random.default_rng(OUTCOME_SEED)
    kind = np.where(np.isin(offence, list(PERSON)), "person", "volume").astype(object)
    kind[np.isin(offence, ["092/61", "092/70", "005/14"]) | police] = "proactive"
    kind[store] = "store"
    out = np.empty(len(offence), dtype=object)
    for name, dist in OUTCOMES.items():
        sel = np.flatnonzero(kind == name)
        p = np.array(list(dist.values()))
        out[sel] = rng.choice(list(dist), size=len(sel), p=p / p.sum())
    odd = rng.choice(len(offence), size=9, replace=False)
    out[odd] = ["99", "99", "TBC", "99", "TBC", "99", "TBC", "99", "99"]  # not outcome types
    return out


def main() -> None:
    rng = np.random.default_rng(SEED)
    codes = np.array([c for c, _ in MIX])
    p = np.array([w for _, w in MIX], dtype=float)
    offence = rng.choice(codes, size=N, p=p / p.sum())
    forms = rng.choice(4, size=N, p=[0.55, 0.2, 0.15, 0.1])
    code_text = np.array([written(c, f) for c, f in zip(offence, forms, strict=True)], dtype=object)

    names = list(AREAS)
    ap = np.array([AREAS[a][1] for a in names])
    area = rng.choice(names, size=N, p=ap / ap.sum())
    lsoa = np.array([rng.choice(AREAS[a][0]) for a in area])

    start = np.datetime64("2023-04-01")
    committed = start + rng.integers(0, 366, size=N).astype("timedelta64[D]")
    lag = rng.exponential(3.0, size=N).astype(int)
    historic = rng.random(N) < 0.02
    committed = np.where(
        historic, committed - rng.integers(400, 3000, size=N).astype("timedelta64[D]"), committed
    )
    reported = committed + lag.astype("timedelta64[D]")
    reported = np.where(
        historic, start + rng.integers(0, 366, size=N).astype("timedelta64[D]"), reported
    )

    police_initiated = np.isin(offence, ["092/61", "092/70", "005/14"]) & (rng.random(N) < 0.9)
    police_initiated |= rng.random(N) < 0.01
    company_detected = (offence == "046/00") & (rng.random(N) < 0.35)

    frame = pd.DataFrame(
        {
            "crime_ref": [f"EX/{i:05d}/23" for i in range(1, N + 1)],
            "offence_code": code_text,
            "committed_date": pd.Series(committed).dt.strftime("%Y-%m-%d"),
            "reported_date": pd.Series(reported).dt.strftime("%Y-%m-%d"),
            "neighbourhood": area,
            "lsoa": lsoa,
            "police_initiated": np.where(police_initiated, "Y", "N"),
            "company_detected": np.where(company_detected, "Y", "N"),
        }
    )
    # UK day-first dates from one of the force's systems
    uk = rng.random(N) < 0.1
    frame.loc[uk, "committed_date"] = pd.Series(committed[uk]).dt.strftime("%d/%m/%Y").to_numpy()
    # flaws, a handful of each
    flaws = rng.choice(N, size=40, replace=False)
    frame.loc[flaws[:8], "offence_code"] = [
        "999/99",
        "777/01",
        "888/88",
        "999/99",
        "61Z",
        "999/99",
        "430/01",
        "777/01",
    ]  # unknown codes
    frame.loc[flaws[8:12], "offence_code"] = ["8//6", "assault", "0806", "N/A"]  # malformed
    frame.loc[flaws[12:16], "offence_code"] = ""  # missing
    frame.loc[flaws[16:22], "committed_date"] = ""  # missing dates
    frame.loc[flaws[22:26], "committed_date"] = [
        "2023-02-30",
        "31/13/2023",
        "unknown",
        "2023/24",
    ]  # unparseable
    frame["outcome"] = outcomes(offence, police_initiated, company_detected)
    frame = frame.sort_values("crime_ref").reset_index(drop=True)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(OUT, index=False, lineterminator="\n")
    print(f"wrote {OUT} ({len(frame)} synthetic records)")


if __name__ == "__main__":
    main()
