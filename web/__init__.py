"""``archive serve``: a local web page and JSON API over the archive's library API.

A thin front, like :mod:`cli`: :mod:`web.app` (pages), :mod:`web.api` (``/api/``),
:mod:`web.actions` (the writes), :mod:`web.security` (headers, token, CSRF),
:mod:`web.views` (pure helpers for the templates) and :mod:`web.server` (running it).
"""

from __future__ import annotations

__all__ = ["ServeError", "Server", "create_app"]

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from web.app import create_app
    from web.server import ServeError, Server


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from web.app import create_app

        return create_app
    if name in ("Server", "ServeError"):
        from web import server

        return getattr(server, name)
    raise AttributeError(f"module 'web' has no attribute {name!r}")
