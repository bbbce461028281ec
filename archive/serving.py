"""Reading for a long-running front (``archive serve``): the index kept open, highlights.

:class:`LiveReader` is the :class:`~archive.reading.Reader` a server keeps for
its whole life. It opens the index once and keeps it between requests; before
each search it checks, as every read does, the database's schema revision and
the index work a crash left owed (two small ``sqlite3`` reads); each thread
keeps its segment readers open and opens new ones when the index has a newer
generation (:class:`index.kept.KeptIndex`), so an article another process (a
CLI ``ingest``) committed is found by the next search after that commit. An
index replaced by ``reindex`` or rebuilt after an analysis change is reopened.

It also finds where a query's words occur in a whole article (for a reading
page reached from a search): the same analysis that indexed the text decides.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archive import store
from archive.errors import index_unavailable
from archive.reading import Reader

if TYPE_CHECKING:
    from whoosh.index import FileIndex

#: The most highlights marked in one article (a query for "the" in a long text).
MAX_HIGHLIGHTS = 5_000
#: Facet counts kept (per query, dates and index generation).
FACET_CACHE = 256
#: Seconds between a server's catch-ups with a shared store's change log.
FOLLOW_INTERVAL = 5.0


class LiveReader(Reader):
    """A :class:`Reader` that keeps its index open between calls (thread-safe).

    :param home: the archive home directory.
    """

    def __init__(self, home: Path | str) -> None:
        super().__init__(home)
        self._kept: FileIndex | None = None
        self._kept_lock = threading.Lock()
        self._facets: OrderedDict[tuple[Any, ...], dict[str, list[tuple[str, int]]]] = OrderedDict()

    def follow(self, interval: float = FOLLOW_INTERVAL) -> threading.Thread | None:
        """On a shared store, bring the index up to date with the database's change log
        every *interval* seconds in a daemon thread, so that a search seldom waits for
        the catch-up it would otherwise do first. None (no thread) on SQLite."""
        if self.paths.url is None:
            return None

        def loop() -> None:
            while True:
                time.sleep(interval)
                try:
                    self._open_index()
                except Exception:  # noqa: BLE001, S112 - the next search says what is wrong
                    continue

        thread = threading.Thread(target=loop, name="archive-follow", daemon=True)
        thread.start()
        return thread

    def _open_index(self) -> tuple[FileIndex | None, tuple[str, ...]]:
        from index.errors import IndexingError
        from index.kept import KeptIndex
        from index.layout import exists
        from index.search import open_for_search
        from index.writer import outdated

        db = self.paths.database
        if not store.exists(db):
            return None, ()
        notices: tuple[str, ...] = ()
        with self._kept_lock:
            if store.schema_revision(db) != store.SCHEMA_HEAD or store.pending_index_work(
                db, self.paths.applied
            ):
                notices = self._open_fully()
                self._kept = None
            try:
                if self._kept is None or not exists(self.paths.index):
                    self._kept = KeptIndex(open_for_search(self.paths.index))
                if outdated(self._kept):
                    notices += self._open_fully()
                    self._kept = KeptIndex(open_for_search(self.paths.index))
            except IndexingError as exc:
                self._kept = None
                raise index_unavailable(exc, "damaged") from exc
            return self._kept, notices

    def facet_counts(
        self,
        query: str,
        facets: Sequence[str],
        *,
        since: str | None = None,
        until: str | None = None,
    ) -> dict[str, list[tuple[str, int]]]:
        """The facet counts of a search (as :meth:`Reader.search` gives them), kept per
        query, dates and index generation: the pages of one search, or the same search
        again, count once; any commit to the index (another process's ingest, an edit)
        makes them counted again.

        Counting facets visits every match with Whoosh's matchers, while a search for a
        page of hits alone takes the archive's fast path (DESIGN.md), so a front asks
        for the two apart.

        :raises QueryError: as :meth:`Reader.search`.
        """
        ix, _ = self._open_index()
        generation = ix.latest_generation() if ix is not None else -1
        key = (query, since, until, tuple(facets), generation)
        with self._kept_lock:
            if key in self._facets:
                self._facets.move_to_end(key)
                return self._facets[key]
        counts = self.search(query, limit=1, passages=0, since=since, until=until, facets=facets)
        with self._kept_lock:
            self._facets[key] = counts.facets
            while len(self._facets) > FACET_CACHE:
                self._facets.popitem(last=False)
        return counts.facets

    def highlights(
        self, body: str, query: str, language: str | None = None
    ) -> list[tuple[int, int]]:
        """Character spans of *body* where the plain words of *query* occur, in any of
        their forms (``deploy`` marks *deployment*), as search highlights them.

        Operators, field names, excluded words and wildcards are not marked.

        :param language: the text's language (ISO 639-1), which chose its stemmer.
        """
        from index.analysis import terms_with_offsets, text_analyzer
        from index.passages import Matches, match_spans
        from index.query import words_of

        analyzer = text_analyzer()
        terms = frozenset(t for w in words_of(query) for t, _, _ in terms_with_offsets(analyzer, w))
        if not terms:
            return []
        spans = match_spans(body, Matches(terms=terms, language=language))
        return [(s, e) for _, s, e in spans[:MAX_HIGHLIGHTS]]
