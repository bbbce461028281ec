"""``archive duplicates``: near-duplicate pairs already in the archive, and merging them.

Pairs are found by :func:`archive.neardup.pairs`. Merging keeps the oldest article
of each group of near-duplicates, adds the others' tags to it and deletes them
(through :meth:`archive.facade.Archive.edit` and
:meth:`~archive.facade.Archive.remove`, so the index follows). An article with
notes is never deleted by a merge: it is reported as kept, for you to look at.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from archive.facade import Archive


@dataclass(frozen=True, slots=True)
class DuplicatePair:
    kept: int
    kept_title: str
    other: int
    other_title: str
    #: Jaccard similarity of the two texts' word shingles (0 to 1).
    similarity: float

    def to_json(self) -> dict[str, Any]:
        return {
            "kept": self.kept,
            "kept_title": self.kept_title,
            "other": self.other,
            "other_title": self.other_title,
            "similarity": round(self.similarity, 4),
        }


@dataclass(slots=True)
class DuplicatesReport:
    pairs: list[DuplicatePair] = field(default_factory=list)
    #: Ids deleted by the merge (or that would be, in a dry run).
    deleted: list[int] = field(default_factory=list)
    #: Ids not deleted because they have notes.
    kept_for_notes: list[int] = field(default_factory=list)
    merged: bool = False
    dry_run: bool = False


def find_duplicates(
    archive: Archive, *, merge: bool = False, dry_run: bool = False
) -> DuplicatesReport:
    """The near-duplicate pairs, each with the article kept (the oldest of its group);
    with *merge*, the others' tags moved to it and the others deleted (not in a
    *dry_run*)."""
    from archive import neardup
    from archive.curation import Changes

    with archive.store.session() as session:
        found = neardup.pairs(session)
    keep: dict[int, int] = {}

    def root(i: int) -> int:
        while keep.get(i, i) != i:
            i = keep[i]
        return i

    for a, b, _ in sorted(found):
        ra, rb = root(a), root(b)
        if ra != rb:
            keep[max(ra, rb)] = min(ra, rb)
    titles = {
        a.id: a.title for a in (archive.get(i) for i in sorted({x for p in found for x in p[:2]}))
    }
    report = DuplicatesReport(merged=merge, dry_run=dry_run)
    for a, b, score in found:
        kept = root(a)
        other = b if kept != b else a
        report.pairs.append(DuplicatePair(kept, titles[kept], other, titles[other], score))
    if not merge:
        return report
    noted = {n.article_id for n in archive.notes()}
    for other in sorted({i for i in keep if root(i) != i}):
        if other in noted:
            report.kept_for_notes.append(other)
            continue
        report.deleted.append(other)
        if not dry_run:
            tags = tuple(archive.get(other).tags)
            if tags:
                archive.edit([root(other)], Changes(add_tags=tags))
    if report.deleted and not dry_run:
        archive.remove(report.deleted)
    return report
