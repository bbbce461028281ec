"""The Archive API on the sample article: ingest, search, passages, delete, reindex, in step."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from archive import Archive, ArticleDraft, ArticleNotFound, QueryError
from archive.ingest import Overrides, read_path
from index import writer as iw
from tests.conftest import SAMPLE


def _all_highlighted(archive: Archive, query: str) -> list[str]:
    results = archive.search(query, passages=50)
    words = []
    for hit in results.hits:
        for p in hit.passages:
            words.extend(p.text[s:e] for s, e in p.highlights)
    return words


def test_stored_article_keeps_text_and_metadata(archive: Archive, sample_text: str) -> None:
    article = archive.get(1)
    assert article.body == sample_text.strip()
    assert article.title == sample_text.split("\n", 1)[0]
    assert article.source == "Euronews"
    assert article.published == "2025-03-13"
    assert article.tags == ["nato", "ukraine"]
    assert article.origin == str(SAMPLE)
    assert len(article.content_hash) == 64
    assert article.ingested == article.updated


def test_body_is_normalised_to_nfc_and_lf(archive_home: Path) -> None:
    decomposed = "Zu\u0308rich talks\r\nsecond line\rthird"
    with Archive.open(archive_home) as archive:
        outcome = archive.add(ArticleDraft(title="T", body=decomposed, origin="x"))
        body = archive.get(outcome.article_id).body
    assert body == "Z\u00fcrich talks\nsecond line\nthird"


def test_reingesting_the_same_text_changes_nothing(archive: Archive) -> None:
    before = archive.get(1)
    report = archive.ingest(read_path(SAMPLE))
    assert [o.status for o in report.outcomes] == ["unchanged"]
    assert report.outcomes[0].article_id == 1
    assert archive.count() == 1
    assert archive.get(1) == before


def test_same_url_with_new_text_updates_the_article(archive_home: Path) -> None:
    with Archive.open(archive_home) as archive:
        first = archive.add(
            ArticleDraft(title="T", body="Troops gather.", origin="a", url="https://x.org/a")
        )
        second = archive.add(
            ArticleDraft(title="T2", body="Troops withdraw.", origin="a", url="https://x.org/a")
        )
        assert second.status == "updated"
        assert second.article_id == first.article_id
        assert archive.count() == 1
        assert archive.search("withdraw").total == 1
        assert archive.search("gather").total == 0


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("deploy", 1),  # stemming: finds "deployment" and "deploy"
        ("deployments", 1),
        ("reassurance force", 1),
        ('"reassurance force"', 1),
        ('"force reassurance"', 0),  # a phrase is ordered
        ("nato AND russia", 1),
        ("nato NOT russia", 0),
        ("nato OR zebra", 1),
        ("nato zebra", 0),  # all words required by default
        ("title:ukraine", 1),
        ("title:rutte", 0),  # Rutte is in the body only
        ("source:euronews", 1),
        ("tag:nato", 1),
        ("published:2025", 1),
        ("published:2024", 0),
        ("deploy*", 1),
        ("zebra", 0),
    ],
)
def test_query_language(archive: Archive, query: str, expected: int) -> None:
    assert archive.search(query, rescue=False).total == expected


def test_passage_offsets_point_into_the_stored_body(archive: Archive) -> None:
    body = archive.get(1).body
    hits = archive.search("deploy troops", passages=5).hits
    assert hits and hits[0].passages
    for p in hits[0].passages:
        assert body[p.start : p.end] == p.text
        assert p.highlights  # each passage was chosen for a match
        for s, e in p.highlights:
            assert 0 <= s < e <= len(p.text)


def test_passages_are_whole_sentences(archive: Archive) -> None:
    body = archive.get(1).body
    shown = archive.search("nato", passages=10).hits[0].passages
    assert len(shown) > 1  # the sample has many sentences about NATO
    for p in shown:
        assert p.text[0].isupper() or p.text[0] in "“\"'"
        assert p.text.rstrip("”\"’'")[-1] in ".!?" or body[p.end : p.end + 1] in ("\n", "")
        # never cut mid-word: the characters around the passage are not letters
        assert p.start == 0 or not body[p.start - 1].isalnum()
        assert p.end == len(body) or not body[p.end].isalnum()


def test_every_matched_form_is_highlighted(archive: Archive) -> None:
    words = _all_highlighted(archive, "deploy")
    assert {"deploy", "deployment"} <= set(words)
    phrase = _all_highlighted(archive, '"reassurance force"')
    assert "reassurance force" in phrase  # a phrase is highlighted as a whole
    possessive = _all_highlighted(archive, "alliance")
    assert "alliance’s" in possessive


def test_the_passage_with_every_word_is_chosen(archive: Archive) -> None:
    # One sentence has both words; it must be among the passages even with only one allowed.
    (only,) = archive.search("troops deploy", passages=1).hits[0].passages
    highlighted = {only.text[s:e].lower() for s, e in only.highlights}
    assert {"troops", "deploy"} <= highlighted


def test_no_hits_is_an_empty_result(archive: Archive) -> None:
    results = archive.search("zebra")
    assert results.total == 0 and results.hits == []


def test_a_query_with_nothing_to_search_is_an_error(archive: Archive) -> None:
    with pytest.raises(QueryError, match="no words to search for"):
        archive.search("the")


def test_delete_removes_from_both_stores(archive: Archive) -> None:
    assert archive.delete([1]) == [1]
    assert archive.count() == 0
    assert archive.search("nato").total == 0
    assert archive.check().ok


def test_deleting_an_unknown_id_deletes_nothing(archive: Archive) -> None:
    with pytest.raises(ArticleNotFound, match="no article with id 42"):
        archive.delete([1, 42])
    assert archive.count() == 1
    assert archive.search("nato").total == 1


def test_reindex_restores_a_deleted_index(sample_home: Path) -> None:
    shutil.rmtree(sample_home / "index")
    with Archive.open(sample_home) as archive:
        assert archive.reindex() == 1
        assert archive.search("deploy").total == 1
        assert archive.check().ok


def test_an_index_failure_leaves_the_database_unchanged(
    archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(iw, "start_writer", broken)
    with pytest.raises(OSError, match="disk full"):
        archive.add(ArticleDraft(title="New", body="Entirely new text.", origin="n"))
    with pytest.raises(OSError, match="disk full"):
        archive.delete([1])
    monkeypatch.undo()
    db = sqlite3.connect(archive.db_path)
    assert db.execute("SELECT id FROM articles").fetchall() == [(1,)]
    assert db.execute("SELECT count(*) FROM index_outbox").fetchone() == (0,)
    assert archive.check().ok
    assert archive.search("entirely", rescue=False).total == 0


def test_outbox_left_by_a_crash_is_settled_on_open(sample_home: Path) -> None:
    # Simulate a crash after the SQLite commit and before the index commit.
    with Archive.open(sample_home) as archive:
        outcome = archive.add(ArticleDraft(title="Owed", body="Owed article text.", origin="o"))
    ix = iw.open_index(sample_home / "index")
    with iw.open_writer(ix) as w:
        w.delete_by_term("id", str(outcome.article_id))
    db = sqlite3.connect(sample_home / "archive.sqlite3")
    db.execute(
        "INSERT INTO index_outbox (article_id, op) VALUES (?, 'upsert')", (outcome.article_id,)
    )
    db.commit()
    with Archive.open(sample_home) as archive:
        assert archive.search("owed").total == 1
        assert archive.check().ok
    assert db.execute("SELECT count(*) FROM index_outbox").fetchone() == (0,)


def test_check_reports_and_repairs_differences(sample_home: Path) -> None:
    ix = iw.open_index(sample_home / "index")
    with iw.open_writer(ix) as w:
        w.delete_by_term("id", "1")
    with Archive.open(sample_home) as archive:
        report = archive.check()
        assert not report.ok and report.missing_from_index == [1]
        assert archive.check(repair=True).repaired
        assert archive.check().ok
        assert archive.search("deploy").total == 1


def test_overrides_and_tags_are_stored(archive_home: Path) -> None:
    overrides = Overrides(
        title="Custom", author="A. Writer", url="https://e.org/x", tags=("a", "b", "a")
    )
    with Archive.open(archive_home) as archive:
        outcome = archive.ingest(read_path(SAMPLE, overrides)).outcomes[0]
        article = archive.get(outcome.article_id)
    assert (article.title, article.author, article.url) == (
        "Custom",
        "A. Writer",
        "https://e.org/x",
    )
    assert article.tags == ["a", "b"]


def test_stats(archive: Archive) -> None:
    stats = archive.stats()
    assert stats.articles == 1
    assert stats.earliest == stats.latest == "2025-03-13"
    assert stats.index_bytes > 0 and stats.database_bytes > 0


def test_list_is_newest_first(archive: Archive) -> None:
    archive.add(ArticleDraft(title="Old", body="Old news.", origin="o", published="2001-01-01"))
    archive.add(ArticleDraft(title="New", body="New news.", origin="n", published="2030-01-01"))
    assert [a.title for a in archive.list()][:1] == ["New"]
    assert archive.list()[-1].title == "Old"
    assert len(archive.list(limit=2)) == 2


def test_total_counts_only_live_articles(archive_home: Path) -> None:
    with Archive.open(archive_home) as archive:
        for n in range(4):
            archive.add(
                ArticleDraft(title=f"T{n}", body=f"Harbour cranes, report {n}.", origin=f"{n}")
            )
        archive.delete([2])
        results = archive.search("harbour cranes", limit=1, rescue=False)
        assert results.total == 3
        assert len(results.hits) == 1
