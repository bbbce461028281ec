"""The command line through CliRunner, on the sample article."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from tests.conftest import SAMPLE

COMMANDS = sorted(cli.commands)


def run(runner: CliRunner, *args: str, input: str | bytes | None = None):  # noqa: A002
    return runner.invoke(cli, list(args), input=input, catch_exceptions=False)


def test_ingest_then_reingest(runner: CliRunner, archive_home: Path) -> None:
    first = run(runner, "ingest", str(SAMPLE), "--source", "Euronews")
    assert first.exit_code == 0
    assert first.stdout.startswith("added 1: Plans to send European troops")
    assert first.stdout.splitlines()[-1].startswith("1 added, 0 updated, 0 unchanged, 0 failed in ")
    # The file has not changed since: skipped unread (tests/test_ingest_incremental.py).
    again = run(runner, "ingest", str(SAMPLE))
    assert again.exit_code == 0
    assert "not read" in again.stdout
    assert again.stdout.splitlines()[-1].startswith("0 added, 0 updated, 1 unchanged, 0 failed")
    forced = run(runner, "ingest", str(SAMPLE), "--force")
    assert "unchanged 1:" in forced.stdout and "same text as article 1" in forced.stdout
    assert forced.stdout.splitlines()[-1].startswith("0 added, 0 updated, 1 unchanged, 0 failed")


def test_ingest_from_stdin_with_metadata(runner: CliRunner, sample_text: str) -> None:
    result = run(
        runner,
        "ingest",
        "-",
        "--title",
        "Piped",
        "--author",
        "Someone",
        "--url",
        "https://example.org/piped",
        "--published",
        "September 3, 2025",
        "--tag",
        "x",
        "--tag",
        "y",
        input=sample_text.encode(),
    )
    assert result.exit_code == 0, result.output
    shown = json.loads(run(runner, "show", "1", "--format", "json").stdout)
    assert shown["title"] == "Piped"
    assert shown["origin"] == "-"
    assert shown["author"] == "Someone"
    assert shown["published"] == "2025-09-03"
    assert shown["tags"] == ["x", "y"]
    assert shown["body"] == sample_text.strip()


def test_search_text_output_marks_matches(runner: CliRunner, sample_home: Path) -> None:
    result = run(runner, "search", "deploy troops", "--color", "never")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "1 article matches 'deploy troops' (showing 1–1)"
    assert lines[2].startswith("1. Plans to send European troops")
    assert lines[3] == "   Euronews · 2025-03-13 · id 1"
    assert "**deploy**" in result.stdout and "**troops**" in result.stdout
    assert "\x1b[" not in result.stdout


def test_search_colour(
    runner: CliRunner, sample_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    coloured = run(runner, "search", "deploy", "--color", "always").stdout
    assert "\x1b[" in coloured and "**" not in coloured
    # auto: CliRunner's stdout is not a terminal, so no colour
    assert "\x1b[" not in run(runner, "search", "deploy").stdout
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in run(runner, "search", "deploy", "--color", "auto").stdout


def test_search_json_contract(runner: CliRunner, sample_home: Path, sample_text: str) -> None:
    result = run(runner, "search", "deploy", "--format", "json", "--passages", "2")
    data = json.loads(result.stdout)
    assert set(data) >= {"query", "total", "hits"}
    assert data["query"] == "deploy" and data["total"] == 1
    hit = data["hits"][0]
    assert set(hit) >= {"id", "title", "source", "author", "published", "url", "score", "passages"}
    assert hit["published"] == "2025-03-13" and hit["url"] is None
    assert isinstance(hit["score"], float)
    body = sample_text.strip()
    assert 1 <= len(hit["passages"]) <= 2
    seen = set()
    for p in hit["passages"]:
        assert body[p["start"] : p["end"]] == p["text"]
        seen.update(p["text"][s:e] for s, e in p["highlights"])
    assert {"deploy", "deployment"} <= seen


def test_search_limit(runner: CliRunner, archive_home: Path, tmp_path: Path) -> None:
    for n in range(5):
        f = tmp_path / f"a{n}.txt"
        f.write_text(f"Article {n}\n\nSummit number {n} on troops.\n")
    assert run(runner, "ingest", *[str(tmp_path / f"a{n}.txt") for n in range(5)]).exit_code == 0
    data = json.loads(run(runner, "search", "summit", "--limit", "2", "--format", "json").stdout)
    assert data["total"] == 5 and len(data["hits"]) == 2


def test_search_without_hits_exits_zero(runner: CliRunner, sample_home: Path) -> None:
    result = run(runner, "search", "zebra")
    assert result.exit_code == 0
    assert result.stdout == "No articles match 'zebra'.\n"


def test_show_list_stats_delete_reindex(runner: CliRunner, sample_home: Path) -> None:
    shown = run(runner, "show", "1").stdout
    shown_json = run(runner, "show", "1", "--format", "json").stdout
    assert shown.startswith("id:        1\ntitle:     Plans to send")
    assert "source:    Euronews" in shown and "tags:      nato, ukraine" in shown
    listing = json.loads(run(runner, "list", "--format", "json").stdout)
    assert [a["id"] for a in listing] == [1] and "body" not in listing[0]
    assert "Euronews" in run(runner, "list").stdout
    assert json.loads(run(runner, "stats", "--format", "json").stdout)["articles"] == 1
    assert run(runner, "reindex").stdout == "reindexed 1 article\n"
    assert run(runner, "check").exit_code == 0
    assert run(runner, "delete", "1").stdout.splitlines() == [
        f"deleted 1: {json.loads(shown_json)['title']}",
        "1 article deleted",
    ]
    assert json.loads(run(runner, "list", "--all", "--format", "json").stdout) == []


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda d: d / "missing.txt", "no such file"),
        (lambda d: _write(d / "empty.txt", b""), "empty input"),
        (lambda d: _write(d / "blank.txt", b"  \n\n "), "empty input"),
        # Latin-1 and other single-byte texts are decoded (tests/test_ingest_formats.py);
        # bytes no character set fits are refused.
        (lambda d: _write(d / "garbled.txt", bytes(range(0x80, 0x100)) * 4), "not UTF-8"),
        (lambda d: _write(d / "bin.dat", b"\x00\x01\x02binary"), "binary data"),
    ],
)
def test_bad_inputs_fail_one_line_and_the_rest_ingests(
    runner: CliRunner, tmp_path: Path, make, reason: str
) -> None:
    bad = make(tmp_path)
    result = runner.invoke(cli, ["ingest", str(bad), str(SAMPLE)])
    assert result.exit_code == 1
    errors = result.stderr.strip().splitlines()
    assert errors == [f"error: {bad}: {errors[0].split(': ', 2)[2]}"]
    assert reason in errors[0]
    assert "Traceback" not in result.output
    assert result.stdout.splitlines()[-1].startswith("1 added, 0 updated, 0 unchanged, 1 failed")
    assert json.loads(run(runner, "stats", "--format", "json").stdout)["articles"] == 1


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["show", "42"], "Error: no article with id 42 (see 'archive list')"),
        (["delete", "42"], "Error: no article with id 42 (see 'archive list')"),
        (["search", "the"], "Error: query 'the' has no words to search for"),
        (["search", "   "], "Error: query '   ' has no words to search for"),
        (
            ["search", "title:"],
            "Error: query 'title:' has no words to search for: give a value after title:, "
            "as title:nato",
        ),
    ],
)
def test_user_errors_are_one_line(
    runner: CliRunner, sample_home: Path, args: list[str], message: str
) -> None:
    result = runner.invoke(cli, args)
    assert result.exit_code == 1
    assert result.stderr == message + "\n"
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_broken_syntax_is_searched_as_words_with_a_notice(
    runner: CliRunner, sample_home: Path
) -> None:
    result = runner.invoke(cli, ["search", '"reassurance force'])
    assert result.exit_code == 0
    assert result.stderr.startswith("note: query has an unclosed quote")
    assert result.stdout.startswith("1 article matches")


@pytest.mark.parametrize(
    ("args", "option", "kind"),
    [
        (["show", "abc"], "'ARTICLE_ID'", "an article id"),
        (["similar", "1x"], "'ARTICLE_ID'", "an article id"),
        (["edit", "1", "two", "--title", "T"], "'[IDS]...'", "an article id"),
        (["note", "--delete", "three"], "'--delete'", "a note id"),
    ],
)
def test_an_id_that_is_no_number_is_said_to_be_no_id(
    runner: CliRunner, sample_home: Path, args: list[str], option: str, kind: str
) -> None:
    """Not Click's "'abc' is not a valid integer range" (newcomer's trial, problem 16)."""
    result = runner.invoke(cli, args)
    assert result.exit_code == 2
    value = next(a for a in args if a in ("abc", "1x", "two", "three"))
    error = (
        f"Error: Invalid value for {option}: {value!r} is not {kind} (a whole number, 1 or more)"
    )
    assert result.stderr.splitlines()[-1] == error
    assert (
        runner.invoke(cli, ["show", "0"])
        .stderr.splitlines()[-1]
        .endswith("0 is not in the range 1<=x<=9223372036854775807.")
    )


def test_bad_published_date_is_a_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["ingest", str(SAMPLE), "--published", "someday"])
    assert result.exit_code == 2
    assert "--published" in result.stderr and "not a date" in result.stderr


def test_home_option_wins_over_environment(runner: CliRunner, tmp_path: Path) -> None:
    other = tmp_path / "other"
    assert run(runner, "--home", str(other), "ingest", str(SAMPLE)).exit_code == 0
    assert (other / "archive.sqlite3").exists()
    assert json.loads(run(runner, "stats", "--format", "json").stdout)["articles"] == 0


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(runner: CliRunner, command: str) -> None:
    result = run(runner, command, "--help")
    assert result.exit_code == 0
    assert "Example:" in result.stdout
    assert f"archive {command}" in result.stdout


def test_default_home_is_the_platform_data_directory(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from platformdirs import user_data_dir

    monkeypatch.delenv("ARCHIVE_HOME")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    assert run(runner, "ingest", str(SAMPLE)).exit_code == 0
    expected = Path(user_data_dir("article-archive", False))
    assert expected.is_relative_to(tmp_path)
    assert (expected / "archive.sqlite3").is_file()


def test_a_folder_without_an_archive_is_said_to_hold_none(tmp_path: Path, runner) -> None:
    """A mistyped --home is not "an empty archive": list and search say there is none,
    and neither makes one."""
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "todo.txt").write_text("buy milk\n", encoding="utf-8")
    listed = runner.invoke(cli, ["--home", str(folder), "list"])
    assert listed.exit_code == 0
    assert listed.output == (
        f"There is no archive at {folder} yet ('archive ingest FILE' starts one).\n"
    )
    found = runner.invoke(cli, ["--home", str(folder), "search", "milk", "--format", "json"])
    assert found.exit_code == 0
    data = json.loads(found.stdout)
    assert data["total"] == 0 and data["hits"] == []
    assert data["notices"] == [
        f"there is no archive at {folder} yet ('archive ingest FILE' starts one)"
    ]
    assert sorted(p.name for p in folder.iterdir()) == ["todo.txt"]
    empty = runner.invoke(cli, ["--home", str(tmp_path / "archive"), "ingest", str(SAMPLE)])
    assert empty.exit_code == 0
    assert (
        "There is no archive"
        not in runner.invoke(cli, ["--home", str(tmp_path / "archive"), "list"]).output
    )
