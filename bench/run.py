"""The performance benchmark: ingest, adding later, search, start-up; see bench/README.md.

Run it with ``make bench`` (or ``make bench BENCH_ARGS=--quick``). Every figure is the
median of several runs, and the things compared are measured side by side in the
same run, interleaved, so that load from other processes on the machine hits all
of them alike. Each ingest runs in a fresh process, which reports its own peak
memory (and its children's, for the multi-process writer).

Results go to one JSON file per run,
``bench/results/<date>-<time>-perf-<sizes>[-<sections>][-<tag>].json``
(``resultfile.py``); the Markdown tables are printed at the end, and
``bench/run.py --show FILE`` prints them again for a stored file.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / "work"
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import corpus  # noqa: E402
from resultfile import result_path, run_date  # noqa: E402

BIN = Path(sys.executable).parent
ARCHIVE = str(BIN / "archive")
SQLITE_UTILS = str(BIN / "sqlite-utils")

#: Known-item style queries on BBC News 2004-2005: topical words a reader would remember.
QUERIES = (
    "oil prices",
    "Time Warner profit",
    "England rugby",
    "mobile phone",
    "Blair election",
    "Oscar nominations",
    "broadband internet",
    "interest rates",
    "Chelsea manager",
    "video games",
)


# --- measuring ----------------------------------------------------------------------------


def median(xs: Sequence[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def wall(cmd: Sequence[str], **kw: Any) -> float:
    """Seconds from starting *cmd* to its exit (it must succeed)."""
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, **kw)
    return time.perf_counter() - t


def peak_rss_mb() -> dict[str, float]:
    """Peak resident memory of this process and of its largest waited-for child (MiB)."""
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"self": round(me, 1), "children": round(kids, 1)}


class TreeMemory:
    """Samples the memory of this process and its descendants (the indexing workers).

    Their proportional set size (PSS, Linux's ``/proc/PID/smaps_rollup``) is summed
    every *interval* seconds: pages a forked worker still shares with its parent
    count once, not once per process as in a sum of RSS. The peak is kept.
    """

    def __init__(self, interval: float = 0.5) -> None:
        import threading

        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(interval,), daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self, interval: float) -> None:
        while not self._stop.wait(interval):
            self.peak_mb = max(self.peak_mb, self.sample())

    @staticmethod
    def sample() -> float:
        pids, todo = [], [os.getpid()]
        while todo:
            pid = todo.pop()
            pids.append(pid)
            try:
                kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            except OSError:
                continue
            todo.extend(int(k) for k in kids)
        total_kb = 0
        for pid in pids:
            try:
                for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                    if line.startswith("Pss:"):
                        total_kb += int(line.split()[1])
            except OSError:
                pass
        return total_kb / 1024


def dir_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def worker(task: str, **args: Any) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter; returns what it printed (JSON)."""
    proc = subprocess.run(
        [sys.executable, str(Path(__file__)), "--worker", task, json.dumps(args)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --- workers (each runs in its own process) -----------------------------------------------


def w_ingest_archive(
    jsonl: str, home: str, jobs: int | None = None, batch_size: int | None = None
) -> dict[str, Any]:
    """The archive end to end through its Python API: JSONL -> drafts -> SQLite + index.

    *jobs* as ``archive ingest --jobs`` (default: one indexing process per core).
    """
    t = time.perf_counter()
    from archive import Archive

    options: dict[str, Any] = {"jobs": jobs}
    if batch_size:
        options["batch_size"] = batch_size
    # As the command does: counts and failures only, not an outcome per article.
    options["keep_outcomes"] = False
    with TreeMemory() as memory, Archive.open(Path(home)) as a:
        report = a.ingest(corpus.drafts(corpus.read_jsonl(Path(jsonl))), **options)
    secs = time.perf_counter() - t
    return {
        "secs": secs,
        "added": report.count("added"),
        "rss": peak_rss_mb(),
        "pss_tree_mb": round(memory.peak_mb, 1),
        "index_bytes": dir_bytes(Path(home) / "index"),
        "db_bytes": sum(f.stat().st_size for f in Path(home).glob("archive.sqlite3*")),
    }


def w_ingest_whoosh(jsonl: str, home: str, procs: int = 1) -> dict[str, Any]:
    """A bare Whoosh writer with the archive's schema: the same fields, nothing else."""
    from datetime import datetime

    from whoosh.filedb.filestore import FileStorage

    from index.schema import IndexDoc, make_schema

    t = time.perf_counter()
    Path(home).mkdir(parents=True)
    ix = FileStorage(home).create_index(make_schema())
    kw: dict[str, Any] = {"limitmb": 256}
    if procs > 1:
        kw.update(procs=procs, multisegment=True)
    w = ix.writer(**kw)
    n = 0
    for n, a in enumerate(corpus.read_jsonl(Path(jsonl)), start=1):
        # The same fields the archive gives Whoosh for an article (IndexDoc.fields():
        # title and body, their unstemmed twins, source and its facet, url, date).
        doc = IndexDoc(
            id=n,
            version=a["id"],
            title=a["title"],
            body=a["body"],
            source=a["source"],
            url=a["url"],
            published=datetime.fromisoformat(a["published"]),
        )
        w.add_document(**doc.fields())
    w.commit()
    secs = time.perf_counter() - t
    return {"secs": secs, "added": n, "rss": peak_rss_mb(), "index_bytes": dir_bytes(Path(home))}


def w_ingest_fts5(jsonl: str, db: str) -> dict[str, Any]:
    """sqlite-utils: insert the same JSONL and build an FTS5 table on title and body."""
    import sqlite_utils

    t = time.perf_counter()
    d = sqlite_utils.Database(db)
    d["articles"].insert_all(corpus.read_jsonl(Path(jsonl)), pk="id", batch_size=1000)
    d["articles"].enable_fts(["title", "body"], fts_version="FTS5", create_triggers=False)
    d.conn.commit()
    d.close()
    return {
        "secs": time.perf_counter() - t,
        "rss": peak_rss_mb(),
        "db_bytes": Path(db).stat().st_size,
    }


def w_add_batches(home: str, start: int, batches: int, per_batch: int) -> dict[str, Any]:
    """Ingest *batches* separate small batches through the API (one index commit each)."""
    from archive import Archive

    t = time.perf_counter()
    with Archive.open(Path(home)) as a:
        for b in range(batches):
            items = corpus.articles(per_batch, start=start + b * per_batch)
            a.ingest(corpus.drafts(items))
    return {"secs": time.perf_counter() - t, "segments": _segments(Path(home))}


def _segments(home: Path) -> int:
    from whoosh import index

    ix = index.open_dir(str(home / "index"))
    try:
        return len(ix._segments())
    finally:
        ix.close()


def w_search_inproc(home: str, queries: list[str], repeat: int) -> dict[str, Any]:
    """``archive.Reader.search`` inside one process (imports paid once, before timing)."""
    from archive.reading import Reader

    home_p = Path(home)
    for q in queries:  # warm-up: imports, OS file cache
        Reader(home_p).search(q)
    times: dict[str, list[float]] = {q: [] for q in queries}
    totals = {}
    for _ in range(repeat):
        for q in queries:
            t = time.perf_counter()
            r = Reader(home_p).search(q)
            times[q].append(time.perf_counter() - t)
            totals[q] = r.total
    all_times = [x for xs in times.values() for x in xs]
    return {
        "median": median(all_times),
        "per_query": {q: median(xs) for q, xs in times.items()},
        "totals": totals,
        "segments": _segments(home_p),
    }


def w_search_parts(home: str, queries: list[str], repeat: int) -> dict[str, Any]:
    """Where one in-process search spends its time: index, SQLite read, passages."""
    from archive.store import read_for_search
    from index import search as isearch
    from index import writer as iw
    from index.passages import passages

    home_p = Path(home)
    parts: dict[str, list[float]] = {"open index + search": [], "sqlite3 read": [], "passages": []}
    for r in range(repeat + 1):
        for q in queries:
            t0 = time.perf_counter()
            ix = iw.open_index(home_p / "index")
            hits = isearch.search(ix, q, limit=10).hits
            ix.close()
            t1 = time.perf_counter()
            rows = read_for_search(home_p / "archive.sqlite3", [h.id for h in hits])
            t2 = time.perf_counter()
            for h in hits:
                passages(rows[h.id]["body"], h.terms, limit=3)
            t3 = time.perf_counter()
            if r:  # the first round warms up
                for name, secs in zip(parts, (t1 - t0, t2 - t1, t3 - t2), strict=True):
                    parts[name].append(secs)
    return {name: median(xs) for name, xs in parts.items()}


def w_profile(kind: str, out: str, jsonl: str = "", home: str = "", query: str = "") -> dict:
    """cProfile one bulk ingest or one search; writes the top functions to *out*."""
    import cProfile
    import io
    import pstats

    prof = cProfile.Profile()
    if kind == "ingest":
        from archive import Archive

        prof.enable()
        with Archive.open(Path(home)) as a:
            a.ingest(corpus.drafts(corpus.read_jsonl(Path(jsonl))))
        prof.disable()
    else:
        from archive.reading import Reader

        Reader(Path(home)).search(query)  # imports and file cache warm, as in a repeated search
        prof.enable()
        for _ in range(20):
            Reader(Path(home)).search(query)
        prof.disable()
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf)
    stats.sort_stats("cumulative").print_stats(35)
    stats.sort_stats("tottime").print_stats(25)
    Path(out).write_text(buf.getvalue())
    return {"out": out}


WORKERS: dict[str, Callable[..., dict[str, Any]]] = {
    "ingest_archive": w_ingest_archive,
    "ingest_whoosh": w_ingest_whoosh,
    "ingest_fts5": w_ingest_fts5,
    "add_batches": w_add_batches,
    "search_inproc": w_search_inproc,
    "search_parts": w_search_parts,
    "profile": w_profile,
}


# --- the suite ----------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = subprocess.run(["free", "-h"], capture_output=True, text=True).stdout.splitlines()
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory": mem[1].split()[1] if len(mem) > 1 else "?",
        "python": platform.python_version(),
        "loadavg_at_start": os.getloadavg(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "rg": _version(["rg", "--version"]),
        "sqlite-utils": _version([SQLITE_UTILS, "--version"]),
    }


def _version(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True).stdout.splitlines()[0]
    except (OSError, IndexError):
        return "missing"


#: The archive's ingest as a user runs it (indexing workers on every core), and on one core.
BOTH = "archive (both cores, default)"
ONE = "archive (1 core, --jobs 1)"


def bench_ingest(
    n: int,
    repeat: int,
    mp: bool,
    batch_sizes: Sequence[int],
    log: Callable[[str], None],
    only: Sequence[str] = (),
) -> dict[str, Any]:
    """Ingest N articles: archive vs bare Whoosh vs FTS5, interleaved, *repeat* times each."""
    jsonl = corpus.write_jsonl(corpus.DATA / f"bbc-{n}.jsonl", n)
    raw = corpus.raw_bytes(corpus.read_jsonl(jsonl))

    def archive(jobs: int | None, **kw: Any) -> Callable[[Path], dict[str, Any]]:
        return lambda h: worker("ingest_archive", jsonl=str(jsonl), home=str(h), jobs=jobs, **kw)

    def whoosh(procs: int) -> Callable[[Path], dict[str, Any]]:
        return lambda h: worker("ingest_whoosh", jsonl=str(jsonl), home=str(h), procs=procs)

    kinds: dict[str, Callable[[Path], dict[str, Any]]] = {}
    if mp:
        kinds[BOTH] = archive(None)
    kinds[ONE] = archive(1)
    kinds["bare Whoosh (1 core)"] = whoosh(1)
    if mp:
        kinds["bare Whoosh (procs=2)"] = whoosh(2)
    for b in batch_sizes:
        kinds[f"archive (1 core, batch_size={b})"] = archive(1, batch_size=b)
    kinds["sqlite-utils FTS5"] = lambda h: worker("ingest_fts5", jsonl=str(jsonl), db=str(h))
    if only:
        kinds = {k: v for k, v in kinds.items() if any(o in k for o in only)}
    runs: dict[str, list[dict[str, Any]]] = {k: [] for k in kinds}
    for r in range(repeat):
        for kind, run in kinds.items():
            target = WORK / f"ingest-{n}-{len(runs[kind])}-{abs(hash(kind)) % 10_000}"
            _remove(target)
            res = run(target)
            runs[kind].append(res)
            log(f"  ingest {n:,} [{r + 1}/{repeat}] {kind}: {n / res['secs']:,.0f}/s")
            # keep the first archive home as the large archive for the later sections
            if kind == next(iter(kinds)) and r == 0:
                _remove(WORK / f"home-{n}")
                target.rename(WORK / f"home-{n}")
            else:
                _remove(target)
    out: dict[str, Any] = {"n": n, "raw_text_bytes": raw, "runs": runs, "summary": {}}
    for kind, rs in runs.items():
        secs = median([x["secs"] for x in rs])
        # peak of this process plus its largest child (the two-process writers' workers)
        rss = max(x["rss"]["self"] + x["rss"]["children"] for x in rs)
        s = {"secs": secs, "per_sec": n / secs, "peak_rss_mb": rss}
        if "pss_tree_mb" in rs[0]:
            s["peak_pss_tree_mb"] = max(x["pss_tree_mb"] for x in rs)
        if "index_bytes" in rs[0]:
            s["index_bytes"] = median([x["index_bytes"] for x in rs])
            s["index_vs_raw"] = s["index_bytes"] / raw
        out["summary"][kind] = s
    return out


def bench_add_later(n: int, repeat: int, log: Callable[[str], None]) -> dict[str, Any]:
    """Whole ``archive ingest`` commands adding 1 and 1,000 new text files to the N archive."""
    home = WORK / f"home-{n}"
    files = WORK / f"new-{n}"
    _remove(files)
    # Article numbers far beyond any benchmark size, and new in every run of this section
    # (an earlier run's additions are still in the archive: adding them again is "unchanged").
    start = 10_000_000 + _stored(home) * 10
    one, thousand = [], []
    for r in range(repeat):
        f1 = corpus.write_files(files / f"one-{r}", corpus.articles(1, start=start))
        start += 1
        fk = corpus.write_files(files / f"k-{r}", corpus.articles(1000, start=start))
        start += 1000
        before = _stored(home)
        one.append(wall([ARCHIVE, "--home", str(home), "ingest", "-q", *map(str, f1)]))
        thousand.append(wall([ARCHIVE, "--home", str(home), "ingest", "-q", *map(str, fk)]))
        added = _stored(home) - before
        if added != 1001:
            raise SystemExit(f"add to {n:,}: {added} articles stored of 1,001 given")
        log(f"  add to {n:,}: 1 article {one[-1]:.2f}s, 1,000 articles {thousand[-1]:.2f}s")
    _remove(files)
    return {"one": median(one), "thousand": median(thousand), "runs": [one, thousand]}


def _stored(home: Path) -> int:
    """How many articles the archive at *home* holds (read with the standard library)."""
    import sqlite3

    con = sqlite3.connect(f"file:{home / 'archive.sqlite3'}?mode=ro", uri=True)
    try:
        return con.execute("SELECT count(*) FROM articles").fetchone()[0]
    finally:
        con.close()


def bench_segments(n: int, repeat: int, log: Callable[[str], None]) -> dict[str, Any]:
    """Query time after 100 small incremental batches vs the same index freshly optimised."""
    base = WORK / f"home-{n}"
    home = WORK / f"frag-{n}"
    _remove(home)
    shutil.copytree(base, home)
    add = worker("add_batches", home=str(home), start=20_000_000, batches=100, per_batch=10)
    log(f"  100 batches of 10 added in {add['secs']:.1f}s ({add['segments']} segments)")
    before = worker("search_inproc", home=str(home), queries=list(QUERIES), repeat=repeat)
    t = time.perf_counter()
    subprocess.run([ARCHIVE, "--home", str(home), "optimize"], check=True, capture_output=True)
    opt_secs = time.perf_counter() - t
    after = worker("search_inproc", home=str(home), queries=list(QUERIES), repeat=repeat)
    # and once more the fragmented timing, so drift in machine load shows
    log(
        f"  query median: {before['median'] * 1000:.1f} ms with {before['segments']} segments, "
        f"{after['median'] * 1000:.1f} ms optimised"
    )
    _remove(home)
    return {
        "batches": add,
        "fragmented": before,
        "optimised": after,
        "optimize_secs": opt_secs,
        "ratio": before["median"] / after["median"],
    }


def bench_search(
    n: int, repeat: int, log: Callable[[str], None], compare: bool = True
) -> dict[str, Any]:
    """Search end to end (process start to exit) vs rg and sqlite-utils; and in-process.

    :param compare: run rg and sqlite-utils too (off: the archive alone).
    """
    home = WORK / f"home-{n}"
    jsonl = corpus.DATA / f"bbc-{n}.jsonl"
    files = WORK / f"files-{n}"
    if compare and not (files / "done").exists():
        _remove(files)
        corpus.write_files(files, corpus.read_jsonl(jsonl))
        (files / "done").write_text("")
    fts = WORK / f"fts-{n}.db"
    if compare and not fts.exists():
        worker("ingest_fts5", jsonl=str(jsonl), db=str(fts))
    tools: dict[str, Callable[[str], list[str]]] = {
        "archive search": lambda q: [ARCHIVE, "--home", str(home), "search", q, "--color", "never"],
        "rg": lambda q: [
            "rg",
            "--ignore-case",
            "--fixed-strings",
            "--files-with-matches",
            q,
            str(files),
        ],
        "sqlite-utils search": lambda q: [
            SQLITE_UTILS,
            "search",
            str(fts),
            "articles",
            q,
            "--limit",
            "10",
        ],
    }
    if not compare:
        tools = {"archive search": tools["archive search"]}
    times: dict[str, list[float]] = {t: [] for t in tools}
    for q in QUERIES[:2]:  # warm-up: file cache
        for make in tools.values():
            subprocess.run(make(q), stdout=subprocess.DEVNULL)
    for _ in range(repeat):
        for q in QUERIES:
            for tool, make in tools.items():
                t = time.perf_counter()
                # rg exits 1 when nothing matches, which is not a failure here
                subprocess.run(make(q), stdout=subprocess.DEVNULL)
                times[tool].append(time.perf_counter() - t)
    inproc = worker("search_inproc", home=str(home), queries=list(QUERIES), repeat=repeat)
    inproc["parts"] = worker("search_parts", home=str(home), queries=list(QUERIES), repeat=repeat)
    out = {t: median(xs) for t, xs in times.items()}
    log(
        "  search end to end: "
        + ", ".join(f"{t} {v * 1000:.0f} ms" for t, v in out.items())
        + f"; in-process {inproc['median'] * 1000:.1f} ms"
    )
    return {"end_to_end": out, "in_process": inproc, "runs": times}


def bench_startup(repeat: int, log: Callable[[str], None]) -> dict[str, Any]:
    """``archive --help`` wall time, and ``-X importtime`` of each command on a small archive."""
    home = WORK / "small"
    _remove(home)
    sample = ROOT / "examples" / "000_4fc7972ffbe2aa8d.txt"
    subprocess.run(
        [ARCHIVE, "--home", str(home), "ingest", str(sample)], check=True, capture_output=True
    )
    helps = [wall([ARCHIVE, "--help"]) for _ in range(repeat)]
    bare = [wall([sys.executable, "-c", "pass"]) for _ in range(repeat)]
    extra = WORK / "extra.txt"
    extra.write_text("Extra story\n\nA second article about deploying ships.\n")
    commands = {
        "--help": ["--help"],
        "search": ["search", "deploy troops", "--color", "never"],
        "search --format json": ["search", "deploy", "--format", "json"],
        "show": ["show", "1"],
        "list": ["list"],
        "stats": ["stats"],
        "check": ["check"],
        "ingest": ["ingest", str(extra)],
        "delete": ["delete", "2"],
        "optimize": ["optimize"],
        "reindex": ["reindex"],
    }
    imports = {}
    for name, args in commands.items():
        argv = ["archive", "--home", str(home), *args]
        code = f"import sys; sys.argv = {argv!r}; import cli; cli.main()"
        proc = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True
        )
        imports[name] = _importtime(proc.stderr)
    log(f"  archive --help {median(helps) * 1000:.0f} ms (python: {median(bare) * 1000:.0f} ms)")
    for name, im in imports.items():
        log(f"  imports of {name}: {im['total_ms']:.0f} ms; heaviest {im['top'][:3]}")
    return {"help": median(helps), "python_pass": median(bare), "imports": imports}


def _importtime(stderr: str) -> dict[str, Any]:
    """Total and heaviest top-level imports from ``python -X importtime`` output."""
    top = []
    for line in stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if not line.startswith("import time:") or len(parts) != 3:
            continue
        _, cum_us, name = parts
        # top-level imports have one space after the bar; nested ones are indented further
        if not cum_us.strip().isdigit() or name.startswith("  "):
            continue
        top.append((name.strip(), int(cum_us)))
    pkgs: dict[str, int] = {}
    for name, us in top:
        pkgs[name.split(".")[0]] = pkgs.get(name.split(".")[0], 0) + us
    ranked = sorted(pkgs.items(), key=lambda kv: -kv[1])
    return {
        "total_ms": sum(us for _, us in top) / 1000,
        "top": [f"{k} {v / 1000:.0f} ms" for k, v in ranked[:6]],
        "packages": sorted(pkgs),
    }


def bench_profiles(n: int, log: Callable[[str], None], started: float) -> dict[str, Any]:
    jsonl = corpus.write_jsonl(corpus.DATA / f"bbc-{n}.jsonl", n)
    home = WORK / f"profile-{n}"
    _remove(home)
    ing = result_path(f"profile-ingest-{n}", started, ".txt")
    worker("profile", kind="ingest", out=str(ing), jsonl=str(jsonl), home=str(home))
    srch = result_path(f"profile-search-{n}", started, ".txt")
    worker("profile", kind="search", out=str(srch), home=str(home), query="oil prices")
    _remove(home)
    log(f"  profiles written: {ing.name}, {srch.name}")
    return {"ingest": str(ing.relative_to(ROOT)), "search": str(srch.relative_to(ROOT))}


def compile_sources(log: Callable[[str], None]) -> None:
    """Byte-compile the archive's own modules before timing commands.

    An installed package has its ``.pyc`` files (pip writes them); an editable
    checkout writes them on first import, unless ``PYTHONDONTWRITEBYTECODE`` is
    set, as it is on the benchmark machine: then every ``archive`` command
    compiled ``cli.py``, ``archive/`` and ``index/`` from source again (30-45 ms
    of CPU for a search's own modules, measured). Python still reads ``.pyc`` files
    under that setting, and ``compileall`` writes them regardless.
    """
    import compileall

    for folder in ("archive", "index", "migrations"):
        compileall.compile_dir(ROOT / folder, quiet=1)
    compileall.compile_file(ROOT / "cli.py", quiet=1)
    log("byte-compiled cli.py, archive/, index/, migrations/ (as an installed package is)")


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


# --- report -------------------------------------------------------------------------------


def markdown(res: dict[str, Any]) -> str:
    m = res["machine"]
    lines = [
        f"Run {m['date']} on {m['nproc']} cores ({m['cpu']}), {m['memory']} RAM, "
        f"Python {m['python']}; load average at start {m['loadavg_at_start'][0]:.1f}; "
        f"repeat {res['repeat']}.",
        "",
    ]
    for size in res["sizes"]:
        ing = size.get("ingest")
        n = size["n"]
        if ing:
            raw = ing["raw_text_bytes"]
            lines += [
                f"### Ingest of {n:,} articles ({raw / 2**20:,.0f} MiB of raw title+body text)",
                "",
                "| writer | articles/s | seconds | peak RSS¹ | peak PSS, all processes² "
                "| index on disk | index / raw text |",
                "|---|---:|---:|---:|---:|---:|---:|",
            ]
            for kind, s in ing["summary"].items():
                ib = s.get("index_bytes")
                ratio = f"{s['index_vs_raw']:.2f}×" if ib else "-"
                lines.append(
                    f"| {kind} | {s['per_sec']:,.0f} | {s['secs']:,.1f}"
                    f" | {s['peak_rss_mb']:,.0f} MiB"
                    f" | {f'{pss:,.0f} MiB' if (pss := s.get('peak_pss_tree_mb')) else '-'}"
                    f" | {f'{ib / 2**20:,.0f} MiB' if ib else '-'}"
                    f" | {ratio} |"
                )
            lines += [
                "",
                "¹ the process plus its largest child (RSS counts pages a forked worker "
                "shares with its parent twice). ² the summed proportional set size of the "
                "process and its workers, sampled every 0.5 s (archive only).",
            ]
            summary = ing["summary"]
            base = summary.get("bare Whoosh (1 core)")
            if base:
                lines.append("")
                for kind in (ONE, BOTH):
                    if kind in summary:
                        lines.append(
                            f"- {kind} / bare Whoosh (1 core): "
                            f"{summary[kind]['per_sec'] / base['per_sec']:.0%}"
                        )
            lines.append("")
        if "add_later" in size:
            a = size["add_later"]
            lines += [
                f"### Adding later to the {n:,}-article archive (whole `archive ingest` command)",
                "",
                f"- 1 new article: median {a['one']:.2f} s",
                f"- 1,000 new articles (text files): median {a['thousand']:.2f} s",
                "",
            ]
        if "segments" in size:
            s = size["segments"]
            lines += [
                f"### Query time after 100 incremental batches ({n:,} articles)",
                "",
                f"- 100 batches of 10 articles: {s['batches']['secs']:.1f} s, "
                f"{s['fragmented']['segments']} segments afterwards",
                f"- in-process query median: {s['fragmented']['median'] * 1000:.1f} ms before "
                f"`archive optimize`, {s['optimised']['median'] * 1000:.1f} ms after "
                f"(ratio {s['ratio']:.2f}; optimize took {s['optimize_secs']:.1f} s)",
                "",
            ]
        if "search" in size:
            se = size["search"]
            e2e = se["end_to_end"]
            lines += [
                f"### Search at {n:,} articles (median over {len(QUERIES)} queries × repeats)",
                "",
                "| tool | end to end (process start to exit) |",
                "|---|---:|",
            ]
            for tool, v in e2e.items():
                lines.append(f"| {tool} | {v * 1000:,.0f} ms |")
            lines += [
                "",
                f"`archive search` in-process (`archive.Reader.search`, passages included): "
                f"median {se['in_process']['median'] * 1000:.1f} ms; of which (medians): "
                + ", ".join(
                    f"{k} {v * 1000:.1f} ms" for k, v in se["in_process"].get("parts", {}).items()
                )
                + ".",
                "",
            ]
    if "startup" in res:
        st = res["startup"]
        lines += [
            "### Start-up",
            "",
            f"`archive --help`: median {st['help'] * 1000:.0f} ms "
            f"(`python -c pass`: {st['python_pass'] * 1000:.0f} ms).",
            "",
            "| command | imports (`-X importtime`, top level) | heaviest |",
            "|---|---:|---|",
        ]
        for name, im in st["imports"].items():
            lines.append(
                f"| `archive {name}` | {im['total_ms']:,.0f} ms | {', '.join(im['top'][:4])} |"
            )
        lines.append("")
    return "\n".join(lines)


#: The sections, in the order they are named in a result file's name.
SECTIONS = ("ingest", "search", "segments", "add", "startup", "profile")


def main() -> None:
    ap = argparse.ArgumentParser(
        description="Performance benchmark of the archive (bench/README.md)."
    )
    ap.add_argument("--quick", action="store_true", help="small sizes, few repeats (a few minutes)")
    ap.add_argument("--sizes", help="comma-separated article counts (default 10000,100000)")
    ap.add_argument("--repeat", type=int, help="runs per figure (median taken); default 3")
    ap.add_argument(
        "--only",
        default="ingest,add,segments,search,startup,profile",
        help="sections to run (comma-separated): ingest,add,segments,search,startup,profile",
    )
    ap.add_argument(
        "--no-mp", action="store_true", help="skip the two-core writers (archive and Whoosh)"
    )
    ap.add_argument("--ingest-repeat", type=int, help="runs per ingest figure (default: --repeat)")
    ap.add_argument(
        "--ingest-kinds",
        default="",
        help="only the ingest writers whose names contain one of these (comma-separated), "
        "e.g. 'both cores,FTS5'",
    )
    ap.add_argument(
        "--batch-sizes",
        default="",
        help="also ingest with Archive.ingest(batch_size=B) for each B (comma-separated)",
    )
    ap.add_argument("--tag", default="", help="suffix of the result file's name")
    ap.add_argument(
        "--show", metavar="FILE", help="print the tables of a stored result file, and exit"
    )
    ap.add_argument(
        "--compare-max",
        type=int,
        default=10**9,
        help="compare search with rg and sqlite-utils only up to this size",
    )
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("args", nargs="?", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        print(json.dumps(WORKERS[a.worker](**json.loads(a.args or "{}"))))
        return
    if a.show:
        print(markdown(json.loads(Path(a.show).read_text())))
        return
    started = time.time()
    sizes = [int(x) for x in (a.sizes or ("2000" if a.quick else "10000,100000")).split(",")]
    repeat = a.repeat or (2 if a.quick else 3)
    only = set(a.only.split(","))
    WORK.mkdir(parents=True, exist_ok=True)
    sections = [s for s in SECTIONS if s in only]
    what = (
        "perf-"
        + "-".join(map(str, sizes))
        + ("-quick" if a.quick else "")
        + ("" if len(sections) == len(SECTIONS) else "-" + "+".join(sections))
        + (a.tag and f"-{a.tag}")
    )
    out_json = result_path(what, started)

    def log(msg: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)

    res: dict[str, Any] = {"machine": machine(), "repeat": repeat, "queries": QUERIES, "sizes": []}
    res["machine"]["date"] = run_date(started)  # the date in the file's name
    log(f"machine: {res['machine']}")
    compile_sources(log)
    if "startup" in only:
        res["startup"] = bench_startup(max(repeat, 10), log)
    for n in sizes:
        size: dict[str, Any] = {"n": n}
        res["sizes"].append(size)
        if "ingest" in only or not (WORK / f"home-{n}").exists():
            batch_sizes = [int(b) for b in a.batch_sizes.split(",") if b]
            size["ingest"] = bench_ingest(
                n,
                a.ingest_repeat or repeat,
                not a.no_mp,
                batch_sizes,
                log,
                [k for k in a.ingest_kinds.split(",") if k],
            )
        if "search" in only:
            size["search"] = bench_search(n, repeat, log, compare=n <= a.compare_max)
        if "segments" in only:
            size["segments"] = bench_segments(n, repeat, log)
        if "add" in only:  # last: it adds articles to the archive
            size["add_later"] = bench_add_later(n, repeat, log)
        out_json.write_text(json.dumps(res, indent=2, default=str))
    if "profile" in only:
        res["profiles"] = bench_profiles(min(sizes[0], 5000), log, started)
    out_json.write_text(json.dumps(res, indent=2, default=str))
    log(f"results: {out_json.relative_to(ROOT)}")
    print(markdown(res))


if __name__ == "__main__":
    main()
