"""Run the real installer in throwaway systemd containers.

The machines this project is tested on have no systemd as PID 1 and cannot pull
images, so this module

- starts a Docker engine when none answers (`ensure_dockerd`),
- builds a minimal Debian image per release with debootstrap and caches it
  (`ensure_image`),
- starts containers that boot systemd as PID 1 with the flags verified in
  /work/shared/ENVIRONMENT.md (`Container`), and removes them afterwards.

It has no pytest dependency; `conftest.py` wires it into fixtures.

Network rule: container ports are published on 127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import json
import logging
import os
import platform
import re
import shlex
import shutil
import subprocess
import tarfile
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import NamedTuple

import docker
import docker.errors
import requests

log = logging.getLogger(__name__)

RELEASES = ("bookworm", "trixie")
IMAGE_REPOSITORY = "tljh-lite-test"
NAME_PREFIX = "tljh-lite-test-"
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


class ContainerCommandError(HarnessError):
    """A command run with `Container.exec` failed; carries its output."""

    def __init__(self, container: str, cmd: Sequence[str], exit_code: int,
                 stdout: str, stderr: str, reason: str = "failed"):
        self.container = container
        self.cmd = list(cmd)
        self.exit_code = exit_code
        self.stdout = stdout
        self.stderr = stderr
        super().__init__(
            f"command {reason} in {container} (exit code {exit_code}): "
            f"{shlex.join(self.cmd)}\n"
            f"--- stdout ---\n{_tail(stdout)}\n--- stderr ---\n{_tail(stderr)}"
        )


class ExecResult(NamedTuple):
    exit_code: int
    stdout: str
    stderr: str


def _tail(text: str, lines: int = 60) -> str:
    return "\n".join(text.splitlines()[-lines:])


def _run(cmd: Sequence[str], **kwargs) -> subprocess.CompletedProcess:
    """Run a host command, raising HarnessError with its output on failure."""
    log.debug("host: %s", shlex.join(cmd))
    kwargs.setdefault("timeout", 600)
    proc = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if proc.returncode != 0:
        raise HarnessError(
            f"host command failed (exit code {proc.returncode}): {shlex.join(cmd)}\n"
            f"--- stdout ---\n{_tail(proc.stdout)}\n--- stderr ---\n{_tail(proc.stderr)}"
        )
    return proc


@contextlib.contextmanager
def _lock(name: str, timeout: float) -> Iterator[None]:
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
    with _lock("dockerd", timeout=timeout + 30):
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
        return _tail(path.read_text(errors="replace"), lines)
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
    if not rebuild and _image_exists(client, tag):
        return tag
    # debootstrap takes one to two minutes; a waiting process gets the result.
    with _lock(f"image-{release}", timeout=1200):
        if not rebuild and _image_exists(client, tag):
            return tag
        _build_image(release, tag)
    return tag


def _image_exists(client: docker.DockerClient, tag: str) -> bool:
    try:
        client.images.get(tag)
        return True
    except docker.errors.ImageNotFound:
        return False


def ensure_derived_image(name: str, base: str, script: str,
                         files: dict[str, Path] | None = None) -> str:
    """An image made from `base` by running `script` (sh) in it, cached like the test images.

    `files` maps container paths to host files or directories copied in before
    the script runs. The tag is a hash of the base image's id, the script and
    the files, so a changed recipe (or a rebuilt base) builds anew, and an
    unchanged one costs nothing; the older builds of `name` are then removed.
    For the servers tests talk to (LDAP, OpenID Connect): apt and npm run once,
    not at every test run. Give each base its own `name` ("slapd-bookworm").
    """
    client = docker_client()
    digest = hashlib.sha256(client.images.get(base).id.encode() + b"\0" + script.encode())
    for dest, source in sorted((files or {}).items()):
        paths = sorted(p for p in [source, *source.rglob("*")] if p.is_file()) if source.is_dir() else [source]
        for path in paths:
            digest.update(f"\0{dest}\0{path.relative_to(source.parent)}\0".encode() + path.read_bytes())
    tag = f"{IMAGE_REPOSITORY}-{name}:{digest.hexdigest()[:16]}"
    if _image_exists(client, tag):
        return tag
    with _lock(f"image-{name}", timeout=1200):
        if _image_exists(client, tag):
            return tag
        log.info("building %s from %s", tag, base)
        with Container.start(base, systemd=False) as container:
            for dest, source in (files or {}).items():
                container.copy_in(source, dest)
            container.exec(script, timeout=1200)
            repository, _, version = tag.partition(":")
            container._container.commit(repository=repository, tag=version,
                                        changes=[f"LABEL {LABEL}.derived={name}"])
        for older in client.images.list(name=repository):
            if tag not in older.tags:
                with contextlib.suppress(docker.errors.APIError):  # still used by a container
                    client.images.remove(older.id)
    return tag


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
            f"docker import exit {imp.returncode}):\n{_tail(tar_err)}\n"
            f"{_tail(imp.stdout)}\n{_tail(imp.stderr)}"
        )


# --------------------------------------------------------------------------
# Containers
# --------------------------------------------------------------------------

# Verified in ENVIRONMENT.md: --privileged fails here (CAP_SYS_RESOURCE is not
# in the bounding set), these flags run systemd as PID 1.
_SYSTEMD_RUN_KWARGS = dict(
    cap_add=["ALL"],
    cap_drop=["SYS_RESOURCE"],
    security_opt=["seccomp=unconfined", "apparmor=unconfined"],
    cgroupns="host",
    volumes={"/sys/fs/cgroup": {"bind": "/sys/fs/cgroup", "mode": "rw"}},
    tmpfs={"/run": "", "/run/lock": ""},
)


class Container:
    """A running test container; always `remove()` it (or use `with`).

    With `systemd=False` the container runs `sleep infinity` as PID 1 (same
    flags otherwise), for testing what the installer does on a host without
    systemd.
    """

    def __init__(self, container, *, systemd: bool, host_port: int | None):
        self._container = container
        self.name: str = container.name
        self.id: str = container.id
        self.systemd = systemd
        self.host_port = host_port
        self.host_ports: dict[int, int] = {}  # container port -> host port on 127.0.0.1
        self.removed = False

    @classmethod
    def start(cls, image: str, *, systemd: bool = True, memory: str | None = None,
              port: int | None = None, name: str | None = None,
              ca_bundle: Path | None = HOST_CA_BUNDLE, host_port: int | None = None,
              keep: bool = False, extra_ports: Sequence[int] = (), network: str | None = None,
              aliases: Sequence[str] = ()) -> Container:
        """Start a container from `image`.

        memory: a docker memory limit such as "900m".
        port: a container TCP port to publish on 127.0.0.1; docker picks a free
            host port (or uses `host_port`), available afterwards as `host_port`.
        extra_ports: more container ports to publish on 127.0.0.1 (free host
            ports), found afterwards in `host_ports`.
        network: a docker network (see `Network`) to join as well, where the
            other containers reach this one by its `aliases`.
        keep: not a test container: no test label, so test runs never remove it
            (for `try-it.sh`).
        """
        client = docker_client()
        name = name or f"{NAME_PREFIX}{uuid.uuid4().hex[:10]}"
        kwargs = dict(_SYSTEMD_RUN_KWARGS)
        if memory:
            kwargs["mem_limit"] = memory
        published = {f"{p}/tcp": ("127.0.0.1", None) for p in extra_ports}
        if port:
            published[f"{port}/tcp"] = ("127.0.0.1", host_port)
        if published:
            kwargs["ports"] = published
        command = ["/lib/systemd/systemd"] if systemd else ["sleep", "infinity"]
        log.info("starting container %s from %s", name, image)
        raw = client.containers.run(
            image, command, name=name, hostname=name[:63], detach=True,
            labels={} if keep else {LABEL: "1", LABEL_PID: str(os.getpid())}, **kwargs,
        )
        container = cls(raw, systemd=systemd, host_port=None)
        try:
            if network:
                client.networks.get(network).connect(raw, aliases=list(aliases))
            raw.reload()
            for spec in published:
                container.host_ports[int(spec.split("/")[0])] = int(
                    raw.attrs["NetworkSettings"]["Ports"][spec][0]["HostPort"])
            if port:
                container.host_port = container.host_ports[port]
            if ca_bundle:
                container.copy_in(ca_bundle, "/etc/ssl/certs/ca-certificates.crt")
            if systemd:
                # On a machine systemd makes every mount shared at boot; in a container it
                # leaves that to the container manager, which docker does not do. Without it
                # the mounts systemd makes for a unit in a namespace of its own never reach the
                # unit (LoadCredential= gives the proxy an empty directory).
                container.exec(["mount", "--make-rshared", "/"])
        except BaseException:
            container.remove()
            raise
        return container

    def __enter__(self) -> Container:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()

    def __repr__(self) -> str:
        return f"<Container {self.name}>"

    def remove(self) -> None:
        """Kill and delete the container with its anonymous volumes; idempotent."""
        if self.removed:
            return
        try:
            self._container.remove(force=True, v=True)
        except docker.errors.NotFound:
            pass
        self.removed = True

    def is_running(self) -> bool:
        try:
            self._container.reload()
        except docker.errors.NotFound:
            return False
        return self._container.status == "running"

    def logs(self) -> str:
        return self._container.logs().decode(errors="replace")

    # -- commands ---------------------------------------------------------

    def exec(self, cmd: str | Sequence[str], *, user: str | None = None,
             input: str | None = None, check: bool = True, timeout: float = 300,
             env: dict[str, str] | None = None,
             workdir: str | None = None) -> ExecResult:
        """Run `cmd` in the container; a string runs through `sh -c`.

        The command is wrapped in coreutils `timeout`, so a hung command is
        killed inside the container too, not only the `docker exec` client.
        Raises ContainerCommandError on a non-zero exit (with `check`) or a
        timeout (always).
        """
        __tracebackhide__ = True  # pytest: show the caller, not this function
        argv = ["sh", "-c", cmd] if isinstance(cmd, str) else list(cmd)
        docker_cmd = ["docker", "exec", "-i"]
        if user:
            docker_cmd += ["--user", user]
        if workdir:
            docker_cmd += ["--workdir", workdir]
        for key, value in (env or {}).items():
            docker_cmd += ["--env", f"{key}={value}"]
        docker_cmd += [self.name, "timeout", "--kill-after=5", f"{timeout:g}", *argv]
        log.debug("%s: %s", self.name, shlex.join(argv))
        started = time.monotonic()
        try:
            proc = subprocess.run(docker_cmd, input=input or "", capture_output=True,
                                  text=True, errors="replace", timeout=timeout + 30)
        except subprocess.TimeoutExpired as e:
            raise ContainerCommandError(
                self.name, argv, -1, _text(e.stdout), _text(e.stderr),
                reason=f"did not finish within {timeout:g} s") from None
        # `timeout` exits 124 (137 after SIGKILL); the elapsed time tells that
        # apart from a command that exits 124 by itself.
        if (proc.returncode in (124, 137)
                and time.monotonic() - started >= timeout):
            raise ContainerCommandError(self.name, argv, proc.returncode, proc.stdout,
                                        proc.stderr,
                                        reason=f"timed out after {timeout:g} s")
        if check and proc.returncode != 0:
            raise ContainerCommandError(self.name, argv, proc.returncode,
                                        proc.stdout, proc.stderr)
        return ExecResult(proc.returncode, proc.stdout, proc.stderr)

    def copy_in(self, host_path: str | os.PathLike, container_path: str) -> None:
        """Copy a file or directory tree to `container_path`, owned by root.

        A file becomes the file `container_path`; a directory's contents go
        into the directory `container_path` (created if missing).
        """
        host_path = Path(host_path)
        dest = Path(container_path)
        if not host_path.exists():
            raise HarnessError(f"cannot copy {host_path} into {self.name}: no such path")
        self.exec(["mkdir", "-p", str(dest.parent)])

        def as_root(info: tarfile.TarInfo) -> tarfile.TarInfo:
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            return info

        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            tar.add(host_path, arcname=dest.name, filter=as_root)
        if not self._container.put_archive(str(dest.parent), buf.getvalue()):
            raise HarnessError(f"copying {host_path} to {self.name}:{dest} failed")

    def write_file(self, container_path: str, content: str, mode: int = 0o644) -> None:
        """Create or replace a file in the container, owned by root."""
        dest = Path(container_path)
        self.exec(["mkdir", "-p", str(dest.parent)])
        data = content.encode()
        info = tarfile.TarInfo(dest.name)
        info.size, info.mode, info.mtime = len(data), mode, int(time.time())
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            tar.addfile(info, io.BytesIO(data))
        if not self._container.put_archive(str(dest.parent), buf.getvalue()):
            raise HarnessError(f"writing {self.name}:{dest} failed")

    def read_file(self, container_path: str) -> str:
        return self.exec(["cat", container_path]).stdout

    # -- systemd ----------------------------------------------------------

    def wait_for_systemd(self, timeout: float = 60, *,
                         allow_degraded: bool = False) -> str:
        """Wait until systemd finished booting; return the system state.

        "running" returns at once. "degraded" (boot finished but units failed)
        raises with the failed units, unless `allow_degraded`.
        """
        if not self.systemd:
            raise HarnessError(f"{self.name} was started without systemd")
        deadline = time.monotonic() + timeout
        state = "(no answer)"
        while time.monotonic() < deadline:
            if not self.is_running():
                raise HarnessError(
                    f"{self.name} stopped while booting; its log:\n{_tail(self.logs())}")
            result = self.exec(["systemctl", "is-system-running"], check=False,
                               timeout=10)
            state = result.stdout.strip() or result.stderr.strip()
            if state == "running" or (state == "degraded" and allow_degraded):
                return state
            if state == "degraded":
                break
            time.sleep(0.5)
        failed = self.exec(["systemctl", "--failed", "--no-pager"], check=False,
                           timeout=20)
        jobs = self.exec(["systemctl", "list-jobs", "--no-pager"], check=False,
                         timeout=20)
        raise HarnessError(
            f"systemd in {self.name} is {state!r}, not 'running' "
            f"(waited up to {timeout:g} s)\n--- systemctl --failed ---\n"
            f"{failed.stdout}{failed.stderr}\n--- systemctl list-jobs ---\n"
            f"{jobs.stdout}{jobs.stderr}"
        )

    def memory_limit(self) -> int | None:
        """The memory limit (bytes) that applies to PID 1, read from inside.

        systemd moves itself into `init.scope` below the container's cgroup,
        and docker's limit sits on the container's cgroup, so this takes the
        smallest limit along the path up to the root. Handles cgroup v1
        (memory.limit_in_bytes; hybrid hosts like this one) and v2
        (memory.max). None means unlimited.
        """
        cgroups = self.read_file("/proc/1/cgroup").splitlines()
        v1 = [line.split(":", 2)[2] for line in cgroups
              if "memory" in line.split(":", 2)[1].split(",")]
        if v1:
            base, path, filename = "/sys/fs/cgroup/memory", v1[0], "memory.limit_in_bytes"
        else:
            v2 = [line[3:] for line in cgroups if line.startswith("0::")]
            if not v2:
                raise HarnessError(f"no memory cgroup in {self.name}: {cgroups}")
            base, path, filename = "/sys/fs/cgroup", v2[0], "memory.max"
        limits = []
        current = PurePosixPath(path)
        for directory in (current, *current.parents):
            result = self.exec(["cat", f"{base}{directory}/{filename}".replace("//", "/")],
                               check=False)
            value = result.stdout.strip()
            # v1 says "unlimited" with a huge page-rounded number, v2 with "max".
            if result.exit_code == 0 and value.isdigit() and int(value) < 2**62:
                limits.append(int(value))
        return min(limits, default=None)

    def diagnostics(self) -> str:
        """Status and recent journal of the hub's units, for failed tests."""
        if self.removed or not self.is_running():
            return f"{self.name}: container is gone, no diagnostics"
        if not self.systemd:
            return f"{self.name}: started without systemd, no units to show"
        units = ["jupyterhub.service", "configurable-http-proxy.service", "tljh-http.service",
                 "tljh-https-renew.service"]
        listed = self.exec(
            ["systemctl", "list-units", "--all", "--plain", "--no-legend",
             "--no-pager", "jupyter-*"], check=False, timeout=30)
        units += [line.split()[0] for line in listed.stdout.splitlines() if line.strip()]
        commands = [
            ["systemctl", "is-system-running"],
            ["systemctl", "--failed", "--no-pager"],
            ["systemctl", "status", "--no-pager", "--full", *units],
            ["journalctl", "--no-pager", "-n", "200",
             *[arg for unit in units for arg in ("-u", unit)]],
        ]
        parts = []
        for cmd in commands:
            result = self.exec(cmd, check=False, timeout=30)
            parts.append(f"$ {shlex.join(cmd)}  (exit {result.exit_code})\n"
                         f"{result.stdout}{result.stderr}")
        return f"==== diagnostics of {self.name} ====\n" + "\n".join(parts)


def _text(data: str | bytes | None) -> str:
    if isinstance(data, bytes):
        return data.decode(errors="replace")
    return data or ""


@dataclass
class ContainerFactory:
    """Starts containers and remembers them, so they can all be removed."""

    containers: list[Container] = field(default_factory=list)

    def start(self, image: str, **kwargs) -> Container:
        container = Container.start(image, **kwargs)
        self.containers.append(container)
        return container

    def live(self) -> Iterator[Container]:
        return (c for c in self.containers if not c.removed)

    def remove_all(self) -> None:
        errors = []
        for container in self.containers:
            try:
                container.remove()
            except docker.errors.DockerException as e:
                errors.append(f"{container.name}: {e}")
        if errors:
            raise HarnessError("could not remove containers:\n" + "\n".join(errors))


class Network:
    """A user-defined docker network: its containers resolve each other's aliases
    (docker's own DNS), as machines on the internet resolve domain names."""

    def __init__(self, name: str | None = None):
        self.name = name or f"{NAME_PREFIX}net-{uuid.uuid4().hex[:8]}"
        self._network = docker_client().networks.create(
            self.name, labels={LABEL: "1", LABEL_PID: str(os.getpid())})

    def remove(self) -> None:
        try:
            self._network.remove()
        except docker.errors.NotFound:
            pass

    def connect(self, container: Container, aliases: Sequence[str] = ()) -> None:
        """Join a running container to this network (e.g. the session's hub), reachable by `aliases`."""
        self._network.connect(container.id, aliases=list(aliases))

    def disconnect(self, container: Container) -> None:
        """Take a container off this network again; its other networks stay as they were."""
        try:
            self._network.disconnect(container.id, force=True)
        except docker.errors.NotFound:
            pass

    def address_of(self, container: Container) -> str:
        """The container's IP address on this network."""
        self._network.reload()
        return self._network.attrs["Containers"][container.id]["IPv4Address"].split("/")[0]


def remove_orphaned_networks() -> list[str]:
    """Networks of test processes that no longer exist (after their containers are gone)."""
    removed = []
    for network in docker_client().networks.list(filters={"label": LABEL}):
        pid = network.attrs.get("Labels", {}).get(LABEL_PID, "")
        if pid.isdigit() and _pid_alive(int(pid)):
            continue
        try:
            network.remove()
            removed.append(network.name)
        except docker.errors.APIError:
            pass
    return removed


def remove_orphaned_containers() -> list[str]:
    """Remove test containers whose creating process no longer exists.

    A test process killed hard (SIGKILL, OOM) cannot remove its containers;
    the next run cleans up. Containers of live processes are left alone so
    that parallel runs do not interfere.
    """
    removed = []
    client = docker_client()
    for raw in client.containers.list(all=True, filters={"label": LABEL}):
        pid = raw.labels.get(LABEL_PID, "")
        if pid.isdigit() and _pid_alive(int(pid)):
            continue
        raw.remove(force=True, v=True)
        removed.append(raw.name)
    return removed


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
