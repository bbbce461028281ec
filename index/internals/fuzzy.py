"""A fuzzy word expanded once per search, and matched as typed when overlong.

Internals used: ``MultiTerm._btexts``, the hook through which Whoosh 2.7.4
expands a multi-term query against a reader. With the gate of
:mod:`index.internals` closed, every expansion is Whoosh's own (no cache);
the length cap holds either way.
"""

from __future__ import annotations

from typing import Any

from whoosh import query as wq

from index import internals

__all__ = ["MAX_FUZZY_CHARS", "FuzzyTerm"]


#: A word longer than this is never matched fuzzily (``word~``, the fuzzy retry, "did
#: you mean"): Whoosh builds a Levenshtein automaton per word, segment and field in
#: time that grows faster than the word (a 9,000-character word took 21 s), and no
#: word a person misspells is this long; such a word is matched as typed.
MAX_FUZZY_CHARS = 64


class FuzzyTerm(wq.FuzzyTerm):
    """Whoosh's fuzzy term, expanded once per segment reader and exact when overlong.

    Whoosh expands a fuzzy term (walks the term dictionary with an automaton) each
    time it is asked: for the size estimate that orders an OR, again for the matcher,
    and again when a search is retried with fewer words. The expansion depends only
    on the reader, so it is kept for the life of the query (one search).
    """

    def __getstate__(self) -> dict[str, Any]:
        # copy.deepcopy (Whoosh's with_boost) and pickle: not the readers held.
        return {k: v for k, v in self.__dict__.items() if k != "_expanded"}

    def _btexts(self, ixreader: Any) -> list[str]:
        # Keyed by what the expansion depends on: copy.copy (Whoosh's replace()) shares
        # the cache between copies whose text may differ.
        cache = self.__dict__.setdefault("_expanded", {})
        key = (id(ixreader), self.fieldname, self.text, self.maxdist, self.prefixlength)
        hit = cache.get(key)
        if hit is not None and hit[0] is ixreader:
            cached: list[str] = hit[1]
            return cached
        if len(self.text) > MAX_FUZZY_CHARS:
            texts = [self.text] if (self.fieldname, self.text) in ixreader else []
        elif not internals.enabled():
            expanded: list[str] = list(super()._btexts(ixreader))
            return expanded
        else:
            texts = list(super()._btexts(ixreader))
        cache[key] = (ixreader, texts)  # the reader is held, so its id stays unique
        return texts
