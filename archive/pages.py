"""Kept pages: each article's original HTML, compressed in the database (``pages``).

An article extracted from a web page (fetched, or a saved file) keeps that page
unless the ingest was told not to (``--no-keep-html``), so that ``reextract`` can
run a newer extractor later without the network and ``show --format html`` can
give the page back. Pages are compressed with zlib (HTML shrinks about five-fold).
"""

from __future__ import annotations

import sqlite3
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from archive.ingest.draft import KeptPage
from archive.store import Db, connect_readonly, exists

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.orm import Session

#: zlib's level: 6 is its default, a good balance for text.
LEVEL = 6


@dataclass(frozen=True, slots=True)
class PageSpace:
    """How many pages are kept and the space they take; links waiting; feeds followed."""

    pages: int
    #: Their size as stored (compressed), and as they were.
    stored_bytes: int
    original_bytes: int
    links: int = 0
    feeds: int = 0


def keep(session: Session, kept: Sequence[tuple[int, KeptPage, bool]], when: datetime) -> None:
    """Store each (article id, page, replace) pair; *replace* false keeps a page already there."""
    if not kept:
        return
    from archive.shared import upsert_insert

    insert = upsert_insert(session)
    from archive.models import Page

    for article_id, page, replace in kept:
        row = {
            "article_id": article_id,
            "origin": page.origin,
            "final_url": page.final_url,
            "content_type": page.content_type,
            "fetched": when,
            "size": len(page.html),
            "html": zlib.compress(page.html, LEVEL),
        }
        stmt = insert(Page).values(row)
        if replace:
            stmt = stmt.on_conflict_do_update(
                index_elements=[Page.article_id],
                set_={k: stmt.excluded[k] for k in row if k != "article_id"},
            )
        else:
            stmt = stmt.on_conflict_do_nothing(index_elements=[Page.article_id])
        session.execute(stmt)


def page_of(session: Session, article_id: int) -> KeptPage | None:
    """The page kept with an article, uncompressed (None: none kept)."""
    from archive.models import Page

    row = session.get(Page, article_id)
    if row is None:
        return None
    return KeptPage(zlib.decompress(row.html), row.origin, row.final_url, row.content_type)


def read_page(db_path: Db, article_id: int) -> bytes | None:
    """The HTML kept with an article (None: none kept); a light read with ``sqlite3``."""
    conn = connect_readonly(db_path)
    try:
        row = conn.execute("SELECT html FROM pages WHERE article_id = ?", (article_id,)).fetchone()
    except sqlite3.OperationalError:
        return None  # a database from before pages were kept
    finally:
        conn.close()
    return None if row is None else zlib.decompress(row[0])


def space(db_path: Db) -> PageSpace:
    """How many pages are kept and how much space they take, links waiting, feeds."""
    if not exists(db_path):
        return PageSpace(0, 0, 0)
    conn = connect_readonly(db_path)
    try:
        row = conn.execute(
            "SELECT count(*), coalesce(sum(length(html)), 0), coalesce(sum(size), 0) FROM pages"
        ).fetchone()
        links = conn.execute("SELECT count(*) FROM links").fetchone()[0]
        feeds = conn.execute("SELECT count(*) FROM feeds").fetchone()[0]
    except sqlite3.OperationalError:
        return PageSpace(0, 0, 0)  # a database from before pages were kept
    finally:
        conn.close()
    return PageSpace(row[0], row[1], row[2], links=links, feeds=feeds)
