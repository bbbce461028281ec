"""Export and import: the whole archive as JSON Lines, for backups and moving machines.

One line per article, in id order: every column of the article, ``tags`` (the
names, in order), and for each other table that hangs off an article (its
revisions, when the schema has them) a list of that table's rows under the
table's name. Dates are ISO 8601 strings. The columns are read from the
models, so a column or table a migration adds is exported without a change here.

Import goes into an empty archive only, in one transaction with one index
commit (through the same outbox as every other write): either the whole file
goes in, with the same ids, or nothing does. It is as careful as ingest: text is
cleaned the same way (:func:`archive.text.normalize_text`: no control characters
or bidirectional overrides), the URL key and content hash are computed again, a
duplicate id, text, URL or tag, a number out of SQLite's range, nesting too deep
and JSON's non-standard ``NaN``/``Infinity`` are errors naming the line. A UTF-8
byte order mark is accepted. Export writes strict JSON (never ``NaN``).
"""

from __future__ import annotations

import itertools
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from archive.errors import ArchiveError
from archive.shared import follow_explicit_ids

if TYPE_CHECKING:
    from sqlalchemy import Table

    from archive.facade import Archive

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
        out[column.name] = value
    return out


def export_lines(archive: Archive) -> Iterator[str]:
    """The archive as JSON lines (each ending in a newline), from one consistent snapshot."""
    from sqlalchemy import select

    articles, tags, children = _tables()
    with archive.store.session() as session:  # one read transaction: one snapshot
        conn = session.connection()
        last = 0
        while True:
            page = select(articles).where(articles.c.id > last).order_by(articles.c.id)
            rows = conn.execute(page.limit(CHUNK)).mappings().all()
            if not rows:
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


def export(archive: Archive, out: IO[str]) -> int:
    """Write the archive to *out* as JSON Lines; returns the number of articles."""
    count = 0
    archive.progress.phase("exporting", archive.count())
    for line in export_lines(archive):
        out.write(line)
        count += 1
        archive.progress.advance()
    out.flush()
    return count


def export_file(archive: Archive, path: Path) -> int:
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
            count = export(archive, out)
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return count


def _decode(table: Table, data: Any, where: str, *, fixed: dict[str, Any]) -> dict[str, Any]:
    from sqlalchemy import JSON

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


def _records(lines: Iterable[str], name: str) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if number == 1:
            line = line.removeprefix("\ufeff")  # a byte order mark
        try:
            data = json.loads(line, parse_constant=_no_constant)
        except ValueError as exc:
            raise ImportError_(f"{name}, line {number}: not valid JSON ({exc})") from None
        except RecursionError:
            raise ImportError_(
                f"{name}, line {number}: not valid JSON (nested too deeply)"
            ) from None
        if not isinstance(data, dict):
            raise ImportError_(f"{name}, line {number}: expected a JSON object")
        yield number, data


def _no_constant(word: str) -> Any:
    raise ValueError(f"{word} is not standard JSON")


def import_lines(
    archive: Archive, lines: Iterable[str], name: str = "-", total: int | None = None
) -> int:
    """Import an export into *archive*, which must be empty; returns the number of articles.

    :param total: the number of lines, if known (for the progress bar).
    :raises ArchiveError: the archive is not empty, or a line is not a valid
        article (its line number is given); nothing is imported then.
    """
    from sqlalchemy import func, insert, select

    from archive import neardup
    from archive.merging import not_an_export
    from archive.models import Article
    from archive.text import content_hash, normalize_line
    from archive.urls import canonical_url

    articles, tags, children = _tables()
    child_names = {t.name: (t, key) for t, key in children}
    count = 0
    records = _records(lines, name)
    first = next(records, None)
    if first is not None and (problem := not_an_export(first[1], f"{name}, line {first[0]}")):
        raise problem
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
        seen_hash: dict[str, int] = {}
        seen_url: dict[str, int] = {}
        seen_id: set[int] = set()
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
            for article in stored:
                neardup.remember(session, article.id, article.body)
            changes.upsert(stored)
            session.expunge_all()
            archive.progress.advance(batch[-1][0] - done[0])
            done[0] = batch[-1][0]
            batch.clear()

        for number, data in itertools.chain([first] if first else [], records):
            where = f"{name}, line {number}"
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
            if aid in seen_id:
                raise ImportError_(f"{where}: article id {aid} appears twice")
            if not row["body"]:
                raise ImportError_(f"{where}: the article has no text")
            if row["content_hash"] in seen_hash:
                raise ImportError_(
                    f"{where}: same text as article {seen_hash[row['content_hash']]}"
                )
            if row["url_key"] is not None and row["url_key"] in seen_url:
                raise ImportError_(
                    f"{where}: same URL as article {seen_url[row['url_key']]}: {row['url']}"
                )
            seen_id.add(aid)
            seen_hash[row["content_hash"]] = aid
            if row["url_key"] is not None:
                seen_url[row["url_key"]] = aid
            rows_by_table = {}
            for table_name, items in nested.items():
                table, key = child_names[table_name]
                if not isinstance(items, list):
                    raise ImportError_(f"{where}: '{table_name}' should be a list")
                rows_by_table[table_name] = [
                    _decode(table, item, f"{where}, {table_name}", fixed={key: aid})
                    for item in items
                ]
            batch.append(
                (number, {"id": aid, "_row": row, "_tags": tag_names, "_children": rows_by_table})
            )
            count += 1
            if len(batch) >= CHUNK:
                flush()
        if batch:
            flush()
        follow_explicit_ids(conn)  # (PostgreSQL: new ids after the imported ones)
    return count


def import_file(archive: Archive, path: Path) -> int:
    """Import the export file at *path* (``-``: standard input); see :func:`import_lines`."""
    import sys

    if str(path) == "-":
        return import_lines(archive, sys.stdin, "-")
    try:
        total = line_count(path.expanduser())
        with path.expanduser().open(encoding="utf-8-sig") as lines:
            return import_lines(archive, lines, str(path), total)
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
