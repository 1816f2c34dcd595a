"""TLJH's `tljh.utils`: `run_subprocess` and `get_plugin_manager`, over tljh-lite's seams."""

from tljh_lite.plugins import plugin_manager

from ._runner import PluginRunner


def run_subprocess(cmd, *, env=None, input=None):
    """Run `cmd` (a list); its output goes to the installer log. Raises
    subprocess.CalledProcessError if it fails, as in TLJH. Returns None."""
    PluginRunner().run(cmd, env=env, input=input)


def get_plugin_manager():
    """The installed plugins, loaded now (tljh-lite's own built-in plugin included)."""
    return plugin_manager()
