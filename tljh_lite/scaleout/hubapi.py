"""`tljh-lite export users`: users.json's users, admins and groups onto a hub, through its REST API.

Only JupyterHub's REST API, as every JupyterHub since 2.0 serves it, so the
new hub may run an older JupyterHub than ours (Zero to JupyterHub ships 5.5):
its database is never touched. Before changing anything it checks that the
hub answers and that the token may do all of it (an admin's token with the
scopes admin:users and admin:groups); a failure there is one line and no
change. Then it compares what the hub has with what users.json asks for and
makes only the difference, so a second run changes nothing and a run that
stopped half-way is completed by the next. Admins are granted, never taken
away; group members are added, never removed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping
from urllib.parse import quote

from ..errors import TljhError

NEEDED_SCOPES = ("admin:users", "admin:groups")
TIMEOUT = 15  # seconds per request
PAGE = 200  # JupyterHub's default page size (api_page_default_limit)


class HubApiError(TljhError):
    pass


@dataclass
class Plan:
    """What to change on the hub, in this order."""

    create: list[str] = field(default_factory=list)
    create_admins: list[str] = field(default_factory=list)
    make_admin: list[str] = field(default_factory=list)
    create_groups: dict[str, list[str]] = field(default_factory=dict)
    add_members: dict[str, list[str]] = field(default_factory=dict)

    @property
    def changes(self) -> int:
        return (len(self.create) + len(self.create_admins) + len(self.make_admin) + len(self.create_groups)
                + sum(1 for members in self.add_members.values() if members))

    def summary(self) -> str:
        if not self.changes:
            return "nothing to change: every user and group is already there"
        parts = [f"{len(self.create) + len(self.create_admins)} users created" if self.create or self.create_admins else "",
                 f"{len(self.make_admin)} made admins" if self.make_admin else "",
                 f"{len(self.create_groups)} groups created" if self.create_groups else "",
                 f"members added to {len(self.add_members)} groups" if self.add_members else ""]
        return ", ".join(p for p in parts if p)


def plan(doc: Mapping[str, Any], hub_users: Mapping[str, bool], hub_groups: Mapping[str, Iterable[str]]) -> Plan:
    """The changes that bring the hub (its users: admin flag; its groups: members) to users.json (pure)."""
    out = Plan()
    for user in doc["users"]:
        name, admin = user["name"].lower(), bool(user.get("admin"))
        if name not in hub_users:
            (out.create_admins if admin else out.create).append(name)
        elif admin and not hub_users[name]:
            out.make_admin.append(name)
    for group, members in doc["groups"].items():
        wanted = sorted({m.lower() for m in members})
        if group not in hub_groups:
            out.create_groups[group] = wanted
        else:
            missing = sorted(set(wanted) - {m.lower() for m in hub_groups[group]})
            if missing:
                out.add_members[group] = missing
    return out


def api_url(hub_url: str) -> str:
    """The REST API's root for a hub's address (with or without /hub/ or /hub/api)."""
    url = hub_url.strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise HubApiError(f"--hub-url {hub_url!r} is not an http(s) URL", "e.g. --hub-url https://hub.example.org/")
    for suffix in ("/hub/api", "/hub"):
        if url.endswith(suffix):
            url = url[: -len(suffix)]
            break
    return url + "/hub/api"


class HubApi:
    def __init__(self, hub_url: str, token: str, session=None):
        import requests

        self.api = api_url(hub_url)
        self.session = session or requests.Session()
        self.session.headers["Authorization"] = f"token {token}"

    def request(self, method: str, path: str, **kwargs) -> Any:
        import requests

        url = self.api + path
        try:
            response = self.session.request(method, url, timeout=TIMEOUT, **kwargs)
        except requests.RequestException as e:
            raise HubApiError(f"cannot reach the hub at {self.api}: {_reason(e)}",
                              "check --hub-url and that the hub is running") from e
        if response.status_code in (401, 403):
            raise HubApiError(f"the hub at {self.api} refused the token ({response.status_code} on {method} {path})",
                              "use an admin's token with the scopes admin:users and admin:groups")
        if response.status_code >= 400:
            raise HubApiError(f"{method} {path} failed: {response.status_code} {_message(response)}",
                              "see the hub's log")
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as e:
            raise HubApiError(f"{url} did not answer with JSON: is it a JupyterHub?",
                              "--hub-url is the hub's address, e.g. https://hub.example.org/") from e

    def check(self, need_admin: bool) -> str:
        """The hub's version, once it answers and the token may do everything; else one line."""
        info = self.request("GET", "/")
        if not isinstance(info, dict) or "version" not in info:
            raise HubApiError(f"{self.api} does not answer as a JupyterHub", "check --hub-url")
        me = self.request("GET", "/user")
        scopes = set(me.get("scopes") or [])
        missing = [s for s in NEEDED_SCOPES if s not in scopes]
        if "scopes" not in me:  # a JupyterHub before 2.0: admins may do everything
            missing = [] if me.get("admin") else list(NEEDED_SCOPES)
        if missing:
            raise HubApiError(f"the token ({me.get('name', '?')}'s) lacks the scopes {', '.join(missing)}",
                              "use a token of an admin of the new hub (created on its /hub/token page)")
        if need_admin and not me.get("admin"):
            raise HubApiError(f"only an admin may create admins, and {me.get('name', '?')} is not one",
                              "use a token of an admin of the new hub")
        return str(info["version"])

    def paged(self, path: str) -> list[dict]:
        items: list[dict] = []
        while True:
            page = self.request("GET", path, params={"offset": len(items), "limit": PAGE})
            items.extend(page or [])
            if len(page or []) < PAGE:
                return items

    def users(self) -> dict[str, bool]:
        return {u["name"].lower(): bool(u.get("admin")) for u in self.paged("/users")}

    def groups(self) -> dict[str, list[str]]:
        return {g["name"]: list(g.get("users") or []) for g in self.paged("/groups")}

    def apply(self, changes: Plan, say: Callable[[str], None] = lambda text: None) -> None:
        for admin, names in ((False, changes.create), (True, changes.create_admins)):
            if names:
                self.request("POST", "/users", json={"usernames": names, "admin": admin})
                say(f"created {len(names)} {'admins' if admin else 'users'}: {', '.join(names)}")
        for name in changes.make_admin:
            self.request("PATCH", f"/users/{quote(name, safe='')}", json={"admin": True})
            say(f"made {name} an admin")
        for group, members in changes.create_groups.items():
            self.request("POST", f"/groups/{quote(group, safe='')}", json={"users": members})
            say(f"created group {group} ({len(members)} members)")
        for group, members in changes.add_members.items():
            self.request("POST", f"/groups/{quote(group, safe='')}/users", json={"users": members})
            say(f"added {len(members)} members to group {group}")


def import_users(doc: Mapping[str, Any], api: HubApi, say: Callable[[str], None], dry_run: bool = False) -> Plan:
    need_admin = any(u.get("admin") for u in doc["users"])
    version = api.check(need_admin)
    changes = plan(doc, api.users(), api.groups())
    say(f"JupyterHub {version} at {api.api}: {changes.summary()}" + (" (dry run: nothing changed)" if dry_run else ""))
    if dry_run or not changes.changes:
        return changes
    try:
        api.apply(changes, say)
    except HubApiError as e:
        raise HubApiError(f"stopped part-way: {e.message}", "run the same command again: it completes what is left") from e
    return changes


def _reason(error: Exception) -> str:
    text = str(error)
    for marker in ("Connection refused", "Name or service not known", "timed out", "No route to host",
                   "certificate verify failed", "Temporary failure in name resolution"):
        if marker in text:
            return marker
    return type(error).__name__


def _message(response) -> str:
    try:
        return str(response.json().get("message", ""))[:200]
    except (ValueError, AttributeError):
        return response.text[:200].replace("\n", " ")
