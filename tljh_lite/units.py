"""The systemd units of the hub and the proxy, rendered from paths and config.

Pure functions: the text of each unit. `tljh_lite.services` writes them (only
when they change) and restarts what needs it. Man pages for every setting:
systemd.service(5), systemd.exec(5), systemd.unit(5).
"""

from __future__ import annotations

import shlex
from typing import Any, Mapping

from .paths import Paths
from .ports import HUB_URL, PROXY_API_PORT

HUB_UNIT = "jupyterhub.service"
PROXY_UNIT = "configurable-http-proxy.service"
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def proxy_env_file(paths: Paths):
    """Root-only file holding CONFIGPROXY_AUTH_TOKEN for both services (never a command line)."""
    return paths.state_dir / "proxy.env"


def hub_unit(paths: Paths, jupyterhub_config: str) -> str:
    hub_bin = paths.hub_venv / "bin"
    return f"""\
# Written by tljh-lite; re-running the installer rewrites it.
[Unit]
Description=JupyterHub (tljh-lite)
After=network-online.target {PROXY_UNIT}
# Requires=: restarting the proxy (which forgets its routes) restarts the hub,
# and the hub puts every route back as it starts (systemd.unit(5), Requires=).
Requires={PROXY_UNIT}

[Service]
User=root
# The hub creates unix accounts and starts students' servers through systemd.
WorkingDirectory={paths.state_dir}
EnvironmentFile={proxy_env_file(paths)}
Environment=TLJH_INSTALL_PREFIX={paths.prefix}
Environment=PATH={hub_bin}:{SYSTEM_PATH}
ExecStart={hub_bin}/python3 -m jupyterhub --config={jupyterhub_config} --upgrade-db
Restart=always
RestartSec=2s
# Students' servers are transient units of their own, outside this unit's
# cgroup, so stopping or restarting the hub never stops them.

[Install]
WantedBy=multi-user.target
"""


def proxy_unit(paths: Paths, binary: str, settings: Mapping[str, Any]) -> str:
    args = [binary]
    if settings["ip"]:  # empty: every address
        args.append(f"--ip={settings['ip']}")
    args += [
        f"--port={settings['port']}",
        "--api-ip=127.0.0.1",
        f"--api-port={PROXY_API_PORT}",
        # Until the hub has added its routes, everything goes to the hub.
        f"--default-target={HUB_URL}",
        f"--error-target={HUB_URL}/hub/error",
    ]
    for option in ("ssl_key", "ssl_cert", "redirect_port"):
        if option in settings:
            args.append(f"--{option.replace('_', '-')}={settings[option]}")
    return f"""\
# Written by tljh-lite; re-running the installer or `tljh-config reload proxy` rewrites it.
[Unit]
Description=configurable-http-proxy for JupyterHub (tljh-lite)
After=network-online.target

[Service]
# No account of its own to manage: systemd makes a throwaway user for it
# (systemd.exec(5), DynamicUser=), allowed only to bind low ports.
DynamicUser=yes
AmbientCapabilities=CAP_NET_BIND_SERVICE
CapabilityBoundingSet=CAP_NET_BIND_SERVICE
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
EnvironmentFile={proxy_env_file(paths)}
Environment=NODE_PATH=/usr/share/nodejs:/usr/lib/nodejs
ExecStart={shlex.join(args)}
Restart=always
RestartSec=2s

[Install]
WantedBy=multi-user.target
"""
