"""Reading files and streams into drafts, whatever their format (see :mod:`.formats`).

Every problem with an input becomes an :class:`~archive.errors.InputError` naming
it, yielded rather than raised, so one bad file never stops a run.
"""

from __future__ import annotations

import fnmatch
import io
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

from archive.errors import InputError
from archive.ingest import formats
from archive.ingest.decoding import Digest, peek
from archive.ingest.draft import ArticleDraft, Overrides
from archive.ingest.formats import Format, detect_format

#: Inputs larger than this are refused unless the caller raises the limit
#: (for JSONL, the limit applies to each line; for a JSON array, to each element).
DEFAULT_MAX_BYTES = 50 * 1024 * 1024


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
        return formats.by_extension(full) is not None
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
    digest: Digest | None = None,
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
        buffered = io.BufferedReader(stream)
        try:
            yield from read_stream(
                buffered,
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
    head = peek(stream)
    kind = formats.get(fmt or detect_format(name, head))
    if kind.holds_many and overrides is not None and (overrides.url or overrides.title):
        yield InputError(origin, "--url and --title name one article; a JSON input holds many")
        return
    if kind.streamed(head):
        assert kind.stream is not None  # (streamed says so)
        items: Iterable[ArticleDraft | InputError] = kind.stream(
            stream, origin, max_bytes=max_bytes, digest=digest
        )
    else:
        data = stream.read(max_bytes + 1)
        if digest is not None:
            digest.update(data)
        if len(data) > max_bytes:
            yield InputError(origin, f"input is over the {max_bytes:,}-byte limit (see --max-size)")
            return
        items = _parse_document(kind, data, origin, origin_key)
    for item in items:
        if overrides is not None and not isinstance(item, InputError):
            item = overrides.apply(item)
        yield item


def streamed(fmt: str | None, head: bytes) -> bool:
    """Whether an input of format *fmt* starting with *head* is read piece by piece
    (so the size limit applies to each line or element, not to the whole input)."""
    return fmt is not None and formats.get(fmt).streamed(head)


def _parse_document(
    kind: Format, data: bytes, origin: str, origin_key: str | None
) -> Iterator[ArticleDraft | InputError]:
    assert kind.parse is not None  # (a format without one is always streamed)
    try:
        yield from kind.parse(data, origin, origin_key)
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
        io.BufferedReader(io.BytesIO(data)),
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
    digest: Digest | None = None,
) -> Iterator[ArticleDraft | InputError]:
    """Drafts from the file at *path*; problems are yielded as errors, not raised."""
    origin = str(path.absolute())
    try:
        if path.is_dir():
            yield InputError(origin, "is a directory, not a file")
            return
        size = path.stat().st_size
        stream = path.open("rb")
        head = peek(stream) if size > max_bytes else b""
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
        kind = formats.get(fmt) if fmt else formats.by_extension(path)
        if kind is None or kind.count is None:
            total += 1
            continue
        try:
            with path.open("rb") as f:
                total += kind.count(f, path.stat().st_size)
        except OSError:
            total += 1
    return total


def parse_size(text: str) -> int:
    """Bytes from a size such as ``50M``, ``200k``, ``1.5G`` or ``1048576``.

    :raises ValueError: *text* is not a size.
    """
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*", text.lower())
    if not m:
        raise ValueError(f"not a size: {text!r} (try 50M, 200K or 1G)")
    factor = 1024 ** " kmgt".index(m.group(2) or " ")
    size = int(float(m.group(1)) * factor)
    if size <= 0:
        raise ValueError(f"the size must be positive: {text!r}")
    return size
