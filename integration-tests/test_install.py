"""The installed hub, tested from the outside as a professor and students use it.

One hub per Debian release (the `hub` fixture: bootstrap piped into
`sudo python3 -` in a fresh systemd container limited to 900 MB). Tests run in
file order; each puts back what it changes.
"""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor


from hubclient import HubClient, wait_for_hub
from installed import ADMIN, ADMIN_PASSWORD, InstalledHub

STUDENT, STUDENT_PASSWORD = "alice", "alice-first-password"
OTHER, OTHER_PASSWORD = "bob", "bob-first-password"


def student(hub: InstalledHub, name: str = STUDENT, password: str = STUDENT_PASSWORD) -> HubClient:
    client = hub.client()
    assert client.login(name, password), f"{name} could not log in"
    return client


def test_install_succeeds_with_steps_and_next_steps(hub):
    out = hub.install_output
    assert "Installation successful" in out
    assert out.count("==> [") >= 4
    assert "Next steps:" in out and f"Admin: {ADMIN}" in out
    assert ADMIN_PASSWORD not in out  # a password given on the command line is not echoed
    assert "Traceback" not in out


def test_the_install_fit_in_900_megabytes(hub):
    assert hub.container.memory_limit() == 900 * 1024 * 1024


def test_hub_answers_through_the_proxy_on_port_80(hub):
    version = hub.client().api_version()
    assert version.split(".")[0] in ("5", "6")
    assert hub.sh("curl -s http://127.0.0.1:80/hub/api").stdout.strip().startswith('{"version"')
    assert hub.unit_property("configurable-http-proxy", "ActiveState") == "active"
    assert hub.unit_property("jupyterhub", "ActiveState") == "active"


def test_secrets_are_root_only_and_not_on_command_lines(hub):
    assert hub.sh("stat -c %a /opt/tljh/state").stdout.strip() == "700"
    for secret in ("proxy.env", "jupyterhub_cookie_secret", "cull-idle-token"):
        assert hub.sh(f"stat -c %a /opt/tljh/state/{secret}").stdout.strip() == "600"
    token = hub.sh("cut -d= -f2 /opt/tljh/state/proxy.env").stdout.strip()
    command_lines = hub.sh("cat /proc/[0-9]*/cmdline | tr '\\0' ' '", check=False).stdout
    assert token and token not in command_lines
    assert hub.sh("stat -c %a /opt/tljh/installer.log").stdout.strip() == "600"
    assert hub.sh("stat -c %a /opt/tljh/config/config.yaml").stdout.strip() == "600"


def test_admin_logs_in_through_the_form_and_a_wrong_password_is_refused(hub):
    assert hub.client().login(ADMIN, ADMIN_PASSWORD)
    assert not hub.client().login(ADMIN, "not-the-password")
    assert not hub.client().login("mallory", "whatever-password")  # not allowed: create_users is off


def test_a_class_logs_in_at_the_same_moment(hub):
    # Ten first logins at once (FirstUse stores ten passwords, hashed off the hub's event loop:
    # tljh_lite/auth/firstuse.py): each must get in. Two more at once under one name with two
    # passwords: the first stored wins and the other is refused, as if they came one after the other.
    names = [f"class{i}" for i in range(10)]
    twins = [("twin", "twin-password-one"), ("twin", "twin-password-two")]
    for name in names + ["twin", "shorty"]:
        hub.tljh_config("add-item", "users.allowed", name)
    hub.tljh_config("reload")
    try:
        attempts = [(name, f"{name}-first-password") for name in names] + twins
        with ThreadPoolExecutor(len(attempts)) as pool:
            logged_in = list(pool.map(lambda attempt: hub.client().login(*attempt), attempts))
        assert logged_in[:len(names)] == [True] * len(names)
        assert sorted(logged_in[len(names):]) == [False, True]
        (kept,), (refused,) = ([p for (_, p), ok in zip(twins, logged_in[len(names):]) if ok is want] for want in (True, False))
        assert hub.client().login("twin", kept) and not hub.client().login("twin", refused)
        assert not hub.client().login(names[0], "someone-elses-password")
        # A first password shorter than 7 characters is refused and not kept: a good one still becomes hers.
        assert not hub.client().login("shorty", "short")
        assert hub.client().login("shorty", "a-long-enough-password")
    finally:
        for name in names + ["twin", "shorty"]:
            hub.tljh_config("remove-item", "users.allowed", name)
        hub.tljh_config("reload")


def test_an_allowed_student_runs_code_in_her_own_server(hub):
    result = hub.tljh_config("add-item", "users.allowed", STUDENT)
    assert "added 'alice' to users.allowed" in result.stdout
    reload = hub.tljh_config("reload")
    assert "running with the new config" in reload.stdout

    alice = student(hub)
    alice.start_server()
    assert hub.unit_property("jupyter-alice", "ActiveState") == "active"
    assert hub.unit_property("jupyter-alice", "User") == hub.sh("id -u jupyter-alice").stdout.strip()
    assert alice.open_server().url.endswith("/user/alice/lab")
    assert alice.run_code("5 * 4") == "20"
    assert alice.run_code("import getpass; print(getpass.getuser())") == "jupyter-alice"
    # Her server listens below the ports outgoing connections are given (32768 and up here), where
    # nothing can take its port between the spawner's choice and the bind (tljh_lite.hub.portledger).
    pid = hub.unit_property("jupyter-alice", "MainPID")
    environment = hub.sh(f"tr '\\0' '\\n' < /proc/{pid}/environ").stdout
    port = int(re.search(r"JUPYTERHUB_SERVICE_URL=http://127\.0\.0\.1:(\d+)/", environment).group(1))
    assert 24576 <= port < 32768, environment
    hub.sh(f"python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", {port}), 5)'")  # she listens there


def test_limits_and_default_app_reach_the_students_unit(hub):
    for args in (("limits.memory", "256M"), ("limits.cpu", "0.5"), ("user_environment.default_app", "classic")):
        hub.tljh_config("set", *args)
    hub.tljh_config("reload")
    try:
        alice = student(hub)
        _restart_server(hub, alice)
        assert hub.unit_property("jupyter-alice", "MemoryMax") == str(256 * 1024 * 1024)
        assert hub.unit_property("jupyter-alice", "CPUQuotaPerSecUSec") == "500ms"
        assert alice.open_server().url.endswith("/user/alice/tree")
    finally:
        for key in ("limits.memory", "limits.cpu", "user_environment.default_app"):
            hub.tljh_config("unset", key)
        hub.tljh_config("reload")
        _restart_server(hub, student(hub))
    assert hub.unit_property("jupyter-alice", "MemoryMax") == "infinity"


def _restart_server(hub: InstalledHub, client: HubClient) -> None:
    client.session.delete(client.url(f"hub/api/users/{client.username}/server"),
                          headers={"X-XSRFToken": client._xsrf("/hub/")}, timeout=60)
    deadline = time.monotonic() + 60
    while hub.unit_property(f"jupyter-{client.username}", "ActiveState") == "active":
        assert time.monotonic() < deadline, "the server did not stop"
        time.sleep(0.5)
    client.start_server()


def test_students_are_isolated_and_only_admins_sudo(hub):
    hub.tljh_config("add-item", "users.allowed", OTHER)
    hub.tljh_config("reload")
    bob = student(hub, OTHER, OTHER_PASSWORD)
    bob.start_server()
    bob.run_code("open('/home/jupyter-bob/secret.txt', 'w').write('bob only')")

    alice = student(hub)
    alice.start_server()
    probe = (
        "import os, subprocess\n"
        "def readable(p):\n"
        "    try:\n"
        "        os.listdir(p) if os.path.isdir(p) else open(p).read()\n"
        "        return 'yes'\n"
        "    except PermissionError:\n"
        "        return 'no'\n"
        "print(readable('/home/jupyter-bob'), readable('/home/jupyter-bob/secret.txt'),"
        " readable('/opt/tljh/state'), readable('/opt/tljh/config/config.yaml'),"
        " subprocess.run(['sudo', '-n', 'true'], capture_output=True).returncode)"
    )
    assert alice.run_code(probe) == "no no no no 1"
    assert "jupyterhub-admins" not in hub.sh("id jupyter-alice").stdout

    admin = hub.admin()
    admin.start_server()
    as_root = "import subprocess; print(subprocess.run(['sudo', '-n', *{}], capture_output=True, text=True).stdout)"
    assert admin.run_code(as_root.format(["id", "-u"])) == "0"
    assert admin.run_code(as_root.format(["cat", "/home/jupyter-bob/secret.txt"])) == "bob only"


def test_a_hub_restart_keeps_student_servers_running_and_reachable(hub):
    alice = student(hub)
    alice.start_server()
    pid_before = hub.unit_property("jupyter-alice", "MainPID")
    hub.sh("systemctl restart jupyterhub")
    wait_for_hub(hub.url)
    assert hub.unit_property("jupyter-alice", "MainPID") == pid_before
    assert alice.run_code("6 * 7") == "42"  # through the proxy, with her existing login


def test_a_proxy_restart_brings_routes_back(hub):
    alice = student(hub)
    alice.start_server()
    hub.sh("systemctl restart configurable-http-proxy")
    wait_for_hub(hub.url)
    deadline = time.monotonic() + 60
    while True:
        try:
            assert alice.run_code("1 + 1") == "2"
            break
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


def test_a_config_that_breaks_the_hub_is_rolled_back_by_reload(hub):
    hub.container.write_file("/opt/tljh/config/jupyterhub_config.d/broken.py", "this is not python\n")
    result = hub.tljh_config("reload", check=False)
    assert result.exit_code == 1
    err = result.stderr.strip()
    assert err.count("\n") == 0, err
    assert "did not start with the new config" in err and "NameError" in err
    assert "last config that worked is restored" in err
    # the hub serves again, with the snippet moved aside (not lost)
    assert hub.client().api_version()
    assert hub.sh("ls /opt/tljh/config/jupyterhub_config.d/").stdout.strip() == ""
    assert "config.d-broken.py" in hub.sh("ls /opt/tljh/config/rejected/*/").stdout
    assert student(hub).run_code("2 + 2") == "4"


def test_a_bad_value_never_reaches_the_file(hub):
    before = hub.sh("sha256sum /opt/tljh/config/config.yaml").stdout
    result = hub.tljh_config("set", "limits.memroy", "1G", check=False)
    assert result.exit_code == 1 and "did you mean limits.memory?" in result.stderr
    assert hub.sh("sha256sum /opt/tljh/config/config.yaml").stdout == before


def test_running_bootstrap_again_changes_nothing_and_keeps_everything(hub):
    alice = student(hub)
    alice.start_server()
    alice.run_code("open('/home/jupyter-alice/homework.txt', 'w').write('my work')")
    hub_pid = hub.unit_property("jupyterhub", "MainPID")
    server_pid = hub.unit_property("jupyter-alice", "MainPID")

    result, seconds = hub.bootstrap("--admin", f"{ADMIN}:{ADMIN_PASSWORD}")
    out = result.stdout + result.stderr
    assert "Installation successful" in out
    assert "nothing needed a restart" in out
    print(f"re-run took {seconds:.1f} s")

    assert hub.unit_property("jupyterhub", "MainPID") == hub_pid
    assert hub.unit_property("jupyter-alice", "MainPID") == server_pid
    assert hub.sh("cat /home/jupyter-alice/homework.txt").stdout == "my work"
    assert "alice" in hub.tljh_config("get", "users.allowed").stdout
    assert hub.client().login(ADMIN, ADMIN_PASSWORD)
    assert alice.run_code("open('/home/jupyter-alice/homework.txt').read()") == "'my work'"


def test_the_idle_culler_is_a_timer_and_the_hub_accepts_its_round(hub):
    # Nothing runs between rounds (docs/performance.md): no culler among the processes.
    assert hub.unit_property("tljh-cull-idle.timer", "ActiveState") == "active"
    processes = hub.sh("for p in /proc/[0-9]*/cmdline; do tr '\\0' ' ' < $p; echo; done", check=False).stdout
    assert not [line for line in processes.splitlines() if "culler" in line]
    assert "--timeout=3600" in hub.sh("systemctl cat tljh-cull-idle.service").stdout
    # A round now: it lists the users and their servers with its token (a refused token fails the unit).
    hub.sh("systemctl start tljh-cull-idle.service")
    assert hub.unit_property("tljh-cull-idle.service", "Result") == "success"
    assert hub.unit_property("tljh-cull-idle.service", "ActiveState") == "inactive"  # and it is gone again


def test_user_requirements_are_installed_and_a_broken_list_fails_cleanly(hub):
    hub.container.write_file("/srv/requirements.txt", "six\n")
    result, _ = hub.bootstrap("--user-requirements-txt-url", "file:///srv/requirements.txt")
    assert "Installation successful" in result.stdout
    assert student(hub).run_code("import six; print(six.__name__)") == "six"

    hub_pid = hub.unit_property("jupyterhub", "MainPID")
    hub.container.write_file("/srv/broken.txt", "this-package-does-not-exist-tljh-lite==1.0\n")
    result, _ = hub.bootstrap("--user-requirements-txt-url", "file:///srv/broken.txt", check=False)
    assert result.exit_code == 1
    assert "this-package-does-not-exist-tljh-lite" in result.stderr  # the installer's own error, shown
    assert "Traceback" not in result.stderr
    assert hub.unit_property("jupyterhub", "MainPID") == hub_pid  # nothing was touched
    assert hub.client().api_version()


def test_reload_proxy_applies_a_new_http_port(hub):
    hub.tljh_config("set", "http.port", "8081")
    try:
        result = hub.tljh_config("reload", "proxy")
        assert "running with the new config" in result.stdout
        assert hub.sh("curl -s http://127.0.0.1:8081/hub/api").stdout.startswith('{"version"')
        assert "--port=8081" in hub.sh("systemctl cat configurable-http-proxy").stdout
    finally:
        hub.tljh_config("unset", "http.port")
        hub.tljh_config("reload", "proxy")
    assert hub.client().api_version()


def test_terminals_resource_usage_and_nbgitpuller_work_in_a_students_server(hub):
    alice = student(hub)
    alice.start_server()
    alice.open_server()
    headers = {"X-XSRFToken": alice._xsrf("/user/alice/")}
    terminal = alice.session.post(alice.url("user/alice/api/terminals"), headers=headers, timeout=30)
    assert terminal.status_code == 200 and terminal.json()["name"]
    metrics = alice.get("user/alice/api/metrics/v1")
    assert metrics.status_code == 200 and metrics.json()["rss"] > 0
    listing = hub.sh("/opt/tljh/user/bin/jupyter server extension list 2>&1").stdout
    extensions = re.sub(r"\x1b\[[0-9;]*m", "", listing)  # it colours "enabled"
    for name in ("nbgitpuller", "jupyter_resource_usage", "jupyter_server_terminals", "jupyterlab", "notebook"):
        assert f"{name} enabled" in extensions, extensions
    assert alice.get("user/alice/git-pull").status_code in (200, 400)  # the link handler answers


COURSE_REPO_SETUP = """
set -e
rm -rf /srv/course-src /srv/git-www && mkdir -p /srv/course-src /srv/git-www
cd /srv/course-src
git init -q -b main
printf '%s' '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}' > week1.ipynb
git add week1.ipynb && git -c user.name=prof -c user.email=prof@example.org commit -q -m 'week 1'
git clone -q --bare /srv/course-src /srv/git-www/course.git
"""
COURSE_REPO_URL = "git://127.0.0.1:9418/course.git"
NEXT_WEEK = """
set -e
cd /srv/course-src && cp week1.ipynb week2.ipynb && git add week2.ipynb
git -c user.name=prof -c user.email=prof@example.org commit -q -m 'week 2' && git push -q /srv/git-www/course.git main
"""


def git_pull(client: HubClient) -> str:
    """What a student's browser does behind an nbgitpuller link: the event stream of the pull."""
    params = {"repo": COURSE_REPO_URL, "branch": "main", "targetpath": "course"}
    with client.session.get(client.url(f"user/{client.username}/git-pull/api"), params=params, stream=True,
                            timeout=120) as events:
        assert events.status_code == 200
        return "\n".join(line.decode() for line in events.iter_lines() if line)


def test_an_nbgitpuller_link_pulls_a_course_repository_into_a_students_home(hub):
    # A git host on the container's loopback (git daemon, the git:// protocol),
    # so nbgitpuller's shallow clone goes over the network as it would from GitHub.
    hub.sh(COURSE_REPO_SETUP)
    hub.sh("systemctl stop course-git 2>/dev/null; systemd-run --unit course-git git daemon --reuseaddr "
           "--export-all --base-path=/srv/git-www --listen=127.0.0.1 --port=9418 /srv/git-www", check=False)
    hub.sh(f"for i in $(seq 100); do git ls-remote {COURSE_REPO_URL} >/dev/null 2>&1 && exit 0; sleep 0.1; done; "
           "exit 1")
    try:
        alice = student(hub)
        alice.start_server()
        alice.open_server()  # as the link does in a browser: log in to her server first
        first = git_pull(alice)
        assert '"phase": "finished"' in first, first
        assert hub.sh("stat -c %U /home/jupyter-alice/course/week1.ipynb").stdout.strip() == "jupyter-alice"
        assert '"nbformat": 4' in alice.get("user/alice/api/contents/course/week1.ipynb").text

        alice.run_code("open('/home/jupyter-alice/course/my-notes.txt', 'w').write('mine')")
        hub.sh(NEXT_WEEK)
        second = git_pull(alice)  # next week's link: new material arrives, her own files stay
        assert '"phase": "finished"' in second, second
        assert hub.sh("ls /home/jupyter-alice/course").stdout.split() == ["my-notes.txt", "week1.ipynb", "week2.ipynb"]
        assert hub.sh("cat /home/jupyter-alice/course/my-notes.txt").stdout == "mine"
    finally:
        hub.sh("systemctl stop course-git", check=False)


def test_neither_environment_has_the_slow_unused_import(hub):
    # bootstrap's uv --excludes: rfc3987-syntax cost 0.7 s of every start (docs/performance.md)
    for venv in ("hub", "user"):
        check = "import importlib.util, jsonschema; print(importlib.util.find_spec('rfc3987_syntax'))"
        assert hub.sh(f"/opt/tljh/{venv}/bin/python3 -c \"{check}\"").stdout.strip() == "None"
