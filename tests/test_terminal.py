"""The command line at a terminal: global options after the command, the config file,
the pager, wrapping and progress (through a pseudo-terminal with pexpect)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest
from click.testing import CliRunner

from archive.config import ConfigError, settings
from archive.wrapping import width_of, wrap
from cli import cli
from tests._safety import subprocess_env, write_articles
from tests.conftest import ROOT, SAMPLE


def run(runner: CliRunner, *args: str):
    return runner.invoke(cli, list(args), catch_exceptions=False)


# --- options where people put them ---------------------------------------------------------


def test_home_after_the_command(runner: CliRunner, tmp_path: Path) -> None:
    other = tmp_path / "other"
    assert run(runner, "ingest", str(SAMPLE), "--home", str(other)).exit_code == 0
    assert (other / "archive.sqlite3").exists()
    found = run(runner, "search", "troops", "--home", str(other), "--format", "json")
    assert found.exit_code == 0, found.output
    assert json.loads(found.stdout)["total"] == 1
    # The default home ($ARCHIVE_HOME) was not touched.
    assert json.loads(run(runner, "stats", "--format", "json").stdout)["articles"] == 0
    # After the command wins over before it (the last one given).
    empty = tmp_path / "empty"
    both = run(runner, "--home", str(empty), "stats", "--home", str(other), "--format", "json")
    assert json.loads(both.stdout)["articles"] == 1


def test_every_command_takes_the_global_options_after_its_name() -> None:
    assert {"search", "ingest", "serve", "feed", "export"} <= set(cli.commands)
    for name, command in cli.commands.items():
        options = {o for p in command.params for o in getattr(p, "opts", [])}
        assert {"--home", "--no-pager", "--quiet"} <= options, name


def test_config_file_sets_defaults_and_config_says_where_each_comes_from(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sample_home: Path
) -> None:
    run(runner, "ingest", str(ROOT / "examples" / "more" / "coalition.txt"))
    config = tmp_path / "config.toml"
    config.write_text('limit = 1\ncolor = "never"\npager = false\njobs = 2\n')
    monkeypatch.setenv("ARCHIVE_CONFIG", str(config))
    got = run(runner, "search", "troops", "--format", "json")
    assert got.exit_code == 0, got.output
    hits = json.loads(got.stdout)
    assert hits["total"] >= 2 and len(hits["hits"]) == 1
    # The command line still wins.
    hits = json.loads(run(runner, "search", "troops", "--format", "json", "-n", "5").stdout)
    assert len(hits["hits"]) == 2
    shown = run(runner, "config").stdout.splitlines()
    assert shown[0] == f"config file: {config}"
    assert shown[1].split() == ["home", str(sample_home), "(environment", "$ARCHIVE_HOME)"]
    assert shown[2].split()[:2] == ["color", "never"]
    assert shown[2].endswith(f"(config file {config})")
    assert shown[3].split()[:2] == ["pager", "none"]
    assert shown[4].split()[:2] == ["limit", "1"]
    assert shown[5].split()[:2] == ["jobs", "2"]
    data = json.loads(run(runner, "config", "--format", "json", "--home", "/x").stdout)
    assert data["config_file_exists"] is True
    assert data["settings"][0] == {"name": "home", "value": "/x", "source": "command line"}


def test_config_home_is_used_unless_the_environment_names_one(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'home = "{tmp_path / "from-config"}"\n')
    monkeypatch.setenv("ARCHIVE_CONFIG", str(config))
    monkeypatch.delenv("ARCHIVE_HOME")
    assert run(runner, "ingest", str(SAMPLE)).exit_code == 0
    assert (tmp_path / "from-config" / "archive.sqlite3").is_file()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("limit = 0\n", "'limit' must be a whole number of at least 1, not 0"),
        (
            'colour = "never"\n',
            "unknown setting 'colour' (known: home, color, pager, limit, jobs, database)",
        ),
        ('color = "blue"\n', "'color' must be one of auto, always, never, not 'blue'"),
        ("pager = true\n", "'pager' must be a command (a string) or false"),
        ("limit = \n", "is not valid TOML"),
    ],
)
def test_a_bad_config_file_is_one_line_naming_it(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, problem: str
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(text)
    monkeypatch.setenv("ARCHIVE_CONFIG", str(config))
    result = run(runner, "search", "x")
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: the config file {config}")
    assert problem in result.output
    assert len(result.output.strip().splitlines()) == 1
    with pytest.raises(ConfigError):
        settings(path=config)


def test_settings_precedence() -> None:
    base = {"PAGER": "more"}
    assert settings(environ=base)["pager"].value == "more"
    assert settings(environ={})["pager"].value == "less -R"
    assert settings(environ=base, no_pager=True)["pager"].value is False
    assert settings(environ={"NO_COLOR": "1"})["color"].source == "environment $NO_COLOR"


# --- wrapping --------------------------------------------------------------------------------


def test_wrap_keeps_indentation_and_ignores_colour_codes() -> None:
    line = "   " + " ".join(["\x1b[33m\x1b[1mword\x1b[0m"] * 30)
    wrapped = wrap(line, 40).split("\n")
    assert len(wrapped) > 1
    assert all(width_of(w) <= 40 for w in wrapped)
    assert all(w.startswith("   ") and not w.startswith("    ") for w in wrapped)
    assert wrap(line, 40).replace("\n   ", " ") == line
    # Wide characters take two columns; a short line is left as it is.
    assert width_of("日本語") == 6
    assert wrap("short", 40) == "short"


# --- pager, wrapping and progress on a terminal (pexpect) ----------------------------------


def _spawn(args: list[str], env: dict[str, str], rows: int = 24, cols: int = 80) -> pexpect.spawn:
    env = {k: v for k, v in env.items() if k not in ("COLUMNS", "LINES")}  # the pty's size
    return pexpect.spawn(
        sys.executable,
        ["-m", "cli", *args],
        cwd=str(ROOT),
        env=env,
        dimensions=(rows, cols),
        encoding="utf-8",
        timeout=60,
    )


@pytest.mark.slow
def test_show_goes_through_the_pager_on_a_terminal_only(sample_home: Path, tmp_path: Path) -> None:
    paged = tmp_path / "paged.txt"
    pager = f"sh -c 'cat > {paged}'"
    env = subprocess_env(ARCHIVE_HOME=str(sample_home), PAGER=pager, TERM="xterm")
    child = _spawn(["show", "1"], env, rows=10, cols=60)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    text = paged.read_text()
    assert text.startswith("id:        1\n")
    # Wrapped to the terminal's width (the article's paragraphs are longer).
    assert max(width_of(line) for line in text.splitlines()) <= 59
    assert "troops" in text
    # --no-pager (after the command): printed straight to the terminal.
    paged.unlink()
    child = _spawn(["show", "1", "--no-pager"], env, rows=10, cols=60)
    out = child.read()
    child.close()
    assert not paged.exists() and "troops" in out
    # Piped: no pager and no wrapping (the text exactly as stored).
    piped = subprocess.run(
        [sys.executable, "-m", "cli", "show", "1"], cwd=ROOT, env=env, capture_output=True
    )
    assert not paged.exists()
    assert max(len(line) for line in piped.stdout.decode().splitlines()) > 60


@pytest.mark.slow
def test_config_turns_the_pager_off(sample_home: Path, tmp_path: Path) -> None:
    paged = tmp_path / "paged.txt"
    config = tmp_path / "config.toml"
    config.write_text("pager = false\n")
    env = subprocess_env(
        ARCHIVE_HOME=str(sample_home),
        ARCHIVE_CONFIG=str(config),
        PAGER=f"sh -c 'cat > {paged}'",
    )
    child = _spawn(["show", "1"], env, rows=10, cols=60)
    out = child.read()
    child.close()
    assert not paged.exists() and "troops" in out


@pytest.mark.slow
def test_reindex_shows_labelled_phases_on_a_terminal_and_nothing_piped(
    sample_home: Path, tmp_path: Path
) -> None:
    from archive import Archive

    write_articles(tmp_path / "many", 120, seed=3)
    with Archive.open(sample_home) as archive:
        archive.ingest_paths([tmp_path / "many"])
    env = subprocess_env(ARCHIVE_HOME=str(sample_home), ARCHIVE_PROGRESS_DELAY="0")
    child = _spawn(["reindex"], env)
    child.expect("reindexing")
    child.expect("committing the index")
    child.expect("reindexed 121 articles")
    child.expect(pexpect.EOF)
    for quiet in (["--quiet"], ["-q"]):
        child = _spawn(["reindex", *quiet], env)
        out = child.read()
        assert out.strip() == "reindexed 121 articles", out
    piped = subprocess.run(
        [sys.executable, "-m", "cli", "reindex"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert piped.stderr == "" and piped.stdout == "reindexed 121 articles\n"


@pytest.mark.slow
def test_ingest_bar_then_its_final_commit_labelled(tmp_path: Path, archive_home: Path) -> None:
    write_articles(tmp_path / "many", 200, seed=5)
    env = subprocess_env(ARCHIVE_HOME=str(archive_home), ARCHIVE_PROGRESS_DELAY="0")
    child = _spawn(["ingest", str(tmp_path / "many")], env)
    child.expect("ingesting")
    child.expect("/200")  # the estimated total, counted up to
    child.expect("committing the index")
    child.expect("200 added, 0 updated, 0 unchanged, 0 failed in ")
    child.expect(pexpect.EOF)


@pytest.mark.slow
def test_every_long_job_labels_its_phases_on_a_terminal(sample_home: Path, tmp_path: Path) -> None:
    """export, import, check, optimize, a bulk edit and a bulk delete each show a
    labelled bar on a terminal (the delay before a bar shows set to none)."""
    from archive import Archive

    write_articles(tmp_path / "many", 120, seed=7)
    with Archive.open(sample_home) as archive:
        archive.ingest_paths([tmp_path / "many"])
    backup = tmp_path / "backup.jsonl"
    env = subprocess_env(ARCHIVE_HOME=str(sample_home), ARCHIVE_PROGRESS_DELAY="0")
    jobs = [
        (["export", str(backup)], "exporting", "exported 121 articles"),
        (["--home", str(tmp_path / "copy"), "import", str(backup)], "importing", "imported 121"),
        (["check"], "comparing the database with the index", "database and index agree"),
        (["optimize"], "merging the index's segments", ""),
        (["edit", "--query", "archives", "--add-tag", "many"], "editing", "120 articles"),
        (["delete", "--query", "archives", "--yes"], "deleting", "120 articles deleted"),
    ]
    for args, label, said in jobs:
        child = _spawn(args, env)
        child.expect(label)
        if said:
            child.expect(said)
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == 0, (args, child.before)


@pytest.mark.slow
def test_lock_wait_says_at_once_who_holds_it_and_counts_down(sample_home: Path) -> None:
    from tests.test_concurrency import hold_lock

    holder = hold_lock(sample_home)
    env = subprocess_env(ARCHIVE_HOME=str(sample_home), ARCHIVE_LOCK_TIMEOUT="30")
    try:
        child = _spawn(["delete", "1"], env)
        child.expect(
            f"waiting for the archive's write lock, held by process {holder.pid} "
            r"\(-c .*\), holding it since .*; giving up in 30s"
        )
        child.expect("waiting for the lock: .* waited, .* left")
    finally:
        holder.kill()
        holder.wait()
    child.expect("1 article deleted")
    child.expect(pexpect.EOF)


# --- shell completion -------------------------------------------------------------------------


def _complete(runner: CliRunner, words: str, shell: str = "bash") -> list[str]:
    cword = str(len(words.split()) - (0 if words.endswith(" ") else 1))
    env = {"_ARCHIVE_COMPLETE": f"{shell}_complete", "COMP_WORDS": words, "COMP_CWORD": cword}
    result = runner.invoke(cli, [], env=env, prog_name="archive")
    assert result.exit_code == 0, result.output
    return [line for line in result.stdout.splitlines() if line]


def test_shell_completion_of_ids_tags_and_sources(runner: CliRunner, sample_home: Path) -> None:
    run(runner, "ingest", str(ROOT / "examples" / "more" / "coalition.txt"), "--tag", "nordic")
    assert _complete(runner, "archive show ") == ["plain,2", "plain,1"]
    assert _complete(runner, "archive edit 1 --add-tag n") == ["plain,nato", "plain,nordic"]
    assert _complete(runner, "archive ingest x --source R") == ["plain,Reuters"]
    # zsh gets each id's title as its description.
    zsh = _complete(runner, "archive similar ", "zsh")
    assert zsh[:3] == ["plain", "2", "Coalition troops and NATO plans"]
    # With --home after the command, that archive's values; none from a missing archive.
    assert _complete(runner, f"archive show --home {sample_home / 'none'} ") == []
    assert not (sample_home / "none").exists()


@pytest.mark.slow
def test_the_readme_completion_line_works_in_bash(sample_home: Path, tmp_path: Path) -> None:
    """The README's line for bash, sourced in a real bash, completes ids from the archive;
    zsh's and fish's scripts are made the same way (their shells may not be installed)."""
    import shutil

    if shutil.which("bash") is None:
        pytest.skip("bash is not installed")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "archive"  # the installed command, running this checkout
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m cli "$@"\n')
    wrapper.chmod(0o755)
    env = subprocess_env(
        ARCHIVE_HOME=str(sample_home),
        PATH=f"{bin_dir}:{subprocess_env()['PATH']}",
        PYTHONPATH=str(ROOT),
    )
    script = (
        'eval "$(_ARCHIVE_COMPLETE=bash_source archive)"\n'
        "COMP_WORDS=(archive show ''); COMP_CWORD=2\n"
        "_archive_completion archive\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    done = subprocess.run(
        ["bash", "-c", script], env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1"], done.stdout + done.stderr
    for shell, mark in (("zsh", "compdef"), ("fish", "complete --no-files --command archive")):
        made = subprocess.run(
            ["archive"], env={**env, "_ARCHIVE_COMPLETE": f"{shell}_source"},
            capture_output=True, text=True, timeout=120, cwd=tmp_path,
        )  # fmt: skip
        assert made.returncode == 0 and mark in made.stdout, (shell, made.stdout[:300])
