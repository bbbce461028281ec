"""The database: engine and sessions, SQLite settings, schema upgrades on open.

This is the only module that talks to the database. Writers use SQLAlchemy
sessions (:class:`Store`); readers (:mod:`archive.reading`) use the light
functions at the end, which read rows with the standard library's ``sqlite3``:
a search or a ``show`` needs a handful of rows, and importing SQLAlchemy costs
more than the whole command.

The database is a SQLite file (a :class:`~pathlib.Path`, the default) or a
PostgreSQL URL (a ``str``, :mod:`archive.shared`): every function here takes
either (``Db``). The same models and migrations serve both.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archive.errors import ArchiveBusy, ArchiveError, SchemaTooNew, damage_error, environment_error

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session

    from archive.records import ArticleRecord, FieldChangeRecord, NoteRecord, RevisionRecord
    from archive.shared import LightConnection

#: The Alembic revision the code expects. A test checks it is the migrations' head.
SCHEMA_HEAD = "0008"
#: Where an archive's database is: a SQLite file, or a PostgreSQL URL.
Db = Path | str
#: The key of the PostgreSQL advisory lock a schema upgrade holds (two processes
#: opening a new shared archive at once must not both create its tables).
_UPGRADE_LOCK = 0x61726368
#: Milliseconds a connection waits for another writer before failing.
BUSY_TIMEOUT_MS = 60_000


def _configure(dbapi_conn: sqlite3.Connection, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> None:
    # The driver must not open transactions itself: _begin does (see make_engine).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    cur.execute("PRAGMA journal_mode = WAL")
    cur.execute("PRAGMA synchronous = NORMAL")
    cur.execute("PRAGMA foreign_keys = ON")
    cur.close()


def make_engine(db_path: Db, *, busy_timeout: float = BUSY_TIMEOUT_MS / 1000) -> Engine:
    """An engine for the database at *db_path*, with WAL, a busy timeout and foreign keys.

    A PostgreSQL URL gets a pooled engine whose connections are tested before use
    (a server restarted since is reconnected to) and wait at most
    *busy_timeout* for a row another writer holds.

    :param busy_timeout: seconds a connection waits for another process's write lock.
    """
    from sqlalchemy import create_engine, event

    if isinstance(db_path, str):
        from archive.shared import CONNECT_TIMEOUT

        return create_engine(
            db_path,
            pool_pre_ping=True,
            connect_args={
                "connect_timeout": CONNECT_TIMEOUT,
                "options": f"-c lock_timeout={int(busy_timeout * 1000)}",
            },
        )
    engine = create_engine(f"sqlite:///{db_path}")
    timeout_ms = int(busy_timeout * 1000)
    event.listen(engine, "connect", lambda conn, _rec: _configure(conn, timeout_ms))
    event.listen(engine, "begin", _begin)
    return engine


def _begin(conn: Any) -> None:
    # A write transaction takes SQLite's write lock at BEGIN, so it waits (busy timeout)
    # instead of failing when it later upgrades a read lock held beside another writer.
    immediate = conn.get_execution_options().get("immediate", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _alembic_config(connection: Any, script_location: str | None = None) -> Any:
    from alembic.config import Config

    import migrations

    cfg = Config()
    cfg.set_main_option("script_location", script_location or str(Path(migrations.__file__).parent))
    cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine: Engine, *, script_location: str | None = None) -> None:
    """Bring the schema to the migrations' head; refuse a database from a newer tool.

    Safe when several processes open a new archive at once: the upgrade runs in
    one ``BEGIN IMMEDIATE`` transaction (SQLite's DDL is transactional) and the
    revision is read again once the write lock is held. Foreign keys are off
    while it runs, as SQLite's procedure for schema changes asks: a batch
    migration copies and drops tables, and a DROP with foreign keys on would
    cascade into the rows that point at the dropped table (tags, revisions).

    :param script_location: another migrations directory (for tests).
    """
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    def current_revision(conn: Any) -> str | None:
        rev = MigrationContext.configure(conn).get_current_revision()
        if rev is not None and rev not in known:
            raise SchemaTooNew(
                f"this archive was written by a newer version of the tool (schema {rev}, "
                f"this version knows up to {head}); upgrade the tool "
                "(pip install -U article-archive) to use it. Nothing was changed"
            )
        return rev

    with engine.connect() as conn:
        script = ScriptDirectory.from_config(_alembic_config(conn, script_location))
        known = {r.revision for r in script.walk_revisions()}
        head = script.get_current_head()
        if current_revision(conn) == head:
            return
        conn.rollback()
        if engine.dialect.name != "sqlite":
            # PostgreSQL's DDL is transactional too; an advisory lock stands for
            # BEGIN IMMEDIATE, so one process upgrades and the others then find it done.
            with conn.begin():
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_UPGRADE_LOCK})")
                if current_revision(conn) != head:
                    command.upgrade(_alembic_config(conn, script_location), "head")
            return
        raw = conn.connection.dbapi_connection  # PRAGMAs outside any transaction
        assert raw is not None
        raw.execute("PRAGMA foreign_keys = OFF")
        try:
            conn = conn.execution_options(immediate=True)
            with conn.begin():
                if current_revision(conn) != head:
                    command.upgrade(_alembic_config(conn, script_location), "head")
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise ArchiveError(
                            f"the schema upgrade would break {len(broken)} references "
                            "between tables; it was rolled back and nothing was changed"
                        )
        finally:
            raw.execute("PRAGMA foreign_keys = ON")


#: The table Alembic keeps the revision in, as Alembic creates it.
_ALEMBIC_VERSION_TABLE = (
    "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
    "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"
)


def create_fresh(engine: Engine) -> bool:
    """Give an empty database the whole schema at once, stamped :data:`SCHEMA_HEAD`.

    The models' ``create_all`` and one row in ``alembic_version``, instead of
    replaying every migration through Alembic (whose script loading alone cost
    60-100 ms for each new archive, most of a small test's time);
    ``tests/test_migrations.py`` checks that the two give the same schema. Safe
    when several processes create the archive at once: it runs in one
    ``BEGIN IMMEDIATE`` transaction and looks again for tables once the write
    lock is held. Returns False (nothing done) if the database has any table.
    """
    from archive.models import Base

    if engine.dialect.name != "sqlite":
        return False  # a shared store's schema is always made by the migrations
    with engine.connect() as conn:
        conn = conn.execution_options(immediate=True)
        with conn.begin():
            if conn.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar():
                return False
            Base.metadata.create_all(conn)
            conn.exec_driver_sql(_ALEMBIC_VERSION_TABLE)
            conn.exec_driver_sql(
                "INSERT INTO alembic_version (version_num) VALUES (?)", (SCHEMA_HEAD,)
            )
    return True


def _empty(db_path: Db) -> bool:
    """Whether the database at *db_path* holds no table at all (a new archive)."""
    if isinstance(db_path, str):
        return False  # (a shared store's schema is made by the migrations)
    conn = connect_readonly(db_path)
    try:
        return not conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    except sqlite3.DatabaseError:
        return False  # damaged: the upgrade path reports it
    finally:
        conn.close()


def schema_revision(db_path: Db) -> str | None:
    """The schema revision of the database at *db_path*, read without SQLAlchemy."""
    conn = connect_readonly(db_path)
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        return None
    finally:
        conn.close()
    return row[0] if row else None


class Store:
    """Sessions on one archive database; the schema is upgraded when it is opened.

    :param busy_timeout: seconds to wait for another process's database write lock.
    :raises DatabaseDamaged: the file is not a readable SQLite database.
    :raises SchemaTooNew: the database was made by a newer version of the tool.
    """

    def __init__(self, db_path: Db, *, busy_timeout: float = BUSY_TIMEOUT_MS / 1000) -> None:
        from sqlalchemy.exc import DBAPIError

        self.path = db_path
        self.busy_timeout = busy_timeout
        if isinstance(db_path, Path) and not db_path.exists():
            # Created readable by the user only; SQLite gives -wal/-shm the same mode.
            fd = os.open(db_path, os.O_CREAT | os.O_WRONLY, 0o600)
            os.close(fd)
        self.engine = make_engine(db_path, busy_timeout=busy_timeout)
        try:
            # Reading the revision with sqlite3 first spares the common case (already
            # at head) the import of Alembic.
            if schema_revision(db_path) != SCHEMA_HEAD and not (
                _empty(db_path) and create_fresh(self.engine)
            ):
                upgrade(self.engine)
        except ArchiveError:
            self.engine.dispose()
            raise
        except DBAPIError as exc:
            self.engine.dispose()
            error = self._translate(exc)
            if error is None:
                raise
            raise error from exc

    @property
    def shared(self) -> bool:
        """Whether the database is a shared server (PostgreSQL), not a SQLite file."""
        return isinstance(self.path, str)

    def retry_after(self, exc: BaseException, attempt: int) -> float | None:
        """Seconds to wait before running again a transaction that failed with *exc*
        (None: not a failure to retry). On a shared store: a write conflict with
        another writer (at once), or a lost server (1, 2, 4... s: a restart)."""
        from archive.shared import DatabaseUnreachable

        if isinstance(exc, DatabaseUnreachable):
            return float(2**attempt)
        return 0.0 if self.conflict(exc) else None

    def conflict(self, exc: BaseException) -> bool:
        """Whether *exc* is a shared store's write conflict with another writer (a
        unique key another transaction took first, a deadlock, a serialization
        failure): the transaction was rolled back and may be run again."""
        if not self.shared:
            return False
        import psycopg

        for e in (exc, exc.__cause__, getattr(exc, "orig", None)):
            inner = getattr(e, "orig", e)
            if isinstance(
                inner,
                psycopg.errors.UniqueViolation
                | psycopg.errors.DeadlockDetected
                | psycopg.errors.SerializationFailure,
            ):
                return True
        return False

    def _translate(self, exc: Exception) -> ArchiveError | None:
        """The user's words for a database error (None: not one a user can act on)."""
        if isinstance(self.path, str):
            from archive.shared import is_connection_error, shown, unreachable

            if is_connection_error(exc):
                return unreachable(self.path, exc)
            detail = str(getattr(exc, "orig", exc))
            if "lock timeout" in detail:
                return ArchiveBusy(
                    f"the archive database {shown(self.path)} kept a row locked by another "
                    f"writer past {self.busy_timeout:g}s; try again, or set "
                    "ARCHIVE_LOCK_TIMEOUT to wait longer"
                )
            return None
        detail = str(getattr(exc, "orig", exc))
        if "locked" in detail or "busy" in detail:
            return ArchiveBusy(
                f"the archive database {self.path} is locked by another process "
                f"(waited {self.busy_timeout:g}s); wait for it to finish, "
                "or set ARCHIVE_LOCK_TIMEOUT to wait longer"
            )
        machine = environment_error(exc, self.path.parent)
        if machine is not None:
            return machine  # a full disk or a read-only home is not damage
        return damage_error(exc, self.path)

    @contextmanager
    def session(self, *, write: bool = False) -> Iterator[Session]:
        """A session in one transaction: committed at the end, rolled back on error.

        :param write: take the database's write lock when the transaction begins.
        :raises ArchiveBusy: another process kept the database locked past the timeout.
        """
        from sqlalchemy.exc import DBAPIError
        from sqlalchemy.orm import Session

        bind = self.engine.execution_options(immediate=True) if write else self.engine
        try:
            with Session(bind, expire_on_commit=False) as session, session.begin():
                yield session
        except DBAPIError as exc:
            error = self._translate(exc)
            if error is None:
                raise
            raise error from exc

    @classmethod
    def read_only(cls, db_path: Path, *, busy_timeout: float = BUSY_TIMEOUT_MS / 1000) -> Store:
        """Sessions that only read the database at *db_path*: nothing is created, set or
        upgraded (a home the user may read but not write; see :func:`_connect_readonly`).

        :raises ArchiveError: there is no database there, or its schema needs an upgrade
            (which needs write access).
        """
        from sqlalchemy import create_engine, event
        from sqlalchemy.pool import NullPool

        if not db_path.is_file():
            raise ArchiveError(f"there is no archive database at {db_path}")
        if schema_revision(db_path) != SCHEMA_HEAD:
            raise ArchiveError(
                f"the archive database {db_path} needs a schema upgrade, which needs write "
                "access to its folder; run the command once as a user who can write it"
            )

        def connect() -> sqlite3.Connection:
            conn = connect_readonly(db_path)
            assert isinstance(conn, sqlite3.Connection)  # a file's path: SQLite
            conn.isolation_level = None  # _begin opens the transactions, as in make_engine
            return conn

        self = cls.__new__(cls)
        self.path = db_path
        self.busy_timeout = busy_timeout
        self.engine = create_engine("sqlite://", creator=connect, poolclass=NullPool)
        event.listen(self.engine, "begin", _begin)
        return self

    def close(self) -> None:
        self.engine.dispose()


# --- The search path: standard-library sqlite3 only -------------------------------------

SEARCH_COLUMNS = ("id", "title", "body", "author", "source", "url", "published")


def connect_readonly(db_path: Db) -> sqlite3.Connection | LightConnection:
    """A connection for light reads (``?`` placeholders, ``sqlite3``'s errors) to the
    SQLite file, read-only, or to the PostgreSQL database (:func:`archive.shared.connect`)."""
    if isinstance(db_path, str):
        from archive.shared import connect

        return connect(db_path)
    mode = "ro"
    wal = db_path.with_name(db_path.name + "-wal")
    if not os.access(db_path.parent, os.W_OK) and (not wal.exists() or not wal.stat().st_size):
        # A home the user may read but not write (another user's archive, a read-only
        # mount): SQLite cannot create the WAL index beside a WAL-mode database, and
        # with no log to read there is nothing it would hold: read the file as it is.
        mode = "ro&immutable=1"
    conn = sqlite3.connect(f"file:{db_path}?mode={mode}", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    return conn


def read_for_search(db_path: Db, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """The fields search results show, for *ids*, keyed by id; ids not found are absent."""
    if not ids:
        return {}
    conn = connect_readonly(db_path)
    try:
        marks = ",".join("?" * len(ids))
        rows = conn.execute(
            f"SELECT {', '.join(SEARCH_COLUMNS)} FROM articles WHERE id IN ({marks})",
            list(ids),
        ).fetchall()
    finally:
        conn.close()
    return {row[0]: dict(zip(SEARCH_COLUMNS, row, strict=True)) for row in rows}


def exists(db_path: Db) -> bool:
    """Whether the archive's database exists (a shared one is taken to: it is reached
    when read, and an unreachable server is said so then)."""
    return isinstance(db_path, str) or db_path.exists()


def pending_index_work(db_path: Db, applied: Path | None = None) -> int:
    """How many index changes a crash left owed (outbox rows), read without SQLAlchemy;
    on a shared store, the change log's rows this home's index has not applied
    (*applied*: its place in the log, :mod:`archive.changelog`)."""
    conn = connect_readonly(db_path)
    if isinstance(db_path, str):
        from archive.changelog import behind, read_applied

        try:
            return behind(conn, read_applied(applied) if applied is not None else None)
        except sqlite3.DatabaseError as exc:
            raise ArchiveError(f"the archive database cannot be read ({exc})") from exc
    try:
        return int(conn.execute("SELECT count(*) FROM index_outbox").fetchone()[0])
    except sqlite3.DatabaseError as exc:
        raise ArchiveError(f"the archive database {db_path} cannot be read ({exc})") from exc
    finally:
        conn.close()


def _iso_datetime(value: str | datetime) -> datetime:
    """A ``DateTime`` column as SQLAlchemy stores it in SQLite, read back (PostgreSQL's
    driver gives a ``datetime`` already)."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


ARTICLE_COLUMNS = (
    *("id", "title", "body", "author", "source", "url", "published", "origin"),
    *("content_hash", "ingested", "updated", "extra"),
)


def read_articles(
    db_path: Db, *, ids: Sequence[int] | None = None, limit: int | None = None
) -> list[ArticleRecord]:
    """Articles with every field: those with *ids*, or the newest *limit* (None: all).

    Newest means by publication date, else by ingest time, then by id.
    """
    from archive.records import ArticleRecord

    sql = f"SELECT {', '.join(ARTICLE_COLUMNS)} FROM articles"
    params: list[Any] = []
    if ids is not None:
        sql += f" WHERE id IN ({','.join('?' * len(ids))})"
        params.extend(ids)
    sql += " ORDER BY coalesce(published_at, ingested) DESC, id DESC"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    conn = connect_readonly(db_path)
    try:
        rows = [dict(zip(ARTICLE_COLUMNS, r, strict=True)) for r in conn.execute(sql, params)]
        tags: dict[int, list[str]] = {r["id"]: [] for r in rows}
        for chunk in range(0, len(rows), 500):
            ids_here = [r["id"] for r in rows[chunk : chunk + 500]]
            for article_id, name in conn.execute(
                f"SELECT article_id, name FROM tags WHERE article_id IN "
                f"({','.join('?' * len(ids_here))}) ORDER BY article_id, position",
                ids_here,
            ):
                tags[article_id].append(name)
    finally:
        conn.close()
    return [
        ArticleRecord(
            **{k: v for k, v in r.items() if k not in ("ingested", "updated", "extra")},
            tags=tags[r["id"]],
            ingested=_iso_datetime(r["ingested"]),
            updated=_iso_datetime(r["updated"]),
            extra=json.loads(r["extra"]) if r["extra"] is not None else None,
        )
        for r in rows
    ]


REVISION_COLUMNS = (
    "id",
    "article_id",
    "title",
    "body",
    "author",
    "source",
    "url",
    "published",
    "origin",
    "content_hash",
    "stored",
    "replaced",
)


def read_revisions(db_path: Db, article_id: int) -> list[RevisionRecord]:
    """The earlier texts of article *article_id*, oldest first."""
    from archive.records import RevisionRecord

    conn = connect_readonly(db_path)
    try:
        rows = conn.execute(
            f"SELECT {', '.join(REVISION_COLUMNS)} FROM revisions WHERE article_id = ? ORDER BY id",
            [article_id],
        ).fetchall()
    finally:
        conn.close()
    out = []
    for row in rows:
        r = dict(zip(REVISION_COLUMNS, row, strict=True))
        r["stored"] = _iso_datetime(r["stored"])
        r["replaced"] = _iso_datetime(r["replaced"])
        out.append(RevisionRecord(**r))
    return out


def database_bytes(url: str) -> int:
    """The size of a shared (PostgreSQL) database on its server."""
    conn = connect_readonly(url)
    return int(conn.execute("SELECT pg_database_size(current_database())").fetchone()[0])


def count_articles(db_path: Db) -> int:
    conn = connect_readonly(db_path)
    try:
        return int(conn.execute("SELECT count(*) FROM articles").fetchone()[0])
    finally:
        conn.close()


#: The SQL behind each kind of value shell completion offers (value, description).
_COMPLETIONS = {
    "id": "SELECT CAST(id AS TEXT), title FROM articles WHERE CAST(id AS TEXT) LIKE ? "
    "ORDER BY id DESC",
    "tag": "SELECT name, count(*) || ' articles' FROM tags WHERE name LIKE ? "
    "GROUP BY name ORDER BY count(*) DESC",
    "source": "SELECT source, count(*) || ' articles' FROM articles WHERE source LIKE ? "
    "GROUP BY source ORDER BY count(*) DESC",
    "author": "SELECT author, count(*) || ' articles' FROM articles WHERE author LIKE ? "
    "GROUP BY author ORDER BY count(*) DESC",
    # a feed is named by its id (or address, or title): ids, described by title and address
    "feed": "SELECT CAST(id AS TEXT), coalesce(title || ' <' || url || '>', url) FROM feeds "
    "WHERE CAST(id AS TEXT) LIKE ? ORDER BY id",
}


def complete_values(db_path: Db, kind: str, prefix: str, limit: int) -> list[tuple[str, str]]:
    """Values of *kind* (``id``, ``tag``, ``source``, ``author``, ``feed``) starting with *prefix*,
    each with a short description, most used (or newest) first."""
    like = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    sql = _COMPLETIONS[kind].replace("LIKE ?", "LIKE ? ESCAPE '\\'") + " LIMIT ?"
    conn = connect_readonly(db_path)
    try:
        return [(str(v), str(d or "")) for v, d in conn.execute(sql, (like, limit))]
    finally:
        conn.close()


def read_stats(db_path: Db) -> tuple[int, str | None, str | None, int]:
    """Articles, earliest and latest publication date, and distinct sources."""
    conn = connect_readonly(db_path)
    try:
        count, earliest, latest, sources = conn.execute(
            "SELECT count(id), min(published), max(published), count(DISTINCT source) FROM articles"
        ).fetchone()
    finally:
        conn.close()
    return int(count), earliest, latest, int(sources)


def existing_ids(db_path: Db, ids: Sequence[int]) -> list[int]:
    """Those of *ids* that are articles in the database."""
    conn = connect_readonly(db_path)
    out: list[int] = []
    try:
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT id FROM articles WHERE id IN ({marks})"
            out.extend(row[0] for row in conn.execute(sql, chunk))
    finally:
        conn.close()
    return out


def ids_where(db_path: Db, where: dict[str, list[str]]) -> list[int]:
    """Ids of the articles whose fields have these values (any of a field's values,
    compared whole, ignoring case; an empty value: no value). ``tag`` is one of the
    article's tags."""
    clauses: list[str] = []
    params: list[str] = []
    for name, values in where.items():
        anyof: list[str] = []
        for value in values:
            if name == "tag":
                if value:
                    inner = "SELECT article_id FROM tags WHERE lower(name) = lower(?)"
                    anyof.append(f"id IN ({inner})")
                    params.append(value)
                else:
                    anyof.append("id NOT IN (SELECT article_id FROM tags)")
            elif name in ("source", "author", "title", "url"):
                if value:
                    anyof.append(f"lower({name}) = lower(?)")
                    params.append(value)
                else:
                    anyof.append(f"({name} IS NULL OR {name} = '')")
            else:
                raise ValueError(f"unknown field {name!r}")
        if anyof:
            clauses.append("(" + " OR ".join(anyof) + ")")
    sql = "SELECT id FROM articles" + (" WHERE " + " AND ".join(clauses) if clauses else "")
    conn = connect_readonly(db_path)
    try:
        return [row[0] for row in conn.execute(sql + " ORDER BY id", params)]
    finally:
        conn.close()


def read_field_changes(db_path: Db, article_id: int) -> list[FieldChangeRecord]:
    """The metadata changes of article *article_id*, oldest first."""
    from archive.records import FieldChangeRecord

    conn = connect_readonly(db_path)
    try:
        rows = conn.execute(
            "SELECT field, old, new, changed, how FROM field_changes WHERE article_id = ? "
            "ORDER BY id",
            [article_id],
        ).fetchall()
    finally:
        conn.close()
    return [
        FieldChangeRecord(
            name,
            None if old is None else json.loads(old),
            None if new is None else json.loads(new),
            _iso_datetime(changed),
            how,
        )
        for name, old, new, changed, how in rows
    ]


NOTE_COLUMNS = ("id", "article_id", "text", "created", "quote", "start", "end", "anchor")


def read_notes(
    db_path: Db, *, article_ids: Sequence[int] | None = None, titles: bool = False
) -> list[NoteRecord]:
    """Notes, oldest first: on *article_ids*, or all; with their article's title if asked."""
    from archive.records import NoteRecord

    cols = ", ".join(f"n.{c}" for c in NOTE_COLUMNS)
    sql = f"SELECT {cols}, a.title FROM notes n JOIN articles a ON a.id = n.article_id"
    params: list[int] = []
    if article_ids is not None:
        if not article_ids:
            return []
        sql += f" WHERE n.article_id IN ({','.join('?' * len(article_ids))})"
        params.extend(article_ids)
    conn = connect_readonly(db_path)
    try:
        rows = conn.execute(sql + " ORDER BY n.id", params).fetchall()
    finally:
        conn.close()
    out = []
    for row in rows:
        r = dict(zip(NOTE_COLUMNS, row[:-1], strict=True))
        r["created"] = _iso_datetime(r["created"])
        out.append(NoteRecord(**r, title=row[-1] if titles else None))
    return out


def has_notes(db_path: Db) -> bool:
    """Whether any article has a note (a search then looks for matching ones)."""
    conn = connect_readonly(db_path)
    try:
        return conn.execute("SELECT 1 FROM notes LIMIT 1").fetchone() is not None
    finally:
        conn.close()
