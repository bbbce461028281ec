"""Publication dates as real sources write them, stored in one form; bad dates only warn."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive import Archive
from archive.dates import date_bound, parse_date
from archive.errors import QueryError
from cli import cli


@pytest.mark.parametrize(
    ("text", "stored", "instant"),
    [
        # ISO 8601: date, date-time with offset, with Z, without a zone (zone unknown)
        ("2025-09-03", "2025-09-03", datetime(2025, 9, 3)),
        ("2025-09-03T14:05:00+02:00", "2025-09-03T14:05:00+02:00", datetime(2025, 9, 3, 12, 5)),
        ("2025-09-03T14:05:00Z", "2025-09-03T14:05:00+00:00", datetime(2025, 9, 3, 14, 5)),
        ("2025-09-03T14:05:00", "2025-09-03T14:05:00", datetime(2025, 9, 3, 14, 5)),
        ("2025-09-03 14:05", "2025-09-03T14:05:00", datetime(2025, 9, 3, 14, 5)),
        ("20250903", "2025-09-03", datetime(2025, 9, 3)),
        ("20250903T140500Z", "2025-09-03T14:05:00+00:00", datetime(2025, 9, 3, 14, 5)),
        # RFC 2822 (RSS pubDate, e-mail): offsets and the zone names the RFC defines
        (
            "Wed, 03 Sep 2025 14:05:00 +0200",
            "2025-09-03T14:05:00+02:00",
            datetime(2025, 9, 3, 12, 5),
        ),
        ("Wed, 03 Sep 2025 14:05:00 GMT", "2025-09-03T14:05:00+00:00", datetime(2025, 9, 3, 14, 5)),
        ("Wed, 03 Sep 2025 14:05:00 EDT", "2025-09-03T14:05:00-04:00", datetime(2025, 9, 3, 18, 5)),
        # an ambiguous zone name (India? Ireland? Israel?): time kept, zone unknown
        ("Wed, 03 Sep 2025 14:05:00 IST", "2025-09-03T14:05:00", datetime(2025, 9, 3, 14, 5)),
        # written out
        ("September 3, 2025", "2025-09-03", datetime(2025, 9, 3)),
        ("3 September 2025", "2025-09-03", datetime(2025, 9, 3)),
        ("Sept. 3, 2025", "2025-09-03", datetime(2025, 9, 3)),
        # numeric: day first, unless the first number cannot be a day of a month
        ("03/09/2025", "2025-09-03", datetime(2025, 9, 3)),
        ("3.9.2025", "2025-09-03", datetime(2025, 9, 3)),
        ("09/23/2025", "2025-09-23", datetime(2025, 9, 23)),
        ("2025/09/03", "2025-09-03", datetime(2025, 9, 3)),
        # Reuters-21578's form
        (
            "26-FEB-1987 15:01:01.79",
            "1987-02-26T15:01:01.790000",
            datetime(1987, 2, 26, 15, 1, 1, 790000),
        ),
    ],
)
def test_date_forms(text: str, stored: str, instant: datetime) -> None:
    parsed = parse_date(text)
    assert (parsed.iso, parsed.instant) == (stored, instant)


@pytest.mark.parametrize("text", ["yesterday", "2025", "Sep 2025", "2025-13-45", "n/a", " "])
def test_not_dates(text: str) -> None:
    with pytest.raises(ValueError):
        parse_date(text)


@pytest.mark.parametrize(
    ("text", "start", "last"),
    [
        ("2025", datetime(2025, 1, 1), datetime(2025, 12, 31, 23, 59, 59, 999999)),
        ("Sep 2025", datetime(2025, 9, 1), datetime(2025, 9, 30, 23, 59, 59, 999999)),
        ("2024-02", datetime(2024, 2, 1), datetime(2024, 2, 29, 23, 59, 59, 999999)),
        ("3 September 2025", datetime(2025, 9, 3), datetime(2025, 9, 3, 23, 59, 59, 999999)),
        # A time is an instant, the same as either bound; its offset is dropped.
        ("2025-09-03 14:05", datetime(2025, 9, 3, 14, 5), datetime(2025, 9, 3, 14, 5)),
        ("2025-09-03T14:05+02:00", datetime(2025, 9, 3, 14, 5), datetime(2025, 9, 3, 14, 5)),
        # Midnight on the first of January is given, not a default.
        ("2025-01-01 00:00", datetime(2025, 1, 1), datetime(2025, 1, 1)),
    ],
)
def test_search_bounds_name_whole_periods(text: str, start: datetime, last: datetime) -> None:
    assert date_bound(text) == start
    assert date_bound(text, end=True) == last


@pytest.mark.parametrize(
    "text",
    ["", "   ", pytest.param("not a date at all", marks=pytest.mark.slow)],  # dateparser: ~4 s
)
def test_a_search_bound_that_is_not_a_date_is_a_query_error(text: str) -> None:
    with pytest.raises(QueryError) as caught:
        date_bound(text)
    assert str(caught.value) == (
        f"cannot read {text!r} as a date; try 2025-09-03, 2025-09, 2025 or 'last month'"
    )


def test_unparseable_date_is_a_warning_not_a_failure(tmp_path: Path, runner: CliRunner) -> None:
    f = tmp_path / "a.jsonl"
    f.write_text(
        json.dumps({"title": "T", "body": "Some text.", "date": "last Tuesday-ish"}) + "\n",
        encoding="utf-8",
    )
    result = runner.invoke(cli, ["ingest", str(f)])
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        f"warning: {f}:1: published date ignored (not a date: 'last Tuesday-ish'); "
        "its text is kept as extra 'date_given'\n"
    )
    assert result.stdout.splitlines()[-1].startswith("1 added, 0 updated, 0 unchanged, 0 failed")
    with Archive.open(tmp_path / "home") as archive:
        assert archive.get(1).published is None
        assert (archive.get(1).extra or {}).get("date_given") == "last Tuesday-ish"


def test_dates_sort_by_instant_across_zones(tmp_path: Path, archive_home: Path) -> None:
    f = tmp_path / "a.jsonl"
    rows = [
        {"title": "late-utc", "body": "one", "date": "2025-09-03T12:30:00Z"},
        {"title": "early-local", "body": "two", "date": "2025-09-03T14:05:00+02:00"},
        {"title": "day-only", "body": "three", "date": "2025-09-02"},
    ]
    f.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    with Archive.open(archive_home) as archive:
        archive.ingest_paths([f])
        titles = [a.title for a in archive.list()]
    assert titles == ["late-utc", "early-local", "day-only"]


def test_the_day_shown_is_the_day_filtered_on(
    tmp_path: Path, archive_home: Path, runner: CliRunner
) -> None:
    # 'Published: 2025-10-04T00:30:00+02:00' was shown as 2025-10-04, but dates are
    # filtered in UTC (22:30 on 3 October): --since 2025-10-04 found nothing.
    f = tmp_path / "late.txt"
    f.write_text(
        "Title: Late night vote\nPublished: 2025-10-04T00:30:00+02:00\n\n"
        "The council voted after midnight on the harbour plan.\n",
        encoding="utf-8",
    )
    assert runner.invoke(cli, ["ingest", str(f)]).exit_code == 0
    listed = runner.invoke(cli, ["list"])
    assert "published 2025-10-03" in listed.output
    day = ["--since", "2025-10-03", "--until", "2025-10-03"]
    found = runner.invoke(cli, ["search", "harbour", *day])
    assert found.exit_code == 0, found.output
    assert "   2025-10-03 · id 1" in found.output.splitlines()
    assert (
        "No articles match"
        in runner.invoke(cli, ["search", "harbour", "--since", "2025-10-04"]).output
    )
    assert "1 article matches" in runner.invoke(cli, ["search", "published:2025-10-03"]).output
    # The date as written is kept, and shown whole by 'show' and in JSON.
    shown = runner.invoke(cli, ["show", "1"])
    assert "2025-10-04T00:30:00+02:00" in shown.output
    hit = json.loads(runner.invoke(cli, ["search", "harbour", "--format", "json"]).output)
    assert hit["hits"][0]["published"] == "2025-10-04T00:30:00+02:00"


@pytest.mark.parametrize(
    ("stored", "day"),
    [
        ("2025-10-04T00:30:00+02:00", "2025-10-03"),
        ("2025-10-03T23:30:00-05:00", "2025-10-04"),
        ("2025-10-04T12:00:00+00:00", "2025-10-04"),
        ("2025-10-04T00:30:00", "2025-10-04"),  # no time zone: taken as UTC when filtered
        ("2025-10-04", "2025-10-04"),
    ],
)
def test_utc_day(stored: str, day: str) -> None:
    from archive.dates import utc_day

    assert utc_day(stored) == day
    # The same day as the filters read from the stored date's instant.
    assert parse_date(stored).instant.date().isoformat() == day
