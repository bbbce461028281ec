"""The index's table of contents, read once per generation instead of at every use.

Whoosh 2.7.4's ``FileIndex`` reads its TOC file again (and unpickles the whole
schema, analyzers included) on every ``ix.schema``, ``ix.reader()`` and
``ix.doc_count_all()``: about 3 ms each, and one search asks for the schema
several times (parsing, the fuzzy retry, the "is the index current" checks), a
tenth of a warm search in ``archive serve``. A generation's TOC never changes
once written (a commit writes the next one), so :class:`ReadIndex` keeps the
TOC of the latest generation and reads again only when a newer one appears.

Only for indexes opened read-only: a writer changes the segment objects of
the TOC it read (deletions), which must never be a kept one. Each thread keeps
its own copy, so no schema object (and no analyzer in it) is shared between
threads, as before.

Internals used: ``FileIndex._read_toc`` and ``TOC.read(..., gen=)``. With the
gate of :mod:`index.internals` closed, every read is Whoosh's own.
"""

from __future__ import annotations

import threading
from typing import Any

from whoosh.index import TOC, FileIndex

from index import internals

__all__ = ["ReadIndex"]


class ReadIndex(FileIndex):
    """A read-only :class:`FileIndex` whose TOC is read once per generation (and thread)."""

    def __init__(self, storage: Any, schema: Any = None, indexname: str = "MAIN") -> None:
        self._tocs = threading.local()
        super().__init__(storage, schema, indexname)

    def _read_toc(self) -> Any:
        if not internals.enabled():
            return super()._read_toc()
        generation = self.latest_generation()
        if generation < 0:  # no index: Whoosh's own error
            return super()._read_toc()
        kept = getattr(self._tocs, "kept", None)
        if kept is not None and kept[0] == generation:
            return kept[1]
        toc = TOC.read(self.storage, self.indexname, gen=generation, schema=self._schema)
        self._tocs.kept = (generation, toc)
        return toc
