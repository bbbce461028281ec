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
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# A frozen copy of ``archive.urls.canonical_url`` (and its tracking-parameter list) as
# it was when this revision was written. A migration must compute the same thing for
# the same old rows forever: importing the live function would silently change what
# 0002 writes whenever the archive's canonical form changes later. If the live form
# changes, a new revision recomputes ``url_key``; this copy stays as it is.
# tests/test_migration_frozen.py checks that the two still agree, so a divergence is deliberate.

#: Query parameters that only track the reader (besides every ``utm_*``), lower case.
_TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "wickedid",
        "ocid",
        "cmpid",
        "ncid",
        "s_cid",
        "at_medium",
        "at_campaign",
        "xtor",
        "ito",
        "ref_src",
        "ref_url",
        "smid",
        "sr_share",
        "ns_mchannel",
        "ns_source",
        "ns_campaign",
        "ns_linkname",
        "ns_fee",
    }
)

_DEFAULT_PORTS = {"http": 80, "https": 443}


def canonical_url(url: str | None) -> str | None:
    """The canonical form of *url*, as ``archive.urls.canonical_url`` computed it at 0002.

    Text that is not an absolute URL (no scheme and host) is returned stripped, so it
    still matches itself exactly.
    """
    if url is None:
        return None
    url = url.strip()
    if not url:
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if not scheme or not host:
        return url
    netloc = host if ":" not in host else f"[{host}]"
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        netloc = f"{netloc}:{port}"
    if parts.username:
        auth = parts.username + (f":{parts.password}" if parts.password else "")
        netloc = f"{auth}@{netloc}"
    path = parts.path.rstrip("/") or "/"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _tracking(k)]
    return urlunsplit((scheme, netloc, path, urlencode(query, doseq=True), ""))


def _tracking(name: str) -> bool:
    low = name.lower()
    return low.startswith("utm_") or low in _TRACKING_PARAMS


def upgrade() -> None:
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
