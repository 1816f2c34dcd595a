"""Written the way TLJH's docs and its own integration-test plugin write one:
a config key of its own (no schema), and TLJH's helper modules."""

import json

from tljh.config import INSTALL_PREFIX
from tljh.configurer import load_config
from tljh.hooks import hookimpl
from tljh.systemd import check_service_active


@hookimpl
def tljh_config_post_install(config):
    config["Test"] = {"tljh_config_set_by_simplest_plugin": True}


@hookimpl
def tljh_post_install():
    seen = {
        "Test": load_config()["Test"],
        "hub_active": check_service_active("jupyterhub"),
    }
    with open(f"{INSTALL_PREFIX}/simplest-plugin.json", "w") as f:
        json.dump(seen, f)
