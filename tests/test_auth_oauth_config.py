"""GitHub, Google and campus single sign-on (GenericOAuthenticator) set up with the exact
`tljh-config` lines of the docs (TLJH's, and docs/authentication.md):
every key reaches the hub's settings (configurer.hub_settings) with the type the
authenticator takes, and config.yaml alone decides who may log in.

integration-tests/test_auth_oauth.py logs in through a real OpenID Connect provider.
"""

from __future__ import annotations

import pytest

from fakes import configured
CALLBACK = "https://hub.example.edu/hub/oauth_callback"


def test_github_as_tljh_documents_it(cli, config_path, checker):
    c = configured(
        cli, config_path, checker,
        "set auth.GitHubOAuthenticator.client_id Ov23liAbCdEf0123",
        "set auth.GitHubOAuthenticator.client_secret 0123456789abcdef0123456789abcdef01234567",
        f"set auth.GitHubOAuthenticator.oauth_callback_url {CALLBACK}",
        "set auth.type github",
        "add-item users.allowed good-user_1",
        "add-item users.admin prof-on-github",
    )
    assert c.JupyterHub.authenticator_class == "github"  # the entry-point name, as TLJH's docs use it
    assert c.GitHubOAuthenticator.client_id == "Ov23liAbCdEf0123"
    assert c.GitHubOAuthenticator.client_secret == "0123456789abcdef0123456789abcdef01234567"
    assert c.GitHubOAuthenticator.oauth_callback_url == CALLBACK
    assert c.Authenticator.allowed_users == {"good-user_1", "prof-on-github"}
    assert c.Authenticator.admin_users == {"prof-on-github"}
    assert c.Authenticator.allow_existing_users is False  # removing a name from users.allowed locks her out


def test_github_organisations_and_teams_are_lists(cli, config_path, checker):
    c = configured(
        cli, config_path, checker,
        "set auth.type oauthenticator.github.GitHubOAuthenticator",
        "add-item auth.GitHubOAuthenticator.allowed_organizations physics-101",
        "add-item auth.GitHubOAuthenticator.allowed_organizations physics-101:tas",
        "add-item auth.GitHubOAuthenticator.scope read:org",
    )
    assert c.GitHubOAuthenticator.allowed_organizations == ["physics-101", "physics-101:tas"]
    assert c.GitHubOAuthenticator.scope == ["read:org"]


def test_google_as_tljh_documents_it_with_the_campus_domain_and_everyone_in_it(cli, config_path, checker):
    c = configured(
        cli, config_path, checker,
        "set auth.GoogleOAuthenticator.client_id 1234567890-abc.apps.googleusercontent.com",
        "set auth.GoogleOAuthenticator.client_secret GOCSPX-secret",
        f"set auth.GoogleOAuthenticator.oauth_callback_url {CALLBACK}",
        "set auth.type oauthenticator.google.GoogleOAuthenticator",
        "add-item auth.GoogleOAuthenticator.hosted_domain example.edu",
        "set auth.GoogleOAuthenticator.allow_all true",
    )
    assert c.JupyterHub.authenticator_class == "oauthenticator.google.GoogleOAuthenticator"
    assert c.GoogleOAuthenticator.client_id == "1234567890-abc.apps.googleusercontent.com"
    assert c.GoogleOAuthenticator.client_secret == "GOCSPX-secret"
    assert c.GoogleOAuthenticator.oauth_callback_url == CALLBACK
    assert c.GoogleOAuthenticator.hosted_domain == ["example.edu"]
    assert c.GoogleOAuthenticator.allow_all is True  # a boolean, not the text 'true'


def test_campus_single_sign_on_with_groups_from_the_claims(cli, config_path, checker):
    auth = "auth.GenericOAuthenticator"
    c = configured(
        cli, config_path, checker,
        f"set {auth}.client_id tljh-hub",
        f"set {auth}.client_secret s3cret",
        f"set {auth}.oauth_callback_url {CALLBACK}",
        f"set {auth}.authorize_url https://sso.example.edu/auth",
        f"set {auth}.token_url https://sso.example.edu/token",
        f"set {auth}.userdata_url https://sso.example.edu/me",
        f"add-item {auth}.scope openid",
        f"add-item {auth}.scope groups",
        f"set {auth}.username_claim preferred_username",
        f"set {auth}.manage_groups true",
        f"set {auth}.auth_state_groups_key oauth_user.groups",
        f"add-item {auth}.allowed_groups students",
        f"set {auth}.token_params.audience jupyterhub",
        "set auth.type oauthenticator.generic.GenericOAuthenticator",
        "add-item users.banned mallory",
    )
    generic = c.GenericOAuthenticator
    assert (generic.authorize_url, generic.token_url, generic.userdata_url) == (
        "https://sso.example.edu/auth", "https://sso.example.edu/token", "https://sso.example.edu/me")
    assert generic.scope == ["openid", "groups"]
    assert generic.manage_groups is True and generic.allowed_groups == ["students"]
    assert generic.auth_state_groups_key == "oauth_user.groups"
    assert generic.token_params == {"audience": "jupyterhub"}  # a dict setting, key by key
    assert c.Authenticator.blocked_users == {"mallory"}  # checked before any allow rule


@pytest.mark.parametrize("key", ["client_id", "client_secret"])
def test_ids_and_secrets_made_of_digits_stay_text(cli, config_path, checker, key):
    """A Canvas developer key's id is digits: as a number the authenticator would refuse it."""
    c = configured(cli, config_path, checker, f"set auth.GenericOAuthenticator.{key} 0001234567")
    assert c.GenericOAuthenticator[key] == "0001234567"


def test_secrets_stay_in_a_file_only_root_reads(cli, config_path, checker):
    configured(cli, config_path, checker, "set auth.GitHubOAuthenticator.client_secret top-secret")
    assert config_path.stat().st_mode & 0o777 == 0o600


def test_none_leaves_the_authenticators_default_as_in_tljh(cli, config_path, checker):
    c = configured(cli, config_path, checker, "set auth.GenericOAuthenticator.client_secret none",
                   "set auth.GenericOAuthenticator.scope none")
    assert "client_secret" not in c.GenericOAuthenticator and "scope" not in c.GenericOAuthenticator
