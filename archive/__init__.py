"""A searchable archive of news articles: SQLite storage, a Whoosh index, highlighted passages.

The public API::

    from archive import Archive, ArticleDraft, Reader

    with Archive.open("~/my-archive") as archive:      # to add, change and look after
        archive.add(ArticleDraft(title="...", body="...", origin="notes.txt"))
        results = archive.search("deploy troops")

    results = Reader("~/my-archive").search("deploy troops")   # to read only, lightly

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
    "Reader",
]

_WHERE = {
    "Archive": "archive.facade",
    "ArticleDraft": "archive.ingest.draft",
    "Overrides": "archive.ingest.draft",
    "ArticleRecord": "archive.records",
    "ArchiveError": "archive.errors",
    "ArticleNotFound": "archive.errors",
    "InputError": "archive.errors",
    "QueryError": "archive.errors",
    "Reader": "archive.reading",
}

if TYPE_CHECKING:
    from archive.errors import ArchiveError, ArticleNotFound, InputError, QueryError
    from archive.facade import Archive
    from archive.ingest.draft import ArticleDraft, Overrides
    from archive.reading import Reader
    from archive.records import ArticleRecord


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        from importlib import import_module

        return getattr(import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'archive' has no attribute {name!r}")
