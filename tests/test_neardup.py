"""Near-duplicates: the same BBC article arriving with a title line, other wrapping or a
tracking footer is the article it matches; other articles are not; 'archive duplicates'."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive import Archive, ArticleDraft, neardup
from cli import cli

FOOTER = "\n\nShared via our newsletter: https://example.com/?utm_source=email. Unsubscribe."


def _bbc(bbc_corpus: Path, n: int) -> list[str]:
    files = sorted((bbc_corpus / "politics").glob("*.txt"))[:n]
    return [f.read_text(encoding="latin-1").strip() for f in files]


def test_variants_are_similar_and_other_articles_are_not(bbc_corpus: Path) -> None:
    texts = _bbc(bbc_corpus, 30)
    for text in texts[:10]:
        title = text.split("\n", 1)[0]
        wrapped = "\n".join(textwrap.wrap(" ".join(text.split()), 60))
        for variant in (f"{title}\n\n{text}", wrapped, text + FOOTER):
            score = neardup.jaccard(neardup.shingles(text), neardup.shingles(variant))
            assert score >= neardup.THRESHOLD
    sets = [neardup.shingles(t) for t in texts]
    unrelated = [
        neardup.jaccard(a, b)
        for i, a in enumerate(sets)
        for b in sets[i + 1 :]
        if " ".join(texts[i].split()) != " ".join(texts[sets.index(b)].split())
    ]
    assert max(unrelated) < 0.5


@pytest.mark.slow
def test_ingest_reports_a_near_duplicate_as_the_article_it_matches(
    bbc_corpus: Path, archive_home: Path
) -> None:
    texts = _bbc(bbc_corpus, 12)
    with Archive.open(archive_home) as archive:
        first = archive.ingest(
            [
                ArticleDraft(title=t.split("\n")[0], body=t, origin=f"j{i}")
                for i, t in enumerate(texts)
            ]
        )
        ids = [o.article_id for o in first.outcomes]
        assert first.count("added") == len(set(ids))
        text = texts[3]
        title = text.split("\n", 1)[0]
        again = archive.ingest(
            [
                ArticleDraft(title=title, body=f"{title}\n\n{text}{FOOTER}", origin="a.txt"),
                ArticleDraft(title=title, body="\n".join(textwrap.wrap(text, 50)), origin="b.txt"),
                # From the same source with new metadata: an update of that article's metadata
                # (from elsewhere, as for the same text, the metadata would not be taken).
                ArticleDraft(
                    title=title, body=text + FOOTER, origin="j3", source="BBC", tags=("uk",)
                ),
            ]
        )
        statuses = [(o.status, o.article_id) for o in again.outcomes]
        assert statuses == [("unchanged", ids[3]), ("unchanged", ids[3]), ("updated", ids[3])]
        assert again.outcomes[0].message.startswith(f"near-duplicate of article {ids[3]}: ")
        assert archive.count() == len(set(ids))
        assert archive.get(ids[3]).source == "BBC" and archive.get(ids[3]).body == text
        # Within one run too: the second of two near-duplicates is the first.
        other = texts[10] + "\n\nMore at bbc.co.uk"
        run = archive.ingest(
            [
                ArticleDraft(title="x", body="Fresh words " * 3 + other, origin="d1"),
                ArticleDraft(title="x", body=other + FOOTER, origin="d2"),
            ]
        )
        assert [o.status for o in run.outcomes][1] == "unchanged"


@pytest.mark.slow
def test_duplicates_lists_and_merges_pairs_restored_from_an_export(
    bbc_corpus: Path, tmp_path: Path, archive_home: Path, runner: CliRunner
) -> None:
    texts = _bbc(bbc_corpus, 3)
    rows = []
    for i, body in enumerate([*texts, texts[1] + FOOTER], start=1):
        rows.append(
            {
                "id": i,
                "title": body.split("\n")[0],
                "body": body,
                "origin": f"o{i}",
                "ingested": "2025-01-01T00:00:00",
                "updated": "2025-01-01T00:00:00",
                "content_hash": "x",
                "tags": [f"t{i}"],
            }
        )
    export = tmp_path / "e.jsonl"
    export.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    assert runner.invoke(cli, ["import", str(export)]).exit_code == 0
    listed = runner.invoke(cli, ["duplicates", "--format", "json"])
    assert listed.exit_code == 0, listed.output
    pairs = json.loads(listed.stdout)["pairs"]
    assert [(p["kept"], p["other"]) for p in pairs] == [(2, 4)]
    dry = runner.invoke(cli, ["duplicates", "--merge", "--dry-run"])
    assert "would delete (merged into the oldest of each group): 4" in dry.stdout
    with Archive.open(archive_home) as archive:
        assert archive.count() == 4
    merged = runner.invoke(cli, ["duplicates", "--merge"])
    assert "deleted (merged into the oldest of each group): 4" in merged.stdout
    with Archive.open(archive_home) as archive:
        assert archive.count() == 3 and archive.get(2).tags == ["t2", "t4"]
    assert "No near-duplicates." in runner.invoke(cli, ["duplicates"]).stdout


def test_a_near_duplicate_of_an_article_added_earlier_in_the_run_takes_given_metadata(
    bbc_corpus: Path, archive_home: Path
) -> None:
    # The first copy has no id yet when the second is found to be its near-duplicate;
    # tags given on the command line still apply to it, and are kept in its history.
    text = _bbc(bbc_corpus, 1)[0]
    title = text.split("\n", 1)[0]
    with Archive.open(archive_home) as archive:
        run = archive.ingest(
            [
                ArticleDraft(title=title, body=text, origin="a.txt"),
                ArticleDraft(
                    title=title,
                    body=text + FOOTER,
                    origin="b.txt",
                    tags=("arts",),
                    explicit=frozenset({"tags"}),
                ),
            ]
        )
        first, second = run.outcomes
        assert first.status == "added"
        assert (second.status, second.article_id) == ("updated", first.article_id)
        assert second.message.startswith(f"near-duplicate of article {first.article_id}: ")
        assert archive.get(first.article_id).tags == ["arts"]
        assert archive.count() == 1
