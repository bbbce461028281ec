"""Duplicates and updates: canonical URLs, updates keep revisions, nothing duplicated."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from alembic import command
from click.testing import CliRunner

from archive import Archive, ArticleDraft
from archive.store import _alembic_config, make_engine
from archive.urls import canonical_url
from cli import cli


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("HTTPS://WWW.Example.COM/News/Story", "https://www.example.com/News/Story"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("http://example.com:8080/a", "http://example.com:8080/a"),
        ("https://example.com/a/", "https://example.com/a"),
        ("https://example.com/", "https://example.com/"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com/a#comments", "https://example.com/a"),
        (
            "https://example.com/a?utm_source=rss&utm_medium=feed&UTM_Campaign=x&id=7",
            "https://example.com/a?id=7",
        ),
        (
            "https://example.com/a?fbclid=abc&gclid=1&mc_cid=2&page=2",
            "https://example.com/a?page=2",
        ),
        ("https://example.com/a?b=2&a=1", "https://example.com/a?b=2&a=1"),
        ("  https://example.com/a  ", "https://example.com/a"),
        ("not a url", "not a url"),
        ("", None),
    ],
)
def test_canonical_url(url: str, canonical: str | None) -> None:
    assert canonical_url(url) == canonical


def test_same_url_variant_with_new_text_is_an_update_with_a_revision(
    archive_home: Path, runner: CliRunner
) -> None:
    with Archive.open(archive_home) as archive:
        first = archive.add(
            ArticleDraft(
                title="Storm nears",
                body="A storm is expected on Friday.",
                origin="feed.jsonl:1",
                url="https://News.example.com/world/storm/?utm_source=rss",
                author="A. Reporter",
            )
        )
        before = archive.get(first.article_id)
        second = archive.add(
            ArticleDraft(
                title="Storm hits coast",
                body="The storm made landfall on Friday night.",
                origin="feed.jsonl:9",
                url="https://news.example.com/world/storm#live",
            )
        )
        assert (first.status, second.status) == ("added", "updated")
        assert second.article_id == first.article_id
        assert archive.count() == 1
        after = archive.get(first.article_id)
        assert after.body == "The storm made landfall on Friday night."
        assert after.updated >= before.updated and after.ingested == before.ingested
        assert after.author == "A. Reporter"  # kept: the update did not name an author
        assert after.url == "https://news.example.com/world/storm#live"
        (rev,) = archive.revisions(first.article_id)
        assert (rev.title, rev.body) == ("Storm nears", "A storm is expected on Friday.")
        assert rev.content_hash == before.content_hash
        assert rev.stored == before.updated and rev.replaced == after.updated
        # The index follows: the new text is found, the old one no longer.
        assert archive.search("landfall").total == 1
        assert archive.search("expected").total == 0
    shown = runner.invoke(cli, ["show", "1", "--revisions"])
    assert shown.exit_code == 0
    assert "revisions: 1 earlier text\n\n--- revision 1: Storm nears\nstored " in shown.stdout
    assert "A storm is expected on Friday.\n\n2 metadata changes:\n" in shown.stdout
    assert "(ingest) title: 'Storm nears' -> 'Storm hits coast'" in shown.stdout
    assert shown.stdout.rstrip().endswith(
        "(ingest) url: 'https://News.example.com/world/storm/?utm_source=rss' -> "
        "'https://news.example.com/world/storm#live'"
    )
    as_json = json.loads(
        runner.invoke(cli, ["show", "1", "--revisions", "--format", "json"]).stdout
    )
    assert [r["body"] for r in as_json["revisions"]] == ["A storm is expected on Friday."]
    assert "revisions" not in json.loads(
        runner.invoke(cli, ["show", "1", "--format", "json"]).stdout
    )


def test_same_text_again_is_unchanged_even_from_elsewhere(archive_home: Path) -> None:
    with Archive.open(archive_home) as archive:
        archive.add(ArticleDraft(title="T", body="Exactly this text.", origin="a.txt"))
        again = archive.add(
            ArticleDraft(title="Other", body="Exactly  this text.\r\n", origin="b.txt")
        )
        # Other white space inside the text: the same article (a near-duplicate, issue 19).
        assert (again.status, again.article_id) == ("unchanged", 1)
        assert again.message == "near-duplicate of article 1: 100% of its word sequences shared"
        same = archive.add(ArticleDraft(title="X", body="Exactly this text.\n", origin="c.txt"))
        assert (same.status, same.article_id, same.message) == (
            "unchanged",
            1,
            "same text as article 1",
        )
        assert archive.revisions(1) == []


def test_same_file_with_changed_text_is_an_update(tmp_path: Path, runner: CliRunner) -> None:
    f = tmp_path / "draft.md"
    f.write_text("---\ntitle: Draft\n---\nFirst version of the story.\n", encoding="utf-8")
    assert runner.invoke(cli, ["ingest", str(f)]).exit_code == 0
    f.write_text("---\ntitle: Final\n---\nSecond, corrected version.\n", encoding="utf-8")
    result = runner.invoke(cli, ["ingest", str(f)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "updated 1: Final (changed: text, title)",
        result.stdout.splitlines()[-1],
    ]
    assert result.stdout.splitlines()[-1].startswith("0 added, 1 updated, 0 unchanged, 0 failed")
    shown = runner.invoke(cli, ["show", "1", "--revisions"]).stdout
    assert "--- revision 1: Draft" in shown and "First version of the story." in shown
    assert "Second, corrected version." in shown


def test_updates_inside_one_batch_keep_every_text(archive_home: Path) -> None:
    url = "https://example.org/live"
    with Archive.open(archive_home) as archive:
        report = archive.ingest(
            [
                ArticleDraft(title="v1", body="Live blog, first entry.", origin="x", url=url),
                ArticleDraft(title="v2", body="Live blog, second entry.", origin="x", url=url),
                ArticleDraft(title="v3", body="Live blog, third entry.", origin="x", url=url + "/"),
            ]
        )
        assert [o.status for o in report.outcomes] == ["added", "updated", "updated"]
        assert {o.article_id for o in report.outcomes} == {1}
        assert [r.title for r in archive.revisions(1)] == ["v1", "v2"]
        assert archive.get(1).title == "v3"
        assert archive.check().ok


def test_deleting_an_article_deletes_its_revisions(archive_home: Path) -> None:
    with Archive.open(archive_home) as archive:
        archive.add(ArticleDraft(title="a", body="one", origin="x", url="https://e.org/a"))
        archive.add(ArticleDraft(title="b", body="two", origin="x", url="https://e.org/a"))
        archive.delete([1])
    rows = sqlite3.connect(archive_home / "archive.sqlite3").execute(
        "SELECT count(*) FROM revisions"
    )
    assert rows.fetchone()[0] == 0


def test_migration_0002_fills_url_keys_and_is_reversible(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite3"
    engine = make_engine(db)
    with engine.connect() as conn:
        command.upgrade(_alembic_config(conn), "0001")
        conn.exec_driver_sql(
            "INSERT INTO articles (title, body, url, origin, content_hash, ingested, updated) "
            "VALUES ('a', 'x', 'HTTPS://E.org/a/?utm_source=z', 'o', 'h1', "
            "'2025-01-01', '2025-01-01'), "
            "('b', 'y', 'https://e.org/a', 'o', 'h2', '2025-01-01', '2025-01-01')"
        )
        conn.commit()
        command.upgrade(_alembic_config(conn), "0002")
        conn.commit()
        keys = conn.exec_driver_sql("SELECT id, url_key FROM articles ORDER BY id").fetchall()
        # Two old URLs with one canonical form: the older article keeps the key.
        assert keys == [(1, "https://e.org/a"), (2, None)]
        command.downgrade(_alembic_config(conn), "0001")
        conn.commit()
        cols = [r[1] for r in conn.exec_driver_sql("PRAGMA table_info(articles)")]
        tables = {r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master")}
        assert "url_key" not in cols
        assert not {"revisions", "source_files"} & tables
        assert conn.exec_driver_sql("SELECT count(*) FROM articles").scalar() == 2
        command.upgrade(_alembic_config(conn), "head")
        conn.commit()
    engine.dispose()
