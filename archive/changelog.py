"""A shared store's change log, and how far this machine's index has followed it.

On PostgreSQL several machines write one database, and each keeps its own Whoosh
index. Every change to an article writes a ``change_log`` row (article id,
``upsert`` or ``delete``, the writing transaction's id) in the same transaction
as the change (:func:`record`). Each home remembers in ``index.applied``
(:class:`Applied`) a *horizon*, a transaction id such that every transaction
before it had finished when the index last caught up, and the transactions at
or past it whose changes its index already holds (its own writes).

Catching up (:meth:`archive.consistency.IndexKeeper.settle_locked`) reads, in one
snapshot, the snapshot's ``xmin`` (every transaction before it has committed or
aborted) and the log rows of transactions at or past the horizon, applies the
current state of those articles to the index, commits the index, and only then
stores the new horizon (``xmin``). A change committed anywhere is therefore
applied at the latest by the next catch-up after it commits, however the
writers' commits interleave (sequence numbers alone would not do: a transaction
that took a smaller number can commit after a larger one has been seen).
Applying reads the article as it is now, so applying a change twice is harmless:
a crash between the index commit and the horizon's write costs a repeat, never a
loss. Rows are never deleted by a reader; the log grows by a row per change.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archive.errors import ArchiveError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

#: The SQL for the current transaction's id and a snapshot's xmin, as 64-bit integers.
TXID_SQL = "SELECT pg_current_xact_id()::text::bigint"
XMIN_SQL = "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint"


@dataclass(frozen=True)
class Applied:
    """Where one home's index is in the change log."""

    #: Every transaction with a smaller id was over when the index last caught up.
    horizon: int
    #: Transactions at or past the horizon whose changes the index already holds.
    own: frozenset[int] = field(default_factory=frozenset)

    def with_own(self, txids: list[int]) -> Applied:
        return Applied(self.horizon, self.own | {t for t in txids if t >= self.horizon})


def read_applied(path: Path) -> Applied | None:
    """The home's place in the log (None: unknown; the index must be built from the store)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Applied(int(data["horizon"]), frozenset(int(t) for t in data.get("own", ())))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ArchiveError(
            f"{path} cannot be read ({exc}); delete it and run 'archive reindex' "
            "to rebuild this machine's index from the database"
        ) from exc


def write_applied(path: Path, applied: Applied) -> None:
    """Store the home's place in the log (atomically: a crash leaves the old or the new)."""
    tmp = path.with_name(path.name + ".tmp")
    data = {"horizon": applied.horizon, "own": sorted(applied.own)}
    tmp.write_text(json.dumps(data), encoding="utf-8")
    os.replace(tmp, path)


def record(session: Session, ids: list[int], op: str) -> int:
    """Write a log row per article in *ids* in the session's transaction; its id."""
    from sqlalchemy import insert

    from archive.models import ChangeLog

    txid = session.info.get("txid")
    if txid is None:
        txid = session.info["txid"] = int(
            session.connection().exec_driver_sql(TXID_SQL).scalar_one()
        )
    if ids:
        session.execute(insert(ChangeLog), [{"article_id": i, "op": op, "txid": txid} for i in ids])
    return int(txid)


def snapshot_horizon(session: Session) -> int:
    """The xmin of the session's snapshot (call it first in a repeatable-read transaction)."""
    return int(session.connection().exec_driver_sql(XMIN_SQL).scalar_one())


def changed_since(session: Session, applied: Applied) -> list[tuple[int, int]]:
    """(article id, transaction id) of the log rows at or past the horizon, not the home's own."""
    from sqlalchemy import select

    from archive.models import ChangeLog

    rows = session.execute(
        select(ChangeLog.article_id, ChangeLog.txid)
        .where(ChangeLog.txid >= applied.horizon)
        .order_by(ChangeLog.seq)
    ).all()
    return [(a, t) for a, t in rows if t not in applied.own]


def behind(conn: Any, applied: Applied | None) -> int:
    """How many log rows the home's index has yet to apply (a light connection: ``?``
    placeholders). Unknown place: every row."""
    if applied is None:
        return int(conn.execute("SELECT count(*) FROM change_log").fetchone()[0]) or 1
    rows = conn.execute(
        "SELECT txid, count(*) FROM change_log WHERE txid >= ? GROUP BY txid",
        (applied.horizon,),
    ).fetchall()
    return sum(int(n) for txid, n in rows if txid not in applied.own)
