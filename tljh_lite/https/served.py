"""Which certificate the proxy serves right now, read from a TLS handshake with it."""

from __future__ import annotations

import hashlib
import socket
import ssl
from typing import Any, Mapping

from ..ports import connect_host


def served_fingerprint(host: str, port: int, server_name: str | None, timeout: float = 10) -> str:
    """sha256 of the certificate the proxy serves now (no trust check: we compare, not trust)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection((host.strip("[]"), port), timeout=timeout) as raw:
        with context.wrap_socket(raw, server_hostname=server_name) as tls:
            return hashlib.sha256(tls.getpeercert(binary_form=True)).hexdigest()


def served_by_proxy(config: Mapping[str, Any]) -> str:
    https = config["https"]
    domains = https["letsencrypt"]["domains"]
    return served_fingerprint(connect_host(https["address"]), https["port"], domains[0] if domains else None)
