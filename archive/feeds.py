"""Following feeds: RSS and Atom read with feedparser, checked with conditional GET.

A feed (``feeds``) keeps its ETag and Last-Modified from its last answer, so an
update asks "anything new since?" and a feed that has nothing new costs one short
304 answer. Each new entry becomes an article with its feed's tags: from the
entry's own full text when it has some, else (or always, with ``full_text``) by
fetching the page it links to (:mod:`archive.fetching`). Entries already taken
(their GUID in ``feed_entries``) or whose address an article has are skipped. A
failed entry is not remembered, so the next update tries it again.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archive.errors import ArchiveError, InputError
from archive.ingest.draft import ArticleDraft
from archive.records import IngestReport

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from archive.fetching import Ingesting
    from archive.web import Fetcher, Response

#: Feed content types accepted (and HTML: some servers label feeds so; feedparser decides).
FEED_ACCEPT: tuple[str, ...] = ()
#: An entry whose text is shorter than this (characters) is a summary: its page is fetched.
FULL_TEXT_CHARS = 500


class FeedError(ArchiveError):
    """A feed could not be added, found or read."""


@dataclass(frozen=True, slots=True)
class FeedRecord:
    """A feed followed."""

    id: int
    url: str
    title: str | None
    tags: list[str]
    full_text: bool
    checked: datetime | None
    status: str | None
    error: str | None

    @classmethod
    def from_model(cls, f: Any) -> FeedRecord:
        return cls(
            f.id,
            f.url,
            f.title,
            list(f.tags or []),
            bool(f.full_text),
            f.checked,
            f.status,
            f.error,
        )

    @property
    def name(self) -> str:
        return self.title or self.url


@dataclass(slots=True)
class FeedUpdate:
    """What one ``feed update`` did: per feed, and the articles ingested."""

    checked: int = 0
    not_modified: int = 0
    #: (feed, reason) of each feed that could not be read.
    failed: list[tuple[str, str]] = field(default_factory=list)
    #: feed name -> new articles from it.
    new: dict[str, int] = field(default_factory=dict)
    #: Entries already taken (or whose address an article has).
    entries_skipped: int = 0
    #: Entries with no id, link or title, or neither text nor a link: nothing to take.
    unusable: int = 0
    report: IngestReport = field(default_factory=IngestReport)
    #: Entries whose page could not be fetched, kept as links waiting (``archive fetch``).
    kept_as_links: int = 0

    @property
    def articles(self) -> int:
        return self.report.count("added") + self.report.count("updated")

    @property
    def ok(self) -> bool:
        return not self.failed and not self.report.failed

    @property
    def quiet(self) -> bool:
        """Nothing new and nothing wrong: a cron job prints nothing."""
        return self.ok and not self.articles


def parse_feed(body: bytes, url: str, content_type: str | None = None) -> Any:
    """feedparser's reading of a feed's bytes (never of a URL: it fetches nothing).

    :raises FeedError: not a feed at all (feedparser found neither a feed nor entries).
    """
    import feedparser

    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    parsed = feedparser.parse(body, response_headers=headers)
    if not parsed.entries and not parsed.feed.get("title") and not parsed.version:
        why = parsed.get("bozo_exception")
        detail = f" ({why})" if why else ""
        raise FeedError(f"{url}: not an RSS or Atom feed{detail}")
    return parsed


def entry_guid(entry: Any) -> str | None:
    """What identifies an entry: its id, else its link, else its title, else a hash of its
    text (None: it has none of these)."""
    import hashlib

    found = entry.get("id") or entry.get("link") or entry.get("title")
    if found:
        return str(found)
    text = "".join(c.get("value") or "" for c in entry.get("content") or []) or entry.get("summary")
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest() if text else None


def entry_draft(entry: Any, feed: FeedRecord, feed_title: str | None, origin: str) -> ArticleDraft:
    """An entry as a draft: its own text (HTML turned into text), or none (then its page
    is to be fetched)."""
    from archive.ingest.html import maybe_html_to_text

    html = ""
    for content in entry.get("content") or []:
        if content.get("value") and len(content["value"]) > len(html):
            html = content["value"]
    if not html:
        html = entry.get("summary") or ""
    text, _ = maybe_html_to_text(html) if html else ("", False)
    text = text.strip()
    published = None
    # dict.get: feedparser's own get() maps a missing updated_parsed to published_parsed
    # with a DeprecationWarning on every entry.
    stamp = dict.get(entry, "published_parsed") or dict.get(entry, "updated_parsed")
    if stamp:
        from calendar import timegm

        published = datetime.fromtimestamp(timegm(stamp), UTC).isoformat()
    extra: dict[str, object] = {"feed": feed.url}
    guid = entry_guid(entry)
    if guid:
        extra["guid"] = guid
    categories = [t.get("term") for t in entry.get("tags") or [] if t.get("term")]
    if categories:
        extra["categories"] = categories
    return ArticleDraft(
        title=(entry.get("title") or "").strip() or (text.split("\n", 1)[0] if text else ""),
        body=text,
        origin=origin,
        author=entry.get("author") or None,
        source=feed_title or None,
        url=entry.get("link") or None,
        published=published,
        tags=tuple(feed.tags),
        extra=extra,
    )


class Feeds:
    """Feeds on an archive (a mixin of :class:`archive.facade.Archive`)."""

    def _me(self) -> Ingesting:
        from typing import cast

        return cast("Ingesting", self)

    def add_feed(
        self,
        url: str,
        *,
        tags: Sequence[str] = (),
        full_text: bool = False,
        fetcher: Fetcher | None = None,
    ) -> FeedRecord:
        """Follow a feed: it is fetched once and must read as RSS or Atom.

        :raises FeedError: it cannot be fetched, is not a feed, or is followed already.
        """
        from sqlalchemy import select

        from archive.decisions import now
        from archive.models import Feed
        from archive.web import Fetcher as Client
        from archive.web import FetchError, is_url

        url = url.strip()
        if not is_url(url):
            raise FeedError(f"{url}: not a web address (http:// or https://)")
        client = fetcher or Client()
        try:
            r = client.get(url, accept=FEED_ACCEPT)
        except FetchError as exc:
            raise FeedError(f"{url}: {exc.reason}") from None
        finally:
            if fetcher is None:
                client.close()
        parsed = parse_feed(r.body, url, r.content_type)
        with self._me().keeper.store.session(write=True) as session:
            if session.scalar(select(Feed.id).where(Feed.url == url)) is not None:
                raise FeedError(f"{url}: followed already (see 'archive feed list')")
            feed = Feed(
                url=url,
                title=(parsed.feed.get("title") or "").strip() or None,
                tags=list(dict.fromkeys(t.strip() for t in tags if t.strip())) or None,
                full_text=int(full_text),
                added=now(),
            )
            session.add(feed)
            session.flush()
            return FeedRecord.from_model(feed)

    def import_opml(self, data: bytes, origin: str, *, tags: Sequence[str] = ()) -> OpmlImport:
        """Follow every feed an OPML file lists (not fetched now: ``update`` checks them):
        the feeds added, how many were followed already, the outlines skipped and why.

        :raises FeedError: the file is not OPML, or lists no feed.
        """
        from sqlalchemy import select

        from archive.decisions import now
        from archive.models import Feed

        listed, skipped = read_opml(data, origin)
        added = []
        already = 0
        with self._me().keeper.store.session(write=True) as session:
            have = set(session.scalars(select(Feed.url)))
            for url, title, folder_tags in listed:
                if url in have:
                    already += 1
                    continue
                have.add(url)
                feed = Feed(
                    url=url,
                    title=title,
                    tags=list(dict.fromkeys([*tags, *folder_tags])) or None,
                    full_text=0,
                    added=now(),
                )
                session.add(feed)
                session.flush()
                added.append(FeedRecord.from_model(feed))
        return OpmlImport(added, already, skipped)

    def export_opml(self) -> str:
        """The feeds followed, as an OPML 2.0 document."""
        return write_opml(self.feeds())

    def feeds(self) -> list[FeedRecord]:
        """The feeds followed, in the order they were added."""
        from sqlalchemy import select

        from archive.models import Feed

        with self._me().keeper.store.session() as session:
            return [
                FeedRecord.from_model(f) for f in session.scalars(select(Feed).order_by(Feed.id))
            ]

    def remove_feed(self, name: str) -> FeedRecord:
        """Stop following a feed (by id, address or title); its articles stay.

        :raises FeedError: no such feed, or the title names several.
        """
        from archive.models import Feed

        with self._me().keeper.store.session(write=True) as session:
            [feed] = _find(session, [name])
            record = FeedRecord.from_model(feed)
            session.delete(session.get(Feed, feed.id))
            return record

    def update_feeds(
        self,
        names: Sequence[str] = (),
        *,
        max_bytes: int | None = None,
        keep_html: bool = True,
        fetcher: Fetcher | None = None,
        **options: Any,
    ) -> FeedUpdate:
        """Check feeds (*names*, or all) with conditional GET and ingest their new entries.

        :raises FeedError: a name matches no feed.
        """
        from archive.web import Fetcher as Client

        with self._me().keeper.store.session() as session:
            chosen = [FeedRecord.from_model(f) for f in _find(session, names)]
            state = {f.id: (f.etag, f.modified) for f in _find(session, names)}
        result = FeedUpdate()
        if not chosen:
            return result
        client = fetcher or Client(max_bytes=max_bytes)
        try:
            result = self._update(chosen, state, client, result, keep_html, options)
        finally:
            if fetcher is None:
                client.close()
        return result

    def _update(
        self,
        chosen: list[FeedRecord],
        state: dict[int, tuple[str | None, str | None]],
        client: Fetcher,
        result: FeedUpdate,
        keep_html: bool,
        options: dict[str, Any],
    ) -> FeedUpdate:
        from dataclasses import replace

        from archive.decisions import now
        from archive.web import FetchError, is_url

        by_url = {f.url: f for f in chosen}
        headers: dict[str, dict[str, str]] = {}
        for f in chosen:
            etag, modified = state[f.id]
            h = {}
            if etag:
                h["If-None-Match"] = etag
            if modified:
                h["If-Modified-Since"] = modified
            headers[f.url] = h
        parsed: list[tuple[FeedRecord, Any, Response]] = []
        status: dict[int, tuple[str, str | None, Response | None]] = {}
        progress = self._me().keeper.progress
        progress.phase("checking feeds", len(by_url), unit="feeds")
        for url, got in client.get_many(list(by_url), accept=FEED_ACCEPT, headers=headers):
            progress.advance()
            feed = by_url[url]
            result.checked += 1
            if isinstance(got, FetchError):
                result.failed.append((feed.name, got.reason))
                status[feed.id] = ("failed", got.reason, None)
                continue
            if got.not_modified:
                result.not_modified += 1
                status[feed.id] = ("not modified", None, got)
                continue
            try:
                parsed.append((feed, parse_feed(got.body, url, got.content_type), got))
                status[feed.id] = ("ok", None, got)
            except FeedError as exc:
                result.failed.append((feed.name, str(exc).removeprefix(f"{url}: ")))
                status[feed.id] = ("failed", str(exc), None)
        seen = self._seen([f.id for f, _, _ in parsed])
        takes: dict[str, tuple[int, str]] = {}  # draft origin -> (feed id, guid)
        names: dict[int, str] = {}
        own: list[ArticleDraft] = []
        remember: list[tuple[int, str]] = []
        retry: set[int] = set()  # feeds with an entry that failed: asked in full next time
        unfetched: dict[str, tuple[tuple[int, str], str]] = {}  # url -> (take, reason)
        to_fetch: dict[str, ArticleDraft] = {}
        for feed, doc, _ in parsed:
            names[feed.id] = feed.name
            title = (doc.feed.get("title") or "").strip() or feed.title
            for entry in doc.entries:
                guid = entry_guid(entry)
                if guid is None:
                    result.unusable += 1
                    continue
                if (feed.id, guid) in seen:
                    result.entries_skipped += 1
                    continue
                draft = entry_draft(entry, feed, title, f"{feed.url}#{guid}")
                if draft.url and self._known_url(draft.url):
                    result.entries_skipped += 1
                    seen.add((feed.id, guid))
                    remember.append((feed.id, guid))
                    continue
                if draft.url and not is_url(draft.url):
                    draft = replace(draft, url=None)  # a urn: id taken for a link
                summary_only = len(draft.body) < FULL_TEXT_CHARS
                if draft.url and (feed.full_text or summary_only):
                    if draft.url not in to_fetch:
                        to_fetch[draft.url] = draft
                        takes[draft.url] = (feed.id, guid)
                elif draft.body:
                    own.append(draft)
                    takes[draft.origin] = (feed.id, guid)
                else:
                    result.unusable += 1

        def items() -> Iterator[ArticleDraft | InputError]:
            yield from own
            yield from _with_entry(to_fetch, client)

        options["keep_outcomes"] = True
        if own or to_fetch:
            # (pages to fetch are counted as they are taken, fetched a few at once)
            progress.phase("taking new entries", len(own) + len(to_fetch), unit="entries")
            options.setdefault("on_read", progress.advance)
        report = (
            self._me().ingest(items(), keep_html=keep_html, **options)
            if own or to_fetch
            else IngestReport()
        )
        for outcome in report.outcomes:
            result.report.record(outcome)
            take = takes.get(outcome.origin)
            if take is None:
                continue
            if outcome.status in ("added", "updated"):
                name = names[take[0]]
                result.new[name] = result.new.get(name, 0) + 1
            if outcome.status != "failed":
                remember.append(take)
            elif outcome.origin in to_fetch:  # its page failed: kept as a link waiting
                reason = (outcome.message or "").removeprefix(f"{outcome.origin}: ")
                unfetched[outcome.origin] = (take, reason)
            else:
                retry.add(take[0])
        result.report.dry_run = report.dry_run
        if not report.dry_run:
            if unfetched:
                kept = self._keep_as_links(
                    [to_fetch[url] for url in unfetched],
                    {url: why for url, (_, why) in unfetched.items()},
                )
                result.kept_as_links = len(kept)
                for url, (take, _) in unfetched.items():
                    if url in kept:
                        remember.append(take)
                    else:
                        retry.add(take[0])
            self._record(status, remember, retry, now())
        return result

    def _keep_as_links(self, entries: list[ArticleDraft], reasons: dict[str, str]) -> set[str]:
        """Keep entries whose page could not be fetched as links waiting to be fetched
        (with the entry's title and tags, and why), so that nothing is lost when the
        entry leaves its feed, and the next update does not fail on it again; returns
        the addresses now waiting."""
        from dataclasses import replace

        from archive.links import settle

        links = [replace(d, body="", extra=None, page=None) for d in entries]
        report = self._me().ingest(iter(links), keep_html=False, keep_outcomes=True)
        status = {o.origin: o.status for o in report.outcomes}
        # A link stored or already waiting (or an article that has the address by now).
        kept = {d.url for d in links if d.url and status.get(d.origin, "failed") != "failed"}
        with self._me().keeper.store.session(write=True) as session:
            settle(session, [], {url: reasons[url] for url in kept})
        return kept

    def _seen(self, feed_ids: Iterable[int]) -> set[tuple[int, str]]:
        from sqlalchemy import select

        from archive.models import FeedEntry

        ids = list(feed_ids)
        if not ids:
            return set()
        with self._me().keeper.store.session() as session:
            rows = session.execute(
                select(FeedEntry.feed_id, FeedEntry.guid).where(FeedEntry.feed_id.in_(ids))
            )
            return {(r[0], r[1]) for r in rows}

    def _known_url(self, url: str) -> bool:
        from sqlalchemy import select

        from archive.models import Article
        from archive.urls import canonical_url

        key = canonical_url(url)
        if key is None:
            return False
        with self._me().keeper.store.session() as session:
            return session.scalar(select(Article.id).where(Article.url_key == key)) is not None

    def _record(
        self,
        status: dict[int, tuple[str, str | None, Response | None]],
        remember: list[tuple[int, str]],
        retry: set[int],
        when: datetime,
    ) -> None:
        """Each feed's state after an update, and the entries taken (in one transaction)."""
        from sqlalchemy import Table, bindparam, update

        from archive.models import Feed, FeedEntry
        from archive.shared import upsert_insert

        with self._me().keeper.store.session(write=True) as session:
            insert = upsert_insert(session)
            if remember:
                rows = [{"feed_id": f, "guid": g, "seen": when} for f, g in set(remember)]
                session.execute(insert(FeedEntry).values(rows).on_conflict_do_nothing())
            rows = []
            for feed_id, (what, error, r) in status.items():
                row: dict[str, Any] = {"id": feed_id, "checked": when, "status": what}
                row["error"] = error
                if r is not None and what == "ok":
                    # A feed with an entry that failed keeps no validators: the next
                    # update reads it whole and tries that entry again.
                    keep = feed_id not in retry
                    row["etag"] = (r.headers.get("etag") or None) if keep else None
                    row["modified"] = (r.headers.get("last-modified") or None) if keep else None
                rows.append(row)
            # One UPDATE per set of columns, by primary key (a feed removed meanwhile: none).
            for keys in {tuple(sorted(row)) for row in rows}:
                same = [row for row in rows if tuple(sorted(row)) == keys]
                table = Feed.__table__
                assert isinstance(table, Table)
                session.execute(
                    update(table)
                    .where(table.c.id == bindparam("b_id"))
                    .values({k: bindparam(f"b_{k}") for k in keys if k != "id"}),
                    [{f"b_{k}": v for k, v in row.items()} for row in same],
                )


def _with_entry(
    to_fetch: dict[str, ArticleDraft], client: Fetcher
) -> Iterator[ArticleDraft | InputError]:
    """The pages of entries that hold only a summary, with the entry's tags and date."""
    from dataclasses import replace

    from archive.fetching import fetched_drafts

    for d in fetched_drafts(list(to_fetch), fetcher=client):
        entry = to_fetch.get(d.origin)
        if isinstance(d, InputError) or entry is None:
            yield d
            continue
        extra = {**(entry.extra or {}), **(d.extra or {})}
        yield replace(
            d,
            tags=tuple(dict.fromkeys((*entry.tags, *d.tags))),
            published=d.published or entry.published,
            source=d.source or entry.source,
            author=d.author or entry.author,
            extra=extra,
        )


def _find(session: Session, names: Sequence[str]) -> list[Any]:
    """The feeds named (by id, address or title; none named: all)."""
    from sqlalchemy import select

    from archive.models import Feed

    every = list(session.scalars(select(Feed).order_by(Feed.id)))
    if not names:
        return every
    found = []
    for name in names:
        hits = [
            f
            for f in every
            if str(f.id) == name or f.url == name or (f.title or "").lower() == name.lower()
        ]
        if not hits:
            raise FeedError(f"no feed {name!r} (see 'archive feed list')")
        if len(hits) > 1:
            raise FeedError(f"{name!r} names {len(hits)} feeds: give its id or address")
        found.extend(hits)
    return list({f.id: f for f in found}.values())


@dataclass(frozen=True, slots=True)
class OpmlImport:
    """What ``feed import`` did."""

    added: list[FeedRecord]
    #: Feeds the file lists that were followed already (left as they are).
    already: int
    #: Outlines not followed: (the outline's address, or its title), why).
    skipped: list[tuple[str, str]]


def read_opml(
    data: bytes, origin: str
) -> tuple[list[tuple[str, str | None, list[str]]], list[tuple[str, str]]]:
    """The feeds an OPML file lists (address, title, the folders it is in, as tags), and
    the outlines that are neither a feed nor a folder, each with why it is skipped.

    No entity is expanded and nothing is fetched (lxml, ``resolve_entities`` off).

    :raises FeedError: not OPML, or no feed in it.
    """
    from lxml import etree

    from archive.web import is_url

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise FeedError(f"{origin}: not an OPML file ({exc})") from None
    if root.tag.lower() != "opml":
        raise FeedError(f"{origin}: not an OPML file (its root is <{root.tag}>)")
    found: list[tuple[str, str | None, list[str]]] = []
    skipped: list[tuple[str, str]] = []
    seen: set[str] = set()
    for outline in root.iter("outline"):
        url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
        title = (outline.get("title") or outline.get("text") or "").strip() or None
        if not url:
            if len(outline) == 0:  # a folder holds outlines; this holds nothing
                skipped.append((title or "(an outline with no title)", "no feed address (xmlUrl)"))
            continue
        if not is_url(url):
            skipped.append((url, "not an http or https address"))
            continue
        if url in seen:
            skipped.append((url, "listed twice"))
            continue
        seen.add(url)
        folders = [
            (a.get("title") or a.get("text") or "").strip()
            for a in outline.iterancestors("outline")
        ]
        found.append((url, title, [f for f in reversed(folders) if f]))
    if not found:
        why = "; ".join(f"{what!r}: {reason}" for what, reason in skipped[:3])
        raise FeedError(
            f"{origin}: the OPML file lists no feeds it can follow"
            + (f" ({len(skipped)} skipped: {why})" if skipped else " (no outline with an xmlUrl)")
        )
    return found, skipped


def write_opml(feeds: Sequence[FeedRecord]) -> str:
    """*feeds* as an OPML 2.0 document (every value escaped as XML)."""
    from xml.etree import ElementTree as ET

    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = "article-archive feeds"
    body = ET.SubElement(root, "body")
    for f in feeds:
        attrs = {"type": "rss", "text": f.name, "xmlUrl": f.url}
        if f.title:
            attrs["title"] = f.title
        if f.tags:
            attrs["category"] = ",".join(f.tags)
        ET.SubElement(body, "outline", attrs)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


def read_opml_file(path: Path) -> tuple[bytes, str]:
    """An OPML file's bytes and its name (``-``: standard input).

    :raises FeedError: it cannot be read.
    """
    import sys

    if str(path) == "-":
        return sys.stdin.buffer.read(), "-"
    try:
        return path.read_bytes(), str(path)
    except OSError as exc:
        raise FeedError(f"{path}: cannot read it ({exc.strerror or exc})") from None
