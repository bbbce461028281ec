"""The draft of an article, as every input format produces it."""

from __future__ import annotations

from dataclasses import dataclass, field, replace


@dataclass(frozen=True, slots=True)
class KeptPage:
    """The original HTML page an article was extracted from, to keep with it."""

    html: bytes
    #: The address asked for, or the file's path.
    origin: str
    #: The address it was finally fetched from, after redirects (None: a file).
    final_url: str | None = None
    content_type: str | None = None


@dataclass(frozen=True, slots=True)
class ArticleDraft:
    """An article read from an input, before it is stored."""

    title: str
    body: str
    origin: str
    author: str | None = None
    source: str | None = None
    url: str | None = None
    published: str | None = None
    tags: tuple[str, ...] = ()
    extra: dict[str, object] | None = None
    warnings: tuple[str, ...] = ()
    #: The absolute path of the file this article alone came from: a later text from the
    #: same file updates the article. ``None`` for records of a JSON/JSONL file and stdin.
    origin_key: str | None = None
    #: The fields given on the command line (:class:`Overrides`): they win over a
    #: value the user set by hand with ``edit``, which the input's own do not.
    explicit: frozenset[str] = frozenset()
    #: The page it was extracted from (kept unless ``--no-keep-html``).
    page: KeptPage | None = None


@dataclass(frozen=True, slots=True)
class Overrides:
    """Metadata given on the command line; a value here wins over what the input says."""

    title: str | None = None
    author: str | None = None
    source: str | None = None
    url: str | None = None
    published: str | None = None
    tags: tuple[str, ...] = field(default_factory=tuple)

    def apply(self, draft: ArticleDraft) -> ArticleDraft:
        """*draft* with these values in place of its own (tags are added to its tags)."""
        if self.empty:
            return draft
        names = ("title", "author", "source", "url", "published")
        given = {n for n in names if getattr(self, n) is not None} | (
            {"tags"} if self.tags else set()
        )
        return replace(
            draft,
            title=draft.title if self.title is None else self.title,
            author=draft.author if self.author is None else self.author,
            source=draft.source if self.source is None else self.source,
            url=draft.url if self.url is None else self.url,
            published=draft.published if self.published is None else self.published,
            tags=tuple(dict.fromkeys((*draft.tags, *self.tags))) if self.tags else draft.tags,
            explicit=draft.explicit | given,
        )

    @property
    def empty(self) -> bool:
        """Whether nothing is given (an ingest may then skip files it has seen)."""
        texts = (self.title, self.author, self.source, self.url, self.published)
        return not self.tags and all(value is None for value in texts)
