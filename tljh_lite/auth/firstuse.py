"""FirstUseAuthenticator as the hub runs it (the default `auth.type`), with its bcrypt work
off the hub's event loop.

Upstream's `authenticate` hashes a first password, and checks every later one,
with bcrypt at cost 12 (about 0.25 s of CPU) on the hub's one event loop. While
it hashes, the hub answers nobody: a class that logs in at once queues up
behind one hash after another, and so do every spawn's progress, the API and
the proxy's checks. Here the hashing runs in a worker thread (bcrypt releases
the GIL, so two cores hash two passwords at once), and the rest is upstream's:
the same password file (`dbm_path`), the same rules (`create_users`,
`min_password_length`), the same class name, so `auth.FirstUseAuthenticator.*`
keys and TLJH's docs apply unchanged. The file is still read and written on the
event loop only, one login at a time, as upstream does.

Hub side only: imports JupyterHub, FirstUseAuthenticator and bcrypt.
"""

from __future__ import annotations

import asyncio
import dbm

import bcrypt
from firstuseauthenticator import FirstUseAuthenticator as UpstreamFirstUseAuthenticator


class FirstUseAuthenticator(UpstreamFirstUseAuthenticator):
    async def authenticate(self, handler, data):
        username = self.normalize_username(data["username"])
        password = data["password"]
        if not self.create_users and not self._user_exists(username):
            return None
        stored = self._stored_hash(username)
        if stored is None:
            if not self._validate_password(password):
                handler.custom_login_error = (f"Choose a password of at least {self.min_password_length} characters: "
                                              "the first one you log in with becomes yours.")
                self.log.error("%s", handler.custom_login_error)
                return None
            new_hash = await asyncio.to_thread(bcrypt.hashpw, password.encode("utf8"), bcrypt.gensalt())
            # Another login under this name may have stored a password while this one hashed:
            # the first stored wins, and this login must then match it.
            stored = self._stored_hash(username)
            if stored is None:
                with dbm.open(self.dbm_path, "c", 0o600) as db:
                    db[username] = new_hash
                return username
        matches = await asyncio.to_thread(bcrypt.checkpw, password.encode("utf8"), stored)
        return username if matches else None

    def _stored_hash(self, username: str) -> bytes | None:
        with dbm.open(self.dbm_path, "c", 0o600) as db:
            return db.get(username.encode("utf8"), None)
