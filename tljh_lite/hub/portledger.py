"""Ports for students' servers: below the kernel's range for outgoing connections, and
never one handed out lately.

SystemdSpawner takes a free port from the kernel (jupyterhub.utils.random_port:
bind to port 0, then close), and the student's server binds it a second or more
later. In a class that logs in at once, two things can take the port in between
(both seen in bench/servers.py's burst of 50):
- another spawn, given the same free port. The second server cannot bind, and
  the hub, which takes any answer from the port as "up" (even a 404), sends its
  student to her classmate's server, which answers 404;
- an outgoing connection (the hub's to the proxy, to a server, ...), which gets
  its local port from the same range. The server cannot bind, and stops while
  starting.
So the ports come from just below the kernel's ephemeral range
(net.ipv4.ip_local_port_range), which outgoing connections never use, are checked
free by binding them, and are remembered for a few minutes by the hub, through
which every spawn goes, so that none is handed out twice. Where that range
leaves no room (a machine that gives outgoing connections nearly every port),
the kernel's free port is taken, still never twice.
"""

from __future__ import annotations

import random
import socket
import time
from pathlib import Path
from typing import Callable

REMEMBER_SECONDS = 300  # far longer than any server takes to bind its port
SPAN = 8192  # ports below the ephemeral range: room for a few thousand servers
LOWEST = 16000  # above tljh-lite's own fixed ports (tljh_lite.ports, 15001-15004)
EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")


def servers_range(ephemeral: Path = EPHEMERAL_RANGE) -> range | None:
    """The ports just below the ephemeral range, or None if there is no room for them."""
    try:
        low = int(ephemeral.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    start = max(LOWEST, low - SPAN)
    return range(start, low) if low - start >= 1024 else None


def bindable(port: int) -> bool:
    """Whether nothing on this machine holds `port` (TCP, any IPv4 address) now."""
    with socket.socket() as probe:
        try:
            probe.bind(("", port))
        except OSError:
            return False
    return True


class PortLedger:
    def __init__(self, ports: range | None = None, free: Callable[[int], bool] = bindable,
                 clock: Callable[[], float] = time.monotonic):
        self._ports, self._free, self._clock = ports, free, clock
        self._given: dict[int, float] = {}

    def pick(self, kernels_choice: Callable[[], int]) -> int:
        """A free port for a server starting now, handed out to no other lately."""
        now = self._clock()
        self._given = {p: at for p, at in self._given.items() if now - at < REMEMBER_SECONDS}
        for _ in range(1000):
            port = random.choice(self._ports) if self._ports else kernels_choice()
            if port not in self._given and (not self._ports or self._free(port)):
                self._given[port] = now
                return port
        raise RuntimeError("no free port for a student's server after 1000 tries")
