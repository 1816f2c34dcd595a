"""Who may log in, where config.yaml's lists decide alone, and what happens to those it drops.

A student removed from users.allowed loses access at the reload, not only at her next login.

JupyterHub keeps every user it has seen in its database. Refusing her next
login (hub.settings._who_may_log_in) is not enough: a browser session she has
open would keep working for up to two weeks (its cookie), and her server would
keep running. So the hub treats users it knows but config.yaml no longer
allows as blocked: when it starts, it revokes their permissions and stops
their servers (JupyterHub 5.2+, Authenticator.blocked_users). Their accounts
and files stay; added back to users.allowed, they log in as before.

Only where config.yaml's lists are the whole story: FirstUseAuthenticator
when it does not allow all (`firstuse_allows_all`). Other authenticators may allow people by
other means (a GitHub organisation, an LDAP group) that only they can check,
at login.
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path
from typing import Any, Iterable, Mapping


def firstuse_allows_all(config: Mapping[str, Any]) -> bool:
    """Whether FirstUseAuthenticator lets anyone in: auth.FirstUseAuthenticator.allow_all
    if set, else only with create_users and no users.allowed list (as in TLJH)."""
    firstuse = config["auth"].get("FirstUseAuthenticator") or {}
    if firstuse.get("allow_all") is not None:
        return bool(firstuse["allow_all"])
    return bool(firstuse.get("create_users")) and not config["users"]["allowed"]


def dropped_users(config: Mapping[str, Any], known: Iterable[str]) -> set[str]:
    """The known users a merged config no longer allows (none unless its lists decide alone)."""
    if "firstuse" not in config["auth"]["type"].lower() or firstuse_allows_all(config):
        return set()
    users = config["users"]
    allowed = {name.lower() for name in (*users["allowed"], *users["admin"])}  # as FirstUse normalises
    return {name for name in known if name.lower() not in allowed}


def known_users(hub_db: Path) -> set[str]:
    """Names in the hub's database, read-only; none if there is no database yet."""
    if not hub_db.exists():
        return set()
    with contextlib.closing(sqlite3.connect(f"file:{hub_db}?mode=ro", uri=True)) as db:
        try:
            return {name for (name,) in db.execute("SELECT name FROM users")}
        except sqlite3.Error:  # not a hub database we know: block no one
            return set()


def block_dropped_users(c: Any, config: Mapping[str, Any], hub_db: Path) -> None:
    """Add the dropped users to the hub's blocked users (`c` is jupyterhub_config.py's)."""
    dropped = dropped_users(config, known_users(hub_db))
    if dropped:
        c.Authenticator.blocked_users = set(c.Authenticator.blocked_users) | dropped
