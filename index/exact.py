"""Exact forms (``=running``, ``"running"``, ``="reassurance force"``) and the words an
archive holds, read from the stemmed fields' exact terms.

A prose field holds each word's stem and, where a word's exact form (folded,
neither stemmed nor respelt) differs from its stem, an exact term at the same
position (:func:`index.analysis.exact_term`: ``running`` is indexed as ``run``
and ``\\x01run\\x01running``). So:

* ``=running`` is the exact term ``\\x01run\\x01running``;
* ``=run`` (a word that is its own stem) is the term ``run`` where no exact term
  starting ``\\x01run\\x01`` stands at the same position (a span "not"): an
  article that has only *running* holds ``run`` too, but never alone;
* ``="reassurance force"`` is those, one after the other (a span "near");
* in an archive of several languages, each form is searched under its stem in
  each language (an OR), as plain words are.

English stop words are not indexed: an exact phrase skips them as a phrase does.

The words an archive holds (for "did you mean"): each exact term's form, and each
stem that also stands alone (as its own word) somewhere (:func:`held_words`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from whoosh import query as wq
from whoosh.query import spans

from index.analysis import (
    EXACT_MARK,
    STOP_WORDS,
    american_spelling,
    exact_analyzer,
    exact_prefix,
    exact_term,
    is_exact_term,
    split_exact_term,
    stem,
)
from index.internals.spans import span_not
from index.languages import STEM_SEPARATOR, stems_for_query

__all__ = [
    "ExactPhrase",
    "ExactWord",
    "WordCorrector",
    "exact_forms",
    "exact_query",
    "exact_words",
    "form_of",
    "held_words",
    "highlighted",
    "word_frequency",
]


def exact_forms(text: str) -> list[str]:
    """The exact forms a query's *text* is searched as: folded, neither stemmed nor
    respelt, English stop words left out (they are not indexed)."""
    forms = [t.text for t in exact_analyzer()(text, mode="query")]
    return [f for f in forms if f and f not in STOP_WORDS]


def _stems(form: str) -> list[str]:
    """*form*'s stem in each language the query is searched in (English first)."""
    english = form if form[:1].isdigit() else stem(american_spelling(form))
    return list(dict.fromkeys(stems_for_query(form, english).split(STEM_SEPARATOR)))


class ExactWord(spans.SpanNot):
    """A word that is its own stem, standing as itself: the term *form* where no exact
    term of another word with that stem stands (``=run``: not where *running* was)."""

    def __init__(self, fieldname: str, form: str, boost: float = 1.0) -> None:
        super().__init__(wq.Term(fieldname, form), wq.Prefix(fieldname, exact_prefix(form)))
        self.fieldname = fieldname
        self.text = form
        self.boost = boost

    def is_leaf(self) -> bool:
        return True

    def children(self) -> Iterator[wq.Query]:
        return iter(())

    def apply(self, fn: Any) -> ExactWord:
        return self

    def normalize(self) -> ExactWord:
        return self

    def estimate_size(self, ixreader: Any) -> int:
        return int(self.a.estimate_size(ixreader))

    def estimate_min_size(self, ixreader: Any) -> int:
        return 0

    def __eq__(self, other: object) -> bool:
        return (
            type(other) is type(self)
            and other.fieldname == self.fieldname
            and other.text == self.text
            and other.boost == self.boost
        )

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.fieldname, self.text, self.boost))

    def __repr__(self) -> str:
        return f"ExactWord({self.fieldname!r}, {self.text!r})"

    def __str__(self) -> str:
        return f"{self.fieldname}:={self.text}"

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        ma = self.a.matcher(searcher, context)
        # The other words stemmed the same, as a span "or" of their exact terms (Whoosh's
        # matcher for a prefix of many terms has no spans). None in this segment: the
        # word alone is the answer (Whoosh's span "not" fails on an empty second part).
        reader = searcher.reader()
        others = [_text(t) for t in reader.expand_prefix(self.fieldname, exact_prefix(self.text))]
        m = ma
        if others and ma.is_active():
            b = spans.SpanOr([wq.Term(self.fieldname, t) for t in others])
            mb = b.matcher(searcher, context)
            if mb.is_active():
                m = span_not(ma, mb)
        if self.boost != 1:
            from whoosh.matching import WrappingMatcher

            return WrappingMatcher(m, boost=self.boost)
        return m


def word_query(fieldname: str, form: str, boost: float = 1.0) -> wq.Query:
    """The exact form *form* in *fieldname*, under its stem in each query language."""
    alternatives: list[wq.Query] = []
    for s in _stems(form):
        if s == form:
            alternatives.append(ExactWord(fieldname, form, boost=boost))
        else:
            alternatives.append(wq.Term(fieldname, exact_term(s, form), boost=boost))
    if len(alternatives) == 1:
        return alternatives[0]
    return WordForms(alternatives)


class WordForms(spans.SpanOr):
    """A word's exact form under each language's stem (Whoosh's ``SpanOr`` gives no size
    estimate, which an ``And`` holding it asks for)."""

    def estimate_size(self, ixreader: Any) -> int:
        return sum(int(q.estimate_size(ixreader)) for q in self.subqs)


class ExactPhrase(spans.SpanNear2):
    """Several exact forms, one after the other (``="reassurance force"``)."""

    def __init__(self, fieldname: str, forms: Sequence[str], boost: float = 1.0) -> None:
        super().__init__([word_query(fieldname, f) for f in forms], slop=1, ordered=True)
        self.fieldname = fieldname
        self.words = list(forms)
        self.boost = boost

    def is_leaf(self) -> bool:
        return True

    def children(self) -> Iterator[wq.Query]:
        return iter(())

    def apply(self, fn: Any) -> ExactPhrase:
        return self

    def normalize(self) -> ExactPhrase:
        return self

    def __eq__(self, other: object) -> bool:
        return (
            type(other) is type(self)
            and other.fieldname == self.fieldname
            and other.words == self.words
            and other.boost == self.boost
        )

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.fieldname, tuple(self.words), self.boost))

    def estimate_size(self, ixreader: Any) -> int:
        # (Whoosh's own raises NameError in 2.7.4)
        return min(int(q.estimate_size(ixreader)) for q in self.qs)

    def estimate_min_size(self, ixreader: Any) -> int:
        return 0

    def __repr__(self) -> str:
        return f"ExactPhrase({self.fieldname!r}, {self.words!r})"

    def __str__(self) -> str:
        return f'{self.fieldname}:="{" ".join(self.words)}"'


def exact_query(fieldname: str, text: str, boost: float = 1.0) -> wq.Query | None:
    """The exact form(s) of *text* in *fieldname*: one word, or a phrase of several
    (a hyphenated word, a Chinese word's bigrams, words in quotes). None: *text*
    has nothing indexed (only stop words)."""
    forms = exact_forms(text)
    if not forms:
        return None
    if len(forms) == 1:
        return word_query(fieldname, forms[0], boost=boost)
    return ExactPhrase(fieldname, forms, boost=boost)


def form_of(term: str) -> str:
    """The exact form an exact term stands for (a word: itself)."""
    return split_exact_term(term)[1] if is_exact_term(term) else term


# --- what a hit matched, to highlight -------------------------------------------------


def exact_words(leaves: Sequence[wq.Query]) -> tuple[set[str], set[str]]:
    """The words a query (its positive *leaves*) searches only as themselves (``=run``:
    an :class:`ExactWord` and no plain term ``run``), and the exact forms it asks for
    (``=running``, an exact phrase's)."""
    alone: set[str] = set()
    asked: set[str] = set()
    plain: set[str] = set()
    for leaf in leaves:
        if isinstance(leaf, ExactWord):
            alone.add(leaf.text)
        elif isinstance(leaf, ExactPhrase):
            alone.update(leaf.words)
            asked.update(leaf.words)
        elif isinstance(leaf, wq.Phrase):
            plain.update(_text(w) for w in leaf.words)
        elif isinstance(leaf, wq.Term):
            text = _text(leaf.text)
            (asked if form_of(text) != text else plain).add(form_of(text))
    return alone - plain, asked | alone


def highlighted(terms: set[str], alone: set[str], asked: set[str]) -> tuple[set[str], set[str]]:
    """A hit's matched terms as (terms, exact forms) to highlight. An exact term is its
    form, unless it matched only as what ``=run`` excludes (``running``, indexed under
    ``run``); the term of a word searched only as itself (``=run``) is that word alone."""
    exact = terms & alone
    words = set()
    for t in terms:
        form = form_of(t)
        if form == t:
            if t not in alone:
                words.add(t)
        elif form in asked or split_exact_term(t)[0] not in alone:
            exact.add(form)
    return words, exact


# --- the words an archive holds -------------------------------------------------------


def _text(value: object) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def held_words(reader: Any, fieldname: str) -> dict[str, tuple[str, ...]]:
    """Each stem of *fieldname* with the exact forms indexed under it (its exact terms),
    read from the exact terms (which come first in the field's term list)."""
    out: dict[str, list[str]] = {}
    for raw in reader.expand_prefix(fieldname, EXACT_MARK):
        s, form = split_exact_term(_text(raw))
        out.setdefault(s, []).append(form)
    return {s: tuple(forms) for s, forms in out.items()}


def word_frequency(reader: Any, fieldname: str, form: str) -> int:
    """In how many articles *fieldname* holds the word *form* as written (folded):
    exactly for a word that differs from its stem; for a word that is its own stem,
    the articles holding the term, unless every occurrence of it is another word's
    stem (then 0: the word itself is not held)."""
    found = 0
    for s in _stems(form):
        if s != form:
            found = max(found, int(reader.doc_frequency(fieldname, exact_term(s, form))))
            continue
        total = int(reader.frequency(fieldname, form))
        if not total:
            continue
        others = sum(
            int(reader.frequency(fieldname, t))
            for t in reader.expand_prefix(fieldname, exact_prefix(form))
        )
        if total > others:
            found = max(found, int(reader.doc_frequency(fieldname, form)))
    return found


class WordCorrector:
    """Spelling suggestions from the words a prose field holds as written: the forms of
    its exact terms and the stems that stand as words, never an exact term or a bare
    stem nobody wrote (``happi``). The same interface as Whoosh's correctors' ``suggest``."""

    def __init__(self, reader: Any, fieldname: str) -> None:
        self.reader = reader
        self.fieldname = fieldname

    def _forms(self, length: int, maxdist: int) -> list[list[str]]:
        from index.internals import fuzzy

        return fuzzy.written_forms(self.reader, self.fieldname, length, maxdist)

    def suggest(self, text: str, limit: int = 5, maxdist: int = 2, prefix: int = 0) -> list[str]:
        """Up to *limit* words within *maxdist* edits of *text* (sharing its first *prefix*
        letters), closest first, then the most frequent."""
        from rapidfuzz import process
        from rapidfuzz.distance import OSA

        from index.internals import fuzzy

        head = text[:prefix]
        found: dict[str, int] = {}
        for forms in self._forms(len(text), maxdist):
            for word, dist, _ in process.extract_iter(
                text, forms, scorer=OSA.distance, score_cutoff=maxdist
            ):
                if word.startswith(head):
                    found[word] = min(dist, found.get(word, dist))
        for word in fuzzy.terms_within(self.reader, self.fieldname, text, maxdist, prefix):
            if not is_exact_term(word) and word not in found:
                if word_frequency(self.reader, self.fieldname, word):
                    found[word] = OSA.distance(text, word)
        ranked = sorted(
            found,
            key=lambda w: (found[w], -word_frequency(self.reader, self.fieldname, w), w),
        )
        return ranked[:limit]
