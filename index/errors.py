"""Errors raised by the Whoosh side. Named so they never shadow builtins."""

from __future__ import annotations


class IndexingError(Exception):
    """The index could not be opened, written or committed."""


class IndexLockedError(IndexingError):
    """Another process holds the index write lock."""


class QuerySyntaxError(ValueError):
    """A query string could not be parsed."""


class IndexOutdatedError(IndexingError):
    """The index was built by an older version of the analysis or schema."""
