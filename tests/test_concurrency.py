"""Concurrent use: four ingest processes and a searching process on one archive at once."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _safety import (
    archive_cmd,
    db_query,
    db_versions,
    index_versions,
    outbox_ids,
    subprocess_env,
    write_articles,
)

from archive import Archive
from archive.errors import ArchiveBusy
from archive.locking import WriteLock
from cli import cli

PER_PROCESS = 250
WRITERS = 4

SEARCH_LOOP = """
import sys, time
from pathlib import Path
from archive.reading import Reader
home, stop = Path(sys.argv[1]), Path(sys.argv[2])
runs = 0
while not stop.exists():
    Reader(home).search("archives", limit=5)
    runs += 1
print(runs)
"""


@pytest.mark.slow
def test_four_writers_and_a_searcher(tmp_path: Path, runner) -> None:
    home = tmp_path / "home"
    env = subprocess_env()
    # Correctness, not patience: on a loaded machine a writer may wait past the default.
    env["ARCHIVE_LOCK_TIMEOUT"] = "900"
    batches = [
        write_articles(tmp_path / f"in{w}", PER_PROCESS, seed=w, prefix=f"w{w}x")
        for w in range(WRITERS)
    ]
    # The archive exists before the searcher starts; the writers race to fill it.
    with Archive.open(home):
        pass
    stop = tmp_path / "stop"
    searcher = subprocess.Popen(
        [sys.executable, "-c", SEARCH_LOOP, str(home), str(stop)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    writers = [
        subprocess.Popen(
            archive_cmd("--home", home, "ingest", "-q", *files, batch_size=50),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for files in batches
    ]
    results = [w.communicate(timeout=600) for w in writers]
    stop.touch()
    search_out, search_err = searcher.communicate(timeout=120)
    for proc, (out, err) in zip(writers, results, strict=True):
        assert proc.returncode == 0, err
        assert f"{PER_PROCESS} added, 0 updated, 0 unchanged, 0 failed" in out
        assert "lock" not in (out + err).lower()
    assert searcher.returncode == 0, search_err
    assert search_err == ""
    assert int(search_out) > 0

    in_db = db_versions(home)
    assert len(in_db) == WRITERS * PER_PROCESS
    assert index_versions(home) == in_db
    assert outbox_ids(home) == set()
    origins = {row[0] for row in db_query(home, "SELECT origin FROM articles")}
    assert origins == {str(f) for files in batches for f in files}
    result = runner.invoke(cli, ["--home", str(home), "check"])
    assert result.exit_code == 0, result.output
    assert "database and index agree" in result.output
    result = runner.invoke(cli, ["--home", str(home), "search", "w3xtoken17", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert '"total": 1' in result.output


@pytest.mark.slow
def test_new_archive_opened_by_many_processes_at_once(tmp_path: Path) -> None:
    """Creating the database and the index races safely (schema made once, index once)."""
    home = tmp_path / "home"
    env = subprocess_env()
    files = [write_articles(tmp_path / f"in{w}", 3, seed=w, prefix=f"n{w}x") for w in range(4)]
    procs = [
        subprocess.Popen(
            archive_cmd("--home", home, "ingest", "-q", *f),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for f in files
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    assert len(db_versions(home)) == 12
    assert index_versions(home) == db_versions(home)


HOLD_LOCK = """
import sys, time
from pathlib import Path
from archive.locking import WriteLock
lock = WriteLock(Path(sys.argv[1]), 5)
lock.acquire()
print("held", flush=True)
time.sleep(600)
"""


def hold_lock(home: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(home)],
        env=subprocess_env(),
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_lock_held_past_the_timeout_names_its_holder(
    sample_home: Path, runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARCHIVE_LOCK_TIMEOUT", "0.3")
    holder = hold_lock(sample_home)
    try:
        result = runner.invoke(cli, ["--home", str(sample_home), "delete", "1"])
        assert result.exit_code == 1
        waiting, message = result.output.strip().split("\n")
        # At once: who holds the lock, that it waits, and for how long at most.
        assert waiting.startswith(
            f"waiting for the archive's write lock, held by process {holder.pid} ("
        )
        assert waiting.endswith("; giving up in 0.3s")
        assert message.startswith("Error: the archive is busy: process ")
        assert f"process {holder.pid} (" in message
        assert "has its write lock" in message
        assert "waiting 0.3s" in message
        assert "ARCHIVE_LOCK_TIMEOUT" in message
        assert "Traceback" not in message
        # Searching needs no lock and still works; nothing was deleted.
        result = runner.invoke(cli, ["--home", str(sample_home), "search", "deploy"])
        assert result.exit_code == 0, result.output
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    # The holder died: its lock went with it, no stale lock remains.
    result = runner.invoke(cli, ["--home", str(sample_home), "delete", "1"])
    assert result.exit_code == 0, result.output


def test_writer_waits_for_the_lock_instead_of_failing(sample_home: Path) -> None:
    holder = hold_lock(sample_home)
    try:
        lock = WriteLock(sample_home, 0.2)
        with pytest.raises(ArchiveBusy):
            lock.acquire()
        assert lock.acquire(wait=False) is False
    finally:
        started = time.monotonic()
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    lock = WriteLock(sample_home, 30)
    assert lock.acquire() is True
    assert time.monotonic() - started < 30
    lock.release()


def test_bad_lock_timeout_setting_is_a_clear_error(
    sample_home: Path, runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARCHIVE_LOCK_TIMEOUT", "soon")
    result = runner.invoke(cli, ["--home", str(sample_home), "check"])
    assert result.exit_code == 1
    assert result.output == (
        "Error: ARCHIVE_LOCK_TIMEOUT must be a number of seconds, not 'soon'\n"
    )
