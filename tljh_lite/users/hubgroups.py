"""Someone taken out of a group in config.yaml leaves the hub's group too, when the hub starts.

JupyterHub.load_groups only adds: without this, a teaching assistant removed
from `groups.tas.users` would keep the group's limits for good. A group that
config.yaml lists is config.yaml's, like users.allowed: members added to it
in the admin panel leave it at the next start as well. Groups config.yaml
does not list (made in the admin panel, or removed from config.yaml) are left
as they are: they carry no limits.

Runs in jupyterhub_config.py, before the hub opens its database.
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path
from typing import Any, Mapping


def remove_stale_members(config: Mapping[str, Any], hub_db: Path) -> dict[str, set[str]]:
    """Take out of each configured group the users config.yaml does not list; returns who left which group."""
    groups = {name: {user.lower() for user in spec.get("users") or []} for name, spec in config["groups"].items()}
    if not groups or not hub_db.exists():
        return {}
    removed: dict[str, set[str]] = {}
    with contextlib.closing(sqlite3.connect(hub_db)) as db:
        try:
            with db:  # one transaction
                for name, members in groups.items():
                    rows = db.execute(
                        "SELECT u.id, u.name FROM users u JOIN user_group_map m ON m.user_id = u.id "
                        "JOIN groups g ON g.id = m.group_id WHERE g.name = ?", (name,)).fetchall()
                    stale = [(user_id, user) for user_id, user in rows if user.lower() not in members]
                    db.executemany(
                        "DELETE FROM user_group_map WHERE user_id = ? "
                        "AND group_id = (SELECT id FROM groups WHERE name = ?)",
                        [(user_id, name) for user_id, _ in stale])
                    if stale:
                        removed[name] = {user for _, user in stale}
        except sqlite3.Error:  # not a hub database we know: change nothing
            return {}
    return removed
