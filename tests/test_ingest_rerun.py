"""Cron-friendly re-runs: a file that failed before and has not changed is 'still failing',
unread, and no new failure; exit 1 only for new failures; --quiet silent when nothing changed."""

from __future__ import annotations

import os
from pathlib import Path

from click.testing import CliRunner

from archive import Archive
from cli import cli
from tests.conftest import ROOT


def run(runner: CliRunner, *args: str):
    return runner.invoke(cli, list(args), catch_exceptions=False)


def _folder(tmp_path: Path, trafilatura_pages: Path) -> Path:
    folder = tmp_path / "watched"
    folder.mkdir()
    (folder / "coalition.txt").write_bytes((ROOT / "examples/more/coalition.txt").read_bytes())
    # Real pages, broken: a saved page cut off before any text, and JSONL with a bad line.
    page = (trafilatura_pages / "webpage.html").read_bytes()
    (folder / "cut.html").write_bytes(page[:300])
    feed = (ROOT / "examples/more/feed.jsonl").read_bytes()
    (folder / "feed.jsonl").write_bytes(feed)
    return folder


def test_unchanged_failures_are_still_failing_not_new(
    runner: CliRunner, tmp_path: Path, trafilatura_pages: Path
) -> None:
    folder = _folder(tmp_path, trafilatura_pages)
    first = run(runner, "ingest", str(folder))
    assert first.exit_code == 1
    errors = [line for line in first.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 2
    summary = first.stdout.splitlines()[-1]
    assert ", 2 failed in " in summary and "still failing" not in summary

    # The weekly re-run: nothing new failed, so exit 0; the old failures are named.
    again = run(runner, "ingest", str(folder))
    assert again.exit_code == 0, again.output
    still = [line for line in again.stderr.splitlines() if line.startswith("still failing: ")]
    assert sorted(still) == sorted("still failing: " + e[len("error: ") :] for e in errors)
    assert not any(line.startswith("error: ") for line in again.stderr.splitlines())
    assert ", 0 failed, 2 still failing" in again.stdout.splitlines()[-1]
    # --quiet: nothing at all when nothing changed.
    quiet = run(runner, "ingest", str(folder), "--quiet")
    assert quiet.exit_code == 0 and quiet.output == ""

    # --retry-failed reads them again: failures again, counted as failures.
    retry = run(runner, "ingest", str(folder), "--retry-failed")
    assert retry.exit_code == 1 and ", 2 failed" in retry.stdout.splitlines()[-1]

    # A new failure is new: exit 1, while the old one stays 'still failing'.
    (folder / "new.json").write_text('{"title": "t", "body": ')
    new = run(runner, "ingest", str(folder), "-q")
    assert new.exit_code == 1
    assert [line for line in new.stderr.splitlines() if line.startswith("error: ")] == [
        line for line in new.stderr.splitlines() if "new.json" in line
    ]
    assert "1 failed, 2 still failing" in new.stdout


def test_a_fixed_or_touched_file_is_read_again(
    runner: CliRunner, tmp_path: Path, trafilatura_pages: Path, archive_home: Path
) -> None:
    folder = _folder(tmp_path, trafilatura_pages)
    run(runner, "ingest", str(folder))
    # Touched but the same bytes: still the same failure (the hash says so), unread.
    cut = folder / "cut.html"
    os.utime(cut, ns=(cut.stat().st_atime_ns, cut.stat().st_mtime_ns + 10**9))
    assert run(runner, "ingest", str(folder)).exit_code == 0
    # Fixed: read, added, and forgotten as a failure.
    cut.write_bytes((trafilatura_pages / "webpage.html").read_bytes())
    fixed = run(runner, "ingest", str(folder))
    assert fixed.exit_code == 0
    assert "1 added" in fixed.stdout.splitlines()[-1]
    assert "1 still failing" in fixed.stdout.splitlines()[-1]  # feed.jsonl's bad line
    with Archive.open(archive_home) as archive:
        from sqlalchemy import select

        from archive.models import FailedInput

        with archive.store.session() as session:
            paths = [Path(p).name for p in session.scalars(select(FailedInput.path))]
    assert paths == ["feed.jsonl"]


def test_a_dry_run_remembers_no_failure(
    runner: CliRunner, tmp_path: Path, trafilatura_pages: Path
) -> None:
    folder = _folder(tmp_path, trafilatura_pages)
    assert run(runner, "ingest", str(folder), "--dry-run").exit_code == 1
    assert run(runner, "ingest", str(folder)).exit_code == 1
