"""The search speed-ups change nothing a person sees (bench/README.md, speed work).

* :class:`index.search.FastBM25F` scores from field lengths read once per segment:
  every score must equal Whoosh's own BM25F, to the last bit.
* For queries of plain words, the terms each hit matched are looked up for the page
  only, instead of Whoosh's terms collector noting them for every match: hits,
  scores and highlighted terms must equal the collector's.

Indexes are built from the sentences of the sample article, in several segments
(committed without merging) and again optimised to one.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from whoosh.scoring import BM25F

from index import search as isearch
from index import writer as iw
from index.internals.lengths import field_lengths
from index.query import parse
from index.schema import IndexDoc

SAMPLE = Path(__file__).resolve().parent.parent / "examples" / "000_4fc7972ffbe2aa8d.txt"

QUERIES = (
    "troops",
    "nato troops",
    "defence plans alliance",
    "=troops ukraine",
    "troops OR coalition",
    "ukraine -russia",
    "reassurance force ukraine troops ground",
    "rutte",
    '"military alliance"',
    "deploy*",
    "secretary general nato talks",
)


def _docs() -> list[IndexDoc]:
    """150 articles of 1 to 9 of the sample's sentences each (so lengths and tf vary)."""
    text = SAMPLE.read_text(encoding="utf-8")
    sentences = [s for s in re.split(r"(?<=[.!?”])\s+", text) if len(s) > 20]
    docs = []
    for i in range(150):
        k = 1 + i % 9
        body = " ".join(sentences[(i * 7 + j * 3) % len(sentences)] for j in range(k))
        title = sentences[(i * 5) % len(sentences)][:70]
        docs.append(IndexDoc(i + 1, f"v{i}", title, body))
    return docs


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory):
    """Each kind of index, built once per process whatever order tests run in."""
    paths: dict[str, Path] = {}

    def build(kind: str) -> Path:
        if kind not in paths:
            path = tmp_path_factory.mktemp(kind) / "index"
            ix = iw.create(path)
            docs = _docs()
            for start in range(0, len(docs), 50):  # three segments
                w = ix.writer()
                iw.apply(w, docs[start : start + 50], [])
                w.commit(merge=False)
            if kind == "optimised":
                ix.optimize()
            ix.close()
            paths[kind] = path
        return paths[kind]

    return build


# The optimised copy costs another index build (about 2 s): the slow tier checks it.
@pytest.fixture(
    scope="module", params=["segments", pytest.param("optimised", marks=pytest.mark.slow)]
)
def ix(request: pytest.FixtureRequest, built):
    ix = isearch.open_for_search(built(request.param))  # as the archive opens it: no mmap
    assert len(ix._segments()) == (3 if request.param == "segments" else 1)
    yield ix
    ix.close()


@pytest.mark.parametrize("text", QUERIES)
def test_fast_bm25f_gives_whooshs_scores_exactly(ix, text: str) -> None:
    q = parse(ix.schema, text).query
    runs = []
    for model in (BM25F, isearch.FastBM25F):
        with ix.searcher(weighting=model(B=isearch.BM25_B, K1=isearch.BM25_K1)) as s:
            results = s.search(q, limit=None, optimize=False)
            runs.append([(hit.docnum, hit.score) for hit in results])
    assert runs[0], f"{text!r} should match some articles"
    assert runs[1] == runs[0]


def test_fast_bm25f_reads_lengths_from_memory(ix) -> None:
    """The shortcut is really taken (a Whoosh upgrade that breaks it would show here)."""
    with ix.searcher(weighting=isearch.FastBM25F()) as s:
        for sub, _ in s.leaf_searchers():
            for field in ("title", "body"):
                lengths = field_lengths(sub, field)
                assert lengths is not None
                docs = range(sub.doc_count_all())
                assert [lengths(d) for d in docs] == [
                    sub.doc_field_length(d, field, 1) for d in docs
                ]


@pytest.mark.parametrize("text", QUERIES)
@pytest.mark.parametrize("offset", [0, 15])
def test_page_terms_equal_the_terms_collectors(
    ix, text: str, offset: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = isearch.search(ix, text, limit=10, offset=offset)
    # The same search with Whoosh's matchers and terms collector for every query.
    monkeypatch.setattr(isearch, "_plain_terms", lambda q: None)
    monkeypatch.setattr(isearch.blockeval, "evaluate", lambda *a, **k: None)
    slow = isearch.search(ix, text, limit=10, offset=offset)
    assert fast.total == slow.total
    assert fast.hits == slow.hits
    # Every query matches more than 25 articles: both pages are full. (A phrase's words
    # are highlighted as the phrase, found.phrases, not alone.)
    assert fast.total > 25 and len(fast.hits) == 10
    assert any(h.terms or h.exact_terms for h in fast.hits) or fast.phrases


def test_plain_word_queries_take_the_page_only_path(ix) -> None:
    assert isearch._plain_terms(parse(ix.schema, "nato troops").query) is not None
    assert isearch._plain_terms(parse(ix.schema, "=troops ukraine -russia").query) is not None
    for text in ('"military alliance"', "deploy*", "troops~", "tag:x troops"):
        assert isearch._plain_terms(parse(ix.schema, text).query) is None, text
