"""Ingest runs: drafts in, articles stored and indexed in batches, an outcome for each.

:class:`Intake` is the ingest half of :class:`archive.facade.Archive`: it reads
files, directories and standard input through :mod:`archive.ingest`, skips
files unchanged since they were ingested, decides each article's fate with
:mod:`archive.decisions`, and stores each batch through the consistency
protocol of :mod:`archive.consistency` (one index writer for the whole run).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from archive.decisions import (
    FailureSeen,
    Prepared,
    SourceFileSeen,
    decide,
    now,
    prepare,
    remember_failures,
    remember_files,
)
from archive.errors import InputError, Interrupted, environment_error
from archive.ingest.draft import ArticleDraft, Overrides
from archive.links import is_link
from archive.links import store as store_links
from archive.records import IngestOutcome, IngestReport
from archive.terminal import path_text

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from archive.consistency import IndexKeeper, IndexRun

#: Articles written per database transaction.
BATCH_SIZE = 500

#: What an ingest run takes: drafts, inputs that failed to read, files skipped unread
#: (an outcome standing for their articles), and files read whole (to remember them).
Item = ArticleDraft | InputError | IngestOutcome | SourceFileSeen | FailureSeen


class Intake:
    """Ingesting into the archive whose consistency :attr:`keeper` keeps."""

    keeper: IndexKeeper

    def add(self, draft: ArticleDraft) -> IngestOutcome:
        """Store and index one article; see :meth:`ingest`."""
        return self.ingest([draft]).outcomes[0]

    def ingest(
        self,
        items: Iterable[Item],
        *,
        batch_size: int = BATCH_SIZE,
        progress: Callable[[IngestOutcome], object] | None = None,
        dry_run: bool = False,
        keep_outcomes: bool = True,
        on_read: Callable[[int], object] | None = None,
        jobs: int | None = None,
        keep_html: bool = True,
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
            :data:`MAX_PROCS`; 1: this process alone). See :class:`archive.consistency.IndexRun`.
        :param keep_html: keep each article's original HTML page, when it has one
            (:mod:`archive.pages`).
        """
        report = IngestReport(dry_run=dry_run, keep_outcomes=keep_outcomes)
        if on_read is not None:
            items = _counted(items, on_read)

        def told(outcome: IngestOutcome) -> None:
            report.record(outcome)
            if progress is not None:
                progress(outcome)

        # Inputs that failed to read are told at once, not held for their batch: a
        # million bad lines print a million errors as they come, in flat memory.
        items = _failures_told(items, told)
        try:
            with (
                self._dry_session() if dry_run else nullcontext(None) as dry,
                nullcontext(None) if dry_run else self.keeper.index_run(jobs) as run,
            ):
                for batch in _batches(items, batch_size):
                    # A Ctrl-C while a batch is written waits until it is committed and
                    # counted, so that what the report says was stored is exact.
                    with interrupt_deferred():
                        outcomes = self._ingest_batch(batch, dry, run, keep_html=keep_html)
                        for outcome in outcomes:
                            report.record(outcome)
                    if run is not None:
                        run.checkpoint()  # (a long index commit: Ctrl-C is not held)
                    if progress is not None:
                        for outcome in outcomes:
                            progress(outcome)
        except KeyboardInterrupt as exc:
            # (the same interruption, where it happened, with what was stored)
            raise Interrupted(report).with_traceback(exc.__traceback__) from None
        except Exception as exc:
            problem = environment_error(exc, self.keeper.home)
            if problem is None:
                raise
            stored = f"{report.count('added')} added and {report.count('updated')} updated"
            raise type(problem)(
                f"{problem}; this ingest stopped after {stored} articles, which are stored"
            ) from exc
        return report

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
        urls: Sequence[str] = (),
        url_files: Sequence[Path] = (),
        retry_failed: bool = False,
        **options: Any,
    ) -> IngestReport:
        """Ingest files, directories (recursively) and ``-`` (*stdin*); see :meth:`ingest`.

        Web pages come first: *urls*, and the addresses listed in *url_files* (one a
        line, see :func:`archive.fetching.read_url_list`), fetched a few at once
        (:func:`archive.fetching.fetched_drafts`; *max_bytes* is also a page's limit).

        A file ingested before whose size and modification time are unchanged is
        skipped unread (one ``unchanged`` outcome for all its articles); one whose
        time changed but whose bytes hash the same is skipped unparsed. A file is
        remembered only when all of it was ingested without failures.

        A file that failed before and is unchanged since (same size, and same
        modification time or hash) is not read again: one ``still failing`` outcome
        with its earlier message, which is no new failure (``report.failed`` does
        not count it). A file that fails is remembered so (not in a dry run).

        :param fmt: the format of every input (default: by extension, else sniffed).
        :param globs: inside directories, take the files matching these patterns.
        :param max_bytes: the size limit of one input (for JSONL a line, for a JSON
            array an element).
        :param force: read every file, changed or not (as when *overrides* give anything).
        :param retry_failed: read files that failed before even if unchanged.
        :param options: passed on to :meth:`ingest`.
        """
        from archive.ingest import DEFAULT_MAX_BYTES, read_path, read_stream, walk
        from archive.ingest.inputs import stdin_problem

        limit = max_bytes or DEFAULT_MAX_BYTES
        # Metadata on the command line may change articles whose files have not changed.
        fresh = force or (overrides is not None and not overrides.empty)
        known = {} if fresh else self._source_files()
        failed_before = {} if fresh or retry_failed else self._failed_inputs()
        reading = f"format={fmt or 'auto'} max_bytes={limit}"
        skipped = 0

        def pages() -> Iterator[Item]:
            from archive.fetching import fetched_drafts, read_url_list

            wanted: list[str] = list(urls)
            for listed in url_files:
                for item in read_url_list(listed):
                    if isinstance(item, InputError):
                        yield item
                    else:
                        wanted.append(item)
            for draft in fetched_drafts(wanted, max_bytes=max_bytes):
                if isinstance(draft, InputError) or overrides is None:
                    yield draft
                else:
                    yield overrides.apply(draft)

        def items() -> Iterator[Item]:
            nonlocal skipped
            if urls or url_files:
                yield from pages()
            for path in walk(paths, globs):
                if isinstance(path, InputError):
                    yield path
                    continue
                if str(path) == "-":
                    problem = "standard input is closed" if stdin is None else stdin_problem(stdin)
                    if problem is not None:
                        yield InputError("-", problem)
                        continue
                    assert stdin is not None
                    try:
                        yield from read_stream(
                            stdin, "-", fmt=fmt, overrides=overrides, max_bytes=limit
                        )
                    except OSError as exc:
                        yield InputError("-", f"cannot be read ({exc.strerror or exc})")
                    continue
                key = path_text(path.absolute())
                try:
                    st = path.stat()
                except OSError:
                    yield from read_path(path, overrides, fmt=fmt, max_bytes=limit)
                    continue
                bad = failed_before.get(key)
                if bad is not None and bad.size == st.st_size and bad.options == reading:
                    if bad.mtime_ns == st.st_mtime_ns or bad.sha256 == file_sha256(path):
                        if bad.articles:
                            yield IngestOutcome(
                                "unchanged",
                                key,
                                message="file not changed since its failure; not read",
                                count=bad.articles,
                            )
                        yield IngestOutcome(
                            "still failing", key, message=bad.message, count=bad.failures
                        )
                        continue
                prev = known.get(key)
                if prev is not None and prev.size == st.st_size:
                    same = prev.mtime_ns == st.st_mtime_ns or prev.sha256 == file_sha256(path)
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
                failures: list[InputError] = []
                for item in read_path(path, overrides, fmt=fmt, max_bytes=limit, digest=digest):
                    if isinstance(item, InputError):
                        failures.append(item)
                    else:
                        count += 1
                    yield item
                if failures:
                    first = str(failures[0])
                    yield FailureSeen(
                        key,
                        st.st_size,
                        st.st_mtime_ns,
                        digest.hexdigest(),
                        first,
                        len(failures),
                        count,
                        reading,
                    )
                elif count:
                    yield SourceFileSeen(key, st.st_size, st.st_mtime_ns, digest.hexdigest(), count)

        report = self.ingest(items(), **options)
        report.files_skipped = skipped
        return report

    def _source_files(self) -> dict[str, SourceFileSeen]:
        from sqlalchemy import select

        from archive.models import SourceFile

        with self.keeper.store.session() as session:
            return {
                r.path: SourceFileSeen(r.path, r.size, r.mtime_ns, r.sha256, r.articles)
                for r in session.scalars(select(SourceFile))
            }

    def _failed_inputs(self) -> dict[str, FailureSeen]:
        from sqlalchemy import select

        from archive.models import FailedInput

        with self.keeper.store.session() as session:
            return {
                r.path: FailureSeen(
                    r.path,
                    r.size,
                    r.mtime_ns,
                    r.sha256,
                    r.message,
                    r.failures,
                    r.articles,
                    r.options,
                )
                for r in session.scalars(select(FailedInput))
            }

    @contextmanager
    def _dry_session(self) -> Iterator[Session]:
        """One transaction for a whole dry run, rolled back at the end."""
        from sqlalchemy.orm import Session

        with Session(self.keeper.store.engine, expire_on_commit=False) as session:
            session.begin()
            try:
                yield session
            finally:
                session.rollback()

    def _ingest_batch(
        self,
        batch: Sequence[Item],
        dry: Session | None = None,
        run: IndexRun | None = None,
        *,
        keep_html: bool = True,
    ) -> list[IngestOutcome]:
        outcomes: list[IngestOutcome | None] = [None] * len(batch)
        prepared: list[tuple[int, Prepared]] = []
        files: list[SourceFileSeen] = []
        links: list[tuple[int, ArticleDraft]] = []
        failing: list[FailureSeen] = []
        for i, item in enumerate(batch):
            if isinstance(item, IngestOutcome):
                outcomes[i] = item
            elif isinstance(item, SourceFileSeen):
                files.append(item)
            elif isinstance(item, FailureSeen):
                failing.append(item)
            elif isinstance(item, InputError):
                outcomes[i] = IngestOutcome("failed", item.origin, message=str(item))
            elif is_link(item):
                links.append((i, item))
            else:
                try:
                    prepared.append((i, prepare(item)))
                except InputError as exc:
                    outcomes[i] = IngestOutcome("failed", item.origin, message=str(exc))
        if dry is not None:
            if prepared or links:
                decide(dry, prepared, outcomes, dry_run=True)
                store_links(dry, links, outcomes, now())
                dry.flush()
                dry.expunge_all()
        elif prepared:
            assert run is not None
            for attempt in range(CONFLICT_RETRIES + 1):
                tried = list(outcomes)
                try:
                    with self.keeper.store.session(write=True) as session:
                        changed, added = decide(session, prepared, tried, keep_pages=keep_html)
                        store_links(session, links, tried, now())
                        remember_files(session, files)
                        remember_failures(session, failing)
                        owed = run.stage(session, changed, added)
                except Exception as exc:
                    # On a shared store another machine may have just stored the same
                    # article (a unique key taken) or deadlocked with this batch, or the
                    # server went away: the batch was rolled back whole and nothing is in
                    # the index yet (a failure at the commit itself is not retried: it
                    # may have committed), so deciding it again is safe.
                    wait = self.keeper.store.retry_after(exc, attempt)
                    if attempt < CONFLICT_RETRIES and run.between_batches and wait is not None:
                        time.sleep(wait)
                        continue
                    raise
                outcomes[:] = tried
                break
            run.owe(owed)
        elif files or links or failing:
            with self.keeper.store.session(write=True) as session:
                store_links(session, links, outcomes, now())
                remember_files(session, files)
                remember_failures(session, failing)
        return [o for o in outcomes if o is not None]


#: Times a batch is decided again after it met another writer's (shared store only).
CONFLICT_RETRIES = 3


def _counted(items: Iterable[Any], on_read: Callable[[int], object]) -> Iterator[Any]:
    for item in items:
        if isinstance(item, IngestOutcome):
            on_read(item.count)
        elif not isinstance(item, SourceFileSeen | FailureSeen):
            on_read(1)
        yield item


def _failures_told(items: Iterable[Any], told: Callable[[IngestOutcome], None]) -> Iterator[Any]:
    """*items* without the inputs that failed to read, each passed to *told* as it comes."""
    for item in items:
        if isinstance(item, InputError):
            told(IngestOutcome("failed", item.origin, message=str(item)))
        else:
            yield item


@contextmanager
def interrupt_deferred() -> Iterator[None]:
    """Ctrl-C (SIGINT) held until the block ends, then raised: the block is never cut
    half-way. Only in the main thread with Python's own handler (else nothing changes)."""
    import signal
    import threading

    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        yield
        return
    caught: list[int] = []
    signal.signal(signal.SIGINT, lambda signum, _frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if caught:
        raise KeyboardInterrupt


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


def file_sha256(path: Path) -> str | None:
    from archive.ingest.inputs import open_regular

    digest = hashlib.sha256()
    try:
        with open_regular(path) as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()
