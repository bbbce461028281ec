"""Whoosh 2.7 posting lists decoded a whole list at a time.

Whoosh reads postings through matcher objects, one posting at a time in
Python; the search fast path (:mod:`index.blockeval`) and the segment merge
(:func:`index.writer.merge_into`) need whole lists, so they decode the
bytes here: one read of the list, then each block's info and data unpickled
in C. The layout is Whoosh 2.7's ``whoosh.codec.whoosh3``: a 4-byte tag, then
blocks, each a signed int length (negative for the last block), a pickled
info tuple (count, largest id, largest weight, compression, shortest and
longest field length as bytes) and the pickled, possibly zlib-compressed data
tuple (delta-coded ids, weights, values). Lists written by the archive's own
codec (:mod:`index.internals.compact`, first byte :data:`~index.internals.compact.TAG`)
are decoded from their arrays instead.
"""

from __future__ import annotations

import bisect
import io
import pickle
import struct
import zlib
from itertools import accumulate
from typing import Any

__all__ = ["BYTE_TO_LENGTH", "Unreadable", "decode", "length_bytes"]

_INT = struct.Struct("!i")
_INT_LE = struct.Struct("<i")


def _byte_to_length() -> tuple[int | None, ...]:
    from whoosh.util.numeric import byte_to_length

    # Whoosh's doc_field_length gives None for a length byte of 0 (no such field).
    return (None, *(byte_to_length(b) for b in range(1, 256)))


#: A field length as Whoosh stores it (one byte) -> the length Whoosh reports.
BYTE_TO_LENGTH = _byte_to_length()


def length_bytes(perdoc: Any, fieldname: str) -> bytes | None:
    """A segment's length column for *fieldname*: one byte per document, or None.

    None when the column is absent or not the plain byte column of Whoosh 2.7's
    codec (then ask Whoosh's ``doc_field_length``).
    """
    try:
        from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield

        column = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
        if column is None or column._typecode != "B" or column._reverse:
            return None
        raw: bytes = column._dbfile.get(column._basepos, column._count)
        return raw
    except (AttributeError, ImportError):
        return None


class Unreadable(Exception):
    """A posting list is not laid out as Whoosh 2.7 writes it."""


def decode(
    postfile: Any,
    offset: int,
    length: int | tuple[int],
    fixed_value_size: int | None,
    *,
    within: list[int] | None = None,
    keep_values: bool = True,
) -> tuple[list[int], list[float], list[Any] | None]:
    """The (ids, weights, values) of the posting list at *offset* of *postfile*.

    Values are what Whoosh's matcher gives for each posting (``m.value()``):
    the encoded bytes for a variable-size format, fixed-size slices, or None
    for a format without values.

    :param length: the list's length in bytes (Whoosh 2.7.4 reads it from the
        term info as a 1-tuple; either is taken).
    :param within: sorted docnums: only blocks whose id range may hold one of
        them are decoded, as Whoosh's ``skip_to`` does in an intersection.
    :param keep_values: off: values are not collected (None is returned).
    :raises Unreadable: the bytes are not such a posting list.
    """
    from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC

    from index.internals import compact

    if isinstance(length, tuple):
        (length,) = length
    buf = postfile.get(offset, length)
    if buf[:1] == compact.TAG:
        return _decode_compact(buf, fixed_value_size, within, keep_values)
    if buf[:4] != WHOOSH3_HEADER_MAGIC:
        raise Unreadable("posting list tag")
    stream = io.BytesIO(buf)
    unpickler = pickle.Unpickler(stream)
    unpack_int = _INT.unpack_from
    ids: list[int] = []
    weights: list[float] = []
    values: list[Any] | None = [] if keep_values else None
    pos = 4  # after the tag
    previous_max = -1
    while pos < len(buf):
        (size,) = unpack_int(buf, pos)
        pos += 4
        end = pos + abs(size)
        stream.seek(pos)
        count, max_id, _, compression, _, _ = unpickler.load()
        wanted = True
        if within is not None:
            i = bisect.bisect_right(within, previous_max)
            wanted = i < len(within) and within[i] <= max_id
        if wanted:
            data = buf[stream.tell() : end]
            if compression:
                data = zlib.decompress(data)
            raw_ids, raw_weights, raw_values = pickle.loads(data)
            ids.extend(accumulate(raw_ids))  # postings ids are always delta-coded
            if raw_weights is None:
                weights.extend([1.0] * count)
            elif isinstance(raw_weights, float):
                weights.extend([raw_weights] * count)
            else:
                weights.extend(raw_weights)
            if values is not None:
                if fixed_value_size is None or fixed_value_size < 0:
                    values.extend(raw_values)
                elif fixed_value_size == 0:
                    values.extend([None] * count)
                else:
                    step = fixed_value_size
                    values.extend(raw_values[i : i + step] for i in range(0, len(raw_values), step))
        previous_max = max_id
        pos = end
        if size < 0:
            return ids, weights, values
    raise Unreadable("posting list ends before its last block")


def _decode_compact(
    buf: bytes, fixed: int | None, within: list[int] | None, keep_values: bool
) -> tuple[list[int], list[float], list[Any] | None]:
    """:func:`decode` for a list written by :class:`index.internals.compact.CompactCodec`."""
    from index.internals.compact import INFO, decode_block, read_info

    unpack_int = _INT_LE.unpack_from
    ids: list[int] = []
    weights: list[float] = []
    values: list[Any] | None = [] if keep_values else None
    pos = 1  # after the tag
    previous_max = -1
    try:
        while pos < len(buf):
            (size,) = unpack_int(buf, pos)
            pos += 4
            end = pos + abs(size)
            count, max_id, _, compression, _, _ = read_info(buf, pos)
            wanted = True
            if within is not None:
                i = bisect.bisect_right(within, previous_max)
                wanted = i < len(within) and within[i] <= max_id
            if wanted:
                got_ids, got_weights, got_values = decode_block(
                    buf[pos + INFO.size : end], count, compression, fixed, keep_values
                )
                ids.extend(got_ids)
                weights.extend(got_weights)
                if values is not None and got_values is not None:
                    values.extend(got_values)
            previous_max = max_id
            pos = end
            if size < 0:
                return ids, weights, values
    except (ValueError, IndexError, struct.error, zlib.error) as exc:
        raise Unreadable(f"compact posting block: {exc}") from exc
    raise Unreadable("posting list ends before its last block")
