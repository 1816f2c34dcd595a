"""Who is an admin: exactly config.yaml's users.admin, from each hub start on, and what a change ends.

JupyterHub's `Authenticator.admin_users` only ever adds: someone taken out of
users.admin would keep the admin flag in the hub's database, and the spawner
gives admins sudo. So the hub also gets JupyterHub's `admin` role with exactly
these users (`admin_role`): JupyterHub then takes the flag from everyone else
at start. An admin made in the admin panel (or by an authenticator's
admin_groups) is one until the next hub start.

A running server keeps the groups it started with, and sudo comes with
`jupyterhub-admins`. So at each hub start, before the hub opens its database
(`apply_role_changes`, from jupyterhub_config.py), for everyone whose role
changes (the hub's database says what it was):
- no longer an admin: her server is stopped (no old admin process keeps
  sudo) and her account leaves jupyterhub-admins (nothing started as her
  later gets sudo); her next server is a student's;
- newly an admin: her server is stopped too (it runs without sudo, and
  perhaps someone else's processes: whoever logged in as her before, while her
  password was theirs), and every session and token she had ends, so such a
  person keeps no way in. She logs in again, with the password tljh-lite gave
  her when she was made an admin (users.promotion).
"""

from __future__ import annotations

import contextlib
import grp
import secrets
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from ..runner import Runner
from ..systemd import Systemd
from ..unixname import PREFIX, unix_username
from .accounts import ADMINS_GROUP

ADMIN_ROLE = "admin"  # JupyterHub's built-in role


def admins_of(config: Mapping[str, Any]) -> set[str]:
    """users.admin, lowercased as the hub normalises names."""
    return {name.lower() for name in config["users"]["admin"]}


def admin_role(config: Mapping[str, Any]) -> dict[str, Any]:
    """The entry of JupyterHub.load_roles that makes users.admin the exact list of admins."""
    return {"name": ADMIN_ROLE, "users": sorted(admins_of(config))}


def hub_admins(hub_db: Path) -> set[str] | None:
    """Who the hub's database says is an admin (read-only); None if there is no database to ask."""
    if not hub_db.exists():
        return None
    with contextlib.closing(sqlite3.connect(f"file:{hub_db}?mode=ro", uri=True)) as db:
        try:
            return {name for (name,) in db.execute("SELECT name FROM users WHERE admin")}
        except sqlite3.Error:
            return None


@dataclass(frozen=True)
class RoleChanges:
    promoted: frozenset[str]  # admins in config.yaml whom the hub knows, not as admins
    demoted: frozenset[str]  # admins in the hub's database that config.yaml no longer names

    def __bool__(self) -> bool:
        return bool(self.promoted or self.demoted)


def role_changes(config: Mapping[str, Any], hub_db: Path) -> RoleChanges:
    """How config.yaml's admins differ from the hub's, among the users the hub knows."""
    if not hub_db.exists():
        return RoleChanges(frozenset(), frozenset())
    wanted = admins_of(config)
    with contextlib.closing(sqlite3.connect(f"file:{hub_db}?mode=ro", uri=True)) as db:
        try:
            rows = db.execute("SELECT name, admin FROM users").fetchall()
        except sqlite3.Error:  # not a hub database we know: change nothing
            return RoleChanges(frozenset(), frozenset())
    return RoleChanges(frozenset(name for name, admin in rows if name in wanted and not admin),
                       frozenset(name for name, admin in rows if admin and name not in wanted))


def end_sessions(hub_db: Path, names: Iterable[str]) -> None:
    """Every way these users are logged in ends: their login cookies (a new cookie_id),
    their tokens (their servers' and OAuth's included), and what they shared."""
    names = sorted(names)
    if not names:
        return
    with contextlib.closing(sqlite3.connect(hub_db)) as db:
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        with db:  # one transaction
            for name in names:
                row = db.execute("SELECT id FROM users WHERE name = ?", (name,)).fetchone()
                if row is None:
                    continue
                db.execute("UPDATE users SET cookie_id = ? WHERE id = ?", (secrets.token_hex(16), row[0]))
                for table, column in (("api_tokens", "user_id"), ("oauth_codes", "user_id"),
                                      ("shares", "owner_id"), ("share_codes", "owner_id")):
                    if table in tables:  # sharing is JupyterHub 5's
                        db.execute(f"DELETE FROM {table} WHERE {column} = ?", (row[0],))


def admin_group_members() -> set[str]:
    try:
        return set(grp.getgrnam(ADMINS_GROUP).gr_mem)
    except KeyError:
        return set()


def apply_role_changes(config: Mapping[str, Any], hub_db: Path, runner: Runner,
                       say: Callable[[str], None] = lambda text: None,
                       members: Callable[[], set[str]] = admin_group_members) -> RoleChanges:
    """At a hub start, before the hub opens its database: see the module's docstring."""
    changes = role_changes(config, hub_db)
    systemd = Systemd(runner)
    for name in sorted(changes.promoted | changes.demoted):
        unit = unix_username(name)  # the server's unit is named after its account (hub.startup)
        if systemd.is_active(unit):
            systemd.stop(unit)
            say(f"stopped {name}'s server: {'now' if name in changes.promoted else 'no longer'} an admin")
    end_sessions(hub_db, changes.promoted)
    for name in sorted(changes.promoted):
        say(f"{name} is now an admin: her sessions and tokens from before have ended")
    admins = {unix_username(name) for name in admins_of(config)}
    for account in sorted(members()):
        if account.startswith(PREFIX) and account not in admins:
            runner.run(["gpasswd", "--delete", account, ADMINS_GROUP])
            say(f"{account} left {ADMINS_GROUP}: no longer an admin, so no sudo")
    return changes
