"""Highlighted passages: sentence-aligned excerpts of a text with match offsets.

Pure functions over a text and a set of matched terms (as the analyzer makes
them), so the same analysis that indexed the text decides what is highlighted:
``deployment`` is highlighted for the query ``deploy`` because both become the
term ``deploy``. Offsets are character offsets into the text given, so
``text[p.start:p.end] == p.text`` and each highlight ``(s, e)`` is relative
to the passage.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from whoosh.analysis import Analyzer

from index.analysis import terms_with_offsets, text_analyzer

#: A passage grows by neighbouring sentences while it stays under this many characters.
TARGET_CHARS = 320
#: A single sentence longer than this is trimmed (at word boundaries) around its matches.
MAX_CHARS = 480
#: At most this many sentences in one passage.
MAX_SENTENCES = 3

# A sentence ends at . ! ? (plus closing quotes/brackets) before white space, or at a line
# end: in articles a line is a paragraph or a heading.
_SENTENCE_END = re.compile(r"""[.!?]+["'”’)\]]*(?=\s)|\n""")
# Words before a full stop that do not end a sentence.
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st sr jr gen col lt sgt capt gov sen rep rev mt ft "
    "u.s u.k u.n e.g i.e etc vs no inc ltd co corp jan feb mar apr jun jul aug sep sept "
    "oct nov dec".split()
)
_analyzer: Analyzer | None = None


@dataclass(frozen=True, slots=True)
class Passage:
    """An excerpt of a text: ``text == source[start:end]``; highlights are relative to it."""

    text: str
    start: int
    end: int
    highlights: tuple[tuple[int, int], ...]


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of *text*, white space trimmed."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        if m.group().startswith(".") and _is_abbreviation(text, m.start()):
            continue
        _add_span(text, start, m.end(), spans)
        start = m.end()
    _add_span(text, start, len(text), spans)
    return spans


def _is_abbreviation(text: str, dot: int) -> bool:
    word_start = dot
    while word_start > 0 and not text[word_start - 1].isspace():
        word_start -= 1
    word = text[word_start:dot].lower().lstrip("(\"'“‘")
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def _add_span(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end:
        spans.append((start, end))


def default_analyzer() -> Analyzer:
    global _analyzer
    if _analyzer is None:
        _analyzer = text_analyzer()
    return _analyzer


def match_spans(
    text: str, terms: Collection[str], analyzer: Analyzer | None = None
) -> list[tuple[str, int, int]]:
    """Every occurrence in *text* of a term in *terms*: (term, start, end)."""
    if not terms:
        return []
    return [
        (term, s, e)
        for term, s, e in terms_with_offsets(analyzer or default_analyzer(), text)
        if term in terms
    ]


def passages(
    text: str,
    terms: Collection[str],
    *,
    limit: int = 3,
    analyzer: Analyzer | None = None,
) -> list[Passage]:
    """The best passages of *text* for the matched *terms*, best first.

    A passage is one to three whole sentences around the sentence holding the
    most distinct matched terms (ties: more matches, then earlier). Passages
    never overlap. When nothing in the text matches, returns no passage.

    :param terms: analysed terms to highlight (as :mod:`index.analysis` makes them).
    :param limit: the most passages to return.
    """
    if limit <= 0:
        return []
    matches = match_spans(text, terms, analyzer)
    if not matches:
        return []
    spans = sentence_spans(text)
    paragraphs = _paragraph_numbers(text, spans)
    per_sentence: list[list[tuple[str, int, int]]] = [[] for _ in spans]
    i = 0
    for m in matches:
        while i < len(spans) and spans[i][1] <= m[1]:
            i += 1
        if i < len(spans):
            per_sentence[i].append(m)
    ranked = sorted(
        (k for k in range(len(spans)) if per_sentence[k]),
        key=lambda k: (-len({t for t, _, _ in per_sentence[k]}), -len(per_sentence[k]), k),
    )
    used: set[int] = set()
    chosen: list[tuple[int, int]] = []
    for k in ranked:
        if len(chosen) >= limit:
            break
        if k in used:
            continue
        first, last = _grow(spans, paragraphs, k, used)
        used.update(range(first, last + 1))
        chosen.append((first, last))
    result = []
    for first, last in chosen:
        start, end = spans[first][0], spans[last][1]
        inside = [m for m in matches if start <= m[1] and m[2] <= end]
        if end - start > MAX_CHARS:
            start, end = _trim(text, start, end, inside)
            inside = [m for m in inside if start <= m[1] and m[2] <= end]
        result.append(
            Passage(
                text=text[start:end],
                start=start,
                end=end,
                highlights=tuple((s - start, e - start) for _, s, e in inside),
            )
        )
    return result


def _paragraph_numbers(text: str, spans: list[tuple[int, int]]) -> list[int]:
    """For each sentence span, the number of the line (paragraph) it starts on."""
    numbers = []
    line = 0
    pos = 0
    for start, _ in spans:
        line += text.count("\n", pos, start)
        pos = start
        numbers.append(line)
    return numbers


def _grow(
    spans: list[tuple[int, int]], paragraphs: list[int], k: int, used: set[int]
) -> tuple[int, int]:
    """Extend sentence *k* with free neighbours in its paragraph, up to the target length."""
    first = last = k

    def free(j: int) -> bool:
        return 0 <= j < len(spans) and j not in used and paragraphs[j] == paragraphs[k]

    while last - first + 1 < MAX_SENTENCES:
        length = spans[last][1] - spans[first][0]
        after = last + 1
        before = first - 1
        if free(after) and spans[after][1] - spans[first][0] <= TARGET_CHARS:
            last = after
        elif free(before) and spans[last][1] - spans[before][0] <= TARGET_CHARS:
            first = before
        else:
            break
        if length >= TARGET_CHARS:
            break
    return first, last


def _trim(text: str, start: int, end: int, inside: list[tuple[str, int, int]]) -> tuple[int, int]:
    """Cut [start, end) to about MAX_CHARS around its first match, at word boundaries."""
    centre = inside[0][1] if inside else start
    lo = max(start, centre - MAX_CHARS // 3)
    hi = min(end, lo + MAX_CHARS)
    if lo > start:
        space = text.find(" ", lo, centre) if centre > lo else -1
        lo = space + 1 if space != -1 else centre
    if hi < end:
        space = text.rfind(" ", lo, hi)
        hi = space if space > lo else hi
    while hi > lo and text[hi - 1].isspace():
        hi -= 1
    return lo, hi
