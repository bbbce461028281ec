"""The search and similar commands: formats, options, notices, and a light import path."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from tests.conftest import ROOT


def run(runner: CliRunner, home: Path, *args: str) -> object:
    return runner.invoke(cli, ["--home", str(home), *args])


def test_json_contract_and_offsets(runner: CliRunner, sample_home: Path, sample_text: str) -> None:
    result = run(runner, sample_home, "search", "deploy troops", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert list(data)[:4] == ["query", "total", "rescue", "hits"]
    assert data["total"] == 1 and data["rescue"] is None
    (hit,) = data["hits"]
    assert set(hit) == {
        "id", "title", "source", "author", "published", "url", "score", "match", "passages"
    }  # fmt: skip
    assert hit["match"] == "all"
    for p in hit["passages"]:
        assert set(p) == {"text", "start", "end", "highlights"}
        assert sample_text.replace("\r\n", "\n")[p["start"] : p["end"]] == p["text"]
    words = {p["text"][s:e] for p in hit["passages"] for s, e in p["highlights"]}
    assert {"troops", "deploy"} <= words


def test_text_output_with_ellipses_and_explain(runner: CliRunner, sample_home: Path) -> None:
    result = run(runner, sample_home, "search", "deploy troops", "--explain", "--color", "never")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "Understood as: (deploy in title, body, note) AND (troop in title, body, note)"
    )
    assert lines[1] == "1 article matches 'deploy troops' (showing 1–1)"
    assert (
        "   … Concretely, this means there are no **troops** available to **deploy** to "
        "Ukraine without changing NATO or domestic strategies. …"
    ) in lines


def test_syntax_rescue_is_a_notice_not_an_error(runner: CliRunner, sample_home: Path) -> None:
    result = run(runner, sample_home, "search", '"reassurance force', "--format", "json")
    assert result.exit_code == 0
    assert result.stderr.startswith("note: query has an unclosed quote;")
    assert json.loads(result.stdout)["total"] == 1


def test_facets_text_and_json(runner: CliRunner, sample_home: Path) -> None:
    result = run(runner, sample_home, "search", "nato", "--facet", "tag", "--facet", "month")
    assert "tag: nato (1), ukraine (1)" in result.stdout
    assert "month: 2025-03 (1)" in result.stdout
    result = run(runner, sample_home, "search", "nato", "--facet", "source", "--format", "json")
    assert json.loads(result.stdout)["facets"] == {"source": [{"value": "Euronews", "count": 1}]}


def test_jsonl_csv_markdown(runner: CliRunner, sample_home: Path) -> None:
    out = run(runner, sample_home, "search", "defence", "--format", "jsonl").stdout
    rows = [json.loads(line) for line in out.splitlines()]
    assert [(r["rank"], r["id"]) for r in rows] == [(1, 1)]
    out = run(runner, sample_home, "search", "defence", "--format", "csv").stdout
    (row,) = list(csv.DictReader(io.StringIO(out)))
    assert row["id"] == "1" and row["source"] == "Euronews" and "defense" in row["passages"]
    # RFC 4180: every record ends CRLF, the last one too (newcomer's trial, problem 12);
    # Click's result.stdout turns CRLF into LF: read the bytes
    out = run(runner, sample_home, "search", "defence", "--format", "csv").stdout_bytes.decode()
    assert out.endswith("\r\n") and not out.endswith("\n\r\n") and out.count("\r\n") == 2
    for args in (["similar", "1"], ["search", "no-such-word-anywhere", "--strict"]):
        out = run(runner, sample_home, *args, "--format", "csv").stdout_bytes.decode()
        assert out.endswith("\r\n") and "\r\n\n" not in out, args
    out = run(runner, sample_home, "search", '"reassurance force"', "--format", "markdown").stdout
    assert out.startswith('## Search: "reassurance force"')
    assert (
        "> … The coalition, spearheaded by France and the UK, is drafting plans for a "
        "post-ceasefire **reassurance force** in Ukraine" in out
    )
    assert "— Euronews, 2025-03-13, archive id 1" in out


def test_page_option(runner: CliRunner, sample_home: Path) -> None:
    out = run(runner, sample_home, "search", "nato", "--page", "2", "--color", "never").stdout
    assert out.startswith("No more hits: 1 article matches 'nato'.")
    bad = run(runner, sample_home, "search", "nato", "--page", "2", "--offset", "1")
    assert bad.exit_code == 2


@pytest.mark.slow  # an unreadable date: dateparser tries every language (~4 s)
def test_since_until_options(runner: CliRunner, sample_home: Path) -> None:
    out = run(runner, sample_home, "search", "nato", "--since", "2025-03", "--until", "2025-03")
    assert "1 article matches" in out.stdout
    out = run(runner, sample_home, "search", "nato", "--since", "2025-04")
    assert "No articles match" in out.stdout
    bad = run(runner, sample_home, "search", "nato", "--since", "whenever")
    assert bad.exit_code == 2  # a bad option value is a usage error (README)
    assert bad.stderr.splitlines()[-1] == (
        "Error: Invalid value for '--since': cannot read 'whenever' as a date; "
        "try 2025-09-03, 2025-09, 2025 or 'last month'"
    )


def test_search_leaves_sqlalchemy_unimported(sample_home: Path) -> None:
    code = (
        "import sys\n"
        "from cli import cli\n"
        "try:\n"
        f"    cli(['--home', {str(sample_home)!r}, 'search', 'deploy', '--facet', 'tag'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "try:\n"
        f"    cli(['--home', {str(sample_home)!r}, 'similar', '1'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('SQLALCHEMY', 'sqlalchemy' in sys.modules, 'alembic' in sys.modules)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    ).stdout
    assert "1 article matches 'deploy'" in out
    assert "Articles like 1:" in out
    assert out.strip().endswith("SQLALCHEMY False False")


def test_suggestion_fuzzy_and_explain_in_json(runner: CliRunner, sample_home: Path) -> None:
    result = run(runner, sample_home, "search", "jeopardyse", "--format", "json", "--explain")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["suggestion"] == "jeopardise"
    # The corrected spelling is searched; its hit is not called a match of the query.
    assert data["total"] == 0
    assert data["rescue"] == {"kind": "spelling", "total": 1, "query": "jeopardise"}
    assert data["hits"][0]["match"] == "fuzzy"
    assert data["understood"] == (  # notes hold exact forms too
        "(=jeopardise (exact form) in title, body, note)"
        # and the stem too, whose positions the proximity ranking reads
        " AND (jeopard in title, body, note)"
    )
    assert "note: nothing matched as typed; showing matches for: jeopardise" in result.stderr
    (p,) = data["hits"][0]["passages"][:1]
    assert [p["text"][s:e] for s, e in p["highlights"]] == ["jeopardise"]


def test_color_always_styles_matches(runner: CliRunner, sample_home: Path) -> None:
    args = ["--home", str(sample_home), "search", "deploy", "--color", "always", "--passages", "1"]
    out = runner.invoke(cli, args, color=True)
    assert "\x1b[33m\x1b[1mdeploy\x1b[0m" in out.stdout
    assert "**" not in out.stdout


@pytest.mark.slow
def test_a_pasted_wall_of_text_is_not_echoed_whole(runner: CliRunner, sample_home: Path) -> None:
    wall = "deployment" * 900
    result = run(runner, sample_home, "search", "--", wall)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"No articles match {wall[:60]!r}… (9,000 characters).\n"
    result = run(runner, sample_home, "search", "deploy")
    assert result.stdout.startswith("1 article matches 'deploy' (showing 1–1)\n")


@pytest.mark.parametrize(
    "query",
    [
        "elephant AND penguin",  # no article has "penguin": AND is not relaxed
        '"force reassurance"',  # the sample has "reassurance force", never this phrase
        "elephant -nato",
        "title:elephant troops",
        "elephant penguin*",
        "zeppelin~ troops",
        "troops AND published:2019",
    ],
)
def test_explicit_syntax_is_never_rescued(runner: CliRunner, sample_home: Path, query: str) -> None:
    result = run(runner, sample_home, "search", query, "--format", "json")
    data = json.loads(result.stdout)
    assert (data["total"], data["rescue"], data["hits"]) == (0, None, [])
    text = run(runner, sample_home, "search", query, "--color", "never")
    assert text.stdout.strip() == f"No articles match {query!r}."


def test_explicit_syntax_still_gets_a_spelling_suggestion(
    runner: CliRunner, sample_home: Path
) -> None:
    result = run(runner, sample_home, "search", "jeopardyse AND troops", "--format", "json")
    data = json.loads(result.stdout)
    assert (data["total"], data["rescue"], data["hits"]) == (0, None, [])
    assert data["suggestion"] == "jeopardise AND troops"


@pytest.mark.parametrize("fmt", ["text", "json", "jsonl", "csv", "markdown"])
def test_every_format_says_a_rescued_hit_is_not_a_match(
    runner: CliRunner, sample_home: Path, fmt: str
) -> None:
    result = run(runner, sample_home, "search", "elephant penguin", "--format", fmt)
    out = result.stdout
    assert "1 article matches" not in out and "1 matching article" not in out
    if fmt == "json":
        data = json.loads(out)
        assert data["total"] == 0
        assert data["rescue"] == {"kind": "most-words", "total": 1}
        assert [h["match"] for h in data["hits"]] == ["most"]
    elif fmt == "jsonl":
        assert json.loads(out)["match"] == "most"
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(out)))
        assert [r["match"] for r in rows] == ["most"]
    else:
        assert "No article has all of 'elephant penguin'; 1 article has some of its words" in out
        assert "some of the words" in out.split("\n", 2)[-1]


def test_strict_turns_the_rescues_off(runner: CliRunner, sample_home: Path) -> None:
    result = run(runner, sample_home, "search", "elephant penguin", "--strict", "--format", "json")
    data = json.loads(result.stdout)
    assert (data["total"], data["rescue"], data["hits"]) == (0, None, [])
