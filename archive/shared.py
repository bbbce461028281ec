"""A shared store: an archive whose database is a PostgreSQL server (psycopg 3).

SQLite stays the default; a home follows a PostgreSQL database when ``--db URL``,
``$ARCHIVE_DATABASE_URL`` or the config file's ``database`` names one (the home
then remembers it, :attr:`archive.home.Home.url`). This module owns what differs:
checking and showing URLs (never a password), the light reads' connections (the
search path reads a handful of rows without SQLAlchemy, as it does with
``sqlite3``), a connection failure in the user's words, and the two statements
that differ by engine (the dialect's upsert, and id sequences after rows written
with their ids).

The light reads keep ``sqlite3``'s interface on both engines: :func:`connect`
gives an object whose ``execute(sql, params)`` takes ``?`` placeholders, and
whose errors are ``sqlite3``'s (a missing table is ``sqlite3.OperationalError``),
so :mod:`archive.store`'s readers are written once.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from archive.errors import ArchiveError

#: Environment variable naming the database (a PostgreSQL URL).
DATABASE_ENV = "ARCHIVE_DATABASE_URL"
#: Seconds to wait for the server to answer a new connection.
CONNECT_TIMEOUT = 10
SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")


class DatabaseUnreachable(ArchiveError):
    """The database server cannot be reached (the message says which and why)."""


def normalize_url(url: str) -> str:
    """*url* as SQLAlchemy's psycopg 3 URL (``postgresql+psycopg://...``).

    :raises ArchiveError: not a PostgreSQL URL.
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in SCHEMES or not (parts.netloc or parts.query):
        raise ArchiveError(
            f"{shown(url)!r} is not a PostgreSQL URL; give one such as "
            "postgresql://user@host:5432/archive"
        )
    import importlib.util

    if importlib.util.find_spec("psycopg") is None:
        raise ArchiveError(
            "a PostgreSQL database needs the psycopg driver, a dependency of the archive: "
            "pip install 'psycopg[binary]>=3.1'"
        )
    return urlunsplit(parts._replace(scheme="postgresql+psycopg"))


def shown(url: str) -> str:
    """*url* with its password (if any) replaced by ``***``: safe to print."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(":" + parts.password + "@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def libpq_url(url: str) -> str:
    """*url* as libpq (psycopg.connect) takes it."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(scheme="postgresql"))


def unreachable(url: str, exc: BaseException) -> DatabaseUnreachable:
    """A one-line error for a connection that failed or broke."""
    detail = " ".join(str(getattr(exc, "orig", None) or exc).split())
    if len(detail) > 200:
        detail = detail[:200] + "..."
    return DatabaseUnreachable(
        f"cannot use the archive database {shown(url)} ({detail}); "
        "check that the server is running and the URL is right, then try again. "
        "Nothing was changed by the failed step"
    )


def is_connection_error(exc: BaseException) -> bool:
    """Whether *exc* (or what it wraps) is a failed or broken connection."""
    import psycopg

    inner = getattr(exc, "orig", None) or exc
    if getattr(exc, "connection_invalidated", False):
        return True
    return isinstance(inner, psycopg.OperationalError) and not isinstance(
        inner, psycopg.errors.LockNotAvailable | psycopg.errors.QueryCanceled
    )


class LightConnection:
    """A psycopg connection with ``sqlite3``'s ``execute`` (``?`` placeholders)."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.url = url
        from psycopg.types.string import TextLoader

        try:
            self.conn = psycopg.connect(
                libpq_url(url), autocommit=True, connect_timeout=CONNECT_TIMEOUT
            )
        except psycopg.Error as exc:
            raise unreachable(url, exc) from exc
        # JSON columns as text, as sqlite3 gives them (the readers decode them).
        self.conn.adapters.register_loader("json", TextLoader)

    def execute(self, sql: str, params: Any = ()) -> Any:
        import psycopg

        sql = sql.replace("%", "%%").replace("?", "%s")
        try:
            return self.conn.execute(sql, tuple(params))
        except psycopg.errors.UndefinedTable as exc:
            raise sqlite3.OperationalError(str(exc)) from exc
        except psycopg.OperationalError as exc:
            _forget(self.url)
            raise unreachable(self.url, exc) from exc
        except psycopg.Error as exc:
            raise sqlite3.DatabaseError(str(exc)) from exc

    def close(self) -> None:
        """Kept open for the next read in this thread (see :func:`connect`)."""


_local = threading.local()


def connect(url: str) -> LightConnection:
    """A light connection to the database at *url*, one per thread, reused (a new
    connection costs a round trip or three; a search makes a few reads). A broken
    connection is dropped and made again once.

    :raises DatabaseUnreachable: the server cannot be reached.
    """
    cache: dict[str, LightConnection] = _local.__dict__.setdefault("conns", {})
    light = cache.get(url)
    if light is not None and not light.conn.closed and not light.conn.broken:
        try:
            light.conn.execute("SELECT 1")
            return light
        except Exception:  # noqa: BLE001 - a dead connection: make a new one below
            _forget(url)
    light = LightConnection(url)
    cache[url] = light
    return light


def _forget(url: str) -> None:
    cache: dict[str, LightConnection] = _local.__dict__.setdefault("conns", {})
    light = cache.pop(url, None)
    if light is not None:
        try:
            light.conn.close()
        except Exception:  # noqa: BLE001, S110 - already broken
            pass


def follow(home: Any, url: str) -> None:
    """Make the archive home *home* (an :class:`archive.home.Home`) follow the
    PostgreSQL database at *url*: the home remembers the URL (``database.url``).

    :raises ArchiveError: the home holds a SQLite archive (move it with ``archive
        migrate --to URL``) or already follows another database.
    """
    url = normalize_url(url)
    current = home.url
    if current == url:
        return
    if current is not None:
        raise ArchiveError(
            f"the archive home {home.path} follows the database {shown(current)}, "
            f"not {shown(url)}; give another --home for another database"
        )
    if home.db.exists():
        raise ArchiveError(
            f"the archive home {home.path} holds a SQLite archive; move it to "
            f"{shown(url)} with 'archive migrate --to URL', or give another --home"
        )
    home.path.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = home.url_file.with_name(home.url_file.name + ".tmp")
    fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)  # may hold a password
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(url + "\n")
    os.replace(tmp, home.url_file)


def follow_explicit_ids(conn: Any) -> None:
    """After rows were written with their ids given (import, migrate): on PostgreSQL,
    move each table's id sequence past the largest id, so that new rows take the
    next ones (SQLite's rowids need nothing)."""
    if conn.dialect.name != "postgresql":
        return
    from sqlalchemy import Integer, text

    from archive.models import Base

    for table in Base.metadata.sorted_tables:
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or not isinstance(keys[0].type, Integer):
            continue
        if keys[0].autoincrement not in (True, "auto") or keys[0].foreign_keys:
            continue
        name, col = table.name, keys[0].name
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{name}', '{col}'), "
                f'coalesce(max("{col}"), 0) + 1, false) FROM "{name}"'
            )
        )


def upsert_insert(session: Any) -> Any:
    """The ``insert`` construct of the session's database (SQLite's or PostgreSQL's),
    both with ``on_conflict_do_update``/``on_conflict_do_nothing``."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    from sqlalchemy.dialects.sqlite import insert

    return insert
