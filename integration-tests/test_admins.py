"""Admins and accounts on the real hub of each release, tried the way a hostile student would.

- mallory logs in first as three students (carol, dave, erin) while they are only allowed: FirstUse
  stores her password for each. The professor then makes each an admin, one way each (`tljh-config
  add-item users.admin` and a reload; a roster with admin yes; config.yaml by hand and a reload). None
  keeps mallory's password, and her open session ends.
- an admin taken out of users.admin cannot `sudo` in a new terminal after the reload.
- a server never starts on a unix account recorded for another hub user.

Shares the session `hub`: config.yaml is put back as it was at the end, and the people made here are
deleted (auth_switch.config_restored).
"""

from __future__ import annotations

import csv
import io
import re

import pytest

from auth_switch import CONFIG, config_restored, edited_by_hand
from hubclient import HubClient, HubError
from installed import InstalledHub

MALLORYS = "mallory-was-here-first"
SQUATTED = ("carol", "dave", "erin")
OWNED = "zed"  # his account is someone else's (made below, before his first start)
PASSWORD_LINE = re.compile(r"^Password for the new admin (\S+): (\S+)  \(shown only once: write it down\)$", re.M)


@pytest.fixture(scope="module")
def squatted(hub: InstalledHub):
    """carol, dave, erin and zed allowed; mallory logged in first as carol, dave and erin (her sessions
    are returned, carol's with a running server)."""
    with config_restored(hub, people=(*SQUATTED, OWNED)) as before:
        hub.sh("id jupyter-zed >/dev/null 2>&1 || useradd --create-home --comment 'JupyterHub user someone-else' "
               "jupyter-zed")
        hub.sh(" && ".join(f"tljh-config add-item users.allowed {name}" for name in (*SQUATTED, OWNED)))
        hub.tljh_config("reload")
        sessions = {name: hub.logged_in(name, MALLORYS) for name in SQUATTED}  # first logins: her password
        sessions["carol"].start_server()
        yield {"before": before, "mallory": sessions}
        hub.sh("userdel -r jupyter-zed 2>/dev/null", check=False)


def new_password(output: str, name: str) -> str:
    found = dict(PASSWORD_LINE.findall(output))
    assert name in found, output
    return found[name]


def squatter_is_out(hub: InstalledHub, mallory: HubClient, name: str, password: str) -> None:
    assert not hub.client().login(name, MALLORYS)  # her password no longer logs in
    assert mallory.whoami() is None  # and the session she had ended at the reload
    admin = hub.logged_in(name, password)
    assert admin.get("hub/api/user").json()["admin"] is True


@pytest.fixture(scope="module")
def carol_made_admin(hub: InstalledHub, squatted) -> dict:
    """`tljh-config add-item users.admin carol`, then a reload."""
    added = hub.tljh_config("add-item", "users.admin", "carol").stdout
    reloaded = hub.tljh_config("reload").stdout
    return {"added": added, "reloaded": reloaded, "password": new_password(added, "carol")}


def test_add_item_users_admin_gives_a_squatted_name_a_new_password_and_ends_the_squatters_session(
        hub, squatted, carol_made_admin):
    assert "The password carol had was set at a login or a signup, not by tljh-lite" in carol_made_admin["added"]
    assert "/home/jupyter-carol" in carol_made_admin["added"]
    assert PASSWORD_LINE.search(carol_made_admin["reloaded"]) is None  # hers now: the reload keeps it
    squatter_is_out(hub, squatted["mallory"]["carol"], "carol", carol_made_admin["password"])
    assert hub.unit_property("jupyter-carol", "ActiveState") != "active"  # mallory's server stopped


def test_a_roster_with_admin_yes_gives_a_squatted_name_a_new_password(hub, squatted):
    hub.container.write_file("/root/admins.csv", "username,admin\ndave,yes\n", mode=0o600)
    dry = hub.container.exec(["tljh-lite", "users", "import", "/root/admins.csv", "--dry-run"]).stdout
    assert dry.splitlines()[0] == ("~ dave: now an admin, password: generated, replacing the one she has, which "
                                   "tljh-lite did not set (a first login or a signup)")
    try:
        hub.container.exec(["tljh-lite", "users", "import", "/root/admins.csv", "--passwords-out",
                            "/root/admins-passwords.csv"], timeout=300)
        rows = dict(list(csv.reader(io.StringIO(hub.sh("cat /root/admins-passwords.csv").stdout)))[1:])
    finally:
        hub.sh("rm -f /root/admins.csv /root/admins-passwords.csv")
    squatter_is_out(hub, squatted["mallory"]["dave"], "dave", rows["dave"])


def test_config_yaml_edited_by_hand_then_reload_gives_a_squatted_name_a_new_password(hub, squatted):
    edited_by_hand(hub, hub.sh(f"cat {CONFIG}").stdout, lambda config: config["users"]["admin"].append("erin"))
    reloaded = hub.tljh_config("reload").stdout
    password = new_password(reloaded, "erin")
    assert reloaded.index("Password for the new admin erin") < reloaded.index("The hub is running")
    squatter_is_out(hub, squatted["mallory"]["erin"], "erin", password)


def test_a_removed_admin_cannot_sudo_in_a_new_terminal(hub, squatted, carol_made_admin):
    carol = hub.logged_in("carol", carol_made_admin["password"])
    carol.start_server()
    assert carol.run_in_terminal("sudo -n true && echo sudo=yes") == "sudo=yes"  # the control: admins have sudo
    old_server = hub.unit_property("jupyter-carol", "MainPID")

    hub.tljh_config("remove-item", "users.admin", "carol")  # still in users.allowed: a student again
    hub.tljh_config("reload")
    assert hub.unit_property("jupyter-carol", "ActiveState") != "active"  # her admin server, stopped
    assert "jupyter-carol" not in hub.sh("getent group jupyterhub-admins").stdout
    assert carol.get("hub/api/user").json()["admin"] is False  # her session stays, a student's

    carol.start_server()
    carol.open_server()  # as her browser does on the new server's page: it logs her in to it afresh
    assert hub.unit_property("jupyter-carol", "MainPID") != old_server
    typed = carol.run_in_terminal("sudo -n true; echo exit=$?; id -Gn")
    assert "exit=1" in typed and "jupyterhub-admins" not in typed, typed
    assert hub.unit_property("jupyter-carol", "NoNewPrivileges") == "yes"


def test_a_spawn_onto_an_account_recorded_for_another_hub_user_is_refused(hub, squatted):
    zed = hub.logged_in(OWNED, "zeds-own-password")
    with pytest.raises(HubError, match="recorded for another hub user, so this server cannot start on it"):
        zed.start_server()
    assert hub.unit_property("jupyter-zed", "ActiveState") != "active"
    journal = hub.sh("journalctl -u jupyterhub --no-pager -o cat -n 200").stdout
    assert "Refused to start zed's server on the unix account jupyter-zed: it is recorded for hub user " \
           "'someone-else'" in journal
    assert hub.sh("ls -A /home/jupyter-zed").stdout.strip() == hub.sh("ls -A /etc/skel").stdout.strip()
