"""Which authenticator settings in config.yaml are secrets, decided by where they come from.

A setting `auth.<Class>.<trait>` is a secret when config.yaml's schema marks
it so (`x-secret`: an OAuth client secret, an LDAP bind password, whatever
the class), or when it is one of the known secret traits of that class
(traitlets has no mark for secrets, so the classes whose secrets have other
names are listed here). Nothing is a secret for its name alone: a trait
called `min_password_length` or `token_url` is not one, and settings tljh-lite
makes itself never are.
"""

from __future__ import annotations

from typing import Any, Mapping

from ..config.schema import BASE_SCHEMA, lookup

# Secret traits that only one class has, by the class name config.yaml's auth section uses.
CLASS_SECRETS: dict[str, frozenset[str]] = {
    "DummyAuthenticator": frozenset({"password"}),  # JupyterHub's, a shared password
    "SharedPasswordAuthenticator": frozenset({"admin_password", "user_password"}),  # JupyterHub 5's
    "LTI11Authenticator": frozenset({"consumers"}),  # ltiauthenticator: {consumer key: its secret}
}


def is_secret_setting(section: str, trait: str, schema: Mapping[str, Any] = BASE_SCHEMA) -> bool:
    """Whether `auth.<section>.<trait>` holds a secret."""
    marked = (lookup(schema, ["auth", section, trait]) or {}).get("x-secret", False)
    return bool(marked) or trait in CLASS_SECRETS.get(section, ())


def secret_settings(config: Mapping[str, Any]) -> set[tuple[str, str]]:
    """(class, trait) of every secret config.yaml's auth section sets."""
    return {(section, trait) for section, traits in config["auth"].items() if section != "type"
            for trait in (traits or {}) if is_secret_setting(section, trait)}
