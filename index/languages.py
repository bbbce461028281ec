"""An article's language: which Snowball stemmer its words get, and whether English rules apply.

An article's language comes from its page's metadata or its input's ``language``
key, else from :func:`detect`. It chooses the article's Snowball stemmer among
those PyStemmer ships (:data:`STEMMERS`); English stop words and British-to-
American spelling apply to English only, and a language without a stemmer
(Chinese, Japanese, Korean, Thai...) is not stemmed at all.

The language reaches the analyzer with the text itself: the index is given a
:class:`LanguageText` (a ``str`` that knows its language), which survives
Whoosh's worker processes (it pickles), and :class:`LanguageTokenizer` puts
the language on every token for the filters after it. A query's language is
not known, so while a query is parsed (:func:`query_languages`) each word is
stemmed for English and for every other language the archive holds; the
query parser (:mod:`index.query`) searches any of those stems.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache, lru_cache
from typing import Any

import Stemmer
from whoosh.analysis import RegexTokenizer, Token

#: ISO 639-1 codes of the languages PyStemmer has a Snowball stemmer for, and its name.
STEMMERS = {
    "ar": "arabic", "hy": "armenian", "eu": "basque", "ca": "catalan", "cs": "czech",
    "da": "danish", "nl": "dutch", "en": "english", "eo": "esperanto", "et": "estonian",
    "fi": "finnish", "fr": "french", "de": "german", "el": "greek", "hi": "hindi",
    "hu": "hungarian", "id": "indonesian", "ga": "irish", "it": "italian", "lt": "lithuanian",
    "ne": "nepali", "no": "norwegian", "nb": "norwegian", "nn": "norwegian", "fa": "persian",
    "pl": "polish", "pt": "portuguese", "ro": "romanian", "ru": "russian", "sr": "serbian",
    "st": "sesotho", "es": "spanish", "sv": "swedish", "ta": "tamil", "tr": "turkish",
    "yi": "yiddish",
}  # fmt: skip
ENGLISH = "en"
#: Separates a query word's stems for several languages inside one term, until the
#: query parser makes them alternatives.
STEM_SEPARATOR = "\x1f"
#: Languages other than English that a query being parsed is stemmed for ("" = unstemmed).
_QUERY_LANGUAGES: ContextVar[tuple[str, ...]] = ContextVar("query_languages", default=())


class LanguageText(str):
    """A text that knows its language (an ISO 639-1 code), for the analyzer."""

    language: str | None

    def __new__(cls, text: str, language: str | None = None) -> LanguageText:
        self = super().__new__(cls, text)
        self.language = language
        return self


class LanguageTokenizer(RegexTokenizer):
    """Whoosh's regex tokenizer, marking each token with the text's language."""

    def __call__(self, value: str, **kwargs: Any) -> Iterator[Token]:
        language = getattr(value, "language", None)
        for t in super().__call__(value, **kwargs):
            t.language = language
            yield t


def is_english(token: Token) -> bool:
    """Whether English rules (stop words, spelling) apply to *token* (unknown: English)."""
    return getattr(token, "language", None) in (None, ENGLISH)


def code(value: object) -> str | None:
    """An ISO 639-1 code from a language tag or name (``de-DE``, ``zh_Hans``, ``German``)."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().lower()
    named = {name: c for c, name in STEMMERS.items()}
    if text in named:
        return named[text]
    head = re.split(r"[-_\s]", text, maxsplit=1)[0]
    if len(head) == 2 and head.isalpha():
        return head
    return _ISO3.get(head)


_ISO3 = {
    "eng": "en", "deu": "de", "ger": "de", "fra": "fr", "fre": "fr", "spa": "es", "rus": "ru",
    "ita": "it", "por": "pt", "nld": "nl", "dut": "nl", "cmn": "zh", "zho": "zh", "chi": "zh",
    "jpn": "ja", "kor": "ko", "tha": "th", "hin": "hi", "ara": "ar", "tur": "tr", "swe": "sv",
}  # fmt: skip


@cache
def _stemmer(language: str) -> Any:
    name = STEMMERS.get(language)
    if name is None or name not in Stemmer.algorithms():
        return None
    return Stemmer.Stemmer(name)


@lru_cache(maxsize=200_000)
def stem_for(language: str | None, word: str) -> str:
    """*word* stemmed for *language* (English when unknown; unchanged without a stemmer)."""
    if word[:1].isdigit():
        return word
    stemmer = _stemmer(language or ENGLISH)
    if stemmer is None:
        return word
    stemmed: str = stemmer.stemWord(word)
    return stemmed


def stems_for_query(word: str, english: str) -> str:
    """The term for a query *word*: its English stem *english*, joined with its stems in
    the other languages being searched (:func:`query_languages`) when they differ."""
    others = _QUERY_LANGUAGES.get()
    if not others:
        return english
    stems = [english, *(stem_for(lang, word) if lang else word for lang in others)]
    return english if len(set(stems)) == 1 else STEM_SEPARATOR.join(stems)


@contextmanager
def query_languages(languages: Sequence[str]) -> Iterator[None]:
    """While parsing a query, stem its words for these languages too (besides English)."""
    wanted = []
    for lang in sorted(set(languages)):
        if lang == ENGLISH:
            continue
        wanted.append(lang if _stemmer(lang) is not None else "")
    token = _QUERY_LANGUAGES.set(tuple(dict.fromkeys(wanted)))
    try:
        yield
    finally:
        _QUERY_LANGUAGES.reset(token)


# --- detection ------------------------------------------------------------------------------

#: justext's stop-word lists (shipped with trafilatura's dependency) for detection.
_JUSTEXT_NAMES = {
    "en": "English", "de": "German", "fr": "French", "es": "Spanish", "it": "Italian",
    "pt": "Portuguese", "nl": "Dutch", "sv": "Swedish", "da": "Danish", "no": "Norwegian_Bokmal",
    "fi": "Finnish", "hu": "Hungarian", "ro": "Romanian", "ru": "Russian", "tr": "Turkish",
    "pl": "Polish", "cs": "Czech", "ca": "Catalan", "id": "Indonesian", "lt": "Lithuanian",
    "et": "Estonian", "el": "Greek", "ga": "Irish", "eu": "Basque", "sr": "Serbian",
}  # fmt: skip
_SCRIPTS = (
    ("ja", re.compile(r"[\u3040-\u30ff]")),  # kana: Japanese (before Han, which it uses too)
    ("ko", re.compile(r"[\uac00-\ud7af]")),
    ("zh", re.compile(r"[\u4e00-\u9fff]")),
    ("th", re.compile(r"[\u0e00-\u0e7f]")),
    ("hi", re.compile(r"[\u0900-\u097f]")),
    ("ar", re.compile(r"[\u0600-\u06ff]")),
)
_WORD = re.compile(r"[^\W\d_]+")


@lru_cache(maxsize=1)
def _stoplists() -> dict[str, frozenset[str]]:
    import justext

    out = {}
    for lang, name in _JUSTEXT_NAMES.items():
        try:
            out[lang] = frozenset(w.lower() for w in justext.get_stoplist(name))
        except (ValueError, OSError):
            continue
    return out


@lru_cache(maxsize=32)
def stop_words(language: str | None) -> frozenset[str]:
    """The stop words of *language* (an ISO 639-1 code), lower case, from the
    ``stop-words`` package; English's for None or a language it has no list for.

    (justext's lists, used for detection, are too broad to say what is *not*
    meaningful: they hold ``president``, ``government``, ``company``.)
    """
    from stop_words import StopWordError, get_stop_words

    try:
        return frozenset(w.lower() for w in get_stop_words(language or "en"))
    except StopWordError:
        return frozenset(w.lower() for w in get_stop_words("en"))


@lru_cache(maxsize=1)
def _stop_index() -> dict[str, tuple[str, ...]]:
    """Each stop word and the languages it is a stop word of."""
    index: dict[str, list[str]] = {}
    for lang, words in _stoplists().items():
        for w in words:
            index.setdefault(w, []).append(lang)
    return {w: tuple(langs) for w, langs in index.items()}


def detect(text: str, sample: int = 2000) -> str | None:
    """The language of *text*, by script, then by the share of its words that are stop words
    of each language; None when nothing is clear (too short, or no language stands out).

    English is preferred: another language must hold clearly more stop words, and
    eight different ones (justext's lists hold some English words, such as ``mln``).
    """
    head = text[:sample]
    found = _WORD.findall(head)
    for lang, script in () if head.isascii() else _SCRIPTS:
        if len(script.findall(head)) > max(10, len(found) // 5):
            return lang
    total = len(found)
    if total < 8:
        return None
    # Each distinct word looked up once, with its number of occurrences (a text's
    # words repeat: this was a tenth of the ingest's time word by word).
    index = _stop_index()
    lowered: dict[str, int] = {}
    for w, n in Counter(found).items():
        low = w.lower()
        lowered[low] = lowered.get(low, 0) + n
    counts: dict[str, int] = {}
    distinct: dict[str, int] = {}
    for w, n in lowered.items():
        for lang in index.get(w, ()):
            counts[lang] = counts.get(lang, 0) + n
            distinct[lang] = distinct.get(lang, 0) + 1
    if not counts:
        return None
    ranked = sorted(((n / total, lang) for lang, n in counts.items()), reverse=True)
    best, lang = ranked[0]
    second = ranked[1][0] if len(ranked) > 1 else 0.0
    english = counts.get(ENGLISH, 0) / total
    if lang != ENGLISH and (best < 0.25 or best < 1.5 * english or distinct[lang] < 8):
        return ENGLISH if english >= 0.2 else None
    if best < 0.2 or best - second < 0.05:
        return None
    return lang
