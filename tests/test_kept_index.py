"""index.kept: a server's index keeps one open reader per thread, renewed on a new generation."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from archive import Archive, ArticleDraft
from archive.home import Home
from index.kept import KeptIndex
from index.search import open_for_search


def test_each_thread_keeps_its_reader_until_the_index_changes(sample_home: Path) -> None:
    ix = KeptIndex(open_for_search(Home(sample_home).index))
    with ix.searcher() as first:
        reader = first.reader()
        assert first.doc_count() == 1
    with ix.searcher() as again:
        assert again.reader() is reader and not reader.is_closed  # kept open
    other: list[object] = []

    def elsewhere() -> None:
        with ix.searcher() as s:
            other.append(s.reader())

    thread = threading.Thread(target=elsewhere)
    thread.start()
    thread.join()
    assert other and other[0] is not reader  # never shared between threads
    with Archive.open(sample_home) as archive:  # a commit by another writer
        archive.add(ArticleDraft(title="Okapi", body="An okapi.", origin="o.txt"))
    with ix.searcher() as fresh:
        assert fresh.reader() is not reader and fresh.doc_count() == 2
    assert reader.is_closed
    ix.release()


def test_the_table_of_contents_is_read_once_per_generation(
    sample_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from whoosh.index import TOC

    reads: list[int | None] = []  # the TOC reads of the search index (not the writer's)
    real = TOC.read.__func__  # type: ignore[attr-defined]

    def counting(cls, storage, indexname, gen=None, schema=None):  # type: ignore[no-untyped-def]
        if storage is ix.storage:
            reads.append(gen)
        return real(cls, storage, indexname, gen=gen, schema=schema)

    ix = open_for_search(Home(sample_home).index)
    monkeypatch.setattr(TOC, "read", classmethod(counting))
    schema = ix.schema
    assert "body" in schema and ix.doc_count_all() == 1
    with ix.searcher() as s:
        assert s.doc_count() == 1
    assert ix.schema is schema
    assert len(reads) == 1  # one read for the schema, the count and the searcher
    with Archive.open(sample_home) as archive:  # a commit: a new generation
        archive.add(ArticleDraft(title="Okapi", body="An okapi.", origin="o.txt"))
    assert ix.doc_count_all() == 2  # the new generation is seen at once
    assert ix.schema is not schema
    assert len(reads) == 2
    seen: list[object] = []
    thread = threading.Thread(target=lambda: seen.append(ix.schema))
    thread.start()
    thread.join()
    assert seen and seen[0] is not ix.schema  # each thread has its own schema object
