"""`tljh-lite bundle create`: one file with everything an install needs, made on a connected machine.

    tljh-lite bundle create --release bookworm --out FILE [--plugin SPEC ...] [--user-requirements FILE]

The steps: build tljh-lite (and plugins given as folders) into wheels; ask
them what an install wants (wanted.py); resolve both environments for the
target and download their wheels (wheels.py); resolve and download the
Debian packages for the target (debs.py); write the manifest and the tar,
atomically. Downloads are kept in a cache, so the next bundle fetches only
what changed. docs/offline.md has the professor's side.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import os
import shutil
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Mapping

from ..errors import TljhError
from ..files import atomic_output
from ..runner import Runner
from .debs import AptState, debian_sources, packages_index
from .manifest import BOOTSTRAP, DEBS, MANIFEST, PINS, USER_REQUIREMENTS, WHEELS, Manifest
from .targets import Target
from .wheels import Tools, local_requirement, normalize, pins_of, tool_env, without_local

CHECKOUT = Path(__file__).resolve().parent.parent.parent  # when this code runs from a checkout
# What the students' environment is made with besides its packages: `uv venv --seed` puts
# pip in it (and setuptools and wheel, for Pythons before 3.12), from the bundle when offline.
SEED_PACKAGES = ["pip", "setuptools", "wheel"]


@dataclass
class BundleRequest:
    release: str
    out: Path | None = None  # default: tljh-lite-VERSION-RELEASE-ARCH.tar here
    architecture: str = "amd64"
    plugins: list[str] = field(default_factory=list)  # requirements, or folders and wheels of plugins
    user_requirements: Path | None = None
    source: Path | None = None  # a checkout of tljh-lite; default: the checkout this code runs from
    index_url: str | None = None
    cache: Path | None = None
    apt_sources: str | None = None  # deb822 text; default: deb.debian.org for the release (tests give their own)


@dataclass
class Made:
    path: Path
    manifest: Manifest
    size: int
    seconds: float
    sha256: str

    def summary(self) -> str:
        files = self.manifest.files
        wheels = sum(1 for name in files if name.startswith(f"{WHEELS}/"))
        debs = sum(1 for name in files if name.endswith(".deb"))
        return (
            f"Bundle written: {self.path}\n"
            f"    tljh-lite {self.manifest.tljh_lite}, JupyterHub {self.manifest.jupyterhub}, for "
            f"{self.manifest.distro} ({self.manifest.release}) on {self.manifest.architecture}, "
            f"Python {self.manifest.python}\n"
            f"    {self.size / 1e6:.0f} MB: {wheels} wheels, {debs} Debian packages; made in {self.seconds:.0f} s\n"
            f"    sha256 {self.sha256}  (compare it on the server: sha256sum {self.path.name})\n"
            f"Install it on the server: tar -xf {self.path.name} {BOOTSTRAP} && "
            f"sudo python3 {BOOTSTRAP} --bundle {self.path.name} --admin NAME"
        )


def default_cache(environ: Mapping[str, str]) -> Path:
    base = environ.get("XDG_CACHE_HOME") or os.path.join(environ.get("HOME") or tempfile.gettempdir(), ".cache")
    return Path(base) / "tljh-lite" / "bundle"


def source_of(request: BundleRequest) -> Path:
    """The checkout to bundle: its bootstrap goes in as it is, its package is built into a wheel."""
    source = (request.source or CHECKOUT).resolve()
    if (source / "pyproject.toml").is_file() and (source / "installer" / BOOTSTRAP).is_file():
        return source
    raise TljhError(
        f"{source} is not a checkout of tljh-lite",
        "give --source a checkout of tljh-lite (the folder with pyproject.toml and installer/bootstrap.py)",
    )


def create(request: BundleRequest, runner: Runner, environ: Mapping[str, str], say: Callable[[str], None]) -> Made:
    started = time.monotonic()

    def step(text: str) -> None:  # the installer's `==> [ 12.3s] ...` headings
        say(f"==> [{time.monotonic() - started:5.1f}s] {text}")

    target = Target.of(request.release, request.architecture)
    source = source_of(request)
    _check_paths(request)
    cache = (request.cache or default_cache(environ)).resolve()
    cache.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="work-", dir=cache))
    try:
        step(f"Making a bundle for {target.describe()}")
        with locked(cache / "tools.lock"):
            tools = Tools.ensure(cache / "tools", runner, tool_env(environ, cache, request.index_url))
        built, plugin_lines, plugin_names = _built_wheels(tools, source, request.plugins, work / "built")
        version = built[0].name.split("-")[1]

        step(f"Asking tljh-lite {version} and the plugins what an install needs")
        wanted = tools.wanted(tools.environment_with(work / "hooks", [str(built[0]), *plugin_lines]))

        step(f"Resolving both environments for Python {target.release.python} on {target.machine}")
        hub_pins, user_pins = _resolved(tools, target, work, built[0], plugin_lines, wanted, request.user_requirements)
        hub = pins_of(hub_pins.read_text())

        step("Downloading the wheels")
        wheels = _wheels(tools, target, work, (hub_pins, user_pins), built, cache / "downloads")

        step(f"Resolving and downloading the Debian packages for {target.release.name}")
        apt = AptState(cache / f"apt-{target.release.codename}-{target.architecture}", target,
                       request.apt_sources or debian_sources(target), runner)
        with locked(cache / f"{apt.directory.name}.lock"):  # another bundle of the same release may be under way
            apt.update()
            debs = apt.download(wanted["apt"])
            index = work / "Packages"
            index.write_text(packages_index(runner, debs))

        manifest = Manifest(
            tljh_lite=version, jupyterhub=hub["jupyterhub"], release=target.release.codename,
            distro=target.release.distro, architecture=target.architecture, python=target.release.python,
            created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            plugins=plugin_pins(plugin_names, hub),
            apt_packages=wanted["apt"], user_requirements=request.user_requirements is not None,
        )
        members = {BOOTSTRAP: source / "installer" / BOOTSTRAP, f"{DEBS}/Packages": index}
        members.update({f"{DEBS}/{deb.name}": deb for deb in debs})
        members.update({f"{WHEELS}/{w.name}": w for w in wheels})
        members.update({f"{PINS}/{p.name}": p for p in (hub_pins, user_pins)})
        if request.user_requirements:
            members[USER_REQUIREMENTS] = request.user_requirements
        for name, path in members.items():
            manifest.add(name, path)

        out = request.out or Path(f"tljh-lite-{version}-{target.release.codename}-{target.architecture}.tar")
        step(f"Writing {out} ({manifest.total_size() / 1e6:.0f} MB)")
        digest = write_bundle(out, manifest, members)
        return Made(out, manifest, out.stat().st_size, time.monotonic() - started, digest)
    finally:
        shutil.rmtree(work, ignore_errors=True)


@contextlib.contextmanager
def locked(path: Path):
    """One bundle at a time uses what this lock guards in the shared cache (the kernel frees it if we die)."""
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _check_paths(request: BundleRequest) -> None:
    """What was given must be there before minutes of downloads: the requirements, the folder to write to."""
    if request.user_requirements and not request.user_requirements.is_file():
        raise TljhError(f"--user-requirements {request.user_requirements} does not exist", "give a requirements.txt")
    folder = (request.out or Path("x")).resolve().parent
    if not folder.is_dir() or not os.access(folder, os.W_OK):
        raise TljhError(f"cannot write the bundle into {folder}", "give --out a file in a folder you can write to")


def _resolved(tools: Tools, target: Target, work: Path, tljh_lite_wheel: Path, plugin_lines: list[str],
              wanted: dict[str, list[str]], user_requirements: Path | None) -> tuple[Path, Path]:
    """Both environments pinned for the target: the hub's (tljh-lite, its hub extra, the plugins and their
    hub packages), then the students' with the same JupyterHub and the seed packages `uv venv --seed` takes."""
    pins = work / PINS
    pins.mkdir()
    hub_in = work / "hub.in"
    hub_in.write_text("\n".join([f"tljh-lite[hub] @ {tljh_lite_wheel.resolve().as_uri()}", *plugin_lines,
                                 *wanted["hub_pip"]]) + "\n")
    hub_pins = tools.compile(target, hub_in, pins / "hub.txt")
    user_lines = [*wanted["user_pip"], f"jupyterhub=={pins_of(hub_pins.read_text())['jupyterhub']}", *SEED_PACKAGES]
    if user_requirements:
        user_lines.append(f"-r {user_requirements.resolve()}")
    user_in = work / "user.in"
    user_in.write_text("\n".join(user_lines) + "\n")
    return hub_pins, tools.compile(target, user_in, pins / "user.txt")


def _wheels(tools: Tools, target: Target, work: Path, compiled: tuple[Path, ...], built: list[Path],
            kept: Path) -> list[Path]:
    """Every pinned wheel for the target (downloaded, or built from a pure source), and the ones built here;
    `kept`: the cache's downloads."""
    wheels = work / WHEELS
    wheels.mkdir()
    for pins in compiled:
        remote = work / f"remote-{pins.name}"
        remote.write_text(without_local(pins.read_text()))
        tools.download(target, remote, wheels, kept)
    tools.wheels_from_sources(target, wheels, work / "from-sources")
    for wheel in built:
        shutil.copy2(wheel, wheels / wheel.name)
    return sorted(wheels.glob("*.whl"))


def _built_wheels(tools: Tools, source: Path, plugins: list[str], out: Path) -> tuple[list[Path], list[str], list[str]]:
    """tljh-lite's wheel first, then the plugins given as folders or wheels; the plugins' requirement lines
    (a wheel file, or the requirement as given) and their names (name==version for those built here)."""
    built = [tools.build_wheel(source, out)]
    lines, names = [], []
    for spec in plugins:
        path = Path(spec).expanduser()
        if path.exists():
            wheel = path if path.is_file() and path.name.endswith(".whl") else tools.build_wheel(path, out)
            built.append(wheel)
            lines.append(local_requirement(wheel))
            name, version = wheel.name.split("-")[:2]  # a wheel's file name: its name (with _ for -), its version
            names.append(f"{normalize(name)}=={version}")
        else:
            lines.append(spec)
            names.append(_requirement_name(spec))
    return built, lines, names


def plugin_pins(plugins: list[str], hub_pins: dict[str, str]) -> list[str]:
    """Each plugin as `name==version`, which the install from the bundle gives the installer as --plugin:
    a plugin built here has its version in its name already, one from the index has it in the hub's pins."""
    return [plugin if "==" in plugin else f"{plugin}=={hub_pins[normalize(plugin)]}" for plugin in plugins]


def _requirement_name(spec: str) -> str:
    name = spec.strip().split(";")[0]
    for stop in "[=<>!~@ (":
        name = name.split(stop)[0]
    if not name:
        raise TljhError(f"--plugin {spec!r} is not a requirement, a folder or a wheel", "give one like tljh-some-course")
    return name


def write_bundle(out: Path, manifest: Manifest, members: dict[str, Path]) -> str:
    """The tar, manifest first, written beside `out` and renamed into place; its sha256."""
    text = manifest.to_json().encode()
    with atomic_output(out, 0o644) as raw:
        hashing = _HashingWriter(raw, hashlib.sha256())
        with tarfile.open(fileobj=hashing, mode="w|", format=tarfile.PAX_FORMAT) as tar:
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(text), int(time.time()), 0o644
            tar.addfile(info, io.BytesIO(text))
            for name, path in members.items():
                info = tar.gettarinfo(str(path), arcname=name)
                info.uid = info.gid = 0
                info.uname = info.gname = "root"
                info.mode = 0o644
                with open(path, "rb") as f:
                    tar.addfile(info, f)
    return hashing.digest.hexdigest()


class _HashingWriter:
    """A file object that hashes what goes through it (the bundle's own sha256, for the professor to compare)."""

    def __init__(self, raw, digest):
        self.raw, self.digest = raw, digest

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        return self.raw.write(data)

    def flush(self) -> None:
        self.raw.flush()
