"""An index kept open by a long-running reader (``archive serve``): one reader per thread.

Opening a searcher opens every segment's files and reads their term tables
(measured: about a tenth of a warm search on a three-segment index); a server
answering many searches keeps them open instead. Whoosh's segment readers read
through shared file objects (seek, then read), so they are not shared between
threads: each thread keeps its own reader, and opens a new one when the index
has a newer generation than the one it holds (any commit: another process's
ingest, an edit), so a search never misses a commit made before it started.
"""

from __future__ import annotations

import threading
from typing import Any

from whoosh.index import FileIndex
from whoosh.searching import Searcher

from index.internals.toc import ReadIndex


class KeptIndex(ReadIndex):
    """A :class:`FileIndex` whose searchers reuse their thread's open reader.

    The searchers it gives out do not close that reader; :meth:`close` closes
    the calling thread's (the others are closed with their threads' end or the
    next generation).
    """

    def __init__(self, ix: FileIndex) -> None:
        super().__init__(ix.storage, None, ix.indexname)
        self._local = threading.local()

    def searcher(self, **kwargs: Any) -> Searcher:
        return Searcher(self._current(), closereader=False, fromindex=self, **kwargs)

    def _current(self) -> Any:
        local = self._local
        generation = self.latest_generation()
        reader = getattr(local, "reader", None)
        if reader is None or local.generation != generation:
            if reader is not None:
                reader.close()
            reader = self.reader()
            local.reader, local.generation = reader, generation
        return reader

    def release(self) -> None:
        """Close the calling thread's reader, if it holds one."""
        reader = getattr(self._local, "reader", None)
        if reader is not None:
            reader.close()
            self._local.reader = None
