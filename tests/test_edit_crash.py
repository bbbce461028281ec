"""A bulk edit killed with SIGKILL: every article fully changed or untouched, check clean.

The edit of many articles is one SQLite transaction and one index commit through
the outbox (archive/consistency.py), so after a kill at any moment the database
holds either every change or none, and the next open brings the index in line.
"""

from __future__ import annotations

import random
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from _safety import archive_cmd, db_query, outbox_ids, subprocess_env, write_articles

from archive import Archive, Reader
from archive.ingest import read_path
from cli import cli

ARTICLES = 300
KILLS = 6
SEED = 20261202

pytestmark = pytest.mark.slow


def states(home: Path) -> set[tuple[object, ...]]:
    """Each article's (source, has the tag 'edited', author), read with sqlite3."""
    rows = db_query(
        home,
        "SELECT source, EXISTS(SELECT 1 FROM tags t WHERE t.article_id = a.id AND "
        "t.name = 'edited'), author FROM articles a",
    )
    return set(rows)


def test_a_killed_bulk_edit_is_all_or_nothing(tmp_path: Path, runner) -> None:
    template = tmp_path / "template"
    files = write_articles(tmp_path / "in", ARTICLES, seed=SEED)
    with Archive.open(template) as archive:
        archive.ingest(d for f in files for d in read_path(f))
    untouched = {(None, 0, None)}
    done = {("Renamed", 1, "Desk")}
    cmd_args = ("edit", "--query", "archives", "--source", "Renamed")
    cmd_args += ("--add-tag", "edited", "--author", "Desk")
    # How long an uninterrupted edit takes, to kill within it.
    home = tmp_path / "timed"
    shutil.copytree(template, home)
    started = time.monotonic()
    subprocess.run(
        archive_cmd("--home", home, *cmd_args),
        env=subprocess_env(),
        check=True,
        capture_output=True,
    )
    duration = time.monotonic() - started
    assert states(home) == done
    rng = random.Random(SEED)
    outcomes = []
    for n in range(KILLS):
        home = tmp_path / f"kill{n}"
        shutil.copytree(template, home)
        proc = subprocess.Popen(
            archive_cmd("--home", home, *cmd_args),
            env=subprocess_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        if n % 2:
            time.sleep(rng.uniform(0.3, 1.0) * duration)
        else:
            # Between the two commits: the outbox rows are visible once SQLite has
            # committed, and stay until the index has.
            deadline = time.monotonic() + 2 * duration + 10
            while proc.poll() is None and time.monotonic() < deadline:
                if (home / "archive.sqlite3").exists() and outbox_ids(home):
                    break
                time.sleep(0.002)
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        # Before anything opens the archive: all or nothing in the database.
        found = states(home)
        assert found in (untouched, done), found
        owed = outbox_ids(home)
        outcomes.append((found == done, bool(owed)))
        # The open settles what the kill left; then check is clean and search agrees.
        result = runner.invoke(cli, ["--home", str(home), "check"])
        assert result.exit_code == 0, result.output
        assert result.output.endswith("database and index agree\n")
        assert outbox_ids(home) == set()
        renamed = Reader(home).search('source:"renamed"', limit=1, passages=0).total
        tagged = Reader(home).search("tag:edited", limit=1, passages=0).total
        assert renamed == tagged == (ARTICLES if found == done else 0)
    print("kills (changed, index owed):", outcomes)
    assert (True, True) in outcomes  # a kill did land between the two commits
