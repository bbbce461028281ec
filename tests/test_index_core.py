"""The Whoosh side alone, on RamStorage: schema, writing, searching, passages."""

from __future__ import annotations

import tempfile
from datetime import datetime

import pytest
from whoosh.filedb.filestore import RamStorage

from index import search as isearch
from index import writer as iw
from index.errors import QuerySyntaxError
from index.passages import passages
from index.schema import IndexDoc, make_schema


@pytest.fixture
def ix(tmp_path, monkeypatch: pytest.MonkeyPatch):
    # Whoosh's RamStorage writes sortable columns through <tempdir>/MAIN.tmp, shared by every
    # process on the machine: give it a private temp dir so parallel runs cannot collide.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    ix = RamStorage().create_index(make_schema())
    with iw.open_writer(ix) as w:
        iw.apply(
            w,
            [
                IndexDoc(
                    1,
                    "h1",
                    "Troops deployed",
                    "The deployment of troops began.",
                    source="Reuters",
                    published=datetime(2025, 1, 2),
                ),
                IndexDoc(
                    2,
                    "h2",
                    "Budget talks",
                    "Troops are not part of the budget.",
                    source="AP",
                    tags=("economy",),
                    published=datetime(2024, 5, 6),
                ),
            ],
            [],
        )
    return ix


def test_title_is_weighted_above_body(ix) -> None:
    result = isearch.search(ix, "troops")
    assert [h.id for h in result.hits] == [1, 2]
    assert result.hits[0].score > result.hits[1].score


def test_matched_terms_are_reported_per_hit(ix) -> None:
    hit = isearch.search(ix, "deploy").hits[0]
    assert hit.id == 1 and hit.terms == {"deploy"}


def test_sorting_by_date(ix) -> None:
    assert [h.id for h in isearch.search(ix, "troops", sort="oldest").hits] == [2, 1]
    assert [h.id for h in isearch.search(ix, "troops", sort="newest").hits] == [1, 2]


def test_update_and_delete_by_id(ix) -> None:
    with iw.open_writer(ix) as w:
        iw.apply(w, [IndexDoc(1, "h1b", "Peace", "Peace talks.")], [2])
    assert iw.indexed_versions(ix) == {1: "h1b"}
    assert isearch.search(ix, "troops").total == 0


def test_empty_query_raises(ix) -> None:
    with pytest.raises(QuerySyntaxError):
        isearch.search(ix, "")


def test_passages_from_text_and_terms() -> None:
    text = "First sentence here. The deployment began at dawn. Last one."
    (p,) = passages(text, {"deploy"})
    assert p.text == text[p.start : p.end]
    assert [p.text[s:e] for s, e in p.highlights] == ["deployment"]
    # Nothing matched in the text (e.g. a title-only hit): the opening is shown instead.
    (lede,) = passages(text, set())
    assert lede.start == 0 and lede.highlights == ()
