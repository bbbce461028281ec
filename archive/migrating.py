"""Moving an archive's database to another engine: SQLite to PostgreSQL, and back.

Every table the models declare is copied row for row, ids included, into an
empty database brought to the same schema (the tables are read from the models'
metadata, so a table a later migration adds is copied without a change here;
``alembic_version`` is the target's own, and the index outbox and change log are
index bookkeeping, not data). The copy is one transaction on the target: all of
it or nothing. It is then verified twice: every copied table read back row for
row from both sides, and the two archives' full exports
(:func:`archive.transfer.export_lines`) compared line for line.

The source is only read. A PostgreSQL target's search index is built by each home
that opens it (``archive --home DIR --db URL ...``), as for any new machine; a
SQLite target home gets its index at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import zip_longest
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from archive.errors import ArchiveError
from archive.shared import follow_explicit_ids
from archive.store import Db, Store

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.engine import Connection

    from archive.facade import Archive

#: Tables not copied: the target's own schema revision, and index bookkeeping.
SKIPPED = ("alembic_version", "index_outbox", "change_log")
#: Rows read and written per statement.
CHUNK = 1000


class MigrateError(ArchiveError):
    """The archive could not be moved (the message says why; the target is unchanged)."""


@dataclass
class MigrateReport:
    #: Where the database went (a URL without its password, or a file).
    target: str
    #: Rows copied, by table.
    rows: dict[str, int] = field(default_factory=dict)
    #: Articles in both exports, found identical.
    verified: int = 0

    @property
    def articles(self) -> int:
        return self.rows.get("articles", 0)

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "rows": self.rows,
            "articles": self.articles,
            "verified_articles": self.verified,
            "exports_identical": True,
        }


def _tables() -> list[Table]:
    from archive.models import Base

    return [t for t in Base.metadata.sorted_tables if t.name not in SKIPPED]


def _rows(conn: Connection, table: Table) -> Iterator[dict[str, Any]]:
    from sqlalchemy import select

    order = list(table.primary_key.columns)
    offset = 0
    while True:
        page = conn.execute(select(table).order_by(*order).limit(CHUNK).offset(offset))
        rows = [dict(r) for r in page.mappings()]
        if not rows:
            return
        yield from rows
        offset += len(rows)


def target_of(to: str) -> Db:
    """``--to``: a PostgreSQL URL, else a directory for a new SQLite archive home (its
    database file)."""
    from archive.home import Home
    from archive.shared import SCHEMES, normalize_url

    if to.split(":", 1)[0] in SCHEMES:
        return normalize_url(to)
    home = Home(Path(to).expanduser())
    if home.path.exists() and any(home.path.iterdir()):
        raise MigrateError(f"{home.path} is not empty: give a new or empty directory")
    home.path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return home.db


def migrate(source: Archive, to: str) -> MigrateReport:
    """Copy the database of *source* into the empty database *to* and verify the copy.

    :param to: a PostgreSQL URL (an empty database), or a new directory that becomes
        a SQLite archive home.
    :raises MigrateError: the target holds data, or the copy differs (rolled back).
    """
    from sqlalchemy import func, insert, select

    from archive.shared import shown
    from archive.transfer import export_lines

    db = target_of(to)
    if db == source.store.path:
        raise MigrateError("the archive is already there: give another --to")
    shown_to = shown(db) if isinstance(db, str) else str(db.parent)
    target = Store(db)
    report = MigrateReport(shown_to)
    try:
        tables = _tables()
        with source.store.session() as src_session, target.session(write=True) as dst_session:
            src, dst = src_session.connection(), dst_session.connection()
            for table in tables:
                if dst.execute(select(func.count()).select_from(table)).scalar():
                    raise MigrateError(
                        f"the database {shown_to} is not empty (its table {table.name} "
                        "holds rows): give an empty database; nothing was copied"
                    )
            for table in tables:
                count, batch = 0, []
                for row in _rows(src, table):
                    batch.append(row)
                    if len(batch) >= CHUNK:
                        dst.execute(insert(table), batch)
                        count, batch = count + len(batch), []
                if batch:
                    dst.execute(insert(table), batch)
                    count += len(batch)
                report.rows[table.name] = count
            follow_explicit_ids(dst)  # new rows take ids after the copied ones
            for table in tables:
                pairs = zip_longest(_rows(src, table), _rows(dst, table))
                if any(a != b for a, b in pairs):
                    raise MigrateError(
                        f"the copy of the table {table.name} read back differently; "
                        "it was rolled back and nothing was copied"
                    )
        mine = list(export_lines(source))
        theirs = list(export_lines(SimpleNamespace(store=target)))  # type: ignore[arg-type]
        if mine != theirs:
            raise MigrateError(
                f"the export of {shown_to} differs from this archive's after the copy "
                f"({len(theirs)} lines against {len(mine)}); the copy stays there: empty "
                "the database before trying again"
            )
        report.verified = len(mine)
    finally:
        target.close()
    if isinstance(db, Path):
        from archive.consistency import IndexKeeper

        with IndexKeeper.open(db.parent):  # a SQLite home gets its index now
            pass
    return report
