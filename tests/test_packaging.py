"""`pip install .` (not editable) gives a working `archive` command with its migrations."""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

import pytest

from tests.conftest import ROOT, SAMPLE


@pytest.mark.slow
def test_non_editable_install_works(tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    # No pip of its own (ensurepip costs seconds): this interpreter's pip installs into it.
    venv.create(env_dir, with_pip=False)
    bin_dir = env_dir / "bin"
    build = tmp_path / "src"
    # Copy the tracked sources so the install never sees the developer's .venv or caches.
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for name in files:
        src = ROOT / name
        if src.is_file():
            dest = build / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(src.read_bytes())
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", bin_dir / "python", "install", "--quiet", build],
        check=True,
        capture_output=True,
    )
    home = tmp_path / "home"
    work = tmp_path / "elsewhere"  # run away from the source tree
    work.mkdir()
    env = {"ARCHIVE_HOME": str(home), "PATH": f"{bin_dir}:/usr/bin:/bin"}
    ingest = subprocess.run(
        [bin_dir / "archive", "ingest", str(SAMPLE)],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
    )
    assert ingest.returncode == 0, ingest.stderr
    search = subprocess.run(
        [bin_dir / "archive", "search", "deploy", "--color", "never"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
    )
    assert search.returncode == 0, search.stderr
    assert "**deploy**" in search.stdout
    where = subprocess.run(
        [bin_dir / "python", "-c", "import migrations, archive; print(migrations.__file__)"],
        cwd=work,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "site-packages" in where
    # archive serve's templates and stylesheet are package data: the pages render
    pages = subprocess.run(
        [
            bin_dir / "python",
            "-c",
            "import sys, web; app = web.create_app(sys.argv[1]); w = app.state.web; "
            "print(web.__file__, len(w.css), "
            "'<bdi>x</bdi>' in w.env.get_template('error.html').render(message='x', notices=[]))",
            str(home),
        ],
        cwd=work,
        capture_output=True,
        text=True,
    )
    assert pages.returncode == 0, pages.stderr
    assert "site-packages" in pages.stdout and pages.stdout.split()[2] == "True"
