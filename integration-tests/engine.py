"""The Docker engine the integration tests run on, and the images they start from.

The machines this project is tested on have no systemd as PID 1 and cannot pull
images, so this module

- starts a Docker engine when none answers (`ensure_dockerd`),
- builds a minimal Debian image per release with debootstrap and caches it
  (`ensure_image`), and images derived from it for the servers tests talk to
  (images derived from them: `containers.ensure_derived_image`),
- serialises all that between parallel test processes with file locks.

The containers started from these images are in `containers.py`; the hub
installed in one is in `installed.py`. No pytest dependency; `conftest.py`
wires these into fixtures.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import platform
import re
import shlex
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from pathlib import Path

import docker
import docker.errors
import requests

log = logging.getLogger(__name__)

RELEASES = ("bookworm", "trixie")
IMAGE_REPOSITORY = "tljh-lite-test"
MIRROR = "http://deb.debian.org/debian"
SECURITY_MIRROR = "http://deb.debian.org/debian-security"
DEBOOTSTRAP_INCLUDE = (
    "systemd,systemd-sysv,dbus,python3,python3-venv,ca-certificates,curl,sudo"
)
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
DOCKERD_LOG = Path("/var/log/dockerd.log")
STATE_DIR = Path("/var/tmp/tljh-lite-test")
# Written into every image so a test failure can be traced to the state of the
# Debian archive the image was built from (debootstrap takes whatever is current).
IMAGE_INFO_PATH = "/etc/tljh-lite-test-image.json"

# Units that cannot work in a container and would make `systemctl
# is-system-running` say "degraded" (or hang boot) instead of "running".
MASKED_UNITS = (
    # Loads kernel modules; fails without CAP_SYS_MODULE on the host (trixie).
    "systemd-modules-load.service",
    # No real consoles or ttys in a container.
    "getty.target",
    "console-getty.service",
    # Docker already set up /etc/hostname, /etc/hosts and the network.
    "systemd-networkd-wait-online.service",
)

# Labels let us find containers left behind by a crashed test process.
LABEL = "tljh-lite-test"
LABEL_PID = "tljh-lite-test.pid"


class HarnessError(Exception):
    """Something in the test machinery (not the product) went wrong."""


def tail(text: str, lines: int = 60) -> str:
    return "\n".join(text.splitlines()[-lines:])


def _run(cmd: Sequence[str], **kwargs) -> subprocess.CompletedProcess:
    """Run a host command, raising HarnessError with its output on failure."""
    log.debug("host: %s", shlex.join(cmd))
    kwargs.setdefault("timeout", 600)
    proc = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if proc.returncode != 0:
        raise HarnessError(
            f"host command failed (exit code {proc.returncode}): {shlex.join(cmd)}\n"
            f"--- stdout ---\n{tail(proc.stdout)}\n--- stderr ---\n{tail(proc.stderr)}"
        )
    return proc


@contextlib.contextmanager
def lock(name: str, timeout: float) -> Iterator[None]:
    """An inter-process lock, so parallel pytest runs don't race each other.

    fcntl (stdlib) rather than the filelock package keeps the harness's
    dependencies to `docker` and pytest. The kernel drops the lock when the
    holder dies, so a crashed run cannot leave it stuck.
    """
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    path = STATE_DIR / f"{name}.lock"
    deadline = time.monotonic() + timeout
    with open(path, "w") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise HarnessError(
                        f"{path} still locked by another process after {timeout:g} s"
                    ) from None
                time.sleep(1)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# --------------------------------------------------------------------------
# The Docker engine
# --------------------------------------------------------------------------

def docker_client() -> docker.DockerClient:
    return docker.from_env(timeout=120)


def _engine_answers() -> bool:
    try:
        return docker.from_env(timeout=5).ping()
    except (docker.errors.DockerException, requests.RequestException, OSError):
        return False


def ensure_dockerd(timeout: float = 60, log_path: Path = DOCKERD_LOG) -> None:
    """Make sure a Docker engine answers, starting `dockerd` if needed.

    The daemon is started in its own session so that it outlives the test
    process (the next run reuses it, like the cached images).
    """
    if _engine_answers():
        return
    with lock("dockerd", timeout=timeout + 30):
        if _engine_answers():  # another process started it meanwhile
            return
        dockerd = shutil.which("dockerd") or "/usr/sbin/dockerd"
        log.info("starting %s, log in %s", dockerd, log_path)
        with open(log_path, "ab") as logfile:
            proc = subprocess.Popen(
                [dockerd], stdin=subprocess.DEVNULL, stdout=logfile,
                stderr=subprocess.STDOUT, start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if _engine_answers():
                return
            if proc.poll() is not None:
                break
            time.sleep(0.5)
        why = (f"exited with code {proc.returncode}" if proc.poll() is not None
               else f"did not answer within {timeout:.0f} s")
        raise HarnessError(
            f"dockerd {why}; last lines of {log_path}:\n{_log_tail(log_path)}"
        )


def _log_tail(path: Path, lines: int = 30) -> str:
    try:
        return tail(path.read_text(errors="replace"), lines)
    except OSError as e:
        return f"(cannot read {path}: {e})"


# --------------------------------------------------------------------------
# Images
# --------------------------------------------------------------------------

def image_tag(release: str) -> str:
    return f"{IMAGE_REPOSITORY}:{release}"


def ensure_image(release: str, *, rebuild: bool = False) -> str:
    """Return the tag of the test image for `release`, building it if missing."""
    if release not in RELEASES:
        raise ValueError(f"unknown release {release!r}; expected one of {RELEASES}")
    tag = image_tag(release)
    client = docker_client()
    if not rebuild and image_exists(client, tag):
        return tag
    # debootstrap takes one to two minutes; a waiting process gets the result.
    with lock(f"image-{release}", timeout=1200):
        if not rebuild and image_exists(client, tag):
            return tag
        _build_image(release, tag)
    return tag


def image_exists(client: docker.DockerClient, tag: str) -> bool:
    try:
        client.images.get(tag)
        return True
    except docker.errors.ImageNotFound:
        return False


def _build_image(release: str, tag: str) -> None:
    workdir = Path(tempfile.mkdtemp(prefix=f"tljh-lite-test-{release}-", dir="/var/tmp"))
    try:
        rootfs = workdir / "rootfs"
        started = datetime.now(timezone.utc)
        t0 = time.monotonic()
        log.info("debootstrap %s into %s", release, rootfs)
        _run(["debootstrap", "--variant=minbase", f"--include={DEBOOTSTRAP_INCLUDE}",
              release, str(rootfs), MIRROR], timeout=1200)
        info = {
            "release": release,
            "mirror": MIRROR,
            "include": DEBOOTSTRAP_INCLUDE,
            "debootstrap_started_utc": started.isoformat(timespec="seconds"),
            "debootstrap_seconds": round(time.monotonic() - t0, 1),
            "debootstrap_version": _debootstrap_version(),
            "built_on": platform.node(),
        }
        _customise_rootfs(rootfs, release, info)
        t1 = time.monotonic()
        _import_rootfs(rootfs, tag, info)
        info["import_seconds"] = round(time.monotonic() - t1, 1)
        log.info("built %s: %s", tag, json.dumps(info))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _debootstrap_version() -> str:
    proc = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "debootstrap"],
                          capture_output=True, text=True)
    return proc.stdout.strip() or "unknown"


def _customise_rootfs(rootfs: Path, release: str, info: dict) -> None:
    _write_apt_sources(rootfs, release)
    for unit in MASKED_UNITS:
        target = rootfs / "etc/systemd/system" / unit
        target.unlink(missing_ok=True)
        target.symlink_to("/dev/null")
    # An empty machine-id makes systemd generate a fresh one per container
    # instead of every container sharing the one debootstrap wrote.
    (rootfs / "etc/machine-id").write_text("")
    (rootfs / "etc/hostname").write_text("tljh-lite-test\n")
    _install_host_ca(rootfs)
    # Downloaded .debs and apt lists only make the image bigger.
    for cached in (rootfs / "var/cache/apt/archives").glob("*.deb"):
        cached.unlink()
    (rootfs / IMAGE_INFO_PATH.lstrip("/")).write_text(json.dumps(info, indent=2) + "\n")


def _write_apt_sources(rootfs: Path, release: str) -> None:
    """Point apt at deb.debian.org (main, updates, security) for `release`.

    bookworm's debootstrap writes a one-line /etc/apt/sources.list for every
    release; trixie's own convention is the deb822 file debian.sources, which is
    what a real trixie server has, so use that there.
    """
    legacy = rootfs / "etc/apt/sources.list"
    deb822 = rootfs / "etc/apt/sources.list.d/debian.sources"
    if release == "bookworm":
        deb822.unlink(missing_ok=True)
        legacy.write_text(
            f"deb {MIRROR} {release} main\n"
            f"deb {MIRROR} {release}-updates main\n"
            f"deb {SECURITY_MIRROR} {release}-security main\n"
        )
    else:
        legacy.unlink(missing_ok=True)
        deb822.parent.mkdir(parents=True, exist_ok=True)
        keyring = "/usr/share/keyrings/debian-archive-keyring.gpg"
        deb822.write_text(
            f"Types: deb\nURIs: {MIRROR}\nSuites: {release} {release}-updates\n"
            f"Components: main\nSigned-By: {keyring}\n\n"
            f"Types: deb\nURIs: {SECURITY_MIRROR}\nSuites: {release}-security\n"
            f"Components: main\nSigned-By: {keyring}\n"
        )


_PEM_RE = re.compile(
    r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.DOTALL
)


def _install_host_ca(rootfs: Path) -> None:
    """Make the container trust what the host trusts (the TLS proxy's CA).

    The host bundle is copied over the image's bundle. The certificates that
    only the host has are also installed as local CAs, so they survive any
    later `update-ca-certificates` run inside the container (e.g. when a
    package upgrade triggers it).
    """
    host_pems = _PEM_RE.findall(HOST_CA_BUNDLE.read_text())
    image_bundle = rootfs / "etc/ssl/certs/ca-certificates.crt"
    image_pems = set(_PEM_RE.findall(image_bundle.read_text()))
    local = rootfs / "usr/local/share/ca-certificates"
    local.mkdir(parents=True, exist_ok=True)
    for i, pem in enumerate(p for p in host_pems if p not in image_pems):
        (local / f"tljh-lite-test-host-{i}.crt").write_text(pem + "\n")
    shutil.copyfile(HOST_CA_BUNDLE, image_bundle)


def _import_rootfs(rootfs: Path, tag: str, info: dict) -> None:
    changes = [
        # systemd reads this to know it runs in a container.
        "ENV container=docker",
        'CMD ["/lib/systemd/systemd"]',
        f"LABEL {LABEL}.release={info['release']}",
        f"LABEL {LABEL}.debootstrap-started={info['debootstrap_started_utc']}",
    ]
    import_cmd = ["docker", "import"]
    for change in changes:
        import_cmd += ["--change", change]
    import_cmd += ["-", tag]
    log.debug("host: tar -C %s -c . | %s", rootfs, shlex.join(import_cmd))
    tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        imp = subprocess.run(import_cmd, stdin=tar.stdout, capture_output=True,
                             text=True, timeout=600)
    finally:
        tar.stdout.close()
        tar_err = tar.stderr.read().decode(errors="replace")
        tar.wait(timeout=60)
    if tar.returncode != 0 or imp.returncode != 0:
        raise HarnessError(
            f"importing {rootfs} as {tag} failed (tar exit {tar.returncode}, "
            f"docker import exit {imp.returncode}):\n{tail(tar_err)}\n"
            f"{tail(imp.stdout)}\n{tail(imp.stderr)}"
        )

