"""check, check --repair, reindex, and an index that is missing, empty, locked or damaged."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _safety import archive_cmd, db_versions, index_versions, subprocess_env, write_articles
from whoosh import index as whoosh_index

from archive import Archive
from archive.ingest import read_path
from cli import cli
from index import writer as iw


@pytest.fixture
def home(sample_home: Path, tmp_path: Path) -> Path:
    """The sample archive plus 10 small articles (ids 1..11)."""
    files = write_articles(tmp_path / "more", 10, seed=5)
    with Archive.open(sample_home) as archive:
        report = archive.ingest(d for f in files for d in read_path(f))
        assert report.count("added") == 10
    return sample_home


def tamper(home: Path) -> None:
    """Make the index differ from the database behind the archive's back."""
    ix = whoosh_index.open_dir(str(home / "index"))
    with ix.writer() as w:
        w.delete_by_term("id", "2")
        w.delete_by_term("id", "3")
        w.update_document(id="999", version="x", title="ghost", body="ghost article")
        w.update_document(id="4", version="old", title="old", body="old text of four")


def run(runner, home: Path, *args: str):
    return runner.invoke(cli, ["--home", str(home), *args])


def test_check_reports_agreement(home: Path, runner) -> None:
    result = run(runner, home, "check")
    assert result.exit_code == 0
    assert result.output == "11 articles in the database\ndatabase and index agree\n"


def test_check_reports_each_difference_and_repair_fixes_only_those(
    home: Path, runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    tamper(home)
    result = run(runner, home, "check")
    assert result.exit_code == 1
    assert result.output == (
        "11 articles in the database\n"
        "2 articles missing from the index\n"
        "1 article in the index but not in the database\n"
        "1 article indexed with old text\n"
        "run 'archive check --repair' to fix the index\n"
    )
    with Archive.open(home) as archive:
        report = archive.check()
        assert (report.missing_from_index, report.not_in_database, report.stale_in_index) == (
            [2, 3],
            [999],
            [4],
        )

    def no_rebuild(*args: object, **kwargs: object) -> int:
        raise AssertionError("check --repair rebuilt the whole index")

    # Not a rebuild: only the documents that differ are written.
    monkeypatch.setattr(iw, "rebuild", no_rebuild)
    result = run(runner, home, "check", "--repair")
    assert result.exit_code == 0, result.output
    assert result.output.endswith("repaired: the index now matches the database\n")
    monkeypatch.undo()
    assert index_versions(home) == db_versions(home)
    assert run(runner, home, "check").exit_code == 0
    result = run(runner, home, "search", "atoken1", "--format", "json")
    assert '"total": 1' in result.output


def test_reindex_rebuilds_into_a_new_directory(home: Path, runner) -> None:
    tamper(home)
    with Archive.open(home) as archive:
        before = iw.segment_names(archive.ix)
    result = run(runner, home, "reindex")
    assert result.exit_code == 0, result.output
    assert result.output == "reindexed 11 articles\n"
    ix = iw.open_index(home / "index")
    assert not before & iw.segment_names(ix)
    ix.close()
    assert not (home / "index.new").exists() and not (home / "index.old").exists()
    assert index_versions(home) == db_versions(home)


def test_reindex_of_an_outdated_index_rebuilds_it_once(home: Path, runner) -> None:
    from index.analysis import ANALYSIS_VERSION

    (home / "index" / "ANALYSIS_VERSION").write_text("1")
    result = run(runner, home, "reindex")
    assert result.exit_code == 0, result.output
    # Not "rebuilt it from the database" on opening, then a second rebuild.
    assert result.output == "reindexed 11 articles\n"
    assert (home / "index" / "ANALYSIS_VERSION").read_text().strip() == str(ANALYSIS_VERSION)
    assert index_versions(home) == db_versions(home)


@pytest.mark.slow
def test_interrupted_reindex_leaves_the_old_index_working(tmp_path: Path, runner) -> None:
    home = tmp_path / "home"
    files = write_articles(tmp_path / "in", 400, seed=9)
    env = subprocess_env()
    subprocess.run(archive_cmd("--home", home, "ingest", "-q", *files), env=env, check=True)
    proc = subprocess.Popen(archive_cmd("--home", home, "reindex"), env=env)
    new = home / "index.new"
    deadline = time.monotonic() + 60
    while not new.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.001)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert new.exists(), "the kill should land while the new index is being built"
    result = run(runner, home, "search", "atoken123", "--format", "json")
    assert result.exit_code == 0, result.output
    assert '"total": 1' in result.output
    assert run(runner, home, "check").exit_code == 0
    result = run(runner, home, "reindex")
    assert result.output == "reindexed 400 articles\n"
    assert not new.exists()


def test_missing_index_is_rebuilt_and_says_so(home: Path, runner) -> None:
    shutil.rmtree(home / "index")
    result = run(runner, home, "check")
    assert result.exit_code == 0, result.output
    assert result.output == (
        f"note: the search index at {home / 'index'} was missing or empty; "
        "rebuilt it from the database (11 articles)\n"
        "11 articles in the database\ndatabase and index agree\n"
    )


def test_empty_index_directory_is_rebuilt_and_says_so(home: Path, runner) -> None:
    shutil.rmtree(home / "index")
    (home / "index").mkdir()
    result = run(runner, home, "list")
    assert result.exit_code == 0, result.output
    assert "was missing or empty; rebuilt it from the database (11 articles)" in result.output
    assert index_versions(home) == db_versions(home)


def test_missing_index_when_searching_says_to_reindex(home: Path, runner) -> None:
    shutil.rmtree(home / "index")
    result = run(runner, home, "search", "deploy")
    assert result.exit_code == 1
    assert result.output == (
        f"Error: no search index at {home / 'index'}; run 'archive reindex' to rebuild it\n"
    )


LOCK_AND_DIE = """
import fcntl, os, signal, sys
fds = [os.open(p, os.O_RDWR | os.O_CREAT, 0o600) for p in sys.argv[1:]]
for fd in fds:
    fcntl.flock(fd, fcntl.LOCK_EX)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_index_locked_by_a_dead_process_is_no_obstacle(home: Path, runner, tmp_path: Path) -> None:
    locks = [home / "index" / "MAIN_WRITELOCK", home / "write.lock"]
    died = subprocess.run([sys.executable, "-c", LOCK_AND_DIE, *map(str, locks)])
    assert died.returncode == -signal.SIGKILL
    assert all(p.exists() for p in locks)
    extra = write_articles(tmp_path / "late", 1, seed=77, prefix="late")
    result = run(runner, home, "ingest", str(extra[0]))
    assert result.exit_code == 0, result.output
    assert run(runner, home, "check").exit_code == 0


def damage_toc(index: Path) -> None:
    for toc in index.glob("_MAIN_*.toc"):
        toc.write_bytes(b"\x00garbage" * 10)


def delete_segment(index: Path) -> None:
    for seg in index.glob("*.seg"):
        seg.unlink()


def garble_segment(index: Path) -> None:
    for seg in index.glob("*.seg"):
        seg.write_bytes(b"\xff" * 64)


def truncate_segment(index: Path) -> None:
    for seg in index.glob("*.seg"):
        data = seg.read_bytes()
        seg.write_bytes(data[: len(data) // 3])


@pytest.mark.parametrize(
    "damage",
    [
        damage_toc,
        pytest.param(delete_segment, marks=pytest.mark.slow),
        pytest.param(garble_segment, marks=pytest.mark.slow),
        truncate_segment,
    ],
)
def test_damaged_index_says_to_reindex(home: Path, runner, tmp_path: Path, damage) -> None:
    damage(home / "index")
    extra = write_articles(tmp_path / "late", 1, seed=78, prefix="late")
    commands = [["search", "deploy"], ["check"], ["delete", "2"], ["ingest", str(extra[0])]]
    for args in commands:
        result = run(runner, home, *args)
        assert result.exit_code == 1, (args, result.output)
        assert isinstance(result.exception, SystemExit), (args, result.exception)
        assert result.output.startswith("Error: "), args
        assert "run 'archive reindex'" in result.output, args
        assert result.output.count("\n") == 1, args
    # What needs no index works, and every article is still there.
    result = run(runner, home, "list", "--all")
    assert result.exit_code == 0, result.output
    assert len(result.output.splitlines()) == 11
    assert run(runner, home, "show", "1").exit_code == 0
    result = run(runner, home, "export")
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 11
    # reindex always works on a damaged index, and then everything does.
    result = run(runner, home, "reindex")
    assert result.exit_code == 0, result.output
    assert result.output == "reindexed 11 articles\n"
    for args in commands:
        result = run(runner, home, *args)
        assert result.exit_code == 0, (args, result.output)
    assert index_versions(home) == db_versions(home)


@pytest.mark.slow
def test_check_repair_rebuilds_an_unreadable_index(home: Path, runner) -> None:
    garble_segment(home / "index")
    result = run(runner, home, "check", "--repair")
    assert result.exit_code == 0, result.output
    assert result.output == (
        "11 articles in the database\nthe index could not be read: rebuilt it from the database\n"
    )
    assert index_versions(home) == db_versions(home)


def _tree(home: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(home)): (p.stat().st_size, p.stat().st_mtime_ns) for p in home.rglob("*")
    }


@pytest.mark.parametrize("damage", ["not sqlite", "damaged sqlite"])
def test_check_on_a_damaged_database_says_what_it_is_and_what_to_do(
    home: Path, runner, damage: str
) -> None:
    db = home / "archive.sqlite3"
    with Archive.open(home):
        pass  # (checkpointed and closed)
    if damage == "not sqlite":
        db.write_text("these are notes, saved over the archive\n", encoding="utf-8")
        found = f"the archive database {db} is not a SQLite database"
    else:
        with db.open("r+b") as f:
            f.seek(100)  # past the header: the first page, which names every table
            f.write(b"\x07" * 3000)
        found = f"the archive database {db} is damaged (database disk image is malformed)"
    listed = runner.invoke(cli, ["--home", str(home), "list"])
    assert listed.exit_code == 1
    assert listed.output.endswith("'archive check' says how, and what to do\n")
    before = _tree(home)
    result = runner.invoke(cli, ["--home", str(home), "check"])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {found}")
    assert "'archive check'" not in result.output and len(result.output.splitlines()) == 1
    assert "move it away" in result.output and "'archive import'" in result.output
    assert _tree(home) == before  # nothing written
