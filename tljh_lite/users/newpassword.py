"""One person's new password: `tljh-lite users reset-password`, and a newly named admin's.

Hub admins have sudo, so with FirstUse (or Native's signup) whoever first
logs in as a newly named admin would become root. `password_for_new_admin`
closes that: `tljh-config add-item users.admin NAME` gives her a password at
that moment, before config.yaml names her.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from ..errors import TljhError
from ..paths import Paths
from .passwords import NewPassword, PasswordStore, generate_password
from .stores import password_store, require_store


def reset_password(config: Mapping[str, Any], paths: Paths, name: str,
                   password: str | None) -> tuple[str | None, PasswordStore]:
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
                           ask: Callable[[str], str | None]) -> str | None:
    """Before NAME is made an admin: a password now, if her authenticator keeps them here and she has none.

    `ask(name)` returns the password she chose, or None for a generated one,
    which is returned for the caller to show once.
    """
    store = password_store(config, paths)
    name = name.lower()
    if store is None or store.with_password([name]):
        return None
    return _set(store, name, ask(name))


def _set(store: PasswordStore, name: str, password: str | None) -> str | None:
    if password is not None:
        problem = store.problem(password)
        if problem:
            raise TljhError(f"that password is {problem}", "choose another, or have one generated")
    new = NewPassword(password) if password is not None else NewPassword(generate_password(), generated=True)
    store.store({name: new})
    return new.password if new.generated else None
