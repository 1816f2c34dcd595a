"""Waiting for a student's server to listen, so that JupyterHub's first HTTP try finds it.

Left to itself, the hub asks a starting server over HTTP at growing random
intervals (jupyterhub.utils.exponential_backoff: up to 0.2, 0.4, 0.8, 1.6,
3.2, then 5 s apart), so a server ready after 1.5 s was seen about a second
later, and a server that crashed kept its student waiting for the whole
`Spawner.http_timeout` (600 s here). The spawner waits here first: trying a
port nobody listens on costs microseconds, so it is tried every 0.1 s; asking
systemd whether the unit still runs costs a process, so that is asked seldom.
"""

from __future__ import annotations

import asyncio
import time
from typing import Awaitable, Callable

CONNECT_EVERY = 0.1
STOPPED_FIRST, STOPPED_EVERY = 2.0, 5.0


class ServerStopped(RuntimeError):
    """The server's process ended before it listened (JupyterHub shows the message to the student)."""


async def accepts(host: str, port: int) -> bool:
    """Whether something accepts TCP connections on host:port now."""
    try:
        _reader, writer = await asyncio.open_connection(host, port)
    except OSError:
        return False
    writer.close()
    try:
        await writer.wait_closed()
    except OSError:
        pass
    return True


async def wait_until_listening(host: str, port: int, timeout: float,
                               stopped: Callable[[], Awaitable[str | None]]) -> bool:
    """True once host:port accepts connections, False after `timeout` seconds (JupyterHub's
    own wait then decides); raises ServerStopped with `stopped()`'s reason when it gives one."""
    started = time.monotonic()
    ask_at = started + STOPPED_FIRST
    while time.monotonic() - started < timeout:
        if await accepts(host, port):
            return True
        if time.monotonic() >= ask_at:
            reason = await stopped()
            if reason:
                raise ServerStopped(reason)
            ask_at = time.monotonic() + STOPPED_EVERY
        await asyncio.sleep(CONNECT_EVERY)
    return False
