"""The query language: a query string becomes a Whoosh query, and never an error.

What a person can write (see docs/search.md):

* words (all required), ``OR``, ``AND``, ``NOT``, ``(brackets)``, ``-word`` (exclude);
* ``"a phrase"``, ``"a b"~5`` (the words within five positions of each other);
* ``"word"`` or ``=word``: the exact form, not stemmed nor respelt;
* ``word*`` (prefix), ``word~`` / ``word~2`` (fuzzy: one or two edits);
* ``field:value`` for ``title``, ``body``, ``author``, ``source``, ``tag``, ``url``
  and ``published`` (``published:2025``, ``published:2025-01..2025-06``).

Input that is not valid syntax (a stray quote, a lone ``AND``, an unbalanced
bracket, an unknown field) is searched as plain words, with a notice saying so.
:func:`explain` renders a parsed query the way a person reads it.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from whoosh import query as wq
from whoosh.fields import Schema
from whoosh.qparser import (
    AndGroup,
    FieldAliasPlugin,
    FuzzyTermPlugin,
    MultifieldParser,
    syntax,
)
from whoosh.qparser.plugins import Plugin, SingleQuotePlugin
from whoosh.qparser.taggers import RegexTagger

from index.errors import QuerySyntaxError
from index.exact import ExactPhrase, ExactWord, exact_query, form_of
from index.internals.fuzzy import FuzzyTerm
from index.languages import STEM_SEPARATOR, query_languages
from index.schema import DEFAULT_FIELDS, EXACT_FIELDS, EXTRA_FIELD, FIELD_ALIASES

#: Query-time weight of a title match, on top of the title's index-time boost.
TITLE_QUERY_BOOST = 1.0

_FIELD_PREFIX = re.compile(r"(?<![\w:])([A-Za-z_]+):(?=[^\s/])")
_OPERATOR = re.compile(r"^(AND|OR|NOT|ANDNOT|ANDMAYBE)$")
#: ``title:`` with nothing after it (a space or the end).
_EMPTY_FIELD = re.compile(r"(?<![\w:])([A-Za-z_]+):(?=\s|$)")
# "-word" at the start of a word excludes it (Whoosh itself has no such syntax by default).
_MINUS = re.compile(r"(?:(?<=^)|(?<=[\s(]))-(?=[\w\"(=])")
# published:2025-01..2025-06 (either end may be left open: 2025-01.. or ..2025-06).
#: An operator typed between words (``a AND b`` parses as ``a b`` would; ``a OR the``, as ``a``).
_TYPED_OPERATOR = re.compile(r"(?<!\S)(?:AND|OR|NOT)(?!\S)")
_DATE_RANGE = re.compile(r"\b(published|date):([\w-]*)\.\.([\w-]*)")
#: A ``?`` ending a word (``Paris?``, ``"in Paris"?``) is a question mark, not a wildcard:
#: a pasted question is searched for its words (``wom?n`` is still a wildcard).
_QUESTION_MARK = re.compile(r'(?<=[\w")\]])\?+(?=[\s)]|$)')
#: ``key:value`` or ``key:"a value"`` naming an extra field.
_EXTRA = re.compile(r'(?<![\w:])([A-Za-z_]+):("[^"]*"|[^\s()"]+)')


class _ExactNode(syntax.TextNode):
    """Words to match in their exact forms (:mod:`index.exact`): one, or a phrase."""

    tokenize = True
    removestops = False

    def query(self, parser: MultifieldParser) -> wq.Query:
        name = self.fieldname or parser.fieldname
        if name in EXACT_FIELDS:
            q = exact_query(name, self.text, boost=self.boost)
        else:  # a field without exact terms (author, source...) is never stemmed
            q = parser.term_query(name, self.text, parser.termclass, boost=self.boost)
        return q if q is not None else wq.NullQuery


class _ExactTagger(RegexTagger):
    def create(self, parser: MultifieldParser, match: re.Match[str]) -> syntax.SyntaxNode:
        return _ExactNode(match.group("text") or match.group("quoted") or match.group("phrase"))


class ExactPlugin(Plugin):
    """``=word`` and ``"word"`` (one word in quotes) search the word's exact form;
    ``="some words"``, the phrase of their exact forms."""

    expr = r'="(?P<phrase>[^"]+)"(?!~)|=(?P<text>[^\s()"=]+)|"(?P<quoted>[^\s"]+)"(?!~)'

    def taggers(self, parser: MultifieldParser) -> list[tuple[RegexTagger, int]]:
        # Priority -1: before the phrase plugin, which would read "word" as a phrase.
        return [(_ExactTagger(self.expr), -1)]


class _FuzzyTermPlugin(FuzzyTermPlugin):
    class FuzzyTermNode(FuzzyTermPlugin.FuzzyTermNode):
        qclass = FuzzyTerm

        def query(self, parser: MultifieldParser) -> wq.Query:
            q = super().query(parser)
            # In the fields holding exact forms, the word as typed is matched against the
            # words as written (index.internals.fuzzy.stems_within), not its stem.
            if isinstance(q, FuzzyTerm) and q.fieldname in EXACT_FIELDS:
                q.word = self.text.lower()
            return q


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    """A query ready to run, and what a person should be told about how it was read."""

    text: str
    query: wq.Query
    notices: tuple[str, ...] = ()
    #: Plain words of the query (for the most-words rescue, suggestions and fuzzy retry).
    words: tuple[str, ...] = field(default_factory=tuple)
    #: The query uses syntax (AND, OR, NOT, ``-word``, quotes, ``=word``, ``field:value``,
    #: ``word~``, ``word*``, a range, a boost) and was read as written: no rescue may relax it.
    explicit: bool = False


def make_parser(schema: Schema) -> MultifieldParser:
    parser = MultifieldParser(
        list(DEFAULT_FIELDS),
        schema,
        group=AndGroup,
        fieldboosts={"title": TITLE_QUERY_BOOST},
    )
    aliases: dict[str, list[str]] = {}
    for alias, name in FIELD_ALIASES.items():
        if alias != name:
            aliases.setdefault(name, []).append(alias)
    # Single quotes are apostrophes and quotation marks in headlines, not query syntax.
    parser.remove_plugin_class(SingleQuotePlugin)
    parser.add_plugin(FieldAliasPlugin(aliases))
    parser.add_plugin(_FuzzyTermPlugin())
    parser.add_plugin(ExactPlugin())
    return parser


def syntax_problems(text: str, extra_keys: frozenset[str] = frozenset()) -> list[str]:
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
    if text.count("[") != text.count("]") or text.count("{") != text.count("}"):
        problems.append("unbalanced brackets" if "unbalanced brackets" not in problems else "")
    words = text.split()
    dangling = any(
        _OPERATOR.match(w)
        and (
            i == len(words) - 1
            or (i == 0 and w != "NOT")
            or _OPERATOR.match(words[i + 1])
            and words[i + 1] != "NOT"
        )
        for i, w in enumerate(words)
    )
    if dangling:
        problems.append("an operator with nothing on one side")
    empty = _empty_fields(text, extra_keys)
    if empty:
        names = ", ".join(f"'{n}:'" for n in dict.fromkeys(empty))
        problems.append(f"a field name with nothing after it ({names})")
    named = {m.group(1) for m in _FIELD_PREFIX.finditer(text)}
    unknown = sorted({n for n in named if n.lower() not in extra_keys} - set(FIELD_ALIASES))
    if unknown:
        problems.append("unknown field " + ", ".join(f"'{u}'" for u in unknown))
    return [p for p in problems if p]


def _empty_fields(text: str, extra_keys: frozenset[str]) -> list[str]:
    """The field names in *text* followed by nothing (``title:`` then a space or the end)."""
    found = (m.group(1) for m in _EMPTY_FIELD.finditer(text))
    return [n for n in found if n in FIELD_ALIASES or n.lower() in extra_keys]


def _without_empty_fields(text: str, extra_keys: frozenset[str]) -> str:
    """*text* less its field names followed by nothing: they are no words to search for."""
    empty = set(_empty_fields(text, extra_keys))
    return _EMPTY_FIELD.sub(lambda m: " " if m.group(1) in empty else m.group(0), text)


def plain_words(text: str) -> str:
    """*text* with query syntax removed, so each word is searched as itself."""
    text = re.sub(r"(?<!\w)[A-Za-z_]+:(?=\S)", " ", text)
    words = re.sub(r"[\"()\[\]{}^~*?:+=]|(?:(?<=^)|(?<=\s))-", " ", text).split()
    return " ".join(w.lower() if _OPERATOR.match(w) else w for w in words)


def words_of(text: str) -> tuple[str, ...]:
    """The plain words of a query: no operators, field names or excluded words."""
    text = _MINUS.sub("NOT ", text)
    text = re.sub(r"\bNOT\s+(\"[^\"]*\"|\([^)]*\)|\S+)", " ", text)
    text = re.sub(r"(?<!\w)[A-Za-z_]+:(\"[^\"]*\"|\[[^\]]*\]|\S+)", " ", text)
    text = re.sub(r"~\d*", " ", text)
    words = re.sub(r"[\"()\[\]{}^*?+=]|(?:(?<=^)|(?<=\s))-", " ", text).split()
    return tuple(w for w in words if not _OPERATOR.match(w))


def _rewrite(text: str, extra_keys: frozenset[str] = frozenset()) -> str:
    text = _QUESTION_MARK.sub("", text)
    text = _MINUS.sub("NOT ", text)
    if extra_keys:
        text = _EXTRA.sub(lambda m: _extra_clause(m, extra_keys), text)
    return _DATE_RANGE.sub(
        lambda m: f"{m.group(1)}:[{' '.join(x for x in (m.group(2), 'TO', m.group(3)) if x)}]",
        text,
    )


def _extra_clause(m: re.Match[str], extra_keys: frozenset[str]) -> str:
    """``places:France`` as a term of the extra field, ``extra:"places:france"``."""
    key = m.group(1)
    if key in FIELD_ALIASES or key.lower() not in extra_keys:
        return m.group(0)
    value = " ".join(m.group(2).strip('"').replace(",", " ").split()).lower()
    return f'{EXTRA_FIELD}:"{key.lower()}:{value}"'


def _walk(q: wq.Query) -> list[wq.Query]:
    out = [q]
    if q.is_leaf():
        return out
    for child in q.children():
        out.extend(_walk(child))
    return out


def parse(
    schema: Schema,
    text: str,
    languages: Sequence[str] = (),
    extra_keys: frozenset[str] = frozenset(),
) -> ParsedQuery:
    """Parse *text*, rescuing broken syntax as plain words.

    :param languages: the languages the archive holds (ISO 639-1): each word is searched
        in its stem for each of them (:mod:`index.languages`).
    :param extra_keys: the keys of extra fields the archive holds (``places``): ``key:value``
        searches them (:data:`index.schema.EXTRA_FIELD`).
    :raises QuerySyntaxError: nothing in *text* can be searched for.
    """
    with query_languages(languages):
        parsed = _parse(schema, text, extra_keys)
    if set(languages) - {"en"} and STEM_SEPARATOR in str(parsed.query):
        parsed = replace(parsed, query=_alternatives(parsed.query))
    return parsed


def _alternatives(q: wq.Query) -> wq.Query:
    """*q* with each term holding several languages' stems made an OR of them (a phrase:
    an OR of the phrase in each language's stems)."""
    if isinstance(q, wq.Term) and type(q) is wq.Term and STEM_SEPARATOR in _text(q.text):
        stems = dict.fromkeys(_text(q.text).split(STEM_SEPARATOR))
        return wq.Or([wq.Term(q.fieldname, s, boost=q.boost) for s in stems])
    if (
        isinstance(q, wq.FuzzyTerm)
        and STEM_SEPARATOR in _text(q.text)
        and getattr(q, "word", None) is None  # (a typed word's forms are in every language)
    ):
        # word~2 in an archive of several languages: each language's stem, fuzzily
        # (the joined stems matched no word at all).
        alternatives = []
        for stem in dict.fromkeys(_text(q.text).split(STEM_SEPARATOR)):
            one = copy.copy(q)
            one.text = stem
            alternatives.append(one)
        return wq.Or(alternatives)
    if isinstance(q, wq.Phrase):
        words = [_text(w) for w in q.words]
        if not any(STEM_SEPARATOR in w for w in words):
            return q
        width = max(len(w.split(STEM_SEPARATOR)) for w in words)
        variants = dict.fromkeys(
            tuple(w.split(STEM_SEPARATOR)[i] if STEM_SEPARATOR in w else w for w in words)
            for i in range(width)
        )
        return wq.Or(
            [wq.Phrase(q.fieldname, list(v), slop=q.slop, boost=q.boost) for v in variants]
        )
    if isinstance(q, wq.Not):
        return wq.Not(_alternatives(q.query))
    if isinstance(q, wq.AndNot):
        return wq.AndNot(_alternatives(q.a), _alternatives(q.b))
    if isinstance(q, wq.CompoundQuery):
        return type(q)([_alternatives(c) for c in q.subqueries], boost=q.boost)
    return q


def _parse(schema: Schema, text: str, extra_keys: frozenset[str] = frozenset()) -> ParsedQuery:
    notices: list[str] = []
    problems = syntax_problems(text, extra_keys)
    source = _rewrite(text, extra_keys)
    parser = make_parser(schema)
    q: wq.Query | None = None
    if not problems:
        try:
            q = parser.parse(source)
        except Exception:  # Whoosh raises assorted errors on odd input
            q = None
        if q is not None and any(getattr(x, "error", None) for x in _walk(q)):
            problems.append("a value that cannot be read (e.g. a date)")
            q = None
    if problems or q is None:
        source = plain_words(_without_empty_fields(text, extra_keys))
        if not problems:
            problems.append("syntax that cannot be read")
        notices.append(f"query has {' and '.join(problems)}; searched for the words: {source}")
        q = parser.parse(source) if source else wq.NullQuery
    q = q.normalize()
    if (q is wq.NullQuery or not list(q.leaves())) and not notices:
        source = plain_words(text)
        if source:
            notices.append(f"nothing to search for as written; searched for the words: {source}")
            q = parser.parse(source).normalize()
    if q is wq.NullQuery or not list(q.leaves()):
        shown = text.strip() or text
        empty = _empty_fields(text, extra_keys)
        hint = f": give a value after {empty[0]}:, as {empty[0]}:nato" if empty else ""
        raise QuerySyntaxError(f"query {shown!r} has no words to search for{hint}")
    explicit = not notices and (
        _TYPED_OPERATOR.search(text) is not None or uses_syntax(q, quoted='"' in text)
    )
    return ParsedQuery(
        text=text, query=q, notices=tuple(notices), words=words_of(text), explicit=explicit
    )


def uses_syntax(q: wq.Query, *, quoted: bool = True) -> bool:
    """Whether *q* is anything but plain words, each searched in title and body, all required.

    An operator typed between words may parse as plain words would (``a AND b``):
    :func:`parse` looks for operators in the text too.

    :param quoted: the text has quotes; if not, a phrase is one word the analyzer cut in
        parts (``post-ceasefire``, ``香港政府``), not syntax.
    """
    if isinstance(q, wq.And):
        return any(uses_syntax(c, quoted=quoted) for c in q.children())
    if isinstance(q, wq.Or):
        kids = list(q.children())
        plain = (wq.Term,) if quoted else (wq.Term, wq.Phrase)
        if not kids or not all(type(k) in plain for k in kids):
            return True
        return (
            q.boost != 1
            or any(form_of(_text(k.text)) != _text(k.text) for k in kids if type(k) is wq.Term)
            or len({_leaf(k, with_field=False) for k in kids}) != 1
            or not {k.fieldname for k in kids} <= set(DEFAULT_FIELDS)
            or any(k.boost != 1 for k in kids)
        )
    # A lone term is a field (``title:nato``): a plain word is searched in title and body.
    return True


def positive_leaves(q: wq.Query) -> list[wq.Query]:
    """The leaves of *q* that a match must or may contain (not under a NOT)."""
    if isinstance(q, wq.Not):
        return []
    if isinstance(q, wq.AndNot):
        return positive_leaves(q.a)
    if q.is_leaf():
        return [q]
    out: list[wq.Query] = []
    for child in q.children():
        out.extend(positive_leaves(child))
    return out


def phrases(q: wq.Query, fieldname: str = "body") -> list[tuple[str, ...]]:
    """The (analysed) word sequences of the strict phrases in *q* on *fieldname*."""
    return [
        tuple(leaf.words)
        for leaf in positive_leaves(q)
        if isinstance(leaf, wq.Phrase) and leaf.fieldname == fieldname and leaf.slop <= 1
    ]


def explain(q: wq.Query) -> str:
    """*q* the way a person reads it: ``(deploy in title or body) AND NOT ...``."""
    return _explain(q)


_SHOWN_FIELDS = {"tags": "tag"}


def _text(value: object) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _fields_or(q: wq.Or) -> str | None:
    """``word in title, body`` when an Or is one term searched in several fields."""
    kids = q.children()
    shapes = set()
    names = []
    for k in kids:
        if not k.is_leaf() or getattr(k, "fieldname", None) is None:
            return None
        shapes.add(_leaf(k, with_field=False))
        names.append(_SHOWN_FIELDS.get(k.fieldname, k.fieldname))
    if len(shapes) == 1:
        return f"{shapes.pop()} in {', '.join(dict.fromkeys(names))}"
    return None


def _leaf(q: wq.Query, *, with_field: bool = True) -> str:
    name = getattr(q, "fieldname", "") or ""
    name = _SHOWN_FIELDS.get(name, name)
    where = f" in {name}" if with_field and name else ""
    if isinstance(q, ExactPhrase):
        return f'="{" ".join(q.words)}" (exact phrase){where}'
    if isinstance(q, ExactWord):
        return f"={q.text} (exact form){where}"
    if isinstance(q, wq.Phrase):
        words = " ".join(_text(w) for w in q.words)
        near = f" (within {q.slop} words)" if q.slop > 1 else " (phrase)"
        return f'"{words}"{near}{where}'
    if isinstance(q, wq.FuzzyTerm):
        return f"{getattr(q, 'word', None) or _text(q.text)}~{q.maxdist} (fuzzy){where}"
    if isinstance(q, wq.Prefix):
        return f"{_text(q.text)}* (prefix){where}"
    if isinstance(q, wq.Wildcard):
        return f"{_text(q.text)} (wildcard){where}"
    if isinstance(q, wq.NumericRange):
        from whoosh.util.times import long_to_datetime

        start = "any time" if q.start is None else f"{long_to_datetime(q.start):%Y-%m-%d %H:%M}"
        end = "any time" if q.end is None else f"{long_to_datetime(q.end):%Y-%m-%d %H:%M}"
        return f"{name} from {start} to {end}"
    if isinstance(q, wq.Term):
        text = _text(q.text)
        form = f"={form_of(text)} (exact form)" if form_of(text) != text else text
        if name == "published":
            return str(q)
        return f"{form}{where}"
    if isinstance(q, wq.Every):
        return "every article"
    return str(q)


def _explain(q: wq.Query) -> str:
    if isinstance(q, wq.Not):
        return f"NOT {_explain(q.query)}"
    if isinstance(q, wq.AndNot):
        return f"{_explain(q.a)} AND NOT {_explain(q.b)}"
    if q.is_leaf():
        return _leaf(q)
    if isinstance(q, wq.Or):
        merged = _fields_or(q)
        if merged:
            return f"({merged})"
        return "(" + " OR ".join(_explain(k) for k in q.children()) + ")"
    if isinstance(q, wq.And):
        return " AND ".join(_explain(k) for k in q.children())
    return str(q)
