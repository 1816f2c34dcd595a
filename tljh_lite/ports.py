"""Where the hub and the proxy's API listen: loopback only, fixed, TLJH's numbers.

Standard library only: the proxy's ExecStartPost imports it at every start.
"""

import socket
import time

HUB_PORT = 15001
PROXY_API_PORT = 15002
HUB_URL = f"http://127.0.0.1:{HUB_PORT}"
PROXY_API_URL = f"http://127.0.0.1:{PROXY_API_PORT}"
# The port-80 responder's loopback listener for ACME challenges; the proxy
# forwards /.well-known/acme-challenge/ here while it serves plain HTTP.
ACME_CHALLENGE_PORT = 15003
ACME_CHALLENGE_URL = f"http://127.0.0.1:{ACME_CHALLENGE_PORT}"
# The admins' usage page: systemd listens here and starts it on demand (tljh_lite.usage.units).
USAGE_PAGE_PORT = 15004
USAGE_PAGE_URL = f"http://127.0.0.1:{USAGE_PAGE_PORT}"


def connect_host(address: str) -> str:
    """Where this machine reaches a listener bound to `address` ('' and 0.0.0.0: every address)."""
    if address in ("", "0.0.0.0"):
        return "127.0.0.1"
    if address == "::":
        return "[::1]"
    return f"[{address}]" if ":" in address else address


def wait_for_port(port: int, timeout: float, host: str = "127.0.0.1") -> bool:
    """True once something accepts connections on host:port, False after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection((host, port), timeout=1).close()
            return True
        except OSError:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.1)
