"""Nothing hangs (issue 18, point 3).

Each case runs the real command in a subprocess under a time limit: the limit
is a safety net so that a regression fails instead of blocking the suite, not a
timing assertion (every case finishes in well under it when nothing hangs).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from _safety import archive_cmd, subprocess_env

from archive.ingest.markdown import split_front_matter
from archive.ingest.yamlsafe import MAX_NODES

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "000_4fc7972ffbe2aa8d.txt"

#: Seconds before a case counts as hung (a safety limit, not a measurement).
LIMIT = 120


def run(
    *args: str | Path, stdin: int | None = subprocess.DEVNULL
) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            archive_cmd(*args),
            stdin=stdin,
            capture_output=True,
            text=True,
            timeout=LIMIT,
            env=subprocess_env(),
            cwd=ROOT,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"hung: archive {' '.join(map(str, args))}")


def yaml_bomb(levels: int = 9, width: int = 9) -> str:
    lines = ["a: &a [" + ", ".join(['"lol"'] * width) + "]"]
    names = "abcdefghijklmnop"
    for prev, name in zip(names, names[1 : levels + 1], strict=False):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * width) + "]")
    return "\n".join(lines) + "\n"


def test_yaml_alias_bomb_is_refused_at_once() -> None:
    bomb = yaml_bomb()
    assert len(bomb) < 500
    meta, rest, warnings = split_front_matter(f"---\n{bomb}---\nThe text.\n")
    assert meta == {} and rest == "The text.\n"
    assert warnings == [f"front matter ignored (its aliases expand to over {MAX_NODES:,} values)"]
    # A few aliases, as a real front matter may use them, are fine.
    meta, _, warnings = split_front_matter("---\nx: &t [a, b]\ny: *t\n---\nText\n")
    assert meta == {"x": ["a", "b"], "y": ["a", "b"]} and warnings == []


@pytest.mark.parametrize(
    "front",
    [
        pytest.param("a: &a [*a]\n", id="recursive"),
        # ~2 s of CPU: the slow tier
        pytest.param("x: " + "[" * 10000 + "]" * 10000 + "\n", id="deep", marks=pytest.mark.slow),
        pytest.param("date: 0000-00-00\n", id="zero-date"),
    ],
)
def test_hostile_front_matter_is_a_warning(front: str) -> None:
    meta, rest, warnings = split_front_matter(f"---\n{front}---\nText\n")
    assert rest == "Text\n"
    assert warnings or meta == {"date": "0000-00-00"}


@pytest.mark.slow
def test_special_files_in_a_folder_are_reported_and_skipped(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text(SAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    os.mkfifo(folder / "fifo.txt")
    (folder / "z.jsonl").symlink_to("/dev/zero")
    (folder / "u.txt").symlink_to("/dev/urandom")
    (folder / "bomb.md").write_text(f"---\n{yaml_bomb()}---\n\nBomb text here.\n")
    unreadable = folder / "locked"
    unreadable.mkdir()
    (unreadable / "b.txt").write_text("Locked\n\nA locked article.\n")
    unreadable.chmod(0)
    try:
        result = run("--home", tmp_path / "home", "ingest", folder)
    finally:
        unreadable.chmod(0o700)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    err = result.stderr
    assert f"error: {folder}/fifo.txt: is a FIFO (named pipe), not a regular file; skipped" in err
    assert f"error: {folder}/z.jsonl: is a character device, not a regular file; skipped" in err
    assert f"error: {folder}/u.txt: is a character device, not a regular file; skipped" in err
    if os.geteuid() != 0:  # root reads any directory
        assert f"error: {unreadable}: directory cannot be read" in err
    assert f"warning: {folder}/bomb.md: front matter ignored (its aliases expand" in err
    added = 3 if os.geteuid() == 0 else 2  # (the locked folder's article, as root)
    assert result.stdout.splitlines()[-1].startswith(f"{added} added")


@pytest.mark.slow
def test_an_unreadable_subfolder_is_reported_not_skipped_silently() -> None:
    """As a user who cannot read one subfolder (root reads any, so the ingest runs as
    ``nobody`` when the tests run as root; as the user itself otherwise)."""
    import shutil
    import tempfile

    prefix: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("reading as another user needs setpriv")
        prefix = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
    shared = Path(tempfile.mkdtemp(prefix="archive-unreadable-"))
    try:
        shared.chmod(0o755)
        folder = shared / "in"
        (folder / "locked").mkdir(parents=True)
        (folder / "a.txt").write_text(SAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
        (folder / "locked" / "b.txt").write_text("Locked\n\nA locked article.\n")
        for path in (folder, folder / "a.txt"):
            path.chmod(0o755 if path.is_dir() else 0o644)
        (folder / "locked").chmod(0)
        home = shared / "home"
        home.mkdir()
        if prefix:
            shutil.chown(home, "nobody", "nogroup")
        result = subprocess.run(
            [*prefix, *archive_cmd("--home", home, "ingest", folder)],
            capture_output=True,
            text=True,
            timeout=LIMIT,
            env={**subprocess_env(), "ARCHIVE_CONFIG": str(shared / "no-config.toml")},
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
        )
    finally:
        (shared / "in" / "locked").chmod(0o700)
        shutil.rmtree(shared, ignore_errors=True)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    locked = folder / "locked"
    assert f"error: {locked}: directory cannot be read (Permission denied); skipped" in (
        result.stderr
    )
    assert result.stdout.splitlines()[-1].startswith("1 added, 0 updated, 0 unchanged, 1 failed")


@pytest.mark.slow
@pytest.mark.parametrize("target", ["fifo", "/dev/zero", "/dev/urandom"])
def test_a_special_file_named_directly(tmp_path: Path, target: str) -> None:
    path = tmp_path / "x.jsonl"
    if target == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to(target)
    result = run("--home", tmp_path / "home", "ingest", path)
    assert result.returncode == 1
    assert "not a regular file; skipped" in result.stderr
    assert result.stdout.splitlines()[-1].startswith("0 added, 0 updated, 0 unchanged, 1 failed")


@pytest.mark.slow
def test_standard_input_that_cannot_be_read(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with open("/dev/zero", "rb") as zero:
        result = run("--home", home, "ingest", "-", "--format", "jsonl", stdin=zero.fileno())
    assert result.returncode == 1
    assert "error: -: standard input is a character device, not a file or a pipe" in result.stderr
    closed = subprocess.run(
        [*archive_cmd("--home", home, "ingest", "-")],
        stdin=None,
        capture_output=True,
        text=True,
        timeout=LIMIT,
        env=subprocess_env(),
        cwd=ROOT,
        preexec_fn=lambda: os.close(0),
    )
    assert closed.returncode == 1
    assert "error: -: standard input is closed" in closed.stderr
    assert "Traceback" not in closed.stderr


@pytest.mark.slow
def test_a_stream_without_line_ends_stops(tmp_path: Path) -> None:
    """``/dev/zero`` through a pipe: no line end ever comes; the run stops with an error."""
    home = tmp_path / "home"
    zeros = subprocess.Popen(["head", "-c", "50000000", "/dev/zero"], stdout=subprocess.PIPE)
    try:
        result = run(
            "--home", home, "ingest", "-", "--format", "jsonl", "--max-size", "1k",
            stdin=zeros.stdout.fileno() if zeros.stdout else None,
        )  # fmt: skip
    finally:
        zeros.kill()
        zeros.wait()
    assert result.returncode == 1
    assert "without a line end: not JSON Lines; the rest of the input was not read" in (
        result.stderr
    )


@pytest.mark.slow
def test_ctrl_c_says_what_an_ingest_stored(tmp_path: Path, bbc_corpus: Path) -> None:
    import signal
    import sqlite3

    home = tmp_path / "home"
    cmd = archive_cmd("--home", home, "ingest", bbc_corpus / "business", "-v", batch_size=10)
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=subprocess_env(),
        cwd=ROOT, stdin=subprocess.DEVNULL,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    assert proc.stdout is not None
    first = proc.stdout.readline()  # an article told: its batch is committed
    assert first.startswith("added"), first
    proc.send_signal(signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=LIMIT)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("hung after Ctrl-C")
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "Aborted!" not in err
    told = int(err.split("interrupted (Ctrl-C): ")[1].split(" added")[0])
    with sqlite3.connect(home / "archive.sqlite3") as db:
        stored = db.execute("SELECT count(*) FROM articles").fetchone()[0]
    assert 1 <= told == stored  # every committed batch counted, none half-told
