"""Bulk and incremental ingest: unchanged files are skipped unread, input is streamed."""

from __future__ import annotations

import io
import json
import os
import shutil
from collections import Counter
from pathlib import Path

import pytest

import archive.ingest as ingest_pkg
from archive import Archive, ArticleDraft
from archive.ingest import jsonl, markdown, text
from archive.intake import BATCH_SIZE


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Counts parser calls and file opens (by file name) during a test."""
    seen: Counter[str] = Counter()
    for module in (text, markdown):
        original = module.parse

        def counting(data, origin, *args, _original=original, **kw):
            seen["parse"] += 1
            return _original(data, origin, *args, **kw)

        monkeypatch.setattr(module, "parse", counting)
    real_open = Path.open

    def counting_open(self: Path, *args, **kw):
        seen[f"open:{self.name}"] += 1
        return real_open(self, *args, **kw)

    monkeypatch.setattr(Path, "open", counting_open)
    # Files to ingest are opened by open_regular (only regular files, without blocking).
    from archive.ingest import inputs

    real_regular = inputs.open_regular

    def counting_regular(path: Path):
        seen[f"open:{Path(path).name}"] += 1
        return real_regular(path)

    monkeypatch.setattr(inputs, "open_regular", counting_regular)
    return seen


def _copy_bbc(bbc: Path, dest: Path, per_category: int) -> list[Path]:
    files = []
    for category in sorted(p for p in bbc.iterdir() if p.is_dir()):
        for f in sorted(category.glob("*.txt"))[:per_category]:
            target = dest / category.name / f.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, target)
            files.append(target)
    return files


@pytest.mark.slow
def test_rerun_on_a_folder_reads_only_what_changed(
    bbc_corpus: Path, tmp_path: Path, archive_home: Path, calls: Counter[str]
) -> None:
    folder = tmp_path / "bbc"
    files = _copy_bbc(bbc_corpus, folder, 30)
    with Archive.open(archive_home) as archive:
        first = archive.ingest_paths([folder])
        assert first.count("added") + first.count("unchanged") == len(files) == 150
        assert calls["parse"] == 150
        added = first.count("added")

        calls.clear()
        second = archive.ingest_paths([folder])
        assert calls["parse"] == 0
        assert not any(k.startswith("open:") for k in calls), calls  # not even opened
        assert second.files_skipped == 150
        assert second.count("unchanged") == 150 and second.count("added") == 0
        assert archive.count() == added

        # One file edited, one new, one only touched (same bytes, new time).
        edited, touched = files[0], files[1]
        edited.write_text(edited.read_text() + "\nA correction was added.\n", encoding="utf-8")
        (folder / "tech" / "new.txt").write_text("Fresh story\n\nBrand new text.\n", "utf-8")
        st = touched.stat()
        os.utime(touched, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
        calls.clear()
        third = archive.ingest_paths([folder])
        assert calls["parse"] == 2  # the edited file and the new one
        assert calls[f"open:{touched.name}"] == 1  # hashed once, not parsed
        assert (third.count("updated"), third.count("added")) == (1, 1)
        assert third.files_skipped == 149
        assert archive.count() == added + 1

        # The touched file's new time was remembered: next time it is not even hashed.
        calls.clear()
        archive.ingest_paths([folder])
        assert calls["parse"] == 0 and calls[f"open:{touched.name}"] == 0


def test_force_reads_everything(tmp_path: Path, archive_home: Path, calls: Counter[str]) -> None:
    f = tmp_path / "a.txt"
    f.write_text("A story\n\nWith text.\n", encoding="utf-8")
    with Archive.open(archive_home) as archive:
        archive.ingest_paths([f])
        calls.clear()
        report = archive.ingest_paths([f], force=True)
    assert calls["parse"] == 1
    assert [o.message for o in report.outcomes] == ["same text as article 1"]


def test_files_with_failures_are_still_failing_until_changed(
    tmp_path: Path, archive_home: Path
) -> None:
    f = tmp_path / "feed.jsonl"
    f.write_text('{"title": "ok", "body": "Good line."}\n{"title": broken\n', encoding="utf-8")
    with Archive.open(archive_home) as archive:
        first = archive.ingest_paths([f])
        again = archive.ingest_paths([f])
        retried = archive.ingest_paths([f], retry_failed=True)
    assert (first.count("added"), first.failed) == (1, 1)
    # Remembered as failing: not read, its bad line 'still failing' (no new failure),
    # its good line unchanged.
    assert (again.count("unchanged"), again.failed, again.still_failing) == (1, 0, 1)
    assert again.summary() == "0 added, 0 updated, 1 unchanged, 0 failed, 1 still failing"
    # Asked to retry: read, and the bad line fails again.
    assert (retried.count("unchanged"), retried.failed, retried.still_failing) == (1, 1, 0)


def test_a_jsonl_file_remembered_counts_all_its_articles(
    tmp_path: Path, archive_home: Path
) -> None:
    f = tmp_path / "feed.jsonl"
    f.write_text(
        "".join(json.dumps({"title": f"t{i}", "body": f"Text {i}."}) + "\n" for i in range(7)),
        encoding="utf-8",
    )
    with Archive.open(archive_home) as archive:
        archive.ingest_paths([f])
        again = archive.ingest_paths([f])
    assert again.count("unchanged") == 7 and again.files_skipped == 1
    assert (
        again.summary() == "0 added, 0 updated, 7 unchanged, 0 failed (1 unchanged file not read)"
    )


def test_jsonl_is_read_line_by_line(reuters_corpus: Path) -> None:
    records = json.loads((reuters_corpus / "reuters-003.json").read_text(encoding="utf-8"))
    data = "".join(json.dumps(r) + "\n" for r in records).encode()
    stream = io.BufferedReader(io.BytesIO(data), buffer_size=8192)
    drafts = jsonl.parse_jsonl(stream, "r.jsonl", max_bytes=1 << 20)
    first = next(d for d in drafts if isinstance(d, ArticleDraft))
    assert first.title == records[0]["title"]
    # After the first article, only a buffer's worth of a 1 MB input has been read.
    assert stream.tell() < 20_000 < len(data)


@pytest.mark.slow
def test_ingest_pulls_one_batch_at_a_time(archive_home: Path) -> None:
    pulled = 0

    def drafts():
        nonlocal pulled
        for i in range(BATCH_SIZE * 2 + 10):
            pulled += 1
            yield ArticleDraft(title=f"t{i}", body=f"Article number {i}.", origin=f"gen:{i}")

    pulled_at_first_outcome: list[int] = []

    def progress(outcome) -> None:
        if not pulled_at_first_outcome:
            pulled_at_first_outcome.append(pulled)

    with Archive.open(archive_home) as archive:
        report = archive.ingest(drafts(), progress=progress, keep_outcomes=False)
        assert archive.check().ok
    # The first batch was written before the rest of the input was even produced.
    assert pulled_at_first_outcome == [BATCH_SIZE]
    assert report.count("added") == BATCH_SIZE * 2 + 10
    assert report.outcomes == []  # with keep_outcomes off, only counts are kept


def test_estimate_counts_jsonl_lines(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text('{"body": "x"}\n' * 12, encoding="utf-8")
    (tmp_path / "b.txt").write_text("text\n", encoding="utf-8")
    (tmp_path / "c.md").write_text("# md\n", encoding="utf-8")
    assert ingest_pkg.estimate([tmp_path]) == 14


@pytest.mark.slow
def test_whole_bbc_corpus_end_to_end(bbc_corpus: Path, archive_home: Path) -> None:
    """All 2,225 real BBC files through the command: every one stored or recognised."""
    from click.testing import CliRunner

    from archive.text import content_hash, normalize_text
    from cli import cli

    files = sorted(bbc_corpus.glob("*/*.txt"))
    distinct = {
        content_hash(normalize_text(f.read_bytes().decode("utf-8", "replace"))) for f in files
    }
    runner = CliRunner()
    first = runner.invoke(cli, ["ingest", str(bbc_corpus)])
    assert first.exit_code == 0, first.output
    lines = first.stdout.splitlines()
    same = sum("(same text as article " in line for line in lines)
    near = sum("(near-duplicate of article " in line for line in lines)
    assert same == len(files) - len(distinct)
    assert 0 < near < 100  # BBC's own near-duplicates (bench/README.md, "Near-duplicates")
    added = len(distinct) - near
    assert lines[-1].startswith(
        f"{added} added, 0 updated, {len(files) - added} unchanged, 0 failed"
    )
    again = runner.invoke(cli, ["ingest", str(bbc_corpus)])
    assert again.stdout.splitlines()[-1].startswith(
        f"0 added, 0 updated, {len(files)} unchanged, 0 failed ({len(files)} unchanged files"
    )
    # --quiet, nothing changed: nothing printed.
    assert runner.invoke(cli, ["ingest", str(bbc_corpus), "-q"]).output == ""
    with Archive.open(archive_home) as archive:
        assert archive.count() == added
        assert archive.check().ok
        hit = archive.search("Mutu drugs test").hits[0]
        assert hit.title == "Chelsea sack Mutu"


def test_deleting_an_article_forgets_its_file(tmp_path: Path, archive_home: Path) -> None:
    f = tmp_path / "a.txt"
    f.write_text("A story\n\nWith text.\n", encoding="utf-8")
    feed = tmp_path / "feed.jsonl"
    feed.write_text('{"title": "r", "body": "Record."}\n{"title": "s", "body": "Other."}\n')
    with Archive.open(archive_home) as archive:
        archive.ingest_paths([f, feed])
        archive.delete([1, 2])
        # Read again, not skipped: a full read would bring them back, so must the fast path.
        again = archive.ingest_paths([f, feed])
    assert (again.count("added"), again.count("unchanged"), again.files_skipped) == (2, 1, 0)
