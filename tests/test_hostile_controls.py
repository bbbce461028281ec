"""Nothing printed can drive a terminal (issue 18, point 1).

Each class of control character (C0 escape sequences: clipboard write, screen
clear, an OSC 8 hidden link; C1 controls; bidirectional overrides) is fed through
each input path (file name, ``--url``, every metadata field on the command line,
Markdown front matter, HTML metadata, JSON, ``import``, and a row changed behind
the tool's back), and every output of every command and format is read: none
holds a character that could drive a terminal; JSON keeps the stored text exactly.
"""

from __future__ import annotations

import json
import re
import sqlite3
import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from archive.render import json_text
from archive.terminal import for_terminal
from archive.text import normalize_line, normalize_text
from cli import cli

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "000_4fc7972ffbe2aa8d.txt"

#: One of each kind of control a hostile page or file name carries.
CONTROLS = {
    "clipboard": "\x1b]52;c;ZXZpbA==\x07",
    "clear": "\x1b[2J\x1b[H",
    "hidden-link": "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\",
    "c1-csi": "\x9b31m",
    "c1-osc": "\x9d0;title\x9c",
    "bidi": "\u202etxt.exe\u202c",
    "isolate": "\u2066x\u2069",
    "cr": "over\rwritten",
}
#: What may never reach a terminal: C0 but tab and line feed, DEL, C1, bidi overrides.
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


#: The only escape sequences the archive writes itself (with --color): bold, yellow, reset.
OWN_SGR = re.compile(r"\x1b\[(?:1|33|0)m")


def assert_clean(output: str, where: str) -> None:
    if "--color always" in where:
        output = OWN_SGR.sub("", output)
    bad = UNSAFE.search(output)
    assert bad is None, f"{where}: {bad[0]!r} at {bad.start()} in {output[:200]!r}"


def every_output(runner: CliRunner, query: str) -> dict[str, str]:
    """The output of each reading command and format, on article 1."""
    outs = {}
    for args in (
        ["show", "1"],
        ["show", "1", "--revisions"],
        ["list"],
        ["notes"],
        ["stats"],
        ["similar", "1"],
        *(["search", query, "--format", f] for f in ("text", "csv", "markdown", "jsonl")),
        ["search", query, "--color", "always", "--explain"],
        ["search", query, "--facet", "source", "--facet", "author", "--facet", "tag"],
    ):
        result = runner.invoke(cli, args)
        assert result.exit_code == 0, (args, result.output)
        outs[" ".join(args)] = result.output
    return outs


def sample_body() -> str:
    return SAMPLE.read_text(encoding="utf-8")


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(CONTROLS))
def test_command_line_metadata_and_file_name(
    tmp_path: Path, runner: CliRunner, archive_home: Path, kind: str
) -> None:
    bad = CONTROLS[kind]
    f = tmp_path / f"story{bad.replace('/', '_')}.txt"  # (no slash in a file name)
    f.write_text(sample_body(), encoding="utf-8")
    result = runner.invoke(
        cli,
        [
            "ingest",
            str(f),
            "--title",
            f"Title {bad} end",
            "--author",
            f"Au{bad}thor",
            "--source",
            f"So{bad}urce",
            "--url",
            f"https://example.org/{bad}a",
            "--tag",
            f"t{bad}ag",
            "--verbose",
        ],
    )
    assert result.exit_code == 0, result.output
    assert_clean(result.output, "ingest")
    runner.invoke(cli, ["note", "1", f"my {bad} note"])
    for where, out in every_output(runner, "troops").items():
        assert_clean(out, where)
    # JSON keeps the stored text exactly: the file name is stored as named.
    shown = runner.invoke(cli, ["show", "1", "--format", "json"]).output
    assert_clean(shown, "show --format json")
    data = json.loads(shown)
    assert data["origin"] == str(f.absolute())
    assert data["title"] == normalize_line(f"Title {bad} end")
    assert UNSAFE.search(data["title"] + data["author"] + data["source"] + data["url"]) is None


@pytest.mark.slow
def test_front_matter_html_and_json_inputs(
    tmp_path: Path, runner: CliRunner, archive_home: Path
) -> None:
    every = "".join(CONTROLS.values())
    body = sample_body()
    md = tmp_path / "note.md"
    md.write_text(
        "---\n"
        + f"title: {json.dumps('Front ' + every)}\n"
        + f"author: {json.dumps('A ' + every)}\n"
        + f"url: {json.dumps('https://example.org/md' + every)}\n"
        + f"tags: [{json.dumps('x' + every)}]\n"
        + "---\n\n"
        + body.replace("troops", "troops" + every, 1),
        encoding="utf-8",
    )
    html = tmp_path / "page.html"
    html.write_bytes(
        (
            "<html><head><title>Page \x1b[2J \u202e title</title>"
            '<meta name="author" content="H\x1b]52;c;eA==\x07 author"></head><body><article>'
            + "".join(f"<p>{p}\x9b1m</p>" for p in body.split("\n\n"))
            + "</article></body></html>"
        ).encode("utf-8")
    )
    js = tmp_path / "feed.jsonl"
    js.write_text(
        json.dumps(
            {
                "title": "Json " + every,
                "body": "Reuters " + every + " " + body[:2000].replace("troops", "troopers"),
                "source": "S" + every,
                "url": "https://example.org/j" + every,
                "tags": ["j" + every],
                "flag": every,
            }
        )
        + "\n",
        encoding="utf-8",
    )
    result = runner.invoke(cli, ["ingest", str(md), str(html), str(js), "--verbose"])
    assert result.exit_code == 0, result.output
    assert_clean(result.output, "ingest")
    for query in ("troops", "troopers", "reuters"):
        for where, out in every_output(runner, query).items():
            assert_clean(out, where)
    listed = runner.invoke(cli, ["list", "--format", "json"]).output
    assert_clean(listed, "list --format json")
    articles = json.loads(listed)
    assert len(articles) == 3
    for article in articles:
        for name in ("title", "author", "source", "url"):
            assert UNSAFE.search(article[name] or "") is None, (name, article[name])
        assert all(UNSAFE.search(t) is None for t in article["tags"])
    # A field the archive has no column for is kept exactly, shown only as JSON (escaped).
    shown = runner.invoke(cli, ["show", "3", "--format", "json"]).output
    assert_clean(shown, "show --format json")
    assert json.loads(shown)["extra"]["flag"] == every


@pytest.mark.slow
def test_a_row_changed_behind_the_tools_back_is_cleaned_on_output(
    sample_home: Path, runner: CliRunner
) -> None:
    """Output is cleaned whatever the database holds (an older version's rows, an edit)."""
    every = "".join(CONTROLS.values())
    with sqlite3.connect(sample_home / "archive.sqlite3") as db:
        db.execute(
            "UPDATE articles SET title = ?, author = ?, source = ?, url = ?, origin = ?, "
            "body = body || ? WHERE id = 1",
            ("T" + every, "A" + every, "S" + every, "U" + every, "/o" + every, "\n" + every),
        )
        db.execute("UPDATE tags SET name = name || ? WHERE article_id = 1", (every,))
    for where, out in every_output(runner, "troops").items():
        assert_clean(out, where)
    shown = runner.invoke(cli, ["show", "1", "--format", "json"]).output
    assert_clean(shown, "show --format json")
    assert json.loads(shown)["title"] == "T" + every  # exactly as stored
    text = runner.invoke(cli, ["show", "1"]).output
    assert "T^[]52;c;ZXZpbA==^G" in text and "\\u{202e}" in text  # made visible


def test_error_lines_name_hostile_paths_cleanly(tmp_path: Path, runner: CliRunner) -> None:
    bad = tmp_path / "gone\x1b]52;c;ZXZpbA==\x07\u202e.txt"
    result = runner.invoke(cli, ["ingest", str(bad)])
    assert result.exit_code == 1
    assert_clean(result.output, "error line")
    assert "no such file" in result.output and "^[]52;c;ZXZpbA==^G" in result.output
    result = runner.invoke(cli, ["show", "\x1b[2J\u202e"])
    assert result.exit_code == 2  # Click's usage error, its message cleaned too
    assert_clean(result.output, "search error")


def test_import_brings_no_controls(tmp_path: Path, runner: CliRunner, archive_home: Path) -> None:
    every = "".join(CONTROLS.values())
    line = {
        "id": 7,
        "title": "Imp " + every,
        "body": sample_body() + every,
        "author": "A" + every,
        "source": "S" + every,
        "url": "https://example.org/i" + every,
        "published": "2025-03-13",
        "published_at": "2025-03-13T00:00:00",
        "origin": "/x" + every,
        "content_hash": "0" * 64,
        "ingested": "2025-03-14T00:00:00",
        "updated": "2025-03-14T00:00:00",
        "tags": ["t" + every],
    }
    f = tmp_path / "export.jsonl"
    f.write_text(json.dumps(line) + "\n", encoding="utf-8")
    result = runner.invoke(cli, ["import", str(f)])
    assert result.exit_code == 0, result.output
    data = json.loads(runner.invoke(cli, ["show", "7", "--format", "json"]).output)
    for name in ("title", "author", "source", "url", "body"):
        assert UNSAFE.search(data[name]) is None, name
    assert data["body"] == normalize_text(sample_body() + every)
    assert UNSAFE.search(data["tags"][0]) is None
    for where, out in every_output_of(runner, 7).items():
        assert_clean(out, where)


def every_output_of(runner: CliRunner, article_id: int) -> dict[str, str]:
    return {
        " ".join(a): runner.invoke(cli, a).output
        for a in (["show", str(article_id)], ["list"], ["search", "troops", "--format", "csv"])
    }


#: Text with every kind of character: controls, C1, bidi, surrogates, the rest.
hostile_text = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0, max_codepoint=0x9F),
        st.sampled_from("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff\u2028"),
        st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),
        st.characters(),
    ),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(text=hostile_text, line=st.booleans())
def test_for_terminal_leaves_nothing_that_drives_a_terminal(text: str, line: bool) -> None:
    shown = for_terminal(text, line=line)
    assert UNSAFE.search(shown) is None
    assert re.search("[\ud800-\udfff]", shown) is None
    shown.encode("utf-8")  # printable whatever the terminal's encoding handler
    if line:
        assert "\n" not in shown
    assert for_terminal(shown, line=line) == shown  # cleaning twice changes nothing


@settings(max_examples=300, deadline=None)
@given(text=hostile_text)
def test_json_output_escapes_and_keeps_the_text(text: str) -> None:
    text = re.sub("[\ud800-\udfff]", "", text)  # (stored text never holds surrogates)
    out = json_text({"t": text})
    assert UNSAFE.search(out) is None
    assert json.loads(out)["t"] == text


@settings(max_examples=300, deadline=None)
@given(text=hostile_text)
def test_stored_text_holds_no_controls(text: str) -> None:
    letters = [c for c in unicodedata.normalize("NFC", text) if c.isalnum()]
    for cleaned in (normalize_text(text), normalize_line(text)):
        assert UNSAFE.search(cleaned.replace("\n", "")) is None
        cleaned.encode("utf-8")
        # only controls and white space go: every letter and digit is kept, in order
        assert [c for c in cleaned if c.isalnum()] == letters


# --- everything echoed back: paths, queries, notices, a lock holder (newcomer, problem 3) -------

EVIL = "evil\x1b]0;OWNED\x07\x1b[31m\x9b2J\u202e"
EVIL_SHOWN = "evil^[]0;OWNED^G^[[31m\\u{9b}2J\\u{202e}"


def _clean_streams(result: object, where: str) -> str:
    """stdout and stderr of *result* each checked; both returned, joined."""
    out, err = result.stdout_bytes.decode(), result.stderr_bytes.decode()  # type: ignore[attr-defined]
    out = out.replace("\r\n", "\n")  # CSV's own line ends
    assert_clean(out, where + " (stdout)")
    assert_clean(err, where + " (stderr)")
    return out + err


def test_paths_and_queries_echoed_back_drive_no_terminal(
    tmp_path: Path, runner: CliRunner, archive_home: Path
) -> None:
    folder = tmp_path / EVIL
    folder.mkdir()
    good = folder / f"{EVIL}.txt"
    good.write_text("Hello world\n\nAn article about cats and dogs.\n", encoding="utf-8")
    (folder / f"{EVIL}.json").write_bytes(b"\xff\xfe\x00\x00garbage")  # fails: bad UTF-16
    result = runner.invoke(cli, ["ingest", str(folder)])
    assert result.exit_code == 1
    said = _clean_streams(result, "ingest")
    assert f"error: {tmp_path}/{EVIL_SHOWN}/{EVIL_SHOWN}.json: " in said
    result = runner.invoke(cli, ["ingest", "-v", str(folder)])
    said = _clean_streams(result, "ingest again")
    assert f"unchanged: {tmp_path}/{EVIL_SHOWN}/{EVIL_SHOWN}.txt (file not changed" in said
    assert f"still failing: {tmp_path}/{EVIL_SHOWN}/{EVIL_SHOWN}.json: " in said
    said = _clean_streams(runner.invoke(cli, ["show", "1"]), "show")
    assert f"origin:    {tmp_path}/{EVIL_SHOWN}/{EVIL_SHOWN}.txt" in said
    shown = runner.invoke(cli, ["show", "1", "--format", "json"]).stdout
    assert json.loads(shown)["origin"] == str(good)  # JSON: exactly the file's name
    query = "cats \x1b]0;X\x07 (\x9b2J"
    for fmt in ("text", "csv", "markdown"):
        result = runner.invoke(cli, ["search", query, "--format", fmt, "--explain"])
        said = _clean_streams(result, f"search --format {fmt}")
        assert "searched for the words: cats ^[ 0;X^G" in said
    result = runner.invoke(cli, ["search", query, "--format", "json"])
    assert json.loads(result.stdout)["query"] == query  # JSON keeps the query exactly
    assert_clean(result.stdout, "search --format json")


def test_a_lock_holders_command_line_drives_no_terminal(
    sample_home: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lock holder writes its command line (file names and all) for the waiting one."""
    import subprocess
    import sys

    from tests._safety import subprocess_env
    from tests.test_concurrency import HOLD_LOCK

    monkeypatch.setenv("ARCHIVE_LOCK_TIMEOUT", "0.3")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(sample_home), EVIL],
        env=subprocess_env(),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        result = runner.invoke(cli, ["delete", "1"])
    finally:
        holder.kill()
        holder.wait()
    assert result.exit_code == 1
    said = _clean_streams(result, "lock wait")
    assert said.count(EVIL_SHOWN) == 2  # the waiting line and the error


def test_for_output_lets_through_only_what_the_archive_writes_itself() -> None:
    from archive.terminal import for_output

    own = "\x1b[1mtitle\x1b[0m \x1b[33mword\x1b[0m\r\n\tbar\r\x1b[A"
    assert for_output(own) == own
    assert for_output("clean text, ^[ already shown") == "clean text, ^[ already shown"
    assert for_output(f"a {EVIL} b\x1b[2J\x1b[8m") == f"a {EVIL_SHOWN} b^[[2J^[[8m"
    assert for_output("\udce9") == "\\xe9"


def test_terminal_safe_cleans_stderr_always_and_stdout_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import io
    import sys

    from cli_terminal import terminal_safe

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    for stdout, cleaned in ((io.StringIO(), False), (Tty(), True)):
        stderr = io.StringIO()
        monkeypatch.setattr(sys, "stdout", stdout)
        monkeypatch.setattr(sys, "stderr", stderr)
        with terminal_safe():
            print(EVIL)
            print(EVIL, file=sys.stderr)
        assert sys.stdout is stdout and sys.stderr is stderr  # put back
        assert stdout.getvalue() == (EVIL_SHOWN if cleaned else EVIL) + "\n"  # piped: exact
        assert stderr.getvalue() == EVIL_SHOWN + "\n"
