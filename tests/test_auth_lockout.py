"""Before a reload, what keeps the admins of config.yaml from logging in (tljh_lite.auth.lockout)."""

from __future__ import annotations

import pytest

from tljh_lite.auth.lockout import BACK_TO_FIRSTUSE, lockout_warnings
from tljh_lite.config.defaults import merged


def config(auth_type, admins=("prof",), **auth):
    return merged({"users": {"admin": list(admins)}, "auth": {"type": auth_type, **auth}})


NATIVE = "nativeauthenticator.NativeAuthenticator"
FIRSTUSE = "firstuseauthenticator.FirstUseAuthenticator"


@pytest.mark.parametrize("auth_type", [FIRSTUSE, NATIVE, "tmpauthenticator.TmpAuthenticator",
                                       "ldapauthenticator.LDAPAuthenticator", "jupyterhub.auth.DummyAuthenticator"])
def test_no_admins_nothing_to_say(auth_type):
    assert lockout_warnings(config(auth_type, admins=()), set()) == []


@pytest.mark.parametrize("auth_type", [FIRSTUSE, NATIVE])
def test_admins_with_a_password_nothing_to_say(auth_type):
    assert lockout_warnings(config(auth_type, admins=("prof", "Dean")), {"prof", "dean"}) == []


def test_native_admin_without_an_account_is_told_how_to_get_one():
    (line,) = lockout_warnings(config(NATIVE, admins=("prof", "dean")), {"prof"})
    assert line.startswith("Warning: admin dean has no NativeAuthenticator account")
    assert "sudo tljh-lite users reset-password dean" in line


def test_firstuse_admin_without_a_password_would_get_it_from_whoever_comes_first():
    (line,) = lockout_warnings(config(FIRSTUSE), set())
    assert "whoever logs in first as prof" in line and "sudo tljh-lite users reset-password prof" in line


def test_tmp_locks_every_admin_out_and_says_how_to_go_back():
    (line,) = lockout_warnings(config("tmpauthenticator.TmpAuthenticator", admins=("prof", "dean")))
    assert "nobody can log in as dean, prof" in line and line.endswith(BACK_TO_FIRSTUSE)


@pytest.mark.parametrize("shared, who", [(None, "anyone, with any password,"),
                                         ("s3cret", "anyone who knows auth.DummyAuthenticator.password")])
def test_dummy_lets_anyone_be_the_admin(shared, who):
    (line,) = lockout_warnings(config("dummy", DummyAuthenticator={"password": shared}))
    assert f"with DummyAuthenticator {who} can log in as prof" in line


@pytest.mark.parametrize("auth_type, source", [
    ("ldapauthenticator.LDAPAuthenticator", "the directory's user names"),
    ("oauthenticator.github.GitHubOAuthenticator", "the names the provider gives"),
    ("oauthenticator.generic.GenericOAuthenticator", "the names the provider gives"),
    ("github", "the names the provider gives"),
])
def test_external_providers_must_know_the_admins_by_the_same_name(auth_type, source):
    (line,) = lockout_warnings(config(auth_type))
    assert line.startswith("Note: with ") and f"must be written exactly as {source}" in line
    assert "private window" in line and line.endswith(BACK_TO_FIRSTUSE)


def test_an_authenticator_we_do_not_know_is_not_guessed_at():
    (line,) = lockout_warnings(config("mycampus.SSOAuthenticator"))
    assert line.startswith("Note: tljh-lite cannot check whether mycampus.SSOAuthenticator lets prof")
