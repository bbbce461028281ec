"""Editing many articles at once: chosen by ids, a search or field values; dry run; summary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archive import Archive, ArticleDraft, Reader
from archive.curation import Changes
from cli import cli

SOURCES = ["BBC", "BBC News", "British Broadcasting Corporation", "Reuters", "BBC"]
DATES = ["2024-05-01", "2025-01-10", "2025-02-20", "2025-03-30", "2025-04-15"]


@pytest.fixture
def home(sample_home: Path) -> Path:
    """The sample (id 1, Euronews) plus five articles about rates (ids 2..6)."""
    with Archive.open(sample_home) as archive:
        for n, (source, date) in enumerate(zip(SOURCES, DATES, strict=True)):
            archive.add(
                ArticleDraft(
                    title=f"Rates story {n}",
                    body=f"Central bank rates story number {n}, word{n}.",
                    origin=f"r{n}",
                    source=source,
                    published=date,
                    tags=("ukriane", "rates") if n % 2 else ("rates",),
                )
            )
    return sample_home


def run(runner, home: Path, *args: str):
    return runner.invoke(cli, ["--home", str(home), *args])


def sources(home: Path) -> dict[int, str | None]:
    return {a.id: a.source for a in Reader(home).list(limit=None)}


def test_renaming_a_source_across_the_archive_is_one_command(home: Path, runner) -> None:
    result = run(
        runner,
        home,
        "edit",
        "--where",
        "source=BBC",
        "--where",
        "source=British Broadcasting Corporation",
        "--source",
        "BBC News",
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "edited 2: Rates story 0",
        "  source: 'BBC' -> 'BBC News'",
        "edited 4: Rates story 2",
        "  source: 'British Broadcasting Corporation' -> 'BBC News'",
        "edited 6: Rates story 4",
        "  source: 'BBC' -> 'BBC News'",
        "3 articles changed of 3 chosen",
    ]
    assert sources(home) == {
        1: "Euronews",
        2: "BBC News",
        3: "BBC News",
        4: "BBC News",
        5: "Reuters",
        6: "BBC News",
    }
    facets = Reader(home).search("rates", facets=["source"]).facets["source"]
    assert facets == [("BBC News", 4), ("Reuters", 1)]
    assert run(runner, home, "check").exit_code == 0


def test_edit_by_query_with_a_date_range(home: Path, runner) -> None:
    result = run(
        runner,
        home,
        "edit",
        "--query",
        'source:"BBC"',
        "--since",
        "2024",
        "--until",
        "2025-02",
        "--add-tag",
        "q1",
        "--format",
        "json",
    )
    data = json.loads(result.output)
    assert (data["selected"], data["changed"]) == (2, 2)
    # BBC and BBC News in the range; not "British Broadcasting Corporation", nor the
    # BBC article of April 2025.
    assert [a["id"] for a in data["articles"]] == [2, 3]
    assert {h.id for h in Reader(home).search("tag:q1").hits} == {2, 3}


def test_dry_run_lists_what_would_change_and_writes_nothing(home: Path, runner) -> None:
    before = [(a, Reader(home).history(a.id)) for a in Reader(home).list(limit=None)]
    result = run(
        runner,
        home,
        "edit",
        "--where",
        "tag=ukriane",
        "--remove-tag",
        "ukriane",
        "--add-tag",
        "ukraine",
        "--dry-run",
    )
    assert result.output.splitlines() == [
        "would edit 3: Rates story 1",
        "  tags: ukriane, rates -> rates, ukraine",
        "would edit 5: Rates story 3",
        "  tags: ukriane, rates -> rates, ukraine",
        "dry run, nothing written: 2 articles would change of 2 chosen",
    ]
    assert [(a, Reader(home).history(a.id)) for a in Reader(home).list(limit=None)] == before
    assert [h.id for h in Reader(home).search("tag:ukraine").hits] == [1]  # the sample's


def test_ids_and_a_query_together_take_the_articles_both_choose(home: Path) -> None:
    with Archive.open(home) as archive:
        chosen = archive.select(ids=[1, 2, 3], query="rates")
        assert chosen == [2, 3]
        report = archive.edit([1, 2, 3], Changes(author="Desk"), query="rates")
        assert [e.id for e in report.edited] == [2, 3]
        assert archive.get(1).author is None
