"""NativeAuthenticator's passwords: its users table in the hub's database, through its own API.

Every change goes through NativeAuthenticator's methods (create_user,
change_password, change_authorization), on our own session of the hub's
database, so its hashing and its rules are the ones the hub uses. It hashes
at bcrypt's cost 12 whatever the password; threads, one session each, hash
in parallel. The running hub keeps the rows it has read in its own session,
so a changed password is seen once the hub restarts (students' servers keep
running through that). Runs in the hub's environment only.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from ..errors import TljhError
from ..paths import Paths
from .passwords import NewPassword, cpus, in_parallel, too_long


class NativePasswords:
    authenticator = "NativeAuthenticator"
    restart_hub = True

    def __init__(self, db_url: str, settings: Mapping[str, Any]):
        from jupyterhub.orm import new_session_factory

        self.settings = {k: v for k, v in settings.items() if v is not None}  # none: the class default (TLJH's rule)
        self.sessions = new_session_factory(db_url)
        self.main = self._authenticator()

    @classmethod
    def for_config(cls, config: Mapping[str, Any], paths: Paths) -> "NativePasswords":
        if not paths.hub_db.exists():
            raise TljhError(f"the hub's database {paths.hub_db} does not exist yet",
                            "install tljh-lite first (its hub makes the database)")
        return cls(f"sqlite:///{paths.hub_db}", config["auth"].get("NativeAuthenticator") or {})

    def _authenticator(self):
        from nativeauthenticator import NativeAuthenticator
        from traitlets.config import Config

        # The professor adds these people: closed signup and admin approval do not apply to them.
        # (open_signup also spares create_user a query per known user to decide that.)
        settings = {**self.settings, "enable_signup": True, "open_signup": True}
        return NativeAuthenticator(config=Config({"NativeAuthenticator": settings}), db=self.sessions())

    def problem(self, password: str) -> str | None:
        if not self.main.is_password_strong(password):
            common = ", and not a common password" if self.main.check_common_password else ""
            return (f"too weak for NativeAuthenticator (at least {self.main.minimum_password_length} "
                    f"characters{common})")
        return too_long(password)

    def with_password(self, names: Iterable[str]) -> set[str]:
        return {name for name in names if self.main.get_user(name) is not None}

    def hashes(self, names: Iterable[str]) -> dict[str, bytes]:
        self.main.db.expire_all()  # rows other sessions changed (store's threads) are read again
        rows = {name: self.main.get_user(name) for name in names}
        return {name: bytes(row.password) for name, row in rows.items() if row is not None}

    def already(self, passwords: Mapping[str, str]) -> set[str]:
        rows = {name: self.main.get_user(name) for name in passwords}
        known = [name for name, row in rows.items() if row is not None]
        same = in_parallel(lambda name: rows[name].is_valid_password(passwords[name]), known)
        return {name for name, ok in zip(known, same) if ok}

    def adopt(self, hashes: Mapping[str, bytes]) -> set[str]:
        """An approved account for each name that has none, with the bcrypt hash given (FirstUse's:
        the same bcrypt format, so the same password logs in); returns whose were made."""
        from nativeauthenticator.orm import UserInfo

        made = {name for name in hashes if self.main.get_user(name) is None}
        for name in sorted(made):
            self.main.db.add(UserInfo(username=name, password=hashes[name], is_authorized=True))
        self.main.db.commit()
        return made

    def store(self, passwords: Mapping[str, NewPassword]) -> None:
        names = list(passwords)
        chunks = [names[i::cpus()] for i in range(min(cpus(), len(names)))]  # a session per thread
        failed = [name for chunk in in_parallel(lambda chunk: self._store(chunk, passwords), chunks) for name in chunk]
        if failed:
            raise TljhError(f"NativeAuthenticator refused the password of {', '.join(failed)}",
                            "see its rules (auth.NativeAuthenticator.minimum_password_length, "
                            "check_common_password) and try again")

    def _store(self, names: list[str], passwords: Mapping[str, NewPassword]) -> list[str]:
        from nativeauthenticator.orm import UserInfo

        auth, failed = self._authenticator(), []
        try:
            for name in names:
                password = passwords[name].password
                if auth.get_user(name) is None:
                    done = auth.create_user(name, password) is not None
                else:
                    done = bool(auth.change_password(name, password))
                row = auth.get_user(name)
                if done and not row.is_authorized:  # someone the professor names may log in
                    UserInfo.change_authorization(auth.db, name)
                if not done:
                    failed.append(name)
        finally:
            auth.db.close()
        return failed
