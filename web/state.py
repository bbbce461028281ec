"""What the handlers of one server share (:class:`Web`), and the HTTP status of an error."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from archive import ArchiveError, ArticleNotFound
from archive.errors import ArchiveBusy, DatabaseDamaged, IndexUnavailable, SchemaTooNew
from archive.notes import NoteError
from archive.serving import LiveReader
from web import views
from web.security import Guard

#: Pages a bookmarklet sent that wait for the user to confirm (kept in memory only).
PENDING_MAX = 20
PENDING_SECONDS = 600


def status_of(exc: BaseException | str) -> int:
    """The HTTP status of a library error: what kind of problem it is."""
    if isinstance(exc, ArticleNotFound):
        return 404
    if isinstance(exc, ArchiveBusy | IndexUnavailable):
        return 503
    if isinstance(exc, SchemaTooNew | DatabaseDamaged):
        return 500
    if isinstance(exc, NoteError) and str(exc).startswith("no note with id"):
        return 404
    if isinstance(exc, ArchiveError):
        return 400
    return 500


class Web:
    """What the handlers share: the archive home, the reader kept open, the guard."""

    def __init__(self, home: Path, guard: Guard) -> None:
        self.home = home
        self.guard = guard
        self.reader = LiveReader(home)
        self.reader.follow()  # a shared store's changes, in the background
        self.write_lock = threading.Lock()
        self.pending: OrderedDict[str, tuple[float, str, str, str]] = OrderedDict()
        self.env = Environment(
            loader=PackageLoader("web", "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.globals.update(
            address=views.address,
            parts=views.parts,
            safe_url=views.safe_url,
            bidi=views.bidi_controls,
            csrf=guard.csrf,
            read_only=guard.read_only,
        )
        self.css = resources.files("web").joinpath("static/style.css").read_bytes()

    def page(self, request: Request, name: str, status: int = 200, **context: Any) -> Response:
        context.setdefault("notices", [])
        html = self.env.get_template(name).render(request=request, **context)
        return HTMLResponse(html, status_code=status)

    def error(
        self, request: Request, exc: ArchiveError | str, status: int | None = None
    ) -> Response:
        message = str(exc)
        code = status if status is not None else status_of(exc)
        return self.page(request, "error.html", status=code, message=message, status_code=code)

    def keep_pending(self, url: str, title: str, html: str) -> str:
        import secrets

        now = time.monotonic()
        while self.pending and (
            len(self.pending) >= PENDING_MAX
            or next(iter(self.pending.values()))[0] < now - PENDING_SECONDS
        ):
            self.pending.popitem(last=False)
        key = secrets.token_urlsafe(16)
        self.pending[key] = (now, url, title, html)
        return key


def web_of(request: Request) -> Web:
    web: Web = request.app.state.web
    return web
