"""The ``archive`` command line: parse options, call the library, print the result.

No behaviour lives here: each command makes one call into :mod:`archive` and
prints what comes back with :mod:`archive.render`. Opening and closing the
archive, printing its notices, and turning an :class:`~archive.errors.ArchiveError`
into a one-line message with exit status 1 happen once, in :class:`State` and
:class:`ArchiveGroup`. Heavy modules are imported inside the commands so that
``archive --help`` and ``archive search`` start fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from archive.errors import ArchiveError, BadOptionValue
from archive.ingest.formats import FORMAT_NAMES
from cli_grow import fetch_options
from cli_params import ARTICLE_ID, DB_HELP, SizeParam, echo_notices
from cli_terminal import color_option, emit, estimate_total, terminal_safe, usage_error, use_color

if TYPE_CHECKING:
    from archive.facade import Archive
    from archive.reading import Reader
    from archive.records import IngestOutcome

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class ArchiveGroup(click.Group):
    """Click's group, reporting a library error the way Click reports its own: one line, exit 1.

    Every command it holds also takes the global options (``--home``,
    ``--no-pager``, ``--quiet``) after its name, as ``archive search foo --home DIR``.
    Every message is cleaned for the terminal (:func:`archive.terminal.for_terminal`), and
    whatever else reaches a terminal too (:func:`cli_terminal.terminal_safe`).
    """

    def invoke(self, ctx: click.Context) -> Any:
        from archive.terminal import for_terminal

        try:
            return super().invoke(ctx)
        except BadOptionValue as exc:  # a usage error, as Click's own: exit 2
            raise usage_error(ctx, exc) from None
        except ArchiveError as exc:
            raise click.ClickException(for_terminal(str(exc), line=True)) from None
        except click.ClickException as exc:
            exc.message = for_terminal(exc.message, line=True)  # type: ignore[misc]
            raise
        except Exception as exc:
            from archive.errors import machine_error

            # A full disk, a read-only home or a damaged database: one line, no traceback.
            problem = machine_error(exc, ctx.obj.home if ctx.obj else None)
            if problem is None:
                raise
            raise click.ClickException(for_terminal(str(problem), line=True)) from None
        except KeyboardInterrupt:
            # Every write is a transaction (an ingest commits batch by batch and says
            # what it stored, see ``ingest``): nothing is left half-written.
            click.echo("\ninterrupted (Ctrl-C): nothing half-written was kept", err=True)
            sys.exit(130)

    def main(self, *args: Any, **kwargs: Any) -> Any:
        with terminal_safe():  # whatever else reaches a terminal, Click's errors too
            return super().main(*args, **kwargs)

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        from cli_terminal import global_options

        global_options(cmd)
        super().add_command(cmd, name)


class State:
    """The archive home the command works on, opened at most once and closed with it,
    and the settings in force (:mod:`archive.config`)."""

    def __init__(self, home: Path | None, no_pager: bool = False, db: str | None = None) -> None:
        #: ``--home`` as given on the command line (None: not given).
        self.given_home = home
        #: ``--db`` as given on the command line (None: not given).
        self.given_db = db
        self.no_pager = no_pager
        #: No progress bars or waiting messages (``--quiet``).
        self.quiet = False
        self._settings: tuple[Any, dict[str, Any]] | None = None

    @property
    def settings(self) -> dict[str, Any]:
        """Each setting in force (read once per home and pager choice)."""
        from archive.config import settings

        key = (self.given_home, self.no_pager, self.given_db)
        if self._settings is None or self._settings[0] != key:
            found = settings(home=self.given_home, database=self.given_db, no_pager=self.no_pager)
            self._settings = (key, found)
        return self._settings[1]

    @property
    def home(self) -> Path:
        return Path(self.settings["home"].value)

    @property
    def database(self) -> str | None:  # a PostgreSQL URL (None: the home's own database)
        return self.settings["database"].value  # type: ignore[no-any-return]

    def archive(self, *, index: bool = True) -> Archive:
        """The archive, opened for writing (closed when the command ends); notices printed."""
        from archive.facade import Archive
        from cli_terminal import progress_for

        progress = progress_for(self.quiet)
        archive = Archive.open(self.home, database=self.database, progress=progress, index=index)
        click.get_current_context().call_on_close(archive.close)
        echo_notices(archive.notices)
        return archive

    def reader(self) -> Reader:
        """The archive, for reading only."""
        from archive.reading import Reader

        return Reader(self.home, database=self.database)


pass_state = click.make_pass_decorator(State)


@click.group(cls=ArchiveGroup, context_settings=CONTEXT)
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    help="Archive directory (database and index), before or after the command. "
    "Default: $ARCHIVE_HOME, else the config file's 'home', else the platform's "
    "user data directory.",
)
@click.option("--db", metavar="URL", help=DB_HELP)
@click.option("--no-pager", is_flag=True, help="Print straight to the terminal, without a pager.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bars or waiting messages.")
@click.version_option(package_name="article-archive")
@click.pass_context
def cli(ctx: click.Context, home: Path | None, db: str | None, no_pager: bool, quiet: bool) -> None:
    """Keep news articles in a searchable archive and find passages by keyword.

    \b
    Example:
        archive ingest article.txt --source Reuters --tag ukraine
        archive search 'deploy troops'
    """
    from cli_terminal import config_defaults

    ctx.obj = State(home.expanduser() if home else None, no_pager, db)
    ctx.obj.quiet = quiet
    ctx.default_map = config_defaults(ctx, ctx.obj)


@cli.command()
@click.argument("sources", nargs=-1, metavar="[PATHS|URLS]...")
@fetch_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["auto", *FORMAT_NAMES]),
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
    help="Largest input or web page to read (JSONL: line; JSON array: element), e.g. 200M.",
)
@click.option(
    "--dry-run", is_flag=True, help="Report what would be added or updated; write nothing."
)
@click.option(
    "--force", is_flag=True, help="Read files even if unchanged since they were ingested."
)
@click.option(
    "--retry-failed",
    is_flag=True,
    help="Read files that failed before even if unchanged (else: 'still failing', unread).",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(1, 64),
    help="Processes indexing a large ingest (default: one per core, up to 4; "
    "1 leaves the other cores free).",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or per-article lines.")
@click.option("-v", "--verbose", is_flag=True, help="A line per article even on a terminal.")
@pass_state
def ingest(
    state: State,
    sources: tuple[str, ...],
    url_files: tuple[Path, ...],
    keep_html: bool,
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
    retry_failed: bool,
    jobs: int | None,
    quiet: bool,
    verbose: bool,
) -> None:
    """Add articles from URLs, text, Markdown, HTML, JSON and JSONL files, folders, '-' (stdin).

    A URL's page is fetched (a few at once, one per site) and extracted as a saved page is.

    Directories are read recursively (hidden files skipped). The same text
    again is left unchanged, unless it brings other metadata (or the command
    line gives some): then the article is updated; the same URL or the same
    file with new text updates that article and keeps the old text as a revision. Files not
    changed since they were ingested are skipped unread. Bad inputs are
    reported and skipped; the exit status is 1 if any failed. A file that
    failed before and has not changed is reported as 'still failing', unread,
    and is no new failure (for cron: exit 1 only for new failures; with
    --quiet, nothing printed when nothing changed).

    \b
    Example:
        archive ingest story.txt --source Euronews --published 2025-03-13 --tag nato
        archive ingest ~/saved-pages ~/notes --glob '*.html' --glob '*.md'
        archive ingest export.jsonl --dry-run
        archive ingest https://example.org/news/story --tag later
        curl -s https://example.org/feed.jsonl | archive ingest - --format jsonl
    """
    import time

    from archive import render
    from archive.dates import parse_date
    from archive.fetching import split_sources
    from archive.ingest import Overrides

    if not sources and not url_files:
        raise click.UsageError("give files, folders, URLs, '-' or --urls FILE")
    urls, paths = split_sources(sources)
    if published is not None:
        try:
            parse_date(published)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="'--published'") from None
    if (url or title) and (len(paths) + len(urls) > 1 or url_files or any(map(Path.is_dir, paths))):
        raise click.UsageError("--url and --title name one article: give a single file")
    started = time.monotonic()
    quiet = quiet or state.quiet
    state.quiet = quiet
    lines = not quiet and (verbose or not sys.stdout.isatty())
    archive = state.archive()
    progress = archive.progress
    fetching = bool(urls or url_files)  # how many articles URLs hold is not known
    estimate = None if quiet or fetching else estimate_total(tuple(paths), globs, fmt)
    progress.phase("ingesting", estimate)
    counts: dict[str, int] = {}

    def show(outcome: IngestOutcome) -> None:
        counts[outcome.status] = counts.get(outcome.status, 0) + outcome.count  # (before a ^C)
        if outcome.status == "failed":
            error = render.message_line("error", outcome.message or outcome.origin)
            progress.write(error, sys.stderr)
        elif outcome.status == "still failing" and not quiet:
            again = render.message_line("still failing", outcome.message or outcome.origin)
            progress.write(again, sys.stderr)
        elif outcome.message and outcome.status in ("added", "updated"):
            warning = render.message_line("warning", f"{outcome.origin}: {outcome.message}")
            progress.write(warning, sys.stderr)
        if lines and outcome.status not in ("failed", "still failing"):
            progress.write(render.outcome_line(outcome, dry_run=dry_run), sys.stdout)
        shown = ("added", "updated", "unchanged", "failed")
        progress.note(", ".join(f"{counts.get(s, 0)} {s}" for s in shown))

    try:
        report = archive.ingest_paths(
            paths,
            fmt=None if fmt == "auto" else fmt,
            globs=globs,
            overrides=Overrides(title, author, source, url, published, tags),
            max_bytes=max_size,
            stdin=None if sys.stdin is None else sys.stdin.buffer,
            force=force,
            urls=urls,
            url_files=url_files,
            keep_html=keep_html,
            retry_failed=retry_failed,
            dry_run=dry_run,
            progress=show,
            keep_outcomes=False,
            on_read=progress.advance,
            jobs=jobs,
        )
    except KeyboardInterrupt as exc:
        # The report counts exactly the batches committed (archive.errors.Interrupted).
        stored = getattr(exc, "report", None)
        if stored is not None:
            counts = {s: stored.count(s) for s in ("added", "updated", "unchanged")}
            counts["failed"] = stored.failed
        progress.done()
        click.echo("", err=True)
        click.echo(render.interrupted_line(counts, dry_run=dry_run), err=True)
        sys.exit(130)
    finally:
        progress.done()
    prefix = "dry run, nothing written: " if dry_run else ""
    if not quiet or report.changed:
        click.echo(f"{prefix}{report.summary()} in {time.monotonic() - started:.1f}s")
    if report.failed:
        sys.exit(1)


hits_format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "jsonl", "csv", "markdown"]),
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
@click.option(
    "--offset", default=0, type=click.IntRange(0, 1_000_000), help="Hits to skip (paging)."
)
@click.option(
    "--page",
    type=click.IntRange(1, 100_000),
    help="Page of --limit hits to show (instead of --offset).",
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
    """Search titles, bodies and notes; print each hit with its highlighted passages.

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
    from archive import render

    if page is not None:
        if offset:
            raise click.UsageError("give --page or --offset, not both")
        offset = (page - 1) * limit
        if offset > 1_000_000:
            raise click.UsageError(f"--page {page} skips {offset:,} hits; at most 1,000,000")
    results = state.reader().search(
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
    echo_notices(results.notices)
    if explain and fmt != "text" and fmt != "json":
        click.echo(f"understood as: {results.understood}", err=True)
        click.echo(render.engine_line(results.engine), err=True)
    colored = use_color(color)
    text = render.results(results, fmt, colored, explain=explain)
    if fmt == "text":
        emit(state, text, colored)
    else:
        click.echo(text, color=colored, nl=fmt != "csv")  # CSV ends in its own CRLF


@cli.command()
@click.argument("article_id", type=ARTICLE_ID)
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
    from archive import render

    found = state.reader().similar(article_id, limit=limit, passages=passages)
    colored = use_color(color)
    text = render.similar(found, fmt, colored)
    if fmt == "text":
        emit(state, text, colored)
    else:
        click.echo(text, color=colored, nl=fmt != "csv")  # CSV ends in its own CRLF


@cli.command()
@click.argument("article_id", type=ARTICLE_ID)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "html"]),
    default="text",
    show_default=True,
    help="Output format (html: the original page kept with the article).",
)
@click.option(
    "--revisions",
    is_flag=True,
    help="Also list the earlier texts that updates replaced, and the metadata changes.",
)
@pass_state
def show(state: State, article_id: int, fmt: str, revisions: bool) -> None:
    """Print one article: every field and the full text.

    \b
    Example:
        archive show 1
        archive show 1 --format json
        archive show 1 --revisions
        archive show 1 --format html > page.html
    """
    from archive import render

    reader = state.reader()
    if fmt == "html":
        from cli_terminal import write_page

        return write_page(article_id, reader.page(article_id))
    article = reader.get(article_id)
    earlier = reader.revisions(article_id) if revisions else None
    history = reader.history(article_id) if revisions else None
    notes = reader.notes(article_id=article_id)
    echo_notices(reader.notices)
    if fmt == "json":
        click.echo(render.article_json(article, earlier, history, notes))
        return
    parts = [render.article(article)]
    if notes:
        parts.append(render.notes_section(notes))
    if earlier is not None and history is not None:
        parts.extend([render.revisions(earlier), render.metadata_history(history)])
    emit(state, "\n\n".join(parts))


@cli.command(name="list")
@click.option(
    "-n",
    "--limit",
    default=20,
    show_default=True,
    type=click.IntRange(1, 1_000_000_000),
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
    from archive import render

    reader = state.reader()
    articles = reader.list(limit=None if show_all else limit)
    echo_notices(reader.notices)
    if fmt == "json":
        click.echo(render.json_text([a.to_json(body=False) for a in articles]))
        return
    missing = None if reader.exists() else str(reader.paths.path)
    emit(state, render.article_list(articles, reader.count(), missing=missing))


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
    from archive.render import plural

    count = state.archive(index=False).reindex()
    click.echo(f"reindexed {count} {plural(count, 'article')}")


@cli.command()
@click.option("--repair", is_flag=True, help="Fix the index where it differs from the database.")
@pass_state
def check(state: State, repair: bool) -> None:
    """Compare the database with the index; exit 1 if they differ.

    Reports articles missing from the index, indexed articles the database
    lacks, and articles indexed with an older text, with counts. Index work an
    interrupted run left owed is finished first. --repair re-indexes only the
    articles that differ (an unreadable index is rebuilt whole). A database file
    that cannot be read is named, with what to do, and nothing is written.

    \b
    Example:
        archive check
        archive check --repair
    """
    from archive import render
    from archive.integrity import unreadable_database

    if state.database is None and (damage := unreadable_database(state.home)):
        raise damage  # said before the archive is opened: opening could write
    report = state.archive().check(repair=repair)
    for line in render.check_report(report):
        click.echo(line)
    if not report.ok and not report.repaired and not report.rebuilt:
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
    from archive import render

    reader = state.reader()
    s = reader.stats()
    echo_notices(reader.notices)
    click.echo(render.json_text(s.to_json(), ascii_only=True) if fmt == "json" else render.stats(s))


@cli.command()
@pass_state
def optimize(state: State) -> None:
    """Merge the index's segments into one, for faster searches.

    \b
    Example:
        archive optimize
    """
    state.archive().optimize()
    click.echo("index optimized")


def _add_commands() -> None:
    """The command groups kept in modules of their own (cli.py stays short)."""
    from cli_curation import delete, edit, note, notes
    from cli_grow import COMMANDS
    from cli_serve import serve
    from cli_terminal import config, duplicates, fields
    from cli_transfer import export, import_, migrate

    curation = (edit, delete, note, notes)
    moving = (export, import_, migrate)
    for command in (*curation, *COMMANDS, serve, config, fields, duplicates, *moving):
        cli.add_command(command)


_add_commands()


def main() -> None:
    cli(prog_name="archive")


if __name__ == "__main__":
    main()
