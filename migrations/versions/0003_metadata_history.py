"""metadata history and hand edits

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 04:50:00

- ``articles.edited``: the fields the user set by hand (``archive edit``), which
  ingested metadata does not overwrite;
- ``field_changes``: each earlier value of a metadata field, with when and how
  (``edit`` or ``ingest``) it changed.

Imports nothing from the application.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("edited", sa.JSON(none_as_null=True), nullable=True))

    op.create_table(
        "field_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=20), nullable=False),
        sa.Column("old", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("new", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("changed", sa.DateTime(), nullable=False),
        sa.Column("how", sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_field_changes_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_field_changes")),
    )
    with op.batch_alter_table("field_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_field_changes_article_id"), ["article_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("field_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_field_changes_article_id"))
    op.drop_table("field_changes")
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_column("edited")
