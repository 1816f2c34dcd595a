"""Campus single sign-on on the session's hub: GenericOAuthenticator with TLJH's keys against
a real OpenID Connect provider (oidc-provider, oidc_server.py), followed as a browser
follows it: the hub's login button, the authorize redirect, the provider's login and
consent forms, the callback; then a spawn and a kernel. A person the provider's claims
do not put in an allowed group is refused.

The hub is switched with `tljh-config` lines a professor types
(docs/authentication.md) and put back at the end (auth_switch.py).
"""

from __future__ import annotations

import json
import re
from urllib.parse import urljoin

import pytest
import requests

from auth_switch import auth_switched
from containers import ContainerFactory, Network
from hubclient import HubClient
from installed import InstalledHub
from oidc_server import CLIENT_ID, PASSWORDS, OidcProvider
from tljh_lite.cli.tljh_config import main as tljh_config_main

LOGIN_SERVICE = "Example University"


def settings(hub: InstalledHub, provider: OidcProvider) -> list[list[str]]:
    auth = "auth.GenericOAuthenticator"
    return [
        ["set", f"{auth}.client_id", CLIENT_ID],
        ["set", f"{auth}.client_secret", provider.client_secret],
        ["set", f"{auth}.oauth_callback_url", callback_url(hub)],
        ["set", f"{auth}.authorize_url", provider.url("auth")],
        ["set", f"{auth}.token_url", provider.url("token")],
        ["set", f"{auth}.userdata_url", provider.url("me")],
        *(["add-item", f"{auth}.scope", scope] for scope in ("openid", "profile", "groups")),
        ["set", f"{auth}.username_claim", "preferred_username"],
        ["set", f"{auth}.login_service", LOGIN_SERVICE],
        ["set", f"{auth}.manage_groups", "true"],
        ["set", f"{auth}.auth_state_groups_key", "oauth_user.groups"],
        ["add-item", f"{auth}.allowed_groups", "students"],
        ["set", "auth.type", "oauthenticator.generic.GenericOAuthenticator"],
    ]


def callback_url(hub: InstalledHub) -> str:
    return f"{hub.url}hub/oauth_callback"


@pytest.fixture(scope="module")
def provider(hub: InstalledHub, session_containers: ContainerFactory):
    network = Network()
    oidc = OidcProvider(session_containers, network, redirect_uri=callback_url(hub))
    try:
        with auth_switched(hub, network, settings(hub, oidc), people=list(PASSWORDS), groups=["students"]):
            yield oidc
    finally:
        oidc.container.remove()
        network.remove()


# The hub's own code builds its traitlets config from each config file, then the installed
# authenticator class takes it; prints the asked traits of each, as JSON.
REAL_AUTHENTICATORS = """
import json, sys
from pathlib import Path
from traitlets.config import Config
from oauthenticator.github import GitHubOAuthenticator
from oauthenticator.google import GoogleOAuthenticator
from tljh_lite.config.defaults import merged
from tljh_lite.config.file import ConfigFile
from tljh_lite.hub.settings import apply, hub_settings
classes = {"github": GitHubOAuthenticator, "google": GoogleOAuthenticator}
found = {}
for which, path, traits in json.loads(sys.argv[1]):
    c = Config()
    apply(c, hub_settings(merged(ConfigFile(Path(path)).load())))
    auth = classes[which](config=c)
    values = {name: getattr(auth, name) for name in traits}
    found[which] = {k: sorted(v) if isinstance(v, (set, list)) else v for k, v in values.items()}
print(json.dumps(found))
"""
DOCS_LINES = {
    "github": [
        "set auth.GitHubOAuthenticator.client_id Ov23liAbCdEf0123",
        "set auth.GitHubOAuthenticator.client_secret 0123456789abcdef",
        "set auth.GitHubOAuthenticator.oauth_callback_url https://hub.example.edu/hub/oauth_callback",
        "set auth.type github",
        "add-item users.allowed good-user_1",
        "add-item auth.GitHubOAuthenticator.allowed_organizations physics-101",
        "add-item auth.GitHubOAuthenticator.scope read:org",
    ],
    "google": [
        "set auth.GoogleOAuthenticator.client_id 1234-abc.apps.googleusercontent.com",
        "set auth.GoogleOAuthenticator.client_secret GOCSPX-secret",
        "set auth.GoogleOAuthenticator.oauth_callback_url https://hub.example.edu/hub/oauth_callback",
        "set auth.type oauthenticator.google.GoogleOAuthenticator",
        "add-item auth.GoogleOAuthenticator.hosted_domain example.edu",
        "set auth.GoogleOAuthenticator.allow_all true",
    ],
}
EXPECTED = {
    "github": {"client_id": "Ov23liAbCdEf0123", "oauth_callback_url": "https://hub.example.edu/hub/oauth_callback",
               "allowed_users": ["good-user_1"], "allowed_organizations": ["physics-101"], "scope": ["read:org"]},
    "google": {"client_id": "1234-abc.apps.googleusercontent.com", "client_secret": "GOCSPX-secret",
               "hosted_domain": ["example.edu"], "allow_all": True, "strip_domain": True},
}


def test_github_and_google_keys_reach_the_installed_authenticators(hub, tmp_path):
    """The docs' lines (tljh-config, on a config file of their own), read by the hub's code and
    taken by the installed OAuthenticator: no key refused, misspelt or of the wrong type. The hub's
    live config is untouched; tests/test_auth_oauth_config.py checks the same lines in depth."""
    jobs = []
    for which, lines in DOCS_LINES.items():
        local = tmp_path / f"{which}.yaml"
        for line in lines:
            assert tljh_config_main(["--config-path", str(local), *line.split()]) == 0, line
        remote = f"/root/test-{which}-config.yaml"
        hub.container.write_file(remote, local.read_text(), mode=0o600)
        jobs.append([which, remote, list(EXPECTED[which])])
    try:
        out = hub.container.exec(["/opt/tljh/hub/bin/python3", "-c", REAL_AUTHENTICATORS, json.dumps(jobs)]).stdout
    finally:
        hub.sh("rm -f /root/test-github-config.yaml /root/test-google-config.yaml")
    assert json.loads(out) == EXPECTED


def submit(session: requests.Session, page: requests.Response, **fields: str) -> requests.Response:
    """Fill in and send the one form on a page, as a browser does, following the redirects."""
    action = re.search(r'<form method="post" action="([^"]+)"', page.text)
    assert action, f"no form at {page.url}:\n{page.text[:500]}"
    return session.post(urljoin(page.url, action.group(1)), data=fields, timeout=30)


def sign_in(client: HubClient, name: str, password: str) -> requests.Response:
    """The hub's login button, then the provider's sign-in and consent forms; the last response."""
    login_page = client.get("hub/login")
    assert f"Sign in with {LOGIN_SERVICE}" in login_page.text
    provider_page = client.get("hub/oauth_login")  # the authorize redirect, to the provider's sign-in form
    assert "Example University sign-in" in provider_page.text, provider_page.text[:500]
    consent_page = submit(client.session, provider_page, username=name, password=password)
    if "Allow" not in consent_page.text:
        return consent_page
    return submit(client.session, consent_page, consent="yes")  # then the callback, back at the hub


def test_a_student_signs_in_through_the_provider_and_runs_code(hub, provider):
    olga = hub.client()
    final = sign_in(olga, "olga", PASSWORDS["olga"])
    assert final.url.startswith(hub.url), final.url  # back at the hub after the callback
    assert olga.get("hub/api/user").json()["name"] == "olga"
    olga.username = "olga"
    olga.start_server()
    assert olga.run_code("import getpass; print(getpass.getuser())") == "jupyter-olga"


def test_someone_the_claims_put_outside_allowed_groups_is_refused(hub, provider):
    omar = hub.client()
    final = sign_in(omar, "omar", PASSWORDS["omar"])  # the provider knows him: it sends him back to the hub
    assert final.url.startswith(callback_url(hub)) and final.status_code == 403, (final.url, final.status_code)
    assert omar.get("hub/api/user").status_code == 403  # no hub session


def test_a_wrong_password_stays_at_the_provider(hub, provider):
    client = hub.client()
    final = sign_in(client, "olga", "not-her-password")
    assert "Wrong username or password" in final.text and final.url.startswith(provider.issuer)
    assert client.get("hub/api/user").status_code == 403
