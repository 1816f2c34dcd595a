"""The scheduled backup: a timer (backup.schedule) and the service it starts.

Declared here (`UNITS`), listed in `tljh_lite.units.catalog`; the unit
manager writes them and turns the timer on or off as backup.schedule says. Man pages: systemd.timer(5), systemd.exec(5).
"""

from __future__ import annotations

from typing import Any, Mapping

from ..paths import Paths
from ..systemd import Unit

BACKUP_UNIT = "tljh-backup.service"
BACKUP_TIMER = "tljh-backup.timer"
# At night, when few students work; weekly on Sunday night.
CALENDAR = {"daily": "*-*-* 03:00:00", "weekly": "Sun *-*-* 03:00:00"}


def backup_service_unit(paths: Paths) -> str:
    tljh_lite = paths.hub_venv / "bin" / "tljh-lite"
    return f"""\
# Written by tljh-lite: what {BACKUP_TIMER} runs. By hand: sudo systemctl start {BACKUP_UNIT}
[Unit]
Description=tljh-lite: scheduled backup into backup.path, keeping the newest backup.keep

[Service]
Type=oneshot
Environment=TLJH_INSTALL_PREFIX={paths.prefix}
ExecStart={tljh_lite} backup create --scheduled
# Students keep working while it runs: it yields the CPU and the disk to them
# (systemd.exec(5), Nice=, IOSchedulingClass=).
Nice=10
IOSchedulingClass=best-effort
IOSchedulingPriority=7
# A failure shows in `systemctl --failed`, `tljh-lite backup status` and its journal.
"""


def backup_timer_unit(schedule: str) -> str:
    calendar = CALENDAR.get(schedule)
    when = f"OnCalendar={calendar}"
    if calendar is None:
        when = f"# backup.schedule is off: this timer is not enabled\nOnCalendar={CALENDAR['daily']}"
    return f"""\
# Written by tljh-lite from backup.schedule ({schedule}); `tljh-config reload` rewrites it.
[Unit]
Description=tljh-lite: scheduled backups ({schedule})

[Timer]
{when}
# A backup missed while the machine was off runs at the next boot (systemd.timer(5), Persistent=).
Persistent=true
RandomizedDelaySec=10min

[Install]
WantedBy=timers.target
"""


def scheduled(config: Mapping[str, Any]) -> bool:
    return config["backup"]["schedule"] != "off"


UNITS = (
    Unit(BACKUP_UNIT, "a scheduled backup into backup.path", lambda paths, config: backup_service_unit(paths),
         kind="oneshot"),
    Unit(BACKUP_TIMER, "starts the backup as backup.schedule says",
         lambda paths, config: backup_timer_unit(config["backup"]["schedule"]), kind="timer", wanted=scheduled),
)
