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
