"""Defer two costly imports Whoosh 2.7.4 makes at start-up and the archive never needs.

``archive search`` is a short-lived process, so the imports it pays matter
(bench/README.md, "Why the figures are what they are"):

* ``whoosh.compat`` runs ``from urllib.request import urlretrieve`` (which
  pulls in ``http.client``, ``email``, ``ssl``...: about 28 ms) for a name no
  part of Whoosh calls;
* ``whoosh.query.terms`` runs ``from whoosh.lang.morph_en import variations``,
  a module that compiles a large table of English inflection rules at import
  (about 36 ms), used only by the ``Variations`` query, which the archive
  does not build.

:func:`install` (called by ``index/__init__.py`` before anything imports Whoosh)
puts a finder on ``sys.meta_path`` that loads these two modules so that each
deferred name becomes a small function importing the real thing on its first
call. Nothing else changes: Whoosh's own modules are loaded by Python's own
loader from their own files, and calling either name works as before.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
import types
from collections.abc import Sequence
from typing import Any

_COMPAT = "whoosh.compat"
_MORPH = "whoosh.lang.morph_en"


def _urlretrieve(*args: Any, **kwargs: Any) -> Any:
    from urllib.request import urlretrieve

    return urlretrieve(*args, **kwargs)


class _LazyMorph(types.ModuleType):
    """``whoosh.lang.morph_en`` whose rule table is built on first use."""

    def real(self) -> types.ModuleType:
        """The real module, run from its own file on first use."""
        loaded = self.__dict__.get("_real")
        if loaded is None:
            spec = self.__dict__["_spec"]
            loaded = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(loaded)
            self.__dict__["_real"] = loaded
        return loaded

    def variations(self, word: str) -> Any:
        return self.real().variations(word)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("_real", "_spec"):
            raise AttributeError(name)
        return getattr(self.real(), name)


class _MorphLoader:
    def __init__(self, real: importlib.machinery.ModuleSpec) -> None:
        self.real = real

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module = _LazyMorph(spec.name)
        module.__dict__["_spec"] = self.real
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        return None


class _CompatLoader:
    """Runs the real ``whoosh.compat`` with ``urllib.request`` standing in as a stub."""

    def __init__(self, real: Any) -> None:
        self.real = real

    def __getattr__(self, name: str) -> Any:  # get_source etc., for tracebacks
        return getattr(self.real, name)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType | None:
        module: types.ModuleType | None = self.real.create_module(spec)
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        if "urllib.request" in sys.modules:  # already paid for: nothing to save
            self.real.exec_module(module)
            return
        import urllib

        stub = types.ModuleType("urllib.request")
        stub.urlretrieve = _urlretrieve  # type: ignore[attr-defined]
        sys.modules["urllib.request"] = stub
        try:
            self.real.exec_module(module)
        finally:
            if sys.modules.get("urllib.request") is stub:
                del sys.modules["urllib.request"]
            if getattr(urllib, "request", None) is stub:
                del urllib.request


# Plain classes, not importlib.abc's (which imports importlib.resources): the import
# system only calls these methods.
class _Finder:
    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: types.ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in (_COMPAT, _MORPH):
            return None
        real = importlib.machinery.PathFinder.find_spec(fullname, path)
        if real is None or real.loader is None:
            return None
        if fullname == _MORPH:
            # Duck-typed loaders: importlib.abc's base classes would import importlib.resources.
            return importlib.machinery.ModuleSpec(fullname, _MorphLoader(real))  # type: ignore[arg-type]
        real.loader = _CompatLoader(real.loader)  # type: ignore[assignment]
        return real


_FINDER = _Finder()


def install() -> None:
    """Defer the two imports from now on (does nothing if Whoosh is already imported)."""
    if _COMPAT in sys.modules or any(f is _FINDER for f in sys.meta_path):
        return
    sys.meta_path.insert(0, _FINDER)
