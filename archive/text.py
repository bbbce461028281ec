"""Normalising article text and hashing it, the same way for every input format."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_LINE_ENDS = re.compile(r"\r\n?|\u2028|\u2029")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def normalize_text(text: str) -> str:
    """Unicode NFC, LF line ends, no control characters, no trailing white space at the ends.

    Curly quotes, dashes and the text's own wording are kept exactly.
    """
    text = unicodedata.normalize("NFC", text)
    text = _LINE_ENDS.sub("\n", text)
    text = _CONTROL.sub("", text)
    text = text.lstrip("\ufeff")
    return text.strip()


def normalize_line(text: str) -> str:
    """A one-line field (title, author, source): NFC with white space runs collapsed."""
    return " ".join(normalize_text(text).split())


def content_hash(body: str) -> str:
    """The identity of an article's text: SHA-256 of its normalised body."""
    return hashlib.sha256(body.encode("utf-8")).hexdigest()
