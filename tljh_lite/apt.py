"""System packages: what to install, and the apt commands for Debian and Ubuntu.

The planning functions are pure (unit tests cover Ubuntu, which no test
machine here can reach); `ensure_apt_packages` runs the plan.

Fresh cloud images run unattended-upgrades at first boot, so every apt
command waits for apt's locks instead of failing: `DPkg::Lock::Timeout` makes
apt-get wait for dpkg's lock, but `apt-get update` fails at once while
another update holds the package lists' lock (seen with apt 2.6 and 3.0),
so `run_apt` retries a command that failed on a lock until the same timeout.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from dataclasses import dataclass
from typing import Callable, Mapping

from .runner import CommandError, Result, Runner

PROXY_PACKAGE = "node-configurable-http-proxy"
NPM_FALLBACK = ["nodejs", "npm"]
APT_ENV = {"DEBIAN_FRONTEND": "noninteractive"}
LOCK_TIMEOUT = 600  # seconds to wait for another apt or dpkg to finish
LOCK_RETRY_EVERY = 5
LOCKED = "Could not get lock"  # apt's message when another apt holds a lock

log = logging.getLogger("tljh_lite")


def apt_get(*args: str) -> list[str]:
    return ["apt-get", "-o", f"DPkg::Lock::Timeout={LOCK_TIMEOUT}", *args]


def run_apt(
    runner: Runner,
    command: list[str],
    env: Mapping[str, str],
    hint: str | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Result:
    """Run an apt command; while it fails because another apt holds a lock, try again, up to LOCK_TIMEOUT."""
    deadline = clock() + LOCK_TIMEOUT
    while True:
        result = runner.run(command, env=env, check=False)
        if result.ok:
            return result
        if LOCKED not in result.output or clock() >= deadline:
            raise CommandError(result, hint)
        log.info("another apt holds a lock; trying again in %s s", LOCK_RETRY_EVERY)
        sleep(LOCK_RETRY_EVERY)


@dataclass(frozen=True)
class Distro:
    id: str
    version: str

    @classmethod
    def parse(cls, text: str) -> "Distro":
        """'debian:12' or 'ubuntu:22.04' (what bootstrap passes)."""
        distro_id, _, version = text.partition(":")
        return cls(distro_id.strip().lower(), version.strip())

    @classmethod
    def from_os_release(cls, text: str) -> "Distro":
        """From the text of /etc/os-release (its ID and VERSION_ID)."""
        fields = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
        return cls(fields.get("ID", "").strip("\"' ").lower(), fields.get("VERSION_ID", "").strip("\"' "))


def missing_packages(wanted: list[str], installed: set[str]) -> list[str]:
    seen: list[str] = []
    for package in wanted:
        if package not in installed and package not in seen:
            seen.append(package)
    return seen


def universe_commands(distro: Distro, has_add_apt_repository: bool) -> list[list[str]]:
    """Ubuntu keeps the proxy package in `universe`, which minimal images leave off."""
    if distro.id != "ubuntu":
        return []
    commands = []
    if not has_add_apt_repository:
        commands += [apt_get("update"), apt_get("install", "-y", "software-properties-common")]
    return commands + [["add-apt-repository", "-y", "universe"]]


def install_command(packages: list[str]) -> list[str]:
    return apt_get("install", "-y", "--no-install-recommends", *packages)


def with_proxy_fallback(packages: list[str], proxy_available: bool) -> list[str]:
    """Without the distribution's proxy package, install node and npm to fetch it."""
    if proxy_available or PROXY_PACKAGE not in packages:
        return packages
    return [p for p in packages if p != PROXY_PACKAGE] + NPM_FALLBACK


def installed_packages(runner: Runner) -> set[str]:
    result = runner.run(["dpkg-query", "-W", "-f=${Package} ${db:Status-Abbrev}\n"], check=False, quiet=True)
    return {line.split()[0] for line in result.stdout.splitlines() if line.split()[1:2] == ["ii"]}


def ensure_apt_packages(runner: Runner, distro: Distro, wanted: list[str]) -> list[str]:
    """Install what is missing of `wanted`; returns what was installed (nothing on a re-run)."""
    env = {**os.environ, **APT_ENV}
    missing = missing_packages(wanted, installed_packages(runner))
    if not missing:
        return []
    for command in universe_commands(distro, shutil.which("add-apt-repository") is not None):
        run_apt(runner, command, env)
    run_apt(runner, apt_get("update"), env, hint="check the machine's network and apt sources")
    candidate = runner.run(["apt-cache", "policy", PROXY_PACKAGE], check=False, quiet=True).stdout
    packages = with_proxy_fallback(missing, "Candidate: (none)" not in candidate and "Candidate:" in candidate)
    run_apt(runner, install_command(packages), env, hint="apt could not install the packages; see the log")
    if PROXY_PACKAGE in missing and PROXY_PACKAGE not in packages:
        runner.run(["npm", "install", "--global", "configurable-http-proxy"], env=env)
    return packages
