"""Parameter types the command-line modules share: every number range-checked.

A value past what the archive can hold (an id over 64 bits, a size in yottabytes)
is Click's one-line usage error, never a traceback from deeper down.
"""

from __future__ import annotations

from typing import Any

import click

#: The largest id SQLite can hold (a signed 64-bit integer).
MAX_ID = 2**63 - 1
#: An article or note id on the command line.
ARTICLE_ID = click.IntRange(1, MAX_ID)


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
