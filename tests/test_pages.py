"""Kept pages: a saved or fetched page's HTML kept compressed with its article, given back
by ``show --format html``, counted by ``stats``, and re-extracted without the network."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive import Archive
from cli import cli


def db(home: Path) -> sqlite3.Connection:
    return sqlite3.connect(home / "archive.sqlite3")


def test_a_saved_page_is_kept_and_given_back_byte_for_byte(
    archive_home: Path, runner: CliRunner, trafilatura_pages: Path, tmp_path: Path
) -> None:
    page = tmp_path / "manchin.html"
    shutil.copy(trafilatura_pages / "webpage.html", page)
    assert runner.invoke(cli, ["ingest", str(page)]).exit_code == 0
    result = runner.invoke(cli, ["show", "1", "--format", "html"])
    assert result.exit_code == 0
    assert result.stdout_bytes == page.read_bytes()
    with db(archive_home) as conn:
        stored, size = conn.execute("SELECT length(html), size FROM pages").fetchone()
    assert size == page.stat().st_size and stored < size / 3  # compressed
    stats = json.loads(runner.invoke(cli, ["stats", "--format", "json"]).output)
    assert stats["pages"] == 1 and stats["pages_bytes"] == stored
    text = runner.invoke(cli, ["stats"]).output
    assert f"kept pages: 1 page, {stored / 1024:,.0f} KiB compressed" in text


def test_an_article_without_a_page_says_so(sample_home: Path, runner: CliRunner) -> None:
    result = runner.invoke(cli, ["show", "1", "--format", "html"])
    assert result.exit_code == 1
    assert "article 1 has no page kept" in result.output
    assert "Traceback" not in result.output
    result = runner.invoke(cli, ["reextract", "1"])
    assert result.exit_code == 1
    assert "error: article 1: no page kept" in result.output


def test_no_keep_html_for_a_saved_file(
    archive_home: Path, runner: CliRunner, trafilatura_pages: Path
) -> None:
    result = runner.invoke(
        cli, ["ingest", "--no-keep-html", str(trafilatura_pages / "webpage.html")]
    )
    assert result.exit_code == 0
    with db(archive_home) as conn:
        assert conn.execute("SELECT count(*) FROM pages").fetchone() == (0,)


def test_reextract_restores_the_extraction_from_the_kept_page(
    archive_home: Path, runner: CliRunner, trafilatura_pages: Path
) -> None:
    assert runner.invoke(cli, ["ingest", str(trafilatura_pages / "webpage.html")]).exit_code == 0
    with Archive.open(archive_home) as a:
        real = a.get(1).body
    # An older extractor's text, written behind the tool's back: a cut-down body.
    old = real.split("\n")[0]
    with db(archive_home) as conn:
        conn.execute(
            "UPDATE articles SET body = ?, content_hash = ? WHERE id = 1",
            (old, hashlib.sha256(old.encode()).hexdigest()),
        )
    result = runner.invoke(cli, ["reextract", "--all"])
    assert result.exit_code == 0, result.output
    assert "updated 1:" in result.output and "changed: text" in result.output
    assert "0 added, 1 updated, 0 unchanged, 0 failed" in result.output
    with Archive.open(archive_home) as a:
        assert a.get(1).body == real
        [revision] = a.revisions(1)
        assert revision.body == old
        assert a.search('"Long story short"').total == 1
    # Again: nothing to change.
    again = runner.invoke(cli, ["reextract", "1"])
    assert "0 updated, 1 unchanged" in again.output


def test_deleting_an_article_deletes_its_page(
    archive_home: Path, runner: CliRunner, trafilatura_pages: Path
) -> None:
    runner.invoke(cli, ["ingest", str(trafilatura_pages / "webpage.html")])
    assert runner.invoke(cli, ["delete", "1"]).exit_code == 0
    with db(archive_home) as conn:
        assert conn.execute("SELECT count(*) FROM pages").fetchone() == (0,)


@pytest.mark.slow
def test_show_html_is_not_written_to_a_terminal(
    archive_home: Path, runner: CliRunner, trafilatura_pages: Path, tmp_path: Path
) -> None:
    """The kept page is raw HTML from the web (any bytes): to a terminal it is refused with
    how to save it; to a pipe or a file it is written byte for byte."""
    import sys

    import pexpect

    from tests._safety import subprocess_env
    from tests.conftest import ROOT

    page = tmp_path / "manchin.html"
    shutil.copy(trafilatura_pages / "webpage.html", page)
    assert runner.invoke(cli, ["ingest", str(page)]).exit_code == 0
    env = subprocess_env(ARCHIVE_HOME=str(archive_home), TERM="xterm")
    child = pexpect.spawn(
        sys.executable,
        ["-m", "cli", "show", "1", "--format", "html"],
        cwd=str(ROOT),
        env=env,
        dimensions=(24, 200),
        encoding="utf-8",
        timeout=60,
    )
    out = child.read()
    child.close()
    assert child.exitstatus == 1
    size = page.stat().st_size
    assert out.replace("\r\n", "\n") == (
        f"Error: article 1: its kept page ({size:,} bytes of HTML) is not written to a "
        "terminal; save it to a file: archive show 1 --format html > page.html\n"
    )
    import subprocess

    piped = subprocess.run(
        [sys.executable, "-m", "cli", "show", "1", "--format", "html"],
        cwd=str(ROOT),
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert piped.returncode == 0 and piped.stdout == page.read_bytes()


def test_a_page_left_with_only_its_menu_is_not_stored_as_an_article(
    archive_home: Path, runner: CliRunner, trafilatura_pages: Path, tmp_path: Path
) -> None:
    """FiveThirtyEight's page (trafilatura's test page) with its body reduced to its own
    ``<nav>``, as a section front or a consent wall leaves it: the extractor's fallback
    would keep the menu's words ("Politics", "Sports"...) as the article's text."""
    import lxml.html

    from archive.ingest.html import extract

    root = lxml.html.document_fromstring((trafilatura_pages / "webpage.html").read_bytes())
    body = root.find("body")
    assert body is not None
    [nav] = list(root.iter("nav"))
    for child in list(body):
        body.remove(child)
    body.append(nav)
    page = tmp_path / "menu.html"
    page.write_bytes(lxml.html.tostring(root))
    kept = extract(page.read_bytes())
    assert kept and kept["text"].split("\n")[:3] == ["Politics", "Sports", "Science"]

    result = runner.invoke(cli, ["ingest", str(page)])
    assert result.exit_code == 1
    assert (
        f"error: {page}: no article text found in the HTML page (only a menu or navigation "
        "links)" in result.output
    )
    assert "0 added" in result.output
    with Archive.open(archive_home) as a:
        assert a.count() == 0
