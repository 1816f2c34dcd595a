"""Who may log in is config.yaml's decision, and the hub's unit is hardened."""

from __future__ import annotations

from tljh_lite.config.defaults import merged
from tljh_lite.hub.settings import hub_settings
from tljh_lite.paths import Paths
from tljh_lite.hub.unit import hub_unit


def auth(config: dict) -> dict:
    s = hub_settings(merged(config))
    return {**s.get("Authenticator", {}), **{f"FirstUse.{k}": v for k, v in s.get("FirstUseAuthenticator", {}).items()}}


def test_only_listed_users_and_admins_may_log_in_never_everyone_in_the_hub_database():
    a = auth({"users": {"allowed": ["alice", "bob"], "admin": ["prof"]}})
    assert a["allowed_users"] == {"alice", "bob", "prof"}
    assert a["allow_existing_users"] is False  # JupyterHub 5+ would let in every user it knows
    assert a["FirstUse.allow_all"] is False


def test_a_student_removed_from_allowed_is_no_longer_allowed():
    before = auth({"users": {"allowed": ["alice", "bob"], "admin": ["prof"]}})
    after = auth({"users": {"allowed": ["bob"], "admin": ["prof"]}})
    assert "alice" in before["allowed_users"] and "alice" not in after["allowed_users"]


def test_an_empty_allowed_list_means_only_the_admins():
    a = auth({"users": {"admin": ["prof"]}})
    assert a["allowed_users"] == {"prof"} and a["FirstUse.allow_all"] is False
    assert auth({})["FirstUse.allow_all"] is False  # FirstUse's own default would be "everyone"


def test_banned_users_are_blocked_even_when_allowed():
    a = auth({"users": {"allowed": ["alice"], "banned": ["alice"]}})
    assert a["blocked_users"] == {"alice"}


def test_create_users_lets_anyone_make_an_account_unless_a_list_or_allow_all_says_otherwise():
    open_signup = {"auth": {"FirstUseAuthenticator": {"create_users": True}}, "users": {"admin": ["prof"]}}
    assert auth(open_signup)["FirstUse.allow_all"] is True
    listed = {"auth": {"FirstUseAuthenticator": {"create_users": True}}, "users": {"allowed": ["alice"]}}
    assert auth(listed)["FirstUse.allow_all"] is False  # as in TLJH: a list restricts
    own = {"auth": {"FirstUseAuthenticator": {"create_users": True, "allow_all": False}}}
    assert auth(own)["FirstUse.allow_all"] is False


HARDENING = {
    "PrivateTmp": "yes", "PrivateDevices": "yes", "ProtectKernelTunables": "yes", "ProtectKernelModules": "yes",
    "ProtectKernelLogs": "yes", "ProtectControlGroups": "yes", "ProtectClock": "yes", "ProtectHostname": "yes",
    "NoNewPrivileges": "yes", "RestrictNamespaces": "yes", "RestrictRealtime": "yes", "LockPersonality": "yes",
    "SystemCallArchitectures": "native", "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6 AF_NETLINK",
}


def service_section(text: str) -> list[str]:
    return text.split("[Service]\n", 1)[1].split("\n[", 1)[0].splitlines()


def test_the_hub_unit_is_hardened_and_each_setting_says_why():
    lines = service_section(hub_unit(Paths(), "/opt/tljh/hub/x/jupyterhub_config.py"))
    settings = {line.split("=", 1)[0]: line.split("=", 1)[1] for line in lines if line and not line.startswith("#")}
    for key, value in HARDENING.items():
        assert settings.get(key) == value, key
        index = lines.index(f"{key}={value}")
        assert lines[index - 1].startswith("#") and f"(#{key}=)" in lines[index - 1], key  # the man page's anchor
    assert "ProtectSystem" not in settings and "ProtectHome" not in settings  # the hub writes /etc and /home


def test_the_hub_unit_lists_what_it_leaves_out_and_why():
    comments = "\n".join(line for line in service_section(hub_unit(Paths(), "/x.py")) if line.startswith("#"))
    left_out = comments.split("Left out, and why:", 1)[1]
    for setting in ("ProtectSystem=", "ProtectHome=", "CapabilityBoundingSet=", "RestrictSUIDSGID=",
                    "SystemCallFilter=", "MemoryDenyWriteExecute=", "PrivateNetwork=", "ProtectProc="):
        assert setting in left_out, setting


# --- dropped students lose their sessions too (students.dropped) ---------------

def hub_db(tmp_path, names):
    import sqlite3

    path = tmp_path / "jupyterhub.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, admin BOOLEAN)")
        db.executemany("INSERT INTO users (name) VALUES (?)", [(n,) for n in names])
    return path


def test_users_the_hub_knows_but_config_no_longer_allows_are_blocked(tmp_path):
    from traitlets.config import Config

    from tljh_lite.users.admission import block_dropped_users

    config = merged({"users": {"allowed": ["Bob"], "admin": ["prof"], "banned": ["eve"]}})
    c = Config()
    c.Authenticator.blocked_users = {"eve"}
    block_dropped_users(c, config, hub_db(tmp_path, ["alice", "bob", "prof", "eve"]))
    assert c.Authenticator.blocked_users == {"alice", "eve"}


def test_nobody_is_blocked_when_other_rules_may_allow_them(tmp_path):
    from tljh_lite.users.admission import dropped_users

    known = {"alice", "bob"}
    assert dropped_users(merged({"users": {"allowed": ["bob"]}}), known) == {"alice"}
    github = {"auth": {"type": "github"}, "users": {"allowed": ["bob"]}}
    assert dropped_users(merged(github), known) == set()  # an organisation may allow alice
    open_signup = {"auth": {"FirstUseAuthenticator": {"create_users": True}}}
    assert dropped_users(merged(open_signup), known) == set()


def test_no_hub_database_yet_or_a_strange_one_blocks_no_one(tmp_path):
    from tljh_lite.users.admission import known_users

    assert known_users(tmp_path / "missing.sqlite") == set()
    (tmp_path / "other.sqlite").write_bytes(b"")
    assert known_users(tmp_path / "other.sqlite") == set()
