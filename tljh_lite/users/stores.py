"""Which password store a config's authenticator uses: FirstUse's passwords.dbm, Native's table, or none."""

from __future__ import annotations

from typing import Any, Mapping

from ..errors import TljhError
from ..paths import Paths
from .passwords import FIRSTUSE_MIN_LENGTH, FirstUsePasswords, passwords_dbm
from .trusted import RecordedStore, TrustRecord, record_file


def authenticator_kind(config: Mapping[str, Any]) -> str | None:
    """'firstuse', 'native', or None for authenticators whose passwords are kept elsewhere."""
    kind = config["auth"]["type"].lower()
    for name in ("firstuse", "native"):
        if name in kind:
            return name
    return None


def password_store(config: Mapping[str, Any], paths: Paths) -> RecordedStore | None:
    """The store of a merged config's authenticator, or None (GitHub, LDAP, ...: not ours to set).

    Every password stored through it is recorded as set by tljh-lite (users.trusted).
    """
    kind = authenticator_kind(config)
    if kind == "firstuse":
        minimum = (config["auth"].get("FirstUseAuthenticator") or {}).get("min_password_length")
        store = FirstUsePasswords(passwords_dbm(paths), FIRSTUSE_MIN_LENGTH if minimum is None else minimum)
    elif kind == "native":
        from .native import NativePasswords  # jupyterhub and nativeauthenticator: imported only when used

        store = NativePasswords.for_config(config, paths)
    else:
        return None
    return RecordedStore(store, TrustRecord(record_file(paths)))


def require_store(config: Mapping[str, Any], paths: Paths) -> RecordedStore:
    store = password_store(config, paths)
    if store is None:
        raise TljhError(
            f"auth.type is {config['auth']['type']}, whose passwords are not kept on this machine",
            "tljh-lite sets passwords for FirstUseAuthenticator and NativeAuthenticator only",
        )
    return store
