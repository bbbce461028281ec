"""What an ingest does with each article: add it, update one, or leave it unchanged.

These are the archive's dedup and update rules, in one place and free of the
index: they work on SQLAlchemy rows in a session the caller opened, so they can
be tested with the database alone.

* The same text (content hash) as a stored article is ``unchanged``, unless the
  same input (or the same URL) carries other metadata, or the command line gives
  some: then it is ``updated`` with that metadata (:func:`merged` says which
  values win; a field the user set by hand with ``edit`` keeps their value unless
  the command line gives one).
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

from archive import neardup
from archive.errors import InputError
from archive.ingest.draft import ArticleDraft
from archive.records import IngestOutcome
from archive.text import content_hash, normalize_line, normalize_text

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from archive.models import Article


#: Whether ingest looks for near-duplicates (:mod:`archive.neardup`). Benchmarks that
#: ingest made copies of articles turn it off (bench/corpus.py).
NEAR_CHECK = True


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


class FailureSeen(NamedTuple):
    """A file some of whose records failed, as it was read; follows its outcomes."""

    path: str
    size: int
    mtime_ns: int
    sha256: str
    message: str
    failures: int
    articles: int
    options: str


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
    extra = draft.extra
    if draft.published:
        try:
            parsed = parse_date(draft.published)
            published, published_at = parsed.iso, parsed.instant
        except ValueError as exc:
            given = normalize_line(draft.published)
            kept = "its text is kept as extra 'date_given'"
            warnings.append(f"published date ignored ({exc}); {kept}")
            extra = {**(extra or {}), "date_given": given}
    url = (normalize_line(draft.url) or None) if draft.url else None
    # A tag cannot contain a comma (as 'edit' says): tags are comma-separated where they
    # are written as one string, so a list item 'a,b' is the two tags 'a' and 'b'.
    split = [t for t in draft.tags if "," in t]
    if split:
        shown = ", ".join(repr(normalize_line(t)) for t in split)
        warnings.append(f"tag {shown} split at its commas (a tag cannot contain one)")
    parts = (normalize_line(part) for t in draft.tags for part in t.split(","))
    tags = tuple(dict.fromkeys(t for t in parts if t))
    clean = ArticleDraft(
        title=title,
        body=body,
        origin=draft.origin,
        author=normalize_line(draft.author) or None if draft.author else None,
        source=normalize_line(draft.source) or None if draft.source else None,
        url=url,
        published=published,
        tags=tags,
        extra=extra or None,
        origin_key=draft.origin_key,
        explicit=draft.explicit,
        page=draft.page,
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


def fill(article: Any, p: Prepared, when: datetime) -> None:
    """Write a prepared draft into a new *article*."""
    from archive.curation import set_tags

    d = p.draft
    article.title = d.title
    article.body = p.body
    article.author = d.author
    article.source = d.source
    article.url = d.url
    article.url_key = p.url_key
    article.published = d.published
    article.published_at = p.published_at
    article.content_hash = p.hash
    article.extra = d.extra or None
    article.origin = d.origin
    article.updated = when
    set_tags(article, d.tags)
    # A new article has no notes: said here, reading them after the flush (to index
    # the article) asks the database nothing, instead of one query per article.
    article.note_rows = []


def merged(article: Any, p: Prepared) -> list[tuple[str, Any, Any]]:
    """The metadata changes an ingested draft makes to a stored article: (field, old, new).

    * A value the input lacks keeps the stored one.
    * A field the user set by hand (``edit``) keeps the user's value, unless the
      ingest command line gives it (:attr:`ArticleDraft.explicit`).
    * Tags from the command line are added to the stored tags; tags from the input
      replace them.
    """
    from archive.curation import current

    d = p.draft
    old = current(article)
    hand = set(article.edited or ())
    new = dict(old)
    for name in ("title", "author", "source", "url", "published"):
        value = getattr(d, name)
        if value is None or (name in hand and name not in d.explicit):
            continue
        new[name] = value
    if d.tags:
        if "tags" in d.explicit:
            new["tags"] = list(dict.fromkeys([*old["tags"], *d.tags]))
        elif "tags" not in hand:
            new["tags"] = list(d.tags)
    return [(f, old[f], new[f]) for f in old if old[f] != new[f]]


def same_source(article: Any, p: Prepared) -> bool:
    """Whether a draft with *article*'s text is that article ingested again, so that its
    metadata applies: the same input (origin), the same URL, or metadata given on the
    command line. Otherwise it is a copy (another file, another feed record) and leaves
    the article as it is."""
    return bool(
        p.draft.explicit
        or article.origin == p.draft.origin
        or (p.url_key is not None and article.url_key == p.url_key)
    )


def _url_owner(session: Session, article: Any, p: Prepared) -> int | None:
    """The id of another article that has the draft's URL, if one does."""
    from sqlalchemy import select

    from archive.models import Article

    if p.url_key is None:
        return None
    return session.scalar(
        select(Article.id).where(Article.url_key == p.url_key, Article.id != article.id)
    )


def update(
    session: Session,
    article: Any,
    p: Prepared,
    when: datetime,
    *,
    same_text: bool,
    warnings: list[str] | None = None,
) -> tuple[str, ...]:
    """Bring a stored *article* in line with an ingested draft; returns what changed.

    A new text is kept as a revision first; metadata changes follow :func:`merged`
    and are kept in the article's history (``field_changes``, ``how='ingest'``).
    A URL another article has is not taken: *warnings* says so.
    """
    from archive.curation import write
    from archive.notes import reanchor

    changed: list[str] = []
    if not same_text:
        keep_revision(session, article, when)
        article.body = p.body
        article.content_hash = p.hash
        article.origin = p.draft.origin
        for note in article.note_rows:
            reanchor(note, p.body)
        extra = {**(article.extra or {}), **(p.draft.extra or {})}
        article.extra = extra or None
        article.updated = when
        changed.append("text")
    diff = merged(article, p)
    owner = _url_owner(session, article, p) if any(f == "url" for f, _, _ in diff) else None
    if owner is not None:
        diff = [c for c in diff if c[0] != "url"]  # another article has it: it keeps it
        if warnings is not None:
            warnings.append(f"URL {p.draft.url} not taken: article {owner} has it")
    write(session, article, diff, when, "ingest", published_at=p.published_at)
    changed.extend(f for f, _, _ in diff)
    return tuple(changed)


def decide(
    session: Session,
    prepared: list[tuple[int, Prepared]],
    outcomes: list[IngestOutcome | None],
    *,
    dry_run: bool = False,
    keep_pages: bool = True,
) -> tuple[list[Article], set[int]]:
    """Match each prepared draft with the archive, write it, fill in *outcomes*.

    A draft's page (:attr:`ArticleDraft.page`) is kept with its article unless
    *keep_pages* is false: it replaces the kept page when the article is added or
    updated, and is kept for an unchanged article only if it has none.

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
    decided: list[tuple[int, str, Article, str | None, tuple[str, ...]]] = []
    origin_of = {i: p.draft.origin for i, p in prepared}
    shingled = _Shingled()
    fresh: neardup.Earlier[Article] = neardup.Earlier()  # added in this batch
    stored = neardup.Stored(session)
    if NEAR_CHECK:
        # The stored candidates of every draft likely to be looked up, read at once.
        stored.prefetch(
            shingled(p.body)
            for _, p in prepared
            if p.hash not in by_hash
            and not (p.url_key and p.url_key in by_key)
            and not (p.draft.origin_key and p.draft.origin_key in by_origin)
        )
    for i, p in prepared:
        d = p.draft
        existing = by_hash.get(p.hash)
        if existing is not None:
            if existing.id is None:
                session.flush()
            said: list[str] = []
            what = (
                update(session, existing, p, when, same_text=True, warnings=said)
                if same_source(existing, p)
                else ()
            )
            if not what:
                same = "; ".join(["same text as article {id}", *said])
                decided.append((i, "unchanged", existing, same, ()))
                continue
            decided.append((i, "updated", existing, "; ".join([*p.warnings, *said]) or None, what))
            if existing.url_key:
                by_key[existing.url_key] = existing
            continue
        article = by_key.get(p.url_key) if p.url_key else None
        if article is None and d.origin_key:
            article = by_origin.get(d.origin_key)
        near: tuple[Article, float] | None = None
        if article is None and NEAR_CHECK:
            # First one added earlier in the batch (not stored yet), else a stored one.
            mine = shingled(p.body)
            near = fresh.first(mine) or stored.best(mine)
        if near is not None:
            existing, score = near
            if existing.id is None:
                session.flush()  # (added earlier in the batch: its changes need its id)
            said = []
            what = (
                update(session, existing, p, when, same_text=True, warnings=said)
                if same_source(existing, p)
                else ()
            )
            like = f"near-duplicate of article {{id}}: {score:.0%} of its word sequences shared"
            status = "updated" if what else "unchanged"
            decided.append((i, status, existing, "; ".join([like, *said]), what))
            continue
        if article is None:
            article = Article(ingested=when, origin=d.origin)
            session.add(article)
            fill(article, p, when)
            status, what = "added", ()
            if NEAR_CHECK:
                fresh.add(article, shingled(p.body))
        else:
            if article.id is None:
                session.flush()
            by_hash.pop(article.content_hash, None)
            said = []
            what = update(session, article, p, when, same_text=False, warnings=said)
            status = "updated"
        by_hash[p.hash] = article
        if article.url_key:
            by_key[article.url_key] = article
        by_origin[article.origin] = article
        told = [*p.warnings, *(said if status == "updated" else [])]
        decided.append((i, status, article, "; ".join(told) or None, what))
    session.flush()
    dry_new: set[int] = session.info.setdefault("dry_new", set()) if dry_run else set()
    changed: dict[int, Article] = {}
    neardup.remember(
        session,
        (
            (article.id, shingled(article.body))
            for _, status, article, _, what in decided
            if status == "added" or "text" in what
        ),
    )
    for _, status, article, _, _ in decided:
        if status != "unchanged":
            changed[id(article)] = article
            if status == "added":
                added.add(id(article))
                if dry_run:
                    dry_new.add(article.id)
    if keep_pages and not dry_run:
        from archive.pages import keep

        pages = {i: p.draft.page for i, p in prepared if p.draft.page is not None}
        keep(
            session,
            [
                (a.id, pages[i], status != "unchanged")
                for i, status, a, _, _ in decided
                if i in pages
            ],
            when,
        )
    for i, status, article, message, what in decided:
        article_id: int | None = None if article.id in dry_new else article.id
        if status != "added" and message and "{id}" in message:
            # No id yet (a dry run's own additions): name the input it came from.
            message = (
                message.replace("{id}", str(article_id))
                if article_id is not None
                else message.replace("article {id}", f"{article.origin}, earlier in this run")
            )
        outcomes[i] = IngestOutcome(
            status, origin_of[i], article_id, article.title, message, changed=what
        )
    return list(changed.values()), added


class _Shingled:
    """:func:`archive.neardup.shingles` of each text, computed once per batch."""

    def __init__(self) -> None:
        self._known: dict[str, set[int]] = {}

    def __call__(self, text: str) -> set[int]:
        found = self._known.get(text)
        if found is None:
            found = self._known[text] = neardup.shingles(text)
        return found


def remember_files(session: Session, files: Sequence[SourceFileSeen]) -> None:
    """Record ingested files (size, time, hash) for the next run's fast path."""
    if not files:
        return
    from archive.shared import upsert_insert

    insert = upsert_insert(session)
    from archive.models import SourceFile

    when = now()
    rows = [f._asdict() | {"ingested": when} for f in {f.path: f for f in files}.values()]
    stmt = insert(SourceFile).values(rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=[SourceFile.path],
        set_={c: stmt.excluded[c] for c in ("size", "mtime_ns", "sha256", "articles", "ingested")},
    )
    session.execute(stmt)
    forget_failures(session, [f.path for f in files])


def remember_failures(session: Session, failures: Sequence[FailureSeen]) -> None:
    """Record files that failed (size, time, hash, first message) for the next run."""
    if not failures:
        return
    from archive.shared import upsert_insert

    insert = upsert_insert(session)
    from archive.models import FailedInput

    when = now()
    rows = [f._asdict() | {"failed": when} for f in {f.path: f for f in failures}.values()]
    stmt = insert(FailedInput).values(rows)
    keep = ("size", "mtime_ns", "sha256", "message", "failures", "articles", "options", "failed")
    stmt = stmt.on_conflict_do_update(
        index_elements=[FailedInput.path], set_={c: stmt.excluded[c] for c in keep}
    )
    session.execute(stmt)


def forget_failures(session: Session, paths: Sequence[str]) -> None:
    """Forget earlier failures of files now ingested whole."""
    from sqlalchemy import delete

    from archive.models import FailedInput

    for start in range(0, len(paths), 500):
        chunk = list(paths[start : start + 500])
        session.execute(delete(FailedInput).where(FailedInput.path.in_(chunk)))


_RECORD_ORIGIN = re.compile(r"^(.*?)(?::\d+|\[\d+\])$")


def forget_files(session: Session, articles: Sequence[Article]) -> None:
    """Forget the files the *articles* (about to be deleted) may have come from, so the
    next ingest reads them again: a file remembered as ingested, or as failed and
    unchanged since, is skipped unread, and that run would count articles no longer
    there as unchanged.

    Forgotten: the files named as their origin (their earlier texts' too), and every
    file remembered since the first of them was stored, as any of those may hold the
    same text (it was then counted as unchanged, and the article's origin did not
    change). Files remembered before that cannot hold it, and stay remembered.
    """
    from sqlalchemy import delete, select

    from archive.models import FailedInput, Revision, SourceFile

    if not articles:
        return
    origins = {a.origin for a in articles}
    ids = [a.id for a in articles]
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        origins.update(
            session.scalars(select(Revision.origin).where(Revision.article_id.in_(chunk)))
        )
    paths = sorted(origins | {m.group(1) for o in origins if (m := _RECORD_ORIGIN.match(o))})
    since = min(a.ingested for a in articles)
    session.execute(delete(SourceFile).where(SourceFile.ingested >= since))
    session.execute(delete(FailedInput).where(FailedInput.failed >= since))
    for start in range(0, len(paths), 500):
        some = paths[start : start + 500]
        session.execute(delete(SourceFile).where(SourceFile.path.in_(some)))
        session.execute(delete(FailedInput).where(FailedInput.path.in_(some)))
