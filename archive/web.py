"""Fetching web pages with httpx: timeouts, limits, politeness, and a reason for every failure.

:class:`Fetcher` fetches one address at a time (:meth:`Fetcher.get`) or many
(:meth:`Fetcher.get_many`): a few requests in parallel, but at most one at a time
per site (scheme, host and port), results as they come. Every request has a
connect timeout and a total one (the body is streamed and the clock checked as it
comes), follows at most :data:`MAX_REDIRECTS` redirects, reads at most
``max_bytes`` of the (decompressed) body, accepts gzip, deflate and brotli, and
names the tool in its User-Agent. A failure is a :class:`FetchError` whose
message is what the user reads: no traceback, the reason in words.

No database here: :mod:`archive.fetching` turns pages into articles.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import httpx

#: Seconds to wait for a connection, and for a whole response.
CONNECT_TIMEOUT = 10.0
TOTAL_TIMEOUT = 30.0
#: Redirects followed before giving up.
MAX_REDIRECTS = 5
#: The largest page read, by default (bytes, after decompression).
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
#: Requests in flight at once, across sites.
WORKERS = 8

#: Content types taken as web pages.
HTML_TYPES = ("text/html", "application/xhtml+xml")
#: Content types of feeds (a URL given to ``ingest`` that is a feed gets a pointer).
FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/xml",
    "text/xml",
)


def user_agent() -> str:
    """The User-Agent sent with every request: the tool's name and version."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        ours = version("article-archive")
    except PackageNotFoundError:
        ours = "dev"
    import httpx

    return f"article-archive/{ours} (personal news archive) python-httpx/{httpx.__version__}"


class FetchError(Exception):
    """A page could not be fetched; ``str()`` is the reason, ``url`` the address."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(reason)
        self.url = url
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Response:
    """A page fetched whole."""

    #: The address asked for, and the one answered from (after redirects).
    url: str
    final_url: str
    status: int
    content_type: str | None
    #: The character set the server named, if any.
    charset: str | None
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def is_url(text: str) -> bool:
    """Whether *text* is an http(s) address (not a file name)."""
    low = text[:8].lower()
    return low.startswith(("http://", "https://"))


def site(url: str) -> str:
    """The site of an address (scheme, host, port): at most one request at a time each."""
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


class Fetcher:
    """An HTTP client for pages and feeds; use with ``with``, or call :meth:`close`."""

    def __init__(
        self,
        *,
        max_bytes: int | None = None,
        connect_timeout: float = CONNECT_TIMEOUT,
        total_timeout: float = TOTAL_TIMEOUT,
        max_redirects: int = MAX_REDIRECTS,
        workers: int = WORKERS,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        import httpx

        self.max_bytes = max_bytes or DEFAULT_MAX_BYTES
        self.total_timeout = total_timeout
        self.max_redirects = max_redirects
        self.workers = max(1, workers)
        self.client = httpx.Client(
            follow_redirects=True,
            max_redirects=max_redirects,
            timeout=httpx.Timeout(total_timeout, connect=connect_timeout),
            headers={
                "User-Agent": user_agent(),
                "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
                # httpx decodes gzip and deflate, and brotli when the brotli package is there.
                "Accept-Encoding": "gzip, deflate, br",
            },
            transport=transport,
            limits=httpx.Limits(max_connections=self.workers * 2),
        )

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.client.close()

    def get(
        self,
        url: str,
        *,
        accept: tuple[str, ...] = HTML_TYPES,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """Fetch *url* whole.

        :param accept: the content types taken (others are refused with the reason);
            empty: any.
        :param headers: extra request headers (``If-None-Match``...): a 304 answer is
            then returned, not refused.
        :raises FetchError: the reason it could not be had.
        """
        import httpx

        if not is_url(url):
            raise FetchError(url, "not a web address (http:// or https://)")
        started = time.monotonic()
        try:
            with self.client.stream("GET", url, headers=dict(headers or {})) as r:
                final = str(r.url)
                if r.status_code == 304 and headers:
                    return Response(url, final, 304, None, None, b"", dict(r.headers))
                if r.status_code >= 300:
                    phrase = r.reason_phrase or ""
                    raise FetchError(url, f"HTTP {r.status_code} {phrase}".strip())
                ctype, charset = _content_type(r.headers.get("content-type"))
                refusal = _refused(ctype, accept)
                if refusal:
                    raise FetchError(url, refusal)
                length = r.headers.get("content-length")
                if length and length.isdigit() and int(length) > self.max_bytes:
                    raise FetchError(url, self._too_large(int(length)))
                chunks: list[bytes] = []
                size = 0
                for chunk in r.iter_bytes():
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise FetchError(url, self._too_large(None))
                    if time.monotonic() - started > self.total_timeout:
                        raise FetchError(url, self._timed_out())
                    chunks.append(chunk)
                return Response(
                    url, final, r.status_code, ctype, charset, b"".join(chunks), dict(r.headers)
                )
        except FetchError:
            raise
        except httpx.TooManyRedirects:
            raise FetchError(
                url, f"too many redirects (more than {self.max_redirects}; a redirect loop?)"
            ) from None
        except httpx.ConnectTimeout:
            raise FetchError(url, "timed out connecting") from None
        except httpx.TimeoutException:
            raise FetchError(url, self._timed_out()) from None
        except httpx.ConnectError as exc:
            raise FetchError(url, _connect_reason(exc)) from None
        except httpx.DecodingError:
            raise FetchError(url, "the server sent a body that does not decompress") from None
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
            detail = str(exc) or type(exc).__name__
            raise FetchError(url, f"the connection broke ({detail})") from None
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            raise FetchError(url, f"not a usable web address ({exc})") from None
        except httpx.HTTPError as exc:
            raise FetchError(url, f"{type(exc).__name__}: {exc}") from None

    def get_many(
        self,
        urls: Iterable[str],
        *,
        accept: tuple[str, ...] = HTML_TYPES,
        headers: Mapping[str, Mapping[str, str]] | None = None,
    ) -> Iterator[tuple[str, Response | FetchError]]:
        """Fetch many addresses, a few at once but one at a time per site; yields
        (url, response or error) as each finishes. *headers* may give each URL's own."""
        queues: dict[str, list[str]] = {}
        for url in dict.fromkeys(urls):
            queues.setdefault(site(url), []).append(url)
        for q in queues.values():
            q.reverse()  # popped from the end: the given order
        busy: dict[Future[Response], tuple[str, str]] = {}

        def one(url: str) -> Response:
            return self.get(url, accept=accept, headers=(headers or {}).get(url))

        pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="fetch")
        try:

            def start() -> None:
                running = {s for s, _ in busy.values()}
                for name, q in queues.items():
                    if len(busy) >= self.workers:
                        return
                    if q and name not in running:
                        url = q.pop()
                        busy[pool.submit(one, url)] = (name, url)
                        running.add(name)

            start()
            while busy:
                done, _ = wait(list(busy), return_when=FIRST_COMPLETED)
                for future in done:
                    _, url = busy.pop(future)
                    try:
                        yield url, future.result()
                    except FetchError as exc:
                        yield url, exc
                    except Exception as exc:  # noqa: BLE001 - one page never stops the run
                        yield url, FetchError(url, f"{type(exc).__name__}: {exc}")
                start()
        finally:
            # Ctrl-C, or the caller stopped early: what has not started never will, and
            # nobody waits for the requests in flight (their threads end with them).
            pool.shutdown(wait=False, cancel_futures=True)

    def _timed_out(self) -> str:
        return f"timed out (no whole page in {self.total_timeout:g} s)"

    def _too_large(self, size: int | None) -> str:
        limit = _human(self.max_bytes)
        if size is None:
            return f"too large (over the {limit} limit; see --max-size)"
        return f"too large ({_human(size)}, over the {limit} limit; see --max-size)"


def _content_type(value: str | None) -> tuple[str | None, str | None]:
    if not value:
        return None, None
    from email.message import Message

    msg = Message()
    msg["content-type"] = value
    charset = msg.get_param("charset")
    return msg.get_content_type().lower(), charset if isinstance(charset, str) else None


def _refused(ctype: str | None, accept: tuple[str, ...]) -> str | None:
    if not accept or ctype is None or ctype in accept:
        return None
    if ctype == "application/pdf":
        return "a PDF document (PDF is not supported yet)"
    if accept == HTML_TYPES and (ctype in FEED_TYPES or ctype.endswith("+xml")):
        return (
            f"a feed or XML document ({ctype}), not a web page: follow it with 'archive feed add'"
        )
    return f"not a web page (content type {ctype})"


def _connect_reason(exc: Exception) -> str:
    text = str(exc)
    low = text.lower()
    if (
        "name or service not known" in low
        or "nodename nor servname" in low
        or ("temporary failure in name resolution" in low)
    ):
        return "host not found (DNS)"
    if "connection refused" in low:
        return "connection refused"
    return f"could not connect ({text})"


def _human(size: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}".replace(".0 ", " ")
    return f"{size} bytes"
