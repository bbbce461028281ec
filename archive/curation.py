"""Curating what the archive keeps: editing metadata, choosing articles, deleting them.

* :class:`Changes` says what to do to an article's metadata (set, clear, add or
  remove tags); :func:`validate` refuses what cannot be stored (an empty title, a
  tag with a comma, a bad date) before anything is written.
* :func:`plan` works out, for one article, each field that would change (old and
  new value); :func:`write` writes them, keeping each old value in
  ``field_changes`` (the article's metadata history) and moving ``updated``.
* :func:`select_ids` turns ids, a search query with a date range, and field
  values into the ids of the articles chosen.

:meth:`archive.facade.Archive.edit` and ``remove`` put them together, inside
:meth:`archive.consistency.IndexKeeper.writing` (one SQLite transaction and one
index commit: an edit of many articles is all done or not done at all).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from archive.errors import ArchiveError, BadOptionValue
from archive.text import normalize_line

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from archive.reading import Reader

#: The metadata fields an edit can change, in the order they are reported.
FIELDS = ("title", "author", "source", "url", "published", "tags")
#: Fields ``--clear`` can empty (every article has a title).
CLEARABLE = ("author", "source", "url", "published", "tags")
#: Fields ``where`` can choose articles by (``tag``: one of its tags).
WHERE_FIELDS = ("source", "author", "tag", "title", "url")


class EditError(ArchiveError):
    """The edit cannot be made; nothing was changed."""


@dataclass(frozen=True, slots=True)
class Changes:
    """What an edit does to each chosen article's metadata (None: leave the field)."""

    title: str | None = None
    author: str | None = None
    source: str | None = None
    url: str | None = None
    published: str | None = None
    add_tags: tuple[str, ...] = ()
    remove_tags: tuple[str, ...] = ()
    #: Replace the tags with these (an empty tuple is not "clear": use ``clear``).
    set_tags: tuple[str, ...] | None = None
    #: Fields to empty: names from :data:`CLEARABLE`.
    clear: frozenset[str] = frozenset()

    @property
    def empty(self) -> bool:
        scalars = (self.title, self.author, self.source, self.url, self.published)
        return (
            all(v is None for v in scalars)
            and not self.add_tags
            and not self.remove_tags
            and self.set_tags is None
            and not self.clear
        )


@dataclass(frozen=True, slots=True)
class Valid:
    """:class:`Changes` normalised and checked: values as they will be stored."""

    values: dict[str, Any]
    published_at: datetime | None
    add_tags: tuple[str, ...]
    remove_tags: tuple[str, ...]
    set_tags: tuple[str, ...] | None
    clear: frozenset[str] = field(default_factory=frozenset)


def _tag(name: str) -> str:
    tag = normalize_line(name)
    if not tag:
        raise EditError("a tag cannot be empty")
    if "," in tag:
        raise EditError(
            f"a tag cannot contain a comma ({tag!r}); give each tag on its own "
            "(--add-tag a --add-tag b)"
        )
    return tag


def _tags(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(_tag(n) for n in names))


def validate(changes: Changes) -> Valid:
    """Normalise *changes* like ingest normalises input; raise :class:`EditError` if bad."""
    from archive.dates import parse_date

    if changes.empty:
        raise EditError(
            "nothing to change: give a new value (--title, --source, --add-tag, ...) or --clear"
        )
    unknown = sorted(changes.clear - set(FIELDS))
    if unknown:
        raise EditError(f"cannot clear {unknown[0]!r}: choose from {', '.join(CLEARABLE)}")
    if "title" in changes.clear:
        raise EditError("every article has a title: it cannot be cleared, only changed")
    values: dict[str, Any] = {}
    published_at = None
    for name in ("title", "author", "source", "url", "published"):
        raw = getattr(changes, name)
        if raw is None:
            continue
        if name in changes.clear:
            raise EditError(f"--{name} and --clear {name} contradict each other")
        value = raw.strip() if name == "url" else normalize_line(raw)
        if not value:
            hint = "" if name == "title" else f" (to remove it, use --clear {name})"
            raise EditError(f"the {name} cannot be empty{hint}")
        if name == "published":
            try:
                parsed = parse_date(value)
            except ValueError as exc:
                message = f"cannot read {raw!r} as a publication date ({exc})"
                raise BadOptionValue("--published", message) from None
            value, published_at = parsed.iso, parsed.instant
        values[name] = value
    tag_changes = changes.add_tags or changes.remove_tags or changes.set_tags is not None
    if "tags" in changes.clear and tag_changes:
        raise EditError("--clear tags and a tag option contradict each other")
    if changes.set_tags is not None and (changes.add_tags or changes.remove_tags):
        raise EditError("give --set-tags, or --add-tag/--remove-tag, not both")
    add, remove = _tags(changes.add_tags), _tags(changes.remove_tags)
    both = set(add) & set(remove)
    if both:
        raise EditError(f"the tag {sorted(both)[0]!r} is both added and removed")
    set_tags = None if changes.set_tags is None else _tags(changes.set_tags)
    if set_tags == ():
        raise EditError("--set-tags needs at least one tag (to remove them all, --clear tags)")
    return Valid(values, published_at, add, remove, set_tags, changes.clear)


def current(article: Any) -> dict[str, Any]:
    """The metadata of *article* as :data:`FIELDS` name it (tags: a list)."""
    return {
        "title": article.title,
        "author": article.author,
        "source": article.source,
        "url": article.url,
        "published": article.published,
        "tags": list(article.tags),
    }


def plan(article: Any, valid: Valid) -> list[tuple[str, Any, Any]]:
    """Each field *valid* would change on *article*: (field, old value, new value)."""
    old = current(article)
    new = dict(old)
    new.update(valid.values)
    for name in valid.clear:
        new[name] = [] if name == "tags" else None
    if valid.set_tags is not None:
        new["tags"] = list(valid.set_tags)
    elif valid.add_tags or valid.remove_tags:
        kept = [t for t in old["tags"] if t not in valid.remove_tags]
        new["tags"] = list(dict.fromkeys([*kept, *valid.add_tags]))
    return [(f, old[f], new[f]) for f in FIELDS if old[f] != new[f]]


def write(
    session: Session,
    article: Any,
    diff: Sequence[tuple[str, Any, Any]],
    when: datetime,
    how: str,
    *,
    published_at: datetime | None = None,
) -> None:
    """Write *diff* into *article*, keep each old value in its history, move ``updated``.

    :param how: ``edit`` (the user's hand: the fields are marked as edited, so
        ingested metadata does not overwrite them) or ``ingest``.
    :param published_at: the instant of a new ``published`` value.
    """
    from archive.models import FieldChange
    from archive.urls import canonical_url

    for name, old, new in diff:
        session.add(
            FieldChange(article_id=article.id, field=name, old=old, new=new, changed=when, how=how)
        )
        if name == "tags":
            set_tags(article, new)
        elif name == "url":
            article.url = new
            article.url_key = canonical_url(new)
        elif name == "published":
            article.published = new
            article.published_at = published_at if new is not None else None
        else:
            setattr(article, name, new)
    if diff:
        article.updated = when
        if how == "edit":
            article.edited = sorted({*(article.edited or ()), *(name for name, _, _ in diff)})


def set_tags(article: Any, names: Sequence[str]) -> None:
    """Give *article* these tags, in this order."""
    from archive.models import Tag

    # Keep existing Tag rows for names that stay: a fresh row with the same key would
    # be inserted before the old one is deleted and break the primary key.
    existing = {t.name: t for t in article.tag_rows}
    rows = []
    for n, name in enumerate(names):
        row = existing.get(name) or Tag(name=name)
        row.position = n
        rows.append(row)
    article.tag_rows = rows


def check_urls(session: Session, articles: Sequence[Any], valid: Valid) -> None:
    """Refuse a new URL that another article has, or one URL for several articles."""
    from sqlalchemy import select

    from archive.models import Article
    from archive.urls import canonical_url

    url = valid.values.get("url")
    if url is None:
        return
    if len(articles) > 1:
        raise EditError(
            f"a URL names one article: --url cannot be given to {len(articles)} articles at once"
        )
    key = canonical_url(url)
    other = session.scalar(
        select(Article).where(Article.url_key == key, Article.id != articles[0].id)
    )
    if other is not None:
        raise EditError(f"article {other.id} already has the URL {other.url} ({other.title})")


def parse_where(items: Iterable[str]) -> dict[str, list[str]]:
    """``FIELD=VALUE`` strings as a mapping of each field to its values (any of which
    may match); raise :class:`~archive.errors.BadOptionValue` for a bad one."""
    out: dict[str, list[str]] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip().lower()
        if not sep or name not in WHERE_FIELDS:
            raise BadOptionValue(
                "--where",
                f"cannot read {item!r}: write FIELD=VALUE with FIELD one of "
                f"{', '.join(WHERE_FIELDS)} (e.g. source=BBC)",
            )
        out.setdefault(name, []).append(value.strip())
    return out


def select_ids(
    reader: Reader,
    *,
    ids: Sequence[int] = (),
    query: str | None = None,
    since: str | None = None,
    until: str | None = None,
    where: Mapping[str, Sequence[str]] | None = None,
) -> list[int]:
    """The ids of the articles chosen: all the criteria given must hold.

    :param ids: these articles (each must exist).
    :param query: the articles a search finds, exactly as written (no rescue by
        most words or fuzzy matching), published between *since* and *until*.
    :param where: for fields of :data:`WHERE_FIELDS`, values (any of them), compared
        whole, ignoring case; an empty value chooses the articles without one.
    :raises ArticleNotFound: an id is not in the archive.
    :raises QueryError: a bad query or date.
    :raises EditError: nothing chooses the articles.
    """
    from archive import store
    from archive.errors import ArticleNotFound

    if not ids and query is None and not where:
        raise EditError("choose the articles: give ids, --query or --where")
    if (since or until) and query is None:
        raise EditError("--since and --until narrow a --query: give one")
    chosen: list[int] | None = None
    if ids:
        wanted = list(dict.fromkeys(ids))
        found = set(store.existing_ids(reader.paths.database, wanted)) if reader.count() else set()
        for article_id in wanted:
            if article_id not in found:
                raise ArticleNotFound(article_id)
        chosen = wanted
    if query is not None:
        matched = set(reader.search_ids(query, since=since, until=until))
        chosen = sorted(matched) if chosen is None else [i for i in chosen if i in matched]
    if where:
        if not reader.count():
            return []
        matched = set(
            store.ids_where(reader.paths.database, {k: list(v) for k, v in where.items()})
        )
        chosen = sorted(matched) if chosen is None else [i for i in chosen if i in matched]
    return chosen or []
