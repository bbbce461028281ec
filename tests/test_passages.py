"""Passages: whole sentences, chosen by distinct matches, merged, in order, highlighted."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.analysis import text_analyzer
from index.passages import MAX_CHARS, Matches, passages, sentence_spans


def stems(*words: str) -> frozenset[str]:
    return frozenset(t.text for w in words for t in text_analyzer()(w))


def marked(text: str, ps: list) -> list[str]:
    out = []
    for p in ps:
        assert text[p.start : p.end] == p.text  # offsets exactly as in DESIGN.md
        s = p.text
        for a, b in reversed(p.highlights):
            s = s[:a] + "[" + s[a:b] + "]" + s[b:]
        out.append(s)
    return out


def test_passages_are_whole_sentences_with_offsets(sample_text: str) -> None:
    ps = passages(sample_text, stems("deploy", "troops"))
    spans = sentence_spans(sample_text)
    starts = {s for s, _ in spans}
    ends = {e for _, e in spans}
    for p in ps:
        assert p.start in starts and p.end in ends
    assert (
        "Concretely, this means there are no [troops] available to [deploy] to Ukraine "
        "without changing NATO or domestic strategies." in marked(sample_text, ps)
    )


def test_best_sentence_has_most_distinct_terms(sample_text: str) -> None:
    ps = passages(sample_text, stems("deploy", "troops"), limit=1)
    assert marked(sample_text, ps) == [
        "Concretely, this means there are no [troops] available to [deploy] to Ukraine "
        "without changing NATO or domestic strategies."
    ]


def test_passages_come_in_article_order_and_do_not_overlap(sample_text: str) -> None:
    ps = passages(sample_text, stems("nato", "defence", "troops"), limit=5)
    assert len(ps) >= 2  # else there is no order to check
    assert [p.start for p in ps] == sorted(p.start for p in ps)
    for a, b in zip(ps, ps[1:], strict=False):
        assert a.end < b.start


def test_adjacent_choices_merge_into_one_passage() -> None:
    filler = " ".join(["Nothing to see in this long filler sentence."] * 12)
    text = f"Alpha beta one. Gamma delta two. {filler}\n\nMore alpha text at the end."
    ps = passages(text, stems("alpha", "gamma"), limit=3)
    # Three sentences chosen; the first two touch, so they are one passage.
    shown = marked(text, ps)
    assert len(shown) == 2
    assert shown[0].startswith("[Alpha] beta one. [Gamma] delta two.")
    assert shown[1] == "More [alpha] text at the end."


def test_every_form_is_highlighted(sample_text: str) -> None:
    # Spelling variants: "defence" finds and highlights "defense" too.
    joined = " ".join(marked(sample_text, passages(sample_text, stems("defence"), limit=10)))
    assert "[defense]" in joined and "[defence]" in joined
    # A stem highlights the word as written.
    assert "[deployment]" in " ".join(marked(sample_text, passages(sample_text, stems("deploy"))))
    # A phrase is highlighted as one whole.
    m = Matches(terms=stems("reassurance", "force"), phrases=(("reassur", "forc"),))
    assert "[reassurance force]" in " ".join(marked(sample_text, passages(sample_text, m)))
    # Exact forms.
    exact = " ".join(
        marked(sample_text, passages(sample_text, Matches(exact=frozenset({"defense"}))))
    )
    assert "[defense]" in exact and "[defence]" not in exact
    # Hyphenated words, curly apostrophes, numbers.
    assert "[post-ceasefire]" in " ".join(
        marked(sample_text, passages(sample_text, stems("postceasefire")))
    )
    assert "[alliance’s]" in " ".join(
        marked(sample_text, passages(sample_text, stems("alliance's")))
    )
    assert "[5%]" in " ".join(marked(sample_text, passages(sample_text, stems("5%"))))


def test_title_only_match_shows_the_lede(sample_text: str) -> None:
    ps = passages(sample_text, stems("zebra-free"))
    assert len(ps) == 1 and ps[0].start == 0 and ps[0].highlights == ()
    assert ps[0].text.startswith("Plans to send European troops")
    assert passages(sample_text, stems("zebra"), lede=False) == []


def test_long_sentence_is_cut_at_word_boundaries() -> None:
    words = [f"word{i}" for i in range(400)]
    words[300] = "needle"
    text = " ".join(words) + "."
    (p,) = passages(text, stems("needle"))
    assert len(p.text) <= MAX_CHARS * 2
    assert p.start == 0 or text[p.start - 1] == " "
    assert p.end == len(text) or text[p.end] == " "
    assert "[needle]" in marked(text, [p])[0]


@pytest.mark.parametrize("limit", [0, 1, 3])
def test_limit(sample_text: str, limit: int) -> None:
    # The sample has more than three sentences about NATO, apart: the limit is reached.
    ps = passages(sample_text, stems("nato"), limit=limit)
    assert len(ps) == limit
    for p in ps:
        assert p.highlights
        assert all(p.text[s:e].lower().startswith("nato") for s, e in p.highlights)


WORDS = ["troops", "deploy", "defence", "post-ceasefire", "Zürich", "alliance’s", "5%", "the"]


@given(
    st.lists(st.sampled_from([*WORDS, "Mr.", "end.", "\n\n", "x" * 30, "3.4", "a"]), max_size=120),
    st.sets(st.sampled_from(WORDS), min_size=1, max_size=3),
    st.integers(min_value=1, max_value=4),
)
@settings(max_examples=60, deadline=None)
def test_passages_offsets_and_word_boundaries(
    words: list[str], query: set[str], limit: int
) -> None:
    text = " ".join(words)
    ps = passages(text, stems(*query), limit=limit)
    assert len(ps) <= limit
    # Any text gets a passage (its opening if nothing matched); a matched word is highlighted.
    assert bool(ps) == bool(text.strip())
    matched = stems(*query) & {t.text for t in text_analyzer()(text)}
    assert bool(matched) == any(p.highlights for p in ps)
    for p in ps:
        assert text[p.start : p.end] == p.text
        assert p.start == 0 or not text[p.start - 1].isalnum() or not text[p.start].isalnum()
        assert p.end == len(text) or not text[p.end].isalnum() or not text[p.end - 1].isalnum()
        for s, e in p.highlights:
            assert 0 <= s < e <= len(p.text)


TRICKY = (
    "The post-ceasefire talks in Zürich: NATO’s well-to-do allies' plans, 3.4% growth, "
    "80m2 flats, 1,000 troops and 1990s-era jets. The the a an of defence-related "
    "organisation's jeopardised co-operation; state-of-the-art U.S.-led e-mail it's — "
    "naïve café ‘quoted’ `ticks´ 5%-plus x-ray a-b-c 10-20 -leading trailing- -- ok"
)


def _relative(tokens: list[tuple[str, int, int, int]]) -> list[tuple[str, int, int, int]]:
    first = tokens[0][1] if tokens else 0
    return [(term, pos - first, s, e) for term, pos, s, e in tokens]


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["text", "exact"])
def test_analysed_tokens_equal_the_analyzers_on_real_text(
    kind: str, sample_text: str, bbc_corpus, reuters_corpus
) -> None:
    """The memoised per-token analysis gives the analyzer's terms, spans and positions."""
    import json

    from index.analysis import exact_analyzer
    from index.passages import analysed_tokens

    texts = [TRICKY, sample_text]
    for section in ("business", "entertainment", "politics", "sports", "tech"):
        files = sorted((bbc_corpus / section).glob("*.txt"))[:40]
        assert len(files) == 40, section
        texts += [f.read_text(encoding="utf-8", errors="replace") for f in files]
    reuters = json.loads((reuters_corpus / "reuters-000.json").read_text(encoding="utf-8"))
    texts += [r.get("body", "") for r in reuters[:200] if r.get("body")]
    analyzer = text_analyzer() if kind == "text" else exact_analyzer()
    compared = 0
    for text in texts:
        slow = [
            (t.text, t.pos, t.startchar, t.endchar)
            for t in analyzer(text, positions=True, chars=True, mode="index")
        ]
        assert _relative(analysed_tokens(kind, text)) == _relative(slow)
        compared += len(slow)
    assert compared > 50_000


def _mean_passage_length(texts: list[str], queries: list[list[str]]) -> tuple[float, int]:
    analyzer = text_analyzer()
    lengths = []
    for words in queries:
        terms = frozenset(t.text for w in words for t in analyzer(w))
        for text in texts:
            lengths += [len(p.text) for p in passages(text, Matches(terms=terms)) if p.highlights]
    return sum(lengths) / len(lengths), len(lengths)


NEWS_QUERIES = [["said"], ["oil", "prices"], ["company", "profit"], ["government"], ["shares"]]


@pytest.mark.slow
def test_hard_wrapped_newswire_gives_passages_as_long_as_articles(
    bbc_corpus: Path, reuters_corpus: Path
) -> None:
    """Reuters wraps at ~65 columns; its passages are sentences, not lines."""
    import json

    bbc = [
        f.read_text(encoding="utf-8", errors="replace")
        for section in ("business", "politics", "tech")
        for f in sorted((bbc_corpus / section).glob("*.txt"))[:150]
    ]
    stories = json.loads((reuters_corpus / "reuters-000.json").read_text(encoding="utf-8"))
    reuters = [s["body"] for s in stories if s.get("body")][:450]
    bbc_mean, bbc_count = _mean_passage_length(bbc, NEWS_QUERIES)
    reuters_mean, reuters_count = _mean_passage_length(reuters, NEWS_QUERIES)
    assert bbc_count > 500 and reuters_count > 500
    assert reuters_mean >= bbc_mean, (reuters_mean, bbc_mean)


def test_a_wrapped_line_does_not_end_a_sentence_but_real_ends_do(reuters_corpus: Path) -> None:
    import json

    stories = json.loads((reuters_corpus / "reuters-000.json").read_text(encoding="utf-8"))
    bodies = [s["body"] for s in stories[:300] if s.get("body")]
    wraps = ends = 0
    for body in bodies:
        # Lines that continue a sentence in lower case: the line break is only a wrap.
        wraps += len(re.findall(r"\n[a-z]", body))
        for s, e in sentence_spans(body):
            # No sentence stops at a wrap (one may end with its full stop before one).
            wrap = re.match(r"\n[a-z]", body[e : e + 2])
            assert not wrap or body[e - 1] in ".!?:;\"')”’", body[s:e]
            ends += body[e - 1] == "."
    assert wraps > 300 and ends > 500


def test_blank_lines_cjk_full_stops_and_article_lines_end_sentences(sample_text: str) -> None:
    wrapped = (
        "The company said its board approved a two-for-one stock split\n"
        "of its common shares for shareholders of record as of April 1.\n"
        "    The company also said its board voted to recommend to\n"
        "shareholders an increase in the authorized capital stock\n"
        "\n"
        "Reuter"
    )
    assert [wrapped[s:e].split()[-1] for s, e in sentence_spans(wrapped)] == [
        "1.", "stock", "Reuter"
    ]  # fmt: skip
    cjk = "香港政府今日宣布新措施。市民表示欢迎！是否有效？仍待观察"
    assert [cjk[s:e] for s, e in sentence_spans(cjk)] == [
        "香港政府今日宣布新措施。", "市民表示欢迎！", "是否有效？", "仍待观察"
    ]  # fmt: skip
    # In article text (long lines), a line is a paragraph or heading: it ends a sentence.
    spans = [sample_text[s:e] for s, e in sentence_spans(sample_text)]
    assert "The American elephant in the room" in spans
