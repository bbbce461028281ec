"""Misspelt names: is the article found when a name or rare word in the query is misspelt?

Corpus: the BBC News set of ``relevance.py`` (2,225 articles, ingested without their
headlines, the same archive). Each query is built from one article: a name or rare
word of it (a capitalised word inside a sentence, at least six letters, in at most
30 articles) with one letter changed, inserted, deleted or two letters swapped (never
the first letter, where people rarely slip), plus one common word of the same article
(in 3-30% of the articles). The target is that article. Reported: the share of
queries whose target is in the top 3 (and MRR@10) for the archive's plain search,
with ``--fuzzy``, and with ``--strict``.

Run: ``.venv/bin/python bench/misspelt.py [--queries 300] [--seed 11] [--reuse]``.
The run is kept as ``bench/results/<date>-<time>-misspelt-bbc-<queries>q-seed<seed>.json``.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import string
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))
sys.path.insert(0, str(ROOT))

from relevance import PACKAGE, build_ours, fetch, load  # noqa: E402
from resultfile import basic_machine, result_path  # noqa: E402

_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_WORD = re.compile(r"[A-Za-z]+")


def misspell(word: str, rng: random.Random) -> str:
    """*word* with one edit after its first letter: change, insert, delete or swap."""
    kind = rng.choice(("change", "insert", "delete", "swap"))
    i = rng.randrange(1, len(word) - 1)
    letters = string.ascii_lowercase
    if kind == "change":
        return word[:i] + rng.choice([c for c in letters if c != word[i].lower()]) + word[i + 1 :]
    if kind == "insert":
        return word[:i] + rng.choice(letters) + word[i:]
    if kind == "delete":
        return word[:i] + word[i + 1 :]
    if word[i] == word[i + 1]:
        return word[:i] + rng.choice(letters) + word[i + 1 :]
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def build_queries(
    articles: list[tuple[str, str, str]], count: int, seed: int
) -> list[tuple[str, str, str]]:
    """(query, target name, the word misspelt) for *count* articles."""
    rng = random.Random(seed)
    df: Counter[str] = Counter()
    for _, _, body in articles:
        df.update({w.lower() for w in _WORD.findall(body)})
    n = len(articles)
    queries = []
    order = list(range(n))
    rng.shuffle(order)
    for k in order:
        name, _, body = articles[k]
        rare = sorted(
            {
                w
                for s in _SENTENCE.split(body)
                for w in _WORD.findall(s)[1:]
                if w[0].isupper() and len(w) >= 6 and df[w.lower()] <= 30
            }
        )
        common = sorted(
            {w.lower() for w in _WORD.findall(body) if 0.03 * n <= df[w.lower()] <= 0.3 * n}
        )
        if not rare or not common:
            continue
        word = rng.choice(rare)
        query = f"{misspell(word, rng)} {rng.choice(common)}"
        queries.append((query, name, word))
        if len(queries) == count:
            break
    return queries


def evaluate(home: Path, ids: dict[str, int], queries: list[tuple[str, str, str]]) -> dict:
    from archive.reading import Reader

    reader = Reader(home)
    out = {}
    for label, kwargs in (
        ("plain", {}),
        ("--fuzzy", {"fuzzy": True}),
        ("--strict", {"rescue": False}),
    ):
        top3 = 0
        rr = 0.0
        for query, name, _ in queries:
            hits = [h.id for h in reader.search(query, limit=10, passages=0, **kwargs).hits]
            target = ids[name]
            if target in hits[:3]:
                top3 += 1
            if target in hits:
                rr += 1 / (hits.index(target) + 1)
        out[label] = {"top3": top3 / len(queries), "mrr10": rr / len(queries)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--reuse", action="store_true", help="keep the archive already built")
    ap.add_argument("--show", type=int, default=0, help="print this many queries")
    args = ap.parse_args()
    started = time.time()
    articles = load(fetch())
    home, ids = build_ours(articles, args.reuse)
    queries = build_queries(articles, args.queries, args.seed)
    for q in queries[: args.show]:
        print(q)
    results = evaluate(home, ids, queries)
    print(f"{len(queries)} misspelt-name queries (seed {args.seed})")
    print("| search | target in top 3 | MRR@10 |\n| --- | --- | --- |")
    for label, r in results.items():
        print(f"| {label} | {r['top3']:.3f} | {r['mrr10']:.3f} |")
    result = {
        "machine": basic_machine(started),
        "corpus": {"articles": len(articles), "package": PACKAGE},
        "queries": len(queries),
        "seed": args.seed,
        "results": results,
    }
    out = result_path(f"misspelt-bbc-{args.queries}q-seed{args.seed}", started)
    out.write_text(json.dumps(result, indent=2))
    print(f"results: {out.relative_to(out.parents[2])}")


if __name__ == "__main__":
    main()
