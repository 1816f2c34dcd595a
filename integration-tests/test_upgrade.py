"""Upgrading from the previous release: installed by its own bootstrap, then the current bootstrap over it.

The previous release is v0.3.0. CI runs on a fresh clone of main, which has
the commits but no tags, so the tree comes from `git archive v0.3.0` when the
tag is there and from the same commit, f6a8023 (the last before this round's
work), when it is not (a shallow clone has neither: the test says so). When a
release is made, point PREVIOUS_RELEASE and PREVIOUS_COMMIT at it
(docs/backup.md, "Releases").

Nothing may be lost: students' files, their passwords and the admin's, the
hub's users, config.yaml with its comments; a student's server that runs
during the upgrade keeps running (the same process). The unix accounts 0.3.0
made, without a record of their hub user and with the old rule's names for
long names, are recorded for their students and keep working: a server
started after the upgrade runs on the same account, with the same files
(docs/security.md, "Unix accounts").
"""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
import tempfile

import pytest

from tljh_lite import __version__

from hubclient import HubClient, wait_for_hub
from installed import ADMIN, ADMIN_PASSWORD, CHECKOUT, INSTALL_MEMORY, InstalledHub, copy_checkout

PREVIOUS_RELEASE = "v0.3.0"
PREVIOUS_COMMIT = "f6a8023"  # what v0.3.0 tags; found in any full clone, tagged or not
PREVIOUS_SOURCE = "/srv/tljh-lite-previous"
LONG = "charlotte.delacroix-dupont"  # 26 characters: 0.3.0 gave her jupyter-charlotte.delacroi-<5 hex>
STUDENTS = {"alice": "alice-first-password", "bob": "bob-first-password", LONG: "charlotte-first-password"}
COMMENT = "# our course hub, do not lose this comment"


def previous_release() -> tuple[str, bytes]:
    """(the ref used, a tar of the previous release's tree): the tag if this clone has it, else its commit."""
    for ref in (PREVIOUS_RELEASE, PREVIOUS_COMMIT):
        archived = subprocess.run(["git", "archive", "--format=tar", ref], cwd=CHECKOUT, capture_output=True)
        if archived.returncode == 0:
            return ref, archived.stdout
    pytest.fail(f"neither the tag {PREVIOUS_RELEASE} nor the commit {PREVIOUS_COMMIT} is in this clone "
                "(a shallow clone?): run `git fetch --unshallow` and try again")


def home_listing(hub: InstalledHub, accounts) -> str:
    """Every file in the students' homes, with owner, mode and checksum (servers' runtime files left out)."""
    return hub.sh(f"cd /home && find {' '.join(accounts)} -path '*/.local/share/jupyter/runtime' -prune -o "
                  "-path '*/.ipython' -prune -o -type f -printf '%p %u %g %m ' -exec sha256sum {} \\; | sort").stdout


@pytest.fixture
def previous_hub(containers, image) -> InstalledHub:
    """The previous release, installed with its own bootstrap (its --admin NAME:PASSWORD)."""
    ref, tree = previous_release()
    container = containers.start(image, memory=INSTALL_MEMORY, port=80)
    container.wait_for_systemd()
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(fileobj=io.BytesIO(tree)) as tar:
            tar.extractall(tmp, filter="data")
        container.copy_in(tmp, PREVIOUS_SOURCE)
    hub = InstalledHub(container, "", 0.0)
    result = hub.sh(f"cat {PREVIOUS_SOURCE}/installer/bootstrap.py | sudo python3 - --source {PREVIOUS_SOURCE} "
                    f"--admin '{ADMIN}:{ADMIN_PASSWORD}'", timeout=900)
    assert "Installation successful" in result.stdout, f"installing {ref}: {result.stdout}{result.stderr}"
    hub.install_output = result.stdout
    return hub


def test_upgrading_from_the_previous_release_loses_nothing(previous_hub):
    hub = previous_hub
    assert hub.sh("/opt/tljh/hub/bin/python3 -c 'import tljh_lite; print(tljh_lite.__version__)'").stdout == PREVIOUS_RELEASE[1:] + "\n"
    for name in STUDENTS:
        hub.tljh_config("add-item", "users.allowed", name)
    hub.tljh_config("reload")
    # The previous release's reload has returned while its restarted hub did not answer yet (CI, trixie:
    # the proxy's 503 a second after); what is tested here is the upgrade, so its old hub is waited for.
    wait_for_hub(hub.url, timeout=120)
    clients = {}
    for name, password in STUDENTS.items():
        clients[name] = hub.client()
        assert clients[name].login(name, password)
        clients[name].start_server()
        clients[name].run_code(f"open('{name}.txt', 'w').write('{name} worked here')\n"
                               "import os; os.makedirs('course/week1', exist_ok=True)\n"
                               "open('course/week1/notes.ipynb', 'w').write('{}')")
    for name in ("bob", LONG):  # their servers start again after the upgrade
        client = clients[name]
        client.session.delete(client.url(f"hub/api/users/{name}/server"),
                              headers={"X-XSRFToken": client._xsrf("/hub/")}, timeout=60)
    long_account = hub.sh("getent passwd | cut -d: -f1 | grep '^jupyter-charlotte'").stdout.strip()
    assert len(long_account) == 32 and long_account[26] == "-", long_account  # the old rule's name
    accounts = {"alice": "jupyter-alice", "bob": "jupyter-bob", LONG: long_account}
    hub.sh(f"sed -i '1i {COMMENT}' /opt/tljh/config/config.yaml")
    alice_pid = hub.unit_property("jupyter-alice", "MainPID")
    homes_before = home_listing(hub, accounts.values())
    users_before = sorted(u["name"] for u in hub.admin().get("hub/api/users").json())

    copy_checkout(hub.container)
    result, seconds = hub.bootstrap("--admin", ADMIN)  # as the README says: no password to upgrade
    assert "Installation successful" in result.stdout and "(password unchanged)" in result.stdout, result.stderr
    assert hub.sh("/opt/tljh/hub/bin/python3 -c 'import tljh_lite; print(tljh_lite.__version__)'").stdout == __version__ + "\n"

    # alice's server ran through the upgrade: the same process, and her kernel still answers.
    assert hub.unit_property("jupyter-alice", "ActiveState") == "active"
    assert hub.unit_property("jupyter-alice", "MainPID") == alice_pid
    assert clients["alice"].run_code("print(open('alice.txt').read())") == "alice worked here"
    # Nothing lost: files, owners and modes, the hub's users, passwords, the config's comment.
    assert home_listing(hub, accounts.values()) == homes_before
    assert sorted(u["name"] for u in hub.admin().get("hub/api/users").json()) == users_before
    for name, password in STUDENTS.items():
        assert HubClient(hub.url).login(name, password), name
        assert not HubClient(hub.url).login(name, "not-the-password")
    assert HubClient(hub.url).login(ADMIN, ADMIN_PASSWORD)
    assert hub.sh("head -1 /opt/tljh/config/config.yaml").stdout == COMMENT + "\n"
    # Their accounts are recorded as theirs, and servers started now run on them, with their files.
    for name, account in accounts.items():
        assert hub.sh(f"getent passwd {account} | cut -d: -f5").stdout.strip() == f"JupyterHub user {name}"
    for name in ("bob", LONG):
        again = hub.logged_in(name, STUDENTS[name])
        again.start_server()
        assert again.run_code("import getpass, os; print(getpass.getuser(), os.getcwd())") == (
            f"{accounts[name]} /home/{accounts[name]}")
        assert again.run_code(f"print(open('{name}.txt').read())") == f"{name} worked here"
    assert "alice" in hub.tljh_config("get", "users.allowed").stdout
    # What the new release adds works on the upgraded hub.
    backup = hub.sh("tljh-lite backup create --skip-homes")
    assert "Backup written /var/backups/tljh-lite/" in backup.stdout
    status = json.loads(hub.sh("tljh-lite status --json", check=False).stdout)
    assert status["versions"]["tljh-lite"] == __version__
    assert {"usa", "alice"} & {s["user"] for s in status["servers"]} == {"alice"}  # her server, still running
    services = {s["name"]: s["state"] for s in status["services"]}
    assert services["jupyterhub.service"] == "active" and services["tljh-usage.timer"] == "active", services
    hub.sh("tljh-lite export z2jh --out /root/z2jh")
    assert "alice" in hub.sh("cat /root/z2jh/users.json").stdout
