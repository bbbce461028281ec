"""The database: engine and sessions, SQLite settings, schema upgrades on open.

This is the only module that opens SQLAlchemy sessions. It also holds the one
read path that does not use SQLAlchemy at all (:func:`read_for_search`): the
search command needs a handful of rows, and importing SQLAlchemy costs more
than the whole search, so that path uses the standard library's ``sqlite3``.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archive.errors import ArchiveError, SchemaTooNew

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session

DB_NAME = "archive.sqlite3"
#: The Alembic revision the code expects. A test checks it is the migrations' head.
SCHEMA_HEAD = "0001"
#: Milliseconds a connection waits for another writer before failing.
BUSY_TIMEOUT_MS = 60_000


def _configure(dbapi_conn: sqlite3.Connection, _record: object = None) -> None:
    # The driver must not open transactions itself: _begin does (see make_engine).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA journal_mode = WAL")
    cur.execute("PRAGMA synchronous = NORMAL")
    cur.execute("PRAGMA foreign_keys = ON")
    cur.close()


def make_engine(db_path: Path) -> Engine:
    """An engine for the database at *db_path*, with WAL, a busy timeout and foreign keys."""
    from sqlalchemy import create_engine, event

    engine = create_engine(f"sqlite:///{db_path}")
    event.listen(engine, "connect", _configure)
    event.listen(engine, "begin", _begin)
    return engine


def _begin(conn: Any) -> None:
    # A write transaction takes SQLite's write lock at BEGIN, so it waits (busy timeout)
    # instead of failing when it later upgrades a read lock held beside another writer.
    immediate = conn.get_execution_options().get("immediate", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _alembic_config(connection: Any) -> Any:
    from alembic.config import Config

    import migrations

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(migrations.__file__).parent))
    cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine: Engine) -> None:
    """Bring the schema to :data:`SCHEMA_HEAD`; refuse a database from a newer tool."""
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
        cfg = _alembic_config(conn)
        script = ScriptDirectory.from_config(cfg)
        if current is not None and current not in {r.revision for r in script.walk_revisions()}:
            raise SchemaTooNew(
                f"this archive was written by a newer version of the tool (schema {current}); "
                "upgrade the tool to use it"
            )
        if current != script.get_current_head():
            command.upgrade(cfg, "head")
            conn.commit()


def schema_revision(db_path: Path) -> str | None:
    """The schema revision of the database at *db_path*, read without SQLAlchemy."""
    conn = _connect_readonly(db_path)
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        return None
    finally:
        conn.close()
    return row[0] if row else None


class Store:
    """Sessions on one archive database; the schema is upgraded when it is opened."""

    def __init__(self, db_path: Path) -> None:
        self.path = db_path
        fresh = not db_path.exists()
        if fresh:
            # Created readable by the user only; SQLite keeps the mode for -wal/-shm.
            fd = os.open(db_path, os.O_CREAT | os.O_WRONLY, 0o600)
            os.close(fd)
        self.engine = make_engine(db_path)
        # Reading the revision with sqlite3 first spares the common case (already at
        # head) the import of Alembic: about 0.3 s of every command (bench/README.md).
        if fresh or schema_revision(db_path) != SCHEMA_HEAD:
            try:
                upgrade(self.engine)
            except ArchiveError:
                self.engine.dispose()
                raise

    @contextmanager
    def session(self, *, write: bool = False) -> Iterator[Session]:
        """A session in one transaction: committed at the end, rolled back on error.

        :param write: take the database's write lock when the transaction begins.
        """
        from sqlalchemy.orm import Session

        bind = self.engine.execution_options(immediate=True) if write else self.engine
        with Session(bind, expire_on_commit=False) as session, session.begin():
            yield session

    def close(self) -> None:
        self.engine.dispose()


# --- The search path: standard-library sqlite3 only -------------------------------------

SEARCH_COLUMNS = ("id", "title", "body", "author", "source", "url", "published")


def _connect_readonly(db_path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    return conn


def read_for_search(db_path: Path, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """The fields search results show, for *ids*, keyed by id; ids not found are absent."""
    if not ids:
        return {}
    conn = _connect_readonly(db_path)
    try:
        marks = ",".join("?" * len(ids))
        rows = conn.execute(
            f"SELECT {', '.join(SEARCH_COLUMNS)} FROM articles WHERE id IN ({marks})",
            list(ids),
        ).fetchall()
    finally:
        conn.close()
    return {row[0]: dict(zip(SEARCH_COLUMNS, row, strict=True)) for row in rows}


def pending_index_work(db_path: Path) -> int:
    """How many index changes a crash left owed (outbox rows), read without SQLAlchemy."""
    conn = _connect_readonly(db_path)
    try:
        return int(conn.execute("SELECT count(*) FROM index_outbox").fetchone()[0])
    except sqlite3.DatabaseError as exc:
        raise ArchiveError(f"the archive database {db_path} cannot be read ({exc})") from exc
    finally:
        conn.close()
