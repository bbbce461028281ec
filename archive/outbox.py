"""The index outbox: the database rows that record index work owed, written in the
same transaction as the change they follow (see :mod:`archive.consistency`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from archive.documents import index_doc

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from archive.models import Article


class IndexChanges:
    """Changes owed to the index inside :meth:`IndexKeeper.writing`.

    Each change writes its outbox row in the block's transaction and goes to
    the index writer, which commits after the database; the rows are cleared
    once it has.
    """

    def __init__(
        self,
        session: Session,
        whoosh_writer: Any,
        owe: Callable[[Session, list[int], str], list[int]],
    ) -> None:
        self._session = session
        self._writer = whoosh_writer
        self._owe_rows = owe
        #: Outbox rows written in this block.
        self.seqs: list[int] = []

    def upsert(self, articles: Iterable[Article]) -> None:
        """Index these (flushed) articles, replacing what the index holds for them."""
        from index import writer as iw

        articles = list(articles)
        self._owe([a.id for a in articles], "upsert")
        iw.apply(self._writer, [index_doc(a) for a in articles], [])

    def delete(self, ids: Iterable[int]) -> None:
        """Remove these articles from the index."""
        from index import writer as iw

        ids = list(ids)
        self._owe(ids, "delete")
        iw.apply(self._writer, [], ids)

    def _owe(self, ids: list[int], op: str) -> None:
        # Outbox rows, or a shared store's transaction id (IndexKeeper.owe), once.
        tokens = self._owe_rows(self._session, ids, op)
        if self.seqs and tokens == self.seqs[-1:]:
            return
        self.seqs.extend(tokens)


def delete_outbox(session: Session, seqs: Sequence[int]) -> None:
    from sqlalchemy import delete

    from archive.models import IndexOutbox

    for chunk in chunks(list(seqs), 500):
        session.execute(delete(IndexOutbox).where(IndexOutbox.seq.in_(chunk)))


def chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
