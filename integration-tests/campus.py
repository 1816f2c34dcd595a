"""The campus of test_proxy.py: one server on an internal network, running Debian's squid (the only
way out, asking for a password, tunnelling TLS with CONNECT) and a pypiserver (the school's mirror).

Its image is built once and cached (containers.ensure_derived_image); conftest.py builds it in the
background when test_proxy.py is collected, as it makes the bundles.
"""

from __future__ import annotations

import tarfile
import tempfile
import time
from pathlib import Path

from containers import Container, ensure_derived_image
from engine import ensure_image

PROXY_HOST, PROXY_USER, SECRET = "proxy.campus", "teacher", "S3cret-campus-pw"
PROXY_URL = f"http://{PROXY_USER}:{SECRET}@{PROXY_HOST}:3128"
ACCESS_LOG = "/var/log/squid/access.log"
MIRROR_HOST, MIRROR_PORT = "mirror.campus", 8080

SQUID_CONF = f"""\
http_port 3128
auth_param basic program /usr/lib/squid/basic_ncsa_auth /etc/squid/campus.passwd
auth_param basic realm campus
acl campus proxy_auth REQUIRED
acl SSL_ports port 443
acl CONNECT method CONNECT
http_access deny CONNECT !SSL_ports
http_access allow campus
http_access deny all
cache deny all
access_log daemon:{ACCESS_LOG} squid
pid_filename /run/squid-campus.pid
"""


def campus_server_image() -> str:
    """squid, and pypiserver in a venv of its own: the campus's one server (built once, cached)."""
    return ensure_derived_image(
        "campus-server", ensure_image("bookworm"),
        "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends squid openssl "
        "&& apt-get clean && rm -rf /var/lib/apt/lists/* "
        "&& python3 -m venv /opt/pypiserver && /opt/pypiserver/bin/pip install --no-cache-dir 'pypiserver>=2'",
    )


def start_squid(squid: Container) -> None:
    squid.write_file("/etc/squid/campus.conf", SQUID_CONF)
    squid.exec(f"printf '%s:%s\\n' {PROXY_USER} \"$(openssl passwd -1 {SECRET})\" > /etc/squid/campus.passwd && "
               "chown proxy /etc/squid/campus.passwd && chmod 600 /etc/squid/campus.passwd")
    squid.exec("squid -k parse -f /etc/squid/campus.conf && squid -f /etc/squid/campus.conf")
    wait_for_port(squid, 3128)


def wait_for_port(container: Container, port: int, timeout: float = 60) -> None:
    probe = f"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=2)"
    deadline = time.monotonic() + timeout
    while container.exec(["python3", "-c", probe], check=False).exit_code != 0:
        assert time.monotonic() < deadline, f"nothing listens on port {port} of {container.name}"
        time.sleep(0.5)


def start_mirror(server: Container, bundle: Path) -> str:
    """pypiserver serving a bundle's wheels; its simple index's URL."""
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(bundle) as tar:
            wheels = [m for m in tar if m.name.startswith("wheels/")]
            tar.extractall(tmp, members=wheels, filter="data")
        server.copy_in(Path(tmp) / "wheels", "/srv/wheels")
    server.exec("nohup /opt/pypiserver/bin/pypi-server run -v -p 8080 -a . -P . --log-file /var/log/pypiserver.log "
                "/srv/wheels >/dev/null 2>&1 &")
    wait_for_port(server, MIRROR_PORT)
    return f"http://{MIRROR_HOST}:{MIRROR_PORT}/simple/"
