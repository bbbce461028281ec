"""The extra fields an index holds: keys kept from JSON, front matter and page metadata,
searchable as ``key:value`` (the ``extra`` field's ``key:value`` terms, see
:func:`index.schema.extra_terms`)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from whoosh.index import FileIndex

from index.schema import EXTRA_FIELD

#: Most common values listed per key.
SAMPLE_VALUES = 5


@dataclass(frozen=True, slots=True)
class ExtraField:
    key: str
    #: Articles having the key (with any value).
    articles: int
    #: Its most common values, each with its number of articles.
    values: tuple[tuple[str, int], ...]
    #: How many different values it has.
    distinct: int


def _text(term: Any) -> str:
    return term.decode("utf-8") if isinstance(term, bytes) else str(term)


def extra_keys(reader: Any) -> frozenset[str]:
    """The keys of the extra fields in the index *reader* reads.

    Read at every search (the parser needs them), so the field's terms are not
    all listed: an archive ingested from JSON records with an ``id`` key holds one
    ``id:...`` term per article (listing 20,000 of them was nine tenths of a
    search). Terms are sorted and each is ``key:value``: after a key's first
    term the dictionary is entered again past its last (at ``key;``, as ``;``
    follows ``:``), one lookup per key and segment.
    """
    if EXTRA_FIELD not in reader.schema:
        return frozenset()
    keys: set[str] = set()
    start = ""
    while True:
        first = next(iter(reader.terms_from(EXTRA_FIELD, start)), None)
        if first is None or first[0] != EXTRA_FIELD:
            return frozenset(keys)
        text = _text(first[1])
        key, colon, _ = text.partition(":")
        keys.add(key)
        start = key + ";" if colon else text + "\x00"


def extra_fields(ix: FileIndex) -> list[ExtraField]:
    """Every extra field's key, with how many articles have it and its common values,
    most used first.

    Counted over the live documents only: an edit or a delete leaves the replaced
    document in its segment, marked deleted, until the segments are merged, and a
    term's document frequency still counts it (so ``usa (70)`` where 35 articles
    have it, until ``optimize``).
    """
    if EXTRA_FIELD not in ix.schema:
        return []
    values: dict[str, Counter[str]] = {}
    docs: dict[str, set[int]] = {}
    with ix.reader() as reader:
        deleted = reader.is_deleted if reader.has_deletions() else None
        for term in reader.field_terms(EXTRA_FIELD):
            ids = reader.postings(EXTRA_FIELD, term).all_ids()
            live = [i for i in ids if not deleted(i)] if deleted else list(ids)
            if not live:
                continue
            key, _, value = _text(term).partition(":")
            values.setdefault(key, Counter())[value] = len(live)
            docs.setdefault(key, set()).update(live)
    out = [
        ExtraField(key, len(docs[key]), tuple(counts.most_common(SAMPLE_VALUES)), len(counts))
        for key, counts in values.items()
    ]
    return sorted(out, key=lambda f: (-f.articles, f.key))
