"""``/api/``: the CLI's JSON contract over HTTP (docs/serve.md lists every endpoint).

Each endpoint answers what the matching command prints with ``--format json``
(``search``, ``similar``, ``show``, ``list``, ``stats``, ``ingest``); an error is
``{"error": message, "status": code}`` with the CLI's message and an HTTP status
saying what kind it is (400 a bad request, 404 no such article, 501 not in
this build, 503 busy or the index unavailable).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from archive import ArchiveError
from web.state import status_of

if TYPE_CHECKING:
    from web.state import Web

#: Most hits one request may ask for.
MAX_LIMIT = 1_000


class BadRequest(ArchiveError):
    """The request's parameters cannot be used."""


def problem(message: str, status: int) -> Response:
    return JSONResponse({"error": message, "status": status}, status_code=status)


def _json(data: Any, status: int = 200) -> Response:
    body = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
    return Response(body, status_code=status, media_type="application/json")


def _web(request: Request) -> Web:
    web: Web = request.app.state.web
    return web


def _number(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be a whole number, not {raw!r}") from None
    if not low <= value <= high:
        raise BadRequest(f"{name} must be between {low} and {high}, not {value}")
    return value


def _flag(request: Request, name: str) -> bool:
    return request.query_params.get(name, "").lower() in ("1", "true", "yes", "on")


async def _answer(call: Any) -> Response:
    try:
        data = await run_in_threadpool(call)
    except ArchiveError as exc:
        return problem(str(exc), status_of(exc))
    return _json(data)


async def search(request: Request) -> Response:
    """GET /api/search?q=QUERY: ``archive search QUERY --format json``."""
    web, p = _web(request), request.query_params

    def call() -> dict[str, Any]:
        q = p.get("q")
        if not q:
            raise BadRequest("give a query: /api/search?q=WORDS")
        limit = _number(request, "limit", 10, 1, MAX_LIMIT)
        offset = _number(request, "offset", 0, 0, 10_000_000)
        page = _number(request, "page", 0, 0, 1_000_000)
        if page and offset:
            raise BadRequest("give page or offset, not both")
        sort = p.get("sort", "relevance")
        if sort not in ("relevance", "newest", "oldest"):
            raise BadRequest(f"sort must be relevance, newest or oldest, not {sort!r}")
        found = web.reader.search(
            q,
            limit=limit,
            offset=(page - 1) * limit if page else offset,
            passages=_number(request, "passages", 3, 0, 50),
            sort=sort,
            since=p.get("since") or None,
            until=p.get("until") or None,
            facets=p.getlist("facet"),
            fuzzy=_flag(request, "fuzzy"),
            rescue=not _flag(request, "strict"),
        )
        data = found.to_json()
        if _flag(request, "explain"):
            data["understood"] = found.understood
            data["engine"] = found.engine
        return data

    return await _answer(call)


async def similar(request: Request) -> Response:
    """GET /api/articles/ID/similar: ``archive similar ID --format json``."""
    web = _web(request)
    article_id = request.path_params["id"]
    return await _answer(
        lambda: web.reader.similar(
            article_id,
            limit=_number(request, "limit", 10, 1, MAX_LIMIT),
            passages=_number(request, "passages", 1, 0, 50),
        ).to_json()
    )


async def show(request: Request) -> Response:
    """GET /api/articles/ID: ``archive show ID --format json`` (``?revisions=1``: with them)."""
    web = _web(request)
    article_id = request.path_params["id"]

    def call() -> dict[str, Any]:
        from archive import render

        reader = web.reader
        article = reader.get(article_id)
        with_revisions = _flag(request, "revisions")
        text = render.article_json(
            article,
            reader.revisions(article_id) if with_revisions else None,
            reader.history(article_id) if with_revisions else None,
            reader.notes(article_id=article_id),
        )
        data: dict[str, Any] = json.loads(text)
        return data

    return await _answer(call)


async def articles(request: Request) -> Response:
    """GET /api/articles: ``archive list --format json`` (``?limit=N``, ``?all=1``)."""
    web = _web(request)
    return await _answer(
        lambda: [
            a.to_json(body=False)
            for a in web.reader.list(
                limit=None if _flag(request, "all") else _number(request, "limit", 20, 1, 10**9)
            )
        ]
    )


async def stats(request: Request) -> Response:
    """GET /api/stats: ``archive stats --format json``."""
    web = _web(request)
    return await _answer(lambda: web.reader.stats().to_json())


async def ingest(request: Request) -> Response:
    """POST /api/ingest with JSON: ``{"urls": [...]}``, ``{"url": U, "html": H}`` or
    ``{"text": T, "title": ..., "source": ..., "tags": [...]}``: what ``archive ingest``
    reports, as ``{"added": n, ..., "outcomes": [...]}``."""
    from web import actions

    web = _web(request)
    if web.guard.read_only:
        return problem("this server is read-only (started with --read-only)", 403)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json":
        return problem("send the request as JSON (Content-Type: application/json)", 415)
    try:
        body = json.loads(await request.body())
    except ValueError as exc:
        return problem(f"the request body is not valid JSON ({exc})", 400)
    if not isinstance(body, dict):
        return problem("the request body must be a JSON object", 400)

    def call() -> dict[str, Any]:
        text = body.get("text")
        if isinstance(text, str):
            tags = body.get("tags") or []
            if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
                raise BadRequest("tags must be a list of strings")
            fields = {
                k: body.get(k) or "" for k in ("title", "source", "author", "url", "published")
            }
            if not all(isinstance(v, str) for v in fields.values()):
                raise BadRequest("title, source, author, url and published must be strings")
            report = actions.ingest_text(web, text=text, tags=",".join(tags), **fields)
        elif isinstance(body.get("html"), str) and isinstance(body.get("url"), str):
            report = actions.ingest_page(web, body["url"], body["html"])
        elif "urls" in body or "url" in body:
            urls = body.get("urls", [body.get("url")])
            if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
                raise BadRequest("urls must be a list of web addresses")
            report = actions.ingest_urls(web, urls)
        else:
            raise BadRequest('give "urls", "url" and "html", or "text"')
        return report_json(report)

    try:
        data = await run_in_threadpool(call)
    except ArchiveError as exc:
        return problem(str(exc), status_of(exc))
    return _json(data, 200 if not data["failed"] else 422)


def report_json(report: Any) -> dict[str, Any]:
    """An ingest report as JSON: the counts, then each input's outcome."""
    from dataclasses import asdict

    return {
        **{s: report.count(s) for s in ("added", "updated", "unchanged", "failed")},
        "outcomes": [
            {k: v for k, v in asdict(o).items() if v not in (None, ())} for o in report.outcomes
        ],
    }


def routes() -> list[Route]:
    return [
        Route("/api/search", search),
        Route("/api/articles", articles),
        Route("/api/articles/{id:int}", show),
        Route("/api/articles/{id:int}/similar", similar),
        Route("/api/stats", stats),
        Route("/api/ingest", ingest, methods=["POST"]),
    ]
