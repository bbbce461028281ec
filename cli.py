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
    from archive.records import ArticleRecord, SearchHit, SearchResults

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class State:
    def __init__(self, home: Path) -> None:
        self.home = home


pass_state = click.make_pass_decorator(State)


def fail(exc: Exception) -> NoReturn:
    """Report a library error the way Click reports its own: one line, exit 1."""
    raise click.ClickException(str(exc)) from None


def open_archive(state: State) -> Any:
    from archive import Archive, ArchiveError

    try:
        return Archive.open(state.home)
    except ArchiveError as exc:
        fail(exc)


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


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=True))
@click.option("--title", help="Title (default: the text's first line).")
@click.option("--source", help="Publisher, e.g. 'Reuters'.")
@click.option("--author", help="Author or byline.")
@click.option("--url", help="The article's address (unique in the archive).")
@click.option("--published", metavar="DATE", help="Publication date, e.g. 2025-09-03.")
@click.option("--tag", "tags", multiple=True, metavar="TAG", help="A tag (repeatable).")
@click.option("-q", "--quiet", is_flag=True, help="Print only the summary line.")
@pass_state
def ingest(
    state: State,
    paths: tuple[Path, ...],
    title: str | None,
    source: str | None,
    author: str | None,
    url: str | None,
    published: str | None,
    tags: tuple[str, ...],
    quiet: bool,
) -> None:
    """Add articles from plain-text files, or '-' for standard input.

    Text already in the archive is left unchanged; the same --url with new
    text updates that article. Bad inputs are reported and skipped; the exit
    status is 1 if any failed.

    \b
    Example:
        archive ingest story.txt --source Euronews --published 2025-03-13 --tag nato
        curl -s https://example.org/a.txt | archive ingest - --url https://example.org/a
    """
    import time

    from archive.dates import parse_date
    from archive.ingest import Overrides, read_bytes, read_path

    if published is not None:
        try:
            parse_date(published)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--published") from None
    if (url or title) and len(paths) > 1:
        raise click.UsageError("--url and --title name one article: give a single input")
    overrides = Overrides(title, author, source, url, published, tags)
    started = time.monotonic()

    def items() -> Any:
        for path in paths:
            if str(path) == "-":
                yield from read_bytes(sys.stdin.buffer.read(), "-", overrides)
            else:
                yield from read_path(path, overrides)

    def show(outcome: Any) -> None:
        if outcome.status == "failed":
            click.echo(f"error: {outcome.message}", err=True)
        elif not quiet:
            what = f"{outcome.status} {outcome.article_id}: {outcome.title}"
            note = f" ({outcome.message})" if outcome.message else ""
            click.echo(f"{what}{note}")

    archive = open_archive(state)
    try:
        report = archive.ingest(items(), progress=show)
    except Exception as exc:
        from archive import ArchiveError

        if isinstance(exc, ArchiveError):
            fail(exc)
        raise
    finally:
        archive.close()
    click.echo(f"{report.summary()} in {time.monotonic() - started:.1f}s")
    if report.failed:
        sys.exit(1)


FORMATS = ["text", "json", "jsonl", "csv", "markdown"]


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
@click.option("--explain", is_flag=True, help="Show how the query was understood.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="text; json (one object); jsonl (one hit a line); csv; markdown (notes with citations).",
)
@click.option(
    "--color",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Colour matched words (auto: on a terminal, unless NO_COLOR).",
)
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
        )
    except ArchiveError as exc:
        fail(exc)
    for notice in results.notices:
        click.echo(f"note: {notice}", err=True)
    if explain and fmt != "text" and fmt != "json":
        click.echo(f"understood as: {results.understood}", err=True)
    click.echo(render(results, fmt, use_color(color), explain=explain))


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


def render_results(results: SearchResults, color: bool, *, explain: bool = False) -> str:
    lines = [f"Understood as: {results.understood}"] if explain else []
    if not results.hits:
        if results.total:
            noun = "article matches" if results.total == 1 else "articles match"
            lines.append(f"No more hits: {results.total} {noun} {results.query!r}.")
        else:
            lines.append(f"No articles match {results.query!r}.")
    else:
        first, last = results.hits[0].rank, results.hits[-1].rank
        noun = "article matches" if results.total == 1 else "articles match"
        lines.append(f"{results.total} {noun} {results.query!r} (showing {first}–{last})")
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
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="Output format (as for search).",
)
@click.option(
    "--color",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Colour shared words (auto: on a terminal, unless NO_COLOR).",
)
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
@pass_state
def show(state: State, article_id: int, fmt: str) -> None:
    """Print one article: every field and the full text.

    \b
    Example:
        archive show 1
        archive show 1 --format json
    """
    from archive import ArchiveError

    archive = open_archive(state)
    try:
        article = archive.get(article_id)
    except ArchiveError as exc:
        fail(exc)
    finally:
        archive.close()
    if fmt == "json":
        click.echo(json.dumps(article.to_json(), ensure_ascii=False, indent=2))
        return
    click.echo(render_article(article))


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

    The new index is built beside the old one and swapped in when complete.

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
    if report.ok:
        click.echo("database and index agree")
        return
    for count, what in (
        (len(report.missing_from_index), "missing from the index"),
        (len(report.not_in_database), "in the index but not in the database"),
        (len(report.stale_in_index), "indexed with old text"),
    ):
        if count:
            click.echo(f"{count} article{'s' if count != 1 else ''} {what}")
    if report.repaired:
        click.echo("repaired: the index now matches the database")
        return
    click.echo("run 'archive check --repair' to fix the index")
    sys.exit(1)


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
