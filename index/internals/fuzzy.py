"""Fuzzy words: expanded once per search from a term dictionary held in memory.

Whoosh 2.7.4 expands a fuzzy word (``word~2``, a spelling suggestion) by
building a Levenshtein automaton in pure Python (for two edits, its DFA alone
took most of a second) and walking every segment's term dictionary with it,
one disk lookup per step: ``word~2`` took 2.1 s at 100,000 articles. Here each
segment's words of a field (those starting with the required prefix) are read
once per process and kept (segments never change), and the words within the
distance are picked by RapidFuzz's Levenshtein distance in C++: the same words
as Whoosh's automaton (``tests/test_fuzzy.py`` compares them), a few
milliseconds.

Internals used: ``MultiTerm._btexts``, the hook through which Whoosh 2.7.4
expands a multi-term query against a reader, ``ReaderCorrector._suggestions``,
the segment of a leaf reader (``segment()``, for the cache key), and the W3
codec's term file (``_terms``, ``_tindex``, ``_fieldmap``: read in one piece). With the
gate of :mod:`index.internals` closed, every expansion is Whoosh's own (no
cache); the length cap holds either way.
"""

from __future__ import annotations

import struct
import threading
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from whoosh import query as wq
from whoosh.codec.whoosh3 import W3TermsReader
from whoosh.spelling import ReaderCorrector

from index import internals
from index.internals import wordlists
from index.schema import EXACT_FIELDS

__all__ = [
    "MAX_FUZZY_CHARS",
    "FuzzyTerm",
    "corrector",
    "prefixed_words",
    "stems_within",
    "terms_within",
    "written_forms",
]

#: Term lists kept per process: (index name, segment, field, prefix) -> the words'
#: remainders after the prefix, least recently used first. Bounded in words (about
#: 60 bytes each): a long-lived process (a server) sees new segments as the archive grows.
_LEXICONS: OrderedDict[tuple[str, str, str, str], list[str]] = OrderedDict()
MAX_CACHED_WORDS = 2_000_000
#: Every word of a field, per (index name, segment, field), kept and bounded the same way.
_WORDS: OrderedDict[tuple[str, str, str], wordlists.WordLists] = OrderedDict()
_LOCK = threading.Lock()


def _leaf_key(leaf: Any) -> tuple[str, str] | None:
    # Segment ids are random names, unique to each segment, and a segment never
    # changes (deletions do not touch its term dictionary).
    segment = getattr(leaf, "segment", lambda: None)()
    if segment is None:
        return None
    return (str(getattr(segment, "indexname", "")), str(segment.segment_id()))


_LENGTHS = struct.Struct("!ii")
#: Exact terms (``\x01stem\x01form``) hold the forms of words whose form is not its stem.
_EXACT = "\x01"


def _read_terms(leaf: Any, fieldname: str, prefix: str) -> list[str]:
    """*fieldname*'s words in *leaf* starting with *prefix*, in order.

    The W3 codec keeps a segment's terms in one ordered hash file, records of
    ``!ii`` (key length, value length), key (a 2-byte field number and the
    word's UTF-8), value. The records of one field (and prefix) are contiguous:
    they are read in one piece and decoded in one pass, instead of Whoosh's one
    file read per word. Another codec: Whoosh's ``expand_prefix``.
    """
    decode = leaf.schema[fieldname].from_bytes
    terms = getattr(leaf, "_terms", None)
    index = getattr(terms, "_tindex", None)
    fieldmap = getattr(terms, "_fieldmap", None)
    if not isinstance(terms, W3TermsReader) or index is None or fieldmap is None:
        return [decode(b) for b in leaf.expand_prefix(fieldname, prefix)]
    if fieldname not in fieldmap:
        return []
    head = struct.pack("!H", fieldmap[fieldname])
    low = head + prefix.encode("utf-8")
    start = index.closest_key_pos(low)
    if start is None:
        return []
    # The first key past the range: the prefix's last byte incremented (or the next field).
    upper = low.rstrip(b"\xff")
    upper = upper[:-1] + bytes([upper[-1] + 1])
    end = index.closest_key_pos(upper)
    end = index.endofdata if end is None else end
    data = index.dbfile.get(start, end - start)
    unpack = _LENGTHS.unpack_from
    keys = []
    pos, size, skip = 0, len(data), _LENGTHS.size + 2
    while pos < size:
        keylen, datalen = unpack(data, pos)
        keys.append(data[pos + skip : pos + _LENGTHS.size + keylen])
        pos += _LENGTHS.size + keylen + datalen
    if not keys:
        return []
    return b"\n".join(keys).decode("utf-8").split("\n")


def _field_words(leaf: Any, key: tuple[str, str], fieldname: str) -> wordlists.WordLists:
    """Every word of *fieldname* in *leaf*'s segment (:mod:`index.internals.wordlists`):
    from the file beside the segment when it is there and sound, else from the term file."""
    full = (*key, fieldname)
    with _LOCK:
        words = _WORDS.get(full)
        if words is not None:
            _WORDS.move_to_end(full)
            return words
    folder = wordlists.folder_of(leaf)
    segment = leaf.segment()
    words = wordlists.load(folder, segment, fieldname) if folder is not None else None
    if words is None:
        terms = _read_terms(leaf, fieldname, "") if fieldname in leaf.schema else []
        words = wordlists.build(terms)
    with _LOCK:
        _WORDS[full] = words
        cached = sum(w.count for w in _WORDS.values())
        while cached > MAX_CACHED_WORDS and len(_WORDS) > 1:
            cached -= _WORDS.popitem(last=False)[1].count
    return words


def _remainders(leaf: Any, key: tuple[str, str], fieldname: str, prefix: str) -> list[str]:
    """The words of *fieldname* in *leaf*'s segment that start with *prefix*, less it."""
    full = (*key, fieldname, prefix)
    with _LOCK:
        words = _LEXICONS.get(full)
        if words is not None:
            _LEXICONS.move_to_end(full)
            return words
    start = len(prefix)
    if fieldname not in leaf.schema:
        words = []
    elif fieldname in EXACT_FIELDS:  # every word is read for these: a part of them
        found = _field_words(leaf, key, fieldname)
        words = [w[start:] for w in found.prefixed(prefix)] if prefix else found.terms()
    else:
        words = (
            [w[start:] for w in _read_terms(leaf, fieldname, prefix)]
            if start
            else _read_terms(leaf, fieldname, prefix)
        )
    with _LOCK:
        _LEXICONS[full] = words
        cached = sum(len(w) for w in _LEXICONS.values())
        while cached > MAX_CACHED_WORDS and len(_LEXICONS) > 1:
            cached -= len(_LEXICONS.popitem(last=False)[1])
    return words


def _leaves(reader: Any) -> Iterator[Any]:
    if reader.is_atomic():
        yield reader
    else:
        for leaf, _ in reader.leaf_readers():
            yield leaf


def terms_within(
    reader: Any, fieldname: str, text: str, maxdist: int, prefix: int = 0
) -> list[str]:
    """The words of *fieldname* within *maxdist* edits of *text* (a letter changed,
    added or dropped; for a reader of several segments also two letters swapped)
    whose first *prefix* letters are *text*'s: Whoosh's ``reader.terms_within``,
    sorted, from the term lists held in memory.

    Falls back to Whoosh's own (counted, :func:`index.internals.fell_back`) for a
    reader whose segments it cannot key.
    """
    from rapidfuzz import process
    from rapidfuzz.distance import OSA, Levenshtein

    # Whoosh measures two ways: a segment's automaton counts Levenshtein edits, a
    # reader of several segments (estimates, spelling suggestions) the restricted
    # Damerau-Levenshtein distance (two letters swapped: one edit). Each is kept.
    metric = Levenshtein.distance if reader.is_atomic() else OSA.distance

    head = text[:prefix]  # a word shorter than the prefix is the prefix (as in Whoosh)
    rest = text[len(head) :]
    found: set[str] = set()
    for leaf in _leaves(reader):
        key = _leaf_key(leaf)
        if key is None:
            if getattr(leaf, "segment", lambda: None)() is None and not leaf.doc_count_all():
                continue  # an empty index: no words
            internals.fell_back("fuzzy")
            found.update(leaf.terms_within(fieldname, text, maxdist, prefix=prefix))
            continue
        words = _remainders(leaf, key, fieldname, head)
        for word, _, _ in process.extract_iter(rest, words, scorer=metric, score_cutoff=maxdist):
            found.add(head + word)
    return sorted(found)


def _lists(leaf: Any, fieldname: str) -> wordlists.WordLists | None:
    """The lists of *fieldname*'s words in *leaf* (:class:`wordlists.WordLists`)."""
    key = _leaf_key(leaf)
    if key is not None and internals.enabled():
        return _field_words(leaf, key, fieldname)
    if fieldname in leaf.schema:  # Whoosh's public API: every term of the field
        decode = leaf.schema[fieldname].from_bytes
        return wordlists.build([decode(b) for b in leaf.lexicon(fieldname)])
    return None


def stems_within(
    reader: Any, fieldname: str, word: str, maxdist: int, prefix: int = 0
) -> list[str]:
    """The stems of *fieldname*'s words (as written: ``government``, not ``govern``)
    within *maxdist* edits of *word* (a letter changed, added or dropped, or two
    swapped) whose first *prefix* letters are *word*'s, sorted.

    What ``word~2`` means to a person: the words spelt nearly so, each searched in all
    its forms. (Matching the typed word's stem instead, ``goverment`` stems to
    ``gover``, and two edits from ``gover`` are ``over``, ``cover`` and ``power``.)
    """
    from rapidfuzz import process
    from rapidfuzz.distance import OSA

    head = word[:prefix]
    found: set[str] = set()
    for leaf in _leaves(reader):
        words = _lists(leaf, fieldname)
        if words is None:
            continue
        # (a word within *maxdist* edits is at most *maxdist* letters longer or shorter)
        for n, forms in words.near("f", len(word), maxdist):
            near = process.extract_iter(word, forms, scorer=OSA.distance, score_cutoff=maxdist)
            hits = [i for form, _, i in near if form.startswith(head)]
            found.update(words.stem(n, i) for i in hits)
    return sorted(found)


class _Corrector(ReaderCorrector):
    """Whoosh's reader corrector (same suggestions, same order), expanding in memory."""

    def _suggestions(self, text: str, maxdist: int, prefix: int) -> Iterator[tuple[float, str]]:
        freq = self.reader.frequency
        for sug in terms_within(self.reader, self.fieldname, text, maxdist, prefix):
            f = freq(self.fieldname, sug) or 1
            yield (0 - (maxdist + (1.0 / f * 0.5)), sug)


def corrector(searcher: Any, fieldname: str) -> Any:
    """A spelling corrector on *fieldname*'s words: ``searcher.corrector(fieldname)``,
    fast (gate open), or Whoosh's own (gate closed)."""
    if not internals.enabled():
        return searcher.corrector(fieldname)
    reader = searcher.reader()
    return _Corrector(reader, fieldname, reader.schema[fieldname])


#: A word longer than this is never matched fuzzily (``word~``, the fuzzy retry, "did
#: you mean"): Whoosh builds a Levenshtein automaton per word, segment and field in
#: time that grows faster than the word (a 9,000-character word took 21 s), and no
#: word a person misspells is this long; such a word is matched as typed.
MAX_FUZZY_CHARS = 64


class FuzzyTerm(wq.FuzzyTerm):
    """Whoosh's fuzzy term, expanded once per segment reader and exact when overlong.

    A fuzzy word a person typed (``word~2``, the fuzzy retry) carries the word as typed
    (``word``): it stands for the stems of the words within reach of that word as
    written (:func:`stems_within`). Without it (made in code), the stem's neighbours
    in the term dictionary, as Whoosh expands it.

    Whoosh expands a fuzzy term (walks the term dictionary with an automaton) each
    time it is asked: for the size estimate that orders an OR, again for the matcher,
    and again when a search is retried with fewer words. The expansion depends only
    on the reader, so it is kept for the life of the query (one search).
    """

    def __getstate__(self) -> dict[str, Any]:
        # copy.deepcopy (Whoosh's with_boost) and pickle: not the readers held.
        return {k: v for k, v in self.__dict__.items() if k != "_expanded"}

    def expanded_terms(self, ixreader: Any, phrases: bool = False) -> Iterator[tuple[str, str]]:
        """The words this term stands for in *ixreader*: for a reader of several
        segments, the union of each segment's expansion, each kept for the matcher
        that searches that segment next (the cost ceiling counts what the search
        then runs, instead of expanding every word a second time)."""
        if ixreader.is_atomic() or not internals.enabled():
            yield from super().expanded_terms(ixreader, phrases=phrases)
            return
        seen: set[str] = set()
        for leaf, _ in ixreader.leaf_readers():
            for text in self._btexts(leaf):
                if text not in seen:
                    seen.add(text)
                    yield (self.fieldname, text)

    def _btexts(self, ixreader: Any) -> list[str]:
        # Keyed by what the expansion depends on: copy.copy (Whoosh's replace()) shares
        # the cache between copies whose text may differ.
        cache = self.__dict__.setdefault("_expanded", {})
        key = (id(ixreader), self.fieldname, self.text, self.maxdist, self.prefixlength)
        hit = cache.get(key)
        if hit is not None and hit[0] is ixreader:
            cached: list[str] = hit[1]
            return cached
        word = self.__dict__.get("word")
        # (the length of what was typed: in an archive of several languages the text is
        # each language's stem of it, joined, and may be longer)
        if len(self.text if word is None else word) > MAX_FUZZY_CHARS:
            texts = [self.text] if (self.fieldname, self.text) in ixreader else []
        elif word is not None:  # typed by a person: the words spelt nearly so (their stems)
            texts = stems_within(ixreader, self.fieldname, word, self.maxdist, self.prefixlength)
            if not internals.enabled():
                return texts
        elif not internals.enabled():
            expanded: list[str] = list(super()._btexts(ixreader))
            return expanded
        else:
            texts = terms_within(
                ixreader, self.fieldname, self.text, self.maxdist, self.prefixlength
            )
        cache[key] = (ixreader, texts)  # the reader is held, so its id stays unique
        return texts


def prefixed_words(reader: Any, fieldname: str, prefix: str) -> list[list[str]]:
    """The words of *fieldname* that start with *prefix*, less it: one sorted list per
    segment of *reader*, read once per process like a fuzzy word's (the same lists,
    not to be changed)."""
    out: list[list[str]] = []
    for leaf in _leaves(reader):
        key = _leaf_key(leaf)
        if key is None or not internals.enabled():
            if fieldname in leaf.schema:
                decode = leaf.schema[fieldname].from_bytes
                words = [decode(b) for b in leaf.expand_prefix(fieldname, prefix)]
                out.append([w[len(prefix) :] for w in words])
            continue
        out.append(_remainders(leaf, key, fieldname, prefix))
    return out


def written_forms(reader: Any, fieldname: str, length: int, maxdist: int) -> list[list[str]]:
    """The forms of *fieldname*'s exact terms (words written otherwise than their stem)
    *length* letters long give or take *maxdist*, each once: lists per segment of
    *reader*, kept like the term lists."""
    out: list[list[str]] = []
    for leaf in _leaves(reader):
        words = _lists(leaf, fieldname)
        if words is not None:
            out.extend(forms for _, forms in words.near("w", length, maxdist))
    return out


def write_word_lists(ix: Any) -> int:
    """Write beside each segment of *ix* its words of each prose field, where no sound
    file holds them yet (:mod:`index.internals.wordlists`); how many files were written.

    Called by a writer after it commits. Nothing fails for want of them: a segment
    without its file is read from the term file, as before.
    """
    if not internals.enabled():
        return 0
    written = 0
    try:
        with ix.reader() as reader:
            for leaf in _leaves(reader):
                segment = getattr(leaf, "segment", lambda: None)()
                folder = wordlists.folder_of(leaf)
                if segment is None or folder is None:
                    continue
                for fieldname in EXACT_FIELDS:
                    if fieldname not in leaf.schema:
                        continue
                    if wordlists.load(folder, segment, fieldname) is not None:
                        continue
                    words = wordlists.build(_read_terms(leaf, fieldname, ""))
                    written += wordlists.save(folder, segment, fieldname, words)
    except Exception:  # noqa: S110 - a segment that cannot be read: 'check' reports it
        pass
    return written
