"""The admins given with --admin: listed in config.yaml, with passwords ready to log in.

Passwords are stored last, after the hub answers and every other step is done,
right before the summary shows them: a generated password that was stored is
always one that was shown. When an install fails, `password_states` says
where each admin's password stands, and the next run sets it. The one
exception is a new admin whose stored password tljh-lite did not set (a first
login or a signup did): that one is replaced before the hub restarts
(users.promotion), and if the install then stops, `password_states` says so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Mapping

from ..config.defaults import merged
from ..config.editor import Editor
from ..config.file import ConfigFile
from ..config.checker import Checker
from ..errors import TljhError
from ..paths import Paths
from ..users.passwords import MAX_PASSWORD_BYTES, NewPassword
from ..users.promotion import give_passwords, passwords_to_set, promoted, running_admins
from ..users.roles import admins_of
from ..users.stores import password_store


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


def check_admin_passwords(admins: list[Admin]) -> None:
    """Refuse a password bcrypt cannot store, before anything changes."""
    for admin in admins:
        if admin.password and len(admin.password.encode()) > MAX_PASSWORD_BYTES:
            raise TljhError(
                f"the password for {admin.name} is longer than {MAX_PASSWORD_BYTES} bytes", "choose a shorter one"
            )


def replace_untrusted_passwords(config: Mapping[str, Any], paths: Paths, admins: list[Admin]) -> list[Admin]:
    """Before the hub restarts into `config`: each new admin (users.promotion) whose stored password
    tljh-lite did not set gets a new one now, so that whoever set it (a first login, a signup) is never
    an admin, not even for the moment before the summary. It is the --admin one (given, or generated),
    or, for an admin config.yaml names by hand, a generated one; the summary shows them. Returns them.
    """
    if not paths.hub_db.exists():  # no hub has run here: nobody has logged in to set one
        return []
    store = password_store(config, paths)
    if store is None:
        return []
    running = running_admins(paths)
    need = passwords_to_set(store, promoted(admins_of(config), running), running)
    need = {name: had for name, had in need.items() if had}  # those with none get theirs at the end, as always
    if not need:
        return []
    given = {admin.name.lower(): admin for admin in admins if admin.password}
    done = give_passwords(store, need, {name: NewPassword(given[name].password, given[name].generated)
                                        for name in need if name in given})
    return [given.get(new.name) or Admin(new.name, new.password, generated=True) for new in done]


@dataclass(frozen=True)
class Stored:
    admins: list[Admin]  # whose passwords were set
    restart_hub: bool  # passwords the running hub reads only when it starts (Native's)


def ensure_admin_passwords(config: Mapping[str, Any], paths: Paths, admins: list[Admin]) -> Stored:
    """Store each admin's password in the authenticator's store (FirstUse, Native); none for the others.

    A generated password never replaces one the admin already has, so a
    re-run does not lock anyone out (a new admin's untrusted one was replaced
    before the hub restarted: `replace_untrusted_passwords`); a password given
    to bootstrap does (that is how a professor resets theirs). Call it only
    when the summary that shows the generated ones is next.
    """
    check_admin_passwords(admins)
    store = password_store(config, paths)
    if store is None:
        return Stored([], False)
    have = store.with_password(admin.name.lower() for admin in admins)
    done = []
    for admin in admins:
        if not admin.password or (admin.generated and admin.name.lower() in have):
            continue
        problem = store.problem(admin.password)
        if problem:
            raise TljhError(f"could not set the password for {admin.name}: it is {problem}", "choose another password")
        done.append(admin)
    store.store({admin.name.lower(): NewPassword(admin.password, admin.generated) for admin in done})
    return Stored(done, store.restart_hub and bool(done))


def password_states(paths: Paths, admins: list[Admin], replaced: list[Admin] = ()) -> list[str]:
    """After a failed install: one line per admin saying where her password stands.

    `replaced`: those whose untrusted password was replaced before the failure
    (`replace_untrusted_passwords`), with a password never shown if generated.
    """
    lines = []
    for admin in replaced:
        if admin.generated:
            lines.append(f"Admin {admin.name}: the password she had was not set by tljh-lite, so it was replaced, "
                         f"but the install stopped before showing the new one; give her one: "
                         f"sudo tljh-lite users reset-password {admin.name} --generate")
    admins = [admin for admin in admins if admin.name not in {r.name for r in replaced}]
    store = _store_on_disk(paths) if admins else None
    if store is None:
        return lines
    have = store.with_password(admin.name.lower() for admin in admins)
    for admin in admins:
        if admin.name.lower() in have:
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


def _store_on_disk(paths: Paths):
    """The password store of config.yaml as it stands (the default logs in with FirstUse), or None."""
    try:
        config = merged(ConfigFile(paths.config_file).load())
    except TljhError:
        config = merged({})
    try:
        return password_store(config, paths)
    except TljhError:  # Native without a hub database yet: no accounts at all
        return None
