"""Throwaway test containers that boot systemd as PID 1, and the networks between them.

`Container` starts one from an image of `engine.py` with the flags verified in
/work/shared/ENVIRONMENT.md, runs commands in it (`ExecResult`,
`ContainerCommandError`), copies files in and reads the state of its systemd;
`ContainerFactory` removes the containers it started; `Network` lets containers
reach each other by name; `remove_orphaned_*` clean up after crashed runs.

Network rule: container ports are published on 127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import shlex
import subprocess
import tarfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import NamedTuple

import docker
import docker.errors

from engine import (
    HOST_CA_BUNDLE, IMAGE_REPOSITORY, LABEL, LABEL_PID, HarnessError, docker_client, image_exists, lock, tail,
)

log = logging.getLogger(__name__)

NAME_PREFIX = "tljh-lite-test-"


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
            f"--- stdout ---\n{tail(stdout)}\n--- stderr ---\n{tail(stderr)}"
        )


class ExecResult(NamedTuple):
    exit_code: int
    stdout: str
    stderr: str


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
              aliases: Sequence[str] = (), network_mode: str | None = None,
              loop_devices: bool = False) -> Container:
        """Start a container from `image`.

        memory: a docker memory limit such as "900m".
        port: a container TCP port to publish on 127.0.0.1; docker picks a free
            host port (or uses `host_port`), available afterwards as `host_port`.
        extra_ports: more container ports to publish on 127.0.0.1 (free host
            ports), found afterwards in `host_ports`.
        network: a docker network (see `Network`) to join as well, where the
            other containers reach this one by its `aliases`.
        network_mode: the only network instead of docker's default bridge: "none"
            (no network at all), or an internal `Network`'s name (no way out but
            its other containers). No port can be published then: reach the
            container with a `tunnel.ExecTunnel`.
        keep: not a test container: no test label, so test runs never remove it
            (for `try-it.sh`).
        loop_devices: the container may attach files as block devices (`mount -o
            loop`, see loopdisk.py): /dev/loop-control and every loop device.
        """
        client = docker_client()
        name = name or f"{NAME_PREFIX}{uuid.uuid4().hex[:10]}"
        kwargs = dict(_SYSTEMD_RUN_KWARGS)
        if memory:
            kwargs["mem_limit"] = memory
        if loop_devices:
            kwargs["devices"] = ["/dev/loop-control:/dev/loop-control:rwm"]
            kwargs["device_cgroup_rules"] = ["b 7:* rwm"]  # loop devices are block major 7
        published = {f"{p}/tcp": ("127.0.0.1", None) for p in extra_ports}
        if port:
            published[f"{port}/tcp"] = ("127.0.0.1", host_port)
        if published:
            kwargs["ports"] = published
        if network_mode:
            kwargs["network_mode"] = network_mode
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

    def commit(self, repository: str) -> str:
        """This container's files as a new image (paused meanwhile, so files mid-write are whole),
        labelled with this process so an orphan is removed by the next run; returns its id. (Not with
        LABEL_PID: images derived from test containers inherit that label, and they are a cache.)"""
        image = self._container.commit(repository=repository, tag=self.name, pause=True,
                                       conf={"Labels": {SNAPSHOT_PID: str(os.getpid())}})
        return image.id

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
                    f"{self.name} stopped while booting; its log:\n{tail(self.logs())}")
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
    (docker's own DNS), as machines on the internet resolve domain names.
    `internal`: no way out of it, only to its other containers (a campus network
    whose one way out is a web proxy)."""

    def __init__(self, name: str | None = None, internal: bool = False):
        self.name = name or f"{NAME_PREFIX}net-{uuid.uuid4().hex[:8]}"
        self._network = docker_client().networks.create(
            self.name, internal=internal, labels={LABEL: "1", LABEL_PID: str(os.getpid())})

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
        try:
            raw.remove(force=True, v=True)
        except (docker.errors.NotFound, docker.errors.APIError) as e:
            # The other release's session, started at the same moment, may be
            # removing the same orphan (409 "already in progress") or be done.
            if isinstance(e, docker.errors.NotFound) or e.status_code == 409:
                continue
            raise
        removed.append(raw.name)
    return removed


SNAPSHOT_PID = "tljh-lite-test.snapshot-of-pid"


def remove_orphaned_images() -> list[str]:
    """Remove images committed by test processes that no longer exist (`Container.commit`)."""
    removed = []
    for image in docker_client().images.list(filters={"label": SNAPSHOT_PID}):
        pid = image.labels.get(SNAPSHOT_PID, "")
        if pid.isdigit() and _pid_alive(int(pid)):
            continue
        try:
            docker_client().images.remove(image.id, force=True)
        except (docker.errors.NotFound, docker.errors.APIError):
            continue  # the other release's session got there first, or a container still uses it
        removed.append(image.tags[0] if image.tags else image.short_id)
    return removed


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


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
    if image_exists(client, tag):
        return tag
    with lock(f"image-{name}", timeout=1200):
        if image_exists(client, tag):
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
