"""The hub's side of an LTI 1.3 registration: the URLs a professor pastes into the LMS's tool form,
and what is still missing before a launch can work (`tljh-lite lti info`).

The paths are the ones the hub serves (`authenticator.LTI13Authenticator` uses these constants):
ltiauthenticator's login, callback and configuration pages, plus the tool's key set.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from ...config.rules import LTI13_PLATFORM_KEYS, lti13_missing
from ..kinds import kind_of

# Under the hub's prefix (base_url + "hub/").
LOGIN_PATH = "lti13/oauth_login"
LAUNCH_PATH = "lti13/oauth_callback"
CONFIG_PATH = "lti13/config"
JWKS_PATH = "lti13/jwks"

UPSTREAM_CLASS = "ltiauthenticator.lti13.auth.LTI13Authenticator"
SECTION = "LTI13Authenticator"
# What the LMS gives, that config.yaml must say (auth.LTI13Authenticator.<key>), and where to find it.
WHERE_TO_FIND = {  # each of config.rules.LTI13_PLATFORM_KEYS
    "issuer": "the LMS's issuer (Canvas: https://canvas.instructure.com; Moodle: its Platform ID)",
    "client_id": "the client ID the LMS gave this tool (Canvas: the developer key's ID)",
    "authorize_url": "the LMS's authentication request URL (Canvas: https://sso.canvaslms.com/api/lti/authorize_redirect)",
    "jwks_endpoint": "the LMS's public keyset URL (Canvas: https://sso.canvaslms.com/api/lti/security/jwks)",
}


@dataclass(frozen=True)
class ToolUrls:
    login: str  # OpenID Connect login initiation URL
    launch: str  # redirect URI: where the LMS posts the signed launch
    target_link: str  # the hub itself: a plain link opens her server
    jwks: str  # the tool's public key set
    config: str  # the tool's configuration as JSON (Canvas's "Enter URL" method)


def tool_urls(hub_url: str) -> ToolUrls:
    """The tool's URLs for a hub reached at `hub_url` (its public address and base_url)."""
    base = hub_url.rstrip("/") + "/"
    hub = base + "hub/"
    return ToolUrls(hub + LOGIN_PATH, hub + LAUNCH_PATH, base, hub + JWKS_PATH, hub + CONFIG_PATH)


def info_lines(config: Mapping[str, Any], hub_url: str) -> tuple[list[str], list[str]]:
    """What `tljh-lite lti info` prints: (lines, things that need the professor)."""
    urls = tool_urls(hub_url)
    section = config["auth"].get(SECTION) or {}
    lines = [
        "Register this hub in your LMS as an LTI 1.3 tool (docs/lms.md, field by field):",
        f"  Login initiation URL (OpenID Connect):  {urls.login}",
        f"  Redirect URI (launch URL):              {urls.launch}",
        f"  Target link URI:                        {urls.target_link}",
        f"  Public keyset (JWK) URL:                {urls.jwks}",
        f"  Configuration URL (Canvas, JSON):       {urls.config}",
        "",
        "What the LMS gives you goes into config.yaml:",
    ]
    width = max(len(key) for key in LTI13_PLATFORM_KEYS) + len(SECTION) + 7
    for key in LTI13_PLATFORM_KEYS:
        shown = section.get(key) or "(not set)"
        lines.append(f"  {f'auth.{SECTION}.{key}':<{width}} {shown}")
    lines.append(f"  {'auth.type':<{width}} {config['auth']['type']}")
    problems = [f"set auth.{SECTION}.{key}: {WHERE_TO_FIND[key]}" for key in lti13_missing(config)]
    if kind_of(config["auth"]["type"]) != "lti13":
        problems.append(f"set auth.type {UPSTREAM_CLASS}, then: sudo tljh-config reload")
    if not config["https"]["enabled"]:
        problems.append("turn HTTPS on (docs/https.md): LMSs want https:// tool URLs, and a launch inside the "
                        "LMS's page needs the hub's cookies over HTTPS")
    if "<" in hub_url:
        problems.append("the hub's address is not in config.yaml (no Let's Encrypt domain): "
                        "give it with --url https://YOUR-HUB/")
    return lines, problems
