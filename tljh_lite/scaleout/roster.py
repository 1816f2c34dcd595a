"""users.json: who moves to the new hub (users, admin flags, groups) and their FirstUse password hashes.

`tljh-lite export users` creates the users and groups from it through the
new hub's REST API; firstuse_passwords.py (written beside it) puts the
hashes into the new hub's FirstUse password file. Banned users do not move
(values.yaml keeps them in blocked_users).
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping

FORMAT = "tljh-lite-users/1"


def users_document(config: Mapping[str, Any], hashes: Callable[[Iterable[str]], Mapping[str, bytes]],
                   source: str = "") -> dict:
    """users.json's content; `hashes(names)` gives the stored bcrypt hash of those that have one."""
    users = config["users"]
    banned = {n.lower() for n in users["banned"]}
    groups = {name: sorted({m.lower() for m in spec.get("users") or []} - banned)
              for name, spec in sorted(config["groups"].items())}
    admins = {n.lower() for n in users["admin"]}
    names = (admins | {n.lower() for n in users["allowed"]} | {m for ms in groups.values() for m in ms}) - banned
    stored = hashes(sorted(names))
    return {
        "format": FORMAT,
        "source": source,
        "authenticator": config["auth"]["type"],
        "users": [
            {"name": name, "admin": name in admins,
             "groups": [g for g, members in groups.items() if name in members],
             "firstuse_bcrypt": stored[name].decode() if name in stored else None}
            for name in sorted(names)
        ],
        "groups": groups,
    }


def check_document(doc: Any) -> str | None:
    """Why this is not a users.json we wrote, or None."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        return f"it is not a tljh-lite users file (no \"format\": \"{FORMAT}\")"
    if not isinstance(doc.get("users"), list) or not isinstance(doc.get("groups"), dict):
        return "it has no users list or groups mapping"
    for user in doc["users"]:
        if not isinstance(user, dict) or not isinstance(user.get("name"), str) or not user["name"]:
            return f"a user entry has no name: {user!r}"
    return None
