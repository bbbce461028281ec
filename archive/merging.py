"""Merging an export into an archive that already holds articles (``import --merge``).

Each exported article goes through the same rules as ingest
(:mod:`archive.decisions`): the same text is ``unchanged``, the same URL with
other text an ``update`` (the old text kept as a revision), other metadata an
update of the metadata, a hand edit winning over the file's value; anything
else is ``added`` under a new id (ids are the receiving archive's). Notes,
revisions, metadata history and kept pages stay behind, and so do the links
waiting and the feeds of a format 2 export: the report counts them, so that
nothing is dropped silently.

Also: telling an export from other JSON Lines, so that ``import`` of a feed
says to use ``ingest``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from archive.errors import ArchiveError, InputError
from archive.ingest.draft import ArticleDraft
from archive.records import IngestReport

if TYPE_CHECKING:
    from archive.facade import Archive

#: Fields every line of an export has, and a plain JSON Lines feed does not.
EXPORT_FIELDS = frozenset({"id", "body", "ingested"})
#: What an export line holds besides the article's own fields, not merged.
LEFT_BEHIND = ("notes", "revisions", "field_changes", "pages")
#: Lines of an export that are not articles (format 2), not merged: counted by kind.
OTHER_LINES = {"link": "links", "feed": "feeds"}


def not_an_export(data: Any, where: str) -> ArchiveError | None:
    """The error for a first line that is not from ``archive export`` (None if it is)."""
    if isinstance(data, dict) and (EXPORT_FIELDS <= data.keys() or "_kind" in data):
        return None
    missing = sorted(EXPORT_FIELDS - set(data)) if isinstance(data, dict) else []
    lacks = f" (no {', '.join(repr(m) for m in missing)})" if missing else ""
    return ArchiveError(
        f"{where}: not an export made by 'archive export'{lacks}; to add the articles "
        "of a JSON Lines file, use 'archive ingest FILE'"
    )


def _lines(lines: Iterable[str], name: str) -> Iterator[tuple[str, dict[str, Any] | InputError]]:
    """Each non-blank line's place and object, or the error that says why it is not one
    (reported and skipped, as ingest skips a bad record); the first object decides
    whether the file is an export at all."""
    first = True
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{name}, line {number}"
        if number == 1:
            line = line.removeprefix("\ufeff")  # a byte order mark
        try:
            data = json.loads(line)
        except ValueError as exc:
            yield where, InputError(where, f"not valid JSON ({exc})")
            continue
        except RecursionError:
            yield where, InputError(where, "not valid JSON (nested too deeply)")
            continue
        if first and (problem := not_an_export(data, where)):
            raise problem
        first = False
        if not isinstance(data, dict):
            yield where, InputError(where, "expected a JSON object")
            continue
        yield where, data


def _text(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) and value.strip() else None


def draft_of(data: dict[str, Any], where: str) -> ArticleDraft | InputError:
    """The article of one export line, as ingest would have read it."""
    body, title = _text(data, "body"), _text(data, "title")
    if body is None or title is None:
        return InputError(where, "the article has no title or no text")
    tags = data.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        return InputError(where, "'tags' should be a list of names")
    extra = data.get("extra")
    return ArticleDraft(
        title=title,
        body=body,
        origin=_text(data, "origin") or where,
        author=_text(data, "author"),
        source=_text(data, "source"),
        url=_text(data, "url"),
        published=_text(data, "published"),
        tags=tuple(tags),
        extra=extra if isinstance(extra, dict) and extra else None,
    )


def merge_lines(
    archive: Archive, lines: Iterable[str], name: str = "-", **options: Any
) -> tuple[IngestReport, dict[str, int]]:
    """Merge the export *lines* into *archive* by the ingest rules.

    Returns the ingest report and, per kind (notes, revisions, field_changes, pages of
    the merged articles; links and feeds of the export), how many were left behind.

    :param options: passed on to :meth:`archive.intake.Intake.ingest`.
    :raises ArchiveError: the file is not an export (nothing is merged); a line that
        is not JSON is a failure in the report, like any other bad article.
    """
    left = dict.fromkeys((*LEFT_BEHIND, *OTHER_LINES.values()), 0)

    def drafts() -> Iterator[ArticleDraft | InputError]:
        for where, data in _lines(lines, name):
            if isinstance(data, InputError):
                yield data
                continue
            if "_kind" in data:  # a link waiting or a feed followed: not merged
                kind = OTHER_LINES.get(data["_kind"])
                if kind is None:
                    yield InputError(where, f"a line of unknown kind {data['_kind']!r}")
                else:
                    left[kind] += 1
                continue
            for kind in LEFT_BEHIND:
                items = data.get(kind)
                left[kind] += len(items) if isinstance(items, list) else 0
            yield draft_of(data, where)

    report = archive.ingest(drafts(), **options)
    return report, left


def merge_file(
    archive: Archive, path: Path, stdin: IO[str] | None = None, **options: Any
) -> tuple[IngestReport, dict[str, int]]:
    """Merge the export file at *path* (``-``: *stdin*); see :func:`merge_lines`."""
    if str(path) == "-":
        if stdin is None:
            raise ArchiveError("standard input is not available")
        return merge_lines(archive, stdin, "-", **options)
    try:
        with path.expanduser().open(encoding="utf-8") as lines:
            return merge_lines(archive, lines, str(path), **options)
    except UnicodeDecodeError as exc:
        raise ArchiveError(f"{path}: not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise ArchiveError(f"cannot read {path} ({exc.strerror})") from exc
