"""The state and uptime of the catalog's units, and of the JupyterHub services the hub runs itself."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from ..hub.unit import HUB_UNIT
from ..runner import Runner
from ..units.catalog import needed_units
from ..usage.probe import show, systemd_time

# Hub-managed services: found among the hub's children by what they run. (The usage
# page is not one: systemd starts it on demand, and its socket is in the catalog.)
HUB_SERVICES = {"culler": "jupyterhub_idle_culler"}


@dataclass(frozen=True)
class ServiceState:
    name: str
    state: str  # active, inactive, failed, not installed, ...
    since: float | None  # unix time it entered that state
    needed: bool  # should be active now

    @property
    def problem(self) -> str | None:
        if self.name in HUB_SERVICES and self.state == "hub not running":
            return None  # the hub's own line says it
        if self.name in HUB_SERVICES and self.needed and self.state != "active":
            return f"the hub's {self.name} service is {self.state}; see: sudo journalctl -u {HUB_UNIT} -n 50"
        if self.state == "failed":
            return f"{self.name} has failed; see: sudo journalctl -u {self.name} -n 50"
        if self.needed and self.state != "active":
            return f"{self.name} is {self.state}; see: sudo systemctl status {self.name}"
        return None


def unit_states(runner: Runner, config: Mapping[str, Any]) -> list[ServiceState]:
    wanted = needed_units(config)
    found = {p.get("Id"): p for p in show(runner, wanted, ("Id", "LoadState", "ActiveState", "ActiveEnterTimestamp",
                                                           "InactiveEnterTimestamp"))}
    states = []
    for unit, needed in wanted.items():
        props = found.get(unit, {})
        if props.get("LoadState") in (None, "", "not-found"):
            if needed:
                states.append(ServiceState(unit, "not installed", None, True))
            continue
        state = props.get("ActiveState", "unknown")
        if not needed and state in ("inactive", "activating"):
            continue  # off with this config, or a oneshot between runs: nothing to say
        stamp = props.get("ActiveEnterTimestamp" if state == "active" else "InactiveEnterTimestamp", "")
        states.append(ServiceState(unit, state, systemd_time(stamp), needed))
    return states


def hub_services(runner: Runner, config: Mapping[str, Any]) -> list[ServiceState]:
    """The hub's own services (the culler): running as the hub's children?"""
    main_pid = show(runner, [HUB_UNIT], ("MainPID",))
    pid = main_pid[0].get("MainPID", "0") if main_pid else "0"
    children = child_processes(int(pid)) if pid.isdigit() and pid != "0" else []
    wanted = {"culler": config["services"]["cull"]["enabled"]}
    states = []
    for name, marker in HUB_SERVICES.items():
        match = next((c for c in children if marker in c[1]), None)
        if match:
            states.append(ServiceState(name, "active", match[0], wanted[name]))
        elif wanted[name]:
            states.append(ServiceState(name, "not running" if pid not in ("", "0") else "hub not running", None, True))
    return states


def child_processes(parent: int, proc: Path = Path("/proc")) -> list[tuple[float, str]]:
    """(start time as unix time, command line) of each child of `parent`, from /proc (no ps on minimal systems)."""
    try:
        boot = next(float(line.split()[1]) for line in (proc / "stat").read_text().splitlines()
                    if line.startswith("btime "))
    except (OSError, StopIteration, ValueError):
        return []
    ticks = os.sysconf("SC_CLK_TCK")
    children = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) "
            if int(fields[1]) != parent:
                continue
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except (OSError, ValueError, IndexError):
            continue
        children.append((boot + int(fields[19]) / ticks, cmdline))
    return children
