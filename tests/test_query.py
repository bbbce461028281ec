"""The query language: syntax, rescue of broken syntax, dates and --explain."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import datetime

import pytest
from whoosh.filedb.filestore import RamStorage

from index.errors import QuerySyntaxError
from index.query import parse, words_of
from index.schema import IndexDoc, make_schema
from index.search import search

DOCS = [
    IndexDoc(
        1,
        "v",
        "Troops to Ukraine",
        "European troops may deploy to Ukraine soon.",
        author="Anna Berg",
        source="Euronews",
        tags=("nato",),
        url="https://e.example/1",
        published=datetime(2025, 3, 13),
    ),
    IndexDoc(
        2,
        "v",
        "NATO budget",
        "NATO members agreed the budget; troops stay home.",
        source="Reuters",
        tags=("budget",),
        published=datetime(2025, 7, 2),
    ),
    IndexDoc(
        3,
        "v",
        "Harbour news",
        "The ground was wet and the troops were on the ground.",
        source="Reuters",
        published=datetime(2024, 11, 30),
    ),
    IndexDoc(
        4,
        "v",
        "Far apart",
        "Troops arrived. Many days later, after rain, mud covered the ground.",
        source="Local",
        published=datetime(2025, 1, 5),
    ),
]


@pytest.fixture(scope="module")
def ix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    # Whoosh's RamStorage writes sortable columns through <tempdir>/MAIN.tmp, shared by every
    # process on the machine: give it a private temp dir so parallel runs cannot collide.
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(tempfile, "tempdir", str(tmp_path_factory.mktemp("whoosh-tmp")))
        ix = RamStorage().create_index(make_schema())
        w = ix.writer()
        for d in DOCS:
            w.add_document(**d.fields())
        w.commit()
    yield ix


def found(ix: object, q: str, **kw: object) -> list[int]:
    return sorted(h.id for h in search(ix, q, rescue=False, **kw).hits)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("troops", [1, 2, 3, 4]),
        ("troops ukraine", [1]),
        ("ukraine OR budget", [1, 2]),
        ("troops NOT reuters", [1, 2, 3, 4]),  # NOT applies to words in title/body
        ("troops -ground", [1, 2]),
        ("troops AND NOT ground", [1, 2]),
        ('"troops stay"', [2]),
        ('"troops ground"~5', [3]),  # within five words: not doc 4 (too far)
        ('"troops ground"~20', [3, 4]),
        ("deplo*", [1]),
        ("ukra?ne", [1]),  # a ? inside a word: any one letter
        ("will troops deploy?", [1]),  # a ? ending a word: a question mark, not a wildcard
        ('"troops stay"? home', [2]),
        ("ukrane~", [1]),
        ("budgit~1", [2]),
        ("title:nato", [2]),
        ("author:berg", [1]),
        ("source:reuters", [2, 3]),
        ("tag:nato", [1]),
        ('url:"https://e.example/1"', [1]),
        ("published:2025", [1, 2, 4]),
        ("published:2025-01..2025-06", [1, 4]),
        ("published:2025-03..", [1, 2]),
        ("troops published:..2024-12", [3]),
        ("date:2024", [3]),
    ],
)
def test_query_syntax(ix: object, query: str, expected: list[int]) -> None:
    assert found(ix, query) == expected


def test_since_and_until_filter(ix: object) -> None:
    assert found(ix, "troops", since=datetime(2025, 1, 1)) == [1, 2, 4]
    assert found(ix, "troops", until=datetime(2025, 1, 31)) == [3, 4]


@pytest.mark.parametrize(
    ("query", "problem", "expected"),
    [
        ('"troops ukraine', "an unclosed quote", [1]),
        ("troops AND", "an operator with nothing on one side", [1, 2, 3, 4]),
        ("AND troops", "an operator with nothing on one side", [1, 2, 3, 4]),
        ("troops OR OR budget", "an operator with nothing on one side", [2]),
        ("(troops ukraine", "unbalanced brackets", [1]),
        ("troops ukraine)", "unbalanced brackets", [1]),
        ("[troops", "unbalanced brackets", [1, 2, 3, 4]),
        ("colour:red troops", "unknown field 'colour'", []),
        ("published:soon troops", "a value that cannot be read", [1]),
        # a field name with nothing after it is no word "title" (newcomer's trial, problem 16)
        ("troops title:", "a field name with nothing after it ('title:')", [1, 2, 3, 4]),
        ("title: troops", "a field name with nothing after it ('title:')", [1, 2, 3, 4]),
    ],
)
def test_broken_syntax_is_searched_as_words_with_a_notice(
    ix: object, query: str, problem: str, expected: list[int]
) -> None:
    result = search(ix, query, rescue=False)  # type: ignore[arg-type]
    assert len(result.notices) == 1
    assert problem in result.notices[0]
    assert "searched for the words" in result.notices[0]
    assert sorted(h.id for h in result.hits) == expected


def test_nothing_to_search_for_is_an_error() -> None:
    with pytest.raises(QuerySyntaxError):
        parse(make_schema(), '" AND ( "')
    with pytest.raises(QuerySyntaxError, match="give a value after title:, as title:nato"):
        parse(make_schema(), "title:")


def test_explain_says_how_the_query_was_read(ix: object) -> None:
    text = search(ix, '=troops "stay home" -nato deplo* published:2025', rescue=False).understood  # type: ignore[arg-type]
    # Notes hold exact forms too (exact terms in the stemmed fields).
    assert "(=troops (exact form) in title, body, note)" in text
    assert '"stay home" (phrase) in title, body, note' in text
    assert "NOT (nato in title, body, note)" in text
    assert "deplo* (prefix)" in text
    assert "published from 2025-01-01 00:00 to 2025-12-31 23:59" in text


def test_words_of_a_query() -> None:
    assert words_of('troops -nato "reassurance force"~3 source:bbc OR x*') == (
        "troops",
        "reassurance",
        "force",
        "x",
    )


def test_a_pasted_question_is_plain_words_that_a_rescue_may_relax() -> None:
    schema = make_schema()
    assert not parse(schema, "Will the troops deploy to Ukraine?").explicit
    assert parse(schema, "Will the tro?ps deploy").explicit  # an inner ? stays a wildcard
