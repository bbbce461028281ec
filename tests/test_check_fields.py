"""check compares every indexed field, so an edit made behind the tool's back is found."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from archive import Reader
from cli import cli


def run(runner, home: Path, *args: str):
    return runner.invoke(cli, ["--home", str(home), *args])


def sql(home: Path, statement: str, *params: object) -> None:
    conn = sqlite3.connect(home / "archive.sqlite3")
    with conn:
        conn.execute(statement, params)
    conn.close()


def test_a_title_changed_in_sqlite_is_reported_and_repaired(sample_home: Path, runner) -> None:
    sql(sample_home, "UPDATE articles SET title = 'Renamed by sqlite-utils' WHERE id = 1")
    assert Reader(sample_home).search("title:renamed").total == 0
    result = run(runner, sample_home, "check")
    assert result.exit_code == 1
    assert result.output == (
        "1 article in the database\n"
        "1 article indexed with other metadata than the database's\n"
        "run 'archive check --repair' to fix the index\n"
    )
    result = run(runner, sample_home, "check", "--repair")
    assert result.exit_code == 0, result.output
    assert "repaired: the index now matches the database" in result.output
    assert [h.id for h in Reader(sample_home).search("title:renamed").hits] == [1]
    assert run(runner, sample_home, "check").output.endswith("database and index agree\n")


@pytest.mark.slow
def test_each_indexed_field_is_compared(sample_home: Path, runner) -> None:
    changes = [
        "UPDATE articles SET author = 'Jane Doe' WHERE id = 1",
        "UPDATE articles SET source = 'BBC' WHERE id = 1",
        "UPDATE articles SET url = 'https://example.org/x' WHERE id = 1",
        "UPDATE articles SET published_at = '2020-01-01 00:00:00.000000' WHERE id = 1",
        "UPDATE tags SET name = 'otan' WHERE article_id = 1 AND name = 'nato'",
        "DELETE FROM tags WHERE article_id = 1",
    ]
    for statement in changes:
        sql(sample_home, statement)
        result = run(runner, sample_home, "check")
        assert result.exit_code == 1, statement
        assert "1 article indexed with other metadata" in result.output, statement
        assert run(runner, sample_home, "check", "--repair").exit_code == 0
        assert run(runner, sample_home, "check").exit_code == 0


def test_the_tag_search_follows_a_repaired_tag(sample_home: Path, runner) -> None:
    sql(sample_home, "UPDATE tags SET name = 'otan' WHERE article_id = 1 AND name = 'nato'")
    assert run(runner, sample_home, "check", "--repair").exit_code == 0
    reader = Reader(sample_home)
    assert reader.search("tag:otan").total == 1
    assert reader.search("tag:nato").total == 0
