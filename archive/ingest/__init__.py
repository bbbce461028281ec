"""Reading inputs into :class:`ArticleDraft` objects: one module per format.

Formats: ``text`` (:mod:`.text`, with an optional header block), ``markdown``
(:mod:`.markdown`), ``html`` (:mod:`.html`), ``json`` and ``jsonl``
(:mod:`.jsonl`), all listed in one registry, :mod:`.formats`. A file's format
comes from its extension, else from sniffing its first bytes; standard input is
sniffed unless a format is given.

Parsers are pure: bytes in, drafts out; no database, no Click. The readers
(:mod:`.inputs`) turn every problem with an input into an
:class:`~archive.errors.InputError` naming it (yielded, not raised), so one bad
file never stops a run. Shared byte handling (peeking, character sets) is in
:mod:`.decoding`.

This package only gathers the public names; no module in it imports it back.
"""

from __future__ import annotations

from archive.ingest.decoding import decode, is_json_array
from archive.ingest.draft import ArticleDraft, Overrides
from archive.ingest.formats import EXTENSIONS, FORMAT_NAMES, detect_format, sniff
from archive.ingest.inputs import (
    DEFAULT_MAX_BYTES,
    estimate,
    parse_size,
    read_bytes,
    read_path,
    read_stream,
    streamed,
    walk,
)

__all__ = [
    "DEFAULT_MAX_BYTES",
    "EXTENSIONS",
    "FORMAT_NAMES",
    "ArticleDraft",
    "Overrides",
    "decode",
    "detect_format",
    "estimate",
    "is_json_array",
    "parse_size",
    "read_bytes",
    "read_path",
    "read_stream",
    "sniff",
    "streamed",
    "walk",
]
