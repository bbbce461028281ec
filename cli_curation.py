"""The ``archive`` commands that curate what is kept: ``edit``, ``delete``, ``note``, ``notes``.

Like :mod:`cli`, they only parse options, make one library call
(:meth:`archive.facade.Archive.edit`, :meth:`~archive.facade.Archive.remove`)
and print what comes back with :mod:`archive.render`. :mod:`cli` adds them to
its group; the archive comes from the group's state object.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import click

from cli_params import ARTICLE_ID, NOTE_ID, TEXT_OR_JSON

#: A delete of more articles than this asks first, on a terminal.
CONFIRM_OVER = 5


def choosing(f: Callable[..., Any]) -> Callable[..., Any]:
    """The options that choose articles: ids, a query with a date range, field values."""
    f = click.option(
        "--where",
        "where",
        multiple=True,
        metavar="FIELD=VALUE",
        help="Articles whose FIELD (source, author, tag, title, url) is VALUE, ignoring "
        "case (repeatable: any value of one field, every field; 'source=': no source).",
    )(f)
    f = click.option("--until", metavar="DATE", help="With --query: published on or before DATE.")(
        f
    )
    f = click.option("--since", metavar="DATE", help="With --query: published on or after DATE.")(f)
    f = click.option(
        "--query",
        metavar="QUERY",
        help="The articles this search finds, exactly as written (no fuzzy rescue).",
    )(f)
    return click.argument("ids", nargs=-1, type=ARTICLE_ID)(f)


def on_terminal() -> bool:
    """Whether a person is at the keyboard (the delete confirmation asks only then)."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def _where(items: tuple[str, ...]) -> dict[str, list[str]]:
    from archive.curation import parse_where

    return parse_where(items)


def _require_choice(ids: tuple[int, ...], query: str | None, where: tuple[str, ...]) -> None:
    if not ids and query is None and not where:
        raise click.UsageError("choose the articles: give ids, --query or --where")


@click.command()
@choosing
@click.option("--title", help="New title.")
@click.option("--author", help="New author.")
@click.option("--source", help="New source (publisher).")
@click.option("--url", help="New URL (one article only; no other article may have it).")
@click.option("--published", metavar="DATE", help="New publication date, e.g. 2025-09-03.")
@click.option("--add-tag", "add_tags", multiple=True, metavar="TAG", help="Add a tag (repeatable).")
@click.option(
    "--remove-tag", "remove_tags", multiple=True, metavar="TAG", help="Remove a tag (repeatable)."
)
@click.option("--set-tags", metavar="TAGS", help="Replace the tags: a comma-separated list.")
@click.option(
    "--clear",
    "clear",
    multiple=True,
    type=click.Choice(["title", "author", "source", "url", "published", "tags"]),
    help="Remove a field's value (repeatable).",
)
@click.option("--dry-run", is_flag=True, help="List what would change; write nothing.")
@TEXT_OR_JSON
@click.pass_obj
def edit(
    state: Any,  # cli.State (not imported: cli imports this module)
    ids: tuple[int, ...],
    query: str | None,
    since: str | None,
    until: str | None,
    where: tuple[str, ...],
    title: str | None,
    author: str | None,
    source: str | None,
    url: str | None,
    published: str | None,
    add_tags: tuple[str, ...],
    remove_tags: tuple[str, ...],
    set_tags: str | None,
    clear: tuple[str, ...],
    dry_run: bool,
    fmt: str,
) -> None:
    """Correct the metadata of one article, or of many at once.

    Choose articles by id, by a search (--query, with --since/--until) or by
    a field's value (--where); all given must hold. The database and the index
    change together, all the articles or none. Each old value is kept (see
    'archive show ID --revisions'), and a field set here is not overwritten by
    the metadata of a later ingest (only by the ingest command line's).

    \b
    Example:
        archive edit 4 --title 'Kate Henshaw new photos' --add-tag nollywood
        archive edit --query 'source:"BBC"' --source 'BBC News' --dry-run
        archive edit --where tag=ukriane --remove-tag ukriane --add-tag ukraine
    """
    from archive import render
    from archive.curation import Changes

    _require_choice(ids, query, where)
    changes = Changes(
        title=title,
        author=author,
        source=source,
        url=url,
        published=published,
        add_tags=add_tags,
        remove_tags=remove_tags,
        set_tags=None if set_tags is None else tuple(t for t in set_tags.split(",")),
        clear=frozenset(clear),
    )
    report = state.archive().edit(
        ids,
        changes,
        query=query,
        since=since,
        until=until,
        where=_where(where),
        dry_run=dry_run,
    )
    if fmt == "json":
        click.echo(render.json_text(report.to_json()))
    elif not report.selected:
        click.echo("nothing to change: no article matches")
    else:
        click.echo(render.edit_report(report))


@click.command()
@choosing
@click.option("--dry-run", is_flag=True, help="List what would be deleted; delete nothing.")
@click.option("-y", "--yes", is_flag=True, help=f"Do not ask, even for over {CONFIRM_OVER}.")
@TEXT_OR_JSON
@click.pass_obj
def delete(
    state: Any,  # cli.State (not imported: cli imports this module)
    ids: tuple[int, ...],
    query: str | None,
    since: str | None,
    until: str | None,
    where: tuple[str, ...],
    dry_run: bool,
    yes: bool,
    fmt: str,
) -> None:
    """Delete articles and their notes from the database and the index, naming each.

    Choose them as for 'archive edit'. If any id is unknown, nothing is
    deleted. On a terminal, deleting more than five articles asks first
    (--yes does not ask).

    \b
    Example:
        archive delete 3 7
        archive delete --query 'source:"Daily Rumour"' --dry-run
        archive delete --where source=Spam --yes
    """
    from archive import render

    _require_choice(ids, query, where)
    archive = state.archive()
    chosen: dict[str, Any] = dict(query=query, since=since, until=until, where=_where(where))
    ask = not dry_run and not yes and on_terminal()
    if ask:
        preview = archive.remove(ids, **chosen, dry_run=True)
        if len(preview.deleted) > CONFIRM_OVER:
            click.echo(render.delete_report(preview, asking=True))
            notes = preview.notes_deleted
            also = f" (and their {notes} {render.plural(notes, 'note')})" if notes else ""
            click.confirm(f"delete these {len(preview.deleted)} articles{also}?", abort=True)
            ids, chosen = tuple(preview.ids), {}
    report = archive.remove(ids, **chosen, dry_run=dry_run)
    if fmt == "json":
        click.echo(render.json_text(report.to_json()))
    elif not report.deleted:
        click.echo("nothing to delete: no article matches")
    else:
        click.echo(render.delete_report(report))


@click.command()
@click.argument("article_id", type=ARTICLE_ID, required=False)
@click.argument("text", required=False)
@click.option("--quote", metavar="PASSAGE", help="Anchor the note to this exact passage.")
@click.option("--delete", "delete_id", type=NOTE_ID, metavar="NOTE_ID", help="Delete this note.")
@TEXT_OR_JSON
@click.pass_obj
def note(
    state: Any,
    article_id: int | None,
    text: str | None,
    quote: str | None,
    delete_id: int | None,
    fmt: str,
) -> None:
    """Add a note to article ARTICLE_ID, or delete one (--delete NOTE_ID).

    Notes are searched with the text (and with note:WORD alone), shown by
    'archive show', listed by 'archive notes', and kept by export and import.
    With --quote the note is anchored to that passage of the article's text
    (it must be there, once); if an update of the text removes the passage,
    the note is kept and flagged.

    \b
    Example:
        archive note 1 'Compare with the Reuters piece on the same summit'
        archive note 1 --quote 'reassurance force' 'Who would lead it?'
        archive note --delete 3
    """
    from archive import render

    if delete_id is not None:
        if article_id is not None or text is not None or quote is not None:
            raise click.UsageError("--delete takes only the note's id")
        gone = state.archive().delete_note(delete_id)
        if fmt == "json":
            click.echo(render.json_text({"deleted": gone.to_json()}))
        else:
            click.echo(f"deleted note {gone.id} on article {gone.article_id}")
        return
    if article_id is None or text is None:
        raise click.UsageError("give an article id and the note's text (or --delete NOTE_ID)")
    added = state.archive().add_note(article_id, text, quote=quote)
    if fmt == "json":
        click.echo(render.json_text(added.to_json()))
    else:
        click.echo("\n".join(["added " + line for line in render.note_lines([added])][:1]))


@click.command()
@click.option("--query", metavar="QUERY", help="Only notes on the articles this search finds.")
@click.option(
    "--article", "article_id", type=ARTICLE_ID, metavar="ID", help="Only this article's notes."
)
@TEXT_OR_JSON
@click.pass_obj
def notes(state: Any, query: str | None, article_id: int | None, fmt: str) -> None:
    """List notes, oldest first, each with its article.

    \b
    Example:
        archive notes
        archive notes --query 'note:lead'
        archive notes --article 1 --format json
    """
    from archive import render

    reader = state.reader()
    found = reader.notes(article_id=article_id, query=query)
    if fmt == "json":
        click.echo(render.json_text([n.to_json() for n in found]))
    else:
        click.echo(render.notes_list(found))
