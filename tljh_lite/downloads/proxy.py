"""The web proxy every download goes through: http_proxy, https_proxy and no_proxy.

Tools disagree on names (curl and apt read the lowercase ones, requests and uv
either), so the settings are read in either case, lowercase first, and
passed on in both. A value without a scheme gets http:// (as curl and requests
read it); no_proxy always holds the loopback addresses, so the installer's and
the hub's own calls to 127.0.0.1 never go to the proxy. A set but empty value
means "no proxy" (bootstrap: clear the saved one).
"""

from __future__ import annotations

import re
from typing import Mapping
from urllib.parse import urlsplit

from ..errors import TljhError
from ..redact import redact_urls

PROXY_VARIABLES = ("http_proxy", "https_proxy", "no_proxy")  # installer/bootstrap.py PROXY_VARIABLES
LOOPBACK = ("localhost", "127.0.0.1", "::1")  # installer/bootstrap.py LOOPBACK
_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#@]*@")


def given(environ: Mapping[str, str]) -> dict[str, str] | None:
    """The proxy settings in environ ({name: value}, lowercase names), or None if it names none at all."""
    found = {}
    for name in PROXY_VARIABLES:
        for spelling in (name, name.upper()):
            if spelling in environ:
                found[name] = environ[spelling].strip()
                break
    return found or None


def checked(settings: Mapping[str, str]) -> dict[str, str]:
    """The settings made whole (see the module's docstring); empty ones dropped; a bad URL raises TljhError."""
    out = {}
    for name in ("http_proxy", "https_proxy"):
        value = settings.get(name, "")
        if value:
            out[name] = proxy_url(name, value)
    if out:
        out["no_proxy"] = with_loopback(settings.get("no_proxy", ""))
    return out


def proxy_url(name: str, value: str) -> str:
    url = value if "://" in value else f"http://{value}"
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or re.search(r"\s", url):
        raise TljhError(
            f"{name}={redact_urls(url)} is not a web proxy's URL",
            "give one like http://proxy.example.edu:3128 (with user:password@ before the host if it asks for one)",
        )
    return url


def with_loopback(no_proxy: str) -> str:
    names = [n.strip() for n in no_proxy.split(",") if n.strip()]
    return ",".join(names + [n for n in LOOPBACK if n not in names])


def exported(settings: Mapping[str, str]) -> dict[str, str]:
    """The variables children get: each setting under both spellings."""
    return {spelling: value for name, value in settings.items() for spelling in (name, name.upper())}


def without_credentials(url: str) -> str:
    """http://user:secret@proxy:3128 -> http://proxy:3128 (what students' servers get)."""
    return _USERINFO.sub(r"\1", url)


def has_credentials(url: str) -> bool:
    return _USERINFO.match(url) is not None
