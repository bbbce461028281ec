"""The web front of the archive: the Starlette application ``archive serve`` runs.

Like :mod:`cli`, it only parses a request, makes one call into the library
(:class:`archive.serving.LiveReader` to read, :class:`archive.Archive` to
write) and shows what comes back: pages through Jinja2 templates (autoescaped),
``/api/`` as the CLI's JSON (:mod:`web.api`). Library errors become the same
one-line messages as in the CLI, with an HTTP status.

Every page works without JavaScript; every state of the search page is its
address. Writes take the archive's write lock, as the CLI's do, one at a time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from archive import ArchiveError
from web import actions, api, views
from web.security import Guard, GuardMiddleware
from web.state import Web, status_of, web_of

#: Hits on one page of results.
PER_PAGE = 10
#: Facets the search page counts.
FACETS = ("source", "author", "tag", "year")
#: Largest form the server reads (a bookmarklet's page HTML, a pasted article).
MAX_FORM_BYTES = 20 * 1024 * 1024


async def form_of(request: Request) -> FormData:
    return await request.form(max_files=0, max_fields=100, max_part_size=MAX_FORM_BYTES)


async def checked_form(request: Request) -> FormData | Response:
    """The POSTed form, or the error page: CSRF token wrong, or the server is read-only."""
    web = web_of(request)
    if web.guard.read_only:
        return web.error(request, "this server is read-only (started with --read-only)", 403)
    form = await form_of(request)
    if not web.guard.csrf_ok(form.get("csrf")):
        return web.error(request, "the form is out of date (reload the page and try again)", 403)
    return form


# --- search ------------------------------------------------------------------------------


def _int(value: str | None, default: int, low: int = 1, high: int = 10_000) -> int:
    try:
        return min(max(int(value or default), low), high)
    except ValueError:
        return default


async def search_page(request: Request) -> Response:
    web = web_of(request)
    params = request.query_params
    q = params.get("q", "")
    filters = {name: params.getlist(name) for name in views.NARROWING}
    year = params.get("year", "")
    since, until = params.get("since", ""), params.get("until", "")
    if year:
        since = until = year
    sort = params.get("sort", "relevance")
    page = _int(params.get("page"), 1)
    state = {
        "q": q,
        **filters,
        "year": year,
        "since": params.get("since", ""),
        "until": params.get("until", ""),
        "sort": "" if sort == "relevance" else sort,
    }
    query = views.narrowed(q, filters)
    if not query:
        recent, total = await run_in_threadpool(
            lambda: (web.reader.list(limit=PER_PAGE), web.reader.count())
        )
        return web.page(request, "search.html", state=state, found=None, recent=recent, total=total)

    def run() -> tuple[Any, dict[str, list[tuple[str, int]]]]:
        found = web.reader.search(
            query,
            limit=PER_PAGE,
            offset=(page - 1) * PER_PAGE,
            sort=sort if sort in ("relevance", "newest", "oldest") else "relevance",
            since=since or None,
            until=until or None,
        )
        # counted apart (and kept per query and index state): see LiveReader.facet_counts
        counts = web.reader.facet_counts(query, FACETS, since=since or None, until=until or None)
        return found, counts

    try:
        found, counts = await run_in_threadpool(run)
    except ArchiveError as exc:
        return web.page(
            request,
            "search.html",
            status=status_of(exc),
            state=state,
            found=None,
            error=str(exc),
            recent=[],
            total=0,
        )
    from archive import render

    pages = max(1, -(-found.shown_total // PER_PAGE))
    facets = {
        name: [
            (
                value,
                count,
                views.address(
                    "/",
                    {**state, "page": "", **_narrow(state, name, value)},
                ),
            )
            for value, count in pairs
        ]
        for name, pairs in counts.items()
    }
    return web.page(
        request,
        "search.html",
        state=state,
        found=found,
        heading=render.heading(found),
        labels=render.MATCH_LABELS,
        facets=facets,
        page=page,
        pages=pages,
        page_numbers=views.page_numbers(page, pages),
        notices=list(found.notices),
    )


def _narrow(state: dict[str, Any], name: str, value: str) -> dict[str, Any]:
    if name == "year":
        return {"year": value}
    kept = list(state.get(name, []))
    return {name: kept if value in kept else [*kept, value]}


# --- reading -----------------------------------------------------------------------------


async def article_page(request: Request) -> Response:
    web = web_of(request)
    article_id = request.path_params["id"]
    q = request.query_params.get("q", "")

    def gather() -> dict[str, Any]:
        reader = web.reader
        article = reader.get(article_id)
        language = (article.extra or {}).get("language")
        return {
            "article": article,
            "marks": reader.highlights(
                article.body, q, language if isinstance(language, str) else None
            )
            if q
            else [],
            "revisions": reader.revisions(article_id),
            "history": reader.history(article_id),
            "notes": reader.notes(article_id=article_id),
            "similar": reader.similar(article_id, limit=5, passages=0),
        }

    try:
        data = await run_in_threadpool(gather)
    except ArchiveError as exc:
        return web.error(request, exc)
    data["paragraphs"] = views.paragraphs(data["article"].body, data["marks"])
    return web.page(request, "article.html", q=q, state={"q": q}, **data)


async def edit_article(request: Request) -> Response:
    web = web_of(request)
    form = await checked_form(request)
    if isinstance(form, Response):
        return form
    article_id = request.path_params["id"]
    try:
        await run_in_threadpool(
            actions.edit,
            web,
            article_id,
            title=str(form.get("title", "")),
            tags=str(form.get("tags", "")),
            source=str(form.get("source", "")),
            author=str(form.get("author", "")),
        )
    except ArchiveError as exc:
        return web.error(request, exc)
    return RedirectResponse(f"/article/{article_id}", status_code=303)


async def add_note(request: Request) -> Response:
    web = web_of(request)
    form = await checked_form(request)
    if isinstance(form, Response):
        return form
    article_id = request.path_params["id"]
    quote = str(form.get("quote", "")).strip() or None
    try:
        await run_in_threadpool(
            actions.write,
            web,
            lambda a: a.add_note(article_id, str(form.get("text", "")), quote=quote),
        )
    except ArchiveError as exc:
        return web.error(request, exc)
    return RedirectResponse(f"/article/{article_id}#notes", status_code=303)


async def delete_note(request: Request) -> Response:
    web = web_of(request)
    form = await checked_form(request)
    if isinstance(form, Response):
        return form
    try:
        gone = await run_in_threadpool(
            actions.write, web, lambda a: a.delete_note(request.path_params["id"])
        )
    except ArchiveError as exc:
        return web.error(request, exc)
    return RedirectResponse(f"/article/{gone.article_id}#notes", status_code=303)


# --- adding ------------------------------------------------------------------------------


async def add_page(request: Request) -> Response:
    web = web_of(request)
    base = f"{request.url.scheme}://{request.url.netloc}"
    return web.page(
        request,
        "add.html",
        bookmarklet=actions.bookmarklet(base, web.guard.token),
    )


async def add_url(request: Request) -> Response:
    web = web_of(request)
    form = await checked_form(request)
    if isinstance(form, Response):
        return form
    urls = [u.strip() for u in str(form.get("url", "")).split() if u.strip()]
    try:
        report = await run_in_threadpool(actions.ingest_urls, web, urls)
    except ArchiveError as exc:
        return web.error(request, exc)
    return web.page(request, "saved.html", report=report, status=200 if not report.failed else 422)


async def add_text(request: Request) -> Response:
    web = web_of(request)
    form = await checked_form(request)
    if isinstance(form, Response):
        return form
    fields = {
        k: str(form.get(k, ""))
        for k in ("text", "title", "source", "author", "url", "published", "tags")
    }
    try:
        report = await run_in_threadpool(actions.ingest_text, web, **fields)
    except ArchiveError as exc:
        return web.error(request, exc)
    return web.page(request, "saved.html", report=report, status=200 if not report.failed else 422)


async def bookmarklet(request: Request) -> Response:
    """What the bookmarklet opens: the page it sent, waiting to be saved (never saved here)."""
    web = web_of(request)
    if request.method == "GET":
        url, title, html = (
            request.query_params.get("url", ""),
            request.query_params.get("title", ""),
            "",
        )
    else:
        form = await form_of(request)
        if web.guard.token is not None and not web.guard.token_ok(str(form.get("token") or "")):
            return web.error(
                request,
                "this server needs its access token "
                "(drag the bookmarklet from its 'Add' page again)",
                401,
            )
        url, title, html = (str(form.get(k, "")) for k in ("url", "title", "html"))
    if not views.safe_url(url):
        return web.error(
            request, f"the bookmarklet sent no web address to save ({url[:200]!r})", 400
        )
    key = web.keep_pending(url, title, html) if html else ""
    return web.page(
        request,
        "confirm.html",
        url=url,
        title=title,
        has_html=bool(html),
        html_bytes=len(html.encode()),
        key=key,
    )


async def bookmarklet_save(request: Request) -> Response:
    web = web_of(request)
    form = await checked_form(request)
    if isinstance(form, Response):
        return form
    url = str(form.get("url", ""))
    pending = web.pending.pop(str(form.get("key", "")), None)
    try:
        if pending is not None:
            _, url, _, html = pending
            report = await run_in_threadpool(actions.ingest_page, web, url, html)
        else:
            report = await run_in_threadpool(actions.ingest_urls, web, [url])
    except ArchiveError as exc:
        return web.error(request, exc)
    return web.page(request, "saved.html", report=report, status=200 if not report.failed else 422)


async def stylesheet(request: Request) -> Response:
    return Response(
        web_of(request).css,
        media_type="text/css",
        headers={"cache-control": "max-age=300"},
    )


async def not_found(request: Request, exc: Exception) -> Response:
    if request.url.path.startswith("/api/"):
        return api.problem("no such address in the API (see docs/serve.md)", 404)
    return web_of(request).error(request, f"no page at {request.url.path}", 404)


async def wrong_method(request: Request, exc: Exception) -> Response:
    message = f"{request.url.path} does not take {request.method} requests"
    if request.url.path.startswith("/api/"):
        return api.problem(message, 405)
    return web_of(request).error(request, message, 405)


def create_app(home: Path | str, *, guard: Guard | None = None) -> Starlette:
    """The web application serving the archive in *home*.

    :param guard: the security settings (default: loopback only, no token, writes allowed).
    """
    guard = guard or Guard()
    web = Web(Path(home).expanduser(), guard)
    routes = [
        Route("/", search_page),
        Route("/article/{id:int}", article_page),
        Route("/article/{id:int}/edit", edit_article, methods=["POST"]),
        Route("/article/{id:int}/notes", add_note, methods=["POST"]),
        Route("/notes/{id:int}/delete", delete_note, methods=["POST"]),
        Route("/add", add_page),
        Route("/add/url", add_url, methods=["POST"]),
        Route("/add/text", add_text, methods=["POST"]),
        Route("/bookmarklet", bookmarklet, methods=["GET", "POST"]),
        Route("/bookmarklet/save", bookmarklet_save, methods=["POST"]),
        Route("/static/style.css", stylesheet),
        *api.routes(),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(GuardMiddleware, guard=guard)],
        exception_handlers={404: not_found, 405: wrong_method},
    )
    app.state.web = web
    return app
