"""Highlighted passages: sentence-aligned excerpts of a text with match offsets.

Pure functions over a text and what matched (:class:`Matches`: analysed terms,
exact forms and phrases), so the same analysis that indexed the text decides
what is highlighted: ``deployment`` is highlighted for the query ``deploy``
because both become the term ``deploy``; ``defense`` for ``defence``; a
phrase as one whole; wildcard and fuzzy expansions because the index reports
the terms they matched. Offsets are character offsets into the text given, so
``text[p.start:p.end] == p.text`` and each highlight ``(s, e)`` is relative
to the passage.

Passages are whole sentences (or groups of neighbouring sentences in one
paragraph), chosen by how many distinct query words and phrases they hold,
merged when they touch, and returned in the text's order. Only a sentence too
long to show whole is cut, and then at spaces, never inside a word. When
nothing in the text matches (the title matched), the opening is returned.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from whoosh.analysis import Analyzer

from index.analysis import TOKEN, exact_analyzer, text_analyzer
from index.languages import LanguageText

#: A passage grows by neighbouring sentences while it stays under this many characters.
TARGET_CHARS = 320
#: A single sentence longer than this is trimmed (at word boundaries) around its matches.
MAX_CHARS = 480
#: At most this many sentences in one passage.
MAX_SENTENCES = 3

# A sentence ends at . ! ? (plus closing quotes/brackets) before white space, at the CJK
# full stops 。！？ (no space follows them), or at a paragraph break (see _hard_breaks).
_SENTENCE_END = re.compile(r"""[.!?]+["'”’)\]]*(?=\s)|[。！？]+[」』”’）)]*|\n""")
#: A text whose lines are all at most this long may be hard-wrapped (newswire, e-mail).
WRAP_MAX = 100
#: In a hard-wrapped text, a line at least this share of the widest line runs on.
WRAP_FULL = 0.55
# A line that starts a list item or is indented starts a new paragraph.
_NEW_BLOCK = re.compile(r"[ \t]{2,}\S|\t|[-*•·–—]\s|\d+[.)]\s|>")
# Words before a full stop that do not end a sentence.
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st sr jr gen col lt sgt capt gov sen rep rev mt ft "
    "u.s u.k u.n e.g i.e etc vs no inc ltd co corp jan feb mar apr jun jul aug sep sept "
    "oct nov dec".split()
)
_analyzers: dict[str, Analyzer] = {}
#: The analyzers' tokenizer pattern.
_TOKEN = TOKEN


@dataclass(frozen=True, slots=True)
class Passage:
    """An excerpt of a text: ``text == source[start:end]``; highlights are relative to it."""

    text: str
    start: int
    end: int
    highlights: tuple[tuple[int, int], ...]


@dataclass(frozen=True, slots=True)
class Matches:
    """What to find in a text: analysed terms, exact forms, and phrases (analysed words)."""

    terms: frozenset[str] = frozenset()
    exact: frozenset[str] = frozenset()
    phrases: tuple[tuple[str, ...], ...] = field(default_factory=tuple)
    #: The text's language (ISO 639-1), which chose its stemmer when it was indexed.
    language: str | None = None

    def __bool__(self) -> bool:
        return bool(self.terms or self.exact or self.phrases)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of *text*, white space trimmed."""
    spans: list[tuple[int, int]] = []
    start = 0
    soft = _soft_breaks(text)
    for m in _SENTENCE_END.finditer(text):
        if m.group().startswith(".") and _is_abbreviation(text, m.start()):
            continue
        if m.group() == "\n" and m.start() in soft:
            continue
        _add_span(text, start, m.end(), spans)
        start = m.end()
    _add_span(text, start, len(text), spans)
    return spans


def _soft_breaks(text: str) -> frozenset[int]:
    """Offsets of the line breaks of *text* that only wrap a line (hard wrapping).

    In article text a line is a paragraph or a heading, so every line break ends
    a sentence. Newswire, e-mail and plain-text exports wrap paragraphs at a
    fixed width (Reuters at about 65 columns): in a text that is wrapped
    (:func:`_wrapped`), a break is a space when the next line goes on (not blank,
    indented, a list item or a quote) and either the line before fills most of
    the width or the next line starts in lower case. Blank lines always end a
    paragraph.
    """
    width = _wrapped(text)
    if not width:
        return frozenset()
    lines = text.split("\n")
    soft = []
    pos = 0
    for line, following in zip(lines, lines[1:], strict=False):
        pos += len(line)
        if (
            following.strip()
            and not _NEW_BLOCK.match(following)
            and (len(line.rstrip()) >= WRAP_FULL * width or following[:1].islower())
        ):
            soft.append(pos)
        pos += 1
    return frozenset(soft)


def _wrapped(text: str) -> int:
    """The width *text* is hard-wrapped at, or 0 when its lines are paragraphs.

    A text of three lines or more, none longer than :data:`WRAP_MAX`, is taken as wrapped.
    """
    if text.count("\n") < 2:
        return 0
    width = max(len(line.rstrip()) for line in text.split("\n"))
    return width if width <= WRAP_MAX else 0


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


def _analyzer(kind: str) -> Analyzer:
    if kind not in _analyzers:
        _analyzers[kind] = text_analyzer() if kind == "text" else exact_analyzer()
    return _analyzers[kind]


def _prefilter(matches: Matches) -> re.Pattern[str]:
    """A cheap pattern that every sentence holding a match contains (on folded text).

    Analysing a whole article costs more than the rest of a search, so only
    sentences that contain the first three letters of some term are analysed.
    (Spelling variants differ later in the word: defence/defense, centre/center.)
    """
    words = set(matches.terms) | set(matches.exact) | {w for p in matches.phrases for w in p}
    heads = sorted({re.escape(w[:3]) for w in words if w})
    return re.compile("|".join(heads) or "(?!)")


def _fold(text: str) -> str:
    from whoosh.support.charset import accent_map

    return text.lower().translate(accent_map)


def match_spans(
    text: str,
    matches: Matches | Collection[str],
    spans: Sequence[tuple[int, int]] | None = None,
) -> list[tuple[str, int, int]]:
    """Every match in *text*: (unit, start, end), in text order, overlaps merged.

    A unit names what matched: a term, ``=form`` for an exact form, or the
    phrase's words joined by spaces for a whole phrase.

    :param spans: the sentence spans of *text*: only sentences that may match are
        analysed (a phrase never spans two sentences).
    """
    if not isinstance(matches, Matches):
        matches = Matches(terms=frozenset(matches))
    if not matches:
        return []
    if spans is not None:
        pattern = _prefilter(matches)
        found: list[tuple[str, int, int]] = []
        for s, e in spans:
            if pattern.search(_fold(text[s:e])):
                found.extend((u, s + a, s + b) for u, a, b in _match_spans(text[s:e], matches))
        return found
    return _match_spans(text, matches)


def _match_spans(text: str, matches: Matches) -> list[tuple[str, int, int]]:
    found: list[tuple[str, int, int]] = []
    if matches.terms or matches.phrases:
        tokens = analysed_tokens("text", text, matches.language)
        found.extend((term, s, e) for term, _, s, e in tokens if term in matches.terms)
        if matches.phrases:
            found.extend(_phrase_spans(tokens, matches.phrases))
    if matches.exact:
        found.extend(
            ("=" + term, s, e)
            for term, _, s, e in analysed_tokens("exact", text)
            if term in matches.exact
        )
    return _merge(found)


def analysed_tokens(
    kind: str, text: str, language: str | None = None
) -> list[tuple[str, int, int, int]]:
    """What the ``text`` or ``exact`` analyzer makes of *text*: (term, position, start, end).

    The same terms and character spans as running the analyzer over *text*, and
    positions that differ from the analyzer's by a constant (its first position
    counts leading stop words), which is all phrases need. What the analyzers'
    filters make of a token depends on that token alone; only positions carry
    over from token to token (stop words removed, hyphenated words split), and
    those are added up here from how many positions each token takes. So a
    token is analysed alone, once per process (:func:`_token_terms`): running
    Whoosh's chain of filters over every word of every hit cost a quarter of a
    search.
    """
    out: list[tuple[str, int, int, int]] = []
    base = 0
    for m in _TOKEN.finditer(text):
        terms, width = _token_terms(kind, m.group(), language)
        start = m.start()
        out.extend((term, base + p, start + a, start + b) for term, p, a, b in terms)
        base += width
    return out


@lru_cache(maxsize=200_000)
def _token_terms(
    kind: str, token: str, language: str | None = None
) -> tuple[tuple[tuple[str, int, int, int], ...], int]:
    """The terms of one token (term, position, start, end), and how many positions it takes."""
    value = LanguageText(token, language) if language else token
    terms = tuple(
        (t.text, t.pos, t.startchar, t.endchar)
        for t in _analyzer(kind)(value, positions=True, chars=True, mode="index")
    )
    return terms, (max(p for _, p, _, _ in terms) + 1 if terms else 0)


def _phrase_spans(
    tokens: list[tuple[str, int, int, int]], phrases: Sequence[tuple[str, ...]]
) -> list[tuple[str, int, int]]:
    by_pos: dict[int, list[tuple[str, int, int]]] = {}
    for term, pos, s, e in tokens:
        by_pos.setdefault(pos, []).append((term, s, e))
    out = []
    for phrase in phrases:
        if not phrase:
            continue
        for pos, here in by_pos.items():
            starts = [(s, e) for term, s, e in here if term == phrase[0]]
            if not starts:
                continue
            end = None
            for k, word in enumerate(phrase[1:], 1):
                nxt = [e for term, _, e in by_pos.get(pos + k, ()) if term == word]
                if not nxt:
                    end = None
                    break
                end = max(nxt)
            if len(phrase) == 1:
                end = starts[0][1]
            if end is not None:
                out.append((" ".join(phrase), min(s for s, _ in starts), end))
    return out


def _merge(found: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """Sort spans and merge overlapping ones; a merged span keeps the longest span's unit."""
    found.sort(key=lambda m: (m[1], -m[2]))
    merged: list[tuple[str, int, int]] = []
    for unit, s, e in found:
        if merged and s < merged[-1][2]:
            prev = merged[-1]
            longer = unit if e - s > prev[2] - prev[1] else prev[0]
            merged[-1] = (longer, prev[1], max(prev[2], e))
        else:
            merged.append((unit, s, e))
    return merged


#: How much of an article passages are looked for in (about 1 MB of text).
MAX_SCAN_CHARS = 1_000_000


def passages(
    text: str,
    matches: Matches | Collection[str],
    *,
    limit: int = 3,
    lede: bool = True,
) -> list[Passage]:
    """The best passages of *text* for *matches*, in the text's order.

    Sentences are ranked by the number of distinct units (terms, exact forms,
    phrases) they hold, then by units not already shown, then by matches, then
    by position. Each chosen sentence grows by neighbours in its paragraph up
    to about :data:`TARGET_CHARS`; chosen groups that touch are merged.

    :param matches: what to highlight (a plain collection is taken as analysed terms).
    :param limit: the most passages to choose (merging can leave fewer).
    :param lede: when nothing matches, return the text's opening instead of nothing.
    """
    if limit <= 0 or not text:
        return []
    # A huge article (a 49 MB log pasted as one) is read only in its opening window;
    # a prefix, so offsets stay those of the whole text.
    text = text[:MAX_SCAN_CHARS]
    spans = sentence_spans(text)
    if not spans:
        return []
    found = match_spans(text, matches, spans)
    if not found:
        return [_lede(text, spans)] if lede else []
    paragraphs = _paragraph_numbers(text, spans)
    per_sentence: list[list[tuple[str, int, int]]] = [[] for _ in spans]
    i = 0
    for m in found:
        while i < len(spans) and spans[i][1] <= m[1]:
            i += 1
        if i < len(spans):
            per_sentence[i].append(m)
    candidates = [k for k in range(len(spans)) if per_sentence[k]]
    used: set[int] = set()
    shown: set[str] = set()
    chosen: list[tuple[int, int]] = []
    while candidates and len(chosen) < limit:

        def rank(k: int) -> tuple[int, int, int, int]:
            units = {_weight_key(u) for u, _, _ in per_sentence[k]}
            weight = sum(_unit_weight(u) for u in units)
            fresh = sum(_unit_weight(u) for u in units - shown)
            return (-weight, -fresh, -len(per_sentence[k]), k)

        k = min(candidates, key=rank)
        candidates = [c for c in candidates if c != k]
        if k in used:
            continue
        first, last = _grow(spans, paragraphs, k, used)
        used.update(range(first, last + 1))
        shown.update(_weight_key(u) for u, _, _ in per_sentence[k])
        chosen.append((first, last))
    chosen.sort()
    groups: list[list[int]] = []
    for first, last in chosen:
        # Touching groups merge, unless that makes a passage too long to read at a glance
        # (then they stay two passages, each whole sentences).
        if (
            groups
            and first <= groups[-1][1] + 1
            and spans[max(groups[-1][1], last)][1] - spans[groups[-1][0]][0] <= MAX_CHARS * 2
        ):
            groups[-1][1] = max(groups[-1][1], last)
        else:
            groups.append([first, last])
    result = []
    for first, last in groups:
        start, end = spans[first][0], spans[last][1]
        inside = [m for m in found if start <= m[1] and m[2] <= end]
        if first == last and end - start > MAX_CHARS:  # one very long sentence
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


def _weight_key(unit: str) -> str:
    return unit.lstrip("=")


def _unit_weight(unit: str) -> int:
    """A phrase counts for each of its words: it is stronger evidence than scattered words."""
    return unit.count(" ") + 1


def _lede(text: str, spans: list[tuple[int, int]]) -> Passage:
    """The opening sentences of *text*, up to about :data:`TARGET_CHARS`."""
    first, last = 0, 0
    while last + 1 < len(spans) and spans[last + 1][1] - spans[0][0] <= TARGET_CHARS:
        last += 1
    start, end = spans[first][0], spans[last][1]
    if end - start > MAX_CHARS:
        start, end = _trim(text, start, end, [])
    return Passage(text=text[start:end], start=start, end=end, highlights=())


def _paragraph_numbers(text: str, spans: list[tuple[int, int]]) -> list[int]:
    """For each sentence span, the number of the paragraph it starts in.

    In article text every line is a paragraph; in hard-wrapped text (:func:`_wrapped`)
    paragraphs end at blank lines, as an indented line in newswire is often a
    paragraph of one sentence.
    """
    from bisect import bisect_right

    if _wrapped(text):
        breaks = [m.start() for m in re.finditer(r"\n[ \t]*\n", text)]
    else:
        breaks = [m.start() for m in re.finditer(r"\n", text)]
    return [bisect_right(breaks, start - 1) for start, _ in spans]


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
