"""The ``archive serve`` command: a local web page and JSON API over the archive.

Like :mod:`cli`, it only parses options, makes one library call
(:class:`web.Server`) and prints what it says. :mod:`cli` adds it to its group.
"""

from __future__ import annotations

from typing import Any

import click


@click.command()
@click.option(
    "--port",
    default=8080,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on (0: any free port).",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; anything but loopback needs a token.",
)
@click.option(
    "--token",
    envvar="ARCHIVE_SERVE_TOKEN",
    metavar="TOKEN",
    help="Access token every request must carry (generated for a non-loopback --host).",
)
@click.option("--read-only", is_flag=True, help="Serve search and reading only: no changes.")
@click.option("--open", "open_browser", is_flag=True, help="Open the page in a web browser.")
@click.pass_obj
def serve(
    state: Any, port: int, host: str, token: str | None, read_only: bool, open_browser: bool
) -> None:
    """Serve the archive as a web page and a JSON API (/api/) on this machine.

    The search page takes the same queries as 'archive search' and shows the
    same highlighted passages, facets and notices; each article has a reading
    page (notes, tags and title editable there), and the Add page saves pasted
    text or a page sent by its bookmarklet. The server sees what a CLI ingest
    commits, at the latest on the next request. See docs/serve.md.

    \b
    Example:
        archive serve --open
        archive serve --port 9000 --read-only
        archive serve --host 0.0.0.0          # prints a token; warns
    """
    from web.server import Server

    server = Server(state.home, host=host, port=port, token=token, read_only=read_only)
    server.prepare()
    for line in server.lines:
        click.echo(line, err=line.startswith("warning:"))
    if open_browser:
        import webbrowser

        webbrowser.open(server.address)
    server.run()
