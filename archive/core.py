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

An ingest run repeats steps 2 and 3 for each batch with one index writer, and
commits the index (step 4's second half, then 5) every ``INDEX_CHECKPOINT``
articles and at the end: see :class:`_IndexRun`.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NamedTuple

from archive.errors import ArchiveError, ArticleNotFound, IndexUnavailable, InputError
from archive.ingest.draft import ArticleDraft, Overrides
from archive.records import ArticleRecord, CheckReport, IngestOutcome, IngestReport, Stats
from archive.store import DB_NAME, Store
from archive.text import content_hash, normalize_line, normalize_text

if TYPE_CHECKING:
    from sqlalchemy.orm import Session
    from whoosh.index import FileIndex

    from archive.models import Article
    from archive.records import RevisionRecord, SearchResults
    from index.schema import IndexDoc

INDEX_DIR = "index"
#: Articles written per database transaction.
BATCH_SIZE = 500
#: Articles one index writer takes in an ingest run before it commits them (a
#: segment); a crash leaves at most this many for the next open to index again.
INDEX_CHECKPOINT = 100_000
#: From this many articles in one run on, the rest is indexed by worker
#: processes, one per core (when the machine has two or more and can fork).
PARALLEL_FROM = 5_000
#: Worker processes at most.
MAX_PROCS = 4


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
    url_key: str | None


class SourceFileSeen(NamedTuple):
    """A file as it was ingested; in an item stream, it follows all the file's articles."""

    path: str
    size: int
    mtime_ns: int
    sha256: str
    articles: int


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
        if self._ix is not None and iw.outdated(self._ix):
            with self._locked():
                reason = iw.outdated(self._ix) if self._ix is not None else None
                if reason:  # another process may have rebuilt it meanwhile
                    count = self._rebuild_locked()
                    self.notices.append(
                        f"{reason}; rebuilt it from the database "
                        f"({count} article{'s' if count != 1 else ''})"
                    )

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
        items: Iterable[ArticleDraft | InputError | IngestOutcome | SourceFileSeen],
        *,
        batch_size: int = BATCH_SIZE,
        progress: Callable[[IngestOutcome], object] | None = None,
        dry_run: bool = False,
        keep_outcomes: bool = True,
        on_read: Callable[[int], object] | None = None,
        jobs: int | None = None,
    ) -> IngestReport:
        """Store and index articles in batches: one transaction and one index commit each.

        The same text again is ``unchanged``. The same URL (compared in canonical
        form, :func:`archive.urls.canonical_url`), or else the same origin file, with
        different text is an ``update`` of that article: same id, ``updated`` set,
        the previous text kept as a revision. An :class:`InputError` in *items* is
        recorded as ``failed`` and the rest goes on. *items* is consumed lazily, one
        batch at a time.

        :param progress: called with each :class:`IngestOutcome` as it is decided.
        :param dry_run: decide every outcome but write nothing (the database
            transaction is rolled back and the index is not touched).
        :param keep_outcomes: keep every outcome in the report (off: counts and
            failures only, so memory stays flat however many articles come in).
        :param on_read: called with how many articles each item taken from *items*
            stands for, as it is taken (outcomes are decided a batch later).
        :param jobs: processes indexing a large run (default: one per core, up to
            :data:`MAX_PROCS`; 1: this process alone). See :class:`_IndexRun`.
        """
        report = IngestReport(dry_run=dry_run, keep_outcomes=keep_outcomes)
        if on_read is not None:
            items = _counted(items, on_read)
        with (
            self._dry_session() if dry_run else nullcontext(None) as dry,
            nullcontext(None) if dry_run else self._index_run(jobs) as run,
        ):
            for batch in _batches(items, batch_size):
                for outcome in self._ingest_batch(batch, dry, run):
                    report.record(outcome)
                    if progress is not None:
                        progress(outcome)
        return report

    @contextmanager
    def _index_run(self, jobs: int | None = None) -> Iterator[_IndexRun]:
        """The write lock and one index writer for a whole ingest run; see :class:`_IndexRun`."""
        from index.errors import IndexingError, IndexLockedError

        with self._locked():
            self._settle_locked()
            run = _IndexRun(self, jobs)
            try:
                yield run
                run.finish()
            except BaseException as exc:
                try:
                    if run.between_batches and not isinstance(exc, IndexingError):
                        # Interrupted (Ctrl-C) or failed outside a batch: the writer
                        # holds only stored batches; keep them rather than index them
                        # again. (A second Ctrl-C meanwhile still drops the writer.)
                        with suppress(Exception):
                            run.finish()
                finally:
                    run.abandon()
                if isinstance(exc, IndexLockedError):
                    raise IndexUnavailable(str(exc)) from exc
                if isinstance(exc, IndexingError):
                    self._fresh_ix()
                    raise IndexUnavailable(
                        f"{exc}; the articles stored before this are kept in the database "
                        "and the index will catch up the next time the archive is opened "
                        "(or run 'archive check --repair')"
                    ) from exc
                raise

    def ingest_paths(
        self,
        paths: Iterable[Path],
        *,
        fmt: str | None = None,
        globs: Iterable[str] = (),
        overrides: Overrides | None = None,
        max_bytes: int | None = None,
        stdin: IO[bytes] | None = None,
        force: bool = False,
        **options: Any,
    ) -> IngestReport:
        """Ingest files, directories (recursively) and ``-`` (*stdin*); see :meth:`ingest`.

        A file ingested before whose size and modification time are unchanged is
        skipped unread (one ``unchanged`` outcome for all its articles); one whose
        time changed but whose bytes hash the same is skipped unparsed. A file is
        remembered only when all of it was ingested without failures.

        :param fmt: the format of every input (default: by extension, else sniffed).
        :param globs: inside directories, take the files matching these patterns.
        :param max_bytes: the size limit of one input (for JSONL a line, for a JSON
            array an element).
        :param force: read every file, changed or not.
        :param options: passed on to :meth:`ingest`.
        """
        from archive.ingest import DEFAULT_MAX_BYTES, read_path, read_stream, walk

        limit = max_bytes or DEFAULT_MAX_BYTES
        known = {} if force else self._source_files()
        skipped = 0

        def items() -> Iterator[ArticleDraft | InputError | IngestOutcome | SourceFileSeen]:
            nonlocal skipped
            for path in walk(paths, globs):
                if isinstance(path, InputError):
                    yield path
                    continue
                if str(path) == "-":
                    if stdin is None:
                        yield InputError("-", "standard input is not available")
                        continue
                    yield from read_stream(
                        stdin, "-", fmt=fmt, overrides=overrides, max_bytes=limit
                    )
                    continue
                key = str(path.absolute())
                try:
                    st = path.stat()
                except OSError:
                    yield from read_path(path, overrides, fmt=fmt, max_bytes=limit)
                    continue
                prev = known.get(key)
                if prev is not None and prev.size == st.st_size:
                    same = prev.mtime_ns == st.st_mtime_ns or prev.sha256 == _file_sha256(path)
                    if same:
                        skipped += 1
                        if prev.mtime_ns != st.st_mtime_ns:
                            yield SourceFileSeen(
                                key, st.st_size, st.st_mtime_ns, prev.sha256, prev.articles
                            )
                        yield IngestOutcome(
                            "unchanged",
                            key,
                            message="file not changed since it was ingested; not read",
                            count=prev.articles,
                        )
                        continue
                digest = hashlib.sha256()
                count = 0
                failed = False
                for item in read_path(path, overrides, fmt=fmt, max_bytes=limit, digest=digest):
                    if isinstance(item, InputError):
                        failed = True
                    else:
                        count += 1
                    yield item
                if not failed and count:
                    yield SourceFileSeen(key, st.st_size, st.st_mtime_ns, digest.hexdigest(), count)

        report = self.ingest(items(), **options)
        report.files_skipped = skipped
        return report

    def _source_files(self) -> dict[str, SourceFileSeen]:
        from sqlalchemy import select

        from archive.models import SourceFile

        with self.store.session() as session:
            return {
                r.path: SourceFileSeen(r.path, r.size, r.mtime_ns, r.sha256, r.articles)
                for r in session.scalars(select(SourceFile))
            }

    @contextmanager
    def _dry_session(self) -> Iterator[Session]:
        """One transaction for a whole dry run, rolled back at the end."""
        from sqlalchemy.orm import Session

        with Session(self.store.engine, expire_on_commit=False) as session:
            session.begin()
            try:
                yield session
            finally:
                session.rollback()

    def _ingest_batch(
        self,
        batch: Sequence[ArticleDraft | InputError | IngestOutcome | SourceFileSeen],
        dry: Session | None = None,
        run: _IndexRun | None = None,
    ) -> list[IngestOutcome]:
        from archive.models import IndexOutbox

        outcomes: list[IngestOutcome | None] = [None] * len(batch)
        prepared: list[tuple[int, _Prepared]] = []
        files: list[SourceFileSeen] = []
        for i, item in enumerate(batch):
            if isinstance(item, IngestOutcome):
                outcomes[i] = item
            elif isinstance(item, SourceFileSeen):
                files.append(item)
            elif isinstance(item, InputError):
                outcomes[i] = IngestOutcome("failed", item.origin, message=str(item))
            else:
                try:
                    prepared.append((i, _prepare(item)))
                except InputError as exc:
                    outcomes[i] = IngestOutcome("failed", item.origin, message=str(exc))
        if dry is not None:
            if prepared:
                self._decide(dry, prepared, outcomes, dry_run=True)
                dry.flush()
                dry.expunge_all()
        elif prepared:
            assert run is not None
            with self.store.session(write=True) as session:
                changed, added = self._decide(session, prepared, outcomes)
                _remember_files(session, files)
                owed = [IndexOutbox(article_id=a.id, op="upsert") for a in changed]
                session.add_all(owed)
                session.flush()
                run.add(
                    session,
                    [_index_doc(a) for a in changed if id(a) in added],
                    [_index_doc(a) for a in changed if id(a) not in added],
                )
            run.owe([o.seq for o in owed])
        elif files:
            with self.store.session(write=True) as session:
                _remember_files(session, files)
        return [o for o in outcomes if o is not None]

    def _decide(
        self,
        session: Session,
        prepared: list[tuple[int, _Prepared]],
        outcomes: list[IngestOutcome | None],
        *,
        dry_run: bool = False,
    ) -> tuple[list[Article], set[int]]:
        """Match each prepared draft with the archive, write it, fill in *outcomes*.

        Returns the articles added or updated (flushed, so they have ids), and the
        ``id()`` of those that are new rows. In a dry run, articles the run itself
        added get no id in the outcomes (their ids would not be the real ones).
        """
        from sqlalchemy import select

        from archive.models import Article

        hashes = {p.hash for _, p in prepared}
        keys = {p.url_key for _, p in prepared if p.url_key}
        origins = {p.draft.origin_key for _, p in prepared if p.draft.origin_key}
        by_hash = {
            a.content_hash: a
            for a in session.scalars(select(Article).where(Article.content_hash.in_(hashes)))
        }
        by_key = (
            {
                a.url_key: a
                for a in session.scalars(select(Article).where(Article.url_key.in_(keys)))
            }
            if keys
            else {}
        )
        by_origin = (
            {
                a.origin: a
                for a in session.scalars(
                    select(Article).where(Article.origin.in_(origins)).order_by(Article.id)
                )
            }
            if origins
            else {}
        )
        now = _now()
        added: set[int] = set()
        decided: list[tuple[int, str, Article, str | None]] = []
        origin_of = {i: p.draft.origin for i, p in prepared}
        for i, p in prepared:
            d = p.draft
            existing = by_hash.get(p.hash)
            if existing is not None:
                decided.append((i, "unchanged", existing, "same text as article {id}"))
                continue
            article = by_key.get(p.url_key) if p.url_key else None
            if article is None and d.origin_key:
                article = by_origin.get(d.origin_key)
            if article is None:
                article = Article(ingested=now, origin=d.origin)
                session.add(article)
                status = "added"
            else:
                if article.id is None:
                    session.flush()
                _keep_revision(session, article, now)
                by_hash.pop(article.content_hash, None)
                status = "updated"
            _fill(article, p, now, update=status == "updated")
            by_hash[p.hash] = article
            if article.url_key:
                by_key[article.url_key] = article
            by_origin[article.origin] = article
            decided.append((i, status, article, "; ".join(p.warnings) or None))
        session.flush()
        dry_new: set[int] = session.info.setdefault("dry_new", set()) if dry_run else set()
        changed: dict[int, Article] = {}
        for _, status, article, _ in decided:
            if status != "unchanged":
                changed[id(article)] = article
                if status == "added":
                    added.add(id(article))
                    if dry_run:
                        dry_new.add(article.id)
        for i, status, article, message in decided:
            article_id: int | None = None if article.id in dry_new else article.id
            if status == "unchanged" and message:
                # No id yet (a dry run's own additions): name the input it came from.
                message = (
                    message.format(id=article_id)
                    if article_id is not None
                    else f"same text as {article.origin}, earlier in this run"
                )
            outcomes[i] = IngestOutcome(status, origin_of[i], article_id, article.title, message)
        return list(changed.values()), added

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
            _forget_files(session, [a.origin for a in found.values()])
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
        if not seqs:
            return
        with self.store.session(write=True) as session:
            _delete_outbox(session, seqs)

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
                total = session.scalar(select(func.count()).select_from(Article)) or 0
                procs = (
                    min(os.cpu_count() or 1, MAX_PROCS)
                    if total >= PARALLEL_FROM and iw.parallel_supported()
                    else 1
                )
                docs = (
                    _index_doc(a)
                    for a in session.scalars(select(Article).execution_options(yield_per=500))
                )
                count = iw.rebuild(self.index_path, docs, timeout=self.lock_timeout, procs=procs)
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

    def revisions(self, article_id: int) -> list[RevisionRecord]:
        """The earlier texts of an article, oldest first.

        :raises ArticleNotFound: no such article.
        """
        from sqlalchemy import select

        from archive.models import Article, Revision
        from archive.records import RevisionRecord

        with self.store.session() as session:
            if session.get(Article, article_id) is None:
                raise ArticleNotFound(article_id)
            rows = session.scalars(
                select(Revision).where(Revision.article_id == article_id).order_by(Revision.id)
            )
            return [RevisionRecord.from_model(r) for r in rows]

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


class _IndexRun:
    """One index writer held across the database batches of an ingest run.

    Each batch is one SQLite transaction, with an outbox row per changed
    article, and its documents go to the run's index writer before that
    transaction commits. The writer commits (a Whoosh segment) every
    :data:`INDEX_CHECKPOINT` articles and at the end of the run; only then are
    the outbox rows it covers cleared. So a bulk ingest writes one segment, not
    one per batch (Whoosh merges segments by re-indexing them: per-batch commits
    cost a bulk ingest half its speed, bench/README.md), and a crash or a failure
    leaves the outbox rows of the uncommitted batches for the next open to replay.

    From :data:`PARALLEL_FROM` articles on, the rest of the run is indexed by
    worker processes, one per core (Whoosh's ``MpWriter``).
    """

    def __init__(self, archive: Archive, jobs: int | None = None) -> None:
        self.archive = archive
        self.writer: Any = None
        self.procs = min(os.cpu_count() or 1, MAX_PROCS) if jobs is None else max(jobs, 1)
        self.parallel = False
        #: Outbox rows of the batches the open writer holds.
        self.owed: list[int] = []
        #: Ids of the articles the open writer holds (not yet in the index).
        self.pending: set[int] = set()
        #: Articles given to the open writer, and to the run's writers in all.
        self.docs = 0
        self.total = 0
        #: False while a batch's documents are going to the writer (its transaction open).
        self.between_batches = True

    def add(self, session: Session, new: list[IndexDoc], changed: list[IndexDoc]) -> None:
        """Give one batch's documents to the writer (inside the batch's transaction)."""
        from index import writer as iw

        self.between_batches = False
        if self.pending and any(doc.id in self.pending for doc in changed):
            # An update of an article the open writer holds: Whoosh can only
            # replace committed documents, so commit the writer first.
            self.commit(session=session)
        if self.writer is None:
            self._start()
        if new:
            for doc in new:
                self.writer.add_document(**doc.fields())
        if changed:
            iw.apply(self.writer, changed, [])
        self.pending.update(doc.id for doc in new)
        self.pending.update(doc.id for doc in changed)
        self.docs += len(new) + len(changed)
        self.total += len(new) + len(changed)

    def owe(self, seqs: list[int]) -> None:
        """Note a committed batch's outbox rows; commit the writer at a checkpoint."""
        from index import writer as iw

        self.owed.extend(seqs)
        self.between_batches = True
        if self.docs >= INDEX_CHECKPOINT:
            self.commit(merge=False)
        elif (
            not self.parallel
            and self.procs > 1
            and self.total >= PARALLEL_FROM
            and self.docs >= PARALLEL_FROM
            and iw.parallel_supported()
        ):
            self.commit()  # the next writer uses every core
            self.parallel = True

    def _start(self) -> None:
        from index import writer as iw

        procs = self.procs if self.parallel else 1
        self.writer = iw.start_writer(
            self.archive.ix, timeout=self.archive.lock_timeout, procs=procs
        )

    def commit(self, *, merge: bool = True, session: Session | None = None) -> None:
        """Commit the open writer, then clear the outbox rows it covered.

        :param session: an open write transaction to clear them in (the caller's;
            they are cleared when it commits).
        """
        from index import writer as iw

        if self.writer is None:
            return
        writer, self.writer = self.writer, None
        iw.finish(writer, new_docs=self.docs, merge=merge)
        owed, self.owed = self.owed, []
        self.pending.clear()
        self.docs = 0
        if session is not None:
            _delete_outbox(session, owed)
        else:
            self.archive._clear_outbox(owed)

    def finish(self) -> None:
        # A run that committed before (a checkpoint, or the switch to worker
        # processes) is a bulk run: its own segments are large, and merging them
        # would cost as much as indexing them again.
        self.commit(merge=self.total == self.docs)

    def abandon(self) -> None:
        """Drop the open writer; its batches stay owed in the outbox."""
        from index import writer as iw

        if self.writer is not None:
            writer, self.writer = self.writer, None
            iw.discard(writer)


class _IndexChanges:
    """Changes for the index inside :meth:`Archive._writing` (committed after the database)."""

    def __init__(self, whoosh_writer: Any) -> None:
        self._writer = whoosh_writer

    def apply(self, upserts: Iterable[IndexDoc], deletes: Iterable[int]) -> None:
        from index import writer as iw

        iw.apply(self._writer, upserts, deletes)


def _delete_outbox(session: Session, seqs: Sequence[int]) -> None:
    from sqlalchemy import delete

    from archive.models import IndexOutbox

    for chunk in _chunks(list(seqs), 500):
        session.execute(delete(IndexOutbox).where(IndexOutbox.seq.in_(chunk)))


def _counted(items: Iterable[Any], on_read: Callable[[int], object]) -> Iterator[Any]:
    for item in items:
        if isinstance(item, IngestOutcome):
            on_read(item.count)
        elif not isinstance(item, SourceFileSeen):
            on_read(1)
        yield item


def _batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """*items* in lists holding *size* drafts each (other items ride along uncounted)."""
    batch: list[Any] = []
    drafts = 0
    for item in items:
        batch.append(item)
        if isinstance(item, ArticleDraft):
            drafts += 1
            if drafts >= size:
                yield batch
                batch, drafts = [], 0
    if batch:
        yield batch


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _prepare(draft: ArticleDraft) -> _Prepared:
    """Normalise a draft's text and metadata; raises InputError for what cannot be stored.

    An unparseable date is dropped with a warning, not a failure.
    """
    from archive.dates import parse_date
    from archive.urls import canonical_url

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
    url = draft.url.strip() if draft.url and draft.url.strip() else None
    clean = ArticleDraft(
        title=title,
        body=body,
        origin=draft.origin,
        author=normalize_line(draft.author) or None if draft.author else None,
        source=normalize_line(draft.source) or None if draft.source else None,
        url=url,
        published=published,
        tags=tuple(dict.fromkeys(t for t in (normalize_line(t) for t in draft.tags) if t)),
        extra=draft.extra or None,
        origin_key=draft.origin_key,
    )
    return _Prepared(
        clean, body, content_hash(body), published_at, tuple(warnings), canonical_url(url)
    )


def _keep_revision(session: Session, article: Any, now: datetime) -> None:
    """Keep *article*'s current text as a revision before an update replaces it."""
    from archive.models import Revision

    session.add(
        Revision(
            article_id=article.id,
            title=article.title,
            body=article.body,
            author=article.author,
            source=article.source,
            url=article.url,
            published=article.published,
            origin=article.origin,
            content_hash=article.content_hash,
            stored=article.updated,
            replaced=now,
        )
    )


def _fill(article: Any, p: _Prepared, now: datetime, *, update: bool = False) -> None:
    """Write a prepared draft into *article*.

    On an update, metadata the new input lacks (no URL, no author, ...) keeps its
    old value, and unknown keys are merged, the new input's winning.
    """
    from archive.models import Tag

    d = p.draft

    def pick(new: Any, old: Any) -> Any:
        return old if update and new is None else new

    article.title = d.title
    article.body = p.body
    article.author = pick(d.author, article.author)
    article.source = pick(d.source, article.source)
    article.url = pick(d.url, article.url)
    article.url_key = pick(p.url_key, article.url_key)
    article.published = pick(d.published, article.published)
    article.published_at = pick(p.published_at, article.published_at)
    article.content_hash = p.hash
    extra = {**(article.extra or {}), **(d.extra or {})} if update else d.extra
    article.extra = extra or None
    article.origin = d.origin
    article.updated = now
    names = d.tags or (tuple(article.tags) if update else ())
    # Keep existing Tag rows for names that stay: a fresh row with the same key would
    # be inserted before the old one is deleted and break the primary key.
    current = {t.name: t for t in article.tag_rows}
    rows = []
    for n, name in enumerate(names):
        row = current.get(name) or Tag(name=name)
        row.position = n
        rows.append(row)
    article.tag_rows = rows


def _remember_files(session: Session, files: Sequence[SourceFileSeen]) -> None:
    """Record ingested files (size, time, hash) for the next run's fast path."""
    if not files:
        return
    from sqlalchemy.dialects.sqlite import insert

    from archive.models import SourceFile

    now = _now()
    rows = [f._asdict() | {"ingested": now} for f in {f.path: f for f in files}.values()]
    stmt = insert(SourceFile).values(rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=[SourceFile.path],
        set_={c: stmt.excluded[c] for c in ("size", "mtime_ns", "sha256", "articles", "ingested")},
    )
    session.execute(stmt)


_RECORD_ORIGIN = re.compile(r"^(.*?)(?::\d+|\[\d+\])$")


def _forget_files(session: Session, origins: Sequence[str]) -> None:
    """Forget the files deleted articles came from, so the next ingest reads them again
    (skipping them would report articles that are no longer there as unchanged)."""
    from sqlalchemy import delete

    from archive.models import SourceFile

    paths = set(origins) | {m.group(1) for o in origins if (m := _RECORD_ORIGIN.match(o))}
    if paths:
        session.execute(delete(SourceFile).where(SourceFile.path.in_(paths)))


def _file_sha256(path: Path) -> str | None:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()


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
