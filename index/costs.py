"""What a query may cost: wildcards, ranges and fuzzy words are bounded before they run.

A wildcard (``econom*``, ``?*``), a term range (``[a TO z]``) or a fuzzy word
(``word~2``) stands for every word of the index it matches, and Whoosh reads the
postings of each: ``?*`` or ``[a TO z]`` read the whole index (93 s on 5,873
articles), ``word~5`` walks most of the dictionary. :func:`bound` checks a parsed
query before it runs, by counting, never by timing:

- a fuzzy word's edit distance is capped at :data:`MAX_FUZZY_DISTANCE` (with a notice);
- ``*`` alone (every article) is refused: it is not a search (``archive list`` lists them);
- a wildcard needs at least :data:`MIN_WILDCARD_LETTERS` letters besides ``*`` and ``?``;
- at most :data:`MAX_EXPANDING_WORDS` wildcard, fuzzy or range words in one query;
- together they may match at most :data:`MAX_EXPANDED_TERMS` distinct words of the
  index (counted with Whoosh's own expansion, stopping at the bound).

Anything past a bound is a :class:`~index.errors.QuerySyntaxError` that says which
part and what to do. Fuzzy words the search adds itself (``--fuzzy``, the fuzzy
retry) go through :func:`fits` instead: a retry that would cost too much is not made.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from whoosh import query as wq

from index.errors import QuerySyntaxError

#: Most edits a fuzzy word may have (``word~5`` is searched as ``word~2``).
MAX_FUZZY_DISTANCE = 2
#: Letters a wildcard must hold besides ``*`` and ``?`` (``?*`` would match every word).
MIN_WILDCARD_LETTERS = 2
#: Most wildcard, prefix, fuzzy and range words one query may hold.
MAX_EXPANDING_WORDS = 20
#: Most distinct index words those may stand for, together.
MAX_EXPANDED_TERMS = 2000


@dataclass(frozen=True, slots=True)
class Cost:
    """A query made to fit the bounds, what the user is told, and what it expands to."""

    query: wq.Query
    notices: tuple[str, ...]
    #: Distinct index words the query's wildcard, fuzzy and range words stand for.
    expanded_terms: int


def _shown(q: wq.Query) -> str:
    raw = getattr(q, "text", "")
    text = raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
    if isinstance(q, wq.FuzzyTerm):
        return f"{text}~{q.maxdist}"
    if isinstance(q, wq.Prefix):
        return f"{text}*"
    if isinstance(q, wq.TermRange):
        return f"[{q.start} TO {q.end}]"
    return text


def _typed(q: wq.Query, source: str) -> str:
    """The word of *q* as typed in *source* (the parser notes where it was), else as searched
    (its stem: ``ukran`` for ``ukrane``)."""
    start, end = getattr(q, "startchar", None), getattr(q, "endchar", None)
    if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(source):
        return source[start:end]
    raw = getattr(q, "text", "")
    return raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)


def _capped(q: wq.Query, notices: list[str], source: str = "") -> wq.Query:
    """*q* with every fuzzy word's distance capped (a notice for each one capped, naming
    the word as typed in *source*)."""
    if isinstance(q, wq.FuzzyTerm):
        if q.maxdist > MAX_FUZZY_DISTANCE:
            word = _typed(q, source)
            note = (
                f"{word}~{q.maxdist}: fuzzy words are searched at most {MAX_FUZZY_DISTANCE} "
                f"letters different, as {word}~{MAX_FUZZY_DISTANCE}"
            )
            if note not in notices:
                notices.append(note)
            capped = q.copy()
            capped.maxdist = MAX_FUZZY_DISTANCE
            return capped
        return q
    if q.is_leaf():
        return q
    return q.apply(lambda child: _capped(child, notices, source))


def expanding(q: wq.Query) -> list[wq.Query]:
    """The leaves of *q* that stand for many index words (wildcards, fuzzy words, ranges)."""
    return [leaf for leaf in q.leaves() if isinstance(leaf, wq.MultiTerm)]


def _words(leaves: list[wq.Query]) -> dict[str, list[wq.Query]]:
    """The leaves grouped by the word typed (one typed word is a leaf per field)."""
    grouped: dict[str, list[wq.Query]] = {}
    for leaf in leaves:
        grouped.setdefault(_shown(leaf), []).append(leaf)
    return grouped


def bound(q: wq.Query, reader: object, source: str = "") -> Cost:
    """*q* checked against the bounds (see the module docstring) on the index *reader*.

    :param source: the query as typed, which *q* was parsed from (notices quote it).

    :raises QuerySyntaxError: a part of *q* is past a bound (the message says which).
    """
    if any(isinstance(leaf, wq.Every) for leaf in q.leaves()) or isinstance(q, wq.Every):
        raise QuerySyntaxError(
            "'*' alone matches every article: give a word to search for "
            "('archive list' lists every article)"
        )
    notices: list[str] = []
    q = _capped(q, notices, source)
    words = _words(expanding(q))
    for shown, leaves in words.items():
        leaf = leaves[0]
        if isinstance(leaf, wq.Wildcard | wq.Prefix):
            letters = sum(1 for c in shown if c not in "*?")
            if letters < MIN_WILDCARD_LETTERS:
                raise QuerySyntaxError(
                    f"'{shown}' matches almost every word: give at least "
                    f"{MIN_WILDCARD_LETTERS} letters besides * and ?"
                )
    if len(words) > MAX_EXPANDING_WORDS:
        raise QuerySyntaxError(
            f"the query has {len(words):,} wildcard, fuzzy or range words; "
            f"at most {MAX_EXPANDING_WORDS} can be searched at once"
        )
    total = 0
    for shown, leaves in words.items():
        count = count_expansion(leaves, reader, MAX_EXPANDED_TERMS - total)
        if count is None:
            alone = count_expansion(leaves, reader, MAX_EXPANDED_TERMS)
            if alone is None:
                raise QuerySyntaxError(
                    f"'{shown}' matches over {MAX_EXPANDED_TERMS:,} words: "
                    "give more letters (or a narrower range)"
                )
            raise QuerySyntaxError(
                "the query's wildcard, fuzzy and range words match over "
                f"{MAX_EXPANDED_TERMS:,} words together: use fewer or longer ones"
            )
        total += count
    return Cost(q, tuple(notices), total)


def count_expansion(leaves: list[wq.Query], reader: object, most: int) -> int | None:
    """How many distinct index words *leaves* stand for (``None``: more than *most*).

    Counted with Whoosh's own expansion (``expanded_terms``), stopping past *most*.
    """
    seen: set[tuple[str, bytes | str]] = set()
    for leaf in leaves:
        for term in itertools.islice(leaf.expanded_terms(reader), most + 1 - len(seen)):
            seen.add(term)
        if len(seen) > most:
            return None
    return len(seen)


def fits(q: wq.Query, reader: object) -> int | None:
    """What *q* expands to, or ``None`` if it is past a bound (a retry not to make)."""
    try:
        cost = bound(q, reader)
    except QuerySyntaxError:
        return None
    return cost.expanded_terms
