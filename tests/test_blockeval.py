"""Block evaluation (index/internals/blockeval.py) gives Whoosh's results exactly, and counts right.

The index holds 900 BBC News articles (tests/data) in three segments with some
articles deleted, written by the archive's compact codec (index/internals/compact.py),
and the same optimised to one segment by Whoosh's own writer (its W3 codec). For each query shape
the block path takes, the count, the best 100 hits and their scores must equal
those of Whoosh's own matchers (scores to the last bit), and the count must be
the number of articles Whoosh finds when it lists every match.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from whoosh import query as wq
from whoosh.codec.whoosh3 import W3Codec

from archive.ingest import read_path
from index import internals, ranking
from index import search as isearch
from index import writer as iw
from index.internals import blockeval
from index.internals.compact import CompactCodec
from index.query import parse
from index.schema import IndexDoc

QUERIES = (
    "market",
    "oil prices",
    "economic growth forecast",
    "bank interest rates rise",
    "government -labour",
    "shares OR stocks OR bonds",
    "=prices oil",
    "title:profits",
    "company profits rose last year",
    "election blair brown tax -football",
    "mobile phone -(music OR film)",
    "(oil -bank) OR tax",
    "economy (bank OR (oil prices))",
    "qwzxv oil",
    "profits~",  # fuzzy words: expanded in each segment
    "goverment~2",
    "elecion~1 minister -blair",
    '"interest rates"',  # phrases: positions chained as Whoosh's SpanNear2 chains them
    '"bank of england" -euro',
    'economy "prime minister"',
    '"oil prices" OR "share prices"',
    '"rates interest"~3',
)
#: Queries the block path leaves to Whoosh.
OTHER_SHAPES = ("econom*", "oil^2 prices", "author:smith")
DELETED = set(range(5, 900, 37))

# Building the 900-article index takes ~18 s and optimising a copy as long again.
pytestmark = pytest.mark.slow


def _docs(bbc: Path) -> list[IndexDoc]:
    files = [
        f
        for section in ("business", "politics", "tech")
        for f in sorted((bbc / section).glob("*.txt"))
    ]
    docs = []
    for i, f in enumerate(files[:900]):
        (draft,) = read_path(f)
        published = datetime(2004 + i % 2, 1 + i % 12, 1 + i % 28, i % 24, i % 60)
        docs.append(IndexDoc(i + 1, f"v{i}", draft.title, draft.body, published=published))
    assert len(docs) == 900
    return docs


# Both indexes are session-scoped: built once per process, whatever order tests run in.
@pytest.fixture(scope="session")
def built(bbc_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bbc") / "index"
    ix = iw.create(path)
    docs = _docs(bbc_corpus)
    for start in range(0, len(docs), 300):  # three segments, in the archive's codec
        w = ix.writer(codec=internals.codec())
        iw.apply(w, docs[start : start + 400], [])
        w.commit(merge=False)
    w = ix.writer(codec=internals.codec())
    iw.apply(w, [], sorted(DELETED))
    w.commit(merge=False)
    ix.close()
    return path


@pytest.fixture(scope="session")
def optimised(built: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    import shutil

    path = tmp_path_factory.mktemp("optimised") / "index"
    shutil.copytree(built, path)
    w = iw.open_index(path)
    w.optimize()  # Whoosh's own writer: its W3 codec, the compact segments read by its matchers
    w.close()
    return path


@pytest.fixture(scope="module", params=["segments", "optimised"])
def ix(request: pytest.FixtureRequest, built: Path):
    path = built if request.param == "segments" else request.getfixturevalue("optimised")
    ix = isearch.open_for_search(path)
    segments = ix._segments()
    if request.param == "segments":
        assert len(segments) == 3 and any(s.has_deletions() for s in segments)
        assert all(type(s.codec()) is CompactCodec for s in segments)
    else:
        assert len(segments) == 1 and not segments[0].has_deletions()
        assert type(segments[0].codec()) is W3Codec
    yield ix
    ix.close()


def _searcher(ix):
    return ix.searcher(weighting=isearch.FastBM25F(B=isearch.BM25_B, K1=isearch.BM25_K1))


def _whoosh(searcher, q, limit: int):
    """Whoosh's own matchers, counting every match: (count, [(docnum, score)])."""
    isearch._as_when_collecting_terms(q)
    # A fuzzy word's union is made at match time: the search collects its matched terms,
    # so Whoosh scores it (collecting nothing, it may count matches on a small segment).
    fuzzy = any(isinstance(leaf, wq.FuzzyTerm) for leaf in q.leaves())
    collector = isearch._counting(searcher, {"limit": limit, "optimize": False, "terms": fuzzy})
    searcher.search_with_collector(q, collector)
    results = collector.results()
    return len(results), [(hit.docnum, hit.score) for hit in results]


@pytest.mark.parametrize("text", QUERIES)
def test_same_count_hits_and_scores_as_whoosh(ix, text: str) -> None:
    q = parse(ix.schema, text).query
    with _searcher(ix) as s:
        ev = blockeval.evaluate(s, q, 100, isearch._TEXT_FIELDS)
        assert ev is not None, f"{text!r} should take the block path"
        total, top = _whoosh(s, q, 100)
        every = set(s.docs_for_query(q))
    assert ev.total == total == len(every)
    assert ev.top == top  # docnums, order and scores, to the last bit
    if text.startswith("qwzxv"):
        assert ev.total == 0
    else:
        assert ev.total > 0
        assert {d for d, _ in ev.top} <= every


def test_random_queries_equal_whooshs(ix) -> None:
    """300 queries of random shapes over the articles' own words (seeded)."""
    import random

    rng = random.Random(11)
    with _searcher(ix) as s:
        # The words as written: the forms of the body's exact terms (index/exact.py).
        terms = [w.decode() for w in s.lexicon("body") if w[:1] == b"\x01"]
        terms = [t for t in terms if 5 <= s.doc_frequency("body", t) <= 400]
        words = [t.split("\x01")[2] for t in terms]
        words = [w for w in words if w.isalpha() and 3 < len(w) < 9]
        compared = 0
        for _ in range(300):
            ws = [rng.choice(words) for _ in range(rng.randint(1, 5))]
            shape = rng.choice(["and", "or", "not", "nested", "mixed"])
            if shape == "and":
                text = " ".join(ws)
            elif shape == "or":
                text = " OR ".join(ws)
            elif shape == "not":
                text = ws[0] + "".join(f" -{w}" for w in ws[1:])
            elif shape == "nested":
                text = f"({' OR '.join(ws[:2])}) {' '.join(ws[2:])} OR ({' -'.join(ws[::-1])})"
            else:
                text = " ".join(rng.choice(["", "-", "="]) + w for w in ws)
            q = parse(ix.schema, text).query
            limit = rng.choice([1, 10, 100, 1000])
            ev = blockeval.evaluate(s, q, limit, isearch._TEXT_FIELDS)
            if ev is None:  # e.g. "-a -b" alone: not a query of this module's shapes
                continue
            assert (ev.total, ev.top) == _whoosh(s, q, limit), text
            compared += 1
    assert compared > 250


def test_deleted_articles_are_never_found(ix) -> None:
    q = parse(ix.schema, "market OR government OR people OR year").query
    with _searcher(ix) as s:
        ev = blockeval.evaluate(s, q, 2000, isearch._TEXT_FIELDS)
        ids = {int(s.stored_fields(d)["id"]) for d, _ in ev.top}
    assert ev.total == len(ev.top) > 500
    assert not ids & DELETED


def test_whooshs_top_n_collector_undercounts_and_ours_does_not(ix) -> None:
    """Why ``_counting`` exists: Whoosh's top-N count skips what cannot enter the top N."""
    # The word in title and body (the fields this corpus has text in: an empty
    # field, like notes here, changes the matcher Whoosh builds and hides the defect).
    q = parse(ix.schema, "title:market OR body:market").query
    with _searcher(ix) as s:
        true_total = len(set(s.docs_for_query(q)))
        plain = len(s.search(q, limit=10, optimize=False))
        ours, _ = _whoosh(s, q, 10)
    assert true_total > 100
    assert plain < true_total  # Whoosh 2.7.4's defect, as measured
    assert ours == true_total


@pytest.mark.parametrize("text", ["oil prices", "bank interest rates rise", "mobile phone"])
def test_positions_and_presence_equal_the_indexs(ix, text: str) -> None:
    q = parse(ix.schema, text).query
    with _searcher(ix) as s:
        ev = blockeval.evaluate(s, q, 100, isearch._TEXT_FIELDS)
        docnums = [d for d, _ in ev.top]
        terms = {t for f, t in ev.queried if f == "body"}
        assert ev.positions("body", terms, docnums) == ranking.read_positions(
            s, "body", terms, docnums
        )
        pairs = sorted(ev.queried)
        assert ev.present(pairs, docnums) == ranking.present(s, pairs, docnums)
        # A term the query did not read: the caller must read the index itself.
        assert ev.positions("body", {"zebra"}, docnums) is None
        assert ev.present([("body", "zebra")], docnums) is None


@pytest.mark.parametrize("text", OTHER_SHAPES)
def test_other_query_shapes_are_left_to_whoosh(ix, text: str) -> None:
    q = parse(ix.schema, text).query
    with _searcher(ix) as s:
        assert blockeval.evaluate(s, q, 10, isearch._TEXT_FIELDS) is None


@pytest.mark.parametrize("text", QUERIES + OTHER_SHAPES)
@pytest.mark.parametrize("offset", [0, 20])
def test_search_results_equal_whooshs_path(
    ix, text: str, offset: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = isearch.search(ix, text, limit=10, offset=offset)
    monkeypatch.setattr(isearch.blockeval, "evaluate", lambda *a, **k: None)
    slow = isearch.search(ix, text, limit=10, offset=offset)
    assert fast == slow
    # Not two empty answers: every query but one finds articles (as written, or by a
    # rescue, whose hits are not counted as matches), and the page is full.
    shown = fast.total + (fast.rescue.total if fast.rescue is not None else 0)
    assert (shown == 0) == (text == "author:smith")
    assert len(fast.hits) == min(10, max(0, shown - offset))


DATE_RANGES = [
    (datetime(2004, 6, 1), None),
    (None, datetime(2004, 3, 15, 12)),
    (datetime(2004, 2, 1), datetime(2005, 2, 1)),
    (datetime(2005, 5, 3, 10, 30), datetime(2005, 5, 3, 10, 30)),
    (datetime(2030, 1, 1), None),
]
#: Ranges no article was published in (none at that minute; none in the future).
EMPTY_RANGES = DATE_RANGES[3:]


@pytest.mark.parametrize(("since", "until"), DATE_RANGES)
@pytest.mark.parametrize(
    "text", ["market", "oil prices", "government -labour", "(oil -bank) OR tax"]
)
def test_date_ranges_equal_whooshs(ix, text: str, since, until) -> None:
    q = parse(ix.schema, text).query
    dates = isearch._date_filter(since, until)
    with _searcher(ix) as s:
        ev = blockeval.evaluate(s, q, 100, isearch._TEXT_FIELDS, within=dates)
        assert ev is not None
        full = wq.And([q, dates])
        assert (ev.total, ev.top) == _whoosh(s, full, 100)
        in_range = set(s.docs_for_query(dates))
    assert {d for d, _ in ev.top} <= in_range
    if (since, until) in EMPTY_RANGES:
        assert ev.total == 0 and not in_range
    else:
        assert ev.total > 0 and len(ev.top) == min(100, ev.total)


@pytest.mark.parametrize(("since", "until"), DATE_RANGES[:3])
def test_date_filtered_search_equals_whooshs_path(
    ix, since, until, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = isearch.search(ix, "oil prices", limit=10, since=since, until=until)
    monkeypatch.setattr(isearch.blockeval, "evaluate", lambda *a, **k: None)
    slow = isearch.search(ix, "oil prices", limit=10, since=since, until=until)
    assert fast == slow and fast.total > 0


def test_dates_facets_and_sorting_count_every_match(ix) -> None:
    plain = isearch.search(ix, "oil prices", limit=5)
    faceted = isearch.search(ix, "oil prices", limit=5, facets=["year"])
    newest = isearch.search(ix, "oil prices", limit=5, sort="newest")
    assert plain.total == faceted.total == newest.total > 5


@pytest.fixture(scope="module")
def bbc_docs(bbc_corpus: Path) -> dict[int, IndexDoc]:
    return {d.id: d for d in _docs(bbc_corpus)}


@pytest.mark.parametrize("article", [1, 2, 150, 451, 899])
def test_similar_articles_equal_whooshs(
    ix, bbc_docs, article: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``archive similar``'s weighted OR of key terms: the same articles, scores (to the
    last bit) and shared words whether read in blocks or by Whoosh's matchers."""
    from index import similar as similar_module

    doc = bbc_docs[article]
    fast = similar_module.similar(ix, article, doc.title, doc.body, limit=10)
    monkeypatch.setattr(similar_module.blockeval, "evaluate", lambda *a, **k: None)
    slow = similar_module.similar(ix, article, doc.title, doc.body, limit=10)
    assert fast == slow
    assert len(fast) == 10 and article not in {h.id for h in fast}
    assert not {h.id for h in fast} & DELETED
    assert all(h.shared for h in fast)
