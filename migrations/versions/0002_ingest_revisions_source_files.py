"""canonical URL key, revisions, source files

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 19:50:00

- ``articles.url_key``: the canonical form of ``url`` (unique), filled for existing rows;
- an index on ``articles.origin`` (updates by the same origin file);
- ``revisions``: earlier texts of updated articles;
- ``source_files``: size, mtime and hash of each ingested file (incremental ingest).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    from archive.urls import canonical_url

    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("url_key", sa.Text(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_articles_url_key"), ["url_key"])
        batch_op.create_index(batch_op.f("ix_articles_origin"), ["origin"], unique=False)

    conn = op.get_bind()
    seen: set[str] = set()
    rows = conn.execute(sa.text("SELECT id, url FROM articles WHERE url IS NOT NULL ORDER BY id"))
    for article_id, url in rows.fetchall():
        key = canonical_url(url)
        if key is None or key in seen:
            continue  # two old URLs with one canonical form: the older article keeps it
        seen.add(key)
        conn.execute(
            sa.text("UPDATE articles SET url_key = :key WHERE id = :id"),
            {"key": key, "id": article_id},
        )

    op.create_table(
        "revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("author", sa.Text(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("published", sa.String(length=40), nullable=True),
        sa.Column("origin", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("stored", sa.DateTime(), nullable=False),
        sa.Column("replaced", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_revisions_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_revisions")),
    )
    with op.batch_alter_table("revisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_revisions_article_id"), ["article_id"], unique=False)

    op.create_table(
        "source_files",
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("mtime_ns", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("articles", sa.Integer(), nullable=False),
        sa.Column("ingested", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("path", name=op.f("pk_source_files")),
    )


def downgrade() -> None:
    op.drop_table("source_files")
    with op.batch_alter_table("revisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_revisions_article_id"))
    op.drop_table("revisions")
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_articles_origin"))
        batch_op.drop_constraint(batch_op.f("uq_articles_url_key"), type_="unique")
        batch_op.drop_column("url_key")
