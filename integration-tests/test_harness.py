"""Smoke tests: the containers behave like the servers the installer targets."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest

from containers import Container, ContainerCommandError, ContainerFactory, ExecResult
from engine import IMAGE_INFO_PATH


@pytest.fixture
def booted(containers: ContainerFactory, image: str) -> Container:
    container = containers.start(image)
    container.wait_for_systemd(timeout=90)
    return container


def test_systemd_is_pid1_and_running(booted: Container):
    assert booted.read_file("/proc/1/comm").strip() == "systemd"
    result = booted.exec(["systemctl", "is-system-running"], check=False)
    assert result.stdout.strip() == "running", booted.diagnostics()


def test_image_records_how_it_was_built(booted: Container, release: str):
    info = json.loads(booted.read_file(IMAGE_INFO_PATH))
    assert info["release"] == release
    assert info["debootstrap_started_utc"]
    assert booted.read_file("/etc/os-release").count(release) >= 1


def test_memory_limit_is_visible_inside(containers, image):
    container = containers.start(image, memory="900m")
    container.wait_for_systemd(timeout=90)
    assert container.memory_limit() == 900 * 2**20


def test_memorymax_of_a_unit_is_set_and_enforced(booted: Container):
    booted.exec(["systemd-run", "--unit=harness-probe", "-p", "MemoryMax=256M",
                 "sleep", "300"])
    shown = booted.exec(["systemctl", "show", "-p", "MemoryMax", "harness-probe"])
    assert shown.stdout.strip() == "MemoryMax=268435456"

    def allocate(mib: int) -> ExecResult:
        # bytes * n writes every page, so the memory is really charged.
        return booted.exec(
            ["systemd-run", "--wait", "-p", "MemoryMax=256M",
             "python3", "-c", f"b = b'x' * ({mib} * 2**20)"],
            check=False, timeout=60)

    assert allocate(64).exit_code == 0
    killed = allocate(400)
    # cgroup v1 (this host) reports the OOM kill as result "signal", SIGKILL;
    # v2 would say "oom-kill".
    assert killed.exit_code != 0 and "KILL" in killed.stderr, killed


def test_https_to_pypi_works_inside(booted: Container):
    booted.exec(["python3", "-c", "import urllib.request; "
                 "urllib.request.urlopen('https://pypi.org/simple/pip/', timeout=30)"],
                timeout=60)


def test_proxy_ca_survives_update_ca_certificates(booted: Container):
    booted.exec(["update-ca-certificates", "--fresh"], timeout=120)
    booted.exec(["curl", "-fsS", "-o", "/dev/null", "https://pypi.org/simple/pip/"],
                timeout=60)


def test_apt_get_update_works_inside(booted: Container):
    result = booted.exec(["apt-get", "update"], timeout=300)
    assert "Err:" not in result.stdout


def test_container_without_systemd(containers, image):
    container = containers.start(image, systemd=False)
    assert container.read_file("/proc/1/comm").strip() == "sleep"
    result = container.exec(["systemctl", "is-system-running"], check=False)
    assert result.exit_code != 0
    assert container.exec(["test", "-d", "/run/systemd/system"],
                          check=False).exit_code != 0


def test_published_port_on_loopback(containers, image):
    container = containers.start(image, port=8000)
    container.wait_for_systemd(timeout=90)
    container.write_file("/srv/probe/name.txt", container.name)
    container.exec(["systemd-run", "--unit=harness-http", "--working-directory=/srv/probe",
                    "python3", "-m", "http.server", "8000"])
    url = f"http://127.0.0.1:{container.host_port}/name.txt"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                assert response.read().decode() == container.name
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    ports = container._container.attrs["NetworkSettings"]["Ports"]["8000/tcp"]
    assert {p["HostIp"] for p in ports} == {"127.0.0.1"}


def test_exec_copy_and_errors(booted: Container, tmp_path):
    (tmp_path / "tree/sub").mkdir(parents=True)
    (tmp_path / "tree/sub/a.txt").write_text("hello\n")
    booted.copy_in(tmp_path / "tree", "/opt/copied")
    assert booted.read_file("/opt/copied/sub/a.txt") == "hello\n"
    assert booted.exec(["stat", "-c", "%U", "/opt/copied/sub/a.txt"]).stdout == "root\n"

    booted.write_file("/etc/probe/conf.yaml", "x: 1\n", mode=0o600)
    assert booted.exec(["stat", "-c", "%a", "/etc/probe/conf.yaml"]).stdout == "600\n"

    assert booted.exec("cat", input="piped").stdout == "piped"
    assert booted.exec(["id", "-un"], user="nobody").stdout == "nobody\n"

    with pytest.raises(ContainerCommandError) as failed:
        booted.exec("echo to-stdout; echo to-stderr >&2; exit 3")
    message = str(failed.value)
    assert failed.value.exit_code == 3
    assert "to-stdout" in message and "to-stderr" in message and "exit 3" in message

    with pytest.raises(ContainerCommandError, match="timed out"):
        booted.exec(["sleep", "30"], timeout=1)


def test_diagnostics_and_removal(containers, image):
    container = containers.start(image)
    container.wait_for_systemd(timeout=90)
    text = container.diagnostics()
    assert "jupyterhub.service" in text and "journalctl" in text
    container.remove()
    container.remove()  # idempotent
    assert not container.is_running()
    assert "gone" in container.diagnostics()
