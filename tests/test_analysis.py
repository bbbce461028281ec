"""How words match: each analysis case of issue 4, point 1, on a RAM index and the sample."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import datetime

import pytest
from whoosh.filedb.filestore import RamStorage

from index.analysis import exact_analyzer, terms_with_offsets, text_analyzer
from index.schema import IndexDoc, make_schema
from index.search import search
from tests.conftest import SAMPLE

SAO = "The bank in Zürich and São Paulo reported growth; the alliance’s plan failed."


@pytest.fixture(scope="module")
def ix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    # Whoosh's RamStorage writes sortable columns through <tempdir>/MAIN.tmp, shared by every
    # process on the machine: give it a private temp dir so parallel runs cannot collide.
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(tempfile, "tempdir", str(tmp_path_factory.mktemp("whoosh-tmp")))
        ix = RamStorage().create_index(make_schema())
        w = ix.writer()
        w.add_document(
            **IndexDoc(
                1,
                "v",
                "NATO and troops",
                SAMPLE.read_text(encoding="utf-8"),
                published=datetime(2025, 3, 13),
            ).fields()
        )
        w.add_document(**IndexDoc(2, "v", "Banks", SAO).fields())
        w.add_document(**IndexDoc(3, "v", "Ceasefire", "After the post ceasefire talks.").fields())
        w.add_document(**IndexDoc(4, "v", "Defense", "The defense budget grew.").fields())
        w.commit()
    yield ix


def ids(ix: object, q: str) -> list[int]:
    return sorted(h.id for h in search(ix, q, rescue=False).hits)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("defence", [1, 4]),  # British finds American (doc 4) and both in the sample
        ("defense", [1, 4]),
        ("jeopardize", [1]),  # the sample writes "jeopardise"
        ("jeopardise", [1]),
        ("zurich", [2]),
        ("Zürich", [2]),
        ("sao paulo", [2]),
        ("alliance's", [1, 2]),  # straight apostrophe finds curly
        ("alliance’s", [1, 2]),
        ("post-ceasefire", [1, 3]),  # hyphenated finds the words apart
        ("post ceasefire", [1, 3]),
        ("postceasefire", [1]),  # joined finds the hyphenated form
        ("5%", [1]),
        ("3.4 million", [1]),
        ('"3.4 million"', [1]),
        ("deploy", [1]),  # the stem: "deployment" and "deploy"
        ("strategies", [1]),
    ],
)
def test_words_match_as_people_expect(ix: object, query: str, expected: list[int]) -> None:
    assert ids(ix, query) == expected


def test_exact_form_does_not_stem_or_respell(ix: object) -> None:
    assert ids(ix, '"defence"') == [1]  # doc 4 only has "defense"
    assert ids(ix, "=defense") == [1, 4]
    assert ids(ix, "=deploy") == [1]  # the sample has "deploy" as well as "deployment"
    assert ids(ix, "=deployments") == []


def test_numbers_stay_whole() -> None:
    terms = [t for t, _, _ in terms_with_offsets(text_analyzer(), "up 5% to 3.4 million in 2022")]
    assert terms == ["up", "5%", "3.4", "million", "2022"]


def test_hyphenated_word_yields_parts_and_joined_form_with_offsets() -> None:
    text = "a post-ceasefire force"
    got = terms_with_offsets(text_analyzer(), text)
    assert [(t, text[s:e]) for t, s, e in got] == [
        ("post", "post"),
        ("ceasefir", "ceasefire"),
        # each word whose exact form is not its stem: its exact term, at the same span
        ("\x01ceasefir\x01ceasefire", "ceasefire"),
        ("postceasefir", "post-ceasefire"),
        ("\x01postceasefir\x01postceasefire", "post-ceasefire"),
        ("forc", "force"),
        ("\x01forc\x01force", "force"),
    ]


def test_query_mode_keeps_only_the_parts() -> None:
    assert [t.text for t in text_analyzer()("post-ceasefire", mode="query")] == ["post", "ceasefir"]


def test_one_analysis_for_spelling_in_both_directions() -> None:
    analyzer = text_analyzer()
    assert [t.text for t in analyzer("defence defense jeopardise jeopardize")] == [
        "defens",
        "defens",
        "jeopard",
        "jeopard",
    ]


def test_exact_analyzer_folds_but_keeps_the_form() -> None:
    assert [t.text for t in exact_analyzer()("Defence Zürich alliance’s")] == [
        "defence",
        "zurich",
        "alliance",
    ]
