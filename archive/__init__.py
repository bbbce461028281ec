"""A searchable archive of news articles: SQLite storage, a Whoosh index, highlighted passages.

The public API::

    from archive import Archive, ArticleDraft

    with Archive.open("~/my-archive") as archive:
        archive.add(ArticleDraft(title="...", body="...", origin="notes.txt"))
        results = archive.search("deploy troops")

Names are imported lazily so that ``import archive`` stays cheap for the CLI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = [
    "Archive",
    "ArchiveError",
    "ArticleDraft",
    "ArticleNotFound",
    "ArticleRecord",
    "InputError",
    "Overrides",
    "QueryError",
    "search",
]

_WHERE = {
    "Archive": "archive.core",
    "ArticleDraft": "archive.ingest.draft",
    "Overrides": "archive.ingest.draft",
    "ArticleRecord": "archive.records",
    "ArchiveError": "archive.errors",
    "ArticleNotFound": "archive.errors",
    "InputError": "archive.errors",
    "QueryError": "archive.errors",
    "search": "archive.searching",
}

if TYPE_CHECKING:
    from archive.core import Archive
    from archive.errors import ArchiveError, ArticleNotFound, InputError, QueryError
    from archive.ingest.draft import ArticleDraft, Overrides
    from archive.records import ArticleRecord
    from archive.searching import search


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        from importlib import import_module

        return getattr(import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'archive' has no attribute {name!r}")
