"""One bad input never costs another (issue 18, points 2, 6 and 7).

Every bad record is reported (path, line, reason) and skipped, every other input
of the run is stored, and no exception reaches the user; dates that cannot be
stored are a warning with their text kept; errors are told as they come and
memory stays flat; numbers on the command line are range-checked; import is as
careful as ingest.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from archive import Archive
from archive.dates import parse_date
from archive.decisions import prepare
from archive.errors import InputError
from archive.ingest import ArticleDraft, read_path
from archive.records import KEPT_FAILURES, IngestOutcome, IngestReport
from cli import cli

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "000_4fc7972ffbe2aa8d.txt"
BODY = SAMPLE.read_text(encoding="utf-8")

#: Dates whose instant in UTC falls outside the years 1 to 9999, or that have no year.
UNSTORABLE_DATES = [
    "9999-12-31T23:00:00-05:00",
    "0001-01-01T01:00:00+05:00",
    "Mon, 01 Jan 0001 00:30:00 +0100",
    "Fri, 31 Dec 9999 23:00:00 -0500",
    "-0001-01-01",
    "0000-00-00",
]


@pytest.mark.parametrize("text", UNSTORABLE_DATES)
def test_an_unstorable_date_is_an_error_not_a_crash(text: str) -> None:
    with pytest.raises(ValueError):
        parse_date(text)


def test_years_before_100_are_read_as_written() -> None:
    assert parse_date("Mon, 01 Jan 0001 03:30:00 +0100").iso == "0001-01-01T03:30:00+01:00"
    assert parse_date("0099-05-05").instant.year == 99


@pytest.mark.slow
def test_bad_records_in_one_file_cost_no_other(tmp_path: Path, runner: CliRunner) -> None:
    paragraphs = [p for p in BODY.split("\n\n") if len(p) > 80]
    good = [{"title": f"Good {i}", "body": p} for i, p in enumerate(paragraphs[:4])]
    lines = [
        json.dumps(good[0]),
        '{"title": "big", "body": "x", "n": ' + "9" * 5000 + "}",
        json.dumps({"title": "dated", "body": paragraphs[4], "date": UNSTORABLE_DATES[0]}),
        json.dumps(good[1]),
        '{"title": "nan", "body": "' + paragraphs[5][:200] + '", "v": NaN, "w": 1e999}',
        "[" * 5000 + "]" * 5000,
        '{"title": "deep", "body": "y", "x": ' + "[" * 900 + "]" * 900 + "}",
        json.dumps(good[2]),
        json.dumps({"title": "bad url", "body": paragraphs[6], "url": "\x00\ud800"}),
        json.dumps(good[3]),
    ]
    f = tmp_path / "feed.jsonl"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    md = tmp_path / "front.md"
    md.write_text("---\ndate: 0000-00-00\ntitle: Zeros\n---\n\n" + paragraphs[7], encoding="utf-8")
    deep = tmp_path / "deep.md"
    deep.write_text("---\nx: " + "[" * 10000 + "]" * 10000 + "\n---\n\n" + paragraphs[8])
    latin = tmp_path / os.fsdecode(b"caf\xe9.txt")
    latin.write_text("Caf\u00e9 story\n\n" + paragraphs[9], encoding="utf-8")
    result = runner.invoke(cli, ["ingest", str(tmp_path), "--verbose"])
    assert "Traceback" not in result.output
    assert result.exit_code == 1
    errors = [ln for ln in result.stderr.splitlines() if ln.startswith("error:")]
    assert errors == [
        f"error: {f}:2: invalid JSON: a number over 4,300 digits long",
        f"error: {f}:6: invalid JSON: nested too deeply to be an article",
        f"error: {f}:7: invalid JSON: nested too deeply to be an article",
    ]
    assert f"warning: {f}:3: published date ignored (outside the years 1 to 9999" in result.stderr
    assert f"warning: {md}: published date ignored" in result.stderr
    assert f"warning: {deep}: front matter ignored (nested too deeply)" in result.stderr
    assert result.stdout.splitlines()[-1].startswith("10 added, 0 updated, 0 unchanged, 3 failed")
    with Archive.open(tmp_path / "home") as archive:
        titles = {a.title: a for a in archive.list()}
        assert {"Good 0", "Good 1", "Good 2", "Good 3", "dated", "nan", "Zeros"} <= set(titles)
        assert titles["dated"].published is None
        assert (titles["dated"].extra or {})["date_given"] == UNSTORABLE_DATES[0]
        assert titles["nan"].extra == {"v": "nan", "w": "inf"}  # never bare NaN in JSON
        assert titles["bad url"].url == "\ufffd"
        assert any(a.origin.endswith("caf\\xe9.txt") for a in titles.values())
    again = runner.invoke(cli, ["ingest", str(latin)])
    assert again.exit_code == 0 and "1 unchanged" in again.output  # the same file, known


def test_failures_are_told_as_they_come_in_flat_memory(tmp_path: Path) -> None:
    """A failure is told before the batch it arrived in is stored; only the first
    KEPT_FAILURES are kept in the report."""
    f = tmp_path / "bad.jsonl"
    paragraphs = [p for p in BODY.split("\n\n") if len(p) > 80]
    lines = ["{bad"] * (KEPT_FAILURES + 50) + [json.dumps({"body": paragraphs[0]})]
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    told: list[IngestOutcome] = []
    with Archive.open(tmp_path / "home") as archive:
        report = archive.ingest_paths([f], progress=told.append, keep_outcomes=False)
    assert report.failed == KEPT_FAILURES + 50
    assert len(report.failures) == KEPT_FAILURES
    assert [o.status for o in told[:3]] == ["failed"] * 3
    assert told[-1].status == "added"  # the good line's batch comes after every failure


def test_report_keeps_bounded_failures() -> None:
    report = IngestReport(keep_outcomes=False)
    for i in range(KEPT_FAILURES * 3):
        report.record(IngestOutcome("failed", f"x:{i}", message="bad"))
    assert report.failed == KEPT_FAILURES * 3 and len(report.failures) == KEPT_FAILURES


#: Metadata values as hostile inputs give them: controls, huge numbers, extreme dates.
extreme_dates = st.one_of(
    st.datetimes().map(lambda d: d.isoformat()),
    st.integers(-20000, 20000).map(lambda y: f"{y:04d}-12-31T23:59:00-12:00"),
    st.integers(-20000, 20000).map(lambda y: f"Mon, 01 Jan {y:04d} 00:30:00 +1400"),
    st.from_regex(r"[0-9]{1,25}(\.[0-9]{1,5})?(e[0-9]{1,4})?", fullmatch=True),
    st.text(max_size=40),
)
hostile = st.text(
    alphabet=st.one_of(st.characters(max_codepoint=0x9F), st.characters()), max_size=40
)


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(
    title=hostile,
    author=st.none() | hostile,
    url=st.none() | hostile,
    published=st.none() | extreme_dates,
    tags=st.lists(hostile, max_size=4),
)
def test_prepare_never_fails_but_for_a_missing_text(
    title: str, author: str | None, url: str | None, published: str | None, tags: list[str]
) -> None:
    draft = ArticleDraft(
        title=title,
        body=BODY[:300],
        origin="x",
        author=author,
        url=url,
        published=published,
        tags=tuple(tags),
    )
    p = prepare(draft)
    if p.published_at is not None:
        assert 1 <= p.published_at.year <= 9999
    for text in (p.draft.title, p.draft.author or "", p.draft.url or "", *p.draft.tags):
        text.encode("utf-8")  # storable


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(
    number=st.one_of(
        st.integers(min_value=-(10**30), max_value=10**30),
        st.floats(allow_nan=True, allow_infinity=True),
    ),
    date=extreme_dates,
)
def test_json_records_with_extreme_values(
    tmp_path_factory: pytest.TempPathFactory, number: object, date: str
) -> None:
    f = tmp_path_factory.mktemp("j") / "a.jsonl"
    f.write_text(json.dumps({"body": BODY[:200], "n": number, "date": date}) + "\n")
    items = list(read_path(f))
    assert len(items) == 1 and not isinstance(items[0], InputError)
    p = prepare(items[0])
    json.dumps(p.draft.extra, allow_nan=False)  # strict JSON whatever came in


#: Numbers as a JSON file may spell them: past float range, past Python's 4,300-digit
#: limit for turning text into an int, with long fractions and exponents.
huge_numbers = st.one_of(
    st.integers(1, 6000).map(lambda n: "9" * n),
    st.integers(1, 6000).map(lambda n: "-1" + "0" * n),
    st.tuples(st.integers(1, 400), st.integers(1, 400), st.integers(-99999, 99999)).map(
        lambda t: f"{'7' * t[0]}.{'3' * t[1]}e{t[2]}"
    ),
)


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(number=huge_numbers, control=st.characters(max_codepoint=0x9F, categories=["Cc"]))
def test_json_records_with_huge_numbers_and_controls(
    tmp_path_factory: pytest.TempPathFactory, number: str, control: str
) -> None:
    f = tmp_path_factory.mktemp("j") / "a.jsonl"
    title = json.dumps(f"T{control}itle")
    f.write_text(f'{{"title": {title}, "body": {json.dumps(BODY[:200])}, "n": {number}}}\n')
    items = list(read_path(f))
    assert len(items) == 1
    if isinstance(items[0], InputError):  # only a number too long to read is refused
        assert "a number over 4,300 digits long" in str(items[0]), items[0]
        assert len(number.lstrip("-").split(".")[0]) > 4300
        return
    p = prepare(items[0])
    json.dumps(p.draft.extra, allow_nan=False)  # strict JSON whatever came in
    assert control not in p.draft.title


# --- the command line's edges (point 6) ------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["show", "99999999999999999999"],
        ["show", "0"],
        ["similar", "9223372036854775808"],
        ["delete", "99999999999999999999"],
        ["note", "99999999999999999999", "x"],
        ["list", "--limit", "99999999999999999999"],
        ["search", "nato", "--offset", "99999999999999999999"],
        ["search", "nato", "--page", "5000", "--limit", "10000"],
        ["search", "nato", "--limit", "0"],
        ["ingest", "x.txt", "--max-size", "99999999999999999999T"],
        ["ingest", "x.txt", "--published", "9999-12-31T23:00:00-05:00"],
        ["ingest", "x.txt", "--jobs", "99999999999999999999"],
    ],
)
def test_numbers_past_their_range_are_one_line_usage_errors(
    sample_home: Path, runner: CliRunner, args: list[str]
) -> None:
    result = runner.invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stderr.strip().splitlines()[-1].startswith("Error: ")


@pytest.mark.parametrize("bound", ["--until", "--since"])
@pytest.mark.parametrize("value", ["9999", "9999-12", "9999-12-31", "0001"])
def test_date_bounds_at_the_ends_of_time(
    sample_home: Path, runner: CliRunner, bound: str, value: str
) -> None:
    result = runner.invoke(cli, ["search", "nato", bound, value])
    assert result.exit_code == 0, result.output
    expected = (bound == "--until") == (value != "0001")  # the sample is from 2025
    assert ("1 article matches" in result.output) == expected, result.output


@pytest.mark.slow
def test_home_that_is_not_an_archive_is_refused(tmp_path: Path, runner: CliRunner) -> None:
    home = tmp_path / "etc"
    home.mkdir()
    (home / "passwd").write_text("root:x:0:0\n")
    result = runner.invoke(cli, ["--home", str(home), "ingest", str(SAMPLE)])
    assert result.exit_code == 1
    assert "is not an archive and is not empty" in result.output
    assert sorted(os.listdir(home)) == ["passwd"]  # nothing created there
    listed = runner.invoke(cli, ["--home", str(home), "list"])
    assert sorted(os.listdir(home)) == ["passwd"], listed.output
    empty = tmp_path / "empty"
    empty.mkdir()
    assert runner.invoke(cli, ["--home", str(empty), "ingest", str(SAMPLE)]).exit_code == 0


# --- import (point 7) ---------------------------------------------------------------------


def _export_line(**fields: object) -> str:
    line: dict[str, object] = {
        "id": 1,
        "title": "T",
        "body": BODY,
        "author": None,
        "source": None,
        "url": "https://example.org/a",
        "published": None,
        "published_at": None,
        "origin": "/x",
        "content_hash": "0" * 64,
        "ingested": "2025-03-14T00:00:00",
        "updated": "2025-03-14T00:00:00",
        "tags": [],
    }
    line.update(fields)
    return json.dumps(line)


def _revision(rid: int) -> dict[str, object]:
    return {
        "id": rid,
        "title": "An older title",
        "body": "an older text",
        "origin": "/x",
        "content_hash": "1" * 64,
        "stored": "2025-03-14T00:00:00",
        "replaced": "2025-03-15T00:00:00",
    }


@pytest.mark.parametrize(
    ("second", "reason"),
    [
        (_export_line(id=2, body=BODY + " more"), "same URL as article 1"),
        (
            _export_line(id=2, body=BODY + " x", url="https://EXAMPLE.org/a/?utm_source=x"),
            "same URL as article 1",
        ),
        (_export_line(id=2, body=BODY + " x", url=None, tags=["a", "a"]), "tag 'a' appears twice"),
        (_export_line(id=2**63, body=BODY + " x", url=None), "'id' is out of range"),
        (_export_line(id=2, body=BODY + " x", url=None).replace("null", "NaN", 1), "NaN"),
        ('{"id": 2, "extra": ' + "[" * 5000 + "]" * 5000 + "}", "nested too deeply"),
        ("{not json", "not valid JSON"),
        (_export_line(id=1, body=BODY + " x", url=None), "article id 1 appears twice"),
        (_export_line(id=2, body=BODY, url=None), "same text as article 1"),
        (
            _export_line(
                id=2,
                body=BODY + " x",
                url=None,
                revisions=[_revision(7), _revision(7)],
            ),
            "revisions: id 7 appears twice",
        ),
    ],
)
def test_import_reports_each_bad_line_and_imports_the_rest(
    tmp_path: Path, runner: CliRunner, second: str, reason: str
) -> None:
    f = tmp_path / "export.jsonl"
    third = _export_line(id=3, body=BODY + " third", url="https://example.org/c")
    f.write_text(_export_line() + "\n" + second + "\n" + third + "\n", encoding="utf-8")
    result = runner.invoke(cli, ["import", str(f)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith(f"error: {f}, line 2"), result.stderr
    assert reason in errors[0], errors
    assert result.stdout.strip() == "imported 2 articles, 1 line skipped (see the errors above)"
    with Archive.open(tmp_path / "home") as archive:
        assert sorted(a.id for a in archive.list()) == [1, 3]
        assert archive.search("third").total == 1  # indexed too
        assert archive.check().ok


def test_import_accepts_a_bom_and_exports_strict_json(tmp_path: Path, runner: CliRunner) -> None:
    f = tmp_path / "export.jsonl"
    f.write_bytes(b"\xef\xbb\xbf" + _export_line(extra={"n": 1.5}).encode() + b"\n")
    result = runner.invoke(cli, ["import", str(f)])
    assert result.exit_code == 0, result.output
    out = runner.invoke(cli, ["export"]).stdout
    json.loads(out, parse_constant=lambda c: pytest.fail(f"bare {c}"))


def test_import_tells_a_feed_by_its_first_object_even_after_a_broken_line(
    tmp_path: Path, runner: CliRunner
) -> None:
    f = tmp_path / "feed.jsonl"
    f.write_text("{broken\n" + json.dumps({"title": "T", "body": BODY}) + "\n", encoding="utf-8")
    result = runner.invoke(cli, ["import", str(f)])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {f}, line 2: not an export made by 'archive export'")
    assert "use 'archive ingest FILE'" in result.output
