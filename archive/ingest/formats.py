"""The input formats: one registry that the CLI's choices, detection and dispatch all read.

Each :class:`Format` says what the format is called, which file name endings are
its own, how its first bytes are recognised, and how it is read: whole (one
document, at most the size limit) or record by record (JSONL lines, the elements
of a JSON array; the limit applies to each record). :data:`FORMATS` lists them in
the order the CLI shows them; :data:`FORMAT_NAMES` is that order as names.

This module is imported when the CLI starts, so it stays light: each format's
parser module is imported only when an input of that format is read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

from archive.errors import InputError
from archive.ingest.decoding import SNIFF_BYTES, Digest, decode_noting, is_json_array
from archive.ingest.draft import ArticleDraft

#: Parses one whole input (its bytes, its origin, the file it alone came from);
#: may raise :class:`InputError` for the whole input, or yield one for a record.
DocumentParser = Callable[[bytes, str, str | None], Iterable[ArticleDraft | InputError]]


class StreamParser(Protocol):
    """Reads an input record by record from *stream* (at most *max_bytes* a record),
    updating *digest* with every byte read; problems are yielded, not raised."""

    def __call__(
        self, stream: IO[bytes], origin: str, *, max_bytes: int, digest: Digest | None = None
    ) -> Iterator[ArticleDraft | InputError]: ...


def _never(head: bytes) -> bool:
    return False


def _always(head: bytes) -> bool:
    return True


@dataclass(frozen=True, slots=True)
class Format:
    """One input format."""

    name: str
    #: File name endings (lower case) that mean this format.
    extensions: tuple[str, ...]
    #: Whether an input's first bytes (without a UTF-8 BOM or leading blanks) look like
    #: this format; formats are tried in :data:`SNIFF_ORDER`.
    sniff: Callable[[bytes], bool]
    #: How a whole input is parsed (``None``: it is always streamed).
    parse: DocumentParser | None
    #: How an input is read record by record (``None``: it is always read whole).
    stream: StreamParser | None = None
    #: Whether an input starting with these bytes is streamed (given a :attr:`stream`).
    streams_when: Callable[[bytes], bool] = _never
    #: Whether an input holds many articles (so ``--url`` and ``--title`` cannot apply).
    holds_many: bool = False
    #: About how many articles a file of this format holds, given the open file and its
    #: size (``None``: one).
    count: Callable[[IO[bytes], int], int] | None = None

    def __post_init__(self) -> None:
        if self.parse is None and self.stream is None:
            raise ValueError(f"format {self.name!r} can be read neither whole nor streamed")

    def streamed(self, head: bytes) -> bool:
        """Whether an input of this format starting with *head* is read record by record
        (so the size limit applies to each record, not to the whole input)."""
        return self.stream is not None and (self.parse is None or self.streams_when(head))


# Sniffers: each gets the head without a UTF-8 BOM and leading blanks.

_HTML_MARKS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<meta", b"<article", b"<title")


def _looks_html(start: bytes) -> bool:
    low = start[:1024].lower()
    return start.startswith(b"<") and any(m in low for m in _HTML_MARKS)


def _looks_markdown(start: bytes) -> bool:
    # YAML front matter: a first line of "---".
    return start.startswith(b"---") and start[3:4] in (b"\n", b"\r", b" ", b"\t")


def _looks_jsonl(start: bytes) -> bool:
    if not start.startswith(b"{"):
        return False
    first, _, rest = start.partition(b"\n")
    return rest.lstrip().startswith(b"{") and first.rstrip().endswith(b"}")


def _looks_json(start: bytes) -> bool:
    return start.startswith((b"[", b"{"))


def _noted(
    drafts: Iterable[ArticleDraft | InputError], note: str | None
) -> Iterator[ArticleDraft | InputError]:
    """*drafts*, each warned that its input's character set was guessed (*note*)."""
    from dataclasses import replace

    for draft in drafts:
        if note and isinstance(draft, ArticleDraft):
            draft = replace(draft, warnings=(note, *draft.warnings))
        yield draft


# Parsers: each format's module is imported when it is first needed (and looked up
# at each call, so that a test may replace a module's ``parse``).


def _parse_text(
    data: bytes, origin: str, origin_key: str | None
) -> Iterator[ArticleDraft | InputError]:
    from archive.ingest import text

    text_, note = decode_noting(data, origin)
    return _noted(text.parse(text_, origin, origin_key), note)


def _parse_markdown(
    data: bytes, origin: str, origin_key: str | None
) -> Iterator[ArticleDraft | InputError]:
    from archive.ingest import markdown

    text_, note = decode_noting(data, origin)
    return _noted(markdown.parse(text_, origin, origin_key), note)


def _parse_html(data: bytes, origin: str, origin_key: str | None) -> Iterator[ArticleDraft]:
    import codecs

    from archive.ingest import html

    if not data.strip():
        raise InputError(origin, "empty input, nothing to ingest")
    if b"\x00" in data[:SNIFF_BYTES] and not data.startswith(
        (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    ):
        raise InputError(origin, "binary data, not an HTML page")
    from archive.ingest.draft import KeptPage

    return html.parse(data, origin, origin_key, page=KeptPage(data, origin_key or origin))


def _parse_json(
    data: bytes, origin: str, origin_key: str | None
) -> Iterator[ArticleDraft | InputError]:
    from archive.ingest import jsonl

    text_, note = decode_noting(data, origin)
    return _noted(jsonl.parse_json(text_, origin), note)


def _stream_json_array(
    stream: IO[bytes], origin: str, *, max_bytes: int, digest: Digest | None = None
) -> Iterator[ArticleDraft | InputError]:
    from archive.ingest import jsonl

    return jsonl.parse_json_array(stream, origin, max_bytes=max_bytes, digest=digest)


def _stream_jsonl(
    stream: IO[bytes], origin: str, *, max_bytes: int, digest: Digest | None = None
) -> Iterator[ArticleDraft | InputError]:
    from archive.ingest import jsonl

    return jsonl.parse_jsonl(stream, origin, max_bytes=max_bytes, digest=digest)


def _parse_csv(
    data: bytes, origin: str, origin_key: str | None
) -> Iterator[ArticleDraft | InputError]:
    from archive.ingest import readlater

    text_, note = decode_noting(data, origin)
    return _noted(readlater.parse_csv(text_, origin), note)


def _parse_bookmarks(
    data: bytes, origin: str, origin_key: str | None
) -> Iterator[ArticleDraft | InputError]:
    from archive.ingest import readlater

    text_, note = decode_noting(data, origin)
    return _noted(readlater.parse_bookmarks(text_, origin), note)


def _looks_csv(start: bytes) -> bool:
    from archive.ingest.readlater import looks_csv

    return looks_csv(start)


def _looks_bookmarks(start: bytes) -> bool:
    from archive.ingest.readlater import looks_bookmarks

    return looks_bookmarks(start)


def _count_array(f: IO[bytes], size: int) -> int:
    from archive.ingest import jsonl

    return jsonl.estimate_array(f, size)


def _count_lines(f: IO[bytes], size: int) -> int:
    return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))


TEXT = Format(
    name="text",
    extensions=(".txt", ".text"),
    sniff=_always,
    parse=_parse_text,
)
MARKDOWN = Format(
    name="markdown",
    extensions=(".md", ".markdown", ".mdown", ".mkd"),
    sniff=_looks_markdown,
    parse=_parse_markdown,
)
HTML = Format(
    name="html",
    extensions=(".html", ".htm", ".xhtml"),
    sniff=_looks_html,
    parse=_parse_html,
)
JSON = Format(
    name="json",
    extensions=(".json",),
    sniff=_looks_json,
    parse=_parse_json,
    stream=_stream_json_array,
    streams_when=is_json_array,
    holds_many=True,
    count=_count_array,
)
JSONL = Format(
    name="jsonl",
    extensions=(".jsonl", ".ndjson"),
    sniff=_looks_jsonl,
    parse=None,
    stream=_stream_jsonl,
    streams_when=_always,
    holds_many=True,
    count=_count_lines,
)
CSV = Format(
    name="csv",
    extensions=(".csv",),
    sniff=_looks_csv,
    parse=_parse_csv,
    holds_many=True,
    count=_count_lines,
)
BOOKMARKS = Format(
    name="bookmarks",
    extensions=(),
    sniff=_looks_bookmarks,
    parse=_parse_bookmarks,
    holds_many=True,
)

#: Every format, in the order the CLI shows them.
FORMATS: tuple[Format, ...] = (TEXT, MARKDOWN, HTML, JSON, JSONL, CSV, BOOKMARKS)

#: The formats' names, in the order the CLI shows them (``ingest --format``).
FORMAT_NAMES: tuple[str, ...] = tuple(f.name for f in FORMATS)

#: The order in which formats are tried on an input's first bytes: the most telling
#: first, plain text (which fits anything) last.
SNIFF_ORDER: tuple[Format, ...] = (BOOKMARKS, HTML, MARKDOWN, JSONL, JSON, CSV, TEXT)

_BY_NAME = {f.name: f for f in FORMATS}

#: File name endings (lower case) and their formats' names.
EXTENSIONS: dict[str, str] = {ext: f.name for f in FORMATS for ext in f.extensions}

assert set(SNIFF_ORDER) == set(FORMATS) and len(EXTENSIONS) == sum(
    len(f.extensions) for f in FORMATS
), "every format is sniffed, and no file name ending means two formats"


def get(name: str) -> Format:
    """The format called *name*; an unknown name is read as plain text (as it always was)."""
    return _BY_NAME.get(name, TEXT)


def by_extension(name: str | Path) -> Format | None:
    """The format a file name's ending says (``None``: no format's ending)."""
    found = EXTENSIONS.get(Path(name).suffix.lower())
    return _BY_NAME[found] if found else None


def sniff(head: bytes) -> str:
    """The format these first bytes of an input look like (``text`` when nothing else fits)."""
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return next(f for f in SNIFF_ORDER if f.sniff(start)).name


#: Root elements that may make an input a feed or a list of feeds (feedparser decides).
_FEED_MARKS = (b"<rss", b"<feed", b"<rdf:rdf", b"<opml")


def feed_refusal(head: bytes) -> str | None:
    """Why an input starting with *head* is not ingested as an article, when it is a feed
    (RSS, Atom, read by feedparser) or an OPML list of feeds: what to do instead."""
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    low = start[:2048].lower()
    if not start.startswith(b"<") or not any(m in low for m in _FEED_MARKS):
        return None
    if b"<opml" in low and b"<body" in low:
        return "an OPML list of feeds, not an article: follow them with 'archive feed import FILE'"
    import feedparser

    version = str(feedparser.parse(head).get("version") or "")
    if not version:
        return None
    kind = "an Atom" if version.startswith("atom") else "an RSS"
    return f"{kind} feed, not an article: follow it with 'archive feed add URL' (its address)"


def detect_format(name: str | None, head: bytes) -> str:
    """The format of an input called *name* (``None`` for stdin) starting with *head*."""
    if name:
        found = by_extension(name)
        if found is HTML and sniff(head) == BOOKMARKS.name:
            return BOOKMARKS.name  # a browser's bookmarks.html
        if found is not None:
            return found.name
    return sniff(head)


__all__ = [
    "EXTENSIONS",
    "FORMATS",
    "FORMAT_NAMES",
    "SNIFF_ORDER",
    "DocumentParser",
    "Format",
    "StreamParser",
    "by_extension",
    "detect_format",
    "feed_refusal",
    "get",
    "sniff",
]
