"""A hub installed the way a professor installs it: bootstrap piped into `sudo python3 -`."""

from __future__ import annotations

import subprocess
import tarfile
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import docker
import requests

from containers import Container, ContainerFactory, ExecResult
from engine import docker_client
from hubclient import HubClient, wait_for_hub

CHECKOUT = Path(__file__).resolve().parent.parent
SOURCE_IN_CONTAINER = "/srv/tljh-lite"
ADMIN = "prof"
ADMIN_PASSWORD = "correct:horse:battery"  # ':' inside on purpose
INSTALL_MEMORY = "900m"  # the install must fit a 1 GB VM
SNAPSHOT_REPOSITORY = "tljh-lite-test-installed"


def copy_checkout(container: Container, dest: str = SOURCE_IN_CONTAINER) -> None:
    """The checkout under test (tracked and new files, nothing ignored) into the container."""
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=CHECKOUT, capture_output=True, check=True,
    ).stdout.decode().split("\0")
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "tljh-lite"
        with tarfile.open(Path(tmp) / "src.tar", "w") as tar:
            for name in filter(None, files):
                if (CHECKOUT / name).exists():
                    tar.add(CHECKOUT / name, arcname=name)
        tree.mkdir()
        with tarfile.open(Path(tmp) / "src.tar") as tar:
            tar.extractall(tree, filter="data")
        container.copy_in(tree, dest)


def bootstrap_command(*args: str, sudo: str = "sudo") -> str:
    """What the README tells a professor to run, with the checkout as the source (`sudo -E` behind a proxy)."""
    # umask 027 (a common hardening): whatever the caller's umask, students' servers must start.
    return f"umask 027; cat {SOURCE_IN_CONTAINER}/installer/bootstrap.py | {sudo} python3 - --source {SOURCE_IN_CONTAINER} " + " ".join(
        f"'{a}'" for a in args
    )


@dataclass
class InstalledHub:
    container: Container
    install_output: str
    install_seconds: float
    progress_page_seen: bool = False
    snapshot: "Snapshot | None" = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.container.host_port}/"

    def client(self) -> HubClient:
        return HubClient(self.url)

    def admin(self) -> HubClient:
        client = self.client()
        assert client.login(ADMIN, ADMIN_PASSWORD)
        return client

    def logged_in(self, name: str, password: str) -> HubClient:
        """A client logged in through the login form as `name` (the test fails if she cannot)."""
        client = self.client()
        assert client.login(name, password), f"{name} could not log in"
        return client

    def sh(self, command: str, **kwargs) -> ExecResult:
        return self.container.exec(command, **kwargs)

    def tljh_config(self, *args: str, check: bool = True) -> ExecResult:
        return self.container.exec(["tljh-config", *args], check=check, timeout=180)

    def bootstrap(self, *args: str, check: bool = True, env: dict[str, str] | None = None,
                  sudo: str = "sudo") -> tuple[ExecResult, float]:
        start = time.monotonic()
        result = self.container.exec(bootstrap_command(*args, sudo=sudo), check=check, timeout=900, env=env)
        return result, time.monotonic() - start

    def unit_property(self, unit: str, name: str) -> str:
        return self.sh(f"systemctl show --value -p {name} {unit}").stdout.strip()


def install(
    factory: ContainerFactory, image: str, memory: str | None = INSTALL_MEMORY, extra_args: list[str] = (),
    **container_options,
) -> InstalledHub:
    """A fresh container, then bootstrap; `container_options` go to `Container.start` (network, extra_ports...)."""
    container = factory.start(image, memory=memory, port=80, **container_options)
    container.wait_for_systemd()
    copy_checkout(container)
    hub = InstalledHub(container, "", 0.0)
    with ProgressPageWatcher(hub.url) as watcher:
        result, seconds = hub.bootstrap("--admin", f"{ADMIN}:{ADMIN_PASSWORD}", *extra_args)
    hub.install_output, hub.install_seconds = result.stdout + result.stderr, seconds
    hub.progress_page_seen = watcher.seen
    return hub


@dataclass
class Snapshot:
    """A hub's files right after its install, as an image: another machine just installed in the time a
    container takes to boot, not an install's minute or two (CI runs both releases on 2 cores)."""
    image: str
    memory: str | None
    install_output: str
    install_seconds: float

    @classmethod
    def of(cls, hub: InstalledHub, memory: str | None = INSTALL_MEMORY) -> "Snapshot":
        return cls(hub.container.commit(SNAPSHOT_REPOSITORY), memory, hub.install_output, hub.install_seconds)

    def start(self, factory: ContainerFactory, **container_options) -> InstalledHub:
        """A new container of these files; returns when its systemd has booted and its hub answers."""
        container = factory.start(self.image, memory=self.memory, port=80, **container_options)
        hub = InstalledHub(container, self.install_output, self.install_seconds)
        try:
            container.wait_for_systemd(timeout=180)
            wait_for_hub(hub.url, timeout=180)
        except BaseException:
            container.remove()
            raise
        return hub

    def remove(self) -> None:
        try:
            docker_client().images.remove(self.image, force=True)
        except docker.errors.APIError:
            pass  # still used, or gone: the next run removes an orphan (containers.remove_orphaned_images)


class ProgressPageWatcher:
    """Polls port 80 during an install, as a professor refreshing the page would."""

    def __init__(self, url: str):
        self.url, self.seen, self._stop = url, False, threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self) -> "ProgressPageWatcher":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _poll(self) -> None:
        while not self._stop.wait(0.3):
            try:
                if "JupyterHub is being installed" in requests.get(self.url, timeout=2).text:
                    self.seen = True
            except requests.RequestException:
                pass
