"""The compact posting format (index/internals/compact.py, index.schema.CompactPositions).

Real BBC News articles (tests/data) are indexed twice, once by the archive's
compact codec (the gate open) and once by Whoosh's own W3 codec (the gate
closed): every posting of every term must read back the same through Whoosh's
matchers, the fast paths' whole-list decoder must agree with those matchers,
and every query form must find the same hits with the same scores, the
compact index searched with the gate open, Whoosh's with the gate closed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from _safety import bbc_index_docs
from whoosh.analysis import DelimitedAttributeFilter, RegexTokenizer
from whoosh.codec.whoosh3 import W3Codec
from whoosh.fields import ID, TEXT, Schema
from whoosh.filedb.filestore import RamStorage
from whoosh.formats import Positions

from index import internals
from index import search as isearch
from index import writer as iw
from index.internals import postings
from index.internals.compact import TAG, CompactCodec, CompactLeafMatcher
from index.languages import LanguageText
from index.schema import CompactPositions, IndexDoc, make_schema

DELETED = (4, 17, 60, 61, 133)


def _docs(bbc: Path, n: int) -> list[IndexDoc]:
    return bbc_index_docs(bbc, ("business", "tech"), n)


@pytest.fixture(scope="module")
def pair(bbc_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The same 300 articles in two segments (with deletions): compact codec, and W3."""
    docs = _docs(bbc_corpus, 300)
    paths = {}
    for name, codec in (("compact", CompactCodec()), ("w3", None)):
        path = tmp_path_factory.mktemp(name) / "index"
        ix = iw.create(path)
        for start in (0, 200):
            w = ix.writer(codec=codec)
            iw.apply(w, docs[start : start + 200], [])
            w.commit(merge=False)
        w = ix.writer(codec=codec)
        iw.apply(w, [], list(DELETED))
        w.commit(merge=False)
        ix.close()
        paths[name] = path
    return paths


def _all_postings(reader: Any) -> dict[tuple[str, bytes], list[tuple[int, float, Any]]]:
    """Every posting of every term, as Whoosh's matchers give them, values decoded."""
    out = {}
    for fieldname, btext in reader.all_terms():
        fmt = reader.schema[fieldname].format
        m = reader.postings(fieldname, btext)
        got = []
        while m.is_active():
            value = m.value()
            if fmt.supports("positions"):
                value = (fmt.decode_as("positions", value), fmt.decode_as("frequency", value))
            got.append((m.id(), m.weight(), value))
            m.next()
        out[(fieldname, btext)] = got
    return out


@pytest.mark.slow
def test_every_posting_reads_back_as_whooshs_own(pair: dict[str, Path]) -> None:
    compact = iw.open_index(pair["compact"])
    w3 = iw.open_index(pair["w3"])
    try:
        assert all(type(s.codec()) is CompactCodec for s in compact._segments())
        assert all(type(s.codec()) is W3Codec for s in w3._segments())
        with compact.reader() as a, w3.reader() as b:
            got, want = _all_postings(a), _all_postings(b)
            assert got == want
            assert sum(map(len, want.values())) > 50_000
            for fieldname, btext in list(want)[::97]:  # term statistics, a sample
                assert a.frequency(fieldname, btext) == b.frequency(fieldname, btext)
                assert a.doc_frequency(fieldname, btext) == b.doc_frequency(fieldname, btext)
        assert compact.doc_count() == w3.doc_count() == 300 - len(DELETED)
    finally:
        compact.close()
        w3.close()


@pytest.mark.slow
def test_the_whole_list_decoder_agrees_with_the_matchers(pair: dict[str, Path]) -> None:
    ix = iw.open_index(pair["compact"])
    try:
        checked = longest = 0
        for leaf, _ in ix.reader().leaf_readers():
            terms = leaf._terms
            for (fieldname, btext), info in terms.items():
                fmt = leaf.schema[fieldname].format
                m = terms.matcher(fieldname, btext, fmt)  # (deleted documents not filtered)
                assert type(m) is CompactLeafMatcher
                want: tuple[list[Any], ...] = ([], [], [])
                while m.is_active():
                    want[0].append(m.id())
                    want[1].append(m.weight())
                    want[2].append(m.value())
                    m.next()
                offset, length = info.extent()
                ids, weights, values = postings.decode(
                    terms._postfile, offset, length, fmt.fixed_value_size()
                )
                assert (ids, weights, values) == (want[0], want[1], [*want[2]])
                checked += 1
                longest = max(longest, len(ids))
        assert checked > 20_000
        assert longest > 128  # lists of several blocks
    finally:
        ix.close()


def test_positions_decode_as_whooshs_format_does(bbc_corpus: Path) -> None:
    """Real positions (and a few far apart) read back as Whoosh's ``Positions`` reads its own."""
    schema = make_schema()
    whoosh_format = Positions(field_boost=schema["title"].format.field_boost)
    lists: list[list[int]] = [[0], [255, 256], [70_000], [3, 65_535 + 3, 2**31]]
    for doc in _docs(bbc_corpus, 40):
        for _, _, _, vbytes in schema["body"].index(LanguageText(doc.body, "en")):
            lists.append(schema["body"].format.decode_positions(vbytes))
    assert sum(map(len, lists)) > 5000
    for positions in lists:
        ours = schema["title"].format
        assert isinstance(ours, CompactPositions)
        value = ours.encode(positions)
        theirs = whoosh_format.encode(positions)
        assert ours.decode_positions(value) == whoosh_format.decode_positions(theirs) == positions
        assert ours.decode_frequency(value) == whoosh_format.decode_frequency(theirs)
        assert ours.decode_weight(value) == whoosh_format.decode_weight(theirs)
        assert len(value) < len(theirs)


def test_weights_of_any_kind_round_trip() -> None:
    """Token boosts give weights that are not multiples of the field boost: stored as floats."""
    analyzer = RegexTokenizer(r"\S+") | DelimitedAttributeFilter(attribute="boost", default=1.0)
    schema = Schema(id=ID(stored=True), text=TEXT(analyzer=analyzer, field_boost=1.5))
    texts = [
        "alpha^0.37 beta gamma^3",
        "alpha alpha beta^0.1",
        "beta gamma^3 gamma^3",
        "alpha^2.5 delta",
    ] * 70  # more than a block of 128
    got = []
    for codec in (CompactCodec(), None):
        ix = RamStorage().create_index(schema)
        w = ix.writer(codec=codec)
        for i, text in enumerate(texts):
            w.add_document(id=str(i), text=text)
        w.commit()
        with ix.reader() as r:
            got.append(_all_postings(r))
    assert got[0] == got[1]
    weights = {w for ps in got[0].values() for _, w, _ in ps}
    assert {w for w in weights if w / 1.5 != round(w / 1.5)}  # not multiples of the boost
    assert {w for w in weights if w / 1.5 == round(w / 1.5) and w != 1.5}


@pytest.mark.slow
@pytest.mark.parametrize(
    "options",
    [{}, {"since": datetime(2005, 1, 1)}, {"facets": ("tag", "year")}, {"sort": "newest"}],
    ids=["plain", "since", "facets", "newest"],
)
def test_every_query_form_finds_the_same_with_either_codec(
    pair: dict[str, Path], gate: Callable[[bool], None], options: dict[str, Any]
) -> None:
    queries = (
        "market",
        "oil prices",
        "bank interest rates rise",
        "government -labour",
        "shares OR stocks OR bonds",
        '"interest rates"',
        '"rates interest"~3',
        "=prices",
        '="mobile phones"',
        "title:profits",
        "author:lee",
        "tag:odd",
        "econom*",
        "profits~",
        "goverment~2",
        "published:[2004-03-01 TO 2004-09-01] oil",
    )
    compact = isearch.open_for_search(pair["compact"])
    w3 = isearch.open_for_search(pair["w3"])
    try:
        gate(True)
        fast = [isearch.search(compact, q, limit=20, **options) for q in queries]
        gate(False)
        slow = [isearch.search(w3, q, limit=20, **options) for q in queries]
    finally:
        compact.close()
        w3.close()
    assert sum(r.total > 0 for r in fast) >= len(queries) - 1  # (a 2004 range since 2005)
    assert fast == slow  # hits, scores, matched terms, notices, facets
    assert all(r.engine["evaluated_by"] == "whoosh" for r in slow)
    if "sort" not in options:
        assert fast[1].engine["evaluated_by"] == "blocks"


@pytest.mark.slow
def test_a_compact_index_is_rebuilt_on_an_untested_whoosh(
    pair: dict[str, Path], gate: Callable[[bool], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    compact = iw.open_index(pair["compact"])
    w3 = iw.open_index(pair["w3"])
    try:
        gate(True)
        assert iw.outdated(compact) is None and iw.outdated(w3) is None
        gate(False)  # turned off by hand on the tested Whoosh: still read, by Whoosh's matchers
        assert iw.outdated(compact) is None
        monkeypatch.setattr(internals, "whoosh_version", lambda: (2, 7, 5))
        gate(True)
        assert not internals.enabled()
        assert iw.outdated(compact) == (
            "the search index was written in a format for Whoosh 2.7.4's internals, "
            "and this is Whoosh 2.7.5"
        )
        assert iw.outdated(w3) is None
    finally:
        compact.close()
        w3.close()


def test_a_damaged_compact_list_is_unreadable_not_wrong() -> None:
    storage = RamStorage()
    schema = Schema(text=TEXT(phrase=True))
    ix = storage.create_index(schema)
    w = ix.writer(codec=CompactCodec())
    for i in range(300):
        w.add_document(text=f"word{i % 7} common")
    w.commit()
    with ix.reader() as r:
        (leaf, _), *_ = r.leaf_readers()
        info = leaf._terms.term_info("text", b"common")
        offset, length = info.extent()
        length = length[0] if isinstance(length, tuple) else length
        postfile = leaf._terms._postfile
        assert postfile.get(offset, 1) == TAG
        ids, _, _ = postings.decode(postfile, offset, length, None)
        assert ids == list(range(300))

        class Cut:  # the list's bytes with its tail cut off
            def get(self, at: int, n: int) -> bytes:
                return bytes(postfile.get(at, n))[: n - 9]

        with pytest.raises(postings.Unreadable):
            postings.decode(Cut(), offset, length, None)


@pytest.mark.parametrize("procs", [1, 2])
def test_the_archives_writers_write_the_compact_codec(
    bbc_corpus: Path, tmp_path: Path, procs: int
) -> None:
    """Whichever writer an ingest or rebuild takes (one process, or worker processes),
    its segments are in the compact format while the gate is open."""
    if procs > 1 and not iw.parallel_supported():
        pytest.skip("no worker processes on this platform")
    ix = iw.create(tmp_path / "index")
    w = iw.start_writer(ix, procs=procs)
    iw.apply(w, _docs(bbc_corpus, 40), [])
    iw.finish(w)
    ix = iw.open_index(tmp_path / "index")
    segments = ix._segments()
    assert segments
    assert all(isinstance(seg.codec(), CompactCodec) for seg in segments)
    ix.close()
