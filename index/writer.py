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
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import StructFile
from whoosh.index import FileIndex
from whoosh.util.filelock import FileLock
from whoosh.writing import IndexWriter, LockError

from index import internals
from index.analysis import ANALYSIS_VERSION
from index.errors import IndexingError, IndexLockedError
from index.internals import merge
from index.layout import ANALYSIS_FILE, exists
from index.schema import IndexDoc, make_schema

#: Seconds a writer waits for another process's write lock before giving up.
LOCK_TIMEOUT = 60.0

#: Memory (MB) one writer may use before flushing a segment; DESIGN.md: >256 does not help.
WRITER_LIMIT_MB = 256

#: Whoosh maps each segment file with mmap and then copies every sub-file it opens
#: (``BytesIO(memoryview)`` in ``whoosh.filedb.structfile.BufferFile``): the whole
#: term dictionary of every segment, for every searcher. Plain file reads skip that
#: copy (bench/README.md, "Why the figures are what they are").
USE_MMAP = False


def _storage(path: Path) -> PrivateStorage:
    return PrivateStorage(str(path), supports_mmap=USE_MMAP)


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
        fd = os.open(os.path.join(self.folder, name), flags, 0o600)
        return StructFile(os.fdopen(fd, mode), name=name, **kwargs)

    def lock(self, name: str) -> FileLock:
        path = os.path.join(self.folder, name)
        if not self.readonly:
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        return FileLock(path)

    def temp_storage(self, name: str | None = None) -> PrivateStorage:
        from whoosh.util import random_name

        name = name or f"{random_name()}.tmp"
        return PrivateStorage(os.path.join(self.folder, name)).create()


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
    if internals.stranded(ix):
        return (
            f"the search index was written in a format for Whoosh 2.7.4's internals, "
            f"and this is Whoosh {internals.status()['whoosh']}"
        )
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
#: (:mod:`index.internals.merge`) it costs about half as much as indexing the documents again.
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
        merge.merge_into(writer, merged)
        return kept

    return policy


def _merge_all(writer: Any, segments: list[Any]) -> list[Any]:
    """The merge policy of ``archive optimize``: every segment into the new one."""
    merge.merge_into(writer, segments)
    return []


def _no_merge(writer: Any, segments: list[Any]) -> list[Any]:
    return segments


def add(writer: IndexWriter, doc: IndexDoc) -> None:
    """Add a new document to *writer* (from :func:`start_writer`); with worker processes,
    its fields are made (``IndexDoc.fields()``: language detection, hashes) by a worker."""
    deferred = getattr(writer, "add_deferred", None)
    if deferred is not None:
        deferred(doc)
    else:
        writer.add_document(**doc.fields())


def parallel_supported() -> bool:
    """Whether worker processes can index here (:mod:`index.internals.workers`).

    Yes with two or more cores, whatever Python's default start method: the
    workers are started explicitly (``fork`` on Linux, else ``spawn``; see
    :func:`index.internals.workers.start_method`). Never with the gate of
    :mod:`index.internals` closed.
    """
    return internals.enabled() and (os.cpu_count() or 1) > 1


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
            from index.internals.workers import parallel_writer

            writer = parallel_writer(
                ix,
                procs,
                timeout=timeout,
                delay=0.05,
                limitmb=WRITER_LIMIT_MB // procs,
                codec=internals.codec(),
            )
        elif internals.enabled():
            from index.internals.flush import LengthCachingWriter

            writer = LengthCachingWriter(
                ix, timeout=timeout, delay=0.05, limitmb=WRITER_LIMIT_MB, codec=internals.codec()
            )
        else:
            writer = ix.writer(
                timeout=timeout, delay=0.05, limitmb=WRITER_LIMIT_MB, codec=internals.codec()
            )
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
    policy: Callable[[Any, list[Any]], list[Any]]
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
    if merge or optimize:  # (not after each intermediate commit of a bulk run)
        write_word_lists(writer)


def write_word_lists(writer: IndexWriter) -> None:
    """Keep beside each segment lacking them its words (fuzzy words and spelling
    suggestions read them; :mod:`index.internals.wordlists`), after *writer* committed."""
    from index.internals.fuzzy import write_word_lists as write

    storage = getattr(writer, "storage", None)
    name = getattr(writer, "indexname", None)
    if storage is not None and isinstance(name, str):
        write(FileIndex(storage, indexname=name))


def discard(writer: IndexWriter) -> None:
    """Cancel *writer*: nothing it was given reaches the index (releases the write lock)."""
    try:
        writer.cancel()
    except Exception:  # the error that led here is the one worth reporting
        pass
    merge.release(writer)


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
    2,000 articles and grows with the index (see bench/README.md, "Why the figures are
    what they are").
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


def indexed_fields(ix: FileIndex) -> dict[int, tuple[str, str]]:
    """Every indexed article id with its version (content hash) and ``meta`` hash.

    :raises IndexingError: the index cannot be read.
    """
    try:
        with ix.searcher() as searcher:
            return {
                int(fields["id"]): (fields.get("version", ""), fields.get("meta", ""))
                for fields in searcher.all_stored_fields()
            }
    except Exception as exc:
        folder = getattr(ix.storage, "folder", "?")
        raise IndexingError(f"the search index at {folder} is damaged ({_describe(exc)})") from exc


def segment_names(ix: FileIndex) -> set[str]:
    """The names of the index's current segments (a rebuild replaces them all)."""
    with ix.reader() as reader:
        segments = [getattr(leaf, "segment", lambda: None)() for leaf, _ in reader.leaf_readers()]
    return {seg.segment_id() for seg in segments if seg is not None}  # none: an empty index


def rebuild(
    path: Path, docs: Iterable[IndexDoc], *, timeout: float = LOCK_TIMEOUT, procs: int = 1
) -> int:
    """Build a complete new index from *docs* beside *path*, then swap it in.

    The old index keeps working until the new one is complete, so an
    interrupted rebuild loses nothing. A rebuild that fails (a full disk, Ctrl-C)
    removes its ``.new`` directory; one killed outright leaves it for the next
    rebuild to remove. Returns the number of documents.

    :param procs: worker processes indexing the documents (see :func:`start_writer`).
    """
    fresh = path.with_name(path.name + ".new")
    old = path.with_name(path.name + ".old")
    shutil.rmtree(fresh, ignore_errors=True)
    try:
        ix = create(fresh)
        count = 0
        writer = start_writer(ix, timeout=timeout, procs=procs)
        try:
            for doc in docs:
                add(writer, doc)
                count += 1
        except BaseException:
            discard(writer)
            raise
        finish(writer, new_docs=count)
        ix.close()
    except BaseException:
        shutil.rmtree(fresh, ignore_errors=True)  # a full disk must not stay full
        raise
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
