"""SQLAlchemy 2 typed models: what the archive stores. No queries live here."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Named constraints: SQLite batch migrations need them (alembic docs, "naming").
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


#: A 64-bit integer: PostgreSQL's ``bigint``, SQLite's ``INTEGER`` (64 bits already,
#: and the only type a primary key autoincrements with).
Big = BigInteger().with_variant(Integer(), "sqlite")


class Article(Base):
    """One article: its text exactly as ingested (NFC, LF line ends) and its metadata."""

    __tablename__ = "articles"
    #: A deleted article's id is never given to another (notes, links and users name ids).
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(Text, index=True)
    url: Mapped[str | None] = mapped_column(Text, unique=True)
    #: ``url`` in canonical form (:func:`archive.urls.canonical_url`): what updates match on.
    url_key: Mapped[str | None] = mapped_column(Text, unique=True)
    #: ISO 8601 as given: a date (``2025-09-03``) or a date-time, with its offset when known.
    published: Mapped[str | None] = mapped_column(String(40))
    #: ``published`` as naive UTC, for sorting and date filters.
    published_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    #: Where the article came from: a file's absolute path, ``path:line`` for a JSONL
    #: record, ``-`` for standard input.
    origin: Mapped[str] = mapped_column(Text, index=True)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    ingested: Mapped[datetime] = mapped_column(DateTime, index=True)
    updated: Mapped[datetime] = mapped_column(DateTime)
    #: Keys of the input the archive has no column for, kept as they were.
    extra: Mapped[dict[str, object] | None] = mapped_column(JSON)
    #: Fields the user set by hand with ``edit`` (sorted names): ingested metadata
    #: does not overwrite them; metadata given on the ingest command line does.
    edited: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True))

    tag_rows: Mapped[list[Tag]] = relationship(
        back_populates="article",
        cascade="all, delete-orphan",
        order_by="Tag.position",
        lazy="selectin",
    )

    note_rows: Mapped[list[Note]] = relationship(
        cascade="all, delete-orphan",
        order_by="Note.id",
        lazy="selectin",
    )

    @property
    def tags(self) -> list[str]:
        return [t.name for t in self.tag_rows]

    @property
    def notes(self) -> list[str]:
        return [n.text for n in self.note_rows]


class Tag(Base):
    """A tag on an article, in the order it was given."""

    __tablename__ = "tags"
    __table_args__ = (Index("ix_tags_name", "name"),)

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(Text, primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    article: Mapped[Article] = relationship(back_populates="tag_rows")


class IndexOutbox(Base):
    """Index work owed for a committed database change (see DESIGN.md).

    Written in the same transaction as the article; cleared once the index
    has committed the change. Rows left behind by a crash are replayed when
    the archive is next opened for writing.
    """

    __tablename__ = "index_outbox"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    article_id: Mapped[int] = mapped_column(Integer, index=True)
    #: ``upsert`` or ``delete``.
    op: Mapped[str] = mapped_column(String(8))


class ChangeLog(Base):
    """One change to an article (``upsert`` or ``delete``), in a shared store's
    ordered change log (:mod:`archive.changelog`).

    Written in the same transaction as the change, never deleted by a reader:
    each machine's index applies the changes past the point it has reached. The
    transaction id (PostgreSQL's ``pg_current_xact_id``) tells a reader which
    changes can still appear behind the ones it sees. (A SQLite archive has one
    index, kept in step by the outbox; it leaves this table empty.)
    """

    __tablename__ = "change_log"

    seq: Mapped[int] = mapped_column(Big, primary_key=True, autoincrement=True)
    article_id: Mapped[int] = mapped_column(Integer)
    #: ``upsert`` or ``delete``.
    op: Mapped[str] = mapped_column(String(8))
    txid: Mapped[int] = mapped_column(Big, index=True)


class Revision(Base):
    """An earlier text of an article, kept when an update replaced it.

    Deleted with its article by the database (``ON DELETE CASCADE``).
    """

    __tablename__ = "revisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    published: Mapped[str | None] = mapped_column(String(40))
    origin: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    #: When this text was stored (the article's ``updated`` at the time).
    stored: Mapped[datetime] = mapped_column(DateTime)
    #: When a newer text replaced it.
    replaced: Mapped[datetime] = mapped_column(DateTime)


class SourceFile(Base):
    """A file ingested before, as it was then: lets a later run skip it unread if unchanged."""

    __tablename__ = "source_files"

    #: The file's absolute path.
    path: Mapped[str] = mapped_column(Text, primary_key=True)
    size: Mapped[int] = mapped_column(Big)
    mtime_ns: Mapped[int] = mapped_column(Big)
    #: SHA-256 of the file's bytes.
    sha256: Mapped[str] = mapped_column(String(64))
    #: How many articles the file held.
    articles: Mapped[int] = mapped_column(Integer)
    ingested: Mapped[datetime] = mapped_column(DateTime)


class NearKey(Base):
    """One of the smallest shingle hashes of an article's text (its near-duplicate
    sketch, :mod:`archive.neardup`); articles sharing one are compared."""

    __tablename__ = "near_keys"
    __table_args__ = (Index("ix_near_keys_key", "key"),)

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[int] = mapped_column(Big, primary_key=True)


class FailedInput(Base):
    """A file that failed to ingest, as it was then: while it stays the same, later runs
    report it as ``still failing`` without reading it (``ingest --retry-failed`` reads it)."""

    __tablename__ = "failed_inputs"

    #: The file's absolute path.
    path: Mapped[str] = mapped_column(Text, primary_key=True)
    size: Mapped[int] = mapped_column(Big)
    mtime_ns: Mapped[int] = mapped_column(Big)
    #: SHA-256 of the file's bytes.
    sha256: Mapped[str] = mapped_column(String(64))
    #: The first failure's message, and how many of the file's records failed.
    message: Mapped[str] = mapped_column(Text)
    failures: Mapped[int] = mapped_column(Integer)
    #: How many of its records were read as articles (stored, or unchanged).
    articles: Mapped[int] = mapped_column(Integer)
    #: The reading options it failed with (format, size limit): other options read it again.
    options: Mapped[str] = mapped_column(Text)
    failed: Mapped[datetime] = mapped_column(DateTime)


class FieldChange(Base):
    """One earlier value of one metadata field, kept when an edit or an ingest changed it.

    ``old`` and ``new`` are the values (text, or a list of names for ``tags``; None:
    no value). Deleted with its article by the database (``ON DELETE CASCADE``).
    """

    __tablename__ = "field_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    field: Mapped[str] = mapped_column(String(20))
    old: Mapped[object | None] = mapped_column(JSON(none_as_null=True))
    new: Mapped[object | None] = mapped_column(JSON(none_as_null=True))
    changed: Mapped[datetime] = mapped_column(DateTime)
    #: ``edit`` (by hand) or ``ingest`` (an input carried another value).
    how: Mapped[str] = mapped_column(String(8))


class Note(Base):
    """A note the user wrote on an article, optionally anchored to a passage of its text.

    ``quote`` is the passage as the user gave it; ``start``/``end`` are its character
    offsets in the body. When the body changes, the quote is looked for again:
    found, the offsets move (``anchor`` ``ok``); not found, ``anchor`` is ``lost``.
    Deleted with its article (``ON DELETE CASCADE``).
    """

    __tablename__ = "notes"
    #: A deleted note's id is never given to another (``note --delete ID`` stays safe).
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    quote: Mapped[str | None] = mapped_column(Text)
    start: Mapped[int | None] = mapped_column(Integer)
    end: Mapped[int | None] = mapped_column(Integer)
    #: ``ok`` (the quote is at start..end), ``lost`` (no longer in the text), None (no quote).
    anchor: Mapped[str | None] = mapped_column(String(8))
    created: Mapped[datetime] = mapped_column(DateTime)


class Page(Base):
    """The original HTML page an article was extracted from, kept compressed (zlib).

    Lets ``reextract`` run a newer extractor later without the network, and
    ``show --format html`` return the page. Deleted with its article.
    """

    __tablename__ = "pages"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    #: Where the page came from: the address asked for, or the file's path.
    origin: Mapped[str] = mapped_column(Text)
    #: The address the page was finally fetched from, after redirects (None: a file).
    final_url: Mapped[str | None] = mapped_column(Text)
    content_type: Mapped[str | None] = mapped_column(Text)
    fetched: Mapped[datetime] = mapped_column(DateTime)
    #: The page's size before compression, in bytes.
    size: Mapped[int] = mapped_column(Integer)
    html: Mapped[bytes] = mapped_column(LargeBinary)


class Link(Base):
    """A link waiting to be fetched: a bookmark with a title and an address but no text.

    Links are counted and listed apart from articles and never indexed; ``archive
    fetch`` turns each into an article (and removes it) or records why it failed.
    """

    __tablename__ = "links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    #: ``url`` in canonical form: one link per address.
    url_key: Mapped[str] = mapped_column(Text, unique=True)
    title: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True))
    #: When the user saved it, ISO 8601 as the input gave it.
    saved: Mapped[str | None] = mapped_column(String(40))
    origin: Mapped[str] = mapped_column(Text)
    added: Mapped[datetime] = mapped_column(DateTime)
    #: How many fetches failed, and the last one's reason.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)


class Feed(Base):
    """A feed the archive follows, with what its last conditional GET learnt."""

    __tablename__ = "feeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(Text, unique=True)
    title: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True))
    #: Fetch each entry's page even when the entry holds text.
    full_text: Mapped[int] = mapped_column(Integer, default=0)
    etag: Mapped[str | None] = mapped_column(Text)
    modified: Mapped[str | None] = mapped_column(Text)
    added: Mapped[datetime] = mapped_column(DateTime)
    checked: Mapped[datetime | None] = mapped_column(DateTime)
    #: ``ok``, ``not modified`` or ``failed`` after the last update.
    status: Mapped[str | None] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text)


class FeedEntry(Base):
    """An entry of a feed already taken (by its GUID), so an update skips it."""

    __tablename__ = "feed_entries"

    feed_id: Mapped[int] = mapped_column(
        ForeignKey("feeds.id", ondelete="CASCADE"), primary_key=True
    )
    guid: Mapped[str] = mapped_column(Text, primary_key=True)
    seen: Mapped[datetime] = mapped_column(DateTime)
