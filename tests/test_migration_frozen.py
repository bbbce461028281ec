"""Migrations compute with frozen copies of the archive's functions, not the live ones.

Migration 0002 fills ``articles.url_key`` for old rows with its own copy of
:func:`archive.urls.canonical_url`. These tests say that the copy and the live
function agree today, on the real links of a real saved news page, so that if the
live one changes, the divergence is a decision someone made (with a new revision
recomputing ``url_key``), not an accident that changes what 0002 did.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import migrations
from archive import urls

VERSIONS = Path(migrations.__file__).parent / "versions"

#: Edge cases of the canonical form, besides the page's links.
EDGE_URLS = [
    "HTTPS://WWW.Example.COM/News/Story",
    "https://example.com:443/a",
    "http://example.com:80/a",
    "http://example.com:8080/a",
    "https://example.com/a/",
    "https://example.com",
    "https://example.com/a#comments",
    "https://example.com/a?utm_source=rss&utm_medium=feed&UTM_Campaign=x&id=7",
    "https://example.com/a?fbclid=abc&gclid=1&mc_cid=2&page=2",
    "https://example.com/a?b=2&a=1&b=3",
    "https://user:pw@[2001:db8::1]:8443/x/?q=",
    "http://example.com:99999/bad-port",
    "  https://example.com/a  ",
    "not a url",
    "",
]


def load_0002() -> ModuleType:
    path = next(VERSIONS.glob("0002_*.py"))
    spec = importlib.util.spec_from_file_location("migration_0002", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def page_links(trafilatura_pages: Path) -> list[str]:
    """Every ``href`` and ``src`` of trafilatura's saved FiveThirtyEight page."""
    import lxml.html

    tree = lxml.html.fromstring((trafilatura_pages / "webpage.html").read_bytes())
    found = tree.xpath("//@href | //@src | //meta[@property='og:url']/@content")
    return sorted({str(u) for u in found})


def test_migration_0002_does_not_import_the_live_canonicaliser() -> None:
    source = next(VERSIONS.glob("0002_*.py")).read_text(encoding="utf-8")
    assert "archive.urls" not in source.replace("``archive.urls.canonical_url``", "")
    assert "from archive" not in source and "import archive" not in source


def test_migration_0002_canonicaliser_agrees_with_the_live_one(trafilatura_pages: Path) -> None:
    frozen = load_0002()
    links = page_links(trafilatura_pages)
    assert len(links) > 50
    # The page's links exercise the parts that matter: queries, escapes, trailing slashes.
    assert any("?" in u for u in links) and any("%2F" in u for u in links)
    assert any(u.endswith("/") for u in links)
    for url in [*links, *EDGE_URLS]:
        assert frozen.canonical_url(url) == urls.canonical_url(url), url
    assert frozen.canonical_url(None) is None
    assert frozen._TRACKING_PARAMS == urls.TRACKING_PARAMS
