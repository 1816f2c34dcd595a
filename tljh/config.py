"""TLJH's `tljh.config` path constants, from tljh-lite's Paths.

Read once, at import, from TLJH_INSTALL_PREFIX (default /opt/tljh), as TLJH
does. tljh-lite's own code passes a Paths value instead.
"""

from tljh_lite.paths import Paths

_paths = Paths.from_environ()

INSTALL_PREFIX = str(_paths.prefix)
HUB_ENV_PREFIX = str(_paths.hub_venv)
USER_ENV_PREFIX = str(_paths.user_venv)
STATE_DIR = str(_paths.state_dir)
CONFIG_DIR = str(_paths.config_dir)
CONFIG_FILE = str(_paths.config_file)
