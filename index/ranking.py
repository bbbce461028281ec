"""Ranking by proximity: the best BM25F hits re-ranked by how close the query's words are.

DESIGN.md, "Search quality": how near each other (and in order) the query's
words occur is the biggest win over plain BM25F. :func:`rerank` takes the
best :data:`RERANK_DEPTH` hits of a search and scores each by its normalised
BM25F score plus a proximity signal (the shortest window holding the query's
words, and how close each of the query's word pairs stands, in the query's order
counting nearer than reversed: phrase-like evidence), weighted by how much of
the query (by IDF) the article has. The weights were chosen on the 2-4-word set
of ``bench/relevance.py`` (see bench/README.md).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from whoosh import query as wq
from whoosh.searching import Searcher

from index.internals import blockeval
from index.internals.fuzzy import MAX_FUZZY_CHARS
from index.query import positive_leaves

#: How many of the best BM25F hits are re-ranked by proximity.
RERANK_DEPTH = 100
#: Weight of the proximity signal against the (normalised) BM25F score, for a query of
#: at most :data:`SHORT_QUERY` words (a remembered fragment: how near its words stand
#: decides), and for a longer one (a headline or sentence, whose words scatter).
PROXIMITY_WEIGHT = 5.0
LONG_PROXIMITY_WEIGHT = 2.0
SHORT_QUERY = 3
#: In the most-words rescue, weight of the share of the query's words an article has.
COVERAGE_WEIGHT = 1.5
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
    """Re-rank the first :data:`RERANK_DEPTH` hits by BM25F plus word proximity.

    :param coverage: rank first by how many of the query's words an article has
        (for the most-words rescue, where not every hit has them all).
    :param fast: the block evaluation that found *found*, whose postings hold the
        positions needed (else they are read from the index).
    :param proximity: the proximity signal's weight, instead of the one for the query's
        length (:data:`PROXIMITY_WEIGHT`, :data:`LONG_PROXIMITY_WEIGHT`).
    """
    head, tail = found[:RERANK_DEPTH], found[RERANK_DEPTH:]
    matched: set[tuple[str, str]] = set()
    for _, _, terms in head:
        matched.update((f, _text(t)) for f, t in terms)
    groups = word_groups(q, matched)
    if not groups:
        return found
    top = max(s for _, s, _ in head) or 1.0
    all_terms = set().union(*groups)
    docnums = [d for d, _, _ in head]
    body = fast.positions("body", all_terms, docnums) if fast is not None else None
    if body is None:
        body = read_positions(searcher, "body", all_terms, docnums)
    # Only whether a word is in the title counts (positions are not used).
    in_title = (
        fast.present([("title", t) for t in all_terms], docnums) if fast is not None else None
    )
    title: dict[int, dict[str, list[int]]]
    if in_title is None:
        title = read_positions(searcher, "title", all_terms, docnums)
    else:
        title = {d: {t: [] for _, t in pairs} for d, pairs in in_title.items()}
    # A rare word found counts for more than a common one (IDF), as in BM25.
    weights = [max(searcher.idf("body", t) for t in g) for g in groups]
    whole = sum(weights) or 1.0
    short = len(groups) <= SHORT_QUERY
    weight = PROXIMITY_WEIGHT if short else LONG_PROXIMITY_WEIGHT
    if proximity is not None:
        weight = proximity
    rescored = []
    for d, score, terms in head:
        present, span = min_window(groups, body[d])
        prox = 0.0
        if present >= 2:
            slack = max(0, span - (present - 1))
            window = 1.0 / (1.0 + slack / PROXIMITY_SLACK)
            pairs = pair_proximity(groups, body[d], REVERSED_GAP if short else 0)
            prox = (window + pairs) / 2
        has = [any(t in body[d] or t in title[d] for t in g) for g in groups]
        cover = sum(w for w, h in zip(weights, has, strict=True) if h) / whole
        value = score / top + weight * prox * cover
        if coverage:
            value += COVERAGE_WEIGHT * cover  # articles with more of the words first
        rescored.append((d, value, terms))
    rescored.sort(key=lambda r: -r[1])
    return rescored + tail


# --- rescue -------------------------------------------------------------------------------
