"""Near-duplicate detection (archive/neardup.py): precision and recall on the BBC corpus.

The BBC set (2,225 articles) holds exact duplicates (the same story under two file
names) and near ones. Ground truth:

- natural pairs: two BBC files whose texts are the same once white space is folded;
- made pairs: for a seeded sample of articles, the same article as it arrives from
  elsewhere: a title line prepended, hard-wrapped at 60 columns, a tracking footer
  appended, and all three at once; each is a duplicate of its original (and of the
  original's natural twins).

Every text is looked up the way ingest does (the bottom-k keys find candidates, the
shingle Jaccard confirms) against all the texts before it; a reported match is right
when the two are a true pair. Precision: right matches / matches reported; recall:
texts with a true earlier twin that were matched / such texts. Every pair of BBC
originals found at or above the threshold that is not an exact duplicate is listed
for inspection.

    .venv/bin/python bench/neardup.py [--sample 400] [--seed 7]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive import neardup  # noqa: E402
from bench.resultfile import basic_machine, result_path  # noqa: E402

FOOTER = (
    "\n\nThis story was shared via our newsletter. Read more at "
    "https://example.com/?utm_source=newsletter&utm_medium=email. Unsubscribe here."
)
VARIANTS = {
    "title": lambda t, title: f"{title}\n\n{t}",
    "wrapped": lambda t, title: "\n\n".join(
        textwrap.fill(p, 60) for p in t.split("\n") if p.strip()
    ),
    "footer": lambda t, title: t + FOOTER,
    "all": lambda t, title: (
        f"{title}\n\n"
        + "\n\n".join(textwrap.fill(p, 60) for p in t.split("\n") if p.strip())
        + FOOTER
    ),
}


def load(corpus: Path) -> list[tuple[str, str]]:
    out = []
    for path in sorted(corpus.glob("*/*.txt")):
        text = path.read_text(encoding="latin-1").strip()
        out.append((f"{path.parent.name}/{path.name}", text))
    return out


def evaluate(
    items: list[tuple[str, str, int]], truth: dict[int, set[int]], threshold: float
) -> dict[str, float | int]:
    """*items*: (name, text, group) in arrival order; two items are a true pair when
    they share a group. Each is matched against those before it."""
    keyed: dict[int, list[int]] = {}
    sets: list[set[int]] = []
    reported = right = should = found = 0
    for n, (_, text, group) in enumerate(items):
        mine = neardup.shingles(text)
        candidates = {i for k in neardup.keys(mine) for i in keyed.get(k, ())}
        best = max(((neardup.jaccard(mine, sets[i]), i) for i in candidates), default=(0.0, -1))
        earlier_twin = any(items[i][2] == group for i in truth.get(group, set()) if i < n)
        should += earlier_twin
        if best[0] >= threshold:
            reported += 1
            ok = items[best[1]][2] == group
            right += ok
            found += ok and earlier_twin
        sets.append(mine)
        for k in neardup.keys(mine):
            keyed.setdefault(k, []).append(n)
    return {
        "threshold": threshold,
        "reported": reported,
        "right": right,
        "precision": round(right / reported, 4) if reported else 1.0,
        "with_earlier_twin": should,
        "recall": round(found / should, 4) if should else 1.0,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sample", type=int, default=400)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--corpus", type=Path, default=ROOT / "tests/data/cache/bbc")
    args = ap.parse_args()
    started = time.time()
    docs = load(args.corpus)
    # Natural groups: the same text once white space is folded.
    group_of: dict[str, int] = {}
    items: list[tuple[str, str, int]] = []
    for name, text in docs:
        key = " ".join(text.split())
        items.append((name, text, group_of.setdefault(key, len(group_of))))
    natural_pairs = len(items) - len(group_of)
    rng = random.Random(args.seed)
    for name, text, group in rng.sample(items[: len(docs)], args.sample):
        title = text.split("\n", 1)[0]
        for label, make in VARIANTS.items():
            items.append((f"{name}+{label}", make(text, title), group))
    truth: dict[int, set[int]] = {}
    for n, (_, _, group) in enumerate(items):
        truth.setdefault(group, set()).add(n)
    t0 = time.perf_counter()
    sweep = [evaluate(items, truth, t) for t in (0.5, 0.6, 0.7, 0.8, 0.9)]
    seconds = time.perf_counter() - t0
    # Natural near pairs among the originals, at the threshold, that are not exact.
    sets = [neardup.shingles(text) for _, text, _ in items[: len(docs)]]
    keyed: dict[int, list[int]] = {}
    for n, s in enumerate(sets):
        for k in neardup.keys(s):
            keyed.setdefault(k, []).append(n)
    near = sorted(
        {
            (a, b, round(neardup.jaccard(sets[a], sets[b]), 3))
            for ids in keyed.values()
            for a in ids
            for b in ids
            if a < b
            and items[a][2] != items[b][2]
            and neardup.jaccard(sets[a], sets[b]) >= neardup.THRESHOLD
        },
        key=lambda p: -p[2],
    )
    result = {
        "machine": basic_machine(started),
        "corpus": "bbc",
        "articles": len(docs),
        "natural_exact_duplicate_texts": natural_pairs,
        "made_variants": len(items) - len(docs),
        "sample": args.sample,
        "seed": args.seed,
        "shingle": neardup.SHINGLE,
        "keys": neardup.KEYS,
        "threshold": neardup.THRESHOLD,
        "sweep": sweep,
        "seconds_per_sweep_point": round(seconds / len(sweep), 2),
        "natural_near_pairs": [
            {"a": items[a][0], "b": items[b][0], "jaccard": j} for a, b, j in near
        ],
    }
    out = result_path(f"neardup-bbc-{args.sample}s-seed{args.seed}", started)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "machine"}, indent=2))
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
