"""More like this: the articles most like one article, with the words they share.

The body is not stored in the index, so the caller passes the article's text
(from the database). Its key terms are chosen with Whoosh's Bo1 model
(:meth:`whoosh.searching.Searcher.key_terms_from_text`), searched as one OR
query weighted by each term's key-ness, and each hit reports which of those
terms it holds, shown as the word the article itself uses most for that term.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from whoosh import query as wq
from whoosh.index import FileIndex
from whoosh.searching import Searcher

from index.analysis import is_exact_term, stem, terms_with_offsets, text_analyzer
from index.internals import blockeval
from index.languages import detect, stop_words
from index.search import FastBM25F

#: Key terms taken from the article.
KEY_TERMS = 25
#: Words too common in news to say what an article is about (as analysed terms).
_COMMON = frozenset(
    stem(w)
    for w in (
        "also after again against all any been before being but can could did does during "
        "each had have her him his how i if into just may might more most much must new not "
        "now one only other our out over said say says she should since so some such than "
        "their them then there these they this those through two under until up very we "
        "what when where which while who why would year years you your"
    ).split()
)


@dataclass(frozen=True, slots=True)
class SimilarHit:
    id: int
    score: float
    #: Shared words, most characteristic of the source article first.
    shared: tuple[str, ...]


#: How much of an article its key words are taken from (about 1 MB of text).
MAX_SCAN_CHARS = 1_000_000


def surface_forms(text: str) -> dict[str, str]:
    """For each analysed term of *text*, the word form that stands for it most often."""
    counts: dict[str, Counter[str]] = {}
    for term, s, e in terms_with_offsets(text_analyzer(), text):
        counts.setdefault(term, Counter())[text[s:e].lower()] += 1
    return {term: c.most_common(1)[0][0] for term, c in counts.items()}


def meaningful(word: str, stops: frozenset[str]) -> bool:
    """Whether *word* can say what two articles share: not a single letter, not a
    number (``2024``, ``3.5``, ``1st``), not a stop word."""
    if len(word) < 2 and word.isascii():
        return False
    if not any(ch.isalpha() for ch in word) or word[:1].isdigit():
        return False
    return word.lower() not in stops


def similar(
    ix: FileIndex, article_id: int, title: str, body: str, *, limit: int = 10
) -> list[SimilarHit]:
    """The articles most like the article *article_id* (whose *title* and *body* are given).

    :param limit: the most articles to return.
    """
    text = f"{title}\n{body[:MAX_SCAN_CHARS]}"  # a huge article: its opening window
    forms = surface_forms(text)
    with ix.searcher(weighting=FastBM25F()) as searcher:
        if not searcher.doc_count():
            return []  # (an index still empty: BM25's normaliser would divide by 0)
        # The language the article was indexed in (detected then, or given): detecting it
        # again would build the detector's stop-word table, 150 ms of a command's start.
        stored = searcher.document(id=str(article_id)) or {}
        stops = stop_words(stored.get("lang") or detect(text)) | stop_words("en")
        keys = [
            (term, weight)
            for term, weight in searcher.key_terms_from_text(
                "body", text, numterms=KEY_TERMS + len(_COMMON)
            )
            # (Whoosh analyses the text as for indexing: exact terms repeat their words)
            if term not in _COMMON
            and not is_exact_term(term)
            and meaningful(forms.get(term, term), stops)
        ][:KEY_TERMS]
        if not keys:
            return []
        rank = {term: n for n, (term, _) in enumerate(keys)}
        q = wq.Or(
            [wq.Term("body", t, boost=w) for t, w in keys]
            + [wq.Term("title", t, boost=w) for t, w in keys]
        )
        found = _evaluate(searcher, q, article_id, limit)
        hits = []
        for docnum, score, held in found:
            shared = sorted((t for t in held if t in rank), key=rank.__getitem__)
            hits.append(
                SimilarHit(
                    id=int(searcher.stored_fields(docnum)["id"]),
                    score=score,
                    shared=tuple(forms.get(t, t) for t in shared),
                )
            )
    return hits


def _evaluate(
    searcher: Searcher, q: wq.Query, article_id: int, limit: int
) -> list[tuple[int, float, set[str]]]:
    """The best *limit* matches of *q* but the article itself: (docnum, score, words held).

    The weighted OR of key terms is read a posting block at a time
    (:mod:`index.internals.blockeval`, Whoosh's scores to the last bit) where it can
    be: Whoosh's matchers step through it one document at a time, 400 ms at 100,000
    articles (bench/README.md). Otherwise Whoosh's own search, the article masked.
    """
    fast = blockeval.evaluate(searcher, q, limit + 1, ("title", "body"))
    if fast is None:
        own = wq.Term("id", str(article_id))
        results = searcher.search(q, limit=limit, mask=own, terms=True)
        return [
            (
                hit.docnum,
                float(hit.score or 0.0),
                {
                    t.decode("utf-8") if isinstance(t, bytes) else str(t)
                    for _, t in hit.matched_terms() or ()
                },
            )
            for hit in results
        ]
    own_docnum = searcher.document_number(id=str(article_id))
    top = [(d, score) for d, score in fast.top if d != own_docnum][:limit]
    held = fast.present(sorted(fast.queried), [d for d, _ in top]) or {}
    return [(d, score, {t for _, t in held.get(d, ())}) for d, score in top]
