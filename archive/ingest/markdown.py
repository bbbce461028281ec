"""Markdown articles with optional YAML front matter.

The front matter (between ``---`` lines at the very top) gives the metadata under
the names :mod:`archive.ingest.fields` accepts (title, author/authors, source,
url, date/published, tags); its other keys are kept in ``extra``. The body is
rendered to plain text with markdown-it-py, so markup (``**``, ``#``, link
targets, HTML tags, image references) never becomes a search term: headings,
paragraphs, list items, table rows and code blocks become plain lines.
Without a ``title`` in the front matter, the first heading (else the first line)
is the title.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from archive.errors import InputError
from archive.ingest.draft import ArticleDraft
from archive.ingest.fields import draft_from_fields, from_mapping
from archive.ingest.text import make_title
from archive.text import normalize_line, normalize_text

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

_FRONT = re.compile(r"\A---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)

_md: MarkdownIt | None = None


def _parser() -> MarkdownIt:
    global _md
    if _md is None:
        from markdown_it import MarkdownIt

        _md = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    return _md


def parse(text: str, origin: str, origin_key: str | None = None) -> Iterator[ArticleDraft]:
    """One draft from a Markdown document (see the module docstring)."""
    text = normalize_text(text)
    meta, body_md, warnings = split_front_matter(text)
    fields, extra = from_mapping(meta, body=False)
    body, heading = to_text(body_md)
    body = normalize_text(body)
    if not body:
        raise InputError(origin, "the Markdown document has no text")
    title = fields.get("title") or heading or body.split("\n", 1)[0]
    yield draft_from_fields(
        fields,
        extra,
        title=make_title(title),
        body=body,
        origin=origin,
        warnings=tuple(warnings),
        origin_key=origin_key,
    )


def split_front_matter(text: str) -> tuple[dict[str, Any], str, list[str]]:
    """The front matter as a mapping, the Markdown after it, and any warnings."""
    import yaml

    from archive.ingest.yamlsafe import FrontMatterError, load

    m = _FRONT.match(text)
    if not m:
        return {}, text, []
    rest = text[m.end() :]
    try:
        data = load(m.group(1) or "")
    except FrontMatterError as exc:
        return {}, rest, [f"front matter ignored ({exc})"]
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" at line {where.line + 2}" if where is not None else ""
        return {}, rest, [f"front matter ignored (not valid YAML{line})"]
    except (ValueError, TypeError, OverflowError) as exc:
        return {}, rest, [f"front matter ignored (not valid YAML: {exc})"]
    if data is None:
        return {}, rest, []
    if not isinstance(data, dict):
        return {}, rest, ["front matter ignored (not a mapping of keys to values)"]
    return data, rest, []


def to_text(markdown: str) -> tuple[str, str | None]:
    """The plain text of *markdown* and its first heading (``None`` if it has none)."""
    blocks: list[str] = []
    line: list[str] = []
    cells: list[str] = []
    heading: str | None = None
    in_heading = False
    for tok in _parser().parse(markdown):
        t = tok.type
        if t == "inline":
            text = _inline_text(tok.children or [])
            if in_heading and heading is None:
                heading = normalize_line(text) or None
            line.append(text)
        elif t == "heading_open":
            in_heading = True
        elif t in ("paragraph_close", "heading_close"):
            in_heading = False
            if line:
                blocks.append("".join(line).strip())
                line = []
        elif t in ("th_close", "td_close"):
            cells.append("".join(line).strip())
            line = []
        elif t == "tr_close":
            blocks.append(" ".join(c for c in cells if c))
            cells = []
        elif t in ("fence", "code_block"):
            blocks.append(tok.content.rstrip("\n"))
    if line:
        blocks.append("".join(line).strip())
    return "\n\n".join(b for b in blocks if b), heading


def _inline_text(children: list[Token]) -> str:
    out: list[str] = []
    for child in children:
        if child.type in ("text", "code_inline"):
            out.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            out.append("\n")
        # html_inline and images are markup: left out
    return "".join(out)
