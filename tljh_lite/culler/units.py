"""The culler's units: the timer, and the oneshot it starts every services.cull.every seconds.

Declared here (`UNITS`), listed in `tljh_lite.units.catalog`; both are wanted while
services.cull.enabled is true. Man pages: systemd.timer(5), systemd.exec(5).
"""

from __future__ import annotations

from typing import Any, Mapping

from ..paths import Paths
from ..ports import HUB_URL
from ..systemd import Unit, hub_client_sandbox

CULLER_UNIT = "tljh-cull-idle.service"
CULLER_TIMER = "tljh-cull-idle.timer"


def culler_token_file(paths: Paths):
    return paths.state_dir / "cull-idle-token"


def culler_args(config: Mapping[str, Any]) -> list[str]:
    """jupyterhub-idle-culler's options for services.cull.*."""
    cull = config["services"]["cull"]
    args = [
        f"--url={HUB_URL}{config['base_url']}hub/api",
        f"--timeout={cull['timeout']}",
        f"--concurrency={cull['concurrency']}",
        f"--max-age={cull['max_age']}",
        f"--cull-users={cull['users']}",
        f"--remove-named-servers={cull['remove_named_servers']}",
    ]
    if cull["users"]:
        # Never an admin: deleting a user also deletes her FirstUse password (its delete_user),
        # and whoever logged in next under an admin's name would set a new one, and get root.
        args.append("--cull-admin-users=False")
    return args


def culler_service_unit(paths: Paths, config: Mapping[str, Any]) -> str:
    python = paths.hub_venv / "bin" / "python3"
    return f"""\
# Written by tljh-lite: one round of the idle culler, started by {CULLER_TIMER} (docs/config.md, services.cull).
[Unit]
Description=tljh-lite: stop students' servers idle longer than services.cull.timeout (one round)
After=jupyterhub.service

[Service]
Type=oneshot
# -I: nothing from the environment or the working directory on its import path.
ExecStart={python} -I -m tljh_lite.culler.once {' '.join(culler_args(config))}
# Its token for the hub's API, never on its command line nor in this world-readable file
# (systemd.exec(5), LoadCredential=). It needs nothing of root's: a user made for the run.
LoadCredential=api-token:{culler_token_file(paths)}
DynamicUser=yes
{hub_client_sandbox("AF_INET AF_INET6")}Nice=5
MemoryMax=128M
TimeoutStartSec=15min
"""


def culler_timer_unit(config: Mapping[str, Any]) -> str:
    every = config["services"]["cull"]["every"]
    return f"""\
# Written by tljh-lite: a round of the idle culler every services.cull.every seconds.
[Unit]
Description=tljh-lite: the idle culler, every {every} s

[Timer]
OnActiveSec={every}s
OnUnitActiveSec={every}s
AccuracySec=1s

[Install]
WantedBy=timers.target
"""


def _culling(config: Mapping[str, Any]) -> bool:
    return bool(config["services"]["cull"]["enabled"])


UNITS = (
    Unit(CULLER_UNIT, "stops idle students' servers (one round)", culler_service_unit, kind="oneshot",
         wanted=_culling),
    Unit(CULLER_TIMER, "runs the idle culler every services.cull.every seconds",
         lambda paths, config: culler_timer_unit(config), kind="timer", wanted=_culling),
)
