"""Opening, creating and writing the on-disk Whoosh index.

Every write goes through :func:`open_writer`, which waits for Whoosh's write
lock (Whoosh's own default is to fail at once) and turns lock and storage
failures into :class:`~index.errors.IndexingError`.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage
from whoosh.index import FileIndex
from whoosh.writing import IndexWriter, LockError

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


def _storage(path: Path) -> FileStorage:
    return FileStorage(str(path), supports_mmap=USE_MMAP)


def exists(path: Path) -> bool:
    """Whether *path* holds a Whoosh index."""
    return path.is_dir() and whoosh_index.exists_in(str(path))


def create(path: Path) -> FileIndex:
    """Create an empty index at *path* (the directory is made 0700)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return _storage(path).create_index(make_schema())


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
        raise IndexingError(f"the search index at {path} cannot be read ({exc})") from exc


@contextmanager
def open_writer(
    ix: FileIndex, *, timeout: float = LOCK_TIMEOUT, optimize: bool = False
) -> Iterator[IndexWriter]:
    """A writer that commits when the block ends and cancels if it raises.

    :param optimize: merge every segment into one on commit.

    :raises IndexLockedError: the write lock was not free within *timeout* seconds.
    """
    try:
        writer = ix.writer(timeout=timeout, delay=0.05, limitmb=WRITER_LIMIT_MB)
    except LockError as exc:
        raise IndexLockedError(
            f"the search index is locked by another archive process "
            f"(waited {timeout:g}s for {Path(ix.storage.folder) / 'WRITELOCK'})"
        ) from exc
    try:
        yield writer
    except BaseException:
        writer.cancel()
        raise
    try:
        writer.commit(optimize=optimize)
    except Exception as exc:
        raise IndexingError(f"the search index could not be written ({exc})") from exc


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
    for doc in docs.values():
        writer.add_document(**doc.fields())


def indexed_versions(ix: FileIndex) -> dict[int, str]:
    """Every indexed article id with the version (content hash) indexed for it."""
    with ix.searcher() as searcher:
        return {
            int(fields["id"]): fields.get("version", "") for fields in searcher.all_stored_fields()
        }


def rebuild(path: Path, docs: Iterable[IndexDoc]) -> int:
    """Build a complete new index from *docs* beside *path*, then swap it in.

    The old index keeps working until the new one is complete, so an
    interrupted rebuild loses nothing. Returns the number of documents.
    """
    fresh = path.with_name(path.name + ".new")
    old = path.with_name(path.name + ".old")
    shutil.rmtree(fresh, ignore_errors=True)
    ix = create(fresh)
    count = 0
    with open_writer(ix) as writer:
        for doc in docs:
            writer.add_document(**doc.fields())
            count += 1
    ix.close()
    shutil.rmtree(old, ignore_errors=True)
    if path.exists():
        os.replace(path, old)
    os.replace(fresh, path)
    shutil.rmtree(old, ignore_errors=True)
    return count


def optimize(ix: FileIndex) -> None:
    """Merge all segments into one (faster searches after many small batches)."""
    with open_writer(ix, optimize=True):
        pass
