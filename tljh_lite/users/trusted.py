"""Which stored passwords tljh-lite set itself: the only ones an admin may keep when she is made one.

With FirstUse (and Native's signup) whoever logs in first under a name sets
its password. A student's name made an admin later would then keep a
stranger's password, and admins have sudo. So tljh-lite records every
password it stores (generated and shown once, or typed by the professor: the
installer's admins, `users import`, `users reset-password`, a new admin's),
and a new admin keeps hers only if it is one of those (users.promotion).

The record holds, per hub user, the SHA-256 of the hash the store keeps (not
the hash itself: the record helps no one guess a password). A stored hash
that matches is one tljh-lite put there; one set at a login, a signup or a
change of password on the hub's own page does not match. FirstUse's and
Native's hashes are both bcrypt, and carrying an admin's FirstUse hash over
to Native (auth.switch) copies it, so it stays trusted there.

The file is root's (0600, in the state folder); changes are made under a lock
and written atomically.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Iterable, Mapping

from filelock import FileLock

from ..files import atomic_write
from ..paths import Paths
from .passwords import NewPassword, PasswordStore

RECORD_NAME = "passwords-set-by-tljh-lite.json"
LOCK_TIMEOUT = 30  # seconds: a whole class's import holds it only while the file is rewritten


def record_file(paths: Paths) -> Path:
    return paths.state_dir / RECORD_NAME


def fingerprint(stored_hash: bytes) -> str:
    return hashlib.sha256(stored_hash).hexdigest()


class TrustRecord:
    def __init__(self, path: Path):
        self.path = Path(path)

    def read(self) -> dict[str, str]:
        """hub user -> fingerprint of the hash tljh-lite last stored for her."""
        try:
            return dict(json.loads(self.path.read_text()).get("fingerprints", {}))
        except FileNotFoundError:
            return {}
        except (ValueError, AttributeError, TypeError):  # damaged: trust nothing, rewrite it at the next store
            return {}

    def note(self, hashes: Mapping[str, bytes]) -> None:
        """These hashes, just stored by tljh-lite, are trusted from now on."""
        if not hashes:
            return
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with FileLock(str(self.path) + ".lock", timeout=LOCK_TIMEOUT, mode=0o600):
            fingerprints = self.read()
            new = {name.lower(): fingerprint(stored) for name, stored in hashes.items()}
            if all(fingerprints.get(name) == value for name, value in new.items()):
                return
            fingerprints.update(new)
            text = json.dumps({"version": 1, "fingerprints": dict(sorted(fingerprints.items()))}, indent=1)
            atomic_write(self.path, text + "\n", 0o600)

    def matching(self, hashes: Mapping[str, bytes]) -> set[str]:
        """The names whose stored hash is the one tljh-lite stored."""
        fingerprints = self.read()
        return {name for name, stored in hashes.items() if fingerprints.get(name.lower()) == fingerprint(stored)}


class RecordedStore:
    """A password store whose every store() is recorded, and which tells trusted passwords apart.

    What `stores.password_store` returns: every password tljh-lite sets goes
    through it, so none escapes the record.
    """

    def __init__(self, store: PasswordStore, record: TrustRecord):
        self.inner = store
        self.record = record

    @property
    def authenticator(self) -> str:
        return self.inner.authenticator

    @property
    def restart_hub(self) -> bool:
        return self.inner.restart_hub

    def problem(self, password: str) -> str | None:
        return self.inner.problem(password)

    def with_password(self, names: Iterable[str]) -> set[str]:
        return self.inner.with_password(names)

    def already(self, passwords: Mapping[str, str]) -> set[str]:
        return self.inner.already(passwords)

    def hashes(self, names: Iterable[str]) -> dict[str, bytes]:
        return self.inner.hashes(names)

    def trusted(self, names: Iterable[str]) -> set[str]:
        """Those of `names` whose stored password tljh-lite set (none: not trusted)."""
        return self.record.matching(self.inner.hashes(names))

    def store(self, passwords: Mapping[str, NewPassword]) -> None:
        self.inner.store(passwords)
        self.record.note(self.inner.hashes(passwords))

    def vouch(self, names: Iterable[str]) -> None:
        """The professor gave these passwords and they are the stored ones already: trusted too."""
        self.record.note(self.inner.hashes(names))

    def adopt(self, hashes: Mapping[str, bytes]) -> set[str]:
        """Native's: accounts made with FirstUse's hashes (trusted if those were)."""
        return self.inner.adopt(hashes)
