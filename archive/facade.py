"""The Archive: one object to read, add to, change and look after an archive home.

It is the :class:`~archive.reading.Reader` of its home (search, similar, get,
list, stats), the :class:`~archive.intake.Intake` (ingest, add), and the
owner of an :class:`~archive.consistency.IndexKeeper`, which keeps the
database and the index in step for every change (delete, reindex, optimize,
check). Open it with :meth:`Archive.open` and close it (or use ``with``).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from archive.consistency import IndexKeeper
from archive.errors import ArticleNotFound
from archive.intake import Intake
from archive.reading import Reader
from archive.records import CheckReport

if TYPE_CHECKING:
    from whoosh.index import FileIndex

    from archive.store import Store


class Archive(Intake, Reader):
    """An article archive in one home directory (the database and the index side by side)."""

    def __init__(self, keeper: IndexKeeper) -> None:
        Reader.__init__(self, keeper.home)
        self.keeper = keeper
        self.notices = keeper.notices

    @classmethod
    def open(cls, home: Path | str, *, lock_timeout: float | None = None) -> Archive:
        """Open the archive at *home*, creating it if needed and upgrading its schema.

        Index work left owed by an interrupted run is finished here (unless
        another process is writing: it finishes it instead). A missing or empty
        index is rebuilt from the database, with a notice in :attr:`notices`; a
        damaged one makes index operations raise
        :class:`~archive.errors.IndexUnavailable` until ``reindex``.

        :param lock_timeout: seconds to wait for another writer (default:
            ``$ARCHIVE_LOCK_TIMEOUT``, else 60).
        :raises ArchiveError: the home cannot be used, the database is damaged or
            was made by a newer version of the tool.
        """
        return cls(IndexKeeper.open(home, lock_timeout=lock_timeout))

    def close(self) -> None:
        self.keeper.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def store(self) -> Store:
        return self.keeper.store

    @property
    def ix(self) -> FileIndex:
        """The open index. :raises IndexUnavailable: it is damaged (run ``reindex``)."""
        return self.keeper.ix

    @property
    def index_path(self) -> Path:
        return self.paths.index

    @property
    def db_path(self) -> Path:
        return self.paths.db

    # --- changing and looking after the archive -------------------------------------------

    def delete(self, ids: Iterable[int]) -> list[int]:
        """Delete articles by id from the database and the index.

        :raises ArticleNotFound: an id is not in the archive (nothing is deleted then).
        """
        from sqlalchemy import select

        from archive.decisions import forget_files
        from archive.models import Article

        wanted = list(dict.fromkeys(ids))
        with self.keeper.writing() as (session, changes):
            found = {
                a.id: a for a in session.scalars(select(Article).where(Article.id.in_(wanted)))
            }
            for article_id in wanted:
                if article_id not in found:
                    raise ArticleNotFound(article_id)
            for article in found.values():
                session.delete(article)
            forget_files(session, [a.origin for a in found.values()])
            changes.delete(wanted)
        return wanted

    def settle(self, *, wait: bool = True) -> int:
        """Apply index work a crash left owed; returns how many articles.

        :param wait: wait for another writer's lock; if false and the lock is
            taken, do nothing (that writer settles owed work itself).
        """
        return self.keeper.settle(wait=wait)

    def reindex(self) -> int:
        """Rebuild the whole index from the database; the old one serves until the new is done.

        Writers wait while it runs. Returns the number of articles indexed.
        """
        return self.keeper.reindex()

    def optimize(self) -> None:
        """Merge the index's segments into one."""
        self.keeper.optimize()

    def check(self, *, repair: bool = False) -> CheckReport:
        """Compare the database with the index, and with *repair* bring the index in line.

        See :meth:`archive.consistency.IndexKeeper.check`.
        """
        return self.keeper.check(repair=repair)
