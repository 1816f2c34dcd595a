"""The Debian packages of a bundle: resolved for the target release, downloaded, and indexed.

apt itself does the resolving, from an apt state of its own (`AptState`): the
target release's sources and package lists, the target's architecture, and
an empty dpkg status. With nothing installed, apt resolves every package the
wanted ones need, down to the C library: the bundle installs on a freshly
made machine, and on one whose packages are older than the bundle's (apt
upgrades what must be upgraded, never downgrades, and skips what is there).
No root, container or chroot is needed, so a bookworm bundle is made on
trixie as well as on bookworm; the maker's own apt settings (a campus proxy
in /etc/apt/apt.conf.d) still apply, its sources and pins do not.

On the target the packages are a flat apt repository (`Packages` written
here, from each file's own control fields); bootstrap points apt at it and
at nothing else while it installs.
"""

from __future__ import annotations

import getpass
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import TljhError
from ..runner import CommandError, Runner
from .targets import DEBIAN_KEYRING, DEBIAN_MIRROR, DEBIAN_SECURITY_MIRROR, Target

# `apt-get install --print-uris`: 'URI' FILE SIZE [HASH] (no hash when the index has no MD5Sum)
_URI_LINE = re.compile(r"^'(?P<uri>[^']+)' (?P<file>\S+) (?P<size>\d+)(?: (?P<hash>\S+))?\s*$")
_NOT_FOUND = re.compile(r"E: (?:Unable to locate package |Package '?)(?P<name>[^\s']+)")


def debian_sources(target: Target, keyring: str = DEBIAN_KEYRING) -> str:
    """The target release's archive, with its updates and security fixes (deb822, sources.list(5))."""
    codename = target.release.codename
    return (
        f"Types: deb\nURIs: {DEBIAN_MIRROR}\nSuites: {codename} {codename}-updates\nComponents: main\n"
        f"Signed-By: {keyring}\n\n"
        f"Types: deb\nURIs: {DEBIAN_SECURITY_MIRROR}\nSuites: {codename}-security\nComponents: main\n"
        f"Signed-By: {keyring}\n"
    )


@dataclass(frozen=True)
class Deb:
    file: str  # its name in the archive's pool, which the bundle keeps
    size: int


class AptState:
    """apt's lists, downloads and (empty) dpkg status for one target, kept in `directory` between bundles."""

    def __init__(self, directory: Path, target: Target, sources: str, runner: Runner):
        self.directory = directory
        self.target = target
        self.sources = sources
        self.runner = runner

    @property
    def archives(self) -> Path:
        return self.directory / "archives"

    def options(self, archives: Path | None = None) -> list[str]:
        """apt.conf(5) settings that make apt-get work on this state only (-o each)."""
        d = self.directory
        settings = {
            "Dir::State": d / "state",
            "Dir::State::status": d / "status",
            "Dir::Cache": d / "cache",
            "Dir::Cache::Archives": archives or self.archives,
            "Dir::Etc::SourceList": d / "sources.list",
            "Dir::Etc::SourceParts": d / "sources.list.d",
            "Dir::Etc::Preferences": d / "preferences",
            "Dir::Etc::PreferencesParts": d / "preferences.d",
            "APT::Architecture": self.target.architecture,
            "APT::Architectures": self.target.architecture,
            "APT::Default-Release": "",
            "APT::Install-Recommends": "false",
            "Acquire::Languages": "none",
            # apt drops to its _apt user to download, who cannot write here; root does it itself then.
            "APT::Sandbox::User": getpass.getuser(),
        }
        return [arg for key, value in settings.items() for arg in ("-o", f"{key}={value}")]

    def prepare(self) -> None:
        for sub in ("state/lists/partial", "cache", "archives/partial", "empty/partial", "sources.list.d",
                    "preferences.d"):
            (self.directory / sub).mkdir(parents=True, exist_ok=True)
        (self.directory / "status").write_text("")  # nothing installed: resolve every dependency
        (self.directory / "sources.list").write_text("")
        (self.directory / "sources.list.d" / "target.sources").write_text(self.sources)

    def apt_get(self, *args: str, hint: str | None = None, quiet: bool = False, archives: Path | None = None):
        return self.runner.run(["apt-get", *self.options(archives), *args], hint=hint, quiet=quiet, timeout=1800)

    def update(self) -> None:
        self.prepare()
        self.apt_get("update", hint=f"check this machine's network (or its web proxy) and that it can reach "
                     f"{DEBIAN_MIRROR}; the keys are in {DEBIAN_KEYRING} (apt-get install debian-archive-keyring)")

    def resolve(self, packages: list[str]) -> list[Deb]:
        """Every .deb that installing `packages` on an empty machine of the target takes."""
        try:
            # apt lists only what it has not downloaded yet: so against an empty download folder.
            result = self.apt_get("install", "--print-uris", "-qq", "-y", *packages, quiet=True,
                                  archives=self.directory / "empty")
        except CommandError as e:
            missing = _NOT_FOUND.search(e.result.output)
            if missing:
                raise TljhError(
                    f"{self.target.release.name} has no package {missing.group('name')}",
                    "check the name in --plugin's tljh_extra_apt_packages, or make the bundle for another release",
                ) from e
            raise
        return [Deb(m.group("file"), int(m.group("size")))
                for m in map(_URI_LINE.match, result.stdout.splitlines()) if m]

    def download(self, packages: list[str]) -> list[Path]:
        """Resolve and download; the files, checked by apt against the release's signed lists."""
        debs = self.resolve(packages)
        self.apt_get("install", "--download-only", "-qq", "-y", *packages)
        files = [self.archives / deb.file for deb in debs]
        absent = [f.name for f in files if not f.is_file()]
        if absent:
            raise TljhError(f"apt did not download {', '.join(absent[:3])}", "run the same command again")
        return files


def control_fields(runner: Runner, deb: Path) -> str:
    """The package's own control stanza (dpkg-deb(1) --field), without its trailing newline."""
    return runner.run(["dpkg-deb", "--field", str(deb)], quiet=True).stdout.rstrip("\n")


def packages_index(runner: Runner, debs: list[Path]) -> str:
    """A flat repository's `Packages` for these files, which sit next to it (deb-packages(5) fields)."""
    stanzas = []
    for deb in sorted(debs, key=lambda path: path.name):
        digest = hashlib.sha256(deb.read_bytes()).hexdigest()
        stanzas.append(
            f"{control_fields(runner, deb)}\nFilename: ./{deb.name}\nSize: {deb.stat().st_size}\nSHA256: {digest}\n"
        )
    return "\n".join(stanzas)
