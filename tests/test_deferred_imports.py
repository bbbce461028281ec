"""The two Whoosh imports deferred at start-up (index/internals/deferred.py) work when used."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHECK = r"""
import importlib.util, json, sys
import index  # installs the deferral before Whoosh is imported
from whoosh import query
import whoosh.compat
morph = sys.modules["whoosh.lang.morph_en"]
before = {"urllib.request": "urllib.request" in sys.modules,
          "built": "rules" in vars(morph) or vars(morph).get("_real") is not None}
src, dst = sys.argv[1], sys.argv[2]
whoosh.compat.urlretrieve("file://" + src, dst)
words = sorted(morph.variations("render"))
print(json.dumps({"before": before, "words": words, "rules": len(morph.rules),
                  "after": "urllib.request" in sys.modules}))
"""


def test_deferred_names_load_the_real_modules_on_first_use(tmp_path: Path) -> None:
    src = tmp_path / "a.txt"
    src.write_text("copied through urlretrieve\n", encoding="utf-8")
    dst = tmp_path / "b.txt"
    proc = subprocess.run(
        [sys.executable, "-c", CHECK, str(src), str(dst)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    import json

    out = json.loads(proc.stdout)
    # Nothing was paid for at import...
    assert out["before"] == {"urllib.request": False, "built": False}
    # ...and both names work: urlretrieve copied the file, variations match the real module's.
    assert dst.read_text(encoding="utf-8") == "copied through urlretrieve\n"
    assert out["after"] is True
    spec = importlib.util.find_spec("whoosh.lang")
    assert spec is not None and spec.submodule_search_locations
    path = Path(next(iter(spec.submodule_search_locations))) / "morph_en.py"
    real_spec = importlib.util.spec_from_file_location("_real_morph_en", path)
    assert real_spec is not None and real_spec.loader is not None
    real = importlib.util.module_from_spec(real_spec)
    real_spec.loader.exec_module(real)
    assert out["words"] == sorted(real.variations("render"))
    assert "rendered" in out["words"] and "rendering" in out["words"]
    assert out["rules"] == len(real.rules)


def test_a_variations_query_matches_inflected_forms(tmp_path: Path) -> None:
    """Whoosh's Variations query (the one user of morph_en) runs through the deferred module."""
    from whoosh import fields, query
    from whoosh.filedb.filestore import FileStorage

    import index  # noqa: F401  (the deferral is installed by the package)

    ix = FileStorage(str(tmp_path)).create_index(
        fields.Schema(id=fields.ID(stored=True), body=fields.TEXT())
    )
    with ix.writer() as w:
        w.add_document(id="1", body="they rendered the scene")
        w.add_document(id="2", body="nothing of the kind")
    with ix.searcher() as s:
        found = [hit["id"] for hit in s.search(query.Variations("body", "render"))]
    assert found == ["1"]
