"""The string formats config.yaml uses, each with a check and the words for errors.

We build our own FormatChecker with exactly these formats instead of relying
on jsonschema's optional ones (its "hostname" check silently does nothing
unless an extra package is installed). A unit test asserts every format the
schema names is registered here.
"""

from __future__ import annotations

import ipaddress
import posixpath
import re
from typing import Callable
from urllib.parse import urlparse

from jsonschema import FormatChecker

from ..sizes import is_size

_IDENTIFIER = r"[A-Za-z_][A-Za-z0-9_]*"
_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"


def _hub_username(value: str) -> bool:
    # JupyterHub puts names in URLs and our unix names are derived from them:
    # no whitespace, no control characters, no '/', and not absurdly long.
    # FirstUseAuthenticator also refuses ',' in names.
    return 0 < len(value) <= 255 and not re.search(r"[\s/,\x00-\x1f\x7f]", value)


def _bind_address(value: str) -> bool:
    if value == "":
        return True
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _hostname(value: str) -> bool:
    name = value.lower()
    return len(name) <= 253 and re.fullmatch(rf"({_LABEL}\.)+[a-z][a-z0-9-]{{0,62}}", name) is not None


def _acme_directory(value: str) -> bool:
    if value == "":
        return True
    parsed = urlparse(value)
    return parsed.scheme == "https" and bool(parsed.hostname) and not re.search(r"\s", value)


def _https_url(value: str) -> bool:
    parsed = urlparse(value)
    return parsed.scheme == "https" and bool(parsed.hostname) and not parsed.fragment and not re.search(r"\s", value)


def _https_origin(value: str) -> bool:
    parsed = urlparse(value)
    return _https_url(value) and parsed.path in ("", "/") and not parsed.query and not parsed.username


def _index_url(value: str) -> bool:
    """A PyPI mirror's simple index: http(s), a host, and no user or password in it (pip.conf is
    world-readable: every student would read them)."""
    if value == "":
        return True
    parsed = urlparse(value)
    return (parsed.scheme in ("http", "https") and bool(parsed.hostname) and "@" not in parsed.netloc
            and not re.search(r"\s", value))


# A backup folder inside what backups hold would hold older backups, or be wiped (/tmp).
_NOT_FOR_BACKUPS = r"/home|/(home/jupyter-[^/]*|opt/tljh|tmp|var/tmp|proc|sys|dev|run|etc/letsencrypt)(/.*)?"


def _backup_folder(value: str) -> bool:
    return (
        value.startswith("/") and value != "/" and posixpath.normpath(value) == value
        and not re.search(r"[\x00-\x1f]", value) and re.fullmatch(_NOT_FOR_BACKUPS, value) is None
    )


FORMATS: dict[str, tuple[Callable[[str], bool], str]] = {
    "hub-username": (_hub_username, "a username (no spaces, ',' or '/')"),
    # A JupyterHub group (config.yaml's groups): its name is in URLs of the hub's API.
    "hub-group": (
        lambda v: re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", v) is not None,
        "a group name (letters, digits, '-', '_' or '.', at most 64 characters)",
    ),
    "unix-group": (
        lambda v: re.fullmatch(r"[a-z_][a-z0-9_-]{0,31}", v) is not None,
        "a unix group name (lowercase letters, digits, '_' or '-', at most 32 characters)",
    ),
    "memory-size": (is_size, "a memory size like 512M or 1G (K, M, G or T)"),
    # The same grammar as memory (sizes.py), for a student's disk space.
    "disk-size": (is_size, "a disk size like 500M or 2G (K, M, G or T)"),
    "base-url": (
        lambda v: re.fullmatch(r"/([^/\s?#]+/)*", v) is not None,
        "a URL path that starts and ends with '/', like /jupyter/",
    ),
    "authenticator-class": (
        lambda v: re.fullmatch(rf"{_IDENTIFIER}(\.{_IDENTIFIER})*", v) is not None,
        "an authenticator class (module.Class) or entry-point name",
    ),
    "python-identifier": (str.isidentifier, "a setting name (letters, digits and '_')"),
    "bind-address": (_bind_address, "an IP address, or '' for all addresses"),
    "absolute-path-or-empty": (
        lambda v: v == "" or (v.startswith("/") and "\n" not in v and "\x00" not in v),
        "an absolute file path, or ''",
    ),
    "email-or-empty": (
        lambda v: v == "" or re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s.]+", v) is not None,
        "an email address, or ''",
    ),
    "hostname": (_hostname, "a domain name like hub.example.edu"),
    "acme-directory-or-empty": (_acme_directory, "an https:// URL of an ACME directory, or ''"),
    "https-url": (_https_url, "an https:// URL like https://lms.example.edu/path"),
    "https-origin": (_https_origin, "an https:// address with no path, like https://school.instructure.com"),
    "index-url-or-empty": (_index_url, "an http(s):// URL of a package index with no password in it, or ''"),
    "backup-folder": (_backup_folder, "an absolute folder path outside the students' homes, /opt/tljh and /tmp"),
}


def format_checker() -> FormatChecker:
    checker = FormatChecker(formats=())
    for name, (check, _words) in FORMATS.items():
        checker.checks(name)(_strings_only(check))
    return checker


def _strings_only(check: Callable[[str], bool]) -> Callable[[object], bool]:
    # A format says nothing about non-strings; "type" rejects those.
    return lambda value: not isinstance(value, str) or check(value)


def describe_format(name: str) -> str:
    return FORMATS[name][1] if name in FORMATS else f"a value in {name} format"
