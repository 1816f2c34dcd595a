"""A campus whose only way out is a web proxy that asks for a password, and a PyPI mirror on it
(docs/offline.md).

The campus's server (one container: Debian's squid, and a pypiserver) is on
docker's bridge (the way out) and on an internal network, the campus, where
the hub's container is the only other machine: the hub has no route out but
squid, which tunnels TLS (CONNECT) and never looks inside it. Bootstrap gets
http(s)_proxy in its environment (`sudo -E`, as the docs say) and everything
goes through squid, whose access log is the evidence. Last, bootstrap runs
again with neither the proxy (plain sudo: the saved one) nor PyPI:
`--index-url` names the pypiserver, which serves a bundle's wheels.
"""

from __future__ import annotations

import re
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from bundles import bundle
from containers import Container, Network, ensure_derived_image
from engine import ensure_image
from installed import ADMIN, ADMIN_PASSWORD, INSTALL_MEMORY, SOURCE_IN_CONTAINER, InstalledHub, copy_checkout
from tunnel import ExecTunnel

PROXY_HOST, PROXY_USER, SECRET = "proxy.campus", "teacher", "S3cret-campus-pw"
PROXY_URL = f"http://{PROXY_USER}:{SECRET}@{PROXY_HOST}:3128"
PROXY_ENV = {"http_proxy": PROXY_URL, "https_proxy": PROXY_URL}
ACCESS_LOG = "/var/log/squid/access.log"
MIRROR_HOST, MIRROR_PORT = "mirror.campus", 8080
STUDENT, STUDENT_PASSWORD = "ada", "ada-first-password"
PLUGIN = "integration-tests/plugins/tljh-simplest"  # built at install: its build backend comes from PyPI

SQUID_CONF = f"""\
http_port 3128
auth_param basic program /usr/lib/squid/basic_ncsa_auth /etc/squid/campus.passwd
auth_param basic realm campus
acl campus proxy_auth REQUIRED
acl SSL_ports port 443
acl CONNECT method CONNECT
http_access deny CONNECT !SSL_ports
http_access allow campus
http_access deny all
cache deny all
access_log daemon:{ACCESS_LOG} squid
pid_filename /run/squid-campus.pid
"""


@dataclass
class Campus:
    hub: InstalledHub
    squid: Container
    network: Network

    def proxy_log(self) -> str:
        return self.squid.read_file(ACCESS_LOG)


def campus_server_image() -> str:
    """squid, and pypiserver in a venv of its own: the campus's one server (built once, cached)."""
    return ensure_derived_image(
        "campus-server", ensure_image("bookworm"),
        "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends squid openssl "
        "&& apt-get clean && rm -rf /var/lib/apt/lists/* "
        "&& python3 -m venv /opt/pypiserver && /opt/pypiserver/bin/pip install --no-cache-dir 'pypiserver>=2'",
    )


def start_squid(squid: Container) -> None:
    squid.write_file("/etc/squid/campus.conf", SQUID_CONF)
    squid.exec(f"printf '%s:%s\\n' {PROXY_USER} \"$(openssl passwd -1 {SECRET})\" > /etc/squid/campus.passwd && "
               "chown proxy /etc/squid/campus.passwd && chmod 600 /etc/squid/campus.passwd")
    squid.exec("squid -k parse -f /etc/squid/campus.conf && squid -f /etc/squid/campus.conf")
    wait_for_port(squid, 3128)


def wait_for_port(container: Container, port: int, timeout: float = 60) -> None:
    probe = f"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=2)"
    deadline = time.monotonic() + timeout
    while container.exec(["python3", "-c", probe], check=False).exit_code != 0:
        assert time.monotonic() < deadline, f"nothing listens on port {port} of {container.name}"
        time.sleep(0.5)


@pytest.fixture(scope="module")
def campus(session_containers, image):
    network = Network(internal=True)
    started = []
    try:
        squid = session_containers.start(campus_server_image(), systemd=False)
        started.append(squid)
        network.connect(squid, aliases=[PROXY_HOST, MIRROR_HOST])
        start_squid(squid)
        container = session_containers.start(image, memory=INSTALL_MEMORY, network_mode=network.name)
        started.append(container)
        container.wait_for_systemd()
        copy_checkout(container)
        with ExecTunnel(container, 80) as tunnel:
            container.host_port = tunnel.port
            hub = InstalledHub(container, "", 0.0)
            result, hub.install_seconds = hub.bootstrap(
                "--admin", f"{ADMIN}:{ADMIN_PASSWORD}", "--plugin", f"{SOURCE_IN_CONTAINER}/{PLUGIN}",
                env=PROXY_ENV, sudo="sudo -E")
            hub.install_output = result.stdout + result.stderr
            yield Campus(hub, squid, network)
    finally:
        for container in started:  # before the network, which docker keeps while a container is on it
            container.remove()
        network.remove()


def test_the_hub_has_no_way_out_but_the_proxy(campus):
    direct = campus.hub.sh("curl --noproxy '*' -sS --max-time 10 https://pypi.org/simple/", check=False)
    assert direct.exit_code != 0
    through = campus.hub.sh(f"curl -sS -o /dev/null -w '%{{http_code}}' --max-time 30 -x {PROXY_URL} "
                            "https://pypi.org/simple/tljh-lite/", check=False)
    assert through.stdout in ("200", "404"), through  # squid tunnelled it; PyPI answered


def test_bootstrap_installs_through_the_proxy_and_never_shows_its_password(campus):
    hub = campus.hub
    assert "Installation successful" in hub.install_output, hub.install_output
    assert f"web proxy: http://***@{PROXY_HOST}:3128 (from the environment)" in hub.install_output
    assert SECRET not in hub.install_output and SECRET not in hub.sh("cat /opt/tljh/installer.log").stdout
    assert hub.sh("cat /opt/tljh/simplest-plugin.json").stdout  # the plugin, built with setuptools from PyPI
    log = campus.proxy_log()
    # apt (plain http, proxied), uv and pip (TLS, tunnelled), each as the teacher.
    assert re.search(rf"GET http://deb\.debian\.org/\S+ {PROXY_USER} ", log), log[-2000:]
    assert re.search(rf"CONNECT (pypi\.org|files\.pythonhosted\.org):443 {PROXY_USER} ", log), log[-2000:]


def test_the_proxy_is_kept_root_only(campus):
    hub = campus.hub
    assert hub.sh("stat -c '%U %a' /opt/tljh/state/downloads.env").stdout.split() == ["root", "600"]
    assert SECRET in hub.sh("cat /opt/tljh/state/downloads.env").stdout
    denied = hub.sh("runuser -u nobody -- cat /opt/tljh/state/downloads.env", check=False)
    assert denied.exit_code != 0 and "Permission denied" in denied.stderr
    assert SECRET not in hub.sh("ps -eo args 2>/dev/null || cat /proc/*/cmdline", check=False).stdout


def test_a_students_server_gets_the_proxy_without_its_password(campus):
    hub = campus.hub
    hub.tljh_config("add-item", "users.allowed", STUDENT)
    hub.tljh_config("reload")
    ada = hub.logged_in(STUDENT, STUDENT_PASSWORD)
    ada.start_server()
    env = ada.run_code("import os; print({k: v for k, v in os.environ.items() if 'proxy' in k.lower()})")
    assert f"'https_proxy': 'http://{PROXY_HOST}:3128'" in env and SECRET not in env
    assert "127.0.0.1" in env  # no_proxy: the hub's own calls stay on the machine


def test_sudo_pip_install_in_an_admins_terminal_goes_through_the_proxy(campus):
    before = campus.proxy_log().count("\n")
    prof = campus.hub.admin()
    prof.start_server()
    screen = prof.run_in_terminal("sudo -E pip install --no-cache-dir cowsay; echo EXIT=$?", timeout=180)
    assert "EXIT=0" in screen and "Successfully installed cowsay" in screen, screen
    new = "\n".join(campus.proxy_log().splitlines()[before:])
    assert re.search(rf"CONNECT (pypi\.org|files\.pythonhosted\.org):443 {PROXY_USER} ", new), new
    assert campus.hub.sh("/opt/tljh/user/bin/python3 -c 'import cowsay'").exit_code == 0  # for the whole class


# ---------------------------------------------------------------- later: the saved proxy, and a mirror


@pytest.fixture(scope="module")
def mirror(campus, release):
    """pypiserver on the campus's server, serving the wheels of this release's bundle (what a school's
    devpi would hold)."""
    server = campus.squid
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(bundle(release)) as tar:
            wheels = [m for m in tar if m.name.startswith("wheels/")]
            tar.extractall(tmp, members=wheels, filter="data")
        server.copy_in(Path(tmp) / "wheels", "/srv/wheels")
    server.exec("nohup /opt/pypiserver/bin/pypi-server run -v -p 8080 -a . -P . --log-file /var/log/pypiserver.log "
                "/srv/wheels >/dev/null 2>&1 &")
    wait_for_port(server, MIRROR_PORT)
    return f"http://{MIRROR_HOST}:{MIRROR_PORT}/simple/"


def test_a_rerun_uses_the_saved_proxy_and_index_url_makes_the_mirror_the_source(campus, mirror):
    hub = campus.hub
    before = campus.proxy_log().count("\n")
    result, _ = hub.bootstrap("--admin", ADMIN, "--index-url", mirror)  # plain sudo: the proxy variables are dropped
    assert "Installation successful" in result.stdout, result
    assert f"web proxy: http://***@{PROXY_HOST}:3128 (saved by the last install)" in result.stdout
    assert f"package index: {mirror} (--index-url)" in result.stdout
    # Every Python package came from the mirror, through the saved proxy.
    new = "\n".join(campus.proxy_log().splitlines()[before:])
    assert re.search(rf"GET http://{MIRROR_HOST}:{MIRROR_PORT}/simple/jupyterhub/ {PROXY_USER} ", new), new
    assert not re.search(r"(pypi\.org|files\.pythonhosted\.org)", new), new
    assert "/simple/jupyterhub/" in campus.squid.read_file("/var/log/pypiserver.log")
    # From now on: config.yaml's key, both pip.conf, and pip anywhere on the machine (no hub environment here).
    assert hub.tljh_config("get", "pip.index_url").stdout.strip() == mirror
    for venv in ("hub", "user"):
        assert f"index-url = {mirror}" in hub.sh(f"cat /opt/tljh/{venv}/pip.conf").stdout
    hub.sh("/opt/tljh/user/bin/pip download --no-deps --no-cache-dir -d /tmp/from-mirror pamela")
    assert "/simple/pamela/" in campus.squid.read_file("/var/log/pypiserver.log")
