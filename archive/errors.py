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


class IndexUnavailable(ArchiveError):
    """The full-text index is missing, locked or damaged."""


class SchemaTooNew(ArchiveError):
    """The archive was made by a newer version of this tool."""


class ArchiveBusy(ArchiveError):
    """Another process holds the archive's write lock."""


class DatabaseDamaged(ArchiveError):
    """The archive database cannot be read."""


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
