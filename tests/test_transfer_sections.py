"""Export format 2: kept pages, links waiting to be fetched and followed feeds (with their
state) go through ``export`` and ``import`` unchanged; older exports still import.

Real material: trafilatura's saved page (kept with its article), the UDHR pages and
trafilatura's example RSS feed served by the local server (127.0.0.1 only)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from archive import Archive
from archive.transfer import export_lines
from cli import cli
from tests._webserver import Server, serving


@pytest.fixture
def grown(
    net_guard: Any,
    trafilatura_pages: Path,
    udhr_pages: Path,
    feed_files: Path,
    tmp_path: Path,
    runner: CliRunner,
) -> Iterator[tuple[Server, Path]]:
    """An archive (returned with the server) holding a page saved by URL (kept), a link
    waiting (a Pocket CSV row), and a feed followed and updated once."""
    folder = tmp_path / "feeds"
    folder.mkdir()
    home = tmp_path / "first"
    with serving({"page": trafilatura_pages, "udhr": udhr_pages, "feeds": folder}) as server:
        rss = (feed_files / "trafilatura" / "feed2.rss").read_text(encoding="utf-8")
        (folder / "example.rss").write_text(
            rss.replace("http://www.example.com/blog/post/1", server.url("/udhr/eng.html"))
        )
        pocket = tmp_path / "pocket.csv"
        pocket.write_text(
            "title,url,time_added,tags,status\n"
            f"Déclaration universelle,{server.url('/udhr/fra.html')},1700000100,droits,unread\n",
            encoding="utf-8",
        )
        h = ["--home", str(home)]
        for args in (
            ["ingest", server.url("/page/webpage.html")],
            ["ingest", str(pocket)],
            ["feed", "add", server.url("/feeds/example.rss"), "--tag", "rights"],
            ["feed", "update", "--all"],
        ):
            result = runner.invoke(cli, [*h, *args])
            assert result.exit_code == 0, (args, result.output)
        yield server, home


@pytest.mark.slow
def test_pages_links_and_feeds_survive_export_and_import(
    grown: tuple[Server, Path], tmp_path: Path, runner: CliRunner
) -> None:
    server, first = grown
    backup = tmp_path / "backup.jsonl"
    result = runner.invoke(cli, ["--home", str(first), "export", str(backup)])
    assert result.exit_code == 0, result.output
    assert result.output == f"exported 2 articles, 1 link, 1 feed to {backup}\n"
    lines = [json.loads(x) for x in backup.read_text(encoding="utf-8").splitlines()]
    assert [x.get("_kind") for x in lines] == [None, None, "link", "feed"]
    assert lines[0]["pages"][0]["origin"] == server.url("/page/webpage.html")
    feed = lines[3]
    assert feed["format"] == 2 and feed["etag"] and feed["tags"] == ["rights"]
    assert [e["guid"] for e in feed["entries"]] == ["7bd204c6-1655-4c27-aeee-53f933c5395f"]

    second = tmp_path / "second"
    result = runner.invoke(cli, ["--home", str(second), "import", str(backup)])
    assert result.exit_code == 0, result.output
    assert result.output == "imported 2 articles, 1 link, 1 feed\n"
    with Archive.open(first) as a, Archive.open(second) as b:
        assert list(export_lines(b)) == list(export_lines(a))

    h = ["--home", str(second)]
    # The kept page comes back byte for byte.
    page = runner.invoke(cli, [*h, "show", "1", "--format", "html"])
    assert page.stdout_bytes == (server.files["page"] / "webpage.html").read_bytes()
    # The link still waits, with its tag and date.
    waiting = runner.invoke(cli, [*h, "fetch", "--list"])
    assert "Déclaration universelle" in waiting.output and "1 link" in waiting.output
    # The feed's state came along: its next update is a conditional GET answered 304,
    # and the entry already taken is not taken again.
    asked = server.count("/feeds/example.rss")
    update = runner.invoke(cli, [*h, "feed", "update", "--all"])
    assert update.exit_code == 0 and update.output == ""
    assert server.count("/feeds/example.rss") == asked + 1
    assert server.requests[-1][1].get("If-None-Match", "").startswith('"')


@pytest.mark.slow
def test_merge_counts_what_it_leaves_behind_and_a_newer_format_is_refused(
    grown: tuple[Server, Path], tmp_path: Path, runner: CliRunner, sample_home: Path
) -> None:
    _, first = grown
    backup = tmp_path / "backup.jsonl"
    assert runner.invoke(cli, ["--home", str(first), "export", str(backup)]).exit_code == 0
    merged = runner.invoke(cli, ["--home", str(sample_home), "import", "--merge", str(backup)])
    assert merged.exit_code == 0, merged.output
    assert merged.stderr == (f"note: not merged (kept in {backup} only): 2 pages, 1 link, 1 feed\n")

    lines = backup.read_text(encoding="utf-8").splitlines()
    newer = json.loads(lines[3]) | {"format": 3}
    bad = tmp_path / "newer.jsonl"
    bad.write_text("\n".join([*lines[:3], json.dumps(newer)]) + "\n", encoding="utf-8")
    result = runner.invoke(cli, ["--home", str(tmp_path / "third"), "import", str(bad)])
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == (
        f"error: {bad}, line 4: a 'feed' line of export format 3, which this version does "
        "not know (it reads formats 1 to 2; was the file made by a newer version of the "
        "tool?)"
    )
    with Archive.open(tmp_path / "third") as third:
        assert third.count() == 2  # the articles; the feed line alone stays behind


@pytest.mark.slow
@pytest.mark.parametrize(
    ("line", "change", "reason"),
    [
        (0, {"pages": [{"html": "not base64!"}]}, "line 1, pages: 'html' is not valid base64"),
        (
            0,
            {"pages": [{"html": "aGVsbG8="}]},  # "hello", not compressed
            "line 1, pages: 'html' is not a page compressed as the archive keeps it",
        ),
        (2, {"url": "ftp://example.invalid/x"}, "line 3: not a web address"),
        (3, {"entries": "all of them"}, "line 4: 'entries' should be a list"),
        (3, {"_kind": "folder"}, "line 4: a 'folder' line of export format 2"),
    ],
)
def test_a_bad_page_link_or_feed_line_is_named_and_the_rest_is_imported(
    grown: tuple[Server, Path],
    tmp_path: Path,
    runner: CliRunner,
    line: int,
    change: dict[str, Any],
    reason: str,
) -> None:
    _, first = grown
    backup = tmp_path / "backup.jsonl"
    assert runner.invoke(cli, ["--home", str(first), "export", str(backup)]).exit_code == 0
    lines = [json.loads(x) for x in backup.read_text(encoding="utf-8").splitlines()]
    if "pages" in change:
        change = {"pages": [lines[line]["pages"][0] | change["pages"][0]]}
    lines[line] |= change
    bad = tmp_path / "bad.jsonl"
    bad.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    target = tmp_path / "target"
    result = runner.invoke(cli, ["--home", str(target), "import", str(bad)])
    assert result.exit_code == 1
    assert result.output.startswith(f"error: {bad}, {reason}"), result.output
    assert "1 line skipped" in result.output.splitlines()[-1]

    def counts(home: Path) -> list[int]:
        out = runner.invoke(cli, ["--home", str(home), "stats", "--format", "json"]).output
        return [json.loads(out)[k] for k in ("articles", "pages", "links", "feeds")]

    # The bad line alone stays behind (an article line takes its kept page with it).
    kind = lines[line].get("_kind", "article")
    lost = {"article": [1, 1, 0, 0], "link": [0, 0, 1, 0]}.get(kind, [0, 0, 0, 1])
    assert counts(target) == [n - d for n, d in zip(counts(first), lost, strict=True)]
