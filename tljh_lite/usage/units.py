"""The usage feature's units: the sampler's timer and the oneshot service it starts every
minute, and the admins' page's socket and the service it starts on demand.

Declared here (`UNITS`), listed in `tljh_lite.units.catalog`; the unit
manager writes them and starts the timer and the socket. Man pages: systemd.timer(5), systemd.exec(5), systemd.resource-control(5).
"""

from __future__ import annotations

from ..paths import Paths
from ..ports import USAGE_PAGE_PORT
from ..systemd import Unit, hub_client_sandbox

USAGE_UNIT = "tljh-usage.service"
USAGE_TIMER = "tljh-usage.timer"


def usage_service_unit(paths: Paths) -> str:
    python = paths.hub_venv / "bin" / "python3"
    return f"""\
# Written by tljh-lite: what {USAGE_TIMER} runs every minute (docs/status.md).
[Unit]
Description=tljh-lite: record the students' servers' use (memory, CPU, activity) in {paths.state_dir}/usage.sqlite

[Service]
Type=oneshot
Environment=TLJH_INSTALL_PREFIX={paths.prefix}
# -I: nothing from the environment or the working directory on its import path.
ExecStart={python} -I -m tljh_lite.usage.sampler
# Root, to read the hub's database and every server's cgroup; it writes only its record
# (systemd.exec(5), ProtectSystem=strict, ReadWritePaths=).
ProtectSystem=strict
ReadWritePaths={paths.state_dir}
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
NoNewPrivileges=yes
# Nothing leaves this machine: no network at all (systemd.exec(5), PrivateNetwork=;
# systemctl still reaches systemd over its unix socket).
PrivateNetwork=yes
# Students first: it yields the CPU and the disk, and stays small (systemd.resource-control(5)).
Nice=10
IOSchedulingClass=idle
MemoryMax=64M
TimeoutStartSec=50s
# A minute-by-minute job should not fill the journal with "Started"/"Finished" lines.
LogLevelMax=notice
"""


def usage_timer_unit() -> str:
    return """\
# Written by tljh-lite: sample the students' servers at the start of every minute.
[Unit]
Description=tljh-lite: record usage every minute

[Timer]
OnCalendar=*-*-* *:*:00
AccuracySec=1s
# No catching up on minutes missed while the machine was off (systemd.timer(5)).
Persistent=false

[Install]
WantedBy=timers.target
"""




# The admins' usage page (tljh_lite.usage.service), started on demand: systemd holds its
# socket, starts the page at the first request and the page exits when nobody has asked
# for a while, so a page an admin opens once a week costs nothing the rest of the time
# (systemd.socket(5)). Its API token is the hub's record of it (hub.settings).
USAGE_PAGE_SOCKET = "tljh-usage-page.socket"
USAGE_PAGE_UNIT = "tljh-usage-page.service"


def usage_page_token_file(paths: Paths):
    return paths.state_dir / "usage-page-token"


def usage_page_socket_unit() -> str:
    return f"""\
# Written by tljh-lite: the admins' usage page at /services/usage/, started when asked for (docs/status.md).
[Unit]
Description=tljh-lite: the admins' usage page's socket (the page starts on the first request)

[Socket]
# Loopback only: the proxy forwards /services/usage/ here; the page itself asks the hub who is visiting.
ListenStream=127.0.0.1:{USAGE_PAGE_PORT}
# Nobody can keep the machine busy starting it (systemd.socket(5), TriggerLimitBurst=).
TriggerLimitIntervalSec=10s
TriggerLimitBurst=5

[Install]
WantedBy=sockets.target
"""


def usage_page_service_unit(paths: Paths) -> str:
    python = paths.hub_venv / "bin" / "python3"
    return f"""\
# Written by tljh-lite: what {USAGE_PAGE_SOCKET} starts (docs/status.md).
[Unit]
Description=tljh-lite: the admins' usage page (exits when nobody has asked for it for a while)
Requires={USAGE_PAGE_SOCKET}
After={USAGE_PAGE_SOCKET}

[Service]
Environment=TLJH_INSTALL_PREFIX={paths.prefix}
# -I: nothing from the environment or the working directory on its import path.
ExecStart={python} -I -m tljh_lite.usage.service
# Its token for the hub's API, never in this world-readable file nor in its environment
# (systemd.exec(5), LoadCredential=).
LoadCredential=api-token:{usage_page_token_file(paths)}
# Root, to read the usage record and config.yaml; it writes nothing (systemd.exec(5)).
{hub_client_sandbox("AF_UNIX AF_INET AF_INET6")}Nice=5
MemoryMax=256M
"""


UNITS = (
    Unit(USAGE_UNIT, "records the students' servers' use", lambda paths, config: usage_service_unit(paths),
         kind="oneshot"),
    Unit(USAGE_TIMER, "samples usage every minute", lambda paths, config: usage_timer_unit(), kind="timer"),
    Unit(USAGE_PAGE_SOCKET, "starts the admins' usage page when it is asked for",
         lambda paths, config: usage_page_socket_unit(), kind="socket"),
    Unit(USAGE_PAGE_UNIT, "the admins' usage page", lambda paths, config: usage_page_service_unit(paths),
         kind="on-demand"),
)
