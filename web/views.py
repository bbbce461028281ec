"""Pure helpers the pages are built with: highlighted text as parts, safe links, addresses.

Nothing here writes HTML: the templates do, with Jinja2's autoescaping, from the
plain values these functions return (a passage as ``(text, marked)`` parts, a
link only when it is ``http(s)``), so article text can never become markup.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

#: The fields a facet link narrows the search by, and how it is written in the query.
NARROWING = ("source", "author", "tag")
#: Characters that reorder or hide text (bidirectional overrides and isolates, zero-width).
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


@dataclass(frozen=True, slots=True)
class Part:
    """A piece of text, marked (a matched word) or not."""

    text: str
    marked: bool = False


def parts(text: str, highlights: Sequence[Sequence[int]]) -> list[Part]:
    """*text* cut at its highlights: what the template wraps in ``<mark>`` and escapes."""
    out: list[Part] = []
    pos = 0
    for s, e in sorted((int(h[0]), int(h[1])) for h in highlights):
        if s < pos or e <= s or e > len(text):
            continue
        if s > pos:
            out.append(Part(text[pos:s]))
        out.append(Part(text[s:e], True))
        pos = e
    if pos < len(text):
        out.append(Part(text[pos:]))
    return out


def paragraphs(text: str, highlights: Sequence[Sequence[int]]) -> list[list[Part]]:
    """A whole article's text as paragraphs (at line breaks), each as highlighted parts."""
    out: list[list[Part]] = []
    start = 0
    spans = sorted((int(s), int(e)) for s, e in highlights)
    for line in text.split("\n") + [""]:
        end = start + len(line)
        if line.strip():
            inside = [(s - start, e - start) for s, e in spans if s >= start and e <= end]
            out.append(parts(line, inside))
        start = end + 1
        if start > len(text):
            break
    return out


def safe_url(url: str | None) -> str | None:
    """*url* if it may be a link (``http``/``https`` with a host), else None (shown as text)."""
    if not url:
        return None
    try:
        split = urlsplit(url.strip())
    except ValueError:
        return None
    if split.scheme.lower() not in ("http", "https") or not split.netloc:
        return None
    return url.strip()


def bidi_controls(text: str) -> bool:
    """Whether *text* holds characters that reorder or hide text (shown isolated, flagged)."""
    return bool(_BIDI.search(text))


def address(path: str, params: Mapping[str, object]) -> str:
    """*path* with the query string of *params* (empty values left out): a shareable URL."""
    kept: list[tuple[str, str]] = []
    for key, value in params.items():
        if isinstance(value, list | tuple):
            kept.extend((key, str(v)) for v in value if v not in (None, ""))
        elif value not in (None, "", False):
            kept.append((key, str(value)))
    return path + ("?" + urlencode(kept) if kept else "")


def narrowed(query: str, filters: Mapping[str, Sequence[str]]) -> str:
    """*query* with each facet filter added as a field clause: ``source:"BBC News"``."""
    clauses = [query.strip()] if query.strip() else []
    for name in NARROWING:
        for value in filters.get(name, ()):
            clean = value.replace('"', " ").strip()
            if clean:
                clauses.append(f'{name}:"{clean}"')
    return " ".join(clauses)


def page_numbers(page: int, pages: int, around: int = 2) -> list[int | None]:
    """The page numbers to link: the first, the last, and those around *page* (None: a gap)."""
    shown = sorted({1, pages, *range(max(1, page - around), min(pages, page + around) + 1)})
    out: list[int | None] = []
    for n in shown:
        if out and isinstance(out[-1], int) and n - out[-1] > 1:
            out.append(None)
        out.append(n)
    return out
