"""A bundle's manifest: what it was made for, what it holds, and every file's sha256.

A bundle is one uncompressed tar (its wheels and Debian packages are
compressed already). `manifest.json` is its first member, so bootstrap reads
what the bundle is for before it reads anything else, then checks every other
member against the manifest's sums as it unpacks it (installer/bootstrap.py,
"bundles"). Members are regular files only, under the few folders named here.

Bootstrap reads this format with the standard library; FORMAT, MANIFEST and
the folders are its twins (tests/test_bootstrap_shared.py), and a test feeds a
bundle written here to bootstrap's reader.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

FORMAT = 1  # a bootstrap refuses a bundle of another format: installer/bootstrap.py BUNDLE_FORMAT
MANIFEST = "manifest.json"
BOOTSTRAP = "bootstrap.py"
WHEELS = "wheels"  # every wheel both environments, the plugins and bootstrap's uv install from
DEBS = "debs"  # the Debian packages, with their index (Packages): a flat apt repository
PINS = "pins"  # the resolved requirements of each environment, for people (and the next bundle) to read
USER_REQUIREMENTS = "user-requirements.txt"  # --user-requirements, installed into the students' environment
# A member's name: one of the folders above (or none), then a file name of the characters
# wheels and .debs use. Nothing else is ever unpacked (installer/bootstrap.py MEMBER_NAME).
MEMBER_NAME = re.compile(r"^(?:(?:wheels|debs|pins)/)?[A-Za-z0-9][A-Za-z0-9._+~=%-]*$")


@dataclass
class Manifest:
    tljh_lite: str  # the version the bundle installs
    jupyterhub: str
    release: str  # bookworm, trixie
    distro: str  # debian:12, as bootstrap's preflight names the machine
    architecture: str  # amd64, as `dpkg --print-architecture` says
    python: str  # 3.11: the target's python3, which both environments are made with
    created: str  # UTC, ISO 8601
    plugins: list[str] = field(default_factory=list)  # distribution names, installed as --plugin NAME
    apt_packages: list[str] = field(default_factory=list)  # what the installer asks apt for
    user_requirements: bool = False  # whether USER_REQUIREMENTS is in the bundle
    files: dict[str, dict] = field(default_factory=dict)  # member -> {"sha256", "size"}
    format: int = FORMAT

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> "Manifest":
        return cls(**json.loads(text))

    def add(self, member: str, path: Path) -> None:
        if not MEMBER_NAME.match(member):
            raise ValueError(f"{member!r} is not a name a bundle may hold")
        self.files[member] = {"sha256": sha256_of(path), "size": path.stat().st_size}

    def total_size(self) -> int:
        return sum(entry["size"] for entry in self.files.values())


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
