"""Word queries evaluated a posting block at a time, with Whoosh's scores to the last bit.

Whoosh finds and scores matches one document at a time, stepping a tree of
Python matcher objects (an intersection of unions of term matchers) through
every posting: at 100,000 articles that is half of a search's time. For the
queries people type most -- words, each searched in title and body, all
required, some excluded -- this module reads each word's postings a whole
block at a time (ids, weights and positions in one unpickling), finds the
matching articles with set operations, and scores only those.

The scores are Whoosh's own, bit for bit: each posting is scored with
Whoosh's BM25F function from the same weight and field length, and the parts
are added in the order Whoosh's matcher tree adds them (its tree is shaped by
each part's estimated size in the segment, and floating-point addition is
not associative). Matches come out in Whoosh's order: score, then document
number. ``tests/test_blockeval.py`` checks all of this against Whoosh
(an OR run with Whoosh's default matcher, a tree of unions, as
:mod:`index.search` runs it; on a small index Whoosh may otherwise pre-load an
OR of three parts or more and add in another order).

A date range to filter by is given apart (``within``) and applied as the set
of documents its range terms hold. A boosted word (``archive similar``'s weighted
key terms) is scored as Whoosh's wrapping matcher scores it. A phrase is the
intersection of its words' postings, kept where their positions chain as
Whoosh's ``SpanNear2`` chains them, scored as that intersection. Any other query
(wildcards, ranges inside the query, boosts on groups, other fields) returns
``None`` from :func:`evaluate`, and the caller uses Whoosh's matchers.
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from whoosh import query as wq
from whoosh.scoring import BM25FScorer, bm25
from whoosh.searching import Searcher

from index import internals
from index.internals import compact, phrases
from index.internals import postings as posting_lists

__all__ = ["Evaluation", "evaluate"]

#: Query node shapes: ("term", field, text[, boost]) | ("multi", field, texts)
#: | ("phrase", field, texts, slop) | ("or", nodes) | ("and", nodes) | ("not", node)
_Node = tuple[Any, ...]


def _shape(q: wq.Query, fields: frozenset[str], reader: Any = None) -> _Node | None:
    """*q* as nested tuples this module evaluates, or None if it is not such a query.

    One-part ORs and ANDs are kept as they are: Whoosh caps an OR's estimated
    size, which shapes the order in which its parent adds scores.

    A fuzzy word (``word~2``) stands for the words it expands to in the segment of
    *reader* (without a reader: a placeholder, to check the shape): as Whoosh's
    ``MultiTerm.matcher`` runs it there, one word is that word's term; several, a
    union of their terms (``multi``), scored by the searcher's weighting (Whoosh's
    "constant score" sets no weighting, so ``Searcher.postings`` takes the
    searcher's), whose size estimate, unlike an OR's, is not capped at the
    segment's document count.
    """
    kind = type(q)
    if kind is wq.Term:
        if q.fieldname not in fields:
            return None
        if q.boost != 1.0:  # Whoosh wraps the term's matcher: its score times the boost
            return ("term", q.fieldname, q.text, float(q.boost))
        return ("term", q.fieldname, q.text)
    if getattr(q, "boost", 1.0) != 1.0:
        return None
    if kind is wq.Phrase:
        # Whoosh runs it as SpanNear2 over its words' terms (ordered, mindist 1): an
        # intersection whose documents are kept where the positions chain.
        if q.fieldname not in fields or not q.words:
            return None
        return ("phrase", q.fieldname, tuple(q.words), int(q.slop))
    if isinstance(q, wq.FuzzyTerm):
        if q.fieldname not in fields:
            return None
        if reader is None:
            return ("multi", q.fieldname, ())
        words = [w for w in q._btexts(reader) if w]
        if len(words) >= wq.Or.TOO_MANY_CLAUSES:
            return None  # Whoosh preloads such a union: left to it
        if len(words) == 1:
            return ("term", q.fieldname, words[0])
        return ("multi", q.fieldname, tuple(words))
    if kind is wq.Or:
        if q.scale or q.minmatch or len(q.subqueries) >= wq.Or.TOO_MANY_CLAUSES:
            return None
        if q.matcher_type not in (wq.Or.AUTO_MATCHER, wq.Or.DEFAULT_MATCHER):
            return None
        kids = [_shape(c, fields, reader) for c in q.subqueries]
        if not kids or any(k is None or k[0] == "not" for k in kids):
            return None  # a NOT inside an OR means "every other document": left to Whoosh
        return ("or", kids)
    if kind is wq.And:
        kids = [
            ("not", _shape(c.query, fields, reader))
            if type(c) is wq.Not and c.boost == 1.0
            else _shape(c, fields, reader)
            for c in q.subqueries
        ]
        if not kids or any(k is None or k[0] == "not" and k[1] is None for k in kids):
            return None
        if all(k is not None and k[0] == "not" for k in kids):
            return None
        return ("and", kids)
    return None


@dataclass(slots=True)
class _Postings:
    """One term's postings in one segment (deleted documents left out)."""

    ids: list[int]
    weights: list[float]
    #: Encoded per-posting values (positions), or None if not kept.
    values: list[Any] | None
    scorer: Any
    #: The field format's decoder of a value into positions.
    decode: Any = None


class _Unreadable(Exception):
    """The segment holds what this module cannot evaluate (Whoosh's matchers then run)."""


@dataclass
class Evaluation:
    """What evaluating a query found: the count, the best hits, and the postings read."""

    total: int
    #: (top-level docnum, score), best first: Whoosh's order.
    top: list[tuple[int, float]]
    #: Per segment: (docnum offset, number of documents, {(field, text): {docnum: value}})
    #: for the segment's documents that can be among the best (the rest is let go:
    #: a common word's postings at 500,000 articles take hundreds of megabytes).
    segments: list[tuple[int, int, dict[tuple[str, str], dict[int, Any]]]] = field(repr=False)
    #: The (field, text) terms of the query.
    queried: frozenset[tuple[str, str]] = field(repr=False)
    #: Postings formats of the fields, to decode positions.
    formats: dict[str, Any] = field(repr=False)
    #: Per segment (with ``keep_matches``): (its searcher, docnum offset, local matches).
    matches: list[tuple[Searcher, int, set[int]]] = field(default_factory=list, repr=False)

    def ids(self) -> list[int]:
        """The docnums of :attr:`top`, best first."""
        return [d for d, _ in self.top]

    def present(
        self, pairs: Iterable[tuple[str, str]], docnums: Iterable[int]
    ) -> dict[int, list[tuple[str, str]]] | None:
        """For each of *docnums*, which of the (field, text) *pairs* it contains.

        None if a pair was not part of the query (the caller reads the index).
        """
        pairs = list(pairs)
        if any(pair not in self.queried for pair in pairs):
            return None
        out: dict[int, list[tuple[str, str]]] = {}
        for d in docnums:
            seg, local = self._locate(d)
            here = []
            for pair in pairs:
                p = seg.get(pair)
                if p is not None and local in p:
                    here.append(pair)
            out[d] = here
        return out

    def positions(
        self, fieldname: str, terms: Iterable[str], docnums: Iterable[int]
    ) -> dict[int, dict[str, list[int]]] | None:
        """For each of *docnums*, the positions of each of *terms* in *fieldname*.

        None if a term was not part of the query, or its positions are not kept:
        then the caller reads them from the index.
        """
        terms = list(terms)
        fmt = self.formats.get(fieldname)
        if fmt is None or any((fieldname, t) not in self.queried for t in terms):
            return None
        out: dict[int, dict[str, list[int]]] = {}
        for d in docnums:
            seg, local = self._locate(d)
            found: dict[str, list[int]] = {}
            for t in terms:
                p = seg.get((fieldname, t))
                if p is None or local not in p:
                    continue  # not in this document
                if p[local] is None:
                    return None  # positions not kept
                found[t] = list(fmt.decode_as("positions", p[local]))
            out[d] = found
        return out

    def _locate(self, docnum: int) -> tuple[dict[tuple[str, str], dict[int, Any]], int]:
        for offset, count, seg in self.segments:
            if offset <= docnum < offset + count:
                return seg, docnum - offset
        raise KeyError(docnum)


def _kept(p: _Postings, docnums: list[int]) -> dict[int, Any]:
    """{docnum: value} of *p*'s postings for those of the sorted *docnums* it holds."""
    out = {}
    for d in docnums:
        i = _find(p.ids, d)
        if i >= 0:
            out[d] = p.values[i] if p.values is not None else None
    return out


def _find(ids: list[int], docnum: int) -> int:
    i = bisect.bisect_left(ids, docnum)
    return i if i < len(ids) and ids[i] == docnum else -1


def evaluate(
    searcher: Searcher,
    q: wq.Query,
    limit: int,
    fields: Iterable[str],
    within: wq.NumericRange | None = None,
    *,
    keep_matches: bool = False,
) -> Evaluation | None:
    """Run *q* over *searcher*'s index: the number of matches and the best *limit*.

    :param fields: the fields whose plain terms may be evaluated here.
    :param within: a date (numeric) range the matches must also be in: the
        results of ``And([q, within])``, whose range adds a constant to scores.
    :param keep_matches: keep every match (:attr:`Evaluation.matches`), to count
        facets by.
    :returns: None when *q* is not a query this module evaluates, the index
        is not in Whoosh 2.7's format (counted in :data:`index.internals.fallbacks`),
        or the gate of :mod:`index.internals` is closed; then use Whoosh's own search.
    """
    if not internals.enabled():
        return None
    fields = frozenset(fields)
    shape = _shape(q, fields)
    if shape is None:
        return None
    if within is not None and not (
        isinstance(within, wq.NumericRange) and within.constantscore and within.boost == 1.0
    ):
        return None
    weighting = searcher.weighting
    subs = [(searcher, 0)] if searcher.is_atomic() else searcher.subsearchers
    schema = searcher.schema
    total = 0
    best: list[tuple[float, int]] = []  # heap of (score, -docnum), as Whoosh's collector
    segments = []
    queried: set[tuple[str, str]] = set()
    kept_matches: list[tuple[Searcher, int, set[int]]] = []
    for sub, offset in subs:
        allowed = None
        if within is not None:
            allowed = _range_docs(sub, within)
            if allowed is None:
                internals.fell_back("block evaluation")
                return None
        here = _shape(q, fields, sub.reader())  # fuzzy words: this segment's expansion
        if here is None:
            return None
        queried.update(_terms(here))
        done = _segment(sub, here, weighting, allowed)
        if done is None:
            internals.fell_back("block evaluation")
            return None  # not the Whoosh 2.7 codec or scorer
        matched, postings, scores = done
        if within is not None:
            # Whoosh's And([q, range]) adds the range's constant score (1.0) last.
            scores = {d: score + 1.0 for d, score in scores.items()}
        total += len(matched)
        if keep_matches:
            kept_matches.append((sub, offset, matched))
        # Best first by score, then by lower docnum, as Whoosh's collector keeps them.
        # Only this segment's best *limit* can be among the best overall.
        contenders = _best(scores, limit)
        for d, score in contenders:
            item = (score, -(offset + d))
            if len(best) < limit:
                heapq.heappush(best, item)
            elif best and item > best[0]:
                heapq.heapreplace(best, item)
        local = sorted(d for d, _ in contenders)
        kept = {k: _kept(p, local) for k, p in postings.items() if p is not None}
        segments.append((offset, sub.reader().doc_count_all(), kept))
    best.sort(reverse=True)
    formats = {name: schema[name].format for name in fields if name in schema}
    top = [(-negated, score) for score, negated in best]
    return Evaluation(total, top, segments, frozenset(queried), formats, kept_matches)


def _segment(
    sub: Searcher, shape: _Node, weighting: Any, allowed: set[int] | None = None
) -> tuple[set[int], dict[tuple[str, str], _Postings | None], dict[int, float]] | None:
    """One segment's matches, the postings read, and the matches' scores; None if unreadable.

    :param allowed: only these documents may match (a date range's).
    """
    reader = sub.reader()
    sizes = _Sizes(reader)
    postings: dict[tuple[str, str], _Postings | None] = {}

    def read(node: _Node, within: list[int] | None = None) -> bool:
        for fieldname, text in _terms(node):
            if (fieldname, text) not in postings:
                got = _read(sub, reader, weighting, fieldname, text, sub.schema, within)
                if got is False or got is True:
                    return False
                postings[(fieldname, text)] = got
        return True

    # In an AND, the rarest part is read whole and the others only in the blocks
    # that may hold one of its documents.
    driver = shape
    if shape[0] == "and":
        driver = min((k for k in shape[1] if k[0] != "not"), key=sizes)
    if not read(driver):
        return None
    memo = sizes.phrase_matches
    try:
        if driver is not shape or allowed is not None:
            candidates = set(_match(driver, postings, memo))
            if allowed is not None:
                candidates &= allowed
            within = sorted(candidates)
            if not within:
                return set(), postings, {}
            if not read(shape, within):
                return None
        matched = set(_match(shape, postings, memo))
        if allowed is not None:
            matched &= allowed
        scores = _scores(shape, postings, matched, sizes, sub) if matched else {}
    except _Unreadable:
        return None
    return matched, postings, scores


def _range_docs(sub: Searcher, q: wq.NumericRange) -> set[int] | None:
    """The segment's documents in the numeric (date) range *q*, deleted ones left out.

    Whoosh gathers them through a union matcher over the range's terms, one
    document at a time (90% of a date-filtered search at 100,000 articles);
    here each term's posting list is decoded whole. None if the segment or the
    range is not of the shape this reads.
    """
    from whoosh.codec.whoosh3 import W3TermsReader
    from whoosh.reading import TermNotFound

    reader = sub.reader()
    terms = getattr(reader, "_terms", None)
    perdoc = getattr(reader, "_perdoc", None)
    if not isinstance(terms, W3TermsReader) or perdoc is None:
        return None
    try:
        compiled = q._compile_query(reader)
    except Exception:  # not a numeric field here
        return None
    if compiled is wq.NullQuery:
        return set()
    if isinstance(compiled, wq.ConstantScoreQuery):
        compiled = compiled.child
    parts = compiled.subqueries if isinstance(compiled, wq.Or) else [compiled]
    btexts: list[bytes] = []
    for part in parts:
        if type(part) is wq.Term:
            btexts.append(part.text)
        elif type(part) is wq.TermRange:
            btexts.extend(part._btexts(reader))
        else:
            return None
    fixed = reader.schema[q.fieldname].format.fixed_value_size()
    out: set[int] = set()
    for btext in btexts:
        try:
            info = terms.term_info(q.fieldname, btext)
        except (KeyError, TermNotFound):
            continue
        if info.is_inlined():
            return None
        offset, length = info.extent()
        try:
            ids, _, _ = posting_lists.decode(
                terms._postfile, offset, length, fixed, keep_values=False
            )
        except Exception:  # laid out otherwise, or damaged: Whoosh decides
            return None
        out.update(ids)
    if reader.has_deletions():
        out.difference_update(perdoc.deleted_docs())
    return out


def _terms(node: _Node) -> list[tuple[str, str]]:
    if node[0] == "term":
        return [(node[1], node[2])]
    if node[0] in ("multi", "phrase"):
        return [(node[1], w) for w in node[2]]
    if node[0] == "not":
        return _terms(node[1])
    return [t for kid in node[1] for t in _terms(kid)]


def _read(
    sub: Searcher,
    reader: Any,
    weighting: Any,
    fieldname: str,
    text: str,
    schema: Any,
    within: list[int] | None = None,
) -> _Postings | None | bool:
    """The term's postings in this segment; None if absent, False if unreadable here.

    :param within: sorted docnums: only blocks that may hold one of them are
        decoded (the others are skipped by their largest id), as Whoosh's
        ``skip_to`` does in an intersection.
    """
    from whoosh.codec.whoosh3 import W3LeafMatcher
    from whoosh.matching.wrappers import FilterMatcher

    try:
        btext = schema[fieldname].to_bytes(text)
    except ValueError:
        return None
    if (fieldname, btext) not in reader:
        return None
    scorer = weighting.scorer(sub, fieldname, btext)
    if not isinstance(scorer, BM25FScorer):
        return False
    fixed = schema[fieldname].format.fixed_value_size()
    keep_values = fixed is None or fixed < 0
    try:
        m = reader.postings(fieldname, btext)
        deleted: frozenset[int] = frozenset()
        if isinstance(m, FilterMatcher):
            if not m._exclude:
                return False
            deleted = frozenset(m._ids)
            m = m.child
        # Whoosh 2.7.4 never keeps postings inline in the term's entry (its inline limit
        # of 1 means none), so every term's postings are blocks in the postings file.
        if type(m) not in (W3LeafMatcher, compact.CompactLeafMatcher):
            return False
        ids, weights, values = posting_lists.decode(
            m._postfile, m._startoffset, m._length, fixed, within=within, keep_values=keep_values
        )
    except Exception:  # laid out otherwise, or damaged (Whoosh raises bare Exceptions):
        return False  # Whoosh's own search then runs, and reports a damaged index
    if deleted:
        keep = [i for i, d in enumerate(ids) if d not in deleted]
        ids = [ids[i] for i in keep]
        weights = [weights[i] for i in keep]
        if values is not None:
            values = [values[i] for i in keep]
    fmt = schema[fieldname].format
    decode = fmt.decoder("positions") if fmt.supports("positions") else None
    return _Postings(ids, weights, values, scorer, decode)


def _match(
    node: _Node,
    postings: dict[tuple[str, str], _Postings | None],
    memo: dict[_Node, set[int]] | None = None,
) -> set[int]:
    """The segment's documents matching *node* (a "not" node: those it excludes).

    :param memo: phrases' matches already found in this segment (filled here).
    """
    kind = node[0]
    if kind == "phrase":
        if memo is None:
            return _phrase_docs(node, postings)
        if node not in memo:
            memo[node] = _phrase_docs(node, postings)
        return memo[node]
    if kind == "term":
        p = postings[(node[1], node[2])]
        return set(p.ids) if p is not None else set()
    if kind == "multi":
        found: set[int] = set()
        for w in node[2]:
            got = postings[(node[1], w)]
            if got is not None:
                found.update(got.ids)
        return found
    if kind == "not":
        return _match(node[1], postings, memo)
    kids = node[1]
    if kind == "or":
        out: set[int] = set()
        for kid in kids:
            out |= _match(kid, postings, memo)
        return out
    positive = [_match(k, postings, memo) for k in kids if k[0] != "not"]
    positive.sort(key=len)
    out = positive[0].intersection(*positive[1:])
    for k in kids:
        if k[0] == "not" and out:
            out -= _match(k, postings, memo)
    return out


def _phrase_docs(node: _Node, postings: dict[tuple[str, str], _Postings | None]) -> set[int]:
    """The documents holding every word of the phrase *node* with positions that chain."""
    field, words, slop = node[1], node[2], node[3]
    lists = [postings.get((field, w)) for w in words]
    if any(p is None for p in lists):
        return set()  # a word missing from the segment: Whoosh's NullMatcher
    present = [p for p in lists if p is not None]
    if any(p.values is None or p.decode is None for p in present):
        raise _Unreadable  # no positions kept: Whoosh raises or decides
    ids = sorted(set(present[0].ids).intersection(*(p.ids for p in present[1:])))
    found = set()
    for d in ids:
        at = [p.decode(p.values[_find(p.ids, d)]) for p in present]  # type: ignore[index]
        if phrases.chains(at, slop):
            found.add(d)
    return found


class _Sizes:
    """Whoosh's estimate_size of a query node in one segment, which shapes its matcher tree."""

    def __init__(self, reader: Any) -> None:
        self.reader = reader
        self.doc_count = reader.doc_count()
        self._terms: dict[tuple[str, str], int] = {}
        #: The segment's documents matching each phrase node (found once, used twice).
        self.phrase_matches: dict[_Node, set[int]] = {}

    def __call__(self, node: _Node) -> int:
        kind = node[0]
        if kind == "term":
            key = (node[1], node[2])
            if key not in self._terms:
                try:
                    btext = self.reader.schema[key[0]].to_bytes(key[1])
                except ValueError:  # as Whoosh's Term.estimate_size
                    self._terms[key] = 0
                else:
                    self._terms[key] = int(self.reader.doc_frequency(key[0], btext))
            return self._terms[key]
        if kind == "multi":  # MultiTerm.estimate_size: the words' frequencies, uncapped
            return sum(self(("term", node[1], w)) for w in node[2])
        if kind == "phrase":  # Phrase.estimate_size: its words' And's, the smallest
            return min(self(("term", node[1], w)) for w in node[2])
        if kind == "not":
            return int(self.doc_count)
        sizes = [self(k) for k in node[1]]
        if kind == "or":
            return min(sum(sizes), int(self.doc_count))
        return min(sizes)


#: A node's scores: per document, or one constant for every document (a NOT part).
_Scores = dict[int, float] | float


def _scores(
    node: _Node,
    postings: dict[tuple[str, str], _Postings | None],
    matched: set[int],
    sizes: _Sizes,
    sub: Searcher,
) -> dict[int, float]:
    """Score of each matched document, summed as Whoosh's matcher tree sums it."""
    result = _node_scores(node, postings, matched, sizes, sub, root=True)
    if isinstance(result, float):  # cannot happen: a query has a positive part
        return dict.fromkeys(matched, result)
    return result


def _node_scores(
    node: _Node,
    postings: dict[tuple[str, str], _Postings | None],
    matched: set[int],
    sizes: _Sizes,
    sub: Searcher,
    *,
    root: bool = False,
) -> _Scores:
    kind = node[0]
    if kind == "term":
        scores = _term_scores(postings[(node[1], node[2])], matched)
        if len(node) > 3:  # a boosted term: Whoosh's WrappingMatcher multiplies its score
            boost = node[3]
            return {d: v * boost for d, v in scores.items()}
        return scores
    if kind == "multi":  # Whoosh's Or of the words' terms (none here: its NullMatcher)
        if not node[2]:
            return {}
        union = ("or", [("term", node[1], w) for w in node[2]])
        return _node_scores(union, postings, matched, sizes, sub)
    if kind == "phrase":
        # SpanNear2's matcher scores as the intersection it wraps: its words' scores,
        # added as make_binary_tree pairs them (halves, in the phrase's order).
        own = _match(node, postings, sizes.phrase_matches)
        docs = own & matched if len(own) > len(matched) else {d for d in own if d in matched}
        parts: list[_Scores] = [_term_scores(postings[(node[1], w)], docs) for w in node[2]]
        return _halves(parts)
    if kind == "not":
        return 1.0  # Whoosh's InverseMatcher scores each document it lets through 1.0
    kids = node[1]
    # Whoosh builds a Huffman-like tree of binary matchers: an OR pairs its
    # smallest parts first, an AND its largest (weight = -size).
    sign = 1 if kind == "or" else -1
    items = [(sign * sizes(k), i) for i, k in enumerate(kids)]
    items.sort(key=lambda item: item[0])  # stable: equal weights keep query order
    trees: list[tuple[int, Any]] = [
        (w, _node_scores(kids[i], postings, matched, sizes, sub)) for w, i in items
    ]
    while len(trees) > 1:
        (wa, a), (wb, b) = trees.pop(0), trees.pop(0)
        bisect.insort_right(trees, (wa + wb, _add(a, b)), key=lambda item: item[0])
    scores = trees[0][1]
    if kind == "and" and not root:
        # An AND inside an OR scores only the documents it matches itself (the root
        # AND's matches are *matched*): its parts may hold others, matched elsewhere.
        own = _match(node, postings, sizes.phrase_matches)
        if isinstance(scores, float):
            return {d: scores for d in matched if d in own}
        return {d: v for d, v in scores.items() if d in own}
    result: _Scores = scores
    return result


def _best(scores: dict[int, float], limit: int) -> list[tuple[int, float]]:
    """The *limit* best (docnum, score) pairs: highest score, then lowest docnum."""
    if len(scores) > limit > 0:
        kth = heapq.nlargest(limit, scores.values())[-1]  # floats compared in C
        scores = {d: v for d, v in scores.items() if v >= kth}
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]


def _halves(parts: list[_Scores]) -> _Scores:
    """Scores of Whoosh's ``make_binary_tree`` over *parts*: halves, each summed first."""
    if len(parts) == 1:
        return parts[0]
    half = len(parts) // 2
    return _add(_halves(parts[:half]), _halves(parts[half:]))


def _add(a: _Scores, b: _Scores) -> _Scores:
    """Scores of a binary matcher over *a* and *b*: their sum where both match.

    The larger dict is added to in place (every dict here is made for one use):
    copying it at each level of the tree was a fifth of a fuzzy word's time.
    """
    if isinstance(a, float) and isinstance(b, float):
        return a + b
    if isinstance(a, float):
        assert not isinstance(b, float)
        return {d: a + v for d, v in b.items()}
    if isinstance(b, float):
        return {d: v + b for d, v in a.items()}
    if len(a) < len(b):
        for d, v in a.items():
            b[d] = v + b[d] if d in b else v
        return b
    for d, v in b.items():
        a[d] = a[d] + v if d in a else v
    return a


def _term_scores(p: _Postings | None, matched: set[int]) -> dict[int, float]:
    if p is None:
        return {}
    s = p.scorer
    idf, avgfl, b, k1 = s.idf, s.avgfl, s.B, s.K1
    lengths = s.dfl  # the scorer's field lengths (FastBM25F's: read once per segment)
    if len(matched) < len(p.ids):
        tf = dict(zip(p.ids, p.weights, strict=True))
        pairs = [(d, tf[d]) for d in matched if d in tf]
    elif matched.issuperset(p.ids):  # (an OR's part: every posting is a match)
        pairs = list(zip(p.ids, p.weights, strict=True))
    else:
        pairs = [(d, w) for d, w in zip(p.ids, p.weights, strict=True) if d in matched]
    # Many documents share a (weight, length) pair: score each pair once.
    done: dict[tuple[float, int], float] = {}
    out = {}
    for d, w in pairs:
        key = (w, lengths(d))
        score = done.get(key)
        if score is None:
            score = done[key] = bm25(idf, w, key[1], avgfl, b, k1)
        out[d] = score
    return out
