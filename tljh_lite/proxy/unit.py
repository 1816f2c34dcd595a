"""The proxy's systemd unit: its text, and the key files it reads (a change restarts it).

Man pages for every setting: systemd.service(5), systemd.exec(5).
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any, Mapping

from ..https.prepare import prepare_tls
from ..paths import Paths
from ..ports import HUB_URL, PROXY_API_PORT
from ..systemd import LISTENER_SANDBOX, Unit
from .settings import find_proxy_binary, proxy_settings

PROXY_UNIT = "configurable-http-proxy.service"
TLS_KEY_CREDENTIAL = "tls-key"
TLS_CERT_CREDENTIAL = "tls-cert"


def proxy_unit(paths: Paths, binary: str, settings: Mapping[str, Any], base_url: str = "/") -> str:
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
    credentials = ""
    if "tls_key" in settings:
        # The key stays root-only where it is: systemd copies it into this unit's
        # private credentials directory (%d) at each start, readable by the
        # throwaway user alone (systemd.exec(5), LoadCredential=). A renewed
        # certificate is read at the next restart.
        credentials = (
            f"LoadCredential={TLS_KEY_CREDENTIAL}:{settings['tls_key']}\n"
            f"LoadCredential={TLS_CERT_CREDENTIAL}:{settings['tls_cert']}\n"
        )
        args += [f"--ssl-key=%d/{TLS_KEY_CREDENTIAL}", f"--ssl-cert=%d/{TLS_CERT_CREDENTIAL}"]
    resync = [str(paths.hub_venv / "bin" / "python3"), "-m", "tljh_lite.proxysync", f"--base-url={base_url}"]
    return f"""\
# Written by tljh-lite; re-running the installer or `tljh-config reload proxy` rewrites it.
[Unit]
Description=configurable-http-proxy for JupyterHub (tljh-lite)
After=network-online.target

[Service]
{LISTENER_SANDBOX}EnvironmentFile={paths.proxy_env}
Environment=TLJH_INSTALL_PREFIX={paths.prefix}
Environment=NODE_PATH=/usr/share/nodejs:/usr/lib/nodejs
{credentials}ExecStart={shlex.join(args)}
# A started proxy has no routes: ask the hub, if it runs, to add them at once
# ('+': as root, to read the hub token; '-': a stopped hub is no failure,
# it adds every route when it starts) (systemd.service(5), ExecStartPost=).
ExecStartPost=+-{shlex.join(resync)}
Restart=always
RestartSec=2s

[Install]
WantedBy=multi-user.target
"""


def credential_sources(unit_text: str) -> list[Path]:
    """The files a unit's LoadCredential= lines read: a renewed certificate is read only at a start."""
    return [Path(line.split(":", 1)[1]) for line in unit_text.splitlines() if line.startswith("LoadCredential=")]


def _render(paths: Paths, config: Mapping[str, Any]) -> str:
    return proxy_unit(paths, find_proxy_binary(), proxy_settings(config), config["base_url"])


PROXY = Unit(
    PROXY_UNIT, "configurable-http-proxy: the students' way in, http or https", _render,
    proxy_side=True,
    reads=lambda paths, text: credential_sources(text),
    # The key and certificate it will serve, checked (or obtained) before it starts with them.
    prepare=prepare_tls,
)
