"""Errors the archive raises: each one's message is what a user reads.

The CLI turns any :class:`ArchiveError` into a one-line message on stderr and
exit status 1; anything else is a bug and deserves its traceback.
"""

from __future__ import annotations


class ArchiveError(Exception):
    """Something the user can fix went wrong."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or (self.__doc__ or "").strip())


class ArticleNotFound(ArchiveError):
    """No article with that id."""

    def __init__(self, article_id: object) -> None:
        super().__init__(f"no article with id {article_id} (see 'archive list')")
        self.article_id = article_id


class InputError(ArchiveError):
    """An input (file, stdin or record) could not be ingested."""

    def __init__(self, origin: str, reason: str) -> None:
        super().__init__(f"{origin}: {reason}")
        self.origin = origin
        self.reason = reason


class QueryError(ArchiveError):
    """A search query could not be understood."""


class BadOptionValue(QueryError):
    """A value given for a command-line option (a date, a FIELD=VALUE) cannot be read:
    the CLI reports it as the usage error it is (exit status 2), naming the option."""

    def __init__(self, option: str, message: str) -> None:
        super().__init__(message)
        #: The option as the command line spells it (``--since``).
        self.option = option


class IndexUnavailable(ArchiveError):
    """The full-text index is missing, locked or damaged."""


class SchemaTooNew(ArchiveError):
    """The archive was made by a newer version of this tool."""


class ArchiveBusy(ArchiveError):
    """Another process holds the archive's write lock."""


class DatabaseDamaged(ArchiveError):
    """The archive database cannot be read."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C stopped an ingest run; :attr:`report` says what it had stored by then
    (every batch it counts is committed, and none it does not count is)."""

    def __init__(self, report: object) -> None:
        super().__init__()
        self.report = report


#: What the user is told after an index error, by what was going on (see :func:`index_unavailable`).
ADVICE = {
    # a change to one or more articles (delete, import): the database committed it
    "change": "the database has the change and the index will catch up the next time the "
    "archive is opened (or run 'archive check --repair')",
    # an ingest run: its earlier batches are stored
    "ingest": "the articles stored before this are kept in the database and the index will "
    "catch up the next time the archive is opened (or run 'archive check --repair')",
    # replaying index work a crash left owed
    "settle": "could not finish the index work an interrupted run left "
    "(run 'archive reindex' to rebuild the index)",
    # the index cannot be opened or read
    "damaged": "run 'archive reindex' to rebuild it",
    # the index cannot be opened while the archive is open for writing
    "unusable": "run 'archive reindex' to rebuild it from the database "
    "(every article is kept there, nothing is lost)",
    # the index was built by an older version
    "outdated": "run 'archive reindex' to update it",
    # check --repair could not write the fixes
    "repair": "run 'archive reindex'",
}


def index_unavailable(problem: BaseException | str, doing: str | None = None) -> IndexUnavailable:
    """The one place an index failure becomes the user's error.

    :param problem: the index error (or its words).
    :param doing: a key of :data:`ADVICE` saying what was going on, which decides what
        the user is told to do; None: the problem alone (a lock held by another process).
    """
    from index.errors import IndexLockedError

    if doing is None or isinstance(problem, IndexLockedError):
        return IndexUnavailable(str(problem))
    if doing == "rebuild":
        return IndexUnavailable(
            f"could not rebuild the search index ({problem}); the old index, if any, is unchanged"
        )
    return IndexUnavailable(f"{problem}; {ADVICE[doing]}")


class DiskFull(ArchiveError):
    """No space is left on the device holding the archive."""


class ReadOnlyHome(ArchiveError):
    """The archive home cannot be written."""


#: Free bytes under which a device counts as full (SQLite reports a full disk as an
#: I/O error when the write-ahead log cannot grow).
NEARLY_FULL = 256 * 1024


def device_full(path: object) -> bool:
    """Whether the device holding *path* (or its nearest existing parent) is full."""
    import os
    from pathlib import Path

    where = Path(str(path))
    while not where.exists() and where != where.parent:
        where = where.parent
    try:
        st = os.statvfs(where)
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < NEARLY_FULL


def environment_error(exc: BaseException, home: object = None) -> ArchiveError | None:
    """The user's words for a failure of the machine, not of the archive: a full disk
    or a home that cannot be written (``None``: *exc* is neither).

    Looks through the exceptions *exc* was raised from (SQLAlchemy wraps sqlite3's),
    so that a full disk is never reported as damage or as a traceback.

    :param home: the archive home, named in the message and checked for free space.
    """
    import errno

    where = f" holding {home}" if home is not None else ""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, DiskFull | ReadOnlyHome):
            return current
        code = getattr(current, "errno", None)
        detail = str(getattr(current, "orig", current))
        full = code in (errno.ENOSPC, errno.EDQUOT) or "database or disk is full" in detail
        if not full and "disk I/O" in detail and home is not None:
            full = device_full(home)
        if full:
            return DiskFull(
                f"no space left on the device{where}: free some space and run the command "
                "again (what was stored before is kept; nothing is damaged)"
            )
        unopenable = "unable to open database file" in detail and not _writable(home)
        if code == errno.EROFS or "readonly database" in detail or unopenable:
            return ReadOnlyHome(
                f"the archive{where} cannot be written (read-only): reading commands "
                "(search, list, show, export) still work"
            )
        current = current.__cause__ or current.__context__
    return None


def _writable(home: object) -> bool:
    """Whether the folder *home* can be written (True when unknown: not a read-only home)."""
    import os

    return home is None or not os.path.isdir(str(home)) or os.access(str(home), os.W_OK)


#: Words of SQLite's errors that mean the database file is damaged.
DAMAGE_WORDS = ("not a database", "malformed", "disk I/O", "corrupt", "Could not decode")


def damage_error(exc: BaseException, db: object) -> DatabaseDamaged | None:
    """The user's words for a database error that means damage (``None``: it does not).

    A full disk or a read-only home (:func:`environment_error`) is never called damage.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        detail = str(getattr(current, "orig", current)).splitlines()[0] if str(current) else ""
        if any(w in detail for w in DAMAGE_WORDS):
            return DatabaseDamaged(
                f"the archive database {db} cannot be read ({detail[:200]}); it is damaged: "
                "'archive check' says how, and what to do"
            )
        current = current.__cause__ or current.__context__
    return None


def machine_error(exc: BaseException, home: object) -> ArchiveError | None:
    """The user's words for *exc* if it is a full disk, a read-only home or a damaged
    database, wherever in a command it surfaced (``None``: it is none of them: a bug)."""
    problem = environment_error(exc, home)
    if problem is None and home is not None:
        from archive.home import DB_NAME

        problem = damage_error(exc, f"{home}/{DB_NAME}")
    return problem
