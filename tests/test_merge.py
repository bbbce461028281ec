"""Merging segments by streaming their postings (``index.internals.merge.merge_into``).

The merged index must hold exactly what Whoosh's own merge (``add_reader``)
writes: the same documents, stored fields, field lengths, sortable columns,
terms, postings (document, weight, positions) and term statistics, with
deleted documents gone. Built from BBC News articles (tests/data), in
several segments with deletions; merged both by ``archive optimize``'s policy
and by a small commit's tiered merge, which also adds new documents.
"""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import pytest
from whoosh import writing
from whoosh.reading import SegmentReader

from archive.ingest import read_path
from index import search as isearch
from index import writer as iw
from index.internals import merge
from index.schema import IndexDoc


def _docs(bbc: Path, start: int, n: int, section: str) -> list[IndexDoc]:
    files = sorted((bbc / section).glob("*.txt"))[start : start + n]
    out = []
    for i, f in enumerate(files):
        (draft,) = read_path(f)
        number = start + i + 1 + {"business": 0, "politics": 1000, "tech": 2000}[section]
        out.append(
            IndexDoc(
                number,
                f"v{number}",
                draft.title,
                draft.body,
                author="Reporter " + "ABC"[number % 3],
                source="BBC",
                tags=("news", section),
                url=f"https://example.org/{number}",
                published=datetime(2005, 1 + number % 12, 1 + number % 28, 12, 30),
            )
        )
    return out


@pytest.fixture(scope="session")  # built once per process, whatever order tests run in
def segmented(bbc_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of four segments (40 to 120 articles) with some articles deleted."""
    path = tmp_path_factory.mktemp("segments") / "index"
    ix = iw.create(path)
    for start, n, section in ((0, 120, "business"), (0, 80, "politics"), (0, 40, "tech")):
        w = ix.writer()
        iw.apply(w, _docs(bbc_corpus, start, n, section), [])
        w.commit(merge=False)
    w = ix.writer()
    iw.apply(w, _docs(bbc_corpus, 120, 60, "business"), [3, 17, 1005, 2011, 2012])
    w.commit(merge=False)
    ix.close()
    ix = iw.open_index(path)
    assert len(ix._segments()) == 4 and any(s.has_deletions() for s in ix._segments())
    ix.close()
    return path


def _whooshs_merge(writer, segments) -> None:
    """Whoosh's own merge of *segments* into *writer* (as its OPTIMIZE policy does)."""
    for seg in segments:
        reader = SegmentReader(writer.storage, writer.schema, seg)
        writer.add_reader(reader)
        reader.close()


def _copy(src: Path, tmp_path: Path, name: str) -> Path:
    dst = tmp_path / name
    shutil.copytree(src, dst)
    return dst


def _contents(path: Path) -> dict[str, object]:
    """Everything a merge must preserve, read through Whoosh's own reader."""
    ix = iw.open_index(path)
    try:
        with ix.reader() as r:
            docs = sorted(r.all_stored_fields(), key=lambda d: int(d["id"]))
            by_id = {}
            for docnum, stored in r.iter_docs():
                by_id[int(stored["id"])] = docnum
            id_of = {docnum: i for i, docnum in by_id.items()}  # live documents only
            lengths = {
                (f, i): r.doc_field_length(by_id[i], f)
                for i in by_id
                for f in ("title", "body", "author", "tags")
            }
            postings = {}
            stats = {}
            for fieldname, btext in r.all_terms():
                m = r.postings(fieldname, btext)
                items = []
                while m.is_active():
                    items.append((id_of[m.id()], m.weight(), m.value()))
                    m.next()
                postings[(fieldname, btext)] = sorted(items)
                info = r.term_info(fieldname, btext)
                stats[(fieldname, btext)] = (
                    info.doc_frequency(),
                    info.weight(),
                    info.max_weight(),
                    info.min_length(),
                    info.max_length(),
                )
            columns = {}
            for name in ("published", "facet_source", "facet_author", "facet_tag", "year"):
                col = r.column_reader(name)
                columns[name] = sorted((i, col[d]) for i, d in by_id.items())
        return {
            "count": ix.doc_count(),
            "segments": len(ix._segments()),
            "stored": docs,
            "lengths": lengths,
            "postings": postings,
            "stats": stats,
            "columns": columns,
            "field_length": {f: ix.field_length(f) for f in ("title", "body")},
        }
    finally:
        ix.close()


@pytest.mark.slow
def test_optimize_streams_what_whoosh_writes(segmented: Path, tmp_path: Path) -> None:
    ours = _copy(segmented, tmp_path, "ours")
    whoosh = _copy(segmented, tmp_path, "whoosh")
    iw.optimize(iw.open_index(ours))
    ix = iw.open_index(whoosh)
    w = ix.writer()
    w.commit(mergetype=writing.OPTIMIZE)
    ix.close()
    a, b = _contents(ours), _contents(whoosh)
    assert a["segments"] == b["segments"] == 1
    assert a["count"] == 295  # 300 added, 5 deleted
    assert a == b


@pytest.mark.slow
def test_a_small_commit_streams_merged_segments_beside_its_new_documents(
    segmented: Path, tmp_path: Path, bbc_corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    new = _docs(bbc_corpus, 40, 45, "tech")
    results = []
    for name in ("ours", "whoosh"):
        path = _copy(segmented, tmp_path, name)
        if name == "whoosh":  # the same policy, merging with Whoosh's add_reader
            monkeypatch.setattr(merge, "merge_into", _whooshs_merge)
        ix = iw.open_index(path)
        w = ix.writer()
        iw.apply(w, new, [25])
        iw.finish(w, new_docs=len(new))
        ix.close()
        results.append(_contents(path))
    a, b = results
    # 45 new take the 40 (85), then the 60, 80 and 120 as a binary counter carries.
    assert a["segments"] == b["segments"] == 1
    assert a["count"] == 295 + 45 - 1
    assert a == b


@pytest.mark.slow
def test_search_after_a_streamed_merge(segmented: Path, tmp_path: Path) -> None:
    """The same matches as before the merge; the same results as after Whoosh's merge.

    (Scores change with any merge: until then, deleted articles still count in
    Whoosh's term statistics.)
    """
    queries = ("market", "oil prices", "government -labour", "=prices oil", '"interest rates"')
    before = isearch.open_for_search(segmented)
    totals = {q: isearch.search(before, q, limit=20).total for q in queries}
    before.close()
    ours = _copy(segmented, tmp_path, "ours")
    iw.optimize(iw.open_index(ours))
    whoosh = _copy(segmented, tmp_path, "whoosh")
    ix = iw.open_index(whoosh)
    w = ix.writer()
    w.commit(mergetype=writing.OPTIMIZE)
    ix.close()
    a, b = isearch.open_for_search(ours), isearch.open_for_search(whoosh)
    for q in queries:
        got = isearch.search(a, q, limit=20)
        assert got.total == totals[q] > 0
        assert got == isearch.search(b, q, limit=20)
    a.close()
    b.close()


def test_optimizing_an_empty_index_writes_no_segment(tmp_path: Path) -> None:
    path = tmp_path / "empty"
    iw.create(path).close()
    iw.optimize(iw.open_index(path))
    ix = iw.open_index(path)
    assert ix._segments() == [] and ix.doc_count() == 0
    ix.close()


@pytest.mark.slow
def test_whooshs_own_merge_path_closes_the_readers_it_opens(
    segmented: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Writers other than a plain SegmentWriter (worker processes) merge with add_reader."""
    from whoosh import reading
    from whoosh.writing import SegmentWriter

    opened = []
    real = reading.SegmentReader

    class Recorded(real):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            opened.append(self)

    monkeypatch.setattr(reading, "SegmentReader", Recorded)

    class OtherWriter(SegmentWriter):
        pass

    path = _copy(segmented, tmp_path, "other")
    ix = iw.open_index(path)
    w = OtherWriter(ix)
    iw.finish(w, optimize=True)
    ix.close()
    # The four segments merged, and the merged one, read after the commit for the words
    # kept beside it (index/internals/wordlists.py): every reader closed.
    assert len(opened) == 5 and all(r.is_closed for r in opened)
    merged = iw.open_index(path)
    assert len(merged._segments()) == 1 and merged.doc_count() == 295
    merged.close()
