"""The Whoosh schema: which fields an article has in the index, and how each is analysed.

The index keeps no article text: only the id, a version (the content hash of
the text that was indexed) and ``meta`` (a hash of every other indexed field:
:meth:`IndexDoc.meta_hash`) are stored, so ``check`` can compare every indexed
field with the database. Passages are built from the body kept in SQLite.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from array import array
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from itertools import accumulate, pairwise
from typing import Any

from whoosh.fields import DATETIME, ID, KEYWORD, STORED, TEXT, Schema
from whoosh.formats import Positions

from index.analysis import EXACT_MARK, index_positions, name_analyzer, text_analyzer

#: BM25F weight of a title match relative to a body match.
TITLE_BOOST = 2.5

#: The fields holding exact terms beside their stems (:func:`index.analysis.exact_term`),
#: for exact forms (``"word"``, ``=word``, ``="a phrase"``) and for "did you mean"
#: suggestions (which must be real words, not stems): :mod:`index.exact`.
EXACT_FIELDS = ("title", "body", "note")

_MARK = EXACT_MARK.encode("utf-8")


_POSITION_ARRAYS = ("B", "H", "I")


class CompactPositions(Positions):
    """Whoosh's ``Positions`` format, each posting's positions kept as an array, not a pickle.

    Whoosh's format encodes a posting's positions as a 4-byte count and the
    pickled list of their deltas (``[5]`` is 12 bytes); here they are one byte
    naming the array's type (``B``, ``H`` or ``I``: the narrowest that holds
    the deltas), then the deltas, little-endian (``[5]`` is 2 bytes), decoded
    by ``array`` and ``itertools.accumulate`` in C. Frequencies, weights and
    positions read back are Whoosh's (a public extension point of Whoosh: every
    query, Whoosh's own matchers included, decodes through the format).
    """

    def encode(self, poslist: list[int]) -> bytes:
        deltas = [b - a for a, b in pairwise([0, *poslist])]
        top = max(deltas, default=0)
        tag = 0 if top < 0x100 else 1 if top < 0x10000 else 2
        arr = array(_POSITION_ARRAYS[tag], deltas)
        if sys.byteorder == "big":
            arr.byteswap()
        return bytes((tag,)) + arr.tobytes()

    def decode_positions(self, valuestring: bytes) -> list[int]:
        tag = valuestring[0]
        if tag == 0:
            return list(accumulate(valuestring[1:]))
        arr = array(_POSITION_ARRAYS[tag])
        arr.frombytes(valuestring[1:])
        if sys.byteorder == "big":
            arr.byteswap()
        return list(accumulate(arr))

    def decode_frequency(self, valuestring: bytes) -> int:
        return (len(valuestring) - 1) >> valuestring[0]  # item sizes 1, 2, 4

    def decode_weight(self, valuestring: bytes) -> float:
        return float(self.decode_frequency(valuestring) * self.field_boost)


def _compact(field: Any) -> Any:
    """*field* with :class:`CompactPositions` instead of Whoosh's ``Positions``."""
    field.format = CompactPositions(field_boost=field.format.field_boost)
    return field


#: The encoding of a term found at one position, by format class and position.
_ONE_POSITION: dict[type, dict[int, bytes]] = {Positions: {}, CompactPositions: {}}


class ProseText(TEXT):
    """A ``TEXT`` field whose exact terms do not count in its length.

    BM25 divides a term's weight by the field's length, which Whoosh counts as the
    number of tokens indexed: an exact term is a second name for a word already
    counted, so a field's length (and every score) is what it was with the
    stemmed words alone.
    """

    def index(self, value: Any, **kwargs: Any) -> Iterator[tuple[bytes, int, float, bytes]]:
        if kwargs or not isinstance(value, str):
            for tbytes, freq, weight, vbytes in super().index(value, **kwargs):
                yield (tbytes, 0 if tbytes[:1] == _MARK else freq, weight, vbytes)
            return
        # The analyzer's terms in one pass (:func:`index.analysis.index_positions`),
        # encoded as Whoosh's ``Positions.word_values`` encodes them.
        boost = self.format.field_boost
        encode = self.format.encode
        # Most terms occur once in a text: their encoding depends on that position alone.
        once = _ONE_POSITION.get(type(self.format), {})
        for term, positions in index_positions(value).items():
            count = len(positions)
            freq = 0 if term[:1] == EXACT_MARK else count
            if count == 1:
                pos = positions[0]
                vbytes = once.get(pos)
                if vbytes is None:
                    vbytes = encode(positions)
                    if pos < 100_000:
                        once[pos] = vbytes
            else:
                vbytes = encode(positions)
            yield (term.encode("utf-8"), freq, float(count) * boost, vbytes)


#: Facet names a user may ask for, and the (unanalysed, sortable) field holding each.
FACET_FIELDS = {
    "source": "facet_source",
    "author": "facet_author",
    "tag": "facet_tag",
    "year": "year",
    "month": "month",
}

#: Fields a query searches when no field is named (``note``: the user's notes).
DEFAULT_FIELDS = ("title", "body", "note")

#: Names a user may write before a colon in a query (``tag:`` is ``tags``).
FIELD_ALIASES = {
    "title": "title",
    "body": "body",
    "author": "author",
    "source": "source",
    "tag": "tags",
    "tags": "tags",
    "url": "url",
    "published": "published",
    "date": "published",
    "note": "note",
    "notes": "note",
}


#: The field holding an article's extra keys (kept from JSON, front matter and page
#: metadata) as ``key:value`` terms, so that ``places:france`` finds them.
EXTRA_FIELD = "extra"
#: Longest extra value indexed (longer ones are descriptions, not values to filter by).
EXTRA_VALUE_MAX = 200


def extra_key(key: str) -> str:
    """*key* as a query names it: lower case, runs of other than letters made ``_``
    (``og:site_name`` is ``og_site_name``)."""
    return re.sub(r"[^a-z]+", "_", key.lower()).strip("_")


def extra_terms(extra: Mapping[str, object] | None) -> tuple[str, ...]:
    """The ``key:value`` terms of an article's extra fields: each text, number or
    true/false value (each item of a list), spaces folded, lower case; values over
    :data:`EXTRA_VALUE_MAX` characters and keys that name a regular field are left out."""
    out: list[str] = []
    for raw_key, value in (extra or {}).items():
        key = extra_key(str(raw_key))
        if not key or key in FIELD_ALIASES:
            continue
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, bool):
                item = "true" if item else "false"
            if not isinstance(item, str | int | float):
                continue
            text = " ".join(str(item).replace(",", " ").split()).lower()
            if text and len(text) <= EXTRA_VALUE_MAX:
                out.append(f"{key}:{text}")
    return tuple(dict.fromkeys(out))


def make_schema() -> Schema:
    """A fresh schema object (analyzers are per-schema, so never share one)."""
    prose = text_analyzer()
    names = name_analyzer()
    schema = Schema(
        id=ID(stored=True, unique=True),
        # Stored only: read back by check, never searched (indexed, each article's two
        # 64-character hashes cost a term and a posting apiece: a tenth of the index).
        version=STORED,
        meta=STORED,
        # The article's language (ISO 639-1), which chose its stemmer: stored for the
        # passages, indexed so a query knows which languages' stems to search.
        lang=ID(stored=True),
        title=_compact(ProseText(analyzer=prose, field_boost=TITLE_BOOST, phrase=True)),
        body=_compact(ProseText(analyzer=prose, phrase=True)),
        note=_compact(ProseText(analyzer=prose, phrase=True)),
        author=_compact(TEXT(analyzer=names, phrase=True)),
        source=_compact(TEXT(analyzer=names, phrase=True)),
        tags=KEYWORD(lowercase=True, commas=True, scorable=True),
        extra=KEYWORD(lowercase=True, commas=True, scorable=True),
        url=ID(),
        published=DATETIME(sortable=True),
        facet_source=ID(sortable=True),
        facet_author=ID(sortable=True),
        facet_tag=KEYWORD(commas=True, sortable=True),
        year=ID(sortable=True),
        month=ID(sortable=True),
    )
    # A word the analyzer splits (post-ceasefire) is searched as a phrase of its parts.
    for name in ("title", "body", "note", "author", "source"):
        schema[name].multitoken_query = "phrase"
    return schema


@dataclass(frozen=True, slots=True)
class IndexDoc:
    """What the index needs of one article: plain values, no ORM objects."""

    id: int
    version: str
    title: str
    body: str
    author: str | None = None
    source: str | None = None
    tags: tuple[str, ...] = field(default_factory=tuple)
    url: str | None = None
    published: datetime | None = None
    #: The user's notes on the article.
    notes: tuple[str, ...] = field(default_factory=tuple)
    #: Its extra fields as ``key:value`` terms (:func:`extra_terms`).
    extra: tuple[str, ...] = field(default_factory=tuple)

    def meta_hash(self) -> str:
        """A hash of every indexed field but the body (whose hash is ``version``)."""
        when = None if self.published is None else self.published.isoformat()
        values = [self.title, self.author, self.source, list(self.tags), self.url, when]
        values.append(list(self.notes))
        if self.extra:  # (an article without extra fields keeps its earlier hash)
            values.append(list(self.extra))
        text = json.dumps(values, ensure_ascii=False)
        # 128 bits tell a change from none as well as 256, in half the index's bytes.
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]

    #: ISO 639-1 code; None: detected from the text (:func:`index.languages.detect`).
    language: str | None = None

    def fields(self) -> dict[str, object]:
        """Keyword arguments for ``writer.update_document``."""
        from index.languages import ENGLISH, LanguageText, detect

        language = self.language or detect(f"{self.title}\n{self.body}") or ENGLISH
        doc: dict[str, object] = {
            "id": str(self.id),
            "version": self.version,
            "meta": self.meta_hash(),
            "lang": language,
            "title": LanguageText(self.title, language),
            "body": LanguageText(self.body, language),
        }
        if self.author:
            doc["author"] = self.author
            doc["facet_author"] = self.author
        if self.source:
            doc["source"] = self.source
            doc["facet_source"] = self.source
        if self.tags:
            doc["tags"] = ",".join(t.replace(",", " ") for t in self.tags)
            doc["facet_tag"] = ",".join(t.replace(",", " ") for t in self.tags)
        if self.url:
            doc["url"] = self.url
        if self.notes:
            doc["note"] = "\n\n".join(self.notes)
        if self.extra:
            doc[EXTRA_FIELD] = ",".join(self.extra)
        if self.published is not None:
            doc["published"] = self.published
            doc["year"] = f"{self.published.year:04d}"
            doc["month"] = f"{self.published.year:04d}-{self.published.month:02d}"
        return doc
