"""How text becomes terms: the one place that decides it.

Indexing, query parsing and passage highlighting all call :func:`text_analyzer`,
so a word is matched the same way everywhere:

* words and numbers are tokens (``3.4``, ``5%`` and ``2022`` stay whole);
* a hyphenated word is indexed as its parts and, at the last part's position,
  as the parts joined (``post-ceasefire`` -> ``post``, ``ceasefire``,
  ``postceasefire``), so ``post-ceasefire``, ``post ceasefire`` and
  ``postceasefire`` all find it; a query keeps only the parts (searched as a phrase);
* case is folded, and accents are folded (``Zürich`` -> ``zurich``);
* curly and straight apostrophes are the same, and a possessive ``'s`` is
  dropped (``alliance’s`` -> ``alliance``);
* British spellings become American ones from the ``breame`` word list
  (``defence`` -> ``defense``, ``jeopardise`` -> ``jeopardize``);
* a few very common English words are not indexed;
* what is left is stemmed with the Snowball English (Porter2) stemmer
  (``deployment`` -> ``deploy``). Whoosh's own Porter stemmer is broken
  (see DESIGN.md), so PyStemmer's is used through a module-level function,
  which keeps the analyzer picklable into the index's schema;
* when indexing, a word whose exact form (folded, not stemmed nor respelt)
  differs from its stem is also indexed at the same position as an *exact
  term*, :func:`exact_term` (``running`` -> ``run`` and ``\x01run\x01running``),
  as Lucene's keyword-repeat filter does: the text is analysed once, and exact
  words and phrases (``=running``, ``="reassurance force"``) are found in the
  same field (:mod:`index.exact`). A word that is its own stem (``run``) gets
  no exact term: ``=run`` is ``run`` where no exact term stands.

Changing anything here changes the terms in the index: bump
:data:`ANALYSIS_VERSION` so that the archive knows a ``reindex`` is due.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

import regex
import Stemmer
from whoosh.analysis import (
    Analyzer,
    CharsetFilter,
    Filter,
    LowercaseFilter,
    RegexTokenizer,
    StopFilter,
    Token,
)
from whoosh.support.charset import accent_map

from index.languages import ENGLISH, LanguageTokenizer, is_english, stem_for, stems_for_query

#: Bumped whenever the terms produced for a text change.
#: 5: exact forms as exact terms in the stemmed fields (no ``title_exact``/``body_exact``);
#: ``version`` and ``meta`` stored, not indexed.
#: 6: positions kept as arrays (:class:`index.schema.CompactPositions`), posting blocks
#: written without pickling (:mod:`index.internals.compact`).
#: 7: ``meta`` stored as 128 bits of its SHA-256 (32 hex digits), not 256.
ANALYSIS_VERSION = 7

#: Starts an exact term (and separates its stem from its exact form): below every
#: character a word holds, so a field's exact terms come first in its term list,
#: apart from its words, and a stem's exact terms are the terms with one prefix.
EXACT_MARK = "\x01"


def exact_term(stem: str, form: str) -> str:
    """The exact term of a word *form* indexed under *stem*: ``\x01run\x01running``."""
    return f"{EXACT_MARK}{stem}{EXACT_MARK}{form}"


def exact_prefix(stem: str) -> str:
    """What the exact terms of the words stemmed *stem* start with."""
    return f"{EXACT_MARK}{stem}{EXACT_MARK}"


def is_exact_term(term: str) -> bool:
    """Whether *term* is an exact term (:func:`exact_term`), not a word."""
    return term[:1] == EXACT_MARK


def split_exact_term(term: str) -> tuple[str, str]:
    """(stem, exact form) of an exact term."""
    _, stem, form = term.split(EXACT_MARK, 2)
    return stem, form


_W = r"[\w\p{M}]"  # a word character, or a combining mark (Devanagari's vowel signs...)
_PIECE = rf"(?:\d+(?:[.,]\d+)*(?:%|[^\W\d_]+(?!{_W}))?|{_W}+(?:['\u2019\u02bc]{_W}+)*)"
#: A number (``3.4``, ``1,000``, ``5%``, ``80m``, ``1990s``) or a word with inner
#: apostrophes, possibly several joined by hyphens (``post-ceasefire``, ``well-to-do``).
#: For the ``regex`` module (``\p{M}``): :data:`TOKEN` is it compiled.
TOKEN_PATTERN = rf"{_PIECE}(?:[-\u2010\u2011]{_PIECE})*"
TOKEN = regex.compile(TOKEN_PATTERN)

#: Scripts written without spaces between words (Chinese, Japanese kana, Korean Hangul,
#: Thai, Lao, Myanmar, Khmer): a run of them is indexed as overlapping character bigrams.
_UNSPACED = (
    "\u0e00-\u0eff\u1000-\u109f\u1100-\u11ff\u1780-\u17ff\u3040-\u30ff\u3100-\u312f"
    "\u3130-\u318f\u31a0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7ff"
    "\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f"
)
_UNSPACED_RUN = regex.compile(rf"[{_UNSPACED}][{_UNSPACED}\p{{M}}]*")
_PARTS = regex.compile(r"[^-\u2010\u2011]+")
_HYPHEN = re.compile("[-\u2010\u2011]")

#: Deliberately short: news searches often hinge on small words ("no", "not").
STOP_WORDS = frozenset(
    "a an and are as at be by for from has he in is it its of on or that the to was were "
    "will with".split()
)

_APOSTROPHES = re.compile("[\u2019\u2018\u02bc`\u00b4]")
_stemmer = Stemmer.Stemmer("english")


@lru_cache(maxsize=100_000)
def stem(word: str) -> str:
    """Snowball English stem of one lower-case word (numbers pass unchanged)."""
    if word[:1].isdigit():
        return word
    stemmed: str = _stemmer.stemWord(word)
    return stemmed


@lru_cache(maxsize=1)
def _british_to_american() -> dict[str, str]:
    from breame.data.spelling_constants import BRITISH_ENGLISH_SPELLINGS

    return {b.lower(): a.lower() for b, a in BRITISH_ENGLISH_SPELLINGS.items()}


def american_spelling(word: str) -> str:
    """The American spelling of a lower-case word, or the word itself."""
    return _british_to_american().get(word, word)


class ApostropheFilter(Filter):
    """Treat all apostrophes alike and drop a possessive ending."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for t in tokens:
            text = _APOSTROPHES.sub("'", t.text)
            if "'" in text:
                if text.endswith(("'s", "'S")):
                    text = text[:-2]
                text = text.replace("'", "")
            t.text = text
            yield t


class CompoundFilter(Filter):
    """Split hyphenated words into their parts; when indexing, add the parts joined.

    Positions are renumbered so the parts are consecutive; the joined form
    shares the last part's position, so phrases work across all forms.
    Stop words are dropped from the parts but kept in the joined form.
    """

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        shift = 0
        for t in tokens:
            if t.positions:
                t.pos += shift
            if not _HYPHEN.search(t.text):
                yield t
                continue
            parts = [
                (m.group(), m.start(), m.end()) for m in re.finditer(r"[^-\u2010\u2011]+", t.text)
            ]
            kept = [p for p in parts if p[0] not in STOP_WORDS] or parts[-1:]
            joined = "".join(p[0] for p in parts)
            base = t.pos if t.positions else 0
            yield from _split(t, kept)
            if t.mode != "query":
                whole = t.copy()
                whole.text = joined
                if t.positions:
                    whole.pos = base + len(kept) - 1
                yield whole
            shift += len(kept) - 1


class BigramFilter(Filter):
    """Index text in scripts without spaces as overlapping character bigrams.

    ``香港政府`` becomes ``香港``, ``港政``, ``政府`` at consecutive positions, so a
    word of two or more characters is found wherever it stands (a query of
    several characters becomes a phrase of its bigrams); a lone character stays
    a term. Letters of other scripts in the same token (``iphone手机``) stay one
    term. Each term keeps its character span, so highlights mark the matched
    characters.
    """

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        shift = 0
        for t in tokens:
            if t.positions:
                t.pos += shift
            if not _UNSPACED_RUN.search(t.text):
                yield t
                continue
            pieces = _script_pieces(t.text)
            yield from _split(t, pieces)
            shift += len(pieces) - 1


def _split(t: Token, pieces: list[tuple[str, int, int]]) -> Iterator[Token]:
    """Token *t* as one token per piece (text, start, end within *t*), at consecutive
    positions from *t*'s, each with its own character span."""
    base = t.pos if t.positions else 0
    start = t.startchar if t.chars else 0
    for n, (text, s, e) in enumerate(pieces):
        part = t.copy()
        part.text = text
        if t.positions:
            part.pos = base + n
        if t.chars:
            part.startchar, part.endchar = start + s, start + e
        yield part


def _script_pieces(text: str) -> list[tuple[str, int, int]]:
    """*text* cut into terms: bigrams of its unspaced runs, the rest whole (with spans)."""
    out: list[tuple[str, int, int]] = []
    pos = 0

    def rest(a: int, b: int) -> None:  # other letters, without joining hyphens
        out.extend((p.group(), a + p.start(), a + p.end()) for p in _PARTS.finditer(text[a:b]))

    for m in _UNSPACED_RUN.finditer(text):
        rest(pos, m.start())
        chars = [(c.start(), c.end()) for c in regex.finditer(r"\X", m.group())]
        if len(chars) == 1:
            out.append((m.group(), m.start(), m.end()))
        for (a, _), (_, b) in zip(chars, chars[1:], strict=False):
            out.append((m.group()[a:b], m.start() + a, m.start() + b))
        pos = m.end()
    rest(pos, len(text))
    return out


class SpellingFilter(Filter):
    """Map British spellings to American ones, so either finds both (English text only)."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        table = _british_to_american()
        for t in tokens:
            t.unspelled = t.text
            if is_english(t):
                t.text = table.get(t.text, t.text)
            yield t


class EnglishStopFilter(StopFilter):
    """Whoosh's stop filter, for English text only (``a``, ``die`` mean other things)."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        stoplist = self.stops
        pos = None
        for t in tokens:
            if t.text not in stoplist or not is_english(t):
                if self.renumber and t.positions:
                    if pos is None:
                        pos = t.pos
                    else:
                        pos += 1
                        t.pos = pos
                t.stopped = False
                yield t
            elif not t.removestops:
                t.stopped = True
                yield t


class LanguageStemFilter(Filter):
    """The Snowball stemmer of each token's language (:mod:`index.languages`).

    A query's words are stemmed for English and for the archive's other languages
    (joined by :data:`index.languages.STEM_SEPARATOR`, split again by the parser).
    When indexing, a word whose exact form (before respelling and stemming) differs
    from its stem is followed by its exact term (:func:`exact_term`) at the same
    position and character span.
    """

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for t in tokens:
            if t.stopped:
                yield t
                continue
            language = getattr(t, "language", None)
            word = getattr(t, "unspelled", t.text)
            if t.mode == "query" and language is None:
                t.text = stems_for_query(word, stem(t.text))
                yield t
                continue
            if language in (None, ENGLISH):
                t.text = stemmed = stem(t.text)
            else:
                t.text = stemmed = stem_for(language, t.text)
            yield t
            if word != stemmed and t.mode == "index":
                # The same token again (its consumer has read it): Whoosh reads each
                # token as it comes, and a copy per word would cost a tenth of analysis.
                t.text = f"{EXACT_MARK}{stemmed}{EXACT_MARK}{word}"
                yield t


def index_positions(value: str) -> dict[str, list[int]]:
    """Each term :func:`text_analyzer` indexes for *value* (exact terms included), with
    its positions, in the order the terms first come: the analyzer's nine filters in
    one pass, for indexing only (``mode="index"``, no character spans).

    The same terms at the same positions as the chain (``tests/test_analysis_fused.py``
    compares them on real text in many scripts) at under half its cost: the chain
    passes each token through a generator per filter, which was a fifth of the
    ingest's time. Queries and passages still go through the chain. A change to a
    filter above must be made here too.
    """
    language = getattr(value, "language", None)
    english = language in (None, ENGLISH)
    if english:
        language = None
    stop = STOP_WORDS if english else frozenset()
    poses: dict[str, list[int]] = {}
    bigram_shift = compound_shift = 0
    renumbered: int | None = None  # EnglishStopFilter's running position
    for raw_pos, match in enumerate(TOKEN.finditer(value)):
        text, unspaced, hyphenated = _folded(match.group())
        pos = raw_pos + bigram_shift
        if unspaced:
            pieces = [(piece, pos + n) for n, (piece, _, _) in enumerate(_script_pieces(text))]
            bigram_shift += len(pieces) - 1
        else:
            pieces = [(text, pos)]
        for text, piece_pos in pieces:
            if text in stop:
                continue
            renumbered = piece_pos if renumbered is None else renumbered + 1
            pos = renumbered + compound_shift
            if hyphenated and _HYPHEN.search(text):
                parts = [m.group() for m in _PARTS.finditer(text)]
                kept = [p for p in parts if p not in STOP_WORDS] or parts[-1:]
                words = [(p, pos + n) for n, p in enumerate(kept)]
                words.append(("".join(parts), pos + len(kept) - 1))
                compound_shift += len(kept) - 1
            else:
                words = [(text, pos)]
            for word, at in words:
                for term in _word_terms(language, word):
                    found = poses.get(term)
                    if found is None:
                        poses[term] = [at]
                    else:
                        found.append(at)
    return poses


@lru_cache(maxsize=200_000)
def _folded(raw: str) -> tuple[str, bool, bool]:
    """A token as the filters before the stop words leave it (apostrophes, case,
    accents), and whether it holds unspaced script or a hyphen."""
    text = _APOSTROPHES.sub("'", raw)
    if "'" in text:
        if text.endswith(("'s", "'S")):
            text = text[:-2]
        text = text.replace("'", "")
    text = text.lower().translate(accent_map)
    return text, bool(_UNSPACED_RUN.search(text)), bool(_HYPHEN.search(text))


@lru_cache(maxsize=200_000)
def _word_terms(language: str | None, word: str) -> tuple[str, ...]:
    """The terms one word is indexed as: its stem (respelt if English), and its exact
    term when the stem differs from the word (None: English)."""
    if language is None:
        stemmed = stem(_british_to_american().get(word, word))
    else:
        stemmed = stem_for(language, word)
    return (stemmed,) if word == stemmed else (stemmed, exact_term(stemmed, word))


def text_analyzer() -> Analyzer:
    """The analyzer for prose fields (title, body, author, source)."""
    return (
        LanguageTokenizer(TOKEN)
        | ApostropheFilter()
        | LowercaseFilter()
        | CharsetFilter(accent_map)
        | BigramFilter()
        | EnglishStopFilter(stoplist=STOP_WORDS, minsize=1)
        | CompoundFilter()
        | SpellingFilter()
        | LanguageStemFilter()
    )


def exact_analyzer() -> Analyzer:
    """The analyzer for exact forms (``"word"``, ``=word``): folded, not stemmed or respelt."""
    return (
        RegexTokenizer(TOKEN)
        | ApostropheFilter()
        | LowercaseFilter()
        | CharsetFilter(accent_map)
        | BigramFilter()
        | CompoundFilter()
    )


def name_analyzer() -> Analyzer:
    """The analyzer for names (author, source): folded but not stemmed."""
    return (
        RegexTokenizer(TOKEN)
        | ApostropheFilter()
        | LowercaseFilter()
        | CharsetFilter(accent_map)
        | BigramFilter()
    )


def terms_with_offsets(analyzer: Analyzer, text: str) -> list[tuple[str, int, int]]:
    """Each term the analyzer makes of *text*, with its character span in *text*."""
    return [(t.text, t.startchar, t.endchar) for t in analyzer(text, chars=True, mode="index")]
