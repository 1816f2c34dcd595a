"""One person's new password: `tljh-lite users reset-password`, and a newly named admin's.

Hub admins have sudo, so with FirstUse (or Native's signup) whoever first
logs in as a newly named admin would become root, and so would whoever logged
in first as her before she was named. `password_for_new_admin` closes that:
`tljh-config add-item users.admin NAME` gives her a password at that moment,
before config.yaml names her, unless the one she has is one tljh-lite set
(users.promotion).
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from ..errors import TljhError
from ..paths import Paths
from .passwords import NewPassword, generate_password
from .promotion import NewAdminPassword, give_passwords, passwords_to_set, running_admins
from .stores import password_store, require_store
from .trusted import RecordedStore


def reset_password(config: Mapping[str, Any], paths: Paths, name: str,
                   password: str | None) -> tuple[str | None, RecordedStore]:
    """Set NAME's password (a generated one when `password` is None).

    Returns the generated password (for the caller to show once), and the
    store, which says whether the hub must restart to see it.
    """
    name = name.lower()
    users = config["users"]
    if name not in {n.lower() for n in (*users["allowed"], *users["admin"])}:
        raise TljhError(f"{name} is not in users.allowed or users.admin, so she cannot log in anyway",
                        f"add her first: sudo tljh-config add-item users.allowed {name} (or import a roster)")
    store = require_store(config, paths)
    return _set(store, name, password), store


def password_for_new_admin(config: Mapping[str, Any], paths: Paths, name: str,
                           ask: Callable[[str], str | None]) -> NewAdminPassword | None:
    """Before NAME is made an admin: a password now, if her authenticator keeps them here and she has
    none, or (not an admin of the running hub yet) has one tljh-lite did not set.

    `ask(name)` returns the password the professor typed, or None for a
    generated one, which the result carries for the caller to show once.
    """
    store = password_store(config, paths)
    name = name.lower()
    if store is None:
        return None
    need = passwords_to_set(store, [name], running_admins(paths))
    if name not in need:
        return None  # a password tljh-lite set; or an admin of the running hub already, with her own
    password = ask(name)
    return give_passwords(store, need, {name: _checked(store, password)} if password is not None else None)[0]


def _checked(store: RecordedStore, password: str) -> NewPassword:
    problem = store.problem(password)
    if problem:
        raise TljhError(f"that password is {problem}", "choose another, or have one generated")
    return NewPassword(password)


def _set(store: RecordedStore, name: str, password: str | None) -> str | None:
    new = _checked(store, password) if password is not None else NewPassword(generate_password(), generated=True)
    store.store({name: new})
    return new.password if new.generated else None
