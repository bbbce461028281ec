"""Search: the query goes to the index, the shown hits' text comes from the database.

This path is kept light on purpose: it opens the index read-only and reads the
few rows it shows with the standard library's ``sqlite3``
(:func:`archive.store.read_for_search`), so a search does not pay for importing
SQLAlchemy or Alembic. Only when the database needs an upgrade, or a crash left
index work owed, does it open the archive the full way (which finishes both).
"""

from __future__ import annotations

from pathlib import Path

from archive.errors import IndexUnavailable, QueryError
from archive.records import PassageResult, SearchHit, SearchResults
from archive.store import DB_NAME, SCHEMA_HEAD, pending_index_work, read_for_search, schema_revision

DEFAULT_LIMIT = 10
#: Longer queries are refused: Whoosh's query parser takes time quadratic in a word's
#: length (100,000 characters: over a minute), and no one types that much.
MAX_QUERY_CHARS = 10_000
DEFAULT_PASSAGES = 3


def search(
    home: Path,
    query: str,
    *,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
    passages: int = DEFAULT_PASSAGES,
    sort: str = "relevance",
) -> SearchResults:
    """Search the archive at *home*.

    :param query: Whoosh query syntax; every word is required unless OR is used.
    :param limit: the most hits to return.
    :param offset: hits to skip (for paging).
    :param passages: the most passages per hit.
    :param sort: ``relevance``, ``newest`` or ``oldest``.
    :raises QueryError: the query has nothing to search for.
    """
    from index import search as isearch
    from index import writer as iw
    from index.errors import IndexingError, QuerySyntaxError
    from index.passages import passages as make_passages

    if len(query) > MAX_QUERY_CHARS:
        raise QueryError(
            f"the query is {len(query):,} characters long, over the {MAX_QUERY_CHARS:,}-character "
            "limit; search for a few distinctive words instead"
        )
    db_path = home / DB_NAME
    if not db_path.exists():
        return SearchResults(query=query, total=0, hits=[], notices=("the archive is empty",))
    if schema_revision(db_path) != SCHEMA_HEAD or pending_index_work(db_path):
        from archive.core import Archive

        Archive.open(home).close()  # upgrades the schema and settles owed index work
    index_path = home / "index"
    try:
        ix = iw.open_index(index_path)
    except IndexingError as exc:
        raise IndexUnavailable(f"{exc}; run 'archive reindex' to rebuild it") from exc
    try:
        found = isearch.search(ix, query, limit=limit, offset=offset, sort=sort)
    except QuerySyntaxError as exc:
        raise QueryError(str(exc)) from exc
    except Exception as exc:
        # A damaged index fails in many ways; anything else is a bug and propagates.
        problem = iw.damage(ix)
        if problem is None:
            raise
        raise IndexUnavailable(f"{problem}; run 'archive reindex' to rebuild it") from exc
    finally:
        ix.close()
    rows = read_for_search(db_path, [h.id for h in found.hits])
    hits = []
    for rank, hit in enumerate(found.hits, start=offset + 1):
        row = rows.get(hit.id)
        if row is None:  # deleted between the index lookup and the read
            continue
        body: str = row["body"]
        hits.append(
            SearchHit(
                rank=rank,
                id=hit.id,
                title=row["title"],
                source=row["source"],
                author=row["author"],
                published=row["published"],
                url=row["url"],
                score=hit.score,
                passages=[
                    PassageResult(p.text, p.start, p.end, list(p.highlights))
                    for p in make_passages(body, hit.terms, limit=passages)
                ],
            )
        )
    return SearchResults(
        query=query,
        total=found.total,
        hits=hits,
        understood=found.understood,
        notices=found.notices,
    )
