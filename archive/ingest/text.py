"""Plain-text articles, optionally opened by a header block.

A header block is the text's first lines when every one of them is ``Key: value``
with a known key (Title, Author/By/Byline, Source/Publisher, URL/Link, Published/Date,
Tags/Keywords; any letter case) and a blank line follows it. Without a header block
the title is the first line and the whole text is the body.

.. code-block:: text

    Title: Allies weigh a reassurance force
    Source: Euronews
    Published: 13 March 2025
    Tags: nato, ukraine

    The text of the article...
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from archive.errors import InputError
from archive.ingest.draft import ArticleDraft
from archive.text import normalize_line, normalize_text

#: A title taken from a first line longer than this is cut at a word boundary.
MAX_TITLE_CHARS = 300

#: Header keys (lower case) and the draft field each fills.
HEADER_KEYS = {
    "title": "title",
    "headline": "title",
    "author": "author",
    "authors": "author",
    "by": "author",
    "byline": "author",
    "source": "source",
    "publisher": "source",
    "url": "url",
    "link": "url",
    "published": "published",
    "date": "published",
    "tags": "tags",
    "keywords": "tags",
}

_HEADER_LINE = re.compile(r"^([A-Za-z][A-Za-z -]{0,20}?)[ \t]*:[ \t]*(.*?)[ \t]*$")


def parse(text: str, origin: str, origin_key: str | None = None) -> Iterator[ArticleDraft]:
    """One draft from a plain-text article (see the module docstring)."""
    text = normalize_text(text)
    if not text:
        raise InputError(origin, "empty input, nothing to ingest")
    fields, body = split_headers(text)
    if not body:
        raise InputError(origin, "the header block is not followed by any text")
    tags = tuple(t.strip() for t in fields.pop("tags", "").split(",") if t.strip())
    title = fields.pop("title", "") or body.split("\n", 1)[0]
    yield ArticleDraft(
        title=make_title(title),
        body=body,
        origin=origin,
        author=fields.get("author") or None,
        source=fields.get("source") or None,
        url=fields.get("url") or None,
        published=fields.get("published") or None,
        tags=tags,
        origin_key=origin_key,
    )


def split_headers(text: str) -> tuple[dict[str, str], str]:
    """The header fields of *text* (normalised) and the body after them.

    Returns no fields and the whole text when the text has no header block.
    """
    head, sep, rest = text.partition("\n\n")
    if not sep:
        return {}, text
    fields: dict[str, str] = {}
    for line in head.split("\n"):
        m = _HEADER_LINE.match(line)
        key = m and HEADER_KEYS.get(m.group(1).strip().lower())
        if not m or not key:
            return {}, text
        if key not in fields:
            fields[key] = m.group(2)
    return fields, rest.strip()


def make_title(line: str) -> str:
    """*line* as a title: normalised, and cut at a word boundary (with ``…``) when it
    is longer than :data:`MAX_TITLE_CHARS`. Every format's title goes through here."""
    title = normalize_line(line)
    if len(title) <= MAX_TITLE_CHARS:
        return title
    cut = title.rfind(" ", 0, MAX_TITLE_CHARS)
    return title[: cut if cut > 0 else MAX_TITLE_CHARS] + "…"
