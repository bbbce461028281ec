"""Ranking: the best BM25F hits re-ranked by a score that depends on the query's length.

DESIGN.md, "Search quality". :func:`rerank` takes the best :data:`RERANK_DEPTH` hits
of a search. A query of up to :data:`MID_QUERY` words is a remembered fragment: the
words near each other and in the query's order (phrase-like evidence: the shortest
window, each pair in order, all of them in order, how likely one sentence of the
article gave them) count with the normalised BM25F score, weighted by how much of
the query (by IDF) the article has. A longer query (a headline, a pasted sentence or
description, whose words scatter over the article) is ranked by BM25 on title and
body each on its own length, without proximity.
Fuzzy and wildcard words, and corrected queries, keep BM25F plus proximity. The
weights were chosen on ``bench/relevance.py``'s and ``bench/descriptions.py``'s
query sets of one seed and checked on another (bench/README.md).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterator, Sequence
from typing import Any

from whoosh import query as wq
from whoosh.searching import Searcher

from index.internals import blockeval
from index.internals.fuzzy import MAX_FUZZY_CHARS
from index.internals.lengths import field_lengths
from index.query import positive_leaves

#: How many of the best BM25F hits are re-ranked by proximity.
RERANK_DEPTH = 100
#: A query of at most this many words is a remembered fragment: word order counts most.
SHORT_QUERY = 3
#: For a query with fuzzy or wildcard words (and a corrected one, which gives its own),
#: weight of the proximity signal against the normalised BM25F score, for a query of at
#: most :data:`SHORT_QUERY` words and for a longer one.
PROXIMITY_WEIGHT = 5.0
LONG_PROXIMITY_WEIGHT = 2.0
#: In the most-words rescue, weight of the share of the query's words an article has
#: (with fuzzy words), and what it weighs more for a fragment (:func:`fragment_value`):
#: enough that an article with more of the words (by IDF) always comes first.
COVERAGE_WEIGHT = 1.5
FRAGMENT_COVERAGE_WEIGHT = 100.0
#: Up to this many words a query is a fragment (:func:`fragment_value`); longer (a
#: headline), its hits are ranked by per-field BM25 (:func:`field_bm25`), the title
#: weighing :data:`LONG_TITLE_WEIGHT` from :data:`LONG_QUERY` words (a pasted sentence
#: or description: proximity and coverage put long articles first, and a headline
#: shares more of a description's words than of a headline's).
MID_QUERY = 4
LONG_QUERY = 8
LONG_TITLE_WEIGHT = 2.0
#: :func:`field_bm25`'s parameters (Whoosh's BM25F defaults).
B = 0.75
K1 = 1.2
#: :func:`sentence_likelihood`: the longest run of the words counted as one sentence, the
#: fewest words a sentence is taken to have, the cost of a missing word, and the least
#: value (an article holding none of the words in its body).
SENTENCE_SPAN = 30
SENTENCE_WORDS = 8
MISSING_WORD = 3.0
LEAST_LIKELY = -20.0
#: Words this far apart (beyond adjacent) halve the proximity signal.
PROXIMITY_SLACK = 8.0
#: In a short query, two of its words in the other order than the query's count as this
#: much further apart (in a longer one, order does not count).
REVERSED_GAP = 16

#: A match before paging: (docnum, score, matched (field, term) pairs).
Found = tuple[int, float, Sequence[tuple[str, object]]]


def _text(value: object) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def present(
    searcher: Searcher, pairs: list[tuple[str, str]], docnums: list[int]
) -> dict[int, list[tuple[str, str]]]:
    """For each of *docnums*, which of the (field, term) *pairs* it contains."""
    reader = searcher.reader()
    wanted = sorted(docnums)
    out: dict[int, list[tuple[str, str]]] = {d: [] for d in wanted}
    for fieldname, term in pairs:
        for d, _ in postings_at(reader, fieldname, term, wanted):
            out[d].append((fieldname, term))
    return out


def postings_at(
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


def word_groups(q: wq.Query, matched: set[tuple[str, str]]) -> list[set[str]]:
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
                t for f, t in matched if f in ("title", "body") and multi_matches(pattern, t)
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


def multi_matches(leaf: wq.Query, term: str) -> bool:
    if isinstance(leaf, wq.Prefix):
        return term.startswith(_text(leaf.text))
    if isinstance(leaf, wq.Wildcard):
        import fnmatch

        return fnmatch.fnmatchcase(term, _text(leaf.text))
    if isinstance(leaf, wq.FuzzyTerm):
        text = _text(leaf.text)
        if len(text) > MAX_FUZZY_CHARS:  # matched as typed (index.internals.fuzzy.FuzzyTerm)
            return term == text
        return bool(edit_distance(term, text, leaf.maxdist) <= leaf.maxdist)
    return False


def edit_distance(a: str, b: str, cap: int) -> int:
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


def read_positions(
    searcher: Searcher, fieldname: str, terms: set[str], docnums: list[int]
) -> dict[int, dict[str, list[int]]]:
    """For each of *docnums*, the positions of each of *terms* in *fieldname*."""
    reader = searcher.reader()
    wanted = sorted(docnums)
    out: dict[int, dict[str, list[int]]] = {d: {} for d in wanted}
    for term in terms:
        for d, m in postings_at(reader, fieldname, term, wanted):
            out[d][term] = list(m.value_as("positions"))
    return out


def min_window(groups: list[set[str]], positions: dict[str, list[int]]) -> tuple[int, int]:
    """(groups present, length of the shortest span of positions covering all of them)."""
    events: list[tuple[int, int]] = []
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


def pair_proximity(
    groups: list[set[str]], positions: dict[str, list[int]], reversed_gap: int = REVERSED_GAP
) -> float:
    """How close each query word is to the next one, averaged over the query's word pairs.

    A pair next to each other, in the query's order, counts 1; words
    :data:`PROXIMITY_SLACK` positions further apart count 1/2; a pair the other way
    round counts as *reversed_gap* positions further apart; a pair not both present
    counts 0.
    """
    where = [sorted(p for t in g for p in positions.get(t, ())) for g in groups]
    total = 0.0
    for a, b in zip(where, where[1:], strict=False):
        if not a or not b:
            continue
        i = j = 0
        best = 1 << 30
        while i < len(a) and j < len(b):
            gap = b[j] - a[i]
            # In the query's order (a before b) a gap counts as it is; the other way round
            # it counts *reversed_gap* more (phrase-like evidence: in order and near).
            best = min(best, gap if gap > 0 else reversed_gap - gap)
            if a[i] < b[j]:
                i += 1
            else:
                j += 1
        total += 1.0 / (1.0 + max(0, best - 1) / PROXIMITY_SLACK)
    return total / (len(groups) - 1)


def rerank(
    searcher: Searcher,
    q: wq.Query,
    found: list[Found],
    *,
    coverage: bool,
    fast: blockeval.Evaluation | None = None,
    proximity: float | None = None,
) -> list[Found]:
    """Re-rank the first :data:`RERANK_DEPTH` hits; how depends on the query's length.

    Up to :data:`MID_QUERY` words (a remembered fragment): BM25F plus word proximity,
    the words in the query's order near each other (:func:`fragment_value`). Longer (a
    headline, a pasted sentence or description): per-field BM25 (:func:`field_bm25`).

    :param coverage: rank first by how many of the query's words an article has
        (for the most-words rescue, where not every hit has them all).
    :param fast: the block evaluation that found *found*, whose postings hold the
        positions needed (else they are read from the index).
    :param proximity: the proximity signal's weight, instead of the one for the query's
        length (the earlier formula: BM25F plus proximity times coverage).
    """
    head, tail = found[:RERANK_DEPTH], found[RERANK_DEPTH:]
    matched: set[tuple[str, str]] = set()
    for _, _, terms in head:
        matched.update((f, _text(t)) for f, t in terms)
    groups = word_groups(q, matched)
    # A fuzzy or wildcard word stands for several words (none of them remembered as
    # such): BM25F plus proximity, whatever the query's length (bench/misspelt.py).
    if proximity is None and any(isinstance(leaf, wq.MultiTerm) for leaf in positive_leaves(q)):
        proximity = PROXIMITY_WEIGHT if len(groups) <= SHORT_QUERY else LONG_PROXIMITY_WEIGHT
    if not groups:
        return found
    top = max(s for _, s, _ in head) or 1.0
    all_terms = set().union(*groups)
    docnums = [d for d, _, _ in head]
    body = fast.positions("body", all_terms, docnums) if fast is not None else None
    if body is None:
        body = read_positions(searcher, "body", all_terms, docnums)
    per_field = len(groups) > MID_QUERY and proximity is None
    title: dict[int, dict[str, list[int]]] | None = None
    if per_field:  # how often each word is in the title counts
        title = fast.positions("title", all_terms, docnums) if fast is not None else None
        if title is None:
            title = read_positions(searcher, "title", all_terms, docnums)
    else:  # only whether a word is in the title counts
        pairs = [("title", t) for t in all_terms]
        in_title = fast.present(pairs, docnums) if fast is not None else None
        if in_title is None:
            title = read_positions(searcher, "title", all_terms, docnums)
        else:
            title = {d: {t: [] for _, t in got} for d, got in in_title.items()}
    # A rare word found counts for more than a common one (IDF), as in BM25.
    weights = [max(searcher.idf("body", t) for t in g) for g in groups]
    whole = sum(weights) or 1.0
    body_mean = searcher.avg_field_length("body", 1.0) or 1.0
    rescored = []
    for d, score, terms in head:
        has = [any(t in body[d] or t in title[d] for t in g) for g in groups]
        cover = sum(w for w, h in zip(weights, has, strict=True) if h) / whole
        if per_field:
            long = len(groups) >= LONG_QUERY
            value = field_bm25(
                searcher, groups, weights, d, body[d], title[d], LONG_TITLE_WEIGHT if long else 1.0
            )
        elif proximity is not None:
            value = _weighted(groups, body[d], score / top, cover, proximity, coverage)
        else:
            length = _length(searcher, "body", d)
            value = fragment_value(
                groups, body[d], score / top, cover, length / body_mean, coverage=coverage
            )
        rescored.append((d, value, terms))
    rescored.sort(key=lambda r: -r[1])
    return rescored + tail


def _weighted(
    groups: list[set[str]],
    positions: dict[str, list[int]],
    bm25: float,
    cover: float,
    weight: float,
    coverage: bool,
) -> float:
    """BM25F plus proximity with the given *weight* (a corrected query's ranking)."""
    value = bm25 + weight * proximity_signal(groups, positions, len(groups) <= SHORT_QUERY) * cover
    return value + COVERAGE_WEIGHT * cover if coverage else value


def proximity_signal(groups: list[set[str]], positions: dict[str, list[int]], short: bool) -> float:
    """The mean of the shortest window's nearness and :func:`pair_proximity` (0 to 1)."""
    present, span = min_window(groups, positions)
    if present < 2:
        return 0.0
    slack = max(0, span - (present - 1))
    window = 1.0 / (1.0 + slack / PROXIMITY_SLACK)
    pairs = pair_proximity(groups, positions, REVERSED_GAP if short else 0)
    return (window + pairs) / 2


def fragment_value(
    groups: list[set[str]],
    positions: dict[str, list[int]],
    bm25: float,
    cover: float,
    length: float,
    *,
    coverage: bool = False,
) -> float:
    """The value of a hit for a remembered fragment of up to :data:`MID_QUERY` words.

    :param bm25: the hit's BM25F score over the best one's.
    :param cover: the IDF-weighted share of the query's words the hit holds.
    :param length: the hit's body length over the mean.
    :param coverage: the most-words rescue: for three words or fewer, the articles
        with more of the words (:data:`FRAGMENT_COVERAGE_WEIGHT`) first.

    Weighed (bench/README.md, "Remembered fragments"): the shortest window holding
    the words, the pairs in the query's order, the words all in the query's order
    (:func:`ordered_span`), and :func:`sentence_likelihood`; for three words or
    fewer, the order counts more and BM25F less.
    """
    present, span = min_window(groups, positions)
    window = 0.0
    if present >= 2:
        window = 1.0 / (1.0 + max(0, span - (present - 1)) / PROXIMITY_SLACK)
    where = [sorted(p for t in g for p in positions.get(t, ())) for g in groups]
    chain = 0.0
    if all(where):
        ordered = ordered_span(where)
        if ordered is not None:
            chain = 1.0 / (1.0 + max(0, ordered - (len(where) - 1)) / PROXIMITY_SLACK)
    if len(groups) <= SHORT_QUERY:
        pairs = pair_proximity(groups, positions) if present >= 2 else 0.0
        likely = sentence_likelihood(where, length) - LEAST_LIKELY  # (a score is not below 0)
        return (
            0.5 * bm25
            + (1.0 * window + 3.5 * pairs + 1.5 * chain) * cover
            + (2.5 + (FRAGMENT_COVERAGE_WEIGHT if coverage else 0.0)) * cover
            + 1.25 * likely
        )
    return 1.25 * bm25 + (1.0 * window + 1.75 * chain) * cover + 1.0 * cover


def ordered_span(where: list[list[int]]) -> int | None:
    """The shortest span holding one position of each list, in the lists' order, or None.

    :param where: each query word's sorted positions.
    """
    chains = [(p, p) for p in where[0]]  # (end, latest start of a chain ending there)
    for positions in where[1:]:
        nxt = []
        i = 0
        start: int | None = None
        for p in positions:
            while i < len(chains) and chains[i][0] < p:
                start = chains[i][1] if start is None else max(start, chains[i][1])
                i += 1
            if start is not None:
                nxt.append((p, start))
        if not nxt:
            return None
        chains = nxt
    return min(end - start for end, start in chains)


def sentence_likelihood(where: list[list[int]], length: float) -> float:
    """How likely the words were remembered from one sentence of this article (a log).

    Each run of the words present, in the query's order within
    :data:`SENTENCE_SPAN` positions, counts as a sentence holding them; a longer run
    stands for a longer sentence, from which these words were less likely the ones
    remembered (one in C(n, k)); the sum is divided by the article's *length* (over
    the mean), and each word missing costs :data:`MISSING_WORD`.
    """
    present = [w for w in where if w]
    if not present:
        return LEAST_LIKELY
    runs = 0.0
    k = len(present)
    for first in present[0]:
        p = first
        for positions in present[1:]:
            i = bisect.bisect_right(positions, p)
            if i == len(positions) or positions[i] - first > SENTENCE_SPAN:
                break
            p = positions[i]
        else:
            runs += 1.0 / math.comb(max(p - first + 1, SENTENCE_WORDS), k)
    missing = len(where) - k
    value = math.log(1e-4 + runs) - math.log(max(length, 1e-6)) - MISSING_WORD * missing
    return max(value, LEAST_LIKELY)


def field_bm25(
    searcher: Searcher,
    groups: list[set[str]],
    weights: list[float],
    docnum: int,
    body: dict[str, list[int]],
    title: dict[str, list[int]],
    title_weight: float = 1.0,
) -> float:
    """BM25 of title and body each on its own length (Whoosh's IDF).

    For a headline-long query this ranks better than BM25F with proximity
    (bench/README.md, "Remembered fragments").
    """
    norms = {}
    for fieldname in ("body", "title"):
        mean = searcher.avg_field_length(fieldname, 1.0) or 1.0
        norms[fieldname] = K1 * (1 - B + B * _length(searcher, fieldname, docnum) / mean)
    value = 0.0
    for g, idf in zip(groups, weights, strict=True):
        for fieldname, where in (("body", body), ("title", title)):
            tf = sum(len(where.get(t, ())) for t in g)
            if tf:
                weight = title_weight if fieldname == "title" else 1.0
                value += weight * idf * tf * (K1 + 1) / (tf + norms[fieldname])
    return value


def _length(searcher: Searcher, fieldname: str, docnum: int) -> int:
    """*docnum*'s length in *fieldname* (at least 1), from memory when it can be."""
    lengths = field_lengths(searcher, fieldname)
    found = lengths(docnum) if lengths is not None else None
    if found is None:
        found = searcher.doc_field_length(docnum, fieldname, 0)
    return max(int(found or 0), 1)


# --- rescue -------------------------------------------------------------------------------
