"""Export and import: an exported archive imported into an empty one is the same archive."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from archive import Archive, ArticleDraft
from archive.transfer import export_lines
from cli import cli

#: Tables whose rows are the archive's content (the outbox and Alembic's own are not).
BOOKKEEPING = {"index_outbox", "alembic_version", "sqlite_sequence"}


def content_tables(db: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every content table, read with sqlite3, in primary-key order."""
    conn = sqlite3.connect(db)
    try:
        names = [
            n
            for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if n not in BOOKKEEPING and not n.startswith("sqlite_")
        ]
        return {n: conn.execute(f"SELECT * FROM {n} ORDER BY 1, 2").fetchall() for n in names}
    finally:
        conn.close()


def build(home: Path, sample_text: str) -> None:
    """An archive with every kind of field, an id gap, an update and unusual text."""
    drafts = [
        ArticleDraft(
            title="Troops",
            body=sample_text,
            origin="/in/sample.txt",
            author="Jane Doe",
            source="Euronews",
            url="https://example.org/troops",
            published="2025-03-13T09:30:00+01:00",
            tags=("nato", "ukraine", "defence"),
            extra={"section": "world", "rank": 3, "nested": {"a": [1, 2.5, None]}},
        ),
        ArticleDraft(title="Gone", body="This one is deleted later.", origin="/in/gone.txt"),
        ArticleDraft(
            title="Zürich “quotes” — and emoji 🙂",
            body="Zürich’s council met.\n\nTabs\tand  spaces  are kept. Ünïcödé.",
            origin="-",
            published="2024-02-29",
            tags=("zürich",),
        ),
        ArticleDraft(
            title="Harvest",
            body="Early harvest of grapes, first version.",
            origin="/in/harvest.txt",
            url="https://example.org/harvest",
        ),
    ]
    with Archive.open(home) as archive:
        archive.ingest(drafts)
        archive.delete([2])
        # The same URL with new text: an update (and a revision, where the schema keeps them).
        archive.ingest(
            [
                ArticleDraft(
                    title="Harvest",
                    body="Early harvest of grapes, second version with more detail.",
                    origin="/in/harvest.txt",
                    url="https://example.org/harvest",
                    tags=("food",),
                )
            ]
        )
        assert archive.count() == 3


def test_import_of_an_export_reproduces_the_archive(
    tmp_path: Path, sample_text: str, runner
) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    build(first, sample_text)
    backup = tmp_path / "backup.jsonl"
    result = runner.invoke(cli, ["--home", str(first), "export", str(backup)])
    assert result.exit_code == 0, result.output
    assert result.output == f"exported 3 articles to {backup}\n"

    result = runner.invoke(cli, ["--home", str(second), "import", str(backup)])
    assert result.exit_code == 0, result.output
    assert result.output == "imported 3 articles\n"

    # Field by field, table by table, ids included.
    assert content_tables(second / "archive.sqlite3") == content_tables(first / "archive.sqlite3")
    with Archive.open(first) as a, Archive.open(second) as b:
        assert [r.id for r in a.list(limit=None)] == [r.id for r in b.list(limit=None)]
        for record in a.list(limit=None):
            assert b.get(record.id) == a.get(record.id)
        assert list(export_lines(b)) == list(export_lines(a))
        assert b.check().ok
        for query in ("deploy", "zurich", "grapes detail", "tag:nato", "source:euronews"):
            assert [h.id for h in b.search(query).hits] == [h.id for h in a.search(query).hits]
        assert [h.id for h in b.search("grapes").hits] == [4]
        # The next article gets the next id, as it would have in the original.
        added_a = a.add(ArticleDraft(title="New", body="A new one.", origin="x"))
        added_b = b.add(ArticleDraft(title="New", body="A new one.", origin="x"))
        assert added_a.article_id == added_b.article_id == 5


def test_export_line_has_every_field(tmp_path: Path, sample_text: str, runner) -> None:
    home = tmp_path / "home"
    build(home, sample_text)
    result = runner.invoke(cli, ["--home", str(home), "export"])
    assert result.exit_code == 0
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in lines] == [1, 3, 4]
    first = lines[0]
    for key in (
        "title",
        "body",
        "author",
        "source",
        "url",
        "published",
        "published_at",
        "origin",
        "content_hash",
        "ingested",
        "updated",
        "extra",
        "tags",
    ):
        assert key in first
    assert first["body"].startswith("Plans to send European troops to Ukraine")
    assert first["tags"] == ["nato", "ukraine", "defence"]
    assert first["extra"] == {"section": "world", "rank": 3, "nested": {"a": [1, 2.5, None]}}
    assert first["published"] == "2025-03-13T09:30:00+01:00"
    assert first["published_at"] == "2025-03-13T08:30:00"
    assert lines[2]["tags"] == ["food"]
    assert "exported 3 articles" in result.stderr


def test_import_refuses_a_non_empty_archive(sample_home: Path, tmp_path: Path, runner) -> None:
    backup = tmp_path / "b.jsonl"
    assert runner.invoke(cli, ["--home", str(sample_home), "export", str(backup)]).exit_code == 0
    result = runner.invoke(cli, ["--home", str(sample_home), "import", str(backup)])
    assert result.exit_code == 1
    assert result.output == (
        f"Error: the archive at {sample_home} already holds 1 article; import into an "
        "empty archive (give a new directory with --home), or merge into this one with "
        "'import --merge'\n"
    )


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("{not json", "line 2: not valid JSON"),
        ('["a list"]', "line 2: expected a JSON object"),
        (
            '{"id": 9, "title": "t", "origin": "o", "ingested": "2025-01-01T00:00:00",'
            ' "updated": "2025-01-01T00:00:00"}',
            "line 2: 'body' is missing",
        ),
        (
            '{"id": 9, "title": "t", "body": "b", "origin": "o", "ingested": "yesterday",'
            ' "updated": "2025-01-01T00:00:00"}',
            "line 2: 'ingested' is not a date: 'yesterday'",
        ),
        (
            '{"id": 9, "title": "t", "body": "b", "origin": "o", "ingested": "2025-01-01",'
            ' "updated": "2025-01-01", "colour": "red"}',
            "line 2: unknown field 'colour'",
        ),
        (
            '{"id": 1, "title": "t", "body": "other", "origin": "o", "ingested": "2025-01-01",'
            ' "updated": "2025-01-01"}',
            "line 2: article id 1 appears twice",
        ),
    ],
)
def test_a_bad_line_is_reported_and_the_rest_imported(
    sample_home: Path, tmp_path: Path, runner, bad: str, message: str
) -> None:
    backup = tmp_path / "b.jsonl"
    assert runner.invoke(cli, ["--home", str(sample_home), "export", str(backup)]).exit_code == 0
    good = backup.read_text(encoding="utf-8")
    broken = tmp_path / "broken.jsonl"
    broken.write_text(good + bad + "\n", encoding="utf-8")
    target = tmp_path / "target"
    result = runner.invoke(cli, ["--home", str(target), "import", str(broken)])
    assert result.exit_code == 1
    assert result.stderr == f"error: {broken}, {message}" + result.stderr.split(message, 1)[1]
    assert result.stderr.count("\n") == 1
    assert result.stdout == "imported 1 article, 1 line skipped (see the errors above)\n"
    with Archive.open(target) as archive:
        assert archive.count() == 1
        report = archive.check()
        assert report.ok and report.articles == 1


def test_without_a_handler_a_bad_line_imports_nothing(sample_home: Path, tmp_path: Path) -> None:
    from archive import transfer

    with Archive.open(sample_home) as archive:
        good = "".join(transfer.export_lines(archive))
    with Archive.open(tmp_path / "target") as archive:
        with pytest.raises(transfer.ImportError_, match="line 2: not valid JSON"):
            transfer.import_lines(archive, [good, "{not json\n"])
        assert archive.count() == 0 and archive.check().ok


def test_import_from_standard_input(sample_home: Path, tmp_path: Path, runner) -> None:
    exported = runner.invoke(cli, ["--home", str(sample_home), "export", "-"])
    target = tmp_path / "target"
    result = runner.invoke(cli, ["--home", str(target), "import", "-"], input=exported.stdout)
    assert result.exit_code == 0, result.output
    assert result.output == "imported 1 article\n"
    assert content_tables(target / "archive.sqlite3") == content_tables(
        sample_home / "archive.sqlite3"
    )
