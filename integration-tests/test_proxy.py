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
from dataclasses import dataclass

import pytest

from bundles import bundle
from campus import (
    ACCESS_LOG, MIRROR_HOST, MIRROR_PORT, PROXY_HOST, PROXY_URL, PROXY_USER, SECRET, campus_server_image,
    start_mirror, start_squid,
)
from containers import Container, Network
from installed import ADMIN, ADMIN_PASSWORD, INSTALL_MEMORY, SOURCE_IN_CONTAINER, InstalledHub, copy_checkout
from tunnel import ExecTunnel

STUDENT, STUDENT_PASSWORD = "ada", "ada-first-password"
PLUGIN = "integration-tests/plugins/tljh-simplest"  # built at install: its build backend comes from PyPI
PROXY_ENV = {"http_proxy": PROXY_URL, "https_proxy": PROXY_URL}


@dataclass
class Campus:
    hub: InstalledHub
    squid: Container
    network: Network

    def proxy_log(self) -> str:
        return self.squid.read_file(ACCESS_LOG)


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
def mirror(campus, release) -> str:
    """pypiserver on the campus's server, serving the wheels of this release's bundle (what a school's
    devpi would hold); its simple index's URL."""
    return start_mirror(campus.squid, bundle(release))


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
