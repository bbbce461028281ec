"""What an ingest does with each article: add it, update one, or leave it unchanged.

These are the archive's dedup and update rules, in one place and free of the
index: they work on SQLAlchemy rows in a session the caller opened, so they can
be tested with the database alone.

* The same text (content hash) as a stored article is ``unchanged``.
* Else the same URL (in canonical form, :func:`archive.urls.canonical_url`), or
  else the same origin file, is an ``update`` of that article: same id,
  ``updated`` set, the previous text kept as a revision; metadata the new
  input lacks keeps its old value.
* Else it is ``added``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from archive.errors import InputError
from archive.ingest.draft import ArticleDraft
from archive.records import IngestOutcome
from archive.text import content_hash, normalize_line, normalize_text

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from archive.models import Article


def now() -> datetime:
    """The current time as the database keeps it: naive UTC, whole seconds."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


@dataclass(frozen=True, slots=True)
class Prepared:
    """A draft normalised for storing, with its hash and what was wrong with it."""

    draft: ArticleDraft
    body: str
    hash: str
    published_at: datetime | None
    warnings: tuple[str, ...]
    url_key: str | None


class SourceFileSeen(NamedTuple):
    """A file as it was ingested; in an item stream, it follows all the file's articles."""

    path: str
    size: int
    mtime_ns: int
    sha256: str
    articles: int


def prepare(draft: ArticleDraft) -> Prepared:
    """Normalise a draft's text and metadata; raises InputError for what cannot be stored.

    An unparseable date is dropped with a warning, not a failure.
    """
    from archive.dates import parse_date
    from archive.urls import canonical_url

    body = normalize_text(draft.body)
    if not body:
        raise InputError(draft.origin, "the article has no text")
    title = normalize_line(draft.title) or body.split("\n", 1)[0][:300]
    warnings = list(draft.warnings)
    published = None
    published_at = None
    if draft.published:
        try:
            parsed = parse_date(draft.published)
            published, published_at = parsed.iso, parsed.instant
        except ValueError as exc:
            warnings.append(f"published date ignored ({exc})")
    url = draft.url.strip() if draft.url and draft.url.strip() else None
    clean = ArticleDraft(
        title=title,
        body=body,
        origin=draft.origin,
        author=normalize_line(draft.author) or None if draft.author else None,
        source=normalize_line(draft.source) or None if draft.source else None,
        url=url,
        published=published,
        tags=tuple(dict.fromkeys(t for t in (normalize_line(t) for t in draft.tags) if t)),
        extra=draft.extra or None,
        origin_key=draft.origin_key,
    )
    return Prepared(
        clean, body, content_hash(body), published_at, tuple(warnings), canonical_url(url)
    )


def keep_revision(session: Session, article: Any, when: datetime) -> None:
    """Keep *article*'s current text as a revision before an update replaces it."""
    from archive.models import Revision

    session.add(
        Revision(
            article_id=article.id,
            title=article.title,
            body=article.body,
            author=article.author,
            source=article.source,
            url=article.url,
            published=article.published,
            origin=article.origin,
            content_hash=article.content_hash,
            stored=article.updated,
            replaced=when,
        )
    )


def fill(article: Any, p: Prepared, when: datetime, *, update: bool = False) -> None:
    """Write a prepared draft into *article*.

    On an update, metadata the new input lacks (no URL, no author, ...) keeps its
    old value, and unknown keys are merged, the new input's winning.
    """
    from archive.models import Tag

    d = p.draft

    def pick(new: Any, old: Any) -> Any:
        return old if update and new is None else new

    article.title = d.title
    article.body = p.body
    article.author = pick(d.author, article.author)
    article.source = pick(d.source, article.source)
    article.url = pick(d.url, article.url)
    article.url_key = pick(p.url_key, article.url_key)
    article.published = pick(d.published, article.published)
    article.published_at = pick(p.published_at, article.published_at)
    article.content_hash = p.hash
    extra = {**(article.extra or {}), **(d.extra or {})} if update else d.extra
    article.extra = extra or None
    article.origin = d.origin
    article.updated = when
    names = d.tags or (tuple(article.tags) if update else ())
    # Keep existing Tag rows for names that stay: a fresh row with the same key would
    # be inserted before the old one is deleted and break the primary key.
    current = {t.name: t for t in article.tag_rows}
    rows = []
    for n, name in enumerate(names):
        row = current.get(name) or Tag(name=name)
        row.position = n
        rows.append(row)
    article.tag_rows = rows


def decide(
    session: Session,
    prepared: list[tuple[int, Prepared]],
    outcomes: list[IngestOutcome | None],
    *,
    dry_run: bool = False,
) -> tuple[list[Article], set[int]]:
    """Match each prepared draft with the archive, write it, fill in *outcomes*.

    Returns the articles added or updated (flushed, so they have ids), and the
    ``id()`` of those that are new rows. In a dry run, articles the run itself
    added get no id in the outcomes (their ids would not be the real ones).
    """
    from sqlalchemy import select

    from archive.models import Article

    hashes = {p.hash for _, p in prepared}
    keys = {p.url_key for _, p in prepared if p.url_key}
    origins = {p.draft.origin_key for _, p in prepared if p.draft.origin_key}
    by_hash = {
        a.content_hash: a
        for a in session.scalars(select(Article).where(Article.content_hash.in_(hashes)))
    }
    by_key = (
        {a.url_key: a for a in session.scalars(select(Article).where(Article.url_key.in_(keys)))}
        if keys
        else {}
    )
    by_origin = (
        {
            a.origin: a
            for a in session.scalars(
                select(Article).where(Article.origin.in_(origins)).order_by(Article.id)
            )
        }
        if origins
        else {}
    )
    when = now()
    added: set[int] = set()
    decided: list[tuple[int, str, Article, str | None]] = []
    origin_of = {i: p.draft.origin for i, p in prepared}
    for i, p in prepared:
        d = p.draft
        existing = by_hash.get(p.hash)
        if existing is not None:
            decided.append((i, "unchanged", existing, "same text as article {id}"))
            continue
        article = by_key.get(p.url_key) if p.url_key else None
        if article is None and d.origin_key:
            article = by_origin.get(d.origin_key)
        if article is None:
            article = Article(ingested=when, origin=d.origin)
            session.add(article)
            status = "added"
        else:
            if article.id is None:
                session.flush()
            keep_revision(session, article, when)
            by_hash.pop(article.content_hash, None)
            status = "updated"
        fill(article, p, when, update=status == "updated")
        by_hash[p.hash] = article
        if article.url_key:
            by_key[article.url_key] = article
        by_origin[article.origin] = article
        decided.append((i, status, article, "; ".join(p.warnings) or None))
    session.flush()
    dry_new: set[int] = session.info.setdefault("dry_new", set()) if dry_run else set()
    changed: dict[int, Article] = {}
    for _, status, article, _ in decided:
        if status != "unchanged":
            changed[id(article)] = article
            if status == "added":
                added.add(id(article))
                if dry_run:
                    dry_new.add(article.id)
    for i, status, article, message in decided:
        article_id: int | None = None if article.id in dry_new else article.id
        if status == "unchanged" and message:
            # No id yet (a dry run's own additions): name the input it came from.
            message = (
                message.format(id=article_id)
                if article_id is not None
                else f"same text as {article.origin}, earlier in this run"
            )
        outcomes[i] = IngestOutcome(status, origin_of[i], article_id, article.title, message)
    return list(changed.values()), added


def remember_files(session: Session, files: Sequence[SourceFileSeen]) -> None:
    """Record ingested files (size, time, hash) for the next run's fast path."""
    if not files:
        return
    from sqlalchemy.dialects.sqlite import insert

    from archive.models import SourceFile

    when = now()
    rows = [f._asdict() | {"ingested": when} for f in {f.path: f for f in files}.values()]
    stmt = insert(SourceFile).values(rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=[SourceFile.path],
        set_={c: stmt.excluded[c] for c in ("size", "mtime_ns", "sha256", "articles", "ingested")},
    )
    session.execute(stmt)


_RECORD_ORIGIN = re.compile(r"^(.*?)(?::\d+|\[\d+\])$")


def forget_files(session: Session, origins: Sequence[str]) -> None:
    """Forget the files deleted articles came from, so the next ingest reads them again
    (skipping them would report articles that are no longer there as unchanged)."""
    from sqlalchemy import delete

    from archive.models import SourceFile

    paths = set(origins) | {m.group(1) for o in origins if (m := _RECORD_ORIGIN.match(o))}
    if paths:
        session.execute(delete(SourceFile).where(SourceFile.path.in_(paths)))
