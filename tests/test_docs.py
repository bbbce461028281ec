"""The documentation's examples are the tool's real output, and its links lead somewhere.

Examples: every ```console block in README.md and docs/*.md is run. In a block, a line
starting ``$ archive`` is a command, run in-process through the CLI with the repository
as the working directory; the lines after it, up to the next ``$`` line, are what it
prints (stdout and stderr, in the order written, as on a terminal with the output
piped: no colour, no progress bar). ``$ echo $?`` prints the previous command's exit
status. Any other ``$`` line (``make``, ``pip``, ``.venv/bin/...``) is not run and must
not be followed by output lines.

Each block starts from a fresh archive home prepared like ``make demo``: the sample
article ingested with ``--source Euronews --published 2025-03-13 --tag nato --tag
ukraine`` (id 1); a block that runs that ingest itself starts from an empty home.

Only what truly varies between runs is normalised, in the output and in the docs
alike: elapsed seconds (``in 0.5s``), the ingested/updated timestamps, sizes on disk,
and two paths: the archive home is shown as ``/home/you/.local/share/article-archive``
and the repository as ``/home/you/article-archive``.
"""

from __future__ import annotations

import re
import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHOWN_HOME = "/home/you/.local/share/article-archive"
SHOWN_ROOT = "/home/you/article-archive"
DEMO_INGEST = "archive ingest examples/000_4fc7972ffbe2aa8d.txt"


@dataclass
class Command:
    line: int  # 1-based line number of the "$" line in the file
    argv: list[str]
    expected: list[str]


@dataclass
class Block:
    path: Path
    line: int
    commands: list[Command]

    @property
    def id(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def _blocks(path: Path) -> list[Block]:
    blocks: list[Block] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        if lines[i].strip() != "```console":
            i += 1
            continue
        block = Block(path, i + 1, [])
        i += 1
        current: Command | None = None
        while i < len(lines) and lines[i].strip() != "```":
            text = lines[i]
            if text.startswith("$ "):
                argv = shlex.split(text[2:], comments=True)
                current = Command(i + 1, argv, [])
                block.commands.append(current)
            elif current is None:
                raise AssertionError(f"{path}:{i + 1}: output before any command")
            else:
                current.expected.append(text)
            i += 1
        blocks.append(block)
        i += 1
    return blocks


ALL_BLOCKS = [b for doc in DOCS for b in _blocks(doc)]


@pytest.fixture(scope="session")
def _empty_archive_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An archive home with no article, created once (creating the schema takes a while)."""
    from archive import Archive

    home = tmp_path_factory.mktemp("empty") / "home"
    with Archive.open(home):
        pass
    return home


def _normalise(text: str, home: Path | None = None) -> str:
    if home is not None:
        text = text.replace(str(home), SHOWN_HOME)
        text = text.replace(str(ROOT), SHOWN_ROOT)
    text = re.sub(r"\bin \d+(?:\.\d+)?s\b", "in <seconds>s", text)
    text = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "<timestamp>", text)
    text = re.sub(r"\d[\d,.]* (KiB|MiB|GiB|bytes)\b", r"<size> \1", text)
    text = re.sub(r'("(?:index|database)_bytes": )\d+', r"\1<size>", text)
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


def test_the_docs_have_examples() -> None:
    """The parser finds the examples (so that a broken fence does not pass silently)."""
    assert len(ALL_BLOCKS) >= 10
    assert sum(len(b.commands) for b in ALL_BLOCKS) >= 30


@pytest.mark.parametrize("block", ALL_BLOCKS, ids=lambda b: b.id)
def test_example(
    block: Block,
    archive_home: Path,
    _sample_archive_template: Path,
    _empty_archive_template: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(ROOT)
    source = block.path.read_text(encoding="utf-8").splitlines()
    if any(source[c.line - 1].startswith("$ " + DEMO_INGEST) for c in block.commands):
        shutil.copytree(_empty_archive_template, archive_home)
    else:
        shutil.copytree(_sample_archive_template, archive_home)
    runner = CliRunner()
    status = 0
    for command in block.commands:
        where = f"{block.path.relative_to(ROOT)}:{command.line}"
        if command.argv == ["echo", "$?"]:
            output = f"{status}\n"
        elif command.argv[:1] == ["archive"]:
            result = runner.invoke(cli, command.argv[1:], prog_name="archive")
            if result.exception is not None and not isinstance(result.exception, SystemExit):
                raise result.exception
            status = result.exit_code
            output = result.output
        else:
            assert not command.expected, f"{where}: output shown for a command not run"
            continue
        assert _normalise(output, archive_home) == _normalise("\n".join(command.expected)), (
            f"{where}: the output of `{' '.join(command.argv)}` differs from the docs"
        )


LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


BENCH_README = ROOT / "bench" / "README.md"
LINKED_DOCS = [*DOCS, BENCH_README]


def _anchors(path: Path) -> set[str]:
    """The anchors a Markdown viewer gives the headings of *path*, as GitHub makes them:
    lower case, punctuation dropped, spaces as hyphens, ``-1``, ``-2`` for repeats."""
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
    anchors: set[str] = set()
    for heading in re.findall(r"^#{1,6} +(.+?)[ #]*$", text, flags=re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        repeat = 0
        while (slug if not repeat else f"{slug}-{repeat}") in anchors:
            repeat += 1
        anchors.add(slug if not repeat else f"{slug}-{repeat}")
    return anchors


@pytest.mark.parametrize("doc", LINKED_DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_lead_to_files(doc: Path) -> None:
    """Every link into the repository leads to a file, and its ``#anchor`` to a heading."""
    text = doc.read_text(encoding="utf-8")
    text = re.sub(r"```.*?```", "", text, flags=re.S)  # links in code are not links
    broken = []
    for target in LINK.findall(text):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):
            continue  # an address elsewhere
        path, _, anchor = target.partition("#")
        linked = (doc.parent / path) if path else doc
        if not linked.exists():
            broken.append(target)
        elif anchor and linked.suffix == ".md" and anchor not in _anchors(linked):
            broken.append(target)
    assert not broken, (
        f"{doc.relative_to(ROOT)} links to files or headings that do not exist: {broken}"
    )


def test_no_references_outside_the_repository() -> None:
    """No link leads out of the repository, and no text names the old shared folder, an
    issue of the tracker or a path on the machine the docs were written on."""
    for doc in LINKED_DOCS:
        text = doc.read_text(encoding="utf-8")
        for target in LINK.findall(text):
            if "://" in target or target.startswith("#"):
                continue
            resolved = (doc.parent / target.split("#", 1)[0]).resolve()
            assert resolved.is_relative_to(ROOT), f"{doc.name} links outside: {target}"
        assert "../shared" not in text, f"{doc.name} refers to ../shared"
        # the tracker is not in the repository: a reader cannot look "issue 14" up
        # (nor a heading's anchor "...-issue-17")
        tracker = re.search(r"\bissues?[ -]#?\d+", text, flags=re.I)
        assert tracker is None, f"{doc.name} refers to the tracker: {tracker[0]!r}"
        local = re.search(r"(?<![\w.~])/(?:work|root)/\S*", text)
        assert local is None, f"{doc.name} names a path outside the repository: {local[0]!r}"
        assert str(ROOT) not in text, f"{doc.name} names the checkout's own path"


#: A result file's name: ``<date>-<time>-<what>.json`` or ``<date>-profile-<what>.txt``.
RESULT_FILE = re.compile(r"\b20\d\d-\d\d-\d\d-[\w+.-]*?\.(?:json|txt)\b")


@pytest.mark.parametrize("doc", LINKED_DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_result_files_named_exist(doc: Path) -> None:
    """A figure's result file named in the docs (linked or not) is in bench/results/."""
    named = set(RESULT_FILE.findall(doc.read_text(encoding="utf-8")))
    missing = sorted(n for n in named if not (ROOT / "bench" / "results" / n).is_file())
    assert not missing, f"{doc.relative_to(ROOT)} names result files that do not exist: {missing}"


def test_the_bench_readme_says_how_to_run_every_benchmark() -> None:
    """Every script in bench/ (but the helper that names result files) has a command in
    bench/README.md's examples, and those examples show no output (none is checked)."""
    scripts = {p.name for p in (ROOT / "bench").glob("*.py")} - {"resultfile.py", "__init__.py"}
    assert len(scripts) >= 10
    commands = [c for block in _blocks(BENCH_README) for c in block.commands]
    for command in commands:
        assert not command.expected, f"bench/README.md:{command.line}: output shown, not checked"
    run = {arg.removeprefix("bench/") for c in commands for arg in c.argv}
    assert not scripts - run, f"no command in bench/README.md runs {sorted(scripts - run)}"
    assert RESULT_FILE.search(BENCH_README.read_text(encoding="utf-8"))
