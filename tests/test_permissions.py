"""Nothing out of place: private files, searches that write nothing, input paths not followed."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from _safety import archive_cmd, file_states, subprocess_env, write_articles

from archive import Archive
from archive.errors import QueryError
from archive.reading import Reader
from cli import cli


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    """The common umask 022, under which default-created files would be world-readable."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def modes(home: Path) -> dict[str, str]:
    return {
        str(p.relative_to(home)): oct(stat.S_IMODE(p.stat().st_mode))
        for p in [home, *home.rglob("*")]
    }


@pytest.mark.slow
def test_everything_the_archive_creates_is_private(
    tmp_path: Path, runner, permissive_umask: None
) -> None:
    home = tmp_path / "home"
    files = write_articles(tmp_path / "in", 30, seed=1)
    for args in (
        ["ingest", "-q", *map(str, files[:20])],
        ["ingest", "-q", *map(str, files[20:])],
        ["delete", "3"],
        ["check", "--repair"],
        ["optimize"],
        ["reindex"],
        ["export", str(tmp_path / "backup.jsonl")],
    ):
        result = runner.invoke(cli, ["--home", str(home), *args])
        assert result.exit_code == 0, (args, result.output)
    # The index's own lock and temporary files too: a second writer process.
    subprocess.run(
        archive_cmd("--home", home, "ingest", "-q", str(files[0])), env=subprocess_env(), check=True
    )
    found = modes(home)
    assert {k for k in found if k.startswith("index/")}, "the index has files"
    assert "archive.sqlite3" in found and "write.lock" in found
    for name, mode in found.items():
        want = "0o700" if (home / name).is_dir() else "0o600"
        assert mode == want, f"{name} is {mode}"
    assert oct(stat.S_IMODE((tmp_path / "backup.jsonl").stat().st_mode)) == "0o600"
    imported = tmp_path / "imported"
    result = runner.invoke(cli, ["--home", str(imported), "import", str(tmp_path / "backup.jsonl")])
    assert result.exit_code == 0, result.output
    assert set(modes(imported).values()) <= {"0o700", "0o600"}


def test_searching_never_writes(sample_home: Path, runner) -> None:
    # A clean archive, checkpointed and settled: what a search finds on a normal day.
    with Archive.open(sample_home) as archive:
        assert archive.check().ok
    before = file_states(sample_home)
    for query in ("deploy", "nato OR ukraine", '"European troops"', "zzzz", "((", "tag:nato"):
        try:
            Reader(sample_home).search(query)
        except QueryError:
            pass
        for fmt in ("text", "json"):
            result = runner.invoke(
                cli, ["--home", str(sample_home), "search", query, "--format", fmt]
            )
            assert result.exit_code in (0, 1)
    done = subprocess.run(
        archive_cmd("--home", sample_home, "search", "deploy"),
        env=subprocess_env(),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    after = file_states(sample_home)
    # SQLite's readers of a WAL database share a lock table in '-shm' (and open an empty
    # '-wal'): it creates them, private like the database, if they are not there yet.
    # Nothing else may appear or change: not the database, not the index.
    coordination = {"archive.sqlite3-shm", "archive.sqlite3-wal"}
    for name in set(after) - set(before):
        assert name in coordination, f"a search created {name}"
        assert after[name][2] & 0o777 == 0o600
    assert after.get("archive.sqlite3-wal", (0,))[0] == 0
    assert {k: v for k, v in after.items() if k not in coordination} == {
        k: v for k, v in before.items() if k not in coordination
    }


def test_paths_inside_input_are_never_followed(tmp_path: Path, runner) -> None:
    """A record naming a file (as origin, path, file, url...) never makes the archive read it."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRETCONTENT do not ingest\n", encoding="utf-8")
    outside = tmp_path / "outside"
    outside.mkdir()
    record = {
        "title": "Innocent record",
        "body": "A record that names other files innocentmarker.",
        "origin": str(secret),
        "path": str(secret),
        "file": "../secret.txt",
        "url": f"file://{secret}",
        "source_file": str(outside / "created.txt"),
    }
    feed = tmp_path / "feed"
    feed.mkdir()
    (feed / "records.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    (feed / "record.json").write_text(json.dumps(record), encoding="utf-8")
    home = tmp_path / "home"
    before = sorted(p.name for p in tmp_path.iterdir())
    result = runner.invoke(
        cli, ["--home", str(home), "ingest", str(feed / "records.jsonl"), str(feed / "record.json")]
    )
    assert "Traceback" not in result.output
    # An export naming the secret as its origin, imported elsewhere.
    line = {
        "id": 1,
        "title": "Imported",
        "body": "Imported text importedmarker.",
        "origin": str(secret),
        "ingested": "2025-01-01T00:00:00",
        "updated": "2025-01-01T00:00:00",
        "tags": [],
    }
    backup = feed / "backup.jsonl"
    backup.write_text(json.dumps(line) + "\n", encoding="utf-8")
    other = tmp_path / "other"
    result = runner.invoke(cli, ["--home", str(other), "import", str(backup)])
    assert result.exit_code == 0, result.output
    for h in (home, other):
        with Archive.open(h) as archive:
            assert archive.search("topsecretcontent").total == 0
            for a in archive.list(limit=None):
                assert "TOPSECRETCONTENT" not in a.body
    assert list(outside.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*before, "home", "other"])
