"""Keeping the database and the Whoosh index in step: the path every change follows
(DESIGN.md, "Keeping SQLite and Whoosh in step"):

1. take the archive's write lock (``archive/locking.py``), waiting for another
   process if need be, and replay any index work a dead process left owed;
2. in one SQLite transaction, write the articles and an outbox row per change;
3. apply the same changes to the index writer; if that fails, the SQLite
   transaction is rolled back and nothing is changed anywhere;
4. commit SQLite, then commit the index;
5. clear the outbox rows (an outbox row is only ever deleted after the index
   commit that covers it).

A crash between 4 and 5 leaves outbox rows behind; the next open (or writer)
replays them, idempotently. Every writer holds the lock from before step 2 to
after step 4, so outbox rows seen while holding it are never work in flight.

An ingest run (:class:`IndexRun`) repeats steps 2 and 3 per batch with one index
writer, committed every ``INDEX_CHECKPOINT`` articles and at the end.

:class:`IndexKeeper` owns the database's store, the write lock and the open
index of one archive home, and is the only code that writes the index.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archive.changelog import (
    Applied,
    behind,
    changed_since,
    read_applied,
    record,
    snapshot_horizon,
    write_applied,
)
from archive.documents import index_doc
from archive.errors import ArchiveError, DatabaseDamaged, environment_error, index_unavailable
from archive.home import Home
from archive.integrity import stored_fields
from archive.outbox import IndexChanges, chunks, delete_outbox
from archive.progress import Progress, counted
from archive.records import CheckReport
from archive.store import Store, connect_readonly

if TYPE_CHECKING:
    from sqlalchemy.orm import Session
    from whoosh.index import FileIndex

    from archive.models import Article
    from index.schema import IndexDoc

#: Articles one index writer takes in an ingest run before it commits them (a
#: segment); a crash leaves at most this many for the next open to index again.
INDEX_CHECKPOINT = 100_000
#: From this many articles in one run on, the rest is indexed by worker
#: processes, one per core (when the machine has two or more and can fork).
PARALLEL_FROM = 5_000
#: Worker processes at most.
MAX_PROCS = 4


class IndexKeeper:
    """The store, the write lock and the index of one archive home, kept in step."""

    def __init__(self, home: Path, store: Store, *, lock_timeout: float | None = None) -> None:
        from archive.locking import WriteLock
        from archive.locking import lock_timeout as default_timeout

        self.home = home
        self.paths = Home(home)
        self.index_path = self.paths.index
        self.store = store
        self.lock_timeout = default_timeout() if lock_timeout is None else lock_timeout
        self._lock = WriteLock(home, self.lock_timeout)
        #: Where long jobs report their phases and lock waits (:mod:`archive.progress`).
        self.progress = Progress()
        self._lock.on_wait = lambda *waited: self.progress.waiting(*waited)
        self._ix: FileIndex | None = None
        #: Why the index cannot be used (None when it can).
        self._index_problem: str | None = None
        #: Things done on the user's behalf that they should hear about (the CLI prints them).
        self.notices: list[str] = []

    # --- opening -----------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        home: Path | str,
        *,
        database: str | None = None,
        lock_timeout: float | None = None,
        progress: Progress | None = None,
        index: bool = True,
    ) -> IndexKeeper:
        """Open the archive at *home*, creating it if needed and upgrading its schema.

        Index work left owed by an interrupted run is finished here (unless
        another process is writing: it finishes it instead). A missing or empty
        index is rebuilt from the database, with a notice in :attr:`notices`; a
        damaged one makes index operations raise :class:`IndexUnavailable`
        until ``reindex``. The parameters are :meth:`archive.facade.Archive.open`'s.

        :raises ArchiveError: the home cannot be used, the database is damaged or
            was made by a newer version of the tool.
        """
        from archive.locking import lock_timeout as default_timeout
        from archive.shared import follow

        home = Path(home).expanduser()
        timeout = default_timeout() if lock_timeout is None else lock_timeout
        try:
            home.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise ArchiveError(f"cannot create the archive home {home} ({exc.strerror})") from exc
        if not home.is_dir():
            raise ArchiveError(f"the archive home {home} is not a directory")
        stranger = Home(home).foreign_content()
        if stranger is not None:
            raise ArchiveError(
                f"{home} is not an archive and is not empty (it holds {stranger}): "
                "give a new or empty directory with --home"
            )
        if database is not None:
            follow(Home(home), database)
        keeper = cls(home, Store(Home(home).database, busy_timeout=timeout), lock_timeout=timeout)
        keeper.progress = progress or keeper.progress
        try:
            if index:
                keeper.ensure_index()
                keeper.settle(wait=False)
            keeper.remove_leftovers()
        except BaseException:
            keeper.close()
            raise
        return keeper

    def remove_leftovers(self) -> None:
        """Remove what a killed ``reindex`` left beside the index (``index.new``, which may
        be as large as the index), saying so; only with the write lock free."""
        from index.layout import leftovers, remove_leftovers

        if not leftovers(self.index_path) or not self._lock.acquire(wait=False):
            return
        try:
            removed = remove_leftovers(self.index_path)  # (a rebuild may have ended)
        finally:
            self._lock.release()
        if removed:
            self.notices.append(f"removed {removed}, left by an interrupted reindex")

    def close(self) -> None:
        if self._ix is not None:
            self._ix.close()
            self._ix = None
        self._lock.release()
        self.store.close()
        self.progress.done()

    def __enter__(self) -> IndexKeeper:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the archive's write lock (re-entrant), waiting up to the lock timeout."""
        self._lock.acquire()
        try:
            yield
        finally:
            self._lock.release()

    def ensure_index(self) -> None:
        """Open the index; build it from the database if it is missing or empty.

        A damaged index is not rebuilt behind the user's back (that can take a
        while): it is recorded, and index operations then say to run ``reindex``.
        """
        from index import writer as iw
        from index.layout import exists

        if not exists(self.index_path):
            with self.locked():
                if not exists(self.index_path):  # another process may have made it
                    self._create_or_rebuild()
                    return
        self._open_index()
        if self.store.shared and self._ix is not None and read_applied(self.paths.applied) is None:
            with self.locked():
                if read_applied(self.paths.applied) is None:
                    count = self.rebuild_locked()
                    self.notices.append(
                        f"the search index at {self.index_path} did not record which of the "
                        f"shared database's changes it holds; rebuilt it from the database "
                        f"({count} article{'s' if count != 1 else ''})"
                    )
        if self._ix is not None and iw.outdated(self._ix):
            with self.locked():
                reason = iw.outdated(self._ix) if self._ix is not None else None
                if reason:  # another process may have rebuilt it meanwhile
                    count = self.rebuild_locked()
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

        horizon = self._horizon()
        if self.count() == 0:
            try:
                self._ix = iw.create(self.index_path)
            except IndexingError as exc:
                raise index_unavailable(exc) from exc
            if horizon is not None:
                write_applied(self.paths.applied, Applied(horizon))
            return
        count = self.rebuild_locked()
        self.notices.append(
            f"the search index at {self.index_path} was missing or empty; "
            f"rebuilt it from the database ({count} article{'s' if count != 1 else ''})"
        )

    @property
    def ix(self) -> FileIndex:
        """The open index. :raises IndexUnavailable: it is damaged (run ``reindex``)."""
        if self._ix is None and self._index_problem is None:
            self.ensure_index()
        if self._index_problem is not None:
            raise index_unavailable(self._index_problem, "unusable")
        assert self._ix is not None
        return self._ix

    def fresh_ix(self) -> None:
        """Reopen the index (Whoosh may keep a lock after a failed commit)."""
        self._open_index()

    @contextmanager
    def index_run(self, jobs: int | None = None) -> Iterator[IndexRun]:
        """The write lock and one index writer for a whole ingest run; see :class:`IndexRun`."""
        from index.errors import IndexingError, IndexLockedError

        with self.locked():
            self.settle_locked()
            run = IndexRun(self, jobs)
            try:
                yield run
                run.finish()
            except BaseException as exc:
                try:
                    if run.between_batches and not isinstance(exc, IndexingError):
                        # Interrupted (Ctrl-C) or failed outside a batch: keep the writer's
                        # stored batches (a second Ctrl-C meanwhile still drops the writer).
                        with suppress(Exception):
                            run.finish()
                finally:
                    run.abandon()
                if isinstance(exc, IndexingError):
                    if not isinstance(exc, IndexLockedError):
                        self.fresh_ix()
                    raise index_unavailable(exc, "ingest") from exc
                raise

    @contextmanager
    def writing(self) -> Iterator[tuple[Session, IndexChanges]]:
        """The write lock, the index writer and one write transaction; see the module docstring.

        Give every change to the index through the :class:`IndexChanges` yielded.
        The SQLite transaction commits when the block ends, then the index, then
        the changes' outbox rows are cleared.
        """
        from index import writer as iw
        from index.errors import IndexingError, IndexLockedError

        with self.locked():
            self.settle_locked()
            ix = self.ix
            try:
                with (
                    iw.open_writer(ix, timeout=self.lock_timeout) as w,
                    self.store.session(write=True) as session,
                ):
                    changes = IndexChanges(session, w, self.owe)
                    yield session, changes
                    self.progress.phase("committing the index", unit="")
            except IndexLockedError as exc:
                raise index_unavailable(exc) from exc
            except IndexingError as exc:
                self.fresh_ix()
                raise index_unavailable(exc, "change") from exc
        # Only now that the index has committed them may the rows go.
        self.clear_outbox(changes.seqs)

    def owe(self, session: Session, ids: list[int], op: str) -> list[int]:
        """Record, in *session*'s transaction, that the index owes these changes: outbox
        rows (their sequence numbers), or on a shared store change log rows (the
        transaction's id). :meth:`clear_outbox` takes what this returns."""
        from sqlalchemy import insert

        from archive.models import IndexOutbox

        if self.store.shared:
            return [record(session, ids, op)]
        rows = [{"article_id": i, "op": op} for i in ids]  # (one INSERT, no ORM flush)
        stmt = insert(IndexOutbox).returning(IndexOutbox.seq, sort_by_parameter_order=True)
        return list(session.scalars(stmt, rows)) if rows else []

    def clear_outbox(self, seqs: Sequence[int], session: Session | None = None) -> None:
        """Forget outbox rows whose changes the index has committed (on a shared store:
        note the transactions as held by this home's index, :mod:`archive.changelog`).

        :param session: an open write transaction to delete them in (default: a new one).
        """
        if not seqs:
            return
        if self.store.shared:
            applied = read_applied(self.paths.applied)
            if applied is not None:
                write_applied(self.paths.applied, applied.with_own(list(seqs)))
            return
        if session is not None:
            delete_outbox(session, seqs)
            return
        with self.store.session(write=True) as session:
            delete_outbox(session, seqs)

    def _horizon(self) -> int | None:
        """On a shared store, a transaction id every change not yet visible is at or past
        (read before the reads it covers); None on SQLite."""
        if not self.store.shared:
            return None
        with self.store.session() as session:
            return snapshot_horizon(session)

    def settle(self, *, wait: bool = True) -> int:
        """Apply index work a crash left owed (outbox rows); returns how many articles.

        :param wait: wait for another writer's lock; if false and the lock is
            taken, do nothing (that writer settles owed work itself).
        """
        from sqlalchemy import func, select

        from archive.models import IndexOutbox

        if self.store.shared:
            if not behind(connect_readonly(self.store.path), read_applied(self.paths.applied)):
                return 0
        else:
            with self.store.session() as session:
                if not session.scalar(select(func.count()).select_from(IndexOutbox)):
                    return 0
        if self._index_problem is not None:
            return 0  # nothing can be written to it; 'reindex' covers the owed work
        if not self._lock.acquire(wait=wait):
            return 0
        try:
            return self.settle_locked()
        finally:
            self._lock.release()

    def settle_locked(self) -> int:
        """:meth:`settle` with the write lock held."""
        from sqlalchemy import select

        from archive.models import Article, IndexOutbox
        from index import writer as iw
        from index.errors import IndexingError

        assert self._lock.held
        applied = read_applied(self.paths.applied) if self.store.shared else None
        horizon = self._horizon()
        rows: Sequence[Any]
        with self.store.session() as session:
            if applied is not None:
                rows = changed_since(session, applied)
            elif self.store.shared:
                return self.rebuild_locked()  # (no record of what the index holds)
            else:
                rows = session.execute(select(IndexOutbox.seq, IndexOutbox.article_id)).all()
        if not rows:
            if horizon is not None and applied is not None and horizon != applied.horizon:
                write_applied(self.paths.applied, Applied(horizon, applied.own))
            return 0
        # (article id, transaction) from the change log; (seq, article id) from the outbox
        ids = sorted({row[0] if applied is not None else row[1] for row in rows})
        try:
            with (
                iw.open_writer(self.ix, timeout=self.lock_timeout) as writer,
                self.store.session() as session,
            ):
                live: dict[int, Article] = {}
                for chunk in chunks(ids, 500):
                    live.update(
                        (a.id, a)
                        for a in session.scalars(select(Article).where(Article.id.in_(chunk)))
                    )
                iw.apply(writer, [index_doc(a) for a in live.values()], set(ids) - set(live))
        except IndexingError as exc:
            self.fresh_ix()
            home = self.paths.path
            raise environment_error(exc, home) or index_unavailable(exc, "settle") from exc
        if horizon is not None and applied is not None:
            write_applied(self.paths.applied, Applied(horizon, applied.own))
            return len(ids)
        # Only now that the index has committed them may the rows go.
        self.clear_outbox([seq for seq, _ in rows])
        return len(ids)

    def reindex(self) -> int:
        """Rebuild the whole index from the database; the old one serves until the new is done.

        Writers wait while it runs. Returns the number of articles indexed.
        """
        with self.locked():
            return self.rebuild_locked()

    def rebuild_locked(self) -> int:
        from sqlalchemy import delete, func, select

        from archive.models import Article, IndexOutbox
        from index import writer as iw
        from index.errors import IndexingError

        assert self._lock.held
        if self._ix is not None:
            self._ix.close()
            self._ix = None
        horizon = self._horizon()
        try:
            with self.store.session() as session:
                top = session.scalar(select(func.max(IndexOutbox.seq)))
                total = session.scalar(select(func.count()).select_from(Article)) or 0
                procs = (
                    min(os.cpu_count() or 1, MAX_PROCS)
                    if total >= PARALLEL_FROM and iw.parallel_supported()
                    else 1
                )
                self.progress.phase("reindexing", total)
                rows = session.scalars(select(Article).execution_options(yield_per=500))
                then = "committing the index (merging its segments)"
                docs = counted((index_doc(a) for a in rows), self.progress, then)
                count = iw.rebuild(self.index_path, docs, timeout=self.lock_timeout, procs=procs)
        except (IndexingError, OSError) as exc:
            raise index_unavailable(exc, "rebuild") from exc
        if horizon is not None:
            write_applied(self.paths.applied, Applied(horizon))
        elif top is not None:
            with self.store.session(write=True) as session:
                session.execute(delete(IndexOutbox).where(IndexOutbox.seq <= top))
        self._open_index()
        return count

    def optimize(self) -> None:
        """Merge the index's segments into one."""
        from index import writer as iw
        from index.errors import IndexingError

        with self.locked():
            try:
                self.progress.phase("merging the index's segments", unit="")
                iw.optimize(self.ix, timeout=self.lock_timeout)
            except IndexingError as exc:
                self.fresh_ix()
                raise index_unavailable(exc) from exc

    def count(self) -> int:
        from sqlalchemy import func, select

        from archive.models import Article

        with self.store.session() as session:
            return int(session.scalar(select(func.count()).select_from(Article)) or 0)

    def check(self, *, repair: bool = False) -> CheckReport:
        """Compare the database with the index: ids on each side, the text and every other
        indexed field (title, author, source, tags, URL, date).

        Holds the write lock, so a change in flight in another process is never
        taken for a difference; index work a crash left owed is finished first
        (counted in ``pending``).

        :param repair: bring the index in line, changing only the documents that
            differ; an unreadable index is rebuilt.
        :raises IndexUnavailable: the index cannot be read (and *repair* is false).
        """
        from sqlalchemy import select

        from archive.integrity import DAMAGE_ADVICE, database_problem, index_problem
        from archive.models import Article
        from index import writer as iw
        from index.errors import IndexingError

        with self.locked():
            damage = database_problem(self.store.path)  # PRAGMA quick_check (SQLite)
            if damage is not None:
                raise DatabaseDamaged(f"the archive database {self.store.path} is damaged "
                    f"({damage}); {DAMAGE_ADVICE}")  # fmt: skip
            if self._index_problem is not None or self._ix is None:
                self._open_index()
            if self._index_problem is None and self._ix is not None:
                self._index_problem = index_problem(self._ix)  # every posting read once
            if self._index_problem is not None and repair:
                count = self.rebuild_locked()
                return CheckReport(count, [], [], [], repaired=True, rebuilt=True)
            settled = self.settle_locked()
            try:
                self.progress.phase("comparing the database with the index", unit="")
                in_index = iw.indexed_fields(self.ix)
            except IndexingError as exc:
                self._index_problem = str(exc)
                if repair:
                    count = self.rebuild_locked()
                    return CheckReport(count, [], [], [], settled, repaired=True, rebuilt=True)
                self.ix  # noqa: B018 - raises IndexUnavailable, saying to run reindex
                raise
            in_db = stored_fields(self.store)
            missing = sorted(set(in_db) - set(in_index))
            extra = sorted(set(in_index) - set(in_db))
            both = sorted(set(in_db) & set(in_index))
            stale = [i for i in both if in_db[i][0] != in_index[i][0]]
            fields = [i for i in both if in_db[i][0] == in_index[i][0] and in_db[i] != in_index[i]]
            report = CheckReport(len(in_db), missing, extra, stale, settled, outdated_fields=fields)
            if not repair or report.ok:
                return report
            fix = missing + stale + fields
            self.progress.phase("repairing the index", len(fix))
            try:
                with (
                    iw.open_writer(self.ix, timeout=self.lock_timeout) as writer,
                    self.store.session() as session,
                ):
                    for chunk in chunks(fix, 500):
                        articles = session.scalars(select(Article).where(Article.id.in_(chunk)))
                        iw.apply(writer, [index_doc(a) for a in articles], [])
                        self.progress.advance(len(chunk))
                    iw.apply(writer, [], extra)
            except IndexingError as exc:
                self.fresh_ix()
                raise index_unavailable(exc, "repair") from exc
            return CheckReport(
                len(in_db), missing, extra, stale, settled, repaired=True, outdated_fields=fields
            )


class IndexRun:
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

    def __init__(self, keeper: IndexKeeper, jobs: int | None = None) -> None:
        self.keeper = keeper
        self.writer: Any = None
        self.procs = min(os.cpu_count() or 1, MAX_PROCS) if jobs is None else max(jobs, 1)
        self.parallel = False
        #: Outbox rows of the batches the open writer holds.
        self.owed: list[int] = []
        #: Ids of the articles the open writer holds (not yet in the index).
        self.pending: set[int] = set()
        #: Articles given to the open writer, and to the run's writers in all.
        self.docs = self.total = 0
        #: False while a batch's documents are going to the writer (its transaction open).
        self.between_batches = True

    def stage(self, session: Session, changed: list[Article], added: set[int]) -> list[int]:
        """Owe the index a batch's changed articles, and give them to the writer.

        Inside the batch's write transaction: an outbox row per article, then
        its document to the writer. Returns the rows' sequence numbers, for
        :meth:`owe` once the transaction has committed.

        :param added: the ``id()`` of the articles that are new (the others replace
            documents the index may hold).
        """
        owed = self.keeper.owe(session, [a.id for a in changed], "upsert")
        self.add(
            session,
            [index_doc(a) for a in changed if id(a) in added],
            [index_doc(a) for a in changed if id(a) not in added],
        )
        return owed

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
        for doc in new:
            iw.add(self.writer, doc)
        if changed:
            iw.apply(self.writer, changed, [])
        self.pending.update(doc.id for doc in new)
        self.pending.update(doc.id for doc in changed)
        self.docs += len(new) + len(changed)
        self.total += len(new) + len(changed)

    def owe(self, seqs: list[int]) -> None:
        """Note a committed batch's outbox rows (then :meth:`checkpoint`)."""
        self.owed.extend(seqs)
        self.between_batches = True

    def checkpoint(self) -> None:
        """Commit the writer at a checkpoint, or when the run turns to worker processes."""
        from index import writer as iw

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
        self.writer = iw.start_writer(self.keeper.ix, timeout=self.keeper.lock_timeout, procs=procs)

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
        self.keeper.clear_outbox(owed, session)

    def finish(self) -> None:
        # A run that committed before (a checkpoint, or the switch to worker
        # processes) is a bulk run: its own segments are large, and merging them
        # would cost as much as indexing them again.
        if self.writer is not None:
            self.keeper.progress.phase("committing the index", unit="")
        self.commit(merge=self.total == self.docs)

    def abandon(self) -> None:
        """Drop the open writer; its batches stay owed in the outbox."""
        from index import writer as iw

        if self.writer is not None:
            writer, self.writer = self.writer, None
            iw.discard(writer)
