"""delete is safe to use: it names what it deletes, chooses like edit, dry-runs, and asks."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from _safety import write_articles

import cli_curation
from archive import Archive, Reader
from archive.ingest import Overrides, read_path
from cli import cli


@pytest.fixture
def home(sample_home: Path, tmp_path: Path) -> Path:
    """The sample article plus 8 small ones from 'Rumour Mill' (ids 2..9)."""
    files = write_articles(tmp_path / "more", 8, seed=3)
    with Archive.open(sample_home) as archive:
        rumour = Overrides(source="Rumour Mill")
        report = archive.ingest(d for f in files for d in read_path(f, rumour))
        assert report.count("added") == 8
    return sample_home


def run(runner, home: Path, *args: str, **kwargs):
    return runner.invoke(cli, ["--home", str(home), *args], **kwargs)


def test_delete_names_the_titles_it_deleted(home: Path, runner) -> None:
    titles = {a.id: a.title for a in Reader(home).list(limit=None)}
    result = run(runner, home, "delete", "3", "2")
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        f"deleted 3: {titles[3]}",
        f"deleted 2: {titles[2]}",
        "2 articles deleted",
    ]
    assert Reader(home).count() == 7


def test_dry_run_lists_and_deletes_nothing(home: Path, runner) -> None:
    result = run(runner, home, "delete", "--query", 'source:"rumour mill"', "--dry-run")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert len(lines) == 9 and lines[0].startswith("would delete 2: Report a0 about archives")
    assert lines[-1] == "dry run, nothing deleted: 8 articles would be deleted"
    assert Reader(home).count() == 9


def test_delete_by_query_and_by_field_value(home: Path, runner) -> None:
    result = run(runner, home, "delete", "--query", "atoken3 OR atoken4", "--format", "json")
    data = json.loads(result.output)
    assert (data["deleted"], [a["id"] for a in data["articles"]]) == (2, [5, 6])
    result = run(runner, home, "delete", "--where", "source=rumour mill")
    assert result.output.splitlines()[-1] == "6 articles deleted"
    assert [a.id for a in Reader(home).list(limit=None)] == [1]
    assert run(runner, home, "check").exit_code == 0
    result = run(runner, home, "delete", "--where", "source=rumour mill")
    assert (result.exit_code, result.output) == (0, "nothing to delete: no article matches\n")


def test_on_a_terminal_many_deletions_ask_first(
    home: Path, runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_curation, "on_terminal", lambda: True)
    result = run(runner, home, "delete", "--where", "source=Rumour Mill", input="n\n")
    assert result.exit_code == 1
    assert "delete these 8 articles? [y/N]" in result.output
    assert "Aborted!" in result.output
    assert Reader(home).count() == 9
    result = run(runner, home, "delete", "--where", "source=Rumour Mill", input="y\n")
    assert result.exit_code == 0
    assert result.output.splitlines()[-1] == "8 articles deleted"
    assert Reader(home).count() == 1


def test_yes_or_a_handful_does_not_ask(home: Path, runner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_curation, "on_terminal", lambda: True)
    result = run(runner, home, "delete", "2", "3", "4", "5", "6")
    assert result.exit_code == 0 and "?" not in result.output
    result = run(runner, home, "delete", "--query", "archives", "--yes")
    assert result.output.splitlines()[-1] == "3 articles deleted"
    assert Reader(home).count() == 1


def test_an_unknown_id_deletes_nothing(home: Path, runner) -> None:
    result = run(runner, home, "delete", "2", "42")
    assert result.exit_code == 1
    assert result.output == "Error: no article with id 42 (see 'archive list')\n"
    assert Reader(home).count() == 9


def _reuters_files(reuters_corpus: Path, folder: Path) -> list[Path]:
    """40 distinct Reuters records in two files, each with one record that has no text
    (so each file is remembered as failed): 30 in a JSON array, 10 as JSON lines."""
    records = json.loads((reuters_corpus / "reuters-000.json").read_text(encoding="utf-8"))
    texts: dict[str, dict[str, object]] = {}
    for r in records:
        texts.setdefault(str(r.get("body") or "").strip(), r)
    good = [r for body, r in texts.items() if body][:40]
    folder.mkdir()
    array, lines = folder / "reuters30.json", folder / "reuters10.jsonl"
    array.write_text(json.dumps([*good[:30], {"title": "no text"}]), encoding="utf-8")
    lines.write_text("".join(json.dumps(r) + "\n" for r in [*good[30:], {"title": "none"}]))
    return [array, lines]


@pytest.mark.slow
def test_deleted_articles_come_back_from_a_file_that_once_failed(
    reuters_corpus: Path, archive_home: Path, tmp_path: Path, runner
) -> None:
    files = [str(f) for f in _reuters_files(reuters_corpus, tmp_path / "data")]
    first = run(runner, archive_home, "ingest", *files)
    stored = Reader(archive_home).count()
    assert first.output.splitlines()[-1].startswith(f"{stored} added, 0 updated, 0 unchanged")
    again = run(runner, archive_home, "ingest", *files)  # the remembered failures: not read
    assert "file not changed since its failure; not read" in again.output
    deleted = run(runner, archive_home, "delete", "--query", "places:usa", "--yes")
    gone = int(deleted.output.splitlines()[-1].split()[0])
    assert 0 < gone < stored and Reader(archive_home).count() == stored - gone

    result = run(runner, archive_home, "ingest", *files)
    assert result.exit_code == 1  # the two records without text fail again
    assert "not read" not in result.output
    summary = result.output.splitlines()[-1]
    assert summary.startswith(f"{gone} added, 0 updated, {stored - gone} unchanged, 2 failed")
    assert Reader(archive_home).count() == stored
    assert run(runner, archive_home, "check").exit_code == 0


def test_deleting_an_article_names_the_notes_that_go_with_it(home: Path, runner) -> None:
    for article_id, text in ((2, "first"), (2, "second"), (4, "only")):
        assert run(runner, home, "note", str(article_id), text).exit_code == 0
    titles = {a.id: a.title for a in Reader(home).list(limit=None)}
    result = run(runner, home, "delete", "2", "3", "--dry-run", "--format", "json")
    data = json.loads(result.output)
    assert (data["deleted"], data["notes_deleted"]) == (2, 2)
    assert [(a["id"], a["notes"]) for a in data["articles"]] == [(2, 2), (3, 0)]
    result = run(runner, home, "delete", "2", "3", "4")
    assert result.output.splitlines() == [
        f"deleted 2: {titles[2]} (and its 2 notes)",
        f"deleted 3: {titles[3]}",
        f"deleted 4: {titles[4]} (and its 1 note)",
        "3 articles deleted (and 3 notes)",
    ]
    assert run(runner, home, "notes").output == "no notes\n"


def test_the_question_before_deleting_does_not_say_dry_run(
    home: Path, runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_curation, "on_terminal", lambda: True)
    assert run(runner, home, "note", "5", "keep this?").exit_code == 0
    result = run(runner, home, "delete", "--where", "source=Rumour Mill", input="n\n")
    assert result.exit_code == 1 and Reader(home).count() == 9
    lines = result.output.splitlines()
    assert "dry run" not in result.output
    assert len(lines) == 10 and all(line.startswith("would delete ") for line in lines[:8])
    assert lines[3].endswith(" (and its 1 note)")
    assert lines[8] == "delete these 8 articles (and their 1 note)? [y/N]: n"
    result = run(runner, home, "delete", "--where", "source=Rumour Mill", "--dry-run")
    assert result.output.splitlines()[-1] == (
        "dry run, nothing deleted: 8 articles would be deleted (and 1 note)"
    )


@pytest.mark.slow
def test_a_file_holding_a_deleted_articles_text_is_read_again(
    reuters_corpus: Path, archive_home: Path, tmp_path: Path, runner
) -> None:
    """A file whose record had the same text as a stored article was counted unchanged
    (the article's origin stays the first file): after the article is deleted that file
    is read again, not skipped as unchanged. A file remembered before the article was
    stored stays skipped."""
    array, _ = _reuters_files(reuters_corpus, tmp_path / "data")
    records = json.loads(array.read_text(encoding="utf-8"))
    early, first, second = (tmp_path / name for name in ("early.json", "a.json", "b.json"))
    early.write_text(json.dumps(records[10:15]), encoding="utf-8")
    first.write_text(json.dumps(records[:5]), encoding="utf-8")
    second.write_text(json.dumps(records[:1]), encoding="utf-8")
    assert run(runner, archive_home, "ingest", str(early)).exit_code == 0
    time.sleep(1.1)  # (the database keeps whole seconds)
    for path, summary in (
        (first, "5 added, 0 updated, 0 unchanged"),
        (second, "0 added, 0 updated, 1 unchanged"),
    ):
        result = run(runner, archive_home, "ingest", str(path))
        assert result.output.splitlines()[-1].startswith(summary), result.output
    title = str(records[0]["title"])
    doomed = [a.id for a in Reader(archive_home).list(limit=None) if a.title == title]
    assert len(doomed) == 1 and run(runner, archive_home, "delete", str(doomed[0])).exit_code == 0

    result = run(runner, archive_home, "ingest", str(second))
    assert result.output.splitlines()[-1].startswith("1 added, 0 updated, 0 unchanged")
    result = run(runner, archive_home, "ingest", str(early))
    assert "(file not changed since it was ingested; not read)" in result.output
    assert result.output.splitlines()[-1].startswith("0 added, 0 updated, 5 unchanged")
