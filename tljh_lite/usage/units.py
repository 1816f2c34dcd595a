"""The sampler's systemd timer and the oneshot service it starts every minute.

Declared here (`UNITS`), listed in `tljh_lite.units.catalog`; the unit
manager writes them and starts the timer. Man pages: systemd.timer(5), systemd.exec(5), systemd.resource-control(5).
"""

from __future__ import annotations

from ..paths import Paths
from ..systemd import Unit

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


UNITS = (
    Unit(USAGE_UNIT, "records the students' servers' use", lambda paths, config: usage_service_unit(paths),
         kind="oneshot"),
    Unit(USAGE_TIMER, "samples usage every minute", lambda paths, config: usage_timer_unit(), kind="timer"),
)
