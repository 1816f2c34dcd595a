"""A port on this machine's loopback that reaches a port inside a container that has no network.

A container started with `--network none` (an install with no network), or on
an internal docker network only (a campus behind a web proxy), publishes no
ports. `ExecTunnel` listens on 127.0.0.1 here and, for every connection, runs
a small relay inside the container with `docker exec -i` that connects to the
container's own 127.0.0.1:PORT: bytes go over the exec's stdin and stdout.
The container's network stays exactly as it was (no route is added), so the
tests reach the hub as a browser would, through the login form and websockets.
"""

from __future__ import annotations

import socket
import subprocess
import threading

from containers import Container

# Runs inside the container, with its python3 (standard library only).
RELAY = r"""
import os, socket, sys, threading
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
def pump():
    while True:
        data = os.read(0, 65536)
        if not data:
            break
        s.sendall(data)
    s.shutdown(socket.SHUT_WR)
threading.Thread(target=pump, daemon=True).start()
while True:
    data = s.recv(65536)
    if not data:
        break
    os.write(1, data)
"""


class ExecTunnel:
    """127.0.0.1:self.port here -> 127.0.0.1:port in the container. Close it (or use `with`)."""

    def __init__(self, container: Container, port: int):
        self.container, self.target = container, port
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def __enter__(self) -> "ExecTunnel":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._closed = True
        self._server.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client: socket.socket) -> None:
        relay = subprocess.Popen(
            ["docker", "exec", "-i", self.container.name, "python3", "-c", RELAY, str(self.target)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=0,
        )

        def upstream() -> None:
            try:
                while data := client.recv(65536):
                    relay.stdin.write(data)
            except OSError:
                pass
            finally:
                try:
                    relay.stdin.close()
                except OSError:
                    pass

        threading.Thread(target=upstream, daemon=True).start()
        try:
            while data := relay.stdout.read(65536):
                client.sendall(data)
        except OSError:
            pass
        finally:
            client.close()
            relay.kill()
            relay.wait()
