"""Normalising article text and hashing it, the same way for every input format."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_LINE_ENDS = re.compile(r"\r\n?|\u2028|\u2029")
#: Removed from every stored text: C0 controls but tab and line feed, DEL, C1 controls,
#: bidirectional embeddings, overrides and isolates (see :mod:`archive.terminal`).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
#: A lone surrogate (JSON may spell one, ``"\\ud800"``) cannot be stored as UTF-8.
_SURROGATE = re.compile("[\ud800-\udfff]")


def normalize_text(text: str) -> str:
    """Unicode NFC, LF line ends, no control characters (C0 but tab and line feed, C1,
    bidirectional overrides), no white space at the ends.

    Curly quotes, dashes and the text's own wording are kept exactly.
    """
    text = unicodedata.normalize("NFC", text)
    text = _LINE_ENDS.sub("\n", text)
    text = _CONTROL.sub("", text)
    text = _SURROGATE.sub("\ufffd", text)
    text = text.lstrip("\ufeff")
    return text.strip()


def normalize_line(text: str) -> str:
    """A one-line field (title, author, source): NFC with white space runs collapsed."""
    return " ".join(normalize_text(text).split())


def content_hash(body: str) -> str:
    """The identity of an article's text: SHA-256 of its normalised body."""
    return hashlib.sha256(body.encode("utf-8")).hexdigest()
