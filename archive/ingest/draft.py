"""The draft of an article, as every input format produces it."""

from __future__ import annotations

from dataclasses import dataclass, field, replace


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
        changes: dict[str, object] = {
            name: value
            for name in ("title", "author", "source", "url", "published")
            if (value := getattr(self, name)) is not None
        }
        if self.tags:
            changes["tags"] = tuple(dict.fromkeys((*draft.tags, *self.tags)))
        return replace(draft, **changes) if changes else draft
