"""change log for a shared store; 64-bit columns on PostgreSQL

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 10:40:00

- ``change_log``: every change to an article, in order, with the id of the
  transaction that made it; a shared (PostgreSQL) store's machines each bring their
  own index up to date from it. A SQLite archive leaves it empty.
- On PostgreSQL, the columns holding 64-bit values become ``bigint`` (SQLite's
  ``INTEGER`` is 64 bits already, so nothing changes there): near-duplicate hashes,
  file sizes and modification times in nanoseconds.

Imports nothing from the application.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: (table, column) holding values beyond 32 bits.
WIDE = (
    ("near_keys", "key"),
    ("source_files", "size"),
    ("source_files", "mtime_ns"),
    ("failed_inputs", "size"),
    ("failed_inputs", "mtime_ns"),
)


def _big() -> sa.types.TypeEngine:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "change_log",
        sa.Column("seq", _big(), autoincrement=True, nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("op", sa.String(length=8), nullable=False),
        sa.Column("txid", _big(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_change_log")),
    )
    with op.batch_alter_table("change_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_change_log_txid"), ["txid"], unique=False)
    if op.get_bind().dialect.name != "sqlite":
        for table, column in WIDE:
            op.alter_column(table, column, type_=sa.BigInteger(), existing_nullable=False)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        for table, column in WIDE:
            op.alter_column(table, column, type_=sa.Integer(), existing_nullable=False)
    with op.batch_alter_table("change_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_change_log_txid"))
    op.drop_table("change_log")
