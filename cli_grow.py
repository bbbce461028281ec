"""The ``archive`` commands that let the archive grow by itself: ``fetch``, ``feed``, ``reextract``.

Like :mod:`cli`, they only parse options, make one library call and print what
comes back with :mod:`archive.render`. :mod:`cli` adds them to its group (and
takes :func:`fetch_options` for ``ingest``); the archive comes from the group's
state object. This module is imported when the CLI starts: it stays light.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from cli_params import TEXT_OR_JSON
from cli_terminal import completer


def fetch_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """``ingest``'s options for web pages: ``--urls FILE`` and ``--keep-html/--no-keep-html``."""
    f = click.option(
        "--keep-html/--no-keep-html",
        default=True,
        show_default=True,
        help="Keep each web page's original HTML with its article (for reextract).",
    )(f)
    return click.option(
        "--urls",
        "url_files",
        multiple=True,
        type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
        metavar="FILE",
        help="A file of web addresses to fetch, one a line ('#' comments; repeatable).",
    )(f)


#: The commands :mod:`cli` adds to its group.
COMMANDS: list[click.Command] = []


@click.command()
@click.argument("ids", nargs=-1, type=int)
@click.option("--all", "every", is_flag=True, help="Every article that has a kept page.")
@click.pass_obj
def reextract(state: Any, ids: tuple[int, ...], every: bool) -> None:
    """Extract articles again from their kept original pages (no network).

    An article whose text comes out different is updated, its old text kept as a
    revision. Articles without a kept page are reported; exit status 1 then.

    \b
    Example:
        archive reextract 4 7
        archive reextract --all
    """
    import sys

    from archive import render

    if not ids and not every:
        raise click.UsageError("give article ids, or --all")
    report = state.archive().reextract(ids, every=every)
    for outcome in report.outcomes:
        if outcome.status == "failed":
            click.echo(f"error: {outcome.message}", err=True)
        else:
            click.echo(render.outcome_line(outcome))
    click.echo(report.summary())
    if report.failed:
        sys.exit(1)


COMMANDS.append(reextract)


@click.command()
@click.option("--pending", is_flag=True, help="Only links never tried (not those that failed).")
@click.option("--list", "show", is_flag=True, help="List the links waiting; fetch nothing.")
@click.option("--no-keep-html", "no_keep_html", is_flag=True, help="Keep no original pages.")
@click.option("-q", "--quiet", is_flag=True, help="Print only failures and the summary.")
@click.pass_obj
def fetch(state: Any, pending: bool, show: bool, no_keep_html: bool, quiet: bool) -> None:
    """Fetch the links waiting (bookmarks saved without text) and ingest their pages.

    A link whose page is ingested leaves the list; one that fails stays, with the
    reason (see --list). Exit status 1 if any failed.

    \b
    Example:
        archive ingest pocket-export.csv
        archive fetch --list
        archive fetch
    """
    import sys

    from archive import render

    if show:
        links = state.archive().links(untried=pending)
        for line in render.link_lines(links):
            click.echo(line)
        return
    report = state.archive().fetch_links(untried=pending, keep_html=not no_keep_html)
    for outcome in report.outcomes:
        if outcome.status == "failed":
            click.echo(f"error: {outcome.message}", err=True)
        elif not quiet:
            click.echo(render.outcome_line(outcome))
    click.echo(report.summary())
    if report.failed:
        sys.exit(1)


COMMANDS.append(fetch)


@click.group()
def feed() -> None:
    """Follow RSS and Atom feeds: new entries become articles.

    \b
    Example:
        archive feed add https://example.org/rss.xml --tag news
        archive feed update --all
        archive feed export > feeds.opml
    """


@feed.command(name="add")
@click.argument("url")
@click.option("--tag", "tags", multiple=True, metavar="TAG", help="Tag its articles (repeatable).")
@click.option(
    "--full-text", is_flag=True, help="Always fetch each entry's page, even when it holds text."
)
@click.pass_obj
def feed_add(state: Any, url: str, tags: tuple[str, ...], full_text: bool) -> None:
    """Follow a feed (fetched once now to check that it is RSS or Atom)."""
    from archive.render_feeds import feed_line

    added = state.archive().add_feed(url, tags=tags, full_text=full_text)
    click.echo(f"following {feed_line(added)}")


@feed.command(name="list")
@TEXT_OR_JSON
@click.pass_obj
def feed_list(state: Any, fmt: str) -> None:
    """List the feeds followed, with their last check."""
    from archive import render
    from archive.render_feeds import feed_lines, feeds_json

    feeds = state.archive().feeds()
    if fmt == "json":
        click.echo(render.json_text(feeds_json(feeds)))
    else:
        click.echo("\n".join(feed_lines(feeds)))


@feed.command(name="remove")
@click.argument("name", shell_complete=completer("feed"))
@click.pass_obj
def feed_remove(state: Any, name: str) -> None:
    """Stop following a feed (by id, address or title); its articles stay."""
    from archive.render_feeds import feed_line

    click.echo(f"no longer following {feed_line(state.archive().remove_feed(name))}")


@feed.command(name="update")
@click.argument("names", nargs=-1, shell_complete=completer("feed"))
@click.option("--all", "every", is_flag=True, help="Every feed followed.")
@click.option("-v", "--verbose", is_flag=True, help="A line per new article.")
@click.pass_obj
def feed_update(state: Any, names: tuple[str, ...], every: bool, verbose: bool) -> None:
    """Check feeds for new entries and ingest them (made for cron and systemd timers).

    Quiet when nothing is new; else one line of summary (and a line per failure on
    stderr). Exit status 1 only when a feed or an entry failed.

    \b
    Example:
        archive feed update --all
        archive feed update 3
    """
    import sys

    from archive import render
    from archive.render_feeds import update_summary

    if not names and not every:
        raise click.UsageError("name the feeds to update, or give --all")
    archive = state.archive()
    try:
        result = archive.update_feeds(() if every else names)
    finally:
        archive.progress.done()  # (the bars off the screen before the report)
    for name, reason in result.failed:
        click.echo(f"error: feed {name}: {reason}", err=True)
    for outcome in result.report.failures:
        click.echo(f"error: {outcome.message}", err=True)
    if verbose:
        for outcome in result.report.outcomes:
            if outcome.status in ("added", "updated"):
                click.echo(render.outcome_line(outcome))
    if not result.quiet:
        click.echo(update_summary(result))
    if not result.ok:
        sys.exit(1)


@feed.command(name="import")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@click.option("--tag", "tags", multiple=True, metavar="TAG", help="Tag every feed (repeatable).")
@TEXT_OR_JSON
@click.pass_obj
def feed_import(state: Any, file: Path, tags: tuple[str, ...], fmt: str) -> None:
    """Follow every feed an OPML file lists (from another feed reader)."""
    from archive import render
    from archive.feeds import read_opml_file
    from archive.render_feeds import import_json, import_lines

    data, origin = read_opml_file(file)
    done = state.archive().import_opml(data, origin, tags=tags)
    if fmt == "json":
        click.echo(render.json_text(import_json(done, origin)))
    else:
        click.echo("\n".join(import_lines(done, origin)))


@feed.command(name="export")
@click.pass_obj
def feed_export(state: Any) -> None:
    """Print the feeds followed as OPML (for another feed reader)."""
    click.echo(state.archive().export_opml())


COMMANDS.append(feed)
