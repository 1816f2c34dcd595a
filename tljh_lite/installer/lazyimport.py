"""Imports that wait until they are used.

The installer copies this file into the students' environment as the module
`_tljh_lite_lazy` (see `singleuser_trim.py`), for the few import lines it
changes in JupyterHub's single-user server. Standard library only: nothing
else of tljh-lite is installed there.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from types import ModuleType

MODULE_NAME = "_tljh_lite_lazy"


def lazy_module(name: str) -> ModuleType:
    """The module `name`, run at the first use of one of its attributes rather than now.

    Python's own LazyLoader: a module that is never used is never loaded. A
    module imported already is returned as it is.
    """
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module


def imported(module: str, name: str):
    """`module.name`, importing the module now (for an `except` clause, evaluated only
    when an exception reaches it)."""
    return getattr(importlib.import_module(module), name)


def if_loaded(module: str, name: str) -> tuple:
    """`(module.name,)` if the module has been imported, else `()`.

    For an isinstance check: nothing can be an instance of a class whose module
    was never imported, so the check needs no import.
    """
    loaded = sys.modules.get(module)
    return () if loaded is None else (getattr(loaded, name),)
