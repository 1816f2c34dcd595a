"""A server with no network: installed, re-run and upgraded from bundles (docs/offline.md).

The bundles are made on this machine, which is connected, exactly as the docs
say (bundles.py); the server is a container started with `--network none`:
it has no route anywhere, and is reached only through an ExecTunnel. The
tests run in file order against one hub: install, use, re-run, pip,
refusals, the upgrade and the refusal of the older bundle, then HTTPS (which
stays on).
"""

from __future__ import annotations

import re
import shlex
import tarfile

import pytest

from tljh_lite import __version__

from bundles import bumped, bundle
from engine import RELEASES
from hubclient import HubClient
from installed import ADMIN, ADMIN_PASSWORD, INSTALL_MEMORY, InstalledHub
from testca import TestCA
from tunnel import ExecTunnel

STUDENT, STUDENT_PASSWORD = "alice", "alice-first-password"
HOME = "/root"  # where the professor carried the bundle to
DOMAIN = "hub.school.test"
DEBIAN = {"bookworm": "debian:12", "trixie": "debian:13"}


def run_bootstrap(hub: InstalledHub, bundle_name: str, *args: str, check: bool = True):
    """What docs/offline.md says to type: take bootstrap out of the bundle, and run it with the bundle."""
    command = (f"cd {HOME} && tar -xf {bundle_name} bootstrap.py && "
               f"sudo python3 bootstrap.py --bundle {bundle_name} " + " ".join(shlex.quote(a) for a in args))
    return hub.container.exec(command, check=check, timeout=900)


def carry(hub: InstalledHub, path, name: str) -> str:
    hub.container.copy_in(path, f"{HOME}/{name}")
    return name


# What an install writes (the hub's database and the usage record change by themselves).
INSTALLED = "/opt/tljh/hub /opt/tljh/user /opt/tljh/config /opt/tljh/installer.log /opt/tljh/state/downloads.env " \
            "/etc/systemd/system /etc/apt"


def state(hub: InstalledHub) -> str:
    """What must not change when a bundle is refused: every file an install writes, and the daemons' processes."""
    files = hub.sh(f"find {INSTALLED} -xdev -printf '%p %s %T@ %m\\n' | sort | sha256sum").stdout
    pids = hub.sh("systemctl show -p MainPID --value jupyterhub configurable-http-proxy").stdout
    return files + pids


def refused(result, phrase: str) -> None:
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert result.exit_code == 1, result
    assert any(phrase in line for line in errors), result.stderr
    assert "Traceback" not in result.stdout + result.stderr


@pytest.fixture(scope="module")
def offline_hub(session_containers, image, release):
    made = bundle(release)
    container = session_containers.start(image, memory=INSTALL_MEMORY, network_mode="none")
    container.wait_for_systemd()
    with ExecTunnel(container, 80) as tunnel:
        container.host_port = tunnel.port
        hub = InstalledHub(container, "", 0.0)
        hub.carried = made  # the bundle in HOME/tljh-lite.tar
        carry(hub, made, "tljh-lite.tar")
        result = run_bootstrap(hub, "tljh-lite.tar", "--admin", f"{ADMIN}:{ADMIN_PASSWORD}")
        hub.install_output = result.stdout + result.stderr
        yield hub


def test_the_server_has_no_network_at_all(offline_hub):
    probe = "import socket; socket.create_connection(('151.101.0.223', 443), timeout=5)"  # pypi.org, by address
    assert offline_hub.sh(f"python3 -c {shlex.quote(probe)}", check=False).exit_code != 0
    assert offline_hub.sh("cat /proc/net/route").stdout.count("\n") == 1  # its header: not one route


def test_an_install_from_a_bundle_is_a_whole_hub(offline_hub):
    hub = offline_hub
    assert "Installation successful" in hub.install_output, hub.install_output
    assert "every file as its manifest says" in hub.install_output
    version = hub.sh("/opt/tljh/hub/bin/python3 -c 'import tljh_lite; print(tljh_lite.__version__)'").stdout
    assert version == f"{__version__}\n"
    # The Debian packages came from the bundle: the proxy, git, and certbot for a later HTTPS.
    for command in ("configurable-http-proxy --version", "git --version", "certbot --version"):
        hub.sh(command)
    # The bundle's plugin, with what its hooks ask for: a Debian package, a hub package, a students' package.
    assert "plugins: tljh-lite-test-plugin==" in hub.install_output
    assert "tljh-lite-test-plugin" in hub.tljh_config("plugins").stdout
    assert hub.sh("dpkg-query -W -f='${Status}' sl").stdout == "install ok installed"
    hub.sh("/opt/tljh/hub/bin/python3 -c 'import tomli_w'")
    # Nothing of the bundle is left behind, and the machine's own apt sources are as they were.
    assert "tljh-lite-bundle" not in hub.sh("ls -a /var/tmp").stdout
    assert "bundle" not in hub.sh("grep -rh '^[^#]' /etc/apt/sources.list /etc/apt/sources.list.d/ || true").stdout
    hub.tljh_config("add-item", "users.allowed", STUDENT)
    hub.tljh_config("reload")
    alice = hub.logged_in(STUDENT, STUDENT_PASSWORD)
    alice.start_server()
    assert alice.run_code("import numbers, sys; print(sys.version_info[:2] > (3, 10), 6 * 7)") == "True 42"
    # The plugin's package and the course's requirements (--user-requirements) are in her kernel.
    assert alice.run_code("import pyjokes, tabulate; print(tabulate.tabulate([[6 * 7]]))").split() == ["--", "42", "--"]
    alice.run_code("open('work.txt', 'w').write('written before the upgrade')")


def test_a_rerun_from_the_same_bundle_restarts_nothing(offline_hub):
    hub = offline_hub
    units = ("jupyterhub", "configurable-http-proxy", f"jupyter-{STUDENT}")
    before = [hub.unit_property(unit, "MainPID") for unit in units]
    result = run_bootstrap(hub, "tljh-lite.tar", "--admin", ADMIN)
    assert "Installation successful" in result.stdout and "(nothing needed a restart)" in result.stdout, result
    assert [hub.unit_property(unit, "MainPID") for unit in units] == before


def test_pip_in_an_admins_terminal_says_there_is_no_network_instead_of_hanging(offline_hub):
    prof = offline_hub.admin()
    prof.start_server()
    screen = prof.run_in_terminal("sudo -E pip install --no-cache-dir cowsay; echo EXIT=$?", timeout=90)
    assert "EXIT=1" in screen, screen
    assert re.search(r"Failed to resolve|Failed to establish a new connection|Network is unreachable", screen), screen
    # One retry, a short timeout (the hub came from a bundle): pip's default is five retries of 15 s each.
    assert screen.count("Retrying (") == 1, screen


def damage(hub: InstalledHub, source, name: str, copy: str) -> None:
    """A copy of the carried bundle with one byte changed inside one wheel: its tar is whole, a sum is wrong."""
    with tarfile.open(source) as tar:
        member = next(m for m in tar if m.name.startswith("wheels/jupyterhub-"))
    offset = member.offset_data + member.size // 2
    flip = f"f = open('{copy}', 'r+b'); f.seek({offset}); b = f.read(1); f.seek({offset}); f.write(bytes([b[0] ^ 255]))"
    hub.sh(f"cd {HOME} && cp {name} {copy} && python3 -c {shlex.quote(flip)}")


def test_a_damaged_bundle_is_refused_with_nothing_changed(offline_hub):
    hub = offline_hub
    damage(hub, hub.carried, "tljh-lite.tar", "damaged.tar")
    before = state(hub)
    result = run_bootstrap(hub, "damaged.tar", "--admin", ADMIN, check=False)
    refused(result, "is damaged: wheels/jupyterhub-")
    assert state(hub) == before
    assert "tljh-lite-bundle" not in hub.sh("ls -a /var/tmp").stdout
    hub.sh(f"rm {HOME}/damaged.tar")


def test_a_bundle_for_another_release_is_refused_with_nothing_changed(offline_hub, release):
    hub = offline_hub
    other = next(r for r in RELEASES if r != release)
    before = state(hub)
    name = carry(hub, bundle(other), f"{other}.tar")
    # Its own bootstrap, as the docs say (the bundle's, made for the other release).
    result = run_bootstrap(hub, name, "--admin", ADMIN, check=False)
    refused(result, f"the bundle is for {DEBIAN[other]} ({other}), and this machine is {DEBIAN[release]} ({release})")
    assert state(hub) == before


def test_a_newer_bundle_upgrades_and_keeps_data_passwords_and_running_servers(offline_hub, release):
    hub = offline_hub
    alice_pid = hub.unit_property(f"jupyter-{STUDENT}", "MainPID")
    newer = carry(hub, bundle(release, version_bump=True), "tljh-lite-newer.tar")
    result = run_bootstrap(hub, newer, "--admin", ADMIN)
    assert "Installation successful" in result.stdout and "(password unchanged)" in result.stdout, result
    version = hub.sh("/opt/tljh/hub/bin/python3 -c 'import tljh_lite; print(tljh_lite.__version__)'").stdout
    assert version == f"{bumped(__version__)}\n"
    # Alice's server ran through the upgrade, her file is there, and both passwords still work.
    assert hub.unit_property(f"jupyter-{STUDENT}", "MainPID") == alice_pid
    alice = hub.logged_in(STUDENT, STUDENT_PASSWORD)
    assert alice.run_code("print(open('work.txt').read())") == "written before the upgrade"
    assert HubClient(hub.url).login(ADMIN, ADMIN_PASSWORD)
    assert not HubClient(hub.url).login(STUDENT, "not-her-password")

    # The first bundle is older than what is installed now: refused, nothing changed.
    before = state(hub)
    result = run_bootstrap(hub, "tljh-lite.tar", "--admin", ADMIN, check=False)
    refused(result, f"the bundle holds tljh-lite {__version__}, older than the {bumped(__version__)} installed here")
    assert state(hub) == before


def test_https_with_the_schools_own_certificate_works_offline(offline_hub):
    hub = offline_hub
    school = TestCA("a school's CA")
    issued = school.issue(DOMAIN)
    hub.sh("mkdir -p -m 700 /etc/school-tls")
    hub.container.write_file("/etc/school-tls/hub.key", issued.key_pem, mode=0o600)
    hub.container.write_file("/etc/school-tls/hub.crt", issued.cert_pem)
    hub.container.write_file(f"{HOME}/school-ca.pem", school.cert_pem)
    hub.tljh_config("set", "https.tls.key", "/etc/school-tls/hub.key")
    hub.tljh_config("set", "https.tls.cert", "/etc/school-tls/hub.crt")
    hub.tljh_config("set", "https.enabled", "true")
    hub.tljh_config("reload", "proxy")  # the last test: port 80 redirects to https from now on
    answer = hub.sh(f"curl -sS --cacert {HOME}/school-ca.pem --resolve {DOMAIN}:443:127.0.0.1 https://{DOMAIN}/hub/api")
    assert '"version"' in answer.stdout, answer
