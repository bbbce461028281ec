"""The Archive: one object to read, add to, change and look after an archive home.

It is the :class:`~archive.reading.Reader` of its home (search, similar, get,
list, stats), the :class:`~archive.intake.Intake` (ingest, add), and the
owner of an :class:`~archive.consistency.IndexKeeper`, which keeps the
database and the index in step for every change (delete, reindex, optimize,
check). Open it with :meth:`Archive.open` and close it (or use ``with``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from archive.consistency import IndexKeeper
from archive.curation import Changes
from archive.errors import ArticleNotFound
from archive.feeds import Feeds
from archive.fetching import Fetching
from archive.intake import Intake
from archive.reading import Reader
from archive.records import CheckReport, DeleteReport, EditReport, NoteRecord

if TYPE_CHECKING:
    from sqlalchemy.orm import Session
    from whoosh.index import FileIndex

    from archive.models import Article
    from archive.progress import Progress
    from archive.store import Store


class Archive(Feeds, Fetching, Intake, Reader):
    """An article archive in one home directory (the database and the index side by side)."""

    def __init__(self, keeper: IndexKeeper) -> None:
        Reader.__init__(self, keeper.home)
        self.keeper = keeper
        self.notices = keeper.notices

    @classmethod
    def open(
        cls,
        home: Path | str,
        *,
        database: str | None = None,
        lock_timeout: float | None = None,
        progress: Progress | None = None,
        index: bool = True,
    ) -> Archive:
        """Open the archive at *home*, creating it if needed and upgrading its schema.

        Index work left owed by an interrupted run is finished here (unless
        another process is writing: it finishes it instead). A missing or empty
        index is rebuilt from the database, with a notice in :attr:`notices`; a
        damaged one makes index operations raise
        :class:`~archive.errors.IndexUnavailable` until ``reindex``.

        :param database: a PostgreSQL URL for the home to follow (a database shared
            by several machines, each with its own index; docs/SCALING.md). None: the
            one the home follows, else the home's own SQLite file.
        :param lock_timeout: seconds to wait for another writer (default:
            ``$ARCHIVE_LOCK_TIMEOUT``, else 60).
        :param progress: where long jobs report their phases and lock waits
            (default: nowhere; see :mod:`archive.progress`).
        :param index: False: neither open nor rebuild the index (:meth:`reindex` will).
        :raises ArchiveError: the home cannot be used, the database is damaged or
            was made by a newer version of the tool.
        """
        return cls(
            IndexKeeper.open(
                home, database=database, lock_timeout=lock_timeout, progress=progress, index=index
            )
        )

    def close(self) -> None:
        self.keeper.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def progress(self) -> Progress:
        """Where long jobs report how they are going (:mod:`archive.progress`)."""
        return self.keeper.progress

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

    def select(
        self,
        *,
        ids: Sequence[int] = (),
        query: str | None = None,
        since: str | None = None,
        until: str | None = None,
        where: Mapping[str, Sequence[str]] | None = None,
    ) -> list[int]:
        """The ids of the articles chosen by ids, a search and field values; see
        :func:`archive.curation.select_ids`."""
        from archive.curation import select_ids

        return select_ids(self, ids=ids, query=query, since=since, until=until, where=where)

    def edit(
        self,
        ids: Iterable[int],
        changes: Changes,
        *,
        query: str | None = None,
        since: str | None = None,
        until: str | None = None,
        where: Mapping[str, Sequence[str]] | None = None,
        dry_run: bool = False,
    ) -> EditReport:
        """Change the metadata of articles, in the database and the index together.

        The articles are *ids*, narrowed (or, without ids, chosen) by *query*
        (with *since*/*until*) and *where*, as :meth:`select` does; none chosen
        is an empty report, not an error.

        Every article is changed or none is (one transaction, one index commit,
        the outbox protocol of :mod:`archive.consistency`). Each changed field's
        old value is kept in the article's history (:meth:`Reader.history`), its
        ``updated`` time moves, and the field is marked as set by hand, so a later
        ingest does not overwrite it with the input's value (the command line's does).

        :param dry_run: work out what would change; write nothing.
        :raises EditError: a bad value (an empty title, a tag with a comma, a bad
            date, a URL another article has); nothing is changed.
        :raises ArticleNotFound: an id is not in the archive; nothing is changed.
        """

        from archive.curation import check_urls, plan, validate, write
        from archive.decisions import now
        from archive.records import ArticleEdit, FieldChangeRecord

        valid = validate(changes)
        wanted = self._chosen(ids, query, since, until, where)
        if not wanted:
            return EditReport(0, [], dry_run)

        def run(session: Session) -> tuple[list[Article], list[ArticleEdit]]:
            articles = articles_by_id(session, wanted)
            check_urls(session, articles, valid)
            when = now()
            changed, edits = [], []
            for article in articles:
                diff = plan(article, valid)
                if not diff:
                    continue
                if not dry_run:
                    write(session, article, diff, when, "edit", published_at=valid.published_at)
                changed.append(article)
                title = next((new for f, _, new in diff if f == "title"), article.title)
                records = [FieldChangeRecord(f, old, new) for f, old, new in diff]
                edits.append(ArticleEdit(article.id, title, records))
            return changed, edits

        if dry_run:
            with self.store.session() as session:
                _, edits = run(session)
        else:
            self.progress.phase("editing", len(wanted))
            with self.keeper.writing() as (session, index):
                changed, edits = run(session)
                session.flush()
                index.upsert(changed)
        return EditReport(len(wanted), edits, dry_run)

    def add_note(self, article_id: int, text: str, *, quote: str | None = None) -> NoteRecord:
        """Add a note to an article; with *quote*, anchored to that passage of its text.

        The note is indexed with the article (the ``note`` field, searched by default).

        :raises ArticleNotFound: no such article.
        :raises NoteError: the note is empty, or the quote is not in the text (or is
            there more than once); nothing is changed.
        """
        from sqlalchemy import select

        from archive.decisions import now
        from archive.models import Article, Note
        from archive.notes import anchor, clean

        body = clean(text)
        with self.keeper.writing() as (session, index):
            article = session.scalar(select(Article).where(Article.id == article_id))
            if article is None:
                raise ArticleNotFound(article_id)
            note = Note(text=body, created=now())
            if quote is not None:
                note.quote, note.start, note.end = anchor(article.body, quote, article_id)
                note.anchor = "ok"
            article.note_rows.append(note)
            session.flush()
            index.upsert([article])
            return NoteRecord.from_model(note)

    def delete_note(self, note_id: int) -> NoteRecord:
        """Delete a note (and take it out of the index). :raises NoteError: no such note."""
        from sqlalchemy import select

        from archive.models import Article, Note
        from archive.notes import NoteError

        with self.keeper.writing() as (session, index):
            note = session.scalar(select(Note).where(Note.id == note_id))
            if note is None:
                raise NoteError(f"no note with id {note_id} (see 'archive notes')")
            record = NoteRecord.from_model(note)
            article = session.scalar(select(Article).where(Article.id == note.article_id))
            assert article is not None
            article.note_rows.remove(note)
            session.flush()
            index.upsert([article])
            return record

    def _chosen(
        self,
        ids: Iterable[int],
        query: str | None,
        since: str | None,
        until: str | None,
        where: Mapping[str, Sequence[str]] | None,
    ) -> list[int]:
        wanted = list(dict.fromkeys(ids))
        if query is None and not where and not since and not until:
            return wanted
        return self.select(ids=wanted, query=query, since=since, until=until, where=where)

    def delete(self, ids: Iterable[int]) -> list[int]:
        """Delete articles by id from the database and the index; returns their ids.

        :raises ArticleNotFound: an id is not in the archive (nothing is deleted then).
        """
        return self.remove(ids).ids

    def remove(
        self,
        ids: Iterable[int],
        *,
        query: str | None = None,
        since: str | None = None,
        until: str | None = None,
        where: Mapping[str, Sequence[str]] | None = None,
        dry_run: bool = False,
    ) -> DeleteReport:
        """Delete articles from the database and the index; names what went.

        The articles are chosen as for :meth:`edit`.

        :param dry_run: name what would be deleted; delete nothing.
        :raises ArticleNotFound: an id is not in the archive (nothing is deleted then).
        """

        from archive.decisions import forget_files

        wanted = self._chosen(ids, query, since, until, where)
        if not wanted:
            return DeleteReport([], dry_run)

        def find(session: Session) -> list[Article]:
            return articles_by_id(session, wanted)

        if dry_run:
            with self.store.session() as session:
                return DeleteReport.of(find(session), dry_run=True)
        self.progress.phase("deleting", len(wanted))
        with self.keeper.writing() as (session, changes):
            articles = find(session)
            report = DeleteReport.of(articles)
            forget_files(session, articles)
            for article in articles:
                session.delete(article)
            changes.delete(wanted)
            return report

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


def articles_by_id(session: Session, wanted: list[int]) -> list[Article]:
    """The articles with the ids *wanted*, in that order.

    :raises ArticleNotFound: an id is not in the archive.
    """
    from sqlalchemy import select

    from archive.models import Article

    found: dict[int, Article] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        found.update(
            (a.id, a) for a in session.scalars(select(Article).where(Article.id.in_(chunk)))
        )
    for article_id in wanted:
        if article_id not in found:
            raise ArticleNotFound(article_id)
    return [found[i] for i in wanted]
