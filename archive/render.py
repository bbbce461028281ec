"""What the command line prints: each result type in each output format, as text.

Pure functions from the records of :mod:`archive.records` to strings: no I/O,
no Click, no options. Colour is ANSI bold (titles) and bold yellow (matched
words) when asked for, else matched words are wrapped in ``**``.

Every stored value goes through :func:`archive.terminal.for_terminal` on its way
out (text, CSV and Markdown alike), so no article can drive the terminal; JSON
keeps the stored text exactly, with those characters as ``\\u`` escapes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from archive.dates import utc_day
from archive.records import (
    ArticleRecord,
    CheckReport,
    DeleteReport,
    EditReport,
    FieldChangeRecord,
    IngestOutcome,
    NoteRecord,
    RevisionRecord,
    SearchHit,
    SearchResults,
    SimilarResults,
    Stats,
)
from archive.terminal import for_terminal, json_escapes

if TYPE_CHECKING:
    from archive.links import LinkRecord

#: Output formats of search results (and of ``similar``).
HIT_FORMATS = ("text", "json", "jsonl", "csv", "markdown")

_BOLD = "\x1b[1m"
_YELLOW = "\x1b[33m"
_RESET = "\x1b[0m"


def plural(count: int, noun: str) -> str:
    """*noun* for *count* of it: ``article``, ``articles``."""
    return noun if count == 1 else noun + "s"


def json_text(data: Any, *, indent: int | None = 2, ascii_only: bool = False) -> str:
    """*data* as JSON, non-ASCII text kept as it is (unless *ascii_only*); characters that
    could drive a terminal are ``\\u`` escapes (:func:`archive.terminal.json_escapes`)."""
    return json_escapes(json.dumps(data, ensure_ascii=ascii_only, indent=indent))


# --- search results ------------------------------------------------------------------------


def results(found: SearchResults, fmt: str, color: bool, *, explain: bool = False) -> str:
    """Search results in the output format *fmt* (one of :data:`HIT_FORMATS`)."""
    if fmt == "json":
        data = found.to_json()
        if explain:
            data["understood"] = found.understood
            data["engine"] = found.engine
        return json_text(data)
    if fmt == "jsonl":
        return "\n".join(
            json_text({"rank": h.rank, **h.to_json()}, indent=None) for h in found.hits
        )
    if fmt == "csv":
        return csv_hits(found.hits, match=True)
    if fmt == "markdown":
        return markdown(found)
    return text(found, color, explain=explain)


def quoted(query: str, limit: int = 80) -> str:
    """*query* quoted for a heading; a pasted wall of text is cut, its length told."""
    if len(query) <= limit:
        return repr(query)
    return f"{query[: limit - 20]!r}… ({len(query):,} characters)"


def engine_line(engine: dict[str, Any]) -> str:
    """How the index engine ran a search, for ``--explain``."""
    how = {"blocks": "block evaluation", "whoosh": "Whoosh's matchers"}
    used = [how.get(part, part) for part in str(engine.get("evaluated_by", "")).split("+") if part]
    line = f"Evaluated by: {' and '.join(used) or 'nothing (empty archive)'}"
    if not engine.get("fast_paths", True):
        line += f" (fast paths off: {engine.get('reason')})"
    fell = engine.get("fallbacks", 0)
    if fell:
        line += f"; a fast path fell back to Whoosh's public API {fell} {plural(fell, 'time')}"
    return line


def text(found: SearchResults, color: bool, *, explain: bool = False) -> str:
    """Search results as text: a heading, then a block per hit, then the facets."""
    lines = [f"Understood as: {for_terminal(found.understood, line=True)}"] if explain else []
    head = heading(found)
    if not found.hits:
        if found.shown_total:
            lines.append(f"No more hits: {head}.")
        else:
            lines.append(f"{head}.")
    else:
        first, last = found.hits[0].rank, found.hits[-1].rank
        lines.append(f"{head} (showing {first}–{last})")
        for hit in found.hits:
            lines.append("")
            lines.extend(hit_lines(hit, color))
    lines.extend(facet_lines(found.facets))
    if explain and found.engine:
        lines.extend(["", engine_line(found.engine)])
    return "\n".join(lines)


def heading(found: SearchResults) -> str:
    """How many articles match the query, and what a rescue found besides (no full stop).

    Only articles that match the query as written are called matches.
    """
    query = quoted(found.query)
    n, rescue = found.total, found.rescue
    matches = f"{n} {'article matches' if n == 1 else 'articles match'} {query}"
    if rescue is None:
        return matches if n else f"No articles match {query}"
    r = rescue.total
    if rescue.kind == "most-words":
        have = f"{r} {'article has' if r == 1 else 'articles have'}"
        if n == 0:
            return f"No article has all of {query}; {have} some of its words"
        return f"{matches}; {r} more {'has' if r == 1 else 'have'} some of its words"
    if rescue.kind == "spelling":
        their = (
            f"{r} {'article matches' if r == 1 else 'articles match'} {quoted(rescue.query or '')}"
        )
        return f"No articles match {query}; {their}"
    fuzzy = f"{r} {'article matches' if r == 1 else 'articles match'}"
    return f"No articles match {query}; {fuzzy} with words a letter or two different"


#: How a hit matched, as text output labels it (nothing for a true match).
MATCH_LABELS = {"most": "some of the words", "fuzzy": "spelling variant"}


def facet_lines(facets: dict[str, list[tuple[str, int]]]) -> list[str]:
    lines = []
    for name, pairs in facets.items():
        values = ", ".join(f"{for_terminal(v, line=True)} ({n})" for v, n in pairs) or "-"
        lines.extend(["", f"{name}: {values}"])
    return lines


def hit_lines(hit: SearchHit, color: bool) -> list[str]:
    """One hit: rank and title, source, date and id, shared words, passages."""
    title = for_terminal(hit.title, line=True)
    title = f"{_BOLD}{title}{_RESET}" if color else title
    meta = for_terminal(
        " · ".join(x for x in (hit.source, hit.published and utc_day(hit.published)) if x),
        line=True,
    )
    label = MATCH_LABELS.get(hit.match or "all")
    lines = [
        f"{hit.rank}. {title}",
        f"   {meta + ' · ' if meta else ''}id {hit.id}" + (f" · {label}" if label else ""),
    ]
    if hit.shared:
        lines.append("   shares: " + for_terminal(", ".join(hit.shared), line=True))
    for passage in passage_texts(hit, lambda t, h: mark(t, h, color)):
        lines.append("   " + passage)
    for note in hit.notes:
        lines.append("   note: " + mark(note.text, note.highlights, color))
    return lines


def passage_texts(hit: SearchHit, show: Callable[[str, list[tuple[int, int]]], str]) -> list[str]:
    """Each passage through *show*, with "…" where the article's text was skipped."""
    out = []
    for p in hit.passages:
        shown = show(p.text, p.highlights)
        if p.start > 0:
            shown = "… " + shown
        if p.end < hit.body_length:
            shown += " …"
        out.append(shown)
    return out


def mark(passage: str, highlights: list[tuple[int, int]], color: bool) -> str:
    """*passage* with its highlights in bold colour, or wrapped in ``**``; white space folded;
    cleaned for the terminal (:func:`archive.terminal.for_terminal`)."""
    out = []
    pos = 0
    for s, e in highlights:
        out.append(_fold(passage[pos:s]))
        word = _fold(passage[s:e])
        out.append(f"{_YELLOW}{_BOLD}{word}{_RESET}" if color else f"**{word}**")
        pos = e
    out.append(_fold(passage[pos:]))
    return "".join(out).strip()


def _fold(text: str) -> str:
    """*text* with white space runs folded to one space and made safe for a terminal."""
    return for_terminal(re.sub(r"\s+", " ", text), line=True)


def csv_hits(hits: list[SearchHit], *, match: bool = False) -> str:
    """Hits as CSV (RFC 4180: CRLF line ends, quoted where needed): a header row, then
    one row per hit with its passages joined.

    A text cell that starts with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage
    return) gets a leading ``'``, so no spreadsheet runs it as a formula.

    :param match: add the ``match`` column (how each search hit matched).
    """
    import csv
    import io

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    header = ["rank", "id", "title", "source", "author", "published", "url", "score"]
    writer.writerow([*header, *(["match"] if match else []), "passages"])
    for h in hits:
        plain = passage_texts(h, lambda t, _h: _fold(t).strip())
        writer.writerow(
            [
                h.rank,
                h.id,
                csv_cell(h.title),
                csv_cell(h.source or ""),
                csv_cell(h.author or ""),
                csv_cell(h.published or ""),
                csv_cell(h.url or ""),
                round(h.score, 4),
                *([h.match or "all"] if match else []),
                csv_cell(" ".join(plain)),
            ]
        )
    return buf.getvalue()  # the last record ends CRLF too: print it without another line end


def csv_cell(value: str) -> str:
    """*value* made safe for a spreadsheet (never starting like a formula) and for a
    terminal (:func:`archive.terminal.for_terminal`)."""
    value = for_terminal(value)  # line feeds stay: a quoted CSV cell may hold them
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def markdown(found: SearchResults) -> str:
    """Search results as Markdown notes: a section per hit, passages quoted, a citation.

    Titles, passages, names and the query are escaped (:func:`md_escape`), so text such as
    ``<RENA.PA>`` or ``*`` shows as written in any Markdown viewer; highlights stay bold.
    """
    noun = "article" if found.total == 1 else "articles"
    summary = f"{found.total} matching {noun}." if found.rescue is None else heading(found) + "."
    lines = [f"## Search: {md_escape(found.query)}", "", md_escape(summary)]
    for h in found.hits:
        title = md_escape(h.title)
        if h.url:
            title = f"[{title}](<{_md_url(h.url)}>)"
        label = MATCH_LABELS.get(h.match or "all")
        lines.extend(["", f"### {h.rank}. {title}" + (f" ({label})" if label else ""), ""])
        cite = ", ".join(
            md_escape(x) for x in (h.author, h.source, h.published and utc_day(h.published)) if x
        )
        for passage in passage_texts(h, md_mark):
            lines.append(f"> {passage}")
            lines.append(">")
        if h.passages:
            lines.pop()
        lines.append("")
        lines.append(
            f"— {cite + ', ' if cite else ''}archive id {h.id}"
            + (f", <{_md_url(h.url)}>" if h.url else "")
        )
    for name, pairs in found.facets.items():
        values = ", ".join(f"{md_escape(v)} ({n})" for v, n in pairs) or "-"
        lines.extend(["", f"**{name}:** " + values])
    return "\n".join(lines)


#: Characters Markdown (CommonMark) or HTML may read as markup; each is backslash-escaped.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~&$])")
#: At the start of a line, "1." or "-" would begin a list.
_MD_LINE_START = re.compile(r"^(\d+)([.)])|^([-=])")


def md_escape(text: str) -> str:
    """*text* with Markdown and HTML specials escaped, white space folded to one line."""
    return _md_line(_md(_fold(text).strip()))


def md_mark(passage: str, highlights: list[tuple[int, int]]) -> str:
    """*passage* escaped for Markdown, its highlights in ``**``; white space folded."""
    out = []
    pos = 0
    for s, e in highlights:
        out.append(_md(_fold(passage[pos:s])))
        out.append("**" + _md(_fold(passage[s:e])) + "**")
        pos = e
    out.append(_md(_fold(passage[pos:])))
    return _md_line("".join(out).strip())


def _md(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


def _md_line(text: str) -> str:
    return _MD_LINE_START.sub(lambda m: f"{m[1]}\\{m[2]}" if m[1] else f"\\{m[3]}", text)


def _md_url(url: str) -> str:
    """*url* for a Markdown autolink or ``<...>`` link target: no spaces or angle brackets."""
    url = for_terminal(url, line=True)
    return url.replace(" ", "%20").replace("<", "%3C").replace(">", "%3E")


def similar(found: SimilarResults, fmt: str, color: bool) -> str:
    """The articles like one article, in the output format *fmt*."""
    if fmt == "json":
        return json_text(found.to_json())
    if fmt == "text":
        lines = [f"Articles like {found.id}: {for_terminal(found.title, line=True)}"]
        for hit in found.hits:
            lines.append("")
            lines.extend(hit_lines(hit, color))
        if not found.hits:
            lines.append("No other article shares its key words.")
        return "\n".join(lines)
    if fmt == "csv":
        return csv_hits(found.hits)
    as_results = SearchResults(
        query=f"like {found.id}: {found.title}", total=len(found.hits), hits=found.hits
    )
    return results(as_results, fmt, color)


# --- articles ------------------------------------------------------------------------------


def article(a: ArticleRecord) -> str:
    """Every field of an article, one per line, then its text."""
    rows = [
        ("id", a.id),
        ("title", a.title),
        ("source", a.source),
        ("author", a.author),
        ("published", a.published),
        ("url", a.url),
        ("tags", ", ".join(a.tags) or None),
        ("origin", a.origin),
        ("ingested", a.ingested.isoformat(timespec="seconds") + "Z"),
        ("updated", a.updated.isoformat(timespec="seconds") + "Z"),
    ]
    head = "\n".join(
        f"{k + ':':<11}{for_terminal(str(v), line=True)}" for k, v in rows if v is not None
    )
    return f"{head}\n\n{for_terminal(a.body)}"


def article_json(
    a: ArticleRecord,
    revisions: list[RevisionRecord] | None,
    history: list[FieldChangeRecord] | None = None,
    notes: list[NoteRecord] | None = None,
) -> str:
    data = a.to_json()
    if notes:
        data["notes"] = [n.to_json() for n in notes]
    if revisions is not None:
        data["revisions"] = [r.to_json() for r in revisions]
    if history is not None:
        data["metadata_changes"] = [c.to_json() for c in history]
    return json_text(data)


def value(v: Any) -> str:
    """A metadata value as an edit report shows it: text quoted, tags listed, '-' for none."""
    if v is None or v == []:
        return "-"
    if isinstance(v, list):
        return for_terminal(", ".join(map(str, v)), line=True)
    return for_terminal(repr(v), line=True)


def change_line(c: FieldChangeRecord) -> str:
    return f"{c.field}: {value(c.old)} -> {value(c.new)}"


def metadata_history(history: list[FieldChangeRecord]) -> str:
    """The metadata changes of an article, a line each, oldest first."""
    if not history:
        return "metadata changes: none"
    noun = plural(len(history), "metadata change")
    lines = [f"{len(history)} {noun}:"]
    for c in history:
        when = c.changed.isoformat(timespec="seconds") + "Z" if c.changed else "-"
        lines.append(f"  {when} ({c.how}) {change_line(c)}")
    return "\n".join(lines)


def edit_report(report: EditReport) -> str:
    """What an edit changed, an article and its changed fields at a time, then a summary."""
    lines = []
    verb = "would edit" if report.dry_run else "edited"
    for e in report.edited:
        lines.append(f"{verb} {e.id}: {for_terminal(e.title, line=True)}")
        lines.extend(f"  {change_line(c)}" for c in e.changes)
    n, chosen = len(report.edited), report.selected
    if not n:
        lines.append(
            f"nothing to change: the {plural(chosen, 'article')} chosen already "
            f"{'has' if chosen == 1 else 'have'} these values"
        )
    else:
        head = "dry run, nothing written: " if report.dry_run else ""
        done = "would change" if report.dry_run else "changed"
        lines.append(f"{head}{n} {plural(n, 'article')} {done} of {chosen} chosen")
    return "\n".join(lines)


def delete_report(report: DeleteReport, *, asking: bool = False) -> str:
    """The articles a delete removed (or would remove), a line each with the notes that
    go with it, then a count (*asking*: a list before a question, no count: nothing
    has been deleted yet, and the question gives the number)."""
    verb = "would delete" if report.dry_run else "deleted"
    lines = [
        f"{verb} {i}: {for_terminal(t, line=True)}{_with_notes(report.notes.get(i, 0))}"
        for i, t in report.deleted
    ]
    if asking:
        return "\n".join(lines)
    n = len(report.deleted)
    head = "dry run, nothing deleted: " if report.dry_run else ""
    done = "would be deleted" if report.dry_run else "deleted"
    notes = report.notes_deleted
    also = f" (and {notes} {plural(notes, 'note')})" if notes else ""
    lines.append(f"{head}{n} {plural(n, 'article')} {done}{also}")
    return "\n".join(lines)


def _with_notes(count: int) -> str:
    return f" (and its {count} {plural(count, 'note')})" if count else ""


def note_lines(notes: list[NoteRecord], *, titles: bool = False) -> list[str]:
    """Each note: its id, date and article, the passage it is anchored to, its text."""
    lines = []
    for n in notes:
        when = n.created.isoformat(timespec="seconds") + "Z"
        title = f": {for_terminal(n.title or '', line=True)}" if titles else ""
        head = f"note {n.id} on article {n.article_id}{title}"
        lines.append(f"{head} ({when})")
        if n.quote is not None:
            where = f"characters {n.start}-{n.end}" if n.anchor == "ok" else "NOT FOUND"
            lines.append(f"  on {for_terminal(repr(n.quote), line=True)} ({where})")
        lines.extend(f"  {for_terminal(line, line=True)}" for line in n.text.splitlines())
    return lines


def notes_section(notes: list[NoteRecord]) -> str:
    """The notes ``show`` prints after the text."""
    noun = plural(len(notes), "note")
    return "\n".join([f"{len(notes)} {noun}:", *note_lines(notes)])


def notes_list(notes: list[NoteRecord]) -> str:
    """``archive notes``: every note listed, with its article's title."""
    if not notes:
        return "no notes"
    n = len(notes)
    return "\n".join([*note_lines(notes, titles=True), f"{n} {plural(n, 'note')}"])


def revisions(earlier: list[RevisionRecord]) -> str:
    """The earlier texts of an article, each with when it was stored and replaced."""
    if not earlier:
        return "revisions: none (this text is the only one ingested)"
    blocks = [f"revisions: {len(earlier)} earlier text{'s' if len(earlier) != 1 else ''}"]
    for n, r in enumerate(earlier, 1):
        stored = r.stored.isoformat(timespec="seconds") + "Z"
        replaced = r.replaced.isoformat(timespec="seconds") + "Z"
        blocks.append(
            f"--- revision {n}: {for_terminal(r.title, line=True)}\n"
            f"stored {stored}, replaced {replaced}, from {for_terminal(r.origin, line=True)}"
            f"\n\n{for_terminal(r.body)}"
        )
    return "\n\n".join(blocks)


def article_list(articles: list[ArticleRecord], total: int, *, missing: str | None = None) -> str:
    """One line per article (id, date, source, title), and how many were left out.

    The date is labelled: ``published``, or ``ingested`` for an article without a
    publication date (its ingest date is shown instead).

    :param missing: the home, when it holds no archive at all (said so, not "empty").
    """
    if not articles and missing is not None:
        home = for_terminal(missing, line=True)
        return f"There is no archive at {home} yet ('archive ingest FILE' starts one)."
    if not articles:
        return "The archive is empty."
    lines = []
    for a in articles:
        label = "published" if a.published else "ingested"
        date = utc_day(a.published) if a.published else a.ingested.date().isoformat()
        source = for_terminal((a.source or "-")[:18], line=True)
        title = for_terminal(a.title[:80], line=True)
        lines.append(f"{a.id:>6}  {label:<9} {date:<10}  {source:<18}  {title}")
    if len(articles) < total:
        lines.append(f"({len(articles)} of {total}; use --all or --limit to see more)")
    return "\n".join(lines)


# --- ingest, check, stats ------------------------------------------------------------------


def outcome_line(outcome: IngestOutcome, *, dry_run: bool = False) -> str:
    """The line an ingest prints for an article it added, updated or left unchanged."""
    verbs = {"added": "would add", "updated": "would update"} if dry_run else {}
    verb = verbs.get(outcome.status, outcome.status)
    if outcome.status == "link":
        return f"link to fetch: {outcome.title} <{outcome.message}>"
    if outcome.article_id is not None:
        line = f"{verb} {outcome.article_id}: {outcome.title}"
    else:
        line = f"{verb}: {outcome.title or outcome.origin}"
    if outcome.status == "unchanged" and outcome.message:
        line += f" ({outcome.message})"
    if outcome.status == "updated" and outcome.changed:
        line += f" (changed: {', '.join(outcome.changed)})"
    return for_terminal(line, line=True)


def interrupted_line(counts: dict[str, int], *, dry_run: bool = False) -> str:
    """What an ingest interrupted by Ctrl-C had stored (*counts*: outcomes by status)."""
    told = ", ".join(f"{counts.get(s, 0)} {s}" for s in ("added", "updated", "unchanged", "failed"))
    if dry_run:
        return f"interrupted (Ctrl-C), dry run, nothing written: {told} so far"
    return (
        f"interrupted (Ctrl-C): {told} before it, all stored; "
        "run the same command again for the rest (unchanged files are skipped unread)"
    )


def message_line(kind: str, message: str) -> str:
    """A one-line message (``error``, ``warning``, ``note``) made safe for a terminal."""
    return f"{kind}: {for_terminal(message, line=True)}"


def check_report(report: CheckReport) -> list[str]:
    """What ``check`` found (and repaired), a line each."""
    lines = [f"{report.articles} {plural(report.articles, 'article')} in the database"]
    if report.pending:
        lines.append(
            f"finished index work for {report.pending} {plural(report.pending, 'article')} "
            "that an interrupted run had left"
        )
    if report.rebuilt:
        lines.append("the index could not be read: rebuilt it from the database")
        return lines
    if report.ok:
        lines.append("database and index agree")
        return lines
    for count, what in (
        (len(report.missing_from_index), "missing from the index"),
        (len(report.not_in_database), "in the index but not in the database"),
        (len(report.stale_in_index), "indexed with old text"),
        (len(report.outdated_fields), "indexed with other metadata than the database's"),
    ):
        if count:
            lines.append(f"{count} {plural(count, 'article')} {what}")
    if report.repaired:
        lines.append("repaired: the index now matches the database")
    else:
        lines.append("run 'archive check --repair' to fix the index")
    return lines


def stats(s: Stats) -> str:
    """The archive's numbers, a line each."""
    lines = [
        f"articles:   {s.articles}",
        f"sources:    {s.sources}",
        # (the days, as search hits and list show them: not a stored time to the microsecond)
        f"published:  {s.earliest and utc_day(s.earliest) or '-'} to "
        f"{s.latest and utc_day(s.latest) or '-'}",
        f"database:   {s.database_bytes / 1024:,.0f} KiB",
        f"index:      {s.index_bytes / 1024:,.0f} KiB",
    ]
    if s.rebuild_bytes:
        lines.append(
            f"rebuilding: {s.rebuild_bytes / 1024:,.0f} KiB beside the index (index.new): a "
            "reindex running now, or one interrupted (the next command that writes removes it)"
        )
    if s.pages:
        noun = plural(s.pages, "page")
        lines.append(f"kept pages: {s.pages} {noun}, {s.pages_bytes / 1024:,.0f} KiB compressed")
    if s.links:
        lines.append(f"links:      {s.links} waiting to be fetched (not articles)")
    if s.feeds:
        lines.append(f"feeds:      {s.feeds} followed")
    lines += [
        f"home:       {for_terminal(str(s.home), line=True)}",
    ]
    if s.engine:
        engine = f"Whoosh {s.engine.get('whoosh')}"
        if not s.engine.get("fast_paths"):
            engine += f", fast paths off ({s.engine.get('reason')})"
        elif "segments" in s.engine:
            count = s.engine["segments"]
            engine += f", {count} {plural(count, 'segment')}"
            slow = count - s.engine.get("fast_path_segments", 0)
            if slow:
                engine += f" ({slow} read without the fast paths)"
        lines.append(f"engine:     {engine}")
    return "\n".join(lines)


def link_lines(links: Sequence[LinkRecord]) -> list[str]:
    """The links waiting to be fetched, a line each, and how many (not articles)."""
    lines = []
    for link in links:
        line = f"{link.id}: {link.title or link.url} <{link.url}>"
        if link.tags:
            line += f" [{', '.join(link.tags)}]"
        if link.error:
            line += f" (failed {link.attempts} {plural(link.attempts, 'time')}: {link.error})"
        lines.append(for_terminal(line, line=True))
    lines.append(f"{len(links)} {plural(len(links), 'link')} waiting to be fetched")
    return lines


def extra_fields(fields: list[Any]) -> str:
    """The extra fields (``archive fields``): each key, its articles, its common values."""
    if not fields:
        return "No article has extra fields."
    lines = []
    for f in fields:
        values = ", ".join(f"{v} ({n})" for v, n in f.values)
        more = f", … {f.distinct - len(f.values)} more" if f.distinct > len(f.values) else ""
        lines.append(f"{f.key}: {f.articles} {plural(f.articles, 'article')}: {values}{more}")
    return "\n".join(for_terminal(line, line=True) for line in lines)


def duplicates(report: Any) -> str:
    """Near-duplicate pairs (``archive duplicates``), and what a merge did or would do."""
    if not report.pairs:
        return "No near-duplicates."
    lines = []
    for p in report.pairs:
        lines.append(f"{p.kept} ~ {p.other}  {p.similarity:.0%}  {p.kept_title}")
        if p.other_title != p.kept_title:
            lines.append(f"{'':>{len(str(p.kept)) + len(str(p.other)) + 10}}{p.other_title}")
    n = len(report.pairs)
    lines.append(f"{n} near-duplicate {plural(n, 'pair')}")
    if report.merged:
        verb = "would delete" if report.dry_run else "deleted"
        gone = ", ".join(map(str, report.deleted)) or "none"
        lines.append(f"{verb} (merged into the oldest of each group): {gone}")
        if report.kept_for_notes:
            kept = ", ".join(map(str, report.kept_for_notes))
            lines.append(f"not merged, as they have notes: {kept}")
    return "\n".join(for_terminal(line, line=True) for line in lines)
