"""Bad inputs: each is reported with its path (and line), the rest is ingested, exit status 1."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from tests.conftest import SAMPLE


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _articles(home: Path) -> int:
    return (
        sqlite3.connect(home / "archive.sqlite3")
        .execute("SELECT count(*) FROM articles")
        .fetchone()[0]
    )


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda d, pages: d / "gone.txt", "no such file"),
        (lambda d, pages: Path("/proc/self/mem"), "cannot be read"),
        (lambda d, pages: _write(d / "e.md", b""), "empty input, nothing to ingest"),
        (lambda d, pages: _write(d / "e.html", b"  \n"), "empty input, nothing to ingest"),
        (
            lambda d, pages: _write(d / "pic.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
            "binary data",
        ),
        (
            lambda d, pages: _write(d / "garbled.md", bytes(range(0x80, 0x100)) * 4),
            "not UTF-8 (byte 0x80 at offset 0) and no other character set fits it",
        ),
        (lambda d, pages: pages / "utf8.html", "no article text found in the HTML page"),
        (lambda d, pages: _write(d / "a.json", b'{"title": "x",'), "invalid JSON"),
        (lambda d, pages: _write(d / "b.json", b'{"title": "no body"}'), "no article text"),
        (lambda d, pages: _write(d / "c.json", b"[]"), "empty JSON array"),
        (
            lambda d, pages: _write(d / "d.json", b'"just a string"'),
            "expected a JSON object or array",
        ),
    ],
    ids=[
        "missing",
        "unreadable",
        "empty",
        "blank-html",
        "binary",
        "undecodable",
        "html-no-article",
        "invalid-json",
        "json-no-body",
        "json-empty-array",
        "json-not-object",
    ],
)
def test_bad_input_is_reported_and_the_rest_ingested(
    make,
    reason: str,
    tmp_path: Path,
    trafilatura_pages: Path,
    runner: CliRunner,
    archive_home: Path,
) -> None:
    bad = make(tmp_path, trafilatura_pages)
    result = runner.invoke(cli, ["ingest", str(bad), str(SAMPLE)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {bad.absolute()}: ")
    assert reason in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert "Traceback" not in result.output
    assert result.stdout.splitlines()[-1].startswith(
        "1 added, 0 updated, 0 unchanged, 1 failed in "
    )
    assert _articles(archive_home) == 1


def test_invalid_jsonl_lines_are_reported_by_number(tmp_path: Path, runner: CliRunner) -> None:
    f = tmp_path / "export.jsonl"
    f.write_text(
        '{"title": "one", "body": "First."}\n'
        "\n"
        '{"title": "two", "body": "Second."\n'
        '["not", "an", "object"]\n'
        '{"title": "no text"}\n'
        '{"title": "five", "body": "Fifth."}\n',
        encoding="utf-8",
    )
    result = runner.invoke(cli, ["ingest", str(f)])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: {f}:3: invalid JSON: Expecting ',' delimiter (column 35)",
        f"error: {f}:4: expected a JSON object, found an array",
        f"error: {f}:5: no article text (expected a body, text or content key)",
    ]
    assert result.stdout.splitlines()[-1].startswith("2 added, 0 updated, 0 unchanged, 3 failed")


def test_size_limit_and_max_size(tmp_path: Path, runner: CliRunner, archive_home: Path) -> None:
    big = tmp_path / "long.txt"
    big.write_text("Long read\n\n" + "word " * 30_000, encoding="utf-8")  # about 150 kB
    result = runner.invoke(cli, ["ingest", str(big), "--max-size", "100K"])
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {big}: file is 150,011 bytes, over the 102,400-byte limit (see --max-size)\n"
    )
    result = runner.invoke(cli, ["ingest", str(big), "--max-size", "1M"])
    assert result.exit_code == 0 and "1 added" in result.stdout


def test_jsonl_size_limit_is_per_line(tmp_path: Path, runner: CliRunner) -> None:
    f = tmp_path / "feed.jsonl"
    long_line = json.dumps({"title": "huge", "body": "x " * 5000})
    f.write_text(
        '{"title": "small", "body": "Fits."}\n'
        + long_line
        + "\n"
        + '{"title": "s2", "body": "Also."}\n',
        encoding="utf-8",
    )
    result = runner.invoke(cli, ["ingest", str(f), "--max-size", "1K"])
    assert result.exit_code == 1
    assert (
        result.stderr
        == f"error: {f}:2: line is {len(long_line) + 1:,} bytes, over the 1,024-byte limit\n"
    )
    assert result.stdout.splitlines()[-1].startswith("2 added, 0 updated, 0 unchanged, 1 failed")


@pytest.mark.parametrize("size", ["ten", "0", "-5M", "12Q"])
def test_bad_max_size_is_a_usage_error(size: str, runner: CliRunner) -> None:
    result = runner.invoke(cli, ["ingest", str(SAMPLE), "--max-size", size])
    assert result.exit_code == 2
    assert "--max-size" in result.stderr


def test_dry_run_reports_and_writes_nothing(
    tmp_path: Path, runner: CliRunner, archive_home: Path
) -> None:
    assert runner.invoke(cli, ["ingest", str(SAMPLE), "--url", "https://e.org/s"]).exit_code == 0
    db = archive_home / "archive.sqlite3"
    index_files = sorted(p.name for p in (archive_home / "index").iterdir())
    f = tmp_path / "feed.jsonl"
    f.write_text(
        json.dumps({"title": "New", "body": "A new article."})
        + "\n"
        + json.dumps({"title": "New", "body": "A new article."})
        + "\n"
        + json.dumps({"title": "Changed", "body": "Changed text.", "url": "https://E.org/s/"})
        + "\n"
        + "{oops\n",
        encoding="utf-8",
    )
    result = runner.invoke(cli, ["ingest", str(f), str(SAMPLE), "--dry-run"])
    assert result.exit_code == 1
    assert result.stdout.splitlines()[:4] == [
        "would add: New",
        f"unchanged: New (same text as {f}:1, earlier in this run)",
        "would update 1: Changed (changed: text, title, url)",
        f"unchanged: {SAMPLE} (file not changed since it was ingested; not read)",
    ]
    assert result.stdout.splitlines()[-1].startswith(
        "dry run, nothing written: 1 added, 1 updated, 2 unchanged, 1 failed "
        "(1 unchanged file not read) in "
    )
    assert (
        result.stderr == f"error: {f}:4: invalid JSON: "
        "Expecting property name enclosed in double quotes (column 2)\n"
    )
    con = sqlite3.connect(db)
    assert con.execute("SELECT count(*), max(title) FROM articles").fetchone()[0] == 1
    assert con.execute("SELECT count(*) FROM revisions").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM source_files").fetchone()[0] == 1  # SAMPLE's only
    assert sorted(p.name for p in (archive_home / "index").iterdir()) == index_files
    # And the real run does what the dry run said.
    real = runner.invoke(cli, ["ingest", str(f), str(SAMPLE)])
    assert real.stdout.splitlines()[-1].startswith("1 added, 1 updated, 2 unchanged, 1 failed")


def test_utf8_cut_inside_its_last_character_keeps_the_text() -> None:
    from archive.ingest import decode

    text = "Zürich talks on the reassurance force: défense"
    truncated = (text + "é").encode("utf-8")[:-1]  # cut inside the two bytes of "é"
    assert decode(truncated, "cut.txt") == text


@pytest.mark.slow
def test_feed_files_are_refused_with_what_to_do_instead(
    feed_files: Path, publisher_feeds: Path, archive_home: Path, runner: CliRunner, tmp_path: Path
) -> None:
    # An Atom file became one article titled with an entry's summary; an RSS file failed
    # with "no article text found in the HTML page".
    feeds = [
        publisher_feeds / "heise.atom",
        publisher_feeds / "guardian.rss",  # 151 kB: detected from its first 8 kB
        feed_files / "trafilatura" / "feed1.atom",
        feed_files / "trafilatura" / "feed2.rss",
        feed_files / "feedparser" / "wellformed" / "rdf" / "rss090_item_title.xml",
    ]
    opml = _write(
        tmp_path / "subscriptions.opml",
        b'<?xml version="1.0"?><opml version="2.0"><head><title>mine</title></head>'
        b'<body><outline type="rss" text="x" xmlUrl="https://example.org/rss.xml"/></body></opml>',
    )
    article = SAMPLE
    result = runner.invoke(cli, ["ingest", *map(str, [*feeds, opml, article])])
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert errors == [
        f"error: {feeds[0]}: an Atom feed, not an article: "
        "follow it with 'archive feed add URL' (its address)",
        f"error: {feeds[1]}: an RSS feed, not an article: "
        "follow it with 'archive feed add URL' (its address)",
        f"error: {feeds[2]}: an Atom feed, not an article: "
        "follow it with 'archive feed add URL' (its address)",
        f"error: {feeds[3]}: an RSS feed, not an article: "
        "follow it with 'archive feed add URL' (its address)",
        f"error: {feeds[4]}: an RSS feed, not an article: "
        "follow it with 'archive feed add URL' (its address)",
        f"error: {opml}: an OPML list of feeds, not an article: "
        "follow them with 'archive feed import FILE'",
    ]
    assert "1 added, 0 updated, 0 unchanged, 6 failed" in result.output
    assert _articles(archive_home) == 1
    # Read as the format named with --format, a feed is what it is told it is.
    forced = runner.invoke(cli, ["ingest", "--format", "text", str(feeds[3])])
    assert forced.exit_code == 0, forced.output
