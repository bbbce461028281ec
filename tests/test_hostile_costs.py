"""Queries have a cost ceiling (issue 18, point 4), checked by counting, never by timing.

Every query form that took minutes (``?*``, ``[a TO z]``, ``word~5``, fifty
two-letter prefixes, 1,500 fuzzy words, ``*``) and its variants either gets a
clear error or runs within the budget of expanded index words, which the search
reports in ``engine.expanded_terms`` and which is checked here against the
index's own terms, read with Whoosh.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from whoosh.index import open_dir

from archive import Archive
from archive.errors import QueryError
from archive.reading import Reader
from index.costs import MAX_EXPANDED_TERMS, MAX_EXPANDING_WORDS, MAX_FUZZY_DISTANCE

TWO_LETTERS = [a + b for a in "stpcbm" for b in "aeiou"] + ["th", "wh", "ch", "sh", "pr", "tr"]

#: Query forms and variants; each must be refused or run within the budget.
QUERIES = [
    "?*",
    "*?",
    "??",
    "*",
    "title:*",
    "tag:*",
    "a*",
    "?a*",
    "[a TO z]",
    "[a TO zzzz]",
    "{a TO z}",
    "title:[a TO z]",
    "body:[0 TO 9]",
    "[ba TO bz]",
    "economy~5",
    "government~9",
    "tru~",
    "tru~2",
    "x~2",
    "st*",
    "*ing",
    "econom*",
    "s*t",
    " ".join(f"{p}*" for p in TWO_LETTERS[:MAX_EXPANDING_WORDS]),
    " OR ".join(f"{p}*" for p in TWO_LETTERS),
    " ".join(f"word{i}~" for i in range(1500)),
    " ".join(f"word{i}~" for i in range(300)),
    " OR ".join(f"econom{i}~2" for i in range(40)),
    "oil prices",
    '"oil prices"~5 st*',
]

#: Ordinary queries among them: a ceiling that refused these would be no ceiling but a wall.
MUST_RUN = {"oil prices", "econom*", "st*", '"oil prices"~5 st*', "tru~"}


def run(home: Path, query: str) -> int | None:
    """The expanded terms of *query* (None: refused with a clear error)."""
    try:
        found = Reader(home).search(query, limit=3, passages=1)
    except QueryError as exc:
        message = str(exc)
        assert message and "\n" not in message and "Traceback" not in message
        return None
    return int(found.engine["expanded_terms"])


@pytest.fixture(scope="module")
def bbc_home(bbc_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An archive of 300 BBC business articles, made once for the module."""
    home = tmp_path_factory.mktemp("costs") / "home"
    files = sorted((bbc_corpus / "business").glob("*.txt"))[:300]
    with Archive.open(home) as archive:
        report = archive.ingest_paths(files)
        assert report.count("added") >= 290
    return home


@pytest.mark.slow
@pytest.mark.parametrize("query", QUERIES, ids=[q[:30] for q in QUERIES])
def test_every_query_form_is_refused_or_within_budget(
    bbc_home: Path, tmp_path: Path, query: str
) -> None:
    home = tmp_path / "home"
    shutil.copytree(bbc_home, home)
    expanded = run(home, query)
    if query in MUST_RUN:
        assert expanded is not None, f"{query!r} was refused"
    assert expanded is None or 0 <= expanded <= MAX_EXPANDED_TERMS


@pytest.mark.slow
def test_the_count_is_the_index_own(bbc_home: Path) -> None:
    """``st*`` stands for exactly the words of title, body and note that start with st."""
    expanded = run(bbc_home, "st*")
    ix = open_dir(str(bbc_home / "index"))
    with ix.reader() as reader:
        words = {
            (field, text)
            for field in ("title", "body", "note")
            if field in ix.schema
            for text in reader.expand_prefix(field, "st")
        }
    ix.close()
    assert expanded == len(words) > 0


@pytest.mark.slow
def test_the_worst_forms_are_refused(bbc_home: Path) -> None:
    for query in ("?*", "*", "a*", "[a TO z]", " ".join(f"w{i}x~" for i in range(1500))):
        assert run(bbc_home, query) is None, query


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("?*", "'?*' matches almost every word: give at least 2 letters"),
        ("*", "'*' alone matches every article"),
        ("a*", "'a*' matches almost every word"),
        (" ".join(f"{p}*" for p in TWO_LETTERS), "at most 20 can be searched at once"),
        (" ".join(f"word{i}~" for i in range(300)), "at most 20 can be searched at once"),
    ],
)
def test_refusals_say_what_to_do(sample_home: Path, query: str, words: str) -> None:
    with pytest.raises(QueryError, match=words.replace("*", r"\*").replace("?", r"\?")):
        Reader(sample_home).search(query)


def test_fuzzy_distance_is_capped_with_a_note(sample_home: Path) -> None:
    found = Reader(sample_home).search("troops~5")
    assert f"~{MAX_FUZZY_DISTANCE} (fuzzy)" in found.understood
    assert any("at most 2 letters different" in n for n in found.notices)
    assert [h.id for h in found.hits] == [1]
    # The note quotes the words as typed, not their stems (newcomer's trial, problem 16).
    found = Reader(sample_home).search("Ukrane~9 title:troops~3")
    assert [n for n in found.notices if "letters different" in n] == [
        "Ukrane~9: fuzzy words are searched at most 2 letters different, as Ukrane~2",
        "troops~3: fuzzy words are searched at most 2 letters different, as troops~2",
    ]


def test_a_long_pasted_text_makes_no_costly_fuzzy_retry(sample_home: Path) -> None:
    """Nothing matches the 300 made-up words; the fuzzy retry of 300 words is not made."""
    query = " ".join(f"qzx{i}vw" for i in range(300))
    found = Reader(sample_home).search(query)
    assert found.total == 0 and not found.hits
    assert found.engine["expanded_terms"] == 0


@pytest.mark.slow
def test_passages_and_similar_read_a_huge_article_in_its_opening_window(
    bbc_corpus: Path, tmp_path: Path
) -> None:
    """A huge article (real politics stories, then real sport stories past the window):
    its passages and the words ``similar`` takes from it come from the opening window."""
    from index import passages as ip
    from index import similar as isim

    def texts(category: str) -> list[str]:
        files = sorted((bbc_corpus / category).glob("*.txt"))
        return [f.read_text(encoding="utf-8", errors="replace") for f in files]

    politics, sport = texts("politics"), texts("sports")
    opening = "\n\n".join(politics)
    assert ip.MAX_SCAN_CHARS == isim.MAX_SCAN_CHARS < len(opening)
    tail = "\n\n".join(sport)
    huge = f"{opening}\n\n{tail}"
    # A word of the sport stories only ("striker"), found past the window: no passage reaches it.
    shown = ip.passages(huge, {"striker"}, limit=3)
    assert "striker" in tail.lower() and "striker" not in opening[: ip.MAX_SCAN_CHARS].lower()
    assert shown and all(p.end <= ip.MAX_SCAN_CHARS and not p.highlights for p in shown)
    # similar: the words taken from the huge article are the window's (politics), so
    # politics stories are most like it although most of its text is sport.
    home = tmp_path / "home"
    with Archive.open(home) as archive:
        files = [
            *sorted((bbc_corpus / "politics").glob("*.txt"))[-20:],
            *sorted((bbc_corpus / "sports").glob("*.txt"))[-20:],
        ]
        assert archive.ingest_paths(files).count("added") == 40
        from archive.ingest import ArticleDraft

        big = archive.add(ArticleDraft(title="Everything", body=huge + "\n\n" + tail, origin="x"))
        assert big.article_id is not None
        found = archive.similar(big.article_id, limit=5)
        categories = [Path(archive.get(h.id).origin).parent.name for h in found.hits]
    assert categories and set(categories) == {"politics"}, categories
