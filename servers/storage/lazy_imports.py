"""Defers the part of LanceDB's dependencies the servers never run: the Lance REST namespace client.

`import lancedb` imports `lance_namespace`, which imports ~100 request and response models from
`lance_namespace_urllib3_client.models`, the generated client of the Lance REST namespace protocol.
Importing that submodule first executes the package's `__init__.py`, which imports the whole REST client:
every API class, each method wrapped by pydantic's `validate_call`. That is over a second of CPU, most of
a server's cold start, for code that only talks to a REST namespace server. The servers never do: they
open local directories and object storage with `lancedb.connect_async` (servers/storage/database.py).
The models are still imported (lancedb defines its own classes with them); only the package's
`__init__.py` (the API classes, `ApiClient`, `Configuration`, the names it re-exports) waits.

`importlib.util.LazyLoader` cannot defer it: a lazy module loads on its first attribute access, and
importing any submodule reads the package's `__path__` at once. So `install()` puts a finder in front of
`sys.meta_path` for exactly the packages of DEFERRED_PACKAGES. It returns the spec the path finder
gives, with a loader that creates the module as usual (`__path__`, `__file__`, `__spec__`: submodules
import normally, each running only its own code) and leaves `__init__.py` to run at the first lookup of a
name the module lacks, through a module `__getattr__` (PEP 562). So `from lance_namespace_urllib3_client
import ApiClient` (or any other name of the package) runs `__init__.py` first and gets exactly what it
would have got; the hook then removes itself. A package imported before `install()` is left as it is.

`glm3.servers` calls `install()` when it is imported, before any server module imports lancedb
(servers/ops/learning.py imports `lancedb.index` before anything of glm3.servers.storage).
tests/integration/test_cold_start_imports.py checks that serving both servers never runs the deferred
`__init__.py`, and that using the package still does.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
import threading
from collections.abc import Sequence
from types import ModuleType
from typing import Any

__all__ = ["DEFERRED_PACKAGES", "install", "waiting"]

# Packages whose `__init__.py` runs only when one of its own names is looked up. Only packages whose
# submodules do not need the `__init__` having run may be listed.
DEFERRED_PACKAGES = frozenset({"lance_namespace_urllib3_client"})

# Packages imported with their __init__.py still to run.
_waiting: set[str] = set()


class _DeferredInitLoader(importlib.abc.Loader):
    """Wraps a package's loader: `exec_module` arms a module `__getattr__` that runs the real one."""

    def __init__(self, loader: importlib.abc.Loader) -> None:
        self.loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        name = module.__name__
        lock = threading.RLock()

        def __getattr__(attr: str) -> Any:  # noqa: N807 (PEP 562 module hook)
            # Called only for names the module lacks, never for __path__, __spec__ or imported submodules.
            # Another thread asking meanwhile waits for the __init__.py to finish; the importing thread
            # itself sees its module as partly initialised, as with any import.
            with lock:
                if name in _waiting:
                    _waiting.discard(name)
                    try:
                        self.loader.exec_module(module)  # the package's __init__.py, once
                    finally:
                        del module.__dict__["__getattr__"]
            try:
                return module.__dict__[attr]
            except KeyError:
                raise AttributeError(f"module {name!r} has no attribute {attr!r}") from None

        module.__dict__["__getattr__"] = __getattr__
        _waiting.add(name)


class _DeferredInitFinder(importlib.abc.MetaPathFinder):
    """Finds the packages of DEFERRED_PACKAGES where the import system would and defers their `__init__`."""

    @classmethod
    def find_spec(
        cls, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in DEFERRED_PACKAGES:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None or spec.submodule_search_locations is None:
            return spec  # not installed, or not a plain package: import it as usual
        spec.loader = _DeferredInitLoader(spec.loader)
        return spec


def install() -> None:
    """Defers the `__init__.py` of DEFERRED_PACKAGES imported from now on. Idempotent."""
    if _DeferredInitFinder not in sys.meta_path:
        sys.meta_path.insert(0, _DeferredInitFinder)


def waiting(name: str) -> bool:
    """Whether the package `name` was imported with its `__init__.py` deferred and that has not run yet."""
    return name in _waiting
