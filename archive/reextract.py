"""Re-extracting articles from their kept pages: a newer extractor, no network.

Each chosen article's kept page (:mod:`archive.pages`) is read again with the HTML
extraction of :mod:`archive.ingest.html`; a different text updates the article
(the old text kept as a revision, notes re-anchored, the index updated), metadata
follows the ingest rules (:func:`archive.decisions.update`). All in one
transaction: every article or none.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from archive.errors import ArticleNotFound, InputError
from archive.records import IngestOutcome, IngestReport

if TYPE_CHECKING:
    from archive.consistency import IndexKeeper


def reextract(keeper: IndexKeeper, ids: Sequence[int], *, every: bool = False) -> IngestReport:
    """Extract the chosen articles again from their kept pages (*every*: all that have one).

    An article without a kept page is a ``failed`` outcome saying so.

    :raises ArticleNotFound: an id is not in the archive (nothing is changed).
    """
    from sqlalchemy import select

    from archive.decisions import now, prepare, update
    from archive.ingest import html
    from archive.models import Article, Page
    from archive.pages import page_of

    report = IngestReport()
    with keeper.writing() as (session, index):
        if every:
            wanted = list(session.scalars(select(Page.article_id).order_by(Page.article_id)))
        else:
            wanted = list(dict.fromkeys(ids))
        articles = {a.id: a for a in session.scalars(select(Article).where(Article.id.in_(wanted)))}
        for article_id in wanted:
            if article_id not in articles:
                raise ArticleNotFound(article_id)
        when = now()
        changed = []
        for article_id in wanted:
            article = articles[article_id]
            origin = f"article {article_id}"
            page = page_of(session, article_id)
            if page is None:
                report.record(
                    IngestOutcome(
                        "failed", origin, article_id, article.title, f"{origin}: no page kept"
                    )
                )
                continue
            try:
                [draft] = list(
                    html.parse(page.html, article.origin, final_url=page.final_url)
                    if page.final_url
                    else html.parse(page.html, article.origin, page.origin)
                )
                p = prepare(draft)
            except InputError as exc:
                report.record(
                    IngestOutcome(
                        "failed", origin, article_id, article.title, f"{origin}: {exc.reason}"
                    )
                )
                continue
            same = p.hash == article.content_hash
            if not same:
                other = session.scalar(
                    select(Article.id).where(
                        Article.content_hash == p.hash, Article.id != article_id
                    )
                )
                if other is not None:
                    message = f"{origin}: its new text is article {other}'s; left as it was"
                    report.record(
                        IngestOutcome("failed", origin, article_id, article.title, message)
                    )
                    continue
            said: list[str] = []
            what = update(session, article, p, when, same_text=same, warnings=said)
            status = "updated" if what else "unchanged"
            if what:
                changed.append(article)
            told = "; ".join([*p.warnings, *said]) or None
            report.record(
                IngestOutcome(status, origin, article_id, article.title, told, changed=what)
            )
        session.flush()
        if changed:
            index.upsert(changed)
    return report
