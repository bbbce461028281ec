"""What the index is given for an article: a database row made into an :class:`IndexDoc`.

The one bridge between the two sides' shapes: every path that writes the index
(an ingest run, a change, a settle, a rebuild, a repair) builds its documents here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from index.schema import IndexDoc


def index_doc(article: Any) -> IndexDoc:
    from index.schema import IndexDoc, extra_terms

    return IndexDoc(
        id=article.id,
        version=article.content_hash,
        title=article.title,
        body=article.body,
        author=article.author,
        source=article.source,
        tags=tuple(article.tags),
        url=article.url,
        published=article.published_at,
        notes=tuple(article.notes),
        language=language_of(article.extra),
        extra=extra_terms(article.extra),
    )


def language_of(extra: dict[str, Any] | None) -> str | None:
    """The language an article's input declared (``language`` in ``extra``), if any."""
    from index.languages import code

    return code((extra or {}).get("language"))
