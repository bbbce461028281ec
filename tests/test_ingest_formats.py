"""Each input format, on real material where there is some: text, Markdown, HTML, JSON, JSONL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive import Archive
from archive.ingest import detect_format, read_bytes, read_path, sniff, walk
from archive.ingest.html import extract
from cli import cli


def ingest(home: Path, *paths: Path, **options):
    with Archive.open(home) as archive:
        return archive.ingest_paths(list(paths), **options)


def only(home: Path):
    with Archive.open(home) as archive:
        articles = archive.list(limit=None)
    assert len(articles) == 1
    return articles[0]


# --- plain text -------------------------------------------------------------------------


def test_text_header_block_gives_the_metadata(tmp_path: Path, archive_home: Path) -> None:
    f = tmp_path / "story.txt"
    f.write_text(
        "Title: Allies weigh a reassurance force\n"
        "Author: Jane Doe\n"
        "Source: Euronews\n"
        "URL: https://www.euronews.com/2025/03/13/allies\n"
        "Published: 13 March 2025\n"
        "Tags: nato, ukraine\n"
        "\n"
        "European troops could be sent to Ukraine.\n\nA second paragraph.\n",
        encoding="utf-8",
    )
    report = ingest(archive_home, f)
    assert report.count("added") == 1
    a = only(archive_home)
    assert a.title == "Allies weigh a reassurance force"
    assert (a.author, a.source) == ("Jane Doe", "Euronews")
    assert a.url == "https://www.euronews.com/2025/03/13/allies"
    assert a.published == "2025-03-13"
    assert a.tags == ["nato", "ukraine"]
    assert a.body == "European troops could be sent to Ukraine.\n\nA second paragraph."


def test_text_without_a_header_block_keeps_every_line(tmp_path: Path, archive_home: Path) -> None:
    f = tmp_path / "note.txt"
    # "Note:" is not a header key, so the first paragraph is text, not headers.
    f.write_text("Note: markets fell\nTitle: not a header here\n\nMore text.\n", encoding="utf-8")
    ingest(archive_home, f)
    a = only(archive_home)
    assert a.title == "Note: markets fell"
    assert a.body.startswith("Note: markets fell\nTitle: not a header here")


def test_real_bbc_article_title_is_its_first_line(bbc_corpus: Path, archive_home: Path) -> None:
    f = bbc_corpus / "business" / "001.txt"
    ingest(archive_home, f)
    a = only(archive_home)
    assert a.title == "Ad sales boost Time Warner profit"
    assert "Quarterly profits at US media giant TimeWarner jumped 76%" in a.body


def test_latin1_text_is_decoded_by_charset_detection(bbc_corpus: Path, archive_home: Path) -> None:
    f = bbc_corpus / "sports" / "199.txt"
    with pytest.raises(UnicodeDecodeError):
        f.read_bytes().decode("utf-8")
    report = ingest(archive_home, f)
    assert report.count("added") == 1, report.failures
    assert "transfer fee for Mutu, a £15.8m" in only(archive_home).body


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("Café crème à Zürich, naïve déjà vu.\n".encode("cp1252"), "Café crème à Zürich"),
        ("Grüße aus Köln: „Zitat“ – Ende\n".encode("utf-16"), "Grüße aus Köln: „Zitat“"),
        (
            "Привет из Москвы, новости дня и погода. Сегодня в городе прошёл сильный "
            "дождь, и жители остались дома.\n".encode("koi8-r"),
            "Привет из Москвы",
        ),
    ],
    ids=["cp1252", "utf-16-bom", "koi8-r"],
)
def test_other_character_sets(data: bytes, expected: str) -> None:
    (draft,) = read_bytes(data, "x.txt", name="x.txt")
    assert not isinstance(draft, Exception), draft
    assert draft.body.startswith(expected)


def _udhr_paragraphs(page: Path) -> list[str]:
    import re

    html = page.read_text(encoding="utf-8")
    found = re.findall(r"<p>(.*?)</p>", html, re.S)
    return [" ".join(re.sub(r"<[^>]+>", "", p).split()) for p in found]


@pytest.mark.parametrize("language", ["fra", "deu_1996", "spa"])
@pytest.mark.parametrize("size", [40, 120, 250])
def test_short_western_text_is_read_as_windows_1252(
    udhr_pages: Path, language: str, size: int
) -> None:
    # Short Latin-1 text gives charset-normalizer little to go on: its plain best guess
    # was often windows-1250 or -1257 (French 'Considérant' read as 'Considķrant').
    paragraphs = _udhr_paragraphs(udhr_pages / f"{language}.html")
    wanted = [p[:size].strip() for p in paragraphs if len(p) >= size and not p[:size].isascii()]
    wanted = [p for p in wanted if p.encode("cp1252", "replace") == p.encode("cp1252", "ignore")]
    assert len(wanted) >= 2
    for text in wanted[:3]:
        data = text.encode("cp1252")
        (draft,) = read_bytes(data, "x.txt", name="x.txt")
        assert not isinstance(draft, Exception), draft
        assert draft.body == text
        assert draft.warnings[0].endswith("read as windows-1252 (guessed)"), draft.warnings


def test_short_latin1_file_is_stored_as_written_with_a_warning(
    tmp_path: Path, archive_home: Path, runner: CliRunner
) -> None:
    f = tmp_path / "menu.txt"
    f.write_bytes("Menu\n\nCafé crème brûlée about a £\n".encode("latin-1"))
    result = runner.invoke(cli, ["ingest", str(f)])
    assert result.exit_code == 0, result.output
    assert (
        f"warning: {f}: not UTF-8 (byte 0xe9 at offset 9); read as windows-1252 (guessed)"
        in result.output
    )
    assert only(archive_home).body == "Menu\n\nCafé crème brûlée about a £"


def test_other_scripts_still_win_over_windows_1252(udhr_pages: Path) -> None:
    # Russian in windows-1251 and Korean in EUC-KR read as a mess in windows-1252.
    for language, charset in [("rus", "cp1251"), ("kor", "euc-kr")]:
        text = _udhr_paragraphs(udhr_pages / f"{language}.html")[0][:120].strip()
        (draft,) = read_bytes(text.encode(charset), "x.txt", name="x.txt")
        assert not isinstance(draft, Exception), draft
        assert draft.body == text
        assert "windows-1252" not in draft.warnings[0]


# --- Markdown ---------------------------------------------------------------------------

NOTE = """---
title: Central bank holds rates
authors:
  - Ann Writer
  - name: Bob Reporter
source: Reuters
url: https://www.reuters.com/markets/rates-2025-09-03/
date: 2025-09-03
tags: [economy, rates]
layout: post
reading_time: 4
---
# Rates stay put

The **central bank** kept its key rate at *4.5%*, citing [sticky inflation](https://example.com/zqxlinktarget).

<div class="ad">Advertisement zqxhtmlword</div>

- Governors voted 7-2
- Markets had expected a hold

![chart zqximgword](chart.png)
"""


def test_markdown_front_matter_and_markup_stripped(tmp_path: Path, archive_home: Path) -> None:
    f = tmp_path / "rates.md"
    f.write_text(NOTE, encoding="utf-8")
    assert ingest(archive_home, f).count("added") == 1
    a = only(archive_home)
    assert a.title == "Central bank holds rates"
    assert a.author == "Ann Writer; Bob Reporter"
    assert a.source == "Reuters"
    assert a.published == "2025-09-03"
    assert a.tags == ["economy", "rates"]
    with Archive.open(archive_home) as archive:
        full = archive.get(a.id)
        assert full.extra == {"layout": "post", "reading_time": 4}
        assert full.body == (
            "Rates stay put\n\n"
            "The central bank kept its key rate at 4.5%, citing sticky inflation.\n\n"
            "Governors voted 7-2\n\nMarkets had expected a hold"
        )
        # Link targets, HTML and image references are not search terms.
        for word in ("zqxlinktarget", "zqxhtmlword", "zqximgword", "example.com"):
            assert archive.search(word).total == 0, word
        hit = archive.search("central bank").hits[0]
        assert all("*" not in p.text for p in hit.passages)


def test_markdown_without_front_matter_takes_the_first_heading(tmp_path: Path) -> None:
    f = tmp_path / "n.md"
    f.write_text("Some intro line\n\n## The real heading\n\nBody.\n", encoding="utf-8")
    (draft,) = read_path(f)
    assert draft.title == "The real heading"


def test_markdown_with_broken_front_matter_is_a_warning(tmp_path: Path) -> None:
    f = tmp_path / "n.md"
    f.write_text("---\ntitle: [unclosed\n---\nText of the note.\n", encoding="utf-8")
    (draft,) = read_path(f)
    assert draft.body == "Text of the note."
    assert draft.warnings and "front matter ignored" in draft.warnings[0]


# --- HTML (real saved pages from trafilatura's test data) -------------------------------


def test_saved_news_page(trafilatura_pages: Path, archive_home: Path) -> None:
    page = trafilatura_pages / "webpage.html"
    assert ingest(archive_home, page).count("added") == 1
    a = only(archive_home)
    # What the page's own metadata says (og:title, meta author, article:published_time,
    # og:site_name, link rel=canonical).
    assert a.title == "Could Manchin Actually Leave The Democratic Party?"
    assert a.author == "Geoffrey Skelley"
    assert a.published == "2021-10-25T10:00:00+00:00"  # the time too, since it is there
    assert a.source == "FiveThirtyEight"
    assert a.url == (
        "https://fivethirtyeight.com/features/could-manchin-actually-leave-the-democratic-party/"
    )
    with Archive.open(archive_home) as archive:
        body = archive.get(a.id).body
    # trafilatura's own test expects this sentence in the extracted text.
    assert "Long story short," in body
    assert body.startswith("Sen. Joe Manchin told reporters Wednesday")
    # Navigation, share buttons and the footer are not article text.
    for chrome in ("Share on Facebook", "Do Not Sell My Personal", "Pitch FiveThirtyEight"):
        assert chrome not in body


def test_page_without_article_text_fails(trafilatura_pages: Path, archive_home: Path) -> None:
    # trafilatura's tests expect no extraction from this page ("nothing to see here").
    report = ingest(archive_home, trafilatura_pages / "utf8.html")
    assert report.failed == 1
    assert report.failures[0].message.endswith("utf8.html: no article text found in the HTML page")


def _chrome_only(page: Path, *extra: str) -> bytes:
    """The real page with its body reduced to its navigation bar and footer (and *extra*)."""
    import copy

    import lxml.html

    root = lxml.html.parse(str(page)).getroot()
    body = root.find("body")
    chrome = [
        copy.deepcopy(el)
        for el in root.iter("nav", "footer")
        if {"nav-global", "colophon"} & {el.get("id"), *(el.get("class") or "").split()}
    ]
    assert len(chrome) == 2
    for child in list(body):
        body.remove(child)
    for el in [*chrome, *map(lxml.html.fragment_fromstring, extra)]:
        body.append(el)
    return lxml.html.tostring(root)


def test_a_page_that_is_only_a_menu_or_a_cookie_notice_fails(
    trafilatura_pages: Path, tmp_path: Path, archive_home: Path
) -> None:
    menu = tmp_path / "menu.html"
    menu.write_bytes(_chrome_only(trafilatura_pages / "webpage.html"))
    # trafilatura falls back to the menu's words when a page has nothing else
    assert extract(menu.read_bytes())["text"].startswith("Politics\nSports\nScience")
    # a consent platform's notice, as trafilatura's own tests give one (unit_tests.py,
    # test_basic_cleaning_cookie_banner_scope)
    notice = tmp_path / "consent.html"
    notice.write_bytes(
        _chrome_only(
            trafilatura_pages / "webpage.html",
            "<div id='onetrust-consent-sdk' role='dialog'><p>By clicking Accept you agree we "
            "can store cookies.</p><p>We use cookies to improve our service.</p></div>",
        )
    )
    report = ingest(archive_home, menu, notice)
    assert report.failed == 2 and report.count("added") == 0
    messages = sorted(o.message for o in report.failures)
    assert messages == [
        f"{notice}: no article text found in the HTML page (only a cookie or consent notice)",
        f"{menu}: no article text found in the HTML page (only a menu or navigation links)",
    ]
    # the whole page, chrome and all, is still an article
    assert ingest(archive_home, trafilatura_pages / "webpage.html").count("added") == 1


# --- JSON and JSONL ---------------------------------------------------------------------


def test_reuters_angle_bracket_marks_are_text_not_html(
    reuters_corpus: Path, archive_home: Path, tmp_path: Path
) -> None:
    # Reuters marks tickers and company names in angle brackets: 'Bancorp <I>',
    # '<RENA.PA>', '<P>', '<Strong Point Inc>'. They were read as HTML tags and dropped.
    import re

    marked = re.compile(r"<(?:p|a|b|i|u|em|strong|ul|li)\b[^<>]*>", re.I)
    records = [
        r
        for part in sorted(reuters_corpus.glob("reuters-0*.json"))[:6]
        for r in json.loads(part.read_text(encoding="utf-8"))
        if marked.search(r.get("body", ""))
    ]
    assert len(records) >= 8
    f = tmp_path / "marked.json"
    f.write_text(json.dumps(records), encoding="utf-8")
    report = ingest(archive_home, f)
    assert report.failed == 0, report.failures
    with Archive.open(archive_home) as archive:
        stored = archive.list(limit=None)
        assert stored
        for article in stored:
            assert not (article.extra or {}).get("body_was_html"), article.title
            assert marked.search(article.body), article.title
        talking = [a for a in stored if "First Interstate Bancorp <I>" in a.body]
        assert talking and talking[0].title.startswith("TALKING POINT/BANKAMERICA")


@pytest.mark.parametrize(
    "fragment",
    ["whole", "paragraphs without closing tags", "a link with attributes", "line breaks"],
)
def test_html_bodies_are_still_cleaned(
    udhr_pages: Path, archive_home: Path, tmp_path: Path, fragment: str
) -> None:
    import re

    page = (udhr_pages / "fra.html").read_text(encoding="utf-8")
    paragraphs = re.findall(r"<p>(.*?)</p>", page, re.S)[:3]
    body = {
        "whole": page[page.index("<body>") : page.index("</body>")],
        "paragraphs without closing tags": "".join(f"<p>{p}" for p in paragraphs),
        "a link with attributes": f'{paragraphs[0]} <a href="https://example.org/">lien</a>',
        "line breaks": "<br>".join(paragraphs),
    }[fragment]
    f = tmp_path / "page.json"
    f.write_text(json.dumps({"title": "DUDH", "body": body}), encoding="utf-8")
    report = ingest(archive_home, f)
    assert report.failed == 0, report.failures
    article = only(archive_home)
    assert article.extra and article.extra["body_was_html"] is True
    assert "<" not in article.body and ">" not in article.body
    assert " ".join(paragraphs[0].split())[:60] in " ".join(article.body.split())


@pytest.mark.slow
def test_reuters_json_array(reuters_corpus: Path, archive_home: Path, tmp_path: Path) -> None:
    # The file's first 120 records (12 without a body), written as the file is written
    # (json.dumps, indent=2, no ASCII escapes, gives its text back exactly); the whole
    # file took ~14 s of CPU and its size matters to nothing asserted here.
    whole = (reuters_corpus / "reuters-000.json").read_text(encoding="utf-8")
    layout = {"indent": 2, "ensure_ascii": False}
    assert json.dumps(json.loads(whole), **layout) == whole.rstrip("\n")
    f = tmp_path / "reuters-000.json"
    f.write_text(json.dumps(json.loads(whole)[:120], **layout), encoding="utf-8")
    records = json.loads(f.read_text(encoding="utf-8"))
    with_body = [r for r in records if r.get("body", "").strip()]
    distinct = {" ".join(r["body"].split()) for r in with_body}
    report = ingest(archive_home, f)
    assert report.count("added") + report.count("unchanged") == len(with_body)
    assert report.failed == len(records) - len(with_body) == 12
    assert all("no article text" in o.message for o in report.failures)
    assert report.failures[0].origin.startswith(f"{f}[")
    with Archive.open(archive_home) as archive:
        assert archive.count() <= len(distinct) + 5
        first = archive.get(1)
    assert first.title == "BAHIA COCOA REVIEW"
    assert first.published == "1987-02-26T15:01:01.790000"
    assert first.origin == f"{f}[0]"
    # Keys the archive has no field for are kept.
    assert first.extra == {
        "topics": ["cocoa"],
        "places": ["el-salvador", "usa", "uruguay"],
        "id": "1",
    }


def test_jsonl_aliases_and_extra_shown_as_json(tmp_path: Path, runner: CliRunner) -> None:
    lines = [
        {
            "headline": "Fed holds rates",
            "text": "The Federal Reserve held rates steady.",
            "link": "https://example.com/fed?utm_source=x",
            "byline": "A. Reporter",
            "publisher": "Example Times",
            "published_at": "2025-09-03T14:05:00Z",
            "keywords": "economy, fed",
            "sentiment": {"score": 0.2},
        },
        {
            "title": "Storm nears coast",
            "content": "A storm is expected to make landfall.",
            "url": "https://example.com/storm",
            "authors": ["B. One", "C. Two"],
            "site": "Example Times",
            "date": "September 3, 2025",
            "tags": ["weather"],
        },
        {
            "title": "NewsAPI shape",
            "body": "Body text here.",
            "source": {"id": None, "name": "BBC News"},
            "author": {"name": "D. Three"},
            "publishedAt": "Wed, 03 Sep 2025 14:05:00 +0200",
        },
    ]
    f = tmp_path / "export.jsonl"
    f.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    result = runner.invoke(cli, ["ingest", str(f)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1].startswith("3 added, 0 updated, 0 unchanged, 0 failed")
    shown = json.loads(runner.invoke(cli, ["show", "1", "--format", "json"]).stdout)
    assert shown["title"] == "Fed holds rates"
    assert shown["author"] == "A. Reporter" and shown["source"] == "Example Times"
    assert shown["url"] == "https://example.com/fed?utm_source=x"
    assert shown["published"] == "2025-09-03T14:05:00+00:00"
    assert shown["tags"] == ["economy", "fed"]
    assert shown["extra"] == {"sentiment": {"score": 0.2}}
    assert shown["origin"] == f"{f}:1"
    second = json.loads(runner.invoke(cli, ["show", "2", "--format", "json"]).stdout)
    assert second["author"] == "B. One; C. Two" and second["published"] == "2025-09-03"
    third = json.loads(runner.invoke(cli, ["show", "3", "--format", "json"]).stdout)
    assert (third["source"], third["author"]) == ("BBC News", "D. Three")
    assert third["published"] == "2025-09-03T14:05:00+02:00"


def test_json_object_holding_an_articles_array(tmp_path: Path) -> None:
    f = tmp_path / "api.json"
    f.write_text(
        json.dumps(
            {
                "status": "ok",
                "articles": [{"title": "A", "content": "Alpha."}, {"title": "B", "text": "Beta."}],
            }
        ),
        encoding="utf-8",
    )
    drafts = list(read_path(f))
    assert [(d.title, d.body, d.origin) for d in drafts] == [
        ("A", "Alpha.", f"{f}[0]"),
        ("B", "Beta.", f"{f}[1]"),
    ]


# --- detection and directories ----------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "fmt"),
    [
        (b"<!DOCTYPE html><html><head><title>x</title>", "html"),
        (b"  <html lang='en'>", "html"),
        (b"---\ntitle: x\n---\n", "markdown"),
        (b'{"title": "a", "body": "b"}\n{"title": "c", "body": "d"}\n', "jsonl"),
        (b'{\n  "title": "a",\n  "body": "b"\n}\n', "json"),
        (b'[{"title": "a"}]', "json"),
        (b"Just a story.\n\nMore.", "text"),
        (b"<b>not</b> a page but text", "text"),
    ],
)
def test_sniffing(head: bytes, fmt: str) -> None:
    assert sniff(head) == fmt
    assert detect_format("no-extension", head) == fmt


def test_extension_wins_over_content() -> None:
    assert detect_format("page.HTM", b"plain words") == "html"
    assert detect_format("notes.markdown", b"plain") == "markdown"
    assert detect_format("x.ndjson", b"[") == "jsonl"


def test_stdin_with_format(runner: CliRunner) -> None:
    data = '{"title": "Piped", "body": "From a pipe."}\n{"title": "Two", "body": "Second."}\n'
    result = runner.invoke(cli, ["ingest", "-", "--format", "jsonl"], input=data)
    assert result.exit_code == 0, result.output
    assert "2 added" in result.stdout
    shown = json.loads(runner.invoke(cli, ["show", "2", "--format", "json"]).stdout)
    assert shown["origin"] == "-:2"


def test_directory_mix_hidden_skipped_and_glob(
    tmp_path: Path, trafilatura_pages: Path, archive_home: Path
) -> None:
    root = tmp_path / "inbox"
    (root / "pages").mkdir(parents=True)
    (root / "notes" / ".obsidian").mkdir(parents=True)
    (root / "pages" / "manchin.html").write_bytes((trafilatura_pages / "webpage.html").read_bytes())
    (root / "notes" / "n.md").write_text("# Note\n\nA markdown note.\n", encoding="utf-8")
    (root / "notes" / ".obsidian" / "cache.md").write_text("hidden dir\n", encoding="utf-8")
    (root / ".hidden.txt").write_text("hidden file\n", encoding="utf-8")
    (root / "a.txt").write_text("A text article.\n", encoding="utf-8")
    (root / "feed.jsonl").write_text('{"title": "J", "body": "From JSONL."}\n', encoding="utf-8")
    (root / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    found = [p.relative_to(root).as_posix() for p in walk([root])]
    assert found == ["a.txt", "feed.jsonl", "notes/n.md", "pages/manchin.html"]
    assert [p.name for p in walk([root], ["*.md", "pages/*"])] == ["n.md", "manchin.html"]
    report = ingest(archive_home, root)
    assert (report.count("added"), report.failed) == (4, 0)


def test_a_tag_with_a_comma_is_split_as_edit_requires(
    tmp_path: Path, archive_home: Path, runner: CliRunner
) -> None:
    # "tags":["a,b","x"] stored the tag 'a,b', which 'edit --remove-tag' refuses (a tag
    # cannot contain a comma) and no search for tag:a or tag:"a,b" found.
    f = tmp_path / "commas.jsonl"
    record = {"title": "Commas", "body": "A body about commas.", "tags": ["a,b", "x"]}
    f.write_text(json.dumps(record) + "\n", encoding="utf-8")
    result = runner.invoke(cli, ["ingest", str(f), "--tag", "y, z"])
    assert result.exit_code == 0, result.output
    assert (
        f"warning: {f}:1: tag 'a,b', 'y, z' split at its commas (a tag cannot contain one)"
        in result.output
    )
    assert only(archive_home).tags == ["a", "b", "x", "y", "z"]
    with Archive.open(archive_home) as archive:
        assert archive.search("tag:a").total == 1
    edited = runner.invoke(cli, ["edit", "1", "--remove-tag", "a"])
    assert edited.exit_code == 0, edited.output
    assert only(archive_home).tags == ["b", "x", "y", "z"]
