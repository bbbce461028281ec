"""Helpers for the safety tests: run the real CLI in a process, read both stores directly.

The readers here use ``sqlite3`` and Whoosh themselves, not the archive's code,
so a test compares what is really on disk with what the archive claims.
"""

from __future__ import annotations

import os
import random
import sqlite3
import sys
from pathlib import Path
from typing import Any

WORDS = (
    "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike "
    "november oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu"
).split()


def archive_cmd(*args: str | Path, batch_size: int | None = None) -> list[str]:
    """The command line that runs ``archive ARGS`` in a new Python process.

    :param batch_size: run ingest with this many articles per transaction, so a
        run has many commit points (the CLI has no option for it).
    """
    if batch_size is None:
        return [sys.executable, "-m", "cli", *map(str, args)]
    boot = (
        "import archive.intake as c\n"
        f"c.BATCH_SIZE = {batch_size}\n"
        "d = c.Intake.ingest.__kwdefaults__\n"
        f"if d and 'batch_size' in d: d['batch_size'] = {batch_size}\n"
        "import cli\n"
        "cli.main()\n"
    )
    return [sys.executable, "-c", boot, *map(str, args)]


def subprocess_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("ARCHIVE_HOME", None)
    env.update(extra)
    return env


def write_articles(folder: Path, count: int, *, seed: int, prefix: str = "a") -> list[Path]:
    """*count* small, distinct plain-text articles; every one has the word 'archives'."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        words = " ".join(rng.choice(WORDS) for _ in range(40))
        path = folder / f"{prefix}{i:04d}.txt"
        path.write_text(
            f"Report {prefix}{i} about archives\n\n{words} {prefix}token{i}.\n", encoding="utf-8"
        )
        paths.append(path)
    return paths


def db_versions(home: Path) -> dict[int, str]:
    """Article id -> content hash, read with sqlite3 ({} before the schema exists)."""
    try:
        return dict(db_query(home, "SELECT id, content_hash FROM articles"))  # type: ignore[arg-type]
    except (sqlite3.OperationalError, FileNotFoundError):  # killed before the schema was made
        return {}


def db_query(home: Path, sql: str, *params: object) -> list[tuple[object, ...]]:
    """Rows of *sql* on the archive database, opened read-only (never created here)."""
    path = home / "archive.sqlite3"
    if not path.exists():
        raise FileNotFoundError(path)
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def outbox_ids(home: Path) -> set[int]:
    try:
        return {row[0] for row in db_query(home, "SELECT article_id FROM index_outbox")}
    except (sqlite3.OperationalError, FileNotFoundError):
        return set()


def index_versions(home: Path) -> dict[int, str] | None:
    """Article id -> indexed version, read with Whoosh; None if there is no index."""
    from whoosh import index

    path = home / "index"
    if not path.is_dir() or not index.exists_in(str(path)):
        return None
    ix = index.open_dir(str(path))
    try:
        with ix.searcher() as s:
            return {int(f["id"]): f["version"] for f in s.all_stored_fields()}
    finally:
        ix.close()


def file_states(home: Path) -> dict[str, tuple[int, int, int]]:
    """Every file under *home*: (size, mtime_ns, mode)."""
    out = {}
    for path in sorted(home.rglob("*")):
        st = path.stat()
        out[str(path.relative_to(home))] = (st.st_size, st.st_mtime_ns, st.st_mode)
    return out


def bbc_index_docs(bbc: Path, sections: tuple[str, ...], n: int) -> list[Any]:
    """The first *n* real BBC articles of *sections* as ``IndexDoc``s (ids 1..n), with a
    source, an author on every third, two tags each and dates spread over 2004–2005."""
    from datetime import datetime

    from archive.ingest import read_path
    from index.schema import IndexDoc

    files = [f for s in sections for f in sorted((bbc / s).glob("*.txt"))][:n]
    docs: list[Any] = []
    for i, f in enumerate(files):
        (draft,) = read_path(f)
        docs.append(
            IndexDoc(
                i + 1,
                f"v{i}",
                draft.title,
                draft.body,
                source="BBC",
                author="Ann Lee" if i % 3 == 0 else None,
                tags=(f.parent.name, "odd" if i % 2 else "even"),
                published=datetime(2004 + i % 2, 1 + i % 12, 1 + i % 28, i % 24),
            )
        )
    return docs
