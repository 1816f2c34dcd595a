"""Passwords for the authenticators that keep them on this machine: FirstUse and Native.

FirstUseAuthenticator keeps one bcrypt hash per user in passwords.dbm (this
module); NativeAuthenticator keeps its users in the hub's database (`native`);
`stores` picks the one a config uses.
Both check a login against the stored hash whatever its bcrypt cost, so we
choose the cost:
- a password a person chose is hashed at cost 12 (bcrypt's default, what
  FirstUse itself uses): about 0.25 s of CPU, so that a stolen hash of a weak
  password still takes long to guess;
- a password we generate has 96 random bits: nobody guesses it, however fast
  each guess is (2^95 guesses on average; at a GPU's 10^5 cost-6 guesses a
  second, 10^16 years), so stretching adds nothing. Cost 6 (about 4 ms) lets a
  class of 500 be imported in seconds, and every login with it costs the hub
  less (the hub checks passwords one at a time).
bcrypt releases the GIL while it hashes, so threads hash in parallel.

Generated passwords are shown once (a terminal, or a 0600 file the professor
names) and never logged.
"""

from __future__ import annotations

import dbm
import os
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Mapping, Protocol, TypeVar

from ..errors import TljhError
from ..paths import Paths

MAX_PASSWORD_BYTES = 72  # bcrypt's limit
CHOSEN_ROUNDS = 12
GENERATED_ROUNDS = 6
FIRSTUSE_MIN_LENGTH = 7  # FirstUseAuthenticator.min_password_length's default
DBM_LOCK_TIMEOUT = 10  # seconds; the hub holds passwords.dbm only while one login stores a password

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class NewPassword:
    password: str = field(repr=False)  # never in a log line or a traceback
    generated: bool = False

    @property
    def rounds(self) -> int:
        return GENERATED_ROUNDS if self.generated else CHOSEN_ROUNDS


class PasswordStore(Protocol):
    """Where an authenticator keeps passwords; names are hub usernames (lowercase)."""

    authenticator: str  # the class name, for messages
    restart_hub: bool  # whether the running hub must restart to see changed passwords

    def problem(self, password: str) -> str | None:
        """Why the authenticator would refuse this password ("shorter than 7 characters"), or None."""

    def with_password(self, names: Iterable[str]) -> set[str]:
        """Those of `names` that have a password."""

    def already(self, passwords: Mapping[str, str]) -> set[str]:
        """Those names whose stored password is the one given (bcrypt, in parallel)."""

    def store(self, passwords: Mapping[str, NewPassword]) -> None:
        """Hash (in parallel) and store every password (all passwords are checked with `problem` first)."""

    def hashes(self, names: Iterable[str]) -> dict[str, bytes]:
        """The stored hashes of those of `names` that have a password, as stored now."""


# What a spreadsheet takes for the start of a formula (OWASP's "CSV injection"): --passwords-out is
# opened in one. A password starting with '-' also reads as an option on a command line.
FORMULA_STARTS = "=+-@"


def generate_password() -> str:
    """16 characters, 96 bits (as bootstrap's for admins), never starting with a FORMULA_STARTS character
    (token_urlsafe's alphabet has only '-' of them: skipping those costs 0.02 bits)."""
    while True:
        password = secrets.token_urlsafe(12)
        if password[0] not in FORMULA_STARTS:
            return password


def in_parallel(function: Callable[[T], R], items: Iterable[T]) -> list[R]:
    """function over items on every CPU this process may use, in order."""
    items = list(items)
    if len(items) <= 1:
        return [function(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(len(items), cpus())) as pool:
        return list(pool.map(function, items))


def cpus() -> int:
    return len(os.sched_getaffinity(0))


def too_long(password: str) -> str | None:
    if len(password.encode()) > MAX_PASSWORD_BYTES:
        return f"longer than {MAX_PASSWORD_BYTES} bytes (bcrypt's limit)"
    return None


def passwords_dbm(paths: Paths) -> Path:
    return paths.state_dir / "passwords.dbm"


def has_password(dbm_path: Path, name: str) -> bool:
    return bool(FirstUsePasswords(dbm_path).with_password([name]))


def bcrypt_hash(new: NewPassword) -> bytes:
    import bcrypt  # the hub's environment

    # FirstUse's own expression (its reset_password), with the cost chosen above.
    return bcrypt.hashpw(new.password.encode("utf8"), bcrypt.gensalt(new.rounds))


def bcrypt_matches(pair: tuple[str, bytes]) -> bool:
    import bcrypt

    password, stored = pair
    return bcrypt.checkpw(password.encode("utf8"), stored)


class FirstUsePasswords:
    """passwords.dbm: username -> bcrypt hash, read by FirstUse at every login (no restart needed)."""

    authenticator = "FirstUseAuthenticator"
    restart_hub = False

    def __init__(self, dbm_path: Path, min_length: int = FIRSTUSE_MIN_LENGTH):
        self.dbm_path = str(dbm_path)
        self.min_length = min_length
        self.hasher, self.matcher = bcrypt_hash, bcrypt_matches  # tests replace them (no bcrypt there)

    def problem(self, password: str) -> str | None:
        if len(password) < self.min_length:
            return (f"shorter than {self.min_length} characters "
                    "(FirstUseAuthenticator's minimum, auth.FirstUseAuthenticator.min_password_length)")
        return too_long(password)

    def with_password(self, names: Iterable[str]) -> set[str]:
        return set(self.hashes(names))

    def already(self, passwords: Mapping[str, str]) -> set[str]:
        stored = self.hashes(passwords)
        names = list(stored)
        matches = in_parallel(self.matcher, [(passwords[name], stored[name]) for name in names])
        return {name for name, same in zip(names, matches) if same}

    def store(self, passwords: Mapping[str, NewPassword]) -> None:
        if not passwords:
            return
        names = list(passwords)
        hashes = in_parallel(self.hasher, [passwords[name] for name in names])
        with self._open("c") as db:  # one short write: the hub opens it at logins too
            for name, hashed in zip(names, hashes):
                db[name.lower()] = hashed

    def hashes(self, names: Iterable[str]) -> dict[str, bytes]:
        """The stored bcrypt hashes of those of `names` that have a password."""
        try:
            with dbm.open(self.dbm_path, "r") as db:
                return {name: db[name.lower().encode()] for name in names if name.lower().encode() in db}
        except dbm.error:  # no passwords yet (the backends' errors, and OSError for a missing file)
            return {}

    def _open(self, flag: str):
        deadline = time.monotonic() + DBM_LOCK_TIMEOUT
        while True:
            try:
                return dbm.open(self.dbm_path, flag, 0o600)
            except dbm.error as e:  # gdbm refuses a second writer instead of waiting
                if isinstance(e, (FileNotFoundError, PermissionError)) or time.monotonic() > deadline:
                    raise TljhError(f"cannot write {self.dbm_path}: {e}",
                                    "the hub may be busy storing a login; try again in a moment") from e
                time.sleep(0.1)
