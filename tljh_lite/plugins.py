"""Finding and loading plugins, once and on purpose (never at import time).

Built-in behaviour is a plugin too (`tljh_lite.builtin`), so our own packages
and a course's go through the same hooks. A plugin that cannot be imported,
or that implements a hook that does not exist (a typo), is an error naming
the plugin. `TLJH_LITE_PLUGINS=name,name` loads only those plugins (for
debugging a broken one).
"""

from __future__ import annotations

import functools
import importlib.metadata
import os
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import pluggy

from . import builtin, hooks
from .errors import TljhError

ENTRY_POINT_GROUP = "tljh"  # TLJH's group: its plugins register here
ONLY_ENV_VAR = "TLJH_LITE_PLUGINS"
BUILTIN_NAME = "tljh-lite (built in)"


class PluginError(TljhError):
    pass


class NoCondaError(TljhError, ImportError):
    """Raised by `import tljh.conda`: TLJH's conda helpers cannot work here (there is no conda)."""

    HINT = "tljh-lite has no conda: ask for the plugin's packages with tljh_extra_user_pip_packages instead"


@dataclass
class PluginInfo:
    name: str  # the entry point's name
    distribution: str
    version: str
    hooks: list[str] = field(default_factory=list)


def plugin_manager(entry_points: Iterable[Any] | None = None, only: str | None = None) -> pluggy.PluginManager:
    """A plugin manager with the built-in plugin and every installed plugin registered."""
    pm = pluggy.PluginManager(hooks.PROJECT)
    pm.add_hookspecs(hooks)
    pm.register(builtin, name=BUILTIN_NAME)
    if entry_points is None:
        entry_points = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
        only = os.environ.get(ONLY_ENV_VAR) if only is None else only
    wanted = {n.strip() for n in only.split(",") if n.strip()} if only else None
    for entry_point in entry_points:
        if wanted is not None and entry_point.name not in wanted:
            continue
        _register(pm, entry_point)
    return pm


@functools.cache
def installed_plugins() -> pluggy.PluginManager:
    """The plugins of this environment, loaded on first use (for the hub process)."""
    return plugin_manager()


def per_plugin(pm: pluggy.PluginManager, hook_name: str, on_error: Callable[[str, Exception], Any] | None = None,
               **kwargs: Any) -> list[tuple[str, Any]]:
    """Call a hook's implementations one by one, built-in first: [(plugin name, result)].

    `on_error(plugin name, exception)`: called when an implementation raises, instead of
    stopping there (it may raise itself); its result stands for the plugin's.
    """
    results = []
    for impl in getattr(pm.hook, hook_name).get_hookimpls():  # registration order
        try:
            results.append((impl.plugin_name, impl.function(**kwargs)))
        except Exception as e:
            if on_error is None:
                raise
            results.append((impl.plugin_name, on_error(impl.plugin_name, e)))
    return results


def _register(pm: pluggy.PluginManager, entry_point: Any) -> None:
    label = _label(entry_point)
    try:
        plugin = entry_point.load()
    except NoCondaError as e:
        raise PluginError(
            f"plugin {label} imports tljh.conda, which tljh-lite does not have",
            f"{NoCondaError.HINT}, or uninstall it: sudo /opt/tljh/hub/bin/pip uninstall {_distribution(entry_point)}",
        ) from e
    except Exception as e:
        raise PluginError(
            f"plugin {label} could not be imported: {type(e).__name__}: {e}",
            "fix or uninstall it: sudo /opt/tljh/hub/bin/pip uninstall " + _distribution(entry_point),
        ) from e
    if pm.is_registered(plugin):
        return
    pm.register(plugin, name=entry_point.name)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as e:
        pm.unregister(plugin)
        raise PluginError(
            f"plugin {label} implements a hook that does not exist: {e}",
            "check the hook's spelling against the list in README.md",
        ) from e


def _distribution(entry_point: Any) -> str:
    dist = getattr(entry_point, "dist", None)
    return dist.metadata["Name"] if dist is not None else entry_point.name


def _label(entry_point: Any) -> str:
    dist = getattr(entry_point, "dist", None)
    return f"'{entry_point.name}' ({dist.metadata['Name']} {dist.version})" if dist else f"'{entry_point.name}'"


def describe(pm: pluggy.PluginManager) -> list[PluginInfo]:
    """The registered plugins (built-in first), with their versions and hooks."""
    dists = {name: dist for name, dist in _entry_point_dists()}
    infos = []
    for name, plugin in pm.list_name_plugin():
        implemented = sorted(caller.name for caller in pm.get_hookcallers(plugin) or [])
        if name == BUILTIN_NAME:
            from . import __version__

            infos.append(PluginInfo(name, "tljh-lite", __version__, implemented))
            continue
        dist = dists.get(name)
        infos.append(
            PluginInfo(name, dist.metadata["Name"] if dist else "?", dist.version if dist else "?", implemented)
        )
    return infos


def _entry_point_dists():
    for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        yield entry_point.name, getattr(entry_point, "dist", None)


def collect(pm: pluggy.PluginManager, hook_name: str) -> list[Any]:
    """One list from every plugin's list, built-in first then in install order, without duplicates."""
    out: list[Any] = []
    for _plugin, result in per_plugin(pm, hook_name):
        for item in result or []:
            if item not in out:
                out.append(item)
    return out


def schema_sections(pm: pluggy.PluginManager) -> dict[str, dict]:
    sections: dict[str, dict] = {}
    for plugin_sections in pm.hook.tljh_lite_config_schema():
        for key, schema in (plugin_sections or {}).items():
            if key in sections:
                raise PluginError(f"two plugins define the config key '{key}'", "uninstall one of them")
            sections[key] = schema
    return sections


def config_defaults(pm: pluggy.PluginManager) -> dict[str, Any]:
    defaults: dict[str, Any] = {}
    for plugin_defaults in pm.hook.tljh_lite_config_defaults():
        defaults.update(plugin_defaults or {})
    return defaults


def reconcile(pm: pluggy.PluginManager, config: Any) -> list[str]:
    """Every plugin's `tljh_lite_reconcile(config)`, in install order; the plugins that ran it.

    A TljhError passes through as it is (its one line is the plugin's to word);
    anything else becomes a PluginError naming the plugin, not a traceback.
    """
    ran = []
    for impl in pm.hook.tljh_lite_reconcile.get_hookimpls():
        try:
            impl.function(config=config)
        except TljhError:
            raise
        except Exception as e:
            raise PluginError(f"plugin {impl.plugin_name} could not set up what config.yaml asks: "
                              f"{type(e).__name__}: {e}", "fix what it names, then run the command again") from e
        ran.append(impl.plugin_name)
    return ran
