"""Who is an admin changes at a hub start: the removed admin's server stops and her account leaves the sudo
group; the new admin's server stops and every session she had ends (tljh_lite.users.roles)."""

from __future__ import annotations

import sqlite3

from fakes import RecordingRunner
from tljh_lite.config.defaults import merged
from tljh_lite.runner import Result
from tljh_lite.users.roles import apply_role_changes, end_sessions, hub_admins, role_changes


def make_hub_db(path, users: dict[str, bool]) -> None:
    """The tables of JupyterHub's database that hold logins: users (admin flag, cookie_id), tokens, shares."""
    with sqlite3.connect(path) as db:
        db.executescript("""
            CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT UNIQUE, admin BOOLEAN, cookie_id TEXT);
            CREATE TABLE api_tokens (id INTEGER PRIMARY KEY, user_id INTEGER, note TEXT);
            CREATE TABLE oauth_codes (id INTEGER PRIMARY KEY, user_id INTEGER);
            CREATE TABLE shares (id INTEGER PRIMARY KEY, owner_id INTEGER, user_id INTEGER);
            CREATE TABLE share_codes (id INTEGER PRIMARY KEY, owner_id INTEGER);
        """)
        for name, admin in users.items():
            (user_id,) = db.execute("INSERT INTO users (name, admin, cookie_id) VALUES (?, ?, ?) RETURNING id",
                                    (name, admin, f"cookie-{name}")).fetchone()
            db.execute("INSERT INTO api_tokens (user_id, note) VALUES (?, 'server')", (user_id,))
            db.execute("INSERT INTO oauth_codes (user_id) VALUES (?)", (user_id,))
            db.execute("INSERT INTO shares (owner_id, user_id) VALUES (?, 1)", (user_id,))
            db.execute("INSERT INTO share_codes (owner_id) VALUES (?)", (user_id,))


def rows(path, sql):
    with sqlite3.connect(path) as db:
        return db.execute(sql).fetchall()


CONFIG = merged({"users": {"admin": ["prof", "Carol"], "allowed": ["eve", "zed"]}})


def test_role_changes_compare_config_yaml_with_the_hubs_database(tmp_path):
    db = tmp_path / "jupyterhub.sqlite"
    assert role_changes(CONFIG, db).promoted == frozenset() and hub_admins(db) is None  # no hub yet
    make_hub_db(db, {"prof": True, "carol": False, "eve": True, "zed": False})
    changes = role_changes(CONFIG, db)
    assert (changes.promoted, changes.demoted) == ({"carol"}, {"eve"})
    assert hub_admins(db) == {"prof", "eve"}


def test_a_new_admins_sessions_tokens_and_shares_end_and_nobody_elses(tmp_path):
    db = tmp_path / "jupyterhub.sqlite"
    make_hub_db(db, {"prof": True, "carol": False})
    end_sessions(db, ["carol"])
    cookies = dict(rows(db, "SELECT name, cookie_id FROM users"))
    assert cookies["prof"] == "cookie-prof" and cookies["carol"] not in ("cookie-carol", "")
    for table, column in (("api_tokens", "user_id"), ("oauth_codes", "user_id"), ("shares", "owner_id"),
                          ("share_codes", "owner_id")):
        assert rows(db, f"SELECT {column} FROM {table}") == [(1,)], table  # prof's (id 1) only


def test_at_the_start_changed_users_servers_stop_and_the_removed_admin_leaves_the_sudo_group(tmp_path):
    db = tmp_path / "jupyterhub.sqlite"
    make_hub_db(db, {"prof": True, "carol": False, "eve": True, "zed": False})
    runner = RecordingRunner({("systemctl", "is-active", "--quiet", "jupyter-zed"): Result([], 3, "", "")})
    said = []
    changes = apply_role_changes(CONFIG, db, runner, said.append,
                                 members=lambda: {"jupyter-prof", "jupyter-eve", "jupyter-carol", "ubuntu"})
    assert changes.promoted == {"carol"} and changes.demoted == {"eve"}
    stops = [call[2] for call in runner.calls if call[:2] == ["systemctl", "stop"]]
    assert stops == ["jupyter-carol", "jupyter-eve"]
    assert [call for call in runner.calls if call[0] == "gpasswd"] == [
        ["gpasswd", "--delete", "jupyter-eve", "jupyterhub-admins"]]  # never an account that is not the hub's
    assert "jupyter-eve left jupyterhub-admins: no longer an admin, so no sudo" in said
    assert rows(db, "SELECT cookie_id FROM users WHERE name = 'carol'") != [("cookie-carol",)]
    assert rows(db, "SELECT cookie_id FROM users WHERE name = 'eve'") == [("cookie-eve",)]  # still a student


def test_nothing_changes_when_the_hub_already_has_config_yamls_admins(tmp_path):
    db = tmp_path / "jupyterhub.sqlite"
    make_hub_db(db, {"prof": True, "carol": True})
    runner = RecordingRunner()
    assert not apply_role_changes(CONFIG, db, runner, members=lambda: {"jupyter-prof", "jupyter-carol"})
    assert runner.calls == []
