"""archive edit: one article's metadata corrected in the database and the index together."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from archive import Archive, ArticleDraft, ArticleNotFound, Reader
from archive.curation import Changes, EditError
from cli import cli


def run(runner, home: Path, *args: str):
    return runner.invoke(cli, ["--home", str(home), *args])


def test_edit_changes_every_field_in_database_and_index(archive: Archive) -> None:
    db = sqlite3.connect(archive.db_path)
    with db:  # an old 'updated', so that the edit's is later whatever the clock says
        db.execute("UPDATE articles SET updated = '2020-01-01 00:00:00.000000'")
    db.close()
    before = archive.get(1)
    report = archive.edit(
        [1],
        Changes(
            title="Troops for Ukraine",
            author="Jorge Liboreiro",
            source="Euronews English",
            url="https://www.euronews.com/2025/03/13/troops",
            published="2025-03-14",
            add_tags=("defence",),
            remove_tags=("ukraine",),
        ),
    )
    assert report.selected == 1
    assert [c.field for c in report.edited[0].changes] == [
        "title",
        "author",
        "source",
        "url",
        "published",
        "tags",
    ]
    after = archive.get(1)
    assert (after.title, after.author, after.source, after.published) == (
        "Troops for Ukraine",
        "Jorge Liboreiro",
        "Euronews English",
        "2025-03-14",
    )
    assert after.tags == ["nato", "defence"]
    assert after.updated > before.updated
    assert after.body == before.body
    for query in (
        "title:troops",
        'author:"jorge liboreiro"',
        'source:"euronews english"',
        "tag:defence",
        "published:2025-03-14",
        'url:"https://www.euronews.com/2025/03/13/troops"',
    ):
        assert [h.id for h in archive.search(query).hits] == [1], query
    assert archive.search("tag:ukraine").total == 0
    assert archive.check().ok


def test_old_values_are_kept_in_the_history_and_shown(sample_home: Path, runner) -> None:
    with Archive.open(sample_home) as archive:
        old_title = archive.get(1).title
        archive.edit([1], Changes(title="First correction"))
        archive.edit([1], Changes(title="Second correction", clear=frozenset({"tags"})))
    history = Reader(sample_home).history(1)
    assert [(c.field, c.old, c.new, c.how) for c in history] == [
        ("title", old_title, "First correction", "edit"),
        ("title", "First correction", "Second correction", "edit"),
        ("tags", ["nato", "ukraine"], [], "edit"),
    ]
    result = run(runner, sample_home, "show", "1", "--revisions")
    assert result.exit_code == 0
    assert "3 metadata changes:" in result.output
    assert "(edit) title: 'First correction' -> 'Second correction'" in result.output
    assert "(edit) tags: nato, ukraine -> -" in result.output
    data = json.loads(
        run(runner, sample_home, "show", "1", "--revisions", "--format", "json").output
    )
    assert [c["field"] for c in data["metadata_changes"]] == ["title", "title", "tags"]
    assert data["metadata_changes"][2]["old"] == ["nato", "ukraine"]


def test_a_url_another_article_has_is_refused(archive: Archive) -> None:
    archive.add(
        ArticleDraft(
            title="Other", body="Another text.", origin="o", url="https://x.org/a?utm_source=z"
        )
    )
    with pytest.raises(EditError, match="article 2 already has the URL https://x.org/a"):
        archive.edit([1], Changes(url="https://X.org/a/", title="Not applied"))
    assert archive.get(1).url is None
    assert archive.get(1).title != "Not applied"


def test_editing_to_the_same_values_changes_nothing(archive: Archive) -> None:
    before = archive.get(1)
    report = archive.edit([1], Changes(source="Euronews", add_tags=("nato",)))
    assert report.edited == []
    assert archive.get(1) == before
    assert archive.history(1) == []


def test_dry_run_writes_nothing(archive: Archive) -> None:
    before = archive.get(1)
    report = archive.edit([1], Changes(title="Would be"), dry_run=True)
    assert report.dry_run and report.edited[0].title == "Would be"
    assert archive.get(1) == before
    assert archive.search("title:would").total == 0


def test_cli_edit_prints_each_change_and_json(sample_home: Path, runner) -> None:
    result = run(
        runner, sample_home, "edit", "1", "--source", "Euronews English", "--clear", "tags"
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1:] == [
        "  source: 'Euronews' -> 'Euronews English'",
        "  tags: nato, ukraine -> -",
        "1 article changed of 1 chosen",
    ]
    result = run(runner, sample_home, "edit", "1", "--set-tags", "a, b", "--format", "json")
    data = json.loads(result.output)
    assert data["selected"] == 1 and data["changed"] == 1 and not data["dry_run"]
    assert data["articles"][0]["changes"] == [{"field": "tags", "old": [], "new": ["a", "b"]}]
    db = sqlite3.connect(sample_home / "archive.sqlite3")
    assert (
        db.execute("SELECT edited FROM articles WHERE id = 1").fetchone()[0] == '["source", "tags"]'
    )


def test_unknown_id_is_an_error_and_changes_nothing(archive: Archive) -> None:
    with pytest.raises(ArticleNotFound):
        archive.edit([1, 42], Changes(title="Half"))
    assert archive.get(1).title != "Half"


def test_export_and_import_keep_the_history_and_the_hand_edits(
    sample_home: Path, tmp_path: Path
) -> None:
    from archive import transfer

    with Archive.open(sample_home) as archive:
        archive.edit([1], Changes(title="Corrected"))
        lines = list(transfer.export_lines(archive))
    with Archive.open(tmp_path / "other") as other:
        assert transfer.import_lines(other, lines) == 1
        assert other.get(1).title == "Corrected"
        assert [(c.field, c.new) for c in other.history(1)] == [("title", "Corrected")]
    db = sqlite3.connect(tmp_path / "other" / "archive.sqlite3")
    assert db.execute("SELECT edited FROM articles").fetchone()[0] == '["title"]'
