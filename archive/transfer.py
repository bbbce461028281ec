"""Export and import: the whole archive as JSON Lines, for backups and moving machines.

One line per article, in id order: every column of the article, ``tags`` (the
names, in order), and for each other table that hangs off an article (its
revisions, when the schema has them) a list of that table's rows under the
table's name. Dates are ISO 8601 strings. The columns are read from the
models, so a column or table a migration adds is exported without a change here.

Import goes into an empty archive only, in one transaction with one index
commit (through the same outbox as every other write), with the same ids. It is
as careful as ingest: text is cleaned the same way
(:func:`archive.text.normalize_text`: no control characters or bidirectional
overrides), the URL key and content hash are computed again, and a line with a
duplicate id, text, URL, tag or row key, a number out of SQLite's range, nesting
too deep or JSON's non-standard ``NaN``/``Infinity`` is reported with its line
number and skipped, as ingest skips a bad record: one bad line costs no other.
A UTF-8 byte order mark is accepted. Export writes strict JSON (never ``NaN``).

Format 2 (this version) adds, and format 1 (older exports: article lines only)
still imports: a kept page travels in its article's line (``pages``: the page
zlib-compressed as stored, then base64 in ``html``); after the article lines, one
line per link waiting to be fetched and one per followed feed, each with
``"_kind"`` (``"link"`` or ``"feed"``) and ``"format": 2``; a feed's line holds its
state (ETag, Last-Modified, last check) and ``entries``, the entries already taken
(GUID and when), so the next update skips them as it would have.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from archive.errors import ArchiveError
from archive.shared import follow_explicit_ids

if TYPE_CHECKING:
    from sqlalchemy import Table

    from archive.facade import Archive
    from archive.progress import Progress

#: Articles read or written per query.
CHUNK = 500
_SKIP = {"index_outbox", "alembic_version"}


class ImportError_(ArchiveError):  # noqa: N801 - never shadow the builtin ImportError
    """The file could not be imported."""


def _tables() -> tuple[Table, Table, list[tuple[Table, str]]]:
    """The articles table, the tags table, and every other table with a key to articles."""
    from archive.models import Base

    meta = Base.metadata
    articles, tags = meta.tables["articles"], meta.tables["tags"]
    children = []
    for table in meta.sorted_tables:
        if table.name in _SKIP or table in (articles, tags):
            continue
        for fk in table.foreign_keys:
            if fk.column.table is articles:
                children.append((table, fk.parent.name))
                break
    return articles, tags, children


def _is_datetime(column: Any) -> bool:
    from sqlalchemy import DateTime

    return isinstance(column.type, DateTime)


def _encode(table: Table, row: Any, *, drop: str | None = None) -> dict[str, Any]:
    out = {}
    for column in table.columns:
        if column.name == drop:
            continue
        value = row[column.name]
        if value is not None and _is_datetime(column):
            value = value.isoformat()
        elif isinstance(value, bytes):
            value = base64.b64encode(value).decode("ascii")
        out[column.name] = value
    return out


def export_lines(archive: Archive | ReadOnlyArchive) -> Iterator[str]:
    """The archive as JSON lines (each ending in a newline), from one consistent snapshot."""
    from sqlalchemy import select

    articles, tags, children = _tables()
    with archive.store.session() as session:  # one read transaction: one snapshot
        conn = session.connection()
        if conn.dialect.name == "postgresql":
            # PostgreSQL's default (read committed) takes a new snapshot per statement:
            # pages read later would hold articles committed after the export began.
            conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        last = 0
        while True:
            page = select(articles).where(articles.c.id > last).order_by(articles.c.id)
            rows = conn.execute(page.limit(CHUNK)).mappings().all()
            if not rows:
                yield from section_lines(conn)
                return
            ids = [r["id"] for r in rows]
            last = ids[-1]
            names: dict[int, list[str]] = {i: [] for i in ids}
            for aid, name in conn.execute(
                select(tags.c.article_id, tags.c.name)
                .where(tags.c.article_id.in_(ids))
                .order_by(tags.c.article_id, tags.c.position)
            ):
                names[aid].append(name)
            extra: dict[str, dict[int, list[dict[str, Any]]]] = {}
            for table, key in children:
                grouped: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
                pk = list(table.primary_key.columns)
                query = select(table).where(table.c[key].in_(ids)).order_by(*pk)
                for row in conn.execute(query).mappings():
                    grouped[row[key]].append(_encode(table, row, drop=key))
                extra[table.name] = grouped
            for row in rows:
                record = _encode(articles, row)
                record["tags"] = names[row["id"]]
                for name, grouped in extra.items():
                    record[name] = grouped[row["id"]]
                yield strict_json(record) + "\n"


def strict_json(value: Any) -> str:
    """*value* as standard JSON: a float that is not finite (which JSON cannot hold, and
    which an older version may have stored) is written as its text, never bare ``NaN``."""
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False)
    except ValueError:
        return json.dumps(_finite(value), ensure_ascii=False, allow_nan=False)


def _finite(value: Any) -> Any:
    import math

    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


#: The range of SQLite's integers (signed 64 bits).
INT_RANGE = (-(2**63), 2**63 - 1)
#: Columns holding an article's text, cleaned as ingest cleans it.
_TEXT_COLUMNS = {"body", "text"}
#: Columns holding one line, cleaned as ingest cleans it.
_LINE_COLUMNS = {"title", "author", "source", "url", "name"}


def export(
    archive: Archive | ReadOnlyArchive, out: IO[str], others: dict[str, int] | None = None
) -> int:
    """Write the archive to *out* as JSON Lines; returns the number of articles.

    :param others: if given, filled with the number of links and feeds written.
    """
    count = 0
    archive.progress.phase("exporting", archive.count())
    for line in export_lines(archive):
        out.write(line)
        if line.startswith('{"_kind": "'):
            kind = SECTION_KINDS[line[11:].split('"', 1)[0]]
            if others is not None:
                others[kind] = others.get(kind, 0) + 1
            continue
        count += 1
        archive.progress.advance()
    out.flush()
    return count


class ReadOnlyArchive:
    """What :func:`export` reads, from a home the user may read but not write: the
    database read as it is (no lock, no upgrade, no index work settled)."""

    def __init__(self, home: Path, progress: Progress | None = None) -> None:
        from archive.home import Home
        from archive.progress import Progress
        from archive.store import Store

        self.home = home
        self.store = Store.read_only(Home(home).db)
        self.progress = progress or Progress()

    def count(self) -> int:
        from archive.store import count_articles

        return count_articles(self.store.path)

    def close(self) -> None:
        self.store.close()


def export_file(
    archive: Archive | ReadOnlyArchive, path: Path, others: dict[str, int] | None = None
) -> int:
    """Write the archive to the file *path* (0600), complete or not at all.

    It is written beside *path* under a temporary name and renamed when done, so
    an interrupted export never leaves a file that looks like a whole backup.
    """
    path = path.expanduser()
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
    except OSError as exc:
        raise ArchiveError(f"cannot write {path} ({exc.strerror})") from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            count = export(archive, out, others)
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return count


def _decode(table: Table, data: Any, where: str, *, fixed: dict[str, Any]) -> dict[str, Any]:
    from sqlalchemy import JSON, LargeBinary

    from archive.text import normalize_line, normalize_text

    if not isinstance(data, dict):
        raise ImportError_(f"{where}: expected an object, found {type(data).__name__}")
    known = {c.name for c in table.columns}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ImportError_(
            f"{where}: unknown field {', '.join(map(repr, unknown))} (was the file made "
            "by a newer version of the tool?)"
        )
    row = dict(fixed)
    for column in table.columns:
        if column.name in fixed:
            continue
        value = data.get(column.name)
        if value is None:
            if not column.nullable and not column.primary_key and column.default is None:
                raise ImportError_(f"{where}: '{column.name}' is missing")
            row[column.name] = None
            continue
        if _is_datetime(column):
            try:
                value = datetime.fromisoformat(value)
            except (TypeError, ValueError):
                raise ImportError_(f"{where}: '{column.name}' is not a date: {value!r}") from None
        elif isinstance(column.type, LargeBinary):
            value = _binary(value, f"{where}: '{column.name}'")
        elif not isinstance(column.type, JSON):  # a JSON column holds any JSON value
            expected = column.type.python_type
            if not isinstance(value, expected) or isinstance(value, bool) != (expected is bool):
                shown = repr(value) if len(repr(value)) < 80 else f"{repr(value)[:60]}…"
                raise ImportError_(
                    f"{where}: '{column.name}' should be {expected.__name__}, not {shown}"
                )
            if expected is int and not INT_RANGE[0] <= value <= INT_RANGE[1]:
                raise ImportError_(
                    f"{where}: '{column.name}' is out of range (over 64 bits): {value}"
                )
            if isinstance(value, str) and column.name in _TEXT_COLUMNS:
                value = normalize_text(value)
            elif isinstance(value, str) and column.name in _LINE_COLUMNS:
                value = normalize_line(value) or (None if column.nullable else value)
        row[column.name] = value
    return row


def _records(
    lines: Iterable[str], name: str
) -> Iterator[tuple[int, dict[str, Any] | ImportError_]]:
    """Each non-blank line's number and its object (or the error that says why it is not one)."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if number == 1:
            line = line.removeprefix("\ufeff")  # a byte order mark
        try:
            data = json.loads(line, parse_constant=_no_constant)
        except ValueError as exc:
            yield number, ImportError_(f"{name}, line {number}: not valid JSON ({exc})")
            continue
        except RecursionError:
            yield number, ImportError_(f"{name}, line {number}: not valid JSON (nested too deeply)")
            continue
        if not isinstance(data, dict):
            yield number, ImportError_(f"{name}, line {number}: expected a JSON object")
            continue
        yield number, data


def _no_constant(word: str) -> Any:
    raise ValueError(f"{word} is not standard JSON")


def import_lines(
    archive: Archive,
    lines: Iterable[str],
    name: str = "-",
    total: int | None = None,
    others: dict[str, int] | None = None,
    *,
    on_error: Callable[[ImportError_], object] | None = None,
) -> int:
    """Import an export into *archive*, which must be empty; returns the number of articles.

    Every article comes in with its id, in one transaction with one index commit.
    A line that is not a valid article (bad JSON, a duplicate id, text, URL or tag,
    a number out of range...) is told to *on_error*, naming its line, and skipped:
    every other line is imported. Without *on_error*, the first such line raises
    and nothing is imported.

    :param total: the number of lines, if known (for the progress bar).
    :param others: if given, filled with the number of links and feeds imported.
    :param on_error: called with each bad line's error, as it is met.
    :raises ArchiveError: the archive is not empty, or the file is not an export
        (nothing is imported then), or a line is bad and there is no *on_error*.
    """
    from sqlalchemy import func, insert, select

    from archive import neardup
    from archive.merging import not_an_export
    from archive.models import Article

    articles, tags, children = _tables()
    count = 0
    records = _records(lines, name)
    head: list[tuple[int, dict[str, Any] | ImportError_]] = []
    for line in records:  # up to the first object, which tells an export from a feed
        head.append(line)
        if isinstance(line[1], dict):
            if problem := not_an_export(line[1], f"{name}, line {line[0]}"):
                raise problem
            break
    with archive.keeper.writing() as (session, changes):
        conn = session.connection()
        present = conn.scalar(select(func.count()).select_from(articles)) or 0
        if present:
            raise ArchiveError(
                f"the archive at {archive.home} already holds {present} "
                f"article{'s' if present != 1 else ''}; import "
                "into an empty archive (give a new directory with --home), "
                "or merge into this one with 'import --merge'"
            )
        seen = _Seen()
        archive.progress.phase("importing", total, unit="lines")
        done = [0]  # lines read up to the last batch
        batch: list[tuple[int, dict[str, Any]]] = []

        def flush() -> None:
            ids = [rec["id"] for _, rec in batch]
            conn.execute(insert(articles), [rec["_row"] for _, rec in batch])
            tag_rows = [
                {"article_id": rec["id"], "name": t, "position": n}
                for _, rec in batch
                for n, t in enumerate(rec["_tags"])
            ]
            if tag_rows:
                conn.execute(insert(tags), tag_rows)
            for table, _key in children:
                rows = [r for _, rec in batch for r in rec["_children"].get(table.name, [])]
                if rows:
                    conn.execute(insert(table), rows)
            stored = session.scalars(select(Article).where(Article.id.in_(ids))).all()
            neardup.remember(session, ((a.id, neardup.shingles(a.body)) for a in stored))
            changes.upsert(stored)
            session.expunge_all()
            archive.progress.advance(batch[-1][0] - done[0])
            done[0] = batch[-1][0]
            batch.clear()

        sections: list[tuple[str, dict[str, Any]]] = []
        for number, data in itertools.chain(head, records):
            if isinstance(data, dict) and "_kind" in data:  # a link or a feed (format 2)
                sections.append((f"{name}, line {number}", data))
                continue
            try:
                if isinstance(data, ImportError_):
                    raise data
                record = _record(data, f"{name}, line {number}", seen, articles, children)
            except ImportError_ as exc:
                if on_error is None:
                    raise
                on_error(exc)
                continue
            batch.append((number, record))
            count += 1
            if len(batch) >= CHUNK:
                flush()
        if batch:
            flush()
        done_others = import_sections(conn, sections, on_error)
        follow_explicit_ids(conn)  # (PostgreSQL: new ids after the imported ones)
    if others is not None:
        others.update(done_others)
    return count


class _Seen:
    """What the lines imported so far hold that must be unique: ids, texts, URLs, and
    the keys of the rows hanging off the articles."""

    def __init__(self) -> None:
        self.ids: set[int] = set()
        self.hashes: dict[str, int] = {}
        self.urls: dict[str, int] = {}
        self.keys: dict[str, set[tuple[Any, ...]]] = {}


def _record(
    data: dict[str, Any],
    where: str,
    seen: _Seen,
    articles: Table,
    children: list[tuple[Table, str]],
) -> dict[str, Any]:
    """One export line's rows, checked against the lines before it (which it joins).

    :raises ImportError_: the line is not a valid article; *seen* is left as it was.
    """
    from archive.text import content_hash, normalize_line
    from archive.urls import canonical_url

    child_names = {t.name: (t, key) for t, key in children}
    data = dict(data)
    tag_names = data.pop("tags", [])
    if not isinstance(tag_names, list) or not all(isinstance(t, str) for t in tag_names):
        raise ImportError_(f"{where}: 'tags' should be a list of names")
    tag_names = [normalize_line(t) for t in tag_names]
    for n, tag in enumerate(tag_names):
        if not tag:
            raise ImportError_(f"{where}: a tag is empty")
        if tag in tag_names[:n]:
            raise ImportError_(f"{where}: tag {tag!r} appears twice")
    nested = {k: data.pop(k) for k in list(data) if k in child_names}
    if isinstance(data.get("body"), str):
        data["content_hash"] = "-"  # (computed below, from the cleaned text)
    row = _decode(articles, data, where, fixed={})
    if isinstance(row.get("body"), str):
        # The hash is the text's identity: computed here, as for any new text.
        row["content_hash"] = content_hash(row["body"])
    row["url_key"] = canonical_url(row.get("url"))
    aid = row["id"]
    if not isinstance(aid, int) or isinstance(aid, bool) or aid < 1:
        raise ImportError_(f"{where}: 'id' should be a positive whole number")
    if aid in seen.ids:
        raise ImportError_(f"{where}: article id {aid} appears twice")
    if not row["body"]:
        raise ImportError_(f"{where}: the article has no text")
    if row["content_hash"] in seen.hashes:
        raise ImportError_(f"{where}: same text as article {seen.hashes[row['content_hash']]}")
    if row["url_key"] is not None and row["url_key"] in seen.urls:
        raise ImportError_(
            f"{where}: same URL as article {seen.urls[row['url_key']]}: {row['url']}"
        )
    rows_by_table: dict[str, list[dict[str, Any]]] = {}
    new_keys: dict[str, set[tuple[Any, ...]]] = {}
    for table_name, items in nested.items():
        table, key = child_names[table_name]
        if not isinstance(items, list):
            raise ImportError_(f"{where}: '{table_name}' should be a list")
        rows = [_decode(table, item, f"{where}, {table_name}", fixed={key: aid}) for item in items]
        pk = [c.name for c in table.primary_key.columns]
        mine = new_keys.setdefault(table_name, set())
        for item in rows:
            k = tuple(item.get(c) for c in pk)
            if None in k:
                continue  # (a key the database gives)
            if k in mine or k in seen.keys.get(table_name, ()):
                raise ImportError_(
                    f"{where}, {table_name}: {', '.join(pk)} {k[0] if len(k) == 1 else k} "
                    "appears twice"
                )
            mine.add(k)
        rows_by_table[table_name] = rows
    seen.ids.add(aid)
    seen.hashes[row["content_hash"]] = aid
    if row["url_key"] is not None:
        seen.urls[row["url_key"]] = aid
    for table_name, keys in new_keys.items():
        seen.keys.setdefault(table_name, set()).update(keys)
    return {"id": aid, "_row": row, "_tags": tag_names, "_children": rows_by_table}


def import_file(
    archive: Archive,
    path: Path,
    others: dict[str, int] | None = None,
    *,
    on_error: Callable[[ImportError_], object] | None = None,
) -> int:
    """Import the export file at *path* (``-``: standard input); see :func:`import_lines`."""
    import sys

    if str(path) == "-":
        return import_lines(archive, sys.stdin, "-", others=others, on_error=on_error)
    try:
        total = line_count(path.expanduser())
        with path.expanduser().open(encoding="utf-8-sig") as lines:
            return import_lines(archive, lines, str(path), total, others, on_error=on_error)
    except UnicodeDecodeError as exc:
        raise ImportError_(f"{path}: not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise ArchiveError(f"cannot read {path} ({exc.strerror})") from exc


def line_count(path: Path) -> int:
    """The number of lines in the file at *path* (for a progress bar's total)."""
    count, last = 0, b"\n"
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    return count + (last != b"\n")


# --- Format 2: links waiting to be fetched and followed feeds, after the articles ---

#: The version of the export format written (format 1: article lines only).
FORMAT = 2
#: ``_kind`` of a line that is not an article -> its table.
SECTION_KINDS = {"link": "links", "feed": "feeds"}


def section_lines(conn: Any) -> Iterator[str]:
    """The lines after the articles: each link waiting, then each feed with its state and
    the entries already taken."""
    from sqlalchemy import select

    from archive.models import Base

    tables = Base.metadata.tables
    links, feeds, entries = tables["links"], tables["feeds"], tables["feed_entries"]
    for row in conn.execute(select(links).order_by(links.c.id)).mappings():
        yield strict_json({"_kind": "link", "format": FORMAT, **_encode(links, row)}) + "\n"
    taken: dict[int, list[dict[str, Any]]] = {}
    query = select(entries).order_by(entries.c.feed_id, entries.c.guid)
    for row in conn.execute(query).mappings():
        taken.setdefault(row["feed_id"], []).append(_encode(entries, row, drop="feed_id"))
    for row in conn.execute(select(feeds).order_by(feeds.c.id)).mappings():
        record = {"_kind": "feed", "format": FORMAT, **_encode(feeds, row)}
        record["entries"] = taken.get(row["id"], [])
        yield strict_json(record) + "\n"


def import_sections(
    conn: Any,
    sections: list[tuple[str, dict[str, Any]]],
    on_error: Callable[[ImportError_], object] | None = None,
) -> dict[str, int]:
    """Insert the links and feeds of an export (each line checked first: an error names
    the line and, given *on_error*, the line is skipped as a bad article line is);
    returns how many of each (``links``, ``feeds``)."""
    from sqlalchemy import func, insert, select

    from archive.models import Base

    if not sections:
        return {}
    tables = Base.metadata.tables
    rows: dict[str, list[dict[str, Any]]] = {"links": [], "feeds": [], "feed_entries": []}
    seen: dict[tuple[str, Any], str] = {}
    for where, data in sections:
        try:
            _section_rows(where, data, tables, rows, seen)
        except ImportError_ as exc:
            if on_error is None:
                raise
            on_error(exc)
    for name in ("links", "feeds"):
        present = conn.scalar(select(func.count()).select_from(tables[name])) or 0
        if present and rows[name]:
            raise ImportError_(
                f"the archive already holds {present} {name[:-1]}{'s' if present != 1 else ''}"
                "; import into an empty archive (give a new directory with --home)"
            )
    for name in ("links", "feeds", "feed_entries"):
        if rows[name]:
            conn.execute(insert(tables[name]), rows[name])
    return {name: len(rows[name]) for name in ("links", "feeds") if rows[name]}


def _binary(value: Any, where: str) -> bytes:
    """A binary column's base64 text as bytes (a kept page: checked to decompress)."""
    import binascii
    import zlib

    if not isinstance(value, str):
        raise ImportError_(f"{where} should be base64 text, not {type(value).__name__}")
    try:
        data = base64.b64decode(value, validate=True)
        zlib.decompress(data)
    except (binascii.Error, ValueError):
        raise ImportError_(f"{where} is not valid base64") from None
    except zlib.error:
        raise ImportError_(f"{where} is not a page compressed as the archive keeps it") from None
    return data


def _section_rows(
    where: str,
    data: dict[str, Any],
    tables: Any,
    rows: dict[str, list[dict[str, Any]]],
    seen: dict[tuple[str, Any], str],
) -> None:
    """Check one link or feed line and add its rows to *rows* (nothing, if it is bad).

    :raises ImportError_: the line is not a valid link or feed.
    """
    from archive.urls import canonical_url
    from archive.web import is_url

    data = dict(data)
    kind, version = data.pop("_kind"), data.pop("format", None)
    if kind not in SECTION_KINDS or not isinstance(version, int) or version > FORMAT:
        raise ImportError_(
            f"{where}: a {kind!r} line of export format {version!r}, which this version "
            f"does not know (it reads formats 1 to {FORMAT}; was the file made by a "
            "newer version of the tool?)"
        )
    table = tables[SECTION_KINDS[kind]]
    taken = data.pop("entries", []) if kind == "feed" else []
    if kind == "link":
        data["url_key"] = "-"  # (computed below, from the address)
    row = _decode(table, data, where, fixed={})
    if not isinstance(row["id"], int) or row["id"] < 1:
        raise ImportError_(f"{where}: 'id' should be a positive whole number")
    if kind == "link":
        row["url_key"] = canonical_url(row["url"])
        if row["url_key"] is None or not is_url(row["url"]):
            raise ImportError_(f"{where}: not a web address: {row['url']!r}")
    if not isinstance(taken, list):
        raise ImportError_(f"{where}: 'entries' should be a list")
    entries = tables["feed_entries"]
    entry_rows = [
        _decode(entries, item, f"{where}, entries", fixed={"feed_id": row["id"]}) for item in taken
    ]
    keys = [(kind, row["id"]), (kind + " address", row.get("url_key") or row["url"])]
    for key in keys:
        if key in seen:
            raise ImportError_(f"{where}: the same {key[0]} as {seen[key]}")
    seen.update(dict.fromkeys(keys, where))
    rows[table.name].append(row)
    rows["feed_entries"] += entry_rows
