"""Saving by URL: real saved pages served by a local server (127.0.0.1 only), and every
way a fetch can fail, each ending with the URL, a reason, and nothing else lost."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from archive import Archive
from archive.pages import read_page
from archive.web import Fetcher
from cli import cli
from tests._webserver import Server, serving

CANONICAL = (
    "https://fivethirtyeight.com/features/could-manchin-actually-leave-the-democratic-party/"
)


@pytest.mark.slow
def test_a_url_is_fetched_and_ingested_with_its_final_and_canonical_urls(
    web: Server, archive_home: Path, runner: CliRunner
) -> None:
    url = web.url("/redirect/2/page/webpage.html")
    result = runner.invoke(cli, ["ingest", url, "--tag", "later"])
    assert result.exit_code == 0, result.output
    assert "1 added" in result.output
    with Archive.open(archive_home) as a:
        [art] = a.list(limit=5)
        got = a.get(art.id)
    assert "Long story short," in got.body
    assert got.url == CANONICAL
    assert got.extra is not None
    assert got.extra["final_url"] == web.url("/page/webpage.html")
    assert got.extra["canonical_url"] == CANONICAL
    assert got.tags == ["later"]
    assert got.origin == url
    # the page is kept, byte for byte
    page = read_page(archive_home / "archive.sqlite3", got.id)
    assert page == (Path(web.files["page"]) / "webpage.html").read_bytes()
    # an honest User-Agent naming the tool, and compressed bodies asked for
    headers = web.requests[-1][1]
    assert headers["User-Agent"].startswith("article-archive/")
    assert "br" in headers["Accept-Encoding"]


def test_the_same_page_again_is_unchanged_and_another_address_of_it_too(
    web: Server, archive_home: Path
) -> None:
    with Archive.open(archive_home) as a:
        first = a.ingest_urls([web.url("/page/webpage.html")])
        again = a.ingest_urls([web.url("/gzip/page/webpage.html")])
    assert first.count("added") == 1
    assert again.count("unchanged") == 1 and again.failed == 0


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
def test_compressed_pages_are_decoded(web: Server, archive_home: Path, encoding: str) -> None:
    with Archive.open(archive_home) as a:
        report = a.ingest_urls([web.url(f"/{encoding}/udhr/eng.html")])
        assert report.count("added") == 1, report.failures
        [art] = a.list(limit=1)
        assert "Universal Declaration of Human Rights" in a.get(art.id).title


#: path on the local server -> what the failure message must say
FAILURES = {
    "/status/404": "HTTP 404",
    "/status/500": "HTTP 500",
    "/status/304": "HTTP 304",
    "/loop": "too many redirects",
    "/redirect/9/page/webpage.html": "too many redirects",
    "/pdf": "PDF is not supported yet",
    "/image": "not a web page (content type image/png)",
    "/as/application--rss+xml/page/webpage.html": "archive feed add",
    "/huge": "too large",
    "/huge-declared": "too large (476.8 MB",
    "/drop": "the connection broke",
    "/slow/3/page/webpage.html": "timed out",
    "/page/utf8.html": "not an article",
    "/page/missing.html": "HTTP 404",
}


@pytest.mark.slow
def test_every_failure_names_the_url_and_the_reason_and_the_rest_is_kept(
    web: Server, archive_home: Path
) -> None:
    good = web.url("/udhr/fra.html")
    urls = [web.url(p) for p in FAILURES] + [good]
    started = time.monotonic()
    with (
        Fetcher(max_bytes=2_000_000, total_timeout=1.0, workers=8) as fetcher,
        Archive.open(archive_home) as a,
    ):
        report = a.ingest_urls(urls, fetcher=fetcher)
        assert a.count() == 1
    assert time.monotonic() - started < 20
    assert report.count("added") == 1
    by_origin = {o.origin: o.message or "" for o in report.failures}
    assert set(by_origin) == set(urls) - {good}
    for path, reason in FAILURES.items():
        message = by_origin[web.url(path)]
        assert message.startswith(web.url(path) + ": "), message
        assert reason in message, (path, message)


def test_a_host_that_does_not_resolve_is_reported_and_no_other_address_is_contacted(
    net_guard: Any, archive_home: Path
) -> None:
    with Archive.open(archive_home) as a:
        report = a.ingest_urls(["https://news.example.invalid/story"])
    [failure] = report.failures
    assert failure.message == "https://news.example.invalid/story: host not found (DNS)"
    assert net_guard.blocked == ["lookup news.example.invalid"]
    net_guard.blocked.clear()


def test_a_refused_connection_is_reported(net_guard: Any, archive_home: Path) -> None:
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with Archive.open(archive_home) as a:
        report = a.ingest_urls([f"http://127.0.0.1:{port}/x"])
    assert report.failures[0].message == f"http://127.0.0.1:{port}/x: connection refused"


def test_a_page_in_another_encoding_than_its_server_says_is_kept_with_a_warning(
    web: Server, archive_home: Path
) -> None:
    with Archive.open(archive_home) as a:
        report = a.ingest_urls([web.url("/badenc/page/webpage.html")])
        [outcome] = report.outcomes
        assert outcome.status == "added", outcome
        assert "not valid utf-8 as the server says" in (outcome.message or "")
        body = a.get(outcome.article_id or 0).body
    assert "Long story short," in body
    assert "\ufffd" not in body


@pytest.mark.slow
def test_one_request_at_a_time_per_site_but_sites_in_parallel(
    net_guard: Any, archive_home: Path, udhr_pages: Path
) -> None:
    names = sorted(p.name for p in udhr_pages.glob("*.html"))[:6]
    with (
        serving({"udhr": udhr_pages}, delay=0.3) as one,
        serving({"udhr": udhr_pages}, delay=0.3) as two,
    ):
        urls = [s.url(f"/udhr/{n}") for n in names[:3] for s in (one, two)]
        started = time.monotonic()
        with Fetcher(workers=8) as f:
            got = dict(f.get_many(urls))
        elapsed = time.monotonic() - started
    assert len(got) == 6 and all(not isinstance(r, Exception) for r in got.values()), got
    assert one.most_in_flight == 1 and two.most_in_flight == 1
    assert elapsed < 6 * 0.3  # the two sites were asked at the same time


@pytest.mark.slow
def test_ingest_mixes_urls_files_and_a_url_list_and_exits_1_when_one_failed(
    web: Server, archive_home: Path, runner: CliRunner, tmp_path: Path, sample_text: str
) -> None:
    listed = tmp_path / "urls.txt"
    listed.write_text(
        f"# to read\n{web.url('/udhr/deu_1996.html')}\n\nnot-a-url\n{web.url('/status/404')}\n"
    )
    story = tmp_path / "story.txt"
    story.write_text(sample_text)
    result = runner.invoke(
        cli, ["ingest", web.url("/udhr/spa.html"), str(story), "--urls", str(listed)]
    )
    assert result.exit_code == 1, result.output
    assert f"{listed}:4: not a web address: 'not-a-url'" in result.output
    assert f"{web.url('/status/404')}: HTTP 404 Not Found" in result.output
    assert "3 added" in result.output and "2 failed" in result.output


def test_no_keep_html_keeps_no_page(web: Server, archive_home: Path, runner: CliRunner) -> None:
    result = runner.invoke(cli, ["ingest", "--no-keep-html", web.url("/udhr/rus.html")])
    assert result.exit_code == 0, result.output
    with sqlite3.connect(archive_home / "archive.sqlite3") as conn:
        assert conn.execute("SELECT count(*) FROM pages").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM articles").fetchone() == (1,)


def test_ingest_page_takes_html_given_by_the_caller(
    archive_home: Path, trafilatura_pages: Path
) -> None:
    html = (trafilatura_pages / "webpage.html").read_bytes()
    with Archive.open(archive_home) as a:
        report = a.ingest_page("https://example.org/saved", html)
        [outcome] = report.outcomes
        art = a.get(outcome.article_id or 0)
        bad = a.ingest_page("file:///etc/passwd", html)
    assert (
        art.url == CANONICAL and art.extra and art.extra["final_url"] == "https://example.org/saved"
    )
    assert bad.failures[0].message == "file:///etc/passwd: not a web address (http:// or https://)"


def test_ingest_json_output_is_not_broken_by_urls(web: Server, archive_home: Path) -> None:
    # the library report holds one outcome per URL, in a form the web server can serve
    with Archive.open(archive_home) as a:
        report = a.ingest_urls([web.url("/udhr/eng.html"), web.url("/status/500")])
    data = [(o.status, o.origin) for o in report.outcomes]
    assert sorted(data) == sorted(
        [("added", web.url("/udhr/eng.html")), ("failed", web.url("/status/500"))]
    )
    json.dumps(data)


def test_a_dry_run_fetches_but_writes_nothing(
    web: Server, archive_home: Path, runner: CliRunner
) -> None:
    result = runner.invoke(cli, ["ingest", "--dry-run", web.url("/udhr/kor.html")])
    assert result.exit_code == 0, result.output
    assert "would add: " in result.output
    assert "dry run, nothing written: 1 added" in result.output
    with sqlite3.connect(archive_home / "archive.sqlite3") as conn:
        assert conn.execute("SELECT count(*) FROM articles").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM pages").fetchone() == (0,)
