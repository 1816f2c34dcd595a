"""The port-80 responder: ACME http-01 challenges from the webroot, a 301 to
https for everything else. Standard library only, so it starts small.

    python3 -m tljh_lite.https.responder --webroot DIR --challenge-port 15003 \
        [--address ADDR --port 80 --https-port 443]

It always answers challenges on 127.0.0.1:CHALLENGE_PORT, where the proxy
forwards /.well-known/acme-challenge/ while it still serves plain HTTP on
port 80 (a first certificate is obtained before anything switches). With
--port it also owns the public HTTP port; while the proxy still holds that
port (the moment of switching to HTTPS) it keeps trying to bind it, once a
second, so the two can be restarted in any order.
"""

from __future__ import annotations

import argparse
import errno
import re
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

CHALLENGE_PREFIX = "/.well-known/acme-challenge/"
TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")  # RFC 8555 8.3: base64url
BIND_RETRY_SECONDS = 1.0


def https_location(host_header: str | None, path: str, https_port: int) -> str | None:
    """Where a plain-HTTP request goes: the same host and path over https (None without a usable Host)."""
    if not host_header:
        return None
    host = host_header.strip()
    if host.startswith("["):  # [v6]:port
        host = host[: host.find("]") + 1]
    else:
        host = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    if not host or any(c in host for c in "/\\@ \t\r\n"):
        return None
    port = "" if https_port == 443 else f":{https_port}"
    return f"https://{host}{port}{path if path.startswith('/') else '/' + path}"


def make_handler(webroot: Path, https_port: int | None):
    class Handler(BaseHTTPRequestHandler):
        server_version = "tljh-lite"
        sys_version = ""

        def do_GET(self):
            self._answer(body=True)

        def do_HEAD(self):
            self._answer(body=False)

        def _answer(self, body: bool) -> None:
            path = self.path.split("?", 1)[0]
            if path.startswith(CHALLENGE_PREFIX):
                return self._challenge(path[len(CHALLENGE_PREFIX):], body)
            location = https_location(self.headers.get("Host"), self.path, https_port) if https_port else None
            if location is None:
                return self._send(404 if https_port is None else 400, b"not found\n", body)
            self.send_response(301)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _challenge(self, token: str, body: bool) -> None:
            if not TOKEN.fullmatch(token):
                return self._send(404, b"not found\n", body)
            try:
                data = (webroot / ".well-known" / "acme-challenge" / token).read_bytes()
            except OSError:
                return self._send(404, b"not found\n", body)
            self._send(200, data, body)

        def _send(self, code: int, data: bytes, body: bool) -> None:
            self.send_response(code)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if body:
                self.wfile.write(data)

        def log_message(self, format, *args):  # noqa: A002 (the base class's name)
            sys.stderr.write("%s %s\n" % (self.address_string(), format % args))

    return Handler


class DualStackServer(ThreadingHTTPServer):
    """Listens on IPv6 and IPv4 at once when given '::'."""

    daemon_threads = True

    def server_bind(self):
        if self.address_family == socket.AF_INET6:
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()


def public_server(address: str, port: int, handler) -> ThreadingHTTPServer:
    """A server on the public HTTP port: every address when address is '' (IPv6 and IPv4 if there is IPv6)."""
    if address in ("", "::") and socket.has_ipv6:
        try:
            return _bind(DualStackServer, "::", port, socket.AF_INET6, handler)
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                raise
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    return _bind(DualStackServer, address or "0.0.0.0", port, family, handler)


def _bind(cls, address: str, port: int, family: int, handler) -> ThreadingHTTPServer:
    server_class = type("Server", (cls,), {"address_family": family})
    return server_class((address, port), handler)


def serve_public_when_free(address: str, port: int, handler) -> None:
    waited = False
    while True:
        try:
            server = public_server(address, port, handler)
            break
        except OSError as e:
            if e.errno != errno.EADDRINUSE:
                raise
            if not waited:
                print(f"port {port} is still in use (the proxy is switching to https); waiting for it", file=sys.stderr)
                waited = True
            time.sleep(BIND_RETRY_SECONDS)
    print(f"answering ACME challenges and redirecting to https on port {port}", file=sys.stderr, flush=True)
    server.serve_forever()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m tljh_lite.https.responder", description=__doc__.split("\n\n")[0])
    parser.add_argument("--webroot", type=Path, required=True)
    parser.add_argument("--challenge-port", type=int, required=True)
    parser.add_argument("--address", default="")
    parser.add_argument("--port", type=int)
    parser.add_argument("--https-port", type=int, default=443)
    args = parser.parse_args(argv)
    local = ThreadingHTTPServer(("127.0.0.1", args.challenge_port), make_handler(args.webroot, None))
    local.daemon_threads = True
    if args.port:
        public = threading.Thread(
            target=serve_public_when_free, args=(args.address, args.port, make_handler(args.webroot, args.https_port)),
            daemon=True,
        )
        public.start()
    print(f"answering ACME challenges on 127.0.0.1:{args.challenge_port}", file=sys.stderr, flush=True)
    local.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
