"""The one-pass indexing analysis (``index.analysis.index_positions``, used by the prose
fields' ``ProseText.index``) gives exactly the terms, positions, frequencies and weights
of the analyzer's filter chain, on real text in many scripts and languages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index.languages import LanguageText, detect
from index.schema import ProseText, make_schema

#: Hand-made corner cases beside the corpora: hyphens with stop words, apostrophes,
#: accents, British spellings, numbers, scripts without spaces mixed with Latin letters.
CORNERS = [
    "The post-ceasefire talks: a well-to-do man's-world, the-end, of-the-art, e-mail.",
    "It's the alliance’s plan; ‘quoted’ rock ’n’ roll, O'Neill's, Zürich & São Paulo.",
    "Defence of the realise-organise-colour centre: 3.4% of 1,000 in the 1990s, 80m.",
    "東京都の天気 iPhone手机 서울시는 ภาษาไทย a-東京-b 香港-post, x-ภาษา-y",
    "a an the - -- ’s 's s's the-the a-an-the",
    "naïve café coöperate résumé — Ελληνικά Русский текст हिन्दी",
]


def chain(field: ProseText, value: str) -> dict[bytes, tuple[int, float, bytes]]:
    """The terms as Whoosh makes them with the field's analyzer (the filter chain)."""
    return {t: (f, w, v) for t, f, w, v in field.index(value, mode="index")}


def fused(field: ProseText, value: str) -> dict[bytes, tuple[int, float, bytes]]:
    return {t: (f, w, v) for t, f, w, v in field.index(value)}


def texts(bbc: Path, reuters: Path, udhr: Path) -> list[str]:
    from archive.ingest.html import extract

    out: list[str] = list(CORNERS)
    for f in sorted(bbc.glob("*/*.txt"))[::6]:
        out.append(f.read_text(encoding="utf-8", errors="replace"))
    for r in json.loads((reuters / "reuters-000.json").read_text(encoding="utf-8"))[:300]:
        if str(r.get("body") or "").strip():
            out.append(f"{r.get('title') or ''}\n{r['body']}")
    for page in sorted(udhr.glob("*.html")):
        doc = extract(page.read_bytes())
        assert doc is not None
        out.append(doc["text"])
    return out


@pytest.mark.slow
def test_one_pass_analysis_indexes_what_the_filter_chain_indexes(
    bbc_corpus: Path, reuters_corpus: Path, udhr_pages: Path
) -> None:
    schema = make_schema()
    field = schema["body"]
    assert isinstance(field, ProseText)
    compared = languages = 0
    seen: set[str | None] = set()
    for text in texts(bbc_corpus, reuters_corpus, udhr_pages):
        # As ingest gives them: with the detected language, and with none (the notes).
        for value in (LanguageText(text, detect(text)), text):
            seen.add(getattr(value, "language", None))
            expected = chain(field, value)
            assert expected, value[:80]
            assert fused(field, value) == expected, value[:200]
            compared += 1
    languages = len(seen)
    assert compared > 1000
    assert languages >= 8  # English, no language, and the declaration's languages


def test_a_title_is_weighted_by_its_field_boost() -> None:
    schema = make_schema()
    title = schema["title"]
    value = LanguageText("Troops deploy; the troops deployed", "en")
    got = fused(title, value)
    assert got == chain(title, value)
    assert got[b"troop"][:2] == (2, 2 * title.format.field_boost)
    assert got[b"\x01troop\x01troops"][0] == 0  # an exact term does not count in the length
