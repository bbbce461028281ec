"""Merging segments by streaming their decoded posting lists (Whoosh 2.7.4 internals).

Whoosh's own ``add_reader`` pickles every posting of a merged segment into its
external sort pool, then sorts and unpickles them again, one at a time in
Python: merging cost about as much as indexing the documents anew. A segment's
postings are already sorted, so :func:`merge_into` decodes each posting list
whole (:mod:`index.internals.postings`) and streams them, merged in order with
the new documents' postings, straight into the segment being written.

Internals used: ``SegmentWriter._flush_segment`` (replaced for one commit),
``SegmentWriter._added``, ``SegmentReader._terms`` and its ``_postfile``.
With the gate closed (:mod:`index.internals`) :func:`merge_into` uses Whoosh's
``add_reader``: the same index, about twice as slow.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from index import internals

__all__ = ["merge_into", "release"]


def merge_into(writer: Any, segments: list[Any]) -> None:
    """Merge *segments* into the segment *writer* is writing (part of a merge policy).

    Whoosh's own ``add_reader`` pickles every posting of every merged segment
    into its external sort pool, then sorts and unpickles them again, one at a
    time in Python: merging cost about as much as indexing the documents anew
    (4.5 ms a document). A segment's postings are already sorted, so here each
    merged segment's posting lists are decoded whole (:mod:`.postings`) and
    streamed, merged in order with the pool's postings of the new documents,
    straight into the segment being written. Per-document data (stored fields,
    lengths, columns) is copied as Whoosh copies it. Writers other than a plain
    ``SegmentWriter`` (worker processes) use Whoosh's ``add_reader``.
    """
    from whoosh.reading import SegmentReader
    from whoosh.writing import SegmentWriter

    if not segments:
        return  # nothing to merge (an empty index): no empty segment either, as Whoosh
    readers: list[Any] = []
    try:
        for seg in segments:
            readers.append(SegmentReader(writer.storage, writer.schema, seg))
        streamable = internals.enabled() and all(_streamable(r) for r in readers)
        if internals.enabled() and not streamable:
            internals.fell_back("merge")
        if type(writer) is not SegmentWriter or not streamable:
            # Whoosh's way: add_reader copies everything into the writer's pool.
            for reader in readers:
                writer.add_reader(reader)
            close_all(readers)
            return
        streams = []
        for reader in readers:
            names = {n for n in reader.indexed_field_names() if n in writer.schema}
            basedoc = writer.docnum
            docmap = writer.write_per_doc(set(writer.schema.names()) | names, reader)
            streams.append(_segment_postings(reader, sorted(names), basedoc, docmap))
        writer._added = True
    except BaseException:
        close_all(readers)
        raise
    _flush_with(writer, streams, readers)


def release(writer: Any) -> None:
    """Close the segments a cancelled *writer* was to merge (its commit never flushed)."""
    close_all(getattr(writer, "_archive_merged_readers", []))


def close_all(readers: list[Any]) -> None:
    for reader in readers:
        if not reader.is_closed:
            reader.close()


def _streamable(reader: Any) -> bool:
    """Whether *reader*'s segment is in the format :mod:`index.internals.postings` decodes."""
    from whoosh.codec.whoosh3 import W3TermsReader

    return isinstance(getattr(reader, "_terms", None), W3TermsReader)


def _segment_postings(
    reader: Any, fieldnames: list[str], basedoc: int, docmap: dict[int, int] | None
) -> Iterator[tuple[Any, ...]]:
    """Every posting of *reader*'s segment, renumbered into the new segment.

    As Whoosh's ``iter_postings`` and ``_process_posts`` give them, but sorted by
    field name (as the segment writer takes them) and decoded a list at a time;
    deleted documents left out (*docmap* holds the others, when there are any).
    """
    from index.internals import postings

    terms = reader._terms
    postfile = terms._postfile
    schema = reader.schema
    for fieldname in fieldnames:
        fixed = schema[fieldname].format.fixed_value_size()
        for (name, btext), info in terms.items_from(fieldname, b""):
            if name != fieldname:
                break
            if info.is_inlined():  # Whoosh 2.7.4 never writes these; decode as Whoosh does
                ids, weights, values = (list(x) for x in info.inlined_postings())
            else:
                offset, length = info.extent()
                ids, weights, decoded = postings.decode(postfile, offset, length, fixed)
                assert decoded is not None  # values are kept unless asked not to
                values = decoded
            if docmap is None:
                for docnum, weight, value in zip(ids, weights, values, strict=True):
                    yield (fieldname, btext, basedoc + docnum, weight, value)
            else:
                for docnum, weight, value in zip(ids, weights, values, strict=True):
                    if docnum in docmap:
                        yield (fieldname, btext, docmap[docnum], weight, value)


class _MemoryLengths:
    """The new segment's field lengths, read once per field instead of once per posting.

    Whoosh's ``add_postings`` asks the length of the field for every posting it
    writes (a seek and a one-byte read each: a third of a merge's time).
    Answers exactly as Whoosh's ``doc_field_length``.
    """

    def __init__(self, perdoc: Any) -> None:
        self._perdoc = perdoc
        self._raw: dict[str, bytes | None] = {}

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int | None:
        from index.internals.postings import BYTE_TO_LENGTH, length_bytes

        if fieldname not in self._raw:
            self._raw[fieldname] = length_bytes(self._perdoc, fieldname)
        raw = self._raw[fieldname]
        if raw is None or docnum >= len(raw):
            length: int | None = self._perdoc.doc_field_length(docnum, fieldname, default)
            return length
        return BYTE_TO_LENGTH[raw[docnum]]

    def close(self) -> None:
        self._perdoc.close()


def _flush_with(writer: Any, streams: list[Iterator[tuple[Any, ...]]], readers: list[Any]) -> None:
    """Make *writer* write the merged *streams* beside its own postings when it commits."""
    import heapq

    def flush() -> None:
        # As SegmentWriter._flush_segment, with the merged segments' postings added in order.
        try:
            writer.perdocwriter.close()
            pdr = writer.per_document_reader() if writer.codec.length_stats else None
            if pdr is not None:
                pdr = _MemoryLengths(pdr)
            # (field, term, docnum) never repeats across the streams: plain tuple order.
            items = heapq.merge(writer.pool.iter_postings(), *streams)
            writer.fieldwriter.add_postings(writer.schema, pdr, items)
            writer.fieldwriter.close()
            if pdr:
                pdr.close()
        finally:
            close_all(readers)

    writer._flush_segment = flush
    writer._archive_merged_readers = readers  # closed by discard() if it never flushes
