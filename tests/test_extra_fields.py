"""Extra fields (keys kept from JSON with no column of their own) searchable as key:value,
and listed by 'archive fields'; on Reuters-21578 records (places, topics, people)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from archive import Archive
from archive.reading import Reader
from cli import cli
from index.schema import extra_terms


def test_extra_terms() -> None:
    extra = {"Places": ["USA", "new  york"], "og:site_name": "BBC", "n": 3, "ok": True}
    assert extra_terms(extra) == (
        "places:usa",
        "places:new york",
        "og_site_name:bbc",
        "n:3",
        "ok:true",
    )
    # Keys naming a regular field, nested values and long descriptions are left out.
    assert extra_terms({"title": "x", "nested": {"a": 1}, "description": "x" * 300}) == ()


def _records(reuters_corpus: Path) -> list[dict[str, object]]:
    """The first 200 records with a text, each text once (Reuters repeats a few)."""
    records = json.loads((reuters_corpus / "reuters-000.json").read_text(encoding="utf-8"))
    unique = {str(r["body"]).strip(): r for r in reversed(records) if r.get("body")}
    records = list(reversed(unique.values()))[:200]
    return [r for i, r in enumerate(records) if not _KEPT or i in _KEPT]


#: Indices of the records the fixture's archive stored (the others were near-duplicates).
_KEPT: set[int] = set()


@pytest.fixture(scope="module")
def reuters_home(reuters_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    records = _records(reuters_corpus)
    feed = tmp_path_factory.mktemp("reuters") / "reuters.json"
    feed.write_text(json.dumps(records), encoding="utf-8")
    home = feed.parent / "home"
    with Archive.open(home) as archive:
        report = archive.ingest_paths([feed])
    # A record that is a near-duplicate of an earlier one is not stored again: drop it
    # from the expectations too.
    kept = {int(o.origin.rsplit("[", 1)[1][:-1]) for o in report.outcomes if o.status == "added"}
    assert len(kept) >= 190 and report.failed == 0
    _KEPT.update(kept)
    return home


def _expected(reuters_corpus: Path, key: str, value: str) -> set[str]:
    records: list[dict[str, Any]] = _records(reuters_corpus)  # type: ignore[assignment]
    return {
        " ".join(r["title"].split())
        for r in records
        if value in [v.lower() for v in r.get(key) or []]
    }


@pytest.mark.slow
def test_field_value_finds_exactly_the_articles_with_that_value(
    reuters_home: Path, reuters_corpus: Path
) -> None:
    reader = Reader(reuters_home)
    for query, key, value in (
        ("places:france", "places", "france"),
        ("topics:grain", "topics", "grain"),
        ("Places:UK", "places", "uk"),
    ):
        expected = _expected(reuters_corpus, key, value)
        assert expected, query
        found = reader.search(query, limit=500)
        assert found.notices == () and found.rescue is None
        assert {h.title for h in found.hits} == expected, query
    # Combined with words and negation, as any field.
    both = reader.search("wheat topics:grain -places:usa", limit=500)
    titles = {h.title for h in both.hits}
    assert titles and titles <= _expected(reuters_corpus, "topics", "grain")
    assert not titles & _expected(reuters_corpus, "places", "usa")
    # A key no article has is still an unknown field (searched as words, with a notice).
    typo = reader.search("placez:france")
    assert typo.notices and "unknown field 'placez'" in typo.notices[0]


@pytest.mark.slow
def test_fields_command_lists_keys_with_counts(
    reuters_home: Path, reuters_corpus: Path, runner: CliRunner
) -> None:
    result = runner.invoke(cli, ["fields", "--home", str(reuters_home), "--format", "json"])
    assert result.exit_code == 0, result.output
    found = {f["key"]: f for f in json.loads(result.stdout)}
    records: list[dict[str, Any]] = _records(reuters_corpus)  # type: ignore[assignment]
    assert found["places"]["articles"] == sum(1 for r in records if r.get("places"))
    usa = len(_expected(reuters_corpus, "places", "usa"))
    assert found["places"]["values"][0] == ["usa", usa]
    text = runner.invoke(cli, ["fields", "--home", str(reuters_home)]).stdout
    assert text.splitlines()[0].startswith(f"{next(iter(found))}: ")


def _truth(home: Path) -> dict[str, tuple[int, Counter[str]]]:
    """Each extra field's article count and values' counts, from the database itself."""
    import sqlite3

    keys: dict[str, tuple[set[int], Counter[str]]] = {}
    with sqlite3.connect(home / "archive.sqlite3") as db:
        for article_id, extra in db.execute("SELECT id, extra FROM articles"):
            for term in extra_terms(json.loads(extra) if extra else None):
                key, _, value = term.partition(":")
                ids, values = keys.setdefault(key, (set(), Counter()))
                ids.add(article_id)
                values[value] += 1
    return {k: (len(ids), values) for k, (ids, values) in keys.items()}


@pytest.mark.slow
def test_fields_counts_stay_exact_after_edits_and_deletes(
    reuters_home: Path, tmp_path: Path, runner: CliRunner
) -> None:
    """Documents an edit or delete replaced are not counted (newcomer's trial, problem 2)."""
    import shutil

    home = tmp_path / "home"
    shutil.copytree(reuters_home, home)

    def check() -> dict[str, Any]:
        result = runner.invoke(cli, ["fields", "--home", str(home), "--format", "json"])
        assert result.exit_code == 0, result.output
        found = {f["key"]: f for f in json.loads(result.stdout)}
        truth = _truth(home)
        assert set(found) == set(truth)
        for key, (articles, values) in truth.items():
            assert found[key]["articles"] == articles, key
            listed = found[key]["values"]
            assert all(values[v] == n for v, n in listed), key  # ties in either order
            assert [n for _, n in listed] == [n for _, n in values.most_common(5)], key
        return found

    before = check()
    args = ["--home", str(home), "edit", "--query", "places:usa", "--add-tag", "usa"]
    assert runner.invoke(cli, args).exit_code == 0
    assert check()["places"] == before["places"]  # edited, not doubled
    args = ["--home", str(home), "delete", "--query", "places:france", "--yes"]
    assert runner.invoke(cli, args).exit_code == 0
    after = check()
    assert after["places"]["articles"] < before["places"]["articles"]
    only = [k for k, f in after.items() if f["articles"] == 1]  # a key one article has
    if only:
        (value,) = [v for v, _ in after[only[0]]["values"]][:1]
        query = f'{only[0]}:"{value}"'
        args = ["--home", str(home), "delete", "--query", query, "--yes"]
        assert runner.invoke(cli, args).exit_code == 0
        assert only[0] not in check()  # gone with its only article
