"""The state and uptime of the catalog's units."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from ..runner import Runner
from ..units.catalog import needed_units
from ..usage.probe import show, systemd_time


@dataclass(frozen=True)
class ServiceState:
    name: str
    state: str  # active, inactive, failed, not installed, ...
    since: float | None  # unix time it entered that state
    needed: bool  # should be active now

    @property
    def problem(self) -> str | None:
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
