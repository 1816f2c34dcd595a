"""A new admin logs in with a password tljh-lite set, never with one a first login or a signup set.

Admins have sudo. With FirstUse, whoever logs in first under a name sets its
password (with Native, whoever signs up first); if that name is later made an
admin, that person would be root. So when a name becomes an admin, her stored
password is kept only if tljh-lite set it (users.trusted: generated and shown
once, or typed by the professor); otherwise she gets a new one, shown once,
and the hub ends every session she had when it restarts (users.roles).

A promotion is a name in users.admin that the running hub does not have as an
admin (its database's admin flag, which users.roles keeps equal to users.admin
from each hub start on; every name, when the hub has no database yet). An
admin who later changes her own password on the hub's page is not promoted
again, and keeps it.

Each way of making an admin comes here:
- `tljh-config add-item users.admin NAME`: at once, typed or generated
  (users.newpassword);
- `tljh-lite users import` with admin yes: generated into --passwords-out;
  the plan, and --dry-run, say so (users.plan);
- config.yaml edited by hand, then `tljh-config reload`: generated and shown
  by the reload, before the hub restarts (`secure_new_admins`);
- bootstrap's `--admin NAME` on a re-run (installer.admins).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from ..errors import TljhError
from ..paths import Paths
from ..unixname import unix_username
from .passwords import NewPassword, generate_password
from .roles import admins_of, hub_admins
from .stores import password_store
from .trusted import RecordedStore


@dataclass(frozen=True)
class NewAdminPassword:
    name: str
    password: str | None = field(repr=False)  # generated, to show once; None when the professor typed it
    replaced: bool  # she had a password tljh-lite did not set

    def lines(self) -> list[str]:
        lines = []
        if self.password is not None:
            lines.append(f"Password for the new admin {self.name}: {self.password}  (shown only once: write it down)")
        if self.replaced:
            lines.append(f"The password {self.name} had was set at a login or a signup, not by tljh-lite: it no "
                         "longer works, and every session from before ends when the hub restarts. If someone else "
                         f"used her name, what they left in /home/{unix_username(self.name)} stays: look before "
                         "she opens a terminal.")
        return lines


def running_admins(paths: Paths) -> set[str] | None:
    """The admins of the running hub; None before it has a database (then every admin is new)."""
    return hub_admins(paths.hub_db)


def promoted(names: Iterable[str], running: set[str] | None) -> set[str]:
    """Those of `names` that are not admins of the running hub."""
    names = {name.lower() for name in names}
    return names if running is None else names - running


def needs_password(name: str, with_password: set[str], trusted: set[str], running: set[str] | None) -> bool:
    """Whether an admin-to-be gets a password tljh-lite sets: she has none, or she is new and the one she
    has is not one tljh-lite set (pure: the roster's plan decides with it too)."""
    if name in trusted:
        return False
    return name not in with_password or bool(promoted([name], running))


def passwords_to_set(store: RecordedStore, names: Iterable[str], running: set[str] | None) -> dict[str, bool]:
    """Those of `names` (admins-to-be) who need a password tljh-lite sets, each with whether she has one."""
    names = sorted({name.lower() for name in names})
    if not names:
        return {}
    have, trusted = store.with_password(names), store.trusted(names)
    return {name: name in have for name in names if needs_password(name, have, trusted, running)}


def give_passwords(store: RecordedStore, need: Mapping[str, bool],
                   chosen: Mapping[str, NewPassword] | None = None) -> list[NewAdminPassword]:
    """Store a password for each of `need` (the one `chosen` gives, else a generated one)."""
    chosen = chosen or {}
    new = {name: chosen.get(name) or NewPassword(generate_password(), generated=True) for name in need}
    store.store(new)
    return [NewAdminPassword(name, new[name].password if new[name].generated else None, replaced)
            for name, replaced in need.items()]


def secure_new_admins(config: Mapping[str, Any], paths: Paths) -> list[NewAdminPassword]:
    """Before the hub restarts into `config`: a password tljh-lite sets for each new admin without one."""
    try:
        store = password_store(config, paths)
    except TljhError:  # NativeAuthenticator before the hub made its database: no accounts, none to replace
        return []
    if store is None:
        return []
    running = running_admins(paths)
    need = passwords_to_set(store, promoted(admins_of(config), running), running)
    return give_passwords(store, need) if need else []
