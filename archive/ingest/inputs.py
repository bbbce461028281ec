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
from archive.ingest.formats import Format, detect_format, feed_refusal
from archive.terminal import path_text

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
        unreadable: list[OSError] = []
        for root, dirs, files in os.walk(path, onerror=unreadable.append):
            while unreadable:
                yield _walk_error(unreadable.pop(0))
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                if name.startswith("."):
                    continue
                full = Path(root, name)
                if _wanted(full, full.relative_to(path), patterns):
                    found += 1
                    yield full
        while unreadable:
            yield _walk_error(unreadable.pop(0))
        if not found:
            wanted = " or ".join(patterns) if patterns else "an article format's extension"
            yield InputError(str(path), f"directory has no files to ingest (none named {wanted})")


def _walk_error(exc: OSError) -> InputError:
    """A directory that could not be listed, as the error that reports it."""
    where = path_text(exc.filename) if exc.filename is not None else "?"
    return InputError(where, f"directory cannot be read ({exc.strerror or exc}); skipped")


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
    refusal = None if fmt else feed_refusal(head)
    if refusal:
        yield InputError(origin, refusal)
        return
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
    """Drafts from the file at *path*; problems are yielded as errors, not raised.

    Only a regular file is read (directly or through a symbolic link): a FIFO, a
    socket or a device is reported and skipped, as reading it could block for ever
    or never end. It is opened without blocking and checked before any read.
    """
    origin = path_text(path.absolute())
    try:
        stream = open_regular(path)
        size = os.fstat(stream.fileno()).st_size
        head = peek(stream) if size > max_bytes else b""
        if size > max_bytes and not streamed(fmt or detect_format(path.name, head), head):
            stream.close()
            yield InputError(
                origin,
                f"file is {size:,} bytes, over the {max_bytes:,}-byte limit (see --max-size)",
            )
            return
    except NotRegular as exc:
        yield InputError(origin, str(exc))
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


class NotRegular(OSError):
    """A path names something other than a regular file (the message says what)."""


def open_regular(path: Path) -> io.BufferedReader:
    """*path* opened for reading in binary, if it is a regular file.

    Opened with ``O_NONBLOCK`` (a FIFO with no writer would block the open itself)
    and checked with ``fstat`` on the open descriptor, so a path swapped between the
    check and the read cannot slip through; blocking is restored for the reads.

    :raises NotRegular: it is a directory, FIFO, socket or device.
    :raises OSError: it cannot be opened.
    """
    import stat

    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegular(f"is {_kind_of(mode)}, not a regular file; skipped")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return open(fd, "rb", closefd=True)
    except BaseException:
        os.close(fd)
        raise


def stdin_problem(stream: IO[bytes]) -> str | None:
    """Why standard input cannot be read (``None``: it can): closed, a directory, or a
    device other than a terminal (``/dev/zero`` would never end)."""
    import stat

    try:
        fd = stream.fileno()
    except (OSError, ValueError, AttributeError):
        return None  # not a real file (a test runner's stream): read it as it is
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        return "standard input is closed"
    if stat.S_ISDIR(mode) or (stat.S_ISCHR(mode) and not os.isatty(fd)) or stat.S_ISBLK(mode):
        return f"standard input is {_kind_of(mode)}, not a file or a pipe"
    return None


def _kind_of(mode: int) -> str:
    import stat

    for test, name in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    ):
        if test(mode):
            return name
    return "not a file"


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
            with open_regular(path) as f:
                total += kind.count(f, os.fstat(f.fileno()).st_size)
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
    size = float(m.group(1)) * factor
    if size > MAX_SIZE:
        raise ValueError(f"the size must be at most 1024T: {text!r}")
    if int(size) <= 0:
        raise ValueError(f"the size must be positive: {text!r}")
    return int(size)


#: The largest ``--max-size`` (1024 TiB): past it a read's length is not a machine size.
MAX_SIZE = 1 << 50
