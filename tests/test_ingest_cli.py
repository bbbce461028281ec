"""The ingest command's output: progress bar only on a terminal, quiet when piped or -q."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from tests.conftest import ROOT


def _feed(path: Path, n: int) -> Path:
    path.write_text(
        "".join(
            json.dumps({"title": f"T{i}", "body": f"Article text {i}."}) + "\n" for i in range(n)
        ),
        encoding="utf-8",
    )
    return path


def _on_a_terminal(args: list[str], home: Path) -> tuple[int, str]:
    """Run the CLI with stdout and stderr on a pseudo-terminal; return its status and screen."""
    main, sub = pty.openpty()
    # A real terminal has a size; tqdm draws nothing on one 0 columns wide.
    fcntl.ioctl(sub, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    env = {**os.environ, "ARCHIVE_HOME": str(home), "COLUMNS": "120"}
    proc = subprocess.Popen(
        [sys.executable, "-c", "import cli; cli.main()", *args],
        stdin=subprocess.DEVNULL,
        stdout=sub,
        stderr=sub,
        cwd=ROOT,
        env=env,
    )
    os.close(sub)
    chunks = []
    while True:
        try:
            data = os.read(main, 65536)
        except OSError:  # the other side closed
            break
        if not data:
            break
        chunks.append(data)
    os.close(main)
    return proc.wait(timeout=120), b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.slow
def test_progress_bar_on_a_terminal(tmp_path: Path, archive_home: Path) -> None:
    feed = _feed(tmp_path / "feed.jsonl", 1200)
    status, screen = _on_a_terminal(["ingest", str(feed)], archive_home)
    assert status == 0, screen
    # tqdm's bar: count of the estimated total, rate, time left; then the summary.
    assert "/1200 " in screen and "articles/s" in screen and "<" in screen
    assert "\r" in screen
    assert "1200 added, 0 updated, 0 unchanged, 0 failed in " in screen
    assert "added 1: T0" not in screen  # no line per article on a terminal (see -v)
    quiet_status, quiet = _on_a_terminal(["ingest", str(feed), "--quiet", "--force"], archive_home)
    assert quiet_status == 0
    assert "articles/s" not in quiet and "\r" not in quiet.replace("\r\n", "\n")
    assert "unchanged" not in quiet  # nothing changed: --quiet prints nothing


def test_piped_output_has_lines_and_no_bar(tmp_path: Path, runner: CliRunner) -> None:
    feed = _feed(tmp_path / "feed.jsonl", 3)
    result = runner.invoke(cli, ["ingest", str(feed)])
    assert result.exit_code == 0
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[:3] == ["added 1: T0", "added 2: T1", "added 3: T2"]
    assert lines[3].startswith("3 added, 0 updated, 0 unchanged, 0 failed in ")
    assert lines[3].endswith("s") and len(lines) == 4
    # --quiet: nothing when nothing changed (a cron job stays silent), else the summary alone.
    quiet = runner.invoke(cli, ["ingest", str(feed), "-q", "--force"])
    assert quiet.exit_code == 0 and quiet.output == ""
    more = _feed(tmp_path / "more.jsonl", 4)
    quiet = runner.invoke(cli, ["ingest", str(more), "-q"])
    assert quiet.stdout.splitlines() == [quiet.stdout.strip()]
    assert quiet.stdout.startswith("1 added, 0 updated, 3 unchanged, 0 failed in ")


@pytest.mark.parametrize(
    "args",
    [
        ["--url", "https://e.org/x", "{dir}"],
        ["--title", "One title", "{dir}/a.txt", "{dir}/b.txt"],
    ],
)
def test_url_and_title_need_a_single_file(tmp_path: Path, runner: CliRunner, args) -> None:
    (tmp_path / "a.txt").write_text("a\n", encoding="utf-8")
    (tmp_path / "b.txt").write_text("b\n", encoding="utf-8")
    result = runner.invoke(cli, ["ingest", *(a.format(dir=tmp_path) for a in args)])
    assert result.exit_code == 2
    assert "--url and --title name one article: give a single file" in result.stderr


def test_url_override_on_a_jsonl_file_fails_that_file(tmp_path: Path, runner: CliRunner) -> None:
    feed = _feed(tmp_path / "feed.jsonl", 2)
    result = runner.invoke(cli, ["ingest", str(feed), "--url", "https://e.org/x"])
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {feed}: --url and --title name one article; a JSON input holds many\n"
    )


def test_help_names_every_option(runner: CliRunner) -> None:
    text = runner.invoke(cli, ["ingest", "--help"]).stdout
    for option in ("--format", "--glob", "--max-size", "--dry-run", "--force", "--quiet"):
        assert option in text
    assert "--revisions" in runner.invoke(cli, ["show", "--help"]).stdout
