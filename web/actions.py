"""The changes the pages and the API make: each one library call on an open :class:`Archive`.

A write opens the archive, makes its one call and closes it, holding the
server's own lock (one write at a time) and, inside the library, the archive's
write lock, the same one the CLI takes: a page's write waits for a CLI ingest
and the other way round.

Saving by URL needs :meth:`Archive.ingest_urls` and :meth:`Archive.ingest_page`
(fetching pages belongs to the library, not to this front). A build without
them answers "not available" (HTTP 501); a page's HTML sent by the bookmarklet
is then read with the archive's own HTML reader, as a saved page is by ``ingest``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

from archive import Archive, Overrides
from archive.records import IngestReport

if TYPE_CHECKING:
    from web.state import Web

T = TypeVar("T")


def write(web: Web, change: Callable[[Archive], T]) -> T:
    """Open the archive for writing, make *change*, close it; one writer at a time."""
    with web.write_lock, Archive.open(web.home) as archive:
        return change(archive)


def ingest_urls(web: Web, urls: list[str]) -> IngestReport:
    """Fetch and save each URL (one failed outcome per URL that cannot be saved)."""
    from archive import InputError

    if not urls:
        raise InputError("the form", "give a web address (http:// or https://) to save")
    return write(web, lambda archive: archive.ingest_urls(urls))


def ingest_page(web: Web, url: str, html: str) -> IngestReport:
    """Save a page's HTML (as the browser showed it) as the article at *url*."""
    return write(web, lambda archive: archive.ingest_page(url, html))


def ingest_text(
    web: Web,
    *,
    text: str,
    title: str = "",
    source: str = "",
    author: str = "",
    url: str = "",
    published: str = "",
    tags: str = "",
) -> IngestReport:
    """Save pasted text as an article (its first line is the title unless one is given)."""
    from archive import InputError
    from archive.ingest import read_bytes

    body = text.replace("\r\n", "\n").strip()
    if not body:
        raise InputError("the pasted text", "it is empty: paste an article's text")
    overrides = Overrides(
        title=title.strip() or None,
        source=source.strip() or None,
        author=author.strip() or None,
        url=url.strip() or None,
        published=published.strip() or None,
        tags=tuple(t.strip() for t in tags.split(",") if t.strip()),
    )
    # The same text pasted again has the same origin, so it is found unchanged.
    origin = "pasted text " + hashlib.sha256(body.encode("utf-8")).hexdigest()[:16]
    return write(
        web, lambda a: a.ingest(read_bytes(body.encode("utf-8"), origin, overrides, fmt="text"))
    )


def edit(web: Web, article_id: int, *, title: str, tags: str, source: str, author: str) -> Any:
    """Set an article's title, source, author and tags from the reading page's form.

    An emptied source or author is removed; emptied tags are all removed.
    """
    from archive.curation import Changes

    names = tuple(dict.fromkeys(t.strip() for t in tags.split(",") if t.strip()))
    clear = {n for n, v in (("source", source), ("author", author)) if not v.strip()}
    if not names:
        clear.add("tags")
    changes = Changes(
        title=title,
        source=source if source.strip() else None,
        author=author if author.strip() else None,
        set_tags=names or None,
        clear=frozenset(clear),
    )
    return write(web, lambda a: a.edit([article_id], changes))


def bookmarklet(base: str, token: str | None) -> str:
    """The bookmarklet: a ``javascript:`` link that sends the page open in the browser
    (its address, title and HTML) to the archive at *base*, in a new tab, to confirm.

    A page whose own Content-Security-Policy forbids posting forms elsewhere sends
    nothing; the "Save a web address" form remains.
    """
    fields = (
        "[['url',location.href],['title',document.title],"
        "['html',document.documentElement.outerHTML]"
    )
    if token is not None:
        fields += f",['token',{json.dumps(token)}]"
    fields += "]"
    script = (
        "(function(){var f=document.createElement('form');f.method='post';"
        f"f.action={json.dumps(base + '/bookmarklet')};f.target='_blank';"
        "f.enctype='multipart/form-data';f.acceptCharset='utf-8';"
        f"{fields}.forEach(function(p){{var i=document.createElement('textarea');"
        "i.name=p[0];i.value=p[1];f.appendChild(i);});"
        "f.style.display='none';document.body.appendChild(f);f.submit();f.remove();})()"
    )
    return "javascript:" + quote(script, safe="(){};=,.'[]:/+!")
