"""Search and "more like this": the index finds the hits, the database gives their text.

This path is kept light on purpose: it opens the index read-only and reads the
few rows it shows with the standard library's ``sqlite3``
(:func:`archive.store.read_for_search`), so a search does not pay for importing
SQLAlchemy or Alembic. Only when the database needs an upgrade, or a crash left
index work owed, does it open the archive the full way (which finishes both).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archive.errors import ArticleNotFound, IndexUnavailable, QueryError
from archive.records import PassageResult, SearchHit, SearchResults, SimilarResults
from archive.store import DB_NAME, SCHEMA_HEAD, pending_index_work, read_for_search, schema_revision

if TYPE_CHECKING:
    from whoosh.index import FileIndex

DEFAULT_LIMIT = 10
#: Longer queries are refused: Whoosh's query parser takes time quadratic in a word's
#: length (100,000 characters: over a minute), and no one types that much.
MAX_QUERY_CHARS = 10_000
DEFAULT_PASSAGES = 3
#: Facets a search can count matches by.
FACETS = ("source", "author", "tag", "year", "month")

_A = datetime(1901, 1, 1, 0, 0, 0)
_B = datetime(1902, 2, 2, 1, 1, 1)


def date_bound(text: str, *, end: bool = False) -> datetime:
    """Read ``2025-09-03``, ``2025-09``, ``2025`` or ``last month`` as an instant.

    A date names a whole period: as a lower bound it means the period's start,
    as an upper bound (*end*) its last moment, so ``--until 2025-09`` includes
    all of September. Relative phrases (``last month``, ``3 weeks ago``,
    ``yesterday``) are read by ``dateparser``.

    :raises QueryError: *text* is not a date.
    """
    from dateutil import parser
    from dateutil.relativedelta import relativedelta

    raw = " ".join(text.split())
    problem = QueryError(
        f"cannot read {text!r} as a date; try 2025-09-03, 2025-09, 2025 or 'last month'"
    )
    if not raw:
        raise problem
    if re.fullmatch(r"\d{4}", raw):
        a = datetime(int(raw[:4]), 1, 1)
        return a + relativedelta(years=1) - timedelta(microseconds=1) if end else a
    if re.match(r"\d{4}[-/.]\d", raw) or re.search(r"[A-Za-z]{3,} \d{4}|\d{1,2} [A-Za-z]{3,}", raw):
        try:
            a = parser.parse(raw, default=_A, dayfirst=False)
            b = parser.parse(raw, default=_B, dayfirst=False)
        except (ValueError, OverflowError):
            a = b = None
        if a is not None and b is not None and a.year == b.year:
            a = a.replace(tzinfo=None)
            if a.month != b.month:
                start, step = datetime(a.year, 1, 1), relativedelta(years=1)
            elif a.day != b.day:
                start, step = datetime(a.year, a.month, 1), relativedelta(months=1)
            elif a.hour != b.hour:
                start, step = datetime(a.year, a.month, a.day), relativedelta(days=1)
            else:
                return a
            return start + step - timedelta(microseconds=1) if end else start
    import dateparser

    found = dateparser.parse(raw, settings={"PREFER_DATES_FROM": "past"})
    if found is None:
        raise problem
    return found.replace(tzinfo=None)


def _open_index(home: Path) -> tuple[FileIndex | None, tuple[str, ...]]:
    """The index of the archive at *home*, or None if it is empty, with notices.

    Index work owed by a crash is settled first, and an index built by an older
    version of the tool is rebuilt (saying so), both through the full open.
    """
    from index.errors import IndexingError
    from index.search import open_for_search
    from index.writer import outdated

    db_path = home / DB_NAME
    if not db_path.exists():
        return None, ()
    notices: tuple[str, ...] = ()
    if schema_revision(db_path) != SCHEMA_HEAD or pending_index_work(db_path):
        notices = _open_fully(home)
    try:
        ix = open_for_search(home / "index")
        if outdated(ix):
            ix.close()
            notices += _open_fully(home)
            ix = open_for_search(home / "index")
        return ix, notices
    except IndexingError as exc:
        raise IndexUnavailable(f"{exc}; run 'archive reindex' to rebuild it") from exc


def _open_fully(home: Path) -> tuple[str, ...]:
    """Open the archive the full way (upgrade, settle, rebuild); its notices."""
    from archive.core import Archive

    with Archive.open(home) as archive:
        return tuple(archive.notices)


def search(
    home: Path,
    query: str,
    *,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
    passages: int = DEFAULT_PASSAGES,
    sort: str = "relevance",
    since: str | datetime | None = None,
    until: str | datetime | None = None,
    facets: Sequence[str] = (),
    fuzzy: bool = False,
    rescue: bool = True,
) -> SearchResults:
    """Search the archive at *home*.

    :param query: the query (see docs/search.md); every word is required unless OR is used.
    :param limit: the most hits to return.
    :param offset: hits to skip (for paging).
    :param passages: the most passages per hit.
    :param sort: ``relevance``, ``newest`` or ``oldest``.
    :param since: only articles published from then on (``2025-09``, ``last month``...).
    :param until: only articles published up to then (a month or year counts whole).
    :param facets: count the matching articles per ``source``, ``author``, ``tag``,
        ``year`` or ``month``.
    :param fuzzy: let every word match words a letter or two different.
    :param rescue: when nothing matches as written, rank articles with most of the
        words, then retry fuzzily (each labelled in ``notices``); off: exact matches only.
    :raises QueryError: the query has nothing to search for, or a date cannot be read.
    """
    from index import search as isearch
    from index.errors import IndexOutdatedError, QuerySyntaxError
    from index.passages import Matches
    from index.passages import passages as make_passages

    if len(query) > MAX_QUERY_CHARS:
        raise QueryError(
            f"the query is {len(query):,} characters long, over the {MAX_QUERY_CHARS:,}-character "
            "limit; search for a few distinctive words instead"
        )
    try:
        query.encode("utf-8")
    except UnicodeEncodeError as exc:
        # A command-line argument that was not valid UTF-8 arrives with its bad
        # bytes as lone surrogates, which can be neither searched nor printed.
        raise QueryError(
            f"the query is not valid text (character {exc.start + 1} is an undecodable "
            "byte); check the terminal's encoding"
        ) from None
    bad = [f for f in facets if f not in FACETS]
    if bad:
        raise QueryError(f"unknown facet {bad[0]!r}; choose from {', '.join(FACETS)}")
    start = date_bound(since) if isinstance(since, str) else since
    end = date_bound(until, end=True) if isinstance(until, str) else until
    if start and end and start > end:
        raise QueryError("--since is later than --until: nothing can match")
    ix, opened = _open_index(home)
    if ix is None:
        return SearchResults(query=query, total=0, hits=[], notices=("the archive is empty",))
    try:
        found = isearch.search(
            ix,
            query,
            limit=limit,
            offset=offset,
            sort=sort,
            since=start,
            until=end,
            facets=tuple(dict.fromkeys(facets)),
            fuzzy=fuzzy,
            rescue=rescue,
        )
    except QuerySyntaxError as exc:
        raise QueryError(str(exc)) from exc
    except IndexOutdatedError as exc:
        raise IndexUnavailable(f"{exc}; run 'archive reindex' to update it") from exc
    except Exception as exc:
        # A damaged index fails in many ways; anything else is a bug and propagates.
        from index import writer as iw

        problem = iw.damage(ix)
        if problem is None:
            raise
        raise IndexUnavailable(f"{problem}; run 'archive reindex' to rebuild it") from exc
    finally:
        ix.close()
    rows = read_for_search(home / DB_NAME, [h.id for h in found.hits])
    hits = []
    for rank, hit in enumerate(found.hits, start=offset + 1):
        row = rows.get(hit.id)
        if row is None:  # deleted between the index lookup and the read
            continue
        body: str = row["body"]
        matches = Matches(terms=hit.terms, exact=hit.exact_terms, phrases=found.phrases)
        hits.append(
            _hit(rank, row, hit.score, make_passages(body, matches, limit=passages), len(body))
        )
    return SearchResults(
        query=query,
        total=found.total,
        hits=hits,
        understood=found.understood,
        notices=(*opened, *found.notices),
        facets=found.facets,
        suggestion=found.suggestion,
        offset=offset,
    )


def _hit(
    rank: int, row: dict[str, Any], score: float, passages: Sequence[Any], length: int
) -> SearchHit:
    return SearchHit(
        rank=rank,
        id=row["id"],
        title=row["title"],
        source=row["source"],
        author=row["author"],
        published=row["published"],
        url=row["url"],
        score=score,
        passages=[PassageResult(p.text, p.start, p.end, list(p.highlights)) for p in passages],
        body_length=length,
    )


def similar(
    home: Path, article_id: int, *, limit: int = DEFAULT_LIMIT, passages: int = 1
) -> SimilarResults:
    """The articles most like article *article_id*, each with the words they share.

    :param limit: the most articles to return.
    :param passages: passages per hit, highlighting the shared words.
    :raises ArticleNotFound: no article has that id.
    """
    from index.analysis import terms_with_offsets, text_analyzer
    from index.errors import IndexOutdatedError
    from index.passages import passages as make_passages
    from index.similar import similar as find_similar

    ix, _ = _open_index(home)
    if ix is None:
        raise ArticleNotFound(article_id)
    try:
        row = read_for_search(home / DB_NAME, [article_id]).get(article_id)
        if row is None:
            raise ArticleNotFound(article_id)
        try:
            found = find_similar(ix, article_id, row["title"], row["body"], limit=limit)
        except IndexOutdatedError as exc:
            raise IndexUnavailable(f"{exc}; run 'archive reindex' to update it") from exc
    finally:
        ix.close()
    rows = read_for_search(home / DB_NAME, [h.id for h in found])
    analyzer = text_analyzer()
    hits = []
    for rank, h in enumerate(found, start=1):
        other = rows.get(h.id)
        if other is None:
            continue
        terms = frozenset(t for w in h.shared for t, _, _ in terms_with_offsets(analyzer, w))
        body = other["body"]
        hit = _hit(rank, other, h.score, make_passages(body, terms, limit=passages), len(body))
        hits.append(replace(hit, shared=list(h.shared)))
    return SimilarResults(id=article_id, title=row["title"], hits=hits)
