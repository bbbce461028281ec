"""The Archive facade: stores articles in SQLite and keeps the Whoosh index in step.

Every change follows the same path (see DESIGN.md, "Keeping SQLite and Whoosh
in step"):

1. take the index write lock (waiting for another process if need be);
2. in one SQLite transaction, write the articles and an outbox row per change;
3. apply the same changes to the index writer; if that fails, the SQLite
   transaction is rolled back and nothing is changed anywhere;
4. commit SQLite, then commit the index;
5. clear the outbox rows.

A crash between 4 and 5 leaves outbox rows behind; opening the archive for
writing replays them (idempotently: documents are replaced by id).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archive.errors import ArchiveError, ArticleNotFound, IndexUnavailable, InputError
from archive.ingest.draft import ArticleDraft
from archive.records import ArticleRecord, CheckReport, IngestOutcome, IngestReport, Stats
from archive.store import DB_NAME, Store
from archive.text import content_hash, normalize_line, normalize_text

if TYPE_CHECKING:
    from sqlalchemy.orm import Session
    from whoosh.index import FileIndex

    from archive.records import SearchResults
    from index.schema import IndexDoc

INDEX_DIR = "index"
#: Articles written per transaction and per index commit.
BATCH_SIZE = 500


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def paths(home: Path) -> tuple[Path, Path]:
    """The database file and the index directory of the archive at *home*."""
    return home / DB_NAME, home / INDEX_DIR


@dataclass(frozen=True, slots=True)
class _Prepared:
    draft: ArticleDraft
    body: str
    hash: str
    published_at: datetime | None
    warnings: tuple[str, ...]


class Archive:
    """An article archive in one home directory (the database and the index side by side)."""

    def __init__(self, home: Path, store: Store) -> None:
        self.home = home
        self.db_path, self.index_path = paths(home)
        self.store = store
        self._ix: FileIndex | None = None

    # --- opening -----------------------------------------------------------------------

    @classmethod
    def open(cls, home: Path | str) -> Archive:
        """Open the archive at *home*, creating it if needed and upgrading its schema.

        Index work left owed by an interrupted run is finished here.
        """
        home = Path(home).expanduser()
        try:
            home.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise ArchiveError(f"cannot create the archive home {home} ({exc.strerror})") from exc
        if not home.is_dir():
            raise ArchiveError(f"the archive home {home} is not a directory")
        archive = cls(home, Store(home / DB_NAME))
        archive._ensure_index()
        archive.settle()
        return archive

    def close(self) -> None:
        if self._ix is not None:
            self._ix.close()
            self._ix = None
        self.store.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _ensure_index(self) -> None:
        """Open the index; build it from the database if it is missing or unreadable."""
        from index import writer as iw
        from index.errors import IndexingError

        if not iw.exists(self.index_path):
            if self.count() == 0:
                self._ix = iw.create(self.index_path)
                return
            self.reindex()
            return
        try:
            self._ix = iw.open_index(self.index_path)
        except IndexingError as exc:
            raise IndexUnavailable(f"{exc}; run 'archive reindex' to rebuild it") from exc

    @property
    def ix(self) -> FileIndex:
        if self._ix is None:
            self._ensure_index()
        assert self._ix is not None
        return self._ix

    def _fresh_ix(self) -> FileIndex:
        """Reopen the index (Whoosh may keep a lock after a failed commit)."""
        from index import writer as iw

        if self._ix is not None:
            self._ix.close()
        self._ix = iw.open_index(self.index_path, create_missing=True)
        return self._ix

    # --- writing -----------------------------------------------------------------------

    def add(self, draft: ArticleDraft) -> IngestOutcome:
        """Store and index one article; see :meth:`ingest`."""
        return self.ingest([draft]).outcomes[0]

    def ingest(
        self,
        items: Iterable[ArticleDraft | InputError],
        *,
        batch_size: int = BATCH_SIZE,
        progress: Any = None,
    ) -> IngestReport:
        """Store and index articles in batches.

        The same text again is ``unchanged``; the same URL with different text
        is an ``update`` of that article. An :class:`InputError` in *items* is
        recorded as ``failed`` and the rest goes on.

        :param progress: called with each :class:`IngestOutcome` as it is decided.
        """
        report = IngestReport()
        iterator = iter(items)
        while batch := list(islice(iterator, batch_size)):
            outcomes = self._ingest_batch(batch)
            report.outcomes.extend(outcomes)
            if progress is not None:
                for outcome in outcomes:
                    progress(outcome)
        return report

    def _ingest_batch(self, batch: Sequence[ArticleDraft | InputError]) -> list[IngestOutcome]:
        from sqlalchemy import select

        from archive.models import Article, IndexOutbox

        outcomes: list[IngestOutcome | None] = [None] * len(batch)
        prepared: list[tuple[int, _Prepared]] = []
        for i, item in enumerate(batch):
            if isinstance(item, InputError):
                outcomes[i] = IngestOutcome("failed", item.origin, message=str(item))
                continue
            try:
                prepared.append((i, _prepare(item)))
            except InputError as exc:
                outcomes[i] = IngestOutcome("failed", item.origin, message=str(exc))
        if not prepared:
            return [o for o in outcomes if o is not None]

        changed: list[tuple[int, Article]] = []
        with self._writing() as (session, writer):
            hashes = {p.hash for _, p in prepared}
            urls = {p.draft.url for _, p in prepared if p.draft.url}
            by_hash = {
                a.content_hash: a
                for a in session.scalars(select(Article).where(Article.content_hash.in_(hashes)))
            }
            by_url = (
                {a.url: a for a in session.scalars(select(Article).where(Article.url.in_(urls)))}
                if urls
                else {}
            )
            now = _now()
            for i, p in prepared:
                d = p.draft
                existing = by_hash.get(p.hash)
                if existing is not None:
                    same = f"same text as article {existing.id}" if existing.id else "same text"
                    outcomes[i] = IngestOutcome(
                        "unchanged", d.origin, existing.id, existing.title, message=same
                    )
                    continue
                article = by_url.get(d.url) if d.url else None
                if article is None:
                    article = Article(ingested=now, origin=d.origin)
                    session.add(article)
                    if d.url:
                        by_url[d.url] = article
                    status = "added"
                else:
                    by_hash.pop(article.content_hash, None)
                    status = "updated"
                _fill(article, p, now)
                by_hash[p.hash] = article
                changed.append((i, article))
                outcomes[i] = IngestOutcome(status, d.origin, message="; ".join(p.warnings) or None)
            session.flush()
            for i, article in changed:
                o = outcomes[i]
                assert o is not None
                outcomes[i] = IngestOutcome(
                    o.status, o.origin, article.id, article.title, o.message
                )
            articles = list({id(a): a for _, a in changed}.values())
            owed = [IndexOutbox(article_id=a.id, op="upsert") for a in articles]
            session.add_all(owed)
            session.flush()
            writer.apply([_index_doc(a) for a in articles], [])
        self._clear_outbox([o.seq for o in owed])
        return [o for o in outcomes if o is not None]

    def delete(self, ids: Iterable[int]) -> list[int]:
        """Delete articles by id from the database and the index.

        :raises ArticleNotFound: an id is not in the archive (nothing is deleted then).
        """
        from sqlalchemy import select

        from archive.models import Article, IndexOutbox

        wanted = list(dict.fromkeys(ids))
        with self._writing() as (session, writer):
            found = {
                a.id: a for a in session.scalars(select(Article).where(Article.id.in_(wanted)))
            }
            for article_id in wanted:
                if article_id not in found:
                    raise ArticleNotFound(article_id)
            for article in found.values():
                session.delete(article)
            owed = [IndexOutbox(article_id=i, op="delete") for i in wanted]
            session.add_all(owed)
            session.flush()
            writer.apply([], wanted)
        self._clear_outbox([o.seq for o in owed])
        return wanted

    @contextmanager
    def _writing(self) -> Iterator[tuple[Session, _IndexChanges]]:
        """The index writer (locked) around one write transaction; see the module docstring."""
        from index import writer as iw
        from index.errors import IndexingError, IndexLockedError

        try:
            with iw.open_writer(self.ix) as w, self.store.session(write=True) as session:
                yield session, _IndexChanges(w)
        except IndexLockedError as exc:
            raise IndexUnavailable(str(exc)) from exc
        except IndexingError as exc:
            self._fresh_ix()
            raise IndexUnavailable(
                f"{exc}; the database has the change and the index will catch up "
                "the next time the archive is opened (or run 'archive check --repair')"
            ) from exc

    def _clear_outbox(self, seqs: Sequence[int]) -> None:
        """Forget outbox rows whose changes the index has committed."""
        from sqlalchemy import delete

        from archive.models import IndexOutbox

        if not seqs:
            return
        with self.store.session(write=True) as session:
            for chunk in _chunks(list(seqs), 500):
                session.execute(delete(IndexOutbox).where(IndexOutbox.seq.in_(chunk)))

    def settle(self) -> int:
        """Apply index work a crash left owed (outbox rows); returns how many articles."""
        from sqlalchemy import delete, func, select

        from archive.models import Article, IndexOutbox

        with self.store.session() as session:
            if not session.scalar(select(func.count()).select_from(IndexOutbox)):
                return 0
        with self._writing() as (session, writer):
            rows = session.execute(select(IndexOutbox.seq, IndexOutbox.article_id)).all()
            if not rows:
                return 0
            top = max(seq for seq, _ in rows)
            ids = sorted({article_id for _, article_id in rows})
            live = {a.id: a for a in session.scalars(select(Article).where(Article.id.in_(ids)))}
            writer.apply([_index_doc(a) for a in live.values()], [i for i in ids if i not in live])
            session.execute(delete(IndexOutbox).where(IndexOutbox.seq <= top))
        return len(ids)

    def reindex(self) -> int:
        """Rebuild the whole index from the database; the old one serves until the new is done."""
        from sqlalchemy import delete, select

        from archive.models import Article, IndexOutbox
        from index import writer as iw

        if self._ix is not None:
            self._ix.close()
            self._ix = None
        with self.store.session() as session:
            docs = (
                _index_doc(a)
                for a in session.scalars(select(Article).execution_options(yield_per=500))
            )
            count = iw.rebuild(self.index_path, docs)
        with self.store.session(write=True) as session:
            session.execute(delete(IndexOutbox))
        self._ix = iw.open_index(self.index_path)
        return count

    def optimize(self) -> None:
        """Merge the index's segments into one."""
        from index import writer as iw

        iw.optimize(self.ix)

    # --- reading -----------------------------------------------------------------------

    def get(self, article_id: int) -> ArticleRecord:
        """The article with *article_id*. :raises ArticleNotFound: no such article."""
        from archive.models import Article

        with self.store.session() as session:
            article = session.get(Article, article_id)
            if article is None:
                raise ArticleNotFound(article_id)
            return ArticleRecord.from_model(article)

    def list(self, *, limit: int | None = 20) -> list[ArticleRecord]:
        """Articles, newest first (by publication date, else by ingest time)."""
        from sqlalchemy import func, select

        from archive.models import Article

        stmt = select(Article).order_by(
            func.coalesce(Article.published_at, Article.ingested).desc(), Article.id.desc()
        )
        if limit is not None:
            stmt = stmt.limit(limit)
        with self.store.session() as session:
            return [ArticleRecord.from_model(a) for a in session.scalars(stmt)]

    def count(self) -> int:
        from sqlalchemy import func, select

        from archive.models import Article

        with self.store.session() as session:
            return int(session.scalar(select(func.count()).select_from(Article)) or 0)

    def search(self, query: str, **options: Any) -> SearchResults:
        """Search the archive; see :func:`archive.searching.search` for the options."""
        from archive.searching import search

        return search(self.home, query, **options)

    def check(self, *, repair: bool = False) -> CheckReport:
        """Compare the database with the index; with *repair*, bring the index in line."""
        from sqlalchemy import func, select

        from archive.models import Article, IndexOutbox
        from index import writer as iw

        with self.store.session() as session:
            in_db = dict(session.execute(select(Article.id, Article.content_hash)).all())
            pending = int(session.scalar(select(func.count()).select_from(IndexOutbox)) or 0)
        in_index = iw.indexed_versions(self.ix)
        missing = sorted(set(in_db) - set(in_index))
        extra = sorted(set(in_index) - set(in_db))
        stale = sorted(i for i in set(in_db) & set(in_index) if in_db[i] != in_index[i])
        report = CheckReport(len(in_db), missing, extra, stale, pending)
        if not repair or report.ok:
            return report
        with self._writing() as (session, writer):
            fix = missing + stale
            articles = session.scalars(select(Article).where(Article.id.in_(fix))).all()
            writer.apply([_index_doc(a) for a in articles], extra)
        return CheckReport(len(in_db), missing, extra, stale, pending, repaired=True)

    def stats(self) -> Stats:
        from sqlalchemy import func, select

        from archive.models import Article

        with self.store.session() as session:
            count, earliest, latest, sources = session.execute(
                select(
                    func.count(Article.id),
                    func.min(Article.published),
                    func.max(Article.published),
                    func.count(func.distinct(Article.source)),
                )
            ).one()
        index_bytes = sum(f.stat().st_size for f in self.index_path.glob("*") if f.is_file())
        db_bytes = sum(p.stat().st_size for p in self.home.glob(DB_NAME + "*") if p.is_file())
        return Stats(
            articles=int(count),
            index_bytes=index_bytes,
            database_bytes=db_bytes,
            earliest=earliest,
            latest=latest,
            sources=int(sources),
            home=str(self.home),
        )


class _IndexChanges:
    """Changes for the index inside :meth:`Archive._writing` (committed after the database)."""

    def __init__(self, whoosh_writer: Any) -> None:
        self._writer = whoosh_writer

    def apply(self, upserts: Iterable[IndexDoc], deletes: Iterable[int]) -> None:
        from index import writer as iw

        iw.apply(self._writer, upserts, deletes)


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _prepare(draft: ArticleDraft) -> _Prepared:
    """Normalise a draft's text and metadata; raises InputError for what cannot be stored."""
    from archive.dates import parse_date

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
    clean = ArticleDraft(
        title=title,
        body=body,
        origin=draft.origin,
        author=normalize_line(draft.author) if draft.author else None,
        source=normalize_line(draft.source) if draft.source else None,
        url=draft.url.strip() if draft.url and draft.url.strip() else None,
        published=published,
        tags=tuple(dict.fromkeys(t for t in (normalize_line(t) for t in draft.tags) if t)),
        extra=draft.extra or None,
    )
    return _Prepared(clean, body, content_hash(body), published_at, tuple(warnings))


def _fill(article: Any, p: _Prepared, now: datetime) -> None:
    from archive.models import Tag

    d = p.draft
    article.title = d.title
    article.body = p.body
    article.author = d.author
    article.source = d.source
    article.url = d.url
    article.published = d.published
    article.published_at = p.published_at
    article.content_hash = p.hash
    article.extra = d.extra
    article.updated = now
    # Keep existing Tag rows for names that stay: a fresh row with the same key would
    # be inserted before the old one is deleted and break the primary key.
    current = {t.name: t for t in article.tag_rows}
    rows = []
    for n, name in enumerate(d.tags):
        row = current.get(name) or Tag(name=name)
        row.position = n
        rows.append(row)
    article.tag_rows = rows


def _index_doc(article: Any) -> IndexDoc:
    from index.schema import IndexDoc

    return IndexDoc(
        id=article.id,
        version=article.content_hash,
        title=article.title,
        body=article.body,
        author=article.author,
        source=article.source,
        tags=tuple(article.tags),
        url=article.url,
        published=article.published_at,
    )


def default_home() -> Path:
    """The platform's user data directory for the archive."""
    from platformdirs import user_data_dir

    return Path(os.environ.get("ARCHIVE_HOME") or user_data_dir("article-archive", False))
