"""Which authenticator auth.type names, the class the hub runs, and who each one lets in."""

from __future__ import annotations

import pytest

from tljh_lite.auth.kinds import FIRSTUSE_CLASS, NATIVE_CLASS, hub_class, kind_of
from tljh_lite.config.defaults import merged
from tljh_lite.hub.settings import hub_settings


@pytest.mark.parametrize("auth_type, kind", [
    ("firstuseauthenticator.FirstUseAuthenticator", "firstuse"),
    ("nativeauthenticator.NativeAuthenticator", "native"),
    ("nativeauthenticator.nativeauthenticator.NativeAuthenticator", "native"),
    ("native", "native"),
    (NATIVE_CLASS, "native"),
    ("tmpauthenticator.TmpAuthenticator", "tmp"),
    ("tmp", "tmp"),
    ("jupyterhub.auth.DummyAuthenticator", "dummy"),
    ("dummy", "dummy"),
    ("ldapauthenticator.LDAPAuthenticator", "ldap"),
    ("oauthenticator.github.GitHubOAuthenticator", "oauth"),
    ("oauthenticator.GoogleOAuthenticator", "oauth"),
    ("oauthenticator.generic.GenericOAuthenticator", "oauth"),
    ("github", "oauth"),
    ("jupyterhub.auth.PAMAuthenticator", "pam"),
    ("mycampus.SSOAuthenticator", "other"),  # sounds like OAuth, is not oauthenticator's
])
def test_kind_of(auth_type, kind):
    assert kind_of(auth_type) == kind


def test_the_hub_runs_our_native_and_firstuse_classes_and_every_other_type_as_written():
    assert hub_class("nativeauthenticator.NativeAuthenticator") == NATIVE_CLASS
    assert hub_class("native") == NATIVE_CLASS
    for firstuse in ("firstuseauthenticator.FirstUseAuthenticator", "firstuse", FIRSTUSE_CLASS):
        assert hub_class(firstuse) == FIRSTUSE_CLASS and kind_of(firstuse) == "firstuse"
    for other in ("tmpauthenticator.TmpAuthenticator", "github"):
        assert hub_class(other) == other


def settings(auth, users=None):
    return hub_settings(merged({"auth": auth, "users": users or {"admin": ["prof"], "banned": ["eve"]}}))


def test_native_lets_in_whom_the_admin_approves_and_keeps_banned_users_out():
    s = settings({"type": "nativeauthenticator.NativeAuthenticator", "NativeAuthenticator": {"open_signup": False}})
    assert s["JupyterHub"]["authenticator_class"] == NATIVE_CLASS
    # Native's authenticate admits approved accounts only; the hub then lets them all in...
    assert s["NativeAuthenticator"] == {"open_signup": False, "allow_all": True}
    # ...except the banned, whom JupyterHub checks before allow_all.
    assert s["Authenticator"]["blocked_users"] == {"eve"} and s["Authenticator"]["admin_users"] == {"prof"}


def test_tmp_lets_every_visitor_in():
    s = settings({"type": "tmpauthenticator.TmpAuthenticator"})
    assert s["TmpAuthenticator"] == {"allow_all": True}


@pytest.mark.parametrize("section, auth_type", [("NativeAuthenticator", "nativeauthenticator.NativeAuthenticator"),
                                                ("TmpAuthenticator", "tmpauthenticator.TmpAuthenticator")])
def test_an_allow_all_in_config_yaml_wins(section, auth_type):
    s = settings({"type": auth_type, section: {"allow_all": False}})
    assert s[section]["allow_all"] is False


@pytest.mark.parametrize("auth_type", ["jupyterhub.auth.DummyAuthenticator", "ldapauthenticator.LDAPAuthenticator",
                                       "oauthenticator.github.GitHubOAuthenticator"])
def test_other_authenticators_keep_config_yaml_lists(auth_type):
    s = settings({"type": auth_type})
    assert "NativeAuthenticator" not in s and "TmpAuthenticator" not in s
    assert s["Authenticator"]["allowed_users"] == {"prof"}
