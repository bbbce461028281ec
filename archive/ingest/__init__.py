"""Reading inputs into :class:`ArticleDraft` objects: one module per format.

Formats: ``text`` (:mod:`.text`, with an optional header block), ``markdown``
(:mod:`.markdown`), ``html`` (:mod:`.html`), ``json`` and ``jsonl``
(:mod:`.jsonl`). A file's format comes from its extension, else from sniffing
its first bytes; standard input is sniffed unless a format is given.

Parsers are pure: bytes in, drafts out; no database, no Click. The readers here
turn every problem with an input into an :class:`~archive.errors.InputError`
naming it (yielded, not raised), so one bad file never stops a run.
"""

from __future__ import annotations

import codecs
import fnmatch
import hashlib
import io
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from archive.errors import InputError
from archive.ingest.draft import ArticleDraft, Overrides

__all__ = [
    "ArticleDraft",
    "Overrides",
    "FORMATS",
    "decode",
    "detect_format",
    "is_json_array",
    "read_bytes",
    "read_path",
    "read_stream",
    "walk",
]

#: Inputs larger than this are refused unless the caller raises the limit
#: (for JSONL, the limit applies to each line; for a JSON array, to each element).
DEFAULT_MAX_BYTES = 50 * 1024 * 1024

FORMATS = ("text", "markdown", "html", "json", "jsonl")

#: File name endings (lower case) and their formats.
EXTENSIONS = {
    ".txt": "text",
    ".text": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".mdown": "markdown",
    ".mkd": "markdown",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}

_SNIFF_BYTES = 8192
_HTML_MARKS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<meta", b"<article", b"<title")


def decode(data: bytes, origin: str) -> str:
    """The text of *data*: UTF-8 (a BOM is allowed), UTF-16 with a BOM, or whatever
    character set charset-normalizer finds.

    :raises InputError: the data is empty, binary, or no character set fits it.
    """
    if not data.strip():
        raise InputError(origin, "empty input, nothing to ingest")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InputError(origin, "not valid UTF-16 despite its byte order mark") from exc
    if b"\x00" in data[:_SNIFF_BYTES]:
        raise InputError(origin, "binary data, not a text article")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data" and exc.end == len(data):
            # UTF-8 cut off inside its last character (a truncated download or copy):
            # keep the text, drop the partial character, rather than guess another charset.
            return data[: exc.start].decode("utf-8-sig")
        bad = f"byte 0x{data[exc.start]:02x} at offset {exc.start}"
        from charset_normalizer import from_bytes

        best = _pick_charset(from_bytes(data))
        if best is None:
            raise InputError(
                origin, f"not UTF-8 ({bad}) and no other character set fits it"
            ) from exc
        return str(best)


def _pick_charset(results: Any) -> Any:
    """charset-normalizer's best match, weighing language coherence over a small
    difference in "chaos", and preferring windows-1252 (the web's default for
    undeclared Western text) among equals: on a short English text with one ``£``,
    its plain best guess is a Japanese code page."""
    best = results.best()
    if best is None:
        return None
    near = [m for m in results if m.chaos <= best.chaos + 0.1]
    return max(near, key=lambda m: (round(m.coherence, 2), m.encoding == "cp1252", -m.chaos))


def detect_format(name: str | None, head: bytes) -> str:
    """The format of an input called *name* (``None`` for stdin) starting with *head*."""
    if name:
        ext = EXTENSIONS.get(Path(name).suffix.lower())
        if ext:
            return ext
    return sniff(head)


def sniff(head: bytes) -> str:
    """The format these first bytes of an input look like (``text`` when nothing else fits)."""
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    low = start[:1024].lower()
    if start.startswith(b"<") and any(m in low for m in _HTML_MARKS):
        return "html"
    if start.startswith(b"---") and start[3:4] in (b"\n", b"\r", b" ", b"\t"):
        return "markdown"
    if start.startswith(b"["):
        return "json"
    if start.startswith(b"{"):
        first, _, rest = start.partition(b"\n")
        if rest.lstrip().startswith(b"{") and first.rstrip().endswith(b"}"):
            return "jsonl"
        return "json"
    return "text"


def walk(paths: Iterable[Path], globs: Iterable[str] = ()) -> Iterator[Path | InputError]:
    """Every input file under *paths*, recursively, in name order.

    Files named directly are always taken. Inside directories, hidden files and
    directories (names starting with ``.``) are skipped, and a file is taken when
    its name (or its path relative to the directory) matches one of *globs*, or,
    with no globs, when its extension is a known format's.
    """
    patterns = tuple(globs)
    for path in paths:
        if str(path) == "-":
            yield path
            continue
        if not path.is_dir():
            yield path
            continue
        found = 0
        for root, dirs, files in os.walk(path, onerror=None):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                if name.startswith("."):
                    continue
                full = Path(root, name)
                if _wanted(full, full.relative_to(path), patterns):
                    found += 1
                    yield full
        if not found:
            wanted = " or ".join(patterns) if patterns else "an article format's extension"
            yield InputError(str(path), f"directory has no files to ingest (none named {wanted})")


def _wanted(full: Path, rel: Path, patterns: tuple[str, ...]) -> bool:
    if not patterns:
        return full.suffix.lower() in EXTENSIONS
    text = rel.as_posix()
    return any(fnmatch.fnmatch(full.name, p) or fnmatch.fnmatch(text, p) for p in patterns)


def read_stream(
    stream: IO[bytes],
    origin: str,
    *,
    name: str | None = None,
    fmt: str | None = None,
    overrides: Overrides | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    origin_key: str | None = None,
    digest: hashlib._Hash | None = None,
) -> Iterator[ArticleDraft | InputError]:
    """Drafts from a binary stream (a file or stdin); problems are yielded as errors.

    JSONL is read line by line and a JSON array element by element (at most
    *max_bytes* each); other inputs hold one document, read whole (at most
    *max_bytes*). *digest* is updated with every byte read.

    :param name: the file name, for the format by extension.
    :param fmt: the format, instead of detecting it.
    """
    if not hasattr(stream, "peek") and hasattr(stream, "readinto"):
        # A stream that cannot be peeked at (a BytesIO, a test runner's stdin) is
        # buffered, so that its format can still be sniffed without losing bytes;
        # detached afterwards, so that the caller's stream is not closed.
        buffered = io.BufferedReader(stream)  # type: ignore[arg-type]
        try:
            yield from read_stream(
                buffered,  # type: ignore[arg-type]
                origin,
                name=name,
                fmt=fmt,
                overrides=overrides,
                max_bytes=max_bytes,
                origin_key=origin_key,
                digest=digest,
            )
        finally:
            buffered.detach()
        return
    head = _peek(stream)
    fmt = fmt or detect_format(name, head)
    if fmt in ("json", "jsonl") and overrides is not None and (overrides.url or overrides.title):
        yield InputError(origin, "--url and --title name one article; a JSON input holds many")
        return
    if fmt == "jsonl":
        from archive.ingest import jsonl

        items: Iterable[ArticleDraft | InputError] = jsonl.parse_jsonl(
            stream, origin, max_bytes=max_bytes, digest=digest
        )
    elif fmt == "json" and is_json_array(head):
        from archive.ingest import jsonl

        items = jsonl.parse_json_array(stream, origin, max_bytes=max_bytes, digest=digest)
    else:
        data = stream.read(max_bytes + 1)
        if digest is not None:
            digest.update(data)
        if len(data) > max_bytes:
            yield InputError(origin, f"input is over the {max_bytes:,}-byte limit (see --max-size)")
            return
        items = _parse_document(data, origin, fmt, origin_key)
    for item in items:
        if overrides is not None and not isinstance(item, InputError):
            item = overrides.apply(item)
        yield item


def is_json_array(head: bytes) -> bool:
    """Whether an input starting with *head* is a JSON array to stream element by element.

    UTF-8 only (as JSON is): a head that is not UTF-8 (Latin-1 text, a UTF-16 byte
    order mark) is read whole instead, where its character set is detected.
    """
    start = head.removeprefix(codecs.BOM_UTF8).lstrip(b" \t\r\n")
    if not start.startswith(b"["):
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A character cut off by the end of the head is still UTF-8.
        return exc.reason == "unexpected end of data" and exc.end == len(head)
    return True


def streamed(fmt: str | None, head: bytes) -> bool:
    """Whether an input of format *fmt* starting with *head* is read piece by piece
    (so the size limit applies to each line or element, not to the whole input)."""
    return fmt == "jsonl" or (fmt == "json" and is_json_array(head))


def _peek(stream: IO[bytes]) -> bytes:
    peek = getattr(stream, "peek", None)
    if peek is None:
        return b""
    try:
        return bytes(peek(_SNIFF_BYTES)[:_SNIFF_BYTES])
    except (OSError, ValueError):
        return b""


def _parse_document(
    data: bytes, origin: str, fmt: str, origin_key: str | None
) -> Iterator[ArticleDraft | InputError]:
    try:
        if fmt == "html":
            from archive.ingest import html

            if not data.strip():
                raise InputError(origin, "empty input, nothing to ingest")
            if b"\x00" in data[:_SNIFF_BYTES] and not data.startswith(
                (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
            ):
                raise InputError(origin, "binary data, not an HTML page")
            yield from html.parse(data, origin, origin_key)
        elif fmt == "json":
            from archive.ingest import jsonl

            yield from jsonl.parse_json(decode(data, origin), origin)
        elif fmt == "markdown":
            from archive.ingest import markdown

            yield from markdown.parse(decode(data, origin), origin, origin_key)
        else:
            from archive.ingest import text

            yield from text.parse(decode(data, origin), origin, origin_key)
    except InputError as exc:
        yield exc


def read_bytes(
    data: bytes,
    origin: str,
    overrides: Overrides | None = None,
    *,
    fmt: str | None = None,
    name: str | None = None,
) -> Iterator[ArticleDraft | InputError]:
    """Drafts from the bytes of one input."""
    return read_stream(
        io.BufferedReader(io.BytesIO(data)),  # type: ignore[arg-type]
        origin,
        name=name,
        fmt=fmt,
        overrides=overrides,
        max_bytes=max(len(data), DEFAULT_MAX_BYTES),
    )


def read_path(
    path: Path,
    overrides: Overrides | None = None,
    *,
    fmt: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    digest: hashlib._Hash | None = None,
) -> Iterator[ArticleDraft | InputError]:
    """Drafts from the file at *path*; problems are yielded as errors, not raised."""
    origin = str(path.absolute())
    try:
        if path.is_dir():
            yield InputError(origin, "is a directory, not a file")
            return
        size = path.stat().st_size
        stream = path.open("rb")
        head = _peek(stream) if size > max_bytes else b""
        if size > max_bytes and not streamed(fmt or detect_format(path.name, head), head):
            stream.close()
            yield InputError(
                origin,
                f"file is {size:,} bytes, over the {max_bytes:,}-byte limit (see --max-size)",
            )
            return
    except FileNotFoundError:
        yield InputError(origin, "no such file")
        return
    except PermissionError:
        yield InputError(origin, "permission denied")
        return
    except OSError as exc:
        yield InputError(origin, f"cannot be read ({os.strerror(exc.errno or 0) or exc})")
        return
    with stream:
        try:
            yield from read_stream(
                stream,
                origin,
                name=path.name,
                fmt=fmt,
                overrides=overrides,
                max_bytes=max_bytes,
                origin_key=origin,
                digest=digest,
            )
        except OSError as exc:
            yield InputError(origin, f"cannot be read ({os.strerror(exc.errno or 0) or exc})")


def estimate(paths: Iterable[Path], globs: Iterable[str] = (), fmt: str | None = None) -> int:
    """About how many articles *paths* hold (for a progress bar): JSONL lines count one
    each, the elements of a JSON array are counted in its first megabyte and the rest
    estimated from their size, every other file counts one. Cheap: only JSON arrays
    are parsed, and only their first megabyte."""
    total = 0
    for path in walk(paths, globs):
        if isinstance(path, InputError) or str(path) == "-":
            continue
        kind = fmt or EXTENSIONS.get(path.suffix.lower())
        if kind not in ("jsonl", "json"):
            total += 1
            continue
        try:
            with path.open("rb") as f:
                if kind == "json":
                    total += _estimate_array(f, path.stat().st_size)
                    continue
                total += sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
        except OSError:
            total += 1
    return total


_ESTIMATE_SAMPLE = 1 << 20


def _estimate_array(f: IO[bytes], size: int) -> int:
    """About how many elements the JSON array in *f* (*size* bytes) holds; 1 for a
    file that is not an array."""
    sample = f.read(_ESTIMATE_SAMPLE)
    if not is_json_array(sample[:_SNIFF_BYTES]):
        return 1
    from archive.ingest.jsonl import count_elements

    counted = count_elements(sample)
    if len(sample) >= size:
        return max(1, counted)
    return max(1, round(counted * size / len(sample)))


def parse_size(text: str) -> int:
    """Bytes from a size such as ``50M``, ``200k``, ``1.5G`` or ``1048576``.

    :raises ValueError: *text* is not a size.
    """
    import re

    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*", text.lower())
    if not m:
        raise ValueError(f"not a size: {text!r} (try 50M, 200K or 1G)")
    factor = 1024 ** " kmgt".index(m.group(2) or " ")
    size = int(float(m.group(1)) * factor)
    if size <= 0:
        raise ValueError(f"the size must be positive: {text!r}")
    return size
