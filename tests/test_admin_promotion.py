"""A squatted name made an admin: the review's attack, against the project's own functions.

carol is in users.allowed and has never logged in; mallory logs in as carol first, and FirstUse stores
mallory's password; then the professor makes carol an admin (tljh-config add-item, a roster with
admin=yes, config.yaml by hand and a reload, bootstrap --admin on a re-run). Each way, carol gets a
password tljh-lite sets, and mallory's no longer logs in. An admin of the running hub who changed her
own password is not promoted again, and keeps it.
"""

from __future__ import annotations

import dbm
import sqlite3

import pytest

from fakes import stored
from tljh_lite.cli import users as users_cli
from tljh_lite.cli.tljh_config import main as tljh_config
from tljh_lite.cli.tljh_lite import main as lite
from tljh_lite.config.defaults import merged
from tljh_lite.installer.admins import Admin, ensure_admin_passwords, replace_untrusted_passwords
from tljh_lite.paths import Paths
from tljh_lite.users import passwords
from tljh_lite.users.passwords import passwords_dbm
from tljh_lite.users.promotion import secure_new_admins
from tljh_lite.users.stores import password_store
from tljh_lite.users.trusted import TrustRecord, record_file

MALLORYS = "mallorys-first-login"


@pytest.fixture
def fake_bcrypt(monkeypatch):
    monkeypatch.setattr(passwords, "bcrypt_hash", lambda new: f"hash:{new.rounds}:{new.password}".encode())
    monkeypatch.setattr(passwords, "bcrypt_matches", lambda pair: pair[1].decode().endswith(":" + pair[0]))


def hub_db(paths: Paths, admins: dict[str, bool]) -> None:
    """The hub's users table as JupyterHub keeps it (name, admin flag)."""
    with sqlite3.connect(paths.hub_db) as db:
        db.execute("CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, name TEXT UNIQUE, admin BOOLEAN, "
                   "cookie_id TEXT)")
        db.executemany("INSERT OR REPLACE INTO users (name, admin, cookie_id) VALUES (?, ?, ?)",
                       [(name, admin, f"cookie-{name}") for name, admin in admins.items()])


def first_login(paths: Paths, name: str, password: str) -> None:
    """What FirstUseAuthenticator does at a first login: it stores the hash of what was typed."""
    with dbm.open(str(passwords_dbm(paths)), "c", 0o600) as db:
        db[name.encode()] = f"hash:12:{password}".encode()


@pytest.fixture
def installed(tmp_path, monkeypatch, fake_bcrypt):
    """An installed hub's files: prof is its admin (set by the installer), carol an allowed student whose
    name mallory used first."""
    paths = Paths(tmp_path / "tljh")
    paths.config_dir.mkdir(parents=True)
    paths.state_dir.mkdir()
    (paths.hub_venv / "bin").mkdir(parents=True)
    (paths.hub_venv / "bin" / "jupyterhub").touch()
    paths.config_file.write_text("users:\n  admin: [prof]\n  allowed: [carol, dave]\n")
    password_store(merged({}), paths).store({"prof": passwords.NewPassword("profs-own-password")})
    hub_db(paths, {"prof": True, "carol": False})
    first_login(paths, "carol", MALLORYS)
    monkeypatch.setenv("TLJH_INSTALL_PREFIX", str(paths.prefix))
    monkeypatch.setattr("os.geteuid", lambda: 0)
    return paths


def logs_in(paths: Paths, name: str, password: str) -> bool:
    return stored(paths).get(name, "").endswith(":" + password)


def test_add_item_users_admin_replaces_the_squatters_password(installed, capsys):
    assert logs_in(installed, "carol", MALLORYS)
    assert tljh_config(["add-item", "users.admin", "carol"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "added 'carol' to users.admin"
    password = out[1].removeprefix("Password for the new admin carol: ").split()[0]
    assert out[2] == ("The password carol had was set at a login or a signup, not by tljh-lite: it no longer "
                      "works, and every session from before ends when the hub restarts. If someone else used her "
                      "name, what they left in /home/jupyter-carol stays: look before she opens a terminal.")
    assert logs_in(installed, "carol", password) and not logs_in(installed, "carol", MALLORYS)


def test_a_roster_with_admin_yes_replaces_it_and_the_dry_run_says_so(installed, tmp_path, capsys, monkeypatch):
    roster = tmp_path / "roster.csv"
    roster.write_text("username,admin\ncarol,yes\n")
    assert lite(["users", "import", str(roster), "--dry-run"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == ("~ carol: now an admin, password: generated, replacing the one she has, which tljh-lite did "
                      "not set (a first login or a signup)")
    assert logs_in(installed, "carol", MALLORYS)  # a dry run changes nothing

    reloads = []
    monkeypatch.setattr(users_cli, "_reloader", lambda context, timeout: lambda: reloads.append("reload"))
    out_file = tmp_path / "passwords.csv"
    assert lite(["users", "import", str(roster), "--passwords-out", str(out_file)]) == 0
    generated = out_file.read_text().splitlines()[1].split(",")[1]
    assert logs_in(installed, "carol", generated) and not logs_in(installed, "carol", MALLORYS)
    assert reloads == ["reload"]


def test_a_hand_edit_then_reload_gives_the_new_admin_a_password_before_the_restart(installed):
    config = merged({"users": {"admin": ["prof", "carol"], "allowed": ["dave"]}})
    [new] = secure_new_admins(config, installed)
    assert new.name == "carol" and new.replaced and logs_in(installed, "carol", new.password)
    assert not logs_in(installed, "carol", MALLORYS)
    assert secure_new_admins(config, installed) == []  # hers now: the next reload keeps it


def test_a_new_admin_who_never_logged_in_gets_one_too_and_prof_keeps_his(installed):
    [new] = secure_new_admins(merged({"users": {"admin": ["prof", "dave"]}}), installed)
    assert (new.name, new.replaced) == ("dave", False) and logs_in(installed, "dave", new.password)
    assert logs_in(installed, "prof", "profs-own-password")


def test_an_admin_of_the_running_hub_who_changed_her_own_password_keeps_it(installed):
    first_login(installed, "prof", "prof-changed-it-himself")  # FirstUse's change-password page
    assert secure_new_admins(merged({"users": {"admin": ["prof"]}}), installed) == []
    assert logs_in(installed, "prof", "prof-changed-it-himself")


def test_bootstrap_admin_on_a_re_run_replaces_it_before_the_hub_restarts(installed):
    config = merged({"users": {"admin": ["prof", "carol"]}})
    admins = [Admin("prof", "generated-for-prof", True), Admin("carol", "generated-for-carol", True)]
    assert replace_untrusted_passwords(config, installed, admins) == [admins[1]]
    assert logs_in(installed, "carol", "generated-for-carol")
    # The end of the install: prof has a password of his own, and carol's was set above.
    done = ensure_admin_passwords(config, installed, [admins[0]])
    assert done.admins == [] and logs_in(installed, "prof", "profs-own-password")


def test_only_passwords_tljh_lite_stored_are_trusted_and_the_record_is_root_only(installed):
    store = password_store(merged({}), installed)
    assert store.trusted(["prof", "carol", "nobody"]) == {"prof"}
    assert oct(record_file(installed).stat().st_mode & 0o777) == "0o600"
    assert MALLORYS not in record_file(installed).read_text() and "hash:" not in record_file(installed).read_text()
    assert set(TrustRecord(record_file(installed)).read()) == {"prof"}
