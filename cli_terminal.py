"""The ``archive`` command line at a terminal: global options, settings, pager, progress.

- :func:`global_options` gives every command ``--home``, ``--no-pager`` and
  ``--quiet`` after its name (``archive search foo --home DIR``);
- :func:`config_defaults` turns the config file's settings into Click defaults;
- :func:`emit` prints a command's text: on a terminal wrapped to its width and,
  when longer than the screen, through the pager; piped, exactly as rendered;
- :func:`progress_for` is the progress reporter for the library's long jobs;
- :func:`terminal_safe` makes everything printed to a terminal unable to drive it;
- ``archive config`` shows each setting in force and where it comes from.

Like :mod:`cli`, no behaviour lives here: settings are :mod:`archive.config`,
layout :mod:`archive.wrapping`, progress :mod:`archive.progress`.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import click.shell_completion

from archive.errors import ArchiveError
from cli_params import TEXT_OR_JSON

if TYPE_CHECKING:
    from archive.errors import BadOptionValue
    from archive.progress import Progress


def _state(ctx: click.Context) -> Any:
    return ctx.find_root().obj  # cli.State (not imported: cli imports this module)


def _set_home(ctx: click.Context, param: click.Parameter, value: Path | None) -> None:
    if value is None:
        return
    ctx.meta["archive.home"] = value.expanduser()  # for shell completion (no state then)
    if _state(ctx) is not None:
        _state(ctx).given_home = value.expanduser()


def _set_no_pager(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value and _state(ctx) is not None:
        _state(ctx).no_pager = True


def _set_quiet(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value and _state(ctx) is not None:
        _state(ctx).quiet = True


def global_options(cmd: click.Command) -> None:
    """Give *cmd* the global options, so that they may follow its name (those it has
    of its own, like ``ingest --quiet``, stay its own)."""
    _add_completion(cmd)
    names = {p.name for p in cmd.params}
    if "home" not in names:
        cmd.params.append(
            click.Option(
                ["--home"],
                type=click.Path(file_okay=False, path_type=Path),
                expose_value=False,
                callback=_set_home,
                help="Archive directory (as 'archive --home DIR ...').",
            )
        )
    if "no_pager" not in names:
        cmd.params.append(
            click.Option(
                ["--no-pager"],
                is_flag=True,
                expose_value=False,
                callback=_set_no_pager,
                help="Print straight to the terminal, without a pager.",
            )
        )
    if "quiet" not in names:
        cmd.params.append(
            click.Option(
                ["-q", "--quiet"],
                is_flag=True,
                expose_value=False,
                callback=_set_quiet,
                help="No progress bars or waiting messages.",
            )
        )


#: Which values shell completion offers for a parameter, by the parameter's name.
COMPLETED = {
    "article_id": "id",
    "ids": "id",
    "tags": "tag",
    "add_tags": "tag",
    "remove_tags": "tag",
    "source": "source",
    "author": "author",
}


def _values(kind: str, ctx: click.Context, incomplete: str) -> list[Any]:
    """The archive's values of *kind* starting with *incomplete*, for shell completion
    (see :meth:`archive.reading.Reader.completions`); none when there is no archive."""
    from archive.config import ConfigError, settings
    from archive.reading import Reader

    root = ctx.find_root()
    given = ctx.meta.get("archive.home") or root.params.get("home")
    try:
        home = Path(settings(home=given)["home"].value)
        found = Reader(home).completions(kind, incomplete)
    except (ConfigError, OSError, ArchiveError):
        return []
    return [click.shell_completion.CompletionItem(v, help=h[:60]) for v, h in found]


def completer(kind: str) -> Any:
    """A ``shell_complete=`` callback for a Click parameter offering the archive's
    values of *kind* (``id``, ``tag``, ``source``, ``author``, ``feed``)."""

    def complete(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
        return _values(kind, ctx, incomplete)

    return complete


def _add_completion(cmd: click.Command) -> None:
    """Complete ids, tags, sources and authors from the archive (bash, zsh, fish); feed
    names are completed by the feed commands themselves (cli_grow)."""
    for param in cmd.params:
        kind = COMPLETED.get(param.name or "")
        if kind is not None:
            param.shell_complete = partial(_values, kind)  # type: ignore[method-assign]


color_option = click.option(
    "--color",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Colour matched words (auto: on a terminal, unless NO_COLOR; the config file's "
    "'color' sets the default).",
)


class _SafeStream:
    """A text stream that writes through :func:`archive.terminal.for_output`; the rest
    (``isatty``, ``buffer``, ``encoding``, ``flush``) is the stream's own."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        from archive.terminal import for_output

        if not isinstance(text, str):  # Click probes with b"" for a binary stream
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        return self._stream.write(for_output(text))  # type: ignore[no-any-return]

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextmanager
def terminal_safe() -> Iterator[None]:
    """While a command runs: standard error, and standard output when it is a terminal,
    written through :func:`archive.terminal.for_output`, so that no file name, URL, query
    or message echoed back can drive the terminal, whichever line prints it.

    Output piped or redirected stays exact (``export -``, JSON, a kept page): it is data.
    """
    saved = sys.stdout, sys.stderr
    if not isinstance(sys.stderr, _SafeStream) and sys.stderr is not None:
        sys.stderr = _SafeStream(sys.stderr)
    if not isinstance(sys.stdout, _SafeStream) and sys.stdout is not None:
        with suppress(ValueError):  # a closed stdout: nothing will reach a terminal
            if sys.stdout.isatty():
                sys.stdout = _SafeStream(sys.stdout)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


def usage_error(ctx: click.Context, exc: BadOptionValue) -> click.BadParameter:
    """The library's :class:`~archive.errors.BadOptionValue` as the usage error it is
    (exit status 2), naming the option, with the usage of the command that was run."""
    from archive.terminal import for_terminal

    group = ctx.command
    name = ctx.invoked_subcommand
    cmd = group.get_command(ctx, name) if name and isinstance(group, click.Group) else None
    sub = click.Context(cmd, info_name=name, parent=ctx) if cmd else ctx
    message = for_terminal(str(exc), line=True)
    return click.BadParameter(message, sub, param_hint=f"'{exc.option}'")


def use_color(choice: str) -> bool:
    if choice == "always":
        return True
    if choice == "never":
        return False
    return "NO_COLOR" not in os.environ and sys.stdout.isatty()


def estimate_total(paths: tuple[Path, ...], globs: tuple[str, ...], fmt: str) -> int | None:
    """How many articles the inputs hold, roughly, when standard error shows a bar."""
    if not sys.stderr.isatty() or any(str(p) == "-" for p in paths):
        return None
    from archive.ingest import estimate

    return estimate(paths, globs, None if fmt == "auto" else fmt) or None


def merge_import(archive: Any, file: Path) -> None:
    """``import --merge``: merge, print the counts and what stayed behind; exit 1 on failures."""
    from archive.merging import merge_file
    from archive.render import plural

    report, left = merge_file(archive, file, sys.stdin, keep_outcomes=False)
    for failure in report.failures:
        click.echo(f"error: {failure.message}", err=True)
    click.echo(f"merged: {report.summary()}")
    behind = ", ".join(
        f"{n} {plural(n, k.rstrip('s').replace('_', ' '))}" for k, n in left.items() if n
    )
    if behind:
        click.echo(f"note: not merged (kept in {file} only): {behind}", err=True)
    if report.failed:
        sys.exit(1)


def write_page(article_id: int, page: bytes) -> None:
    """``show --format html``: the kept page, byte for byte, to a file or a pipe; never to a
    terminal, where its raw HTML (any bytes a web page holds) could drive the terminal."""
    if sys.stdout.isatty():
        raise click.ClickException(
            f"article {article_id}: its kept page ({len(page):,} bytes of HTML) is not "
            "written to a terminal; save it to a file: "
            f"archive show {article_id} --format html > page.html"
        )
    sys.stdout.buffer.write(page)
    sys.stdout.flush()


def config_defaults(ctx: click.Context, state: Any) -> dict[str, dict[str, Any]]:
    """Click's ``default_map`` from the settings: every ``--color``, ``search --limit``
    and ``ingest --jobs`` default to the config file's values."""
    settings = state.settings
    group = ctx.command
    assert isinstance(group, click.Group)
    defaults: dict[str, dict[str, Any]] = {}
    for name, cmd in group.commands.items():
        params = {p.name for p in cmd.params}
        mine: dict[str, Any] = {}
        if "color" in params:
            mine["color"] = settings["color"].value
        if "jobs" in params and settings["jobs"].value is not None:
            mine["jobs"] = settings["jobs"].value
        if name == "search":
            mine["limit"] = settings["limit"].value
        if mine:
            defaults[name] = mine
    return defaults


def progress_for(quiet: bool) -> Progress:
    """Bars on standard error when it is a terminal; nothing with ``--quiet``."""
    from archive.progress import Progress, TerminalProgress

    if quiet:
        return Progress()
    return TerminalProgress(sys.stderr, bars=sys.stderr.isatty())


@contextmanager
def _pager_env(command: str) -> Iterator[None]:
    """``$PAGER`` set to *command* while Click pages (restored after)."""
    saved = os.environ.get("PAGER")
    os.environ["PAGER"] = command
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("PAGER", None)
        else:
            os.environ["PAGER"] = saved


def emit(state: Any, text: str, color: bool = False) -> None:
    """Print *text*: on a terminal wrapped to its width and paged when longer than the
    screen (unless the pager is off); piped, exactly as given."""
    if not sys.stdout.isatty():
        click.echo(text, color=color)
        return
    from archive.terminal import for_output
    from archive.wrapping import wrap

    size = shutil.get_terminal_size()
    text = for_output(wrap(text, size.columns - 1))  # the pager writes to the terminal too
    pager = state.settings["pager"].value
    if pager and sys.stdin.isatty() and text.count("\n") + 1 >= size.lines:
        with _pager_env(pager):
            click.echo_via_pager(text + "\n", color=color)
        return
    click.echo(text, color=color)


@click.command(name="fields")
@TEXT_OR_JSON
@click.pass_context
def fields(ctx: click.Context, fmt: str) -> None:
    """List the extra fields articles have, searchable as FIELD:VALUE.

    Keys kept from JSON, front matter and page metadata that have no column of
    their own (places, topics, a site's categories): each with how many
    articles have it and its most common values. Search them as
    places:france or places:"new york" (lower case, other characters than
    letters written _).

    \b
    Example:
        archive fields
        archive search 'grain places:usa'
    """
    from archive import render

    found, notices = _state(ctx).reader().fields()
    for notice in notices:
        click.echo(f"note: {notice}", err=True)
    if fmt == "json":
        data = [
            {"key": f.key, "articles": f.articles, "values": [list(v) for v in f.values]}
            for f in found
        ]
        click.echo(render.json_text(data))
        return
    emit(_state(ctx), render.extra_fields(found))


@click.command(name="duplicates")
@click.option(
    "--merge",
    is_flag=True,
    help="Keep the oldest of each group, give it the others' tags, delete the others.",
)
@click.option(
    "--dry-run", is_flag=True, help="With --merge: say what would be merged; change nothing."
)
@TEXT_OR_JSON
@click.pass_context
def duplicates(ctx: click.Context, merge: bool, dry_run: bool, fmt: str) -> None:
    """List near-duplicate articles already in the archive; --merge merges them.

    Two articles are near-duplicates when at least 80% of their word
    sequences (five words, ignoring case, punctuation and spacing) are shared:
    the same story with a title line prepended, other wrapping or a footer.
    Ingest already takes a near-duplicate as the article it matches.

    \b
    Example:
        archive duplicates
        archive duplicates --merge --dry-run
    """
    from archive import render
    from archive.duplicates import find_duplicates

    if dry_run and not merge:
        raise click.UsageError("--dry-run goes with --merge")
    report = find_duplicates(_state(ctx).archive(), merge=merge, dry_run=dry_run)
    if fmt == "json":
        data = {
            "pairs": [p.to_json() for p in report.pairs],
            "deleted": report.deleted,
            "kept_for_notes": report.kept_for_notes,
            "dry_run": report.dry_run,
        }
        click.echo(render.json_text(data))
        return
    emit(_state(ctx), render.duplicates(report))


@click.command(name="config")
@TEXT_OR_JSON
@click.pass_context
def config(ctx: click.Context, fmt: str) -> None:
    """Show each setting in force and where it comes from.

    Settings come from the config file (TOML; $ARCHIVE_CONFIG, else
    config.toml in the platform's config directory), the environment
    ($ARCHIVE_HOME, $NO_COLOR, $PAGER) and the command line; later ones win.
    The file may set home, color, pager (a command, or false), limit and jobs.

    \b
    Example:
        archive config
        archive config --format json
    """
    from archive import render
    from archive.config import config_path

    settings = _state(ctx).settings
    path = config_path()
    if fmt == "json":
        data = {
            "config_file": str(path),
            "config_file_exists": path.is_file(),
            "settings": [s.to_json() for s in settings.values()],
        }
        click.echo(render.json_text(data))
        return
    click.echo(f"config file: {path}{'' if path.is_file() else ' (none there)'}")
    width = max(len(s.shown) for s in settings.values())
    names = max(len(s.name) for s in settings.values())
    for s in settings.values():
        click.echo(f"{s.name:<{names}} {s.shown:<{width}}  ({s.source})")
