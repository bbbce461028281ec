"""Each segment's words of a prose field, kept in a file beside the segment.

Fuzzy words (``word~2``, the fuzzy retry) and spelling suggestions compare the
typed word with every word a field holds (:mod:`index.internals.fuzzy`). Reading
those words from Whoosh's term file (one record at a time, postings inlined) and
sorting out each exact term's form and stem took 50-100 ms per segment at 100,000
articles, again in every new process: ``goverment~2`` took 388 ms end to end where
a plain search took under 200. A segment never changes, so when a writer commits,
the lists of each segment that lacks them are written into a file beside it,
``<segment id>.words_<field>``. The words as written are kept grouped by length
(a word within two edits of a 9-letter word has 7 to 11 letters), each group
decoded only when asked for: a fuzzy word reads a few milliseconds of it. Each
list is compressed (zlib), for a file of about a third of its plain size.
A search never writes the file (searching writes nothing): a segment without it
(an archive indexed before it existed, until its next write) is read from the
term file, with the same results.

The file is never trusted blindly: its first line names the format, the segment,
the field, the segment file's size and modification time, where each list lies
and how many words it holds, and a CRC-32 of all that and of the rest. Any difference (another
segment under the same name, a file cut short or damaged) and it is ignored: the
words are read from the term file again.

Whoosh removes the file with its segment: its name (and that of a temporary file
a killed writer left) matches Whoosh's pattern of a segment's files, which
``clean_files`` deletes at each commit once the segment is gone.

Internals used: a segment's id, compound flag and storage folder (``_storage``).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import threading
import zlib
from typing import Any

__all__ = ["FORMAT", "WordLists", "build", "file_name", "folder_of", "load", "save", "written_of"]

#: The first bytes of the file, with the format's version.
FORMAT = b"archive-words 3 "
#: Exact terms (``\x01stem\x01form``) hold the forms of words whose form is not its stem.
_EXACT = "\x01"
#: A field name that can be part of a file name Whoosh's cleanup recognises.
_SAFE_FIELD = re.compile(r"[A-Za-z0-9_]+")


class WordLists:
    """One segment's words of one field, in lists named:

    ``plain``: the terms that are not exact terms, sorted; ``exact``: the exact terms,
    sorted; ``f<n>``: the words of *n* letters as written, the exact terms' forms
    first, then the stems standing as their own words; ``s<n>``: the stem each exact
    term's form there is indexed under (:meth:`stem`); ``w<n>``: the exact terms'
    forms of *n* letters, each once (spelling suggestions). A list read from a file
    is split into words when first asked for.
    """

    def __init__(self, blocks: dict[str, list[str] | memoryview], count: int) -> None:
        self._blocks = blocks
        self._lock = threading.Lock()
        #: How many terms the field holds (the bound on what a process keeps counts them).
        self.count = count

    def lines(self, name: str) -> list[str]:
        """The list *name* (empty if there is none)."""
        block = self._blocks.get(name)
        if block is None:
            return []
        if isinstance(block, memoryview):
            text = _text(block)  # (checked whole by its CRC when read)
            words = text.split("\n") if text else []
            with self._lock:
                self._blocks[name] = words
            return words
        return block

    def terms(self) -> list[str]:
        """Every term, sorted."""
        exact, plain = self.lines("exact"), self.lines("plain")
        if plain and exact and plain[0] < exact[-1]:  # (a term before the mark: none today)
            return sorted(exact + plain)
        return exact + plain

    def prefixed(self, prefix: str) -> list[str]:
        """The terms that start with *prefix*, sorted."""
        block = self._blocks.get("plain")
        if prefix[:1] > _EXACT and isinstance(block, memoryview):  # found in the text, not split
            return re.findall("(?m)^" + re.escape(prefix) + ".*", _text(block))
        if prefix[:1] > _EXACT:
            return [w for w in self.lines("plain") if w.startswith(prefix)]
        return [w for w in self.terms() if w.startswith(prefix)]

    def near(self, kind: str, length: int, maxdist: int) -> list[tuple[int, list[str]]]:
        """The lists *kind* (``f``, ``w``) of words *length* letters long give or take
        *maxdist*, with the length of each."""
        low = max(0, length - maxdist)
        return [(n, self.lines(f"{kind}{n}")) for n in range(low, length + maxdist + 1)]

    def stem(self, length: int, i: int) -> str:
        """The stem of the *i*-th word of the list ``f<length>``."""
        stems = self.lines(f"s{length}")
        return stems[i] if i < len(stems) else self.lines(f"f{length}")[i]

    def blocks(self) -> dict[str, list[str]]:
        """Every list, split."""
        return {name: self.lines(name) for name in list(self._blocks)}


def build(terms: list[str]) -> WordLists:
    """The lists of a field whose sorted terms are *terms*."""
    exact = [t for t in terms if t[:1] == _EXACT]
    plain = [t for t in terms if t[:1] != _EXACT] if exact else terms
    forms: dict[int, list[str]] = {}
    stems: dict[int, list[str]] = {}
    odd: list[str] = []  # the forms of exact terms without a stem or a form
    for term in exact:
        parts = term.split(_EXACT)
        if len(parts) == 3 and parts[1] and parts[2]:
            n = len(parts[2])
            if n not in forms:
                forms[n], stems[n] = [], []
            forms[n].append(parts[2])
            stems[n].append(parts[1])
        elif _EXACT in term[1:]:  # (as written_of reads it)
            odd.append(term[1:].split(_EXACT, 1)[1])
    for term in plain:  # a stem standing as its own word: its own form
        n = len(term)
        if n not in forms:
            forms[n], stems[n] = [], []
        forms[n].append(term)
    written: dict[int, list[str]] = {}
    for form in sorted({f for n in stems for f in forms[n][: len(stems[n])]} | set(odd)):
        written.setdefault(len(form), []).append(form)
    blocks: dict[str, list[str] | memoryview] = {"exact": exact, "plain": plain}
    blocks.update((f"f{n}", words) for n, words in forms.items())
    blocks.update((f"s{n}", words) for n, words in stems.items())
    blocks.update((f"w{n}", words) for n, words in written.items())
    return WordLists(blocks, len(terms))


def written_of(remainders: list[str]) -> list[str]:
    """The forms, sorted and each once, of exact terms less their first mark
    (``stem\\x01form``)."""
    return sorted({r.split(_EXACT, 1)[1] for r in remainders if _EXACT in r})


def folder_of(leaf: Any) -> str | None:
    """The folder holding *leaf*'s segment files (``None``: not a folder on disk)."""
    storage = getattr(leaf, "_storage", None)
    storage = getattr(storage, "b", storage)  # a compound segment: an overlay on the folder
    folder = getattr(storage, "folder", None)
    return folder if isinstance(folder, str) else None


def file_name(segment: Any, fieldname: str) -> str | None:
    """The name of *segment*'s file of *fieldname*'s words (``None``: a field name that
    cannot be part of it)."""
    if not _SAFE_FIELD.fullmatch(fieldname):
        return None
    return f"{segment.segment_id()}.words_{fieldname}"


def _stamp(folder: str, segment: Any) -> tuple[int, int] | None:
    """The size and modification time of *segment*'s file (its term file if it is not
    compound): what tells a segment from another that took its name."""
    ext = ".seg" if segment.is_compound() else ".trm"
    try:
        st = os.stat(os.path.join(folder, segment.make_filename(ext)))
    except (OSError, AttributeError):
        return None
    return st.st_size, st.st_mtime_ns


def save(folder: str, segment: Any, fieldname: str, words: WordLists) -> bool:
    """Write *words* beside *segment* (atomically: a reader sees the whole file or
    none). False: not written (a word holding a line break, a field name or folder
    that cannot hold it, an error writing it)."""
    name = file_name(segment, fieldname)
    stamp = _stamp(folder, segment)
    if name is None or stamp is None:
        return False
    parts: list[bytes] = []
    where: list[list[Any]] = []
    offset = 0
    for block, lines in sorted(words.blocks().items()):
        text = "\n".join(lines)
        if text.count("\n") != max(len(lines) - 1, 0) or (lines and not all(lines)):
            return False  # a word with a line break in it (or none): kept in memory only
        data = zlib.compress(text.encode("utf-8"), 6)
        where.append([block, offset, offset + len(data), len(lines)])
        parts.append(data)
        offset += len(data)
    payload = b"".join(parts)
    header = {
        "segment": segment.segment_id(),
        "field": fieldname,
        "stamp": list(stamp),
        "count": words.count,
        "blocks": where,
    }
    header["crc"] = _crc(header, payload)
    head = FORMAT + json.dumps(header, sort_keys=True).encode("ascii") + b"\n"
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=name + ".", suffix=".tmp")  # 0600
        with os.fdopen(fd, "wb") as f:
            f.write(head + payload)
        os.replace(tmp, os.path.join(folder, name))
    except OSError:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        return False
    return True


def _text(block: memoryview) -> str:
    """A list's words as read from the file (each list is compressed with zlib)."""
    return zlib.decompress(block).decode("utf-8")


def _crc(header: dict[str, Any], payload: bytes | memoryview) -> int:
    """The CRC-32 of the header (less its CRC) and of the lists."""
    fields = {k: v for k, v in header.items() if k != "crc"}
    return zlib.crc32(payload, zlib.crc32(json.dumps(fields, sort_keys=True).encode("utf-8")))


def load(folder: str, segment: Any, fieldname: str) -> WordLists | None:
    """*segment*'s lists of *fieldname* from its file; ``None``: no file, or one that is
    not exactly this segment's (damaged, cut short, stale), never to be trusted."""
    name = file_name(segment, fieldname)
    if name is None:
        return None
    try:
        with open(os.path.join(folder, name), "rb") as f:
            data = f.read()
    except OSError:
        return None
    try:
        return _parse(data, segment, fieldname, _stamp(folder, segment))
    except (ValueError, TypeError, KeyError, IndexError, UnicodeDecodeError):
        return None


def _parse(
    data: bytes, segment: Any, fieldname: str, stamp: tuple[int, int] | None
) -> WordLists | None:
    if not data.startswith(FORMAT) or stamp is None:
        return None
    end = data.index(b"\n")
    header = json.loads(data[len(FORMAT) : end])
    if (
        not isinstance(header, dict)
        or header.get("segment") != segment.segment_id()
        or header.get("field") != fieldname
        or header.get("stamp") != list(stamp)
    ):
        return None
    payload = memoryview(data)[end + 1 :]
    if _crc(header, payload) != header["crc"]:
        return None
    blocks: dict[str, list[str] | memoryview] = {}
    size = 0
    for name, start, stop, count in header["blocks"]:
        if not (isinstance(name, str) and isinstance(count, int) and 0 <= start <= stop):
            return None
        # (no word holds a line break and none is empty: the CRC says so, as written)
        blocks[name] = payload[start:stop]
        size = max(size, stop)
    if size != len(payload) or not isinstance(header["count"], int):
        return None
    return WordLists(blocks, header["count"])
