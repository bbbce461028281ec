"""Links waiting to be fetched: bookmarks with an address but no text (``links``).

A draft with a URL and no body (a Pocket or Instapaper row, a browser bookmark, a
JSON record with an empty body) is stored here, not as an article: it is never
indexed, so it never shows as an empty search hit, and it is counted apart.
``archive fetch`` (:meth:`archive.fetching.Fetching.fetch_links`) fetches each
page; a link whose page became an article goes, one that failed stays with the
reason.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from archive.ingest.draft import ArticleDraft
from archive.records import IngestOutcome
from archive.store import Db, connect_readonly, exists

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

#: The status of an ingest outcome that stored a link (not an article).
LINK = "link"


@dataclass(frozen=True, slots=True)
class LinkRecord:
    """A link waiting to be fetched."""

    id: int
    url: str
    title: str | None
    tags: list[str]
    saved: str | None
    origin: str
    added: str
    attempts: int
    error: str | None


def is_link(draft: ArticleDraft) -> bool:
    """Whether a draft is a bookmark (an address, no text) rather than an article."""
    return not draft.body.strip() and bool(draft.url and draft.url.strip())


def store(
    session: Session,
    drafts: Sequence[tuple[int, ArticleDraft]],
    outcomes: list[IngestOutcome | None],
    when: object,
    *,
    dry_run: bool = False,
) -> None:
    """Store each link draft (unless an article or a waiting link has its address)."""
    from sqlalchemy import select

    from archive.models import Article, Link
    from archive.urls import canonical_url

    for i, d in drafts:
        url = (d.url or "").strip()
        key = canonical_url(url) or url
        owner = session.scalar(select(Article.id).where(Article.url_key == key))
        if owner is not None:
            outcomes[i] = IngestOutcome(
                "unchanged", d.origin, owner, d.title, f"article {owner} has this address"
            )
            continue
        waiting = session.scalar(select(Link).where(Link.url_key == key))
        if waiting is not None:
            if d.tags:
                waiting.tags = list(dict.fromkeys([*(waiting.tags or []), *d.tags]))
            outcomes[i] = IngestOutcome(
                "unchanged", d.origin, None, d.title, "already waiting to be fetched"
            )
            continue
        saved = (d.extra or {}).get("saved")
        if not dry_run:
            session.add(
                Link(
                    url=url,
                    url_key=key,
                    title=d.title if d.title != url else None,
                    tags=list(d.tags) or None,
                    saved=str(saved)[:40] if saved else None,
                    origin=d.origin,
                    added=when,
                    attempts=0,
                )
            )
            session.flush()
        outcomes[i] = IngestOutcome(LINK, d.origin, None, d.title, url)


def waiting(db_path: Db, *, untried: bool = False) -> list[LinkRecord]:
    """The links waiting to be fetched, oldest first (*untried*: only those never tried)."""
    if not exists(db_path):
        return []
    conn = connect_readonly(db_path)
    try:
        sql = (
            "SELECT id, url, title, tags, saved, origin, added, attempts, error FROM links"
            + (" WHERE attempts = 0" if untried else "")
            + " ORDER BY id"
        )
        rows = conn.execute(sql).fetchall()
    except sqlite3.OperationalError:
        return []
    finally:
        conn.close()
    import json

    return [LinkRecord(r[0], r[1], r[2], json.loads(r[3]) if r[3] else [], *r[4:]) for r in rows]


def settle(session: Session, done: Sequence[str], failed: dict[str, str]) -> None:
    """Remove the links (by address) whose pages were ingested; note why others failed."""
    from sqlalchemy import delete, select

    from archive.models import Link

    if done:
        session.execute(delete(Link).where(Link.url.in_(list(done))))
    for link in session.scalars(select(Link).where(Link.url.in_(list(failed)))):
        link.attempts += 1
        link.error = failed[link.url]
