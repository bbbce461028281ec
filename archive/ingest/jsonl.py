"""JSON and JSONL: articles as objects, with common key names (see :mod:`archive.ingest.fields`).

- JSONL (``.jsonl``, ``.ndjson``): one object per line, read line by line, so a
  file of any length is ingested in flat memory. A bad line is an error for that
  line (reported as ``path:LINE``) and the other lines are still ingested.
- JSON (``.json``): one object, an array of objects (``path[INDEX]``, counted from
  0), or an object holding such an array under ``articles``, ``items``, ``data``,
  ``results``, ``entries`` or ``posts`` (as news APIs answer). The whole document
  is parsed at once, so it is subject to the size limit; use JSONL for large exports.

Keys the archive has no field for are kept in ``extra``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import IO, Any

from archive.errors import InputError
from archive.ingest.draft import ArticleDraft
from archive.ingest.fields import draft_from_fields, from_mapping
from archive.ingest.text import _title
from archive.text import normalize_text

#: Keys of a JSON object that may hold the array of articles.
CONTAINER_KEYS = ("articles", "items", "data", "results", "entries", "posts")

_CHUNK = 1 << 16


def record(obj: Any, origin: str) -> ArticleDraft:
    """The draft of one JSON value.

    :raises InputError: it is not an object, or it has no article text.
    """
    if not isinstance(obj, dict):
        raise InputError(origin, f"expected a JSON object, found {_kind(obj)}")
    fields, extra = from_mapping(obj)
    body = normalize_text(fields.get("body") or "")
    if not body:
        raise InputError(origin, "no article text (expected a body, text or content key)")
    return draft_from_fields(
        fields,
        extra,
        title=_title(fields.get("title") or body.split("\n", 1)[0]),
        body=body,
        origin=origin,
    )


TOO_DEEP = "invalid JSON: nested too deeply to be an article"


def parse_json(text: str, origin: str) -> Iterator[ArticleDraft | InputError]:
    """Drafts from a JSON document; errors for single items are yielded, not raised."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            origin, f"invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    except RecursionError:
        raise InputError(origin, TOO_DEEP) from None
    if isinstance(data, dict) and not _has_body(data):
        for key in CONTAINER_KEYS:
            if isinstance(data.get(key), list):
                data = data[key]
                break
    if isinstance(data, dict):
        yield _safe(data, origin)
        return
    if not isinstance(data, list):
        raise InputError(origin, f"expected a JSON object or array, found {_kind(data)}")
    if not data:
        raise InputError(origin, "empty JSON array, nothing to ingest")
    for i, item in enumerate(data):
        yield _safe(item, f"{origin}[{i}]")


def parse_jsonl(
    stream: IO[bytes],
    origin: str,
    *,
    max_bytes: int,
    digest: hashlib._Hash | None = None,
) -> Iterator[ArticleDraft | InputError]:
    """Drafts from a JSONL stream, one line at a time (never more than *max_bytes* a line)."""
    from archive.ingest import decode

    lineno = 0
    seen = 0
    while True:
        raw = stream.readline(max_bytes + 1)
        if not raw:
            break
        lineno += 1
        if digest is not None:
            digest.update(raw)
        where = f"{origin}:{lineno}"
        if len(raw) > max_bytes and not raw.endswith(b"\n"):
            size = len(raw) + _skip_line(stream, digest)
            yield InputError(where, f"line is {size:,} bytes, over the {max_bytes:,}-byte limit")
            continue
        raw = raw.strip()
        if not raw:
            continue
        seen += 1
        try:
            text = decode(raw, where)
            obj = json.loads(text)
        except InputError as exc:
            yield exc
            continue
        except json.JSONDecodeError as exc:
            yield InputError(where, f"invalid JSON: {exc.msg} (column {exc.colno})")
            continue
        except RecursionError:
            yield InputError(where, TOO_DEEP)
            continue
        yield _safe(obj, where)
    if not seen:
        yield InputError(origin, "empty input, nothing to ingest")


def _skip_line(stream: IO[bytes], digest: hashlib._Hash | None) -> int:
    skipped = 0
    while True:
        chunk = stream.readline(_CHUNK)
        if digest is not None:
            digest.update(chunk)
        skipped += len(chunk)
        if not chunk or chunk.endswith(b"\n"):
            return skipped


def _safe(obj: Any, origin: str) -> ArticleDraft | InputError:
    try:
        return record(obj, origin)
    except InputError as exc:
        return exc


def _has_body(data: dict[str, Any]) -> bool:
    fields, _ = from_mapping(data)
    return bool(fields.get("body"))


def _kind(value: Any) -> str:
    return {
        list: "an array",
        str: "a string",
        int: "a number",
        float: "a number",
        bool: "true/false",
        type(None): "null",
    }.get(type(value), type(value).__name__)
