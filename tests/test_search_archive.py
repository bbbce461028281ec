"""Search through the archive: ranking, sorting, paging, facets, rescue, suggestions, passages."""

from __future__ import annotations

from pathlib import Path

import pytest

from archive import Archive, ArticleDraft, QueryError
from archive.dates import date_bound
from archive.reading import Reader
from index.internals.fuzzy import MAX_FUZZY_CHARS

FILLER = "Officials met again on Tuesday to talk about the weather and the harvest."


def draft(n: int, title: str, body: str, **kw: object) -> ArticleDraft:
    return ArticleDraft(title=title, body=body, origin=f"t{n}", **kw)  # type: ignore[arg-type]


@pytest.fixture
def home(archive_home: Path) -> Path:
    docs = [
        draft(
            1,
            "Harbour report",
            f"{FILLER} The harbour crane broke. {FILLER} Workers said the ferry was late.",
            source="Daily Post",
            author="Ann Lee",
            published="2025-01-10",
            tags=("port",),
        ),
        draft(
            2,
            "Ferry crane news",
            f"The ferry crane broke down at dawn. {FILLER}",
            source="Evening Star",
            published="2025-03-02",
            tags=("port", "transport"),
        ),
        draft(3, "Weather", f"{FILLER} {FILLER}", source="Daily Post", published="2024-12-24"),
        draft(
            4,
            "Crane",
            "Another story about a crane in the city.",
            source="Evening Star",
            author="Bo Chan",
            published="2025-03-20",
        ),
        draft(5, "City budget", "The mayor presented the budget.", source="Daily Post"),
    ]
    with Archive.open(archive_home) as archive:
        assert archive.ingest(docs).count("added") == 5
    return archive_home


def test_close_words_rank_first(home: Path) -> None:
    # Both have "ferry" and "crane"; in 2 they are next to each other.
    r = Reader(home).search("ferry crane")
    assert [h.id for h in r.hits][:2] == [2, 1]


def test_title_weighs_more_than_body(home: Path) -> None:
    r = Reader(home).search("crane")
    assert r.hits[0].id in (2, 4)  # "crane" in the title


def test_sort_newest_and_oldest(home: Path) -> None:
    assert [h.id for h in Reader(home).search("crane", sort="newest").hits] == [4, 2, 1]
    assert [h.id for h in Reader(home).search("crane", sort="oldest").hits] == [1, 2, 4]


def test_total_always_reported_and_paging(home: Path) -> None:
    page1 = Reader(home).search("crane", sort="oldest", limit=2)
    page2 = Reader(home).search("crane", sort="oldest", limit=2, offset=2)
    assert page1.total == page2.total == 3
    assert [h.id for h in page1.hits] == [1, 2]
    assert [h.id for h in page2.hits] == [4]
    assert [h.rank for h in page2.hits] == [3]


def test_facets(home: Path) -> None:
    r = Reader(home).search("crane", facets=("source", "author", "tag", "year", "month"))
    assert r.facets["source"] == [("Evening Star", 2), ("Daily Post", 1)]
    assert r.facets["author"] == [("Ann Lee", 1), ("Bo Chan", 1)]
    assert r.facets["tag"] == [("port", 2), ("transport", 1)]
    assert r.facets["year"] == [("2025", 3)]
    assert r.facets["month"] == [("2025-03", 2), ("2025-01", 1)]
    with pytest.raises(QueryError):
        Reader(home).search("crane", facets=("colour",))


@pytest.mark.slow  # an unreadable date: dateparser tries every language (~4 s)
def test_since_until(home: Path) -> None:
    assert {h.id for h in Reader(home).search("crane", since="2025-03").hits} == {2, 4}
    assert {h.id for h in Reader(home).search("crane", until="2025-03-02").hits} == {1, 2}
    assert {h.id for h in Reader(home).search("crane", since="2025-01", until="2025-01").hits} == {
        1
    }
    with pytest.raises(QueryError, match="cannot read"):
        Reader(home).search("crane", since="someday maybe")


def test_date_bounds() -> None:
    assert date_bound("2025-09").isoformat() == "2025-09-01T00:00:00"
    assert date_bound("2025-09", end=True).isoformat() == "2025-09-30T23:59:59.999999"
    assert date_bound("2025-09-03", end=True).isoformat() == "2025-09-03T23:59:59.999999"
    assert date_bound("2025", end=True).isoformat() == "2025-12-31T23:59:59.999999"
    last_month = date_bound("last month")
    from datetime import datetime, timedelta

    assert timedelta(days=27) < datetime.now() - last_month < timedelta(days=32)


def test_most_words_rescue(home: Path) -> None:
    r = Reader(home).search("ferry crane zeppelin")
    # No article has every word: none is called a match, the rescue says what it found.
    assert r.total == 0
    assert r.rescue is not None and r.rescue.kind == "most-words" and r.rescue.total == 3
    assert {h.id for h in r.hits[:2]} == {1, 2}
    assert [h.id for h in r.hits[2:]] == [4]  # "crane" alone
    assert {h.match for h in r.hits} == {"most"}
    assert r.notices == ("no article has every word; showing those that have some of them",)


def test_suggestion_and_fuzzy_retry(home: Path) -> None:
    r = Reader(home).search("harbuor")
    assert r.suggestion == "harbour"
    # The corrected spelling is searched first, and its hits are not called matches.
    assert r.notices == ("nothing matched as typed; showing matches for: harbour",)
    assert r.total == 0 and r.rescue is not None
    assert (r.rescue.kind, r.rescue.total, r.rescue.query) == ("spelling", 1, "harbour")
    assert [(h.id, h.match) for h in r.hits] == [(1, "fuzzy")]
    p = r.hits[0].passages[0]
    assert [p.text[s:e] for s, e in p.highlights] == ["harbour"]


def test_a_word_is_dropped_only_when_it_has_no_correction(home: Path) -> None:
    # "harbuor" is corrected to "harbour"; "zepelin" has no spelling in the archive, so
    # it is the word dropped (most-words over the corrected query), never "harbour".
    r = Reader(home).search("harbuor zepelin")
    assert r.total == 0 and r.rescue is not None and r.rescue.kind == "most-words"
    assert [(h.id, h.match) for h in r.hits] == [(1, "most")]
    # (notes hold exact forms too: the correction is matched as written there as well)
    assert "(=harbour (exact form) in title, body, note)" in r.understood


def test_fuzzy_option(home: Path) -> None:
    r = Reader(home).search("fery", fuzzy=True)
    assert {h.id for h in r.hits} == {1, 2}
    assert "fuzzy matching" in r.notices[0]


def test_title_only_match_shows_the_lede(home: Path) -> None:
    (hit,) = Reader(home).search("title:city").hits
    assert hit.passages[0].start == 0 and hit.passages[0].highlights == []


def test_wildcard_highlights_the_expansion(home: Path) -> None:
    (hit,) = Reader(home).search("harb*").hits
    p = hit.passages[0]
    assert [p.text[s:e] for s, e in p.highlights] == ["harbour"]


def test_offsets_against_body(home: Path) -> None:
    with Archive.open(home) as archive:
        hits = Reader(home).search("ferry OR crane OR weather").hits
        assert sorted(h.id for h in hits) == [1, 2, 3, 4]
        for hit in hits:
            body = archive.get(hit.id).body
            assert hit.passages
            for p in hit.passages:
                assert body[p.start : p.end] == p.text


def test_two_word_query_keeps_every_word_required(home: Path) -> None:
    r = Reader(home).search("ferry crane")
    assert r.total == 2 and r.notices == ()


def test_few_full_matches_are_followed_by_most_words(home: Path) -> None:
    r = Reader(home).search("ferry crane broke")
    assert [h.id for h in r.hits][:2] == [2, 1]  # every word, the close ones first
    assert 4 in [h.id for h in r.hits]  # "crane" only, after them
    assert r.total == 2  # true matches only
    assert r.rescue is not None and (r.rescue.kind, r.rescue.total) == ("most-words", 1)
    assert [h.match for h in r.hits] == ["all", "all", "most"]
    assert r.notices == (
        "only 2 articles have every word; also showing those that have some of them",
    )


def test_an_index_from_before_the_new_fields_is_rebuilt_saying_so(archive_home: Path) -> None:
    from whoosh.fields import DATETIME, ID, KEYWORD, TEXT, Schema
    from whoosh.filedb.filestore import FileStorage

    with Archive.open(archive_home) as archive:
        archive.ingest([draft(1, "Old", "An old article.")])
    index_dir = archive_home / "index"
    for f in index_dir.iterdir():
        f.unlink()
    old = Schema(
        id=ID(stored=True, unique=True),
        version=ID(stored=True),
        title=TEXT(),
        body=TEXT(),
        author=TEXT(),
        source=TEXT(),
        tags=KEYWORD(commas=True),
        url=ID(),
        published=DATETIME(sortable=True),
    )
    FileStorage(str(index_dir)).create_index(old).close()
    # Searching notices the old index and rebuilds it from the database, saying so.
    result = Reader(archive_home).search("article")
    assert result.total == 1
    assert result.notices[0].startswith("the search index was built by an older version")
    assert "rebuilt it from the database (1 article)" in result.notices[0]
    # Opening for writing does the same.
    FileStorage(str(index_dir)).create_index(old).close()
    with Archive.open(archive_home) as archive:
        assert "rebuilt it from the database" in archive.notices[0]
        archive.ingest([draft(2, "Newer", "A newer article.")])
    assert Reader(archive_home).search("article").total == 2
    assert Reader(archive_home).search("article").notices == ()


def test_suggestion_when_most_words_rescue_found_something(home: Path) -> None:
    r = Reader(home).search("harbuor crane")
    # The misspelt word is corrected before any word is dropped.
    assert [h.id for h in r.hits] == [1]
    assert r.total == 0 and r.rescue is not None and r.rescue.kind == "spelling"
    assert r.suggestion == "harbour crane"


def test_a_pasted_passage_is_rescued_by_its_most_words_not_corrected(home: Path) -> None:
    """Past eight words no spelling is corrected (a corrected passage is run by Whoosh's
    matchers: minutes at 100,000 articles); the most-words rescue still finds the article."""
    short = Reader(home).search("harbuor crane")
    assert short.rescue is not None and short.rescue.kind == "spelling"
    r = Reader(home).search("the harbuor crane was lifting heavy loads all day long")
    assert r.total == 0 and r.rescue is not None and r.rescue.kind == "most-words"
    assert r.suggestion is None and 1 in [h.id for h in r.hits]
    from index.correction import correction_of
    from index.query import parse
    from index.search import open_for_search

    ix = open_for_search(home / "index")
    try:
        with ix.searcher() as searcher:
            long = "the harbuor crane was lifting heavy loads all day long"
            assert correction_of(searcher, parse(ix.schema, "harbuor crane")) is not None
            assert correction_of(searcher, parse(ix.schema, long)) is None
    finally:
        ix.close()


@pytest.fixture
def counted_expansions(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, str, str]]:
    """Every fuzzy expansion (segment reader, field, word), in order: Whoosh's own
    (gate closed) and the in-memory one of index/internals/fuzzy.py (gate open)."""
    from whoosh.reading import SegmentReader

    from index.internals import fuzzy

    calls: list[tuple[int, str, str]] = []
    real = SegmentReader.terms_within
    ours = fuzzy.terms_within

    def counting(self, fieldname, text, maxdist, prefix=0):  # type: ignore[no-untyped-def]
        calls.append((id(self), fieldname, text))
        return real(self, fieldname, text, maxdist, prefix)

    def counting_ours(reader, fieldname, text, maxdist, prefix=0):  # type: ignore[no-untyped-def]
        leaves = [reader] if reader.is_atomic() else [r for r, _ in reader.leaf_readers()]
        calls.extend((id(leaf), fieldname, text) for leaf in leaves)
        return ours(reader, fieldname, text, maxdist, prefix)

    real_stems = fuzzy.stems_within

    def counting_stems(reader, fieldname, word, maxdist, prefix=0):  # type: ignore[no-untyped-def]
        leaves = [reader] if reader.is_atomic() else [r for r, _ in reader.leaf_readers()]
        calls.extend((id(leaf), fieldname, word) for leaf in leaves)
        return real_stems(reader, fieldname, word, maxdist, prefix)

    monkeypatch.setattr(SegmentReader, "terms_within", counting)
    monkeypatch.setattr(fuzzy, "terms_within", counting_ours)
    monkeypatch.setattr(fuzzy, "stems_within", counting_stems)
    return calls


def test_a_fuzzy_word_is_expanded_once_per_segment_and_field(
    home: Path, counted_expansions: list[tuple[int, str, str]]
) -> None:
    with Archive.open(home) as archive:  # a second segment
        archive.ingest([draft(6, "Ferry timetable", "The ferry runs hourly again.")])
    r = Reader(home).search("fery", fuzzy=True)
    assert {h.id for h in r.hits} == {1, 2, 6}
    searched = [c for c in counted_expansions if c[1] in ("title", "body")]
    assert {(field, text) for _, field, text in searched} == {
        ("title", "fery"),
        ("body", "fery"),
    }  # the word as typed, matched against the words as written (their stems searched)
    assert len(searched) == 4  # two segments, two fields: Whoosh alone expands each twice
    assert len(set(searched)) == len(searched)


LONG = "pneumonoultramicroscopicsilicovolcanoconiosis"  # 45 letters: still fuzzy
TOKEN = "Rindfleischetikettierungsueberwachungsaufgabenuebertragungsgesetze"  # 66: not


def test_long_words_are_still_corrected(home: Path) -> None:
    with Archive.open(home) as archive:
        archive.ingest([draft(6, "Lung disease", f"Doctors named it {LONG} in 1935.")])
    r = Reader(home).search(LONG.replace("volcano", "volcamo"))
    assert [h.id for h in r.hits] == [6]
    assert r.suggestion == LONG


def test_an_overlong_word_is_matched_as_typed_never_fuzzily(
    home: Path, counted_expansions: list[tuple[int, str, str]]
) -> None:
    assert len(TOKEN) > MAX_FUZZY_CHARS
    with Archive.open(home) as archive:
        archive.ingest([draft(6, "A law", f"The {TOKEN} was repealed.")])
    assert [h.id for h in Reader(home).search(f"{TOKEN}~2").hits] == [6]
    assert [h.id for h in Reader(home).search(TOKEN, fuzzy=True).hits] == [6]
    r = Reader(home).search(TOKEN.replace("gesetze", "gesetzt"))  # one edit, but not a misspelling
    assert r.total == 0 and r.suggestion is None
    assert counted_expansions == []


def test_a_fuzzy_copy_with_other_text_expands_its_own_text(home: Path) -> None:
    from whoosh import index as whoosh_index

    from index.internals.fuzzy import FuzzyTerm

    ix = whoosh_index.open_dir(str(home / "index"))
    with ix.reader() as reader:
        q = FuzzyTerm("body", "feri", maxdist=1, prefixlength=1)
        assert "ferri" in set(q._btexts(reader)) - {"crane"}
        other = q.replace("body", "feri", "cran")  # Whoosh's replace copies the query
        assert "crane" in other._btexts(reader) and "ferri" not in other._btexts(reader)
        boosted = q.with_boost(2.0)  # a deep copy: without the readers the cache holds
        assert boosted.boost == 2.0 and "_expanded" not in boosted.__dict__
        assert "ferri" in boosted._btexts(reader)


def test_an_overlong_fuzzy_word_highlights_only_itself() -> None:
    from index.internals.fuzzy import FuzzyTerm
    from index.ranking import multi_matches as _multi_matches

    word = "x" * 3000
    assert _multi_matches(FuzzyTerm("body", word, maxdist=1), word)
    assert not _multi_matches(FuzzyTerm("body", word, maxdist=1), word + "y")  # as typed
    assert _multi_matches(FuzzyTerm("body", "harbour", maxdist=1), "harbor")


def test_undated_articles_sort_last_both_ways(home: Path) -> None:
    # Article 5 has no publication date: it comes last, newest first or oldest first.
    newest = Reader(home).search("crane OR budget", sort="newest")
    oldest = Reader(home).search("crane OR budget", sort="oldest")
    assert [h.id for h in newest.hits] == [4, 2, 1, 5]
    assert [h.id for h in oldest.hits] == [1, 2, 4, 5]
    paged = Reader(home).search("crane OR budget", sort="newest", limit=2, offset=2)
    assert [h.id for h in paged.hits] == [1, 5]


def test_words_in_the_query_order_count_as_nearer_than_reversed() -> None:
    from index.ranking import REVERSED_GAP, pair_proximity

    groups = [{"ferri"}, {"crane"}]
    in_order = pair_proximity(groups, {"ferri": [4], "crane": [5]})
    reversed_ = pair_proximity(groups, {"ferri": [5], "crane": [4]})
    assert REVERSED_GAP > 0 and in_order == 1.0 and reversed_ < in_order
    # Reversed words still count as near: more than words a sentence apart in order.
    assert reversed_ > pair_proximity(groups, {"ferri": [4], "crane": [4 + 2 * REVERSED_GAP]})
