"""Parameter types the command-line modules share: every number range-checked.

A value past what the archive can hold (an id over 64 bits, a size in yottabytes)
is Click's one-line usage error, never a traceback from deeper down.
"""

from __future__ import annotations

from typing import Any

import click

#: The largest id SQLite can hold (a signed 64-bit integer).
MAX_ID = 2**63 - 1


class IdParam(click.IntRange):
    """A positive id SQLite can hold; a value that is no number at all is said to be no
    id of that *kind* (``'abc' is not an article id``), not Click's "integer range"."""

    def __init__(self, kind: str) -> None:
        super().__init__(1, MAX_ID)
        self.kind = kind

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        if isinstance(value, str):
            try:
                int(value)
            except ValueError:
                self.fail(f"{value!r} is not {self.kind} (a whole number, 1 or more)", param, ctx)
        return super().convert(value, param, ctx)


#: An article id on the command line.
ARTICLE_ID = IdParam("an article id")
#: A note id on the command line.
NOTE_ID = IdParam("a note id")


class SizeParam(click.ParamType):  # type: ignore[type-arg]
    name = "SIZE"

    def convert(self, value: Any, param: Any, ctx: Any) -> int:
        from archive.ingest import parse_size

        if isinstance(value, int):
            return value
        try:
            return parse_size(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


#: ``--format text|json``, the option of every command that prints a record or a list.
TEXT_OR_JSON = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format.",
)

#: ``--db``'s help (cli.py's group).
DB_HELP = (
    "A PostgreSQL database (postgresql://user@host/db) the home follows, shared by several "
    "machines. Default: $ARCHIVE_DATABASE_URL, else the config file's 'database', else the "
    "one the home follows, else its own SQLite file."
)


def echo_notices(notices: tuple[str, ...] | list[str]) -> None:
    """Each notice on stderr, as ``note: ...`` (terminal-safe)."""
    from archive.render import message_line

    for notice in notices:
        click.echo(message_line("note", notice), err=True)
