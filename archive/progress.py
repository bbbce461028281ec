"""Telling the user how a long job is going: phases, counts, rate, time left, lock waits.

The library reports through a :class:`Progress` given to
:meth:`archive.facade.Archive.open`: a job starts a labelled *phase* (with a
total when known) and *advances* it; the final commit or merge of the index
is a phase of its own, so a bar never sits silently at 92%. Waiting for
another process's write lock is reported at once with who holds it and how
long the wait may last.

:class:`Progress` itself says nothing (the default, for library callers,
``--quiet`` and tests); :class:`TerminalProgress` draws tqdm bars on a
terminal and, when the stream is not a terminal, only the one-line lock
message (useful in a cron job's log).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import IO, Any, TypeVar

T = TypeVar("T")

#: Seconds a phase must last before its bar appears (quick jobs stay quiet);
#: ``$ARCHIVE_PROGRESS_DELAY`` changes it (0: every bar at once).
DELAY = 0.5
DELAY_ENV = "ARCHIVE_PROGRESS_DELAY"


def delay() -> float:
    """:data:`DELAY`, or ``$ARCHIVE_PROGRESS_DELAY`` when it is a number of seconds."""
    try:
        return max(float(os.environ.get(DELAY_ENV, DELAY)), 0.0)
    except ValueError:
        return DELAY


class Progress:
    """Progress that is not shown (the base: every method does nothing)."""

    def phase(self, label: str, total: int | None = None, unit: str = "articles") -> None:
        """A new step of the job begins: *label* (e.g. ``reindexing``), out of *total*."""

    def advance(self, count: int = 1) -> None:
        """*count* more of the current phase's units are done."""

    def note(self, text: str) -> None:
        """Show *text* beside the bar: e.g. the counts so far."""

    def write(self, line: str, stream: IO[str]) -> None:
        """Print *line* to *stream* without breaking a bar."""
        stream.write(line + "\n")
        stream.flush()

    def waiting(self, holder: str, waited: float, timeout: float) -> None:
        """Called while waiting for the write lock *holder* (a description) holds, after
        *waited* of *timeout* seconds; once more with *waited* -1 when the lock is taken."""

    def done(self) -> None:
        """The job is over: take any bar off the screen."""


class TerminalProgress(Progress):
    """tqdm bars on *stream* when it is a terminal; otherwise only the lock-wait line."""

    def __init__(self, stream: IO[str], *, bars: bool) -> None:
        self.stream = stream
        self.bars = bars
        self._bar: Any = None
        self._waited_for: str | None = None

    def _new_bar(self, label: str, total: float | None, unit: str, **kwargs: Any) -> None:
        from tqdm import tqdm

        # No monitor thread: a large ingest forks indexing workers, and forking a
        # process that runs other threads can deadlock the child.
        tqdm.monitor_interval = 0
        self.done()
        self._bar = tqdm(
            desc=label,
            total=total,
            unit=f" {unit}" if unit else "",
            file=self.stream,
            dynamic_ncols=True,
            mininterval=0.2,
            smoothing=0.1,
            leave=False,
            **{"delay": delay(), **kwargs},
        )

    def phase(self, label: str, total: int | None = None, unit: str = "articles") -> None:
        if self.bars:
            self._new_bar(label, total or None, unit)
            self._bar.refresh()

    def advance(self, count: int = 1) -> None:
        if self._bar is not None:
            self._bar.update(count)

    def note(self, text: str) -> None:
        if self._bar is not None:
            self._bar.set_postfix_str(text, refresh=False)

    def write(self, line: str, stream: IO[str]) -> None:
        if self._bar is None:
            super().write(line, stream)
        else:
            self._bar.write(line, file=stream)

    def waiting(self, holder: str, waited: float, timeout: float) -> None:
        if waited < 0:
            self._waited_for = None
            self.done()
            return
        if self._waited_for is None:
            self._waited_for = holder
            self.stream.write(
                f"waiting for the archive's write lock, held by {holder}; "
                f"giving up in {timeout:g}s\n"
            )
            self.stream.flush()
            if self.bars:
                fmt = "{desc}: {elapsed} waited, {remaining} left |{bar}|"
                self._new_bar("waiting for the lock", timeout, "s", bar_format=fmt, delay=0)
        if self._bar is not None and self._bar.desc == "waiting for the lock":
            self._bar.update(min(waited, timeout) - self._bar.n)

    def done(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def counted(items: Iterable[T], progress: Progress, then: str) -> Iterator[T]:
    """*items*, each counted on *progress* as it goes; once all are taken, phase *then*
    (the commit that follows, e.g. ``committing the index``)."""
    for item in items:
        yield item
        progress.advance()
    progress.phase(then, unit="")
