"""Plain-text articles: the first line is the title, the whole text is the body."""

from __future__ import annotations

from collections.abc import Iterator

from archive.errors import InputError
from archive.ingest.draft import ArticleDraft
from archive.text import normalize_line, normalize_text

#: A title taken from a first line longer than this is cut at a word boundary.
MAX_TITLE_CHARS = 300


def parse(text: str, origin: str) -> Iterator[ArticleDraft]:
    """One draft from a plain-text article.

    The body is the whole text (normalised); the title is its first non-blank line.
    """
    body = normalize_text(text)
    if not body:
        raise InputError(origin, "empty input, nothing to ingest")
    first_line = body.split("\n", 1)[0]
    yield ArticleDraft(title=_title(first_line), body=body, origin=origin)


def _title(line: str) -> str:
    title = normalize_line(line)
    if len(title) <= MAX_TITLE_CHARS:
        return title
    cut = title.rfind(" ", 0, MAX_TITLE_CHARS)
    return title[: cut if cut > 0 else MAX_TITLE_CHARS] + "…"
