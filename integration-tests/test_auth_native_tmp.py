"""NativeAuthenticator and TmpAuthenticator on the real hub, with TLJH's documented steps
(`tljh-config set auth.type ...`, `tljh-config reload`), through the pages a browser uses.

Native: a student signs up, the admin approves her at /hub/authorize, she logs in and runs code;
an unapproved or banned signup stays out; the admin named at install logs in with the password he
already had; an admin named by hand gets an account at the reload, and one named by a re-run of
bootstrap at once; nobody signs up under an admin's name. Tmp: a visitor gets a server from the hub's
URL, and the idle culler (services.cull.users, with a short timeout here) deletes her.

Shares the session `hub`: config.yaml is put back as it was at the end, and the hub reloaded.
"""

from __future__ import annotations

import time

import pytest

from auth_switch import CONFIG, config_restored, edited_by_hand
from hubclient import HubClient
from installed import ADMIN, ADMIN_PASSWORD, InstalledHub

STUDENT, STUDENT_PASSWORD = "ada", "analytical-engine-1843"
BANNED, BANNED_PASSWORD = "eve", "eavesdropper-2026"
NO_PASSWORD_ADMIN = "dean"  # named in config.yaml by hand: no password anywhere, until the reload gives one
RERUN_ADMIN = "ruth"  # named by --admin on a re-run of bootstrap
CULL_TIMEOUT = 10  # seconds, set once the visitor is done; the default is an hour


@pytest.fixture(scope="module")
def original(hub: InstalledHub):
    """config.yaml as the module found it, put back (and the hub reloaded) at the end, and the
    people made here deleted."""
    with config_restored(hub, people=(STUDENT, BANNED, NO_PASSWORD_ADMIN, RERUN_ADMIN, "mallory")) as before:
        yield before


def reload(hub: InstalledHub) -> str:
    result = hub.tljh_config("reload")
    return result.stdout + result.stderr


@pytest.fixture(scope="module")
def native(hub: InstalledHub, original: str) -> str:
    """TLJH's steps for NativeAuthenticator, on a config.yaml that also names an admin without a
    password (added by hand) and bans a student; returns what the reload printed."""

    def add_admin(config):
        users = config.setdefault("users", {})
        users["admin"] = [*users.get("admin", []), NO_PASSWORD_ADMIN]

    edited_by_hand(hub, original, add_admin)
    hub.tljh_config("add-item", "users.banned", BANNED)
    hub.tljh_config("set", "auth.type", "nativeauthenticator.NativeAuthenticator")
    return reload(hub)


def sign_up(hub: InstalledHub, name: str, password: str) -> str:
    page = hub.client().post_form("hub/signup", {"username": name, "signup_password": password,
                                                 "signup_password_confirmation": password})
    return page.text


def test_the_reload_carries_the_admins_password_over_and_gives_the_new_admin_one(hub, native):
    given = native.index(f"Password for the new admin {NO_PASSWORD_ADMIN}: ")
    carried = native.index(f"NativeAuthenticator: {ADMIN} (users.admin) can log in with the password")
    assert given < carried < native.index("The hub is running with the new config")  # said before the restart
    assert "Warning: admin" not in native  # nobody is left without a way in
    password = native[given:].split(": ", 1)[1].split()[0]
    assert hub.client().login(NO_PASSWORD_ADMIN, password)


def test_the_admin_named_at_install_logs_in_with_the_password_he_has(hub, native):
    assert hub.client().login(ADMIN, ADMIN_PASSWORD)
    assert not hub.client().login(ADMIN, "not-" + ADMIN_PASSWORD)


def test_a_student_signs_up_is_approved_by_the_admin_then_logs_in_and_runs_code(hub, native):
    assert "Your information has been sent to the admin" in sign_up(hub, STUDENT, STUDENT_PASSWORD)
    assert not hub.client().login(STUDENT, STUDENT_PASSWORD)  # not approved yet

    admin = hub.admin()
    assert f"/hub/authorize/{STUDENT}" in admin.get("hub/authorize").text
    approved = admin.get(f"hub/authorize/{STUDENT}", allow_redirects=False)  # the page's "Authorize" link
    assert approved.status_code == 302

    student = hub.client()
    assert student.login(STUDENT, STUDENT_PASSWORD)
    student.start_server()
    assert student.run_code("print(sum(range(10)))") == "45"
    assert not hub.client().login(STUDENT, "wrong-" + STUDENT_PASSWORD)


def test_a_student_cannot_approve_herself(hub, native):
    student = hub.client()
    assert student.login(STUDENT, STUDENT_PASSWORD)
    assert student.get("hub/authorize", allow_redirects=False).status_code == 403


def test_an_unapproved_signup_cannot_log_in(hub, native):
    sign_up(hub, "mallory", "mallory-waits-2026")
    assert not hub.client().login("mallory", "mallory-waits-2026")


def test_a_banned_student_stays_out_even_once_approved(hub, native):
    sign_up(hub, BANNED, BANNED_PASSWORD)
    assert hub.admin().get(f"hub/authorize/{BANNED}", allow_redirects=False).status_code == 302
    assert not hub.client().login(BANNED, BANNED_PASSWORD)


def test_nobody_signs_up_under_an_admins_name(hub, native):
    """Upstream approves an admin's signup at once, and hub admins have sudo here."""
    sign_up(hub, NO_PASSWORD_ADMIN, "first-come-first-root")
    assert not hub.client().login(NO_PASSWORD_ADMIN, "first-come-first-root")
    page = sign_up(hub, ADMIN, "someone-elses-password")  # his account exists: the name is taken
    assert "already in use" in page
    assert not hub.client().login(ADMIN, "someone-elses-password")


def test_a_bootstrap_re_run_makes_a_new_admins_native_account_at_once(hub, native):
    result, _ = hub.bootstrap("--admin", RERUN_ADMIN)  # no password: one is generated and shown
    [line] = [line for line in result.stdout.splitlines() if line.startswith(f"Admin: {RERUN_ADMIN}, password: ")]
    password = line.split("password: ")[1].split()[0]
    assert hub.client().login(RERUN_ADMIN, password)  # no reset-password, no reload needed
    assert hub.client().login(ADMIN, ADMIN_PASSWORD)  # the admin named at install keeps his


@pytest.fixture(scope="module")
def tmp(hub: InstalledHub, original: str, native: str) -> str:
    """TLJH's steps for temporary users, on the config.yaml the module found; what the reload printed."""
    hub.container.write_file(CONFIG, original, mode=0o600)
    hub.tljh_config("set", "auth.type", "tmpauthenticator.TmpAuthenticator")
    hub.tljh_config("set", "services.cull.users", "true")
    return reload(hub)


def test_switching_to_tmp_says_the_admins_cannot_log_in(tmp):
    assert f"nobody can log in as {ADMIN} (users.admin)" in tmp
    assert tmp.index("Warning: TmpAuthenticator") < tmp.index("The hub is running with the new config")


@pytest.fixture(scope="module")
def visitor(hub: InstalledHub, tmp: str) -> HubClient:
    """Someone who opens the hub's address: logged in as a new random user, her server started."""
    client = hub.client()
    landing = client.get("")  # / -> /hub/login -> /hub/tmplogin -> her server, or its spawn page
    assert landing.status_code == 200, landing.text[:300]
    assert client.whoami()
    client.start_server()
    return client


def test_a_visitor_gets_a_server_from_the_hubs_address_and_runs_code(visitor):
    assert visitor.run_code("import getpass; print(getpass.getuser())").startswith("jupyter-")


def test_each_visitor_is_someone_new(hub, visitor, tmp):
    other = hub.client()
    assert other.get("hub/tmplogin", allow_redirects=False).status_code == 302
    assert other.whoami() not in (None, visitor.username)


def test_the_idle_culler_stops_the_visitors_server_and_deletes_her(hub, visitor):
    # Only now a short timeout: the hub hears of a server's activity every minute or more (the proxy
    # every 60 s, the server itself every 5 minutes), so a short one from the start could stop her
    # server while a slow spawn and the code above still run.
    hub.tljh_config("set", "services.cull.timeout", str(CULL_TIMEOUT))
    hub.tljh_config("set", "services.cull.every", "5")
    hub.tljh_config("reload")
    name = visitor.username
    deadline = time.monotonic() + CULL_TIMEOUT + 60
    while visitor.get("hub/api/user").status_code == 200:  # her cookie logs in nobody once she is deleted
        assert time.monotonic() < deadline, f"{name} was not culled"
        time.sleep(2)
    listed = hub.sh("/opt/tljh/hub/bin/python3 -c \"import sqlite3; print([r[0] for r in sqlite3.connect("
                    "'/opt/tljh/state/jupyterhub.sqlite').execute('select name from users')])\"").stdout
    assert name not in listed and ADMIN in listed  # the culler never deletes an admin
    units = hub.sh("systemctl list-units --no-legend 'jupyter-*'", check=False).stdout
    assert name[:7] not in units  # her server's unit is gone (long names keep 7 characters and a hash)
