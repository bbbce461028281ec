"""Saved web pages: the article's main text and its metadata, read with trafilatura.

trafilatura keeps the main text and drops navigation, menus, cookie banners,
related links, comments and footers (tables are left out too: on news pages they
are mostly layout). The title, author, publication date, site name (the
article's ``source``) and canonical URL come from the page's meta tags, Open
Graph and JSON-LD. The publication date is htmldate's (trafilatura's date
module, original publication date), asked for with its time and UTC offset: a
page that gives them (``article:published_time``, JSON-LD ``datePublished``,
``<time datetime>``) keeps them (``2021-10-25T10:00:00+00:00``); a page that
gives only a day keeps a day (``2017-09-18``). Its description, categories, site
tags, language, host name and image are kept in ``extra``. A page whose text is
only a cookie or consent notice, or only link texts (a menu), is not an article
(:func:`not_an_article`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from archive.errors import InputError
from archive.ingest.draft import ArticleDraft, KeptPage
from archive.ingest.text import make_title
from archive.text import normalize_text

#: trafilatura's metadata kept in ``extra`` when present.
EXTRA_KEYS = ("description", "categories", "tags", "language", "hostname", "image", "pagetype")

#: htmldate's output format: the time and the UTC offset, when the page has them.
DATE_FORMAT = "%Y-%m-%dT%H:%M:%S%z"
#: What htmldate gives in :data:`DATE_FORMAT` for a date found without a time.
_DAY_ONLY = "T00:00:00"


def parse(
    html: bytes | str,
    origin: str,
    origin_key: str | None = None,
    *,
    final_url: str | None = None,
    page: KeptPage | None = None,
) -> Iterator[ArticleDraft]:
    """One draft from an HTML page.

    :param final_url: the address the page was fetched from (after redirects): the
        article's URL is the page's canonical URL resolved against it, else this
        one; both are kept in ``extra`` (``final_url``, ``canonical_url``).
    :param page: the page to keep with the article.
    :raises InputError: the page holds no article text.
    """
    doc = extract(html)
    body = normalize_text(doc.get("text") or "") if doc else ""
    if not doc or not body:
        raise InputError(origin, "no article text found in the HTML page")
    if (why := not_an_article(html, body)) is not None:
        raise InputError(origin, f"not an article: {why}")
    extra = {k: doc[k] for k in EXTRA_KEYS if doc.get(k)}
    if "language" not in extra and (lang := page_language(html)):
        extra["language"] = lang
    title = doc.get("title") or body.split("\n", 1)[0]
    url = doc.get("url") or None
    warnings: tuple[str, ...] = ()
    if final_url is not None:
        url, warning = fetched_url(final_url, url)
        warnings = (warning,) if warning else ()
        extra["final_url"] = final_url
        if doc.get("url"):
            extra["canonical_url"] = url if not warning else doc["url"]
    yield ArticleDraft(
        title=make_title(title),
        body=body,
        origin=origin,
        author=doc.get("author") or None,
        source=doc.get("sitename") or None,
        url=url,
        published=published(doc.get("date")),
        extra=extra or None,
        origin_key=origin_key,
        warnings=warnings,
        page=page,
    )


#: Share of the extracted text (characters) that makes a page "only" a notice or links.
NOT_ARTICLE_SHARE = 0.8
#: ``id``/``class`` words of cookie and consent notices (and the usual consent tools').
_CONSENT = re.compile(
    r"cookie|consent|gdpr|onetrust|didomi|cmp[-_]|truste|cc-(?:window|banner)|privacy[-_]?(?:banner|notice)",
    re.I,
)


def not_an_article(html: bytes | str, body: str) -> str | None:
    """Why the text extracted from *html* is not an article, or ``None`` if it may be one.

    When the page has nothing else, the extractor's fallbacks keep what there is: a
    cookie or consent notice, or a menu. Text that is at least
    :data:`NOT_ARTICLE_SHARE` such a notice (inside an element whose ``id`` or
    ``class`` names cookies or consent), or link texts alone, one a line, is not kept.
    """
    import lxml.html
    from lxml import etree

    lines = [line.strip() for line in body.split("\n") if line.strip()]
    total = sum(len(line) for line in lines)
    if not total:
        return None
    try:
        root = lxml.html.document_fromstring(html)
    except (ValueError, etree.ParserError):
        return None
    space = re.compile(r"\s+")
    notices = []
    for el in root.iter("div", "section", "aside", "dialog", "form", "p", "footer", "header"):
        names = f"{el.get('id') or ''} {el.get('class') or ''}"
        if _CONSENT.search(names):
            notices.append(space.sub(" ", el.text_content()))
    notice = " ".join(notices)
    links = {space.sub(" ", a.text_content()).strip() for a in root.iter("a")}
    in_notice = sum(len(x) for x in lines if notices and space.sub(" ", x) in notice)
    if in_notice >= NOT_ARTICLE_SHARE * total:
        return "the page holds only a cookie or consent notice"
    in_links = sum(len(x) for x in lines if space.sub(" ", x) in links)
    if in_links >= NOT_ARTICLE_SHARE * total:
        return "the page holds only links (a menu or a list of links)"
    return None


def fetched_url(final_url: str, canonical: str | None) -> tuple[str, str | None]:
    """The URL of an article fetched from *final_url* whose page names *canonical*.

    The canonical URL, resolved against the final one, is the article's address, unless
    it is not a web address or is a site's front page for a page that is not (a common
    mistake of publishers, which would make every article one): then the final URL is,
    and the warning says why.
    """
    from urllib.parse import urljoin, urlsplit

    if not canonical:
        return final_url, None
    resolved = urljoin(final_url, canonical.strip())
    parts = urlsplit(resolved)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return final_url, f"canonical URL {canonical!r} ignored (not a web address)"
    if parts.path in ("", "/") and urlsplit(final_url).path not in ("", "/"):
        return final_url, f"canonical URL {canonical!r} ignored (the site's front page)"
    return resolved, None


_HTML_LANG = re.compile(
    rb"""<html\b[^>]*?\blang\s*=\s*["']?([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]+)*)""", re.I
)


def page_language(html: bytes | str) -> str | None:
    """The language the page declares on ``<html lang>``, if any (``de``, ``zh-Hans``)."""
    head = html[:4096].encode("utf-8", "replace") if isinstance(html, str) else html[:4096]
    m = _HTML_LANG.search(head)
    return m.group(1).decode("ascii") if m else None


def published(value: str | None) -> str | None:
    """The publication date from htmldate's *value* in :data:`DATE_FORMAT`.

    htmldate writes a date found without a time as midnight with no UTC offset;
    that is a day (``2017-09-18``), not a time. (A page that really says midnight
    with no time zone is stored as its day too: no time is made up.)
    """
    if not value:
        return None
    if len(value) == 10 + len(_DAY_ONLY) and value.endswith(_DAY_ONLY):
        return value[:10]
    return value


def extract(html: bytes | str) -> dict[str, Any] | None:
    """trafilatura's extraction of *html* as a dict (``None`` when it finds nothing)."""
    import trafilatura
    from trafilatura.settings import set_date_params

    # trafilatura's own date settings (original publication date, extensive search,
    # nothing later than today), asking htmldate for the time and offset too.
    dates = {**set_date_params(True), "outputformat": DATE_FORMAT}
    doc = trafilatura.bare_extraction(
        html,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        include_images=False,
        include_links=False,
        deduplicate=False,
        date_extraction_params=dates,
    )
    if doc is None:
        return None
    return doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)


#: Tags that make a record's body HTML rather than text.
_HTML_TAG = re.compile(
    r"<(?:p|div|br|span|a|strong|em|b|i|u|h[1-6]|ul|ol|li|blockquote|img|figure|section|"
    r"article|table|pre|code|html|body)\b[^<>]*>",
    re.I,
)
#: Elements after which a line break belongs when a fragment is flattened by hand.
_BLOCKS = ("p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "tr")


def maybe_html_to_text(body: str) -> tuple[str, bool]:
    """*body* as text, and whether it was HTML (then turned into text by :func:`html_to_text`)."""
    if not body or not _HTML_TAG.search(body):
        return body, False
    return html_to_text(body), True


def html_to_text(fragment: str) -> str:
    """The text of an HTML body (a wallabag or Omnivore record's ``content``), read the way
    a saved page is (trafilatura, the same settings, no metadata); a fragment too short
    for trafilatura to call it an article is flattened with its paragraphs kept apart."""
    import lxml.html
    import trafilatura

    text = trafilatura.extract(
        f"<html><body><article>{fragment}</article></body></html>",
        include_comments=False,
        include_tables=False,
        include_images=False,
        include_links=False,
        deduplicate=False,
        with_metadata=False,
    )
    if text and normalize_text(text):
        return normalize_text(text)
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (ValueError, lxml.etree.ParserError):
        return normalize_text(re.sub(r"<[^>]*>", " ", fragment))
    for el in root.iter("br"):
        el.tail = "\n" + (el.tail or "")
    for el in root.iter(*_BLOCKS):
        el.tail = "\n\n" + (el.tail or "")
    for el in root.iter("script", "style"):
        el.drop_tree()
    return normalize_text(root.text_content())
