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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from whoosh import query as wq
from whoosh import sorting
from whoosh.index import FileIndex
from whoosh.scoring import BM25F, BM25FScorer
from whoosh.searching import Searcher

from index import internals, ranking
from index.correction import correction_of, finds_more
from index.costs import bound, fits
from index.errors import IndexingError, IndexOutdatedError
from index.exact import exact_words, highlighted
from index.fields import extra_keys
from index.internals import blockeval
from index.internals.fuzzy import MAX_FUZZY_CHARS
from index.internals.lengths import field_lengths
from index.query import (
    ParsedQuery,
    explain,
    make_parser,
    parse,
    phrases,
    positive_leaves,
    syntax_problems,
)
from index.ranking import RERANK_DEPTH, Found
from index.schema import FACET_FIELDS

SORTS = ("relevance", "newest", "oldest")
#: A query of this many required words or more is widened to most-words matching when
#: fewer than a page of articles have every word (with fewer words: only when none has).
FILL_MIN_WORDS = 3
#: Below this many hits a spelling suggestion is looked for.
FEW_HITS = 3
#: The proximity signal's weight when a corrected query is searched: a name and a word to
#: narrow it, not a remembered fragment (bench/misspelt.py: weight 5, as for any short
#: query, 0.883 of targets in the top 3; 0.25: 0.900).
SPELLING_PROXIMITY = 0.25
#: BM25F parameters: B (length normalisation) and K1 (term frequency saturation).
BM25_B = 0.75
BM25_K1 = 1.2

_HIGHLIGHT_FIELDS = frozenset({"title", "body", "note"})
_TEXT_FIELDS = _HIGHLIGHT_FIELDS

__all__ = ["SORTS", "Hit", "Rescue", "SearchResult", "search", "syntax_problems"]


@dataclass(frozen=True, slots=True)
class Hit:
    """One matching article and what in it matched."""

    id: int
    score: float
    #: Analysed (stemmed) terms that matched in title or body.
    terms: frozenset[str] = field(default_factory=frozenset)
    #: Exact (unstemmed, folded) forms that matched.
    exact_terms: frozenset[str] = field(default_factory=frozenset)
    #: The article's language (ISO 639-1), which chose its stemmer.
    language: str | None = None
    #: How it matched: ``all`` (the query as written), ``most`` (some of its words: the
    #: most-words rescue) or ``fuzzy`` (a corrected spelling or fuzzy words: a rescue).
    match: str = "all"


@dataclass(frozen=True, slots=True)
class Rescue:
    """A rescue that ran because the query as written found nothing (or too little)."""

    #: ``spelling`` (a corrected query), ``most-words`` or ``fuzzy``.
    kind: str
    #: How many articles the rescue found that do not match the query as written.
    total: int
    #: For ``spelling``: the corrected query that was run.
    query: str | None = None


@dataclass(frozen=True, slots=True)
class SearchResult:
    """A page of hits, the total count, and what the query was taken to mean."""

    query: str
    #: How many articles match the query as written (a rescue's hits are not counted).
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
    #: The rescue that ran, if any (its hits are not counted in :attr:`total`).
    rescue: Rescue | None = None
    #: How the engine ran it: :func:`index.internals.status`, ``evaluated_by`` (``blocks``,
    #: ``whoosh`` or both, joined by ``+``) and this search's ``fallbacks``.
    engine: dict[str, Any] = field(default_factory=dict, compare=False)


def open_for_search(path: Path) -> FileIndex:
    """Open the index at *path* for reading.

    The index's table of contents is read once per generation
    (:class:`index.internals.toc.ReadIndex`). Without mmap: Whoosh 2.7.4 reads a
    compound segment's parts from an mmap through ``BytesIO(memoryview)``, which
    copies each part whole on every open (measured: 133 ms against 15 ms per
    search on a 32 MB index).

    :raises IndexingError: there is no index, or it cannot be read.
    """
    from whoosh.filedb.filestore import FileStorage

    from index.internals.toc import ReadIndex
    from index.layout import exists

    if not exists(path):
        raise IndexingError(f"no search index at {path}")
    try:
        return ReadIndex(FileStorage(str(path), supports_mmap=False, readonly=True))
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
            lengths = field_lengths(searcher, fieldname)
            if lengths is not None:
                scorer.dfl = lengths
        return scorer


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
    if "body_exact" in ix.schema:  # (exact forms in their own fields: analysis 4 and before)
        raise IndexOutdatedError("the search index was built by an older version")
    dates = _date_filter(since, until)
    fell_back = sum(internals.fallbacks.values())
    found: Rescue | None = None
    with ix.searcher(weighting=FastBM25F(B=BM25_B, K1=BM25_K1)) as searcher:
        languages = _languages(searcher)
        parsed = parse(ix.schema, text, languages, extra_keys(searcher.reader()))
        notices = list(parsed.notices)
        q = parsed.query
        if fuzzy:
            q = _fuzzy_query(ix, parsed) or q
            notices.append("fuzzy matching: words may differ by a letter or two")
        cost = bound(q, searcher.reader(), text)  # wildcards, ranges, fuzzy words: within bounds
        q, expanded = cost.query, cost.expanded_terms
        notices.extend(cost.notices)
        # Explicit syntax is run exactly as written: no rescue relaxes it.
        relax = rescue and not parsed.explicit
        run = _Runner(searcher, dates, limit, offset, sort, facets)
        page = run(q)
        strict_total = page.total
        suggestion = correction = None
        if strict_total < FEW_HITS and rescue:
            correction, exact, _ = correction_of(searcher, parsed, languages) or (None, "", ())
            if correction and finds_more(searcher, exact, dates, strict_total, languages):
                suggestion = correction
                notices.append(f"did you mean: {suggestion}")
        base = q  # the query the most-words rescue relaxes
        if relax and correction and not fuzzy:
            # A misspelt (or far rarer) word is corrected before any word is dropped.
            corrected = parse(ix.schema, exact, languages).query
            if suggestion:
                whole = _Runner(searcher, dates, limit + offset, 0, sort, facets)
                fixed = whole(corrected, proximity=SPELLING_PROXIMITY)
                firsts = whole(q).hits if strict_total else []
                shown = {h.id for h in firsts}
                merged = firsts + [h for h in fixed.hits if h.id not in shown]
                extra = fixed.total - _count_within(searcher, corrected, firsts)
                page = _Page(strict_total + extra, merged[offset : offset + limit], fixed.facets)
                q = corrected
                found = Rescue("spelling", extra, suggestion)
                notices[-1] = (
                    f"nothing matched as typed; showing matches for: {suggestion}"
                    if strict_total == 0
                    else f"few matches as typed; also showing matches for: {suggestion}"
                )
            elif strict_total == 0 and _required(q) < FILL_MIN_WORDS:
                # Found nothing either: words are dropped from the (short) query with its
                # missing words corrected (a word the archive holds, however rare, is kept).
                # In a longer query (a pasted headline) a word the archive lacks is dropped.
                missing = correction_of(searcher, parsed, languages, rarer=False)
                if missing:
                    base = parse(ix.schema, missing[1], languages).query
        thin = strict_total < limit + offset and sort == "relevance"
        if (
            relax
            and found is None
            and (strict_total == 0 or thin and _required(q) >= FILL_MIN_WORDS)
        ):
            # No or too few articles have every word of a longer query (a pasted sentence,
            # one word too many): rank by how many of the words an article has, IDF-weighted;
            # those with every word come first.
            loose = _most_words(base)
            if loose is not None:
                wider = run(loose, coverage=True)
                if wider.total > strict_total:
                    if strict_total == 0:
                        notices.append(
                            "no article has every word; showing those that have some of them"
                        )
                    else:
                        have = "article has" if strict_total == 1 else "articles have"
                        notices.append(
                            f"only {strict_total} {have} every word; "
                            "also showing those that have some of them"
                        )
                    wider.hits = _label(searcher, q, wider.hits, "most")
                    page, q = wider, loose
                    found = Rescue("most-words", wider.total - strict_total)
        if page.total == 0 and relax and not fuzzy:
            fq = _fuzzy_query(ix, parsed)
            retry = None if fq is None else fits(fq, searcher.reader())
            if fq is not None and retry is not None:
                expanded += retry
                page = run(fq)
                if page.total == 0 and (loose := _most_words(fq)) is not None:
                    page = run(loose, coverage=True)
                    fq = loose
                if page.total:
                    q = fq
                    found = Rescue("fuzzy", page.total)
                    notices.append(
                        "nothing matched exactly; showing fuzzy matches "
                        "(words that differ by a letter or two)"
                    )
    hits = page.hits
    if found is not None and found.kind == "fuzzy":
        hits = [replace(h, match="fuzzy") for h in hits]
    elif found is not None and found.kind == "spelling":
        with ix.searcher() as searcher:
            hits = _label(searcher, parsed.query, hits, "fuzzy")
    # A phrase's words are highlighted where the phrase stands, not alone (the bigrams
    # of a Chinese word, the parts of a hyphenated one).
    alone = {_text(leaf.text) for leaf in positive_leaves(q) if isinstance(leaf, wq.Term)}
    in_phrases = {w for p in phrases(q) for w in p} | {w for p in phrases(q, "title") for w in p}
    hidden = in_phrases - alone
    if hidden:
        hits = [replace(h, terms=h.terms - hidden) for h in hits]
    return SearchResult(
        query=text,
        total=strict_total,
        hits=hits,
        understood=explain(q) + (_explain_dates(since, until) if dates is not None else ""),
        notices=tuple(notices),
        phrases=tuple(phrases(q)),
        facets=page.facets,
        suggestion=suggestion,
        rescue=found,
        engine={
            **internals.status(),
            "evaluated_by": "+".join(sorted(run.evaluated_by)),
            "fallbacks": sum(internals.fallbacks.values()) - fell_back,
            "expanded_terms": expanded,
        },
    )


def _languages(searcher: Searcher) -> list[str]:
    """The languages of the index's articles (ISO 639-1 codes)."""
    if "lang" not in searcher.schema:
        return []
    return [_text(t) for t in searcher.reader().field_terms("lang")]


def _label(searcher: Searcher, strict: wq.Query, hits: list[Hit], other: str) -> list[Hit]:
    """*hits* with ``match`` set: ``all`` for those *strict* matches, else *other*."""
    if not hits:
        return hits
    ids = wq.Or([wq.Term("id", str(h.id)) for h in hits])
    matching = {
        int(r["id"]) for r in searcher.search(wq.And([strict, ids]), limit=len(hits), scored=False)
    }
    return [h if h.id in matching else replace(h, match=other) for h in hits]


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
        #: ``blocks`` (:mod:`index.internals.blockeval`) and/or ``whoosh`` (its matchers).
        self.evaluated_by: set[str] = set()

    def __call__(
        self, q: wq.Query, *, coverage: bool = False, proximity: float | None = None
    ) -> _Page:
        """A page of *q*'s hits (*proximity*: the proximity signal's weight in the
        re-ranking, None for the one for the query's length)."""
        want = self.offset + self.limit
        fast = None
        if self.sort == "relevance":
            fast = blockeval.evaluate(
                self.searcher,
                q,
                max(want, RERANK_DEPTH),
                _TEXT_FIELDS,
                within=self.dates,
                keep_matches=bool(self.facets),
            )
        if fast is not None:
            self.evaluated_by.add("blocks")
            # Fuzzy words: the words each hit holds, looked up for these hits only.
            simple = _plain_terms(q) is not None
            held = None if simple else fast.present(sorted(fast.queried), fast.ids())
            top: list[Found] = [(d, s, held[d] if held else ()) for d, s in fast.top]
            page = self._page(q, fast.total, top, coverage, fast, proximity)
            page.facets = {name: _facet_counts(self.searcher, name, fast) for name in self.facets}
            return page
        self.evaluated_by.add("whoosh")
        full = wq.And([q, self.dates]) if self.dates is not None else q
        # terms=True makes the collector note the matched terms of every match; when every
        # word of the query is a plain term they are looked up for the page's hits only.
        plain = _plain_terms(q)
        if plain is not None:
            _as_when_collecting_terms(full)
        kwargs: dict[str, object] = {"terms": plain is None, "optimize": False}
        if self.sort != "relevance":
            kwargs["sortedby"] = _by_date(newest=self.sort == "newest")
            kwargs["limit"] = want
        else:
            kwargs["limit"] = max(want, RERANK_DEPTH)
        if self.facets:
            kwargs["groupedby"] = {name: _facet(name) for name in self.facets}
        collector = _counting(self.searcher, kwargs)
        self.searcher.search_with_collector(full, collector)
        results = collector.results()
        # A sorted search's "score" is its sort key: report no score rather than that.
        scored = self.sort == "relevance"
        found: list[Found] = [
            (
                hit.docnum,
                float(hit.score or 0.0) if scored else 0.0,
                ()
                if plain is not None
                else [(f, t) for f, t in hit.matched_terms() or () if f in _TEXT_FIELDS],
            )
            for hit in results
        ]
        page = self._page(q, len(results), found, coverage, proximity=proximity)
        page.facets = {name: _facet_order(results.groups(name)) for name in self.facets}
        return page

    def _page(
        self,
        q: wq.Query,
        total: int,
        found: list[Found],
        coverage: bool,
        fast: blockeval.Evaluation | None = None,
        proximity: float | None = None,
    ) -> _Page:
        """The page of *found* asked for, re-ranked when by relevance, as hits."""
        want = self.offset + self.limit
        if self.sort == "relevance" and found:
            found = ranking.rerank(
                self.searcher, q, found, coverage=coverage, fast=fast, proximity=proximity
            )
        page = found[self.offset : want]
        plain = _plain_terms(q)
        if plain is not None:
            docnums = [d for d, _, _ in page]
            present = fast.present(plain, docnums) if fast is not None else None
            if present is None:
                present = ranking.present(self.searcher, plain, docnums)
            page = [(d, score, present[d]) for d, score, _ in page]
        # The article id is a stored field: read for the page's hits only.
        stored = self.searcher.stored_fields
        hits = []
        alone, asked = exact_words(positive_leaves(q))
        for docnum, score, matched in page:
            terms, exact = highlighted(
                {_text(t) for f, t in matched if f in _HIGHLIGHT_FIELDS}, alone, asked
            )
            fields = stored(docnum)
            hits.append(
                Hit(
                    id=int(fields["id"]),
                    language=fields.get("lang"),
                    score=score,
                    terms=frozenset(terms),
                    exact_terms=frozenset(exact),
                )
            )
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


def _facet(name: str) -> sorting.FieldFacet:
    """The facet *name* counts matches by (a tag per tag an article has)."""
    return sorting.FieldFacet(
        FACET_FIELDS[name], allow_overlap=name == "tag", maptype=sorting.Count
    )


def _facet_order(groups: Mapping[Any, int]) -> list[tuple[str, int]]:
    """A facet's (value, count) pairs, most matches first, empty values left out."""
    pairs = [(str(k), int(v)) for k, v in groups.items() if k not in (None, "")]
    return sorted(pairs, key=lambda kv: (-kv[1], kv[0].lower()))


def _facet_counts(
    searcher: Searcher, name: str, fast: blockeval.Evaluation
) -> list[tuple[str, int]]:
    """Facet *name*'s counts over the matches the block path kept, each segment's
    documents put in groups by Whoosh's own categorizer for the facet (as its
    grouping collector does while it collects)."""
    categorizer = _facet(name).categorizer(searcher)
    counts: dict[Any, int] = {}
    for sub, offset, docs in fast.matches:
        categorizer.set_searcher(sub, offset)
        for docnum in sorted(docs):
            if categorizer.allow_overlap:
                keys = [categorizer.key_to_name(k) for k in categorizer.keys_for(None, docnum)]
            else:
                keys = [categorizer.key_to_name(categorizer.key_for(None, docnum))]
            for key in keys:
                counts[key] = counts.get(key, 0) + 1
    return _facet_order(counts)


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


#: The sort key of an article without a date: the "published" column's default, the
#: largest value its unsigned 64-bit column holds.
_UNDATED = 2**64 - 1


def _by_date(*, newest: bool) -> sorting.FacetType:
    """Order by publication date, undated articles last in either direction.

    An undated article's sort key is the column's default, which Whoosh orders
    past every date: first when newest first. A leading "has no date" key keeps
    them last both ways.
    """
    dated = sorting.FieldFacet("published")
    undated = sorting.TranslateFacet(_no_date, dated)
    return sorting.MultiFacet([undated, sorting.FieldFacet("published", reverse=newest)])


def _no_date(key: Any) -> int:
    return 1 if key is None or key == _UNDATED else 0


def _date_filter(since: datetime | None, until: datetime | None) -> wq.Query | None:
    if since is None and until is None:
        return None
    return wq.DateRange("published", since, until)


def _explain_dates(since: datetime | None, until: datetime | None) -> str:
    start = f"{since:%Y-%m-%d %H:%M}" if since else "any time"
    end = f"{until:%Y-%m-%d %H:%M}" if until else "any time"
    return f" AND published from {start} to {end}"


# --- proximity re-ranking ---------------------------------------------------------------


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


def _count_within(searcher: Searcher, q: wq.Query, hits: list[Hit]) -> int:
    """How many of *hits* *q* matches."""
    if not hits:
        return 0
    ids = wq.Or([wq.Term("id", str(h.id)) for h in hits])
    return int(len(searcher.search(wq.And([q, ids]), limit=len(hits), scored=False)))
