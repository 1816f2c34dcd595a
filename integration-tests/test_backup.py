"""Backups: create on a hub in use, refuse bad archives, restore onto a fresh machine, scheduled backups.

The source is the session's `plugin_hub` (the plugins of plugins/, so plugins,
their folders and ACLs are in the backup) with the session's two nbgrader
courses (course_hub.py) and one graded submission in data102; what the tests add
to it (two students, files, a course notebook) is taken away again at the end. One
student is hostile (issue 21): a 1 TiB sparse file made in her terminal and a
2,000-deep tree made in her kernel, which the backup must survive, fast and
small, listing what it left out. The target is one fresh install without
plugins, in a container of this module: the restore brings the plugins,
accounts, passwords, homes (the sparse file sparse again) and config, and is
interrupted once on the way (the same command then finishes it); the courses
come back with their gradebooks, submissions and running formgraders. The
scheduled backups run on that target too, so nothing needs putting back.
The source's config asks for `limits.disk`, which homes in a container's
overlay cannot take on any kernel: `tljh-config set` and status say so in one
line, and the restore carries the limit and says so too (issue 26).
"""

from __future__ import annotations

import json
import re
import subprocess
import threading
import time
from pathlib import Path

import pytest

from course_hub import STAFF, formgrader, grade_one_submission, grades_csv, wait_for_formgrader
from hubclient import HubClient
from installed import ADMIN, ADMIN_PASSWORD, InstalledHub

STUDENTS = {"ada": "ada-first-password", "olu": "olu-first-password"}
ARCHIVE = "/root/backups/hub.tar.gz"
LECTURE = "/srv/course/lecture-1.ipynb"
STATE_FILES = "/opt/tljh/state/jupyterhub.sqlite /opt/tljh/config/config.yaml"
HUB_PYTHON = "/opt/tljh/hub/bin/python3"
TIB = 2**40
# In her terminal: a file of 1 TiB that takes no disk space but its first and last bytes.
SPARSE_FILE = ("truncate -s 1T huge.img && printf head | dd of=huge.img conv=notrunc status=none && "
               f"printf tail | dd of=huge.img bs=1 seek={TIB - 4} conv=notrunc status=none && du -k huge.img")
# In her kernel: folders nested 2,000 deep, one `mkdir d; cd d` at a time, and a file at the bottom.
DEEP_TREE = ("import os\nhome = os.getcwd()\nos.mkdir('{top}'); os.chdir('{top}')\n"
             "for _ in range(1999):\n    os.mkdir('d'); os.chdir('d')\n"
             "open('bottom.txt', 'w').write('deep'); os.chdir(home); print('made')")
TOO_DEEP = "a folder more than 100 levels deep: left out with everything in it"

# Run in a container with the hub's Python: every member of the archive (but the hub's own
# files) against the machine: kind, owner and group by name, mode, link target, content, ACLs.
CHECK_FILES = r'''
import grp, hashlib, json, os, pwd, stat, sys, tarfile
from tljh_lite.backup import acl
manifest, bad, checked = None, [], 0
with tarfile.open(sys.argv[1]) as tar:
    for m in tar:
        if m.name.startswith("tljh-backup/"):
            if m.name.endswith("manifest.json"):
                manifest = json.load(tar.extractfile(m))
            continue
        path, checked = "/" + m.name, checked + 1
        st = os.lstat(path)
        kind = "dir" if stat.S_ISDIR(st.st_mode) else "sym" if stat.S_ISLNK(st.st_mode) else "reg"
        want = "dir" if m.isdir() else "sym" if m.issym() else "reg"
        if kind != want:
            bad.append(f"{path}: {kind}, not {want}"); continue
        owner = (pwd.getpwuid(st.st_uid).pw_name, grp.getgrgid(st.st_gid).gr_name)
        if owner != (m.uname, m.gname):
            bad.append(f"{path}: owned by {owner}, not {(m.uname, m.gname)}")
        if kind != "sym" and stat.S_IMODE(st.st_mode) != m.mode:
            bad.append(f"{path}: mode {stat.S_IMODE(st.st_mode):o}, not {m.mode:o}")
        if kind == "sym" and os.readlink(path) != m.linkname:
            bad.append(f"{path}: points at {os.readlink(path)}")
        if kind == "reg" and m.isreg() and m.sparse is not None:  # its data regions only, and holes again
            if st.st_size != m.size or st.st_blocks * 512 > 2**20:
                bad.append(f"{path}: {st.st_size} bytes in {st.st_blocks} blocks, not {m.size} sparse")
            with open(path, "rb") as here:
                src = tar.extractfile(m)
                for offset, length in m.sparse:
                    src.seek(offset); here.seek(offset)
                    if src.read(length) != here.read(length):
                        bad.append(f"{path}: content differs at {offset}")
        elif kind == "reg" and m.isreg():
            data = open(path, "rb").read()
            if hashlib.sha256(data).hexdigest() != hashlib.sha256(tar.extractfile(m).read()).hexdigest():
                bad.append(f"{path}: content differs")
        if kind != "sym":
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
            acls = {k: v for k, v in m.pax_headers.items() if k.startswith("SCHILY.acl")}
            if acl.read(fd) != acls:
                bad.append(f"{path}: ACL {acl.read(fd)} not {acls}")
            os.close(fd)
print("\n".join(bad) or f"all {checked} entries match")
sys.exit(1 if bad else 0)
'''

# Makes a copy of an archive whose database says it comes from a newer JupyterHub, with
# checksums that match (what a backup made by a later tljh-lite would look like).
FORGE_NEWER = r'''
import hashlib, io, json, sqlite3, sys, tarfile, tempfile
src, dst = sys.argv[1], sys.argv[2]
with tarfile.open(src) as tar, tarfile.open(dst, "w:gz", format=tarfile.PAX_FORMAT) as out:
    members = [(m, tar.extractfile(m).read() if m.isreg() else None) for m in tar.getmembers()]
    for m, data in members:
        if m.name == "tljh-backup/state/jupyterhub.sqlite":
            with tempfile.NamedTemporaryFile() as db:
                db.write(data); db.flush()
                conn = sqlite3.connect(db.name)
                conn.execute("UPDATE alembic_version SET version_num = 'ffffffffffff'"); conn.commit(); conn.close()
                data = open(db.name, "rb").read()
            newer_db = hashlib.sha256(data).hexdigest()
        if m.name == "tljh-backup/manifest.json":
            manifest = json.loads(data)
            manifest.update(db_revision="ffffffffffff", tljh_lite_version="9.9.9", jupyterhub_version="9.0.0")
            manifest["files"]["tljh-backup/state/jupyterhub.sqlite"] = newer_db
            data = json.dumps(manifest).encode()
        if data is not None:
            m.size = len(data)
        out.addfile(m, io.BytesIO(data) if data is not None else None)
'''


def logged_in(hub: InstalledHub, name: str, password: str) -> HubClient:
    client = hub.client()
    assert client.login(name, password), f"{name} could not log in"
    return client


def sha(hub: InstalledHub, paths: str) -> str:
    return hub.sh(f"sha256sum {paths}").stdout


@pytest.fixture(scope="module")
def source(plugin_hub: InstalledHub, courses):
    """The plugin hub with two students (files, an ACL, a running server), a course notebook, a config comment,
    and the session's nbgrader courses, with ada's graded submission of ps0 in data102."""
    hub = plugin_hub
    grade_one_submission(hub, "data102", "ada", "ps0")
    config_before = hub.sh("cat /opt/tljh/config/config.yaml").stdout
    for name in STUDENTS:
        hub.tljh_config("add-item", "users.allowed", name)
    hub.sh("sed -i '1i # our course hub: keep this comment' /opt/tljh/config/config.yaml")
    hub.tljh_config("reload")
    ada = logged_in(hub, "ada", STUDENTS["ada"])
    ada.start_server()
    ada.run_code("import os\nos.makedirs('project/data', exist_ok=True)\n"
                 "open('project/analysis.ipynb', 'w').write('{\"cells\": []}')\n"
                 "open('project/data/big.bin', 'wb').write(os.urandom(3_000_000))\n"
                 "os.symlink('project/analysis.ipynb', 'latest.ipynb')\nos.chmod('project/data', 0o700)")
    # ada is also hostile: a 1 TiB sparse file, a 2,000-deep tree.
    assert ada.run_in_terminal(SPARSE_FILE).splitlines()[-1].split()[0] in ("4", "8", "12", "16")
    assert ada.run_code(DEEP_TREE.format(top="deep")) == "made"
    olu = logged_in(hub, "olu", STUDENTS["olu"])
    olu.start_server()
    olu.run_code("open('essay.md', 'w').write('# olu')")
    # ada lets olu read one file (an ACL on a file in a home); the course gets a notebook.
    hub.sh("setfacl -m u:jupyter-olu:r /home/jupyter-ada/project/analysis.ipynb")
    hub.sh(f"echo '{{}}' > {LECTURE}")  # the folder's default ACL gives it one too
    hub.sh("mkdir -p /root/backups")
    yield {"hub": hub, "ada": ada, "olu": olu}
    # Put back what the tests changed: students gone (accounts, homes, hub users), course file, config.
    admin = hub.admin()
    for name in STUDENTS:
        admin.session.delete(admin.url(f"hub/api/users/{name}"), headers={"X-XSRFToken": admin._xsrf("/hub/")},
                             timeout=60)
        hub.sh(f"systemctl stop jupyter-{name} 2>/dev/null; userdel -r jupyter-{name} 2>/dev/null; "
               f"rm -f /opt/tljh/test-plugin/new-user-jupyter-{name}", check=False)
    hub.sh(f"rm -rf {LECTURE} /root/backups")
    hub.container.write_file("/opt/tljh/config/config.yaml", config_before, mode=0o600)
    hub.tljh_config("reload")


def test_a_disk_limit_on_homes_without_quota_support_is_one_line_and_a_status_problem(source):
    """The homes are in the container's overlay, which takes no quotas on any kernel (quotas themselves:
    test_disk_quotas_vm.py). The backup below carries the limit, and the restore onto the target says so."""
    hub = source["hub"]
    warnings = hub.tljh_config("set", "limits.disk", "50M").stderr.strip().splitlines()
    assert len(warnings) == 1 and warnings[0].startswith("warning: disk quotas: / (overlay, holding /home") \
        and warnings[0].endswith("put /home on its own ext4 or XFS volume (docs/disk.md)"), warnings
    status = hub.sh("tljh-lite status", check=False)
    assert status.exit_code == 1 and "Needs you: disk quotas: / (overlay, holding /home" in status.stdout, status.stdout


def test_create_writes_a_private_archive_while_students_work(source):
    hub, ada = source["hub"], source["ada"]
    busy = threading.Thread(target=ada.run_code, args=(
        "import time\nfor i in range(40):\n    open('busy.log', 'a').write('x' * 1000 + '\\n'); time.sleep(0.1)",),
        kwargs={"timeout": 60})
    busy.start()
    try:
        result = hub.sh(f"tljh-lite backup create --file {ARCHIVE}")
    finally:
        busy.join()
    assert "Backup written /root/backups/hub.tar.gz" in result.stdout and "sha256 " in result.stdout
    # ada's 2,000-deep tree: the first 100 levels, the rest left out and named; her 1 TiB file: its data.
    assert ", 1 entry skipped" in result.stdout
    assert f"skipped /home/jupyter-ada/deep{'/d' * 100}: {TOO_DEEP}" in result.stdout
    assert int(hub.sh(f"stat -c %s {ARCHIVE}").stdout) < 20 * 2**20  # 3 MB of random data, and little else
    assert hub.sh(f"stat -c '%U %a' {ARCHIVE}").stdout.strip() == "root 600"
    verbose = hub.sh(f"tar -tvzf {ARCHIVE} home/jupyter-ada/huge.img").stdout  # GNU tar reads the sparse member
    assert f" {TIB} " in verbose
    listing = hub.sh(f"tar -tzf {ARCHIVE}").stdout.splitlines()
    for name in ("home/jupyter-ada/project/data/big.bin", "home/jupyter-olu/essay.md", LECTURE.lstrip("/"),
                 "opt/tljh/test-plugin/new-user-jupyter-ada", "tljh-backup/state/jupyterhub.sqlite",
                 "tljh-backup/passwords.json", "tljh-backup/config/config.yaml",
                 "srv/nbgrader/courses/data102/gradebook.db", "srv/nbgrader/courses/data102/source/ps0/ps0.ipynb",
                 "srv/nbgrader/courses/data102/submitted/jupyter-ada/ps0/ps0.ipynb"):
        assert name in listing, name
    assert listing[-1] == "tljh-backup/manifest.json"
    manifest = hub.sh(f"tar -xzOf {ARCHIVE} tljh-backup/manifest.json").stdout
    assert '"tljh_lite_test_plugin"' in manifest or "tljh-lite-test-plugin" in manifest
    assert '"db_revision": "' in manifest and '"jupyter-ada"' in manifest
    accounts = json.loads(manifest)["accounts"]
    assert {"name": "grader-data102", "plugin": True}.items() <= next(
        a for a in accounts if a["name"] == "grader-data102").items()
    token = hub.sh("cut -d= -f2 /opt/tljh/state/proxy.env").stdout.strip()
    assert token not in result.stdout + result.stderr
    assert hub.client().api_version()  # the hub kept serving


def test_restore_refuses_a_hub_that_has_users_without_force(source):
    hub = source["hub"]
    before = sha(hub, STATE_FILES)
    result = hub.sh(f"tljh-lite backup restore {ARCHIVE}", check=False)
    assert result.exit_code == 1
    assert result.stderr.startswith("tljh-lite: error: this hub has users (ada, ") and "--force" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert sha(hub, STATE_FILES) == before


@pytest.mark.parametrize("damage, words", [
    ("head -c 40000 {a} > {b}", "truncated"),
    (HUB_PYTHON + " -c \"import sys; d = bytearray(open(sys.argv[1], 'rb').read()); d[len(d) // 2] ^= 255; "
     "open(sys.argv[2], 'wb').write(d)\" {a} {b}", "corrupted"),
    ("cp /etc/os-release {b}", "not a tljh-lite backup"),
])
def test_a_damaged_archive_is_refused_in_one_line_and_nothing_changes(source, damage, words):
    hub = source["hub"]
    bad = "/root/backups/damaged.tar.gz"
    hub.sh(damage.format(a=ARCHIVE, b=bad))
    before, hub_pid = sha(hub, STATE_FILES), hub.unit_property("jupyterhub", "MainPID")
    result = hub.sh(f"tljh-lite backup restore --force {bad}", check=False)
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and words in errors[0] and "nothing was changed" in errors[0], result.stderr
    assert sha(hub, STATE_FILES) == before and hub.unit_property("jupyterhub", "MainPID") == hub_pid


def test_a_backup_from_a_newer_jupyterhub_is_refused(source):
    hub = source["hub"]
    hub.container.write_file("/root/forge.py", FORGE_NEWER)
    hub.sh("tljh-lite backup create --skip-homes --file /root/backups/no-homes.tar.gz")  # forged with tarfile: no
    hub.sh(f"{HUB_PYTHON} /root/forge.py /root/backups/no-homes.tar.gz /root/backups/newer.tar.gz")  # sparse file
    before = sha(hub, STATE_FILES)
    result = hub.sh("tljh-lite backup restore --force /root/backups/newer.tar.gz", check=False)
    assert result.exit_code == 1
    assert "(revision ffffffffffff) is newer than JupyterHub" in result.stderr
    assert "made by tljh-lite 9.9.9 (JupyterHub 9.0.0)" in result.stderr and "install that tljh-lite" in result.stderr
    assert sha(hub, STATE_FILES) == before


@pytest.fixture(scope="module")
def target(fresh_install, source):
    """A fresh install, without plugins, with the source's backup copied in."""
    fresh = fresh_install()
    with_archive = Path(f"/tmp/tljh-lite-backup-{fresh.container.name}.tar.gz")
    subprocess.run(["docker", "cp", f"{source['hub'].container.name}:{ARCHIVE}", str(with_archive)], check=True)
    try:
        fresh.container.copy_in(with_archive, ARCHIVE)
    finally:
        with_archive.unlink()
    fresh.container.write_file("/root/check_files.py", CHECK_FILES)
    yield fresh
    fresh.container.remove()


def test_an_interrupted_restore_onto_a_fresh_machine_finishes_when_run_again(target):
    # Killed (with everything it started) once the hub is down: the restore is halfway.
    target.sh(f"setsid tljh-lite backup restore {ARCHIVE} > /root/first.log 2>&1 & echo $! > /root/restore.pid")
    target.sh(["bash", "-c", "for i in $(seq 600); do systemctl is-active -q jupyterhub || break; sleep 0.1; done; "
               "kill -9 -- -$(cat /root/restore.pid)"], timeout=120)
    assert target.sh("systemctl is-active jupyterhub", check=False).stdout.strip() != "active"
    assert target.sh("test -f /opt/tljh/state/restore-in-progress.json", check=False).exit_code == 0
    result = target.sh(f"tljh-lite backup restore {ARCHIVE}", timeout=600)  # no --force: it is the same restore
    assert "Restored: " in result.stdout and "students log in with their old passwords" in result.stdout
    first = target.sh("cat /root/first.log").stdout  # the plugins were installed before the hub stopped
    installing = next(line for line in first.splitlines() if "Installing the backup's plugins: " in line)
    assert "tljh-lite-shared-folders" in installing and "tljh-lite-test-plugin" in installing
    # The backup's limits.disk, on a machine whose homes cannot take quotas: said, and the restore finished.
    assert "warning: disk quotas: / (overlay, holding /home" in first + result.stdout + result.stderr
    assert target.sh("test -e /opt/tljh/state/restore-in-progress.json", check=False).exit_code == 1


def test_after_restore_files_owners_modes_links_and_acls_are_as_in_the_backup(target):
    checked = target.sh(f"{HUB_PYTHON} /root/check_files.py {ARCHIVE}", check=False)
    assert checked.exit_code == 0, checked.stdout + checked.stderr
    assert "getfacl" not in checked.stdout
    acl = target.sh("getfacl -p /home/jupyter-ada/project/analysis.ipynb").stdout
    assert "user:jupyter-olu:r--" in acl
    assert "group:jupyterhub-users:r-x" in target.sh("getfacl -p /srv/course").stdout


def test_after_restore_a_sparse_file_is_sparse_again_and_a_deep_tree_is_back_to_the_cap(target):
    assert target.sh("stat -c %s /home/jupyter-ada/huge.img").stdout.strip() == str(TIB)
    assert int(target.sh("du -k /home/jupyter-ada/huge.img").stdout.split()[0]) < 1024
    assert target.sh("head -c 4 /home/jupyter-ada/huge.img").stdout == "head"
    assert target.sh("tail -c 4 /home/jupyter-ada/huge.img").stdout == "tail"
    deepest = target.sh("find /home/jupyter-ada/deep -type d | awk -F/ '{print NF}' | sort -n | tail -1").stdout
    assert int(deepest) == len("/home/jupyter-ada".split("/")) + 100  # down to the cap, and no deeper


def test_after_restore_config_plugins_and_plugin_data_are_back(source, target):
    assert sha(target, "/opt/tljh/config/config.yaml") == sha(source["hub"], "/opt/tljh/config/config.yaml")
    assert target.sh("head -1 /opt/tljh/config/config.yaml").stdout == "# our course hub: keep this comment\n"
    plugins = target.tljh_config("plugins").stdout
    assert "tljh_lite_test_plugin" in plugins and "tljh_lite_shared_folders" in plugins
    assert target.sh("cat /opt/tljh/test-plugin/new-user-jupyter-ada").stdout == "jupyter-ada\n"
    assert target.sh("dpkg-query -W -f='${Status}' sl").stdout == "install ok installed"  # plugin's apt package
    assert "Welcome from tljh-lite-test-plugin" in target.client().get("hub/login").text


def test_after_restore_the_courses_have_their_grades_submissions_and_formgraders(source, target):
    hub, course = source["hub"], "/srv/nbgrader/courses/data102"
    grades = grades_csv(target, "data102")
    assert grades == grades_csv(hub, "data102")
    assert "ada,jupyter-ada,2,2,3," in grades  # autograded: 2 of 3, the hand-graded point waits
    for path in (course, f"{course}/submitted/jupyter-ada/ps0/ps0.ipynb", f"{course}/gradebook.db",
                 "/srv/nbgrader/exchange/data102/inbound"):
        owners = "stat -c '%U %G %a' " + path
        assert target.sh(owners).stdout == hub.sh(owners).stdout, path
    assert "x * x" in target.sh(f"cat {course}/submitted/jupyter-ada/ps0/ps0.ipynb").stdout
    for name in ("data101", "data102"):
        assert target.unit_property(f"tljh-formgrader-{name}.service", "ActiveState") == "active"
    ines = target.logged_in("ines", STAFF["ines"])  # data102's instructor (her first login: it sets her password)
    assert wait_for_formgrader(ines, "data102") == 200
    assert "ps0" in formgrader(ines, "data102", "formgrader/api/assignments").text
    assert formgrader(target.logged_in("ada", STUDENTS["ada"]), "data102").status_code == 403


def test_after_restore_students_and_the_admin_log_in_with_their_old_passwords(target):
    for name, password in STUDENTS.items():
        assert target.client().login(name, password), name
        assert not target.client().login(name, "not-the-password")
    assert target.client().login(ADMIN, ADMIN_PASSWORD)
    ada = logged_in(target, "ada", STUDENTS["ada"])
    ada.start_server()
    assert ada.run_code("print(open('latest.ipynb').read())") == '{"cells": []}'
    assert ada.run_code("import os; print(os.path.getsize('project/data/big.bin'))") == "3000000"


def test_scheduled_backups_run_from_the_timer_and_keep_the_newest(target):
    target.tljh_config("set", "backup.schedule", "daily")
    target.tljh_config("set", "backup.keep", "2")
    target.tljh_config("reload")
    assert target.unit_property("tljh-backup.timer", "ActiveState") == "active"
    assert "03:00:00" in target.sh("systemctl cat tljh-backup.timer").stdout
    folder = "/var/backups/tljh-lite"
    by_hand = re.search(r"Backup written (\S+):", target.sh("tljh-lite backup create --skip-homes").stdout).group(1)
    # Make the timer fire a second after it starts, as it will at 03:00 (no random delay, to the second).
    target.container.write_file("/etc/systemd/system/tljh-backup.timer.d/now.conf",
                                "[Timer]\nOnActiveSec=1s\nAccuracySec=1s\nRandomizedDelaySec=0\n")
    target.sh("systemctl daemon-reload && systemctl restart tljh-backup.timer")
    deadline = time.monotonic() + 120
    while not target.sh(f"ls {folder} | grep -c scheduled", check=False).stdout.strip() == "1":
        assert time.monotonic() < deadline, "the timer did not start a backup"
        time.sleep(1)
    target.sh("rm -r /etc/systemd/system/tljh-backup.timer.d && systemctl daemon-reload")
    assert target.sh(f"stat -c %a {folder}").stdout.strip() == "700"
    for _ in range(2):
        time.sleep(1.1)  # names are to the second
        target.sh("systemctl start tljh-backup.service", timeout=300)
    names = target.sh(f"ls {folder}").stdout.split()
    assert len([n for n in names if n.endswith("-scheduled.tar.gz")]) == 2 and Path(by_hand).name in names
    status = target.sh("tljh-lite backup status")
    assert "Last scheduled: " in status.stdout and ": ok: Backup written" in status.stdout


def test_a_students_deep_tree_and_sparse_file_never_stop_the_scheduled_backup(target):
    """ada, on the restored hub: her 1 TiB file is back, and she makes a new 2,000-deep tree in her kernel."""
    ada = logged_in(target, "ada", STUDENTS["ada"])
    ada.start_server()
    assert ada.run_code(DEEP_TREE.format(top="deeper")) == "made"
    ran = target.sh("systemctl start tljh-backup.service", timeout=120)  # as the timer starts it; a dense 1 TiB: hours
    assert ran.exit_code == 0
    newest = target.sh("ls -t /var/backups/tljh-lite/*-scheduled.tar.gz | head -1").stdout.strip()
    assert int(target.sh(f"stat -c %s {newest}").stdout) < 20 * 2**20
    status = target.sh("tljh-lite backup status", check=False)
    assert status.exit_code == 1, status.stdout
    assert ": ok: Backup written" in status.stdout and "1 entry skipped" in status.stdout
    assert f"skipped /home/jupyter-ada/deeper{'/d' * 100}: {TOO_DEEP}" in status.stdout
    assert "Needs you: the last scheduled backup left entries out" in status.stdout
    overview = target.sh("tljh-lite status", check=False)
    assert overview.exit_code == 1 and "the last scheduled backup left entries out" in overview.stdout
    journal = target.sh("journalctl -u tljh-backup.service -o cat -n 50").stdout
    assert f"not backed up: /home/jupyter-ada/deeper{'/d' * 100}" in journal  # the warning names the entry
    target.sh("rm -rf /home/jupyter-ada/deeper")


def test_a_full_disk_fails_the_scheduled_backup_visibly_and_leaves_no_partial_file(target):
    target.sh("mkdir -p /mnt/small && mount -t tmpfs -o size=256k tmpfs /mnt/small")
    try:
        target.tljh_config("set", "backup.path", "/mnt/small/backups")
        target.tljh_config("reload")
        failed = target.sh("systemctl start tljh-backup.service", check=False, timeout=300)
        assert failed.exit_code != 0
        assert target.sh("systemctl is-failed tljh-backup.service", check=False).stdout.strip() == "failed"
        journal = target.sh("journalctl -u tljh-backup.service -o cat -n 20").stdout
        assert "error: the disk is full" in journal
        assert target.sh("ls -A /mnt/small/backups").stdout == ""
        status = target.sh("tljh-lite backup status", check=False)
        assert status.exit_code == 1 and "FAILED: the disk is full" in status.stdout and "Needs you" in status.stdout
    finally:
        target.tljh_config("unset", "backup.path")
        target.tljh_config("reload")
        target.sh("umount /mnt/small", check=False)
