"""A compact posting format: Whoosh 2.7's W3 codec with posting blocks written without pickling.

Whoosh 2.7.4's W3 codec pickles each block of up to 128 postings (a tuple of
delta-coded ids, weights and values) with protocol 2, then zlib-compresses
it, and pickles the block's info tuple too. On Python 3 protocol 2 writes each
``bytes`` value as a call to ``_codecs.encode(str, "latin1")``: a posting's
few bytes of positions take three times their size before compression, and
the postings were 60% of the index (``bench/README.md``, "Why the index is 5x
the text"). :class:`CompactCodec` writes the same postings as arrays:

* a posting list starts with the tag :data:`TAG` (one byte);
* each block is a signed 4-byte length (negative for the last block), the
  info :data:`INFO` (count, largest id, largest weight as float32,
  compression, shortest and longest field length as Whoosh's length bytes),
  then the data, raw-deflated when that is smaller:
  the ids' deltas as one array (``B``, ``H`` or ``I``, the narrowest that
  holds them, named by a leading byte), the weights (none when all are 1.0,
  one float32 when all are equal, bytes of multiples of the field boost when
  they all are, else float32s), and the values (variable-size: their lengths
  as an array, then their bytes one after the other; fixed-size: their bytes).

Arrays are little-endian. Reading a block is a handful of C calls
(``array.frombytes``, ``itertools.accumulate``, slicing): no unpickling.

Whoosh pickles each segment's codec into the index's TOC, so this module's path
and :class:`CompactCodec`'s name are part of the file format. Readers go through
:class:`CompactLeafMatcher`, a Whoosh matcher: Whoosh's public search API reads
such segments as it reads its own; :func:`index.internals.postings.decode` decodes
them whole for the fast paths. Writers use the codec only with the gate open
(:func:`codec`); closed, Whoosh's W3 codec.
"""

from __future__ import annotations

import struct
import sys
import zlib
from array import array
from itertools import accumulate, pairwise
from typing import Any

from whoosh.codec.whoosh3 import W3Codec, W3LeafMatcher, W3PostingsWriter
from whoosh.util.numeric import byte_to_length, length_to_byte

__all__ = ["TAG", "CompactCodec", "CompactLeafMatcher", "decode_block", "read_info"]

#: First byte of a posting list in this format (Whoosh's W3 lists start with the four
#: bytes ``W3Bl``: one byte is enough to tell them apart).
TAG = b"\xa7"

#: A block's info: count, largest id, largest weight, compression, min and max length bytes.
INFO = struct.Struct("<BIfBBB")
#: Most postings in a block (its count is one byte).
BLOCK_LIMIT = 255
_LENGTH = struct.Struct("<i")

_TYPECODES = ("B", "H", "I")
_SIZES = (1, 2, 4)
_SWAP = sys.byteorder == "big"

# Weights: all 1.0 | one float32 for all | multiples (B) of a float32 unit | float32 each.
_ONES, _SAME, _MULTIPLES, _FLOATS = range(4)


def narrowest(values: Any) -> int:
    """The index in :data:`_TYPECODES` of the narrowest array holding *values* (>= 0)."""
    top = max(values, default=0)
    return 0 if top < 0x100 else 1 if top < 0x10000 else 2


def pack(tag: int, values: Any) -> bytes:
    """*values* as a little-endian array of typecode ``_TYPECODES[tag]``."""
    arr = array(_TYPECODES[tag], values)
    if _SWAP:
        arr.byteswap()
    return arr.tobytes()


def unpack(tag: int, data: bytes | memoryview) -> Any:
    """The integers of a little-endian array of typecode ``_TYPECODES[tag]``."""
    if tag == 0:
        return data  # bytes iterate as their integers
    arr = array(_TYPECODES[tag])
    arr.frombytes(data)
    if _SWAP:
        arr.byteswap()
    return arr


def _floats(data: bytes | memoryview) -> array[float]:
    arr = array("f")
    arr.frombytes(data)
    if _SWAP:
        arr.byteswap()
    return arr


class CompactCodec(W3Codec):
    """Whoosh's W3 codec (same term, length and stored-field files) with compact posting blocks."""

    def postings_writer(self, dbfile: Any, byteids: bool = False) -> Any:
        if byteids:  # term vectors (the archive keeps none): Whoosh's own blocks
            return super().postings_writer(dbfile, byteids=byteids)
        return CompactPostingsWriter(
            dbfile,
            blocklimit=min(self._blocklimit, BLOCK_LIMIT),
            compression=self._compression,
            inlinelimit=self._inlinelimit,
        )

    def postings_reader(
        self, dbfile: Any, terminfo: Any, format_: Any, term: Any = None, scorer: Any = None
    ) -> Any:
        if terminfo.is_inlined():
            return super().postings_reader(dbfile, terminfo, format_, term=term, scorer=scorer)
        offset, length = terminfo.extent()
        return CompactLeafMatcher(dbfile, offset, length, format_, term=term, scorer=scorer)


class CompactPostingsWriter(W3PostingsWriter):
    """Whoosh's postings writer, its blocks written as arrays instead of pickles."""

    def _write_block(self, last: bool = False) -> None:
        if not self._blockcount:
            self._postfile.write(TAG)
        self._terminfo.add_block(self)
        ids = self._ids
        count = len(ids)
        deltas = [b - a for a, b in pairwise((0, *ids))]
        tag = narrowest(deltas)
        parts = [bytes((tag,)), pack(tag, deltas)]
        parts.extend(self._weight_parts())
        fixed = self._format.fixed_value_size()
        values = self._values
        if fixed is None or fixed < 0:
            lengths = [len(v) for v in values]
            tag = narrowest(lengths)
            parts += [bytes((tag,)), pack(tag, lengths), *values]
        elif fixed > 0:
            parts.extend(values)
        data = b"".join(parts)
        comp = 0
        if self._compression and len(data) > 16:
            packed = zlib.compress(data, self._compression, wbits=-15)
            if len(packed) < len(data):
                data, comp = packed, self._compression
        info = INFO.pack(
            count,
            ids[-1],
            max(self._weights),
            comp,
            length_to_byte(self._minlength),
            length_to_byte(self._maxlength),
        )
        size = len(info) + len(data)
        self._postfile.write(_LENGTH.pack(-size if last else size))
        self._postfile.write(info)
        self._postfile.write(data)
        self._blockcount += 1
        self._new_block()

    def _weight_parts(self) -> list[bytes]:
        weights = self._weights  # array("f"): what Whoosh's block keeps
        first = weights[0]
        if all(w == first for w in weights):
            if first == 1.0:
                return [bytes((_ONES,))]
            return [bytes((_SAME,)), array("f", [first]).tobytes()]
        unit = float(self._format.field_boost) or 1.0
        ks = [round(w / unit) for w in weights]
        if max(ks) < 0x100 and min(ks) >= 0 and array("f", [k * unit for k in ks]) == weights:
            return [bytes((_MULTIPLES,)), _unit(unit), bytes(ks)]
        floats = array("f", weights)
        if _SWAP:
            floats.byteswap()
        return [bytes((_FLOATS,)), floats.tobytes()]


def _unit(unit: float) -> bytes:
    arr = array("f", [unit])
    if _SWAP:
        arr.byteswap()
    return arr.tobytes()


def read_info(buf: bytes | memoryview, pos: int) -> tuple[int, int, float, int, int, int]:
    """A block's info at *pos* of *buf* (see :data:`INFO`)."""
    got: tuple[int, int, float, int, int, int] = INFO.unpack_from(buf, pos)
    return got


def decode_block(
    data: bytes, count: int, compression: int, fixed: int | None, keep_values: bool = True
) -> tuple[list[int], Any, list[Any] | None]:
    """A block's (ids, weights, values) from its data bytes (after the info).

    Values are as Whoosh's matcher gives them: bytes for a variable-size format,
    slices of the fixed size, or None each for a format without values.
    """
    if compression:
        data = zlib.decompress(data, -15)
    tag = data[0]
    end = 1 + count * _SIZES[tag]
    ids = list(accumulate(unpack(tag, data[1:end])))
    mode = data[end]
    pos = end + 1
    weights: Any
    if mode == _ONES:
        weights = [1.0] * count
    elif mode == _SAME:
        weights = [_floats(data[pos : pos + 4])[0]] * count
        pos += 4
    elif mode == _MULTIPLES:
        unit = _floats(data[pos : pos + 4])[0]
        weights = array("f", [k * unit for k in data[pos + 4 : pos + 4 + count]]).tolist()
        pos += 4 + count
    elif mode == _FLOATS:
        weights = _floats(data[pos : pos + 4 * count]).tolist()
        pos += 4 * count
    else:
        raise ValueError(f"unknown weights mode {mode}")
    if not keep_values:
        return ids, weights, None
    values: list[Any]
    if fixed is None or fixed < 0:
        tag = data[pos]
        start = pos + 1 + count * _SIZES[tag]
        lengths = unpack(tag, data[pos + 1 : start])
        ends = list(accumulate(lengths, initial=start))
        values = [data[a:b] for a, b in pairwise(ends)]
        pos = ends[-1]
    elif fixed == 0:
        values = [None] * count
    else:
        values = [data[i : i + fixed] for i in range(pos, pos + count * fixed, fixed)]
        pos += count * fixed
    if pos != len(data) or len(values) != count:
        raise ValueError("a posting block's data does not add up")
    return ids, weights, values


class CompactLeafMatcher(W3LeafMatcher):
    """Whoosh's block matcher, reading :class:`CompactCodec`'s blocks."""

    #: The block's decoded (ids, weights, values), or None until read.
    _data: Any

    def _read_header(self) -> None:
        postfile = self._postfile
        postfile.seek(self._startoffset)
        tag = postfile.read(1)
        if tag != TAG:
            raise ValueError(f"not a compact posting list (tag {tag!r})")
        self._baseoffset = postfile.tell()

    def _goto(self, position: int) -> None:
        postfile = self._postfile
        self._data = None
        self._ids = None
        self._weights = None
        self._values = None
        self._i = 0
        head = postfile.get(position, 4 + INFO.size)
        (length,) = _LENGTH.unpack_from(head, 0)
        if length < 0:
            self._lastblock = True
            length = -length
        self._nextoffset = position + 4 + length
        self._dataoffset = position + 4 + INFO.size
        count, maxid, maxweight, comp, mnlen, mxlen = read_info(head, 4)
        self._blocklength = count
        self._maxid = maxid
        self._maxweight = maxweight
        self._compression = comp
        self._minlength = byte_to_length(mnlen)
        self._maxlength = byte_to_length(mxlen)

    def _read_data(self) -> None:
        raw = self._postfile.get(self._dataoffset, self._nextoffset - self._dataoffset)
        ids, weights, values = decode_block(
            raw, self._blocklength, self._compression, self._fixedsize
        )
        self._data = (tuple(ids), array("f", weights), tuple(values or ()))

    def _read_ids(self) -> None:
        if self._data is None:
            self._read_data()
        self._ids = self._data[0]

    def _read_weights(self) -> None:
        if self._data is None:
            self._read_data()
        self._weights = self._data[1]

    def _read_values(self) -> None:
        if self._data is None:
            self._read_data()
        self._values = self._data[2]
