"""failed inputs remembered

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-02 07:30:00

- ``failed_inputs``: files that failed to ingest, with their size, modification
  time and hash, so that a later run reports an unchanged one as ``still failing``
  instead of as a new failure.

Imports nothing from the application.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "failed_inputs",
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("mtime_ns", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("articles", sa.Integer(), nullable=False),
        sa.Column("options", sa.Text(), nullable=False),
        sa.Column("failed", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("path", name=op.f("pk_failed_inputs")),
    )


def downgrade() -> None:
    op.drop_table("failed_inputs")
