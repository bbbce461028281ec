"""Start-up cost guards: the commands that must feel instant import only what they need.

Each command runs in a fresh interpreter (``cli.main`` with ``sys.argv`` set), which
then prints the top-level packages it imported. Timing is measured in ``bench/``,
not here; these tests only fail when a heavy package sneaks onto a light path.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: Runs the CLI in-process with the given argv, then prints the imported top-level packages.
PROBE = """
import json, sys
sys.argv = ["archive", *json.loads(sys.argv[1])]
import cli
try:
    cli.main()
except SystemExit as exc:
    code = exc.code or 0
else:
    code = 0
sys.stdout.flush()
print()
morph = sys.modules.get("whoosh.lang.morph_en")
print(json.dumps({
    "exit": code,
    "modules": sorted({m.split(".")[0] for m in sys.modules}),
    "all": sorted(sys.modules),
    # whoosh.lang.morph_en really ran (it builds a large rule table at import)
    "morph_en_built": morph is not None
    and ("rules" in vars(morph) or vars(morph).get("_real") is not None),
}))
"""


def run_cli(args: list[str], home: Path) -> tuple[str, int, set[str]]:
    """Run ``archive ARGS`` in a fresh interpreter: its output, exit code and imported packages."""
    output, probe = probe_cli(args, home)
    return output, probe["exit"], set(probe["modules"])


def probe_cli(args: list[str], home: Path) -> tuple[str, dict]:
    """Run ``archive ARGS`` in a fresh interpreter: its output and what the probe saw."""
    env = {**os.environ, "ARCHIVE_HOME": str(home), "NO_COLOR": "1"}
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    output, _, last = proc.stdout.rstrip("\n").rpartition("\n")
    return output, json.loads(last)


def test_search_imports_neither_sqlalchemy_nor_alembic(sample_home: Path) -> None:
    output, code, modules = run_cli(["search", "deploy troops", "--color", "never"], sample_home)
    assert code == 0
    # The search really ran: a hit with a highlighted passage was printed.
    assert "1 article matches 'deploy troops'" in output
    assert "**" in output
    assert "whoosh" in modules  # the probe sees what the search imported
    assert "sqlalchemy" not in modules
    assert "alembic" not in modules


def test_search_json_imports_neither_sqlalchemy_nor_alembic(sample_home: Path) -> None:
    output, code, modules = run_cli(["search", "deploy", "--format", "json"], sample_home)
    assert code == 0
    result = json.loads(output)
    assert result["total"] == 1
    assert result["hits"][0]["passages"]
    assert "sqlalchemy" not in modules
    assert "alembic" not in modules


@pytest.mark.parametrize(
    "args",
    [["search", "deploy troops", "--color", "never"], ["search", "deploy", "--format", "json"]],
)
def test_search_skips_what_whoosh_imports_but_never_uses(
    args: list[str], sample_home: Path
) -> None:
    """urllib.request (http.client, email...) and morph_en's rule table are deferred."""
    output, probe = probe_cli(args, sample_home)
    assert probe["exit"] == 0
    assert "deploy" in output.lower()
    loaded = set(probe["all"])
    assert "whoosh.compat" in loaded and "whoosh.query.terms" in loaded
    for module in ("urllib.request", "http.client", "email.parser", "ssl"):
        assert module not in loaded, f"archive search imported {module}"
    assert not probe["morph_en_built"]


def test_search_of_an_empty_home_imports_no_database_layer(archive_home: Path) -> None:
    output, code, modules = run_cli(["search", "anything"], archive_home)
    assert code == 0
    assert "No articles match" in output
    assert "sqlalchemy" not in modules
    assert "alembic" not in modules


@pytest.mark.parametrize("args", [["--help"], ["search", "--help"], ["ingest", "--help"]])
def test_help_imports_neither_sqlalchemy_nor_whoosh(args: list[str], archive_home: Path) -> None:
    output, code, modules = run_cli(args, archive_home)
    assert code == 0
    assert "Usage: archive" in output
    assert "click" in modules
    for heavy in ("sqlalchemy", "alembic", "whoosh"):
        assert heavy not in modules, f"archive {' '.join(args)} imported {heavy}"


@pytest.mark.slow
def test_ingest_into_an_archive_at_the_schema_head_skips_alembic(
    sample_home: Path, tmp_path: Path
) -> None:
    """Alembic is imported only when the schema needs upgrading (a new or old database)."""
    story = tmp_path / "story.txt"
    story.write_text("Ships dock\n\nThe ships docked at dawn.\n", encoding="utf-8")
    output, code, modules = run_cli(["ingest", str(story)], sample_home)
    assert code == 0
    assert "added 2: Ships dock" in output
    assert "sqlalchemy" in modules
    assert "alembic" not in modules


@pytest.mark.slow
def test_a_new_archive_is_created_without_alembic(archive_home: Path, tmp_path: Path) -> None:
    """A new database gets the models' schema stamped at the head (store.create_fresh)."""
    story = tmp_path / "story.txt"
    story.write_text("Ships dock\n\nThe ships docked at dawn.\n", encoding="utf-8")
    output, code, modules = run_cli(["ingest", str(story)], archive_home)
    assert code == 0
    assert "added 1: Ships dock" in output
    assert "sqlalchemy" in modules
    assert "alembic" not in modules


#: The read commands besides search, and the one heavy package each may import.
READ_COMMANDS = [
    (["show", "1"], '"id": 1', set()),
    (["list"], '"id": 1', set()),
    (["stats"], '"articles": 1', {"whoosh"}),  # segments and the engine's state
    (["similar", "1"], '"hits"', {"whoosh"}),  # analyses the article's words
]


@pytest.mark.parametrize(("args", "shown", "allowed"), READ_COMMANDS)
def test_read_commands_import_no_database_layer(
    args: list[str], shown: str, allowed: set[str], sample_home: Path
) -> None:
    """show, list, stats and similar read through sqlite3: never SQLAlchemy or Alembic."""
    output, probe = probe_cli([*args, "--format", "json"], sample_home)
    assert probe["exit"] == 0, output
    json.loads(output)  # the command really printed its answer
    assert shown in output
    loaded = set(probe["all"])
    for heavy in ("sqlalchemy", "alembic", "tqdm", "trafilatura"):
        assert heavy not in probe["modules"], f"archive {args[0]} imported {heavy}"
    whoosh_parts = {m for m in loaded if m.startswith("whoosh.")}
    if "whoosh" in allowed:
        assert whoosh_parts
    else:
        assert not whoosh_parts, f"archive {args[0]} imported {sorted(whoosh_parts)[:5]}"
