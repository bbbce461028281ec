"""Notes: added, anchored to a passage, searchable with highlights, shown, listed, kept."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from archive import Archive, ArticleNotFound, Reader
from archive.notes import NoteError
from cli import cli

STORY = "Storm Amy nears\n\nGusts of {mph} mph were recorded on the Isle of Tiree.\n{extra}"


def run(runner, home: Path, *args: str):
    return runner.invoke(cli, ["--home", str(home), *args])


def test_a_note_is_searched_by_default_and_by_field_with_highlights(archive: Archive) -> None:
    archive.add_note(1, "Remember the zeppelin argument from the briefing")
    for query in ("zeppelin", "note:zeppelin", "zeppelin nato"):
        found = archive.search(query)
        assert [h.id for h in found.hits] == [1], query
    hit = archive.search("zeppelin").hits[0]
    assert [(n.text, n.highlights) for n in hit.notes] == [
        ("Remember the zeppelin argument from the briefing", [(13, 21)])
    ]
    assert archive.search("title:zeppelin").total == 0
    assert archive.check().ok


def test_a_quote_is_anchored_by_offsets_checked_against_the_text(archive: Archive) -> None:
    body = archive.get(1).body
    note = archive.add_note(1, "Who leads it?", quote="closely following\n talks")
    assert (note.quote, note.anchor) == ("closely following talks", "ok")
    assert body[note.start : note.end] == "closely following talks"
    with pytest.raises(NoteError, match="the quote is not in article 1's text"):
        archive.add_note(1, "x", quote="a passage that is not there")
    with pytest.raises(NoteError, match="appears .* times"):
        archive.add_note(1, "x", quote="Ukraine")
    with pytest.raises(NoteError, match="the note is empty"):
        archive.add_note(1, "  ")
    with pytest.raises(ArticleNotFound):
        archive.add_note(42, "x")
    assert [n.id for n in archive.notes()] == [note.id]


def test_a_changed_text_moves_the_anchor_or_flags_the_note(
    tmp_path: Path, archive_home: Path
) -> None:
    story = tmp_path / "storm.txt"
    story.write_text(STORY.format(mph=96, extra=""), encoding="utf-8")
    with Archive.open(archive_home) as archive:
        archive.ingest_paths([story])
        kept = archive.add_note(1, "Check this", quote="Isle of Tiree")
        lost = archive.add_note(1, "Really 96?", quote="96 mph")
        story.write_text(STORY.format(mph=100, extra="Ferries were cancelled."), encoding="utf-8")
        story.write_text("Update: " + story.read_text(encoding="utf-8"), encoding="utf-8")
        assert archive.ingest_paths([story]).count("updated") == 1
        body = archive.get(1).body
        notes = {n.id: n for n in archive.notes(article_id=1)}
        assert notes[kept.id].anchor == "ok"
        # "Update: " before it, and "100" for "96": nine characters further on.
        assert notes[kept.id].start == kept.start + len("Update: ") + 1
        assert body[notes[kept.id].start : notes[kept.id].end] == "Isle of Tiree"
        assert (notes[lost.id].anchor, notes[lost.id].start) == ("lost", None)
        assert notes[lost.id].quote == "96 mph"


def test_show_notes_and_json(sample_home: Path, runner) -> None:
    result = run(runner, sample_home, "note", "1", "--quote", "closely following talks", "Who?")
    assert result.exit_code == 0 and result.output.startswith("added note 1 on article 1 (")
    run(runner, sample_home, "note", "1", "A second thought")
    shown = run(runner, sample_home, "show", "1").output
    assert shown.endswith(
        "2 notes:\n"
        f"note 1 on article 1 ({Reader(sample_home).notes()[0].created.isoformat()}Z)\n"
        "  on 'closely following talks' (characters 193-216)\n"
        "  Who?\n"
        f"note 2 on article 1 ({Reader(sample_home).notes()[1].created.isoformat()}Z)\n"
        "  A second thought\n"
    )
    data = json.loads(run(runner, sample_home, "show", "1", "--format", "json").output)
    assert [(n["id"], n["quote"], n["start"], n["end"]) for n in data["notes"]] == [
        (1, "closely following talks", 193, 216),
        (2, None, None, None),
    ]
    listed = run(runner, sample_home, "notes", "--query", "note:thought").output
    assert listed.splitlines()[-1] == "2 notes"  # both notes of the article the query finds
    assert run(runner, sample_home, "notes", "--query", "zebra").output == "no notes\n"
    listed = json.loads(
        run(runner, sample_home, "notes", "--article", "1", "--format", "json").output
    )
    assert [(n["id"], n["article_id"], n["anchor"]) for n in listed] == [(1, 1, "ok"), (2, 1, None)]
    assert listed[0]["title"].startswith("Plans to send European troops")
    hits = json.loads(run(runner, sample_home, "search", "thought", "--format", "json").output)
    assert hits["hits"][0]["notes"] == [{"text": "A second thought", "highlights": [[9, 16]]}]
    gone = json.loads(run(runner, sample_home, "note", "--delete", "2", "--format", "json").output)
    assert gone["deleted"]["text"] == "A second thought"


def test_deleting_a_note_takes_it_out_of_the_index(archive: Archive) -> None:
    note = archive.add_note(1, "zeppelin")
    assert archive.delete_note(note.id).text == "zeppelin"
    assert archive.search("zeppelin").total == 0
    with pytest.raises(NoteError, match="no note with id"):
        archive.delete_note(note.id)
    assert archive.add_note(1, "another").id == note.id + 1  # ids are never reused
    assert archive.check().ok


def test_export_and_import_keep_notes_searchable(sample_home: Path, tmp_path: Path) -> None:
    from archive import transfer

    with Archive.open(sample_home) as archive:
        archive.add_note(1, "zeppelin", quote="closely following talks")
        lines = list(transfer.export_lines(archive))
    with Archive.open(tmp_path / "other") as other:
        transfer.import_lines(other, lines)
        assert [(n.text, n.quote, n.start) for n in other.notes()] == [
            ("zeppelin", "closely following talks", 193)
        ]
        assert other.search("zeppelin").total == 1
        assert other.check().ok


def test_check_sees_a_note_added_behind_the_tools_back(sample_home: Path, runner) -> None:
    conn = sqlite3.connect(sample_home / "archive.sqlite3")
    with conn:
        conn.execute(
            "INSERT INTO notes (article_id, text, created) VALUES (1, 'zeppelin', '2026-01-01')"
        )
    conn.close()
    result = run(runner, sample_home, "check")
    assert result.exit_code == 1 and "1 article indexed with other metadata" in result.output
    assert run(runner, sample_home, "check", "--repair").exit_code == 0
    assert Reader(sample_home).search("zeppelin").total == 1


def test_deleting_the_article_deletes_its_notes(archive: Archive) -> None:
    archive.add_note(1, "zeppelin")
    archive.delete([1])
    assert archive.notes() == []
