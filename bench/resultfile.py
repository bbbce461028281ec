"""Where the benchmarks write their results: one JSON file per run in bench/results/.

A file is named by when the run started (UTC, to the minute) and what it measured:
``2026-11-28-0207-perf-100000-search+segments+add+startup.json``,
``2026-11-27-2230-ingest-20873.json``, ``2026-11-27-2300-relevance-bbc-400q-seed7.json``.
"""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def stamp(started: float) -> str:
    """``YYYY-MM-DD-HHMM`` (UTC) of a run that started at ``started`` (``time.time()``)."""
    return time.strftime("%Y-%m-%d-%H%M", time.gmtime(started))


def result_path(what: str, started: float, suffix: str = ".json") -> Path:
    """The file for a run's results: ``bench/results/<stamp>-<what><suffix>``."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    return RESULTS / f"{stamp(started)}-{what}{suffix}"


def run_date(started: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(started))


def basic_machine(started: float) -> dict[str, Any]:
    """What the results of a run depend on, beyond the code: cores, Python, load."""
    return {
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "loadavg_at_start": os.getloadavg(),
        "date": run_date(started),
    }
