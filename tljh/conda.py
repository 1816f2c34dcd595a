"""TLJH's `tljh.conda` cannot work here: tljh-lite has no conda. Importing it
is one clear error (the plugin loader adds the plugin's name)."""

import sys

from tljh_lite.plugins import NoCondaError


def _importer():
    """The module that imported us, to name it when a hook imports tljh.conda late."""
    frame = sys._getframe(1)
    while frame is not None:
        name = frame.f_globals.get("__name__", "")
        if not (name.startswith("importlib") or name.startswith("_frozen") or name == __name__):
            return name
        frame = frame.f_back
    return "?"


raise NoCondaError(f"module {_importer()} imports tljh.conda, which tljh-lite does not have", NoCondaError.HINT)
