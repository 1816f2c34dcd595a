"""What a student can reach, probed from her own account: code run in her real
kernel, or typed into her JupyterLab terminal, on the `hub` of each release
with two students and an admin. docs/security.md states the model these
probes hold the hub to. One probe per test; each puts back what it changes.
"""

from __future__ import annotations

import json
import time

import pytest

from hubclient import HubClient
from installed import ADMIN, ADMIN_PASSWORD, InstalledHub

ADA, ADA_PASSWORD = "ada", "ada-first-password"
BEN, BEN_PASSWORD = "ben", "ben-first-password"
BEN_SECRET = "ben-secret-homework"


@pytest.fixture(scope="module")
def classroom(hub: InstalledHub):
    """Ada and Ben (students) with running servers, Ben's homework in his home, and the admin."""
    for name in (ADA, BEN):
        hub.tljh_config("add-item", "users.allowed", name)
    hub.tljh_config("reload")
    ada, ben, prof = hub.logged_in(ADA, ADA_PASSWORD), hub.logged_in(BEN, BEN_PASSWORD), hub.logged_in(ADMIN, ADMIN_PASSWORD)
    for client in (ada, ben, prof):
        client.start_server()
    ben.run_code(f"open('/home/jupyter-ben/{BEN_SECRET}.txt', 'w').write('only mine')")
    yield {"ada": ada, "ben": ben, "prof": prof}
    for name in (ADA, BEN):
        hub.tljh_config("remove-item", "users.allowed", name)
    hub.tljh_config("reload")


def outcome(client: HubClient, code: str) -> str:
    """Run `code` in the client's kernel after a helper `attempt(f)` that prints what f did."""
    helper = (
        "def attempt(f):\n"
        "    try:\n"
        "        f()\n"
        "        return 'allowed'\n"
        "    except OSError as e:\n"
        "        return type(e).__name__\n"
    )
    return client.run_code(helper + code)


def main_pid(hub: InstalledHub, unit: str) -> str:
    pid = hub.unit_property(unit, "MainPID")
    assert pid not in ("", "0"), f"{unit} is not running"
    return pid


# --- what another student has ---------------------------------------------------

def test_a_student_cannot_read_another_students_home(hub, classroom):
    code = (
        "import os\n"
        "print(attempt(lambda: os.listdir('/home/jupyter-ben')),"
        f" attempt(lambda: open('/home/jupyter-ben/{BEN_SECRET}.txt').read()))"
    )
    assert outcome(classroom["ada"], code) == "PermissionError PermissionError"


def test_a_student_sees_only_her_own_processes_and_command_lines(hub, classroom):
    others = {unit: main_pid(hub, unit) for unit in ("jupyter-ben", "jupyter-prof", "jupyterhub", "configurable-http-proxy")}
    code = (
        "import os, json\n"
        "me, seen, foreign, cmdlines = os.getuid(), [], [], []\n"
        "for p in filter(str.isdigit, os.listdir('/proc')):\n"
        "    try:\n"
        "        owner = os.stat(f'/proc/{p}').st_uid\n"
        "        cmdlines.append(open(f'/proc/{p}/cmdline', 'rb').read().replace(b'\\0', b' ').decode())\n"
        "    except OSError:\n"
        "        continue  # ended meanwhile\n"
        "    seen.append(p)\n"
        "    if owner != me: foreign.append(p)\n"
        f"print(json.dumps({{'seen': len(seen), 'foreign': foreign, 'cmdlines': cmdlines,"
        f" 'reachable': [p for p in {list(others.values())!r} if os.path.exists(f'/proc/{{p}}')]}}))"
    )
    result = json.loads(classroom["ada"].run_code(code))
    assert result["seen"] >= 2  # her server and her kernel at least
    assert result["foreign"] == [] and result["reachable"] == []
    everything = " ".join(result["cmdlines"])
    for other in ("jupyter-ben", "/user/ben", "configurable-http-proxy", "jupyterhub_config"):
        assert other not in everything


def test_a_students_dev_shm_is_her_own(hub, classroom):
    classroom["ben"].run_code("open('/dev/shm/ben-note', 'w').write('shared?')")
    code = (
        "import os\n"
        "from multiprocessing import shared_memory\n"
        "block = shared_memory.SharedMemory(create=True, size=64)  # /dev/shm still works for her\n"
        "block.close(); block.unlink()\n"
        "print(sorted(os.listdir('/dev/shm')))"
    )
    assert "ben-note" not in classroom["ada"].run_code(code)
    assert "ben-note" not in hub.sh("ls /dev/shm").stdout  # nor in the machine's


def test_a_student_cannot_reach_another_students_server_port(hub, classroom):
    environ = hub.sh(f"tr '\\0' '\\n' < /proc/{main_pid(hub, 'jupyter-ben')}/environ").stdout
    (service_url,) = [line.split("=", 1)[1] for line in environ.splitlines() if line.startswith("JUPYTERHUB_SERVICE_URL=")]
    contents = service_url.rstrip("/") + "/api/contents"
    code = (
        "import json, os, urllib.error, urllib.request\n"
        "class Stay(urllib.request.HTTPRedirectHandler):\n"
        "    def redirect_request(self, *args): return None\n"
        "def get(url, token=None):\n"
        "    headers = {'Authorization': f'token {token}'} if token else {}\n"
        "    try:\n"
        "        r = urllib.request.build_opener(Stay).open(urllib.request.Request(url, headers=headers), timeout=10)\n"
        "        return [r.status, r.read().decode()]\n"
        "    except urllib.error.HTTPError as e:\n"
        "        return [e.code, e.read().decode(errors='replace')]\n"
        "    except OSError as e:\n"
        "        return ['refused', str(e)]\n"
        f"print(json.dumps([get({contents!r}), get({contents!r}, os.environ['JUPYTERHUB_API_TOKEN'])]))"
    )
    for status, body in json.loads(classroom["ada"].run_code(code)):
        assert status in (302, 403, "refused"), (status, body[:300])
        assert BEN_SECRET not in body


# --- what the hub and the machine have -------------------------------------------

def test_a_student_cannot_read_the_hub_state_config_or_install_log(hub, classroom):
    code = (
        "import os\n"
        "print(attempt(lambda: os.listdir('/opt/tljh/state')),"
        " attempt(lambda: open('/opt/tljh/state/passwords.dbm').read()),"
        " attempt(lambda: open('/opt/tljh/config/config.yaml').read()),"
        " attempt(lambda: os.listdir('/opt/tljh/config/jupyterhub_config.d')),"
        " attempt(lambda: open('/opt/tljh/installer.log').read()))"
    )
    assert outcome(classroom["ada"], code) == " ".join(["PermissionError"] * 5)


def test_a_student_cannot_write_either_environment(hub, classroom):
    code = (
        "import glob, os, sysconfig\n"
        "places = [sysconfig.get_paths()['purelib'], '/opt/tljh/user/bin', '/opt/tljh/user',\n"
        "          *glob.glob('/opt/tljh/hub/lib/python3*/site-packages'), '/opt/tljh/hub/bin']\n"
        "assert places[0].startswith('/opt/tljh/user/') and len(places) == 5, places\n"
        "print(*[attempt(lambda p=p: open(os.path.join(p, 'planted.py'), 'w')) for p in places])"
    )
    assert outcome(classroom["ada"], code) == " ".join(["PermissionError"] * 5)


def test_a_student_has_no_sudo_and_no_new_privileges(hub, classroom):
    code = (
        "import subprocess\n"
        "sudo = subprocess.run(['sudo', '-n', 'true'], capture_output=True, text=True)\n"
        "status = dict(line.split(':\\t', 1) for line in open('/proc/self/status').read().splitlines() if ':\\t' in line)\n"
        "print(sudo.returncode, status['NoNewPrivs'].strip())"
    )
    assert classroom["ada"].run_code(code) == "1 1"


def test_the_hub_and_proxy_apis_refuse_a_student_without_a_token(hub, classroom):
    code = (
        "import json, os, urllib.error, urllib.request\n"
        "def get(url, token=None):\n"
        "    headers = {'Authorization': f'token {token}'} if token else {}\n"
        "    try:\n"
        "        r = urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10)\n"
        "        return [r.status, r.read().decode()]\n"
        "    except urllib.error.HTTPError as e:\n"
        "        return [e.code, e.read().decode(errors='replace')]\n"
        "print(json.dumps({\n"
        "    'hub users': get('http://127.0.0.1:15001/hub/api/users'),\n"
        "    'hub ben': get('http://127.0.0.1:15001/hub/api/users/ben'),\n"
        "    'proxy routes': get('http://127.0.0.1:15002/api/routes'),\n"
        "    'hub users, her server token': get('http://127.0.0.1:15001/hub/api/users', os.environ['JUPYTERHUB_API_TOKEN']),\n"
        "}))"
    )
    answers = json.loads(classroom["ada"].run_code(code))
    for probe in ("hub users", "hub ben", "proxy routes"):
        assert answers[probe][0] == 403, (probe, answers[probe])
    # Her own server's token (in her kernel's environment) shows her nobody else.
    status, body = answers["hub users, her server token"]
    assert status == 403 or '"ben"' not in body, (status, body[:300])


# --- the course environment in her terminal --------------------------------------

def test_a_students_terminal_runs_the_course_environment(hub, classroom):
    typed = (
        "command -v python3 pip jupyter; python3 -c 'import sys; print(sys.prefix)'; "
        "bash -c 'command -v python3'"  # a non-login shell started from the terminal
    )
    assert classroom["ada"].run_in_terminal(typed).splitlines() == [
        "/opt/tljh/user/bin/python3", "/opt/tljh/user/bin/pip", "/opt/tljh/user/bin/jupyter",
        "/opt/tljh/user", "/opt/tljh/user/bin/python3",
    ]


def test_an_admins_sudo_pip_install_reaches_every_student(hub, classroom):
    # TLJH's documented way to add a package for the whole class.
    try:
        out = classroom["prof"].run_in_terminal("sudo -E pip install pyjokes; echo exit=$?", timeout=300)
        assert "exit=0" in out and "Successfully installed pyjokes" in out, out
        found = classroom["ben"].run_code("import pyjokes; print(pyjokes.__file__)")
        assert found.startswith("/opt/tljh/user/lib/python3"), found
        assert hub.sh("stat -c %U /opt/tljh/user/lib/python3*/site-packages/pyjokes").stdout.strip() == "root"
        assert hub.sh("find /home/jupyter-prof -user root").stdout == ""  # pip kept out of her home
    finally:
        hub.sh("/opt/tljh/user/bin/pip uninstall -y pyjokes", check=False)


def test_a_students_pip_install_user_is_hers_alone(hub, classroom):
    try:
        out = classroom["ada"].run_in_terminal("pip install --user tomli-w; echo exit=$?", timeout=300)
        assert "exit=0" in out and "Successfully installed tomli-w" in out, out
        found = classroom["ada"].run_code("import tomli_w; print(tomli_w.__file__)")  # her next kernel
        assert found.startswith("/home/jupyter-ada/.local/lib/python3"), found
        missing = classroom["ben"].run_code(
            "import importlib.util; print(importlib.util.find_spec('tomli_w'))"
        )
        assert missing == "None"
    finally:
        hub.sh("rm -rf /home/jupyter-ada/.local/lib/python3*/site-packages/tomli_w*", check=False)


def test_a_students_percent_pip_install_goes_to_her_home(hub, classroom):
    try:
        out = classroom["ada"].run_code("%pip install termcolor", timeout=300)
        assert "Defaulting to user installation because normal site-packages is not writeable" in out, out
        assert "Successfully installed termcolor" in out, out
        found = classroom["ada"].run_code("import termcolor; print(termcolor.__file__)")
        assert found.startswith("/home/jupyter-ada/.local/lib/python3"), found
        assert hub.sh("ls /opt/tljh/user/lib/python3*/site-packages | grep -c termcolor", check=False).stdout.strip() == "0"
    finally:
        hub.sh("rm -rf /home/jupyter-ada/.local/lib/python3*/site-packages/termcolor*", check=False)


# --- SSH ----------------------------------------------------------------------

SSH = ("ssh -i /root/probe-key -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "
       "-o ConnectTimeout=10 {account}@127.0.0.1 echo logged-in")


@pytest.fixture(scope="module")
def sshd(hub: InstalledHub):
    """openssh-server installed after the hub (as a professor might), a key pair, and a
    local account that is not the hub's with that key (it must get in: the control)."""
    hub.sh("apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "
           "openssh-server openssh-client", timeout=600)
    hub.sh("systemctl start ssh && rm -f /root/probe-key* && ssh-keygen -q -t ed25519 -N '' -f /root/probe-key")
    hub.sh("id ssh-probe >/dev/null 2>&1 || useradd --create-home ssh-probe")
    authorize(hub, "ssh-probe")
    return hub.sh("cat /root/probe-key.pub").stdout.strip()


def authorize(hub: InstalledHub, account: str) -> None:
    home = f"$(getent passwd {account} | cut -d: -f6)"
    hub.sh(f"install -d -m 700 -o {account} {home}/.ssh && install -m 600 -o {account} /root/probe-key.pub "
           f"{home}/.ssh/authorized_keys")


def ssh_as(hub: InstalledHub, account: str):
    return hub.sh(SSH.format(account=account), check=False, timeout=60)


def test_students_and_admins_cannot_log_in_over_ssh(hub, classroom, sshd):
    # Ada writes her own authorized_keys, as she could from a terminal.
    classroom["ada"].run_code(
        "import os\n"
        "os.makedirs(os.path.expanduser('~/.ssh'), mode=0o700, exist_ok=True)\n"
        f"open(os.path.expanduser('~/.ssh/authorized_keys'), 'w').write({sshd!r} + '\\n')\n"
        "os.chmod(os.path.expanduser('~/.ssh/authorized_keys'), 0o600)"
    )
    authorize(hub, "jupyter-prof")
    assert "logged-in" in ssh_as(hub, "ssh-probe").stdout  # sshd works and takes this key
    for account in ("jupyter-ada", "jupyter-prof"):
        result = ssh_as(hub, account)
        assert result.exit_code == 255 and "logged-in" not in result.stdout, result
        assert "Permission denied" in result.stderr
    journal = hub.sh("journalctl -u ssh --no-pager -n 50").stdout
    assert "User jupyter-ada from 127.0.0.1 not allowed because a group is listed in DenyGroups" in journal

    # Without tljh-lite's drop-in the side door is open; the installer closes it
    # again on a machine where sshd runs (sshd -T checks, then sshd reloads).
    hub.sh("rm /etc/ssh/sshd_config.d/tljh-lite.conf && systemctl reload ssh")
    try:
        sshd_listening(hub)
        assert "logged-in" in ssh_as(hub, "jupyter-ada").stdout
    finally:
        result, _ = hub.bootstrap()
    assert "Installation successful" in result.stdout
    assert "DenyGroups jupyterhub-users jupyterhub-admins" in hub.sh("cat /etc/ssh/sshd_config.d/tljh-lite.conf").stdout
    sshd_listening(hub)
    refused = ssh_as(hub, "jupyter-ada")
    assert "logged-in" not in refused.stdout and "Permission denied" in refused.stderr, refused


def sshd_listening(hub: InstalledHub) -> None:
    """Until sshd accepts connections again: a reload re-executes it, and for a moment port 22 is closed."""
    hub.sh("bash -c 'for i in $(seq 150); do (echo > /dev/tcp/127.0.0.1/22) 2>/dev/null && exit 0; sleep 0.2; done; exit 1'")


# --- who may log in: config.yaml --------------------------------------------------

def wait_until_stopped(hub: InstalledHub, unit: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while hub.unit_property(unit, "ActiveState") in ("active", "deactivating"):
        assert time.monotonic() < deadline, f"{unit} still runs"
        time.sleep(0.5)


def locked_out(hub: InstalledHub, session: HubClient, name: str, password: str) -> None:
    """She cannot log in, her open session can no longer start her server, and it is stopped."""
    assert not hub.client().login(name, password)
    response = session.session.post(session.url(f"hub/api/users/{name}/server"),
                                    headers={"X-XSRFToken": session._xsrf("/hub/")}, timeout=30)
    assert response.status_code in (403, 404), (response.status_code, response.text[:300])
    wait_until_stopped(hub, f"jupyter-{name}")


def enrolled(hub: InstalledHub, name: str, password: str) -> HubClient:
    hub.tljh_config("add-item", "users.allowed", name)
    hub.tljh_config("reload")
    client = hub.logged_in(name, password)
    client.start_server()
    client.run_code(f"open('/home/jupyter-{name}/work.txt', 'w').write('{name} was here')")
    return client


def test_a_student_dropped_from_the_course_is_locked_out_and_keeps_her_files(hub):
    name, password = "dee", "dee-first-password"
    session = enrolled(hub, name, password)
    hub.tljh_config("remove-item", "users.allowed", name)
    hub.tljh_config("reload")
    locked_out(hub, session, name, password)
    assert hub.sh(f"cat /home/jupyter-{name}/work.txt").stdout == f"{name} was here"

    hub.tljh_config("add-item", "users.allowed", name)  # back in the course: as before
    hub.tljh_config("reload")
    try:
        again = hub.logged_in(name, password)
        again.start_server()
        assert again.run_code("open('work.txt').read()") == f"'{name} was here'"
    finally:
        hub.tljh_config("remove-item", "users.allowed", name)
        hub.tljh_config("reload")


def test_a_banned_student_is_locked_out_and_keeps_her_files(hub):
    name, password = "eve", "eve-first-password"
    session = enrolled(hub, name, password)
    hub.tljh_config("add-item", "users.banned", name)  # still in users.allowed
    hub.tljh_config("reload")
    try:
        locked_out(hub, session, name, password)
        assert hub.sh(f"cat /home/jupyter-{name}/work.txt").stdout == f"{name} was here"
    finally:
        hub.tljh_config("remove-item", "users.banned", name)
        hub.tljh_config("remove-item", "users.allowed", name)
        hub.tljh_config("reload")
