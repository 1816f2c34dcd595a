"""Where a launch sends her, kept on this hub.

A plain course link opens her server (`hub/spawn`, which starts it if needed and
shows JupyterLab). A link can name a page instead, in one of two ways the LMS
signs: the link's own URL (its `target_link_uri`, e.g. an nbgitpuller link
`https://hub.example.edu/hub/user-redirect/git-pull?repo=...` pasted as the
activity's tool URL), or a custom parameter `next` (`next=/hub/user-redirect/lab/tree/week1.ipynb`).
A plugin's `tljh_lite_lms_launch` may name another (`LaunchPlan`). Whatever names
it, only a path on this hub is followed: never another site, never the launch's
own endpoints.
"""

from __future__ import annotations

import copy
import posixpath
import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping
from urllib.parse import quote, urlsplit

from ...errors import TljhError
from ...plugins import per_plugin
from .claims import Launch

HOOK = "tljh_lite_lms_launch"

LTI_ENDPOINTS = "hub/lti13/"
_CONTROL = re.compile(r"[\x00-\x1f\x7f\\]")
_GROUP = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")  # config.yaml's hub-group format


@dataclass(frozen=True)
class LaunchPlan:
    """`next_path`: a path on this hub where she lands (None: her server); `groups`: hub
    groups she joins (made if missing; a launch never takes her out of one)."""

    next_path: str | None = None
    groups: tuple[str, ...] = ()


def on_this_hub(url: Any, base_url: str, host: str | None = None) -> str | None:
    """The path and query of `url` when it points into this hub, else None.

    `url` is a path (`/hub/user-redirect/...`) or an absolute URL on `host` (this hub's
    address as the browser named it); it must stay under `base_url`, with no `..`, no `//`.
    """
    if not isinstance(url, str) or not url or _CONTROL.search(url):
        return None
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        if parts.scheme not in ("http", "https") or not host or parts.netloc.lower() != host.lower():
            return None
    path = parts.path
    if not path.startswith("/") or path.startswith("//"):
        return None
    normal = posixpath.normpath(path) + ("/" if path.endswith("/") and path != "/" else "")
    if normal != path or not (path + "/").startswith(base_url) or path.startswith(base_url + LTI_ENDPOINTS):
        return None
    return path + (f"?{parts.query}" if parts.query else "")


def launch_landing(context: Mapping[str, Any], base_url: str, host: str | None) -> str | None:
    """The page the launch itself names (custom `next`, then its target link), or None for her server."""
    custom = context.get("custom") or {}
    for candidate in (custom.get("next"), context.get("target_link_uri")):
        path = on_this_hub(candidate, base_url, host)
        if path and path.split("?")[0].rstrip("/") not in (base_url.rstrip("/"), base_url + "hub"):
            return path
    return None


def ask_plugins(pm, launch: Launch, base_url: str) -> tuple[LaunchPlan | None, list[str]]:
    """Every plugin's tljh_lite_lms_launch for this launch: the plan, and warnings to log.

    A plugin that raises TljhError refuses the launch (raised on); any other exception is
    a warning naming the plugin, and counts as no answer.
    """
    failures: list[str] = []

    def failed(plugin: str, error: Exception) -> None:
        if isinstance(error, TljhError):
            raise error
        failures.append(f"plugin {plugin}: {HOOK} failed ({type(error).__name__}: {error}); "
                        "she lands as if it had not answered")

    answers = per_plugin(pm, HOOK, on_error=failed, username=launch.username, roles=list(launch.roles),
                         context=copy.deepcopy(dict(launch.context)))
    plan, warnings = plan_from_plugins(answers, base_url)
    return plan, failures + warnings


def plan_from_plugins(answers: Iterable[tuple[str, Any]], base_url: str) -> tuple[LaunchPlan | None, list[str]]:
    """The plan from plugins' answers [(plugin, answer)], in install order, and warnings for
    answers that cannot be followed. The first plugin that names a page decides where she
    lands; she joins the groups of all. None when no plugin answered."""
    next_path, groups, warnings, answered = None, [], [], False
    for plugin, answer in answers:
        if answer is None:
            continue
        answered = True
        if isinstance(answer, str):
            answer = {"next": answer}
        if not isinstance(answer, Mapping):
            warnings.append(f"plugin {plugin}: {HOOK} returned {type(answer).__name__}, "
                            "not a path or a mapping; ignored")
            continue
        wanted = answer.get("next")
        if wanted is not None and next_path is None:
            next_path = on_this_hub(wanted, base_url)
            if next_path is None:
                warnings.append(f"plugin {plugin}: {HOOK} named {wanted!r}, which is not a path "
                                f"under {base_url}; ignored")
        for group in answer.get("groups") or ():
            if isinstance(group, str) and _GROUP.fullmatch(group):
                groups.append(group) if group not in groups else None
            else:
                warnings.append(f"plugin {plugin}: {group!r} is not a group name; ignored")
    return (LaunchPlan(next_path, tuple(groups)) if answered else None), warnings


def redirect_for(next_path: str | None, base_url: str) -> str:
    """Where the hub redirects after the launch: her server's pages go through `hub/spawn`, which
    starts it first if it is not running (a stopped server would show a "not running" page)."""
    spawn = base_url + "hub/spawn"
    if next_path is None:
        return spawn
    if next_path.startswith((base_url + "user/", base_url + "hub/user-redirect/")):
        return f"{spawn}?next={quote(next_path, safe='')}"
    return next_path
