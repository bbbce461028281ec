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
