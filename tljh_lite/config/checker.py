"""The one way to get a Checker for config.yaml: built-in keys plus installed plugins'."""

from __future__ import annotations

from .defaults import DEFAULTS
from .rules import BUILT_IN_RULES
from .schema import build_schema
from .validate import Checker


def config_checker(pm=None) -> Checker:
    """Schema, rules and defaults, with the sections and defaults of installed plugins.

    `pm` is a loaded plugin manager; without one, plugins are loaded here.
    """
    from ..plugins import config_defaults, plugin_manager, schema_sections

    pm = pm or plugin_manager()
    return Checker(build_schema(schema_sections(pm)), BUILT_IN_RULES, {**DEFAULTS, **config_defaults(pm)})


def load_config(paths=None) -> dict:
    """config.yaml in effect, checked: defaults (plugins' included) overlaid with the file.

    For plugins: `from tljh_lite.config.checker import load_config`. Raises
    ConfigError if the file is invalid, so a hand-edited bad value never
    reaches a plugin unchecked.
    """
    from ..paths import Paths
    from ..plugins import installed_plugins
    from .file import ConfigFile

    paths = paths or Paths.from_environ()
    checker = config_checker(installed_plugins())
    config = ConfigFile(paths.config_file).load()
    checker.check(config)
    return checker.merged(config)
