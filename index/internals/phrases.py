"""Whoosh's phrase matching on plain position lists.

Whoosh runs a phrase as ``SpanNear2`` over its words' terms (ordered, at least
one position apart, at most *slop*), chaining each word's positions onto the
spans found so far. :func:`chains` does the same on the positions of one
document, for :mod:`index.internals.blockeval`, which finds a phrase's
documents a posting block at a time; ``tests/test_blockeval.py`` compares the
results with Whoosh's matchers.
"""

from __future__ import annotations

import bisect


def chains(positions: list[list[int]], slop: int) -> bool:
    """Whether spans chain through each word's *positions* in order, as Whoosh's
    ``SpanNear2Matcher._get_spans`` finds them (ordered, mindist 1, *slop*)."""
    if slop == 1:  # a plain phrase: each word right after the chain's end
        ends = set(positions[0])
        for nxt in positions[1:]:
            ends = {b for b in nxt if b - 1 in ends}
            if not ends:
                return False
        return True
    spans = sorted({(p, p) for p in positions[0]})
    for nxt in positions[1:]:
        if not spans:
            return False
        bspans = sorted(nxt)
        out = set()
        for a_start, a_end in spans:
            j = bisect.bisect_left(bspans, a_start)
            while j < len(bspans):
                b = bspans[j]
                j += 1
                if b < a_start - slop or a_start > b:
                    continue
                if b > a_end + slop:
                    break
                if a_start <= b <= a_end:  # overlaps
                    dist = 0
                elif a_end < b:
                    dist = b - a_end
                else:
                    dist = a_start - b
                if 1 <= dist <= slop:
                    out.add((min(a_start, b), max(a_end, b)))
        spans = sorted(out)
    return bool(spans)
