"""Reading the archive: search, similar articles, one article, the list, the numbers.

This is the one read path, for the CLI and any other front. It is kept light
on purpose: it opens the index read-only and reads rows with the standard
library's ``sqlite3`` (:mod:`archive.store`'s light functions), so a search or
a ``show`` does not pay for importing SQLAlchemy or Alembic. Only when the
database needs a schema upgrade, or a crash left index work owed, does it open
the archive the full way first (:meth:`archive.consistency.IndexKeeper.open`),
which finishes both.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archive import store
from archive.dates import date_bound
from archive.errors import ArticleNotFound, BadOptionValue, QueryError, index_unavailable
from archive.home import Home
from archive.records import (
    ArticleRecord,
    FieldChangeRecord,
    NoteRecord,
    PassageResult,
    Rescued,
    RevisionRecord,
    SearchHit,
    SearchResults,
    SimilarResults,
    Stats,
)

if TYPE_CHECKING:
    from whoosh.index import FileIndex

    from index.fields import ExtraField

DEFAULT_LIMIT = 10
#: Longer queries are refused: Whoosh's query parser takes time quadratic in a word's
#: length (100,000 characters: over a minute), and no one types that much.
MAX_QUERY_CHARS = 10_000
DEFAULT_PASSAGES = 3
#: Facets a search can count matches by.
FACETS = ("source", "author", "tag", "year", "month")
#: Orders of search results.
SORTS = ("relevance", "newest", "oldest")


#: What a read says of a home that holds no archive (a mistyped --home, say).
_NO_ARCHIVE = "there is no archive at {} yet ('archive ingest FILE' starts one)"


class Reader:
    """Read access to the archive in *home* (nothing is created or written).

    :param home: the archive home directory.
    :param database: a PostgreSQL URL for the home to follow (see
        :meth:`archive.facade.Archive.open`).
    """

    def __init__(self, home: Path | str, *, database: str | None = None) -> None:
        self.home = Path(home).expanduser()
        self.paths = Home(self.home)
        if database is not None:
            from archive.shared import follow

            follow(self.paths, database)
        #: Things done on the user's behalf that they should hear about (the CLI prints them).
        self.notices: list[str] = []

    # --- search ------------------------------------------------------------------------

    def search(
        self,
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
        """Search titles and bodies; each hit comes with its highlighted passages.

        :param query: the query (docs/search.md); every word is required unless OR is used.
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
        from index.passages import Matches
        from index.passages import passages as make_passages

        _check_query(query)
        bad = [f for f in facets if f not in FACETS]
        if bad:
            raise QueryError(f"unknown facet {bad[0]!r}; choose from {', '.join(FACETS)}")
        start = _bound("--since", since) if isinstance(since, str) else since
        end = _bound("--until", until, end=True) if isinstance(until, str) else until
        if start and end and start > end:
            raise QueryError("--since is later than --until: nothing can match")
        ix, opened = self._open_index()
        if ix is None:
            empty = "the archive is empty" if self.exists() else _NO_ARCHIVE.format(self.paths.path)
            return SearchResults(query=query, total=0, hits=[], notices=(empty,))
        with _index_read(ix):
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
        rows = store.read_for_search(self.paths.database, [h.id for h in found.hits])
        notes: dict[int, list[str]] = {}
        if store.has_notes(self.paths.database):
            for n in store.read_notes(self.paths.database, article_ids=list(rows)):
                notes.setdefault(n.article_id, []).append(n.text)
        hits = []
        for rank, hit in enumerate(found.hits, start=offset + 1):
            row = rows.get(hit.id)
            if row is None:  # deleted between the index lookup and the read
                continue
            body: str = row["body"]
            matches = Matches(
                terms=hit.terms,
                exact=hit.exact_terms,
                phrases=found.phrases,
                language=hit.language,
            )
            shown = _hit(
                rank, row, hit.score, make_passages(body, matches, limit=passages), len(body)
            )
            noted = [
                PassageResult(p.text, p.start, p.end, list(p.highlights))
                for text in notes.get(hit.id, ())
                for p in make_passages(text, matches, limit=1)
                if p.highlights
            ]
            shown = replace(shown, match=hit.match)
            hits.append(replace(shown, notes=noted) if noted else shown)
        return SearchResults(
            query=query,
            total=found.total,
            hits=hits,
            understood=found.understood,
            notices=(*opened, *found.notices),
            facets=found.facets,
            suggestion=found.suggestion,
            offset=offset,
            rescue=(
                Rescued(found.rescue.kind, found.rescue.total, found.rescue.query)
                if found.rescue is not None
                else None
            ),
            engine=found.engine,
        )

    def search_ids(
        self, query: str, *, since: str | None = None, until: str | None = None
    ) -> list[int]:
        """Every article *query* finds as written (no most-words or fuzzy rescue),
        published between *since* and *until*: what ``edit --query`` and
        ``delete --query`` act on.

        :raises QueryError: the query has nothing to search for, or a date cannot be read.
        """
        from index import search as isearch

        _check_query(query)
        start = _bound("--since", since) if since else None
        end = _bound("--until", until, end=True) if until else None
        if start and end and start > end:
            raise QueryError("--since is later than --until: nothing can match")
        ix, _ = self._open_index()
        if ix is None:
            return []
        with _index_read(ix):
            limit = max(ix.doc_count_all(), 1)
            found = isearch.search(ix, query, limit=limit, since=start, until=end, rescue=False)
        return [h.id for h in found.hits]

    def similar(
        self, article_id: int, *, limit: int = DEFAULT_LIMIT, passages: int = 1
    ) -> SimilarResults:
        """The articles most like article *article_id*, each with the words they share.

        :param limit: the most articles to return.
        :param passages: passages per hit, highlighting the shared words.
        :raises ArticleNotFound: no article has that id.
        """
        from index.analysis import terms_with_offsets, text_analyzer
        from index.passages import passages as make_passages
        from index.similar import similar as find_similar

        ix, _ = self._open_index()
        if ix is None:
            raise ArticleNotFound(article_id)
        with _index_read(ix):
            row = store.read_for_search(self.paths.database, [article_id]).get(article_id)
            found = (
                []
                if row is None
                else find_similar(ix, article_id, row["title"], row["body"], limit=limit)
            )
        if row is None:
            raise ArticleNotFound(article_id)
        rows = store.read_for_search(self.paths.database, [h.id for h in found])
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

    # --- articles ----------------------------------------------------------------------

    def get(self, article_id: int) -> ArticleRecord:
        """The article with *article_id*. :raises ArticleNotFound: no such article."""
        if not self._ready():
            raise ArticleNotFound(article_id)
        found = store.read_articles(self.paths.database, ids=[article_id])
        if not found:
            raise ArticleNotFound(article_id)
        return found[0]

    def revisions(self, article_id: int) -> list[RevisionRecord]:
        """The earlier texts of an article, oldest first.

        :raises ArticleNotFound: no such article.
        """
        self.get(article_id)
        return store.read_revisions(self.paths.database, article_id)

    def history(self, article_id: int) -> list[FieldChangeRecord]:
        """The changes of an article's metadata (by ``edit`` or by an ingest), oldest first.

        :raises ArticleNotFound: no such article.
        """
        self.get(article_id)
        return store.read_field_changes(self.paths.database, article_id)

    def notes(self, *, article_id: int | None = None, query: str | None = None) -> list[NoteRecord]:
        """Notes, oldest first, with their article's title: all, an article's, or those
        on the articles *query* finds (as written; notes are searched with the text).

        :raises ArticleNotFound: *article_id* is not an article.
        :raises QueryError: a bad query.
        """
        if article_id is not None:
            self.get(article_id)
        if not self._ready():
            return []
        ids: list[int] | None = None if article_id is None else [article_id]
        if query is not None:
            found = set(self.search_ids(query))
            ids = sorted(found if ids is None else found & set(ids))
        return store.read_notes(self.paths.database, article_ids=ids, titles=True)

    def fields(self) -> tuple[list[ExtraField], tuple[str, ...]]:
        """The extra fields the articles have (keys kept from JSON, front matter and page
        metadata, searchable as ``key:value``), most used first; with notices."""
        from index.fields import extra_fields

        ix, notices = self._open_index()
        if ix is None:
            return [], notices
        with _index_read(ix):
            return extra_fields(ix), notices

    def completions(self, kind: str, prefix: str, *, limit: int = 100) -> list[tuple[str, str]]:
        """For shell completion: values of *kind* (``id``, ``tag``, ``source``,
        ``author``, ``feed``) starting with *prefix* (case-insensitively for text), with a
        description (an id's title, a value's article count, a feed's title and address);
        none if there is no archive."""
        if not store.exists(self.paths.database):
            return []
        return store.complete_values(self.paths.database, kind, prefix, limit)

    def list(self, *, limit: int | None = 20) -> list[ArticleRecord]:
        """Articles, newest first (by publication date, else by ingest time)."""
        if not self._ready():
            return []
        return store.read_articles(self.paths.database, limit=limit)

    def exists(self) -> bool:
        """Whether the home holds an archive (a database, or a shared store it follows)."""
        return self.paths.url is not None or store.exists(self.paths.database)

    def count(self) -> int:
        """How many articles the archive holds."""
        return store.count_articles(self.paths.database) if self._ready() else 0

    def page(self, article_id: int) -> bytes:
        """The original HTML page kept with an article.

        :raises ArticleNotFound: no such article.
        :raises ArchiveError: the article has no page kept.
        """
        from archive.errors import ArchiveError
        from archive.pages import read_page

        self.get(article_id)
        html = read_page(self.paths.database, article_id) if self._ready() else None
        if html is None:
            raise ArchiveError(
                f"article {article_id} has no page kept (it did not come from a web page, "
                "or was ingested with --no-keep-html)"
            )
        return html

    def stats(self) -> Stats:
        """Counts, the range of publication dates, sizes on disk, and how the index runs."""
        from index import internals
        from index.errors import IndexingError
        from index.search import open_for_search

        counts = store.read_stats(self.paths.database) if self._ready() else (0, None, None, 0)
        articles, earliest, latest, sources = counts
        index_dir = self.paths.index
        index_bytes = sum(f.stat().st_size for f in index_dir.glob("*") if f.is_file())
        from index.layout import leftovers, size_of

        rebuild_bytes = sum(size_of(p) for p in leftovers(index_dir))
        engine: dict[str, Any] = internals.status()
        try:
            ix = open_for_search(index_dir)
        except IndexingError:
            pass  # no index yet, or a damaged one ('check' says which)
        else:
            try:
                engine.update(internals.segments(ix))
            except Exception:  # noqa: S110 - a damaged segment: 'check' reports it
                pass
            finally:
                ix.close()
        from archive.pages import space

        kept = space(self.paths.database) if self._ready() else None
        return Stats(
            pages=kept.pages if kept else 0,
            pages_bytes=kept.stored_bytes if kept else 0,
            links=kept.links if kept else 0,
            feeds=kept.feeds if kept else 0,
            articles=articles,
            index_bytes=index_bytes,
            rebuild_bytes=rebuild_bytes,
            database_bytes=store.database_bytes(self.paths.database)
            if isinstance(self.paths.database, str)
            else sum(p.stat().st_size for p in self.paths.database_files()),
            earliest=earliest,
            latest=latest,
            sources=sources,
            home=str(self.home),
            engine=engine,
        )

    # --- opening -----------------------------------------------------------------------

    def _ready(self) -> bool:
        """Whether the database exists, after bringing the archive up to date.

        That is: the schema upgraded, index work a crash left owed finished, and a
        missing index rebuilt (each through the full open, whose notices are
        kept in :attr:`notices`).
        """
        from index.layout import exists

        db = self.paths.database
        if not store.exists(db):
            return False
        if (
            store.schema_revision(db) != store.SCHEMA_HEAD
            or store.pending_index_work(db, self.paths.applied)
            or not exists(self.paths.index)
        ):
            self.notices.extend(self._open_fully())
        return True

    def _open_index(self) -> tuple[FileIndex | None, tuple[str, ...]]:
        """The index, or None if the archive is empty, with notices.

        Index work owed by a crash is settled first, and an index built by an older
        version of the tool is rebuilt (saying so), both through the full open.
        """
        from index.errors import IndexingError
        from index.search import open_for_search
        from index.writer import outdated

        db = self.paths.database
        if not store.exists(db):
            return None, ()
        notices: tuple[str, ...] = ()
        if store.schema_revision(db) != store.SCHEMA_HEAD or store.pending_index_work(
            db, self.paths.applied
        ):
            notices = self._open_fully()
        try:
            ix = open_for_search(self.paths.index)
            if outdated(ix):
                ix.close()
                notices += self._open_fully()
                ix = open_for_search(self.paths.index)
            return ix, notices
        except IndexingError as exc:
            raise index_unavailable(exc, "damaged") from exc

    def _open_fully(self) -> tuple[str, ...]:
        """Open the archive the full way (upgrade, settle, rebuild); its notices."""
        from archive.consistency import IndexKeeper
        from archive.errors import environment_error

        try:
            with IndexKeeper.open(self.home) as keeper:
                return tuple(keeper.notices)
        except Exception as exc:
            # A full disk or a read-only home: read what is there, saying what is owed
            # (an upgrade cannot be skipped: an old schema cannot be read).
            problem = environment_error(exc, self.home)
            if problem is None or store.schema_revision(self.paths.database) != store.SCHEMA_HEAD:
                raise
            owed = store.pending_index_work(self.paths.database, self.paths.applied)
            return (
                f"the index could not be brought up to date ({problem}); "
                f"searches may miss the last {owed} changed articles until it is",
            )


def _bound(option: str, text: str, *, end: bool = False) -> datetime:
    """*text* given for *option* (``--since``, ``--until``) as an instant; a date that
    cannot be read is a bad option value (:class:`~archive.errors.BadOptionValue`)."""
    try:
        return date_bound(text, end=end)
    except QueryError as exc:
        raise BadOptionValue(option, str(exc)) from None


def _check_query(query: str) -> None:
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


@contextmanager
def _index_read(ix: Any) -> Iterator[None]:
    """Read *ix* in the block, then close it. A query that cannot be parsed is a
    :class:`QueryError`; an index built by an older version, or a damaged one, is the
    user's one-line error; anything else is a bug and propagates."""
    from index.errors import IndexOutdatedError, QuerySyntaxError

    try:
        yield
    except QuerySyntaxError as exc:
        raise QueryError(str(exc)) from exc
    except IndexOutdatedError as exc:
        raise index_unavailable(exc, "outdated") from exc
    except Exception as exc:  # a damaged index fails in many ways
        if (problem := _damage(ix, exc)) is None:
            raise
        raise index_unavailable(problem, "damaged") from exc
    finally:
        ix.close()


def _damage(ix: Any, exc: BaseException) -> str | None:
    """What is wrong with *ix* after a read of it raised *exc* (``None``: a bug, not damage).

    Opening every segment is quick and finds most damage; an error raised while
    the index's bytes were being decoded (inside Whoosh or the index package, or of
    a kind that garbled bytes raise: ones that do not decode, unpack, decompress or
    unpickle) has every posting read, so that such damage is named rather than shown
    as a traceback. When every posting reads, the error is a bug and is raised as is.
    """
    from index import writer as iw

    problem = iw.damage(ix)
    if problem is None and _raised_reading_the_index(exc):
        from archive.integrity import index_problem

        problem = index_problem(ix)
    return problem


def _raised_reading_the_index(exc: BaseException) -> bool:
    """Whether *exc* is of a kind damaged index bytes raise, or was raised in the code
    that reads them (Whoosh, or this project's ``index`` package)."""
    import pickle
    import struct
    import zlib
    from pathlib import Path

    import whoosh

    import index

    garbled = (
        UnicodeDecodeError,
        struct.error,
        zlib.error,
        EOFError,
        OverflowError,
        pickle.UnpicklingError,
    )
    if isinstance(exc, garbled):
        return True
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return False
    where = Path(tb.tb_frame.f_code.co_filename).resolve()
    readers = (Path(whoosh.__file__).resolve().parent, Path(index.__file__).resolve().parent)
    return any(where.is_relative_to(folder) for folder in readers)
