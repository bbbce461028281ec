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

Measured on the BBC corpus (bench/neardup.py, bench/README.md).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

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
    grams = [" ".join(w[i : i + SHINGLE]) for i in range(max(len(w) - SHINGLE + 1, 1))]
    return {
        int.from_bytes(hashlib.blake2b(g.encode(), digest_size=8).digest(), "big") >> 1
        for g in grams
        if g
    }


def keys(hashes: set[int]) -> list[int]:
    """The bottom-k sketch: the :data:`KEYS` smallest shingle hashes."""
    return sorted(hashes)[:KEYS]


def jaccard(a: set[int], b: set[int]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def find(session: Session, text: str, *, exclude: Iterable[int] = ()) -> tuple[int, float] | None:
    """The stored article *text* is a near-duplicate of (the most similar), with the
    similarity; None when there is none."""
    from sqlalchemy import select

    from archive.models import Article, NearKey

    mine = shingles(text)
    if not mine:
        return None
    skip = set(exclude)
    ids = set(session.scalars(select(NearKey.article_id).where(NearKey.key.in_(keys(mine)))))
    best: tuple[int, float] | None = None
    for chunk in _chunks(sorted(ids - skip), 200):
        for article_id, body in session.execute(
            select(Article.id, Article.body).where(Article.id.in_(chunk))
        ):
            score = jaccard(mine, shingles(body))
            if score >= THRESHOLD and (best is None or score > best[1]):
                best = (article_id, score)
    return best


def remember(session: Session, article_id: int, text: str) -> None:
    """Store *text*'s sketch as article *article_id*'s (replacing an earlier one)."""
    from sqlalchemy import delete

    from archive.models import NearKey

    session.execute(delete(NearKey).where(NearKey.article_id == article_id))
    session.add_all(NearKey(key=k, article_id=article_id) for k in keys(shingles(text)))


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
