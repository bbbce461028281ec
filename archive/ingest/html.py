"""Saved web pages: the article's main text and its metadata, read with trafilatura.

trafilatura keeps the main text and drops navigation, menus, cookie banners,
related links, comments and footers (tables are left out too: on news pages they
are mostly layout). The title, author, publication date, site name (the
article's ``source``) and canonical URL come from the page's meta tags, Open
Graph and JSON-LD. trafilatura gives the publication date as a day
(``2025-09-03``). Its description, categories, site tags, language, host name
and image are kept in ``extra``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from archive.errors import InputError
from archive.ingest.draft import ArticleDraft
from archive.ingest.text import _title
from archive.text import normalize_text

#: trafilatura's metadata kept in ``extra`` when present.
EXTRA_KEYS = ("description", "categories", "tags", "language", "hostname", "image", "pagetype")


def parse(html: bytes | str, origin: str, origin_key: str | None = None) -> Iterator[ArticleDraft]:
    """One draft from an HTML page.

    :raises InputError: the page holds no article text.
    """
    doc = extract(html)
    body = normalize_text(doc.get("text") or "") if doc else ""
    if not body:
        raise InputError(origin, "no article text found in the HTML page")
    extra = {k: doc[k] for k in EXTRA_KEYS if doc.get(k)}
    title = doc.get("title") or body.split("\n", 1)[0]
    yield ArticleDraft(
        title=_title(title),
        body=body,
        origin=origin,
        author=doc.get("author") or None,
        source=doc.get("sitename") or None,
        url=doc.get("url") or None,
        published=doc.get("date") or None,
        extra=extra or None,
        origin_key=origin_key,
    )


def extract(html: bytes | str) -> dict[str, Any] | None:
    """trafilatura's extraction of *html* as a dict (``None`` when it finds nothing)."""
    import trafilatura

    doc = trafilatura.bare_extraction(
        html,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        include_images=False,
        include_links=False,
        deduplicate=False,
    )
    if doc is None:
        return None
    return doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
