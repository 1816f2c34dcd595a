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
from typing import Any, Mapping

from .commands import Runner
from .configurer import proxy_settings
from .errors import TljhError
from .files import write_if_changed
from .health import wait_for_hub
from .paths import Paths
from .systemd import Systemd
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


def local_hub_url(config: Mapping[str, Any]) -> str:
    """The hub's public URL as seen from this machine, through the proxy."""
    settings = proxy_settings(config)
    scheme = "https" if "ssl_key" in settings else "http"
    return f"{scheme}://127.0.0.1:{settings['port']}{config['base_url']}"


def public_url(config: Mapping[str, Any]) -> str:
    """How students reach the hub, for the professor to read (default ports left out)."""
    settings = proxy_settings(config)
    scheme = "https" if "ssl_key" in settings else "http"
    port = "" if settings["port"] == {"http": 80, "https": 443}[scheme] else f":{settings['port']}"
    host = config["https"]["letsencrypt"]["domains"][0] if config["https"]["letsencrypt"]["domains"] else "<this machine's address>"
    return f"{scheme}://{host}{port}{config['base_url']}"


class Services:
    def __init__(self, paths: Paths, runner: Runner, unit_dir: Path = UNIT_DIR):
        self.paths = paths
        self.systemd = Systemd(runner)
        self.unit_dir = unit_dir

    def write_units(self, config: Mapping[str, Any]) -> bool:
        """Write both unit files; True if either changed (daemon-reload done)."""
        changed = write_if_changed(self.unit_dir / HUB_UNIT, hub_unit(self.paths, str(JUPYTERHUB_CONFIG)))
        changed |= write_if_changed(
            self.unit_dir / PROXY_UNIT, proxy_unit(self.paths, find_proxy_binary(), proxy_settings(config))
        )
        if changed:
            self.systemd.daemon_reload()
        return changed

    def apply(self, config: Mapping[str, Any], timeout: float) -> tuple[list[str], str]:
        """Start or restart the services whose inputs changed, wait for the hub.

        Returns (units restarted, hub version).
        """
        self.write_units(config)
        for unit in (PROXY_UNIT, HUB_UNIT):
            self.systemd.enable(unit)
        restarted = []
        hub_stale, hub_running = self._stale(HUB_UNIT), self.systemd.is_active(HUB_UNIT)
        if self._stale(PROXY_UNIT):
            self.systemd.restart(PROXY_UNIT)
            restarted.append(PROXY_UNIT)
            # The hub Requires= the proxy: systemd restarts a running hub with it.
            hub_stale = hub_stale and not hub_running
        if hub_stale:
            self.systemd.restart(HUB_UNIT)
        if hub_stale or restarted:
            restarted.append(HUB_UNIT)
        version = self.wait(config, timeout)
        self.record()
        return restarted, version

    def restart(self, unit: str, config: Mapping[str, Any], timeout: float) -> str:
        if unit == PROXY_UNIT:
            self.write_units(config)
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
        for unit in (PROXY_UNIT, HUB_UNIT):
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
        for path in inputs:
            digest.update(str(path).encode() + b"\0")
            digest.update(path.read_bytes() if path.exists() else b"(missing)")
        return digest.hexdigest() + "\n"


def installed_versions() -> str:
    """Every distribution in this (the hub's) environment, with its version."""
    names = {(d.metadata["Name"] or "").lower(): d.version for d in importlib.metadata.distributions()}
    return "\n".join(f"{name}=={version}" for name, version in sorted(names.items()))

