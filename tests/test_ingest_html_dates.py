"""Saved web pages keep the publication time and UTC offset when the page gives them.

On trafilatura's own test pages: ``webpage.html`` (FiveThirtyEight, whose meta
``article:published_time`` is ``2021-10-25T10:00:00+00:00`` and whose JSON-LD
``datePublished`` is ``2021-10-25T06:00:00-04:00``, the same instant) and
``apache.html`` (whose only date is a day in its text).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import lxml.html
import pytest
from click.testing import CliRunner

from archive import Archive
from archive.ingest import read_bytes, read_path
from archive.ingest.html import published
from cli import cli


def page_metadata(html: str) -> tuple[str, str]:
    """The page's own ``article:published_time`` and JSON-LD ``datePublished``."""
    tree = lxml.html.fromstring(html)
    (meta,) = tree.xpath("//meta[@property='article:published_time']/@content")
    (script,) = tree.xpath("//script[@type='application/ld+json']/text()")
    return str(meta), json.loads(script)["datePublished"]


@pytest.mark.slow
def test_saved_page_keeps_its_published_time(
    trafilatura_pages: Path, archive_home: Path, runner: CliRunner
) -> None:
    page = trafilatura_pages / "webpage.html"
    meta, jsonld = page_metadata(page.read_text(encoding="utf-8"))
    assert (meta, jsonld) == ("2021-10-25T10:00:00+00:00", "2021-10-25T06:00:00-04:00")
    (draft,) = read_path(page)
    assert draft.published == "2021-10-25T10:00:00+0000"
    result = runner.invoke(cli, ["ingest", str(page)])
    assert result.exit_code == 0, result.output
    shown = json.loads(runner.invoke(cli, ["show", "1", "--format", "json"]).stdout)
    assert shown["published"] == meta
    # The day in the listings, and the time in the date filters: 10:00 UTC that day.
    with Archive.open(archive_home) as archive:
        assert [a.id for a in archive.list(limit=None)] == [1]
        after = archive.search("Manchin", since="2021-10-25T09:59:00+00:00")
        before = archive.search("Manchin", until="2021-10-25T09:59:00+00:00")
    assert (after.total, before.total) == (1, 0)


def test_json_ld_time_is_kept_with_its_own_offset(trafilatura_pages: Path) -> None:
    html = (trafilatura_pages / "webpage.html").read_text(encoding="utf-8")
    # The same real page without its three meta tags: only JSON-LD gives the time.
    stripped = re.sub(
        r'<meta (?:property|name)="(?:article:published_time|article:modified_time|'
        r'DC\.date\.issued)"[^>]*>',
        "",
        html,
    )
    assert stripped.count("<meta") == html.count("<meta") - 3
    (draft,) = read_bytes(stripped.encode(), "page.html", fmt="html")
    assert draft.published == "2021-10-25T06:00:00-0400"
    as_utc = datetime.fromisoformat(draft.published).astimezone(UTC)
    assert as_utc == datetime.fromisoformat("2021-10-25T10:00:00+00:00")


def test_page_with_only_a_day_keeps_a_day(
    trafilatura_pages: Path, archive_home: Path, runner: CliRunner
) -> None:
    page = trafilatura_pages / "apache.html"
    assert "Server Built: Sep 18 2017" in page.read_text(encoding="utf-8")
    (draft,) = read_path(page)
    assert draft.published == "2017-09-18"
    html = (trafilatura_pages / "webpage.html").read_text(encoding="utf-8")
    # The real page with every published/modified time cut down to its day.
    days = re.sub(r"(2021-10-2[56])T\d\d:\d\d:\d\d[-+]\d\d:\d\d", r"\1", html)
    assert "2021-10-25T" not in days
    (draft,) = read_bytes(days.encode(), "page.html", fmt="html")
    assert draft.published == "2021-10-25"
    result = runner.invoke(cli, ["ingest", str(page)])
    assert result.exit_code == 0, result.output
    shown = json.loads(runner.invoke(cli, ["show", "1", "--format", "json"]).stdout)
    assert shown["published"] == "2017-09-18"


def test_htmldate_values_read_as_day_or_time() -> None:
    assert published("2021-10-25T00:00:00") == "2021-10-25"  # no time found: a day
    assert published("2021-10-25T00:00:00+0000") == "2021-10-25T00:00:00+0000"
    assert published("2021-10-25T06:00:00") == "2021-10-25T06:00:00"
    assert published("2021-10-25T06:00:00-0400") == "2021-10-25T06:00:00-0400"
    assert published(None) is None and published("") is None
