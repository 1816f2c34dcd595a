"""What a launch from inside the LMS's page needs from the hub and each student's server, over HTTPS.

Canvas and Moodle show a tool in an iframe of their own page, and post the
launch to the hub from their own site. To the browser, the hub is then a
third party: it sends the hub's cookies (the launch's state and nonce, the
login, each server's login and `_xsrf`) only if they say `SameSite=None`,
which browsers accept only with `Secure`, so only over HTTPS. And JupyterHub
and Jupyter Server forbid being framed at all (`Content-Security-Policy:
frame-ancestors 'none'`); here the LMS's own pages may frame them, and no
other site (a page framing the hub to trick a student into clicks could then
act with her cookies).

The LMS's pages are at the origins of its issuer and login URL (Moodle:
its own address), unless `auth.LTI13Authenticator.frame_ancestors` names
them (Canvas: your school's Canvas address, e.g. https://school.instructure.com).
Nothing changes without LTI or without HTTPS.

Browsers that refuse a third party's data altogether (Chromium 156 denies a
framed third party its cookies and its localStorage, which JupyterLab needs)
get a launch in a tab of its own instead (`framecheck`).
"""

from __future__ import annotations

from typing import Any, Mapping
from urllib.parse import urlsplit

from ..kinds import kind_of
from .registration import SECTION

CROSS_SITE_COOKIE = {"secure": True, "samesite": "None"}


def lms_origins(config: Mapping[str, Any]) -> list[str]:
    """The origins (https://host[:port]) allowed to show the hub in a frame."""
    section = config["auth"].get(SECTION) or {}
    named = section.get("frame_ancestors")
    candidates = named if named else [section.get("issuer"), section.get("authorize_url")]
    origins: list[str] = []
    for url in candidates:
        parts = urlsplit(url or "")
        origin = f"{parts.scheme}://{parts.netloc}".lower()
        if parts.scheme == "https" and parts.netloc and origin not in origins:
            origins.append(origin)
    return origins


def framed_by_lms(config: Mapping[str, Any]) -> bool:
    return kind_of(config["auth"]["type"]) == "lti13" and bool(config["https"]["enabled"])


def hub_web_settings(config: Mapping[str, Any]) -> dict[str, Any]:
    """JupyterHub's tornado_settings for a launch inside the LMS's page ({} when not needed).

    `cookie_options` also reaches each student's server: JupyterHub passes them to it
    (JUPYTERHUB_COOKIE_OPTIONS), for the login cookie of her server.
    """
    if not framed_by_lms(config):
        return {}
    ancestors = " ".join(["'self'", *lms_origins(config)])
    return {
        "cookie_options": dict(CROSS_SITE_COOKIE),
        "xsrf_cookie_kwargs": dict(CROSS_SITE_COOKIE),
        "headers": {"Content-Security-Policy": f"frame-ancestors {ancestors}; "
                                               f"report-uri {config['base_url']}hub/security/csp-report"},
    }


def server_web_settings(config: Mapping[str, Any]) -> dict[str, Any]:
    """Each student's server's tornado_settings for the same ({} when not needed)."""
    if not framed_by_lms(config):
        return {}
    ancestors = " ".join(["'self'", *lms_origins(config)])
    return {"xsrf_cookie_kwargs": dict(CROSS_SITE_COOKIE),
            "headers": {"Content-Security-Policy": f"frame-ancestors {ancestors}"}}

