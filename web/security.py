"""What keeps ``archive serve`` safe: headers, the access token, CSRF, the Host check.

- Every response carries a strict Content-Security-Policy (no inline script, no
  script from anywhere but the server itself, no frames, forms posting only
  back to the server), ``nosniff``, ``no-referrer`` and ``DENY`` framing.
- Requests whose ``Host`` is not the address the server was started on are
  refused (a web page cannot reach the archive by rebinding a name to 127.0.0.1).
- With a token (required when listening beyond loopback), every request must
  carry it: ``Authorization: Bearer TOKEN``, the cookie set by visiting
  ``/?token=TOKEN`` once, or a ``token`` form field (the bookmarklet).
- A POST from a page must carry the CSRF token the server put in its forms; a
  POST to ``/api/`` must be JSON (``Content-Type: application/json``), which no
  other site's page can send without a CORS preflight, which this server never
  answers; any POST whose ``Origin`` is another site is refused.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urlsplit

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: The Content-Security-Policy of every response.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]
TOKEN_COOKIE = "archive_token"
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1", "[::1]")


def is_loopback(host: str) -> bool:
    """Whether *host* (a name or an address) is this machine only."""
    if host in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def new_token() -> str:
    """A fresh access token (32 random bytes, URL-safe)."""
    return secrets.token_urlsafe(32)


@dataclass
class Guard:
    """The security settings of one server run."""

    #: The access token every request must carry (None: none needed, loopback only).
    token: str | None = None
    #: Serve search and reading only: every change is refused.
    read_only: bool = False
    #: Host names (with or without the port) the server answers to.
    hosts: tuple[str, ...] = LOOPBACK_NAMES
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))

    @property
    def csrf(self) -> str:
        """The CSRF token of this server run, put in every form."""
        return hmac.new(self.secret, b"csrf", "sha256").hexdigest()

    def csrf_ok(self, value: object) -> bool:
        return isinstance(value, str) and hmac.compare_digest(value, self.csrf)

    def token_ok(self, value: str | None) -> bool:
        return (
            self.token is None
            or value is not None
            and hmac.compare_digest(value.encode(), self.token.encode())
        )


class GuardMiddleware:
    """The ASGI middleware applying a :class:`Guard` to every HTTP request."""

    def __init__(self, app: ASGIApp, guard: Guard) -> None:
        self.app = app
        self.guard = guard

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        refusal = self._refusal(scope, headers)
        if refusal is not None:
            status, message = refusal
            await _plain(send, status, message, scope["path"].startswith("/api/"))
            return
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        given = query.get("token", [None])[0]
        if self.guard.token is not None and given is not None and scope["method"] == "GET":
            # The token came in the address (a shared link): keep it in a cookie, drop it
            # from the address so it is not left in the history or a screenshot.
            kept = [(k, v) for k, vs in query.items() if k != "token" for v in vs]
            from urllib.parse import urlencode

            location = scope["path"] + (f"?{urlencode(kept)}" if kept else "")
            await send(
                {
                    "type": "http.response.start",
                    "status": 303,
                    "headers": [
                        (b"location", location.encode("latin-1", "replace")),
                        (
                            b"set-cookie",
                            f"{TOKEN_COOKIE}={given}; HttpOnly; SameSite=Strict; Path=/".encode(),
                        ),
                        *HEADERS,
                    ],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)

    def _refusal(self, scope: Scope, headers: dict[str, str]) -> tuple[int, str] | None:
        guard = self.guard
        host = headers.get("host", "")
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        if "*" not in guard.hosts and host not in guard.hosts and name not in guard.hosts:
            return 421, f"this server does not answer to the host name {host!r}"
        if guard.token is not None:
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            auth = headers.get("authorization", "")
            cookie = SimpleCookie()
            try:
                cookie.load(headers.get("cookie", ""))
            except Exception:  # a malformed cookie header carries no token
                cookie = SimpleCookie()
            offered = [
                auth[7:] if auth.lower().startswith("bearer ") else None,
                cookie[TOKEN_COOKIE].value if TOKEN_COOKIE in cookie else None,
                query.get("token", [None])[0],
            ]
            form_post = scope["method"] == "POST" and scope["path"] == "/bookmarklet"
            if not form_post and not any(guard.token_ok(v) for v in offered if v):
                return 401, "this server needs its access token (see the address it printed)"
        if scope["method"] not in ("GET", "HEAD"):
            origin = headers.get("origin")
            if (
                origin
                and origin != "null"
                and urlsplit(origin).netloc != host
                and scope["path"] != "/bookmarklet"
            ):
                return 403, f"a page from {origin} may not change this archive"
        return None


async def _plain(send: Send, status: int, message: str, api: bool) -> None:
    import json

    if api:
        body = json.dumps({"error": message, "status": status}).encode()
        kind = b"application/json"
    else:
        body = (message + "\n").encode()
        kind = b"text/plain; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", kind), *HEADERS],
        }
    )
    await send({"type": "http.response.body", "body": body})
