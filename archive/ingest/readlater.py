"""Read-later exports and bookmark files: the records people bring from another service.

- **CSV** (``csv``): Pocket (``title,url,time_added,tags,status``), Instapaper
  (``URL,Title,Selection,Folder,Timestamp[,Tags]``), Readwise Reader (``Title,URL,
  ID,Document tags,Saved date,...``) and Omnivore-style CSVs: the columns are found
  by name, so any CSV with a URL column reads. A row with a text column
  (``content``, ``text``, ``body``) is an article; a row without is a link waiting
  to be fetched (``archive fetch``).
- **Bookmarks** (``bookmarks``): the Netscape bookmark file browsers and linkding
  export, and Pocket's HTML export: every ``<a href>`` is a link, with its
  ``TAGS``/``tags`` attribute and its ``ADD_DATE``/``time_added`` as the saved date.

Tags and saved dates are kept (the saved date in ``extra["saved"]``: it is when the
user saved the link, not when the article was published). JSON exports (wallabag,
Omnivore) are read by :mod:`archive.ingest.jsonl`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import Any

from archive.errors import InputError
from archive.ingest.draft import ArticleDraft
from archive.ingest.fields import as_date_text

#: Column (normalised: lower case, no spaces, ``_`` or ``-``) -> what it holds, in order.
COLUMNS: dict[str, tuple[str, ...]] = {
    "url": ("url", "link", "href", "originalurl"),
    "title": ("title", "name"),
    "tags": ("tags", "documenttags", "labels", "tag"),
    "saved": ("timeadded", "timestamp", "saveddate", "savedat", "created", "createdat", "added"),
    "body": ("content", "text", "body", "fulltext"),
    "folder": ("folder",),
    "author": ("author", "authors"),
    "published": ("published", "publishedat", "publisheddate", "datepublished"),
}

#: Folders that are a state, not a topic (Instapaper's): not made tags.
STATE_FOLDERS = {"unread", "archive", "starred", "read"}


def _norm(name: str) -> str:
    return re.sub(r"[\s_\-]", "", name.strip().lower())


def looks_csv(start: bytes) -> bool:
    """Whether these first bytes are a CSV header with a URL column."""
    if start[:1] in (b"<", b"{", b"[", b"-", b"#"):
        return False
    first = start.split(b"\n", 1)[0].decode("utf-8", "replace")
    if first.count(",") < 1:
        return False
    try:
        header = next(csv.reader([first]))
    except (csv.Error, StopIteration):
        return False
    names = {_norm(h) for h in header}
    return bool(names & set(COLUMNS["url"])) and len(header) >= 2


_BOOKMARK_MARKS = (b"<!doctype netscape-bookmark-file", b"<title>pocket export</title>")


def looks_bookmarks(start: bytes) -> bool:
    """Whether these first bytes are a Netscape bookmark file or Pocket's HTML export."""
    low = start[:2048].lower()
    return any(m in low for m in _BOOKMARK_MARKS)


def _tags(value: str) -> tuple[str, ...]:
    value = value.strip()
    if not value:
        return ()
    if value.startswith("[") and value.endswith("]"):  # Readwise: "['a', 'b']"
        value = value[1:-1]
    sep = "|" if "|" in value else ("," if "," in value else ";" if ";" in value else ",")
    tags = (t.strip().strip("'\"").strip() for t in value.split(sep))
    return tuple(dict.fromkeys(t for t in tags if t))


def _saved(value: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return as_date_text(int(value))
    return value


def parse_csv(text: str, origin: str) -> Iterator[ArticleDraft | InputError]:
    """A draft per row of a read-later CSV; a row without text is a link to fetch."""
    from archive.ingest.html import maybe_html_to_text

    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise InputError(origin, "empty CSV file, nothing to ingest") from None
    except csv.Error as exc:
        raise InputError(origin, f"not a readable CSV file ({exc})") from None
    where: dict[str, int] = {}
    for what, names in COLUMNS.items():
        for name in names:
            found = [i for i, h in enumerate(header) if _norm(h) == name]
            if found:
                where[what] = found[0]
                break
    if "url" not in where:
        raise InputError(origin, "a CSV file without a URL column (expected url or link)")
    known = set(where.values())
    rows = 0
    try:
        for number, row in enumerate(reader, 2):
            if not any(cell.strip() for cell in row):
                continue
            rows += 1
            here = f"{origin}:{number}"

            def cell(what: str, row: list[str] = row) -> str:
                i = where.get(what)
                return row[i].strip() if i is not None and i < len(row) else ""

            url = cell("url")
            if not re.match(r"(?i)^https?://", url):
                yield InputError(here, f"no web address in the URL column (found {url[:60]!r})")
                continue
            tags = _tags(cell("tags"))
            folder = cell("folder")
            if folder and folder.lower() not in STATE_FOLDERS:
                tags = tuple(dict.fromkeys((*tags, folder)))
            extra: dict[str, Any] = {
                header[i]: row[i] for i in range(min(len(header), len(row))) if i not in known
            }
            extra = {k: v for k, v in extra.items() if v.strip()}
            saved = _saved(cell("saved"))
            if saved:
                extra["saved"] = saved
            body, converted = maybe_html_to_text(cell("body"))
            if converted:
                extra["body_was_html"] = True
            yield ArticleDraft(
                title=cell("title") or url,
                body=body,
                origin=here,
                url=url,
                author=cell("author") or None,
                published=cell("published") or None,
                tags=tags,
                extra=extra or None,
            )
    except csv.Error as exc:
        yield InputError(origin, f"CSV broken after {rows} rows ({exc})")
    if not rows:
        raise InputError(origin, "a CSV file with a header but no rows, nothing to ingest")


def parse_bookmarks(text: str, origin: str) -> Iterator[ArticleDraft | InputError]:
    """A link per ``<a href>`` of a bookmark file (Netscape format, Pocket's HTML export)."""
    import lxml.html

    try:
        root = lxml.html.document_fromstring(text)
    except (ValueError, lxml.etree.ParserError) as exc:
        raise InputError(origin, f"not a readable bookmark file ({exc})") from None
    found = 0
    for number, a in enumerate(root.iter("a"), 1):
        href = (a.get("href") or "").strip()
        if not re.match(r"(?i)^https?://", href):
            continue  # javascript: bookmarklets, place: queries, file: links
        found += 1
        attrs = {k.lower(): v for k, v in a.attrib.items()}
        tags = _tags(attrs.get("tags", ""))
        extra: dict[str, Any] = {}
        saved = _saved(attrs.get("add_date") or attrs.get("time_added") or "")
        if saved:
            extra["saved"] = saved
        title = " ".join(a.text_content().split())
        yield ArticleDraft(
            title=title or href,
            body="",
            origin=f"{origin}#{number}",
            url=href,
            tags=tags,
            extra=extra or None,
        )
    if not found:
        raise InputError(origin, "no web links in the bookmark file")
