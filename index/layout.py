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
