"""failed inputs remembered; near-duplicate sketches

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-02 07:30:00

- ``failed_inputs``: files that failed to ingest, with their size, modification
  time and hash, so that a later run reports an unchanged one as ``still failing``
  instead of as a new failure.
- ``near_keys``: each article's near-duplicate sketch (the smallest hashes of its
  text's word shingles), filled here for the articles already stored, with a frozen
  copy of ``archive.neardup``'s functions as they were at this revision.

Imports nothing from the application.
"""

from collections.abc import Sequence

import hashlib
import re
import unicodedata

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
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
    op.create_table(
        "near_keys",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_near_keys_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", "key", name=op.f("pk_near_keys")),
    )
    op.create_index("ix_near_keys_key", "near_keys", ["key"], unique=False)
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, body FROM articles"))
    batch: list[dict[str, int]] = []
    for article_id, body in rows:
        batch.extend({"a": article_id, "k": k} for k in _keys(body or ""))
        if len(batch) >= 5000:
            conn.execute(sa.text("INSERT INTO near_keys (article_id, key) VALUES (:a, :k)"), batch)
            batch = []
    if batch:
        conn.execute(sa.text("INSERT INTO near_keys (article_id, key) VALUES (:a, :k)"), batch)


def _keys(text: str) -> list[int]:
    """Frozen copy of archive.neardup.keys(shingles(text)) at this revision."""
    w = re.findall(r"\w+", unicodedata.normalize("NFKC", text).casefold())
    grams = [" ".join(w[i : i + 5]) for i in range(max(len(w) - 5 + 1, 1))]
    hashes = {
        int.from_bytes(hashlib.blake2b(g.encode(), digest_size=8).digest(), "big") >> 1
        for g in grams
        if g
    }
    return sorted(hashes)[:8]


def downgrade() -> None:
    op.drop_index("ix_near_keys_key", table_name="near_keys")
    op.drop_table("near_keys")
    op.drop_table("failed_inputs")
