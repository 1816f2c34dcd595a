"""systemd: the units tljh-lite declares (`Unit`), and systemctl and journalctl through the runner.

A feature declares each unit it needs as a `Unit` next to its code
(`https/units.py`, `backup/units.py`, ...); `tljh_lite.units.catalog` lists
them all, and `tljh_lite.units.manager` writes, enables and restarts them.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Literal, Mapping

from .errors import TljhError
from .paths import Paths
from .runner import Runner

Config = Mapping[str, Any]


def hub_client_sandbox(address_families: str) -> str:
    """[Service] lines for a small program that writes nothing and talks only to the hub on
    127.0.0.1 (the usage page, a culler round): systemd.exec(5), systemd.resource-control(5)."""
    return f"""\
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
NoNewPrivileges=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectControlGroups=yes
RestrictAddressFamilies={address_families}
# It talks to the hub on 127.0.0.1 only (effective where cgroup v2 allows it: systemd.resource-control(5)).
IPAddressAllow=localhost
IPAddressDeny=any
"""


def _always(config: Config) -> bool:
    return True


def _nothing_else(paths: Paths, unit_text: str) -> Iterable[Path | bytes]:
    return ()


@dataclass(frozen=True)
class Unit:
    """One systemd unit that tljh-lite writes, declared once, by the feature that needs it.

    - `render(paths, config)`: the unit file's text.
    - `wanted(config)`: whether it runs (a daemon) or is armed (a timer, a socket)
      under that config; a oneshot is started by its timer and never stays active,
      an on-demand service is started by its socket and stops by itself.
    - `kind`: "daemon" (started and kept running; restarted when what it reads
      changed), "timer" or "socket" (triggers: enabled and started), "oneshot" or
      "on-demand" (started by a trigger; stopped when its unit changes, so the
      next trigger starts the new one).
    - `proxy_side`: what serves students over HTTP(S); changed only with the proxy
      (`tljh-config reload proxy` and the installer), never by a hub reload.
    - `reads(paths, unit_text)`: what a daemon reads besides its own file and the
      proxy token (files, or bytes such as installed versions): a change restarts it.
    - `prepare(...)`: work that must be done before the unit is (re)started, such
      as obtaining the certificate the proxy will serve (see `units.manager`).
    - `restart_blocks`: wait for a restart to finish (the hub's restart returns at
      once: its readiness is its API answering).
    """

    name: str
    what: str
    render: Callable[[Paths, Config], str]
    kind: Literal["daemon", "timer", "socket", "oneshot", "on-demand"] = "daemon"
    wanted: Callable[[Config], bool] = _always
    proxy_side: bool = False
    reads: Callable[[Paths, str], Iterable[Path | bytes]] = _nothing_else
    prepare: Callable[..., None] | None = None
    restart_blocks: bool = True

    @property
    def trigger(self) -> bool:
        """Started and enabled to start something else (a timer, a socket)."""
        return self.kind in ("timer", "socket")

    @property
    def triggered(self) -> bool:
        """Started by a trigger only, and active only while it works."""
        return self.kind in ("oneshot", "on-demand")

    def needed(self, config: Config) -> bool:
        """Whether it should be active now (a oneshot or on-demand service only while it works)."""
        return not self.triggered and self.wanted(config)


# What a public listener (the proxy, the port-80 responder) runs as: no account of
# its own to manage, systemd makes a throwaway user for it (systemd.exec(5),
# DynamicUser=), allowed only to bind low ports, seeing no homes and a read-only system.
LISTENER_SANDBOX = """\
DynamicUser=yes
AmbientCapabilities=CAP_NET_BIND_SERVICE
CapabilityBoundingSet=CAP_NET_BIND_SERVICE
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
"""

_EXCEPTION = re.compile(r"^\s*([A-Za-z_][\w.]*(Error|Exception)|SyntaxError|error)\b.*", re.I)


class Systemd:
    def __init__(self, runner: Runner):
        self.runner = runner

    def daemon_reload(self) -> None:
        self.runner.run(["systemctl", "daemon-reload"])

    def enable(self, unit: str) -> None:
        self.runner.run(["systemctl", "enable", "--quiet", unit])

    def start(self, unit: str) -> None:
        self.runner.run(["systemctl", "start", unit], check=False)

    def restart(self, unit: str, wait: bool = False) -> None:
        """Restart `unit`; with `wait`, return once it has started, or raise a
        TljhError with the reason from its journal (without, return at once)."""
        # A unit that crash-looped has hit its start limit; clear that first.
        self.runner.run(["systemctl", "reset-failed", unit], check=False, quiet=True)
        if not wait:
            self.runner.run(["systemctl", "restart", "--no-block", unit])
            return
        started = time.time()
        if not self.runner.run(["systemctl", "restart", unit], check=False).ok:
            reason = reason_from_journal(self.journal(unit, 30, since=f"@{int(started)}"))
            raise TljhError(f"{unit} did not start: {reason}", f"see: sudo journalctl -u {unit} -n 50")

    def stop(self, unit: str) -> None:
        self.runner.run(["systemctl", "stop", unit], check=False)

    def is_active(self, unit: str) -> bool:
        return self.runner.run(["systemctl", "is-active", "--quiet", unit], check=False, quiet=True).ok

    def is_enabled(self, unit: str) -> bool:
        return self.runner.run(["systemctl", "is-enabled", "--quiet", unit], check=False, quiet=True).ok

    def property(self, unit: str, name: str) -> str:
        result = self.runner.run(["systemctl", "show", "--value", "-p", name, unit], check=False, quiet=True)
        return result.stdout.strip()

    def restarts(self, unit: str) -> int:
        value = self.property(unit, "NRestarts")
        return int(value) if value.isdigit() else 0

    def evidence(self, unit: str, lines: int = 30) -> str:
        """What a professor (or a bug report) needs when a unit misbehaves."""
        status = self.runner.run(["systemctl", "status", "--no-pager", "--lines=0", unit], check=False, quiet=True)
        journal = self.journal(unit, lines)
        return f"{status.stdout.rstrip()}\n--- last {lines} lines of journalctl -u {unit} ---\n{journal}"

    def journal(self, unit: str, lines: int = 30, since: str | None = None) -> str:
        argv = ["journalctl", "--no-pager", "-o", "cat", "-n", str(lines), "-u", unit]
        if since:
            argv += ["--since", since]
        return self.runner.run(argv, check=False, quiet=True).stdout.rstrip()


def reason_from_journal(journal: str) -> str:
    """The line of a failed start that says why: the last exception, else the last line."""
    lines = [line.strip() for line in journal.splitlines() if line.strip()]
    for line in reversed(lines):
        if _EXCEPTION.match(line):
            return line
    return lines[-1] if lines else "no output in the journal"
