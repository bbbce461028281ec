"""A text seen twice in one ingest run: the second copy names the one it duplicates.

On the BBC News corpus, which holds real duplicates (the same article saved under
two file names), a run reports each later copy as ``unchanged`` with the id of the
article it duplicates, or, in a dry run (where nothing has an id), the input the
first copy came from.
"""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from pathlib import Path

from click.testing import CliRunner

from archive import Archive
from cli import cli


def duplicate_groups(folder: Path, groups: int) -> list[list[Path]]:
    """The first *groups* sets of byte-identical files in *folder*, each in name order."""
    by_bytes: dict[bytes, list[Path]] = defaultdict(list)
    for f in sorted(folder.glob("*.txt")):
        by_bytes[f.read_bytes()].append(f)
    found = [paths for paths in by_bytes.values() if len(paths) > 1]
    assert len(found) >= groups
    return found[:groups]


def copy_groups(groups: list[list[Path]], dest: Path) -> list[list[Path]]:
    dest.mkdir()
    copied = []
    for n, paths in enumerate(groups):
        copied.append([Path(shutil.copy(p, dest / f"{n:02d}-{p.name}")) for p in paths])
    return copied


def test_in_run_duplicates_name_the_first_copy(
    bbc_corpus: Path, tmp_path: Path, archive_home: Path
) -> None:
    groups = copy_groups(duplicate_groups(bbc_corpus / "tech", 6), tmp_path / "in")
    firsts = {p: g[0] for g in groups for p in g[1:]}
    with Archive.open(archive_home) as archive:
        # A dry run: nothing gets an id, so the first copy's input is named.
        dry = archive.ingest_paths([tmp_path / "in"], dry_run=True, batch_size=4)
        by_origin = {o.origin: o for o in dry.outcomes}
        for later, first in firsts.items():
            o = by_origin[str(later.absolute())]
            assert (o.status, o.article_id) == ("unchanged", None)
            assert o.message == f"same text as {first.absolute()}, earlier in this run"
        assert dry.count("added") == len(groups) and archive.count() == 0
        # A real run, in batches smaller than the groups' spread: the id is named.
        real = archive.ingest_paths([tmp_path / "in"], batch_size=4)
        by_origin = {o.origin: o for o in real.outcomes}
        for later, first in firsts.items():
            added = by_origin[str(first.absolute())]
            o = by_origin[str(later.absolute())]
            assert added.status == "added"
            assert (o.status, o.article_id) == ("unchanged", added.article_id)
            assert o.message == f"same text as article {added.article_id}"
        assert archive.count() == len(groups)


def test_dry_run_of_a_jsonl_feed_names_the_earlier_line(
    bbc_corpus: Path, tmp_path: Path, runner: CliRunner
) -> None:
    (first, second), *_ = duplicate_groups(bbc_corpus / "politics", 1)
    lines = []
    for f in (first, second):
        title, _, body = f.read_text(encoding="utf-8").partition("\n")
        lines.append(json.dumps({"title": title.strip(), "body": body.strip()}))
    feed = tmp_path / "feed.jsonl"
    feed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(cli, ["ingest", str(feed), "--dry-run"])
    assert result.exit_code == 0, result.output
    title = json.loads(lines[0])["title"]
    assert result.stdout.splitlines()[:2] == [
        f"would add: {title}",
        f"unchanged: {title} (same text as {feed}:1, earlier in this run)",
    ]
