"""What the feed commands print: pure functions, like :mod:`archive.render`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from archive.feeds import FeedRecord, FeedUpdate, OpmlImport
from archive.terminal import for_terminal


def _plural(count: int, noun: str) -> str:
    return noun if count == 1 else f"{noun}s"


def feed_line(f: FeedRecord) -> str:
    line = f"{f.id}: {f.title or '(no title)'} <{f.url}>"
    if f.tags:
        line += f" [{', '.join(f.tags)}]"
    if f.full_text:
        line += " (full text)"
    if f.checked is None:
        line += " - never checked"
    else:
        line += f" - checked {f.checked:%Y-%m-%d %H:%M} UTC: {f.status}"
        if f.error:
            line += f" ({f.error})"
    return for_terminal(line, line=True)


def feed_lines(feeds: Sequence[FeedRecord]) -> list[str]:
    """The feeds followed, a line each, then how many."""
    return [*map(feed_line, feeds), f"{len(feeds)} {_plural(len(feeds), 'feed')} followed"]


def feeds_json(feeds: Sequence[FeedRecord]) -> list[dict[str, Any]]:
    return [
        {
            "id": f.id,
            "url": f.url,
            "title": f.title,
            "tags": f.tags,
            "full_text": f.full_text,
            "checked": f.checked.isoformat() + "Z" if f.checked else None,
            "status": f.status,
            "error": f.error,
        }
        for f in feeds
    ]


def update_summary(u: FeedUpdate) -> str:
    """One line: feeds checked, unchanged, new articles (per feed), failures."""
    parts = [
        f"{u.checked} {_plural(u.checked, 'feed')} checked",
        f"{u.not_modified} not modified",
    ]
    new = f"{u.articles} new {_plural(u.articles, 'article')}"
    if u.new:
        new += " (" + ", ".join(f"{name}: {n}" for name, n in u.new.items()) + ")"
    parts.append(new)
    failed = len(u.failed)
    entries = u.report.failed
    parts.append(f"{failed} {_plural(failed, 'feed')} failed")
    if entries:
        failed_entries = f"{entries} {_plural(entries, 'entry')} failed"
        if u.kept_as_links:
            n = u.kept_as_links
            failed_entries += (
                f" ({n} kept as {'a link' if n == 1 else 'links'} waiting to be fetched: "
                "archive fetch)"
            )
        parts.append(failed_entries)
    line = "feeds: " + ", ".join(parts)
    if u.unusable:
        line += f" ({u.unusable} {_plural(u.unusable, 'entry')} with no id, text or link skipped)"
    return for_terminal(line.replace("entrys", "entries"), line=True)


def import_lines(done: OpmlImport, origin: str) -> list[str]:
    """What ``feed import`` did: the feeds added, then a line per outline skipped."""
    added = len(done.added)
    head = f"following {added} new {_plural(added, 'feed')} from {origin}"
    if done.already:
        head += f"; {done.already} followed already"
    if done.skipped:
        head += f"; {len(done.skipped)} {_plural(len(done.skipped), 'outline')} skipped:"
    lines = [for_terminal(head, line=True)]
    lines += [for_terminal(f"skipped {what!r}: {why}", line=True) for what, why in done.skipped]
    return lines


def import_json(done: OpmlImport, origin: str) -> dict[str, Any]:
    return {
        "from": origin,
        "added": feeds_json(done.added),
        "followed_already": done.already,
        "skipped": [{"outline": what, "reason": why} for what, why in done.skipped],
    }
