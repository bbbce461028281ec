"""The gate of index/internals: closed, Whoosh's public API gives the same results, and says so.

With ``ARCHIVE_WHOOSH_INTERNALS=off`` (as on an untested Whoosh version) every
fast path that uses Whoosh 2.7.4's internals steps aside. Searches, merges and
ingests must come out the same, and ``stats`` and ``--explain`` must tell which
way the engine ran.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from _safety import bbc_index_docs
from click.testing import CliRunner

import cli
from index import internals
from index import search as isearch
from index import writer as iw

QUERIES = (
    "market",
    "oil prices",
    "bank interest rates rise",
    "government -labour",
    "shares OR stocks OR bonds",
    "(oil -bank) OR tax",
    '"interest rates"',
    "econom*",
    "profits~",
    "qwzxv oil",
)


@pytest.fixture(scope="module")
def segmented(bbc_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three segments of real BBC articles, with deletions."""
    docs = bbc_index_docs(bbc_corpus, ("business", "politics"), 240)
    path = tmp_path_factory.mktemp("gate") / "index"
    ix = iw.create(path)
    for start in range(0, len(docs), 80):  # in the archive's codec
        w = ix.writer(codec=internals.codec())
        iw.apply(w, docs[start : start + 80], [])
        w.commit(merge=False)
    w = ix.writer(codec=internals.codec())
    iw.apply(w, [], [3, 50, 99, 170])
    w.commit(merge=False)
    ix.close()
    return path


def test_the_gate_is_open_on_the_tested_whoosh_and_closes_by_hand(gate) -> None:
    gate(True)
    assert internals.whoosh_version() in internals.TESTED
    assert internals.enabled() and internals.status()["fast_paths"] is True
    gate(False)
    assert not internals.enabled()
    assert internals.status() == {
        "whoosh": "2.7.4",
        "fast_paths": False,
        "reason": f"turned off by {internals.ENV}",
    }


def test_an_untested_whoosh_version_closes_the_gate(gate, monkeypatch) -> None:
    monkeypatch.setattr(internals, "whoosh_version", lambda: (2, 7, 5))
    gate(True)
    assert not internals.enabled()
    assert internals.status()["reason"] == "Whoosh 2.7.5 is not a tested version (2.7.4)"


@pytest.mark.slow
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"offset": 10},
        {"since": datetime(2005, 1, 1)},
        {"facets": ("source", "year")},
        {"facets": ("tag", "author", "month"), "since": datetime(2004, 6, 1)},
        {"sort": "newest"},
    ],
    ids=["plain", "page 2", "since", "facets", "facets since", "newest"],
)
def test_searches_give_the_same_results_with_the_gate_closed(
    segmented: Path, gate, options: dict
) -> None:
    ix = isearch.open_for_search(segmented)
    try:
        gate(True)
        fast = [isearch.search(ix, q, limit=10, **options) for q in QUERIES]
        gate(False)
        slow = [isearch.search(ix, q, limit=10, **options) for q in QUERIES]
    finally:
        ix.close()
    assert [r.total for r in fast] == [r.total for r in slow]
    assert sum(r.total for r in fast) > 100
    assert fast == slow  # hits, scores, matched terms, notices, facets
    assert all(r.engine["evaluated_by"] == "whoosh" for r in slow)
    for name in options.get("facets", ()):
        # every match is counted once per value it has (a tag per tag)
        per = 2 if name == "tag" else 1
        assert all(
            sum(n for _, n in r.facets[name]) <= per * r.total
            and (name == "author" or sum(n for _, n in r.facets[name]) == per * r.total)
            for r in fast
            if r.rescue is None  # (a rescue's facets count its hits, not matches)
        )
    assert all(r.engine["fast_paths"] is False for r in slow)
    if not options or options == {"offset": 10} or "since" in options:
        # plain words were evaluated a block at a time, with the gate open only
        assert fast[1].engine["evaluated_by"] == "blocks"


@pytest.mark.slow
def test_a_merge_gives_the_same_index_with_the_gate_closed(
    segmented: Path, tmp_path: Path, gate
) -> None:
    import shutil

    def optimised(name: str) -> dict:
        path = tmp_path / name
        shutil.copytree(segmented, path)
        ix = iw.open_index(path)
        iw.optimize(ix)
        ix.close()
        ix = iw.open_index(path)
        try:
            with ix.searcher() as s:
                stored = sorted(map(str, s.all_stored_fields()))
                terms = sorted(
                    (f, t, s.doc_frequency(f, t), s.frequency(f, t))
                    for f, t in s.reader().all_terms()
                )
            return {"segments": len(iw.segment_names(ix)), "stored": stored, "terms": terms}
        finally:
            ix.close()

    gate(True)
    fast = optimised("fast")
    gate(False)
    slow = optimised("slow")
    assert fast["segments"] == slow["segments"] == 1
    assert len(fast["stored"]) == 236
    assert fast == slow


def test_no_worker_processes_with_the_gate_closed(gate) -> None:
    gate(False)
    assert iw.parallel_supported() is False


def test_stats_and_explain_say_how_the_engine_runs(
    sample_home: Path, runner: CliRunner, gate
) -> None:
    gate(True)
    stats = json.loads(runner.invoke(cli.cli, ["stats", "--format", "json"]).stdout)
    assert stats["engine"] == {
        "whoosh": "2.7.4",
        "fast_paths": True,
        "reason": None,
        "segments": 1,
        "fast_path_segments": 1,
    }
    text = runner.invoke(cli.cli, ["search", "deploy troops", "--explain"]).stdout
    assert text.splitlines()[-1] == "Evaluated by: block evaluation"
    gate(False)
    stats = json.loads(runner.invoke(cli.cli, ["stats", "--format", "json"]).stdout)
    assert stats["engine"]["fast_paths"] is False
    assert stats["engine"]["fast_path_segments"] == 0
    plain = runner.invoke(cli.cli, ["stats"]).stdout
    assert f"engine:     Whoosh 2.7.4, fast paths off (turned off by {internals.ENV})" in plain
    result = runner.invoke(cli.cli, ["search", "deploy troops", "--explain", "--format", "json"])
    engine = json.loads(result.stdout)["engine"]
    assert engine["evaluated_by"] == "whoosh" and engine["fast_paths"] is False
    text = runner.invoke(cli.cli, ["search", "deploy troops", "--explain"]).stdout
    assert text.splitlines()[-1] == (
        f"Evaluated by: Whoosh's matchers (fast paths off: turned off by {internals.ENV})"
    )
