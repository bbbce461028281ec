"""Upgrades: an archive made at the first schema revision opens, upgraded, with everything kept.

Written against revision 0001's tables with plain SQL, so it stays true as
later migrations are added: the open path must carry these rows to head.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory

import migrations
from archive import Archive, ArticleDraft
from archive.errors import SchemaTooNew
from archive.store import SCHEMA_HEAD, _alembic_config, make_engine, schema_revision, upgrade
from cli import cli

ARTICLES = [
    # id, title, body, source, url, published, published_at, tags
    (
        1,
        "Troops to Ukraine",
        "European troops may deploy to Ukraine.",
        "Euronews",
        "https://example.org/a",
        "2025-03-13",
        "2025-03-13 00:00:00",
        ["nato", "ukraine"],
    ),
    (
        2,
        "Zürich budget",
        "The Zürich council debated the budget for defence.",
        None,
        None,
        None,
        None,
        [],
    ),
    (
        5,
        "Harvest report",
        "Farmers reported an early harvest of grapes.",
        "Reuters",
        "https://example.org/c",
        "2024-09-01T10:00:00+02:00",
        "2024-09-01 08:00:00",
        ["food"],
    ),
]
QUERIES = {1: "deploy", 2: "zurich council", 5: "grapes harvest"}


def _schema_at(home: Path, revision: str) -> Path:
    """A new home whose database has the schema of *revision* (by Alembic), no rows."""
    home.mkdir(parents=True)
    db = home / "archive.sqlite3"
    engine = make_engine(db)
    with engine.connect() as conn:
        command.upgrade(_alembic_config(conn), revision)
        conn.commit()
    engine.dispose()
    return db


def build_0001(home: Path) -> None:
    """An archive as revision 0001 made it: the schema by Alembic, the rows by plain SQL."""
    db = _schema_at(home, "0001")
    conn = sqlite3.connect(db)
    with conn:
        for aid, title, body, source, url, published, published_at, tags in ARTICLES:
            conn.execute(
                "INSERT INTO articles (id, title, body, author, source, url, published,"
                " published_at, origin, content_hash, ingested, updated, extra)"
                " VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    aid,
                    title,
                    body,
                    source,
                    url,
                    published,
                    published_at,
                    f"/old/{aid}.txt",
                    f"{aid:064x}",
                    "2025-01-02 03:04:05.000000",
                    "2025-01-02 03:04:05.000000",
                    '{"kept": true}' if aid == 5 else None,
                ),
            )
            for pos, tag in enumerate(tags):
                conn.execute("INSERT INTO tags VALUES (?, ?, ?)", (aid, tag, pos))
    conn.close()
    assert schema_revision(db) == "0001"


def test_archive_from_first_revision_upgrades_with_everything_kept(
    archive_home: Path, runner
) -> None:
    build_0001(archive_home)
    with Archive.open(archive_home) as archive:
        assert schema_revision(archive.db_path) == SCHEMA_HEAD
        assert archive.count() == len(ARTICLES)
        for aid, title, body, source, url, published, _, tags in ARTICLES:
            a = archive.get(aid)
            assert (a.title, a.body, a.source, a.url, a.published, a.tags) == (
                title,
                body,
                source,
                url,
                published,
                tags,
            )
            assert a.origin == f"/old/{aid}.txt"
            assert a.ingested.isoformat() == "2025-01-02T03:04:05"
        assert archive.get(5).extra == {"kept": True}
        for aid, query in QUERIES.items():
            assert [h.id for h in archive.search(query).hits] == [aid]
        assert archive.check().ok
    result = runner.invoke(cli, ["--home", str(archive_home), "search", "tag:nato"])
    assert result.exit_code == 0, result.output
    assert "Troops to Ukraine" in result.output


def test_migrations_run_with_foreign_keys_off(archive_home: Path, tmp_path: Path) -> None:
    """A migration that rebuilds the articles table must not cascade into its tags.

    SQLite drops and re-creates a table to alter it; with foreign keys on, the
    drop deletes every row that references it (ON DELETE CASCADE).
    """
    scripts = tmp_path / "migrations"
    shutil.copytree(Path(migrations.__file__).parent, scripts)
    head = ScriptDirectory(str(scripts)).get_current_head()
    (scripts / "versions" / "9001_rebuild_articles.py").write_text(
        f'''
import sqlalchemy as sa
from alembic import op

revision = "9001"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("articles", recreate="always") as batch:
        batch.add_column(sa.Column("test_only", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("articles", recreate="always") as batch:
        batch.drop_column("test_only")
''',
        encoding="utf-8",
    )
    build_0001(archive_home)
    engine = make_engine(archive_home / "archive.sqlite3")
    upgrade(engine, script_location=str(scripts))
    engine.dispose()
    conn = sqlite3.connect(archive_home / "archive.sqlite3")
    assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [("9001",)]
    tags = "SELECT article_id, name FROM tags ORDER BY article_id, position"
    assert conn.execute(tags).fetchall() == [
        (1, "nato"),
        (1, "ukraine"),
        (5, "food"),
    ]
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    conn.close()


def test_every_migration_is_reversible(tmp_path: Path) -> None:
    db = tmp_path / "archive.sqlite3"
    engine = make_engine(db)
    with engine.connect() as conn:
        cfg = _alembic_config(conn)
        command.upgrade(cfg, "head")
        command.downgrade(cfg, "base")
        conn.commit()
        # sqlite_sequence (made by an AUTOINCREMENT key) is SQLite's own and cannot be dropped.
        tables = conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'alembic_version' "
            "AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
        assert tables == []
        command.upgrade(cfg, "head")
        conn.commit()
    engine.dispose()
    assert schema_revision(db) == SCHEMA_HEAD


def test_archive_from_a_newer_tool_is_refused_unchanged(sample_home: Path, runner) -> None:
    db = sample_home / "archive.sqlite3"
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("UPDATE alembic_version SET version_num = 'f00d'")
    before = conn.execute("SELECT * FROM articles").fetchall()
    conn.close()
    for args in (["list"], ["search", "deploy"], ["ingest", str(db)], ["check"]):
        result = runner.invoke(cli, ["--home", str(sample_home), *args])
        assert result.exit_code == 1, result.output
        assert result.output.startswith(
            "Error: this archive was written by a newer version of the tool (schema f00d, "
            f"this version knows up to {SCHEMA_HEAD}); upgrade the tool"
        )
        assert result.output.count("\n") == 1
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [("f00d",)]
    assert conn.execute("SELECT * FROM articles").fetchall() == before
    conn.close()
    with pytest.raises(SchemaTooNew):
        Archive.open(sample_home)


@pytest.mark.slow
def test_article_ids_are_never_given_again_after_the_upgrade_to_0008(
    archive_home: Path, runner
) -> None:
    """An archive made at revision 0007 (ids reused after a delete) is rebuilt with
    AUTOINCREMENT: every row kept, its references and indexes too, and the id of a
    deleted article is not given to the next one."""
    db = _schema_at(archive_home, "0007")
    conn = sqlite3.connect(db)
    indexes = sorted(
        conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE tbl_name = 'articles' AND type = 'index'"
        )
    )
    with conn:
        for aid, title, body, source, url, published, published_at, tags in ARTICLES:
            conn.execute(
                "INSERT INTO articles (id, title, body, source, url, published, published_at,"
                " origin, content_hash, ingested, updated)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (aid, title, body, source, url, published, published_at, f"/old/{aid}.txt",
                 f"{aid:064x}", "2025-01-02 03:04:05", "2025-01-02 03:04:05"),
            )  # fmt: skip
            for pos, tag in enumerate(tags):
                conn.execute("INSERT INTO tags VALUES (?, ?, ?)", (aid, tag, pos))
        conn.execute(
            "INSERT INTO notes (article_id, text, created) VALUES (5, 'a note', '2025-01-03')"
        )
    assert (
        "AUTOINCREMENT"
        not in conn.execute("SELECT sql FROM sqlite_master WHERE name = 'articles'").fetchone()[0]
    )
    conn.close()

    with Archive.open(archive_home) as archive:
        assert schema_revision(archive.db_path) == SCHEMA_HEAD
        assert [archive.get(i).title for i in (1, 2, 5)] == [a[1] for a in ARTICLES]
        assert archive.get(1).tags == ["nato", "ukraine"]
    conn = sqlite3.connect(db)
    table = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'articles'").fetchone()[0]
    assert "AUTOINCREMENT" in table
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert conn.execute("SELECT article_id, text FROM notes").fetchall() == [(5, "a note")]
    kept = "SELECT name, sql FROM sqlite_master WHERE tbl_name = 'articles' AND type = 'index'"
    assert sorted(conn.execute(kept)) == indexes
    conn.close()

    result = runner.invoke(cli, ["--home", str(archive_home), "delete", "5"])
    assert result.output.splitlines()[0] == "deleted 5: Harvest report (and its 1 note)"
    with Archive.open(archive_home) as archive:
        added = archive.add(ArticleDraft(title="Brand new", body="An unrelated text.", origin="t"))
        assert added.status == "added" and added.article_id == 6
