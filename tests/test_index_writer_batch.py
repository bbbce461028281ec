"""index.writer.apply: one batch of upserts and deletes (one searcher per batch, then adds)."""

from __future__ import annotations

from pathlib import Path

from index import writer as iw
from index.schema import IndexDoc


def doc(article_id: int, version: str, body: str) -> IndexDoc:
    return IndexDoc(id=article_id, version=version, title=f"Title {article_id}", body=body)


def test_apply_adds_replaces_and_deletes(tmp_path: Path) -> None:
    ix = iw.create(tmp_path / "ix")
    with iw.open_writer(ix) as w:
        iw.apply(w, [doc(1, "a", "ships dock"), doc(2, "b", "planes land")], [])
    with iw.open_writer(ix) as w:
        iw.apply(w, [doc(1, "c", "trains leave"), doc(3, "d", "buses wait")], [2])
    assert iw.indexed_versions(ix) == {1: "c", 3: "d"}
    with ix.searcher() as s:
        assert s.doc_count() == 2
        assert s.document(id="1")["version"] == "c"  # (stored, not indexed)
        assert s.document(id="2") is None


def test_apply_indexes_an_id_given_twice_once_with_its_last_version(tmp_path: Path) -> None:
    ix = iw.create(tmp_path / "ix")
    with iw.open_writer(ix) as w:
        iw.apply(w, [doc(5, "old", "first"), doc(5, "new", "second")], [])
    with iw.open_writer(ix) as w:  # and replacing it again later leaves one document
        iw.apply(w, [doc(5, "newer", "third")], [])
    assert iw.indexed_versions(ix) == {5: "newer"}
    assert ix.doc_count() == 1
