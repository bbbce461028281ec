"""Bad input to edit: one clear line, the README's exit status, nothing half-changed."""

from __future__ import annotations

from pathlib import Path

import pytest
from _safety import write_articles

from archive import Archive, Reader
from archive.ingest import read_path
from cli import cli


@pytest.fixture
def home(sample_home: Path, tmp_path: Path) -> Path:
    files = write_articles(tmp_path / "more", 3, seed=9)
    with Archive.open(sample_home) as archive:
        archive.ingest(d for f in files for d in read_path(f))
    return sample_home


def run(runner, home: Path, *args: str):
    return runner.invoke(cli, ["--home", str(home), *args])


def snapshot(home: Path) -> list[object]:
    reader = Reader(home)
    return [(a, reader.history(a.id)) for a in reader.list(limit=None)]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["1", "42", "--title", "T"], "no article with id 42 (see 'archive list')"),
        (["1", "--title", "   "], "the title cannot be empty"),
        (["1", "--source", ""], "the source cannot be empty (to remove it, use --clear source)"),
        (["1", "--add-tag", "a,b"], "a tag cannot contain a comma ('a,b')"),
        (["1", "--set-tags", "a,,b"], "a tag cannot be empty"),
        (["1", "--clear", "title"], "every article has a title: it cannot be cleared"),
        (["1", "--source", "X", "--clear", "source"], "--source and --clear source contradict"),
        (["1", "--add-tag", "x", "--remove-tag", "x"], "the tag 'x' is both added and removed"),
        (["1", "2"], "nothing to change: give a new value"),
        (["1", "2", "--url", "https://e.org/one"], "a URL names one article"),
        (["--query", "", "--title", "T"], "query '' has no words to search for"),
    ],
)
def test_bad_input_is_one_line_exit_1_and_changes_nothing(
    home: Path, runner, args: list[str], message: str
) -> None:
    before = snapshot(home)
    result = run(runner, home, "edit", *args)
    assert result.exit_code == 1, result.output
    assert result.output.startswith(f"Error: {message}")
    assert result.output.count("\n") == 1
    assert snapshot(home) == before


#: A date dateparser cannot read: it tries every language first (about 4 s).
_SLOW = pytest.mark.slow


@pytest.mark.parametrize(
    ("args", "option", "message"),
    [
        (
            ["edit", "1", "--published", "not a date"],
            "--published",
            "cannot read 'not a date' as a publication date",
        ),
        (["edit", "--where", "colour=red", "--title", "T"], "--where", "cannot read 'colour=red'"),
        (["delete", "--where", "foo=bar"], "--where", "cannot read 'foo=bar': write FIELD=VALUE"),
        pytest.param(
            ["edit", "--query", "archives", "--since", "someday", "--title", "T"],
            "--since",
            "cannot read 'someday' as a date",
            marks=_SLOW,
        ),
        pytest.param(
            ["delete", "--query", "archives", "--until", "garbage date"],
            "--until",
            "cannot read 'garbage date' as a date",
            marks=_SLOW,
        ),
        pytest.param(
            ["search", "archives", "--since", "garbage date"],
            "--since",
            "cannot read 'garbage date' as a date",
            marks=_SLOW,
        ),
        (["ingest", "-", "--published", "garbage"], "--published", "not a date: 'garbage'"),
    ],
)
def test_a_bad_option_value_is_a_usage_error_naming_it(
    home: Path, runner, args: list[str], option: str, message: str
) -> None:
    """README: exit status 2 for a bad option value, whichever command and option
    (newcomer's trial, problem 11); nothing changed."""
    before = snapshot(home)
    result = run(runner, home, *args)
    assert result.exit_code == 2, result.output
    usage, hint, blank, error = result.stderr.splitlines()
    assert usage.startswith("Usage: ") and f" {args[0]} [OPTIONS]" in usage
    assert error.startswith(f"Error: Invalid value for '{option}': {message}")
    assert result.stdout == ""
    assert snapshot(home) == before


def test_choosing_nothing_is_a_usage_error(home: Path, runner) -> None:
    result = run(runner, home, "edit", "--title", "T")
    assert result.exit_code == 2
    assert "choose the articles: give ids, --query or --where" in result.output


def test_a_query_matching_nothing_changes_nothing_and_succeeds(home: Path, runner) -> None:
    before = snapshot(home)
    result = run(runner, home, "edit", "--query", "zebra", "--title", "T")
    assert (result.exit_code, result.output) == (0, "nothing to change: no article matches\n")
    result = run(runner, home, "edit", "--query", "archives", "--source", "Euronews")
    assert result.exit_code == 0
    assert "3 articles changed of 3 chosen" in result.output
    result = run(runner, home, "edit", "--query", "archives", "--source", "Euronews")
    assert result.output == "nothing to change: the articles chosen already have these values\n"
    assert snapshot(home) != before


def test_a_url_taken_by_another_article_changes_nothing(home: Path, runner) -> None:
    assert run(runner, home, "edit", "2", "--url", "https://e.org/two").exit_code == 0
    before = snapshot(home)
    result = run(runner, home, "edit", "3", "--url", "https://E.org/two/", "--title", "New")
    assert result.exit_code == 1
    assert result.output.startswith("Error: article 2 already has the URL https://e.org/two")
    assert snapshot(home) == before
