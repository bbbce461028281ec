"""The bytes of an input before any format reads them: its head, its character set.

Shared by the readers (:mod:`archive.ingest.inputs`), the format registry
(:mod:`archive.ingest.formats`) and the JSON parsers (:mod:`archive.ingest.jsonl`),
so that none of them needs another's internals.
"""

from __future__ import annotations

import codecs
from typing import IO, TYPE_CHECKING, Protocol

from archive.errors import InputError

if TYPE_CHECKING:
    from charset_normalizer import CharsetMatch, CharsetMatches

#: How much of an input is looked at to tell its format (and to spot binary data).
SNIFF_BYTES = 8192


class Digest(Protocol):
    """What the readers update with every byte they read (a :mod:`hashlib` hash)."""

    def update(self, data: bytes, /) -> None: ...


def peek(stream: IO[bytes], size: int = SNIFF_BYTES) -> bytes:
    """Up to *size* first bytes of *stream*, left unread (``b""`` when it cannot peek)."""
    peek_at = getattr(stream, "peek", None)
    if peek_at is None:
        return b""
    try:
        return bytes(peek_at(size)[:size])
    except (OSError, ValueError):
        return b""


def decode(data: bytes, origin: str) -> str:
    """The text of *data*: UTF-8 (a BOM is allowed), UTF-16 with a BOM, or a guessed
    character set (see :func:`decode_noting`).

    :raises InputError: the data is empty, binary, or no character set fits it.
    """
    return decode_noting(data, origin)[0]


def decode_noting(data: bytes, origin: str) -> tuple[str, str | None]:
    """The text of *data* and, when its character set was guessed, a note saying which.

    UTF-8 (a BOM is allowed) and UTF-16 with a BOM are read as such (no note). Other
    bytes are read as windows-1252 (the web's default for undeclared Western text)
    when they read cleanly in it, unless charset-normalizer has strong evidence for
    another character set (see :func:`pick_charset`).

    :raises InputError: the data is empty, binary, or no character set fits it.
    """
    if not data.strip():
        raise InputError(origin, "empty input, nothing to ingest")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), None
        except UnicodeDecodeError as exc:
            raise InputError(origin, "not valid UTF-16 despite its byte order mark") from exc
    if b"\x00" in data[:SNIFF_BYTES]:
        raise InputError(origin, "binary data, not a text article")
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data" and exc.end == len(data):
            # UTF-8 cut off inside its last character (a truncated download or copy):
            # keep the text, drop the partial character, rather than guess another charset.
            return data[: exc.start].decode("utf-8-sig"), None
        bad = f"byte 0x{data[exc.start]:02x} at offset {exc.start}"
        from charset_normalizer import from_bytes

        western = from_bytes(data, cp_isolation=["cp1252"]).best()
        if western is not None and western.encoding != "cp1252":
            western = None  # charset-normalizer's fallback, not a windows-1252 reading
        best = pick_charset(from_bytes(data), western)
        if best is None:
            raise InputError(
                origin, f"not UTF-8 ({bad}) and no other character set fits it"
            ) from exc
        name = best.encoding  # Python's codec name: cp1252, koi8_r, shift_jis...
        if name.startswith("cp125") and len(name) == 6:
            name = f"windows-{name[2:]}"
        return str(best), f"not UTF-8 ({bad}); read as {name} (guessed)"


#: How much better another character set's text must read as a language (coherence,
#: 0 to 1) than the windows-1252 reading to win over it.
COHERENCE_MARGIN = 0.1

#: The most "chaos" (charset-normalizer's mess ratio) a windows-1252 reading may show
#: to be preferred: Cyrillic, Greek or CJK bytes read as windows-1252 score 1 or more.
WESTERN_CHAOS = 0.1


def pick_charset(
    results: CharsetMatches, western: CharsetMatch | None = None
) -> CharsetMatch | None:
    """The character set to read a non-UTF-8 input in.

    *western* is the input read as windows-1252, if charset-normalizer accepts that
    reading: it wins when it reads cleanly (chaos at most :data:`WESTERN_CHAOS`) unless
    another match reads as cleanly and clearly more like a language (coherence higher
    by :data:`COHERENCE_MARGIN`). Short texts give charset-normalizer little to go on:
    on ``Café crème brûlée about a £`` its plain best guess is windows-1257
    (``Cafķ crĶme``). Otherwise its best match, weighing language coherence over a
    small difference in "chaos", windows-1252 first among equals.
    """
    best = results.best()
    if western is not None and western.chaos <= WESTERN_CHAOS:
        rival = best
        if rival is None or rival.encoding == "cp1252":
            return western
        strong = (
            rival.chaos <= western.chaos and rival.coherence >= western.coherence + COHERENCE_MARGIN
        )
        return rival if strong else western
    if best is None:
        return western
    near = [m for m in results if m.chaos <= best.chaos + 0.1]
    return max(near, key=lambda m: (round(m.coherence, 2), m.encoding == "cp1252", -m.chaos))


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
