"""A local web server for the fetching tests and benchmarks, on 127.0.0.1 only.

It serves real files (trafilatura's saved pages, UDHR pages, feeds) from folders the
test names, and misbehaves on request: slow answers, redirects (and a loop), 304,
404, 500, a wrong content type, a huge body, a bad encoding, a dropped connection.
Each request is counted, and the most requests it served at once is kept (to check
that a client asks one site one thing at a time).

:func:`network_guard` stops (and records) any attempt to reach another address.
"""

from __future__ import annotations

import email.utils
import gzip
import hashlib
import socket
import sys
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ALLOWED = ("127.0.0.1",)


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, files: dict[str, Path], delay: float = 0.0) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        #: URL path prefix -> folder: ``/page/webpage.html`` serves ``files["page"]/webpage.html``.
        self.files = files
        self.delay = delay
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self.lock = threading.Lock()
        #: Errors raised in handlers other than a client's reset (none in a good run).
        self.errors: list[BaseException | None] = []
        #: Fixed Last-Modified of served files (for conditional GET).
        self.modified = email.utils.formatdate(1_700_000_000, usegmt=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def count(self, prefix: str) -> int:
        return sum(1 for p, _ in self.requests if p.startswith(prefix))

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Keep a handler's error instead of printing it into the output a test reads.

        A client that closes a kept-alive connection resets it while the handler
        waits for the next request; that is the client's right, not a failure.
        """
        error = sys.exc_info()[1]
        if not isinstance(error, ConnectionError):
            self.errors.append(error)


class Handler(BaseHTTPRequestHandler):
    server: Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        pass

    def do_GET(self) -> None:
        s = self.server
        with s.lock:
            s.requests.append((self.path, dict(self.headers)))
            s.in_flight += 1
            s.most_in_flight = max(s.most_in_flight, s.in_flight)
        try:
            if s.delay:
                time.sleep(s.delay)
            self.route()
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            with s.lock:
                s.in_flight -= 1

    def send(
        self, status: int, body: bytes, ctype: str = "text/html; charset=utf-8", **headers: str
    ) -> None:
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def file(self, rest: str, prefix: str) -> bytes | None:
        folder = self.server.files.get(prefix)
        if folder is None or ".." in rest:
            return None
        path = folder / rest
        return path.read_bytes() if path.is_file() else None

    def route(self) -> None:  # noqa: C901 - one branch per behaviour
        path = self.path.split("?", 1)[0]
        parts = path.strip("/").split("/")
        head, rest = parts[0], "/".join(parts[1:])
        if head == "slow":  # /slow/SECONDS/...: wait, then answer the rest
            time.sleep(float(parts[1]))
            self.path = "/" + "/".join(parts[2:])
            return self.route()
        if head == "redirect":  # /redirect/N/...: N redirects, then the rest
            n = int(parts[1])
            target = (
                "/" + "/".join(parts[2:]) if n <= 1 else f"/redirect/{n - 1}/" + "/".join(parts[2:])
            )
            return self.send(302, b"", "", Location=target)
        if head == "loop":
            return self.send(302, b"", "", Location="/loop-again")
        if head == "loop-again":
            return self.send(302, b"", "", Location="/loop")
        if head == "status":
            code = int(parts[1])
            return self.send(code, b"" if code == 304 else f"status {code}".encode())
        if head == "pdf":
            return self.send(200, b"%PDF-1.4\n%fake\n", "application/pdf")
        if head == "image":
            return self.send(200, b"\x89PNG\r\n\x1a\n", "image/png")
        if head == "huge":  # a body that never says its size and does not end soon
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Connection", "close")
            self.end_headers()
            chunk = b"<p>" + b"x" * 65_000 + b"</p>\n"
            for _ in range(2000):  # 130 MB at most
                self.wfile.write(chunk)
            return None
        if head == "huge-declared":  # says 500 MB up front
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", "500000000")
            self.end_headers()
            self.wfile.write(b"<html>")
            self.close_connection = True
            return None
        if head == "drop":  # promises 100 kB, sends 1 kB, hangs up
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b"<html><body><p>" + b"y" * 1000)
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return None
        if head in ("gzip", "deflate", "br"):  # /gzip/PREFIX/FILE: compressed
            body = self.file("/".join(parts[2:]), parts[1])
            if body is None:
                return self.send(404, b"not found")
            if head == "gzip":
                packed = gzip.compress(body)
            elif head == "deflate":
                packed = zlib.compress(body)
            else:
                import brotli

                packed = brotli.compress(body)
            return self.send(200, packed, Content_Encoding=head)
        if head == "badenc":  # /badenc/PREFIX/FILE: Latin-1 bytes, said to be UTF-8
            body = self.file("/".join(parts[2:]), parts[1])
            if body is None:
                return self.send(404, b"not found")
            text = body.decode("utf-8")
            return self.send(200, text.encode("cp1252", "replace"), "text/html; charset=utf-8")
        if head == "wrap":  # /wrap/PREFIX/FILE: a plain-text article as a simple HTML page
            raw = self.file("/".join(parts[2:]), parts[1])
            if raw is None:
                return self.send(404, b"not found")
            return self.send(200, wrap_article(raw.decode("utf-8", "replace")))
        if head == "as":  # /as/CTYPE-WITH-DASHES/PREFIX/FILE: served with that content type
            ctype = parts[1].replace("--", "/")
            body = self.file("/".join(parts[3:]), parts[2])
            return self.send(200 if body else 404, body or b"not found", ctype)
        body = self.file(rest, head)
        if body is None:
            return self.send(404, b"not found")
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag or (
            self.headers.get("If-Modified-Since") == self.server.modified
            and not self.headers.get("If-None-Match")
        ):
            return self.send(304, b"", "", ETag=etag)
        ctype = "text/html; charset=utf-8"
        if rest.endswith((".xml", ".rss", ".atom", ".rdf")):
            ctype = "application/xml"
        return self.send(200, body, ctype, ETag=etag, Last_Modified=self.server.modified)


def wrap_article(text: str) -> bytes:
    """A plain-text article (title on the first line, paragraphs apart) as an HTML page."""
    from html import escape

    title, _, body = text.strip().partition("\n")
    paras = "".join(f"<p>{escape(p.strip())}</p>\n" for p in body.split("\n") if p.strip())
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}"
        f"</title></head><body><article><h1>{escape(title)}</h1>\n{paras}</article>"
        "</body></html>"
    ).encode()


@contextmanager
def serving(files: dict[str, Path], delay: float = 0.0) -> Iterator[Server]:
    server = Server(files, delay)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


class Guard:
    """What the network guard stopped: addresses connected to, names looked up."""

    def __init__(self) -> None:
        self.blocked: list[str] = []


@contextmanager
def network_guard() -> Iterator[Guard]:
    """Only 127.0.0.1 may be reached: any other connection or name lookup is stopped
    (a lookup fails as an unknown name would) and recorded in the guard."""
    guard = Guard()
    real_connect = socket.socket.connect
    real_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: Any) -> None:
        host = address[0] if isinstance(address, tuple) else str(address)
        if self.family in (socket.AF_INET, socket.AF_INET6) and host not in ALLOWED:
            guard.blocked.append(f"connect {host}")
            raise ConnectionRefusedError(111, "Connection refused (blocked by the test guard)")
        real_connect(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name not in ALLOWED:
            guard.blocked.append(f"lookup {name}")
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real_getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.getaddrinfo = getaddrinfo
    try:
        yield guard
    finally:
        socket.socket.connect = real_connect  # type: ignore[method-assign]
        socket.getaddrinfo = real_getaddrinfo
