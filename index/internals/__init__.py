"""Everything that depends on Whoosh 2.7.4's private attributes or on-disk format.

Whoosh is a pure-Python engine, and the archive's speed comes from reaching
past its public API in a few places. All of them live here, behind one gate:

============  ==============================================  ==================================
module        what it does with Whoosh's internals            with the gate closed
============  ==============================================  ==================================
deferred      defers two costly imports Whoosh makes          Whoosh imports them (~60 ms more)
compact       writes posting blocks as arrays, not pickles     Whoosh's W3 codec writes new segments
postings      decodes posting lists and length columns        (used by the modules below only)
blockeval     evaluates word queries a block at a time        Whoosh's matchers: same results
lengths       reads field lengths once per segment (BM25F)    one read per (document, term)
merge         streams merged segments' postings               ``add_reader``: the same index
workers       worker processes that cannot lose documents     one process indexes everything
flush         a commit reads each field's lengths once        one read per posting
fuzzy         expands fuzzy words from term lists in memory   Whoosh's automaton, every use
wordlists     keeps each segment's words in a file beside it  not written; not read
toc           reads the index's TOC once per generation       the TOC read (and unpickled) at
                                                              every ``ix.schema``/``ix.reader()``
============  ==============================================  ==================================

The gate is open only on the Whoosh versions these modules were tested on
(:data:`TESTED`), and can be closed by hand with ``ARCHIVE_WHOOSH_INTERNALS=off``
(to compare, or to rule them out). Closed, the archive uses Whoosh's public
API with the same results, only slower; ``archive stats --format json``
(``engine``: the gate, and how many segments the fast paths can read) and
``archive search --explain`` (how the search was evaluated, and how many
times a fast path fell back to Whoosh's public API) say which way it runs.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any

#: Whoosh versions whose internals and file format this package was tested with.
TESTED = ((2, 7, 4),)

#: Set to ``off`` (or ``0``, ``no``) to use Whoosh's public API only.
ENV = "ARCHIVE_WHOOSH_INTERNALS"

#: Fast-path fallbacks in this process: what fell back, and how many times.
fallbacks: dict[str, int] = {}


def whoosh_version() -> tuple[int, ...]:
    """The installed Whoosh's version (its package ``__init__`` only: no other import)."""
    import whoosh

    return tuple(int(part) for part in whoosh.__version__[:3])


@cache
def _gate() -> tuple[bool, str]:
    version = whoosh_version()
    shown = ".".join(map(str, version))
    if os.environ.get(ENV, "").strip().lower() in ("off", "0", "no", "false"):
        return False, f"turned off by {ENV}"
    if version not in TESTED:
        tested = ", ".join(".".join(map(str, v)) for v in TESTED)
        return False, f"Whoosh {shown} is not a tested version ({tested})"
    return True, f"Whoosh {shown}"


def enabled() -> bool:
    """Whether the fast paths that use Whoosh's internals may run."""
    return _gate()[0]


def reset() -> None:
    """Read the gate again (after a test changes ``ARCHIVE_WHOOSH_INTERNALS``)."""
    _gate.cache_clear()


def codec() -> Any:
    """The codec new segments are written with: :mod:`.compact`'s with the gate open,
    else None (Whoosh's default, the W3 codec)."""
    if not enabled():
        return None
    from index.internals.compact import CompactCodec

    return CompactCodec()


def stranded(ix: Any) -> bool:
    """Whether *ix* holds segments in :mod:`.compact`'s format that this Whoosh may not read.

    Those are read by a subclass of Whoosh 2.7.4's own codec: on another Whoosh
    version the index is rebuilt (:func:`index.writer.outdated`). Turned off by
    ``ARCHIVE_WHOOSH_INTERNALS`` on a tested version, they are still read (by
    Whoosh's matchers, through the codec's own matcher class).
    """
    if enabled() or whoosh_version() in TESTED:
        return False
    try:
        segments = ix._segments()
    except Exception:  # another Whoosh: its TOC reads otherwise
        return True
    return any(type(seg.codec()).__module__ == f"{__name__}.compact" for seg in segments)


def fell_back(what: str) -> None:
    """Count a fast path that could not run and left the work to Whoosh's public API."""
    fallbacks[what] = fallbacks.get(what, 0) + 1


def status() -> dict[str, Any]:
    """How the index engine runs here, for ``stats`` and ``--explain``."""
    on, why = _gate()
    return {
        "whoosh": ".".join(map(str, whoosh_version())),
        "fast_paths": on,
        "reason": why if not on else None,
    }


def segments(ix: Any) -> dict[str, int]:
    """The index's segments, and how many of them the fast paths can read.

    A segment they cannot read (another codec) is searched and merged by Whoosh's
    public API: correct, but slower; ``archive stats`` shows the two numbers.
    """
    from whoosh.codec.whoosh3 import W3TermsReader

    total = readable = 0
    with ix.reader() as reader:
        for leaf, _ in reader.leaf_readers():
            if getattr(leaf, "segment", lambda: None)() is None:  # an empty index
                continue
            total += 1
            readable += isinstance(getattr(leaf, "_terms", None), W3TermsReader)
    return {"segments": total, "fast_path_segments": readable if enabled() else 0}
