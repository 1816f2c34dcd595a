"""A port for each starting server that no other server started lately was given.

SystemdSpawner takes a free port from the kernel (jupyterhub.utils.random_port:
bind to port 0, then close) and the student's server binds it a second or more
later. A spawn started in between can be given the same port: in a class that
logs in at once, a few times in a hundred bursts of 50. Then the second server
cannot bind, and the hub, which takes any answer from the port as "up" (even
a 404), sends its student to her classmate's server, which answers 404 (seen in
bench/servers.py's burst of 50). The hub is one process and every spawn goes
through it, so remembering the ports it handed out for a few minutes is enough
never to hand one out twice.
"""

from __future__ import annotations

import time
from typing import Callable

REMEMBER_SECONDS = 300  # far longer than any server takes to bind its port


class PortLedger:
    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._given: dict[int, float] = {}
        self._clock = clock

    def distinct(self, port: int, fresh: Callable[[], int]) -> int:
        """`port`, or if it was handed out lately, another from `fresh()`; recorded as handed out now."""
        now = self._clock()
        self._given = {p: at for p, at in self._given.items() if now - at < REMEMBER_SECONDS}
        while port in self._given:
            port = fresh()
        self._given[port] = now
        return port
