"""Searching the Whoosh index: ranking, paging, facets and the rescue of empty results.

Takes a query string and returns plain values: the total number of matching
articles, the ids and scores of the page asked for, and for each hit the
analysed terms that matched it (so passages highlight exactly those, wildcard,
fuzzy and spelling variants included).

Ranking is BM25F (title weighted above body), then the best
:data:`RERANK_DEPTH` hits are re-ranked by how close together the query's
words occur in the body (DESIGN.md, "Search quality": proximity is the
biggest win over plain BM25F).

When requiring every word finds nothing, the articles matching most of the
words are ranked instead; when a search finds (almost) nothing, a correction
from the index's own vocabulary is suggested, and words are retried fuzzily.
Each of these is reported as a notice.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from whoosh import query as wq
from whoosh import sorting
from whoosh.index import FileIndex
from whoosh.scoring import BM25F, BM25FScorer
from whoosh.searching import Searcher

from index import blockeval
from index import postings as posting_lists
from index.errors import IndexingError, IndexOutdatedError, QuerySyntaxError
from index.postings import BYTE_TO_LENGTH
from index.query import (
    MAX_FUZZY_CHARS,
    ParsedQuery,
    explain,
    make_parser,
    parse,
    phrases,
    positive_leaves,
    syntax_problems,
)
from index.schema import EXACT_FIELDS, FACET_FIELDS

SORTS = ("relevance", "newest", "oldest")
#: How many of the best BM25F hits are re-ranked by proximity.
RERANK_DEPTH = 100
#: Weight of the proximity signal against the (normalised) BM25F score.
PROXIMITY_WEIGHT = 2.0
#: In the most-words rescue, weight of the share of the query's words an article has.
COVERAGE_WEIGHT = 1.5
#: Words this far apart (beyond adjacent) halve the proximity signal.
PROXIMITY_SLACK = 8.0
#: A query of this many required words or more is widened to most-words matching when
#: fewer than a page of articles have every word (with fewer words: only when none has).
FILL_MIN_WORDS = 3
#: Below this many hits a spelling suggestion is looked for.
FEW_HITS = 3
#: BM25F parameters: B (length normalisation) and K1 (term frequency saturation).
BM25_B = 0.75
BM25_K1 = 1.2

_HIGHLIGHT_FIELDS = frozenset({"title", "body"})
_EXACT_HIGHLIGHT_FIELDS = frozenset(EXACT_FIELDS.values())
_TEXT_FIELDS = _HIGHLIGHT_FIELDS | _EXACT_HIGHLIGHT_FIELDS

__all__ = ["SORTS", "Hit", "SearchResult", "search", "syntax_problems"]


@dataclass(frozen=True, slots=True)
class Hit:
    """One matching article and what in it matched."""

    id: int
    score: float
    #: Analysed (stemmed) terms that matched in title or body.
    terms: frozenset[str] = field(default_factory=frozenset)
    #: Exact (unstemmed, folded) forms that matched.
    exact_terms: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class SearchResult:
    """A page of hits, the total count, and what the query was taken to mean."""

    query: str
    total: int
    hits: list[Hit]
    understood: str
    notices: tuple[str, ...] = ()
    #: Strict phrases of the query (analysed words), highlighted as a whole.
    phrases: tuple[tuple[str, ...], ...] = ()
    #: For each facet asked for: (value, number of matching articles), most first.
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    #: A corrected query from the index's vocabulary, when the search found (almost) nothing.
    suggestion: str | None = None


def open_for_search(path: Path) -> FileIndex:
    """Open the index at *path* for reading.

    Without mmap: Whoosh 2.7.4 reads a compound segment's parts from an mmap
    through ``BytesIO(memoryview)``, which copies each part whole on every
    open (measured: 133 ms against 15 ms per search on a 32 MB index).

    :raises IndexingError: there is no index, or it cannot be read.
    """
    from whoosh.filedb.filestore import FileStorage

    from index.writer import exists

    if not exists(path):
        raise IndexingError(f"no search index at {path}")
    try:
        return FileStorage(str(path), supports_mmap=False, readonly=True).open_index()
    except Exception as exc:  # Whoosh raises many kinds on a damaged index
        raise IndexingError(f"the search index at {path} cannot be read ({exc})") from exc


def _text(value: object) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


class FastBM25F(BM25F):
    """Whoosh's BM25F, scoring from field lengths read once per segment.

    Whoosh's scorer reads a matching document's field length from the index
    file for every (document, term) it scores: one seek and read each, a
    seventh of a search's time at 100,000 articles. This one reads a
    segment's length column (one byte per document) once and looks lengths up
    in memory: the same numbers, so the same scores.
    """

    def scorer(self, searcher: Searcher, fieldname: str, text: bytes, qf: int = 1) -> object:
        scorer = super().scorer(searcher, fieldname, text, qf=qf)
        if isinstance(scorer, BM25FScorer):
            lengths = _field_lengths(searcher, fieldname)
            if lengths is not None:
                scorer.dfl = lengths
        return scorer


def _field_lengths(searcher: Searcher, fieldname: str) -> Callable[[int], int | None] | None:
    """``docnum -> searcher.doc_field_length(docnum, fieldname, 1)`` from memory, or None.

    None when *searcher* spans several segments or its reader is not Whoosh
    2.7's segment reader (then Whoosh's own per-document reads are used).
    """
    if not searcher.is_atomic():
        return None
    cache: dict[str, Callable[[int], int | None] | None] = searcher.__dict__.setdefault(
        "_archive_lengths", {}
    )
    if fieldname in cache:
        return cache[fieldname]
    lengths = None
    raw = posting_lists.length_bytes(getattr(searcher.reader(), "_perdoc", None), fieldname)
    if raw is not None:
        count = len(raw)

        def lengths(docnum: int) -> int | None:
            return BYTE_TO_LENGTH[raw[docnum]] if docnum < count else None

    cache[fieldname] = lengths
    return lengths


def search(
    ix: FileIndex,
    text: str,
    *,
    limit: int = 10,
    offset: int = 0,
    sort: str = "relevance",
    since: datetime | None = None,
    until: datetime | None = None,
    facets: Sequence[str] = (),
    fuzzy: bool = False,
    rescue: bool = True,
) -> SearchResult:
    """Run the query *text* and return the hits ``offset`` to ``offset + limit``.

    :param sort: ``relevance`` (BM25F with proximity), ``newest`` or ``oldest`` (published).
    :param since: only articles published at or after this instant.
    :param until: only articles published at or before this instant.
    :param facets: names from :data:`index.schema.FACET_FIELDS` to count matches by.
    :param fuzzy: match every word fuzzily (one or two letters different).
    :param rescue: when nothing matches, try most-words, then fuzzy matching.
    :raises QuerySyntaxError: the query has nothing to search for.
    :raises IndexOutdatedError: the index was built by an older version.
    """
    if sort not in SORTS:
        raise ValueError(f"unknown sort {sort!r}")
    unknown = [f for f in facets if f not in FACET_FIELDS]
    if unknown:
        raise ValueError(f"unknown facet {unknown[0]!r}")
    if "body_exact" not in ix.schema:
        raise IndexOutdatedError("the search index was built by an older version")
    parsed = parse(ix.schema, text)
    notices = list(parsed.notices)
    q = parsed.query
    if fuzzy:
        q = _fuzzy_query(ix, parsed) or q
        notices.append("fuzzy matching: words may differ by a letter or two")
    dates = _date_filter(since, until)
    with ix.searcher(weighting=FastBM25F(B=BM25_B, K1=BM25_K1)) as searcher:
        run = _Runner(searcher, dates, limit, offset, sort, facets)
        page = run(q)
        strict_total = page.total
        thin = page.total < limit + offset and sort == "relevance"
        if rescue and (page.total == 0 or thin and _required(q) >= FILL_MIN_WORDS):
            # No or too few articles have every word of a longer query (a pasted sentence,
            # one word too many): rank by how many of the words an article has, IDF-weighted;
            # those with every word come first.
            loose = _most_words(q)
            if loose is not None:
                wider = run(loose, coverage=True)
                if wider.total > page.total:
                    if page.total == 0:
                        notices.append(
                            "no article has every word; showing those that match the most of them"
                        )
                    else:
                        have = "article has" if page.total == 1 else "articles have"
                        notices.append(
                            f"only {page.total} {have} every word; "
                            "also showing those that match the most of them"
                        )
                    page, q = wider, loose
        suggestion = None
        if strict_total < FEW_HITS and rescue:
            suggestion = _suggest(searcher, parsed, dates, strict_total)
            if suggestion:
                notices.append(f"did you mean: {suggestion}")
        if page.total == 0 and rescue and not fuzzy:
            fq = _fuzzy_query(ix, parsed)
            if fq is not None:
                page = run(fq)
                if page.total == 0 and (loose := _most_words(fq)) is not None:
                    page = run(loose, coverage=True)
                    fq = loose
                if page.total:
                    q = fq
                    notices.append(
                        "nothing matched exactly; showing fuzzy matches "
                        "(words that differ by a letter or two)"
                    )
    return SearchResult(
        query=text,
        total=page.total,
        hits=page.hits,
        understood=explain(q) + (_explain_dates(since, until) if dates is not None else ""),
        notices=tuple(notices),
        phrases=tuple(phrases(q)),
        facets=page.facets,
        suggestion=suggestion,
    )


#: A match before paging: (docnum, score, matched (field, term) pairs).
_Found = tuple[int, float, Sequence[tuple[str, object]]]


@dataclass(slots=True)
class _Page:
    total: int
    hits: list[Hit]
    facets: dict[str, list[tuple[str, int]]]


class _Runner:
    """Runs queries with the same filter, paging, sort and facets."""

    def __init__(
        self,
        searcher: Searcher,
        dates: wq.Query | None,
        limit: int,
        offset: int,
        sort: str,
        facets: Sequence[str],
    ) -> None:
        self.searcher = searcher
        self.dates = dates
        self.limit = limit
        self.offset = offset
        self.sort = sort
        self.facets = facets

    def __call__(self, q: wq.Query, *, coverage: bool = False) -> _Page:
        want = self.offset + self.limit
        fast = None
        if self.sort == "relevance" and not self.facets:
            fast = blockeval.evaluate(
                self.searcher, q, max(want, RERANK_DEPTH), _TEXT_FIELDS, within=self.dates
            )
        if fast is not None:
            return self._page(q, fast.total, [(d, s, ()) for d, s in fast.top], coverage, fast)
        full = wq.And([q, self.dates]) if self.dates is not None else q
        # terms=True makes the collector note the matched terms of every match; when every
        # word of the query is a plain term they are looked up for the page's hits only.
        plain = _plain_terms(q)
        if plain is not None:
            _as_when_collecting_terms(full)
        kwargs: dict[str, object] = {"terms": plain is None, "optimize": False}
        if self.sort != "relevance":
            kwargs["sortedby"] = "published"
            kwargs["reverse"] = self.sort == "newest"
            kwargs["limit"] = want
        else:
            kwargs["limit"] = max(want, RERANK_DEPTH)
        if self.facets:
            kwargs["groupedby"] = {
                name: sorting.FieldFacet(
                    FACET_FIELDS[name], allow_overlap=name == "tag", maptype=sorting.Count
                )
                for name in self.facets
            }
        collector = _counting(self.searcher, kwargs)
        self.searcher.search_with_collector(full, collector)
        results = collector.results()
        # A sorted search's "score" is its sort key: report no score rather than that.
        scored = self.sort == "relevance"
        found: list[_Found] = [
            (
                hit.docnum,
                float(hit.score or 0.0) if scored else 0.0,
                ()
                if plain is not None
                else [(f, t) for f, t in hit.matched_terms() or () if f in _TEXT_FIELDS],
            )
            for hit in results
        ]
        page = self._page(q, len(results), found, coverage)
        counts = {}
        for name in self.facets:
            groups = results.groups(name)
            pairs = [(str(k), int(v)) for k, v in groups.items() if k not in (None, "")]
            counts[name] = sorted(pairs, key=lambda kv: (-kv[1], kv[0].lower()))
        page.facets = counts
        return page

    def _page(
        self,
        q: wq.Query,
        total: int,
        found: list[_Found],
        coverage: bool,
        fast: blockeval.Evaluation | None = None,
    ) -> _Page:
        """The page of *found* asked for, re-ranked when by relevance, as hits."""
        want = self.offset + self.limit
        if self.sort == "relevance" and found:
            found = _rerank(self.searcher, q, found, coverage=coverage, fast=fast)
        page = found[self.offset : want]
        plain = _plain_terms(q)
        if plain is not None:
            docnums = [d for d, _, _ in page]
            present = fast.present(plain, docnums) if fast is not None else None
            if present is None:
                present = _present(self.searcher, plain, docnums)
            page = [(d, score, present[d]) for d, score, _ in page]
        # The article id is a stored field: read for the page's hits only.
        stored = self.searcher.stored_fields
        hits = [
            Hit(
                id=int(stored(docnum)["id"]),
                score=score,
                terms=frozenset(_text(t) for f, t in matched if f in _HIGHLIGHT_FIELDS),
                exact_terms=frozenset(_text(t) for f, t in matched if f in _EXACT_HIGHLIGHT_FIELDS),
            )
            for docnum, score, matched in page
        ]
        return _Page(total, hits, {})


def _counting(searcher: Searcher, kwargs: dict[str, object]) -> Any:
    """Whoosh's collector for *kwargs*, made to count every match.

    Whoosh's top-N collector, even with ``optimize=False``, replaces its matcher
    every ten matches by one that skips documents unable to enter the top N, and
    counts only what it did not skip: at 100,000 articles ``oil prices`` gave
    1,540 matches of 2,969. Not replacing makes its count exact, in one pass.
    """
    from whoosh import collectors

    c = searcher.collector(**kwargs)
    inner = c
    while not isinstance(inner, collectors.ScoredCollector) and hasattr(inner, "child"):
        inner = inner.child
    if isinstance(inner, collectors.ScoredCollector):
        inner.replace = 0
    return c


def _plain_terms(q: wq.Query) -> list[tuple[str, str]] | None:
    """The (field, term) pairs of *q*'s positive words on the text fields, or None.

    None when a positive leaf is anything but a plain term on a text field (a
    phrase, a wildcard or fuzzy word, a range, another field): then the terms a
    match matched are collected by Whoosh during the search.
    """
    pairs = []
    for leaf in positive_leaves(q):
        if type(leaf) is not wq.Term or leaf.fieldname not in _TEXT_FIELDS:
            return None
        pairs.append((leaf.fieldname, _text(leaf.text)))
    return list(dict.fromkeys(pairs))


def _as_when_collecting_terms(q: wq.Query) -> None:
    """Make *q*'s ORs pick the matcher Whoosh picks when it collects terms.

    Without the terms collector, Whoosh may run an OR of three or more parts on
    a small index (5,000 documents or fewer) with a matcher that adds the
    parts' scores in another order: the same scores but for the last bits,
    which could swap two nearly tied hits. This keeps the order of the
    additions, and so the scores, exactly as with the collector.
    """
    for node in _nodes(q):
        if isinstance(node, wq.Or) and len(node.subqueries) < wq.Or.TOO_MANY_CLAUSES:
            node.matcher_type = wq.Or.DEFAULT_MATCHER


def _nodes(q: wq.Query) -> list[wq.Query]:
    out = [q]
    if not q.is_leaf():
        for child in q.children():
            out.extend(_nodes(child))
    return out


def _present(
    searcher: Searcher, pairs: list[tuple[str, str]], docnums: list[int]
) -> dict[int, list[tuple[str, str]]]:
    """For each of *docnums*, which of the (field, term) *pairs* it contains."""
    reader = searcher.reader()
    wanted = sorted(docnums)
    out: dict[int, list[tuple[str, str]]] = {d: [] for d in wanted}
    for fieldname, term in pairs:
        for d, _ in _postings_at(reader, fieldname, term, wanted):
            out[d].append((fieldname, term))
    return out


def _postings_at(
    reader: Any, fieldname: str, term: str, wanted: list[int]
) -> Iterator[tuple[int, Any]]:
    """(docnum, matcher on it) for each of the sorted *wanted* docnums holding *term*."""
    try:
        m = reader.postings(fieldname, term)
    except Exception:  # the term is not in this field
        return
    for d in wanted:
        if not m.is_active():
            return
        if m.id() < d:
            m.skip_to(d)
            if not m.is_active():
                return
        if m.id() == d:
            yield d, m


def _date_filter(since: datetime | None, until: datetime | None) -> wq.Query | None:
    if since is None and until is None:
        return None
    return wq.DateRange("published", since, until)


def _explain_dates(since: datetime | None, until: datetime | None) -> str:
    start = f"{since:%Y-%m-%d %H:%M}" if since else "any time"
    end = f"{until:%Y-%m-%d %H:%M}" if until else "any time"
    return f" AND published from {start} to {end}"


# --- proximity re-ranking ---------------------------------------------------------------


def _groups(q: wq.Query, matched: set[tuple[str, str]]) -> list[set[str]]:
    """The query's word groups on the body: each a set of body terms that stand for one word.

    A term, a phrase word, or every expansion of a wildcard or fuzzy word that
    matched somewhere, is one group.
    """
    groups: list[set[str]] = []
    seen: set[frozenset[str]] = set()
    for leaf in positive_leaves(q):
        name = getattr(leaf, "fieldname", None)
        if name not in ("body", "title"):
            continue
        if isinstance(leaf, wq.Phrase):
            members = [{_text(w)} for w in leaf.words]
        elif isinstance(leaf, wq.Term) and not isinstance(leaf, wq.MultiTerm):
            members = [{_text(leaf.text)}]
        elif isinstance(leaf, wq.MultiTerm):
            pattern = leaf
            expanded = {
                t for f, t in matched if f in ("title", "body") and _multi_matches(pattern, t)
            }
            members = [expanded] if expanded else []
        else:
            continue
        for m in members:
            key = frozenset(m)
            if key and key not in seen:
                seen.add(key)
                groups.append(m)
    return groups


def _multi_matches(leaf: wq.Query, term: str) -> bool:
    if isinstance(leaf, wq.Prefix):
        return term.startswith(_text(leaf.text))
    if isinstance(leaf, wq.Wildcard):
        import fnmatch

        return fnmatch.fnmatchcase(term, _text(leaf.text))
    if isinstance(leaf, wq.FuzzyTerm):
        text = _text(leaf.text)
        if len(text) > MAX_FUZZY_CHARS:  # matched as typed (index.query.FuzzyTerm)
            return term == text
        return _edit_distance(term, text, leaf.maxdist) <= leaf.maxdist
    return False


def _edit_distance(a: str, b: str, cap: int) -> int:
    if abs(len(a) - len(b)) > cap:
        return cap + 1
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        if min(cur) > cap:  # no cell of a row ever decreases below the row before
            return cap + 1
        prev = cur
    return prev[-1]


def _positions(
    searcher: Searcher, fieldname: str, terms: set[str], docnums: list[int]
) -> dict[int, dict[str, list[int]]]:
    """For each of *docnums*, the positions of each of *terms* in *fieldname*."""
    reader = searcher.reader()
    wanted = sorted(docnums)
    out: dict[int, dict[str, list[int]]] = {d: {} for d in wanted}
    for term in terms:
        for d, m in _postings_at(reader, fieldname, term, wanted):
            out[d][term] = list(m.value_as("positions"))
    return out


def _min_window(groups: list[set[str]], positions: dict[str, list[int]]) -> tuple[int, int]:
    """(groups present, length of the shortest span of positions covering all of them)."""
    events = []
    for g, terms in enumerate(groups):
        for t in terms:
            events.extend((p, g) for p in positions.get(t, ()))
    present = len({g for _, g in events})
    if present < 2:
        return present, 0
    events.sort()
    counts: dict[int, int] = {}
    best = 1 << 30
    left = 0
    covered = 0
    for p, g in events:
        counts[g] = counts.get(g, 0) + 1
        if counts[g] == 1:
            covered += 1
        while covered == present:
            lp, lg = events[left]
            best = min(best, p - lp)
            counts[lg] -= 1
            if counts[lg] == 0:
                covered -= 1
            left += 1
    return present, best


def _pair_proximity(groups: list[set[str]], positions: dict[str, list[int]]) -> float:
    """How close each query word is to the next one, averaged over the query's word pairs.

    A pair next to each other counts 1; words :data:`PROXIMITY_SLACK` positions
    further apart count 1/2; a pair not both present counts 0.
    """
    where = [sorted(p for t in g for p in positions.get(t, ())) for g in groups]
    total = 0.0
    for a, b in zip(where, where[1:], strict=False):
        if not a or not b:
            continue
        i = j = 0
        best = 1 << 30
        while i < len(a) and j < len(b):
            best = min(best, abs(a[i] - b[j]))
            if a[i] < b[j]:
                i += 1
            else:
                j += 1
        total += 1.0 / (1.0 + max(0, best - 1) / PROXIMITY_SLACK)
    return total / (len(groups) - 1)


def _rerank(
    searcher: Searcher,
    q: wq.Query,
    found: list[_Found],
    *,
    coverage: bool,
    fast: blockeval.Evaluation | None = None,
) -> list[_Found]:
    """Re-rank the first :data:`RERANK_DEPTH` hits by BM25F plus word proximity.

    :param coverage: rank first by how many of the query's words an article has
        (for the most-words rescue, where not every hit has them all).
    :param fast: the block evaluation that found *found*, whose postings hold the
        positions needed (else they are read from the index).
    """
    head, tail = found[:RERANK_DEPTH], found[RERANK_DEPTH:]
    matched: set[tuple[str, str]] = set()
    for _, _, terms in head:
        matched.update((f, _text(t)) for f, t in terms)
    groups = _groups(q, matched)
    if not groups:
        return found
    top = max(s for _, s, _ in head) or 1.0
    all_terms = set().union(*groups)
    docnums = [d for d, _, _ in head]
    body = fast.positions("body", all_terms, docnums) if fast is not None else None
    if body is None:
        body = _positions(searcher, "body", all_terms, docnums)
    # Only whether a word is in the title counts (positions are not used).
    title = fast.present([("title", t) for t in all_terms], docnums) if fast is not None else None
    if title is None:
        title = _positions(searcher, "title", all_terms, docnums)
    else:
        title = {d: {t: [] for _, t in pairs} for d, pairs in title.items()}
    # A rare word found counts for more than a common one (IDF), as in BM25.
    weights = [max(searcher.idf("body", t) for t in g) for g in groups]
    whole = sum(weights) or 1.0
    rescored = []
    for d, score, terms in head:
        present, span = _min_window(groups, body[d])
        prox = 0.0
        if present >= 2:
            slack = max(0, span - (present - 1))
            window = 1.0 / (1.0 + slack / PROXIMITY_SLACK)
            prox = (window + _pair_proximity(groups, body[d])) / 2
        has = [any(t in body[d] or t in title[d] for t in g) for g in groups]
        cover = sum(w for w, h in zip(weights, has, strict=True) if h) / whole
        value = score / top + PROXIMITY_WEIGHT * prox * cover
        if coverage:
            value += COVERAGE_WEIGHT * cover  # articles with more of the words first
        rescored.append((d, value, terms))
    rescored.sort(key=lambda r: -r[1])
    return rescored + tail


# --- rescue -------------------------------------------------------------------------------


def _required(q: wq.Query) -> int:
    """How many parts of *q* are required (an AND's children that are not exclusions)."""
    if isinstance(q, wq.AndNot):
        return _required(q.a)
    if isinstance(q, wq.And):
        return sum(1 for c in q.children() if not isinstance(c, wq.Not))
    return 1


def _most_words(q: wq.Query) -> wq.Query | None:
    """*q* with its required parts made optional (exclusions still apply), or None."""
    if isinstance(q, wq.AndNot):
        inner = _most_words(q.a)
        return wq.AndNot(inner, q.b) if inner is not None else None
    if isinstance(q, wq.And):
        required = [c for c in q.children() if not isinstance(c, wq.Not)]
        banned = [c for c in q.children() if isinstance(c, wq.Not)]
        if len(required) < 2:
            return None
        loose: wq.Query = wq.Or(required)
        return wq.And([loose, *banned]) if banned else loose
    return None


def _fuzzy_query(ix: FileIndex, parsed: ParsedQuery) -> wq.Query | None:
    """The query's plain words made fuzzy (one edit, two past six letters), exclusions kept."""
    words = [w for w in parsed.words if re.fullmatch(r"[\w'’.,%-]+", w)]
    if not words:
        return None
    # Short words and numbers stay as they are: one edit from "war" is half the vocabulary;
    # so do overlong ones (a pasted token, not a misspelling).
    text = " ".join(
        w
        if len(w) < 4 or len(w) > MAX_FUZZY_CHARS or w[:1].isdigit()
        else f"{w}~{2 if len(w) > 6 else 1}/1"
        for w in words
    )
    try:
        q = make_parser(ix.schema).parse(text).normalize()
    except Exception:
        return None
    if not list(q.leaves()):
        return None
    banned = _exclusions(parsed.query)
    return wq.And([q, *banned]).normalize() if banned else q


def _exclusions(q: wq.Query) -> list[wq.Query]:
    """The top-level NOT parts of *q*, which a retry must keep."""
    if isinstance(q, wq.AndNot):
        return [wq.Not(q.b), *_exclusions(q.a)]
    if isinstance(q, wq.And):
        return [c for c in q.children() if isinstance(c, wq.Not)]
    return []


def _suggest(
    searcher: Searcher, parsed: ParsedQuery, dates: wq.Query | None, total: int
) -> str | None:
    """A corrected query built from words in the index, if it finds more than *total*.

    :param total: how many articles have every word of the query as typed.
    """
    from index.analysis import exact_analyzer

    analyzer = exact_analyzer()
    reader = searcher.reader()
    correctors = [searcher.corrector(f) for f in ("body_exact", "title_exact")]
    text = parsed.text
    changed = False
    for word in parsed.words:
        forms = [t.text for t in analyzer(word)]
        if len(forms) != 1:
            continue
        form = forms[0]
        if (
            len(form) > MAX_FUZZY_CHARS
            or form.isdigit()
            or any(reader.doc_frequency(f, form) for f in EXACT_FIELDS.values())
        ):
            continue
        best = None
        for corrector in correctors:
            found = corrector.suggest(form, limit=1, maxdist=2, prefix=1)
            if found:
                best = found[0]
                break
        if best and best != form:
            text = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", best, text, count=1)
            changed = True
    if not changed:
        return None
    try:
        corrected = parse(searcher.schema, text).query
    except QuerySyntaxError:
        return None
    full = wq.And([corrected, dates]) if dates is not None else corrected
    if len(searcher.search(full, limit=1)) <= total:
        return None
    return text
