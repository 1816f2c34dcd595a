"""The install steps that come from plugins, in the documented hook order."""

from __future__ import annotations

import copy
import importlib
from typing import Callable

import pluggy

from ..runner import CommandError, Runner
from ..config.tree import synced
from ..config.file import ConfigFile
from ..config.owned import WriteWatcher, read_owned, save_owned, written_keys
from ..config.checker import Checker, plain
from ..paths import Paths
from ..plugins import PluginError, installed_plugins, per_plugin
from .uv import pip_install_into


def install_plugins(runner: Runner, paths: Paths, specs: list[str]) -> None:
    """Install each --plugin SPEC into the hub environment; a failure names the plugin."""
    for spec in specs:
        try:
            pip_install_into(runner, paths, str(paths.hub_venv / "bin" / "python3"), [spec], hint="")
        except CommandError as e:
            raise PluginError(
                f"plugin {spec} could not be installed: {_last_line(e)}",
                "check the name or path given to --plugin; nothing else was changed",
            ) from e
    importlib.invalidate_caches()  # so their entry points are found in this process
    installed_plugins.cache_clear()  # and so plugins' own load_config() sees them (restore loaded plugins before)


def _last_line(error: CommandError) -> str:
    lines = [line.strip() for line in error.result.output.splitlines() if line.strip()]
    interesting = [line for line in lines if "error" in line.lower() or "not found" in line.lower()]
    return (interesting or lines or ["no output"])[-1]


def conda_warnings(pm: pluggy.PluginManager) -> list[str]:
    """TLJH plugins may ask for conda packages; there is no conda here, so say so, by name."""
    warnings = []
    for hook, what in (("tljh_extra_user_conda_packages", "conda package"), ("tljh_extra_user_conda_channels", "conda channel")):
        for plugin, items in per_plugin(pm, hook):
            for item in items or []:
                warnings.append(
                    f"warning: plugin {plugin} asks for the {what} {item!r}; tljh-lite has no conda, so it is not "
                    f"installed (a pip package of the same name may be added with tljh_extra_user_pip_packages)"
                )
    return warnings


def apply_config_hooks(pm: pluggy.PluginManager, paths: Paths, checker: Checker) -> bool:
    """Run tljh_config_post_install plugin by plugin; write config.yaml if it changed.

    New top-level keys written by a plugin that declares no schema are that
    plugin's own (TLJH keeps them too): recorded in config/owned.py's file
    and accepted unchecked. Any other change that makes the config invalid
    names the plugin, and nothing is written.
    """
    owned = read_owned(paths)

    def change(config):
        edited = WriteWatcher(plain(config))
        for impl in pm.hook.tljh_config_post_install.get_hookimpls():
            before = copy.deepcopy(dict(edited))
            edited.assigned.clear()
            impl.function(config=edited)
            if not _declares_schema(pm, impl.plugin):
                for key in written_keys(before, edited):
                    if key not in checker.schema["properties"]:
                        owned.setdefault(key, impl.plugin_name)
            introduced = _introduced(checker.accepting(owned), before, edited)
            if introduced:
                raise PluginError(
                    f"plugin {impl.plugin_name} made config.yaml invalid: {introduced[0].message}",
                    "report it to the plugin's authors; config.yaml was not changed",
                )
        return config if edited == plain(config) else synced(config, copy.deepcopy(dict(edited)))

    changed = ConfigFile(paths.config_file).update(change)
    save_owned(paths, owned)
    return changed


def _introduced(checker: Checker, before: dict, after: dict) -> list:
    """Problems `after` has that `before` had not (by key and message: hints may differ)."""
    old = {(p.key, p.message) for p in checker.schema_problems(before)}
    return [p for p in checker.schema_problems(after) if (p.key, p.message) not in old]


def _declares_schema(pm: pluggy.PluginManager, plugin: object) -> bool:
    return any(caller.name == "tljh_lite_config_schema" for caller in pm.get_hookcallers(plugin) or [])


def call_each(pm: pluggy.PluginManager, hook_name: str, say: Callable[[str], None]) -> None:
    for plugin, _ in per_plugin(pm, hook_name):
        say(f"    {hook_name}: {plugin} done")
