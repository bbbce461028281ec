"""The ``archive`` command line: parse options, call the library, print the result.

No behaviour lives here. Heavy modules are imported inside the commands so that
``archive --help`` and ``archive search`` start fast.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

if TYPE_CHECKING:
    from archive.records import ArticleRecord, RevisionRecord, SearchHit, SearchResults

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class State:
    def __init__(self, home: Path) -> None:
        self.home = home


pass_state = click.make_pass_decorator(State)
color_option = click.option(
    "--color",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Colour matched words (auto: on a terminal, unless NO_COLOR).",
)


def fail(exc: Exception) -> NoReturn:
    """Report a library error the way Click reports its own: one line, exit 1."""
    raise click.ClickException(str(exc)) from None


def open_archive(state: State) -> Any:
    from archive import Archive, ArchiveError

    try:
        archive = Archive.open(state.home)
    except ArchiveError as exc:
        fail(exc)
    for notice in archive.notices:
        click.echo(f"note: {notice}", err=True)
    return archive


def use_color(choice: str) -> bool:
    if choice == "always":
        return True
    if choice == "never":
        return False
    return "NO_COLOR" not in os.environ and sys.stdout.isatty()


@click.group(context_settings=CONTEXT)
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="ARCHIVE_HOME",
    help="Archive directory (database and index). Default: $ARCHIVE_HOME, "
    "else the platform's user data directory.",
)
@click.version_option(package_name="article-archive")
@click.pass_context
def cli(ctx: click.Context, home: Path | None) -> None:
    """Keep news articles in a searchable archive and find passages by keyword.

    \b
    Example:
        archive ingest article.txt --source Reuters --tag ukraine
        archive search 'deploy troops'
    """
    if home is None:
        from platformdirs import user_data_dir

        home = Path(user_data_dir("article-archive", False))
    ctx.obj = State(home.expanduser())


class SizeParam(click.ParamType):
    name = "SIZE"

    def convert(self, value: Any, param: Any, ctx: Any) -> int:
        from archive.ingest import parse_size

        if isinstance(value, int):
            return value
        try:
            return parse_size(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=True))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["auto", "text", "markdown", "html", "json", "jsonl"]),
    default="auto",
    show_default=True,
    help="Format of every input (auto: by file extension, else by content; give it for stdin).",
)
@click.option(
    "--glob",
    "globs",
    multiple=True,
    metavar="PATTERN",
    help="In directories, take files matching PATTERN, e.g. '*.html' (repeatable; "
    "default: every known extension).",
)
@click.option("--title", help="Title (default: from the input, else its first line).")
@click.option("--source", help="Publisher, e.g. 'Reuters'.")
@click.option("--author", help="Author or byline.")
@click.option("--url", help="The article's address (unique in the archive).")
@click.option("--published", metavar="DATE", help="Publication date, e.g. 2025-09-03.")
@click.option("--tag", "tags", multiple=True, metavar="TAG", help="A tag (repeatable).")
@click.option(
    "--max-size",
    type=SizeParam(),
    default="50M",
    show_default=True,
    help="Largest input to read (for JSONL: largest line; JSON array: element), e.g. 200M.",
)
@click.option(
    "--dry-run", is_flag=True, help="Report what would be added or updated; write nothing."
)
@click.option(
    "--force", is_flag=True, help="Read files even if unchanged since they were ingested."
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    help="Processes indexing a large ingest (default: one per core, up to 4; "
    "1 leaves the other cores free).",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or per-article lines.")
@click.option("-v", "--verbose", is_flag=True, help="A line per article even on a terminal.")
@pass_state
def ingest(
    state: State,
    paths: tuple[Path, ...],
    fmt: str,
    globs: tuple[str, ...],
    title: str | None,
    source: str | None,
    author: str | None,
    url: str | None,
    published: str | None,
    tags: tuple[str, ...],
    max_size: int,
    dry_run: bool,
    force: bool,
    jobs: int | None,
    quiet: bool,
    verbose: bool,
) -> None:
    """Add articles from text, Markdown, HTML, JSON and JSONL files, directories, or '-' (stdin).

    Directories are read recursively (hidden files skipped). The same text
    again is left unchanged; the same URL or the same file with new text
    updates that article and keeps the old text as a revision. Files not
    changed since they were ingested are skipped unread. Bad inputs are
    reported and skipped; the exit status is 1 if any failed.

    \b
    Example:
        archive ingest story.txt --source Euronews --published 2025-03-13 --tag nato
        archive ingest ~/saved-pages ~/notes --glob '*.html' --glob '*.md'
        archive ingest export.jsonl --dry-run
        curl -s https://example.org/feed.jsonl | archive ingest - --format jsonl
    """
    import time

    from archive.dates import parse_date
    from archive.ingest import Overrides

    if published is not None:
        try:
            parse_date(published)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--published") from None
    if (url or title) and (len(paths) > 1 or any(p.is_dir() for p in paths)):
        raise click.UsageError("--url and --title name one article: give a single file")
    overrides = Overrides(title, author, source, url, published, tags)
    started = time.monotonic()
    bar = None
    lines = not quiet and (verbose or not sys.stdout.isatty())
    verbs = {"added": "would add", "updated": "would update"} if dry_run else {}

    def show(outcome: Any) -> None:
        say = bar.write if bar is not None else click.echo
        if outcome.status == "failed":
            say(f"error: {outcome.message}", file=sys.stderr)
        elif outcome.message and outcome.status in ("added", "updated"):
            say(f"warning: {outcome.origin}: {outcome.message}", file=sys.stderr)
        if lines and outcome.status != "failed":
            verb = verbs.get(outcome.status, outcome.status)
            if outcome.article_id is not None:
                line = f"{verb} {outcome.article_id}: {outcome.title}"
            else:
                line = f"{verb}: {outcome.title or outcome.origin}"
            if outcome.status == "unchanged" and outcome.message:
                line += f" ({outcome.message})"
            say(line)
        if bar is not None:
            counts[outcome.status] = counts.get(outcome.status, 0) + outcome.count
            bar.set_postfix_str(
                ", ".join(
                    f"{counts.get(s, 0)} {s}" for s in ("added", "updated", "unchanged", "failed")
                ),
                refresh=False,
            )

    counts: dict[str, int] = {}
    archive = open_archive(state)
    if not quiet and sys.stderr.isatty():
        bar = progress_bar(paths, globs, None if fmt == "auto" else fmt)
    try:
        report = archive.ingest_paths(
            paths,
            fmt=None if fmt == "auto" else fmt,
            globs=globs,
            overrides=overrides,
            max_bytes=max_size,
            stdin=sys.stdin.buffer,
            force=force,
            dry_run=dry_run,
            progress=show,
            keep_outcomes=False,
            on_read=None if bar is None else bar.update,
            jobs=jobs,
        )
    except Exception as exc:
        from archive import ArchiveError

        if isinstance(exc, ArchiveError):
            fail(exc)
        raise
    finally:
        if bar is not None:
            bar.close()
        archive.close()
    prefix = "dry run, nothing written: " if dry_run else ""
    click.echo(f"{prefix}{report.summary()} in {time.monotonic() - started:.1f}s")
    if report.failed:
        sys.exit(1)


def progress_bar(paths: tuple[Path, ...], globs: tuple[str, ...], fmt: str | None) -> Any:
    """A tqdm bar on stderr counting articles, with rate and time left."""
    from tqdm import tqdm

    from archive.ingest import estimate

    # No monitor thread: a large ingest forks indexing workers, and forking a
    # process that runs other threads can deadlock the child.
    tqdm.monitor_interval = 0

    total = None if any(str(p) == "-" for p in paths) else estimate(paths, globs, fmt)
    return tqdm(
        total=total or None,
        unit=" articles",
        file=sys.stderr,
        dynamic_ncols=True,
        mininterval=0.2,
        smoothing=0.1,
        leave=False,
    )


FORMATS = ["text", "json", "jsonl", "csv", "markdown"]
hits_format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="text; json (one object); jsonl (one hit a line); csv; markdown (notes with citations).",
)


@cli.command()
@click.argument("query")
@click.option(
    "-n",
    "--limit",
    default=10,
    show_default=True,
    type=click.IntRange(1, 10_000),
    help="Most hits to show.",
)
@click.option("--offset", default=0, type=click.IntRange(0), help="Hits to skip (paging).")
@click.option(
    "--page", type=click.IntRange(1), help="Page of --limit hits to show (instead of --offset)."
)
@click.option(
    "--passages", default=3, show_default=True, type=click.IntRange(0, 50), help="Passages per hit."
)
@click.option(
    "--sort",
    type=click.Choice(["relevance", "newest", "oldest"]),
    default="relevance",
    show_default=True,
    help="Order of the hits (newest/oldest: by publication date).",
)
@click.option(
    "--since", metavar="DATE", help="Published on or after DATE: 2025-09-03, 2025-09, 'last month'."
)
@click.option(
    "--until", metavar="DATE", help="Published on or before DATE (2025-09 includes all September)."
)
@click.option(
    "--facet",
    "facets",
    multiple=True,
    type=click.Choice(["source", "author", "tag", "year", "month"]),
    help="Count matching articles per value of this field (repeatable).",
)
@click.option("--fuzzy", is_flag=True, help="Let each word match words a letter or two different.")
@click.option(
    "--strict",
    is_flag=True,
    help="Only articles matching the query as written: no most-words or fuzzy rescue.",
)
@click.option("--explain", is_flag=True, help="Show how the query was understood.")
@hits_format_option
@color_option
@pass_state
def search(
    state: State,
    query: str,
    limit: int,
    offset: int,
    page: int | None,
    passages: int,
    sort: str,
    since: str | None,
    until: str | None,
    facets: tuple[str, ...],
    fuzzy: bool,
    strict: bool,
    explain: bool,
    fmt: str,
    color: str,
) -> None:
    """Search titles and bodies; print each hit with its highlighted passages.

    Every word is required; words match their other forms (deploy finds
    deployment), accents, apostrophes and British/American spellings.
    QUERY may use OR, NOT, -word, (brackets), "a phrase", "a b"~5 (within
    five words), "word" or =word (exact form), word* (prefix), word~
    (fuzzy), and field:value for title, body, author, source, tag, url and
    published (published:2025-01..2025-06). Broken syntax is searched as
    plain words, with a note. If no article has every word (or, for three
    words or more, fewer than a page), those with the most of the words
    follow; when little or nothing is found, a spelling is suggested and the
    words retried fuzzily.

    \b
    Example:
        archive search 'deploy troops'
        archive search '"reassurance force" -russia' --since 2025-01 --facet source
        archive search 'nato' --sort newest --page 2 --format markdown
    """
    from archive import ArchiveError
    from archive.searching import search as run

    if page is not None:
        if offset:
            raise click.UsageError("give --page or --offset, not both")
        offset = (page - 1) * limit
    try:
        results = run(
            state.home,
            query,
            limit=limit,
            offset=offset,
            passages=passages,
            sort=sort,
            since=since,
            until=until,
            facets=facets,
            fuzzy=fuzzy,
            rescue=not strict,
        )
    except ArchiveError as exc:
        fail(exc)
    for notice in results.notices:
        click.echo(f"note: {notice}", err=True)
    if explain and fmt != "text" and fmt != "json":
        click.echo(f"understood as: {results.understood}", err=True)
    colored = use_color(color)
    click.echo(render(results, fmt, colored, explain=explain), color=colored)


def render(results: SearchResults, fmt: str, color: bool, *, explain: bool = False) -> str:
    """*results* in the output format *fmt*."""
    if fmt == "json":
        data = results.to_json()
        if explain:
            data["understood"] = results.understood
        return json.dumps(data, ensure_ascii=False, indent=2)
    if fmt == "jsonl":
        return "\n".join(
            json.dumps({"rank": h.rank, **h.to_json()}, ensure_ascii=False) for h in results.hits
        )
    if fmt == "csv":
        return render_csv(results.hits)
    if fmt == "markdown":
        return render_markdown(results)
    return render_results(results, color, explain=explain)


def _quoted(query: str, limit: int = 80) -> str:
    """*query* quoted for a heading; a pasted wall of text is cut, its length told."""
    if len(query) <= limit:
        return repr(query)
    return f"{query[: limit - 20]!r}… ({len(query):,} characters)"


def render_results(results: SearchResults, color: bool, *, explain: bool = False) -> str:
    lines = [f"Understood as: {results.understood}"] if explain else []
    if not results.hits:
        if results.total:
            noun = "article matches" if results.total == 1 else "articles match"
            lines.append(f"No more hits: {results.total} {noun} {_quoted(results.query)}.")
        else:
            lines.append(f"No articles match {_quoted(results.query)}.")
    else:
        first, last = results.hits[0].rank, results.hits[-1].rank
        noun = "article matches" if results.total == 1 else "articles match"
        lines.append(f"{results.total} {noun} {_quoted(results.query)} (showing {first}–{last})")
        for hit in results.hits:
            lines.append("")
            lines.extend(render_hit(hit, color))
    lines.extend(render_facets(results.facets))
    return "\n".join(lines)


def render_facets(facets: dict[str, list[tuple[str, int]]]) -> list[str]:
    lines = []
    for name, pairs in facets.items():
        values = ", ".join(f"{v} ({n})" for v, n in pairs) or "-"
        lines.extend(["", f"{name}: {values}"])
    return lines


def render_hit(hit: SearchHit, color: bool) -> list[str]:
    title = click.style(hit.title, bold=True) if color else hit.title
    meta = " · ".join(x for x in (hit.source, hit.published and hit.published[:10]) if x)
    lines = [f"{hit.rank}. {title}", f"   {meta + ' · ' if meta else ''}id {hit.id}"]
    if hit.shared:
        lines.append("   shares: " + ", ".join(hit.shared))
    for text in passage_texts(hit, lambda t, h: mark(t, h, color)):
        lines.append("   " + text)
    return lines


def passage_texts(hit: SearchHit, show: Any) -> list[str]:
    """Each passage through *show*, with "…" where the article's text was skipped."""
    out = []
    for p in hit.passages:
        text = show(p.text, p.highlights)
        if p.start > 0:
            text = "… " + text
        if p.end < hit.body_length:
            text += " …"
        out.append(text)
    return out


def mark(text: str, highlights: list[tuple[int, int]], color: bool) -> str:
    """*text* with its highlights in bold colour, or wrapped in ``**``; white space folded."""
    out = []
    pos = 0
    for s, e in highlights:
        out.append(text[pos:s])
        word = text[s:e]
        out.append(click.style(word, fg="yellow", bold=True) if color else f"**{word}**")
        pos = e
    out.append(text[pos:])
    return re.sub(r"\s+", " ", "".join(out)).strip()


def render_csv(hits: list[SearchHit]) -> str:
    import csv
    import io

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(
        ["rank", "id", "title", "source", "author", "published", "url", "score", "passages"]
    )
    for h in hits:
        plain = passage_texts(h, lambda t, _h: re.sub(r"\s+", " ", t).strip())
        writer.writerow(
            [
                h.rank,
                h.id,
                h.title,
                h.source or "",
                h.author or "",
                h.published or "",
                h.url or "",
                round(h.score, 4),
                " ".join(plain),
            ]
        )
    return buf.getvalue().rstrip("\n")


def render_markdown(results: SearchResults) -> str:
    noun = "article" if results.total == 1 else "articles"
    lines = [f"## Search: {results.query}", "", f"{results.total} matching {noun}."]
    for h in results.hits:
        title = f"[{h.title}]({h.url})" if h.url else h.title
        lines.extend(["", f"### {h.rank}. {title}", ""])
        cite = ", ".join(x for x in (h.author, h.source, h.published and h.published[:10]) if x)
        for text in passage_texts(h, lambda t, hl: mark(t, hl, False)):
            lines.append(f"> {text}")
            lines.append(">")
        if h.passages:
            lines.pop()
        lines.append("")
        lines.append(
            f"— {cite + ', ' if cite else ''}archive id {h.id}" + (f", <{h.url}>" if h.url else "")
        )
    for name, pairs in results.facets.items():
        lines.extend(["", f"**{name}:** " + (", ".join(f"{v} ({n})" for v, n in pairs) or "-")])
    return "\n".join(lines)


@cli.command()
@click.argument("article_id", type=int)
@click.option(
    "-n",
    "--limit",
    default=10,
    show_default=True,
    type=click.IntRange(1, 1000),
    help="Most articles to show.",
)
@click.option(
    "--passages", default=1, show_default=True, type=click.IntRange(0, 50), help="Passages per hit."
)
@hits_format_option
@color_option
@pass_state
def similar(state: State, article_id: int, limit: int, passages: int, fmt: str, color: str) -> None:
    """List the articles most like article ARTICLE_ID, with the words they share.

    \b
    Example:
        archive similar 12
        archive similar 12 --limit 5 --format json
    """
    from archive import ArchiveError
    from archive.records import SearchResults
    from archive.searching import similar as run

    try:
        found = run(state.home, article_id, limit=limit, passages=passages)
    except ArchiveError as exc:
        fail(exc)
    if fmt == "json":
        click.echo(json.dumps(found.to_json(), ensure_ascii=False, indent=2))
        return
    if fmt == "text":
        lines = [f"Articles like {article_id}: {found.title}"]
        for hit in found.hits:
            lines.append("")
            lines.extend(render_hit(hit, use_color(color)))
        if not found.hits:
            lines.append("No other article shares its key words.")
        click.echo("\n".join(lines))
        return
    as_results = SearchResults(
        query=f"like {article_id}: {found.title}", total=len(found.hits), hits=found.hits
    )
    click.echo(render(as_results, fmt, use_color(color)))


@cli.command()
@click.argument("article_id", type=int)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--revisions", is_flag=True, help="Also list the earlier texts that updates replaced."
)
@pass_state
def show(state: State, article_id: int, fmt: str, revisions: bool) -> None:
    """Print one article: every field and the full text.

    \b
    Example:
        archive show 1
        archive show 1 --format json
        archive show 1 --revisions
    """
    from archive import ArchiveError

    archive = open_archive(state)
    try:
        article = archive.get(article_id)
        earlier = archive.revisions(article_id) if revisions else None
    except ArchiveError as exc:
        fail(exc)
    finally:
        archive.close()
    if fmt == "json":
        data = article.to_json()
        if earlier is not None:
            data["revisions"] = [r.to_json() for r in earlier]
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    click.echo(render_article(article))
    if earlier is not None:
        click.echo("")
        click.echo(render_revisions(earlier))


def render_revisions(revisions: list[RevisionRecord]) -> str:
    if not revisions:
        return "revisions: none (this text is the only one ingested)"
    blocks = [f"revisions: {len(revisions)} earlier text{'s' if len(revisions) != 1 else ''}"]
    for n, r in enumerate(revisions, 1):
        stored = r.stored.isoformat(timespec="seconds") + "Z"
        replaced = r.replaced.isoformat(timespec="seconds") + "Z"
        blocks.append(
            f"--- revision {n}: {r.title}\n"
            f"stored {stored}, replaced {replaced}, from {r.origin}\n\n{r.body}"
        )
    return "\n\n".join(blocks)


def render_article(a: ArticleRecord) -> str:
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
    head = "\n".join(f"{k + ':':<11}{v}" for k, v in rows if v is not None)
    return f"{head}\n\n{a.body}"


@cli.command(name="list")
@click.option(
    "-n",
    "--limit",
    default=20,
    show_default=True,
    type=click.IntRange(1),
    help="Most articles to list.",
)
@click.option("--all", "show_all", is_flag=True, help="List every article.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format (json: an array, without bodies).",
)
@pass_state
def list_(state: State, limit: int, show_all: bool, fmt: str) -> None:
    """List articles, newest first (by publication date, else ingest time).

    \b
    Example:
        archive list --limit 5
        archive list --all --format json
    """
    archive = open_archive(state)
    try:
        articles = archive.list(limit=None if show_all else limit)
        total = archive.count()
    finally:
        archive.close()
    if fmt == "json":
        click.echo(
            json.dumps([a.to_json(body=False) for a in articles], ensure_ascii=False, indent=2)
        )
        return
    if not articles:
        click.echo("The archive is empty.")
        return
    for a in articles:
        date = (a.published or a.ingested.date().isoformat())[:10]
        source = (a.source or "-")[:18]
        click.echo(f"{a.id:>6}  {date:<10}  {source:<18}  {a.title[:80]}")
    if len(articles) < total:
        click.echo(f"({len(articles)} of {total}; use --all or --limit to see more)")


@cli.command()
@click.argument("ids", nargs=-1, required=True, type=int)
@pass_state
def delete(state: State, ids: tuple[int, ...]) -> None:
    """Delete articles by id from the database and the index.

    If any id is unknown, nothing is deleted.

    \b
    Example:
        archive delete 3 7
    """
    from archive import ArchiveError

    archive = open_archive(state)
    try:
        deleted = archive.delete(ids)
    except ArchiveError as exc:
        fail(exc)
    finally:
        archive.close()
    click.echo(
        f"deleted {len(deleted)} article{'s' if len(deleted) != 1 else ''}: "
        + ", ".join(map(str, deleted))
    )


@cli.command()
@pass_state
def reindex(state: State) -> None:
    """Rebuild the search index from the database.

    The new index is built beside the old one and swapped in when complete, so
    an interrupted reindex leaves the old index working. Other writers wait.

    \b
    Example:
        archive reindex
    """
    from archive import ArchiveError

    archive = open_archive(state)
    try:
        count = archive.reindex()
    except ArchiveError as exc:
        fail(exc)
    finally:
        archive.close()
    click.echo(f"reindexed {count} article{'s' if count != 1 else ''}")


@cli.command()
@click.option("--repair", is_flag=True, help="Fix the index where it differs from the database.")
@pass_state
def check(state: State, repair: bool) -> None:
    """Compare the database with the index; exit 1 if they differ.

    Reports articles missing from the index, indexed articles the database
    lacks, and articles indexed with an older text, with counts. Index work an
    interrupted run left owed is finished first. --repair re-indexes only the
    articles that differ (an unreadable index is rebuilt whole).

    \b
    Example:
        archive check
        archive check --repair
    """
    from archive import ArchiveError

    archive = open_archive(state)
    try:
        report = archive.check(repair=repair)
    except ArchiveError as exc:
        fail(exc)
    finally:
        archive.close()
    noun = "article" if report.articles == 1 else "articles"
    click.echo(f"{report.articles} {noun} in the database")
    if report.pending:
        click.echo(
            f"finished index work for {report.pending} {plural(report.pending, 'article')} "
            "that an interrupted run had left"
        )
    if report.rebuilt:
        click.echo("the index could not be read: rebuilt it from the database")
        return
    if report.ok:
        click.echo("database and index agree")
        return
    for count, what in (
        (len(report.missing_from_index), "missing from the index"),
        (len(report.not_in_database), "in the index but not in the database"),
        (len(report.stale_in_index), "indexed with old text"),
    ):
        if count:
            click.echo(f"{count} {plural(count, 'article')} {what}")
    if report.repaired:
        click.echo("repaired: the index now matches the database")
        return
    click.echo("run 'archive check --repair' to fix the index")
    sys.exit(1)


def plural(count: int, noun: str) -> str:
    return noun if count == 1 else noun + "s"


@cli.command()
@click.argument(
    "file",
    required=False,
    default="-",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
)
@pass_state
def export(state: State, file: Path) -> None:
    """Write the whole archive as JSON Lines (a backup).

    One line per article with every field, its tags and its revisions, to FILE
    or (default '-') standard output. 'archive import' restores it, ids
    included, into an empty archive on this or another machine.
    A file is written whole or not at all, readable by you only.

    \b
    Example:
        archive export backup.jsonl
        archive export | gzip > backup.jsonl.gz
    """
    from archive import ArchiveError, transfer

    archive = open_archive(state)
    try:
        if str(file) == "-":
            count = transfer.export(archive, sys.stdout)
        else:
            count = transfer.export_file(archive, file)
    except ArchiveError as exc:
        fail(exc)
    finally:
        archive.close()
    where = "" if str(file) == "-" else f" to {file}"
    click.echo(f"exported {count} {plural(count, 'article')}{where}", err=str(file) == "-")


@cli.command(name="import")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@pass_state
def import_(state: State, file: Path) -> None:
    """Restore a backup made by 'archive export' into an empty archive.

    FILE is the export (or '-' for standard input). Every article comes back
    with its id, fields, tags and revisions, and is indexed. If any line is
    invalid, nothing is imported.

    \b
    Example:
        archive --home ~/new-archive import backup.jsonl
        gunzip -c backup.jsonl.gz | archive import -
    """
    from archive import ArchiveError, transfer

    archive = open_archive(state)
    try:
        count = transfer.import_file(archive, file)
    except ArchiveError as exc:
        fail(exc)
    finally:
        archive.close()
    click.echo(f"imported {count} {plural(count, 'article')}")


@cli.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format.",
)
@pass_state
def stats(state: State, fmt: str) -> None:
    """Show the number of articles, their date range and the sizes on disk.

    \b
    Example:
        archive stats --format json
    """
    archive = open_archive(state)
    try:
        s = archive.stats()
    finally:
        archive.close()
    if fmt == "json":
        click.echo(json.dumps(s.to_json(), indent=2))
        return
    click.echo(f"articles:   {s.articles}")
    click.echo(f"sources:    {s.sources}")
    click.echo(f"published:  {s.earliest or '-'} to {s.latest or '-'}")
    click.echo(f"database:   {s.database_bytes / 1024:,.0f} KiB")
    click.echo(f"index:      {s.index_bytes / 1024:,.0f} KiB")
    click.echo(f"home:       {s.home}")


@cli.command()
@pass_state
def optimize(state: State) -> None:
    """Merge the index's segments into one, for faster searches.

    \b
    Example:
        archive optimize
    """
    from archive import ArchiveError

    archive = open_archive(state)
    try:
        archive.optimize()
    except ArchiveError as exc:
        fail(exc)
    finally:
        archive.close()
    click.echo("index optimized")


def main() -> None:
    cli(prog_name="archive")


if __name__ == "__main__":
    main()
