"""Disk full, read-only, damaged: clear words, no tracebacks, no false alarms (issue 18, point 5).

The disk-full cases run on a small tmpfs the test mounts (root only; skipped with
the reason otherwise); the read-only home is read by the ``nobody`` user through
``setpriv`` (skipped when unavailable). Damage is random bytes written into a real
archive's database and index segment.
"""

from __future__ import annotations

import errno
import os
import random
import re
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from _safety import archive_cmd, subprocess_env

from archive import Archive
from archive.errors import DatabaseDamaged, DiskFull, environment_error, machine_error

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "000_4fc7972ffbe2aa8d.txt"
LIMIT = 300  # seconds: a safety limit against a hang, not a measurement


def run(*args: str | Path, batch_size: int | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        archive_cmd(*args, batch_size=batch_size),
        capture_output=True,
        text=True,
        timeout=LIMIT,
        env=subprocess_env(),
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
    )


def articles_in(home: Path) -> int:
    with sqlite3.connect(home / "archive.sqlite3") as db:
        return int(db.execute("SELECT count(*) FROM articles").fetchone()[0])


def test_a_full_disk_is_never_called_damage() -> None:
    for exc in (
        OSError(errno.ENOSPC, "No space left on device"),
        sqlite3.OperationalError("database or disk is full"),
    ):
        assert isinstance(environment_error(exc, "/x"), DiskFull)
        wrapped = RuntimeError("while committing")
        wrapped.__cause__ = exc
        assert isinstance(machine_error(wrapped, "/x"), DiskFull)
    assert isinstance(
        machine_error(sqlite3.DatabaseError("database disk image is malformed"), "/x"),
        DatabaseDamaged,
    )
    assert machine_error(ValueError("a bug"), "/x") is None


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    where = tmp_path / "disk"
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(where)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {mounted.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


@pytest.mark.slow
def test_disk_full_mid_ingest_stops_cleanly_and_everything_recovers(
    small_disk: Path, bbc_corpus: Path
) -> None:
    home = small_disk / "home"
    source = bbc_corpus / "business"
    result = run("--home", home, "ingest", source, "-q", batch_size=20)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "no space left on the device holding" in result.stderr
    assert "it is damaged" not in result.stderr
    stored = int(result.stderr.split("stopped after ")[1].split(" added")[0])
    assert stored > 0 and articles_in(home) == stored  # what it said it stored, committed
    # Every reading command still works, on a disk still full.
    for args in (["list"], ["stats"], ["search", "company"], ["show", "1"], ["similar", "1"]):
        read = run("--home", home, *args)
        assert read.returncode == 0, (args, read.stderr)
        assert "Traceback" not in read.stderr
    # A reindex that runs out of space removes what it had written.
    rebuilt = run("--home", home, "reindex")
    assert rebuilt.returncode == 1 and "Traceback" not in rebuilt.stderr
    assert "no space left on" in rebuilt.stderr.lower(), rebuilt.stderr
    assert "run 'archive reindex'" not in rebuilt.stderr  # (not the command that just failed)
    assert not (home / "index.new").exists()
    # Space freed: the owed index work is done, and the rest of the input comes in.
    subprocess.run(["mount", "-o", "remount,size=200m", str(small_disk)], check=True)
    repaired = run("--home", home, "check", "--repair")
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    assert run("--home", home, "check").stdout.splitlines()[-1] == "database and index agree"
    again = run("--home", home, "ingest", source, "-q")
    assert again.returncode == 0, again.stderr
    assert run("--home", home, "check").stdout.splitlines()[-1] == "database and index agree"
    assert articles_in(home) > stored


@pytest.mark.slow
def test_export_to_a_full_disk_leaves_no_part_file(small_disk: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert run("--home", home, "ingest", SAMPLE).returncode == 0
    filler = small_disk / "filler"
    subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=64k"], capture_output=True)
    result = run("--home", home, "export", small_disk / "backup.jsonl")
    assert result.returncode == 1
    assert "no space left on the device" in result.stderr and "Traceback" not in result.stderr
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler"]


def _as_nobody() -> list[str]:
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("reading as another user needs root and setpriv")
    return ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]


@pytest.mark.slow
def test_a_read_only_home_answers_reads(sample_home: Path) -> None:
    prefix = _as_nobody()
    shared = Path(tempfile.mkdtemp(prefix="archive-ro-"))
    try:
        shared.chmod(0o755)
        home = shared / "home"
        shutil.copytree(sample_home, home)
        for path in [home, *home.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        for args, expect in (
            (["search", "troops"], "1 article matches"),
            (["list"], "Plans to send European troops"),
            (["show", "1"], "source:    Euronews"),
            (["stats"], "articles:   1"),
            (["export"], '{"id": 1, "title": "Plans to send European troops'),
        ):
            result = subprocess.run(
                [*prefix, *archive_cmd("--home", home, *args)],
                capture_output=True,
                text=True,
                timeout=LIMIT,
                # the test session's config path lies in root's temporary folder, which
                # nobody cannot look into: give one that nobody sees is absent
                env={**subprocess_env(), "ARCHIVE_CONFIG": str(shared / "no-config.toml")},
                cwd=ROOT,
            )
            assert result.returncode == 0, (args, result.stderr)
            assert expect in result.stdout
        written = subprocess.run(
            [*prefix, *archive_cmd("--home", home, "ingest", SAMPLE)],
            capture_output=True,
            text=True,
            timeout=LIMIT,
            env={**subprocess_env(), "ARCHIVE_CONFIG": str(shared / "no-config.toml")},
            cwd=ROOT,
        )
        assert written.returncode == 1
        assert "Traceback" not in written.stderr
        assert len(written.stderr.strip().splitlines()) == 1
    finally:
        shutil.rmtree(shared, ignore_errors=True)


@pytest.fixture(scope="module")
def bbc_archive(bbc_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("faults") / "home"
    with Archive.open(home) as archive:
        files = sorted((bbc_corpus / "politics").glob("*.txt"))[:150]
        assert archive.ingest_paths(files).count("added") >= 140
    return home


def _scribble(path: Path, seed: int, *, start: int) -> None:
    rng = random.Random(seed)
    size = path.stat().st_size
    with path.open("r+b") as f:
        for _ in range(30):
            f.seek(rng.randrange(start, size - 200))
            f.write(rng.randbytes(200))


@pytest.mark.slow
def test_a_damaged_index_segment_is_seen_and_repaired(bbc_archive: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(bbc_archive, home)
    assert run("--home", home, "check").returncode == 0
    segment = max((home / "index").glob("*.seg"), key=lambda p: p.stat().st_size)
    _scribble(segment, 7, start=segment.stat().st_size // 4)
    checked = run("--home", home, "check")
    assert checked.returncode == 1, checked.stdout
    assert "database and index agree" not in checked.stdout
    assert "the search index is damaged" in checked.stderr and "archive reindex" in checked.stderr
    for args in (["list"], ["stats"], ["search", "tru~"], ["search", "election"], ["similar", "3"]):
        result = run("--home", home, *args)
        assert "Traceback" not in result.stderr, (args, result.stderr)
    repaired = run("--home", home, "check", "--repair")
    assert repaired.returncode == 0 and "rebuilt it from the database" in repaired.stdout
    assert run("--home", home, "check").stdout.splitlines()[-1] == "database and index agree"


@pytest.mark.slow
def test_a_damaged_database_is_named_never_agreed(bbc_archive: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(bbc_archive, home)
    _scribble(home / "archive.sqlite3", 11, start=8192)
    checked = run("--home", home, "check")
    assert checked.returncode == 1
    assert "database and index agree" not in checked.stdout
    assert "is damaged" in checked.stderr and "archive export" in checked.stderr
    for args in (["list", "--all"], ["stats"], ["show", "5"], ["search", "election"], ["export"]):
        result = run("--home", home, *args)
        assert "Traceback" not in result.stderr, (args, result.stderr)
        if result.returncode:
            assert len(result.stderr.strip().splitlines()) == 1, result.stderr


@pytest.mark.slow
def test_a_deleted_or_truncated_segment(bbc_archive: Path, tmp_path: Path) -> None:
    for damage in ("delete", "truncate"):
        home = tmp_path / damage
        shutil.copytree(bbc_archive, home)
        segment = max((home / "index").glob("*.seg"), key=lambda p: p.stat().st_size)
        if damage == "delete":
            segment.unlink()
        else:
            with segment.open("r+b") as f:
                f.truncate(segment.stat().st_size // 2)
        for args in (["similar", "3"], ["search", "election"], ["check"]):
            result = run("--home", home, *args)
            assert "Traceback" not in result.stderr, (damage, args, result.stderr)
            assert "Aborted!" not in result.stderr
        assert run("--home", home, "check", "--repair").returncode == 0
        assert run("--home", home, "check").stdout.splitlines()[-1] == "database and index agree"


@pytest.mark.slow
def test_a_killed_reindex_leaves_space_that_is_counted_then_removed(
    bbc_archive: Path, tmp_path: Path
) -> None:
    import json
    import signal
    import time

    home = tmp_path / "home"
    shutil.copytree(bbc_archive, home)
    proc = subprocess.Popen(
        archive_cmd("--home", home, "reindex"),
        env=subprocess_env(),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    fresh = home / "index.new"
    deadline = time.monotonic() + LIMIT
    while not any(fresh.glob("*.toc")):  # the new index is begun
        assert proc.poll() is None and time.monotonic() < deadline, "the reindex ended first"
        time.sleep(0.005)
    proc.send_signal(signal.SIGSTOP)  # (so that it cannot end between the look and the kill)
    assert fresh.is_dir(), "the reindex ended first"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    on_disk = sum(p.stat().st_size for p in fresh.rglob("*") if p.is_file())
    stats = json.loads(run("--home", home, "stats", "--format", "json").stdout)
    assert stats["rebuild_bytes"] == on_disk > 0
    assert "rebuilding:" in run("--home", home, "stats").stdout
    assert fresh.is_dir()  # a reading command never removes it: a reindex may be running
    checked = run("--home", home, "check")
    assert checked.returncode == 0, checked.stderr
    assert "removed index.new" in checked.stderr and "interrupted reindex" in checked.stderr
    assert not fresh.exists()
    assert json.loads(run("--home", home, "stats", "--format", "json").stdout)["rebuild_bytes"] == 0
    assert "rebuilding:" not in run("--home", home, "stats").stdout


DAMAGED = re.compile(r"the search index (at .* )?is damaged")


@pytest.mark.slow
def test_every_read_path_names_index_damage(bbc_archive: Path, tmp_path: Path) -> None:
    """Search (with its suggestions, fuzzy words, wildcards and facets), the ids an
    edit or delete by query acts on, extra fields, similar, and the server's kept
    reader: each either answers or says the index is damaged, never anything else."""
    from archive.errors import IndexUnavailable
    from archive.reading import Reader
    from archive.serving import LiveReader

    calls = {
        "search tru~": lambda r: r.search("tru~"),
        "search misspelt": lambda r: r.search("electoin"),
        "search fuzzy": lambda r: r.search("election", fuzzy=True),
        "search facets": lambda r: r.search("par* OR gov*", facets=("source", "tag", "year")),
        "search newest": lambda r: r.search("labour", sort="newest"),
        "search_ids": lambda r: r.search_ids("minister"),
        "fields": lambda r: r.fields(),
        "similar": lambda r: r.similar(3),
    }
    named = set()
    for seed in range(1, 14):
        home = tmp_path / str(seed)
        shutil.copytree(bbc_archive, home)
        segment = max((home / "index").glob("*.seg"), key=lambda p: p.stat().st_size)
        _scribble(segment, seed, start=segment.stat().st_size // 4)
        for reader in (Reader(home), LiveReader(home)):
            for name, call in calls.items():
                try:
                    call(reader)
                except IndexUnavailable as exc:
                    assert DAMAGED.match(str(exc)), (seed, name, exc)
                    assert "archive reindex" in str(exc)
                    named.add(name)
        if isinstance(reader, LiveReader):
            try:
                reader.facet_counts("par* OR gov*", ("source", "tag"))
            except IndexUnavailable as exc:
                assert DAMAGED.match(str(exc)), (seed, exc)
        shutil.rmtree(home)
    # the damage reached more than one way of reading (so this test tests something)
    assert {"search_ids", "similar"} <= named, named
