"""Checks that span several keys, which a JSON Schema cannot say clearly.

They run on the merged config (defaults + file). `tljh-config set` only warns
about them, because TLJH's tutorials set these keys one at a time (enable
HTTPS first, then add the domain); `validate` and `reload` refuse them.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from .problems import Problem

Rule = Callable[[Mapping[str, Any]], list[Problem]]


def tls_pair(config: Mapping[str, Any]) -> list[Problem]:
    tls = config["https"]["tls"]
    if bool(tls["key"]) != bool(tls["cert"]):
        return [Problem("https.tls", "https.tls.key and https.tls.cert must be set together", "set both, or unset both")]
    return []


def https_certificate(config: Mapping[str, Any]) -> list[Problem]:
    https = config["https"]
    if not https["enabled"]:
        return []
    if https["tls"]["key"] and https["tls"]["cert"]:
        return []
    letsencrypt = https["letsencrypt"]
    if not letsencrypt["domains"]:
        return [
            Problem(
                "https.enabled",
                "https.enabled is true but no certificate is configured",
                "add-item https.letsencrypt.domains YOUR.DOMAIN (and set https.letsencrypt.email), "
                "or set https.tls.key and https.tls.cert",
            )
        ]
    if not letsencrypt["email"]:
        return [
            Problem(
                "https.letsencrypt.email",
                "Let's Encrypt needs https.letsencrypt.email",
                "set https.letsencrypt.email to an address that gets certificate expiry notices",
            )
        ]
    return []


def distinct_ports(config: Mapping[str, Any]) -> list[Problem]:
    if config["https"]["enabled"] and config["http"]["port"] == config["https"]["port"]:
        return [Problem("https.port", "http.port and https.port must differ when HTTPS is enabled", "use 80 and 443")]
    return []


def one_acme_server(config: Mapping[str, Any]) -> list[Problem]:
    letsencrypt = config["https"]["letsencrypt"]
    if letsencrypt["staging"] and letsencrypt["acme_server"]:
        return [
            Problem(
                "https.letsencrypt.staging",
                "https.letsencrypt.staging picks Let's Encrypt's test server, but https.letsencrypt.acme_server names another",
                "unset one of them",
            )
        ]
    return []


def groups_or_manage_groups(config: Mapping[str, Any]) -> list[Problem]:
    """JupyterHub refuses to start with both: groups then belong to the authenticator (its
    `manage_groups`), and config.yaml's groups would be loaded over them (JupyterHub.load_groups)."""
    managing = sorted(section for section, traits in config["auth"].items()
                      if section != "type" and isinstance(traits, Mapping) and traits.get("manage_groups"))
    if not managing or not config["groups"]:
        return []
    key = f"auth.{managing[0]}.manage_groups"
    return [Problem(key, f"{key} is true, so the authenticator makes the hub's groups, but config.yaml has groups "
                         f"too ({', '.join(sorted(config['groups']))}): JupyterHub does not start with both",
                    f"keep one: sudo tljh-config unset {key}, or remove the groups (sudo tljh-config unset groups.NAME)")]


# What a launch from the LMS cannot do without (docs/lms.md). The class name ends both
# ltiauthenticator's path and ours; kinds.py (a layer up) has the full list of auth types.
LTI13_PLATFORM_KEYS = ("issuer", "client_id", "authorize_url", "jwks_endpoint")


def lti13_missing(config: Mapping[str, Any]) -> list[str]:
    """The auth.LTI13Authenticator keys a launch needs that the config leaves unset."""
    section = config["auth"].get("LTI13Authenticator") or {}
    return [key for key in LTI13_PLATFORM_KEYS if not section.get(key)]


def lti13_platform(config: Mapping[str, Any]) -> list[Problem]:
    if config["auth"]["type"].rsplit(".", 1)[-1] != "LTI13Authenticator":
        return []
    missing = lti13_missing(config)
    if not missing:
        return []
    keys = ", ".join(f"auth.LTI13Authenticator.{key}" for key in missing)
    return [Problem(f"auth.LTI13Authenticator.{missing[0]}", f"LTI 1.3 login needs {keys}",
                    "copy them from your LMS's tool registration (docs/lms.md; sudo tljh-lite lti info)")]


BUILT_IN_RULES: list[Rule] = [tls_pair, https_certificate, distinct_ports, one_acme_server, groups_or_manage_groups,
                               lti13_platform]
