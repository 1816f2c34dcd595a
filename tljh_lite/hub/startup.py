"""What jupyterhub_config.py does: config.yaml's settings plus the fixed ones.

The fixed settings wire the hub to the proxy's unit, the state directory and
the shared user environment. The settings from config.yaml (`settings`) come
next, and jupyterhub_config.d/*.py last, so an escape-hatch file wins.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from ..config.checker import config_checker
from ..config.file import ConfigFile
from ..culler.units import culler_token_file
from .access import exact_groups, unix_groups, with_plugin_access
from .settings import apply, hub_settings
from ..paths import Paths
from ..ports import HUB_URL, PROXY_API_URL
from ..proxysync import token_file
from ..runner import Runner
from ..usage.units import usage_page_token_file
from ..users.admission import block_dropped_users
from ..users.hubgroups import remove_stale_members
from ..users.roles import apply_role_changes

log = logging.getLogger("tljh_lite")


def fixed_settings(paths: Paths) -> dict[str, dict[str, Any]]:
    user_bin = paths.user_venv / "bin"
    return {
        "JupyterHub": {
            "hub_bind_url": HUB_URL,
            "cookie_secret_file": str(paths.state_dir / "jupyterhub_cookie_secret"),
            "db_url": f"sqlite:///{paths.hub_db}",
            "spawner_class": "tljh_lite.hub.spawner.UserCreatingSpawner",
            # Students' servers outlive a hub restart (they are systemd units of their own).
            "cleanup_servers": False,
            "cleanup_proxy": False,
            # Routes lost by a proxy restart come back at once (the proxy's unit
            # asks, see tljh_lite.proxysync), and within a minute in any case.
            "last_activity_interval": 60,
        },
        # The proxy is its own unit; the token comes from CONFIGPROXY_AUTH_TOKEN.
        # Its extra routes (ACME challenges, the usage page) come with config.yaml's settings.
        "ConfigurableHTTPProxy": {"should_start": False, "api_url": PROXY_API_URL},
        "FirstUseAuthenticator": {"dbm_path": str(paths.state_dir / "passwords.dbm")},
        # The LTI tool's own key (auth.lti.toolkey), root only like the rest of the state.
        "LTI13Authenticator": {"tool_key_file": str(paths.lti_tool_key)},
        "SystemdSpawner": {
            "unit_name_template": "{USERNAME}",
            "username_template": "{USERNAME}",
            "default_shell": "/bin/bash",
            "extra_paths": [str(user_bin)],
            # Students get their own /tmp and no access to devices.
            "isolate_tmp": True,
            "isolate_devices": True,
        },
        "Spawner": {
            "cmd": [str(user_bin / "jupyterhub-singleuser")],
            # A class logging in at once on a small machine: every server needs
            # a few CPU-seconds to start, so the last of 50 on 2 cores may take
            # minutes. Wait for it instead of showing the student an error page
            # (JupyterHub's defaults are 60 s to start and 30 s to answer).
            "start_timeout": 600,
            "http_timeout": 600,
        },
        "UserCreatingSpawner": {"new_user_hooks_dir": str(paths.state_dir / "new-user-hooks"),
                                "install_prefix": str(paths.prefix)},
    }



def configure(c: Any, paths: Paths) -> None:
    """Fixed settings, then config.yaml's with plugins' services, roles and groups,
    then plugins' tljh_custom_jupyterhub_config."""
    from ..plugins import installed_plugins, per_plugin

    pm = installed_plugins()
    checker = config_checker(pm, paths)
    apply(c, fixed_settings(paths))
    config = ConfigFile(paths.config_file).load()
    checker.check(config)
    merged = checker.merged(config)
    access = per_plugin(pm, "tljh_lite_hub_access", config=merged)
    apply(c, with_plugin_access(hub_settings(merged, proxy_sync_token=_secret(token_file(paths)),
                                             usage_page_token=_secret(usage_page_token_file(paths)),
                                             culler_token=_secret(culler_token_file(paths))), access))
    block_dropped_users(c, merged, paths.hub_db)
    plugin_groups = {name: {"users": members} for name, members in exact_groups(access).items()}
    remove_stale_members({"groups": {**merged["groups"], **plugin_groups}}, paths.hub_db)
    try:
        apply_role_changes(merged, paths.hub_db, Runner(), say=lambda text: log.warning("%s", text))
    except Exception:  # never keep the hub from starting; the admin role above still applies
        log.exception("could not apply the changes of who is an admin")
    pm.hook.tljh_custom_jupyterhub_config(c=c)


def _secret(path: Path) -> str | None:
    return path.read_text().strip() if path.exists() else None


def extra_config_files(paths: Paths) -> list[Path]:
    return sorted(paths.config_d.glob("*.py"))


def unix_groups_now(paths: Paths) -> dict[str, list[str]]:
    """The unix groups config.yaml (and plugins) give users' accounts, read now: the spawner asks at each
    server start, so an edit of config.yaml (a student put into a course) needs no hub restart."""
    from ..plugins import installed_plugins, per_plugin

    pm = installed_plugins()
    checker = config_checker(pm, paths)
    config = ConfigFile(paths.config_file).load()
    checker.check(config)
    merged = checker.merged(config)
    return unix_groups(merged, per_plugin(pm, "tljh_lite_hub_access", config=merged))
