"""A shared store on PostgreSQL against SQLite: ingest with one and two writer machines,
a new machine's catch-up, and search latency (issue 17; docs/SCALING.md).

A throwaway PostgreSQL server (Debian's binaries, ``tests/_postgres.py``) on
127.0.0.1, on this same machine: a "machine" here is an archive home (its own
index) and the writers are separate processes. The corpus is the benchmark's BBC
News corpus (``bench/corpus.py``), N articles as JSON Lines.

Measured, each as the whole ``archive ingest FILE --quiet`` command:

- ``sqlite``: one writer into a SQLite home;
- ``pg-1``: one writer into a home following a new PostgreSQL database;
- ``pg-2``: two writers at once, each its own home and half of the corpus, into one
  new database (articles per second over the wall time of both);
- ``catch-up-new``: a new home on that database building its index from the store
  (``Archive.open``), articles per second;
- ``catch-up-behind``: one of the two writers' homes bringing its index up to date
  with the other's half (its next search, timed whole);
- ``search``: the median over ``--repeat`` runs of each query (``Reader.search``, 10
  hits with passages), on the SQLite home and on the ``pg-1`` home, and whether
  both gave the same hits and passages.

The load average is recorded before each measurement: the machine has 2 cores and
other work; a figure measured under load is pessimistic.

Usage::

    python bench/shared_bench.py --articles 4000 --repeat 5
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

QUERIES = (
    "oil prices",
    "election",
    '"prime minister"',
    "mobile phones",
    "film -award",
    "chelsea",
    "economy growth",
    "music download",
)


def load() -> float:
    return round(os.getloadavg()[0], 2)


def ingest(home: Path, corpus: Path, url: str | None = None) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env.pop("ARCHIVE_HOME", None)
    # The replicated corpus's copies are near-duplicates by design: the check is off.
    import corpus as replicated

    cmd = replicated.ingest_command(home, str(corpus), "-q", db=url)
    return subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)


def timed(*procs: subprocess.Popen[bytes]) -> float:
    start = time.perf_counter()
    for p in procs:
        if p.wait() != 0:
            raise SystemExit(f"a writer failed: {p.args}")
    return time.perf_counter() - start


def search_times(home: Path, repeat: int) -> tuple[dict[str, float], dict[str, Any]]:
    from archive.reading import Reader

    reader = Reader(home)
    medians, answers = {}, {}
    for q in QUERIES:
        runs = []
        for _ in range(repeat):
            t = time.perf_counter()
            found = reader.search(q, limit=10, passages=3)
            runs.append(time.perf_counter() - t)
        medians[q] = round(statistics.median(runs) * 1000, 2)
        answers[q] = [(h.title, [p.text for p in h.passages]) for h in found.hits]
    return medians, answers


def main() -> None:
    import corpus
    from resultfile import basic_machine, result_path

    from archive import Archive, store
    from archive.home import Home
    from archive.reading import Reader
    from tests._postgres import PostgresServer, find_binaries, wait_ready

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=4000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    started = time.time()
    bindir = find_binaries()
    if bindir is None:
        raise SystemExit("PostgreSQL's binaries not found: apt-get install postgresql")
    work = Path(tempfile.mkdtemp(prefix="shared-bench-"))
    n = args.articles
    whole = corpus.write_jsonl(work / "all.jsonl", n)
    half_a = corpus.write_jsonl(work / "a.jsonl", n // 2)
    half_b = corpus.write_jsonl(work / "b.jsonl", n - n // 2, start=n // 2)
    server = PostgresServer(bindir)
    out: dict[str, Any] = {"articles": n, "machine": basic_machine(started), "runs": {}}
    runs = out["runs"]
    try:
        wait_ready(server)

        def record(name: str, seconds: float, count: int, at: float) -> None:
            runs[name] = {
                "seconds": round(seconds, 2),
                "articles": count,
                "articles_per_s": round(count / seconds, 1),
                "load_before": at,
            }
            print(f"{name:16} {count:6} articles {seconds:8.2f}s {count / seconds:8.1f}/s "
                  f"(load {at})", flush=True)  # fmt: skip

        at = load()
        record("sqlite", timed(ingest(work / "sqlite", whole)), n, at)
        one = server.new_database()
        at = load()
        record("pg-1", timed(ingest(work / "pg1", whole, one)), n, at)
        two = server.new_database()
        at = load()
        seconds = timed(ingest(work / "a", half_a, two), ingest(work / "b", half_b, two))
        record("pg-2", seconds, n, at)
        at = load()
        t = time.perf_counter()
        with Archive.open(work / "new", database=two) as a:
            count = a.count()
        record("catch-up-new", time.perf_counter() - t, count, at)
        at = load()
        owed = store.pending_index_work(two, Home(work / "a").applied)  # change log rows
        t = time.perf_counter()
        Reader(work / "a").search("election", limit=10)
        record("catch-up-behind", time.perf_counter() - t, owed, at)
        at = load()
        lite, lite_answers = search_times(work / "sqlite", args.repeat)
        pg, pg_answers = search_times(work / "pg1", args.repeat)
        out["search"] = {
            "load_before": at,
            "median_ms": {"sqlite": lite, "postgresql": pg},
            "same_results": lite_answers == pg_answers,
            "total_median_ms": {
                "sqlite": round(sum(lite.values()), 2),
                "postgresql": round(sum(pg.values()), 2),
            },
        }
        for q in QUERIES:
            print(f"search {q!r:22} sqlite {lite[q]:7.2f} ms  postgresql {pg[q]:7.2f} ms")
        print(f"same results: {lite_answers == pg_answers}")
        out["machine"]["loadavg_at_end"] = os.getloadavg()
    finally:
        server.close()
        shutil.rmtree(work, ignore_errors=True)
    path = result_path(f"shared-{n}", started)
    path.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(f"results: {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
