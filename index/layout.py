"""What an index directory holds, answered without importing Whoosh's machinery.

Commands that only read the database (``show``, ``list``) still want to know
whether the index exists, to rebuild a missing one; this module answers that
cheaply.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

#: The file in the index directory recording the analysis version it was built with.
ANALYSIS_FILE = "ANALYSIS_VERSION"

#: Whoosh's table-of-contents files: an index exists once one of these does.
_TOC = re.compile(r"_MAIN_\d+\.toc")


def exists(path: Path) -> bool:
    """Whether *path* holds a Whoosh index (at least one table of contents)."""
    try:
        return path.is_dir() and any(_TOC.fullmatch(name) for name in os.listdir(path))
    except OSError:
        return False


#: What a rebuild leaves beside the index while it runs: the new index being built,
#: and the old one between the two renames that swap them (:func:`index.writer.rebuild`).
REBUILD_SUFFIXES = (".new", ".old")


def leftovers(path: Path) -> list[Path]:
    """The rebuild folders beside the index at *path* (a rebuild running now, or one
    killed before it could remove them)."""
    return [p for s in REBUILD_SUFFIXES if (p := path.with_name(path.name + s)).is_dir()]


def remove_leftovers(path: Path) -> str | None:
    """Remove the rebuild folders beside the index at *path*; what was removed, in words
    (``None``: nothing). The caller holds the write lock: a running rebuild holds it."""
    import shutil

    found = leftovers(path)
    size = sum(size_of(p) for p in found)
    for folder in found:
        shutil.rmtree(folder, ignore_errors=True)
    return f"{', '.join(p.name for p in found)} ({size / 1024:,.0f} KiB)" if found else None


def size_of(path: Path) -> int:
    """The bytes of the files under *path* (0 if it cannot be read)."""
    total = 0
    for folder, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(folder, name)).st_size
            except OSError:
                pass
    return total
