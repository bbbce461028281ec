"""JSON arrays are streamed element by element (ijson), on the real Reuters-21578 records.

A top-level array is never read whole: memory stays flat as the array grows, the
size limit applies to each element, and an array broken mid-way keeps the
elements before the break and reports the rest in one error naming the element.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import tracemalloc
from functools import cache
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.errors import InputError
from archive.ingest import (
    ArticleDraft,
    estimate,
    is_json_array,
    jsonl,
    read_bytes,
    read_path,
    read_stream,
)
from cli import cli


@cache
def _records(corpus: Path) -> tuple[dict, ...]:
    found: list[dict] = []
    for f in sorted(corpus.glob("reuters-*.json")):
        found += json.loads(f.read_text(encoding="utf-8"))
    return tuple(found)


def reuters(corpus: Path, n: int | None = None) -> list[dict]:
    """The first *n* of the 21,578 Reuters-21578 records, in file order."""
    records = _records(corpus)
    return list(records[:n] if n is not None else records)


def has_body(record: dict) -> bool:
    return bool(record.get("body", "").strip())


def element_ends(data: bytes) -> list[int]:
    """The byte offset just past each element of the JSON array *data* (ASCII JSON)."""
    text = data.decode("ascii")
    decoder = json.JSONDecoder()
    ends = []
    pos = text.index("[") + 1
    while True:
        while text[pos] in " \t\r\n,":
            pos += 1
        if text[pos] == "]":
            return ends
        _, pos = decoder.raw_decode(text, pos)
        ends.append(pos)


def split(items) -> tuple[list[ArticleDraft], list[InputError]]:
    drafts: list[ArticleDraft] = []
    errors: list[InputError] = []
    for item in items:
        (errors if isinstance(item, InputError) else drafts).append(item)
    return drafts, errors


@pytest.mark.slow
def test_all_reuters_records_as_one_array_stream(reuters_corpus: Path, tmp_path: Path) -> None:
    records = reuters(reuters_corpus)
    assert len(records) == 21_578
    f = tmp_path / "reuters.json"
    f.write_text(json.dumps(records, indent=1), encoding="utf-8")
    # Over the size limit as a whole, but every element is under it: it streams.
    assert f.stat().st_size > 1 << 20
    drafts, errors = split(read_path(f, max_bytes=1 << 20))
    assert len(drafts) == sum(map(has_body, records))
    assert len(errors) == len(records) - len(drafts)
    assert {e.reason for e in errors} == {"no article text (expected a body, text or content key)"}
    by_index = {int(d.origin.rsplit("[", 1)[1].rstrip("]")): d for d in drafts}
    last = max(by_index)
    assert by_index[last].title == records[last]["title"].strip()
    assert by_index[0].title == "BAHIA COCOA REVIEW"
    assert by_index[0].extra == {
        "topics": ["cocoa"],
        "places": ["el-salvador", "usa", "uruguay"],
        "id": "1",
    }
    no_body = [i for i, r in enumerate(records) if not has_body(r)]
    assert [e.origin for e in errors] == [f"{f.absolute()}[{i}]" for i in no_body]


@pytest.mark.slow
def test_progress_estimate_counts_array_elements(reuters_corpus: Path, tmp_path: Path) -> None:
    one = reuters_corpus / "reuters-000.json"  # under 1 MB: counted exactly
    assert one.stat().st_size < 1 << 20
    assert estimate([one]) == len(json.loads(one.read_text(encoding="utf-8"))) == 1000
    f = tmp_path / "reuters.json"
    f.write_text(json.dumps(reuters(reuters_corpus), indent=1), encoding="utf-8")
    assert 0.9 * 21_578 < estimate([f]) < 1.1 * 21_578  # from its first megabyte
    obj = tmp_path / "one.json"
    obj.write_text(json.dumps({"title": "T", "body": "B"}), encoding="utf-8")
    assert estimate([obj, one]) == 1001


@pytest.mark.slow
def test_array_on_stdin_is_streamed_with_or_without_format(
    reuters_corpus: Path, runner: CliRunner
) -> None:
    records = [r for r in reuters(reuters_corpus, 400) if has_body(r)][:150]
    data = b"\xef\xbb\xbf\n  " + json.dumps(records).encode()
    assert is_json_array(data[:8192])
    first = runner.invoke(cli, ["ingest", "-", "--format", "json", "-q"], input=data)
    assert first.exit_code == 0, first.output
    stats = json.loads(runner.invoke(cli, ["stats", "--format", "json"]).stdout)
    distinct = {" ".join(r["body"].split()) for r in records}
    assert stats["articles"] == len(distinct)
    shown = json.loads(runner.invoke(cli, ["show", "1", "--format", "json"]).stdout)
    assert (shown["title"], shown["origin"]) == (records[0]["title"], "-[0]")
    # Sniffed (no --format): the same text again, all unchanged.
    again = runner.invoke(cli, ["ingest", "-"], input=data)
    assert again.exit_code == 0, again.output
    assert again.stdout.splitlines()[-1].startswith(
        f"0 added, 0 updated, {len(records)} unchanged, 0 failed"
    )


def test_truncated_array_keeps_the_elements_before_the_cut(reuters_corpus: Path) -> None:
    records = reuters(reuters_corpus, 300)
    data = json.dumps(records, indent=2).encode()
    ends = element_ends(data)
    cut = (ends[200] + ends[201]) // 2  # inside element 201
    drafts, errors = split(read_bytes(data[:cut], "feed.json", fmt="json"))
    assert len(drafts) == sum(map(has_body, records[:201]))
    assert drafts[-1].origin == f"feed.json[{max(i for i in range(201) if has_body(records[i]))}]"
    assert str(errors[-1]) == (
        f"feed.json[201]: invalid JSON: premature EOF (at byte {cut:,}, the end of the input);"
        " this element and any after it were not read"
    )
    assert all("no article text" in e.reason for e in errors[:-1])


def test_syntax_error_mid_array_names_the_element_and_where(reuters_corpus: Path) -> None:
    records = reuters(reuters_corpus, 300)
    data = json.dumps(records).encode()
    ends = element_ends(data)
    at = ends[120]  # right after element 120, before its comma
    broken = data[:at] + b" oops" + data[at:]
    drafts, errors = split(read_bytes(broken, "feed.json", fmt="json"))
    assert len(drafts) == sum(map(has_body, records[:121]))
    last = errors[-1]
    assert last.origin == "feed.json[121]"
    m = re.fullmatch(
        r"invalid JSON: invalid char in json text \(in bytes ([\d,]+)-([\d,]+)\);"
        r" this element and any after it were not read",
        last.reason,
    )
    assert m, last.reason
    start, end = (int(g.replace(",", "")) for g in m.groups())
    assert start <= at + 1 < end and end - start <= 1 << 14


class Pipe(io.RawIOBase):
    """Bytes that can be read once, in order, as from a pipe (not seekable)."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        return self._data.readinto(buffer)


def test_bytes_that_are_not_utf8_mid_array_are_pinpointed(reuters_corpus: Path) -> None:
    records = [r for r in reuters(reuters_corpus, 100) if has_body(r)]
    data = json.dumps(records).encode()
    ends = element_ends(data)
    at = data.index(b"the", ends[40])  # inside element 41's text, well past the first 8 KB
    broken = data[:at] + "é".encode("latin-1") + data[at:]
    # From a pipe, which cannot be read again whole: the break is reported.
    stream = io.BufferedReader(Pipe(broken))
    drafts, errors = split(read_stream(stream, "feed.json", fmt="json"))
    assert len(drafts) == 41
    assert str(errors[-1]) == (
        f"feed.json[41]: invalid JSON: bytes that are not UTF-8, as JSON must be (at byte {at:,});"
        " this element and any after it were not read"
    )


def test_latin1_array_past_its_first_8k_is_read_again_whole(
    reuters_corpus: Path, tmp_path: Path
) -> None:
    records = [r for r in reuters(reuters_corpus, 200) if has_body(r)][:100]
    records[50]["body"] = "Café society. " + records[50]["body"]
    data = json.dumps(records, ensure_ascii=False).encode("latin-1")
    at = data.index(b"\xe9")
    assert at > 8192 and data[:at].isascii()  # the sniffed head is UTF-8: it is streamed
    f = tmp_path / "export.json"
    f.write_bytes(data)
    digest = hashlib.sha256()
    drafts, errors = split(read_path(f, digest=digest))
    assert errors == [] and len(drafts) == 100
    assert [d.origin for d in drafts] == [f"{f.absolute()}[{i}]" for i in range(100)]
    assert drafts[50].body.startswith("Café society. Qtly div")
    assert digest.hexdigest() == hashlib.sha256(data).hexdigest()  # each byte hashed once
    # Too big to read whole: the elements before the bad byte, then where it is.
    drafts, errors = split(read_path(f, max_bytes=len(data) - 1))
    assert len(drafts) == 50
    assert [str(e) for e in errors] == [
        f"{f.absolute()}[50]: invalid JSON: bytes that are not UTF-8, as JSON must be"
        f" (at byte {at:,}); this element and any after it were not read"
    ]


def test_element_size_limit_skips_only_the_big_elements(reuters_corpus: Path) -> None:
    records = [r for r in reuters(reuters_corpus, 400) if has_body(r)]
    data = json.dumps(records).encode()
    limit = 2000
    sizes = [len(json.dumps(r).encode()) for r in records]
    assert any(s <= limit for s in sizes) and any(s > 1.5 * limit for s in sizes)
    stream = io.BufferedReader(io.BytesIO(data))
    out = list(jsonl.parse_json_array(stream, "feed.json", max_bytes=limit))
    assert len(out) == len(records)  # one outcome per element, in order
    for i, (item, size) in enumerate(zip(out, sizes, strict=True)):
        assert item.origin == f"feed.json[{i}]"
        if size <= limit:
            assert isinstance(item, ArticleDraft), (i, size, item)
        elif size > 1.5 * limit:  # checked a read (a quarter of the limit) at a time
            assert str(item) == (
                f"feed.json[{i}]: element is over the 2,000-byte limit (see --max-size)"
            )


def test_json_object_is_still_read_whole_and_sized(reuters_corpus: Path, tmp_path: Path) -> None:
    records = [r for r in reuters(reuters_corpus, 50) if has_body(r)]
    f = tmp_path / "api.json"
    f.write_text(json.dumps({"status": "ok", "articles": records}), encoding="utf-8")
    assert not is_json_array(f.read_bytes()[:8192])
    drafts, errors = split(read_path(f))
    assert (len(drafts), errors) == (len(records), [])
    (refused,) = read_path(f, max_bytes=1000)
    assert "over the 1,000-byte limit" in str(refused)


def _peak_while_reading(data: bytes) -> tuple[int, int]:
    stream = io.BufferedReader(io.BytesIO(data))
    count = 0
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        for item in jsonl.parse_json_array(stream, "r.json", max_bytes=1 << 20):
            count += isinstance(item, ArticleDraft)
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    return peak, count


@pytest.mark.slow
def test_memory_stays_flat_as_the_array_grows(reuters_corpus: Path) -> None:
    records = reuters(reuters_corpus, 20_000)
    small = json.dumps(records[:2_000]).encode()
    large = json.dumps(records).encode()
    assert len(large) > 9 * len(small)
    _peak_while_reading(json.dumps(records[:5]).encode())  # imports and caches warmed up
    small_peak, small_count = _peak_while_reading(small)
    large_peak, large_count = _peak_while_reading(large)
    assert large_count > 9 * small_count
    # Ten times the input, not ten times the memory: the peak is a few elements' worth
    # (read whole, the peak would be about 2.6 times the input: 4.8 MB and 48 MB here).
    assert large_peak < 2 * small_peak, (small_peak, large_peak)
    assert large_peak < len(small) / 4, (large_peak, len(small))
