"""Plain result types the archive hands out: no ORM objects leave the library."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat(timespec="seconds") + "Z"


@dataclass(frozen=True, slots=True)
class ArticleRecord:
    """An article with every stored field."""

    id: int
    title: str
    body: str
    author: str | None
    source: str | None
    url: str | None
    published: str | None
    tags: list[str]
    origin: str
    content_hash: str
    ingested: datetime
    updated: datetime
    extra: dict[str, Any] | None = None

    @classmethod
    def from_model(cls, article: Any) -> ArticleRecord:
        return cls(
            id=article.id,
            title=article.title,
            body=article.body,
            author=article.author,
            source=article.source,
            url=article.url,
            published=article.published,
            tags=list(article.tags),
            origin=article.origin,
            content_hash=article.content_hash,
            ingested=article.ingested,
            updated=article.updated,
            extra=article.extra,
        )

    def to_json(self, *, body: bool = True) -> dict[str, Any]:
        data = asdict(self)
        data["ingested"] = _iso(self.ingested)
        data["updated"] = _iso(self.updated)
        if not body:
            del data["body"]
        return data


STATUSES = ("added", "updated", "unchanged", "failed")


@dataclass(frozen=True, slots=True)
class IngestOutcome:
    """What happened to one input: ``added``, ``updated``, ``unchanged`` or ``failed``;
    ``link`` for a bookmark (an address, no text) kept to be fetched (:mod:`archive.links`).

    ``count`` is 1 except for a file skipped unread because it has not changed since
    it was ingested: that one outcome stands for the file's ``count`` articles.
    """

    status: str
    origin: str
    article_id: int | None = None
    title: str | None = None
    message: str | None = None
    count: int = 1
    #: For ``updated``: what changed (``text``, then metadata field names).
    changed: tuple[str, ...] = ()


#: Failures an :class:`IngestReport` keeps when it does not keep every outcome.
KEPT_FAILURES = 1000


@dataclass(slots=True)
class IngestReport:
    """Counts for a whole ingest run, and each input's outcome.

    With ``keep_outcomes`` off, only the counts and the first :data:`KEPT_FAILURES`
    failures are kept, so a run of any size holds little memory, however many of its
    inputs fail.
    """

    outcomes: list[IngestOutcome] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    failures: list[IngestOutcome] = field(default_factory=list)
    #: Files skipped unread because they have not changed since they were ingested.
    files_skipped: int = 0
    dry_run: bool = False
    keep_outcomes: bool = True

    def record(self, outcome: IngestOutcome) -> None:
        self.counts[outcome.status] = self.counts.get(outcome.status, 0) + outcome.count
        if outcome.status == "failed" and (
            self.keep_outcomes or len(self.failures) < KEPT_FAILURES
        ):
            self.failures.append(outcome)
        if self.keep_outcomes:
            self.outcomes.append(outcome)

    def count(self, status: str) -> int:
        return self.counts.get(status, 0)

    @property
    def failed(self) -> int:
        return self.count("failed")

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def still_failing(self) -> int:
        """Records of inputs that failed before and have not changed since (not read)."""
        return self.count("still failing")

    @property
    def changed(self) -> bool:
        """Whether the run added, updated or newly failed anything."""
        return bool(self.count("added") or self.count("updated") or self.failed)

    def summary(self) -> str:
        text = ", ".join(f"{self.count(s)} {s}" for s in STATUSES)
        if self.count("link"):
            links = self.count("link")
            text += f", {links} {'link' if links == 1 else 'links'} waiting to be fetched"
        if self.still_failing:
            text += f", {self.still_failing} still failing"
        if self.files_skipped:
            noun = "file" if self.files_skipped == 1 else "files"
            text += f" ({self.files_skipped} unchanged {noun} not read)"
        return text


@dataclass(frozen=True, slots=True)
class RevisionRecord:
    """An earlier text of an article, replaced by an update."""

    id: int
    article_id: int
    title: str
    body: str
    author: str | None
    source: str | None
    url: str | None
    published: str | None
    origin: str
    content_hash: str
    stored: datetime
    replaced: datetime

    @classmethod
    def from_model(cls, r: Any) -> RevisionRecord:
        return cls(
            id=r.id,
            article_id=r.article_id,
            title=r.title,
            body=r.body,
            author=r.author,
            source=r.source,
            url=r.url,
            published=r.published,
            origin=r.origin,
            content_hash=r.content_hash,
            stored=r.stored,
            replaced=r.replaced,
        )

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["stored"] = _iso(self.stored)
        data["replaced"] = _iso(self.replaced)
        return data


@dataclass(frozen=True, slots=True)
class NoteRecord:
    """A note on an article; ``quote``, ``start`` and ``end`` when it is anchored."""

    id: int
    article_id: int
    text: str
    created: datetime
    quote: str | None = None
    start: int | None = None
    end: int | None = None
    #: ``ok``, ``lost`` (the quote is no longer in the text) or None (no quote).
    anchor: str | None = None
    #: The article's title (in listings).
    title: str | None = None

    @classmethod
    def from_model(cls, n: Any) -> NoteRecord:
        return cls(n.id, n.article_id, n.text, n.created, n.quote, n.start, n.end, n.anchor)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["created"] = _iso(self.created)
        if self.title is None:
            del data["title"]
        return data


@dataclass(frozen=True, slots=True)
class FieldChangeRecord:
    """One change of one metadata field: its value before and after, when and how."""

    field: str
    old: Any
    new: Any
    changed: datetime | None = None
    #: ``edit`` (by hand) or ``ingest`` (an input carried another value).
    how: str = "edit"

    def to_json(self) -> dict[str, Any]:
        data = {"field": self.field, "old": self.old, "new": self.new}
        if self.changed is not None:
            data["changed"] = _iso(self.changed)
            data["how"] = self.how
        return data


@dataclass(frozen=True, slots=True)
class ArticleEdit:
    """The fields an edit changed (or would change) on one article."""

    id: int
    #: The title after the edit.
    title: str
    changes: list[FieldChangeRecord]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "changes": [c.to_json() for c in self.changes],
        }


@dataclass(frozen=True, slots=True)
class EditReport:
    """What an edit did: how many articles were chosen, and each one it changed."""

    selected: int
    edited: list[ArticleEdit]
    dry_run: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "selected": self.selected,
            "changed": len(self.edited),
            "articles": [e.to_json() for e in self.edited],
        }


@dataclass(frozen=True, slots=True)
class DeleteReport:
    """The articles a delete removed (or, in a dry run, would remove): (id, title), and
    how many notes each had (deleted with it)."""

    deleted: list[tuple[int, str]]
    dry_run: bool = False
    #: Article id -> how many notes it had (its notes go with it); absent: none.
    notes: dict[int, int] = field(default_factory=dict)

    @classmethod
    def of(cls, articles: Sequence[Any], *, dry_run: bool = False) -> DeleteReport:
        """The report on deleting *articles* (rows with their notes loaded)."""
        return cls(
            [(a.id, a.title) for a in articles],
            dry_run,
            {a.id: len(a.note_rows) for a in articles if a.note_rows},
        )

    @property
    def ids(self) -> list[int]:
        return [i for i, _ in self.deleted]

    @property
    def notes_deleted(self) -> int:
        return sum(self.notes.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "deleted": len(self.deleted),
            "notes_deleted": self.notes_deleted,
            "articles": [
                {"id": i, "title": t, "notes": self.notes.get(i, 0)} for i, t in self.deleted
            ],
        }


@dataclass(frozen=True, slots=True)
class PassageResult:
    text: str
    start: int
    end: int
    highlights: list[tuple[int, int]]


@dataclass(frozen=True, slots=True)
class SearchHit:
    rank: int
    id: int
    title: str
    source: str | None
    author: str | None
    published: str | None
    url: str | None
    score: float
    passages: list[PassageResult]
    #: Length of the article's body: text output marks skipped text with "…" from it.
    body_length: int = 0
    #: For ``similar``: the words this article shares with the one it is like.
    shared: list[str] = field(default_factory=list)
    #: The user's notes on it that matched, each as a passage with its highlights.
    notes: list[PassageResult] = field(default_factory=list)
    #: For ``search``: how it matched, ``all`` (the query as written), ``most`` (some of
    #: its words) or ``fuzzy`` (a corrected spelling or fuzzy words).
    match: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "source": self.source,
            "author": self.author,
            "published": self.published,
            "url": self.url,
            "score": round(self.score, 4),
            **({"match": self.match} if self.match is not None else {}),
            **({"shared_terms": self.shared} if self.shared else {}),
            **(
                {
                    "notes": [
                        {"text": n.text, "highlights": [list(h) for h in n.highlights]}
                        for n in self.notes
                    ]
                }
                if self.notes
                else {}
            ),
            "passages": [
                {
                    "text": p.text,
                    "start": p.start,
                    "end": p.end,
                    "highlights": [list(h) for h in p.highlights],
                }
                for p in self.passages
            ],
        }


@dataclass(frozen=True, slots=True)
class Rescued:
    """What a rescue found when the query as written found nothing, or too little."""

    #: ``spelling`` (a corrected query was run), ``most-words`` or ``fuzzy``.
    kind: str
    #: How many articles it found that do not match the query as written.
    total: int
    #: For ``spelling``: the corrected query.
    query: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "total": self.total}
        if self.query is not None:
            data["query"] = self.query
        return data


@dataclass(frozen=True, slots=True)
class SearchResults:
    query: str
    #: Articles that match the query as written (never a rescue's).
    total: int
    hits: list[SearchHit]
    understood: str = ""
    notices: tuple[str, ...] = ()
    #: Per facet asked for: [(value, matching articles), ...], most first.
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    suggestion: str | None = None
    offset: int = 0
    #: The rescue that ran, if any: its hits follow the true matches.
    rescue: Rescued | None = None
    #: How the index engine ran the search (:func:`index.internals.status`, plus
    #: ``evaluated_by``: ``blocks`` or ``whoosh``); shown with ``--explain``.
    engine: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def shown_total(self) -> int:
        """The hits there are to page through: the true matches and a rescue's."""
        return self.total + (self.rescue.total if self.rescue is not None else 0)

    def to_json(self) -> dict[str, Any]:
        """DESIGN.md's contract (query, total, hits), plus notices, facets and a suggestion."""
        data: dict[str, Any] = {
            "query": self.query,
            "total": self.total,
            "rescue": self.rescue.to_json() if self.rescue is not None else None,
            "hits": [h.to_json() for h in self.hits],
            "notices": list(self.notices),
        }
        if self.facets:
            data["facets"] = {
                name: [{"value": v, "count": n} for v, n in pairs]
                for name, pairs in self.facets.items()
            }
        if self.suggestion:
            data["suggestion"] = self.suggestion
        return data


@dataclass(frozen=True, slots=True)
class SimilarResults:
    """Articles like one article, each with the words they share with it."""

    id: int
    title: str
    hits: list[SearchHit]

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "hits": [h.to_json() for h in self.hits]}


@dataclass(frozen=True, slots=True)
class CheckReport:
    """How the database and the index differ (empty lists: they agree)."""

    articles: int
    missing_from_index: list[int]
    not_in_database: list[int]
    stale_in_index: list[int]
    #: Index changes a crash left owed, finished before comparing.
    pending: int = 0
    repaired: bool = False
    #: The index could not be read, so ``repair`` rebuilt it whole.
    rebuilt: bool = False
    #: Articles whose indexed metadata (title, author, source, tags, URL, date)
    #: differs from the database's (the text is the same).
    outdated_fields: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (
            self.missing_from_index
            or self.not_in_database
            or self.stale_in_index
            or self.outdated_fields
        )


@dataclass(frozen=True, slots=True)
class Stats:
    articles: int
    index_bytes: int
    database_bytes: int
    earliest: str | None
    latest: str | None
    sources: int
    home: str
    #: How the index engine runs here (:func:`index.internals.status`).
    engine: dict[str, Any] = field(default_factory=dict, compare=False)
    #: Original web pages kept with their articles, and the space they take (compressed).
    pages: int = 0
    pages_bytes: int = 0
    #: Links waiting to be fetched (not articles), and feeds followed.
    links: int = 0
    feeds: int = 0
    #: Bytes beside the index that a rebuild holds while it runs (``index.new``): a
    #: ``reindex`` running now, or one killed before it could remove them.
    rebuild_bytes: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
