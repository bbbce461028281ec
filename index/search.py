"""Query parsing, searching and sorting over the Whoosh index.

Takes a query string and returns plain values: the total number of matching
articles, the ids and scores of the page asked for, and for each hit the
analysed terms that matched it (so passages can highlight exactly those,
wildcard expansions included).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from whoosh import query as wq
from whoosh.index import FileIndex
from whoosh.qparser import AndGroup, FieldAliasPlugin, FuzzyTermPlugin, MultifieldParser
from whoosh.scoring import BM25F

from index.errors import QuerySyntaxError
from index.schema import DEFAULT_FIELDS, FIELD_ALIASES

SORTS = ("relevance", "newest", "oldest")
#: Fields whose matched terms are highlighted in passages.
_HIGHLIGHT_FIELDS = frozenset({"title", "body"})
_FIELD_PREFIX = re.compile(r"(?<![\w:])([A-Za-z_]+):(?=\S)")
_OPERATOR = re.compile(r"^(AND|OR|NOT|ANDNOT|ANDMAYBE)$")


@dataclass(frozen=True, slots=True)
class Hit:
    """One matching article."""

    id: int
    score: float
    terms: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class SearchResult:
    """A page of hits, the total count, and what the query was taken to mean."""

    query: str
    total: int
    hits: list[Hit]
    understood: str
    notices: tuple[str, ...] = ()


def _parser(ix: FileIndex) -> MultifieldParser:
    parser = MultifieldParser(list(DEFAULT_FIELDS), ix.schema, group=AndGroup)
    aliases: dict[str, list[str]] = {}
    for alias, name in FIELD_ALIASES.items():
        if alias != name:
            aliases.setdefault(name, []).append(alias)
    parser.add_plugin(FieldAliasPlugin(aliases))
    parser.add_plugin(FuzzyTermPlugin())
    return parser


def syntax_problems(text: str) -> list[str]:
    """What is wrong with the syntax of *text*, in words (empty when nothing is)."""
    problems = []
    if text.count('"') % 2:
        problems.append("an unclosed quote")
    depth = 0
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            break
    if depth:
        problems.append("unbalanced brackets")
    words = text.split()
    if words and (_OPERATOR.match(words[0]) and words[0] != "NOT" or _OPERATOR.match(words[-1])):
        problems.append("an operator with nothing on one side")
    unknown = sorted({m.group(1) for m in _FIELD_PREFIX.finditer(text)} - set(FIELD_ALIASES))
    if unknown:
        problems.append("unknown field " + ", ".join(f"'{u}'" for u in unknown))
    return problems


def plain_words(text: str) -> str:
    """*text* with query syntax removed, so each word is searched as itself."""
    words = re.sub(r"[\"()\[\]{}^~*?:+\-]", " ", text).split()
    return " ".join(w.lower() if _OPERATOR.match(w) else w for w in words)


def parse(ix: FileIndex, text: str) -> tuple[wq.Query, tuple[str, ...]]:
    """Parse *text* into a Whoosh query, rescuing broken syntax as plain words.

    :returns: the query and any notices about how it was read.
    :raises QuerySyntaxError: nothing in *text* can be searched for.
    """
    notices: tuple[str, ...] = ()
    problems = syntax_problems(text)
    source = text
    if problems:
        source = plain_words(text)
        notices = (f"query has {' and '.join(problems)}; searched for the words: {source}",)
    try:
        q = _parser(ix).parse(source)
    except Exception:  # Whoosh's parser fails on some operator chains, e.g. 'NOT NOT 0'
        source = plain_words(text)
        notices = (f"query could not be read as written; searched for the words: {source}",)
        q = _parser(ix).parse(source)
    if q is wq.NullQuery or isinstance(q, type(wq.NullQuery)) or not list(q.leaves()):
        shown = text.strip() or text
        raise QuerySyntaxError(f"query {shown!r} has no words to search for")
    return q, notices


def search(
    ix: FileIndex,
    text: str,
    *,
    limit: int = 10,
    offset: int = 0,
    sort: str = "relevance",
) -> SearchResult:
    """Run the query *text* and return the hits ``offset`` to ``offset + limit``.

    :param sort: ``relevance`` (BM25F, title weighted), ``newest`` or ``oldest`` (published).
    :raises QuerySyntaxError: the query has nothing to search for.
    """
    if sort not in SORTS:
        raise ValueError(f"unknown sort {sort!r}")
    q, notices = parse(ix, text)
    with ix.searcher(weighting=BM25F()) as searcher:
        kwargs: dict[str, object] = {"limit": offset + limit if limit else None, "terms": True}
        if sort != "relevance":
            kwargs["sortedby"] = "published"
            kwargs["reverse"] = sort == "newest"
        results = searcher.search(q, **kwargs)
        total = len(results)
        hits = []
        for hit in results[offset : offset + limit] if limit else results[offset:]:
            matched = frozenset(
                t.decode("utf-8") if isinstance(t, bytes) else str(t)
                for f, t in (hit.matched_terms() or ())
                if f in _HIGHLIGHT_FIELDS
            )
            hits.append(Hit(id=int(hit["id"]), score=float(hit.score or 0.0), terms=matched))
    return SearchResult(query=text, total=total, hits=hits, understood=str(q), notices=notices)
