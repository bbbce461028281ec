"""Crash safety: a real ``archive ingest`` killed with SIGKILL at random moments.

After every kill, before anything opens the archive, whatever the database and
the index disagree on must be recorded as owed in the outbox; after the normal
open has settled it, ``archive check`` must be clean and every stored article
searchable; re-running the same ingest must complete it without duplicates.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
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

from archive.reading import Reader
from cli import cli

ARTICLES = 120
KILLS = 12
SEED = 20261127

pytestmark = pytest.mark.slow


def assert_owed_covers_difference(home: Path) -> None:
    """Right after a crash: every difference between the two stores is in the outbox."""
    in_db = db_versions(home)
    in_index = index_versions(home)
    if in_index is None:  # killed before the index was made: the open builds it
        return
    owed = outbox_ids(home)
    assert set(in_db) - set(in_index) <= owed, "an article in the database is not owed to the index"
    assert set(in_index) - set(in_db) <= owed, "an indexed article the database lacks is not owed"
    stale = {i for i in set(in_db) & set(in_index) if in_db[i] != in_index[i]}
    assert stale <= owed


def assert_consistent_after_open(home: Path, runner) -> int:
    """``archive check`` (whose open settles what a crash left) is clean; all is searchable."""
    result = runner.invoke(cli, ["--home", str(home), "check"])
    assert result.exit_code == 0, result.output
    assert "database and index agree" in result.output
    assert outbox_ids(home) == set()
    in_db = db_versions(home)
    assert index_versions(home) == in_db
    found = Reader(home).search("archives", limit=ARTICLES + 10, passages=0)
    assert found.total == len(in_db)
    assert {h.id for h in found.hits} == set(in_db)
    duplicates = db_query(home, "SELECT origin FROM articles GROUP BY origin HAVING count(*) > 1")
    assert duplicates == []
    return len(in_db)


def has_open(pid: int, path: Path) -> bool:
    """Whether process *pid* holds *path* open (Linux's /proc; elsewhere: whether it exists)."""
    fds = Path(f"/proc/{pid}/fd")
    if not Path("/proc/self/fd").is_dir():
        return path.exists()
    try:
        return any(os.readlink(fd) == str(path) for fd in fds.iterdir())
    except OSError:  # it ended, or a descriptor closed while being read
        return False


def start_ingest(cmd: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[str], float]:
    """Start *cmd*; return it once it has opened the database (or ended), and when that was.

    On a re-run the database file exists from the start: waiting only for the file would
    let most kills land while Python is still importing, where there is nothing to test
    (and, on a loaded machine, keep a run from ever getting further)."""
    started = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    db = (Path(cmd[cmd.index("--home") + 1]) / "archive.sqlite3").resolve()
    while proc.poll() is None and not has_open(proc.pid, db) and time.monotonic() - started < 60:
        time.sleep(0.005)
    return proc, time.monotonic() - started


def finish(proc: subprocess.Popen[str], runner, home: Path, files: list[Path]) -> str:
    """Wait for a run that must complete the ingest, and check that it did."""
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert "0 failed" in out or out == ""  # --quiet: nothing printed when nothing changed
    assert assert_consistent_after_open(home, runner) == ARTICLES
    origins = {row[0] for row in db_query(home, "SELECT origin FROM articles")}
    assert origins == {str(f) for f in files}
    return out


def test_sigkill_during_ingest_loses_nothing(tmp_path: Path, runner) -> None:
    rng = random.Random(SEED)
    files = write_articles(tmp_path / "in", ARTICLES, seed=SEED)
    env = subprocess_env()

    def ingest(home: Path) -> list[str]:
        # Small batches: a run has many commit points for a kill to land between.
        return archive_cmd("--home", home, "ingest", "-q", *files, batch_size=20)

    # A full run on this machine, as loaded now, sets the range of kill moments:
    # from the moment the process has opened the database to the end of a run.
    baseline = tmp_path / "baseline"
    proc, _ = start_ingest(ingest(baseline), env)
    opened = time.monotonic()
    proc.wait(timeout=300)
    span = max(0.2, time.monotonic() - opened)
    finish(proc, runner, baseline, files)
    kills = rounds = 0
    states: list[tuple[int, int]] = []  # (articles stored, index changes owed) at each kill
    while kills < KILLS:
        rounds += 1
        home = tmp_path / f"home{rounds}"
        while True:
            proc, _ = start_ingest(ingest(home), env)
            time.sleep(rng.uniform(0.0, span))
            if proc.poll() is not None:  # it finished before its kill
                finish(proc, runner, home, files)
                break
            proc.send_signal(signal.SIGKILL)
            proc.communicate()
            kills += 1
            stored = len(db_versions(home))
            states.append((stored, len(outbox_ids(home))))
            assert_owed_covers_difference(home)
            assert_consistent_after_open(home, runner)
            if stored == ARTICLES:  # the re-run only finds them unchanged
                proc, _ = start_ingest(ingest(home), env)
                # (-q: nothing printed when nothing changed)
                assert "" == finish(proc, runner, home, files)
                break
    print(f"kills (articles stored, index changes owed): {states}")
    assert any(stored for stored, _ in states), "no kill landed after a batch was stored"


def test_rerun_after_kill_completes_without_duplicates(tmp_path: Path, runner) -> None:
    files = write_articles(tmp_path / "in", ARTICLES, seed=SEED + 1)
    home = tmp_path / "home"
    env = subprocess_env()
    cmd = archive_cmd("--home", home, "ingest", "-q", *files, batch_size=20)
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True)
    # Kill once some batches are in the database.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if len(db_versions(home)) >= 40:
                break
        except Exception:
            pass
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    before = len(db_versions(home))
    assert 0 < before < ARTICLES, "the kill should land part-way through the run"
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"{ARTICLES - before} added, 0 updated, {before} unchanged, 0 failed" in done.stdout
    assert assert_consistent_after_open(home, runner) == ARTICLES
