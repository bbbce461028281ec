"""The ``archive`` commands that move a whole archive: ``export`` and ``import``.

Like :mod:`cli`, they only parse options, make one library call
(:mod:`archive.transfer`, :mod:`archive.merging`) and print what comes back.
:mod:`cli` adds them to its group; the archive comes from the group's state
object (``state``: a ``cli.State``, not imported, as cli imports this module).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click


@click.command()
@click.argument(
    "file",
    required=False,
    default="-",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
)
@click.pass_obj
def export(state: Any, file: Path) -> None:
    """Write the whole archive as JSON Lines (a backup).

    One line per article with every field, its tags, notes, metadata changes,
    revisions and kept page, then one per link waiting and per feed followed
    (with its state), to FILE or (default '-') standard output. 'archive import' restores it, ids
    included, into an empty archive on this or another machine.
    A file is written whole or not at all, readable by you only.

    \b
    Example:
        archive export backup.jsonl
        archive export | gzip > backup.jsonl.gz
    """
    from archive import transfer
    from archive.errors import ReadOnlyHome
    from archive.terminal import for_terminal

    try:
        archive = state.archive()
    except ReadOnlyHome:  # a home one may read but not write: export reads it as it is
        from cli_terminal import progress_for

        archive = transfer.ReadOnlyArchive(state.home, progress_for(state.quiet))
        click.get_current_context().call_on_close(archive.close)
    others: dict[str, int] = {}
    if str(file) == "-":
        count = transfer.export(archive, sys.stdout, others)
    else:
        count = transfer.export_file(archive, file, others)
    where = "" if str(file) == "-" else f" to {for_terminal(str(file), line=True)}"
    what = counted(count, others)
    click.echo(f"exported {what}{where}", err=str(file) == "-")


def counted(articles: int, others: dict[str, int]) -> str:
    """``3 articles``, with ``, 1 link, 2 feeds`` when an export holds links or feeds."""
    from archive.render import plural

    parts = [f"{articles} {plural(articles, 'article')}"]
    parts += [f"{n} {plural(n, k[:-1])}" for k, n in sorted(others.items(), reverse=True) if n]
    return ", ".join(parts)


@click.command(name="import")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@click.option(
    "--merge",
    is_flag=True,
    help="Bring the export into an archive that holds articles, by ingest's rules.",
)
@click.pass_obj
def import_(state: Any, file: Path, merge: bool) -> None:
    """Restore a backup made by 'archive export' into an empty archive.

    FILE is the export (or '-' for standard input). Every article comes back
    with its id, fields, tags, revisions and kept page, and is indexed; links
    waiting and feeds followed come back with their state. A line that is not
    a valid article (a duplicate, a value out of range) is reported with its
    line number and skipped, the rest imported, and the exit status is 1.
    With --merge, the archive may hold articles: each exported article is
    added, updated or left unchanged as ingest would (new ids; notes,
    revisions, pages, links and feeds stay behind, and are counted).

    \b
    Example:
        archive --home ~/new-archive import backup.jsonl
        gunzip -c backup.jsonl.gz | archive import -
        archive import --merge laptop.jsonl
    """
    from archive import transfer

    if merge:
        from cli_terminal import merge_import

        merge_import(state.archive(), file)
        return
    from archive.render import message_line, plural

    archive = state.archive()
    failed = 0

    def told(error: transfer.ImportError_) -> None:
        nonlocal failed
        failed += 1
        archive.progress.write(message_line("error", str(error)), sys.stderr)

    others: dict[str, int] = {}
    count = transfer.import_file(archive, file, others, on_error=told)
    skipped = (
        f", {failed} {plural(failed, 'line')} skipped (see the errors above)" if failed else ""
    )
    click.echo(f"imported {counted(count, others)}{skipped}")
    if failed:
        sys.exit(1)


@click.command()
@click.option(
    "--to",
    "to",
    required=True,
    metavar="URL|DIR",
    help="An empty PostgreSQL database (postgresql://user@host/db), or a new directory "
    "to become a SQLite archive home.",
)
@click.pass_obj
def migrate(state: Any, to: str) -> None:
    """Copy the archive's database, ids and all, into an empty database elsewhere.

    Every table is copied in one transaction, then verified: each table read back
    row for row, and the two archives' full exports compared. This archive is
    only read. Each machine then builds its own index from the new database at
    its first use (archive --home DIR --db URL ...).

    \b
    Example:
        archive migrate --to postgresql://me@dbhost/archive
        archive --home ~/team --db postgresql://me@dbhost/archive migrate --to ~/laptop
    """
    from archive.migrating import migrate as copy_archive
    from archive.render import plural
    from archive.terminal import for_terminal

    report = copy_archive(state.archive(), to)
    others = sum(n for name, n in report.rows.items() if name != "articles")
    click.echo(
        f"copied {report.articles} {plural(report.articles, 'article')} and {others} "
        f"other {plural(others, 'row')} ({len(report.rows)} tables) to "
        f"{for_terminal(report.target, line=True)}; verified: every table read back "
        f"the same, and both exports identical ({report.verified} "
        f"{plural(report.verified, 'article')})"
    )
