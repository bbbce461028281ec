"""Reading inputs into :class:`ArticleDraft` objects: one module per format.

Parsers are pure: bytes in, drafts out; no database, no Click. :func:`read_path`
and :func:`read_bytes` pick the parser and turn every problem with an input
into an :class:`~archive.errors.InputError` naming it, so one bad file never
stops a run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from archive.errors import InputError
from archive.ingest.draft import ArticleDraft, Overrides

__all__ = ["ArticleDraft", "Overrides", "read_bytes", "read_path", "decode"]

#: Inputs larger than this are refused unless the caller raises the limit.
DEFAULT_MAX_BYTES = 50 * 1024 * 1024


def decode(data: bytes, origin: str) -> str:
    """The text of *data*, which must be UTF-8 (a BOM is allowed).

    :raises InputError: the data is empty, binary or not UTF-8.
    """
    if not data.strip():
        raise InputError(origin, "empty input, nothing to ingest")
    if b"\x00" in data[:8192]:
        raise InputError(origin, "binary data, not a text article")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            origin, f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        ) from exc


def read_bytes(
    data: bytes, origin: str, overrides: Overrides | None = None
) -> Iterator[ArticleDraft | InputError]:
    """Drafts from the bytes of one input (a file's content or stdin)."""
    from archive.ingest import text

    try:
        drafts = list(text.parse(decode(data, origin), origin))
    except InputError as exc:
        yield exc
        return
    for draft in drafts:
        yield overrides.apply(draft) if overrides else draft


def read_path(
    path: Path,
    overrides: Overrides | None = None,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Iterator[ArticleDraft | InputError]:
    """Drafts from the file at *path*; problems are yielded as errors, not raised."""
    origin = str(path)
    try:
        if path.is_dir():
            yield InputError(origin, "is a directory, not a file")
            return
        size = path.stat().st_size
        if size > max_bytes:
            yield InputError(origin, f"file is {size:,} bytes, over the {max_bytes:,}-byte limit")
            return
        data = path.read_bytes()
    except FileNotFoundError:
        yield InputError(origin, "no such file")
        return
    except PermissionError:
        yield InputError(origin, "permission denied")
        return
    except OSError as exc:
        yield InputError(origin, f"cannot be read ({os.strerror(exc.errno or 0) or exc})")
        return
    yield from read_bytes(data, origin, overrides)
