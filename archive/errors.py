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
