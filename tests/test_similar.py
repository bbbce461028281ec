"""archive similar: the articles most like one, with the words they share."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive import Archive, ArticleDraft, ArticleNotFound
from archive.reading import Reader
from cli import cli


@pytest.fixture
def home(sample_home: Path) -> Path:
    with Archive.open(sample_home) as archive:
        archive.ingest(
            [
                ArticleDraft(
                    title="Coalition troops and NATO plans",
                    body="NATO weighs a reassurance force of European troops for Ukraine. "
                    "The coalition says the force would deploy after a ceasefire.",
                    origin="a",
                ),
                ArticleDraft(
                    title="Bakery prices",
                    body="Bread and cake prices rose in the village bakery this spring.",
                    origin="b",
                ),
            ]
        )
    return sample_home


def test_similar_lists_the_related_article_with_shared_words(home: Path) -> None:
    result = Reader(home).similar(1)
    assert [h.id for h in result.hits] == [2]
    shared = result.hits[0].shared
    assert {"nato", "troops", "ukraine"} <= set(shared)
    assert 1 not in [h.id for h in result.hits]


def test_similar_unknown_id(home: Path) -> None:
    with pytest.raises(ArticleNotFound):
        Reader(home).similar(99)


def test_similar_cli(runner: CliRunner, home: Path) -> None:
    result = runner.invoke(cli, ["--home", str(home), "similar", "1", "--color", "never"])
    assert result.exit_code == 0
    assert "1. Coalition troops and NATO plans" in result.stdout
    assert "shares: " in result.stdout
    data = json.loads(
        runner.invoke(cli, ["--home", str(home), "similar", "1", "--format", "json"]).stdout
    )
    assert data["id"] == 1 and data["hits"][0]["id"] == 2
    assert "troops" in data["hits"][0]["shared_terms"]
    bad = runner.invoke(cli, ["--home", str(home), "similar", "42"])
    assert bad.exit_code == 1 and "no article with id 42" in bad.stderr


@pytest.mark.slow
def test_shared_words_are_meaningful_on_real_articles(bbc_corpus: Path, tmp_path: Path) -> None:
    """On BBC articles, no shared word is a single letter, a number or a stop word."""
    from index.languages import stop_words

    files = sorted((bbc_corpus / "business").glob("*.txt"))[:150]
    with Archive.open(tmp_path / "bbc") as archive:
        archive.ingest_paths(files)
    reader = Reader(tmp_path / "bbc")
    stops = stop_words("en")
    shared = [w for i in range(1, 151) for h in reader.similar(i, limit=5).hits for w in h.shared]
    assert len(shared) > 500
    bad = [w for w in shared if len(w) < 2 or not any(c.isalpha() for c in w) or w in stops]
    assert not bad, sorted(set(bad))[:20]
