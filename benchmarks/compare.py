"""Check that every tool gave the same groups and sums as crimeharm.

Each job wrote its groups as ``lsoa, month ('YYYY-MM'), crimes, harm_days``
(crimeharm's rows restricted to ``crimes > 0``: its output also has cells
whose records were all excluded, counted in ``excluded_*`` columns). Two
results agree when they have the same (lsoa, month) keys and every ``crimes``
and ``harm_days`` is equal to a relative tolerance of 1e-9.

    python benchmarks/compare.py REFERENCE.parquet OTHER.parquet [...]

prints one JSON object per other file: ``{"path", "ok", "groups", "missing",
"extra", "max_rel_diff_crimes", "max_rel_diff_harm"}``.
"""

from __future__ import annotations

import json
import sys

import numpy as np
import pandas as pd

RTOL = 1e-9
KEYS = ["lsoa", "month"]


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    if len(a) == 0:
        return 0.0
    scale = np.maximum(np.abs(a), np.abs(b))
    diff = np.abs(a - b)
    rel = np.divide(diff, scale, out=np.zeros_like(diff), where=scale > 0)
    return float(rel.max())


def compare(reference: pd.DataFrame, other: pd.DataFrame) -> dict:
    """Agreement of two normalised results, as plain values."""
    ref = reference.set_index(KEYS).sort_index()
    oth = other.set_index(KEYS).sort_index()
    dup = int(oth.index.duplicated().sum())
    missing = ref.index.difference(oth.index)
    extra = oth.index.difference(ref.index)
    both = ref.index.intersection(oth.index)
    r, o = ref.loc[both], oth.loc[both]
    crimes = _rel(r["crimes"].to_numpy(float), o["crimes"].to_numpy(float))
    harm = _rel(r["harm_days"].to_numpy(float), o["harm_days"].to_numpy(float))
    return {
        "groups": len(oth),
        "reference_groups": len(ref),
        "duplicate_keys": dup,
        "missing": len(missing),
        "extra": len(extra),
        "missing_examples": [list(map(str, k)) for k in missing[:3]],
        "extra_examples": [list(map(str, k)) for k in extra[:3]],
        "max_rel_diff_crimes": crimes,
        "max_rel_diff_harm": harm,
        "ok": not dup and not len(missing) and not len(extra) and max(crimes, harm) <= RTOL,
    }


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) < 2:
        raise SystemExit(__doc__)
    reference = pd.read_parquet(args[0])
    ok = True
    for path in args[1:]:
        rec = {"path": path, **compare(reference, pd.read_parquet(path))}
        ok &= rec["ok"]
        sys.stdout.write(json.dumps(rec) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
