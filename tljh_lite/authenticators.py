"""FirstUseAuthenticator with its password hashing off the hub's event loop.

Upstream's `authenticate` runs bcrypt (about 0.23 s a call, cost 12) inside
the hub's event loop, at every login: while one student logs in, the hub
answers nobody else. 30 students logging in at 9:00 froze it for about 7 s,
in the middle of their servers starting. This subclass runs the same
`authenticate` on one worker thread (bcrypt releases the GIL), so the hub
keeps serving; one thread, so the password file is opened by one login at a
time, as upstream does. Same class name: `c.FirstUseAuthenticator` settings
and TLJH's `auth.FirstUseAuthenticator.*` keys apply unchanged.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import firstuseauthenticator

# configurer.py maps auth.type's names for FirstUse to this class.

_hashing = ThreadPoolExecutor(max_workers=1, thread_name_prefix="firstuse-bcrypt")


class FirstUseAuthenticator(firstuseauthenticator.FirstUseAuthenticator):
    async def authenticate(self, handler, data):
        upstream = super().authenticate  # a coroutine function that never awaits: run it whole on the thread
        return await asyncio.get_running_loop().run_in_executor(
            _hashing, lambda: asyncio.run(upstream(handler, data))
        )
