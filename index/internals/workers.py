"""Indexing in worker processes: Whoosh's ``MpWriter`` with three of its defects fixed.

``MpWriter`` (one segment per worker, ``multisegment=True``) analyses and
indexes documents in worker processes. As Whoosh 2.7.4 ships it:

* its ``cancel()`` left the workers blocked on the job queue for ever (they
  are now terminated);
* a worker that died without a result lost its documents silently (the
  parent now fails the commit, so the archive keeps them owed);
* workers outlived a killed parent, holding the inherited ``flock`` locks
  (they now die with it, Linux's ``PR_SET_PDEATHSIG``).

Internals used: ``MpWriter._new_task``, ``tasks``, ``resultqueue``,
``jobqueue``, ``subargs``, ``multisegment`` and ``SubWriterTask``. With the
gate closed (:mod:`index.internals`) ``index.writer.parallel_supported`` is
false and one process indexes everything.
"""

from __future__ import annotations

import os
import signal
import sys
from contextlib import suppress
from typing import Any

from whoosh.index import FileIndex
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.writing import IndexWriter, SegmentWriter

from index.errors import IndexingError

__all__ = ["RESULT_TIMEOUT", "parallel_writer"]

#: Seconds the parent waits for a worker process's result after it has exited.
RESULT_TIMEOUT = 30.0


class _Results:
    """Whoosh's result queue, but a worker that died without a result is an error.

    ``MpWriter._commit`` waits one second for each worker's result and silently
    goes on without it (``queue.Empty``): that worker's documents would be lost
    from a commit that reports success.
    """

    def __init__(self, queue: Any, tasks: list[Any]) -> None:
        self._queue = queue
        self._tasks = tasks

    def put(self, *args: Any, **kwargs: Any) -> Any:
        return self._queue.put(*args, **kwargs)

    def get(self, *args: Any, **kwargs: Any) -> Any:
        import queue

        try:
            return self._queue.get(timeout=RESULT_TIMEOUT)
        except queue.Empty:
            codes = ", ".join(str(task.exitcode) for task in self._tasks)
            raise IndexingError(
                f"an indexing worker process ended without its results (exit codes {codes})"
            ) from None


def _die_with(parent: int) -> None:
    """In a worker process: end when *parent* ends, however it ends.

    A worker inherits the parent's locks (the archive's ``write.lock`` and
    Whoosh's ``MAIN_WRITELOCK`` are ``flock`` locks, shared across ``fork``) and
    waits on the job queue for ever: a worker outliving a killed parent would
    keep the archive locked. Linux's ``PR_SET_PDEATHSIG`` ends it with the parent.
    """
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        with suppress(OSError, AttributeError):
            ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before that took effect
        os._exit(1)


class _Task(SubWriterTask):
    """A worker process: ignores Ctrl-C and dies with its parent."""

    parent = 0

    def run(self) -> None:
        # Ctrl-C reaches the whole process group: the parent decides (it
        # commits what is stored, or cancels, which ends the workers). SIGINT
        # is blocked from the fork (see _new_task), so none is lost or fatal
        # before this: one pending is discarded once it is ignored.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        _die_with(self.parent)
        super().run()


class StrictMpWriter(MpWriter):
    """Whoosh's ``MpWriter`` (one segment per worker), with three of its defects fixed."""

    def __init__(self, ix: FileIndex, procs: int, **kwargs: Any) -> None:
        super().__init__(ix, procs=procs, multisegment=True, **kwargs)
        self.resultqueue: Any = _Results(self.resultqueue, self.tasks)

    def _new_task(self) -> Any:
        task = _Task(
            self.storage,
            self.indexname,
            self.jobqueue,
            self.resultqueue,
            self.subargs,
            self.multisegment,
        )
        task.parent = os.getpid()
        # The worker inherits the blocked SIGINT; a Ctrl-C meanwhile is raised here
        # on unblocking. (pthread_sigmask itself raises a pending one after changing
        # the mask, hence the query first and the change inside the try.)
        was_blocked = signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, ())
        try:
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
            task.start()
            self.tasks.append(task)  # once started (cancel() joins every task)
        finally:
            if not was_blocked:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        return task

    def cancel(self) -> None:
        # MpWriter.cancel only sets a flag on its own copies of the worker
        # objects: the workers stay blocked on the job queue, and Python
        # waits for them at exit. End them.
        for task in self.tasks:
            if task.is_alive():
                task.terminate()
        for task in self.tasks:
            task.join(5)
        SegmentWriter.cancel(self)


def parallel_writer(ix: FileIndex, procs: int, **kwargs: Any) -> IndexWriter:
    """A writer indexing in *procs* worker processes, each writing a segment of its own."""
    return StrictMpWriter(ix, procs, **kwargs)
