"""Renewal, run by the timer twice a day (and by `tljh-lite https renew`).

certbot renews the ACME certificate when it is due (30 days before expiry).
Whoever renewed it (this, or Debian's own certbot.timer), the proxy reads
certificates only when it starts: so we compare what the proxy serves with
the file, and restart the proxy when they differ; its ExecStartPost makes the
hub put every route back within seconds. Own certificates are handled the
same way: copy a new one over the old file and it is served at the next run.
"""

from __future__ import annotations

import hashlib
import socket
import ssl
from typing import Any, Callable, Mapping

from ..commands import Runner
from ..errors import TljhError
from ..paths import Paths
from . import status
from .acme import Certbot
from .certificates import CertificateInfo, check_pair
from .files import tls_files


def served_fingerprint(host: str, port: int, server_name: str | None, timeout: float = 10) -> str:
    """sha256 of the certificate the proxy serves now (no trust check: we compare, not trust)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection((host.strip("[]"), port), timeout=timeout) as raw:
        with context.wrap_socket(raw, server_hostname=server_name) as tls:
            return hashlib.sha256(tls.getpeercert(binary_form=True)).hexdigest()


def served_by_proxy(config: Mapping[str, Any]) -> str:
    from ..services import connect_host

    https = config["https"]
    domains = https["letsencrypt"]["domains"]
    return served_fingerprint(connect_host(https["address"]), https["port"], domains[0] if domains else None)


def renew(
    config: Mapping[str, Any], paths: Paths, runner: Runner, force: bool = False,
    say: Callable[[str], None] = print, timeout: float = 90,
) -> status.Attempt:
    files = tls_files(config)
    if files is None:
        raise TljhError("HTTPS is off, so there is no certificate to renew", "docs/https.md says how to turn it on")
    try:
        if not files.own:
            Certbot(runner).renew(force)
        info = check_pair(files.key, files.cert, config["https"]["letsencrypt"]["domains"], settings=files.settings)
        result = _serve(info, config, paths, runner, say, timeout)
    except TljhError as e:
        status.record(paths, "renew", False, e.one_line())
        raise
    return status.record(paths, "renew", True, result)


def _serve(info: CertificateInfo, config, paths: Paths, runner: Runner, say, timeout: float) -> str:
    from ..services import Services
    from ..units import PROXY_UNIT

    until = f"valid until {info.not_after:%Y-%m-%d}"
    try:
        served = served_by_proxy(config)
    except OSError:
        served = None  # the proxy does not answer: starting it serves the file
    if served == info.fingerprint:
        return f"the proxy serves the current certificate, {until}"
    say("The proxy serves an older certificate; restarting it with the new one...")
    services = Services(paths, runner)
    services.systemd.restart(PROXY_UNIT, wait=True)
    services.wait(config, timeout)
    services.record()  # what the proxy now reads, so a re-run of the installer restarts nothing
    return f"the proxy now serves the new certificate, {until}"
