"""Spelling correction from the index's own vocabulary.

A query word the archive does not hold (or holds in far fewer articles than a
spelling one or two letters away) is corrected before any word of the query is
dropped (issue 20, point 3). Among the close spellings, one that occurs
together with the query's other words is preferred: ``Tillersen Russia`` is
corrected to the spelling found in articles about Russia, not to the most common
word two letters away.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from whoosh import query as wq
from whoosh.searching import Searcher

from index.errors import QuerySyntaxError
from index.exact import WordCorrector, exact_forms, word_frequency
from index.internals.fuzzy import MAX_FUZZY_CHARS
from index.query import ParsedQuery, parse

#: The fields whose words are corrected (the words people write as they are written).
CORRECTED_FIELDS = ("body", "title")

#: A word this many times rarer than a close spelling is taken for a misspelling of it.
RARER = 20
#: ... and only a word at most this many articles hold: a word many articles hold is no
#: slip of a far commoner one (``mining`` of ``making``, ``Spain`` of ``said``).
RARE_HELD = 3
#: At most this many close spellings of a word are tried with the query's other words.
TRIED = 10
#: Besides the best, at most this many spellings as close are searched for a word.
ALSO = 3
#: A word held by at most this many articles, none of them with the query's other words,
#: is taken for a slip of a spelling one letter away that some article holds with them
#: (``Chambre political``: *chambre* in one article, *chamber* in several about politics).
STRAY = 2
#: The longest query (in words) whose corrections are checked against its other words.
WITH_OTHERS = 6
#: The longest query (in words) whose spelling is corrected at all: checking and running
#: a corrected pasted passage took seconds to minutes at 100,000 articles (the exact
#: forms it searches are read by Whoosh's matchers), and a passage that matched nothing
#: as typed is rescued by its most words anyway.
MAX_CORRECTED_WORDS = 8


#: A word written with a wildcard (``sa*``, ``te?t``) or as a fuzzy word (``ukrane~2``).
_LOOSE = re.compile(r"[^\s()\"]*[*?][^\s()\"]*|[^\s()\"~]+~\d*(?:/\d+)?")


def _written_loose(text: str) -> set[str]:
    """The plain words (as :func:`index.query.words_of` cuts them) of *text* written with a
    wildcard or as fuzzy words: not to be corrected (each candidate spelling would run
    the whole query again: twenty prefixes took minutes)."""
    out: set[str] = set()
    for token in _LOOSE.findall(text):
        out.update(w.lower() for w in re.split(r"[*?~=\d/:]+", token) if w)
    return out


def correction_of(
    searcher: Searcher,
    parsed: ParsedQuery,
    languages: Sequence[str] = (),
    *,
    rarer: bool = True,
) -> tuple[str, str, tuple[str, ...]] | None:
    """*parsed*'s text with each misspelt word corrected from the index's vocabulary: as
    shown to the user, as searched (each corrected word in its exact form, ``=word``:
    ``Donwing`` is corrected to *downing*, not to every word stemmed *down*; and in its
    stemmed form, which the proximity ranking reads), and the
    other spellings searched beside the one shown.

    A word is corrected when the archive does not hold it, or holds it in far fewer
    articles (:data:`RARER` times) than a spelling one or two letters away
    (``Tillersen`` in one article, ``Tillerson`` in fifty), or holds it in at most
    :data:`STRAY` articles, none with the query's other words, and a spelling one letter
    away is found with them; with *rarer* off, only when the archive does not hold it
    (or in that last case). The words not corrected are searched as typed too. Of the
    close spellings, those that some article holds together with the query's other
    words come first, then the closest (two letters swapped counting as one slip),
    then the most common; up to :data:`ALSO` more as close as the first and found with
    the other words are searched beside it. None: nothing to correct.
    """
    from index.analysis import exact_analyzer

    if len(parsed.words) > MAX_CORRECTED_WORDS:
        return None  # a pasted passage: its missing words are left to the most-words rescue
    analyzer = exact_analyzer()
    reader = searcher.reader()

    correctors = [WordCorrector(reader, f) for f in CORRECTED_FIELDS]

    def frequency(form: str) -> int:
        return max(word_frequency(reader, f, form) for f in CORRECTED_FIELDS)

    text = exact = parsed.text
    also: list[str] = []
    fixed: set[str] = set()
    # Whether a spelling is found with the query's other words is asked of short queries
    # only: each asking runs the whole query, and a pasted sentence that matched nothing
    # as typed holds its other words together in no article anyway (a 20-word query
    # took minutes at 100,000 articles).
    others = 1 < len(parsed.words) <= WITH_OTHERS
    loose = _written_loose(parsed.text)
    for word in parsed.words:
        if word.lower() in loose:
            continue  # sa*, ukrane~: the person asked for the variants, not a spelling
        forms = [t.text for t in analyzer(word)]
        if len(forms) != 1:
            continue
        form = forms[0]
        if len(form) > MAX_FUZZY_CHARS or form.isdigit():
            continue
        held = frequency(form)
        if held and len(form) < 5:  # short words held are words, not slips
            continue
        # A rare word the query's other words are never found with: a likely slip.
        stray = bool(held) and others and held <= STRAY and not _matches(searcher, exact, languages)
        if held and not stray and (not rarer or held > RARE_HELD):
            continue  # a word many articles hold is a word, however common a neighbour
        found = {
            w
            for corrector in correctors
            for w in corrector.suggest(form, limit=50, maxdist=2, prefix=1)
            if w != form
        }
        # Closest first, two letters swapped counting as one slip, then the most common.
        ranked = sorted(found, key=lambda w: (_slips(form, w), -frequency(w), w))

        def likely(w: str, held: int = held) -> bool:
            return not held or frequency(w) >= RARER * held

        ranked = [
            w for w in ranked if likely(w) or stray and _slips(form, w) == 1 and frequency(w) > held
        ][:TRIED]
        if not ranked:
            continue
        chosen = ranked[:1]
        if others and (len(ranked) > 1 or not likely(ranked[0])):
            # Spellings some article holds with the query's other words come first; those
            # as close as the best are searched too (``Sween political``: *seen* is the
            # more common, *sweden* the name).
            with_others = [
                w for w in ranked if _matches(searcher, _replace(exact, word, "=" + w), languages)
            ]
            if with_others:
                close = _slips(form, with_others[0])
                chosen = [w for w in with_others if _slips(form, w) == close][: 1 + ALSO]
            else:  # a stray word is corrected only to a spelling found with the others
                chosen = [w for w in ranked if likely(w)][:1]
                if not chosen:
                    continue
        # As shown: ``(seen OR sweden) political``, so a heading naming it is true.
        shown = " OR ".join(chosen)
        shown = f"({shown})" if len(chosen) > 1 else shown
        text = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", shown, text, count=1)
        # Each spelling in its exact form, and in its stemmed form too (a word that is its
        # own stem and stands in an article only as another word's stem still counts).
        searched = " OR ".join(f"(={w} {w})" for w in chosen)
        exact = _replace(exact, word, f"({searched})" if len(chosen) > 1 else searched)
        also.extend(chosen[1:])
        fixed.add(word)
    if exact != parsed.text and not parsed.explicit:
        # The words left as typed are searched as typed too (``Margnret helped``: articles
        # with *helped*, not every one with *help*): a corrected query is a guess already,
        # it is not widened further (measured on bench/misspelt.py: 0.883 -> 0.893).
        for word in parsed.words:
            if word not in fixed and re.fullmatch(r"\w+", word) and exact_forms(word):
                exact = _replace(exact, word, f"(={word} {word})")
    return (text, exact, tuple(also)) if exact != parsed.text else None


def _replace(text: str, word: str, by: str) -> str:
    return re.sub(rf"(?<![\w=]){re.escape(word)}(?!\w)", by, text, count=1)


def _matches(searcher: Searcher, text: str, languages: Sequence[str]) -> bool:
    """Whether some article matches the query *text*."""
    try:
        q = parse(searcher.schema, text, languages).query
    except QuerySyntaxError:
        return False
    return bool(searcher.search(q, limit=1, scored=False).scored_length())


def _slips(a: str, b: str) -> int:
    """Edits from *a* to *b*: a letter changed, added or dropped, or two swapped (OSA)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def finds_more(
    searcher: Searcher,
    text: str,
    dates: wq.Query | None,
    total: int,
    languages: Sequence[str] = (),
) -> bool:
    """Whether the query *text* finds more than *total* articles."""
    try:
        corrected = parse(searcher.schema, text, languages).query
    except QuerySyntaxError:
        return False
    full = wq.And([corrected, dates]) if dates is not None else corrected
    # Counted as Whoosh counts a search's matches (``len(searcher.search(full))`` reads
    # the same documents), but only until there are more than *total*, with no scoring.
    found = 0
    for _ in searcher.docs_for_query(full):
        found += 1
        if found > total:
            return True
    return False
