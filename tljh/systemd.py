"""TLJH's `tljh.systemd`: systemctl for plugins, over tljh-lite's systemd.py.

Each function raises subprocess.CalledProcessError when systemctl fails, as in
TLJH; `restart_service` waits for the unit and names the reason from its
journal if it does not start. The `check_*` functions answer True or False.
"""

import os
from pathlib import Path

from tljh_lite.files import atomic_write
from tljh_lite.systemd import Systemd

from ._runner import PluginRunner

UNIT_DIR = "/etc/systemd/system"


def _systemd():
    return Systemd(PluginRunner())


def _systemctl(*args):
    PluginRunner().run(["systemctl", *args])


def reload_daemon():
    _systemd().daemon_reload()


def install_unit(name, unit, path=UNIT_DIR):
    atomic_write(Path(path) / name, unit)


def uninstall_unit(name, path=UNIT_DIR):
    os.unlink(os.path.join(path, name))


def start_service(name):
    _systemctl("start", name)


def stop_service(name):
    _systemctl("stop", name)


def restart_service(name):
    _systemd().restart(name, wait=True)


def enable_service(name):
    _systemd().enable(name)


def disable_service(name):
    _systemctl("disable", name)


def check_service_active(name):
    return _systemd().is_active(name)


def check_service_enabled(name):
    return _systemd().is_enabled(name)
