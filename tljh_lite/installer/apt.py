"""System packages: what to install, and the apt commands for Debian and Ubuntu.

The planning functions are pure (unit tests cover Ubuntu, which no test
machine here can reach); `ensure_apt_packages` runs the plan.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass

from ..commands import Runner

PROXY_PACKAGE = "node-configurable-http-proxy"
NPM_FALLBACK = ["nodejs", "npm"]
APT_ENV = {"DEBIAN_FRONTEND": "noninteractive"}


@dataclass(frozen=True)
class Distro:
    id: str
    version: str

    @classmethod
    def parse(cls, text: str) -> "Distro":
        """'debian:12' or 'ubuntu:22.04' (what bootstrap passes)."""
        distro_id, _, version = text.partition(":")
        return cls(distro_id.strip().lower(), version.strip())


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
        commands += [["apt-get", "update"], ["apt-get", "install", "-y", "software-properties-common"]]
    return commands + [["add-apt-repository", "-y", "universe"]]


def install_command(packages: list[str]) -> list[str]:
    return ["apt-get", "install", "-y", "--no-install-recommends", *packages]


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
        runner.run(command, env=env)
    runner.run(["apt-get", "update"], env=env, hint="check the machine's network and apt sources")
    candidate = runner.run(["apt-cache", "policy", PROXY_PACKAGE], check=False, quiet=True).stdout
    packages = with_proxy_fallback(missing, "Candidate: (none)" not in candidate and "Candidate:" in candidate)
    runner.run(install_command(packages), env=env, hint="apt could not install the packages; see the log")
    if PROXY_PACKAGE in missing and PROXY_PACKAGE not in packages:
        runner.run(["npm", "install", "--global", "configurable-http-proxy"], env=env)
    return packages
