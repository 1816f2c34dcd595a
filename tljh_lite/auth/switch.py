"""What `tljh-config reload` does for the authenticator before it restarts the hub.

With NativeAuthenticator, an admin who has no Native account yet gets one,
approved, with the password she already has (FirstUse's hash: both keep bcrypt
hashes, so the same password logs in, and nobody has to type it again). Then
`lockout.lockout_warnings` says what would still keep an admin out.
"""

from __future__ import annotations

from typing import Any, Mapping

from ..errors import TljhError
from ..paths import Paths
from ..users.passwords import FirstUsePasswords, passwords_dbm
from ..users.stores import password_store
from .kinds import kind_of
from .lockout import lockout_warnings


def before_restart(config: Mapping[str, Any], paths: Paths) -> list[str]:
    """Lines for the professor (accounts made, warnings); changes only Native's accounts of admins."""
    admins = sorted({name.lower() for name in config["users"]["admin"]})
    kind = kind_of(config["auth"]["type"])
    if kind not in ("firstuse", "native") or not admins:
        return lockout_warnings(config)
    try:
        store = password_store(config, paths)
        made = _carry_over(store, admins, paths) if kind == "native" else set()
        with_password = store.with_password(admins)
    except TljhError as e:
        return [f"Warning: cannot check the admins' passwords: {e}"]
    except Exception as e:  # the hub's database busy or damaged: say so, and let the reload go on
        return [f"Warning: cannot check the admins' passwords ({type(e).__name__}: {e}); "
                f"if an admin cannot log in: sudo tljh-lite users reset-password NAME"]
    lines = []
    if made:
        lines.append(f"NativeAuthenticator: {', '.join(sorted(made))} (users.admin) can log in with the password "
                     "they have had so far (account made and approved).")
    return lines + lockout_warnings(config, with_password)


def _carry_over(store, admins: list[str], paths: Paths) -> set[str]:
    """Native accounts for the admins who have none, with their FirstUse password's hash."""
    without = [name for name in admins if name not in store.with_password(admins)]
    return store.adopt(FirstUsePasswords(passwords_dbm(paths)).hashes(without))
