"""Field lengths for BM25F read once per segment (Whoosh 2.7.4 internals).

Whoosh's scorer reads a matching document's field length from the index file
for every (document, term) it scores: one seek and read each, a seventh of a
search's time at 100,000 articles. :func:`field_lengths` reads a segment's
length column (one byte per document, through ``SegmentReader._perdoc``) once
and answers from memory: the same numbers, so the same scores.
"""

from __future__ import annotations

from collections.abc import Callable

from whoosh.searching import Searcher

from index import internals
from index.internals.postings import BYTE_TO_LENGTH, length_bytes

__all__ = ["field_lengths"]


def field_lengths(searcher: Searcher, fieldname: str) -> Callable[[int], int | None] | None:
    """``docnum -> searcher.doc_field_length(docnum, fieldname, 1)`` from memory, or None.

    None when *searcher* spans several segments, its reader is not Whoosh
    2.7's segment reader, or the gate is closed (then Whoosh's own
    per-document reads are used).
    """
    if not internals.enabled() or not searcher.is_atomic():
        return None
    cache: dict[str, Callable[[int], int | None] | None] = searcher.__dict__.setdefault(
        "_archive_lengths", {}
    )
    if fieldname in cache:
        return cache[fieldname]
    lengths = None
    raw = length_bytes(getattr(searcher.reader(), "_perdoc", None), fieldname)
    if raw is not None:
        count = len(raw)

        def lengths(docnum: int) -> int | None:
            return BYTE_TO_LENGTH[raw[docnum]] if docnum < count else None

    cache[fieldname] = lengths
    return lengths
