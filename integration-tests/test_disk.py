"""One student cannot take the hub down by filling the disk (issue 26), on a machine of its own.

The container is a one-disk VM in small: a 200 MB ext4 filesystem (a loop
device, 5 % kept for root as mkfs.ext4 keeps by default) holds the students'
homes, the hub's state (its database, secrets, the backup record) and the
backups, as / holds them on a cloud VM with one disk. A student fills it from
her kernel; the hub, another student's first login and spawn, `tljh-lite
status` and a backup are then watched from outside. No quotas here: what a
host's kernel can do varies (this project's machines have none), so quotas
are proved on Debian's own kernels (test_disk_quotas_vm.py), and a home that
cannot take them (a container's overlay, on any kernel) in test_backup.py.
"""

from __future__ import annotations

import re

import pytest

from hubclient import HubError
from installed import ADMIN
from loopdisk import bind, mount_image

DISK = "/srv/disk"
STUDENTS = {"filla": "filla-password", "bob": "bob-password", "carol": "carol-password"}
BACKUPS = "/var/backups/tljh-lite"
# Random bytes (a backup cannot squeeze them into the room left), a MiB at a time, then the last blocks.
FILL = """
import errno, os
def fill(name, size):
    try:
        with open(name, 'wb') as f:
            while True:
                f.write(os.urandom(size))
                f.flush()
    except OSError as e:
        return f'{errno.errorcode[e.errno]} {e.strerror}'
fill('big', 2**20)
print(fill('last', 4096))
"""


def onto_one_disk(hub) -> None:
    """/home, the hub's state and the backups moved onto one small ext4, as on a one-disk VM (the hub
    stopped meanwhile); the students allowed and backups scheduled, with the reload that starts the hub."""
    hub.sh("systemctl stop jupyterhub")
    mount_image(hub.container, "/srv/disk.img", DISK, "200M")
    for inside, seen_at in (("home", "/home"), ("state", "/opt/tljh/state"), ("backups", BACKUPS)):
        hub.sh(f"mkdir -p {DISK}/{inside} {seen_at} && cp -a {seen_at}/. {DISK}/{inside}/")
        bind(hub.container, f"{DISK}/{inside}", seen_at)
    hub.sh(" && ".join([*(f"tljh-config add-item users.allowed {name}" for name in STUDENTS),
                        "tljh-config set backup.schedule daily"]))
    hub.tljh_config("reload")


@pytest.fixture(scope="module")
def small_disk_hub(fresh_install):
    hub = fresh_install(loop_devices=True)  # a machine of its own: just installed, then its disk made small
    onto_one_disk(hub)
    yield hub
    hub.container.remove()  # nothing to put back


def test_the_students_the_hub_and_the_backups_share_one_small_disk(small_disk_hub):
    hub = small_disk_hub
    devices = hub.sh(f"stat -c %d {DISK} /home /opt/tljh/state/jupyterhub.sqlite {BACKUPS}").stdout.split()
    assert len(set(devices)) == 1, devices
    free, available = map(int, hub.sh(f"stat -f -c '%f %a' {DISK}").stdout.split())
    assert free - available > 0  # blocks kept for root


def test_a_student_fills_the_disk_and_the_hub_logins_spawns_status_and_backups_keep_working(small_disk_hub):
    hub = small_disk_hub
    carol = hub.logged_in("carol", STUDENTS["carol"])  # at work before the disk fills
    carol.start_server()
    assert carol.run_code("print('working')") == "working"
    filla = hub.logged_in("filla", STUDENTS["filla"])
    filla.start_server()
    assert filla.run_code(FILL, timeout=300).strip() == "ENOSPC No space left on device"
    assert int(hub.sh(f"df --output=avail -B1 {DISK} | tail -1").stdout) < 4096  # not a block left for students
    # Measured: root still writes (the kernel gives the kept blocks to uid 0, CAP_SYS_RESOURCE or not).
    hub.sh("dd if=/dev/zero of=/opt/tljh/state/room-for-root bs=1M count=2 && rm /opt/tljh/state/room-for-root")

    # The hub answers and writes its database: an admin logs in (a new session) and asks for a token.
    admin = hub.admin()
    token = admin.session.post(admin.url(f"hub/api/users/{ADMIN}/tokens"), json={"note": "full disk"},
                               headers={"X-XSRFToken": admin._xsrf("/hub/")}, timeout=30)
    assert token.status_code == 201, token.text
    # Another student's first login makes his account and home, his server starts (its runtime files are in
    # its private /dev/shm), and his terminal works; a student already at work runs code.
    bob = hub.logged_in("bob", STUDENTS["bob"])
    bob.start_server()
    assert bob.open_server().status_code == 200
    assert "hello" in bob.run_in_terminal("echo hel''lo")
    assert carol.run_code("print(6 * 7)").strip() == "42"
    with pytest.raises(HubError, match="No space left on device"):  # what she sees when she saves
        carol.run_code("with open('notes.txt', 'w') as f:\n    f.write('x' * 9000)")

    status = hub.sh("tljh-lite status", check=False)
    assert status.exit_code == 1
    full = next(line for line in status.stdout.splitlines() if line.startswith("Needs you: disk: /home is"))
    assert re.search(r"is 9\d % full; biggest homes: jupyter-filla 1\d\d\.\d MiB", full), full
    assert re.search(r"the hub's database shares /home's filesystem; root keeps \d+ % \(", status.stdout), status.stdout

    # A backup on the full disk fails in one line, leaves no partial file, and the scheduled one is recorded.
    manual = hub.sh("tljh-lite backup create", check=False)
    assert manual.exit_code == 1 and "the disk is full: no room for the backup" in manual.stderr, manual
    hub.sh("systemctl start tljh-backup.service", check=False, timeout=300)
    assert hub.sh(f"ls -A {BACKUPS}").stdout.strip() == ""
    assert "FAILED" in hub.sh("tljh-lite backup status", check=False).stdout
    assert "the last scheduled backup failed" in hub.sh("tljh-lite status", check=False).stdout
    assert hub.logged_in("carol", STUDENTS["carol"]).whoami() == "carol"  # the hub logs people in after them too

    # She deletes her file and everything is as before.
    filla.run_code("import os; os.remove('big'); os.remove('last')")
    assert not [line for line in hub.sh("tljh-lite status", check=False).stdout.splitlines()
                if line.startswith("Needs you: disk:")]
