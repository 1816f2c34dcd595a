"""The spawner's wait for a starting server (tljh_lite/hub/listening.py), with real sockets on 127.0.0.1."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest

from tljh_lite.hub import listening


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def running() -> None:
    return None


def test_it_returns_within_a_tenth_of_a_second_of_the_server_listening():
    port = free_port()

    async def scenario():
        async def listen_later():
            await asyncio.sleep(0.4)
            return await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", port)

        server_task = asyncio.create_task(listen_later())
        began = time.monotonic()
        found = await listening.wait_until_listening("127.0.0.1", port, timeout=10, stopped=running)
        took = time.monotonic() - began
        (await server_task).close()
        return found, took

    found, took = asyncio.run(scenario())
    assert found and 0.4 <= took < 0.4 + 2 * listening.CONNECT_EVERY + 0.2


def test_a_server_that_stopped_fails_the_spawn_with_its_reason_at_once(monkeypatch):
    monkeypatch.setattr(listening, "STOPPED_FIRST", 0.2)
    asked = []

    async def stopped():
        asked.append(time.monotonic())
        return "the server's unit jupyter-alice stopped while starting"

    began = time.monotonic()
    with pytest.raises(listening.ServerStopped, match="jupyter-alice stopped"):
        asyncio.run(listening.wait_until_listening("127.0.0.1", free_port(), timeout=600, stopped=stopped))
    assert time.monotonic() - began < 2 and len(asked) == 1


def test_systemd_is_asked_seldom_and_the_hub_decides_after_the_timeout(monkeypatch):
    monkeypatch.setattr(listening, "STOPPED_FIRST", 0.2)
    monkeypatch.setattr(listening, "STOPPED_EVERY", 0.5)
    asked = []

    async def still_running():
        asked.append(1)
        return None

    assert asyncio.run(listening.wait_until_listening("127.0.0.1", free_port(), timeout=1.3, stopped=still_running)) is False
    assert 2 <= len(asked) <= 3  # at 0.2 s, 0.7 s and maybe 1.2 s: not at every try of the port


def test_accepts_tells_a_listening_port_from_a_closed_one():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        assert asyncio.run(listening.accepts("127.0.0.1", s.getsockname()[1]))
    assert not asyncio.run(listening.accepts("127.0.0.1", free_port()))
