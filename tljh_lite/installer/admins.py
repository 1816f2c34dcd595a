"""The admins given with --admin: listed in config.yaml, with passwords ready to log in."""

from __future__ import annotations

import dbm
import json
from dataclasses import dataclass
from typing import Any, Mapping

from ..config.editor import Editor
from ..config.file import ConfigFile
from ..config.validate import Checker
from ..errors import TljhError
from ..paths import Paths

MAX_PASSWORD_BYTES = 72  # bcrypt's limit


@dataclass(frozen=True)
class Admin:
    name: str
    password: str | None = None
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


def ensure_admin_passwords(paths: Paths, admins: list[Admin]) -> list[Admin]:
    """Store each admin's password for FirstUseAuthenticator; returns whose were set.

    A generated password never replaces one the admin already has, so a
    re-run does not lock anyone out; a password given on the command line
    does (that is how a professor resets theirs).
    """
    from firstuseauthenticator import FirstUseAuthenticator

    dbm_path = paths.state_dir / "passwords.dbm"
    auth = FirstUseAuthenticator(dbm_path=str(dbm_path))
    done = []
    for admin in admins:
        if not admin.password:
            continue
        if len(admin.password.encode()) > MAX_PASSWORD_BYTES:
            raise TljhError(f"the password for {admin.name} is longer than 72 bytes", "choose a shorter one")
        key = auth.normalize_username(admin.name)
        if admin.generated and _has_password(str(dbm_path), key):
            continue
        outcome = auth.reset_password(key, admin.password)
        if "success" not in str(outcome).lower():
            raise TljhError(f"could not set the password for {admin.name}: {outcome}", "choose a longer password")
        done.append(admin)
    return done


def _has_password(path: str, key: str) -> bool:
    try:
        with dbm.open(path, "r") as db:
            return key.encode() in db
    except dbm.error:  # a tuple of the backends' errors (and OSError for a missing file)
        return False
