"""The JSON Schema of config.yaml, with every TLJH key, and how plugins extend it.

The schema is strict: unknown keys are rejected (`additionalProperties:
false` everywhere) and every string with a shape has a `format` that is
actually checked (see `formats.py`). Leaf schemas may carry `x-expected`, the
words used in error messages for what the key takes.

Plugins add top-level sections of their own through `build_schema(extra)`;
they cannot redefine a built-in key.
"""

from __future__ import annotations

import copy
import re
from typing import Any, Iterator, Mapping

from ..errors import ConfigError

USERNAME_LIST = {
    "type": "array",
    "items": {"type": "string", "format": "hub-username"},
    "uniqueItems": True,
    "x-expected": "a list of usernames",
}

PORT = {"type": "integer", "minimum": 1, "maximum": 65535, "x-expected": "a port number (1-65535)"}

ADDRESS = {
    "type": "string",
    "format": "bind-address",
    "x-expected": "an IP address to listen on, or '' for all",
}

OPTIONAL_FILE = {
    "type": "string",
    "format": "absolute-path-or-empty",
    "x-expected": "an absolute file path, or '' for none",
}


# Authenticator settings that are always text (ids, secrets, addresses): kept as typed, so
# a client id of digits (a Canvas developer key) or a password like 0042 is not made a number
# the authenticator would refuse. Every other auth.<Class>.<setting> is free-form.
AUTH_TEXT_SETTINGS = (
    "client_id", "client_secret", "oauth_callback_url", "authorize_url", "token_url", "userdata_url",
    "login_service", "server_address", "lookup_dn_search_user", "lookup_dn_search_password",
)
AUTH_TEXT = {"type": ["string", "null"], "x-expected": "text, or none for the authenticator's default"}
# Of those, the secrets, whichever authenticator they configure (OAuthenticator's providers, LDAP's bind
# password): `x-secret` keeps their values out of what is shown or handed on in the clear (the Z2JH
# export puts them in values-secrets.yaml only; tljh_lite.auth.secrets).
AUTH_SECRET_SETTINGS = ("client_secret", "lookup_dn_search_password")
AUTH_SECRET = {**AUTH_TEXT, "x-secret": True}


def _section(properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A mapping with exactly these keys (all optional)."""
    return {"type": "object", "properties": properties, "additionalProperties": False, **extra}


def _https_url(what: str) -> dict[str, Any]:
    return {"type": ["string", "null"], "format": "https-url", "x-expected": f"{what} (https://...), or none"}


# auth.LTI13Authenticator: LTI 1.3 launches from the school's LMS (docs/lms.md). The keys a
# professor types are typed here; the class's other settings pass through unchecked like
# every authenticator's.
LTI13_SECTION = {
    "type": "object",
    "properties": {
        "issuer": _https_url("the LMS's issuer"),
        "client_id": AUTH_TEXT,
        "authorize_url": _https_url("the LMS's authentication request URL"),
        "jwks_endpoint": _https_url("the LMS's public keyset URL"),
        "username_key": {
            "type": ["string", "null"], "pattern": r"^[A-Za-z_][A-Za-z0-9_.:/#-]*$",
            "x-expected": "the claim that names people (sub, email, or custom_NAME), or none for sub",
        },
        "allowed_roles": {
            "type": ["array", "null"],
            "items": {"enum": ["Instructor", "TeachingAssistant", "Learner"],
                      "x-expected": "Instructor, TeachingAssistant or Learner"},
            "uniqueItems": True,
            "x-expected": "a list of LMS roles (Instructor, TeachingAssistant, Learner), or none for all three",
        },
        "lms_admins_are_hub_admins": {"type": ["boolean", "null"], "x-expected": "true or false, or none (false)"},
        "frame_ancestors": {
            "type": ["array", "null"],
            "items": {"type": "string", "format": "https-origin"},
            "uniqueItems": True,
            "x-expected": "a list of the LMS's addresses (https://...), or none for the issuer's and login URL's",
        },
    },
    "additionalProperties": {},
    "x-expected": "a mapping of LTI13Authenticator's settings",
}


# limits.* and groups.<name>.limits.*: what one student's server (and, for disk, her account) may use.
LIMITS = _section(
    {
        "memory": {
            "type": ["string", "null"],
            "format": "memory-size",
            "x-expected": "a memory size like 512M or 1G, or none",
        },
        "cpu": {
            "type": ["number", "null"],
            "exclusiveMinimum": 0,
            "x-expected": "a positive number of CPUs like 0.5 or 2, or none",
        },
        # The kernel's disk quota of her account on each filesystem she writes to (quotas/).
        "disk": {
            "type": ["string", "null"],
            "format": "disk-size",
            "x-expected": "a disk size like 500M or 2G, or none",
        },
    }
)


BASE_SCHEMA: dict[str, Any] = _section(
    {
        "base_url": {
            "type": "string",
            "format": "base-url",
            "x-expected": "a URL path that starts and ends with '/', like /jupyter/",
        },
        "auth": _section(
            {
                "type": {
                    "type": "string",
                    "format": "authenticator-class",
                    "x-expected": "an authenticator class (module.Class) or entry-point name",
                },
                "LTI13Authenticator": LTI13_SECTION,
            },
            # auth.<AuthenticatorClass>.<trait>: passed to that class as traitlets
            # config. TLJH only treats capitalised keys as class sections.
            patternProperties={
                r"^[A-Z][A-Za-z0-9_]*$": {
                    "type": "object",
                    "propertyNames": {"format": "python-identifier"},
                    "properties": {name: AUTH_SECRET if name in AUTH_SECRET_SETTINGS else AUTH_TEXT
                                   for name in AUTH_TEXT_SETTINGS},
                    "additionalProperties": {},  # any other setting: the authenticator checks it
                    "x-expected": "a mapping of the authenticator's settings",
                }
            },
        ),
        "users": _section(
            {
                "allowed": USERNAME_LIST,
                "banned": USERNAME_LIST,
                "admin": USERNAME_LIST,
                "extra_user_groups": {
                    "type": "object",
                    "propertyNames": {"format": "unix-group"},
                    "additionalProperties": USERNAME_LIST,
                    "x-expected": "a mapping of unix group names to lists of usernames",
                },
            }
        ),
        "limits": LIMITS,
        # groups.<name>: a JupyterHub group; its limits beat limits.* for its members (users/groups.py).
        "groups": {
            "type": "object",
            "propertyNames": {"format": "hub-group"},
            "additionalProperties": _section({"users": USERNAME_LIST, "limits": LIMITS}),
            "x-expected": "a mapping of group names to their users and limits",
        },
        "user_environment": _section(
            {"default_app": {"enum": ["jupyterlab", "classic"], "x-expected": "jupyterlab or classic"}}
        ),
        # tljh-lite's: where both environments, plugins and `pip install` get packages (docs/offline.md).
        "pip": _section(
            {
                "index_url": {
                    "type": "string",
                    "format": "index-url-or-empty",
                    "x-expected": "a PyPI mirror's URL like https://devpi.example.edu/root/pypi/+simple/ (no password "
                    "in it), or '' for PyPI",
                },
            }
        ),
        "http": _section({"address": ADDRESS, "port": PORT}),
        "https": _section(
            {
                "enabled": {"type": "boolean"},
                "address": ADDRESS,
                "port": PORT,
                "tls": _section({"key": OPTIONAL_FILE, "cert": OPTIONAL_FILE}),
                "letsencrypt": _section(
                    {
                        "email": {
                            "type": "string",
                            "format": "email-or-empty",
                            "x-expected": "an email address, or '' for none",
                        },
                        "domains": {
                            "type": "array",
                            "items": {"type": "string", "format": "hostname"},
                            "uniqueItems": True,
                            "x-expected": "a list of domain names",
                        },
                        "staging": {"type": "boolean"},
                        "acme_server": {
                            "type": "string",
                            "format": "acme-directory-or-empty",
                            "x-expected": "an ACME directory URL (https://...), or '' for Let's Encrypt",
                        },
                    }
                ),
            }
        ),
        "services": _section(
            {
                "cull": _section(
                    {
                        "enabled": {"type": "boolean"},
                        "timeout": {"type": "integer", "minimum": 1, "x-expected": "a number of seconds (1 or more)"},
                        "every": {"type": "integer", "minimum": 0, "x-expected": "a number of seconds (0: half the timeout)"},
                        "concurrency": {"type": "integer", "minimum": 1, "x-expected": "a whole number of 1 or more"},
                        "users": {"type": "boolean"},
                        "max_age": {"type": "integer", "minimum": 0, "x-expected": "a number of seconds (0: no limit)"},
                        "remove_named_servers": {"type": "boolean"},
                        # tljh-lite's: idle kernels shut down by each student's server (hub/settings.py).
                        "kernel_timeout": {"type": "integer", "minimum": 0,
                                           "x-expected": "a number of seconds (0: never)"},
                    }
                ),
                # TLJH's jupyterhub-configurator switch; accepted so TLJH files load.
                "configurator": _section({"enabled": {"type": "boolean"}}),
            }
        ),
        # tljh-lite's: swap in compressed memory (tljh_lite/zram, docs/performance.md).
        "zram": _section({"enabled": {"type": "boolean"}}),
        # tljh-lite's: what the VM costs, for `tljh-lite report`'s cost per student (docs/status.md).
        "cost": _section(
            {
                "vm_monthly": {
                    "type": ["number", "null"], "minimum": 0,
                    "x-expected": "the VM's monthly price as a number like 40 or 37.5 (no currency sign), or none",
                },
            }
        ),
        # tljh-lite's: scheduled backups (docs/backup.md).
        "backup": _section(
            {
                "schedule": {"enum": ["off", "daily", "weekly"], "x-expected": "off, daily or weekly"},
                "keep": {
                    "type": "integer", "minimum": 1, "x-expected": "a whole number of backups to keep (1 or more)",
                },
                "path": {
                    "type": "string",
                    "format": "backup-folder",
                    "x-expected": "an absolute folder path like /var/backups/tljh-lite (not in a student's home, "
                    "/opt/tljh or /tmp)",
                },
            }
        ),
    }
)


def build_schema(extra_sections: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """The full schema: the built-in keys plus plugins' top-level sections.

    `extra_sections` maps a new top-level key to its JSON Schema. Plugin
    sections are as strict as ours: a section given as an object without
    `additionalProperties` gets `additionalProperties: false`.
    """
    schema = copy.deepcopy(BASE_SCHEMA)
    for key, section in (extra_sections or {}).items():
        if key in schema["properties"]:
            raise ConfigError(
                f"a plugin tried to redefine the built-in config key '{key}'",
                "plugins may only add new top-level keys; rename the plugin's section",
            )
        section = copy.deepcopy(dict(section))
        _make_strict(section)
        schema["properties"][key] = section
    return schema


ANY_TYPE = ["object", "array", "string", "number", "boolean", "null"]


def with_owned_keys(schema: Mapping[str, Any], owned: Mapping[str, str]) -> dict[str, Any]:
    """The schema plus plugin-owned top-level keys (config/owned.py), accepted unchecked.

    A key the schema already has (built in, or a plugin's declared section) keeps its schema.
    """
    schema = copy.deepcopy(dict(schema))
    for key, plugin in owned.items():
        schema["properties"].setdefault(
            key, {"type": ANY_TYPE, "x-owner": plugin, "x-expected": f"anything (plugin {plugin}'s key, not checked)"}
        )
    return schema


def owned_keys_of(schema: Mapping[str, Any]) -> dict[str, str]:
    """{key: plugin} of the unchecked plugin-owned keys in a schema."""
    return {k: v["x-owner"] for k, v in schema.get("properties", {}).items() if "x-owner" in v}


def _make_strict(schema: dict[str, Any]) -> None:
    if schema.get("type") == "object" and "properties" in schema:
        schema.setdefault("additionalProperties", False)
        for sub in schema["properties"].values():
            if isinstance(sub, dict):
                _make_strict(sub)


def lookup(schema: Mapping[str, Any], path: list[str]) -> Mapping[str, Any] | None:
    """The sub-schema for a key path, or None if the schema has no such key."""
    node: Mapping[str, Any] = schema
    for part in path:
        child = _child(node, part)
        if child is None:
            return None
        node = child
    return node


def _child(node: Mapping[str, Any], key: str) -> Mapping[str, Any] | None:
    if not node:
        # Free-form (an authenticator's setting) at any depth, as in TLJH: dict traits such as
        # auth.LDAPAuthenticator.tls_kwargs.validate or auth.GenericOAuthenticator.token_params.x.
        return {}
    if key in node.get("properties", {}):
        return node["properties"][key]
    for pattern, sub in node.get("patternProperties", {}).items():
        if re.search(pattern, key):
            return sub
    extra = node.get("additionalProperties", True if "properties" not in node else False)
    if extra is False:
        return None
    if extra is True:
        # Free-form mapping (an authenticator's settings): anything goes below.
        return {} if _allows_object(node) else None
    return extra


def _allows_object(node: Mapping[str, Any]) -> bool:
    kind = node.get("type")
    return kind == "object" or (isinstance(kind, list) and "object" in kind)


def known_keys(schema: Mapping[str, Any], prefix: tuple[str, ...] = ()) -> Iterator[str]:
    """Every named key path in the schema, dotted ('limits.memory'), parents too."""
    for key, sub in schema.get("properties", {}).items():
        path = prefix + (key,)
        yield ".".join(path)
        yield from known_keys(sub, path)


def accepts_type(schema: Mapping[str, Any], json_type: str) -> bool:
    """Whether a leaf schema allows values of this JSON type at all."""
    if "enum" in schema:
        return any(json_type_of(v) == json_type for v in schema["enum"])
    kind = schema.get("type")
    if kind is None:
        return True
    kinds = kind if isinstance(kind, list) else [kind]
    return json_type in kinds or (json_type == "integer" and "number" in kinds)


def json_type_of(value: Any) -> str:
    """The JSON Schema type name of a Python value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"

