"""Following feeds: real feeds (trafilatura's example feeds, feedparser's own test feeds,
broken ones among them) served by the local server, conditional GET, OPML, cron output."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from archive import Archive
from cli import cli
from tests._webserver import Server, serving


@pytest.fixture
def site(
    net_guard: Any, feed_files: Path, udhr_pages: Path, trafilatura_pages: Path, tmp_path: Path
) -> Iterator[Server]:
    """The local server with the feeds under ``/feeds/``. trafilatura's RSS example has its
    item's link pointed at a real page this server has (the UDHR in English)."""
    folder = tmp_path / "feeds"
    folder.mkdir()
    with serving({"feeds": folder, "udhr": udhr_pages, "page": trafilatura_pages}) as server:
        rss = (feed_files / "trafilatura" / "feed2.rss").read_text(encoding="utf-8")
        (folder / "example.rss").write_text(
            rss.replace("http://www.example.com/blog/post/1", server.url("/udhr/eng.html"))
        )
        for path in (feed_files / "feedparser").rglob("*.xml"):
            (folder / path.name).write_bytes(path.read_bytes())
        yield server


@pytest.mark.slow
def test_add_update_then_nothing_new_is_quiet(
    site: Server, archive_home: Path, runner: CliRunner
) -> None:
    url = site.url("/feeds/example.rss")
    added = runner.invoke(cli, ["feed", "add", url, "--tag", "rights"])
    assert added.exit_code == 0, added.output
    assert added.output == f"following 1: RSS Title <{url}> [rights] - never checked\n"

    first = runner.invoke(cli, ["feed", "update", "--all"])
    assert first.exit_code == 0, first.output
    assert first.output == (
        "feeds: 1 feed checked, 0 not modified, 1 new article (RSS Title: 1), 0 feeds failed\n"
    )
    with Archive.open(archive_home) as a:
        [art] = a.list(limit=5)
        article = a.get(art.id)
    # The entry held only a summary: its page was fetched and extracted.
    assert "Universal Declaration of Human Rights" in article.title
    assert article.tags == ["rights"]
    assert article.extra and article.extra["guid"] == "7bd204c6-1655-4c27-aeee-53f933c5395f"
    assert article.published == "2009-09-06T16:20:00+00:00"

    # Nothing new: a conditional GET answered 304, and not a word printed (cron).
    second = runner.invoke(cli, ["feed", "update", "--all"])
    assert second.exit_code == 0 and second.output == ""
    feed_requests = [h for p, h in site.requests if p == "/feeds/example.rss"]
    assert len(feed_requests) == 3  # add, first update, second update
    assert feed_requests[-1].get("If-None-Match", "").startswith('"')
    listed = runner.invoke(cli, ["feed", "list"]).output
    assert ": not modified" in listed and "1 feed followed" in listed
    assert site.count("/udhr/eng.html") == 1


@pytest.mark.slow
def test_an_entry_already_taken_is_not_taken_again_even_without_conditional_get(
    site: Server, archive_home: Path, runner: CliRunner
) -> None:
    url = site.url("/feeds/example.rss")
    runner.invoke(cli, ["feed", "add", url])
    runner.invoke(cli, ["feed", "update", "--all"])
    with sqlite3.connect(archive_home / "archive.sqlite3") as conn:
        conn.execute("UPDATE feeds SET etag = NULL, modified = NULL")
    again = runner.invoke(cli, ["feed", "update", "1"])
    assert again.exit_code == 0 and again.output == ""
    assert site.count("/udhr/eng.html") == 1


@pytest.mark.slow
def test_feeds_feedparser_tolerates_and_an_entry_that_fails(
    site: Server, archive_home: Path, runner: CliRunner, net_guard: Any
) -> None:
    # An entry whose own text is the article (Atom content, RSS content:encoded).
    for name in ("entry_content_text_plain.xml", "item_content_encoded.xml"):
        assert runner.invoke(cli, ["feed", "add", site.url(f"/feeds/{name}")]).exit_code == 0
    # Ill-formed XML that feedparser still reads (bozo): a feed with no entries.
    assert runner.invoke(cli, ["feed", "add", site.url("/feeds/aaa_illformed.xml")]).exit_code == 0
    result = runner.invoke(cli, ["feed", "update", "--all"])
    assert result.exit_code == 0, result.output
    assert "3 feeds checked" in result.output and "2 new articles" in result.output
    with Archive.open(archive_home) as a:
        bodies = sorted(a.get(x.id).body for x in a.list(limit=5))
    assert bodies == ["Example Atom", "Example content"]  # HTML turned into text

    # A broken feed whose entry links to a host that does not resolve: reported, exit 1,
    # and kept as a link waiting to be fetched (nothing lost if the entry leaves the
    # feed), so the next update does not fail on it again: 'archive fetch' retries it.
    broken = site.url("/feeds/rss_item_link_corrupted_ampersands.xml")
    assert runner.invoke(cli, ["feed", "add", broken]).exit_code == 0
    failed = runner.invoke(cli, ["feed", "update", broken])
    assert failed.exit_code == 1
    assert "error: http://link/get?a=1&b=2: host not found (DNS)" in failed.output
    assert "1 entry failed (1 kept as a link waiting to be fetched: archive fetch)" in (
        failed.output
    )
    again = runner.invoke(cli, ["feed", "update", broken])
    assert again.exit_code == 0 and again.output == ""
    waiting = runner.invoke(cli, ["fetch", "--list"]).output
    assert "<http://link/get?a=1&b=2> (failed 1 time: host not found (DNS))" in waiting
    assert net_guard.blocked == ["lookup link"]
    net_guard.blocked.clear()


def test_what_is_not_a_feed_is_refused_and_nothing_is_stored(
    site: Server, archive_home: Path, runner: CliRunner
) -> None:
    page = site.url("/page/webpage.html")
    result = runner.invoke(cli, ["feed", "add", page])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {page}: not an RSS or Atom feed")
    gone = site.url("/feeds/none.xml")
    result = runner.invoke(cli, ["feed", "add", gone])
    assert result.output == f"Error: {gone}: HTTP 404 Not Found\n"
    assert "0 feeds followed" in runner.invoke(cli, ["feed", "list"]).output
    result = runner.invoke(cli, ["feed", "update", "nothing-like-it"])
    assert result.exit_code == 1
    assert "no feed 'nothing-like-it'" in result.output


def test_a_feed_that_fails_on_update_is_reported_and_the_others_kept(
    site: Server, archive_home: Path, runner: CliRunner, feed_files: Path
) -> None:
    runner.invoke(cli, ["feed", "add", site.url("/feeds/example.rss")])
    runner.invoke(cli, ["feed", "add", site.url("/feeds/item_content_encoded.xml")])
    with sqlite3.connect(archive_home / "archive.sqlite3") as conn:
        conn.execute("UPDATE feeds SET url = ? WHERE id = 2", (site.url("/status/500"),))
    result = runner.invoke(cli, ["feed", "update", "--all"])
    assert result.exit_code == 1
    assert f"error: feed {site.url('/status/500')}: HTTP 500" in result.output
    assert "1 new article" in result.output and "1 feed failed" in result.output
    data = json.loads(runner.invoke(cli, ["feed", "list", "--format", "json"]).output)
    assert [f["status"] for f in data] == ["ok", "failed"]


def test_opml_export_and_import(
    site: Server, archive_home: Path, runner: CliRunner, tmp_path: Path
) -> None:
    url = site.url("/feeds/example.rss")
    runner.invoke(cli, ["feed", "add", url, "--tag", "a&b"])
    exported = runner.invoke(cli, ["feed", "export"]).output
    assert f'xmlUrl="{url}"' in exported and 'category="a&amp;b"' in exported
    opml = tmp_path / "feeds.opml"
    opml.write_text(exported)
    other = tmp_path / "other-home"
    result = runner.invoke(cli, ["--home", str(other), "feed", "import", str(opml)])
    assert result.exit_code == 0, result.output
    assert result.output == f"following 1 new feed from {opml}\n"
    again = runner.invoke(cli, ["--home", str(other), "feed", "import", str(opml)])
    assert again.output == f"following 0 new feeds from {opml}; 1 followed already\n"
    bad = tmp_path / "feeds.xml"
    bad.write_text("<rss version='2.0'><channel/></rss>")
    result = runner.invoke(cli, ["feed", "import", str(bad)])
    assert result.exit_code == 1
    assert result.output == f"Error: {bad}: not an OPML file (its root is <rss>)\n"
    removed = runner.invoke(cli, ["feed", "remove", "RSS Title"])
    assert removed.output.startswith("no longer following 1: RSS Title")


def test_opml_outlines_not_followed_are_said_with_why(
    archive_home: Path, runner: CliRunner, tmp_path: Path
) -> None:
    # Three outlines (file://, 'not a url', https) printed only "following 1 new feed".
    opml = tmp_path / "subscriptions.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head><title>mine</title></head><body>'
        '<outline text="News">'
        '<outline type="rss" text="local" xmlUrl="file:///tmp/feed.xml"/>'
        '<outline type="rss" text="bad" xmlUrl="not a url"/>'
        '<outline type="rss" text="good" xmlUrl="https://example.org/rss.xml"/>'
        '<outline type="rss" text="again" xmlUrl="https://example.org/rss.xml"/>'
        '<outline type="link" text="A plain link"/>'
        "</outline></body></opml>",
        encoding="utf-8",
    )
    result = runner.invoke(cli, ["feed", "import", str(opml)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"following 1 new feed from {opml}; 4 outlines skipped:",
        "skipped 'file:///tmp/feed.xml': not an http or https address",
        "skipped 'not a url': not an http or https address",
        "skipped 'https://example.org/rss.xml': listed twice",
        "skipped 'A plain link': no feed address (xmlUrl)",
    ]
    again = runner.invoke(cli, ["feed", "import", str(opml), "--format", "json"])
    assert again.exit_code == 0, again.output
    done = json.loads(again.output)
    assert done["added"] == [] and done["followed_already"] == 1
    assert [s["reason"] for s in done["skipped"]] == [
        "not an http or https address",
        "not an http or https address",
        "listed twice",
        "no feed address (xmlUrl)",
    ]
    assert done["skipped"][1]["outline"] == "not a url"
    none = tmp_path / "none.opml"
    none.write_text(
        '<opml version="2.0"><body><outline text="x" xmlUrl="ftp://example.org/f"/></body></opml>'
    )
    refused = runner.invoke(cli, ["feed", "import", str(none)])
    assert refused.exit_code == 1
    assert refused.output == (
        f"Error: {none}: the OPML file lists no feeds it can follow "
        "(1 skipped: 'ftp://example.org/f': not an http or https address)\n"
    )


# --- Real publishers' feeds (The Guardian, heise, UOL), their article pages out of reach ---


@pytest.fixture
def publishers(net_guard: Any, publisher_feeds: Path, tmp_path: Path) -> Iterator[Server]:
    """The local server with real publishers' feeds under ``/feeds/``, every address in them
    moved onto this server under ``/gone/HOST/...`` (so nothing else is ever contacted):
    their article pages are not there (404), like pages a publisher has taken down."""
    import re

    folder = tmp_path / "publishers"
    folder.mkdir()
    with serving({"feeds": folder}) as server:
        gone = server.url("/gone/").encode()
        for name in ("guardian.rss", "heise.atom", "uolNoticias.rss"):
            data = (publisher_feeds / name).read_bytes()
            (folder / name).write_bytes(re.sub(rb"https?://", gone, data))
        yield server


@pytest.mark.slow
def test_real_publishers_feeds_are_followed_and_pages_out_of_reach_are_reported(
    publishers: Server, archive_home: Path, runner: CliRunner
) -> None:
    names = {
        "guardian.rss": "The Guardian",
        "heise.atom": "heise developer neueste Meldungen",  # Atom
        "uolNoticias.rss": "UOL Noticias",  # Latin-1 bytes, no declaration (bozo)
    }
    for number, (file, title) in enumerate(names.items(), 1):
        url = publishers.url(f"/feeds/{file}")
        added = runner.invoke(cli, ["feed", "add", url, "--tag", "news"])
        assert added.exit_code == 0, added.output
        assert added.output == f"following {number}: {title} <{url}> [news] - never checked\n"

    first = runner.invoke(cli, ["feed", "update", "--all"])
    assert first.exit_code == 1  # pages that failed
    lines = first.output.splitlines()
    # The Guardian's items that carry 500 characters of text or more are taken from
    # the feed itself; the others (and every heise and UOL entry: a summary only)
    # need their page, which is not there: one line each, with the URL and reason.
    assert lines[-1] == (
        "feeds: 3 feeds checked, 0 not modified, 30 new articles (The Guardian: 30), "
        "0 feeds failed, 55 entries failed (55 kept as links waiting to be fetched: "
        "archive fetch)"
    )
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 55
    assert all(line.endswith(": HTTP 404 Not Found") for line in errors)
    gone = publishers.url("/gone/")
    heise = (
        f"{gone}www.heise.de/developer/meldung/"
        "Java-Anwendungsserver-Red-Hat-gibt-WildFly-10-frei-3088438.html"
        "?wt_mc=rss.developer.beitrag.atom"
    )
    uol = (
        f"{gone}noticias.uol.com.br/politica/eleicoes/2018/noticias/2018/09/24/"
        "ibope-bolsonaro-perde-de-haddad-ciro-e-alckmin-em-simulacoes-de-2-turno.htm"
    )
    assert f"error: {heise}: HTTP 404 Not Found" in errors
    assert f"error: {uol}: HTTP 404 Not Found" in errors

    with Archive.open(archive_home) as a:
        articles = [a.get(x.id) for x in a.list(limit=100)]
    assert len(articles) == 30
    assert {x.source for x in articles} == {"The Guardian"}
    assert all(x.tags == ["news"] and x.published.startswith("2018-01-3") for x in articles)
    sotu = next(x for x in articles if x.title.startswith("So, how did conservatives"))
    assert (sotu.published, sotu.author) == ("2018-01-31T15:46:36+00:00", "Jason Wilson")
    assert "<" not in sotu.body and len(sotu.body) >= 500  # the HTML description as text

    # The entries whose page failed wait as links, with their title, tags and reason:
    # nothing is lost when they leave the feed, and the next update (a conditional GET
    # answered 304) is quiet. 'archive fetch' tries them again.
    waiting = runner.invoke(cli, ["fetch", "--list"]).output.splitlines()
    assert waiting[-1] == "55 links waiting to be fetched"
    java = "Java-Anwendungsserver: Red Hat gibt WildFly 10 frei"
    assert any(
        line.endswith(f": {java} <{heise}> [news] (failed 1 time: HTTP 404 Not Found)")
        for line in waiting
    )
    # UOL's Latin-1 bytes, read as feedparser guessed (windows-1252):
    ibope = "Ibope: Bolsonaro perde de Haddad, Ciro e Alckmin em simulações de 2º turno"
    assert any(f": {ibope} <{uol}> [news]" in line for line in waiting)
    again = runner.invoke(cli, ["feed", "update", "--all"])
    assert again.exit_code == 0 and again.output == ""
    retried = runner.invoke(cli, ["fetch"])
    assert retried.exit_code == 1
    assert retried.output.splitlines()[-1].startswith("0 added, 0 updated, 0 unchanged, 55 failed")
    with Archive.open(archive_home) as a:
        assert len(a.list(limit=100)) == 30
    assert publishers.count("/gone/www.heise.de/developer/meldung/Java-Anwendungsserver") == 2


@pytest.mark.slow
def test_feed_update_shows_progress_on_a_terminal_only(
    site: Server, tmp_path: Path, runner: CliRunner
) -> None:
    import subprocess
    import sys

    import pexpect

    from tests._safety import subprocess_env
    from tests.test_terminal import _spawn

    url = site.url("/feeds/example.rss")
    homes = [tmp_path / "on-a-terminal", tmp_path / "piped"]
    for home in homes:
        assert runner.invoke(cli, ["--home", str(home), "feed", "add", url]).exit_code == 0
    env = subprocess_env(ARCHIVE_PROGRESS_DELAY="0")
    child = _spawn(["--home", str(homes[0]), "feed", "update", "--all"], env)
    child.expect(r"checking feeds: .*[01]/1 ")
    # (its "1/1" is drawn only if tqdm's refresh interval passed before the entry was in)
    child.expect(r"taking new entries: .*[01]/1 ")
    child.expect("committing the index")
    child.expect(r"feeds: 1 feed checked, 0 not modified, 1 new article")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    # Piped (a cron job): the same work, no bar, only the report.
    piped = subprocess.run(
        [sys.executable, "-m", "cli", "--home", str(homes[1]), "feed", "update", "--all"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert piped.returncode == 0 and piped.stderr == "", piped.stderr
    assert piped.stdout == (
        "feeds: 1 feed checked, 0 not modified, 1 new article (RSS Title: 1), 0 feeds failed\n"
    )


def test_shell_completion_of_feed_names(site: Server, runner: CliRunner) -> None:
    from tests.test_terminal import _complete

    urls = [site.url(f"/feeds/{n}") for n in ("example.rss",)]
    for url in urls:
        assert runner.invoke(cli, ["feed", "add", url]).exit_code == 0
    assert _complete(runner, "archive feed update ") == ["plain,1"]
    assert _complete(runner, "archive feed remove 2") == []
    zsh = _complete(runner, "archive feed update ", "zsh")
    assert zsh == ["plain", "1", f"RSS Title <{urls[0]}>"[:60]]
    # after --all or another name too (update takes several)
    assert _complete(runner, "archive feed update 1 ") == ["plain,1"]
