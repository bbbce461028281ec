"""Opening, creating and writing the on-disk Whoosh index.

Every write goes through :func:`start_writer` (or :func:`open_writer`, a block
around it), which waits for Whoosh's write lock (Whoosh's own default is to fail
at once), can index in worker processes, and turns lock and storage failures
into :class:`~index.errors.IndexingError`; :func:`finish` commits with the
:func:`tiered_merge` policy. Files and directories the index creates are
readable by their owner only (0600/0700).
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import StructFile
from whoosh.index import FileIndex
from whoosh.util.filelock import FileLock
from whoosh.writing import IndexWriter, LockError

from index.analysis import ANALYSIS_VERSION
from index.errors import IndexingError, IndexLockedError
from index.schema import IndexDoc, make_schema

#: Seconds a writer waits for another process's write lock before giving up.
LOCK_TIMEOUT = 60.0

#: Memory (MB) one writer may use before flushing a segment; DESIGN.md: >256 does not help.
WRITER_LIMIT_MB = 256

#: Whoosh maps each segment file with mmap and then copies every sub-file it opens
#: (``BytesIO(memoryview)`` in ``whoosh.filedb.structfile.BufferFile``): the whole
#: term dictionary of every segment, for every searcher. Plain file reads skip that
#: copy; measured in bench/README.md ("Performance").
USE_MMAP = False


def _storage(path: Path) -> PrivateStorage:
    return PrivateStorage(str(path), supports_mmap=USE_MMAP)


#: The file in the index directory recording the analysis version it was built with.
ANALYSIS_FILE = "ANALYSIS_VERSION"

#: Whoosh's table-of-contents files: an index exists once one of these does.
_TOC = re.compile(r"_MAIN_\d+\.toc")


class PrivateStorage(FileStorage):
    """A Whoosh ``FileStorage`` whose files are 0600 and directories 0700."""

    def create(self) -> PrivateStorage:
        os.makedirs(self.folder, mode=0o700, exist_ok=True)
        if not os.path.isdir(self.folder):
            raise NotADirectoryError(self.folder)
        return self

    def create_file(self, name: str, excl: bool = False, mode: str = "wb", **kwargs: Any) -> Any:
        if self.readonly:
            from whoosh.filedb.filestore import ReadOnlyError

            raise ReadOnlyError
        # The same flags Python's open() uses for *mode*, plus 0600 for a new file.
        flags = os.O_CREAT | getattr(os, "O_BINARY", 0)
        flags |= os.O_RDWR if "+" in mode or "r" in mode else os.O_WRONLY
        flags |= os.O_EXCL if excl else 0 if "a" in mode or "r" in mode else os.O_TRUNC
        flags |= os.O_APPEND if "a" in mode else 0
        fd = os.open(self._fpath(name), flags, 0o600)
        return StructFile(os.fdopen(fd, mode), name=name, **kwargs)

    def lock(self, name: str) -> FileLock:
        path = self._fpath(name)
        if not self.readonly:
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        return FileLock(path)

    def temp_storage(self, name: str | None = None) -> PrivateStorage:
        from whoosh.util import random_name

        name = name or f"{random_name()}.tmp"
        return PrivateStorage(os.path.join(self.folder, name)).create()


def exists(path: Path) -> bool:
    """Whether *path* holds a Whoosh index (at least one table of contents)."""
    try:
        return path.is_dir() and any(_TOC.fullmatch(name) for name in os.listdir(path))
    except OSError:
        return False


def create(path: Path) -> FileIndex:
    """Create an empty index at *path* (the directory is made 0700).

    Whoosh deletes any index already there: callers hold the archive's write lock.
    """
    try:
        ix = _storage(path).create().create_index(make_schema())
        fd = os.open(path / ANALYSIS_FILE, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(f"{ANALYSIS_VERSION}\n")
        return ix
    except OSError as exc:
        raise IndexingError(f"cannot create the search index at {path} ({exc})") from exc


def _schema(ix: FileIndex, attempts: int = 20) -> Any:
    """The schema of the index's latest generation.

    Whoosh reads it from the newest table of contents, which a writer in another
    process may replace (and delete) between listing and opening it: try again,
    as Whoosh's own ``reader()`` does.
    """
    for attempt in range(attempts):
        try:
            return ix.schema
        except FileNotFoundError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.05)
    raise AssertionError("unreachable")


def outdated(ix: FileIndex) -> str | None:
    """Why the index must be rebuilt for this version of the tool, or None.

    It must when its fields differ from :func:`index.schema.make_schema`'s, or
    when it was built with another :data:`index.analysis.ANALYSIS_VERSION`
    (recorded in the file ``ANALYSIS_VERSION`` inside the index directory).
    """
    if set(_schema(ix).names()) != set(make_schema().names()):
        return "the search index was built by an older version of the tool (other fields)"
    try:
        recorded = (Path(ix.storage.folder) / ANALYSIS_FILE).read_text().strip()
    except OSError:
        recorded = ""
    if recorded != str(ANALYSIS_VERSION):
        return "the search index was built with another version of the text analysis"
    return None


def open_index(path: Path, *, create_missing: bool = False) -> FileIndex:
    """Open the index at *path*.

    :param create_missing: create an empty index if none is there.
    :raises IndexingError: there is no index, or it cannot be read.
    """
    if not exists(path):
        if create_missing:
            return create(path)
        raise IndexingError(f"no search index at {path}")
    try:
        return _storage(path).open_index()
    except Exception as exc:  # Whoosh raises many kinds on a damaged index
        raise IndexingError(
            f"the search index at {path} cannot be read ({_describe(exc)})"
        ) from exc


def verify(ix: FileIndex, *, deep: bool = False) -> None:
    """Open every segment of *ix* so that damage shows now rather than mid-command.

    :param deep: also read every stored document (slower, proportional to the index).
    :raises IndexingError: a segment is missing or cannot be read.
    """
    try:
        with ix.reader() as reader:
            reader.doc_count()
            if deep:
                for _ in reader.all_stored_fields():
                    pass
    except Exception as exc:
        folder = getattr(ix.storage, "folder", "?")
        raise IndexingError(f"the search index at {folder} is damaged ({_describe(exc)})") from exc


def damage(ix: FileIndex) -> str | None:
    """What is wrong with *ix*, in words, or None if its segments can be opened.

    For telling a damaged index from a bug after an operation on it failed.
    """
    try:
        verify(ix)
    except IndexingError as exc:
        return str(exc)
    return None


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


#: How many documents a commit may add to the index before it stops counting as
#: small: a segment holding more than this is never merged automatically (only by
#: ``archive optimize``), because merging rewrites every posting: even streamed
#: (:func:`merge_into`) it costs about half as much as indexing the documents again.
MERGE_MAX_DOCS = 25_000


def tiered_merge(new_docs: int) -> Callable[[Any, list[Any]], list[Any]]:
    """A Whoosh merge policy for a commit that adds *new_docs* documents.

    Going from the smallest existing segment up, a segment is merged into the
    new one while it holds no more documents than everything merged so far (the
    new documents included) and no more than :data:`MERGE_MAX_DOCS`. Small
    commits so merge like a binary counter: segments stay few (about log2 of the
    documents added in small commits), each document is merged about log2 times
    in its life, and a small commit never merges a large segment, which Whoosh's
    own ``MERGE_SMALL`` did every ~20 commits (a 252 s commit after a bulk import).
    """

    def policy(writer: Any, segments: list[Any]) -> list[Any]:

        group = max(new_docs, 1)
        merged: list[Any] = []
        kept: list[Any] = []
        for seg in sorted(segments, key=lambda s: s.doc_count_all()):
            size = seg.doc_count_all()
            if not kept and size <= group and size <= MERGE_MAX_DOCS:
                merged.append(seg)
                group += size
            else:
                kept.append(seg)
        if len(merged) + (new_docs > 0) < 2:
            return segments  # nothing to merge with
        merge_into(writer, merged)
        return kept

    return policy


def _merge_all(writer: Any, segments: list[Any]) -> list[Any]:
    """The merge policy of ``archive optimize``: every segment into the new one."""
    merge_into(writer, segments)
    return []


def merge_into(writer: Any, segments: list[Any]) -> None:
    """Merge *segments* into the segment *writer* is writing (part of a merge policy).

    Whoosh's own ``add_reader`` pickles every posting of every merged segment
    into its external sort pool, then sorts and unpickles them again, one at a
    time in Python: merging cost about as much as indexing the documents anew
    (4.5 ms a document). A segment's postings are already sorted, so here each
    merged segment's posting lists are decoded whole (:mod:`index.postings`) and
    streamed, merged in order with the pool's postings of the new documents,
    straight into the segment being written. Per-document data (stored fields,
    lengths, columns) is copied as Whoosh copies it. Writers other than a plain
    ``SegmentWriter`` (worker processes) use Whoosh's ``add_reader``.
    """
    from whoosh.reading import SegmentReader
    from whoosh.writing import SegmentWriter

    if not segments:
        return  # nothing to merge (an empty index): no empty segment either, as Whoosh
    readers: list[Any] = []
    try:
        for seg in segments:
            readers.append(SegmentReader(writer.storage, writer.schema, seg))
        if type(writer) is not SegmentWriter or not all(_streamable(r) for r in readers):
            # Whoosh's way: add_reader copies everything into the writer's pool.
            for reader in readers:
                writer.add_reader(reader)
            _close_all(readers)
            return
        streams = []
        for reader in readers:
            names = {n for n in reader.indexed_field_names() if n in writer.schema}
            basedoc = writer.docnum
            docmap = writer.write_per_doc(set(writer.schema.names()) | names, reader)
            streams.append(_segment_postings(reader, sorted(names), basedoc, docmap))
        writer._added = True
    except BaseException:
        _close_all(readers)
        raise
    _flush_with(writer, streams, readers)


def _close_all(readers: list[Any]) -> None:
    for reader in readers:
        if not reader.is_closed:
            reader.close()


def _streamable(reader: Any) -> bool:
    """Whether *reader*'s segment is in the format :mod:`index.postings` decodes."""
    from whoosh.codec.whoosh3 import W3TermsReader

    return isinstance(getattr(reader, "_terms", None), W3TermsReader)


def _segment_postings(
    reader: Any, fieldnames: list[str], basedoc: int, docmap: dict[int, int] | None
) -> Iterator[tuple[Any, ...]]:
    """Every posting of *reader*'s segment, renumbered into the new segment.

    As Whoosh's ``iter_postings`` and ``_process_posts`` give them, but sorted by
    field name (as the segment writer takes them) and decoded a list at a time;
    deleted documents left out (*docmap* holds the others, when there are any).
    """
    from index import postings

    terms = reader._terms
    postfile = terms._postfile
    schema = reader.schema
    for fieldname in fieldnames:
        fixed = schema[fieldname].format.fixed_value_size()
        for (name, btext), info in terms.items_from(fieldname, b""):
            if name != fieldname:
                break
            if info.is_inlined():  # Whoosh 2.7.4 never writes these; decode as Whoosh does
                ids, weights, values = (list(x) for x in info.inlined_postings())
            else:
                offset, length = info.extent()
                ids, weights, values = postings.decode(postfile, offset, length, fixed)
            if docmap is None:
                for docnum, weight, value in zip(ids, weights, values, strict=True):
                    yield (fieldname, btext, basedoc + docnum, weight, value)
            else:
                for docnum, weight, value in zip(ids, weights, values, strict=True):
                    if docnum in docmap:
                        yield (fieldname, btext, docmap[docnum], weight, value)


class _MemoryLengths:
    """The new segment's field lengths, read once per field instead of once per posting.

    Whoosh's ``add_postings`` asks the length of the field for every posting it
    writes (a seek and a one-byte read each: a third of a merge's time).
    Answers exactly as Whoosh's ``doc_field_length``.
    """

    def __init__(self, perdoc: Any) -> None:
        self._perdoc = perdoc
        self._raw: dict[str, bytes | None] = {}

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int | None:
        from index.postings import BYTE_TO_LENGTH, length_bytes

        if fieldname not in self._raw:
            self._raw[fieldname] = length_bytes(self._perdoc, fieldname)
        raw = self._raw[fieldname]
        if raw is None or docnum >= len(raw):
            return self._perdoc.doc_field_length(docnum, fieldname, default)
        return BYTE_TO_LENGTH[raw[docnum]]

    def close(self) -> None:
        self._perdoc.close()


def _flush_with(writer: Any, streams: list[Iterator[tuple[Any, ...]]], readers: list[Any]) -> None:
    """Make *writer* write the merged *streams* beside its own postings when it commits."""
    import heapq

    def flush() -> None:
        # As SegmentWriter._flush_segment, with the merged segments' postings added in order.
        try:
            writer.perdocwriter.close()
            pdr = writer.per_document_reader() if writer.codec.length_stats else None
            if pdr is not None:
                pdr = _MemoryLengths(pdr)
            # (field, term, docnum) never repeats across the streams: plain tuple order.
            items = heapq.merge(writer.pool.iter_postings(), *streams)
            writer.fieldwriter.add_postings(writer.schema, pdr, items)
            writer.fieldwriter.close()
            if pdr:
                pdr.close()
        finally:
            _close_all(readers)

    writer._flush_segment = flush
    writer._archive_merged_readers = readers  # closed by discard() if it never flushes


def _no_merge(writer: Any, segments: list[Any]) -> list[Any]:
    return segments


#: Seconds the parent waits for a worker process's result after it has exited.
RESULT_TIMEOUT = 30.0


def parallel_supported() -> bool:
    """Whether worker processes can index here.

    Whoosh's ``MpWriter`` starts its workers with the default start method, and
    they (and our worker class) are only usable with ``fork``: the default on
    Linux up to Python 3.13; macOS, Windows and Python 3.14 default to another.
    """
    import multiprocessing

    return multiprocessing.get_start_method() == "fork" and (os.cpu_count() or 1) > 1


class _Results:
    """Whoosh's result queue, but a worker that died without a result is an error.

    ``MpWriter._commit`` waits one second for each worker's result and silently
    goes on without it (``queue.Empty``): that worker's documents would be lost
    from a commit that reports success.
    """

    def __init__(self, queue: Any, tasks: list[Any]) -> None:
        self._queue = queue
        self._tasks = tasks

    def put(self, *args: Any, **kwargs: Any) -> Any:
        return self._queue.put(*args, **kwargs)

    def get(self, *args: Any, **kwargs: Any) -> Any:
        import queue

        try:
            return self._queue.get(timeout=RESULT_TIMEOUT)
        except queue.Empty:
            codes = ", ".join(str(task.exitcode) for task in self._tasks)
            raise IndexingError(
                f"an indexing worker process ended without its results (exit codes {codes})"
            ) from None


def _die_with(parent: int) -> None:
    """In a worker process: end when *parent* ends, however it ends.

    A worker inherits the parent's locks (the archive's ``write.lock`` and
    Whoosh's ``MAIN_WRITELOCK`` are ``flock`` locks, shared across ``fork``) and
    waits on the job queue for ever: a worker outliving a killed parent would
    keep the archive locked. Linux's ``PR_SET_PDEATHSIG`` ends it with the parent.
    """
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        pr_set_pdeathsig = 1
        with suppress(OSError, AttributeError):
            ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before that took effect
        os._exit(1)


def _parallel_writer(ix: FileIndex, procs: int, **kwargs: Any) -> IndexWriter:
    """Whoosh's ``MpWriter`` (one segment per worker), with three of its defects fixed."""
    import signal

    from whoosh.multiproc import MpWriter, SubWriterTask

    parent = os.getpid()

    class Task(SubWriterTask):  # type: ignore[misc]
        def run(self) -> None:
            # Ctrl-C reaches the whole process group: the parent decides (it
            # commits what is stored, or cancels, which ends the workers). SIGINT
            # is blocked from the fork (see _new_task), so none is lost or fatal
            # before this: one pending is discarded once it is ignored.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
            _die_with(parent)
            super().run()

    class StrictMpWriter(MpWriter):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__(ix, procs=procs, multisegment=True, **kwargs)
            self.resultqueue = _Results(self.resultqueue, self.tasks)

        def _new_task(self) -> Any:
            task = Task(
                self.storage,
                self.indexname,
                self.jobqueue,
                self.resultqueue,
                self.subargs,
                self.multisegment,
            )
            # The worker inherits the blocked SIGINT; a Ctrl-C meanwhile is raised here
            # on unblocking. (pthread_sigmask itself raises a pending one after changing
            # the mask, hence the query first and the change inside the try.)
            was_blocked = signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, ())
            try:
                signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
                task.start()
                self.tasks.append(task)  # once started (cancel() joins every task)
            finally:
                if not was_blocked:
                    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
            return task

        def cancel(self) -> None:
            # MpWriter.cancel only sets a flag on its own copies of the worker
            # objects: the workers stay blocked on the job queue, and Python
            # waits for them at exit. End them.
            for task in self.tasks:
                if task.is_alive():
                    task.terminate()
            for task in self.tasks:
                task.join(5)
            SegmentWriter.cancel(self)

    from whoosh.writing import SegmentWriter

    return StrictMpWriter()


def start_writer(ix: FileIndex, *, timeout: float = LOCK_TIMEOUT, procs: int = 1) -> IndexWriter:
    """Take the index's write lock and return a writer; :func:`finish` or :func:`discard` it.

    :param procs: with 2 or more, documents are analysed and indexed in that many
        worker processes (Whoosh's ``MpWriter``), each writing a segment of its own.

    :raises IndexLockedError: the write lock was not free within *timeout* seconds.
    :raises IndexingError: the index could not be written.
    """
    try:
        writer: IndexWriter
        if procs > 1:
            # Each worker has a pool of its own: together they keep to the one limit.
            writer = _parallel_writer(
                ix, procs, timeout=timeout, delay=0.05, limitmb=WRITER_LIMIT_MB // procs
            )
        else:
            writer = ix.writer(timeout=timeout, delay=0.05, limitmb=WRITER_LIMIT_MB)
    except LockError as exc:
        raise IndexLockedError(
            f"the search index is locked by another process "
            f"(waited {timeout:g}s for {Path(ix.storage.folder) / 'MAIN_WRITELOCK'})"
        ) from exc
    except Exception as exc:
        raise IndexingError(f"the search index cannot be written ({_describe(exc)})") from exc
    return writer


def finish(
    writer: IndexWriter, *, new_docs: int = 1, merge: bool = True, optimize: bool = False
) -> None:
    """Commit *writer*, which added *new_docs* documents (releases the write lock).

    :param merge: merge small segments (:func:`tiered_merge`); off for the
        intermediate commits of a bulk run, whose segments are all large.
    :param optimize: merge every segment into one.
    :raises IndexingError: the commit failed (the writer is cancelled).
    """
    if optimize:
        policy = _merge_all
    elif merge:
        policy = tiered_merge(new_docs)
    else:
        policy = _no_merge
    try:
        writer.commit(mergetype=policy, optimize=optimize)
    except Exception as exc:
        discard(writer)
        raise IndexingError(f"the search index could not be written ({_describe(exc)})") from exc


def discard(writer: IndexWriter) -> None:
    """Cancel *writer*: nothing it was given reaches the index (releases the write lock)."""
    try:
        writer.cancel()
    except Exception:  # the error that led here is the one worth reporting
        pass
    _close_all(getattr(writer, "_archive_merged_readers", []))


@contextmanager
def open_writer(
    ix: FileIndex, *, timeout: float = LOCK_TIMEOUT, optimize: bool = False
) -> Iterator[IndexWriter]:
    """A writer that commits when the block ends and cancels if it raises.

    :param timeout: seconds to wait for another writer's lock.
    :param optimize: merge every segment into one on commit.

    :raises IndexLockedError: the write lock was not free within *timeout* seconds.
    :raises IndexingError: the index could not be written.
    """
    writer = start_writer(ix, timeout=timeout)
    try:
        yield writer
    except BaseException:
        discard(writer)
        raise
    finish(writer, new_docs=getattr(writer, "docnum", 1), optimize=optimize)


def apply(writer: IndexWriter, upserts: Iterable[IndexDoc], deletes: Iterable[int]) -> None:
    """Add or replace *upserts* and remove *deletes*; idempotent.

    Old versions are deleted through one searcher for the whole batch, then the
    documents are added: ``update_document`` opened a fresh reader of every
    segment for each document, which was half the archive's ingest time at
    2,000 articles and grows with the index (see bench/README.md, "Performance").
    An id given twice is indexed once, with its last version.
    """
    docs = {str(doc.id): doc for doc in upserts}
    gone = [str(article_id) for article_id in deletes]
    stale = [*gone, *docs]
    if stale:
        with writer.searcher() as searcher:
            for article_id in stale:
                writer.delete_by_term("id", article_id, searcher=searcher)
    names = set(writer.schema.names())
    for doc in docs.values():
        # Only the fields this index has (an index from an older version is rebuilt on open).
        writer.add_document(**{k: v for k, v in doc.fields().items() if k in names})


def indexed_versions(ix: FileIndex) -> dict[int, str]:
    """Every indexed article id with the version (content hash) indexed for it.

    :raises IndexingError: the index cannot be read.
    """
    try:
        with ix.searcher() as searcher:
            return {
                int(fields["id"]): fields.get("version", "")
                for fields in searcher.all_stored_fields()
            }
    except Exception as exc:
        folder = getattr(ix.storage, "folder", "?")
        raise IndexingError(f"the search index at {folder} is damaged ({_describe(exc)})") from exc


def segment_names(ix: FileIndex) -> set[str]:
    """The names of the index's current segments (a rebuild replaces them all)."""
    return {seg.segment_id() for seg in ix._segments()}


def rebuild(
    path: Path, docs: Iterable[IndexDoc], *, timeout: float = LOCK_TIMEOUT, procs: int = 1
) -> int:
    """Build a complete new index from *docs* beside *path*, then swap it in.

    The old index keeps working until the new one is complete, so an
    interrupted rebuild loses nothing (its leftover ``.new`` directory is
    removed by the next rebuild). Returns the number of documents.

    :param procs: worker processes indexing the documents (see :func:`start_writer`).
    """
    fresh = path.with_name(path.name + ".new")
    old = path.with_name(path.name + ".old")
    shutil.rmtree(fresh, ignore_errors=True)
    ix = create(fresh)
    count = 0
    writer = start_writer(ix, timeout=timeout, procs=procs)
    try:
        for doc in docs:
            writer.add_document(**doc.fields())
            count += 1
    except BaseException:
        discard(writer)
        raise
    finish(writer, new_docs=count)
    ix.close()
    shutil.rmtree(old, ignore_errors=True)
    if path.exists():
        os.replace(path, old)
    os.replace(fresh, path)
    shutil.rmtree(old, ignore_errors=True)
    return count


def optimize(ix: FileIndex, *, timeout: float = LOCK_TIMEOUT) -> None:
    """Merge all segments into one (faster searches after many small batches)."""
    with open_writer(ix, timeout=timeout, optimize=True):
        pass
