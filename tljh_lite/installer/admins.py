"""The admins given with --admin: listed in config.yaml, with passwords ready to log in.

Passwords are stored last, after the hub answers and every other step is done,
right before the summary shows them: a generated password that was stored is
always one that was shown. When an install fails, `password_states` says
where each admin's password stands, and the next run sets it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Mapping

from ..config.defaults import DEFAULTS
from ..config.editor import Editor
from ..config.file import ConfigFile
from ..config.checker import Checker
from ..errors import TljhError
from ..paths import Paths
from ..users.passwords import MAX_PASSWORD_BYTES, FirstUsePasswords, NewPassword, has_password, passwords_dbm


@dataclass(frozen=True)
class Admin:
    name: str
    password: str | None = field(default=None, repr=False)  # never in a log line or a traceback
    generated: bool = False


def parse_admins(text: str) -> list[Admin]:
    """The JSON bootstrap passes on stdin: {"admins": [{"name", "password", "generated"}]}."""
    if not text.strip():
        return []
    try:
        data = json.loads(text)
        return [Admin(a["name"], a.get("password"), bool(a.get("generated"))) for a in data.get("admins", [])]
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise TljhError(f"the admin list from bootstrap is not valid JSON: {e}", "run installer/bootstrap.py again") from e


def ensure_admins_listed(paths: Paths, admins: list[Admin], checker: Checker) -> None:
    """users.admin in config.yaml, edited the way `tljh-config add-item` does."""
    editor = Editor(checker)

    def add(config):
        for admin in admins:
            change = editor.add_item(config, "users.admin", admin.name)
            config = change.config if change.changed else config
        return config

    ConfigFile(paths.config_file).update(add)


def uses_firstuse(config: Mapping[str, Any]) -> bool:
    return "firstuse" in config["auth"]["type"].lower()


def check_admin_passwords(admins: list[Admin]) -> None:
    """Refuse a password FirstUse cannot store, before anything changes."""
    for admin in admins:
        if admin.password and len(admin.password.encode()) > MAX_PASSWORD_BYTES:
            raise TljhError(
                f"the password for {admin.name} is longer than {MAX_PASSWORD_BYTES} bytes", "choose a shorter one"
            )


def ensure_admin_passwords(paths: Paths, admins: list[Admin]) -> list[Admin]:
    """Store each admin's password for FirstUseAuthenticator; returns whose were set.

    A generated password never replaces one the admin already has, so a
    re-run does not lock anyone out; a password given to bootstrap does
    (that is how a professor resets theirs). Call it only when the summary
    that shows the generated ones is next.
    """
    check_admin_passwords(admins)
    store = FirstUsePasswords(passwords_dbm(paths))
    done = []
    for admin in admins:
        if not admin.password or (admin.generated and store.with_password([admin.name])):
            continue
        problem = store.problem(admin.password)
        if problem:
            raise TljhError(f"could not set the password for {admin.name}: it is {problem}", "choose a longer password")
        done.append(admin)
    store.store({admin.name.lower(): NewPassword(admin.password, admin.generated) for admin in done})
    return done


def password_states(paths: Paths, admins: list[Admin]) -> list[str]:
    """After a failed install (which stored no password): one line per admin saying where theirs stands."""
    if not admins or not _firstuse_on_disk(paths):
        return []
    lines = []
    for admin in admins:
        if has_password(passwords_dbm(paths), admin.name):
            kept = "" if admin.generated else " (the install stopped before setting the new one)"
            lines.append(f"Admin {admin.name}: password unchanged{kept}.")
        elif admin.generated:
            lines.append(
                f"Admin {admin.name}: no password yet (the install stopped before setting it); run bootstrap "
                f"again with --admin {admin.name}, and one is generated and shown when the install finishes."
            )
        else:
            lines.append(
                f"Admin {admin.name}: no password yet (the install stopped before setting it); run bootstrap "
                "again, and the password you give is set when the install finishes."
            )
    return lines


def _firstuse_on_disk(paths: Paths) -> bool:
    """Whether config.yaml as it stands logs people in with FirstUse (the default does)."""
    try:
        auth = ConfigFile(paths.config_file).load().get("auth") or {}
    except TljhError:
        return True
    return uses_firstuse({"auth": {"type": str(auth.get("type") or DEFAULTS["auth"]["type"])}})
