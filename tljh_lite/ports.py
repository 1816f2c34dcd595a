"""Where the hub and the proxy's API listen: loopback only, fixed, TLJH's numbers."""

HUB_PORT = 15001
PROXY_API_PORT = 15002
HUB_URL = f"http://127.0.0.1:{HUB_PORT}"
PROXY_API_URL = f"http://127.0.0.1:{PROXY_API_PORT}"
