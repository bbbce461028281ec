"""Near-duplicates: the same article with a title line prepended, other spacing or line
wrapping, or a tracking footer, recognised as the same article.

How: the text is normalised (Unicode NFKC, case folded, punctuation dropped, white
space folded) and cut into overlapping :data:`SHINGLE`-word shingles, each hashed
to 64 bits. The :data:`KEYS` smallest hashes (a bottom-k MinHash sketch) are kept
per article in the ``near_keys`` table; an article sharing one of them is a
*candidate*, and a candidate whose shingle sets' Jaccard similarity (computed on
the two texts, not estimated) is at least :data:`THRESHOLD` is a near-duplicate.
Two texts with Jaccard similarity J share each bottom hash with probability about
J, so a near-duplicate (J >= 0.8) is missed only if all eight differ.

Within one ingest batch (texts not stored yet) every earlier text is a possible
match, and :class:`Earlier` finds them all without comparing each pair: two sets
with Jaccard similarity at least :data:`THRESHOLD` share at least
``ceil(THRESHOLD * size)`` elements of each, so each set's smallest
``size - ceil(THRESHOLD * size) + 1`` hashes (its *prefix*) meet the other's
(prefix filtering, Chaudhuri et al. 2006, "A primitive operator for similarity
joins"). Only texts whose prefixes meet are compared, exactly: the result is the
pairwise check's, at a fraction of its cost.

Measured on the BBC corpus (bench/neardup.py, bench/README.md).
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from archive.models import Article

T = TypeVar("T")

#: Words per shingle.
SHINGLE = 5
#: Smallest shingle hashes kept per article, to find candidates.
KEYS = 8
#: Jaccard similarity of the shingle sets from which two texts are the same article.
THRESHOLD = 0.8
_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    """The words of *text*, normalised: NFKC, case folded, no punctuation."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def shingles(text: str) -> set[int]:
    """The 64-bit hashes of *text*'s word shingles (the whole text if it is shorter)."""
    w = words(text)
    grams: Iterable[str]
    if len(w) < SHINGLE:
        grams = [" ".join(w)] if w else []
    else:  # (zip: each shingle's words without a slice of its own)
        grams = map(" ".join, zip(*(w[i:] for i in range(SHINGLE)), strict=False))
    blake = hashlib.blake2b
    return {int.from_bytes(blake(g.encode(), digest_size=8).digest(), "big") >> 1 for g in grams}


def keys(hashes: set[int]) -> list[int]:
    """The bottom-k sketch: the :data:`KEYS` smallest shingle hashes."""
    return sorted(hashes)[:KEYS]


def jaccard(a: set[int], b: set[int]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def overlap(size: int) -> int:
    """The fewest hashes a set of *size* shares with any set it is a near-duplicate of.

    :func:`jaccard` divides in floating point, which rounds monotonically: a shared
    count *o* with ``o / union >= THRESHOLD`` also has ``o / size >= THRESHOLD``, as
    ``union >= size``; this is the least such *o*.
    """
    need = max(math.ceil(THRESHOLD * size), 1)
    while need > 1 and (need - 1) / size >= THRESHOLD:
        need -= 1
    while need / size < THRESHOLD:
        need += 1
    return need


def prefix(hashes: set[int]) -> list[int]:
    """The smallest hashes of a set, as many as any near-duplicate's prefix is sure to
    meet: all but ``overlap(len(hashes)) - 1`` of them (none of an empty set)."""
    if not hashes:
        return []
    return sorted(hashes)[: len(hashes) - overlap(len(hashes)) + 1]


class Earlier(Generic[T]):
    """Texts met earlier in a run, each with an item (an article), indexed by their
    prefixes: :meth:`first` finds the earliest one a text is a near-duplicate of,
    as comparing it with each in turn would, but comparing only those that can be."""

    def __init__(self) -> None:
        self._items: list[T] = []
        self._sets: list[set[int]] = []
        self._by_hash: dict[int, list[int]] = {}

    def add(self, item: T, hashes: set[int]) -> None:
        """Add a text (its :func:`shingles`) and what it stands for."""
        n = len(self._items)
        self._items.append(item)
        self._sets.append(hashes)
        for h in prefix(hashes):
            self._by_hash.setdefault(h, []).append(n)

    def first(self, hashes: set[int]) -> tuple[T, float] | None:
        """The item of the earliest text added that *hashes* is a near-duplicate of,
        with their similarity; None when there is none."""
        if not hashes:
            return None
        size = len(hashes)
        found = {n for h in prefix(hashes) for n in self._by_hash.get(h, ())}
        for n in sorted(found):
            theirs = self._sets[n]
            # (a necessary condition: the smaller set over the larger bounds the similarity)
            if min(size, len(theirs)) / max(size, len(theirs)) < THRESHOLD:
                continue
            score = jaccard(hashes, theirs)
            if score >= THRESHOLD:
                return self._items[n], score
        return None


class Stored:
    """Near-duplicates among the articles stored in *session*, for one batch of texts:
    the ``near_keys`` rows of all the batch's sketches read at once (:meth:`prefetch`),
    and the candidates' texts read once, as the session holds them (an article the
    batch changed is compared by its new text)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._holders: dict[int, list[int]] = {}  # key -> ids of the articles holding it
        self._articles: dict[int, Article] = {}
        self._sets: dict[int, tuple[str, set[int]]] = {}  # id -> (text, its shingles)

    def prefetch(self, sketches: Iterable[set[int]]) -> None:
        """Read the candidates of these texts (their :func:`shingles`) in a few queries."""
        from sqlalchemy import select

        from archive.models import Article, NearKey

        wanted = sorted({k for hashes in sketches for k in keys(hashes)} - self._holders.keys())
        if not wanted:
            return
        new: set[int] = set()
        with self.session.no_autoflush:  # (the rows read are not the batch's own)
            for chunk in _chunks(wanted, 500):
                for k in chunk:
                    self._holders[k] = []
                for key, article_id in self.session.execute(
                    select(NearKey.key, NearKey.article_id).where(NearKey.key.in_(chunk))
                ):
                    self._holders[key].append(article_id)
                    new.add(article_id)
            for chunk in _chunks(sorted(new - self._articles.keys()), 500):
                for article in self.session.scalars(select(Article).where(Article.id.in_(chunk))):
                    self._articles[article.id] = article

    def best(self, hashes: set[int]) -> tuple[Article, float] | None:
        """The stored article *hashes* is a near-duplicate of (the most similar, the
        oldest of equals), with the similarity; None when there is none."""
        if not hashes:
            return None
        mine = keys(hashes)
        if not self._holders.keys() >= set(mine):
            self.prefetch([hashes])
        ids = {i for k in mine for i in self._holders[k]}
        best: tuple[Article, float] | None = None
        for article_id in sorted(ids):
            article = self._articles.get(article_id)
            if article is None:
                continue
            score = jaccard(hashes, self._shingles(article))
            if score >= THRESHOLD and (best is None or score > best[1]):
                best = (article, score)
        return best

    def _shingles(self, article: Article) -> set[int]:
        known = self._sets.get(article.id)
        if known is None or known[0] is not article.body:
            known = (article.body, shingles(article.body))
            self._sets[article.id] = known
        return known[1]


def remember(session: Session, sketches: Iterable[tuple[int, set[int]]]) -> None:
    """Store each article's sketch, from its (id, :func:`shingles`), replacing earlier
    ones (for an id given twice, the last); a few statements for any number."""
    from sqlalchemy import delete, insert

    from archive.models import NearKey

    latest = dict(sketches)
    for chunk in _chunks(sorted(latest), 500):
        session.execute(
            delete(NearKey).where(NearKey.article_id.in_(chunk)),
            execution_options={"synchronize_session": False},
        )
    rows = [{"article_id": i, "key": k} for i, hashes in latest.items() for k in keys(hashes)]
    if rows:
        session.execute(insert(NearKey), rows)


def pairs(session: Session) -> list[tuple[int, int, float]]:
    """Every pair of stored articles that are near-duplicates: (older id, newer id,
    similarity), most similar first."""
    from sqlalchemy import select

    from archive.models import Article, NearKey

    by_key: dict[int, list[int]] = {}
    for key, article_id in session.execute(select(NearKey.key, NearKey.article_id)):
        by_key.setdefault(key, []).append(article_id)
    candidates = {
        (a, b)
        for ids in by_key.values()
        if 1 < len(ids) <= 50  # a key hundreds share is boilerplate, not an article
        for i, a in enumerate(sorted(ids))
        for b in sorted(ids)[i + 1 :]
    }
    wanted = sorted({i for pair in candidates for i in pair})
    texts: dict[int, set[int]] = {}
    for chunk in _chunks(wanted, 500):
        for article_id, body in session.execute(
            select(Article.id, Article.body).where(Article.id.in_(chunk))
        ):
            texts[article_id] = shingles(body)
    found = [
        (a, b, score)
        for a, b in candidates
        if a in texts and b in texts and (score := jaccard(texts[a], texts[b])) >= THRESHOLD
    ]
    return sorted(found, key=lambda p: (-p[2], p[0], p[1]))


def _chunks(items: Sequence[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])
