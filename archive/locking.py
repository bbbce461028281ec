"""The archive's write lock: one writing process at a time, the others wait.

Every change to the archive (ingest, delete, settle, check --repair, reindex,
import) holds this lock from before its SQLite transaction begins until its
index commit is done. So while a process holds it, every row of the index
outbox belongs to a change that either finished or died: any holder may replay
them safely (see ``IndexKeeper.writing`` in ``archive/consistency.py``).

The lock is ``flock(2)`` on ``write.lock`` in the archive home: the operating
system releases it when its process dies, however it dies, so a crash never
leaves the archive locked. The holder writes its pid and command line into the
file so that a waiter that gives up can say who holds it.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from archive.errors import ArchiveBusy, ArchiveError
from archive.home import LOCK_NAME

#: Seconds a writer waits for another's lock (and SQLite for its busy timeout).
DEFAULT_TIMEOUT = 60.0
#: Environment variable that overrides :data:`DEFAULT_TIMEOUT`.
TIMEOUT_ENV = "ARCHIVE_LOCK_TIMEOUT"
_POLL = 0.02


def lock_timeout() -> float:
    """The lock timeout in seconds: ``$ARCHIVE_LOCK_TIMEOUT``, else :data:`DEFAULT_TIMEOUT`."""
    raw = os.environ.get(TIMEOUT_ENV, "").strip()
    if not raw:
        return DEFAULT_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value >= 0:  # also rejects nan
        raise ArchiveError(f"{TIMEOUT_ENV} must be a number of seconds, not {raw!r}")
    return value


class WriteLock:
    """A re-entrant, process-wide exclusive lock on ``write.lock`` in *home*."""

    def __init__(self, home: Path, timeout: float) -> None:
        self.path = home / LOCK_NAME
        self.timeout = timeout
        self._fd: int | None = None
        self._depth = 0
        #: Told at once, then at each poll, while another process holds the lock:
        #: ``on_wait(holder, seconds_waited, timeout)``; once more with -1 when taken.
        self.on_wait: Callable[[str, float, float], object] | None = None

    @property
    def held(self) -> bool:
        return self._depth > 0

    def acquire(self, *, wait: bool = True) -> bool:
        """Take the lock, waiting up to the timeout if *wait*.

        :returns: False only when *wait* is false and another process holds it.
        :raises ArchiveBusy: *wait* is true and the timeout passed.
        """
        if self._depth:
            self._depth += 1
            return True
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise ArchiveError(
                f"cannot open the archive's lock file {self.path} ({exc.strerror}); "
                "the archive home must be writable to change the archive"
            ) from exc
        start = time.monotonic()
        deadline = start + (self.timeout if wait else 0.0)
        holder: str | None = None
        try:
            while not _try_lock(fd):
                if time.monotonic() >= deadline:
                    if not wait:
                        os.close(fd)
                        return False
                    raise ArchiveBusy(self._busy_message())
                if self.on_wait is not None:
                    holder = holder or self.who()
                    self.on_wait(holder, time.monotonic() - start, self.timeout)
                time.sleep(_POLL)
        except BaseException:
            os.close(fd)
            raise
        if holder is not None and self.on_wait is not None:
            self.on_wait(holder, -1.0, self.timeout)
        self._fd = fd
        self._depth = 1
        _write_holder(fd)
        return True

    def release(self) -> None:
        if not self._depth:
            return
        self._depth -= 1
        if self._depth or self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            os.ftruncate(fd, 0)
        except OSError:
            pass
        _unlock(fd)
        os.close(fd)

    def holder(self) -> dict[str, object] | None:
        """What the holder wrote about itself (pid, command, since), if readable."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8") or "null")
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def who(self) -> str:
        """The holder, as the user reads it: ``process 12 (archive ingest x), holding it
        since ...``, or ``another process`` when it wrote nothing readable."""
        who = "another process"
        info = self.holder()
        if info:
            who = f"process {info.get('pid')}"
            if info.get("command"):
                who += f" ({info['command']})"
            if info.get("since"):
                who += f", holding it since {info['since']}"
        return who

    def _busy_message(self) -> str:
        who = self.who()
        return (
            f"the archive is busy: {who} has its write lock ({self.path}); "
            f"gave up after waiting {self.timeout:g}s. Wait for it to finish, "
            f"or set {TIMEOUT_ENV} to wait longer"
        )


def _write_holder(fd: int) -> None:
    command = " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]) if sys.argv else ""
    info = {
        "pid": os.getpid(),
        "command": command[:200],
        "since": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
    }
    try:
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, json.dumps(info).encode("utf-8"))
    except OSError:
        pass  # the note is a courtesy; the lock itself is what matters


try:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)

except ImportError:  # Windows
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]
