"""The Archive facade: stores articles in SQLite and keeps the Whoosh index in step.

Every change follows the same path (see DESIGN.md, "Keeping SQLite and Whoosh
in step"):

1. take the archive's write lock (``archive/locking.py``), waiting for another
   process if need be, and replay any index work a dead process left owed;
2. in one SQLite transaction, write the articles and an outbox row per change;
3. apply the same changes to the index writer; if that fails, the SQLite
   transaction is rolled back and nothing is changed anywhere;
4. commit SQLite, then commit the index;
5. clear the outbox rows (an outbox row is only ever deleted after the index
   commit that covers it).

A crash between 4 and 5 leaves outbox rows behind; the next open of the
archive, or the next writer, replays them (idempotently: documents are
replaced by id). Because every writer holds the lock from before step 2 until
after step 4, outbox rows seen while holding it are never a live writer's
work in flight.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archive.errors import ArchiveError, ArticleNotFound, IndexUnavailable, InputError
from archive.ingest.draft import ArticleDraft
from archive.records import ArticleRecord, CheckReport, IngestOutcome, IngestReport, Stats
from archive.store import DB_NAME, Store
from archive.text import content_hash, normalize_line, normalize_text

if TYPE_CHECKING:
    from sqlalchemy.orm import Session
    from whoosh.index import FileIndex

    from archive.records import SearchResults
    from index.schema import IndexDoc

INDEX_DIR = "index"
#: Articles written per transaction and per index commit.
BATCH_SIZE = 500


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def paths(home: Path) -> tuple[Path, Path]:
    """The database file and the index directory of the archive at *home*."""
    return home / DB_NAME, home / INDEX_DIR


@dataclass(frozen=True, slots=True)
class _Prepared:
    draft: ArticleDraft
    body: str
    hash: str
    published_at: datetime | None
    warnings: tuple[str, ...]


class Archive:
    """An article archive in one home directory (the database and the index side by side)."""

    def __init__(self, home: Path, store: Store, *, lock_timeout: float | None = None) -> None:
        from archive.locking import WriteLock
        from archive.locking import lock_timeout as default_timeout

        self.home = home
        self.db_path, self.index_path = paths(home)
        self.store = store
        self.lock_timeout = default_timeout() if lock_timeout is None else lock_timeout
        self._lock = WriteLock(home, self.lock_timeout)
        self._ix: FileIndex | None = None
        #: Why the index cannot be used (None when it can).
        self._index_problem: str | None = None
        #: Things done on the user's behalf that they should hear about (the CLI prints them).
        self.notices: list[str] = []

    # --- opening -----------------------------------------------------------------------

    @classmethod
    def open(cls, home: Path | str, *, lock_timeout: float | None = None) -> Archive:
        """Open the archive at *home*, creating it if needed and upgrading its schema.

        Index work left owed by an interrupted run is finished here (unless
        another process is writing: it finishes it instead). A missing or empty
        index is rebuilt from the database, with a notice in :attr:`notices`; a
        damaged one makes index operations raise :class:`IndexUnavailable`
        until ``reindex``.

        :param lock_timeout: seconds to wait for another writer (default:
            ``$ARCHIVE_LOCK_TIMEOUT``, else 60).
        :raises ArchiveError: the home cannot be used, the database is damaged or
            was made by a newer version of the tool.
        """
        from archive.locking import lock_timeout as default_timeout

        home = Path(home).expanduser()
        timeout = default_timeout() if lock_timeout is None else lock_timeout
        try:
            home.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise ArchiveError(f"cannot create the archive home {home} ({exc.strerror})") from exc
        if not home.is_dir():
            raise ArchiveError(f"the archive home {home} is not a directory")
        archive = cls(home, Store(home / DB_NAME, busy_timeout=timeout), lock_timeout=timeout)
        try:
            archive._ensure_index()
            archive.settle(wait=False)
        except BaseException:
            archive.close()
            raise
        return archive

    def close(self) -> None:
        if self._ix is not None:
            self._ix.close()
            self._ix = None
        self._lock.release()
        self.store.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the archive's write lock (re-entrant), waiting up to the lock timeout."""
        self._lock.acquire()
        try:
            yield
        finally:
            self._lock.release()

    def _ensure_index(self) -> None:
        """Open the index; build it from the database if it is missing or empty.

        A damaged index is not rebuilt behind the user's back (that can take a
        while): it is recorded, and index operations then say to run ``reindex``.
        """
        from index import writer as iw

        if not iw.exists(self.index_path):
            with self._locked():
                if not iw.exists(self.index_path):  # another process may have made it
                    self._create_or_rebuild()
                    return
        self._open_index()

    def _open_index(self) -> None:
        from index import writer as iw
        from index.errors import IndexingError

        if self._ix is not None:
            self._ix.close()
            self._ix = None
        try:
            ix = iw.open_index(self.index_path)
            iw.verify(ix)
        except IndexingError as exc:
            self._index_problem = str(exc)
            return
        self._ix = ix
        self._index_problem = None

    def _create_or_rebuild(self) -> None:
        """With the lock held and no index on disk: create one, or rebuild it if articles exist."""
        from index import writer as iw
        from index.errors import IndexingError

        if self.count() == 0:
            try:
                self._ix = iw.create(self.index_path)
            except IndexingError as exc:
                raise IndexUnavailable(str(exc)) from exc
            return
        count = self._rebuild_locked()
        self.notices.append(
            f"the search index at {self.index_path} was missing or empty; "
            f"rebuilt it from the database ({count} article{'s' if count != 1 else ''})"
        )

    @property
    def ix(self) -> FileIndex:
        """The open index. :raises IndexUnavailable: it is damaged (run ``reindex``)."""
        if self._ix is None and self._index_problem is None:
            self._ensure_index()
        if self._index_problem is not None:
            raise IndexUnavailable(
                f"{self._index_problem}; run 'archive reindex' to rebuild it from the "
                "database (every article is kept there, nothing is lost)"
            )
        assert self._ix is not None
        return self._ix

    def _fresh_ix(self) -> None:
        """Reopen the index (Whoosh may keep a lock after a failed commit)."""
        self._open_index()

    # --- writing -----------------------------------------------------------------------

    def add(self, draft: ArticleDraft) -> IngestOutcome:
        """Store and index one article; see :meth:`ingest`."""
        return self.ingest([draft]).outcomes[0]

    def ingest(
        self,
        items: Iterable[ArticleDraft | InputError],
        *,
        batch_size: int = BATCH_SIZE,
        progress: Any = None,
    ) -> IngestReport:
        """Store and index articles in batches.

        The same text again is ``unchanged``; the same URL with different text
        is an ``update`` of that article. An :class:`InputError` in *items* is
        recorded as ``failed`` and the rest goes on.

        :param progress: called with each :class:`IngestOutcome` as it is decided.
        """
        report = IngestReport()
        iterator = iter(items)
        while batch := list(islice(iterator, batch_size)):
            outcomes = self._ingest_batch(batch)
            report.outcomes.extend(outcomes)
            if progress is not None:
                for outcome in outcomes:
                    progress(outcome)
        return report

    def _ingest_batch(self, batch: Sequence[ArticleDraft | InputError]) -> list[IngestOutcome]:
        from sqlalchemy import select

        from archive.models import Article, IndexOutbox

        outcomes: list[IngestOutcome | None] = [None] * len(batch)
        prepared: list[tuple[int, _Prepared]] = []
        for i, item in enumerate(batch):
            if isinstance(item, InputError):
                outcomes[i] = IngestOutcome("failed", item.origin, message=str(item))
                continue
            try:
                prepared.append((i, _prepare(item)))
            except InputError as exc:
                outcomes[i] = IngestOutcome("failed", item.origin, message=str(exc))
        if not prepared:
            return [o for o in outcomes if o is not None]

        changed: list[tuple[int, Article]] = []
        with self._writing() as (session, writer):
            hashes = {p.hash for _, p in prepared}
            urls = {p.draft.url for _, p in prepared if p.draft.url}
            by_hash = {
                a.content_hash: a
                for a in session.scalars(select(Article).where(Article.content_hash.in_(hashes)))
            }
            by_url = (
                {a.url: a for a in session.scalars(select(Article).where(Article.url.in_(urls)))}
                if urls
                else {}
            )
            now = _now()
            for i, p in prepared:
                d = p.draft
                existing = by_hash.get(p.hash)
                if existing is not None:
                    same = f"same text as article {existing.id}" if existing.id else "same text"
                    outcomes[i] = IngestOutcome(
                        "unchanged", d.origin, existing.id, existing.title, message=same
                    )
                    continue
                article = by_url.get(d.url) if d.url else None
                if article is None:
                    article = Article(ingested=now, origin=d.origin)
                    session.add(article)
                    if d.url:
                        by_url[d.url] = article
                    status = "added"
                else:
                    by_hash.pop(article.content_hash, None)
                    status = "updated"
                _fill(article, p, now)
                by_hash[p.hash] = article
                changed.append((i, article))
                outcomes[i] = IngestOutcome(status, d.origin, message="; ".join(p.warnings) or None)
            session.flush()
            for i, article in changed:
                o = outcomes[i]
                assert o is not None
                outcomes[i] = IngestOutcome(
                    o.status, o.origin, article.id, article.title, o.message
                )
            articles = list({id(a): a for _, a in changed}.values())
            owed = [IndexOutbox(article_id=a.id, op="upsert") for a in articles]
            session.add_all(owed)
            session.flush()
            writer.apply([_index_doc(a) for a in articles], [])
        self._clear_outbox([o.seq for o in owed])
        return [o for o in outcomes if o is not None]

    def delete(self, ids: Iterable[int]) -> list[int]:
        """Delete articles by id from the database and the index.

        :raises ArticleNotFound: an id is not in the archive (nothing is deleted then).
        """
        from sqlalchemy import select

        from archive.models import Article, IndexOutbox

        wanted = list(dict.fromkeys(ids))
        with self._writing() as (session, writer):
            found = {
                a.id: a for a in session.scalars(select(Article).where(Article.id.in_(wanted)))
            }
            for article_id in wanted:
                if article_id not in found:
                    raise ArticleNotFound(article_id)
            for article in found.values():
                session.delete(article)
            owed = [IndexOutbox(article_id=i, op="delete") for i in wanted]
            session.add_all(owed)
            session.flush()
            writer.apply([], wanted)
        self._clear_outbox([o.seq for o in owed])
        return wanted

    @contextmanager
    def _writing(self) -> Iterator[tuple[Session, _IndexChanges]]:
        """The write lock, the index writer and one write transaction; see the module docstring.

        The SQLite transaction commits when the block ends, then the index.
        """
        from index import writer as iw
        from index.errors import IndexingError, IndexLockedError

        with self._locked():
            self._settle_locked()
            ix = self.ix
            try:
                with (
                    iw.open_writer(ix, timeout=self.lock_timeout) as w,
                    self.store.session(write=True) as session,
                ):
                    yield session, _IndexChanges(w)
            except IndexLockedError as exc:
                raise IndexUnavailable(str(exc)) from exc
            except IndexingError as exc:
                self._fresh_ix()
                raise IndexUnavailable(
                    f"{exc}; the database has the change and the index will catch up "
                    "the next time the archive is opened (or run 'archive check --repair')"
                ) from exc

    def _clear_outbox(self, seqs: Sequence[int]) -> None:
        """Forget outbox rows whose changes the index has committed."""
        from sqlalchemy import delete

        from archive.models import IndexOutbox

        if not seqs:
            return
        with self.store.session(write=True) as session:
            for chunk in _chunks(list(seqs), 500):
                session.execute(delete(IndexOutbox).where(IndexOutbox.seq.in_(chunk)))

    def settle(self, *, wait: bool = True) -> int:
        """Apply index work a crash left owed (outbox rows); returns how many articles.

        :param wait: wait for another writer's lock; if false and the lock is
            taken, do nothing (that writer settles owed work itself).
        """
        from sqlalchemy import func, select

        from archive.models import IndexOutbox

        with self.store.session() as session:
            if not session.scalar(select(func.count()).select_from(IndexOutbox)):
                return 0
        if self._index_problem is not None:
            return 0  # nothing can be written to it; 'reindex' covers the owed work
        if not self._lock.acquire(wait=wait):
            return 0
        try:
            return self._settle_locked()
        finally:
            self._lock.release()

    def _settle_locked(self) -> int:
        """:meth:`settle` with the write lock held."""
        from sqlalchemy import select

        from archive.models import Article, IndexOutbox
        from index import writer as iw
        from index.errors import IndexingError

        assert self._lock.held
        with self.store.session() as session:
            rows = session.execute(select(IndexOutbox.seq, IndexOutbox.article_id)).all()
        if not rows:
            return 0
        ids = sorted({article_id for _, article_id in rows})
        try:
            with (
                iw.open_writer(self.ix, timeout=self.lock_timeout) as writer,
                self.store.session() as session,
            ):
                live = {}
                for chunk in _chunks(ids, 500):
                    live.update(
                        (a.id, a)
                        for a in session.scalars(select(Article).where(Article.id.in_(chunk)))
                    )
                iw.apply(writer, [_index_doc(a) for a in live.values()], set(ids) - set(live))
        except IndexingError as exc:
            self._fresh_ix()
            raise IndexUnavailable(
                f"{exc}; could not finish the index work an interrupted run left "
                "(run 'archive reindex' to rebuild the index)"
            ) from exc
        # Only now that the index has committed them may the rows go.
        self._clear_outbox([seq for seq, _ in rows])
        return len(ids)

    def reindex(self) -> int:
        """Rebuild the whole index from the database; the old one serves until the new is done.

        Writers wait while it runs. Returns the number of articles indexed.
        """
        with self._locked():
            return self._rebuild_locked()

    def _rebuild_locked(self) -> int:
        from sqlalchemy import delete, func, select

        from archive.models import Article, IndexOutbox
        from index import writer as iw
        from index.errors import IndexingError

        assert self._lock.held
        if self._ix is not None:
            self._ix.close()
            self._ix = None
        try:
            with self.store.session() as session:
                top = session.scalar(select(func.max(IndexOutbox.seq)))
                docs = (
                    _index_doc(a)
                    for a in session.scalars(select(Article).execution_options(yield_per=500))
                )
                count = iw.rebuild(self.index_path, docs, timeout=self.lock_timeout)
        except (IndexingError, OSError) as exc:
            raise IndexUnavailable(
                f"could not rebuild the search index ({exc}); the old index, if any, is unchanged"
            ) from exc
        if top is not None:
            with self.store.session(write=True) as session:
                session.execute(delete(IndexOutbox).where(IndexOutbox.seq <= top))
        self._open_index()
        return count

    def optimize(self) -> None:
        """Merge the index's segments into one."""
        from index import writer as iw
        from index.errors import IndexingError

        with self._locked():
            try:
                iw.optimize(self.ix, timeout=self.lock_timeout)
            except IndexingError as exc:
                self._fresh_ix()
                raise IndexUnavailable(str(exc)) from exc

    # --- reading -----------------------------------------------------------------------

    def get(self, article_id: int) -> ArticleRecord:
        """The article with *article_id*. :raises ArticleNotFound: no such article."""
        from archive.models import Article

        with self.store.session() as session:
            article = session.get(Article, article_id)
            if article is None:
                raise ArticleNotFound(article_id)
            return ArticleRecord.from_model(article)

    def list(self, *, limit: int | None = 20) -> list[ArticleRecord]:
        """Articles, newest first (by publication date, else by ingest time)."""
        from sqlalchemy import func, select

        from archive.models import Article

        stmt = select(Article).order_by(
            func.coalesce(Article.published_at, Article.ingested).desc(), Article.id.desc()
        )
        if limit is not None:
            stmt = stmt.limit(limit)
        with self.store.session() as session:
            return [ArticleRecord.from_model(a) for a in session.scalars(stmt)]

    def count(self) -> int:
        from sqlalchemy import func, select

        from archive.models import Article

        with self.store.session() as session:
            return int(session.scalar(select(func.count()).select_from(Article)) or 0)

    def search(self, query: str, **options: Any) -> SearchResults:
        """Search the archive; see :func:`archive.searching.search` for the options."""
        from archive.searching import search

        return search(self.home, query, **options)

    def check(self, *, repair: bool = False) -> CheckReport:
        """Compare the database with the index: ids on each side, and the text version indexed.

        Holds the write lock, so a change in flight in another process is never
        taken for a difference; index work a crash left owed is finished first
        (counted in ``pending``).

        :param repair: bring the index in line, changing only the documents that
            differ; an unreadable index is rebuilt.
        :raises IndexUnavailable: the index cannot be read (and *repair* is false).
        """
        from sqlalchemy import select

        from archive.models import Article
        from index import writer as iw
        from index.errors import IndexingError

        with self._locked():
            if self._index_problem is not None or self._ix is None:
                self._open_index()
            if self._index_problem is not None and repair:
                count = self._rebuild_locked()
                return CheckReport(count, [], [], [], repaired=True, rebuilt=True)
            settled = self._settle_locked()
            try:
                in_index = iw.indexed_versions(self.ix)
            except IndexingError as exc:
                self._index_problem = str(exc)
                if repair:
                    count = self._rebuild_locked()
                    return CheckReport(count, [], [], [], settled, repaired=True, rebuilt=True)
                self.ix  # noqa: B018 - raises IndexUnavailable, saying to run reindex
                raise
            with self.store.session() as session:
                in_db = dict(session.execute(select(Article.id, Article.content_hash)).all())
            missing = sorted(set(in_db) - set(in_index))
            extra = sorted(set(in_index) - set(in_db))
            stale = sorted(i for i in set(in_db) & set(in_index) if in_db[i] != in_index[i])
            report = CheckReport(len(in_db), missing, extra, stale, settled)
            if not repair or report.ok:
                return report
            fix = missing + stale
            try:
                with (
                    iw.open_writer(self.ix, timeout=self.lock_timeout) as writer,
                    self.store.session() as session,
                ):
                    for chunk in _chunks(fix, 500):
                        articles = session.scalars(select(Article).where(Article.id.in_(chunk)))
                        iw.apply(writer, [_index_doc(a) for a in articles], [])
                    iw.apply(writer, [], extra)
            except IndexingError as exc:
                self._fresh_ix()
                raise IndexUnavailable(f"{exc}; run 'archive reindex'") from exc
            return CheckReport(len(in_db), missing, extra, stale, settled, repaired=True)

    def stats(self) -> Stats:
        from sqlalchemy import func, select

        from archive.models import Article

        with self.store.session() as session:
            count, earliest, latest, sources = session.execute(
                select(
                    func.count(Article.id),
                    func.min(Article.published),
                    func.max(Article.published),
                    func.count(func.distinct(Article.source)),
                )
            ).one()
        index_bytes = sum(f.stat().st_size for f in self.index_path.glob("*") if f.is_file())
        db_bytes = sum(p.stat().st_size for p in self.home.glob(DB_NAME + "*") if p.is_file())
        return Stats(
            articles=int(count),
            index_bytes=index_bytes,
            database_bytes=db_bytes,
            earliest=earliest,
            latest=latest,
            sources=int(sources),
            home=str(self.home),
        )


class _IndexChanges:
    """Changes for the index inside :meth:`Archive._writing` (committed after the database)."""

    def __init__(self, whoosh_writer: Any) -> None:
        self._writer = whoosh_writer

    def apply(self, upserts: Iterable[IndexDoc], deletes: Iterable[int]) -> None:
        from index import writer as iw

        iw.apply(self._writer, upserts, deletes)


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _prepare(draft: ArticleDraft) -> _Prepared:
    """Normalise a draft's text and metadata; raises InputError for what cannot be stored."""
    from archive.dates import parse_date

    body = normalize_text(draft.body)
    if not body:
        raise InputError(draft.origin, "the article has no text")
    title = normalize_line(draft.title) or body.split("\n", 1)[0][:300]
    warnings = list(draft.warnings)
    published = None
    published_at = None
    if draft.published:
        try:
            parsed = parse_date(draft.published)
            published, published_at = parsed.iso, parsed.instant
        except ValueError as exc:
            warnings.append(f"published date ignored ({exc})")
    clean = ArticleDraft(
        title=title,
        body=body,
        origin=draft.origin,
        author=normalize_line(draft.author) if draft.author else None,
        source=normalize_line(draft.source) if draft.source else None,
        url=draft.url.strip() if draft.url and draft.url.strip() else None,
        published=published,
        tags=tuple(dict.fromkeys(t for t in (normalize_line(t) for t in draft.tags) if t)),
        extra=draft.extra or None,
    )
    return _Prepared(clean, body, content_hash(body), published_at, tuple(warnings))


def _fill(article: Any, p: _Prepared, now: datetime) -> None:
    from archive.models import Tag

    d = p.draft
    article.title = d.title
    article.body = p.body
    article.author = d.author
    article.source = d.source
    article.url = d.url
    article.published = d.published
    article.published_at = p.published_at
    article.content_hash = p.hash
    article.extra = d.extra
    article.updated = now
    # Keep existing Tag rows for names that stay: a fresh row with the same key would
    # be inserted before the old one is deleted and break the primary key.
    current = {t.name: t for t in article.tag_rows}
    rows = []
    for n, name in enumerate(d.tags):
        row = current.get(name) or Tag(name=name)
        row.position = n
        rows.append(row)
    article.tag_rows = rows


def _index_doc(article: Any) -> IndexDoc:
    from index.schema import IndexDoc

    return IndexDoc(
        id=article.id,
        version=article.content_hash,
        title=article.title,
        body=article.body,
        author=article.author,
        source=article.source,
        tags=tuple(article.tags),
        url=article.url,
        published=article.published_at,
    )


def default_home() -> Path:
    """The platform's user data directory for the archive."""
    from platformdirs import user_data_dir

    return Path(os.environ.get("ARCHIVE_HOME") or user_data_dir("article-archive", False))
