"""The machines a bundle can be made for: a Debian release and an architecture.

A bundle holds Debian packages and Python wheels for one release (its
Python version and C library decide which wheels fit) and one architecture.
Everything is resolved for the target, never for the machine that makes the
bundle, so a bookworm bundle can be made on trixie and the other way round.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import TljhError

# The Debian archive every bundle's packages come from, and the keys it is signed with
# (the debian-archive-keyring package; every Debian and Ubuntu machine can install it).
DEBIAN_MIRROR = "http://deb.debian.org/debian"
DEBIAN_SECURITY_MIRROR = "http://deb.debian.org/debian-security"
DEBIAN_KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"


@dataclass(frozen=True)
class Release:
    codename: str
    distro: str  # what bootstrap's preflight calls the machine (ID:VERSION_ID)
    python: str  # the release's python3, which makes both environments
    glibc: tuple[int, int]  # the newest manylinux wheels that run there

    @property
    def name(self) -> str:
        return f"Debian {self.distro.partition(':')[2]} ({self.codename})"


RELEASES = {
    "bookworm": Release("bookworm", "debian:12", "3.11", (2, 36)),
    "trixie": Release("trixie", "debian:13", "3.13", (2, 41)),
}

# dpkg's architecture -> the machine name in wheels' platform tags.
ARCHITECTURES = {"amd64": "x86_64", "arm64": "aarch64"}
OLDEST_MANYLINUX = 17  # manylinux_2_17 (manylinux2014), the oldest glibc wheels are built for now


@dataclass(frozen=True)
class Target:
    release: Release
    architecture: str

    @classmethod
    def of(cls, release: str, architecture: str) -> "Target":
        if release not in RELEASES:
            raise TljhError(
                f"bundles are made for {' and '.join(RELEASES)}, not {release!r}",
                f"give --release {' or --release '.join(RELEASES)}",
            )
        if architecture not in ARCHITECTURES:
            raise TljhError(
                f"bundles are made for {' and '.join(ARCHITECTURES)} machines, not {architecture!r}",
                "give --arch amd64 (most servers) or --arch arm64",
            )
        return cls(RELEASES[release], architecture)

    @property
    def machine(self) -> str:
        return ARCHITECTURES[self.architecture]

    @property
    def wheel_platforms(self) -> list[str]:
        """Every platform tag of a wheel that runs on the target, newest first (pip download --platform).

        pip takes each --platform literally, so the older manylinux tags that
        the target's C library also runs are listed one by one.
        """
        newest = self.release.glibc[1]
        tags = [f"manylinux_2_{minor}_{self.machine}" for minor in range(newest, OLDEST_MANYLINUX - 1, -1)]
        tags.append(f"manylinux2014_{self.machine}")
        if self.machine == "x86_64":
            tags += ["manylinux2010_x86_64", "manylinux1_x86_64"]
        return tags

    @property
    def uv_platform(self) -> str:
        """The same target for uv's resolver (uv pip compile --python-platform)."""
        major, minor = self.release.glibc
        return f"{self.machine}-manylinux_{major}_{min(minor, UV_NEWEST_MANYLINUX)}"

    @property
    def python_abi(self) -> str:
        return "cp" + self.release.python.replace(".", "")

    def describe(self) -> str:
        return f"{self.release.name} on {self.architecture}, Python {self.release.python}"


UV_NEWEST_MANYLINUX = 40  # the newest manylinux_2_NN uv's --python-platform names (uv 0.10 and later)
