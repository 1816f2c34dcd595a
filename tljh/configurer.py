"""TLJH's `tljh.configurer.load_config`: config.yaml in effect, defaults included."""

from pathlib import Path

from tljh_lite.config.checker import load_config as _load_config
from tljh_lite.paths import Paths

from .config import CONFIG_FILE, INSTALL_PREFIX  # noqa: F401 (plugins import CONFIG_FILE from here too)


def load_config(config_file=CONFIG_FILE):
    """A dict of every setting: defaults (plugins' too) overlaid with the file.

    Unlike TLJH, the file is checked first: an invalid one raises ConfigError
    (one line naming the key), never reaches the plugin unchecked.
    """
    return _load_config(Paths(Path(INSTALL_PREFIX)), config_file=Path(config_file))
