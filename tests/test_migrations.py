"""The migrations and the models agree, and an empty directory becomes a working archive."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from archive import Archive, ArticleDraft
from archive.models import Base
from archive.store import SCHEMA_HEAD, _alembic_config


def test_migrated_schema_matches_models(archive_home: Path) -> None:
    with Archive.open(archive_home) as archive:
        with archive.store.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_schema_head_constant_is_the_migrations_head(archive_home: Path) -> None:
    with Archive.open(archive_home) as archive, archive.store.engine.connect() as conn:
        script = ScriptDirectory.from_config(_alembic_config(conn))
        assert script.get_current_head() == SCHEMA_HEAD
        assert MigrationContext.configure(conn).get_current_revision() == SCHEMA_HEAD


def test_empty_directory_becomes_a_working_archive(tmp_path: Path) -> None:
    home = tmp_path / "new" / "archive"
    assert not home.exists()
    with Archive.open(home) as archive:
        outcome = archive.add(ArticleDraft(title="Hello", body="Hello archive world.", origin="t"))
        assert outcome.status == "added"
        assert archive.search("archive").total == 1
    tables = {
        row[0]
        for row in sqlite3.connect(home / "archive.sqlite3").execute(
            "SELECT name FROM sqlite_master WHERE type='table'"
        )
    }
    assert {"articles", "tags", "index_outbox", "alembic_version"} <= tables
    assert (home / "index").is_dir()


def _schema_of(db_path: Path) -> dict[str, object]:
    """Every table's columns, keys, indexes and foreign keys, and every trigger and view."""
    db = sqlite3.connect(db_path)
    try:
        out: dict[str, object] = {}
        objects = db.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
        ).fetchall()
        for kind, name, _table, sql in objects:
            if kind == "table":
                columns = db.execute(f"PRAGMA table_info('{name}')").fetchall()
                out[f"table {name}"] = {
                    # name, type, not null, default, position in the primary key
                    "columns": sorted((c[1], c[2].upper(), c[3], c[4], c[5]) for c in columns),
                    "foreign keys": sorted(
                        tuple(fk[2:]) for fk in db.execute(f"PRAGMA foreign_key_list('{name}')")
                    ),
                    "indexes": sorted(
                        (
                            ix[2],  # unique
                            ix[3],  # origin: c (CREATE INDEX), u (UNIQUE), pk
                            tuple(col[2] for col in db.execute(f"PRAGMA index_info('{ix[1]}')")),
                            ix[1] if not ix[1].startswith("sqlite_autoindex") else "",
                        )
                        for ix in db.execute(f"PRAGMA index_list('{name}')")
                    ),
                }
            elif kind in ("trigger", "view"):
                out[f"{kind} {name}"] = " ".join(sql.split())
        return out
    finally:
        db.close()


def test_a_new_archive_gets_the_migrated_schema_without_replaying_migrations(
    tmp_path: Path,
) -> None:
    from alembic import command

    from archive.store import create_fresh, make_engine

    fresh = tmp_path / "fresh.sqlite3"
    fresh.touch()
    engine = make_engine(fresh)
    assert create_fresh(engine)
    assert not create_fresh(engine)  # a database with tables is left alone
    engine.dispose()

    migrated = tmp_path / "migrated.sqlite3"
    engine = make_engine(migrated)
    with engine.begin() as conn:
        command.upgrade(_alembic_config(conn), "head")
    engine.dispose()

    expected = _schema_of(migrated)
    assert "table articles" in expected and "table alembic_version" in expected
    assert _schema_of(fresh) == expected
    for db_path in (fresh, migrated):
        row = sqlite3.connect(db_path).execute("SELECT version_num FROM alembic_version")
        assert row.fetchall() == [(SCHEMA_HEAD,)]


def test_opening_a_new_archive_creates_it_at_the_head(
    archive_home: Path,
) -> None:
    with Archive.open(archive_home) as archive:
        with archive.store.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
            assert diff == []
            assert MigrationContext.configure(conn).get_current_revision() == SCHEMA_HEAD
