"""Saving by URL: web pages fetched (:mod:`archive.web`), extracted and ingested.

:class:`Fetching` is the part of :class:`archive.facade.Archive` that takes
addresses: :meth:`Fetching.ingest_urls` fetches pages and ingests them as saved
pages are (trafilatura's extraction, the same dedup and update rules), and
:meth:`Fetching.ingest_page` ingests a page whose HTML the caller already has
(a browser bookmarklet). Each failure is one ``failed`` outcome with the URL as
origin and the reason as message; the rest of the run is kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

from archive.errors import InputError
from archive.ingest.draft import ArticleDraft, KeptPage

if TYPE_CHECKING:
    from archive.consistency import IndexKeeper
    from archive.home import Home
    from archive.links import LinkRecord
    from archive.records import IngestReport
    from archive.web import Fetcher, Response


class Ingesting(Protocol):
    """What :class:`Fetching` needs of the archive it is part of (an :class:`Intake`)."""

    keeper: IndexKeeper
    paths: Home

    def ingest(self, items: Iterable[Any], **options: Any) -> IngestReport: ...


class Fetching:
    """Ingesting web pages by address (a mixin of :class:`archive.facade.Archive`)."""

    def _intake(self) -> Ingesting:
        return cast("Ingesting", self)

    def ingest_urls(
        self,
        urls: Iterable[str],
        *,
        max_bytes: int | None = None,
        keep_html: bool = True,
        **options: Any,
    ) -> IngestReport:
        """Fetch each URL, extract its article and ingest it (see ``Intake.ingest``).

        A few pages are fetched at once, one at a time per site. A URL that cannot
        be fetched or holds no article is one ``failed`` outcome naming the URL and
        the reason.

        :param max_bytes: the largest page read (default :data:`archive.web.DEFAULT_MAX_BYTES`).
        :param keep_html: keep each page with its article (:mod:`archive.pages`).
        :param options: passed on to :meth:`Intake.ingest` (``fetcher``: an
            :class:`archive.web.Fetcher` to use instead of a new one).
        """
        fetcher = options.pop("fetcher", None)
        return self._intake().ingest(
            fetched_drafts(urls, max_bytes=max_bytes, fetcher=fetcher),
            keep_html=keep_html,
            **options,
        )

    def ingest_page(
        self, url: str, html: bytes | str, *, keep_html: bool = True, **options: Any
    ) -> IngestReport:
        """Ingest a page's HTML given by the caller as if it had been fetched from *url*."""
        from archive.web import is_url

        def items() -> Iterator[ArticleDraft | InputError]:
            if not is_url(url):
                yield InputError(url, "not a web address (http:// or https://)")
                return
            data = html.encode("utf-8") if isinstance(html, str) else html
            yield from page_drafts(url, url, data, None, "utf-8" if isinstance(html, str) else None)

        return self._intake().ingest(items(), keep_html=keep_html, **options)

    def links(self, *, untried: bool = False) -> list[LinkRecord]:
        """The links waiting to be fetched, oldest first (*untried*: never tried yet)."""
        from archive.links import waiting

        return waiting(self._intake().paths.database, untried=untried)

    def fetch_links(
        self,
        *,
        untried: bool = False,
        max_bytes: int | None = None,
        keep_html: bool = True,
        **options: Any,
    ) -> IngestReport:
        """Fetch the links waiting (:mod:`archive.links`) and ingest their pages.

        Each link's tags and saved date go with its article; a link whose page was
        ingested (added, updated, or already there) is removed, one that failed stays
        with the reason (and a count of tries).

        :param untried: only links never tried before (not those that failed).
        :param options: passed on to ``Intake.ingest`` (``fetcher``: as for :meth:`ingest_urls`).
        """
        from dataclasses import replace

        from archive.links import settle

        me = self._intake()
        by_url = {link.url: link for link in self.links(untried=untried)}
        fetcher = options.pop("fetcher", None)

        def items() -> Iterator[ArticleDraft | InputError]:
            for d in fetched_drafts(by_url, max_bytes=max_bytes, fetcher=fetcher):
                link = by_url.get(d.origin)
                if isinstance(d, InputError) or link is None:
                    yield d
                    continue
                extra = dict(d.extra or {})
                if link.saved:
                    extra["saved"] = link.saved
                tags = tuple(dict.fromkeys((*link.tags, *d.tags)))
                yield replace(d, tags=tags, extra=extra or None)

        options["keep_outcomes"] = True
        report = me.ingest(items(), keep_html=keep_html, **options)
        if not options.get("dry_run"):
            done = [o.origin for o in report.outcomes if o.status != "failed"]
            failed = {
                o.origin: (o.message or "").removeprefix(f"{o.origin}: ") for o in report.failures
            }
            with me.keeper.store.session(write=True) as session:
                settle(session, done, failed)
        return report

    def reextract(self, ids: Sequence[int] = (), *, every: bool = False) -> IngestReport:
        """Extract articles again from their kept pages, without the network; see
        :func:`archive.reextract.reextract`."""
        from archive.reextract import reextract

        return reextract(self._intake().keeper, ids, every=every)


def fetched_drafts(
    urls: Iterable[str], *, max_bytes: int | None = None, fetcher: Fetcher | None = None
) -> Iterator[ArticleDraft | InputError]:
    """The article of each URL's page, or an :class:`InputError` with the reason."""
    from archive.web import Fetcher, FetchError

    wanted = list(dict.fromkeys(u.strip() for u in urls if u.strip()))
    if not wanted:
        return
    own = fetcher is None
    client = Fetcher(max_bytes=max_bytes) if fetcher is None else fetcher
    try:
        for url, got in client.get_many(wanted):
            if isinstance(got, FetchError):
                yield InputError(url, got.reason)
            else:
                yield from response_drafts(got)
    finally:
        if own:
            client.close()


def response_drafts(r: Response) -> Iterator[ArticleDraft | InputError]:
    """The article of a fetched page (or why there is none)."""
    return page_drafts(r.url, r.final_url, r.body, r.content_type, r.charset)


def page_drafts(
    url: str, final_url: str, body: bytes, content_type: str | None, charset: str | None
) -> Iterator[ArticleDraft | InputError]:
    """The article of a page fetched from *url* (answered from *final_url*)."""
    from archive.ingest import html

    if not body.strip():
        yield InputError(url, "the page is empty")
        return
    text: str | bytes = body
    warning = None
    if charset:
        try:
            text = body.decode(charset)
        except LookupError:
            warning = f"unknown character set {charset!r} named by the server; guessed"
        except UnicodeDecodeError as exc:
            warning = (
                f"not valid {charset} as the server says (byte 0x{body[exc.start]:02x} at "
                f"offset {exc.start}); character set guessed"
            )
    if warning:
        from archive.ingest.decoding import decode

        try:
            text = decode(body, url)
        except InputError as exc:
            yield InputError(url, f"{warning}: {exc.reason}")
            return
    page = KeptPage(body, url, final_url, content_type)
    try:
        for draft in html.parse(text, url, final_url=final_url, page=page):
            if warning:
                from dataclasses import replace

                draft = replace(draft, warnings=(*draft.warnings, warning))
            yield draft
    except InputError as exc:
        reason = exc.reason
        if "no article text" in reason:
            reason = "not an article (no article text found in the page)"
        yield InputError(url, reason)


def read_url_list(path: Path | str) -> Iterator[str | InputError]:
    """The addresses in a file of URLs: one a line; blank lines and ``#`` comments skipped.

    A line that is not an http(s) address is an :class:`InputError` naming the file and
    line; ``-`` reads standard input.
    """
    import sys

    from archive.web import is_url

    name = str(path)
    try:
        if name == "-":
            lines = sys.stdin.read().splitlines()
        else:
            lines = Path(path).read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        yield InputError(name, f"cannot read the list of URLs ({reason})")
        return
    for number, line in enumerate(lines, 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        if is_url(text):
            yield text
        else:
            yield InputError(f"{name}:{number}", f"not a web address: {text[:80]!r}")


def split_sources(sources: Sequence[str]) -> tuple[list[str], list[Path]]:
    """Command-line inputs split into web addresses and paths (files, folders, ``-``)."""
    from archive.web import is_url

    urls = [s for s in sources if is_url(s)]
    paths = [Path(s) for s in sources if not is_url(s)]
    return urls, paths
