"""The in-batch near-duplicate check (neardup.Earlier, prefix filtering) decides as
comparing each text with every earlier one does: on BBC articles, their real
duplicates, and copies edited to sit on either side of the threshold."""

from __future__ import annotations

import random
import textwrap
from pathlib import Path

import pytest

from archive import neardup

FOOTER = "\n\nShared via our newsletter: https://example.com/?utm_source=email. Unsubscribe."


def _edited(text: str, rng: random.Random, rate: float) -> str:
    """*text* with about *rate* of its words dropped or replaced."""
    out = []
    for word in text.split():
        r = rng.random()
        if r < rate / 2:
            continue
        out.append("changed" if r < rate else word)
    return " ".join(out)


def _texts(bbc_corpus: Path) -> list[str]:
    files = sorted((bbc_corpus / "business").glob("*.txt"))[:110]
    files += sorted((bbc_corpus / "tech").glob("*.txt"))[:110]  # (tech holds real duplicates)
    originals = [f.read_text(encoding="latin-1").strip() for f in files]
    rng = random.Random(14)
    texts = list(originals)
    for text in rng.sample(originals, 90):
        title = text.split("\n", 1)[0]
        texts.append(f"{title}\n\n{text}")
        texts.append("\n".join(textwrap.wrap(text, 60)) + FOOTER)
        # Edits of 1% to 6% of the words: shingle similarities from about 0.95 to
        # about 0.6, many of them near the 0.8 threshold.
        texts.append(_edited(text, rng, rng.choice([0.01, 0.02, 0.03, 0.04, 0.05, 0.06])))
    rng.shuffle(texts)
    return texts


def _pairwise(sets: list[set[int]]) -> tuple[list[tuple[int, float] | None], int]:
    """For each set, the first earlier one it is a near-duplicate of, each pair compared;
    and how many sets with none have an earlier one above 0.5 (near misses)."""
    out: list[tuple[int, float] | None] = []
    near_misses = 0
    for n, mine in enumerate(sets):
        found = None
        best = 0.0
        for m in range(n):
            score = neardup.jaccard(mine, sets[m])
            if score >= neardup.THRESHOLD:
                found = (m, score)
                break
            best = max(best, score)
        out.append(found)
        near_misses += found is None and best > 0.5
    return out, near_misses


@pytest.mark.slow
def test_prefix_filtering_finds_what_the_pairwise_check_finds(bbc_corpus: Path) -> None:
    sets = [neardup.shingles(t) for t in _texts(bbc_corpus)]
    expected, near_misses = _pairwise(sets)
    earlier: neardup.Earlier[int] = neardup.Earlier()
    got = []
    for n, mine in enumerate(sets):
        got.append(earlier.first(mine))
        earlier.add(n, mine)
    assert got == expected
    # The data has many matches, some just above the threshold, and texts just under
    # it (the filter had candidates to reject).
    scores = [f[1] for f in expected if f is not None]
    assert len(scores) > 200
    assert min(scores) < neardup.THRESHOLD + 0.03
    assert near_misses > 10


def test_overlap_is_the_least_shared_count_that_can_reach_the_threshold() -> None:
    for size in [*range(1, 400), *range(400, 20_000, 97)]:
        need = neardup.overlap(size)
        # A set of *size* sharing *need* with a set no larger than itself can be a
        # near-duplicate; sharing one fewer it cannot, whatever the other set.
        assert neardup.jaccard(set(range(size)), set(range(need))) >= neardup.THRESHOLD
        assert need == 1 or (need - 1) / size < neardup.THRESHOLD


def test_an_empty_text_matches_nothing() -> None:
    earlier: neardup.Earlier[str] = neardup.Earlier()
    earlier.add("empty", set())
    earlier.add("full", neardup.shingles("one two three four five six"))
    assert earlier.first(set()) is None
    assert earlier.first(neardup.shingles("one two three four five six")) == ("full", 1.0)
