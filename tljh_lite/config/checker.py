"""The one way to get a Checker for config.yaml: built-in keys plus installed plugins'."""

from __future__ import annotations

from .defaults import DEFAULTS
from .rules import BUILT_IN_RULES
from .owned import owned_by, read_owned
from .schema import build_schema, with_owned_keys
from .validate import Checker


def config_checker(pm=None, paths=None) -> Checker:
    """Schema, rules and defaults, with the sections and defaults of installed plugins.

    `pm` is a loaded plugin manager; without one, plugins are loaded here.
    With `paths`, the keys installed plugins without a schema wrote at install
    (config/owned.py) are accepted unchecked.
    """
    from ..plugins import config_defaults, plugin_manager, schema_sections

    pm = pm or plugin_manager()
    schema = build_schema(schema_sections(pm))
    if paths is not None:
        owned = owned_by(read_owned(paths), (name for name, _ in pm.list_name_plugin()))
        schema = with_owned_keys(schema, owned)
    return Checker(schema, BUILT_IN_RULES, {**DEFAULTS, **config_defaults(pm)})


def load_config(paths=None, config_file=None) -> dict:
    """config.yaml in effect, checked: defaults (plugins' included) overlaid with the file.

    For plugins: `from tljh_lite.config.checker import load_config`. Raises
    ConfigError if the file is invalid, so a hand-edited bad value never
    reaches a plugin unchecked. `config_file` reads another file than
    paths.config_file (TLJH's load_config takes one).
    """
    from ..paths import Paths
    from ..plugins import installed_plugins
    from .file import ConfigFile

    paths = paths or Paths.from_environ()
    checker = config_checker(installed_plugins(), paths)
    config = ConfigFile(config_file or paths.config_file).load()
    checker.check(config)
    return checker.merged(config)
