"""The systemd units of HTTPS: the port-80 responder, and the renewal timer and its service.

Declared here (`RESPONDER`, `RENEWAL`), listed in `tljh_lite.units.catalog`, written by
`tljh_lite.units.manager`. Man pages: systemd.exec(5), systemd.service(5),
systemd.timer(5).
"""

from __future__ import annotations

import shlex
from typing import Any, Mapping

from ..paths import Paths
from ..ports import ACME_CHALLENGE_PORT
from ..systemd import LISTENER_SANDBOX, Unit

RESPONDER_UNIT = "tljh-http.service"
RENEW_UNIT = "tljh-https-renew.service"
RENEW_TIMER = "tljh-https-renew.timer"


def responder_settings(config: Mapping[str, Any]) -> dict[str, Any]:
    """With HTTPS on, the responder owns http.address:http.port and redirects to https.port."""
    http, https = config["http"], config["https"]
    if not https["enabled"]:
        return {}
    return {"address": http["address"], "port": http["port"], "https_port": https["port"]}


def responder_unit(paths: Paths, settings: Mapping[str, Any]) -> str:
    args = [
        str(paths.hub_venv / "bin" / "python3"), "-m", "tljh_lite.https.responder",
        f"--webroot={paths.acme_webroot}", f"--challenge-port={ACME_CHALLENGE_PORT}",
    ]
    if settings:
        args += [f"--address={settings['address']}", f"--port={settings['port']}", f"--https-port={settings['https_port']}"]
    return f"""\
# Written by tljh-lite; re-running the installer or `tljh-config reload proxy` rewrites it.
[Unit]
Description=tljh-lite plain HTTP: ACME challenges, and a redirect to https when it is on
After=network-online.target

[Service]
# It reads the public webroot and nothing else (systemd.exec(5)).
{LISTENER_SANDBOX}PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectControlGroups=yes
MemoryMax=64M
ExecStart={shlex.join(args)}
Restart=always
RestartSec=2s

[Install]
WantedBy=multi-user.target
"""


def renew_service_unit(paths: Paths) -> str:
    tljh_lite = paths.hub_venv / "bin" / "tljh-lite"
    return f"""\
# Written by tljh-lite: what {RENEW_TIMER} runs. By hand: sudo tljh-lite https renew
[Unit]
Description=tljh-lite: renew the HTTPS certificate if due, and serve the new one
After=network-online.target
Wants=network-online.target

[Service]
Type=oneshot
Environment=TLJH_INSTALL_PREFIX={paths.prefix}
# certbot reaches the ACME server through the campus proxy, if there is one (docs/offline.md).
EnvironmentFile=-{paths.downloads_env}
ExecStart={tljh_lite} https renew --quiet
"""


def renew_timer_unit() -> str:
    return """\
# Written by tljh-lite: certificates are renewed 30 days before they expire;
# twice a day, as Let's Encrypt asks, at a random minute (systemd.timer(5)).
[Unit]
Description=tljh-lite: check the HTTPS certificate twice a day

[Timer]
OnCalendar=*-*-* 00,12:00:00
RandomizedDelaySec=1h
# A check missed while the machine was off runs at the next boot.
Persistent=true

[Install]
WantedBy=timers.target
"""


def https_on(config: Mapping[str, Any]) -> bool:
    return config["https"]["enabled"]


RESPONDER = Unit(
    RESPONDER_UNIT, "plain HTTP on port 80: ACME challenges, a redirect to https",
    lambda paths, config: responder_unit(paths, responder_settings(config)),
    wanted=https_on, proxy_side=True,
)
RENEWAL = (
    Unit(RENEW_UNIT, "renews the HTTPS certificate when due, and serves the new one",
         lambda paths, config: renew_service_unit(paths), kind="oneshot", proxy_side=True),
    Unit(RENEW_TIMER, "runs the renewal twice a day", lambda paths, config: renew_timer_unit(),
         kind="timer", wanted=https_on, proxy_side=True),
)
