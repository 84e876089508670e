"""Regenerate the generated blocks of docs/weights.md from the shipped editions.

Run from the repository root:

    python scripts/docs_weights_table.py          # rewrite docs/weights.md
    python scripts/docs_weights_table.py --check  # exit 1 if the doc is stale

Each block sits between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->``:

``editions``
    The shipped editions, from the manifest (id, scheme, rows, dates, sha256).
``ambiguous``
    The Home Office classifications of the default edition whose rows carry
    different scores, with the base offence and the median, min and max.
``police-generated``
    The rows each police_generated rule flags, per edition.

tests/test_weights.py checks that the doc equals what this script writes, so
the doc cannot go stale.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from crimeharm.weights.editions import DEFAULT_EDITION, available_weights, load_weights  # noqa: E402
from crimeharm.weights.police_generated import POLICE_GENERATED_RULES  # noqa: E402

DOC = ROOT / "docs" / "weights.md"
README = ROOT / "README.md"  # carries the editions block too


def _days(value: float) -> str:
    return f"{float(value):.10g}"


def _table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def editions_block() -> str:
    """The editions table, from the manifest."""
    frame = available_weights()
    rows = [
        [
            f"`{r.id}`" + (" (default)" if r.default else ""),
            str(r.scheme),
            str(r.rows),
            str(r.published or "-"),
            str(r.guidelines_as_of or "-"),
            f"`{r.sha256}`",
        ]
        for r in frame.itertuples(index=False)
    ]
    headers = ["id", "scheme", "rows", "published", "guidelines as of", "sha256"]
    return _table(headers, rows)


def ambiguous_block(edition: str = DEFAULT_EDITION) -> str:
    """The ambiguous Home Office classifications of an edition, with every rule's answer."""
    weights = load_weights(edition)
    amb = weights.ambiguous_codes("ho_class")
    titles = weights.table.set_index("key")["title"]
    rows = [
        [
            f"`{code}`",
            str(int(a.n_rows)),
            _days(a.base),
            f"`{a.base_key}` {str(titles[a.base_key]).replace('|', '/')}",
            _days(a.median),
            _days(a.min),
            _days(a.max),
        ]
        for code, a in zip(amb.index, amb.itertuples(index=False), strict=True)
    ]
    headers = ["HO class", "rows", "base", "base offence", "median", "min", "max"]
    return f"In `{edition}` (days):\n\n" + _table(headers, rows)


def police_generated_block() -> str:
    """Rows flagged by each police_generated rule, per shipped edition."""
    counts = {}
    for edition in available_weights()["id"]:
        t = load_weights(edition).table
        if "police_generated_reason" in t.columns:
            counts[edition] = t["police_generated_reason"].value_counts()
    rows = []
    for rule, what in POLICE_GENERATED_RULES.items():
        rows.append([f"`{rule}`", what] + [str(int(c.get(rule, 0))) for c in counts.values()])
    totals = [str(len(load_weights(e))) for e in counts]
    flagged = [str(int(c.sum())) for c in counts.values()]
    rows.append(["all flagged", "", *flagged])
    rows.append(["rows", "", *totals])
    headers = ["rule", "what", *(f"`{e}` rows" for e in counts)]
    return _table(headers, rows)


BLOCKS = {
    "editions": editions_block,
    "ambiguous": ambiguous_block,
    "police-generated": police_generated_block,
}


def render(text: str, *, blocks: tuple[str, ...] | None = None) -> str:
    """Return ``text`` with every generated block replaced by its current content.

    Raises
    ------
    ValueError
        If a block's markers are missing.
    """
    for name, make in BLOCKS.items():
        if blocks is not None and name not in blocks:
            continue
        pattern = re.compile(
            rf"(<!-- {re.escape(name)}:start -->\n).*?(<!-- {re.escape(name)}:end -->)", re.DOTALL
        )
        if not pattern.search(text):
            raise ValueError(f"markers <!-- {name}:start --> / <!-- {name}:end --> not found")
        content = make()
        text = pattern.sub(lambda m, c=content: m.group(1) + c + "\n" + m.group(2), text)
    return text


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--doc", type=Path, default=DOC)
    ap.add_argument("--check", action="store_true", help="exit 1 if the doc is stale")
    args = ap.parse_args(argv)
    stale = False
    for doc, blocks in ((args.doc, None), (README, ("editions",))):
        text = doc.read_text(encoding="utf-8")
        new = render(text, blocks=blocks)
        if new == text:
            continue
        if args.check:
            print(f"{doc} is stale: run python scripts/docs_weights_table.py", file=sys.stderr)
            stale = True
        else:
            doc.write_text(new, encoding="utf-8")
            print(f"rewrote {doc}")
    return 1 if stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
