"""The layout keeps its promises (docs/DESIGN.md, "The modules and what each owns").

Read from the source with ``ast``: which modules import which, who touches a
private name, and how long each module is.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("archive", "index", "web")
#: Longest a module may grow (sqlite-utils' 5,500-line db.py is the cautionary tale).
MAX_LINES = 700
#: Private-looking names that are public API (NamedTuple's and os's), or typeshed's
#: name for a type that has no public one (``hashlib._Hash``, in annotations only).
PUBLIC_UNDERSCORED = {"_asdict", "_replace", "_fields", "_exit", "_Hash"}


def _modules() -> dict[str, Path]:
    # every front-end module at the top (cli.py and its cli_*.py parts), found, not listed
    found = {path.stem: path for path in sorted(ROOT.glob("cli*.py"))}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


MODULES = _modules()


@cache
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text())


def _imports(path: Path) -> set[str]:
    """Every module *path* imports, at the top or inside a function."""
    out: set[str] = set()
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            submodules = {f"{node.module}.{a.name}" for a in node.names} & MODULES.keys()
            if len(submodules) < len(node.names):  # names from the module itself
                out.add(node.module)
            out.update(submodules)
    return out


def _internal_graph() -> dict[str, set[str]]:
    graph = {}
    for name, path in MODULES.items():
        targets = {t for t in _imports(path) if t in MODULES and t != name}
        # importing a package's submodule runs the package's __init__, which is no edge
        # of the importing module's making unless it names the package itself
        graph[name] = targets
    return graph


def test_the_modules_import_each_other_without_cycles() -> None:
    graph = _internal_graph()
    cycles = []

    def visit(node: str, path: list[str]) -> None:
        for nxt in sorted(graph[node]):
            if nxt in path:
                cycles.append(path[path.index(nxt) :] + [nxt])
            elif len(path) < 12:
                visit(nxt, [*path, nxt])

    for start in graph:
        visit(start, [start])
    assert len(graph) > 30
    assert not cycles, cycles[:5]


def test_dependencies_point_from_the_cli_to_archive_to_index() -> None:
    for name, path in MODULES.items():
        imports = _imports(path)
        if name.startswith("index"):
            bad = {
                i for i in imports if i.split(".")[0] in ("archive", "sqlalchemy", "click", "cli")
            }
            assert not bad, f"{name} imports {bad}"
        if name.startswith("archive"):
            bad = {i for i in imports if i.split(".")[0] in ("click", "cli", "web", "starlette")}
            assert not bad, f"{name} imports {bad}"
        if name.startswith("index"):
            assert not {i for i in imports if i.split(".")[0] == "web"}, name


def test_the_web_front_uses_only_the_librarys_public_names() -> None:
    """web/ is a front like cli.py: it may import archive and index, never a private
    module or name, never SQLAlchemy or Whoosh (it reads through the Reader), never Click."""
    for name, path in MODULES.items():
        if not name.startswith("web"):
            continue
        imports = _imports(path)
        bad = {
            i
            for i in imports
            if i.split(".")[0] in ("sqlalchemy", "whoosh", "click", "cli", "sqlite3")
            or any(part.startswith("_") and not part.startswith("__") for part in i.split("."))
        }
        assert not bad, f"{name} imports {bad}"


def test_migration_scripts_import_nothing_from_the_application() -> None:
    scripts = sorted((ROOT / "migrations" / "versions").glob("0*.py"))
    assert scripts
    for path in scripts:
        app = {i for i in _imports(path) if i.split(".")[0] in ("archive", "index", "cli")}
        assert not app, f"{path.name} imports {app}"


def test_no_module_uses_another_modules_private_names() -> None:
    """(index/internals may import Whoosh's: that is what it is for.)"""
    offences = []
    for name, path in MODULES.items():
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.ImportFrom) and node.module:
                if name.startswith("index.internals") and node.module.startswith("whoosh"):
                    continue
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        offences.append(f"{name}: from {node.module} import {alias.name}")
    assert not offences, offences


def test_only_index_internals_touches_whooshs_private_attributes() -> None:
    """Outside index/internals, no ``x._name`` but on ``self`` or ``cls``."""
    offences = []
    for name, path in MODULES.items():
        if name.startswith("index.internals"):
            continue
        for node in ast.walk(_tree(path)):
            if (
                isinstance(node, ast.Attribute)
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
                and node.attr not in PUBLIC_UNDERSCORED
                and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
            ):
                offences.append(f"{name}:{node.lineno} .{node.attr}")
    assert not offences, offences


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_grows_past_the_limit(name: str) -> None:
    lines = len(MODULES[name].read_text().splitlines())
    assert lines <= MAX_LINES, f"{name}: {lines} lines"


def _module_table() -> list[tuple[str, str]]:
    """docs/DESIGN.md's module table: (first cell, the rest) for each row."""
    text = (ROOT / "docs" / "DESIGN.md").read_text(encoding="utf-8")
    section = text.split("## The modules and what each owns", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = line.strip().strip("|").split("|", 1)
        if line.startswith("| `") and len(cells) == 2:
            rows.append((cells[0], cells[1]))
    return rows


def test_the_design_table_names_every_module() -> None:
    """Every module has a row in docs/DESIGN.md's table, or is named (by file or by
    name) in the row of its package (``archive/ingest/``, ``web/``, ``index/internals/``)."""
    rows = _module_table()
    assert len(rows) > 30
    named = {token for first, _ in rows for token in re.findall(r"`([^`]+)`", first)}
    missing = []
    for path in MODULES.values():
        relative = path.relative_to(ROOT).as_posix()
        if relative in named:
            continue
        package = f"{path.parent.relative_to(ROOT).as_posix()}/"
        if path.name == "__init__.py" and package in named:
            continue
        spellings = {f"`{path.stem}`", f"`{path.name}`", f"`{relative}`"}
        if any(
            package in re.findall(r"`([^`]+)`", first) and any(s in rest for s in spellings)
            for first, rest in rows
        ):
            continue
        missing.append(relative)
    assert not missing, f"docs/DESIGN.md's module table does not name {missing}"


def test_pyproject_names_each_dependency_once() -> None:
    """One line per package across the dependencies, the extras and the groups."""
    import tomllib

    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    lists = {
        "dependencies": data["project"]["dependencies"],
        **{f"extra {k}": v for k, v in data["project"]["optional-dependencies"].items()},
        **{f"group {k}": v for k, v in data["dependency-groups"].items()},
    }
    seen: dict[str, str] = {}
    twice = []
    for where, requirements in lists.items():
        for requirement in requirements:
            if not isinstance(requirement, str):  # {include-group = ...}
                continue
            name = re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0].lower().replace("_", "-")
            if name in seen:
                twice.append(f"{name} ({seen[name]} and {where})")
            seen[name] = where
    assert len(seen) > 20
    assert not twice, twice
