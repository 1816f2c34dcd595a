"""A class roster on the real hub of each release: `tljh-lite users import` with mixed password
columns, logins with the generated passwords, a reset, a prune, per-group limits on the students'
units, and admins who get a password when they are named, never at a first login.

Shares the session `hub` with the other files: config.yaml is put back as it was at the end, and
every student imported here is then dropped (so the hub locks them out and stops their servers).
"""

from __future__ import annotations

import csv
import io

import pytest

from hubclient import HubClient
from installed import InstalledHub

PASSWORDS_OUT = "/root/roster-passwords.csv"
GROUP_MEMORY, DEFAULT_MEMORY = "600M", "400M"


def roster_csv(students: list[dict], delimiter: str = ";") -> str:
    """As a spreadsheet in a comma-decimal locale exports it: BOM, semicolons, CRLF."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(["Username", "Password", "Groups", "Admin"])
    for s in students:
        writer.writerow([s["name"], s["password"], s["groups"], s["admin"]])
    return "\ufeff" + out.getvalue()


def class_of_30() -> list[dict]:
    students = []
    for i in range(30):
        password = ["", "*", f"chosen-password-{i:02d}"][i % 3]  # first login, generated, given
        students.append({"name": f"rs{i:02d}", "password": password, "groups": "tas;graders" if i < 3 else "",
                         "admin": ""})
    students.append({"name": "rta", "password": "", "groups": "", "admin": "yes"})  # an admin: generated
    return students


def import_roster(hub: InstalledHub, students: list[dict], *args: str, check: bool = True):
    hub.container.write_file("/root/roster.csv", roster_csv(students), mode=0o600)
    return hub.container.exec(["tljh-lite", "users", "import", "/root/roster.csv", *args], check=check, timeout=300)


def generated_passwords(hub: InstalledHub, path: str = PASSWORDS_OUT) -> dict[str, str]:
    rows = list(csv.reader(io.StringIO(hub.sh(f"cat {path}").stdout)))
    assert rows[0] == ["username", "password"]
    return dict(rows[1:])


def can_log_in(hub: InstalledHub, name: str, password: str) -> bool:
    return hub.client().login(name, password)


@pytest.fixture(scope="module")
def roster(hub: InstalledHub):
    """30 students and an admin imported; config.yaml put back and everyone dropped at the end."""
    before = hub.sh("cat /opt/tljh/config/config.yaml").stdout
    hub.tljh_config("set", "limits.memory", DEFAULT_MEMORY)
    hub.tljh_config("set", "groups.tas.limits.memory", GROUP_MEMORY)
    students = class_of_30()
    result = import_roster(hub, students, "--passwords-out", PASSWORDS_OUT)
    yield {"students": students, "output": result.stdout + result.stderr, "passwords": generated_passwords(hub)}
    hub.container.write_file("/opt/tljh/config/config.yaml", before, mode=0o600)
    hub.tljh_config("reload")
    hub.sh(f"rm -f {PASSWORDS_OUT} /root/roster.csv")


def test_the_import_says_what_it_did_in_one_line(hub, roster):
    assert roster["output"].splitlines()[-1] == (
        "Roster imported: 31 added, 0 updated, 0 unchanged, 0 removed; 21 passwords set "
        f"(11 generated, in {PASSWORDS_OUT}); the hub is running with the new config."
    )
    config = hub.sh("cat /opt/tljh/config/config.yaml").stdout
    assert "- rs29" in config and "  tas:\n    limits:\n      memory: 600M\n    users:\n    - rs00\n" in config


def test_generated_passwords_are_in_the_private_file_and_nowhere_else(hub, roster):
    assert hub.sh(f"stat -c '%a %U' {PASSWORDS_OUT}").stdout.strip() == "600 root"
    passwords = roster["passwords"]
    assert sorted(passwords) == sorted(["rta"] + [f"rs{i:02d}" for i in range(1, 30, 3)])
    for password in (passwords["rs01"], passwords["rta"]):
        assert password not in roster["output"]
        places = "/opt/tljh/installer.log /opt/tljh/config /opt/tljh/state /var/log /etc /tmp"
        assert hub.sh(f"grep -rlF -- '{password}' {places}", check=False).stdout == ""
        assert password not in hub.sh("journalctl --no-pager -o cat").stdout


def test_three_students_log_in_with_the_passwords_from_the_file_given_or_generated(hub, roster):
    passwords = roster["passwords"]
    assert can_log_in(hub, "rs01", passwords["rs01"])
    assert can_log_in(hub, "rs04", passwords["rs04"])
    assert can_log_in(hub, "rs02", "chosen-password-02")
    assert not can_log_in(hub, "rs04", passwords["rs01"])


def test_an_admin_added_by_import_logs_in_with_her_generated_password_only(hub, roster):
    assert not can_log_in(hub, "rta", "whoever-comes-first")  # no first-login claim on an admin
    client = hub.client()
    assert client.login("rta", roster["passwords"]["rta"])
    assert client.get("hub/api/user").json()["admin"] is True


def test_importing_the_same_file_again_changes_nothing(hub, roster):
    result = import_roster(hub, roster["students"], "--passwords-out", "/root/second.csv")
    assert result.stdout.splitlines()[-1] == (
        "Roster imported: 0 added, 0 updated, 31 unchanged, 0 removed; 0 passwords set; nothing to reload."
    )
    assert hub.sh("test -e /root/second.csv", check=False).exit_code != 0


def test_a_bad_row_is_named_and_nothing_changes(hub, roster):
    before = hub.sh("cat /opt/tljh/config/config.yaml").stdout
    bad = roster["students"] + [{"name": "bad name", "password": "", "groups": "", "admin": ""}]
    result = import_roster(hub, bad, "--passwords-out", "/root/bad.csv", check=False)
    assert result.exit_code == 1
    assert result.stderr == ("tljh-lite: error: roster.csv row 33: 'bad name' is not a username (no spaces, ',' or "
                             "'/'); fix the roster and import again; nothing was changed\n")
    assert hub.sh("cat /opt/tljh/config/config.yaml").stdout == before


def test_a_reset_password_works_and_the_old_one_no_longer_does(hub, roster):
    old = roster["passwords"]["rs07"]
    result = hub.container.exec(["tljh-lite", "users", "reset-password", "rs07"], input="rs07-new-password\n")
    assert result.stdout == "Password for rs07 changed.\n"
    assert can_log_in(hub, "rs07", "rs07-new-password")
    assert not can_log_in(hub, "rs07", old)
    generated = hub.container.exec(["tljh-lite", "users", "reset-password", "rs10", "--generate"]).stdout
    assert generated.startswith("New password for rs10: ")
    assert not can_log_in(hub, "rs10", roster["passwords"]["rs10"])
    assert can_log_in(hub, "rs10", generated.split(": ")[1].split()[0])


def test_a_group_member_gets_the_groups_memory_and_a_student_in_no_group_the_default(hub, roster):
    member, other = hub.client(), hub.client()
    assert member.login("rs01", roster["passwords"]["rs01"]) and other.login("rs05", "chosen-password-05")
    member.start_server()
    other.start_server()
    assert hub.unit_property("jupyter-rs00", "MemoryMax") in ("", "infinity")  # never started: no unit
    assert hub.unit_property("jupyter-rs01", "MemoryMax") == str(600 * 1024**2)
    assert hub.unit_property("jupyter-rs05", "MemoryMax") == str(400 * 1024**2)
    groups = member.get("hub/api/user").json()["groups"]
    assert sorted(groups) == ["graders", "tas"]


def test_a_pruned_student_is_refused_at_login_and_keeps_her_home(hub, roster):
    passwords = roster["passwords"]
    assert can_log_in(hub, "rs04", passwords["rs04"])
    hub.sh("touch /home/jupyter-rs01/kept.txt")  # her server ran in the test before
    remaining = [s for s in roster["students"] if s["name"] not in ("rs04", "rs01")]
    # Prune drops everyone users.allowed names that the file does not: rs04, rs01, and any student
    # that earlier tests on this shared hub left there (the fixture puts them back at the end).
    allowed = {line[2:].strip() for line in hub.tljh_config("get", "users.allowed").stdout.splitlines()
               if line.startswith("- ")}
    dropped = len(allowed - {s["name"] for s in remaining if s["admin"] != "yes"})
    result = import_roster(hub, remaining, "--prune")
    assert result.stdout.splitlines()[-1].startswith(
        f"Roster imported: 0 added, 0 updated, 29 unchanged, {dropped} removed;"), result.stdout
    assert dropped >= 2
    assert not can_log_in(hub, "rs04", passwords["rs04"])
    assert not can_log_in(hub, "rs01", passwords["rs01"])
    assert hub.sh("test -f /home/jupyter-rs01/kept.txt", check=False).exit_code == 0
    listing = [line.split()[:2] for line in hub.container.exec(["tljh-lite", "users", "list"]).stdout.splitlines()]
    assert ["rs04", "dropped"] in listing and ["rta", "admin"] in listing and ["rs05", "student"] in listing


def test_tljh_config_add_item_users_admin_gives_the_new_admin_a_generated_password(hub, roster):
    result = hub.tljh_config("add-item", "users.admin", "rta2")
    line = next(l for l in result.stdout.splitlines() if l.startswith("Password for the new admin rta2: "))
    password = line.split(": ")[1].split()[0]
    hub.tljh_config("reload")
    assert not can_log_in(hub, "rta2", "first-come-first-served")
    assert can_log_in(hub, "rta2", password)


def native_logins(hub: InstalledHub, attempts: list[tuple[str, str]]) -> list[bool]:
    """Each (name, password) tried at the hub's login form, as a student would."""
    return [HubClient(hub.url).login(name, password) for name, password in attempts]


def test_native_authenticator_gets_its_passwords_through_its_own_api(hub, roster):
    hub.tljh_config("set", "auth.type", "nativeauthenticator.NativeAuthenticator")
    try:
        hub.tljh_config("reload")
        students = [{"name": "nat1", "password": "*", "groups": "", "admin": ""},
                    {"name": "nat2", "password": "native-chosen-2", "groups": "", "admin": ""}]
        result = import_roster(hub, students, "--passwords-out", "/root/native.csv")
        assert "2 added" in result.stdout and "2 passwords set (1 generated" in result.stdout
        generated = generated_passwords(hub, "/root/native.csv")["nat1"]
        assert native_logins(hub, [("nat1", generated), ("nat2", "native-chosen-2"), ("nat2", generated)]) == [
            True, True, False]
        hub.container.exec(["tljh-lite", "users", "reset-password", "nat2"], input="native-new-2\n")
        assert native_logins(hub, [("nat2", "native-new-2"), ("nat2", "native-chosen-2")]) == [True, False]
    finally:
        hub.sh("rm -f /root/native.csv")
        hub.tljh_config("unset", "auth.type")
        hub.tljh_config("reload")
