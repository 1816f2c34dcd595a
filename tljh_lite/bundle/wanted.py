"""What an install asks for, asked as the installer asks it: the hooks of tljh-lite and of the plugins.

`bundle create` runs this module (`python -m tljh_lite.bundle.wanted`) in a
throwaway environment of the bundle-making machine that holds the tljh-lite
being bundled and the plugins, and reads its JSON: the bundle must hold what
*that* version and *those* plugins ask for, not what the maker runs.
"""

from __future__ import annotations

import json

import pluggy

from ..https.acme import CERTBOT_PACKAGE
from ..plugins import collect, plugin_manager
from ..zram.setup import PACKAGE as ZRAM_PACKAGE

# Besides what the installer asks apt for: bootstrap's python3-venv (installer/bootstrap.py
# VENV_PACKAGE), and certbot, which an install from a bundle puts in at once: a machine with
# no network cannot fetch it the day HTTPS is turned on; and the zram generator, which the
# installer adds when zram.enabled and the machine allows it (tljh_lite/installer/main.py).
ALSO_APT_PACKAGES = ["python3-venv", CERTBOT_PACKAGE, ZRAM_PACKAGE]


def wanted(pm: pluggy.PluginManager) -> dict[str, list[str]]:
    return {
        "apt": list(dict.fromkeys(collect(pm, "tljh_extra_apt_packages") + ALSO_APT_PACKAGES)),
        "hub_pip": collect(pm, "tljh_extra_hub_pip_packages"),
        "user_pip": collect(pm, "tljh_extra_user_pip_packages"),
    }


if __name__ == "__main__":
    print(json.dumps(wanted(plugin_manager())))
