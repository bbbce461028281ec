"""The shape of archive.ingest: one format registry, no import cycles, no private names."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from archive.ingest import formats

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "archive" / "ingest"
MODULES = {f"archive.ingest.{p.stem}": p for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
CHECKED = [*PACKAGE.glob("*.py"), ROOT / "archive" / "dates.py"]


def _imports(path: Path) -> list[tuple[str, str]]:
    """(module, name) for every ``from module import name`` and ``import module`` in *path*,
    at any depth (imports inside functions count too)."""
    found: list[tuple[str, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found += [(node.module, alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [(alias.name, "") for alias in node.names]
    return found


def _edges(path: Path) -> set[str]:
    """The archive.ingest submodules *path* imports (``from archive.ingest import x``
    is an import of ``archive.ingest.x`` when that is a module)."""
    out: set[str] = set()
    for module, name in _imports(path):
        if f"{module}.{name}" in MODULES:
            out.add(f"{module}.{name}")
        elif module in MODULES or module == "archive.ingest":
            out.add(module)
    return out


def test_no_module_of_archive_ingest_imports_another_in_a_cycle() -> None:
    graph = {name: _edges(path) for name, path in MODULES.items()}
    # No submodule imports the package itself (its __init__ only gathers names).
    assert {name for name, edges in graph.items() if "archive.ingest" in edges} == set()
    done: set[str] = set()

    def visit(name: str, trail: tuple[str, ...]) -> None:
        assert name not in trail, " -> ".join((*trail, name))
        if name in done:
            return
        for nxt in sorted(graph.get(name, ())):
            visit(nxt, (*trail, name))
        done.add(name)

    for name in sorted(graph):
        visit(name, ())


@pytest.mark.parametrize("path", CHECKED, ids=lambda p: p.name)
def test_no_private_names_are_imported_and_no_module_is_too_long(path: Path) -> None:
    private = [
        f"{module}.{name}"
        for module, name in _imports(path)
        if name.startswith("_") and module.split(".")[0] in ("archive", "index")
    ]
    assert private == []
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 700


def test_the_registry_lists_every_format_once_in_the_cli_order() -> None:
    assert formats.FORMAT_NAMES == (
        "text", "markdown", "html", "json", "jsonl", "csv", "bookmarks"
    )  # fmt: skip
    assert sorted(formats.SNIFF_ORDER, key=formats.FORMATS.index) == list(formats.FORMATS)
    assert formats.EXTENSIONS == {
        ".txt": "text",
        ".text": "text",
        ".md": "markdown",
        ".markdown": "markdown",
        ".mdown": "markdown",
        ".mkd": "markdown",
        ".html": "html",
        ".htm": "html",
        ".xhtml": "html",
        ".json": "json",
        ".jsonl": "jsonl",
        ".ndjson": "jsonl",
        ".csv": "csv",
    }
    # Streamed formats are the ones that hold many articles.
    assert [f.name for f in formats.FORMATS if f.stream is not None] == ["json", "jsonl"]
    assert [f.name for f in formats.FORMATS if f.holds_many] == [
        "json", "jsonl", "csv", "bookmarks"
    ]  # fmt: skip
