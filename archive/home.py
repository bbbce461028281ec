"""The archive home: one directory holding the database, the index and the write lock.

Every path inside a home is named here and nowhere else.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

#: The SQLite database, the source of truth.
DB_NAME = "archive.sqlite3"
#: The Whoosh index directory, derived from the database.
INDEX_DIR = "index"
#: The file whose ``flock`` is the archive's write lock (:mod:`archive.locking`).
LOCK_NAME = "write.lock"
#: The file naming the shared database (a PostgreSQL URL) a home follows, when it does.
DB_URL_NAME = "database.url"
#: Where this home's index is in a shared store's change log (:mod:`archive.changelog`).
APPLIED_NAME = "index.applied"


@dataclass(frozen=True, slots=True)
class Home:
    """The paths of the archive whose home directory is :attr:`path`."""

    path: Path

    @property
    def db(self) -> Path:
        return self.path / DB_NAME

    @property
    def url_file(self) -> Path:
        return self.path / DB_URL_NAME

    @property
    def url(self) -> str | None:
        """The shared database's URL this home follows (None: its own SQLite file)."""
        try:
            return self.url_file.read_text(encoding="utf-8").strip() or None
        except (FileNotFoundError, NotADirectoryError):
            return None

    @property
    def database(self) -> Path | str:
        """Where the archive's database is: a PostgreSQL URL, else the SQLite file."""
        return self.url or self.db

    @property
    def applied(self) -> Path:
        return self.path / APPLIED_NAME

    @property
    def index(self) -> Path:
        return self.path / INDEX_DIR

    @property
    def lock(self) -> Path:
        return self.path / LOCK_NAME

    def foreign_content(self) -> str | None:
        """The name of something in the home that is not an archive's, when the home holds
        no database (``None``: the home is an archive, or new, or empty): an archive is
        never created in a directory that holds other files (``--home /etc``)."""
        if self.db.exists() or self.url_file.exists():
            return None
        ours = (DB_NAME, INDEX_DIR, LOCK_NAME, DB_URL_NAME, INDEX_DIR + ".new", INDEX_DIR + ".old")
        try:
            for entry in sorted(os.listdir(self.path)):
                if not entry.startswith(ours):
                    return repr(entry)
        except OSError:
            return None  # (opening it will say why it cannot be used)
        return None

    def database_files(self) -> list[Path]:
        """The database and its write-ahead log and shared-memory files, where present."""
        return [p for p in self.path.glob(DB_NAME + "*") if p.is_file()]


def default_home() -> Path:
    """``$ARCHIVE_HOME``, else the platform's user data directory for the archive.

    (The command line also reads the config file: see :mod:`archive.config`.)
    """
    return Path(os.environ.get("ARCHIVE_HOME") or platform_home())


def platform_home() -> Path:
    """The platform's user data directory for the archive (the home by default)."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("article-archive", False))
