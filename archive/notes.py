"""Notes on articles: written by the user, searchable, optionally anchored to a passage.

A note anchored with a quote keeps the quote and its character offsets in the
body. :func:`anchor` finds a quote in a text (it must be there, once);
:func:`reanchor` looks for it again after the text changed, moving the offsets
or flagging the note as ``lost``. The facade's ``add_note`` and ``delete_note``
write through :meth:`archive.consistency.IndexKeeper.writing`, so the article's
``note`` field in the index changes with the database.
"""

from __future__ import annotations

from typing import Any

from archive.errors import ArchiveError
from archive.text import normalize_text


class NoteError(ArchiveError):
    """The note cannot be added; nothing was changed."""


def clean(text: str) -> str:
    """A note's text as stored; raise :class:`NoteError` if it is empty."""
    out = normalize_text(text)
    if not out:
        raise NoteError("the note is empty: write some text")
    return out


def anchor(body: str, quote: str, article_id: int) -> tuple[str, int, int]:
    """The quote as found in *body* and its offsets; raise :class:`NoteError` if it is
    not there, or there more than once (then more of it must be quoted).

    White space in the quote matches any white space in the text.
    """
    import re

    words = quote.split()
    if not words:
        raise NoteError("the quote is empty: give a passage of the article's text")
    pattern = re.compile(r"\s+".join(re.escape(w) for w in words))
    found = list(pattern.finditer(body))
    if not found:
        raise NoteError(f"the quote is not in article {article_id}'s text: {quote!r}")
    if len(found) > 1:
        raise NoteError(
            f"the quote appears {len(found)} times in article {article_id}'s text; "
            "quote more of the passage"
        )
    m = found[0]
    return m.group(0), m.start(), m.end()


def reanchor(note: Any, body: str) -> None:
    """After the article's text changed: move *note*'s offsets to its quote, or flag it."""
    if note.quote is None:
        return
    start = body.find(note.quote)
    if start < 0:
        note.anchor, note.start, note.end = "lost", None, None
    else:
        note.anchor, note.start, note.end = "ok", start, start + len(note.quote)
