"""The hub and proxy services: write their units, (re)start what needs it, wait for the hub.

"What needs it" is decided by fingerprints: a hash of everything a service
reads (its unit, its secrets, config.yaml and jupyterhub_config.d for the hub,
and the hub's installed code). A re-run of the installer with nothing changed
restarts nothing.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import shutil
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from .commands import Runner
from .configurer import proxy_settings
from .errors import TljhError
from .files import write_if_changed
from .health import wait_for_hub
from .paths import Paths
from .https.units import (
    RENEW_TIMER,
    RENEW_UNIT,
    RESPONDER_UNIT,
    renew_service_unit,
    renew_timer_unit,
    responder_settings,
    responder_unit,
)
from .backup.units import BACKUP_TIMER, BACKUP_UNIT, backup_service_unit, backup_timer_unit
from .usage.units import USAGE_TIMER, USAGE_UNIT, usage_service_unit, usage_timer_unit
from .ports import ACME_CHALLENGE_PORT, wait_for_port
from .systemd import Systemd, reason_from_journal
from .units import HUB_UNIT, PROXY_UNIT, hub_unit, proxy_env_file, proxy_unit

UNIT_DIR = Path("/etc/systemd/system")
JUPYTERHUB_CONFIG = Path(__file__).parent / "jupyterhub_config.py"


def find_proxy_binary() -> str:
    binary = shutil.which("configurable-http-proxy", path="/usr/bin:/usr/local/bin:/bin")
    if not binary:
        raise TljhError(
            "configurable-http-proxy is not installed",
            "re-run the installer; it installs the node-configurable-http-proxy package",
        )
    return binary


def connect_host(address: str) -> str:
    """Where this machine reaches a listener bound to `address` ('' and 0.0.0.0: every address)."""
    if address in ("", "0.0.0.0"):
        return "127.0.0.1"
    if address == "::":
        return "[::1]"
    return f"[{address}]" if ":" in address else address


def local_hub_url(config: Mapping[str, Any]) -> str:
    """The hub's public URL as seen from this machine, through the proxy."""
    settings = proxy_settings(config)
    scheme = "https" if "tls_key" in settings else "http"
    return f"{scheme}://{connect_host(settings['ip'])}:{settings['port']}{config['base_url']}"


def public_url(config: Mapping[str, Any]) -> str:
    """How students reach the hub, for the professor to read (default ports left out)."""
    settings = proxy_settings(config)
    scheme = "https" if "tls_key" in settings else "http"
    port = "" if settings["port"] == {"http": 80, "https": 443}[scheme] else f":{settings['port']}"
    host = config["https"]["letsencrypt"]["domains"][0] if config["https"]["letsencrypt"]["domains"] else "<this machine's address>"
    return f"{scheme}://{host}{port}{config['base_url']}"


# The units `reload proxy` switches together: what serves HTTP(S) to students.
PROXY_SIDE = (PROXY_UNIT, RESPONDER_UNIT, RENEW_UNIT, RENEW_TIMER)
RESPONDER_TIMEOUT = 10


class ProxyNotSwitched(TljhError):
    """`reload proxy` failed and put the previous proxy settings back."""


class Services:
    def __init__(self, paths: Paths, runner: Runner, unit_dir: Path = UNIT_DIR,
                 say: Callable[[str], None] = lambda text: None):
        self.paths = paths
        self.runner = runner
        self.systemd = Systemd(runner)
        self.unit_dir = unit_dir
        self.say = say

    def unit_texts(self, config: Mapping[str, Any]) -> dict[str, str]:
        return {
            HUB_UNIT: hub_unit(self.paths, str(JUPYTERHUB_CONFIG)),
            PROXY_UNIT: proxy_unit(self.paths, find_proxy_binary(), proxy_settings(config), config["base_url"]),
            RESPONDER_UNIT: responder_unit(self.paths, responder_settings(config)),
            RENEW_UNIT: renew_service_unit(self.paths),
            RENEW_TIMER: renew_timer_unit(),
            BACKUP_UNIT: backup_service_unit(self.paths),
            BACKUP_TIMER: backup_timer_unit(config["backup"]["schedule"]),
            USAGE_UNIT: usage_service_unit(self.paths),
            USAGE_TIMER: usage_timer_unit(),
        }

    def write_units(self, config: Mapping[str, Any], only: Iterable[str] | None = None) -> set[str]:
        """Write the unit files (all, or `only` these); the names of those that changed (daemon-reload done)."""
        wanted = set(only) if only is not None else None
        changed = {
            name
            for name, text in self.unit_texts(config).items()
            if (wanted is None or name in wanted) and write_if_changed(self.unit_dir / name, text)
        }
        if changed:
            self.systemd.daemon_reload()
        return changed

    def apply(self, config: Mapping[str, Any], timeout: float) -> tuple[list[str], str]:
        """Start or restart the services whose inputs changed, wait for the hub (the installer's step).

        Returns (units restarted, hub version).
        """
        self.prepare_tls(config)
        self.write_units(config)
        for unit in (PROXY_UNIT, HUB_UNIT):
            self.systemd.enable(unit)
        restarted = []
        hub_stale = self._stale(HUB_UNIT)
        # The responder first: when HTTPS goes off it gives port 80 back to the proxy.
        https = config["https"]["enabled"]
        if https and self._stale(RESPONDER_UNIT):
            self.systemd.restart(RESPONDER_UNIT, wait=True)
            restarted.append(RESPONDER_UNIT)
        self._https_units(https)
        if self._stale(PROXY_UNIT):
            self.systemd.restart(PROXY_UNIT, wait=True)
            restarted.append(PROXY_UNIT)
        if hub_stale:
            self.systemd.restart(HUB_UNIT)
            restarted.append(HUB_UNIT)
        self.schedule_backups(config)
        # The usage record: a sample every minute (tljh_lite.usage), from now on.
        self.runner.run(["systemctl", "enable", "--now", "--quiet", USAGE_TIMER])
        version = self.wait(config, timeout)
        self.record()
        return restarted, version

    def prepare_tls(self, config: Mapping[str, Any]) -> None:
        """The responder answering ACME challenges, then a checked certificate (obtained if needed)."""
        from .https.prepare import prepare

        if config["https"]["enabled"]:
            self._ensure_responder(config)
        prepare(config, self.paths, self.runner, self.say)

    def _ensure_responder(self, config: Mapping[str, Any]) -> None:
        if self.write_units(config, only=[RESPONDER_UNIT]) or not self.systemd.is_active(RESPONDER_UNIT):
            self.systemd.enable(RESPONDER_UNIT)
            self.systemd.restart(RESPONDER_UNIT, wait=True)
        if not wait_for_port(ACME_CHALLENGE_PORT, RESPONDER_TIMEOUT):
            raise TljhError(
                f"the port-80 responder ({RESPONDER_UNIT}) did not start: "
                + reason_from_journal(self.systemd.journal(RESPONDER_UNIT, 30)),
                f"see: sudo journalctl -u {RESPONDER_UNIT}",
            )

    def switch_proxy(self, config: Mapping[str, Any], timeout: float, previous: Mapping[str, Any] | None) -> str:
        """`reload proxy`: certificate first, then the switch; on any failure the previous units come back.

        `previous` is the config the running services started with (to wait for
        them after going back). Returns the hub's version.
        """
        before = {unit: self._unit_text(unit) for unit in PROXY_SIDE}
        responder_was_active = self.systemd.is_active(RESPONDER_UNIT)
        https = config["https"]["enabled"]
        try:
            self.prepare_tls(config)
            self.write_units(config, only=PROXY_SIDE)
            if https:
                self.systemd.restart(RESPONDER_UNIT, wait=True)
            self._https_units(https)
            self.systemd.restart(PROXY_UNIT, wait=True)
            version = self.wait(config, timeout)
        except TljhError as failure:
            self.say("That did not work; putting the previous proxy settings back...")
            back = self._go_back(before, responder_was_active, previous, timeout)
            raise ProxyNotSwitched(failure.message, f"{failure.hint + '; ' if failure.hint else ''}{back}") from failure
        if previous is None or previous["https"]["enabled"] != config["https"]["enabled"]:
            # The hub marks its cookies Secure, and starts students' servers so, only under HTTPS.
            self.say("Restarting the hub for HTTPS cookies (students' servers keep running)...")
            self.systemd.restart(HUB_UNIT)
            version = self.wait(config, timeout)
        self.record()
        return version

    def _go_back(self, before: Mapping[str, str | None], responder_was_active: bool,
                 previous: Mapping[str, Any] | None, timeout: float) -> str:
        changed = [unit for unit, text in before.items() if self._unit_text(unit) != text]
        for unit in changed:
            path = self.unit_dir / unit
            if before[unit] is None:
                self.systemd.stop(unit)
                path.unlink(missing_ok=True)
            else:
                write_if_changed(path, before[unit])
        if changed:
            self.systemd.daemon_reload()
        if responder_was_active and (RESPONDER_UNIT in changed or not self.systemd.is_active(RESPONDER_UNIT)):
            self.systemd.restart(RESPONDER_UNIT, wait=True)
        elif not responder_was_active:
            self.systemd.stop(RESPONDER_UNIT)
        if before[PROXY_UNIT] is not None and (PROXY_UNIT in changed or not self.systemd.is_active(PROXY_UNIT)):
            self.systemd.restart(PROXY_UNIT, wait=True)
        if previous is not None:
            self._https_units(previous["https"]["enabled"])
            try:
                self.wait(previous, timeout)
            except TljhError as e:
                return f"the previous proxy settings did not come back either ({e.message}): see sudo journalctl -u {PROXY_UNIT}"
        return "nothing changed: the hub serves as before"

    def _https_units(self, https: bool) -> None:
        """The port-80 responder and the renewal timer run with HTTPS only (the responder is
        started earlier, by prepare_tls, when a first certificate needs it)."""
        for unit in (RESPONDER_UNIT, RENEW_TIMER):
            if https:
                self.runner.run(["systemctl", "enable", "--now", "--quiet", unit])
            else:
                self.runner.run(["systemctl", "disable", "--now", "--quiet", unit], check=False)

    def schedule_backups(self, config: Mapping[str, Any]) -> None:
        """The backup timer as backup.schedule says: written, and on or off (no service restarts)."""
        self.write_units(config, only=[BACKUP_UNIT, BACKUP_TIMER])
        if config["backup"]["schedule"] != "off":
            # restart, not just start: a timer that runs keeps its old schedule until then
            self.runner.run(["systemctl", "enable", "--quiet", BACKUP_TIMER])
            self.runner.run(["systemctl", "restart", BACKUP_TIMER])
        else:
            self.runner.run(["systemctl", "disable", "--now", "--quiet", BACKUP_TIMER], check=False)

    def _unit_text(self, unit: str) -> str | None:
        try:
            return (self.unit_dir / unit).read_text()
        except FileNotFoundError:
            return None

    def restart(self, unit: str, config: Mapping[str, Any], timeout: float) -> str:
        self.systemd.restart(unit)
        version = self.wait(config, timeout)
        self.record()
        return version

    def wait(self, config: Mapping[str, Any], timeout: float) -> str:
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
        """Remember what the running services read, so a re-run can tell what changed."""
        for unit in (PROXY_UNIT, HUB_UNIT, RESPONDER_UNIT):
            write_if_changed(self._fingerprint_file(unit), self._fingerprint(unit), 0o600)

    def _stale(self, unit: str) -> bool:
        if not self.systemd.is_active(unit):
            return True
        try:
            return self._fingerprint_file(unit).read_text() != self._fingerprint(unit)
        except FileNotFoundError:
            return True

    def _fingerprint_file(self, unit: str) -> Path:
        return self.paths.state_dir / f"{unit}.fingerprint"

    def _fingerprint(self, unit: str) -> str:
        digest = hashlib.sha256()
        inputs = [self.unit_dir / unit, proxy_env_file(self.paths)]
        if unit == HUB_UNIT:
            inputs += [self.paths.config_file, *sorted(self.paths.config_d.glob("*.py"))]
            inputs += sorted(Path(__file__).parent.rglob("*.py"))
            digest.update(installed_versions().encode())
        if unit == PROXY_UNIT:
            # A renewed or replaced certificate is read only when the proxy starts.
            inputs += credential_sources(self._unit_text(unit) or "")
        for path in inputs:
            digest.update(str(path).encode() + b"\0")
            digest.update(path.read_bytes() if path.exists() else b"(missing)")
        return digest.hexdigest() + "\n"


def credential_sources(unit_text: str) -> list[Path]:
    """The files a unit's LoadCredential= lines read."""
    return [Path(line.split(":", 1)[1]) for line in unit_text.splitlines() if line.startswith("LoadCredential=")]


def installed_versions() -> str:
    """Every distribution in this (the hub's) environment, with its version."""
    names = {(d.metadata["Name"] or "").lower(): d.version for d in importlib.metadata.distributions()}
    return "\n".join(f"{name}=={version}" for name, version in sorted(names.items()))

