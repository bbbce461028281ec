"""A segment writer whose commit reads each field's length column once.

Whoosh's commit writes every posting with its document's field length, read
through the new segment's per-document reader one posting at a time
(``W3PerDocReader.doc_field_length``: a column seek, a read and an unpack for
each of them, a quarter of a commit's time on news articles). Here the first
length asked of a field reads that field's whole column into an array, and each
posting's length is then an index into it: the same values.

Internals used: ``SegmentWriter.per_document_reader`` (what ``_flush_segment``
hands ``add_postings``), ``whoosh.codec.whoosh3._lenfield`` and
``LENGTHS_COLUMN`` (where a field's lengths are kept, one byte a document).
With the gate closed (:mod:`index.internals`) Whoosh's own ``SegmentWriter`` is used.
"""

from __future__ import annotations

from typing import Any

from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.util.numeric import byte_to_length
from whoosh.writing import SegmentWriter

__all__ = ["LengthCachingWriter", "cached_lengths"]

#: A length byte's length, as ``doc_field_length`` returns it (None for 0).
_LENGTH = [byte_to_length(b) if b else None for b in range(256)]


class _Lengths:
    """A per-document reader whose ``doc_field_length`` reads each column once."""

    def __init__(self, reader: Any) -> None:
        self._reader = reader
        self._doccount = reader.doc_count_all()
        self._columns: dict[str, Any] = {}

    def doc_field_length(self, docnum: int, fieldname: str, default: Any = 0) -> Any:
        if docnum > self._doccount:
            raise IndexError(f"Asked for docnum {docnum!r} of {self._doccount}")
        column = self._columns.get(fieldname)
        if column is None:
            column = self._columns[fieldname] = self._column(fieldname)
        if column is False:
            return default
        return _LENGTH[column[docnum]] if docnum < len(column) else None

    def _column(self, fieldname: str) -> Any:
        lenfield = _lenfield(fieldname)
        if not self._reader.has_column(lenfield):
            return False
        return self._reader.column_reader(lenfield, LENGTHS_COLUMN).load()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._reader, name)


def cached_lengths(reader: Any) -> Any:
    """*reader* (a segment's per-document reader) with each field's lengths read once."""
    return None if reader is None else _Lengths(reader)


class LengthCachingWriter(SegmentWriter):
    """Whoosh's ``SegmentWriter``, its commit reading each field's lengths once."""

    def per_document_reader(self) -> Any:
        return cached_lengths(super().per_document_reader())
