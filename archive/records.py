"""Plain result types the archive hands out: no ORM objects leave the library."""

from __future__ import annotations

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


@dataclass(frozen=True, slots=True)
class IngestOutcome:
    """What happened to one input: ``added``, ``updated``, ``unchanged`` or ``failed``."""

    status: str
    origin: str
    article_id: int | None = None
    title: str | None = None
    message: str | None = None


@dataclass(slots=True)
class IngestReport:
    """Counts for a whole ingest run, and each input's outcome."""

    outcomes: list[IngestOutcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def failed(self) -> int:
        return self.count("failed")

    def summary(self) -> str:
        return ", ".join(
            f"{self.count(s)} {s}" for s in ("added", "updated", "unchanged", "failed")
        )


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

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "source": self.source,
            "author": self.author,
            "published": self.published,
            "url": self.url,
            "score": round(self.score, 4),
            **({"shared_terms": self.shared} if self.shared else {}),
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
class SearchResults:
    query: str
    total: int
    hits: list[SearchHit]
    understood: str = ""
    notices: tuple[str, ...] = ()
    #: Per facet asked for: [(value, matching articles), ...], most first.
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    suggestion: str | None = None
    offset: int = 0

    def to_json(self) -> dict[str, Any]:
        """DESIGN.md's contract (query, total, hits), plus notices, facets and a suggestion."""
        data: dict[str, Any] = {
            "query": self.query,
            "total": self.total,
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
    pending: int = 0
    repaired: bool = False

    @property
    def ok(self) -> bool:
        return not (self.missing_from_index or self.not_in_database or self.stale_in_index)


@dataclass(frozen=True, slots=True)
class Stats:
    articles: int
    index_bytes: int
    database_bytes: int
    earliest: str | None
    latest: str | None
    sources: int
    home: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
