"""The renderers (archive/render.py) as pure functions: records in, text out.

The records come from the sample article (a real Euronews story) through the
library, so what is rendered is what the commands print.
"""

from __future__ import annotations

import csv
import html as _html
import io
import json
import re as _re
from pathlib import Path

import pytest

from archive import render
from archive.reading import Reader
from archive.records import CheckReport, IngestOutcome, SearchResults, Stats


@pytest.fixture
def found(sample_home: Path) -> SearchResults:
    results = Reader(sample_home).search("deploy troops", facets=("tag",))
    assert results.total == 1 and results.hits and results.hits[0].passages
    return results


def test_mark_wraps_each_highlight_and_folds_white_space() -> None:
    text = "NATO  said\nit would deploy troops."
    spans = [
        (text.index("deploy"), text.index("deploy") + 6),
        (text.index("troops"), len(text) - 1),
    ]
    assert render.mark(text, spans, False) == "NATO said it would **deploy** **troops**."
    assert render.mark(text, spans, True) == (
        "NATO said it would \x1b[33m\x1b[1mdeploy\x1b[0m \x1b[33m\x1b[1mtroops\x1b[0m."
    )
    assert render.mark(text, [], False) == "NATO said it would deploy troops."


def test_text_results_have_a_heading_hits_with_passages_and_facets(found: SearchResults) -> None:
    out = render.results(found, "text", False).splitlines()
    assert out[0] == "1 article matches 'deploy troops' (showing 1–1)"
    hit = found.hits[0]
    assert out[2] == f"1. {hit.title}"
    assert out[3] == "   Euronews · 2025-03-13 · id 1"
    passages = [line for line in out if line.startswith("   ") and "**" in line]
    assert len(passages) == len(hit.passages)
    assert all("**deploy" in p.lower() or "**troop" in p.lower() for p in passages)
    assert out[-2:] == ["", "tag: nato (1), ukraine (1)"]


def test_a_passage_inside_the_text_is_marked_with_ellipses(found: SearchResults) -> None:
    hit = found.hits[0]
    inner = [p for p in hit.passages if p.start > 0]
    assert inner, "the sample's passages include one from inside the article"
    shown = render.passage_texts(hit, lambda t, h: t)
    for p, text in zip(hit.passages, shown, strict=True):
        assert text.startswith("… ") == (p.start > 0)
        assert text.endswith(" …") == (p.end < hit.body_length)


def test_no_hits_and_past_the_last_page_say_so(found: SearchResults) -> None:
    empty = SearchResults(query="zebra", total=0, hits=[])
    assert render.results(empty, "text", False) == "No articles match 'zebra'."
    past = SearchResults(query="nato", total=1, hits=[])
    assert render.results(past, "text", False) == "No more hits: 1 article matches 'nato'."
    long = "word " * 100
    heading = render.results(SearchResults(query=long, total=0, hits=[]), "text", False)
    assert heading.endswith("… (500 characters).") and len(heading) < 120


def test_json_and_jsonl_carry_the_contract(found: SearchResults) -> None:
    data = json.loads(render.results(found, "json", False))
    assert data["query"] == "deploy troops" and data["total"] == 1
    assert "understood" not in data and "engine" not in data
    hit = data["hits"][0]
    assert hit["id"] == 1 and hit["source"] == "Euronews"
    assert hit["passages"][0]["text"] == found.hits[0].passages[0].text
    explained = json.loads(render.results(found, "json", False, explain=True))
    assert explained["understood"] == found.understood
    assert explained["engine"]["evaluated_by"] in ("blocks", "whoosh", "blocks+whoosh")
    (line,) = render.results(found, "jsonl", False).splitlines()
    assert json.loads(line) == {"rank": 1, **hit}


def test_csv_has_a_header_and_a_row_per_hit(found: SearchResults) -> None:
    rows = list(csv.reader(io.StringIO(render.results(found, "csv", False))))
    assert rows[0] == [
        "rank", "id", "title", "source", "author", "published", "url", "score", "match", "passages"
    ]  # fmt: skip
    (row,) = rows[1:]
    hit = found.hits[0]
    assert row[:6] == ["1", "1", hit.title, "Euronews", "", "2025-03-13"]
    assert float(row[7]) == round(hit.score, 4)
    assert row[8] == "all"
    assert hit.passages[0].text.split()[0] in row[9]


def test_markdown_quotes_passages_and_cites_the_article(found: SearchResults) -> None:
    out = render.results(found, "markdown", False).splitlines()
    assert out[:3] == ["## Search: deploy troops", "", "1 matching article."]
    assert f"### 1. {found.hits[0].title}" in out
    quotes = [line for line in out if line.startswith("> ") and "**" in line]
    assert len(quotes) == len(found.hits[0].passages)
    assert "— Euronews, 2025-03-13, archive id 1" in out
    assert out[-1] == "**tag:** nato (1), ukraine (1)"


def test_an_article_shows_its_fields_then_its_text(sample_home: Path) -> None:
    article = Reader(sample_home).get(1)
    out = render.article(article)
    head, body = out.split("\n\n", 1)
    assert body == article.body
    lines = head.splitlines()
    assert lines[0] == "id:        1"
    assert "source:    Euronews" in lines and "tags:      nato, ukraine" in lines
    assert not any(line.startswith("author:") for line in lines)  # unknown fields left out
    data = json.loads(render.article_json(article, []))
    assert data["revisions"] == [] and data["body"] == article.body


def test_the_list_labels_which_date_it_shows(archive_home: Path) -> None:
    from archive import Archive, ArticleDraft

    with Archive.open(archive_home) as archive:
        archive.ingest(
            [
                ArticleDraft(
                    title="Dated", body="A dated text.", origin="a", published="2020-05-01"
                ),
                ArticleDraft(title="Undated", body="A text without a date.", origin="b"),
            ]
        )
    lines = render.article_list(Reader(archive_home).list(), 2).splitlines()
    by_title = {line.split()[-1]: line for line in lines}
    assert "  published 2020-05-01  " in by_title["Dated"]
    undated = by_title["Undated"]
    ingested = Reader(archive_home).list()
    day = next(a for a in ingested if a.title == "Undated").ingested.date().isoformat()
    assert f"  ingested  {day}  " in undated


def test_the_list_says_how_many_were_left_out(sample_home: Path) -> None:
    articles = Reader(sample_home).list()
    (line,) = render.article_list(articles, 1).splitlines()
    assert line.startswith(
        "     1  published 2025-03-13  Euronews            Plans to send European"
    )
    assert render.article_list(articles, 3).splitlines()[-1] == (
        "(1 of 3; use --all or --limit to see more)"
    )
    assert render.article_list([], 0) == "The archive is empty."


def test_ingest_lines_name_what_happened() -> None:
    added = IngestOutcome("added", "a.txt", 7, "Title")
    assert render.outcome_line(added) == "added 7: Title"
    assert render.outcome_line(added, dry_run=True) == "would add 7: Title"
    same = IngestOutcome("unchanged", "b.txt", 7, "Title", "same text as article 7")
    assert render.outcome_line(same) == "unchanged 7: Title (same text as article 7)"
    new_in_dry_run = IngestOutcome("added", "c.txt", None, None)
    assert render.outcome_line(new_in_dry_run, dry_run=True) == "would add: c.txt"


def test_check_reports_each_state() -> None:
    agree = CheckReport(2, [], [], [])
    assert render.check_report(agree) == ["2 articles in the database", "database and index agree"]
    differ = CheckReport(1, [1], [9, 10], [], pending=3)
    assert render.check_report(differ) == [
        "1 article in the database",
        "finished index work for 3 articles that an interrupted run had left",
        "1 article missing from the index",
        "2 articles in the index but not in the database",
        "run 'archive check --repair' to fix the index",
    ]
    repaired = CheckReport(1, [], [], [1], repaired=True)
    assert render.check_report(repaired)[-2:] == [
        "1 article indexed with old text",
        "repaired: the index now matches the database",
    ]


def test_stats_say_how_the_engine_runs() -> None:
    base = dict(articles=3, index_bytes=2048, database_bytes=4096, earliest="2024-01-02")
    s = Stats(**base, latest=None, sources=2, home="/h", engine={})
    assert render.stats(s).splitlines() == [
        "articles:   3",
        "sources:    2",
        "published:  2024-01-02 to -",
        "database:   4 KiB",
        "index:      2 KiB",
        "home:       /h",
    ]
    timed = Stats(
        **{**base, "earliest": "1987-02-26T15:01:01.790000"},
        latest="2025-10-04T00:30:00+02:00",
        sources=2,
        home="/h",
        engine={},
    )
    assert render.stats(timed).splitlines()[2] == "published:  1987-02-26 to 2025-10-03"
    on = {"whoosh": "2.7.4", "fast_paths": True, "segments": 3, "fast_path_segments": 2}
    line = render.stats(Stats(**base, latest=None, sources=2, home="/h", engine=on))
    assert line.splitlines()[-1] == (
        "engine:     Whoosh 2.7.4, 3 segments (1 read without the fast paths)"
    )
    off = {"whoosh": "2.7.5", "fast_paths": False, "reason": "untested"}
    line = render.stats(Stats(**base, latest=None, sources=2, home="/h", engine=off))
    assert line.splitlines()[-1] == "engine:     Whoosh 2.7.5, fast paths off (untested)"


def test_engine_line_names_the_path_and_the_fallbacks() -> None:
    assert render.engine_line({"evaluated_by": "blocks"}) == "Evaluated by: block evaluation"
    both = {"evaluated_by": "blocks+whoosh", "fallbacks": 2}
    assert render.engine_line(both) == (
        "Evaluated by: block evaluation and Whoosh's matchers; "
        "a fast path fell back to Whoosh's public API 2 times"
    )
    assert render.plural(1, "article") == "article" and render.plural(0, "time") == "times"


def _reuters_hit(reuters_corpus: Path, needle: str) -> tuple[dict[str, str], SearchResults]:
    """A search result holding the first Reuters story whose body has *needle*."""
    from archive.records import PassageResult, SearchHit

    for part in sorted(reuters_corpus.glob("reuters-*.json")):
        for story in json.loads(part.read_text(encoding="utf-8")):
            body = story.get("body") or ""
            at = body.find(needle)
            if at >= 0 and story.get("title"):
                start = max(0, body.rfind("\n", 0, at) + 1)
                end = body.find("\n", at + len(needle))
                end = len(body) if end < 0 else end
                text = body[start:end]
                hl = [(at - start, at - start + len(needle))]
                hit = SearchHit(
                    rank=1, id=7, title=story["title"], source="Reuters", author=None,
                    published=None, url="https://example.org/a b", score=1.0,
                    passages=[PassageResult(text, start, end, hl)], body_length=len(body),
                    match="all",
                )  # fmt: skip
                return story, SearchResults(query=needle, total=1, hits=[hit])
    pytest.skip(f"no Reuters story holds {needle!r}")


def test_markdown_escapes_what_a_viewer_would_eat_and_keeps_highlights(
    reuters_corpus: Path,
) -> None:
    from markdown_it import MarkdownIt

    # Reuters writes stock codes in angle brackets: raw HTML to a Markdown viewer.
    story, found = _reuters_hit(reuters_corpus, "<RENA.PA>")
    out = render.results(found, "markdown", False)
    html = MarkdownIt("commonmark").render(out)
    assert "<strong>&lt;RENA.PA&gt;</strong>" in html  # shown as written, and still bold
    assert "<RENA.PA>" not in html
    # Every word of the passage survives rendering (nothing is swallowed as markup).
    shown = _re.sub(r"<[^>]+>", " ", html)
    shown = _html.unescape(shown)
    passage = found.hits[0].passages[0].text
    for word in passage.split():
        assert word in shown, word
    title_html = MarkdownIt("commonmark").render(render.md_escape(story["title"]))
    assert _html.unescape(_re.sub(r"<[^>]+>", "", title_html)).strip() == " ".join(
        story["title"].split()
    )


@pytest.mark.parametrize(
    "text",
    ["*starred* _under_ [link](x) `code` <b>bold</b> #tag 1. list & amp | pipe ~ tilde",
     "- a list item", "1. numbered", "# heading", "> quote", "\\ backslash!"],
)  # fmt: skip
def test_markdown_escaping_round_trips_through_a_renderer(text: str) -> None:
    from markdown_it import MarkdownIt

    rendered = MarkdownIt("commonmark").render(render.md_escape(text))
    assert rendered.startswith("<p>")
    assert _html.unescape(_re.sub(r"<[^>]+>", "", rendered)).strip() == text


def test_csv_is_rfc4180_and_starts_no_cell_like_a_formula(reuters_corpus: Path) -> None:
    _, found = _reuters_hit(reuters_corpus, "<RENA.PA>")
    hit = found.hits[0]
    risky = [
        "=HYPERLINK(\"http://x\")", "+1 555", "-5 pct drop", "@SUM(A1)", "Plain, \"quoted\"\nline"
    ]  # fmt: skip
    hits = [
        type(hit)(**{**{f: getattr(hit, f) for f in hit.__dataclass_fields__}, "title": t})
        for t in risky
    ]
    out = render.csv_hits(hits, match=True)
    assert out.count("\r\n") >= len(risky)  # CRLF record ends
    rows = list(csv.reader(io.StringIO(out, newline="")))
    assert len(rows) == len(risky) + 1
    for row, title in zip(rows[1:], risky, strict=True):
        assert row[2] in (title, "'" + title)
        for cell in row:
            assert cell[:1] not in ("=", "+", "-", "@")
    assert rows[2][2] == "'+1 555" and rows[5][2] == title
