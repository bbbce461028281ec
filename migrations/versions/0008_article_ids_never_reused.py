"""article ids are never given again (SQLite AUTOINCREMENT on articles)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 14:55:00

Without AUTOINCREMENT, SQLite gives a new row the largest id in the table plus
one, so deleting the newest article let the next one take its id (a note, a
link, a script or a reader's memory of "article 127" then meant another
article). With it, SQLite keeps the largest id ever given in ``sqlite_sequence``.
SQLite cannot add AUTOINCREMENT to a table: the ``articles`` table is rebuilt
(copied, with its rows, indexes and constraints; the upgrade runs with foreign
keys off, so the rows referring to articles are kept). The sequence starts at the
largest id the archive still knows: in the table, or named by a row of the index
outbox or the change log (an id deleted before this upgrade, larger than any
left, may be given once more: nothing else remembers it). PostgreSQL gives ids
from a sequence, never twice: nothing changes there.

Imports nothing from the application.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    with op.batch_alter_table(
        "articles", recreate="always", table_kwargs={"sqlite_autoincrement": True}
    ):
        pass
    largest = bind.exec_driver_sql(
        "SELECT max(m) FROM (SELECT max(id) AS m FROM articles"
        " UNION ALL SELECT max(article_id) FROM index_outbox"
        " UNION ALL SELECT max(article_id) FROM change_log)"
    ).scalar()
    if largest:
        bind.exec_driver_sql("DELETE FROM sqlite_sequence WHERE name = 'articles'")
        bind.exec_driver_sql(
            "INSERT INTO sqlite_sequence (name, seq) VALUES ('articles', ?)", (int(largest),)
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table(
        "articles", recreate="always", table_kwargs={"sqlite_autoincrement": False}
    ):
        pass
