"""Metadata from a mapping (a JSON record or Markdown front matter): common key names.

Key names are matched without regard to case, ``_`` or ``-`` (``published_at``,
``publishedAt`` and ``PUBLISHED-AT`` are one key). Keys the archive has no field for
are kept, JSON-safe, in ``ArticleDraft.extra``.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from typing import Any

from archive.ingest.draft import ArticleDraft

#: Draft field -> accepted key names (normalised: lower case, no ``_`` or ``-``), in order.
ALIASES: dict[str, tuple[str, ...]] = {
    "title": ("title", "headline"),
    "body": ("body", "text", "content", "articlebody", "maintext", "fulltext"),
    "url": ("url", "link", "canonicalurl", "permalink"),
    "author": ("author", "authors", "byline", "creator", "publishedby"),
    "source": ("source", "publisher", "site", "sitename", "sourcename", "publication"),
    "published": (
        "published",
        "date",
        "publishedat",
        "datepublished",
        "pubdate",
        "publishdate",
        "publicationdate",
    ),
    "tags": ("tags", "keywords", "labels"),
}

_FIELD_OF = {alias: name for name, aliases in ALIASES.items() for alias in aliases}
_RANK = {alias: i for aliases in ALIASES.values() for i, alias in enumerate(aliases)}


def norm_key(key: str) -> str:
    return key.lower().replace("_", "").replace("-", "")


def from_mapping(
    data: dict[str, Any], *, body: bool = True
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split *data* into draft fields (by alias) and the rest (``extra``).

    :param body: take the body from *data* too (Markdown front matter does not).

    When several keys name one field (``body`` and ``text``), the first alias in
    :data:`ALIASES` wins and the others are kept in ``extra``.
    """
    chosen: dict[str, tuple[int, str]] = {}
    for key, value in data.items():
        name = _FIELD_OF.get(norm_key(str(key)))
        if name == "body" and not body:
            continue
        if name is None or value is None or value == "" or value == []:
            continue
        rank = _RANK[norm_key(str(key))]
        if name not in chosen or rank < chosen[name][0]:
            chosen[name] = (rank, key)
    used = {key for _, key in chosen.values()}
    fields: dict[str, Any] = {}
    for name, (_, key) in chosen.items():
        value = data[key]
        if name == "body":
            fields[name] = as_body(value)
        elif name == "tags":
            fields[name] = as_tags(value)
        elif name == "published":
            fields[name] = as_date_text(value)
        else:
            fields[name] = as_text(value)
    extra = {str(k): json_safe(v) for k, v in data.items() if k not in used}
    return fields, extra


def as_text(value: Any) -> str | None:
    """A one-line value: strings as they are, names of objects, lists joined with ``; ``."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, dict):
        for key in ("name", "title", "@id", "url"):
            if isinstance(value.get(key), str):
                return value[key].strip() or None
        return None
    if isinstance(value, list | tuple):
        parts = [t for t in (as_text(v) for v in value) if t]
        return "; ".join(parts) or None
    if isinstance(value, bool):
        return None
    return str(value)


def as_body(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple):
        return "\n\n".join(v for v in value if isinstance(v, str))
    return None


def as_tags(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        items: list[Any] = value.split(",")
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        items = [value]
    tags = (as_text(v) for v in items)
    return tuple(t.strip() for t in tags if t and t.strip())


def as_date_text(value: Any) -> str | None:
    """A date as text for :func:`archive.dates.parse_date`.

    YAML gives dates as Python objects; a number is read as Unix time (seconds, or
    milliseconds when it is too large for seconds).
    """
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = value / 1000 if value > 100_000_000_000 else value
        try:
            return datetime.fromtimestamp(seconds, UTC).isoformat()
        except (OverflowError, OSError, ValueError):
            return str(value)
    return as_text(value)


def json_safe(value: Any) -> Any:
    """*value* with dates turned to ISO text and other non-JSON values to strings."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # JSON has no Infinity or NaN: kept as text, never written bare
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [json_safe(v) for v in value]
    return str(value)


def draft_from_fields(
    fields: dict[str, Any],
    extra: dict[str, Any],
    *,
    title: str,
    body: str,
    origin: str,
    **more: Any,
) -> ArticleDraft:
    """An :class:`ArticleDraft` from metadata read by :func:`from_mapping`."""
    return ArticleDraft(
        title=title,
        body=body,
        origin=origin,
        author=fields.get("author"),
        source=fields.get("source"),
        url=fields.get("url"),
        published=fields.get("published"),
        tags=fields.get("tags", ()),
        extra=extra or None,
        **more,
    )
