"""archive serve without a browser: pages, the JSON API, security, live reading (Starlette's
TestClient, in process). The browser tests are in test_web_browser.py."""

from __future__ import annotations

import html
import json
import re
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from archive import Archive, ArticleDraft
from cli import cli
from web import create_app
from web.security import CSP, Guard
from web.server import Server

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

BASE = "http://127.0.0.1:8080"
HOSTILE = ArticleDraft(
    title="Pwned <script>window.pwned=1</script> \u202egnp.exe",
    body=(
        'Hostile body <img src=x onerror="window.pwned=2"> with <script>window.pwned=3'
        '</script> zebra text and <a href="javascript:window.pwned=4">click</a>.\n\n'
        "A second paragraph about the zebra \u202eesrever\u202c."
    ),
    origin="hostile.txt",
    url="javascript:window.pwned=5",
    source='<b onmouseover="window.pwned=6">Evil</b>',
    tags=("<svg onload=window.pwned=7>",),
)


def client(home: Path, guard: Guard | None = None) -> TestClient:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return TestClient(create_app(home, guard=guard), base_url=BASE)


@pytest.fixture
def web(sample_home: Path) -> Iterator[TestClient]:
    with client(sample_home) as c:
        yield c


def marks(page: str) -> list[str]:
    return [html.unescape(m) for m in re.findall(r"<mark>([^<]*)</mark>", page)]


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert found, "no CSRF token in the page"
    return found.group(1)


def test_the_search_page_marks_the_passages_the_cli_highlights(web, runner, sample_home):
    page = web.get("/", params={"q": "deploy troops"})
    assert page.status_code == 200
    cli_json = json.loads(
        runner.invoke(
            cli, ["--home", str(sample_home), "search", "deploy troops", "--format", "json"]
        ).output
    )
    wanted = [
        p["text"][s:e] for h in cli_json["hits"] for p in h["passages"] for s, e in p["highlights"]
    ]
    assert marks(page.text) == wanted and "deploy" in wanted and "troops" in wanted
    assert "1 article matches &#39;deploy troops&#39; (showing 1–1)" in page.text
    assert page.headers["content-security-policy"] == CSP


def test_rescue_and_did_you_mean_are_worded_as_in_the_cli(web, runner, sample_home):
    result = runner.invoke(cli, ["--home", str(sample_home), "search", "jeopardyse"])
    heading = result.stdout.splitlines()[0]
    notice = result.stderr.strip()
    page = web.get("/", params={"q": "jeopardyse"}).text
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    assert heading in text and heading.startswith("No articles match 'jeopardyse'; 1 article")
    assert notice == "note: nothing matched as typed; showing matches for: jeopardise"
    assert notice in text and "spelling variant" in text
    assert 'Did you mean <a href="/?q=jeopardise">jeopardise</a>?' in page


def test_a_facet_link_narrows_the_search_and_the_address_keeps_every_state(web):
    page = web.get("/", params={"q": "troops", "sort": "newest", "since": "2025-01"}).text
    links = dict(re.findall(r'data-facet="(\w+)" href="([^"]+)"', page))
    assert set(links) == {"source", "tag", "year"}
    narrowed = html.unescape(links["source"])
    assert narrowed == "/?q=troops&source=Euronews&since=2025-01&sort=newest"
    followed = web.get(narrowed).text
    assert "Narrowed to:" in followed and "1 article matches" in followed
    assert 'value="2025-01"' in followed and '<option value="newest" selected>' in followed
    # a facet value that does not hold the article finds nothing
    none = web.get("/", params={"q": "troops", "source": "Reuters"}).text
    assert "No articles match &#39;troops source:&#34;Reuters&#34;&#39;." in none


def test_a_bad_query_is_the_cli_error_on_the_page_and_in_the_api(web, runner, sample_home):
    args = ["--since", "2025-06", "--until", "2025-01"]
    cli_error = runner.invoke(cli, ["--home", str(sample_home), "search", "troops", *args])
    message = cli_error.output.strip().removeprefix("Error: ")
    page = web.get("/", params={"q": "troops", "since": "2025-06", "until": "2025-01"})
    assert page.status_code == 400 and message in html.unescape(page.text)
    api = web.get("/api/search", params={"q": "troops", "since": "2025-06", "until": "2025-01"})
    assert (api.status_code, api.json()) == (400, {"error": message, "status": 400})
    assert web.get("/api/articles/42").json() == {
        "error": "no article with id 42 (see 'archive list')",
        "status": 404,
    }
    assert web.get("/api/search", params={"q": "x", "limit": "many"}).status_code == 400
    assert web.get("/api/nothing").json()["status"] == 404
    assert web.get("/api/ingest").json() == {
        "error": "/api/ingest does not take GET requests",
        "status": 405,
    }


@pytest.mark.parametrize(
    ("path", "command"),
    [
        (
            "/api/search?q=deploy+troops&facet=source",
            ["search", "deploy troops", "--facet", "source"],
        ),
        ("/api/articles/1", ["show", "1"]),
        ("/api/articles/1?revisions=1", ["show", "1", "--revisions"]),
        ("/api/articles", ["list"]),
        ("/api/articles/1/similar", ["similar", "1"]),
    ],
)
def test_the_api_answers_what_the_cli_prints_as_json(web, runner, sample_home, path, command):
    printed = runner.invoke(cli, ["--home", str(sample_home), *command, "--format", "json"])
    assert printed.exit_code == 0, printed.output
    assert web.get(path).json() == json.loads(printed.output)


def test_stats_in_the_api(web, sample_home):
    data = web.get("/api/stats").json()
    assert data["articles"] == 1 and data["home"] == str(sample_home)


def test_the_reading_page_marks_the_searched_words_and_shows_the_article(web):
    page = web.get("/article/1", params={"q": "deploy troops"}).text
    found = marks(page)
    # every form of the words, as search highlights them: "deployment" for "deploy"
    assert set(found) == {"troops", "deploy", "deployment"} and found.count("troops") >= 3
    assert "Euronews" in page and "2025-03-13" in page and "Notes (0)" in page
    assert web.get("/article/1").text.count("<mark>") == 0
    assert web.get("/article/9").status_code == 404


@pytest.mark.slow
def test_edit_and_notes_from_the_page_need_the_csrf_token(web, sample_home):
    page = web.get("/article/1").text
    token = csrf_of(page)
    form = {"title": "New title", "tags": "nato, europe", "source": "Euronews", "author": ""}
    refused = web.post("/article/1/edit", data=form)
    assert refused.status_code == 403
    assert web.post("/article/1/edit", data={**form, "csrf": "0" * 64}).status_code == 403
    done = web.post("/article/1/edit", data={**form, "csrf": token}, follow_redirects=False)
    assert (done.status_code, done.headers["location"]) == (303, "/article/1")
    with Archive.open(sample_home) as archive:
        article = archive.get(1)
        assert (article.title, article.tags) == ("New title", ["nato", "europe"])
        assert [c.field for c in archive.history(1)] == ["title", "tags"]
    note = {"text": "Who leads it?", "quote": "closely following", "csrf": token}
    assert web.post("/article/1/notes", data=note).status_code == 200
    shown = web.get("/article/1").text
    assert "Notes (1)" in shown and "Who leads it?" in shown
    bad = web.post("/article/1/edit", data={**form, "title": " ", "csrf": token})
    assert bad.status_code == 400 and "the title cannot be empty" in bad.text


def test_a_post_from_another_site_or_host_name_is_refused(web):
    token = csrf_of(web.get("/article/1").text)
    other = web.post(
        "/article/1/notes",
        data={"text": "x", "csrf": token},
        headers={"origin": "https://evil.example"},
    )
    assert other.status_code == 403 and "evil.example" in other.text
    rebound = web.get("/", headers={"host": "evil.example"})
    assert rebound.status_code == 421
    json_only = web.post("/api/ingest", data={"text": "x"})
    assert json_only.status_code == 415


def test_read_only_serves_reading_and_refuses_every_change(sample_home):
    with client(sample_home, Guard(read_only=True)) as web:
        assert web.get("/", params={"q": "troops"}).status_code == 200
        page = web.get("/article/1").text
        assert "Add note" not in page and "read-only" in page
        posted = web.post("/article/1/edit", data={"title": "x", "csrf": Guard().csrf})
        assert posted.status_code == 403
        api = web.post("/api/ingest", json={"text": "Title\n\nBody"})
        assert api.status_code == 403 and "read-only" in api.json()["error"]
    with Archive.open(sample_home) as archive:
        assert archive.count() == 1


def test_a_token_is_needed_when_one_is_set(sample_home):
    secret = "s3cret-token-of-some-length"
    with client(sample_home, Guard(token=secret)) as web:
        assert web.get("/api/stats").status_code == 401
        assert web.get("/api/stats", headers={"authorization": "Bearer wrong"}).status_code == 401
        assert (
            web.get("/api/stats", headers={"authorization": f"Bearer {secret}"}).status_code == 200
        )
        first = web.get(f"/?q=troops&token={secret}", follow_redirects=False)
        assert first.status_code == 303 and first.headers["location"] == "/?q=troops"
        assert "HttpOnly" in first.headers["set-cookie"]
        assert web.get("/?q=troops").status_code == 200  # the cookie carries it now


def test_pasted_text_is_saved_and_searchable_at_once(web):
    token = csrf_of(web.get("/add").text)
    text = "Quokka census\n\nRottnest Island counted its quokkas again this spring."
    saved = web.post("/add/text", data={"text": text, "tags": "animals", "csrf": token})
    assert saved.status_code == 200 and "1 added, 0 updated, 0 unchanged, 0 failed" in saved.text
    again = web.post("/add/text", data={"text": text, "csrf": token})
    assert "0 added, 0 updated, 1 unchanged" in again.text
    found = web.get("/api/search", params={"q": "quokkas"}).json()
    assert [h["title"] for h in found["hits"]] == ["Quokka census"]
    empty = web.post("/add/text", data={"text": "  ", "csrf": token})
    assert empty.status_code == 400 and "it is empty" in empty.text


def test_the_api_ingests_text_and_says_what_it_did(web):
    done = web.post(
        "/api/ingest", json={"text": "Okapi sighted\n\nA rare okapi was filmed.", "tags": ["x"]}
    )
    assert done.status_code == 200
    body = done.json()
    assert (body["added"], body["failed"]) == (1, 0)
    assert body["outcomes"][0]["status"] == "added" and body["outcomes"][0]["article_id"] == 2
    assert web.post("/api/ingest", json={"tags": "x"}).status_code == 400
    assert (
        web.post(
            "/api/ingest", content=b"{", headers={"content-type": "application/json"}
        ).status_code
        == 400
    )


def test_a_page_sent_by_the_bookmarklet_is_saved_only_when_confirmed(web, trafilatura_pages):
    page_html = (trafilatura_pages / "webpage.html").read_text(encoding="utf-8")
    url = "https://fivethirtyeight.com/features/example-article/"
    sent = web.post(
        "/bookmarklet",
        files={"url": (None, url), "title": (None, "A page"), "html": (None, page_html)},
        headers={"origin": "https://fivethirtyeight.com"},
    )
    assert sent.status_code == 200 and "Save this page?" in sent.text
    assert web.get("/api/stats").json()["articles"] == 1  # nothing saved yet
    key = re.search(r'name="key" value="([^"]+)"', sent.text).group(1)
    saved = web.post("/bookmarklet/save", data={"key": key, "url": url, "csrf": csrf_of(sent.text)})
    assert saved.status_code == 200 and "1 added" in saved.text
    stored = web.get("/api/articles/2").json()
    # the address the browser sent is the origin; the page's own canonical address the URL
    assert stored["origin"] == url and len(stored["body"]) > 1000
    assert stored["url"].startswith("https://fivethirtyeight.com/features/could-manchin")
    # the bookmarklet on the Add page points at this server
    assert (
        "javascript:" in web.get("/add").text
        and "127.0.0.1:8080/bookmarklet" in web.get("/add").text
    )


def test_hostile_text_is_escaped_and_a_javascript_url_is_no_link(archive_home):
    with Archive.open(archive_home) as archive:
        archive.add(HOSTILE)
    with client(archive_home) as web:
        for path in ("/?q=zebra", "/article/1?q=zebra", "/?q=zebra&tag=x"):
            page = web.get(path).text
            assert "<script>window" not in page and "<img src=x" not in page, path
            assert "<b onmouseover" not in page and "<svg onload" not in page, path
            assert 'href="javascript:' not in page, path
            assert "<script" not in page.lower(), path  # no page serves any script
        reading = web.get("/article/1").text
        assert "&lt;script&gt;window.pwned=1&lt;/script&gt;" in reading
        assert "not a web address: shown as text" in reading
        assert "\u202e" not in reading  # ingest removes bidirectional overrides


def test_the_server_sees_what_another_process_committed_on_its_next_request(web, sample_home):
    assert web.get("/api/search", params={"q": "pangolin"}).json()["total"] == 0
    with Archive.open(sample_home) as other:  # as a CLI ingest in another terminal
        other.add(ArticleDraft(title="Pangolin", body="A pangolin walked by.", origin="p.txt"))
    assert web.get("/api/search", params={"q": "pangolin"}).json()["total"] == 1
    assert "Pangolin" in web.get("/", params={"q": "pangolin"}).text
    # facet counts are kept per query, and counted again after any commit
    assert "Zoo Times" not in web.get("/", params={"q": "troops"}).text
    with Archive.open(sample_home) as other:
        other.add(
            ArticleDraft(
                title="Troops", body="Troops at the zoo.", origin="z.txt", source="Zoo Times"
            )
        )
    assert 'data-facet="source" href="/?q=troops&amp;source=Zoo+Times"' in (
        web.get("/", params={"q": "troops"}).text
    )


def test_serve_needs_an_archive_and_a_token_beyond_loopback(tmp_path, sample_home, runner):
    missing = runner.invoke(cli, ["--home", str(tmp_path / "none"), "serve", "--port", "0"])
    assert missing.exit_code == 1
    assert missing.output.strip() == (
        f"Error: no archive at {tmp_path / 'none'} (ingest something first: 'archive ingest FILE')"
    )
    local = Server(sample_home, port=0)
    local.prepare()
    try:
        assert local.token is None and local.address.startswith("http://127.0.0.1:")
        assert not any(line.startswith("warning:") for line in local.lines)
    finally:
        assert local.sock is not None
        local.sock.close()
    wide = Server(sample_home, host="0.0.0.0", port=0)
    wide.prepare()
    try:
        assert wide.token and len(wide.token) >= 32
        assert wide.lines[0].startswith("warning: listening on 0.0.0.0")
        assert f"token: {wide.token}" in wide.lines and wide.address.endswith(
            f"?token={wide.token}"
        )
    finally:
        assert wide.sock is not None
        wide.sock.close()


def test_the_served_connections_send_without_waiting_for_acks(sample_home):
    """asyncio (under uvicorn) turns Nagle's algorithm off only on sockets that say they
    are TCP; without it each answer on a kept-alive connection waited for the client's
    delayed ACK (80 ms median page at 100,000 articles against 36 ms: bench/README.md)."""
    import asyncio
    import socket

    server = Server(sample_home, port=0)
    server.prepare()
    assert server.sock is not None
    client = socket.create_connection(("127.0.0.1", server.port))
    conn, _ = server.sock.accept()

    async def accepted() -> int:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.connect_accepted_socket(asyncio.Protocol, conn)
        try:
            return conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        finally:
            transport.close()

    try:
        assert asyncio.run(accepted()) != 0
    finally:
        client.close()
        server.sock.close()
