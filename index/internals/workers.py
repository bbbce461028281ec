"""Indexing in worker processes: Whoosh's ``MpWriter`` with three of its defects fixed.

``MpWriter`` (one segment per worker, ``multisegment=True``) analyses and
indexes documents in worker processes. As Whoosh 2.7.4 ships it:

* its ``cancel()`` left the workers blocked on the job queue for ever (they
  are now terminated);
* a worker that died without a result lost its documents silently (the
  parent now fails the commit, so the archive keeps them owed);
* workers outlived a killed parent, holding the inherited ``flock`` locks
  (they now die with it, Linux's ``PR_SET_PDEATHSIG``);

and one of its limits lifted: ``MpWriter`` starts its workers with Python's
default start method, and they only worked with ``fork``, which stopped being
the default on Linux with Python 3.14 (and never was on macOS or Windows). The
workers here are started with an explicit method (:func:`start_method`):
``fork`` on Linux whatever Python's default (it is still available there), else
``spawn``; everything a worker needs (storage, queues, its settings) is
picklable, so ``spawn`` and ``forkserver`` work too (``tests/test_workers.py``
forces each).

Internals used: ``MpWriter._new_task``, ``_enqueue``, ``docbuffer``, ``_grouping``,
``_added_sub``, ``SubWriterTask._process_file`` (its job files) and ``run`` (rewritten:
``_finalize_segment``, ``pool.fieldnames``), ``tasks``, ``resultqueue``,
``jobqueue``, ``subargs``, ``multisegment``, ``SubWriterTask`` and
``multiprocessing``'s ``Process._Popen`` (how a process object is started).
With the gate closed (:mod:`index.internals`) ``index.writer.parallel_supported``
is false and one process indexes everything.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import sys
from contextlib import suppress
from typing import Any

from whoosh.index import FileIndex
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.writing import IndexWriter, SegmentWriter

from index.errors import IndexingError

__all__ = ["RESULT_TIMEOUT", "START_METHOD_ENV", "parallel_writer", "start_method"]

#: Set to ``fork``, ``spawn`` or ``forkserver`` to choose how workers are started.
START_METHOD_ENV = "ARCHIVE_WORKER_START"


def start_method() -> str:
    """How worker processes are started here: an explicit method the platform has.

    ``fork`` on Linux, whatever Python's default (``forkserver`` from 3.14 on):
    a forked worker starts at once with everything already imported, and the
    archive's processes run no other threads when they fork. Elsewhere
    ``spawn`` (macOS's system libraries are not fork-safe; Windows has no
    ``fork``). :data:`START_METHOD_ENV` chooses another available method.
    """
    available = multiprocessing.get_all_start_methods()
    forced = os.environ.get(START_METHOD_ENV, "").strip().lower()
    if forced in available:
        return forced
    if sys.platform.startswith("linux") and "fork" in available:
        return "fork"
    return "spawn"


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


def _die_with(parent: int, method: str) -> None:
    """In a worker process: end when *parent* ends, however it ends.

    A worker inherits the parent's locks (the archive's ``write.lock`` and
    Whoosh's ``MAIN_WRITELOCK`` are ``flock`` locks, shared across ``fork``) and
    waits on the job queue for ever: a worker outliving a killed parent would
    keep the archive locked. Linux's ``PR_SET_PDEATHSIG`` ends it with the
    process that started it (for ``forkserver`` that is the server, which ends
    with the parent); other start methods also watch the parent's sentinel
    (``multiprocessing.parent_process()``: a pipe that closes when it ends).
    """
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        with suppress(OSError, AttributeError):
            ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if method != "forkserver" and os.getppid() != parent:  # it died before that took effect
        os._exit(1)
    if method != "fork":
        import threading
        from multiprocessing.connection import wait

        started_by = multiprocessing.parent_process()
        sentinel = getattr(started_by, "sentinel", None)
        if sentinel is None:
            return

        def watch() -> None:
            wait([sentinel])
            os._exit(1)

        threading.Thread(target=watch, name="parent-watch", daemon=True).start()


class _Task(SubWriterTask):
    """A worker process: ignores Ctrl-C, dies with its parent, started by :attr:`method`."""

    parent = 0
    method = "fork"

    def _Popen(self, process_obj: Any) -> Any:  # noqa: N802 (multiprocessing's name)
        # multiprocessing.Process starts itself with the *default* context's
        # Popen; start this one with the chosen method's instead.
        context: Any = multiprocessing.get_context(self.method)
        return context.Process._Popen(process_obj)

    def _process_file(self, filename: str, doc_count: int) -> None:
        # Whoosh's, plus code 1: an object whose fields() the worker computes
        # (StrictMpWriter.add_deferred), so that the parent does not.
        writer = self.writer
        tempstorage = writer.temp_storage()
        with tempstorage.open_file(filename).raw_file() as f:
            for _ in range(doc_count):
                code, args = pickle.load(f)
                if code == 1:
                    args = args.fields()
                else:
                    assert code == 0
                writer.add_document(**args)
        tempstorage.delete_file(filename)

    def run(self) -> None:
        # Ctrl-C reaches the whole process group: the parent decides (it
        # commits what is stored, or cancels, which ends the workers). SIGINT
        # is blocked from the fork (see _new_task), so none is lost or fatal
        # before this: one pending is discarded once it is ignored.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        _die_with(self.parent, self.method)
        self._work()

    def _work(self) -> None:
        # Whoosh's SubWriterTask.run, with a writer whose commit reads each field's
        # lengths once (index/internals/flush.py).
        from index.internals.flush import LengthCachingWriter

        ix = self.storage.open_index(self.indexname)
        writer = self.writer = LengthCachingWriter(ix, _lk=False, **self.kwargs)
        while self.running:
            jobinfo = self.jobqueue.get()
            if jobinfo is None:
                break
            self._process_file(*jobinfo)
        if not self.running:
            writer.cancel()
        else:
            assert self.multisegment
            segment = writer._finalize_segment()
            self.resultqueue.put((None, writer.pool.fieldnames, segment), timeout=5)


class StrictMpWriter(MpWriter):
    """Whoosh's ``MpWriter`` (one segment per worker), with three of its defects fixed."""

    def __init__(self, ix: FileIndex, procs: int, *, method: str, **kwargs: Any) -> None:
        super().__init__(ix, procs=procs, multisegment=True, **kwargs)
        # Queues of the chosen method's context (MpWriter made the default's).
        context = multiprocessing.get_context(method)
        self.method = method
        self.jobqueue = context.Queue(self.procs * 4)
        self.worker_results = context.Queue()
        self.resultqueue: Any = _Results(self.worker_results, self.tasks)

    def _new_task(self) -> Any:
        task = _Task(
            self.storage,
            self.indexname,
            self.jobqueue,
            self.worker_results,  # the queue itself: a worker only puts
            self.subargs,
            self.multisegment,
        )
        task.parent = os.getpid()
        task.method = self.method
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

    def add_deferred(self, doc: Any) -> None:
        """Add a document whose ``fields()`` (the keyword arguments of
        ``add_document``) a worker process computes: the text analysis before
        Whoosh's (language detection, hashes) is then done on the workers' cores,
        not in the parent, which has the database's side of the ingest to do."""
        self.docbuffer.append((1, doc))
        if not self._grouping and len(self.docbuffer) >= self.batchsize:
            self._enqueue()
        self._added_sub = True

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


def parallel_writer(
    ix: FileIndex, procs: int, *, method: str | None = None, **kwargs: Any
) -> IndexWriter:
    """A writer indexing in *procs* worker processes, each writing a segment of its own.

    :param method: how the workers are started (default: :func:`start_method`).
    """
    return StrictMpWriter(ix, procs, method=method or start_method(), **kwargs)
