"""What `tljh-config reload` does for the authenticator before the restart (tljh_lite.auth.switch)."""

from __future__ import annotations

import dbm

import pytest

from tljh_lite.auth import switch
from tljh_lite.config.defaults import merged
from tljh_lite.paths import Paths
from tljh_lite.users.passwords import passwords_dbm

NATIVE = "nativeauthenticator.NativeAuthenticator"


@pytest.fixture
def paths(tmp_path):
    paths = Paths(tmp_path)
    paths.state_dir.mkdir()
    with dbm.open(str(passwords_dbm(paths)), "c") as db:  # FirstUse's store: name -> bcrypt hash
        db["prof"] = b"$2b$12$prof-hash"
    return paths


class FakeNative:
    """NativePasswords' interface: accounts by name."""

    def __init__(self, accounts):
        self.accounts = dict(accounts)

    def with_password(self, names):
        return {name for name in names if name in self.accounts}

    def adopt(self, hashes):
        made = {name for name in hashes if name not in self.accounts}
        self.accounts.update({name: hashes[name] for name in made})
        return made


def config(auth_type, admins):
    return merged({"users": {"admin": admins}, "auth": {"type": auth_type}})


def test_native_admins_keep_the_password_they_had(paths, monkeypatch):
    native = FakeNative({})
    monkeypatch.setattr(switch, "password_store", lambda config, paths: native)
    lines = switch.before_restart(config(NATIVE, ["Prof"]), paths)
    assert native.accounts == {"prof": b"$2b$12$prof-hash"}  # FirstUse's hash, as it was
    assert lines == ["NativeAuthenticator: prof (users.admin) can log in with the password they have had so far "
                     "(account made and approved)."]


def test_native_accounts_that_exist_are_left_alone(paths, monkeypatch):
    native = FakeNative({"prof": b"native's own"})
    monkeypatch.setattr(switch, "password_store", lambda config, paths: native)
    assert switch.before_restart(config(NATIVE, ["prof"]), paths) == []
    assert native.accounts == {"prof": b"native's own"}


def test_an_admin_with_no_password_anywhere_is_named(paths, monkeypatch):
    monkeypatch.setattr(switch, "password_store", lambda config, paths: FakeNative({}))
    lines = switch.before_restart(config(NATIVE, ["prof", "dean"]), paths)
    assert len(lines) == 2 and lines[1].startswith("Warning: admin dean has no NativeAuthenticator account")


def test_firstuse_reads_its_own_store(paths):
    assert switch.before_restart(config("firstuseauthenticator.FirstUseAuthenticator", ["prof"]), paths) == []
    (line,) = switch.before_restart(config("firstuseauthenticator.FirstUseAuthenticator", ["prof", "dean"]), paths)
    assert "whoever logs in first as dean" in line


def test_native_before_the_hub_has_a_database_says_so(tmp_path):
    (line,) = switch.before_restart(config(NATIVE, ["prof"]), Paths(tmp_path))
    assert line.startswith("Warning: cannot check the admins' passwords: the hub's database")


def test_other_authenticators_touch_no_store(paths, monkeypatch):
    monkeypatch.setattr(switch, "password_store", lambda config, paths: pytest.fail("no store for Tmp"))
    (line,) = switch.before_restart(config("tmpauthenticator.TmpAuthenticator", ["prof"]), paths)
    assert line.startswith("Warning: TmpAuthenticator")


def test_a_database_error_is_a_warning_not_a_failed_reload(paths, monkeypatch):
    class Busy(FakeNative):
        def adopt(self, hashes):
            raise RuntimeError("database is locked")

    monkeypatch.setattr(switch, "password_store", lambda config, paths: Busy({}))
    (line,) = switch.before_restart(config(NATIVE, ["prof"]), paths)
    assert line.startswith("Warning: cannot check the admins' passwords (RuntimeError: database is locked)")
