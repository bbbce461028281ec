"""Reading an archive through once, to find damage that a comparison of ids would miss.

``check`` compares what the database and the index say about each article; random
bytes inside the database file or an index segment can leave both readable enough
for that and still break a search. :func:`unreadable_database` says, reading only,
whether the file is a SQLite database at all; :func:`database_problem` runs SQLite's
``PRAGMA quick_check``; :func:`index_problem` reads every posting of every indexed
field and every stored document once, with Whoosh's public API.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archive.errors import DatabaseDamaged

if TYPE_CHECKING:
    from archive.store import Store


#: The first 16 bytes of every SQLite 3 database file.
SQLITE_HEADER = b"SQLite format 3\x00"

#: What to do about a database that cannot be read, the same wherever it is found.
DAMAGE_ADVICE = (
    "nothing was changed. To go on, put back a copy of the file you trust, or move it "
    "away (the archive then starts empty; 'archive check --repair' empties its index) "
    "and bring the articles back with 'archive import' from a file 'archive export' made"
)


def unreadable_database(home: Path) -> DatabaseDamaged | None:
    """Why the SQLite file of the archive at *home* cannot be opened, and what to do
    (``None``: it opens, or there is none yet). Reads only: nothing is written.

    Cheap (the header and SQLite's own opening); :func:`database_problem` reads it all.
    """
    from archive.home import DB_NAME

    db_path = home / DB_NAME
    try:
        with open(db_path, "rb") as f:
            head = f.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        return None
    except OSError as exc:
        return DatabaseDamaged(f"the archive database {db_path} cannot be read ({exc.strerror})")
    if not head:
        return None  # SQLite makes an empty file a new database
    if head != SQLITE_HEADER:
        return DatabaseDamaged(
            f"the archive database {db_path} is not a SQLite database (it does not begin "
            f"with SQLite's header: another program wrote over it?); {DAMAGE_ADVICE}"
        )
    wal = db_path.with_name(db_path.name + "-wal")
    if wal.exists() and wal.stat().st_size:
        return None  # the file alone is not the database: opening it (with its WAL) tells
    try:
        # immutable: the main file as it is, no -wal/-shm made (it has no WAL to apply)
        conn = sqlite3.connect(f"{db_path.absolute().as_uri()}?mode=ro&immutable=1", uri=True)
        try:
            conn.execute("SELECT count(*) FROM sqlite_schema").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return DatabaseDamaged(
            f"the archive database {db_path} is damaged ({exc}); {DAMAGE_ADVICE}"
        )
    return None


def database_problem(db_path: Path | str) -> str | None:
    """What ``PRAGMA quick_check`` finds wrong in the database (``None``: nothing).

    A shared (PostgreSQL) database looks after its own pages; nothing is read here.
    """
    if isinstance(db_path, str):
        return None
    try:
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        return str(exc)
    try:
        rows = conn.execute("PRAGMA quick_check").fetchall()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    finally:
        conn.close()
    found = [
        line
        for r in rows
        if r and r[0] != "ok"
        for line in str(r[0]).splitlines()
        if not line.startswith("***")
    ]
    if not found:
        return None
    more = f" and {len(found) - 2:,} more" if len(found) > 2 else ""
    return "; ".join(found[:2]) + more


def index_problem(ix: Any) -> str | None:
    """What stops the index from being read whole (``None``: every posting was read).

    Each indexed field's terms are listed and each term's postings decoded once
    (document numbers and their values); every stored document is read.
    """
    try:
        with ix.reader() as reader:
            docs = reader.doc_count_all()
            for name, field in ix.schema.items():
                if not field.indexed:
                    continue
                for text in reader.lexicon(name):
                    postings = reader.postings(name, text)
                    for doc, _value in postings.all_items():
                        if not 0 <= doc < docs:
                            return (
                                f"the search index is damaged (a posting of {name!r} names "
                                f"document {doc} of {docs})"
                            )
            for _ in reader.all_stored_fields():
                pass
    except Exception as exc:  # a damaged segment fails in many ways
        what = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return f"the search index is damaged ({what})"
    return None


def stored_fields(store: Store) -> dict[int, tuple[str, str]]:
    """Every article id with its content hash and the hash of its other indexed
    fields, as the index would store them (:meth:`index.schema.IndexDoc.meta_hash`)."""
    from sqlalchemy import select

    from archive.models import Article, Note, Tag
    from index.schema import IndexDoc, extra_terms

    columns = (
        Article.id,
        Article.content_hash,
        Article.title,
        Article.author,
        Article.source,
        Article.url,
        Article.published_at,
        Article.extra,
    )
    out: dict[int, tuple[str, str]] = {}
    with store.session() as session:
        tags: dict[int, list[str]] = {}
        for article_id, name in session.execute(
            select(Tag.article_id, Tag.name).order_by(Tag.article_id, Tag.position)
        ):
            tags.setdefault(article_id, []).append(name)
        notes: dict[int, list[str]] = {}
        for article_id, text in session.execute(
            select(Note.article_id, Note.text).order_by(Note.article_id, Note.id)
        ):
            notes.setdefault(article_id, []).append(text)
        for row in session.execute(select(*columns).execution_options(yield_per=2000)):
            doc = IndexDoc(
                id=row.id,
                version=row.content_hash,
                title=row.title,
                body="",
                author=row.author,
                source=row.source,
                tags=tuple(tags.get(row.id, ())),
                url=row.url,
                published=row.published_at,
                notes=tuple(notes.get(row.id, ())),
                extra=extra_terms(row.extra),
            )
            out[row.id] = (row.content_hash, doc.meta_hash())
    return out
