"""The shared-folders plugin on a real hub: the folders, their owners, modes and ACLs, and
an instructor, a second instructor and two students using them through their own servers
(Jupyter's contents API, checkpoints, and code in their kernels).

Runs on the `plugin_hub` (both plugins of plugins/ installed with --plugin). Tests run in
file order; the accounts here (ann, ben, tina, cy, jupyter-olduser) are used by no other
test file.
"""

from __future__ import annotations

import re
import time

import pytest

from conftest import PLUGINS
from hubclient import HubClient
from installed import ADMIN, ADMIN_PASSWORD, SOURCE_IN_CONTAINER, InstalledHub

STUDENTS = {"ann": "ann-first-password", "ben": "ben-first-password"}
INSTRUCTOR = "tina"  # a second admin
COURSE, SCRATCH = "/srv/course", "/srv/scratch"

COURSE_ACL = {
    "user::rwx", "group::rwx", "group:jupyterhub-users:r-x", "mask::rwx", "other::---",
    "default:user::rwx", "default:group::rwx", "default:group:jupyterhub-users:r-x",
    "default:mask::rwx", "default:other::---",
}
SCRATCH_ACL = {
    "user::rwx", "group::rwx", "group:jupyterhub-users:rwx", "mask::rwx", "other::---",
    "default:user::rwx", "default:group::rwx", "default:group:jupyterhub-users:rwx",
    "default:mask::rwx", "default:other::---",
}


def notebook(source: str) -> dict:
    return {
        "cells": [{"cell_type": "code", "execution_count": None, "id": "c1", "metadata": {}, "outputs": [],
                   "source": source}],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def contents(client: HubClient, method: str, path: str, **kwargs):
    """A call to the user's Jupyter contents API, as JupyterLab makes it."""
    prefix = f"/user/{client.username}/"
    return client.session.request(
        method, client.url(f"{prefix}api/contents/{path}"),
        headers={"X-XSRFToken": client._xsrf(prefix)}, timeout=30, **kwargs,
    )


def save(client: HubClient, path: str, source: str):
    """What JupyterLab does on Ctrl-S: PUT the notebook, then create a checkpoint."""
    saved = contents(client, "PUT", path, json={"type": "notebook", "content": notebook(source)})
    checkpoint = contents(client, "POST", f"{path}/checkpoints")
    return saved, checkpoint


def source_of(client: HubClient, path: str) -> str:
    response = contents(client, "GET", path)
    assert response.status_code == 200, response.text
    return response.json()["content"]["cells"][0]["source"]


def acl(hub: InstalledHub, path: str) -> set[str]:
    out = hub.sh(f"getfacl --omit-header --no-effective --absolute-names {path}").stdout
    return {line for line in out.splitlines() if line and not line.startswith("#")}


def stat(hub: InstalledHub, path: str) -> str:
    return hub.sh(f"stat -c '%U %G %A' {path}").stdout.strip()


def logged_in(hub: InstalledHub, name: str, password: str) -> HubClient:
    client = hub.client()
    assert client.login(name, password), f"{name} could not log in"
    client.start_server()
    client.open_server()  # as a browser: sets the server's _xsrf cookie
    return client


@pytest.fixture(scope="module")
def people(plugin_hub: InstalledHub) -> dict[str, HubClient]:
    """prof, tina (a second admin), ann and ben, each logged in with a running server."""
    for name in (*STUDENTS, INSTRUCTOR):
        plugin_hub.tljh_config("add-item", "users.allowed", name)
    # A new admin gets her password when she is named (never from a first login).
    named = plugin_hub.tljh_config("add-item", "users.admin", INSTRUCTOR).stdout
    instructor_password = re.search(rf"Password for the new admin {INSTRUCTOR}: (\S+)", named).group(1)
    plugin_hub.tljh_config("reload")
    clients = {ADMIN: logged_in(plugin_hub, ADMIN, ADMIN_PASSWORD),
               INSTRUCTOR: logged_in(plugin_hub, INSTRUCTOR, instructor_password)}
    for name, password in STUDENTS.items():
        clients[name] = logged_in(plugin_hub, name, password)
    yield clients
    for client in clients.values():  # the hub has 900 MB: leave room for later tests
        stop_server(plugin_hub, client)


def stop_server(hub: InstalledHub, client: HubClient, timeout: float = 60) -> None:
    client.session.delete(client.url(f"hub/api/users/{client.username}/server"),
                          headers={"X-XSRFToken": client._xsrf("/hub/")}, timeout=60)
    deadline = time.monotonic() + timeout
    while hub.unit_property(f"jupyter-{client.username}", "ActiveState") == "active":
        assert time.monotonic() < deadline, f"{client.username}'s server did not stop"
        time.sleep(0.5)


def test_post_install_made_both_folders_with_their_groups_modes_and_acls(plugin_hub):
    assert "tljh_post_install: tljh_lite_shared_folders done" in plugin_hub.install_output
    assert plugin_hub.sh("dpkg-query -W -f='${Status}' acl").stdout == "install ok installed"
    # setgid, rwx for owner and group (the ACL mask), nothing for others
    assert stat(plugin_hub, COURSE) == "root jupyterhub-admins drwxrws---"
    assert stat(plugin_hub, SCRATCH) == "root jupyterhub-users drwxrws---"
    assert acl(plugin_hub, COURSE) == COURSE_ACL
    assert acl(plugin_hub, SCRATCH) == SCRATCH_ACL


def test_the_keys_and_their_defaults_are_in_tljh_config(plugin_hub):
    get = lambda key: plugin_hub.tljh_config("get", key).stdout.strip()  # noqa: E731
    assert get("shared_folders.course.path") == COURSE
    assert get("shared_folders.scratch.link_name") == "scratch"
    assert get("shared_folders.scratch.enabled") == "true"


@pytest.mark.parametrize(
    "key, value, words",
    [
        ("shared_folders.course.path", "relative", "shared_folders.course.path must be an absolute folder path"),
        ("shared_folders.course.path", "/etc", "not a system folder like /etc"),
        ("shared_folders.scratch.path", "/srv/scratch/", "not ending in '/'"),
        ("shared_folders.scratch.link_name", "a/b", "shared_folders.scratch.link_name must be a plain file name"),
        ("shared_folders.course.enabled", "maybe", "shared_folders.course.enabled must be true or false"),
        ("shared_folders.course.pth", "/srv/x", "did you mean shared_folders.course.path?"),
    ],
)
def test_tljh_config_refuses_a_bad_value_in_one_line(plugin_hub, key, value, words):
    before = plugin_hub.sh("sha256sum /opt/tljh/config/config.yaml").stdout
    result = plugin_hub.tljh_config("set", key, value, check=False)
    assert result.exit_code == 1
    assert words in result.stderr and result.stderr.strip().count("\n") == 0, result.stderr
    assert plugin_hub.sh("sha256sum /opt/tljh/config/config.yaml").stdout == before


def test_new_accounts_get_both_links_owned_by_them(plugin_hub, people):
    for name in (ADMIN, INSTRUCTOR, *STUDENTS):
        home = f"/home/jupyter-{name}"
        for link, target in (("course", COURSE), ("scratch", SCRATCH)):
            assert plugin_hub.sh(f"readlink {home}/{link}").stdout.strip() == target
            assert plugin_hub.sh(f"stat -c %U {home}/{link}").stdout.strip() == f"jupyter-{name}"
    listing = contents(people["ann"], "GET", "").json()["content"]
    kinds = {item["name"]: item["type"] for item in listing}
    assert kinds["course"] == "directory" and kinds["scratch"] == "directory"


def test_two_students_save_the_same_scratch_notebook_in_turn_with_checkpoints(plugin_hub, people):
    ann, ben = people["ann"], people["ben"]
    path = "scratch/group-work.ipynb"
    for client, source in ((ann, "print('ann 1')"), (ben, "print('ben 1')"), (ann, "print('ann 2')")):
        saved, checkpoint = save(client, path, source)
        assert saved.status_code in (200, 201), f"{client.username}: {saved.status_code} {saved.text}"
        assert checkpoint.status_code == 201, f"{client.username}: {checkpoint.status_code} {checkpoint.text}"
        other = ben if client is ann else ann
        assert source_of(other, path) == source

    # ben restores the checkpoint ann made last, and lists it
    checkpoints = contents(ben, "GET", f"{path}/checkpoints").json()
    assert [c["id"] for c in checkpoints] == ["checkpoint"]
    assert contents(ben, "POST", f"{path}/checkpoints/checkpoint").status_code == 204

    # The notebook stays ann's (made first), the group's, and group-writable; so do the
    # checkpoints folder (created by ann's server with umask 022) and its file.
    assert stat(plugin_hub, f"{SCRATCH}/group-work.ipynb") == "jupyter-ann jupyterhub-users -rw-rw----"
    assert stat(plugin_hub, f"{SCRATCH}/.ipynb_checkpoints") == "jupyter-ann jupyterhub-users drwxrws---"
    assert acl(plugin_hub, f"{SCRATCH}/.ipynb_checkpoints") == SCRATCH_ACL
    assert stat(plugin_hub, f"{SCRATCH}/.ipynb_checkpoints/group-work-checkpoint.ipynb") == (
        "jupyter-ann jupyterhub-users -rw-rw----"
    )
    # the atomic save's temporary copies were all removed
    assert plugin_hub.sh(f"ls -A {SCRATCH}").stdout.split() == [".ipynb_checkpoints", "group-work.ipynb"]


def test_students_write_scratch_from_their_kernels_despite_umask_022(plugin_hub, people):
    ann, ben = people["ann"], people["ben"]
    assert ann.run_code("import os; print(oct(os.umask(0o22)))") == "0o22"
    ann.run_code(
        "import os\n"
        "os.makedirs(os.path.expanduser('~/scratch/team/data'))\n"
        "open(os.path.expanduser('~/scratch/team/data/results.csv'), 'w').write('a,b\\n')\n"
    )
    assert stat(plugin_hub, f"{SCRATCH}/team/data") == "jupyter-ann jupyterhub-users drwxrws---"
    assert stat(plugin_hub, f"{SCRATCH}/team/data/results.csv") == "jupyter-ann jupyterhub-users -rw-rw----"
    out = ben.run_code(
        "import os\n"
        "open('/srv/scratch/team/data/results.csv', 'a').write('1,2\\n')\n"
        "open('/srv/scratch/team/data/ben.txt', 'w').write('hi')\n"
        "os.mkdir('/srv/scratch/team/ben-dir')\n"
        "print(open('/srv/scratch/team/data/results.csv').read().split())"
    )
    assert out == "['a,b', '1,2']"
    # ann, in turn, changes and deletes what ben made: scratch is collaborative
    assert ann.run_code(
        "import os\n"
        "open('/srv/scratch/team/data/ben.txt', 'a').write(' there')\n"
        "os.rmdir('/srv/scratch/team/ben-dir')\n"
        "print(open('/srv/scratch/team/data/ben.txt').read())"
    ) == "hi there"


def test_instructors_write_the_course_together_and_students_only_read_it(plugin_hub, people):
    prof, tina, ann = people[ADMIN], people[INSTRUCTOR], people["ann"]
    path = "course/lesson-1.ipynb"
    saved, checkpoint = save(prof, path, "print('draft')")
    assert (saved.status_code, checkpoint.status_code) == (201, 201), saved.text + checkpoint.text
    # the second instructor updates the notebook the first one created, checkpoint included
    saved, checkpoint = save(tina, path, "print('final')")
    assert (saved.status_code, checkpoint.status_code) == (200, 201), saved.text + checkpoint.text
    assert source_of(prof, path) == "print('final')"
    assert stat(plugin_hub, f"{COURSE}/lesson-1.ipynb") == "jupyter-prof jupyterhub-admins -rw-rw----"
    assert stat(plugin_hub, f"{COURSE}/.ipynb_checkpoints") == "jupyter-prof jupyterhub-admins drwxrws---"

    # students read it, through the contents API and from their kernels (via the link)
    assert source_of(ann, path) == "print('final')"
    assert ann.run_code("import json, os; print(''.join(json.load(open(os.path.expanduser("
                        "'~/course/lesson-1.ipynb')))['cells'][0]['source']))") == "print('final')"
    # and can change nothing there
    assert contents(ann, "PUT", path, json={"type": "notebook", "content": notebook("print('ann')")}).status_code == 403
    assert contents(ann, "PUT", "course/ann.ipynb",
                    json={"type": "notebook", "content": notebook("x")}).status_code == 403
    assert contents(ann, "POST", f"{path}/checkpoints").status_code >= 400
    probe = (
        "import os, shutil\n"
        "def denied(action):\n"
        "    try:\n"
        "        action()\n"
        "        return 'allowed'\n"
        "    except PermissionError:\n"
        "        return 'denied'\n"
        "print(denied(lambda: open('/srv/course/lesson-1.ipynb', 'a')),\n"
        "      denied(lambda: open('/srv/course/new.txt', 'w')),\n"
        "      denied(lambda: os.mkdir('/srv/course/mine')),\n"
        "      denied(lambda: os.remove('/srv/course/lesson-1.ipynb')),\n"
        "      denied(lambda: os.rename('/srv/course/lesson-1.ipynb', '/srv/course/x.ipynb')))"
    )
    assert ann.run_code(probe) == "denied denied denied denied denied"
    assert source_of(prof, path) == "print('final')"

    # instructors also work from their kernels: a data folder one makes, the other writes into
    prof.run_code("import os; os.makedirs('/srv/course/data'); open('/srv/course/data/a.csv', 'w').write('x\\n')")
    assert tina.run_code("open('/srv/course/data/a.csv', 'a').write('y\\n'); "
                         "print(open('/srv/course/data/a.csv').read().split())") == "['x', 'y']"
    assert ann.run_code("print(open('/srv/course/data/a.csv').read().split())") == "['x', 'y']"


def test_accounts_outside_the_hub_groups_get_nothing(plugin_hub, people):
    for path in (COURSE, SCRATCH, f"{COURSE}/lesson-1.ipynb", f"{SCRATCH}/group-work.ipynb"):
        assert plugin_hub.sh(f"runuser -u nobody -- cat {path} || runuser -u nobody -- ls {path}",
                             check=False).exit_code != 0, path


def test_bootstrap_again_links_existing_students_and_changes_nothing_else(plugin_hub, people):
    # An account that existed before the plugin (no links), a student who lost a link,
    # and a student's own folder with a link's name.
    plugin_hub.sh("useradd --create-home --user-group --shell /bin/bash jupyter-olduser && "
                  "chmod 0700 /home/jupyter-olduser && gpasswd --add jupyter-olduser jupyterhub-users")
    plugin_hub.sh("runuser -u jupyter-olduser -- mkdir /home/jupyter-olduser/course && "
                  "runuser -u jupyter-olduser -- touch /home/jupyter-olduser/course/mine.txt")
    plugin_hub.sh("rm /home/jupyter-ann/scratch")
    watched = [COURSE, SCRATCH, "/home/jupyter-ben/course", "/home/jupyter-ben/scratch", "/home/jupyter-ann/course"]
    before = plugin_hub.sh("stat -c '%n %i %z' " + " ".join(watched)).stdout

    args = [arg for plugin in PLUGINS for arg in ("--plugin", f"{SOURCE_IN_CONTAINER}/{plugin}")]
    result, _ = plugin_hub.bootstrap("--admin", f"{ADMIN}:{ADMIN_PASSWORD}", *args)
    assert "Installation successful" in result.stdout
    assert "tljh_post_install: tljh_lite_shared_folders done" in result.stdout

    assert plugin_hub.sh("stat -c '%n %i %z' " + " ".join(watched)).stdout == before  # not even touched
    assert plugin_hub.sh("readlink /home/jupyter-olduser/scratch").stdout.strip() == SCRATCH
    assert plugin_hub.sh("stat -c %U /home/jupyter-olduser/scratch").stdout.strip() == "jupyter-olduser"
    assert plugin_hub.sh("ls /home/jupyter-olduser/course").stdout.strip() == "mine.txt"  # left alone
    assert plugin_hub.sh("readlink /home/jupyter-ann/scratch").stdout.strip() == SCRATCH
    assert plugin_hub.sh("stat -c %U /home/jupyter-ann/scratch").stdout.strip() == "jupyter-ann"
    assert acl(plugin_hub, COURSE) == COURSE_ACL and acl(plugin_hub, SCRATCH) == SCRATCH_ACL
    # the students' files survived, and so did their servers' access
    assert source_of(people["ben"], "scratch/group-work.ipynb") == "print('ann 2')"


def test_a_changed_config_reaches_accounts_created_after_it(plugin_hub, people):
    for client in people.values():  # one more server would not fit in 900 MB beside them
        stop_server(plugin_hub, client)
    plugin_hub.tljh_config("set", "shared_folders.course.link_name", "lectures")
    plugin_hub.tljh_config("set", "shared_folders.scratch.path", "/srv/scratch-2")
    plugin_hub.tljh_config("add-item", "users.allowed", "cy")
    plugin_hub.tljh_config("reload")
    try:
        cy = logged_in(plugin_hub, "cy", "cy-first-password")
        assert plugin_hub.sh("readlink /home/jupyter-cy/lectures").stdout.strip() == COURSE
        assert plugin_hub.sh("readlink /home/jupyter-cy/scratch").stdout.strip() == "/srv/scratch-2"
        assert plugin_hub.sh("test -e /home/jupyter-cy/course", check=False).exit_code != 0
        # the hub made the new folder, with the same model
        assert stat(plugin_hub, "/srv/scratch-2") == "root jupyterhub-users drwxrws---"
        assert acl(plugin_hub, "/srv/scratch-2") == SCRATCH_ACL
        saved, checkpoint = save(cy, "scratch/cy.ipynb", "print('cy')")
        assert (saved.status_code, checkpoint.status_code) == (201, 201)
        stop_server(plugin_hub, cy)
    finally:
        plugin_hub.tljh_config("unset", "shared_folders.course.link_name")
        plugin_hub.tljh_config("unset", "shared_folders.scratch.path")
        plugin_hub.tljh_config("reload")
