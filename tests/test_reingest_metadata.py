"""Re-ingest never drops what the user said: changed metadata updates the article."""

from __future__ import annotations

import json
from pathlib import Path

from archive import Archive, Reader
from archive.curation import Changes
from cli import cli

PAGE = """<html><head><title>LinkNaija | Nollywood Actress, Kate Henshaw</title>
<meta name="author" content="LinkNaija Staff"></head>
<body><article><h1>LinkNaija | Nollywood Actress, Kate Henshaw</h1>
<p>Nollywood actress Kate Henshaw has shared new photos with her fans on social media.</p>
<p>The actress, who turned fifty this year, posed in a red gown at her Lagos home.</p>
</article></body></html>
"""

NOTE = """---
title: {title}
tags: [{tags}]
---

The Federal Reserve held rates steady on Wednesday, as expected by markets.
"""


def run(runner, home: Path, *args: str):
    return runner.invoke(cli, ["--home", str(home), *args])


def test_title_and_tag_on_the_command_line_update_an_unchanged_file(
    tmp_path: Path, archive_home: Path, runner
) -> None:
    page = tmp_path / "article_with_divs.html"
    page.write_text(PAGE, encoding="utf-8")
    assert run(runner, archive_home, "ingest", str(page)).exit_code == 0
    # No --force: the unchanged-file fast path must not swallow the command line.
    result = run(
        runner,
        archive_home,
        "ingest",
        str(page),
        "--title",
        "Kate Henshaw new photos",
        "--tag",
        "nollywood",
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == (
        "updated 1: Kate Henshaw new photos (changed: title, tags)"
    )
    assert result.output.splitlines()[1].startswith("0 added, 1 updated, 0 unchanged, 0 failed")
    article = Reader(archive_home).get(1)
    assert (article.title, article.tags) == ("Kate Henshaw new photos", ["nollywood"])
    assert [h.id for h in Reader(archive_home).search("tag:nollywood").hits] == [1]
    assert [(c.field, c.how) for c in Reader(archive_home).history(1)] == [
        ("title", "ingest"),
        ("tags", "ingest"),
    ]
    # Said again: nothing new to change, so the fast path applies once more.
    again = run(runner, archive_home, "ingest", str(page))
    assert "0 updated, 1 unchanged" in again.output
    assert run(runner, archive_home, "check").exit_code == 0


def test_command_line_tags_are_added_to_the_stored_ones(
    tmp_path: Path, archive_home: Path, runner
) -> None:
    page = tmp_path / "p.html"
    page.write_text(PAGE, encoding="utf-8")
    run(runner, archive_home, "ingest", str(page), "--tag", "a")
    run(runner, archive_home, "ingest", str(page), "--tag", "b")
    assert Reader(archive_home).get(1).tags == ["a", "b"]


def test_a_jsonl_line_with_a_corrected_title_and_tags_updates(
    tmp_path: Path, archive_home: Path, runner
) -> None:
    feed = tmp_path / "feed.jsonl"
    record = {"title": "Fed hold rates", "body": "The Federal Reserve held rates steady."}
    feed.write_text(json.dumps(record) + "\n", encoding="utf-8")
    assert run(runner, archive_home, "ingest", str(feed)).exit_code == 0
    record.update(title="Fed holds rates", tags=["economy", "fed"])
    feed.write_text(json.dumps(record) + "\n", encoding="utf-8")
    result = run(runner, archive_home, "ingest", str(feed))
    assert result.output.splitlines()[0] == "updated 1: Fed holds rates (changed: title, tags)"
    article = Reader(archive_home).get(1)
    assert (article.title, article.tags) == ("Fed holds rates", ["economy", "fed"])
    assert Reader(archive_home).search("title:holds").total == 1


def test_changed_front_matter_updates_but_a_hand_edit_wins(
    tmp_path: Path, archive_home: Path
) -> None:
    note = tmp_path / "fed.md"
    note.write_text(NOTE.format(title="Fed", tags="economy"), encoding="utf-8")
    with Archive.open(archive_home) as archive:
        archive.ingest_paths([note])
        archive.edit([1], Changes(title="Fed decision, September"))
    note.write_text(NOTE.format(title="Fed meeting", tags="economy, rates"), encoding="utf-8")
    with Archive.open(archive_home) as archive:
        report = archive.ingest_paths([note])
        outcome = report.outcomes[0]
        assert (outcome.status, outcome.changed) == ("updated", ("tags",))
        assert archive.get(1).title == "Fed decision, September"  # the user's edit stays
        assert archive.get(1).tags == ["economy", "rates"]
        # The command line is the user speaking now: it wins over the earlier edit.
        from archive.ingest import Overrides

        report = archive.ingest_paths([note], overrides=Overrides(title="Fed meeting notes"))
        assert report.outcomes[0].changed == ("title",)
        assert archive.get(1).title == "Fed meeting notes"
        assert archive.check().ok


def test_the_same_text_in_another_file_is_a_copy_and_changes_nothing(
    tmp_path: Path, archive_home: Path
) -> None:
    first, copy = tmp_path / "a.md", tmp_path / "b.md"
    first.write_text(NOTE.format(title="Fed", tags="economy"), encoding="utf-8")
    copy.write_text(NOTE.format(title="Other title", tags="x"), encoding="utf-8")
    with Archive.open(archive_home) as archive:
        archive.ingest_paths([first])
        outcome = archive.ingest_paths([copy]).outcomes[0]
        assert (outcome.status, outcome.message) == ("unchanged", "same text as article 1")
        assert (archive.get(1).title, archive.get(1).tags) == ("Fed", ["economy"])


def test_a_url_another_article_has_is_not_taken_and_the_user_is_told(
    tmp_path: Path, archive_home: Path, runner
) -> None:
    a, b = tmp_path / "a.md", tmp_path / "b.md"
    a.write_text(NOTE.format(title="A", tags="x"), encoding="utf-8")
    b.write_text(NOTE.format(title="B", tags="x").replace("Wednesday", "Thursday"), "utf-8")
    run(runner, archive_home, "ingest", str(a), "--url", "https://e.org/{a}")
    run(runner, archive_home, "ingest", str(b), "--url", "https://e.org/b")
    result = run(runner, archive_home, "ingest", str(b), "--url", "https://e.org/{a}")
    assert result.exit_code == 0
    assert result.output.splitlines()[0] == (
        "unchanged 2: B (same text as article 2; URL https://e.org/{a} not taken: article 1 has it)"
    )
    assert Reader(archive_home).get(2).url == "https://e.org/b"
