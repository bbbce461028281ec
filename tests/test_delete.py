"""delete is safe to use: it names what it deletes, chooses like edit, dry-runs, and asks."""

from __future__ import annotations

import json
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
