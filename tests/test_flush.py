"""A commit that reads each field's lengths once (index/internals/flush.py) writes the
index Whoosh's own writer writes: the same terms, postings and per-term length bounds,
on real articles (the BBC News corpus)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from whoosh.writing import SegmentWriter

from index import writer as iw
from index.internals.flush import LengthCachingWriter
from index.schema import IndexDoc


def summary(ix: Any) -> list[tuple[Any, ...]]:
    """Every term of every field with its statistics and postings (ids, weights, values)."""
    out: list[tuple[Any, ...]] = []
    with ix.reader() as reader:
        for field, term in reader.all_terms():
            info = reader.term_info(field, term)
            postings = reader.postings(field, term)
            items = [(postings.id(), postings.weight(), postings.value())]
            while postings.next() is not False and postings.is_active():
                items.append((postings.id(), postings.weight(), postings.value()))
            out.append(
                (field, term, info.doc_frequency(), info.weight(), info.min_length(),
                 info.max_length(), items)
            )  # fmt: skip
    return out


@pytest.mark.slow  # (about a second: two indexes of real articles)
def test_lengths_read_once_make_the_same_index(bbc_corpus: Path, tmp_path: Path) -> None:
    files = sorted((bbc_corpus / "politics").glob("*.txt"))[:60]
    docs = []
    for i, f in enumerate(files, start=1):
        title, _, body = f.read_text(encoding="latin-1").partition("\n")
        docs.append(IndexDoc(id=i, version=str(i), title=title, body=body, source="BBC"))
    built = []
    for kind in (SegmentWriter, LengthCachingWriter):
        ix = iw.create(tmp_path / kind.__name__)
        writer = kind(ix)
        for doc in docs:
            writer.add_document(**doc.fields())
        writer.commit()
        built.append(summary(ix))
        with ix.reader() as reader:
            lengths = [reader.doc_field_length(n, "body") for n in range(len(docs))]
        assert min(lengths) > 0
        ix.close()
    assert built[0] == built[1]
    assert sum(1 for row in built[0] if row[0] == "body") > 1000
    assert {row[4] for row in built[0] if row[0] == "body"} != {None}  # lengths were written


def test_the_writer_takes_the_fast_commit_only_with_the_gate_open(
    tmp_path: Path, monkeypatch: Any
) -> None:
    from index import internals

    ix = iw.create(tmp_path / "ix")
    writer = iw.start_writer(ix)
    assert type(writer) is LengthCachingWriter
    iw.discard(writer)
    monkeypatch.setenv(internals.ENV, "off")
    internals.reset()
    try:
        writer = iw.start_writer(ix)
        assert type(writer) is SegmentWriter
        iw.discard(writer)
    finally:
        monkeypatch.delenv(internals.ENV)
        internals.reset()
    ix.close()
