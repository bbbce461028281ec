"""JSON and JSONL: articles as objects, with common key names (see :mod:`archive.ingest.fields`).

- JSONL (``.jsonl``, ``.ndjson``): one object per line, read line by line, so a
  file of any length is ingested in flat memory. A bad line is an error for that
  line (reported as ``path:LINE``) and the other lines are still ingested.
- JSON (``.json``): an array of objects (``path[INDEX]``, counted from 0), one
  object, or an object holding such an array under ``articles``, ``items``, ``data``,
  ``results``, ``entries`` or ``posts`` (as news APIs answer). A top-level array is
  streamed element by element with ijson (its C backend, yajl2, where available), so
  an array of any length is ingested in flat memory; the size limit applies to each
  element. A bad element is an error for that element and the others are still
  ingested; JSON broken mid-way (cut off, a syntax error) keeps the elements before
  it and reports the rest as one error naming the element and the bytes where the
  parser stopped. An object is parsed whole, so it is subject to the size limit.

Keys the archive has no field for are kept in ``extra``.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from typing import IO, Any

from archive.errors import InputError
from archive.ingest.decoding import SNIFF_BYTES, Digest, decode, is_json_array, peek
from archive.ingest.draft import ArticleDraft
from archive.ingest.fields import draft_from_fields, from_mapping
from archive.ingest.text import make_title
from archive.text import normalize_text

#: Keys of a JSON object that may hold the array of articles.
CONTAINER_KEYS = ("articles", "items", "data", "results", "entries", "posts")

_CHUNK = 1 << 16

#: How much of a JSON array is read at a time.
_ARRAY_CHUNK = 1 << 14

#: Nesting deeper than this inside one array element is not an article (and a
#: hostile input must not build a structure the rest of the program recurses into).
MAX_DEPTH = 512


def record(obj: object, origin: str) -> ArticleDraft:
    """The draft of one JSON value.

    :raises InputError: it is not an object, or it has no article text.
    """
    if not isinstance(obj, dict):
        raise InputError(origin, f"expected a JSON object, found {_kind(obj)}")
    from archive.ingest.html import maybe_html_to_text

    fields, extra = from_mapping(obj)
    body, converted = maybe_html_to_text(fields.get("body") or "")
    body = normalize_text(body)
    if converted:
        extra["body_was_html"] = True
    if not body:
        if fields.get("url"):
            # A bookmark: an address (and a title), no text. A link waiting to be fetched.
            title = make_title(fields.get("title") or fields["url"])
            return draft_from_fields(fields, extra, title=title, body="", origin=origin)
        raise InputError(origin, "no article text (expected a body, text or content key)")
    return draft_from_fields(
        fields,
        extra,
        title=make_title(fields.get("title") or body.split("\n", 1)[0]),
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
    except ValueError as exc:  # a number over Python's 4,300-digit limit
        raise InputError(origin, _number_problem(exc)) from None
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


def parse_json_array(
    stream: IO[bytes],
    origin: str,
    *,
    max_bytes: int,
    digest: Digest | None = None,
) -> Iterator[ArticleDraft | InputError]:
    """Drafts from a stream holding one JSON array, one element at a time.

    Memory stays flat however long the array is: ijson's events are built into one
    element's value at a time (never more than about *max_bytes* of input each; a
    larger element is skipped, reported and the rest goes on). The stream must be
    UTF-8 (RFC 8259); a leading byte order mark is skipped.
    """
    import ijson

    reader = _Reader(stream, digest)
    # Read in pieces of at most a quarter of the limit, so that an element is checked
    # against it closely enough: one over 1.5 times the limit is always caught.
    chunk = max(1, min(_ARRAY_CHUNK, max_bytes // 4))
    if peek(stream, 3) == codecs.BOM_UTF8:
        reader.read(3)
    index = 0  # the element being read, counted from 0
    depth = 0  # nesting inside the top-level array (0: between elements)
    builder: ijson.ObjectBuilder | None = None
    start = 0  # reader.pos when the element started
    problem: str | None = None  # why the element being skipped is skipped
    ended = False
    try:
        events = ijson.basic_parse(reader, buf_size=chunk, use_float=True)
        first = next(events, None)
        if first is None or first[0] != "start_array":
            yield InputError(origin, "expected a JSON array")
            return
        for event, value in events:
            if depth == 0:
                if event == "end_array":
                    ended = True
                    continue
                start = reader.pos
                if event not in ("start_map", "start_array"):
                    yield InputError(
                        f"{origin}[{index}]", f"expected a JSON object, found {_kind(value)}"
                    )
                    index += 1
                    continue
                builder, problem = ijson.ObjectBuilder(), None
            if event in ("start_map", "start_array"):
                depth += 1
            elif event in ("end_map", "end_array"):
                depth -= 1
            if builder is not None:
                if depth > MAX_DEPTH:
                    builder, problem = None, TOO_DEEP
                elif reader.pos - start > max_bytes + chunk:
                    limit = f"element is over the {max_bytes:,}-byte limit (see --max-size)"
                    builder, problem = None, limit
                else:
                    builder.event(event, value)
            if depth == 0:
                where = f"{origin}[{index}]"
                index += 1
                if builder is not None:
                    yield _safe(builder.value, where)
                else:
                    yield InputError(where, problem or "skipped")
                builder = None
    except ijson.JSONError as exc:
        bad = _bad_utf8(reader.chunk)
        if bad is not None and not ended:
            # Not UTF-8 after all (a Latin-1 export whose first 8 KB are ASCII): a file
            # small enough to read whole is read again, its character set detected, and
            # its elements from this one on are taken from there.
            rest = _reread_whole(stream, reader, origin, max_bytes, index)
            if rest is not None:
                yield from rest
                return
        reason = _yajl_reason(exc)
        # yajl gives no offset: say where in the input the parser stopped, exactly
        # when we can tell (bad UTF-8, the end of the input), else which chunk.
        if bad is not None:
            span = f"at byte {reader.pos - len(reader.chunk) + bad:,}"
        elif reader.chunk:
            span = f"in bytes {reader.pos - len(reader.chunk):,}-{reader.pos:,}"
        else:
            span = f"at byte {reader.pos:,}, the end of the input"
        if ended:
            yield InputError(origin, f"invalid JSON after the array's end: {reason} ({span})")
        elif index == 0 and depth == 0 and builder is None:
            yield InputError(origin, f"invalid JSON: {reason} ({span})")
        else:
            yield InputError(
                f"{origin}[{index}]",
                f"invalid JSON: {reason} ({span}); this element and any after it were not read",
            )
        return
    if index == 0:
        yield InputError(origin, "empty JSON array, nothing to ingest")
    while reader.read(_CHUNK):
        pass  # the digest covers the whole input


def _reread_whole(
    stream: IO[bytes], reader: _Reader, origin: str, max_bytes: int, first: int
) -> list[ArticleDraft | InputError] | None:
    """The outcomes of elements *first* and after of the JSON array in *stream*, read
    whole and decoded with :func:`archive.ingest.decoding.decode`; ``None`` when the stream
    cannot be read again (not seekable, over *max_bytes*) or is not such an array."""
    try:
        if not stream.seekable():
            return None
        size = stream.seek(0, 2)
        if size > max_bytes:
            return None
        stream.seek(0)
        seen = stream.read(reader.pos)  # already hashed, as the parser read it
        rest = b"".join(iter(lambda: reader.read(_CHUNK), b""))
        items = json.loads(decode(seen + rest, origin))
    except (OSError, ValueError, InputError, RecursionError):
        return None
    if not isinstance(items, list) or len(items) <= first:
        return None
    return [_safe(item, f"{origin}[{i}]") for i, item in enumerate(items) if i >= first]


#: How much of a JSON array :func:`estimate_array` reads to count its elements.
ESTIMATE_SAMPLE = 1 << 20


def estimate_array(f: IO[bytes], size: int) -> int:
    """About how many elements the JSON array in *f* (*size* bytes) holds; 1 for a
    file that is not an array."""
    sample = f.read(ESTIMATE_SAMPLE)
    if not is_json_array(sample[:SNIFF_BYTES]):
        return 1
    counted = count_elements(sample)
    if len(sample) >= size:
        return max(1, counted)
    return max(1, round(counted * size / len(sample)))


def count_elements(data: bytes) -> int:
    """How many elements of the JSON array that *data* starts with are complete in it
    (*data* may be cut off anywhere: the count stops there)."""
    import io

    import ijson

    count = 0
    depth = 0
    try:
        events = ijson.basic_parse(io.BytesIO(data.removeprefix(codecs.BOM_UTF8)))
        for event, _ in events:
            if event in ("start_map", "start_array"):
                depth += 1
            elif event in ("end_map", "end_array"):
                depth -= 1
                count += depth == 1
            elif depth == 1:
                count += 1  # a scalar element
    except ijson.JSONError:
        pass
    return count


class _Reader:
    """A byte stream as ijson reads it: counts (and hashes) every byte read."""

    def __init__(self, stream: IO[bytes], digest: Digest | None) -> None:
        self.stream = stream
        self.digest = digest
        self.pos = 0
        self.chunk = b""  # the last read

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.pos += len(data)
        self.chunk = data
        if self.digest is not None:
            self.digest.update(data)
        return data


def _bad_utf8(chunk: bytes) -> int | None:
    """The offset in *chunk* of its first byte that is not UTF-8 (``None``: all are).

    A chunk may start or end inside a character (the reads split them): those
    partial characters at its two ends are not counted as bad.
    """
    start = 0
    while start < min(3, len(chunk)) and 0x80 <= chunk[start] <= 0xBF:
        start += 1
    try:
        chunk[start:].decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data" and start + exc.end == len(chunk):
            return None
        return start + exc.start
    return None


def _yajl_reason(exc: Exception) -> str:
    """The first line of a yajl error message, without its ``parse error:`` prefix."""
    text = str(exc)
    if text.startswith(("b'", 'b"')):  # the C backend's message for bad UTF-8 is a bytes repr
        import ast

        try:
            text = ast.literal_eval(text).decode("utf-8", "replace")
        except (ValueError, SyntaxError, AttributeError):
            pass
    line = (text.strip().splitlines() or ["not valid JSON"])[0].strip().rstrip(".")
    for prefix in ("parse error: ", "lexical error: "):
        line = line.removeprefix(prefix)
    if line == "invalid bytes in UTF8 string":
        return "bytes that are not UTF-8, as JSON must be"
    return line


def parse_jsonl(
    stream: IO[bytes],
    origin: str,
    *,
    max_bytes: int,
    digest: Digest | None = None,
) -> Iterator[ArticleDraft | InputError]:
    """Drafts from a JSONL stream, one line at a time (never more than *max_bytes* a line)."""
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
            skipped = _skip_line(stream, digest, SKIP_LIMIT * max_bytes)
            if skipped is None:
                yield InputError(
                    where,
                    f"line is over {SKIP_LIMIT * max_bytes:,} bytes without a line end: "
                    "not JSON Lines; the rest of the input was not read",
                )
                return
            size = len(raw) + skipped
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
        except ValueError as exc:  # a number over Python's 4,300-digit limit
            yield InputError(where, _number_problem(exc))
            continue
        yield _safe(obj, where)
    if not seen:
        yield InputError(origin, "empty input, nothing to ingest")


#: A line over the size limit is skipped to its end, but no further than this many
#: times the limit: an input without line ends (``/dev/zero`` on standard input) stops.
SKIP_LIMIT = 16


def _skip_line(stream: IO[bytes], digest: Digest | None, most: int) -> int | None:
    """Read past the rest of a line; how many bytes that was (``None``: over *most*)."""
    skipped = 0
    while skipped <= most:
        chunk = stream.readline(_CHUNK)
        if digest is not None:
            digest.update(chunk)
        skipped += len(chunk)
        if not chunk or chunk.endswith(b"\n"):
            return skipped
    return None


def _safe(obj: object, origin: str) -> ArticleDraft | InputError:
    try:
        return record(obj, origin)
    except InputError as exc:
        return exc
    except RecursionError:
        return InputError(origin, TOO_DEEP)


def _number_problem(exc: ValueError) -> str:
    if "digits" in str(exc):
        return "invalid JSON: a number over 4,300 digits long"
    return f"invalid JSON: {exc}"


def _has_body(data: dict[str, Any]) -> bool:
    fields, _ = from_mapping(data)
    return bool(fields.get("body"))


def _kind(value: object) -> str:
    return {
        list: "an array",
        str: "a string",
        int: "a number",
        float: "a number",
        bool: "true/false",
        type(None): "null",
    }.get(type(value), type(value).__name__)
