# The hub's config file: `jupyterhub --config=<this file>` (see tljh_lite/hub/unit.py).
# Settings come from /opt/tljh/config/config.yaml; files in
# /opt/tljh/config/jupyterhub_config.d/*.py are loaded last and win.
from tljh_lite.hub.startup import configure, extra_config_files
from tljh_lite.paths import Paths

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)
_paths = Paths.from_environ()
configure(c, _paths)
for _path in extra_config_files(_paths):
    load_subconfig(str(_path))  # noqa: F821
