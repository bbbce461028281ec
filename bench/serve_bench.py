"""``archive serve`` under load: warm search latency (HTML and JSON), then concurrent clients
while an ingest runs.

1. Latency: ``archive serve`` is started as a command on the archive of N articles
   (bench/corpus.py's BBC corpus, built with ``archive ingest`` if missing); after a
   warm-up, each query of ``run.py``'s QUERIES is asked ``--repeat`` times as the
   search page (``/?q=``, with its four facets) and as JSON (``/api/search?q=``),
   one request at a time; median and p95 per kind.
2. Concurrency: ``--clients`` threads ask for search pages, JSON searches and
   reading pages for ``--seconds`` while ``archive ingest`` adds ``--ingest``
   new articles in another process; every answer that is not 200, and every
   exception, is an error. At the end the server must find the new articles.

Only 127.0.0.1 is contacted (the server this script starts).

Usage::

    python bench/serve_bench.py --size 100000
    python bench/serve_bench.py --size 10000 --seconds 20 --repeat 3     # quicker
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT)]

import corpus  # noqa: E402
from resultfile import basic_machine, result_path  # noqa: E402
from run import QUERIES  # noqa: E402

WORK = HERE / "work"


def percentile(xs: list[float], p: float) -> float:
    s = sorted(xs)
    if not s:
        return float("nan")
    k = min(len(s) - 1, max(0, round(p / 100 * (len(s) - 1))))
    return s[k]


def cli(home: Path, *args: str, **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", "--home", str(home), *args],
        cwd=ROOT,
        text=True,
        capture_output=True,
        **kw,
    )


def build(n: int, log: Any) -> Path:
    home = WORK / f"serve-{n}"
    jsonl = corpus.write_jsonl(corpus.DATA / f"bbc-{n}.jsonl", n)
    count = cli(home, "stats", "--format", "json")
    have = json.loads(count.stdout)["articles"] if count.returncode == 0 else 0
    if have < n:
        log(f"building the {n:,}-article archive in {home} (have {have:,})")
        # The copies are near-duplicates of their originals by design: checked off.
        done = subprocess.run(
            corpus.ingest_command(home, str(jsonl), "--format", "jsonl", "-q"),
            cwd=ROOT,
            text=True,
            capture_output=True,
        )
        if done.returncode != 0:
            raise SystemExit(done.stderr)
    return home


def start(home: Path) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", "--home", str(home), "serve", "--port", "0"],
        cwd=ROOT,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        found = re.search(r" at (http://127\.0\.0\.1:\d+)/$", line.strip())
        if found:
            return proc, found.group(1)
    raise SystemExit("archive serve printed no address")


def latency(base: str, repeat: int) -> dict[str, Any]:
    kinds = {"html": "/", "json": "/api/search"}
    times: dict[str, list[float]] = {k: [] for k in kinds}
    with httpx.Client(base_url=base, timeout=120) as client:
        for q in QUERIES:  # warm-up: file cache, the kept index, the analyzers
            for path in kinds.values():
                client.get(path, params={"q": q}).raise_for_status()
        for _ in range(repeat):
            for q in QUERIES:
                for kind, path in kinds.items():
                    t = time.perf_counter()
                    r = client.get(path, params={"q": q})
                    times[kind].append(time.perf_counter() - t)
                    r.raise_for_status()
    return {
        kind: {
            "median_ms": round(percentile(xs, 50) * 1000, 1),
            "p95_ms": round(percentile(xs, 95) * 1000, 1),
            "max_ms": round(max(xs) * 1000, 1),
            "requests": len(xs),
        }
        for kind, xs in times.items()
    }


def concurrent(
    base: str, home: Path, n: int, clients: int, seconds: float, extra: int
) -> dict[str, Any]:
    jsonl = corpus.write_jsonl(WORK / f"serve-extra-{n}-{extra}.jsonl", extra, start=n)
    # the new articles' last copy number: how many the server finds before and after
    copy = (n + extra - 1) // 2092
    marker = {"q": f'"Bench copy {copy}"', "strict": "1", "limit": "1"}
    # after the ingest the archive holds articles 0 .. n + extra - 1 of the corpus
    expected = sum(1 for i in range(n + extra) if i // 2092 == copy)
    before = httpx.get(f"{base}/api/search", params=marker, timeout=120).json()["total"]
    stop = time.monotonic() + seconds
    errors: list[str] = []
    times: list[float] = []
    lock = threading.Lock()

    def client_loop(seed: int) -> None:
        rng = random.Random(seed)
        with httpx.Client(base_url=base, timeout=120) as client:
            while time.monotonic() < stop:
                q = rng.choice(QUERIES)
                path, params = rng.choice(
                    [
                        ("/", {"q": q}),
                        ("/api/search", {"q": q}),
                        ("/", {"q": q, "page": str(rng.randint(1, 5))}),
                        (f"/article/{rng.randint(1, n)}", {"q": q}),
                    ]
                )
                t = time.perf_counter()
                try:
                    r = client.get(path, params=params)
                    ok = r.status_code == 200
                    why = f"{path} {params}: HTTP {r.status_code} {r.text[:200]!r}"
                except Exception as exc:  # noqa: BLE001 - every failure is counted
                    ok, why = False, f"{path} {params}: {exc!r}"
                with lock:
                    times.append(time.perf_counter() - t)
                    if not ok:
                        errors.append(why)

    ingest = subprocess.Popen(
        corpus.ingest_command(home, str(jsonl), "-q"),  # copies: near-duplicate check off
        cwd=ROOT,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    threads = [threading.Thread(target=client_loop, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out, err = ingest.communicate()
    # the server sees the ingest's articles on the next request after its commit
    after = httpx.get(f"{base}/api/search", params=marker, timeout=120).json()["total"]
    return {
        "clients": clients,
        "seconds": seconds,
        "requests": len(times),
        "errors": len(errors),
        "error_examples": errors[:5],
        "median_ms": round(percentile(times, 50) * 1000, 1),
        "p95_ms": round(percentile(times, 95) * 1000, 1),
        "ingest": {
            "articles": extra,
            "exit": ingest.returncode,
            "summary": out.strip().splitlines()[-1:] or err.strip().splitlines()[-1:],
        },
        "found_by_the_server": {
            "query": marker["q"],
            "before": before,
            "after": after,
            "articles_with_that_copy_number_after_the_ingest": expected,
        },
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=int, default=100_000, help="articles in the archive")
    ap.add_argument("--repeat", type=int, default=5, help="runs of each query (latency)")
    ap.add_argument("--clients", type=int, default=8, help="concurrent clients")
    ap.add_argument("--seconds", type=float, default=60, help="length of the concurrent run")
    ap.add_argument("--ingest", type=int, default=2_000, help="articles ingested meanwhile")
    ap.add_argument("--skip-concurrent", action="store_true")
    args = ap.parse_args()
    started = time.time()
    log = lambda s: print(s, file=sys.stderr, flush=True)  # noqa: E731
    home = build(args.size, log)
    result: dict[str, Any] = {
        "machine": basic_machine(started),
        "size": args.size,
        "queries": list(QUERIES),
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip(),
    }
    proc, base = start(home)
    try:
        log(f"latency: {len(QUERIES)} queries x {args.repeat}, HTML and JSON")
        result["latency"] = latency(base, args.repeat)
        log(json.dumps(result["latency"]))
        if not args.skip_concurrent:
            log(f"concurrency: {args.clients} clients for {args.seconds:.0f} s, ingest running")
            result["concurrent"] = concurrent(
                base, home, args.size, args.clients, args.seconds, args.ingest
            )
            log(json.dumps({k: v for k, v in result["concurrent"].items()}))
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    result["loadavg_at_end"] = os.getloadavg()
    path = result_path(f"serve-{args.size}", started)
    path.write_text(json.dumps(result, indent=2) + "\n")
    log(f"results: {path}")


if __name__ == "__main__":
    main()
