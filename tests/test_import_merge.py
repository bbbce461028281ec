"""import --merge: an export brought into an archive that holds articles, by ingest's rules;
import of a file that is not an export points to ingest."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from archive import Archive
from archive.merging import merge_file
from cli import cli
from tests.conftest import ROOT, SAMPLE

MORE = ROOT / "examples" / "more"


def run(runner: CliRunner, *args: str):
    return runner.invoke(cli, list(args), catch_exceptions=False)


def test_merge_adds_updates_and_leaves_unchanged(
    runner: CliRunner, tmp_path: Path, sample_home: Path
) -> None:
    laptop = tmp_path / "laptop"
    # The laptop has the sample (same text), the corrected story and the coalition story.
    for path in (SAMPLE, MORE / "story-corrected.txt", MORE / "coalition.txt"):
        assert run(runner, "--home", str(laptop), "ingest", str(path)).exit_code == 0
    run(runner, "--home", str(laptop), "note", "1", "read later")
    export = tmp_path / "laptop.jsonl"
    run(runner, "--home", str(laptop), "export", str(export))
    # Here: the sample (id 1) and the first version of the story (same URL), with a hand edit.
    run(runner, "ingest", str(MORE / "story.txt"))
    run(runner, "edit", "2", "--source", "My Source")

    result = run(runner, "import", "--merge", str(export))
    assert result.exit_code == 0, result.output
    assert result.stdout == "merged: 1 added, 1 updated, 1 unchanged, 0 failed\n"
    assert result.stderr == f"note: not merged (kept in {export} only): 1 note\n"
    with Archive.open(sample_home) as archive:
        assert archive.count() == 3
        story = archive.get(2)
        corrected = (MORE / "story-corrected.txt").read_text(encoding="utf-8")
        assert story.body.split("\n\n")[-1] in corrected  # the corrected text
        assert story.source == "My Source"  # the hand edit wins
        assert len(archive.revisions(2)) == 1  # the earlier text kept
        assert archive.search("coalition").hits[0].id == 3  # added and indexed

    # Again: everything unchanged.
    again = run(runner, "import", "--merge", str(export))
    assert again.stdout == "merged: 0 added, 0 updated, 3 unchanged, 0 failed\n"


def test_import_of_a_feed_says_to_use_ingest(runner: CliRunner, archive_home: Path) -> None:
    feed = MORE / "dated.jsonl"
    for args in (["import", str(feed)], ["import", "--merge", str(feed)]):
        result = run(runner, *args)
        assert result.exit_code == 1
        assert result.output == (
            f"Error: {feed}, line 1: not an export made by 'archive export' (no "
            "'id', 'ingested'); to add the articles of a JSON Lines file, "
            "use 'archive ingest FILE'\n"
        )
    with Archive.open(archive_home) as archive:
        assert archive.count() == 0


def test_merge_reports_a_bad_article_and_goes_on(
    tmp_path: Path, sample_home: Path, archive_home: Path
) -> None:
    export = tmp_path / "e.jsonl"
    with Archive.open(sample_home) as archive:
        from archive import transfer

        transfer.export_file(archive, export)
    line = json.loads(export.read_text(encoding="utf-8"))
    good = dict(line, id=2, body="Another text entirely.", url=None, title="Other")
    bad = dict(line, id=3, body="   ", title="Empty")
    lines = [json.dumps(x) for x in (line, bad)] + ["{not json", json.dumps(good)]
    export.write_text("\n".join(lines) + "\n")
    with Archive.open(archive_home) as archive:
        report, _ = merge_file(archive, export)
    assert (report.count("unchanged"), report.count("added"), report.failed) == (1, 1, 2)
    assert report.failures[0].message.endswith("line 2: the article has no title or no text")
    assert report.failures[1].message.startswith(f"{export}, line 3: not valid JSON")
