"""index.kept: a server's index keeps one open reader per thread, renewed on a new generation."""

from __future__ import annotations

import threading
from pathlib import Path

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
