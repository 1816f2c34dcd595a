"""The nonces of launches already accepted, so the same launch is never accepted twice.

ltiauthenticator compares a launch's nonce with a cookie set when it started, and
clears the cookie; whoever captured the form post and the cookies (a proxy log, a
shared computer) could still post them again while the id_token is valid. The hub
remembers every accepted nonce until its id_token expires. Bounded: at most `limit`
nonces (the oldest go first, and only once they would have expired anyway unless
the hub is flooded with valid launches); memory only, so a hub restart forgets them,
and the cookie check still holds then.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Callable

DEFAULT_LIMIT = 20_000  # a class of 100 launching every minute for over three hours


class SeenNonces:
    def __init__(self, limit: int = DEFAULT_LIMIT, clock: Callable[[], float] = time.time):
        self.limit, self.clock = limit, clock
        self._until: OrderedDict[str, float] = OrderedDict()  # nonce -> when its launch expires
        self._lock = threading.Lock()

    def first_use(self, nonce: str, until: float) -> bool:
        """Record a launch's nonce (valid until `until`, a Unix time); False if it was seen before."""
        with self._lock:
            now = self.clock()
            seen = self._until.get(nonce)
            if seen is not None and seen >= now:
                return False
            self._until[nonce] = until
            self._until.move_to_end(nonce)
            self._forget(now)
            return True

    def __len__(self) -> int:
        return len(self._until)

    def _forget(self, now: float) -> None:
        if len(self._until) <= self.limit:
            return
        for nonce in [n for n, until in self._until.items() if until < now]:
            del self._until[nonce]
        while len(self._until) > self.limit:
            self._until.popitem(last=False)
