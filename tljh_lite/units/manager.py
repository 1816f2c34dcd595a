"""Writing the catalog's units, turning them on and off, restarting what needs it, waiting for the hub.

"What needs it" is decided by fingerprints: a hash of everything a daemon
reads (its unit, the proxy token, and what its declaration's `reads` names:
config.yaml, jupyterhub_config.d and the installed code for the hub, the key
files for the proxy). A re-run of the installer with nothing changed restarts
nothing. Nothing here names a feature's unit: each unit's declaration
(`tljh_lite.systemd.Unit`) says what it is and when it is wanted.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from ..errors import TljhError
from ..files import write_if_changed
from ..health import wait_for_hub
from ..hub.unit import HUB_UNIT
from ..paths import Paths
from ..proxy.settings import local_hub_url
from ..proxy.unit import PROXY_UNIT
from ..runner import Runner
from ..systemd import Systemd, Unit
from .catalog import CATALOG

UNIT_DIR = Path("/etc/systemd/system")
Config = Mapping[str, Any]


class ProxyNotSwitched(TljhError):
    """`reload proxy` failed and put the previous proxy settings back."""


class UnitManager:
    def __init__(self, paths: Paths, runner: Runner, unit_dir: Path = UNIT_DIR,
                 say: Callable[[str], None] = lambda text: None, catalog: tuple[Unit, ...] = CATALOG):
        self.paths = paths
        self.runner = runner
        self.systemd = Systemd(runner)
        self.unit_dir = unit_dir
        self.say = say
        self.catalog = catalog

    def _units(self, select: Callable[[Unit], bool]) -> list[Unit]:
        return [u for u in self.catalog if select(u)]

    def unit_texts(self, config: Config) -> dict[str, str]:
        return {u.name: u.render(self.paths, config) for u in self.catalog}

    def write_units(self, config: Config, only: Iterable[str] | None = None) -> set[str]:
        """Write the unit files (all, or `only` these); the names of those that changed (daemon-reload done)."""
        wanted = set(only) if only is not None else None
        changed = {
            u.name
            for u in self.catalog
            if (wanted is None or u.name in wanted) and write_if_changed(self.unit_dir / u.name, u.render(self.paths, config))
        }
        if changed:
            self.systemd.daemon_reload()
        return changed

    def apply(self, config: Config, timeout: float) -> tuple[list[str], str]:
        """The installer's step: every unit written, on or off as the config says, the daemons
        whose inputs changed restarted, and the hub answering. Returns (units restarted, hub version)."""
        self.prepare(config)
        changed = self.write_units(config)
        daemons = self._units(lambda u: u.kind == "daemon")
        stale = {u.name for u in daemons if u.wanted(config) and self._stale(u)}  # before anything restarts
        restarted = []
        for unit in daemons:  # in the catalog's order: port 80 changes hands before the proxy restarts
            if not unit.wanted(config):
                self._turn_off(unit.name)
                continue
            self.systemd.enable(unit.name)
            if unit.name in stale:
                self.systemd.restart(unit.name, wait=unit.restart_blocks)
                restarted.append(unit.name)
        self._schedule(self._units(lambda u: u.trigger or u.triggered), config, changed)
        version = self.wait(config, timeout)
        self.record()
        return restarted, version

    def prepare(self, config: Config) -> None:
        """What units need done before they (re)start (the proxy: a certificate it can serve)."""
        for unit in self.catalog:
            if unit.prepare is not None:
                unit.prepare(config, self.paths, self.runner, self.say,
                             ensure_running=lambda name: self.ensure_running(name, config))

    def ensure_running(self, name: str, config: Config) -> None:
        """One unit written, enabled and running with its current text."""
        if self.write_units(config, only=[name]) or not self.systemd.is_active(name):
            self.systemd.enable(name)
            self.systemd.restart(name, wait=True)

    def schedule(self, config: Config) -> None:
        """After a hub reload: the triggers (backups, usage) and what they start written, and on
        or off as the config says. Those on the proxy side change only with the proxy (`reload proxy`)."""
        units = self._units(lambda u: (u.trigger or u.triggered) and not u.proxy_side)
        changed = self.write_units(config, only=[u.name for u in units])
        self._schedule(units, config, changed)

    def _schedule(self, units: list[Unit], config: Config, changed: set[str]) -> None:
        """Triggers (timers, sockets) on or off; a changed on-demand service stopped, so that
        its next start runs what was just written."""
        for unit in units:
            if unit.kind == "on-demand":
                if unit.name in changed:
                    self.systemd.stop(unit.name)
                continue
            if not unit.trigger:
                continue
            if not unit.wanted(config):
                self._turn_off(unit.name)
            elif unit.name in changed:
                # restart, not just start: a timer that runs keeps its old schedule until then
                self.systemd.enable(unit.name)
                self.runner.run(["systemctl", "restart", unit.name])
            else:
                self.runner.run(["systemctl", "enable", "--now", "--quiet", unit.name])

    def _turn_off(self, name: str) -> None:
        self.runner.run(["systemctl", "disable", "--now", "--quiet", name], check=False)

    def _turn_on_or_off(self, units: list[Unit], config: Config) -> None:
        for unit in units:
            if unit.wanted(config):
                self.runner.run(["systemctl", "enable", "--now", "--quiet", unit.name])
            else:
                self._turn_off(unit.name)

    def switch_proxy(self, config: Config, timeout: float, previous: Config | None) -> str:
        """`reload proxy`: what it needs first (a certificate), then the switch of every unit on the
        proxy side; on any failure the previous units come back.

        `previous` is the config the running services started with (to wait for
        them after going back). Returns the hub's version.
        """
        side = self._units(lambda u: u.proxy_side)
        others = [u for u in side if u.name != PROXY_UNIT and not u.triggered]  # the proxy restarts last
        before = {u.name: self._unit_text(u.name) for u in side}
        was_active = {u.name: self.systemd.is_active(u.name) for u in others if u.kind == "daemon"}
        try:
            self.prepare(config)
            self.write_units(config, only=list(before))
            for unit in others:
                if unit.kind == "daemon" and unit.wanted(config):
                    self.systemd.restart(unit.name, wait=True)
            self._turn_on_or_off(others, config)
            self.systemd.restart(PROXY_UNIT, wait=True)
            version = self.wait(config, timeout)
        except TljhError as failure:
            self.say("That did not work; putting the previous proxy settings back...")
            back = self._go_back(before, others, was_active, previous, timeout)
            raise ProxyNotSwitched(failure.message, f"{failure.hint + '; ' if failure.hint else ''}{back}") from failure
        if previous is None or previous["https"]["enabled"] != config["https"]["enabled"]:
            # The hub marks its cookies Secure, and starts students' servers so, only under HTTPS.
            self.say("Restarting the hub for HTTPS cookies (students' servers keep running)...")
            self.systemd.restart(HUB_UNIT)
            version = self.wait(config, timeout)
        self.record()
        return version

    def _go_back(self, before: Mapping[str, str | None], others: list[Unit], was_active: Mapping[str, bool],
                 previous: Config | None, timeout: float) -> str:
        changed = [name for name, text in before.items() if self._unit_text(name) != text]
        for name in changed:
            path = self.unit_dir / name
            if before[name] is None:
                self.systemd.stop(name)
                path.unlink(missing_ok=True)
            else:
                write_if_changed(path, before[name])
        if changed:
            self.systemd.daemon_reload()
        for name, active in was_active.items():
            if active and (name in changed or not self.systemd.is_active(name)):
                self.systemd.restart(name, wait=True)
            elif not active:
                self.systemd.stop(name)
        if before[PROXY_UNIT] is not None and (PROXY_UNIT in changed or not self.systemd.is_active(PROXY_UNIT)):
            self.systemd.restart(PROXY_UNIT, wait=True)
        if previous is not None:
            self._turn_on_or_off(others, previous)
            try:
                self.wait(previous, timeout)
            except TljhError as e:
                return f"the previous proxy settings did not come back either ({e.message}): see sudo journalctl -u {PROXY_UNIT}"
        return "nothing changed: the hub serves as before"

    def _unit_text(self, name: str) -> str | None:
        try:
            return (self.unit_dir / name).read_text()
        except FileNotFoundError:
            return None

    def restart(self, name: str, config: Config, timeout: float) -> str:
        self.systemd.restart(name)
        version = self.wait(config, timeout)
        self.record()
        return version

    def restart_proxy(self, config: Config, timeout: float) -> None:
        """A proxy restart with its unit as it is (a renewed certificate), the hub answering after it."""
        self.systemd.restart(PROXY_UNIT, wait=True)
        self.wait(config, timeout)
        self.record()  # what the proxy now reads, so a re-run of the installer restarts nothing

    def wait(self, config: Config, timeout: float) -> str:
        restarts_before = self.systemd.restarts(HUB_UNIT)
        # Give systemd a moment to start a restart we asked for with --no-block.
        time.sleep(0.5)

        def failed() -> str | None:
            if self.systemd.restarts(HUB_UNIT) > restarts_before:
                return "the hub crashed while starting"
            if self.systemd.property(PROXY_UNIT, "ActiveState") == "failed":
                return "the proxy failed to start"
            return None

        return wait_for_hub(
            local_hub_url(config),
            timeout,
            failed=failed,
            evidence=lambda: self.systemd.evidence(HUB_UNIT) + "\n" + self.systemd.evidence(PROXY_UNIT, 10),
        )

    def record(self) -> None:
        """Remember what the running daemons read, so a re-run can tell what changed."""
        for unit in self._units(lambda u: u.kind == "daemon"):
            write_if_changed(self._fingerprint_file(unit.name), self._fingerprint(unit), 0o600)

    def _stale(self, unit: Unit) -> bool:
        if not self.systemd.is_active(unit.name):
            return True
        try:
            return self._fingerprint_file(unit.name).read_text() != self._fingerprint(unit)
        except FileNotFoundError:
            return True

    def _fingerprint_file(self, name: str) -> Path:
        return self.paths.state_dir / f"{name}.fingerprint"

    def _fingerprint(self, unit: Unit) -> str:
        digest = hashlib.sha256()
        inputs = [self.unit_dir / unit.name, self.paths.proxy_env, *unit.reads(self.paths, self._unit_text(unit.name) or "")]
        for item in inputs:
            if isinstance(item, bytes):
                digest.update(item)
                continue
            digest.update(str(item).encode() + b"\0")
            digest.update(item.read_bytes() if item.exists() else b"(missing)")
        return digest.hexdigest() + "\n"
