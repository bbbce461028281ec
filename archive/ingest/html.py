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
tags, language, host name and image are kept in ``extra``.
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
    chrome = page_chrome(html, body)
    if chrome is not None:
        raise InputError(origin, f"no article text found in the HTML page (only {chrome})")
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


#: Texts this long or longer are taken as articles without looking at the page's chrome.
CHROME_WORDS = 300
#: The share of a text's words that, found in a page's chrome, make it chrome.
CHROME_SHARE = 0.9
#: A consent or cookie notice: the ids and classes of its container (the common
#: consent platforms' among them).
_CONSENT = re.compile(
    r"cookie|consent|gdpr|onetrust|cookiebot|didomi|usercentrics|truste|quantcast|"
    r"(?:^|[\s_-])cmp(?:$|[\s_-])",
    re.I,
)
#: Navigation: the ids and classes of menus, navigation bars, headers and footers.
_NAVIGATION = re.compile(
    r"(?:^|[\s_-])(?:nav|navbar|navigation|menu|menubar|breadcrumbs?|sitemap|masthead|"
    r"header|footer|colophon)(?:$|[\s_-])",
    re.I,
)
_CHROME_TAGS = {"nav": "menu", "menu": "menu", "header": "menu", "footer": "menu", "aside": "menu"}
_CHROME_ROLES = {
    "navigation": "menu",
    "menu": "menu",
    "menubar": "menu",
    "banner": "menu",
    "contentinfo": "menu",
    "dialog": "consent",
    "alertdialog": "consent",
}
_WORD = re.compile(r"\w+")


def page_chrome(html: bytes | str, body: str) -> str | None:
    """What the extracted *body* of *html* is, if it is not an article but the page's
    chrome: ``a cookie or consent notice`` or ``a menu or navigation links``
    (``None``: an article).

    trafilatura falls back to whatever text a page has when it finds no article, so
    a page that is only a consent wall or a menu would be stored as one. A short
    text is chrome when nearly all its words lie in the page's consent notices or its
    navigation (``<nav>``, headers, footers, menus, by tag, role, id or class), or
    when it is a column of short link-like lines with no sentence in it.
    """
    from collections import Counter

    words = Counter(w.lower() for w in _WORD.findall(body))
    total = sum(words.values())
    if not total or total >= CHROME_WORDS:
        return None
    lines = [line for line in body.splitlines() if line.strip()]
    if len(lines) >= 3 and all(
        len(line.split()) <= 4 and not line.rstrip().endswith((".", "!", "?", ":", "\u3002"))
        for line in lines
    ):
        return "a menu or navigation links"
    import lxml.html

    try:
        root = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return None
    found: dict[str, Counter[str]] = {"consent": Counter(), "menu": Counter()}
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        names = f"{el.get('id') or ''} {el.get('class') or ''}"
        kind = (
            "consent"
            if _CONSENT.search(names)
            else _CHROME_TAGS.get(el.tag)
            or _CHROME_ROLES.get((el.get("role") or "").strip().lower())
            or ("menu" if _NAVIGATION.search(names) else None)
        )
        if kind is not None:
            found[kind] |= Counter(w.lower() for w in _WORD.findall(el.text_content()))
    consent = sum((words & found["consent"]).values())
    if consent >= CHROME_SHARE * total:
        return "a cookie or consent notice"
    if sum((words & (found["consent"] | found["menu"])).values()) >= CHROME_SHARE * total:
        return "a menu or navigation links"
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


#: Elements whose tags, written as HTML, make a record's body HTML rather than text.
_ELEMENTS = (
    r"(?:p|div|br|hr|span|a|strong|em|b|i|u|h[1-6]|ul|ol|li|blockquote|img|figure|section|"
    r"article|table|tr|td|pre|code|html|body)"
)
#: HTML structure, not a word in angle brackets: a closing tag (``</p>``), a line break or
#: rule (``<br>``, ``<hr/>``), an opening tag with attributes (``<a href="...">``), or
#: ``<p>`` twice. Text alone in angle brackets is not enough: Reuters marks tickers and
#: company names so (``Bancorp <I>``, ``<RENA.PA>``, ``<P>``, ``<Strong Point Inc>``).
_HTML_STRUCTURE = re.compile(
    rf"</{_ELEMENTS}\s*>"
    r"|<(?:br|hr)\s*/?>"
    rf"|<{_ELEMENTS}(?:\s+[a-z][\w:-]*\s*=\s*(?:\"[^\"<>]*\"|'[^'<>]*'|[^\s\"'<>=]+))+\s*/?>"
    r"|<p>(?s:.*)<p>",
    re.I,
)


#: Elements after which a line break belongs when a fragment is flattened by hand.
_BLOCKS = ("p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "tr")


def maybe_html_to_text(body: str) -> tuple[str, bool]:
    """*body* as text, and whether it was HTML (then turned into text by :func:`html_to_text`).

    It is HTML when it has HTML structure (see :data:`_HTML_STRUCTURE`), not merely a
    word in angle brackets.
    """
    if not body or not _HTML_STRUCTURE.search(body):
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
